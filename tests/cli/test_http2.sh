#!/usr/bin/env bash
# test_http2.sh - HTTP/2 on `shardlab serve` (issue 18): the AWS SDK for JavaScript v3 with its default
# configuration (its NodeHttp2Handler: HTTP/2 with prior knowledge on http://) walks every operation
# (tests/interop/kinesis_walk.js, which also proves each call was an HTTP/2 stream), signed under --auth and
# over TLS with ALPN h2; node's http2 client sees this server's SETTINGS, six streams of one connection each
# with its own answer, a 413 that leaves the connection serving; curl --http2-prior-knowledge gets a 413 and
# an unknown operation's error; HTTP/1.1 (and curl's h2c Upgrade, answered in HTTP/1.1) on the same port;
# curl over TLS with ALPN h2 and http/1.1; --request-timeout and --max-connections on HTTP/2 connections.
. "$(dirname "$0")/lib.sh"
cd "$tmp" || exit 1
interop=$src/tests/interop
command -v node >/dev/null || { echo "FAIL: node is not installed (bash .ci/install-deps installs it)" >&2; exit 1; }
[ -d "$interop/node_modules/@aws-sdk/client-kinesis" ] ||
  { echo "FAIL: $interop/node_modules lacks @aws-sdk/client-kinesis (bash .ci/install-deps runs npm ci)" >&2; exit 1; }
curl -V | grep -q HTTP2 || { echo "FAIL: this curl has no HTTP/2" >&2; exit 1; }
export NODE_PATH=$interop/node_modules

# call FILE TARGET BODY [CURL OPTIONS...]: one POST, the answer's body into FILE, "HTTP_VERSION STATUS" printed.
call() {
  local file=$1 target=$2 body=$3
  shift 3
  curl -sS -o "$file" -w '%{http_version} %{http_code}' -H "X-Amz-Target: Kinesis_20131202.$target" \
    -H 'Content-Type: application/x-amz-json-1.1' --data-binary "$body" "$@"
}

start_server --max-body 1000000
url=http://127.0.0.1:$port/
timeout 120 node "$interop/kinesis_walk.js" "$port" >walk.out 2>walk.err || fail "the JS SDK's walk: $(cat walk.out walk.err)"
grep -q "HTTP/2 streams" walk.out || fail "the JS SDK's walk said: $(cat walk.out)"

# Node's own http2 client (Debian's curl 7.88 cannot reuse a prior-knowledge connection: curl issue 10634):
# this server's SETTINGS; six requests in flight at once on one connection, each answered on its own stream;
# a body over --max-body answered 413 on its stream while the connection goes on serving.
for i in 1 2 3 4 5 6; do
  call "c$i" CreateStream "{\"StreamName\":\"s$i\",\"ShardCount\":1}" --http2-prior-knowledge "$url" >/dev/null
done
timeout 30 node - "$port" <<'JS' || fail "several streams on one HTTP/2 connection"
const http2 = require('node:http2');
const session = http2.connect(`http://127.0.0.1:${process.argv[2]}`);
const ask = (target, body) => new Promise((resolve, reject) => {
  const req = session.request({ ':method': 'POST', ':path': '/', 'x-amz-target': `Kinesis_20131202.${target}`,
                                'content-type': 'application/x-amz-json-1.1' });
  let data = '', status;
  req.on('response', (h) => { status = h[':status']; });
  req.on('data', (d) => { data += d; });
  req.on('end', () => resolve({ status, data }));
  req.on('error', reject);
  req.end(body);
});
(async () => {
  await new Promise((resolve) => session.on('remoteSettings', resolve));
  const { maxConcurrentStreams, initialWindowSize } = session.remoteSettings;
  if (maxConcurrentStreams !== 100 || initialWindowSize !== 1 << 20)
    throw new Error(`SETTINGS: ${JSON.stringify(session.remoteSettings)}`);
  const answers = await Promise.all([1, 2, 3, 4, 5, 6].map((i) => ask('DescribeStreamSummary', `{"StreamName":"s${i}"}`)));
  answers.forEach((a, i) => {
    if (a.status !== 200 || JSON.parse(a.data).StreamDescriptionSummary.StreamName !== `s${i + 1}`)
      throw new Error(`stream ${i + 1}'s answer: ${a.status} ${a.data}`);
  });
  const big = await ask('PutRecord', 'a'.repeat(1200000));
  if (big.status !== 413 || !big.data.includes('Request body too large')) throw new Error(`413: ${big.status} ${big.data}`);
  const after = await ask('ListStreams', '{}');
  if (after.status !== 200 || !after.data.includes('"s6"')) throw new Error(`after the 413: ${after.status} ${after.data}`);
  console.log('six streams answered on one connection; a 413, then served again');
  session.close();
})().catch((e) => { console.error(`FAIL: ${e.message}`); process.exit(1); });
JS
head -c 1200000 /dev/zero | tr '\0' a >big.json
got=$(call big.out PutRecord @big.json --http2-prior-knowledge "$url")
[ "$got" = "2 413" ] && grep -q '"Request body too large"' big.out || fail "413 from curl: $got $(cat big.out)"

got=$(call unknown.out NoSuchOperation '{}' --http2-prior-knowledge "$url")
[ "$got" = "2 400" ] && grep -q UnknownOperationException unknown.out || fail "an unknown operation: $got $(cat unknown.out)"

# HTTP/1.1 on the same port, and curl's h2c Upgrade (answered in HTTP/1.1).
got=$(call h1.out ListStreams '{}' --http1.1 "$url")
[ "$got" = "1.1 200" ] && grep -q '"s1"' h1.out || fail "HTTP/1.1: $got $(cat h1.out)"
got=$(call h2c.out ListStreams '{}' --http2 "$url")
[ "$got" = "1.1 200" ] && grep -q '"s1"' h2c.out || fail "Upgrade: h2c: $got $(cat h2c.out)"
python3 - "$port" <<'PY' || fail "a request pipelined after an Upgrade: h2c one"
import socket, sys, time
head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 2\r\n"
upgrade = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.settimeout(5)
s.sendall(head + upgrade + b"\r\n{}" + head + b"\r\n{}")  # both in one read
got, deadline = b"", time.time() + 5
while got.count(b"HTTP/1.1 200 OK") < 2 and time.time() < deadline:
    got += s.recv(65536)
assert got.count(b"HTTP/1.1 200 OK") == 2 and b" 400 " not in got, got
PY
kill -0 "$server_pid" 2>/dev/null || fail "the server died"
[ ! -s server.err ] || fail "the server printed: $(cat server.err)"
stop_server TERM

# No HTTP/2 answer before the flush: on a disk (a small tmpfs, when this runs as root) with 16 KiB left, a
# put of 64 KiB is taken by the API and fails at the flush, so its answer over HTTP/2 must be AWS's
# ServiceUnavailable (503), which an answer sent before the flush could not be; once space returns the puts
# are acknowledged again.
disk=$tmp/disk
mkdir "$disk"
if mount -t tmpfs -o size=1m tmpfs "$disk" 2>/dev/null; then
  trap '[ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null; umount "$disk" 2>/dev/null; rm -rf "$tmp"' EXIT
  start_server --data "$disk/data"
  url=http://127.0.0.1:$port/
  call full.out CreateStream '{"StreamName":"full","ShardCount":1}' --http2-prior-knowledge "$url" >/dev/null
  head -c $(($(df --output=avail -B1 "$disk" | tail -1) - 16384)) /dev/zero >"$disk/filler"
  printf '{"StreamName":"full","PartitionKey":"k","Data":"%s"}' "$(head -c 65536 /dev/zero | base64 -w0)" >put.json
  got=$(call full.out PutRecord @put.json --http2-prior-knowledge "$url") # 64 KiB: accepted, not writable
  [ "$got" = "2 503" ] && grep -q ServiceUnavailable full.out || fail "a put over HTTP/2 on a full disk: $got $(cat full.out)"
  rm "$disk/filler"
  got=$(call full.out PutRecord @put.json --http2-prior-knowledge "$url")
  [ "$got" = "2 200" ] && grep -q SequenceNumber full.out || fail "a put once space returned: $got $(cat full.out)"
  stop_server TERM
  umount "$disk"
else
  echo "test_http2: no tmpfs can be mounted here (not root?): the full-disk check is skipped"
fi

# --request-timeout: an HTTP/2 request left half sent closes its connection; an idle one after a complete
# request is kept, as HTTP/1.1's. --max-connections counts HTTP/2 connections as any.
start_server --request-timeout 1 --max-connections 2
timeout 30 node - "$port" <<'JS' || fail "--request-timeout and --max-connections over HTTP/2"
const http2 = require('node:http2');
const url = `http://127.0.0.1:${process.argv[2]}`;
const headers = { ':method': 'POST', ':path': '/', 'x-amz-target': 'Kinesis_20131202.ListStreams',
                  'content-type': 'application/x-amz-json-1.1' };
const ask = (session) => new Promise((resolve, reject) => {
  const req = session.request(headers);
  req.on('response', (h) => resolve(h[':status']));
  req.on('error', reject);
  req.end('{}');
});
const closes = (session) => new Promise((resolve) => session.on('close', resolve));
(async () => {
  const idle = http2.connect(url), half = http2.connect(url);
  half.on('error', () => {});
  if (await ask(idle) !== 200) throw new Error('the first request');
  const start = Date.now();
  const req = half.request(headers);
  req.on('error', () => {});
  req.write('{');
  await closes(half);
  const took = (Date.now() - start) / 1000;
  if (took < 0.8 || took > 3) throw new Error(`half a request closed after ${took} s (timeout 1 s)`);
  if (await ask(idle) !== 200) throw new Error('the idle connection after the timeout');
  const third = http2.connect(url), fourth = http2.connect(url);
  third.on('error', () => {});
  fourth.on('error', () => {});
  await ask(third);
  let refused = false;
  await Promise.race([ask(fourth).catch(() => { refused = true; }), closes(fourth).then(() => { refused = true; })]);
  if (!refused) throw new Error('a third HTTP/2 connection was served past --max-connections 2');
  console.log(`half a request closed after ${took.toFixed(1)} s; idle kept; a third connection refused`);
  idle.close();
  third.close();
})().catch((e) => { console.error(`FAIL: ${e.message}`); process.exit(1); });
JS
stop_server TERM

# --auth: the JS SDK's signatures (it signs :authority) are checked; a wrong secret is refused; curl's.
printf '[default]\naws_access_key_id = AKIDSHARDLAB\naws_secret_access_key = secret/key+1\n' >creds
start_server --auth creds
timeout 120 node "$interop/kinesis_walk.js" "$port" AKIDSHARDLAB secret/key+1 >walk.out 2>walk.err ||
  fail "the JS SDK's walk signed: $(cat walk.out walk.err)"
timeout 120 node "$interop/kinesis_walk.js" "$port" AKIDSHARDLAB wrong >walk.out 2>walk.err &&
  fail "the JS SDK with a wrong secret was served"
grep -q InvalidSignatureException walk.err || fail "a wrong secret: $(cat walk.err)"
# curl signs host, which an HTTP/2 request carries as :authority.
got=$(call signed.out ListStreams '{}' --http2-prior-knowledge --aws-sigv4 aws:amz:us-east-1:kinesis \
  --user 'AKIDSHARDLAB:secret/key+1' "http://127.0.0.1:$port/")
[ "$got" = "2 200" ] && grep -q StreamNames signed.out || fail "curl's signature over HTTP/2: $got $(cat signed.out)"
got=$(call unsigned.out ListStreams '{}' --http2-prior-knowledge "http://127.0.0.1:$port/")
[ "$got" = "2 400" ] && grep -q MissingAuthenticationTokenException unsigned.out || fail "unsigned: $got $(cat unsigned.out)"
stop_server TERM

# TLS: ALPN offers h2 first (curl and the JS SDK take it), http/1.1 for the clients that ask for it.
newkey=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes)
openssl req -x509 "${newkey[@]}" -keyout ca.key -out ca.pem -days 2 -subj /CN=shardlab-test-CA 2>openssl.err &&
  openssl req "${newkey[@]}" -keyout server.key -out server.csr -subj /CN=localhost 2>>openssl.err &&
  printf '%s\n' 'subjectAltName=DNS:localhost,IP:127.0.0.1' 'extendedKeyUsage=serverAuth' >server.ext &&
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile server.ext \
    -out server.pem 2>>openssl.err ||
  { echo "FAIL: openssl could not make the test CA: $(cat openssl.err)" >&2; exit 1; }
start_server --tls-cert server.pem --tls-key server.key
got=$(call tls2.out ListStreams '{}' --http2 --cacert ca.pem "https://localhost:$port/")
[ "$got" = "2 200" ] && grep -q StreamNames tls2.out || fail "ALPN h2: $got $(cat tls2.out)"
got=$(call tls1.out ListStreams '{}' --http1.1 --cacert ca.pem "https://localhost:$port/")
[ "$got" = "1.1 200" ] && grep -q StreamNames tls1.out || fail "ALPN http/1.1: $got $(cat tls1.out)"
NODE_EXTRA_CA_CERTS=ca.pem timeout 120 node "$interop/kinesis_walk.js" "https://localhost:$port" >walk.out 2>walk.err ||
  fail "the JS SDK's walk over https: $(cat walk.out walk.err)"
[ ! -s server.err ] || fail "the server printed: $(cat server.err)"
stop_server TERM
finish
