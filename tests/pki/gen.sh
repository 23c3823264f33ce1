#!/bin/sh
# Test PKI for tests/x509.rs (RFC 5280 section 6 / RFC 7925 section 4.4):
# P-256 ECDSA with SHA-256 unless a case says otherwise. Needs only the
# openssl CLI (OpenSSL 3.0 or later). Writes DER certificates (*.der) and
# the leaf keys (*.key.der, PKCS#8, test keys: not secret) into the
# directory of this script; tests read the committed files, so openssl is
# not needed at test time. Keys are fresh on every run, so every file
# changes: commit them together.
#
#   tests/pki/gen.sh
#
# Validity: 2020-01-01 .. 2049-12-31 for every certificate except
# expired.der (2020-01-01 .. 2021-01-01) and future.der (2040 .. 2045).
#
# Trust anchors: root.der (and its key alone, root.spki.der); other-root.der
# is a second, unrelated root.
#
# Positive chains (leaf first; the root is the anchor):
#   server.der int.der                        root -> int -> server.example
#   server3.der int2.der int1.der             root -> int1 -> int2 -> server.example
#   server4.der int3.der int2.der int1.der    4 below the anchor (the default knob)
#   client-eui.der int.der                    SAN dNSName 00-11-22-33-44-55-66-77
#   client-cn.der int2.der int1.der           no SAN, CN=01-23-45-67-89-AB-CD-EF
#   client-cn-order.der int.der               /CN=not-an-eui/CN=0A-0B-0C-0D-0E-0F-10-11
#                                             (leftmost in RFC 4514 order = last in DER)
#   self-signed.der                           a leaf that is its own anchor
# Negative cases (what they are refused for is in tests/x509.rs):
#   unknown-root.der other-int.der            other-root -> other-int -> server.example
#   wildcard.der, two-names.der               SAN *.example; two dNSNames
#   expired.der, future.der                   outside their validity
#   noca-leaf.der int-noca.der                intermediate without cA
#   nocertsign-leaf.der int-nocertsign.der    intermediate without keyCertSign
#   pathlen-leaf.der int-below.der int-pathlen0.der   pathLenConstraint 0 exceeded
#   bad-sig.der                               server.der with its last signature byte flipped
#   client-auth-only.der                      server.example with EKU clientAuth only
#   critical-ext.der                          an unknown critical extension (1.3.6.1.4.1.55555.1)
#   key-agreement.der                         keyUsage keyAgreement only (no digitalSignature)
#   client-no-eui.der                         CN=client.example, no SAN
#   server5.der int4.der int3.der int2.der int1.der   5 below the anchor
#   p384.der                                  a P-384 key
#   sha384.der                                ecdsa-with-SHA384
#   rsa-signed.der (rsa-root.der)             sha256WithRSAEncryption
# Client-role negative cases (SAN dNSName 00-11-22-33-44-55-66-77, clientAuth):
#   client-unknown-root.der other-int.der     other-root -> other-int -> device
#   client-expired.der int.der                expired (2020-01-01 .. 2021-01-01)
#   client-noca.der int-noca.der              intermediate without cA
#   bad-sig-client.der int.der                client-eui.der with its last byte flipped
#   client-server-eku.der int.der             EKU serverAuth only
#   client-critical.der int.der               an unknown critical extension
#   client4.der int3.der int2.der int1.der    4 below the anchor (one more than NANODTLS_MAX_CERT_CHAIN)
#   client5.der int4.der int3.der int2.der int1.der   5 below the anchor
# Every P-256 leaf has its key as NAME.key.der (PKCS#8).
set -eu
D=$(cd "$(dirname "$0")" && pwd)
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"

START=20200101000000Z
END=20491231235959Z

cat >ca.cnf <<'CNF'
[ca]
default_ca = the_ca
[the_ca]
database = $ENV::W/index.txt
new_certs_dir = $ENV::W/newcerts
serial = $ENV::W/serial
unique_subject = no
copy_extensions = none
policy = any
[any]
commonName = optional
CNF
cat >ext.cnf <<'CNF'
[root]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ca_pathlen0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign
[ca_noca]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyCertSign,cRLSign
[ca_nocertsign]
basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[self_signed]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example
[wildcard]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:*.example
[two_names]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example,DNS:other.example
[client_auth_only]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:server.example
[critical_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example
1.3.6.1.4.1.55555.1 = critical,ASN1:UTF8String:must be understood
[key_agreement]
basicConstraints = critical,CA:FALSE
keyUsage = critical,keyAgreement
extendedKeyUsage = serverAuth
subjectAltName = DNS:server.example
[client_eui]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:00-11-22-33-44-55-66-77
[client_cn]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
[client_eui_server_eku]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:00-11-22-33-44-55-66-77
[client_eui_critical]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
subjectAltName = DNS:00-11-22-33-44-55-66-77
1.3.6.1.4.1.55555.1 = critical,ASN1:UTF8String:must be understood
CNF
export W
mkdir newcerts
: >index.txt
echo 1000 >serial

key() { # NAME [ec|p384|rsa]
    case "${2:-ec}" in
    ec) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -pkeyopt ec_param_enc:named_curve -out "$1.key" ;;
    rsa) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1.key" 2>/dev/null ;;
    esac
}
# cert NAME SUBJECT ISSUER EXT [START END [DIGEST]]  (ISSUER "self": self-signed)
cert() {
    n=$1 subj=$2 iss=$3 ext=$4 s=${5:-$START} e=${6:-$END} md=${7:-sha256}
    [ -f "$n.key" ] || key "$n"
    openssl req -new -key "$n.key" -subj "$subj" -out "$n.csr"
    if [ "$iss" = self ]; then
        set -- -selfsign -keyfile "$n.key"
    else
        set -- -cert "$iss.pem" -keyfile "$iss.key"
    fi
    openssl ca -batch -config ca.cnf -notext -preserveDN -md "$md" -startdate "$s" -enddate "$e" \
        -extfile ext.cnf -extensions "$ext" -in "$n.csr" -out "$n.pem" "$@" 2>/dev/null
    openssl x509 -in "$n.pem" -outform DER -out "$D/$n.der"
}

cert root "/CN=nanodtls test root" self root
openssl pkey -in root.key -pubout -outform DER -out "$D/root.spki.der"
cert other-root "/CN=nanodtls other root" self root
cert int "/CN=nanodtls test intermediate" root ca
cert int1 "/CN=nanodtls intermediate 1" root ca
cert int2 "/CN=nanodtls intermediate 2" int1 ca
cert int3 "/CN=nanodtls intermediate 3" int2 ca
cert int4 "/CN=nanodtls intermediate 4" int3 ca

cert server "/CN=server.example" int server
cert server3 "/CN=server.example" int2 server
cert server4 "/CN=server.example" int3 server
cert server5 "/CN=server.example" int4 server
cert client-eui "/CN=device" int client_eui
cert client-cn "/CN=01-23-45-67-89-AB-CD-EF" int2 client_cn
cert client-cn-order "/CN=not-an-eui/CN=0A-0B-0C-0D-0E-0F-10-11" int client_cn
cert self-signed "/CN=server.example" self self_signed

cert other-int "/CN=nanodtls test intermediate" other-root ca
cert unknown-root "/CN=server.example" other-int server
cert wildcard "/CN=wildcard" int wildcard
cert two-names "/CN=server.example" int two_names
cert expired "/CN=server.example" int server 20200101000000Z 20210101000000Z
cert future "/CN=server.example" int server 20400101000000Z 20450101000000Z
cert int-noca "/CN=nanodtls not a CA" root ca_noca
cert noca-leaf "/CN=server.example" int-noca server
cert int-nocertsign "/CN=nanodtls no keyCertSign" root ca_nocertsign
cert nocertsign-leaf "/CN=server.example" int-nocertsign server
cert int-pathlen0 "/CN=nanodtls pathlen 0" root ca_pathlen0
cert int-below "/CN=nanodtls below pathlen 0" int-pathlen0 ca
cert pathlen-leaf "/CN=server.example" int-below server
cert client-auth-only "/CN=server.example" int client_auth_only
cert critical-ext "/CN=server.example" int critical_ext
cert key-agreement "/CN=server.example" int key_agreement
cert client-no-eui "/CN=client.example" int client_cn
# Client-role negative cases (a valid EUI-64, refused for something else).
cert client-unknown-root "/CN=device" other-int client_eui
cert client-expired "/CN=device" int client_eui 20200101000000Z 20210101000000Z
cert client-noca "/CN=device" int-noca client_eui
cert client-server-eku "/CN=device" int client_eui_server_eku
cert client-critical "/CN=device" int client_eui_critical
cert client4 "/CN=device" int3 client_eui
cert client5 "/CN=device" int4 client_eui
key p384 p384
cert p384 "/CN=server.example" int server
cert sha384 "/CN=server.example" int server "$START" "$END" sha384
key rsa-root rsa
cert rsa-root "/CN=nanodtls RSA root" self root
cert rsa-signed "/CN=server.example" rsa-root server

# bad-sig.der: server.der with the last byte (the end of s in the
# Ecdsa-Sig-Value) flipped; the DER stays well-formed.
f="$D/server.der"
size=$(wc -c <"$f")
last=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' ')
head -c $((size - 1)) "$f" >"$D/bad-sig.der"
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((last ^ 1)))" >>"$D/bad-sig.der"

# bad-sig-client.der: client-eui.der with its last signature byte flipped.
f="$D/client-eui.der"
size=$(wc -c <"$f")
last=$(tail -c 1 "$f" | od -An -tu1 | tr -d ' ')
head -c $((size - 1)) "$f" >"$D/bad-sig-client.der"
# shellcheck disable=SC2059
printf "$(printf '\\%03o' $((last ^ 1)))" >>"$D/bad-sig-client.der"

# The leaf keys (every P-256 leaf: handshake and interop tests present them).
for k in server server3 server4 server5 client-eui client-cn client-cn-order self-signed \
    unknown-root wildcard two-names expired future noca-leaf nocertsign-leaf pathlen-leaf \
    client-auth-only critical-ext key-agreement client-no-eui client-unknown-root client-expired \
    client-noca client-server-eku client-critical client4 client5; do
    openssl pkey -in "$k.key" -outform DER -out "$D/$k.key.der"
done

# Cross-check the positive chains with OpenSSL itself.
cd "$D"
pem() { openssl x509 -inform DER -in "$1"; }
pem root.der >"$W/root.crt"
{ pem int.der; pem int1.der; pem int2.der; pem int3.der; } >"$W/inter.crt"
for c in server server3 server4 client-eui client-cn; do
    pem "$c.der" >"$W/$c.crt"
    openssl verify -CAfile "$W/root.crt" -untrusted "$W/inter.crt" "$W/$c.crt" >/dev/null
done
echo "tests/pki: $(ls "$D"/*.der | wc -l) DER files written"
