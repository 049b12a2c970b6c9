#!/usr/bin/env bash
# test_server_limits.sh - `shardlab serve`'s bounds on clients: one that sends half a request (or nothing) is
# disconnected after --request-timeout; past --max-connections the next connection is closed at once, served
# again once one closes.
. "$(dirname "$0")/lib.sh"
start_server --request-timeout 1
python3 - "$port" <<'PY' || fail "--request-timeout"
import socket, sys, time
port = int(sys.argv[1])
def closed_within(sock, seconds):
    sock.settimeout(seconds)
    try:
        return sock.recv(100) == b""
    except socket.timeout:
        return False
half = socket.create_connection(("127.0.0.1", port))
half.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 10\r\n\r\nabc")
silent = socket.create_connection(("127.0.0.1", port))
start = time.time()
assert closed_within(half, 5) and closed_within(silent, 5), "still open"
took = time.time() - start
assert 0.8 <= took <= 3, took
print(f"half a request and silence both disconnected after {took:.1f} s (timeout 1 s)")
PY
stop_server TERM
start_server --max-connections 2
python3 - "$port" <<'PY' || fail "--max-connections"
import socket, sys
port = int(sys.argv[1])
req = b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n\r\n{}"
def answer(sock):
    sock.settimeout(5)
    sock.sendall(req)
    return sock.recv(4096)
a, b = socket.create_connection(("127.0.0.1", port)), socket.create_connection(("127.0.0.1", port))
assert answer(a).startswith(b"HTTP/1.1 200") and answer(b).startswith(b"HTTP/1.1 200")
c = socket.create_connection(("127.0.0.1", port))
c.settimeout(5)
try:
    c.sendall(req)
    got = c.recv(4096)
except (ConnectionResetError, BrokenPipeError):
    got = b""
assert got == b"", got
a.close()
import time; time.sleep(0.2)
d = socket.create_connection(("127.0.0.1", port))
assert answer(d).startswith(b"HTTP/1.1 200")
print("a third connection closed at once; served again once one closed")
PY
stop_server TERM
finish
