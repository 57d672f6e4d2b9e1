#!/bin/sh
# kandyd alone against kandysim: a throwaway CA and server certificate, a
# users file, a free loopback port, tokens that live 6 s.
# usage: kandyd_test.sh drive_kandyd kandyd kandysim [bench]
set -u
. "$(dirname "$0")/../lib/common.sh"
need_root
[ -x "$3" ] || { echo "no kandysim at $3" >&2; exit 77; }
command -v curl >/dev/null || { echo "no curl" >&2; exit 77; }
dir=$(mktemp -d)
sim=
cleanup() {
	[ -n "$sim" ] && kill "$sim" 2>/dev/null
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
openssl req -x509 $ec -keyout "$dir/ca.key" -out "$dir/ca.pem" -days 2 \
    -subj /CN=kb-test-ca -addext basicConstraints=critical,CA:TRUE \
    -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req $ec -keyout "$dir/key.pem" -out "$dir/req.csr" \
    -subj /CN=localhost 2>/dev/null
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    > "$dir/ext"
openssl x509 -req -in "$dir/req.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" \
    -CAcreateserial -out "$dir/cert.pem" -days 2 -extfile "$dir/ext" 2>/dev/null
printf 'client PRIV-bridge s3cr3t bridge\nuser alice alicepw\n' > "$dir/users"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$3" -d -T 6 -l "127.0.0.1:$port" -c "$dir/cert.pem" -k "$dir/key.pem" \
    -u "$dir/users" 2>"$dir/sim.log" &
sim=$!
i=0
until python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null; do
	i=$((i + 1))
	if [ $i -gt 100 ]; then
		cat "$dir/sim.log" >&2
		exit 1
	fi
	sleep 0.1
done
chmod 0755 "$dir"
chmod 0644 "$dir/ca.pem"
if [ "${4:-}" = bench ]; then
	"$1" "$2" "$dir/ca.pem" "$port" bench 2>"${KB_BENCH_LOG:-/dev/null}"
	exit
fi
"$1" "$2" "$dir/ca.pem" "$port" password &&
    "$1" "$2" "$dir/ca.pem" "$port" &&
    "$1" "$2" "$dir/ca.pem" "$port" wsrpc && exit 0
echo "--- kandysim:" >&2
tail -n 30 "$dir/sim.log" >&2
exit 1
