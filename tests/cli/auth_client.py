"""auth_client.py - `shardlab serve --auth FILE` against independent signers (test_auth.sh): botocore signs
(through boto3, and its SigV4Auth directly for a request made 10 minutes ago), urllib sends unsigned. Every
answer is compared with AWS's exception and message for the case (the issue's list: MissingAuthenticationToken,
UnrecognizedClient, InvalidSignature, Signature expired), and temporary credentials: the profile's session
token, which botocore signs as X-Amz-Security-Token, taken; a wrong or missing one, or one sent with a
long-term key, refused as AWS refuses an invalid token. `python3 auth_client.py PORT`."""
import datetime, sys, urllib.error, urllib.request
import boto3, botocore, botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

url = f"http://127.0.0.1:{sys.argv[1]}"
TARGET = {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": "application/x-amz-json-1.1"}
MISMATCH = ("The request signature we calculated does not match the signature you provided. Check your AWS "
            "Secret Access Key and signing method. Consult the service documentation for details.")


def client(key, secret, token=None):
    return boto3.client("kinesis", endpoint_url=url, region_name="eu-west-1", aws_access_key_id=key,
                        aws_secret_access_key=secret, aws_session_token=token)


def refused(call, code, message):
    try:
        call()
    except botocore.exceptions.ClientError as e:
        err = e.response["Error"]
        assert (err["Code"], err["Message"]) == (code, message), err
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        return
    raise AssertionError(f"accepted, wanted {code}")


def raw(headers, body=b"{}"):
    try:
        urllib.request.urlopen(urllib.request.Request(url + "/", data=body, headers=headers))
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    return 200, ""


# Keys of both profiles work, every operation signed.
k = client("AKIDSHARDLAB", "secret/key+1")
k.create_stream(StreamName="signed", ShardCount=1)
assert k.put_record(StreamName="signed", PartitionKey="p  with   spaces", Data=b"x")["ShardId"]
assert client("AKIDOTHER", "other").list_streams()["StreamNames"] == ["signed"]
refused(lambda: client("AKIDSHARDLAB", "wrong").list_streams(), "InvalidSignatureException", MISMATCH)
refused(lambda: client("AKIDNOBODY", "x").list_streams(), "UnrecognizedClientException",
        "The security token included in the request is invalid.")
assert raw(TARGET) == (400, '{"__type":"MissingAuthenticationTokenException","message":"Missing Authentication Token"}')

# Temporary credentials: the [temporary] profile's token, signed by botocore, or the request is refused.
INVALID_TOKEN = "The security token included in the request is invalid."
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE/session+token=="
assert client("ASIATEMPORARY", "temporary/secret", TOKEN).list_streams()["StreamNames"] == ["signed"]
for key, secret, token in [("ASIATEMPORARY", "temporary/secret", TOKEN[:-3] + "x=="),
                           ("ASIATEMPORARY", "temporary/secret", None),
                           ("AKIDSHARDLAB", "secret/key+1", TOKEN)]:
    refused(lambda: client(key, secret, token).list_streams(), "UnrecognizedClientException", INVALID_TOKEN)

# A request botocore signed 10 minutes ago: AWS allows 5.
real_datetime = datetime.datetime
then = real_datetime.utcnow() - datetime.timedelta(minutes=10)


class Then(real_datetime):
    @classmethod
    def utcnow(cls):
        return then


botocore.auth.datetime.datetime = Then
r = AWSRequest(method="POST", url=url + "/", data=b"{}", headers=dict(TARGET))
botocore.auth.SigV4Auth(Credentials("AKIDSHARDLAB", "secret/key+1"), "kinesis", "eu-west-1").add_auth(r)
status, body = raw(dict(r.prepare().headers), r.body)
stamp = then.strftime("%Y%m%dT%H%M%SZ")
assert status == 400 and f'"Signature expired: {stamp} is now earlier than ' in body, body
# The same request's body changed after signing: the payload hash no longer matches.
botocore.auth.datetime.datetime = real_datetime
r = AWSRequest(method="POST", url=url + "/", data=b"{}", headers=dict(TARGET))
botocore.auth.SigV4Auth(Credentials("AKIDSHARDLAB", "secret/key+1"), "kinesis", "eu-west-1").add_auth(r)
status, body = raw(dict(r.prepare().headers), b'{"Limit": 1}')
assert status == 400 and MISMATCH in body, body
print("signed requests taken, with their session token where the key has one; unsigned, unknown, wrong, expired "
      "and tampered ones, and wrong or missing tokens, refused as AWS refuses them")
