#!/usr/bin/env bash
# Make a private test CA and a server certificate signed by it, under
# $MAILKIT_PEERS_DIR/tls (kept if already there):
#   ca.crt / ca.key         the test CA (Go tests trust ca.crt)
#   server.crt / server.key CN=localhost; SANs localhost, example.test,
#                           *.example.test, 127.0.0.1, ::1
#   server-chain.crt        server.crt followed by ca.crt
set -euo pipefail
. "$(dirname "$0")/common.sh"

D="$MK_DIR/tls"
mkdir -p "$D"
cd "$D"
if [ -s server.crt ] && [ -s server.key ] && [ -s ca.crt ] && [ -s server-chain.crt ] &&
    openssl x509 -checkend 86400 -noout -in server.crt >/dev/null 2>&1; then
    exit 0
fi
mk_log "creating test CA and server certificate in $D"
openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -sha256 \
    -keyout ca.key -out ca.crt -subj "/O=mailkit interop/CN=mailkit interop test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -keyout server.key -out server.csr \
    -subj "/O=mailkit interop/CN=localhost" 2>/dev/null
cat > server.ext <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=DNS:localhost,DNS:$MK_DOMAIN,DNS:*.$MK_DOMAIN,IP:127.0.0.1,IP:::1
EXT
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 3650 -sha256 \
    -extfile server.ext -out server.crt 2>/dev/null
cat server.crt ca.crt > server-chain.crt
chmod 600 ca.key server.key
chmod 644 ca.crt server.crt server-chain.crt
chmod 755 "$D"
openssl verify -CAfile ca.crt server.crt >/dev/null
