#!/usr/bin/env python3
"""check_rules.py - the module-boundary rules of STYLE.md ("Rooms and doors") as a check that fails.

    python3 tests/arch/check_rules.py SOURCE_ROOT [BUILD_DIR] [--nm NM]

Prints each violation as `file:line: rule: explanation` and exits 1 if there is any; otherwise prints one
line saying what was checked and exits 0. The rules:

  internal-header         a `*_internal.h` is included only from files in its own folder
                          (.c/.h under runtime/, bench/, tests/ and include/)
  lua-header              lua.h, lauxlib.h and lualib.h are included only under runtime/lua/ (within runtime/;
                          tests and bench use the Lua C API on purpose)
  symbol-prefix           every external symbol of BUILD_DIR/runtime/lib{shardlab,shardlab_lua,shardlab_server}.a
                          starts with sl_ (public) or sl__ (library-private); skipped without BUILD_DIR
  function-length         no function in runtime/**/*.c is longer than 80 lines, from the line of its opening
                          `{` to its closing `}` at column 0
  public-runtime-include  runtime/ (or a folder in it) is not a PUBLIC/INTERFACE include directory of a library
  internal-name           a function declared in a `*_internal.h` is named sl__... (library-private, as libuv's
                          uv__), so a reader sees from a call alone that it is no part of the API

Python 3 standard library only; tests/arch/test_planted.py checks that each rule catches a planted violation.
"""
import os
import re
import subprocess
import sys

# Includes of an internal header from another folder that are allowed anyway, as (including file, header),
# both relative to the source root, each with the reason it is needed. Keep it empty: a file that needs a
# private function of another module gets it through a non-internal header of that module (a door such as
# runtime/api/api_general.h), not through an entry here.
ALLOWED_INTERNAL_INCLUDES = {
}

MAX_FUNCTION_LINES = 80
LUA_HEADERS = {"lua.h", "lauxlib.h", "lualib.h"}
LIBRARIES = ("libshardlab.a", "libshardlab_lua.a", "libshardlab_server.a")
INCLUDE_SCAN_DIRS = ("runtime", "bench", "tests", "include")

INCLUDE_RE = re.compile(r'^[ \t]*#[ \t]*include[ \t]*([<"])([^>"]+)[>"]')


class Report:
    def __init__(self):
        self.violations = []

    def add(self, path, line, rule, text):
        self.violations.append((path, line, rule, text))


def rel(root, path):
    return os.path.relpath(path, root)


def strip_comments(text):
    """The text with every comment replaced by spaces (newlines kept, so line numbers stay); strings and
    character constants are kept as they are."""
    out = []
    i, n = 0, len(text)
    state = None  # None: code; '/': line comment; '*': block comment; '"' or "'": a literal
    while i < n:
        c = text[i]
        if state is None:
            if c == '/' and i + 1 < n and text[i + 1] in '/*':
                state = text[i + 1]
                out.append('  ')
                i += 2
                continue
            if c in '"\'':
                state = c
            out.append(c)
        elif state == '/':
            if c == '\n':
                state = None
                out.append(c)
            elif c == '\\' and i + 1 < n and text[i + 1] == '\n':  # a continued line comment
                out.append(' \n')
                i += 2
                continue
            else:
                out.append(' ')
        elif state == '*':
            if c == '*' and i + 1 < n and text[i + 1] == '/':
                state = None
                out.append('  ')
                i += 2
                continue
            out.append('\n' if c == '\n' else ' ')
        else:  # inside a string or a character constant
            if c == '\\' and i + 1 < n:
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == state or c == '\n':  # the end of the literal (or an unterminated one)
                state = None
            out.append(c)
        i += 1
    return ''.join(out)


def read_source(path):
    with open(path, encoding='utf-8', errors='replace') as f:
        return strip_comments(f.read())


def source_files(root, top, exts):
    """Files under root/top ending in one of exts, sorted, skipping hidden folders and build trees."""
    found = []
    base = os.path.join(root, top)
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith('.') and
                             not os.path.exists(os.path.join(dirpath, d, 'CMakeCache.txt')))
        for name in sorted(filenames):
            if name.endswith(exts):
                found.append(os.path.join(dirpath, name))
    return found


def includes(path):
    """(line number, header as written) of each #include of a file."""
    for number, line in enumerate(read_source(path).split('\n'), 1):
        m = INCLUDE_RE.match(line)
        if m:
            yield number, m.group(2)


def under(path, folder):
    path, folder = os.path.normpath(path), os.path.normpath(folder)
    return path == folder or path.startswith(folder + os.sep)


# --- rules 1 and 2: includes -------------------------------------------------------------------------------

def resolve_include(root, including, header):
    """The file an #include names: relative to the including file's folder, then to runtime/ (the include
    directory the libraries and tests compile with), then to the source root; None if none exists."""
    for base in (os.path.dirname(including), os.path.join(root, 'runtime'), root):
        candidate = os.path.normpath(os.path.join(base, header))
        if os.path.isfile(candidate):
            return candidate
    return None


def check_includes(root, report):
    files = []
    for top in INCLUDE_SCAN_DIRS:
        files += source_files(root, top, ('.c', '.h'))
    count = 0
    runtime, runtime_lua = os.path.join(root, 'runtime'), os.path.join(root, 'runtime', 'lua')
    for path in files:
        for number, header in includes(path):
            count += 1
            name = os.path.basename(header)
            if name.endswith('_internal.h'):
                target = resolve_include(root, path, header)
                if target is None:
                    report.add(rel(root, path), number, 'internal-header',
                               f'"{header}" is an internal header that resolves to no file of the tree, so '
                               'its folder cannot be checked')
                elif os.path.dirname(target) != os.path.dirname(path) and \
                        (rel(root, path), rel(root, target)) not in ALLOWED_INTERNAL_INCLUDES:
                    report.add(rel(root, path), number, 'internal-header',
                               f'includes {rel(root, target)}, which serves only the files of '
                               f'{rel(root, os.path.dirname(target))}/; reach that module through a '
                               'non-internal header')
            if name in LUA_HEADERS and under(path, runtime) and not under(path, runtime_lua):
                report.add(rel(root, path), number, 'lua-header',
                           f'includes {header}: only runtime/lua/ speaks the Lua C API; call the Lua layer '
                           'through its headers instead')
    return len(files), count


# --- rule 3: external symbols ----------------------------------------------------------------------------

def definition_line(root, member, symbol):
    """Where a symbol is defined, as (file, line), from the object's name (api_records.c.o -> api_records.c
    under runtime/) and the first line at column 0 that names it; None if not found."""
    source = re.sub(r'\.o(bj)?$', '', member)
    pattern = re.compile(r'^[A-Za-z_].*\b' + re.escape(symbol) + r'\b')
    for path in source_files(root, 'runtime', (source,)):
        if os.path.basename(path) != source:
            continue
        for number, line in enumerate(read_source(path).split('\n'), 1):
            if pattern.match(line) and not line.lstrip().startswith('#'):
                return rel(root, path), number
    return None


def check_symbols(root, build, nm, report):
    symbols = 0
    for lib in LIBRARIES:
        path = os.path.join(build, 'runtime', lib)
        shown = path
        if not os.path.isfile(path):
            report.add(shown, 0, 'symbol-prefix', 'library not built: build the tree before checking it')
            continue
        run = subprocess.run([nm, '-g', '--defined-only', path], capture_output=True, text=True)
        if run.returncode != 0:
            report.add(shown, 0, 'symbol-prefix', f'{nm} failed: {run.stderr.strip()}')
            continue
        member = '?'
        for line in run.stdout.splitlines():
            if line.endswith(':') and ' ' not in line:  # "api_records.c.o:" opens an object's symbols
                member = line[:-1]
                continue
            fields = line.split()
            if len(fields) < 2:
                continue
            kind, symbol = fields[-2], fields[-1]
            # Names that begin with two underscores are the implementation's (C11 7.1.3): instrumentation of
            # sanitizers and coverage, never ours.
            if symbol.startswith('__') or symbol.startswith('.'):
                continue
            symbols += 1
            if symbol.startswith('sl_'):  # sl_ and sl__ both
                continue
            where = definition_line(root, member, symbol)
            file, number = where if where else (f'{shown}({member})', 0)
            report.add(file, number, 'symbol-prefix',
                       f'{symbol} ({kind}, in {lib}) is external without the sl_ prefix: name it sl_... if it '
                       'is API, sl__... if other files of the library need it, or make it static')
    return symbols


# --- rule 4: function length -----------------------------------------------------------------------------

def functions(text):
    """(name, line of the opening brace, line of the closing brace) of each function defined at top level, in
    this codebase's style: the signature starts at column 0 (it may go on over indented lines) and ends with
    `) {`; the body ends with a `}` at column 0."""
    lines = text.split('\n')
    found = []
    i, n = 0, len(lines)
    while i < n:
        line = lines[i]
        if not line or line[0] in ' \t#{}' or line.rstrip().endswith(';'):
            if line.startswith('#'):  # a preprocessor line and its continuations
                while line.endswith('\\') and i + 1 < n:
                    i += 1
                    line = lines[i]
            i += 1
            continue
        signature, j = line, i
        while not signature.rstrip().endswith(('{', ';')) and j + 1 < n and j - i < 10:
            nxt = lines[j + 1]
            if nxt.startswith('#') or (nxt and nxt[0] not in ' \t{'):
                break
            j += 1
            signature += '\n' + nxt
        head = signature.rstrip()
        if not head.endswith('{') or not head[:-1].rstrip().endswith(')') or '(' not in head:
            i = j + 1
            continue
        name = re.search(r'([A-Za-z_]\w*)\s*\(', head)
        close = j + 1
        while close < n and not lines[close].startswith('}'):
            close += 1
        found.append((name.group(1) if name else '?', j + 1, close + 1))
        i = close + 1
    return found


def check_function_length(root, report):
    count = 0
    for path in source_files(root, 'runtime', ('.c',)):
        for name, opening, closing in functions(read_source(path)):
            count += 1
            length = closing - opening + 1
            if length > MAX_FUNCTION_LINES:
                report.add(rel(root, path), opening, 'function-length',
                           f'{name} is {length} lines long (at most {MAX_FUNCTION_LINES}): several functions, '
                           'each named for what it does')
    return count


# --- rule 6: functions declared in an internal header are sl__ ----------------------------------------------

PROTOTYPE_RE = re.compile(r'^[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)[ \t]*\(')


def check_internal_names(root, report):
    count = 0
    for path in source_files(root, 'runtime', ('.h',)):
        if not path.endswith('_internal.h'):
            continue
        for number, line in enumerate(read_source(path).split('\n'), 1):
            if line.startswith(('typedef', '#', 'struct', 'enum', 'union', 'static')) or line[:1] in ' \t}':
                continue
            m = PROTOTYPE_RE.match(line)
            if m is None:
                continue
            count += 1
            if not m.group(1).startswith('sl__'):
                report.add(rel(root, path), number, 'internal-name',
                           f'{m.group(1)} is declared in an internal header: name it sl__{m.group(1).removeprefix("sl_")}')
    return count


# --- rule 5: runtime/ is not a public include directory ------------------------------------------------------

def cmake_commands(text):
    """(name, argument text, line) of each command of a CMake file, comments removed."""
    text = re.sub(r'#\[(=*)\[.*?\]\1\]', lambda m: '\n' * m.group(0).count('\n'), text, flags=re.S)
    text = re.sub(r'(?m)#.*$', '', text)
    command = re.compile(r'\b([A-Za-z_]\w*)[ \t]*\(')
    pos = 0
    while True:
        m = command.search(text, pos)
        if m is None:
            return
        depth, k = 1, m.end()
        while k < len(text) and depth:
            if text[k] == '"':  # a quoted argument: its parentheses do not count
                end = text.find('"', k + 1)
                while end > 0 and text[end - 1] == '\\':
                    end = text.find('"', end + 1)
                k = len(text) if end < 0 else end + 1
                continue
            depth += {'(': 1, ')': -1}.get(text[k], 0)
            k += 1
        yield m.group(1).lower(), text[m.end():k - 1], text.count('\n', 0, m.start()) + 1
        pos = k


def include_dir_path(root, cmake_dir, item):
    """An include directory argument as a path, or None when it is an install path or cannot be known."""
    if item.startswith('$<INSTALL_INTERFACE:'):
        return None
    item = re.sub(r'^\$<BUILD_INTERFACE:(.*)>$', r'\1', item.strip('"'))
    for var in ('PROJECT_SOURCE_DIR', 'CMAKE_SOURCE_DIR', 'shardlab_SOURCE_DIR'):
        item = item.replace('${' + var + '}', root)
    for var in ('CMAKE_CURRENT_SOURCE_DIR', 'CMAKE_CURRENT_LIST_DIR'):
        item = item.replace('${' + var + '}', cmake_dir)
    if '$' in item:
        return None
    return os.path.normpath(os.path.join(cmake_dir, item))


def check_cmake(root, report):
    files = [p for p in source_files(root, '', ('CMakeLists.txt',)) if os.path.basename(p) == 'CMakeLists.txt']
    parsed = []
    executables = set()
    for path in files:
        with open(path, encoding='utf-8', errors='replace') as f:
            commands = list(cmake_commands(f.read()))
        parsed.append((path, commands))
        executables |= {args.split()[0] for name, args, _ in commands if name == 'add_executable' and args.split()}
    runtime = os.path.join(root, 'runtime')
    for path, commands in parsed:
        for name, args, line in commands:
            words = re.findall(r'"[^"]*"|\S+', args)
            if not words:
                continue
            if name == 'target_include_directories':
                if words[0] in executables:  # an executable's include directories reach no one
                    continue
                scope = None
                for word in words[1:]:
                    if word in ('PUBLIC', 'INTERFACE', 'PRIVATE'):
                        scope = word
                    elif word in ('SYSTEM', 'BEFORE', 'AFTER'):
                        continue
                    elif scope in ('PUBLIC', 'INTERFACE'):
                        target = include_dir_path(root, os.path.dirname(path), word)
                        if target is not None and under(target, runtime):
                            report.add(rel(root, path), line, 'public-runtime-include',
                                       f'{words[0]} makes {rel(root, target)}/ a {scope} include directory: every '
                                       'target that links it could include the internal headers there')
            elif name in ('set_property', 'set_target_properties') and 'INTERFACE_INCLUDE_DIRECTORIES' in words:
                for word in words[words.index('INTERFACE_INCLUDE_DIRECTORIES') + 1:]:
                    target = include_dir_path(root, os.path.dirname(path), word)
                    if target is not None and under(target, runtime):
                        report.add(rel(root, path), line, 'public-runtime-include',
                                   f'INTERFACE_INCLUDE_DIRECTORIES names {rel(root, target)}/: every target that '
                                   'links it could include the internal headers there')
    return len(files)


def main(argv):
    args, nm = [], 'nm'
    i = 0
    while i < len(argv):
        if argv[i] == '--nm' and i + 1 < len(argv):
            nm = argv[i + 1]
            i += 2
            continue
        args.append(argv[i])
        i += 1
    if len(args) not in (1, 2) or not os.path.isdir(args[0]):
        print(__doc__.strip().split('\n\n')[1], file=sys.stderr)
        return 2
    root = os.path.abspath(args[0])
    report = Report()
    nfiles, nincludes = check_includes(root, report)
    if len(args) == 2:
        nsymbols = check_symbols(root, args[1], nm, report)
        symbols = f'{nsymbols} external symbols in {len(LIBRARIES)} libraries'
    else:
        symbols = 'symbol-prefix skipped (no build dir given)'
    nfunctions = check_function_length(root, report)
    ncmake = check_cmake(root, report)
    nprivate = check_internal_names(root, report)
    for path, line, rule, text in report.violations:
        print(f'{path}:{line}: {rule}: {text}')
    summary = (f'{nincludes} includes in {nfiles} files, {symbols}, {nfunctions} functions, '
               f'{ncmake} CMakeLists.txt, {nprivate} private declarations')
    if report.violations:
        print(f'check_rules: {len(report.violations)} violations ({summary})', file=sys.stderr)
        return 1
    print(f'check_rules: OK: {summary}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
