"""tls_client.py - `shardlab serve --tls-cert --tls-key` against Python's clients (test_tls.sh).
`python3 tls_client.py PORT CA.pem [TIMEOUT]`: boto3 over https with the test CA (create, put, get); boto3
without the CA refused by certificate verification; a TLS session of Python's ssl module over memory BIOs,
sent a few bytes at a time (partial records), in TLS 1.3 and 1.2, that checks the ALPN answer (h2 for a client
that offers it first, http/1.1 for one that offers only that; test_http2.sh speaks HTTP/2 over TLS), keep-alive, an answer with
`Connection: close` followed by the server's close_notify, and the server's close_notify answering ours;
plain HTTP on the TLS port (no HTTP answer, the connection closed); with TIMEOUT (--request-timeout), a
handshake that stops halfway, closed after TIMEOUT seconds. `python3 tls_client.py PORT CA.pem --auth` only
signs: the right key served over https, a wrong secret refused with InvalidSignatureException."""
import socket, ssl, sys, time
import boto3, botocore

port, ca = int(sys.argv[1]), sys.argv[2]
url = f"https://localhost:{port}"
REQUEST = (b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Amz-Target: Kinesis_20131202.ListStreams\r\n"
           b"Content-Type: application/x-amz-json-1.1\r\nContent-Length: 2\r\n%s\r\n{}")


def client(verify=ca, key="x", secret="x"):
    return boto3.client("kinesis", endpoint_url=url, region_name="us-east-1", verify=verify,
                        aws_access_key_id=key, aws_secret_access_key=secret,
                        config=botocore.config.Config(retries={"max_attempts": 1}))


def refused_by_verification(k):
    try:
        k.list_streams()
    except botocore.exceptions.SSLError as e:
        assert "CERTIFICATE_VERIFY_FAILED" in str(e), e
        return
    raise AssertionError("a client without the test CA was served")


class Session:
    """A TLS client over memory BIOs: what it writes is sent `chunk` bytes at a time."""

    def __init__(self, chunk, version=None, alpn=("http/1.1",)):
        ctx = ssl.create_default_context(cafile=ca)
        if version is not None:
            ctx.minimum_version = ctx.maximum_version = version
        ctx.set_alpn_protocols(list(alpn))
        self.inc, self.out = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = ctx.wrap_bio(self.inc, self.out, server_hostname="127.0.0.1")  # the IP subjectAltName
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(5)
        self.chunk = chunk

    def flush(self):
        data = self.out.read()
        for i in range(0, len(data), self.chunk):
            self.sock.sendall(data[i:i + self.chunk])
            time.sleep(0.001)

    def receive(self):
        data = self.sock.recv(65536)
        if data:
            self.inc.write(data)
        else:
            self.inc.write_eof()
        return data

    def step(self, call):
        """call() until it needs nothing more from the server."""
        while True:
            try:
                result = call()
                self.flush()
                return result
            except ssl.SSLWantReadError:
                self.flush()
                if not self.receive():
                    raise AssertionError("the server closed the connection")

    def answer(self, extra=b""):
        self.step(lambda: self.tls.write(REQUEST % extra))
        got = b""
        while b'"StreamNames"' not in got or not got.endswith(b"}"):
            got += self.step(lambda: self.tls.read(65536))
        assert got.startswith(b"HTTP/1.1 200 OK\r\n"), got
        return got


def over_memory_bios(version, name):
    s = Session(chunk=7, version=version, alpn=("h2", "http/1.1"))
    s.step(s.tls.do_handshake)
    assert s.tls.selected_alpn_protocol() == "h2", s.tls.selected_alpn_protocol()
    s.sock.close()
    s = Session(chunk=7, version=version)
    s.step(s.tls.do_handshake)
    assert s.tls.selected_alpn_protocol() == "http/1.1", s.tls.selected_alpn_protocol()
    assert s.tls.version() == name, s.tls.version()
    assert b"Connection: keep-alive" in s.answer()
    assert b"Connection: keep-alive" in s.answer()  # the same session again
    s.step(s.tls.unwrap)  # our close_notify, answered by the server's: unwrap returns only then
    s.sock.close()
    s = Session(chunk=1 << 16)
    s.step(s.tls.do_handshake)
    assert b"Connection: close" in s.answer(b"Connection: close\r\n")
    # After the answer, the server's close_notify (read gives b""), not a bare end of the connection (which
    # step refuses) nor more data.
    assert s.step(lambda: s.tls.read(65536)) == b""
    s.sock.close()
    print(f"{name} over memory BIOs, 7 bytes a send: ALPN h2 or http/1.1, keep-alive, close_notify both ways")


def plain_http():
    sock = socket.create_connection(("127.0.0.1", port))
    sock.settimeout(5)
    sock.sendall(REQUEST % b"")
    got = b""
    while True:
        data = sock.recv(65536)
        if not data:
            break
        got += data
    assert b"HTTP/" not in got, got
    print(f"plain HTTP on the TLS port: closed, {len(got)} bytes back and no HTTP answer")


def half_handshake(timeout):
    s = Session(chunk=1 << 16)
    try:
        s.tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = s.out.read()
    s.sock.sendall(hello[:len(hello) // 2])
    start = time.time()
    s.sock.settimeout(timeout + 5)
    assert s.sock.recv(100) == b"", "the server answered half a ClientHello"
    took = time.time() - start
    assert timeout - 0.3 <= took <= timeout + 2, took
    print(f"half a ClientHello: disconnected after {took:.1f} s (--request-timeout {timeout})")


if len(sys.argv) > 3 and sys.argv[3] == "--auth":
    k = client(key="AKIDSHARDLAB", secret="secret/key+1")
    assert k.list_streams()["StreamNames"] == ["tls"], k.list_streams()
    try:
        client(key="AKIDSHARDLAB", secret="wrong").list_streams()
        raise AssertionError("a wrong secret was served over https")
    except botocore.exceptions.ClientError as e:
        assert e.response["Error"]["Code"] == "InvalidSignatureException", e.response
    print("--auth over https: botocore's signature served, a wrong secret refused")
    sys.exit(0)

k = client()
k.create_stream(StreamName="tls", ShardCount=1)
for _ in range(50):
    if k.describe_stream_summary(StreamName="tls")["StreamDescriptionSummary"]["StreamStatus"] == "ACTIVE":
        break
    time.sleep(0.1)
put = k.put_records(StreamName="tls", Records=[{"PartitionKey": f"k{i}", "Data": b"x%d" % i} for i in range(3)])
assert put["FailedRecordCount"] == 0, put
it = k.get_shard_iterator(StreamName="tls", ShardId=put["Records"][0]["ShardId"],
                          ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
assert [r["Data"] for r in k.get_records(ShardIterator=it)["Records"]] == [b"x0", b"x1", b"x2"]
print("boto3 over https with the test CA: created, put 3 records, read them back")
refused_by_verification(client(verify=True))
print("boto3 without the test CA: refused by certificate verification")
over_memory_bios(ssl.TLSVersion.TLSv1_3, "TLSv1.3")
over_memory_bios(ssl.TLSVersion.TLSv1_2, "TLSv1.2")
plain_http()
if len(sys.argv) > 3:
    half_handshake(float(sys.argv[3]))
assert client().list_streams()["StreamNames"] == ["tls"]
print("still served afterwards")
