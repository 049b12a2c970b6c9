#!/usr/bin/env bash
# test_checks.sh - `shardlab run` checks what it can before any simulated time: a handler that is missing, does
# not parse, returns no function or fails at its top level, a misspelt field in a later experiment, an output
# path that cannot be written: each stops the run with nothing printed on stdout and nothing written, naming the
# file (and line) or the path and the reason. During a run, function errors are grouped by errorType
# (summary.errors_by_type: count, first message, where) in the JSON, the terminal, the report and the
# diagnosis; counts are worked out here from the handler's own rule. A run failing later still writes the
# experiments that finished. Files: tests/data/checks/.
. "$(dirname "$0")/lib.sh"
data=$src/tests/data/checks

# bad_handler FILE NAME WANTED...: exit 1, no summary, no JSON, and stderr holds every WANTED string.
bad_handler() {
  local file=$1 name=$2
  shift 2
  "$shardlab" run "$data/$file" --json "$tmp/$name.json" >"$tmp/$name.out" 2>"$tmp/$name.err"
  local status=$?
  [ "$status" -eq 1 ] || fail "$name: exit $status, not 1: $(cat "$tmp/$name.err")"
  [ -s "$tmp/$name.out" ] && fail "$name: something ran before the handler was checked: $(head -3 "$tmp/$name.out")"
  [ -e "$tmp/$name.json" ] && fail "$name: --json was written"
  for w in "$@"; do grep -qF -- "$w" "$tmp/$name.err" || fail "$name: no «$w» in: $(cat "$tmp/$name.err")"; done
}
line_of() { grep -n -- "$2" "$data/$1" | head -1 | cut -d: -f1; }
bad_handler missing.lua missing "experiment 'missing handler'" "$data/no_such_handler.lua" "cannot open" \
  "No such file or directory"
bad_handler syntax.lua syntax "experiment 'syntax error'" "Runtime.UserCodeSyntaxError" \
  "$data/handler_syntax.lua:$(line_of handler_syntax.lua 'local x = = 1'):"
bad_handler no_function.lua no_function "experiment 'no function'" \
  "$data/handler_no_function.lua returned number and defines no global function 'handler'"
bad_handler top_level.lua top_level "experiment 'top level'" "Runtime.InitError" \
  "$data/handler_top_level.lua:$(line_of handler_top_level.lua 'config.table_name'):"

# A misspelt field in the second experiment: the first does not run either.
"$shardlab" run "$data/second_typo.lua" --json "$tmp/typo.json" >"$tmp/typo.out" 2>"$tmp/typo.err"
status=$?
[ "$status" -eq 1 ] || fail "typo: exit $status, not 1"
grep -q "good first" "$tmp/typo.out" && fail "typo: the first experiment ran: $(head -3 "$tmp/typo.out")"
[ -e "$tmp/typo.json" ] && fail "typo: --json was written"
grep -qF "experiment 'typo second': mapping.batch_sise" "$tmp/typo.err" || fail "typo: message: $(cat "$tmp/typo.err")"

# Output paths that cannot be written: exit 2 before anything runs, naming the path and the reason; a --json
# path that can be written is left as it was (not created) when another path is refused.
touch "$tmp/a_file"
for args in "--json|$tmp/missing/x.json|No such file or directory" "--json|/proc/x|" "--json|$tmp|Is a directory" \
            "--report|$tmp/missing/r.html|No such file or directory" "--csv|$tmp/a_file|Not a directory"; do
  IFS='|' read -r option path reason <<<"$args"
  "$shardlab" run "$data/some_errors.lua" --json "$tmp/fresh.json" "$option" "$path" >"$tmp/path.out" 2>"$tmp/path.err"
  status=$?
  [ "$status" -eq 2 ] || fail "$option $path: exit $status, not 2: $(cat "$tmp/path.err")"
  [ -s "$tmp/path.out" ] && fail "$option $path: the experiment ran"
  grep -qF -- "$option $path: cannot" "$tmp/path.err" || fail "$option $path: message: $(cat "$tmp/path.err")"
  [ -z "$reason" ] || grep -qF "$reason" "$tmp/path.err" || fail "$option $path: no reason «$reason»: $(cat "$tmp/path.err")"
  [ "$option" = --json ] || [ ! -e "$tmp/fresh.json" ] || fail "$option $path: the check left $tmp/fresh.json behind"
  rm -f "$tmp/fresh.json"
done

# Errors by type, on both clocks: data n errors when even (LuaError) and returns an invalid batchItemFailures
# when odd and a multiple of 5; one record per batch and no retries, so each such record is one error.
even_line=$(line_of handler_even.lua 'error("even record')
for clock in virtual real; do
  "$shardlab" run "$data/some_errors.lua" --clock "$clock" --json "$tmp/e_$clock.json" --report "$tmp/e_$clock.html" \
    >"$tmp/e_$clock.out" 2>"$tmp/e_$clock.err" || fail "some_errors ($clock) exited $?: $(cat "$tmp/e_$clock.err")"
  python3 - "$tmp/e_$clock.json" "$tmp/e_$clock.out" "$tmp/e_$clock.html" "$data/handler_even.lua" "$even_line" <<'PY' ||
import json, sys
e = json.load(open(sys.argv[1]))["experiments"][0]
out, html, handler, line = open(sys.argv[2]).read(), open(sys.argv[3]).read(), sys.argv[4], sys.argv[5]
s = e["summary"]
n = s["records_put"]
assert n > 0 and s["records_delivered"] + s["records_failed"] == n, s
even = sum(1 for k in range(1, n + 1) if k % 2 == 0)
fives = sum(1 for k in range(1, n + 1) if k % 2 == 1 and k % 5 == 0)
by = s["errors_by_type"]
assert set(by) == {"LuaError", "Runtime.InvalidBatchItemFailures"}, by
assert by["LuaError"]["count"] == even and by["Runtime.InvalidBatchItemFailures"]["count"] == fives, (by, even, fives)
assert sum(v["count"] for v in by.values()) == s["errors"], (by, s["errors"])
where = "%s:%s" % (handler, line)
assert by["LuaError"]["where"] == where, (by["LuaError"], where)
assert by["LuaError"]["first_message"] == where + ": even record 2", by["LuaError"]
assert by["Runtime.InvalidBatchItemFailures"]["first_message"] == "batchItemFailures[1].itemIdentifier is empty", by
# The terminal: a table after the summary; the diagnosis names the top type, its count and first message.
assert "some errors: errors by type" in out, out
assert any(l.split()[:2] == ["LuaError", str(even)] and l.endswith(where + ": even record 2") for l in out.splitlines()), out
diag = "handler errors: LuaError in %d of %d failed invocations (2 error types); the first: %s: even record 2" % (even, even + fives, where)
assert diag in out, (diag, out)
assert '<tr data-error-type="LuaError"><td>LuaError</td><td>%d</td><td>%s</td>' % (even, where) in html, "html"
assert diag in html, "html diagnosis"
PY
    fail "errors_by_type ($clock)"
done
# A handler that never fails: an empty errors_by_type, no table, no such finding.
"$shardlab" run "$src/examples/seed_question.lua" --json "$tmp/good.json" >"$tmp/good.out" 2>&1 || fail "seed_question exited $?"
python3 -c 'import json,sys; assert all(e["summary"]["errors_by_type"] == {} for e in json.load(open(sys.argv[1]))["experiments"])' \
  "$tmp/good.json" || fail "errors_by_type of a run without errors"
grep -qE "errors by type|handler errors" "$tmp/good.out" && fail "an error table or finding without errors"

# A run that fails after others finished: exit 1, and the JSON holds the experiments that finished.
"$shardlab" run "$data/later_failure.lua" --json "$tmp/later.json" >"$tmp/later.out" 2>"$tmp/later.err"
status=$?
[ "$status" -eq 1 ] || fail "later failure: exit $status, not 1"
grep -qF "no key for record 3" "$tmp/later.err" || fail "later failure: message: $(cat "$tmp/later.err")"
python3 -c 'import json,sys; assert [e["name"] for e in json.load(open(sys.argv[1]))["experiments"]] == ["finishes"]' \
  "$tmp/later.json" || fail "later failure: the JSON of the experiment that finished"

finish
