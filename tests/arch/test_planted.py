#!/usr/bin/env python3
"""test_planted.py - check_rules.py catches what it is meant to catch: on a small synthetic tree that obeys
every rule it passes; with one violation planted (an internal header included from another folder, lua.h
outside runtime/lua/, an unprefixed external symbol, an 81-line function, runtime/ as a PUBLIC include
directory) it exits 1 naming that rule and that file, and nothing else.

    python3 tests/arch/test_planted.py [--cc CC] [--ar AR] [--nm NM]

The synthetic tree, not the real one: the real tree may be mid-restructuring, and this test is about the
checker. Standard library only; needs a C compiler, ar and nm for the symbol rule.
"""
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, 'check_rules.py')


def function(name, lines, signature=None):
    """A function whose body, from the line of its `{` to its closing `}`, is `lines` lines long."""
    head = signature or f'int {name}(int x) {{'
    return head + '\n' + '  x += 1;\n' * (lines - 2) + '}\n'


BASE = {
    'CMakeLists.txt': 'cmake_minimum_required(VERSION 3.18)\nproject(fake VERSION 0.1 LANGUAGES C)\n'
                      'add_subdirectory(runtime)\nadd_subdirectory(tests)\n',
    'runtime/CMakeLists.txt':
        '# A library whose include directories are PUBLIC for include/ only (the line below names runtime/ in a\n'
        '# comment: PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n'
        'add_library(shardlab STATIC stream.c reshard.c sim/sim.c)\n'
        'target_include_directories(shardlab PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>\n'
        '  $<INSTALL_INTERFACE:include> PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})\n'
        'add_library(shardlab_lua STATIC lua/env.c)\n'
        'target_include_directories(shardlab_lua PRIVATE ${CMAKE_CURRENT_SOURCE_DIR} ${LUA_INCLUDE_DIRS})\n'
        'add_executable(shardlab_cli cli/main.c)\n'
        '# An executable passes its include directories to no one: PUBLIC is harmless here.\n'
        'target_include_directories(shardlab_cli PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n'
        'string(REGEX REPLACE "^(a)(" "" out "x")\n',
    'tests/CMakeLists.txt': 'add_executable(test_sim unit/test_sim.c)\n'
                            'target_include_directories(test_sim PRIVATE ${PROJECT_SOURCE_DIR}/runtime)\n',
    'include/shardlab/sim.h': '#ifndef SL_SIM_H\n#define SL_SIM_H\nint sl_sim_step(int x);\n#endif\n',
    'runtime/stream_internal.h': '#include "shardlab/sim.h"\nint sl__stream_grow(int x);\n',
    'runtime/stream.c': '#include "stream_internal.h"\n\nint sl__stream_grow(int x) {\n  return x + 1;\n}\n',
    'runtime/reshard.c': '#include "stream_internal.h"\n#include <stdio.h>\n\n'
                         'static int split(int x) { return x / 2; }\n\n'
                         'int sl_reshard(int x) {\n  return split(sl__stream_grow(x));\n}\n',
    'runtime/sim/sim_internal.h': '#include "shardlab/sim.h"\ntypedef struct sim_s {\n  int t;\n} sim_t;\n',
    'runtime/sim/sim.c':
        '/* sim.c - obeys every rule, with the shapes the checker must not mistake for violations:\n'
        ' * #include "lua.h" and #include "lua/env_internal.h" in a comment, a table, a multi-line signature,\n'
        ' * a label at column 0, a string with braces, and a function of exactly 80 lines. */\n'
        '#include "sim/sim_internal.h"\n'
        '// #include <lauxlib.h>\n/* an include commented out:\n#include <lua.h>\n#include "lua/env_internal.h"\n */\n'
        '#define TWICE(x) \\\n  ((x) * 2)\n\n'
        'static const struct {\n  const char *name;\n  int value;\n} table[] = {\n  {"a{", 1},\n};\n\n'
        'typedef struct holder_s {\n  int v;\n} holder_t;\n\n'
        'int sl_sim_two(int a,\n               int b);\n\n'
        'int sl_sim_two(int a,\n               int b) {\n  int r = a;\n  if (b) goto out;\n  r += b;\nout:\n'
        '  return r + table[0].value;\n}\n\n'
        + function('sl_sim_step', 80),
    'runtime/lua/env_internal.h': '#include <lua.h>\n',
    'runtime/lua/env.h': 'int sl_env_run(int x);\n',
    'runtime/lua/env.c': '#include <lua.h>\n#include <lauxlib.h>\n#include "lua/env_internal.h"\n'
                         '#include "lua/env.h"\n\nint sl_env_run(int x) {\n  return x;\n}\n',
    'runtime/cli/main.c': '#include "shardlab/sim.h"\n#include "lua/env.h"\n\n'
                          'int main(void) {\n  return sl_sim_step(0) + sl_env_run(0);\n}\n',
    'tests/unit/test_sim.c': '#include <lua.h>\n#include "lua/env.h"\n#include "shardlab/sim.h"\n\n'
                             'int main(void) {\n  return sl_sim_step(1);\n}\n',
    'bench/invoke.c': '#include <lua.h>\n#include <lualib.h>\n\nint main(void) {\n  return 0;\n}\n',
}

# The libraries of the fake build: (library, source of its one object).
LIBS = {
    'libshardlab.a': 'static int helper(int x) { return x; }\n'
                     'int sl_counter = 1;\n'
                     'int sl_stream_put(int x);\nint sl_stream_put(int x) { return helper(x) + sl_counter; }\n'
                     'int sl__sim_step(int x);\nint sl__sim_step(int x) { return x; }\n',
    'libshardlab_lua.a': 'int sl_env_run(int x);\nint sl_env_run(int x) { return x; }\n',
    'libshardlab_server.a': 'int sl_http_serve(int x);\nint sl_http_serve(int x) { return x; }\n',
}


def write(root, files):
    for path, text in files.items():
        full = os.path.join(root, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, 'a' if path in BASE and os.path.exists(full) else 'w') as f:
            f.write(text)


def build_libs(tools, build, libs, work):
    os.makedirs(os.path.join(build, 'runtime'), exist_ok=True)
    for lib, source in libs.items():
        c = os.path.join(work, lib + '.c')
        obj = os.path.join(work, lib.replace('.a', '') + '_obj.c.o')
        with open(c, 'w') as f:
            f.write(source)
        subprocess.run([tools['cc'], '-std=c11', '-c', c, '-o', obj], check=True)
        out = os.path.join(build, 'runtime', lib)
        if os.path.exists(out):
            os.remove(out)
        subprocess.run([tools['ar'], 'rcs', out, obj], check=True)


def run_checker(tools, root, build=None):
    cmd = [sys.executable, CHECKER, root] + ([build, '--nm', tools['nm']] if build else [])
    run = subprocess.run(cmd, capture_output=True, text=True)
    return run.returncode, run.stdout, run.stderr


# Each plant: a name, the rule it breaks, files to add (or append to, for files of BASE), libraries to
# replace, and what the one violation line must name.
PLANTS = [
    ('internal header from another folder', 'internal-header',
     {'runtime/real/real_clock.c': '#include "sim/sim_internal.h"\n'}, None, 'runtime/real/real_clock.c:1:'),
    ('internal header from a test', 'internal-header',
     {'tests/unit/test_sim.c': '#include "sim/sim_internal.h"\n'}, None, 'tests/unit/test_sim.c:8:'),
    ('internal header from bench', 'internal-header',
     {'bench/invoke.c': '#include "lua/env_internal.h"\n'}, None, 'bench/invoke.c:7:'),
    ('top-level internal header from a subfolder', 'internal-header',
     {'runtime/sim/x.c': '#include <stdio.h>\n#include "stream_internal.h"\n'}, None, 'runtime/sim/x.c:2:'),
    ('internal header by a relative path', 'internal-header',
     {'runtime/lua/y.c': '#include "../sim/sim_internal.h"\n'}, None, 'runtime/lua/y.c:1:'),
    ('internal header from a public header', 'internal-header',
     {'include/shardlab/sim.h': '#include "sim/sim_internal.h"\n'}, None, 'include/shardlab/sim.h:5:'),
    ('lua.h in the core', 'lua-header',
     {'runtime/sim/x.c': '#include <lua.h>\n'}, None, 'runtime/sim/x.c:1:'),
    ('lauxlib.h at the top of runtime/', 'lua-header',
     {'runtime/x.c': '#include "stream_internal.h"\n  #  include "lauxlib.h"\n'}, None, 'runtime/x.c:2:'),
    ('lualib.h in a header of runtime/cli', 'lua-header',
     {'runtime/cli/cli.h': '#include <lualib.h>\n'}, None, 'runtime/cli/cli.h:1:'),
    ('an unprefixed function in a library', 'symbol-prefix',
     None, {'libshardlab_server.a': 'int handle_request(int x);\nint handle_request(int x) { return x; }\n'},
     'handle_request (T, in libshardlab_server.a)'),
    ('unprefixed global data in a library', 'symbol-prefix',
     None, {'libshardlab.a': LIBS['libshardlab.a'] + 'int counter = 1;\n'}, 'counter (D, in libshardlab.a)'),
    ('a library not built', 'symbol-prefix', None, {'libshardlab_lua.a': None}, 'libshardlab_lua.a:0:'),
    ('an 81-line function', 'function-length',
     {'runtime/sim/long.c': '#include <stdio.h>\n\n' + function('sl_sim_long', 81)}, None,
     'runtime/sim/long.c:3: function-length: sl_sim_long is 81 lines long'),
    ('an 81-line function with a multi-line signature', 'function-length',
     {'runtime/long.c': function('long_one', 81, 'static int long_one(int x,\n                    int y) {')},
     None, 'runtime/long.c:2: function-length: long_one is 81 lines long'),
    ('runtime/ a PUBLIC include directory', 'public-runtime-include',
     {'runtime/CMakeLists.txt': 'target_include_directories(shardlab_lua PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})\n'},
     None, 'runtime/CMakeLists.txt:12:'),
    ('runtime/ an INTERFACE include directory, over two lines', 'public-runtime-include',
     {'CMakeLists.txt': 'target_include_directories(shardlab INTERFACE\n  ${PROJECT_SOURCE_DIR}/runtime)\n'},
     None, 'CMakeLists.txt:5:'),
    ('runtime/lua a PUBLIC include directory through BUILD_INTERFACE', 'public-runtime-include',
     {'tests/CMakeLists.txt': 'target_include_directories(shardlab_lua SYSTEM PUBLIC '
                              '"$<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/runtime/lua>")\n'},
     None, 'tests/CMakeLists.txt:3:'),
    ('a public name declared in an internal header', 'internal-name',
     {'runtime/stream_internal.h': 'const char *sl_stream_grow_name(int x);\n'}, None,
     'runtime/stream_internal.h:3: internal-name: sl_stream_grow_name'),
]


def main(argv):
    tools = {'cc': 'cc', 'ar': 'ar', 'nm': 'nm'}
    for i in range(0, len(argv) - 1, 2):
        tools[argv[i].lstrip('-')] = argv[i + 1]
    failures = []
    with tempfile.TemporaryDirectory(prefix='arch_planted_') as tmp:
        base, base_build, work = (os.path.join(tmp, d) for d in ('base', 'base-build', 'objects'))
        os.makedirs(work)
        write(base, BASE)
        build_libs(tools, base_build, LIBS, work)

        rc, out, err = run_checker(tools, base, base_build)
        if rc != 0 or 'check_rules: OK' not in out:
            failures.append(f'the clean tree: exit {rc}\n{out}{err}')
        rc, out, err = run_checker(tools, base)
        if rc != 0 or 'symbol-prefix skipped' not in out:
            failures.append(f'the clean tree without a build dir: exit {rc}\n{out}{err}')

        for n, (name, rule, files, libs, expect) in enumerate(PLANTS):
            root, build = os.path.join(tmp, f'plant{n}'), os.path.join(tmp, f'plant{n}-build')
            shutil.copytree(base, root)
            shutil.copytree(base_build, build)
            if files:
                write(root, files)
            if libs:
                for lib, source in libs.items():
                    if source is None:
                        os.remove(os.path.join(build, 'runtime', lib))
                    else:
                        build_libs(tools, build, {lib: source}, work)
            rc, out, err = run_checker(tools, root, build)
            lines = out.splitlines()
            ok = (rc == 1 and len(lines) == 1 and f': {rule}: ' in lines[0] and expect in lines[0])
            print(f'{"ok  " if ok else "FAIL"} {rule}: {name}')
            if not ok:
                failures.append(f'{name}: expected exit 1 and one {rule} violation naming "{expect}", got exit '
                                f'{rc}\n{out}{err}')
    for f in failures:
        print('FAILED: ' + f, file=sys.stderr)
    if failures:
        return 1
    print(f'test_planted: OK: the clean tree passes, {len(PLANTS)} planted violations caught')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
