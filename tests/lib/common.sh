# Shared helpers for the shell tests.  Source it; set $BUILD first (the
# meson build directory, absolute).

fail() {
	echo "FAIL: $*" >&2
	[ -n "${LOG:-}" ] && [ -f "$LOG" ] && { echo "--- log:" >&2; tail -n 40 "$LOG" >&2; }
	exit 1
}

ok() {
	echo "ok: $*"
}

skip() {
	echo "SKIP: $*"
	exit 77
}

need_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root"
	getent passwd _bridged >/dev/null || skip "user _bridged missing (run ./quickstart deps)"
	[ -d /var/empty ] || skip "/var/empty missing (run ./quickstart deps)"
}

# A directory of child binaries, as libexecdir is once installed.
make_libexec() {
	mkdir -p "$1"
	for p in sipd kandyd mediad; do
		ln -sf "$BUILD/$p/$p" "$1/$p"
	done
}

# wait_for SECONDS COMMAND...: retry until the command succeeds.
wait_for() {
	_t=$(( $1 * 10 )); shift
	while [ "$_t" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

# A UDP and TCP port free on 127.0.0.1 now.
free_port() {
	python3 -c 'import socket
for _ in range(50):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket()
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    print(p)
    break'
}
