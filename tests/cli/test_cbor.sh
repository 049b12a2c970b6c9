#!/usr/bin/env bash
# test_cbor.sh - the API in CBOR (application/x-amz-cbor-1.1): cbor_client.py calls every operation of
# `shardlab serve` in CBOR with Debian's python3-cbor2 as the independent encoder and decoder, against a server
# started here, and once against a second one with --auth (an unsigned CBOR request gets AWS's refusal in CBOR);
# then both are stopped with SIGTERM and must exit cleanly.
. "$(dirname "$0")/lib.sh"
cd "$tmp" || exit 1
printf '[default]\naws_access_key_id = AKIDSHARDLAB\naws_secret_access_key = secret\n' >creds
"$shardlab" serve --port 0 --auth creds >auth.out 2>auth.err &
auth_pid=$!
trap '[ -z "$server_pid" ] || kill -9 "$server_pid" 2>/dev/null; kill -9 "$auth_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do grep -q listening auth.out && break; sleep 0.1; done
auth_port=$(grep -o '[0-9]*$' auth.out | head -1)
[ -n "$auth_port" ] || { echo "FAIL: the --auth server did not start: $(cat auth.err)" >&2; exit 1; }
start_server
/usr/bin/python3 "$src/tests/cli/cbor_client.py" "$port" "$auth_port" || fail "the CBOR client's checks"
stop_server TERM
kill -TERM "$auth_pid"
wait "$auth_pid" || fail "serve --auth exited $? after SIGTERM: $(cat auth.err)"
finish
