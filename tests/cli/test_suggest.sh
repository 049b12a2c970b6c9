#!/usr/bin/env bash
# test_suggest.sh - a misspelled field of an experiment is refused (exit 1, the file and the field named) with
# the closest known field as a suggestion when one is close (an edit distance of at most 2, or a prefix), and
# without one when none is.
. "$(dirname "$0")/lib.sh"

handler="$src/tests/data/handlers/counter.lua"

# expect_refusal FILE-BODY MESSAGE-FRAGMENT [ABSENT-FRAGMENT]: writes the experiment, runs it, checks the refusal.
n=0
expect_refusal() {
  n=$((n + 1))
  local file="$tmp/typo_$n.lua" out status
  printf 'local sl = require("shardlab")\nsl.experiment { name = "typo", duration = 1, %s }\n' "$1" >"$file"
  out=$("$shardlab" run "$file" 2>&1); status=$?
  [ "$status" -eq 1 ] || fail "case $n: exited $status, want 1 ($out)"
  [[ "$out" == *"$file"* ]] || fail "case $n: the message does not name the file: $out"
  [[ "$out" == *"$2"* ]] || fail "case $n: the message lacks '$2': $out"
  [ -z "${3:-}" ] || [[ "$out" != *"$3"* ]] || fail "case $n: the message should not say '$3': $out"
}

expect_refusal "mapping = { handler = \"$handler\", paralelization_factor = 10 }" \
  'mapping.paralelization_factor is not a known field; did you mean "parallelization_factor"?'
expect_refusal "mapping = { handler = \"$handler\", parallelisation_factor = 10 }" \
  'did you mean "parallelization_factor"?'
expect_refusal "mapping = { handler = \"$handler\", parallelization = 10 }" \
  'mapping.parallelization is not a known field; did you mean "parallelization_factor"?'
expect_refusal "mapping = { handler = \"$handler\", bacth_size = 10 }" 'did you mean "batch_size"?'
expect_refusal "stream = { shrads = 2 }, mapping = { handler = \"$handler\" }" \
  'stream.shrads is not a known field; did you mean "shards"?'
expect_refusal "duraton = 2, mapping = { handler = \"$handler\" }" 'duraton is not a known field; did you mean "duration"?'
expect_refusal "mapping = { handler = \"$handler\", concurrency_of_everything = 3 }" \
  "mapping.concurrency_of_everything is not a known field" "did you mean"

finish
