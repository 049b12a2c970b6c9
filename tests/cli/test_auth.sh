#!/usr/bin/env bash
# test_auth.sh - `shardlab serve --auth FILE` (AWS Signature Version 4): requests botocore signs with a key of
# FILE (boto3, and Debian's AWS CLI) are served, those of temporary credentials with the profile's
# aws_session_token; unsigned, unknown-key, wrong-secret, expired (10 minutes old), tampered and wrong-token
# requests get AWS's exceptions and messages (auth_client.py); a bad FILE is refused at the start naming its
# line; without --auth, listening beyond loopback is warned about.
. "$(dirname "$0")/lib.sh"
cd "$tmp" || exit 1
printf '# profiles as ~/.aws/credentials holds them\n[default]\naws_access_key_id = AKIDSHARDLAB\naws_secret_access_key = secret/key+1\n\n[other]\naws_access_key_id=AKIDOTHER\naws_secret_access_key=other\n' >creds
printf '\n[temporary]\naws_access_key_id = ASIATEMPORARY\naws_secret_access_key = temporary/secret\naws_session_token = IQoJb3JpZ2luX2VjEXAMPLE/session+token==\n' >>creds
start_server --auth creds
HOME=$tmp /usr/bin/python3 "$src/tests/cli/auth_client.py" "$port" || fail "boto3 against --auth"
AWS_ACCESS_KEY_ID=AKIDOTHER AWS_SECRET_ACCESS_KEY=other AWS_DEFAULT_REGION=us-east-1 HOME=$tmp \
  /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" kinesis list-streams >cli.out 2>cli.err ||
  fail "the AWS CLI, signed: $(cat cli.err)"
grep -q '"signed"' cli.out || fail "the AWS CLI's list: $(cat cli.out)"
AWS_ACCESS_KEY_ID=AKIDOTHER AWS_SECRET_ACCESS_KEY=wrong AWS_DEFAULT_REGION=us-east-1 HOME=$tmp \
  /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" kinesis list-streams >cli.out 2>cli.err &&
  fail "the AWS CLI with a wrong secret was served"
grep -q "InvalidSignatureException" cli.err || fail "the AWS CLI's refusal: $(cat cli.err)"
# Temporary credentials through the AWS CLI: the profile's session token, then a wrong one.
temporary() {
  AWS_ACCESS_KEY_ID=ASIATEMPORARY AWS_SECRET_ACCESS_KEY=temporary/secret AWS_SESSION_TOKEN=$1 \
    AWS_DEFAULT_REGION=us-east-1 HOME=$tmp /usr/bin/aws --endpoint-url "http://127.0.0.1:$port" kinesis list-streams
}
temporary 'IQoJb3JpZ2luX2VjEXAMPLE/session+token==' >cli.out 2>cli.err ||
  fail "the AWS CLI with a session token: $(cat cli.err)"
temporary wrong >cli.out 2>cli.err && fail "the AWS CLI with a wrong session token was served"
grep -q "UnrecognizedClientException" cli.err || fail "the AWS CLI's refusal of the token: $(cat cli.err)"
stop_server TERM
printf '[default]\naws_access_key_id = AKIDHALF\n' >half
"$shardlab" serve --port 0 --auth half >out 2>err && fail "a file with half a key was taken"
grep -q "half:2: a profile has only half a key" err || fail "the bad file: $(cat err)"
start_server --host 0.0.0.0
grep -q "warning: listening on 0.0.0.0 without --auth" "$tmp/server.err" || fail "no warning off loopback"
stop_server TERM
finish
