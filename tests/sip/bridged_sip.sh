#!/bin/sh
# sipd inside the real daemon: bridged starts it chrooted and sandboxed,
# hands it the SIP configuration, and checks the digest responses itself.
# A 3CX-like registration with the right password succeeds, one with a
# wrong password ends in 403, bridgectl shows the binding, and the trunk
# password appears in no log.
set -u
BUILD=$(cd "$1" && pwd)
SRC=$(cd "$(dirname "$0")" && pwd)
. "$SRC/../lib/common.sh"
need_root
command -v sipp >/dev/null || skip "sipp not installed"

T=$(mktemp -d /tmp/kb-sip.XXXXXX)
LOG=$T/bridged.log
SOCK=$T/bridged.sock
CONF=$T/bridged.conf
BPID=
trap '[ -n "$BPID" ] && kill $BPID 2>/dev/null; sleep 0.3; rm -rf "$T"' EXIT
make_libexec "$T/libexec"
PORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
LPORT=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

TPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# A test CA and a certificate for 127.0.0.1: the TLS listener's identity.
( cd "$T" &&
  openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem \
      -days 2 -subj "/CN=kandy-bridge test CA" &&
  openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr \
      -subj "/CN=127.0.0.1" &&
  echo "subjectAltName=IP:127.0.0.1" >ext &&
  openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
      -out srv.pem -days 2 -extfile ext ) >/dev/null 2>&1 ||
    fail "cannot make the test certificates"

cat >"$CONF" <<CONF
user "_bridged"
chroot "/var/empty"
control socket "$SOCK"
log verbose
sip {
	listen on 127.0.0.1 port $PORT transport udp
	listen on 127.0.0.1 port $PORT transport tcp
	listen on 127.0.0.1 port $TPORT transport tls certificate "$T/srv.pem" key "$T/srv.key"
	trunk user "3cx" password "trunk-pw-4711"
	allow from 127.0.0.0/8
	# No Kandy here: the trunk must register all the same.
	register-requires-kandy no
}
kandy {
	url "https://localhost:18443"
	client id "SIP-test" secret "kandy-test-secret"
}
CONF
chmod 600 "$CONF"

KB_LIBEXECDIR=$T/libexec "$BUILD/bridged/bridged" -d -f "$CONF" >"$LOG" 2>&1 &
BPID=$!

wait_for 10 grep -q "sipd: listening on sip:127.0.0.1:$PORT;transport=tcp" "$LOG" ||
    fail "sipd is not listening"
ok "sipd listening on UDP and TCP port $PORT"

# SIP over TLS from the sandboxed sipd: the certificate came from the
# parent in memory; the client checks it against the test CA.
wait_for 10 grep -q "sipd: listening on sips:127.0.0.1:$TPORT" "$LOG" ||
    fail "sipd is not listening on TLS"
printf 'OPTIONS sip:127.0.0.1:%s SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bKtls1\r\nMax-Forwards: 70\r\nFrom: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\nCall-ID: tls-probe\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n' "$TPORT" >"$T/options.sip"
( cat "$T/options.sip"; sleep 2 ) | timeout 10 openssl s_client -quiet \
    -connect "127.0.0.1:$TPORT" -CAfile "$T/ca.pem" -verify_return_error \
    >"$T/tls.out" 2>/dev/null
# No Kandy here: 200 until kandyd finds it unreachable, 503 after.
grep -Eq "^SIP/2.0 (200 OK|503 Service Unavailable)" "$T/tls.out" &&
    grep -q "^Call-ID: tls-probe" "$T/tls.out" ||
    fail "OPTIONS over TLS: $(head -3 "$T/tls.out")"
ok "OPTIONS over TLS answered with the configured certificate"

run_sipp() {
	( cd "$T" && timeout 30 sipp "127.0.0.1:$PORT" -sf "$1" -s 3cx -au 3cx \
	    -ap "$2" -m 1 -i 127.0.0.1 -p "$LPORT" -t "$3" -nostdin \
	    -timeout 15 -trace_err >/dev/null 2>&1 )
}

run_sipp "$SRC/register_md5.xml" trunk-pw-4711 u1 ||
    fail "REGISTER with the trunk password: $(cat "$T"/*errors.log 2>/dev/null)"
grep -q 'parent: auth: MD5 digest for user "3cx" is right' "$LOG" ||
    fail "the parent did not check the digest"
grep -q 'sipd: registration sip:3cx@127.0.0.1: CHALLENGED -> REGISTERED' "$LOG" ||
    fail "no REGISTERED state"
grep -q 'sipd: registration sip:3cx@127.0.0.1: REGISTERED -> UNREGISTERED' "$LOG" ||
    fail "un-REGISTER did not remove the binding"
ok "REGISTER, challenge, digest checked by the parent, un-REGISTER"

# Register again and keep the binding: bridgectl shows it.
cat >"$T/keep.xml" <<'XML'
<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register-keep">
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      Contact: <sip:3cx@[local_ip]:[local_port];rinstance=77aa66bb>
      To: <sip:3cx@[remote_ip]:[remote_port]>
      From: <sip:3cx@[remote_ip]:[remote_port]>;tag=[pid]k
      Call-ID: [call_id]
      CSeq: 1 REGISTER
      Expires: 300
      Content-Length: 0

  ]]></send>
  <recv response="401" auth="true"/>
  <send retrans="500"><![CDATA[
      REGISTER sip:[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
      Max-Forwards: 70
      Contact: <sip:3cx@[local_ip]:[local_port];rinstance=77aa66bb>
      To: <sip:3cx@[remote_ip]:[remote_port]>
      From: <sip:3cx@[remote_ip]:[remote_port]>;tag=[pid]k
      Call-ID: [call_id]
      CSeq: 2 REGISTER
      Expires: 300
      [authentication username=3cx]
      Content-Length: 0

  ]]></send>
  <recv response="200"/>
</scenario>
XML
run_sipp "$T/keep.xml" trunk-pw-4711 t1 || fail "REGISTER over TCP"
timeout 10 "$BUILD/bridgectl/bridgectl" -s "$SOCK" show registrations >"$T/regs" 2>&1 || fail "bridgectl show registrations: $(cat "$T/regs")"
grep -q 'rinstance=77aa66bb' "$T/regs" || fail "binding not shown: $(cat "$T/regs")"
grep -q 'REGISTERED' "$T/regs" || fail "state not shown: $(cat "$T/regs")"
ok "bridgectl show registrations lists the binding"

run_sipp "$SRC/register_wrong.xml" not-the-password u1 ||
    fail "wrong password not refused with 403"
grep -q 'parent: auth: MD5 digest for user "3cx" is wrong' "$LOG" ||
    fail "the parent did not judge the wrong password"
ok "wrong password: challenged again, then 403"

# The RFC 4475 messages against the sandboxed sipd: none may kill it.
TORTURE=$(cd "$SRC/../../.." && pwd)/shared/rfc4475
[ -d "$TORTURE" ] || TORTURE=$(cd "$SRC" && git rev-parse --show-toplevel 2>/dev/null)/../shared/rfc4475
[ -d "$TORTURE" ] || TORTURE=$(cd "$SRC" && dirname "$(git rev-parse --path-format=absolute --git-common-dir 2>/dev/null)")/../shared/rfc4475
if [ -d "$TORTURE" ]; then
	python3 - "$TORTURE" "$PORT" <<'PY' || fail "torture messages: sipd stopped answering"
import os, socket, sys
d, port = sys.argv[1], int(sys.argv[2])
for name in sorted(os.listdir(d)):
    if not name.endswith(".dat"):
        continue
    data = open(os.path.join(d, name), "rb").read()
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(data, ("127.0.0.1", port))
    u.close()
    try:
        t = socket.create_connection(("127.0.0.1", port), 2)
        t.sendall(data)
        t.settimeout(0.2)
        try:
            t.recv(4096)
        except OSError:
            pass
        t.close()
    except OSError:
        pass
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.settimeout(3)
u.bind(("127.0.0.1", 0))
lp = u.getsockname()[1]
u.sendto(("OPTIONS sip:127.0.0.1:%d SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;"
          "branch=z9hG4bKtorture1;rport\r\nMax-Forwards: 70\r\nFrom: <sip:t@"
          "127.0.0.1>;tag=1\r\nTo: <sip:127.0.0.1>\r\nCall-ID: t1@x\r\nCSeq: "
          "1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (port, lp)).encode(),
         ("127.0.0.1", port))
r = u.recv(4096).decode(errors="replace")
sys.exit(0 if r.startswith("SIP/2.0 ") else 1)
PY
	grep -q 'sipd (pid [0-9]*) \(exited\|killed\)' "$LOG" &&
	    fail "sipd died on the torture messages: $(grep 'sipd (pid' "$LOG")"
	ok "RFC 4475 messages over UDP and TCP: sipd in its sandbox still answers"
else
	echo "RFC 4475 messages not found; torture step skipped"
fi

grep -q 'trunk-pw-4711\|kandy-test-secret' "$LOG" && fail "a secret is in the log"
ok "secrets not in the log"
