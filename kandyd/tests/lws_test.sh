#!/bin/sh
# Make a throwaway CA, a server certificate for localhost, an unrelated
# CA and a bundle of both, then run the HTTPS/WSS client test against them.
set -e
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM
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
openssl req -x509 $ec -keyout "$dir/other.key" -out "$dir/other.pem" -days 2 \
    -subj /CN=other-ca 2>/dev/null
# A bundle whose first certificate is not the one that matters.
cat "$dir/other.pem" "$dir/ca.pem" > "$dir/trust.pem"
"$1" "$dir"
