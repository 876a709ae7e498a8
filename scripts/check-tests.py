#!/usr/bin/env python3
"""Fails on a test that cannot fail: every test function must assert something.

A grep-level check, run by scripts/test.sh. It reads the test functions of every suite:

  Rust     `#[test]` functions (unit, integration and proptest tests)
  Kotlin   JUnit `@Test` functions
  C        `test_*` functions of bindings/c/tests/test_*.c
  Swift    XCTest `func test*` methods of ios/Tests

and reports each whose body holds no assertion: no assertion macro or call of its language
(`assert!`, `assert_eq!`, `prop_assert!`, `.expect_err(`, `.unwrap_err(`, `assertEquals`,
`CHECK(`, `XCTAssert...`), no `#[should_panic]`, and no call to a function that asserts. A
called function asserts when it is defined in the same crate or test source tree and asserts
itself (followed through any depth of calls), or when it is named like an assertion helper
(`assert_*`, `check_*`, `expect_*`).

It also checks the meaning of `#[ignore]` in Rust: every ignore gives its reason, and a test
ignored because it "needs" an outside dependency lives in a test file that scripts/test.sh runs
with `--ignored`, so the test command cannot pass without running it.

Usage: scripts/check-tests.py [REPO_ROOT]      (Python 3 standard library only)
"""

import os
import re
import sys

from source_text import strip

# Build output and downloads anywhere; the repository's data, output and fuzzing work folders.
SKIP_DIRS = {".git", "target", "node_modules", "build", ".gradle"}
SKIP_PATHS = {"data", "out", "fuzz/work", "fuzz/artifacts", "bench/data"}

# What counts as an assertion, per language, in a function's body (comments and strings removed).
ASSERTS = {
    "rust": re.compile(
        r"\b(?:debug_)?(?:prop_)?assert(?:_eq|_ne|_matches)?!"
        r"|\.(?:expect_err|unwrap_err)\s*\("
        r"|\bprop_assume!"
    ),
    "kotlin": re.compile(r"\bassert\w*\s*[(<{]|\bfail\s*\(|\bexpect\w*\s*[(<{]"),
    "c": re.compile(r"\bCHECK\w*\s*\(|\bassert\s*\("),
    "swift": re.compile(r"\bXCT(?:Assert\w*|Fail|Unwrap|ExpectFailure)\s*\("),
}
# Helpers named as assertions count wherever they are defined.
HELPER_NAME = re.compile(r"^(?:assert|check|expect)_|^(?:assert|check|expect)[A-Z]")
CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*(?:::<[^>]*>\s*)?(?:<[^()]*>\s*)?\(")


def body_at(code, start):
    """(body, end) of the block whose `{` is the first one at or after `start` outside
    parentheses and before a `;` (None for a declaration without a body)."""
    depth, i, n = 0, start, len(code)
    while i < n:
        c = code[i]
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
        elif c == ";" and depth == 0:
            return None, i
        elif c == "=" and depth == 0 and code[i + 1:i + 2] not in ("=", ">"):
            # A Kotlin or Swift expression body: up to the end of its line, or its block.
            line_end = code.find("\n", i)
            line_end = n if line_end < 0 else line_end
            brace = code.find("{", i, line_end)
            if brace < 0:
                return code[i:line_end], line_end
            i = brace
            continue
        elif c == "{" and depth == 0:
            level, j = 0, i
            while j < n:
                if code[j] == "{":
                    level += 1
                elif code[j] == "}":
                    level -= 1
                    if level == 0:
                        return code[i:j + 1], j + 1
                j += 1
            return code[i:], n
        i += 1
    return None, n


FN_DEF = {
    "rust": re.compile(r"\bfn\s+([A-Za-z_][A-Za-z0-9_]*)"),
    "kotlin": re.compile(r"\bfun\s+(?:<[^>]*>\s*)?(?:[A-Za-z_][\w.]*\.)?(`[^`]+`|[A-Za-z_][A-Za-z0-9_]*)"),
    "c": re.compile(r"^[A-Za-z_][\w \t*]*?\b([A-Za-z_][A-Za-z0-9_]*)\s*\([^;{)]*\)\s*\{", re.M),
    "swift": re.compile(r"\bfunc\s+([A-Za-z_][A-Za-z0-9_]*)"),
}


def functions(code, lang):
    """[(name, offset, attributes_before, body)] of every function defined in `code`."""
    found = []
    for m in FN_DEF[lang].finditer(code):
        name = m.group(1)
        if lang == "c" and name in ("if", "while", "for", "switch", "return", "sizeof"):
            continue
        start = m.end() if lang != "c" else m.end() - 1
        body, _ = body_at(code, start)
        if body is None:
            continue
        # The attributes/annotations right above the definition.
        head = code[:m.start()]
        line_start = head.rfind("\n")
        prefix = head[line_start + 1:]
        above = []
        lines = head[:line_start + 1].split("\n")[:-1] if line_start >= 0 else []
        for line in reversed(lines):
            s = line.strip()
            if s.startswith(("#[", "@", "#![")) or (above and s.endswith(("]", ")")) and not s.endswith(";")):
                above.append(s)
            elif s == "":
                continue
            else:
                break
        found.append((name.strip("`"), m.start(), " ".join(reversed(above)) + " " + prefix, body))
    return found


def test_regions(path, code, lang):
    """The parts of a file that hold test code, where a test's helpers are looked up: a whole
    test file, or in Rust library code only the `#[cfg(test)]` modules (a library function
    that happens to assert is no test helper)."""
    parts = path.replace(os.sep, "/").split("/")
    if lang != "rust" or "tests" in parts[:-1] or parts[-1] in ("tests.rs", "test_support.rs") \
            or re.match(r"\s*#!\[cfg\(test\)\]", code):
        return [code]
    regions = []
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*", code):
        body, _ = body_at(code, m.end())
        if body:
            regions.append(body)
    return regions


def walk(root, exts, under=None):
    for base in ([os.path.join(root, u) for u in under] if under else [root]):
        if os.path.isfile(base):
            yield base
            continue
        for dirpath, dirnames, filenames in os.walk(base):
            dirnames[:] = [
                d for d in dirnames
                if d not in SKIP_DIRS and not d.startswith(".")
                and os.path.relpath(os.path.join(dirpath, d), root) not in SKIP_PATHS
            ]
            for f in filenames:
                if f.endswith(exts):
                    yield os.path.join(dirpath, f)


def scope_of(path, root, lang):
    """The set of files whose functions a test may call: its crate (Rust), its test source
    tree (Kotlin, Swift), or its directory (C)."""
    d = os.path.dirname(path)
    if lang == "rust":
        while d.startswith(root) and not os.path.exists(os.path.join(d, "Cargo.toml")):
            d = os.path.dirname(d)
    return d


def check(root):
    problems = []
    suites = [
        ("rust", walk(root, (".rs",))),
        ("kotlin", walk(root, (".kt",), ["bindings/kotlin/src/test", "android/src/androidTest"])),
        ("c", (p for p in walk(root, (".c",), ["bindings/c/tests"]) if os.path.basename(p).startswith("test_"))),
        ("swift", walk(root, (".swift",), ["ios/Tests"])),
    ]
    tests_count = {}
    for lang, paths in suites:
        paths = [p for p in paths if os.path.exists(p)]
        parsed = {}
        for p in paths:
            with open(p, encoding="utf-8", errors="replace") as f:
                parsed[p] = strip(f.read(), lang)
        # Per scope: which function names assert, directly or through the calls they make.
        scopes = {}
        for p, code in parsed.items():
            scopes.setdefault(scope_of(p, root, lang), []).append((p, code))
        total = 0
        for scope, files in scopes.items():
            defs = {}
            for p, code in files:
                for region in test_regions(p, code, lang):
                    for name, offset, attrs, body in functions(region, lang):
                        defs.setdefault(name, []).append(body)
                if lang == "rust":
                    for name, offset, attrs, body in functions(code, lang):
                        if "cfg(test)" in attrs:
                            defs.setdefault(name, []).append(body)
            asserting = {name for name in defs if HELPER_NAME.search(name)}
            asserting |= {name for name, bodies in defs.items() if any(ASSERTS[lang].search(b) for b in bodies)}
            changed = True
            while changed:
                changed = False
                for name, bodies in defs.items():
                    if name in asserting:
                        continue
                    if any(c in asserting for b in bodies for c in CALL.findall(b)):
                        asserting.add(name)
                        changed = True

            def asserts(body):
                if ASSERTS[lang].search(body):
                    return True
                return any(c in asserting or HELPER_NAME.search(c) for c in CALL.findall(body))

            for p, code in files:
                for name, offset, attrs, body in functions(code, lang):
                    if not is_test(lang, p, name, attrs):
                        continue
                    total += 1
                    if lang == "rust" and "should_panic" in attrs:
                        continue
                    line = code.count("\n", 0, offset) + 1
                    where = f"{os.path.relpath(p, root)}:{line}"
                    if not asserts(body):
                        problems.append(f"{where}: test `{name}` asserts nothing")
        tests_count[lang] = total
    problems += check_ignores(root)
    return problems, tests_count


def is_test(lang, path, name, attrs):
    if lang == "rust":
        return re.search(r"#\[test\]", attrs) is not None
    if lang == "kotlin":
        return re.search(r"@Test\b", attrs) is not None
    if lang == "c":
        return name.startswith("test_")
    return name.startswith("test") and "/Tests/" in path


def check_ignores(root):
    """Every Rust `#[ignore]` says why; "needs ..." ignores are in files test.sh runs."""
    with open(os.path.join(root, "scripts/test.sh"), encoding="utf-8") as f:
        test_sh = f.read()
    run_ignored = set(re.findall(r"--test\s+([A-Za-z0-9_]+)", test_sh))
    problems = []
    for p in walk(root, (".rs",)):
        with open(p, encoding="utf-8", errors="replace") as f:
            text = f.read()
        for m in re.finditer(r"^\s*#\[ignore(\s*=\s*\"([^\"]*)\")?\s*\]", text, re.M):
            line = text.count("\n", 0, m.start()) + 1
            where = f"{os.path.relpath(p, root)}:{line}"
            if not m.group(1):
                problems.append(f"{where}: #[ignore] without a reason: write #[ignore = \"why\"]")
            elif m.group(2).startswith("needs "):
                stem = os.path.splitext(os.path.basename(p))[0]
                if os.path.basename(os.path.dirname(p)) != "tests" or stem not in run_ignored:
                    problems.append(
                        f"{where}: a test that {m.group(2).split(';')[0]} is not run by scripts/test.sh: "
                        f"add `--test {stem}` to its --ignored step"
                    )
    return problems


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
    problems, counts = check(root)
    summary = ", ".join(f"{n} {lang}" for lang, n in counts.items())
    if problems:
        print("\n".join(problems))
        print(f"check-tests: {len(problems)} problem(s) in {summary} tests")
        sys.exit(1)
    print(f"check-tests: every test asserts ({summary} tests)")


if __name__ == "__main__":
    main()
