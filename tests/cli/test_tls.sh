#!/usr/bin/env bash
# test_tls.sh - `shardlab serve --tls-cert FILE --tls-key FILE`: a test CA made here with the openssl command
# signs a certificate for localhost and 127.0.0.1; boto3 and Debian's AWS CLI trusting that CA are served over
# https, clients that do not trust it fail verification, plain HTTP on the port gets no HTTP answer, a stalled
# handshake is closed after --request-timeout, TLS 1.3 and 1.2 sessions sent a few bytes at a time and
# close_notify work (tls_client.py), TLS 1.1 and TLS 1.2 renegotiation are refused, --auth signatures are
# checked over https; a missing, non-PEM or mismatched file and one option without the other are refused at
# the start, naming the file or the option.
. "$(dirname "$0")/lib.sh"
cd "$tmp" || exit 1
export AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1 HOME=$tmp

# The test CA, and the server's certificate it signs (P-256 keys: quick to make).
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${newkey[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=shardlab-test-CA 2>openssl.err &&
  openssl req "${newkey[@]}" -keyout server.key -out server.csr -subj /CN=localhost 2>>openssl.err &&
  printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'basicConstraints=critical,CA:FALSE' \
    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' 'subjectKeyIdentifier=hash' \
    'authorityKeyIdentifier=keyid' >server.ext &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
    -out server.pem 2>>openssl.err &&
  openssl req "${newkey[@]}" -keyout other.key -out /dev/null -subj /CN=other 2>>openssl.err ||
  { echo "FAIL: openssl could not make the test CA: $(cat openssl.err)" >&2; exit 1; }

start_server --tls-cert server.pem --tls-key server.key --request-timeout 2
grep -q "listening on https://127.0.0.1:$port\$" server.out || fail "the listening line: $(cat server.out)"
/usr/bin/python3 "$src/tests/cli/tls_client.py" "$port" ca.pem 2 || fail "Python's clients over https"
/usr/bin/aws --endpoint-url "https://localhost:$port" --ca-bundle ca.pem kinesis list-streams >cli.out 2>cli.err ||
  fail "the AWS CLI with the test CA: $(cat cli.err)"
grep -q '"tls"' cli.out || fail "the AWS CLI's list: $(cat cli.out)"
/usr/bin/aws --endpoint-url "https://localhost:$port" kinesis list-streams >cli.out 2>cli.err &&
  fail "the AWS CLI without the test CA was served"
grep -q "CERTIFICATE_VERIFY_FAILED" cli.err || fail "the AWS CLI without the test CA: $(cat cli.err)"
# TLS 1.1 is refused (the client's own security level lowered so that it offers it), and TLS 1.2
# renegotiation ("R" to openssl s_client).
timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null >old.out 2>&1
grep -q "alert protocol version" old.out || fail "TLS 1.1: $(cat old.out)"
(echo R; sleep 1) | timeout 10 openssl s_client -connect "127.0.0.1:$port" -tls1_2 -CAfile ca.pem >reneg.out 2>&1
grep -q "Verify return code: 0 (ok)" reneg.out && grep -q "no renegotiation" reneg.out ||
  fail "renegotiation: $(cat reneg.out)"
/usr/bin/aws --endpoint-url "http://127.0.0.1:$port" kinesis list-streams >cli.out 2>cli.err &&
  fail "the AWS CLI speaking plain HTTP was served"
kill -0 "$server_pid" 2>/dev/null || fail "the server died"
[ ! -s server.err ] || fail "the server printed: $(cat server.err)"
stop_server TERM

# TLS with --auth: botocore's signatures checked over https (and the AWS CLI's).
printf '[default]\naws_access_key_id = AKIDSHARDLAB\naws_secret_access_key = secret/key+1\n' >creds
start_server --auth creds --tls-cert server.pem --tls-key server.key
AWS_ACCESS_KEY_ID=AKIDSHARDLAB AWS_SECRET_ACCESS_KEY=secret/key+1 /usr/bin/aws --endpoint-url \
  "https://localhost:$port" --ca-bundle ca.pem kinesis create-stream --stream-name tls --shard-count 1 2>cli.err ||
  fail "the AWS CLI signed over https: $(cat cli.err)"
/usr/bin/python3 "$src/tests/cli/tls_client.py" "$port" ca.pem --auth || fail "--auth over https"
stop_server TERM

# Files that are not right, and one option without the other: refused at the start, saying which.
printf 'not a certificate\n' >garbage.pem
refused() { # EXIT_STATUS MESSAGE ARGS...: serve exits with it at once, saying MESSAGE
  local want=$1 message=$2
  shift 2
  timeout 10 "$shardlab" serve --port 0 "$@" >bad.out 2>bad.err
  local status=$?
  [ "$status" -eq "$want" ] || fail "serve $*: exit $status, not $want"
  grep -qF -- "$message" bad.err || fail "serve $*: no '$message' in: $(cat bad.err)"
  ! grep -q listening bad.out || fail "serve $*: listened"
}
refused 1 "--tls-cert missing.pem cannot be read: No such file or directory" --tls-cert missing.pem --tls-key server.key
refused 1 "--tls-key missing.key cannot be read" --tls-cert server.pem --tls-key missing.key
refused 1 "--tls-cert garbage.pem holds no PEM certificate" --tls-cert garbage.pem --tls-key server.key
refused 1 "--tls-key server.pem holds no unencrypted PEM private key" --tls-cert server.pem --tls-key server.pem
refused 1 "--tls-key other.key does not match the certificate of --tls-cert server.pem" \
  --tls-cert server.pem --tls-key other.key
refused 2 "--tls-cert needs --tls-key" --tls-cert server.pem
refused 2 "--tls-key needs --tls-cert" --tls-key server.key
finish
