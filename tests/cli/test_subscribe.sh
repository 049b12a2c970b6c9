#!/usr/bin/env bash
# test_subscribe.sh - SubscribeToShard (enhanced fan-out) with two independent event-stream decoders: the AWS
# SDK for JavaScript v3 over HTTP/2 with its default configuration (records as they are put, ChildShards across
# a split, the children's records, a second subscription within 5 s refused: tests/interop/subscribe.js), and
# boto3 over HTTP/1.1 chunked (starting positions, continuation, an unknown consumer, a deregistered one's
# subscription ending in ResourceNotFoundException: subscribe_client.py). Streams and consumers change status
# after 200 ms, so the clients wait for ACTIVE as real ones must.
. "$(dirname "$0")/lib.sh"
interop=$src/tests/interop
command -v node >/dev/null || { echo "FAIL: node is not installed (bash .ci/install-deps installs it)" >&2; exit 1; }
[ -d "$interop/node_modules/@aws-sdk/client-kinesis" ] ||
  { echo "FAIL: $interop/node_modules lacks @aws-sdk/client-kinesis (bash .ci/install-deps runs npm ci)" >&2; exit 1; }
start_server --create-stream-ms 200 --update-stream-ms 200
NODE_PATH=$interop/node_modules timeout 120 node "$interop/subscribe.js" "$port" >"$tmp/js.out" 2>"$tmp/js.err" ||
  fail "the JS SDK's SubscribeToShard: $(cat "$tmp/js.out"; grep -v Warning "$tmp/js.err" | grep FAIL)"
stop_server TERM
start_server
HOME=$tmp timeout 120 /usr/bin/python3 "$src/tests/cli/subscribe_client.py" "$port" ||
  fail "boto3's SubscribeToShard: $(cat "$tmp/server.err")"
stop_server TERM
finish
