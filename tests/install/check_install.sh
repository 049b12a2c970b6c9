#!/usr/bin/env bash
# check_install.sh - shardlab installs like a library people link (CI runs it from .ci/run, not from ctest: it
# builds a whole tree). From a copy of the source tree it builds (no tests, no benchmarks), installs to a
# temporary prefix and moves that prefix elsewhere; then it deletes the copy and its build, so nothing but the
# installed files is left, and checks that:
#   - the layout is there: bin/, the static libraries, include/shardlab/ with an umbrella header naming every
#     public header, lib/pkgconfig/shardlab.pc, share/shardlab/scripts/, share/doc/shardlab/ with examples;
#   - the installed shardlab runs examples/seed_question.lua from another folder with SHARDLAB_PATH unset (it
#     must find its Lua library beside itself), and SHARDLAB_PATH, when set, is what it uses;
#   - `shardlab route` and a C program built only through `pkg-config --static shardlab` and
#     <shardlab/shardlab.h> (route_key.c) route keys as Python's hashlib says Kinesis does.
# Usage: bash tests/install/check_install.sh   (KEEP=1 keeps the temporary folder and prints its path)
set -euo pipefail

src=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/shardlab-install.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  trap 'echo "check_install: kept $tmp" >&2' EXIT
else
  trap 'rm -rf "$tmp"' EXIT
fi
fail() { echo "check_install: FAIL: $*" >&2; exit 1; }
step() { echo "check_install: $*"; }

# 1. A copy of the source tree: the files git knows (tracked, or new and not ignored), or, outside a git
# checkout, everything but build trees.
step "copying the source tree to $tmp/src"
mkdir "$tmp/src"
if git -C "$src" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  git -C "$src" ls-files -z --cached --others --exclude-standard |
    (cd "$src" && while IFS= read -r -d '' f; do [ -f "$f" ] && printf '%s\0' "$f"; done) |
    (cd "$src" && tar --null -T - -cf -) | tar -C "$tmp/src" -xf -
else
  (cd "$src" && tar --exclude='./build*' --exclude='./.git' -cf - .) | tar -C "$tmp/src" -xf -
fi
[ -f "$tmp/src/CMakeLists.txt" ] || fail "the copy of $src has no CMakeLists.txt"

# 2. Build and install. The configured prefix is a folder that never exists, and the install goes elsewhere
# and is then moved: only a lookup relative to the installed files can succeed below.
step "building and installing (SHARDLAB_TESTS=OFF, SHARDLAB_BENCH=OFF)"
cmake -S "$tmp/src" -B "$tmp/build" -DSHARDLAB_TESTS=OFF -DSHARDLAB_BENCH=OFF -DSHARDLAB_WERROR=ON \
  -DCMAKE_INSTALL_PREFIX="$tmp/never-created" >"$tmp/configure.log" 2>&1 ||
  { cat "$tmp/configure.log" >&2; fail "cmake configure"; }
if grep -qi cmocka "$tmp/configure.log"; then fail "configuring without tests mentions cmocka"; fi
cmake --build "$tmp/build" -j"$(nproc)" >"$tmp/build.log" 2>&1 || { tail -50 "$tmp/build.log" >&2; fail "build"; }
cmake --install "$tmp/build" --prefix "$tmp/staged" >"$tmp/install.log" 2>&1 ||
  { cat "$tmp/install.log" >&2; fail "cmake --install"; }
mv "$tmp/staged" "$tmp/prefix"
P=$tmp/prefix

# 3. Nothing of the source tree or the build is left; the installed files must be enough.
cp "$tmp/src/tests/install/route_key.c" "$tmp/route_key.c"
rm -rf "$tmp/src" "$tmp/build"

# 4. The layout.
step "checking the installed files"
for f in bin/shardlab include/shardlab/shardlab.h include/shardlab/hashkey.h include/shardlab/stream.h \
  share/shardlab/scripts/shardlab/keys.lua share/doc/shardlab/README.md \
  share/doc/shardlab/examples/seed_question.lua share/doc/shardlab/examples/handlers/slow.lua; do
  [ -f "$P/$f" ] || fail "$P/$f is not installed"
done
[ -x "$P/bin/shardlab" ] || fail "$P/bin/shardlab is not executable"
ls "$P"/share/doc/shardlab/docs/*.md >/dev/null 2>&1 || fail "no docs/*.md under $P/share/doc/shardlab/docs"
pc=$(find "$P" -name shardlab.pc -path '*/pkgconfig/*')
if [ -z "$pc" ] || [ "$(echo "$pc" | wc -l)" != 1 ]; then fail "expected one */pkgconfig/shardlab.pc, found: $pc"; fi
libdir=$(dirname "$(dirname "$pc")")
for lib in libshardlab.a libshardlab_lua.a; do
  [ -f "$libdir/$lib" ] || fail "$libdir/$lib is not installed"
done
for h in "$P"/include/shardlab/*.h; do
  name=$(basename "$h")
  [ "$name" = shardlab.h ] && continue
  grep -q "^#include \"shardlab/$name\"" "$P/include/shardlab/shardlab.h" ||
    fail "include/shardlab/shardlab.h does not include shardlab/$name"
done
if find "$P" -name '*.jsonl' -o -name '*.log' | grep -q .; then fail "run output (*.jsonl, *.log) was installed"; fi

# 5. The installed executable, from another folder, with no SHARDLAB_PATH.
elsewhere=$tmp/elsewhere
mkdir "$elsewhere"
cd "$elsewhere"
step "running $P/bin/shardlab run .../examples/seed_question.lua from $elsewhere"
env -u SHARDLAB_PATH "$P/bin/shardlab" run "$P/share/doc/shardlab/examples/seed_question.lua" >"$tmp/run.out" \
  2>"$tmp/run.err" || { cat "$tmp/run.err" >&2; fail "shardlab run examples/seed_question.lua"; }
grep -Eq '^ +1 key +3 keys +100 keys +100 keys \(keys\)$' "$tmp/run.out" ||
  { cat "$tmp/run.out" >&2; fail "no summary header naming the four experiments"; }
grep -Eq '^max concurrency +1 +3 +38 +40$' "$tmp/run.out" ||
  { cat "$tmp/run.out" >&2; fail "max concurrency is not 1, 3, 38, 40 (README.md)"; }

# SHARDLAB_PATH comes first: an empty folder there leaves sl.keys unfound.
mkdir "$tmp/empty"
if SHARDLAB_PATH=$tmp/empty "$P/bin/shardlab" run "$P/share/doc/shardlab/examples/seed_question.lua" \
  >/dev/null 2>"$tmp/empty.err"; then
  fail "shardlab run succeeded with SHARDLAB_PATH=$tmp/empty: the variable is not consulted first"
fi
grep -q "$tmp/empty/shardlab/keys.lua" "$tmp/empty.err" ||
  { cat "$tmp/empty.err" >&2; fail "with SHARDLAB_PATH=$tmp/empty the error does not name that folder"; }

# 6. The reference: hash key = MD5 of the key's bytes as a big-endian unsigned 128-bit integer; with N evenly
# split shards, shard = hash // floor(2^128 / N), the last shard taking the remainder (AWS's even split).
reference() {
  python3 - "$@" <<'PY'
import hashlib, os, sys
n = int(sys.argv[1])
q = 2**128 // n
for key in sys.argv[2:]:
    h = int.from_bytes(hashlib.md5(os.fsencode(key)).digest(), "big")
    i = min(h // q, n - 1)
    print("%s\t%d\t%d\tshardId-%012d" % (key, h, i, i))
PY
}
keys=(server-1 server-2 server-3 somekey 'Zürich' 'a key with spaces' 0)

step "shardlab route --shards 4"
env -u SHARDLAB_PATH "$P/bin/shardlab" route --shards 4 "${keys[@]}" >"$tmp/route.out" ||
  fail "shardlab route --shards 4"
reference 4 "${keys[@]}" | cut -f1,2,4 >"$tmp/route.expected"
diff -u "$tmp/route.expected" "$tmp/route.out" || fail "shardlab route disagrees with hashlib"

# 7. A program that links the installed library through pkg-config alone.
step "building route_key.c through pkg-config --static shardlab"
export PKG_CONFIG_PATH=$libdir/pkgconfig
static_libs=$(pkg-config --static --libs shardlab)
for flag in -lshardlab -luv -ljansson -lcrypto -lprotobuf-c -lpthread -lm; do
  case " $static_libs " in *" $flag "*) ;; *) fail "pkg-config --static --libs shardlab lacks $flag: $static_libs" ;; esac
done
case " $(pkg-config --cflags shardlab)" in *" -I$P/"*) ;;
  *) fail "pkg-config --cflags shardlab does not point into $P: $(pkg-config --cflags shardlab)" ;; esac
# shellcheck disable=SC2046 # pkg-config's output is a list of flags
"${CC:-cc}" -std=c11 -Wall -Wextra -Wpedantic -Werror -o "$tmp/route_key" "$tmp/route_key.c" \
  $(pkg-config --cflags --libs --static shardlab) || fail "route_key.c does not build against $P"
for n in 1 3 4 7; do
  "$tmp/route_key" "$n" "${keys[@]}" >"$tmp/route_key.out" || fail "route_key $n"
  reference "$n" "${keys[@]}" >"$tmp/route_key.expected"
  diff -u "$tmp/route_key.expected" "$tmp/route_key.out" || fail "route_key disagrees with hashlib for $n shards"
done

step "OK: installed to a prefix, moved, source deleted; run, route and a pkg-config build all work"
