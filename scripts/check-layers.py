#!/usr/bin/env python3
"""Checks that each crate's modules respect its layers and that no modules import each other.

Each checked crate has a LAYERS file beside its Cargo.toml: one layer per line, bottom first,
naming the crate's top-level modules (`src/NAME.rs` or `src/NAME/`); names on one line share a
layer. A module may use modules of its own layer or of layers below it, never above.

Across every file of the crate (top-level modules, their folders, tests beside them), no two
modules may reach each other, directly or through others: the module graph has no cycle. A
file `x/y.rs` beside `x.rs` (tests and helpers of `x`) counts as part of `x`; a folder's
`mod.rs` and the files under it are separate modules, and a parent and its own descendants
may refer to each other (a `mod.rs` re-exports its children, a child names its parent's items).

Only code counts: comments (doc links included) and string literals are ignored. References are
the paths `crate::a::b`, `super::a`, `self::a`, and within a file the names of the modules it
declares (`mod a;` then `a::f()`).

Usage: scripts/check-layers.py [CRATE_DIR ...]   (default: every folder with a LAYERS file)
Exit status 1 lists every upward import and every cycle, each with the file and line.
"""

import re
import sys
from pathlib import Path

from source_text import strip

ROOT = Path(__file__).resolve().parent.parent


class Crate:
    def __init__(self, folder):
        self.folder = folder
        self.src = folder / "src"
        layers_file = folder / "LAYERS"
        self.layer_of = {}
        for index, line in enumerate(layers_file.read_text().splitlines()):
            for name in line.split("#")[0].split():
                self.layer_of[name] = index
        self.files = sorted(p for p in self.src.rglob("*.rs") if "bin" not in p.relative_to(self.src).parts[:1])

    def module_path(self, file):
        """The module path of a file: src/a/b.rs and src/a/b/mod.rs are ("a", "b")."""
        parts = list(file.relative_to(self.src).with_suffix("").parts)
        if parts[-1] == "mod" or (len(parts) == 1 and parts[0] in ("lib", "main")):
            parts = parts[:-1]
        return tuple(parts)

    def unit(self, path):
        """The module a path belongs to for cycle checks: the longest prefix that is a module file,
        with files beside a `x.rs` (its private children) folded into `x`."""
        modules = self.modules
        best = ()
        for k in range(len(path), -1, -1):
            if path[:k] in modules:
                best = path[:k]
                break
        # Fold children of a non-mod.rs file into it.
        for k in range(1, len(best) + 1):
            prefix = best[:k]
            if prefix in modules and modules[prefix].name != "mod.rs" and len(prefix) < len(best):
                return prefix
        return best

    def root_names(self):
        """Items the crate root re-exports (`pub use a::b::{X, Y}` in lib.rs), by name: a path
        `crate::X` reaches the module that defines `X`."""
        names = {}
        for root in ("lib.rs", "main.rs"):
            f = self.src / root
            if not f.exists():
                continue
            text = strip(f.read_text(), "rust")
            for m in re.finditer(r"pub\s+use\s+([a-z_][a-z0-9_:]*?)(?:::\{([^}]*)\}|::([A-Za-z_][A-Za-z0-9_]*)(?:\s+as\s+([A-Za-z_][A-Za-z0-9_]*))?)\s*;", text):
                head = tuple(m.group(1).split("::"))
                items = [m.group(2)] if m.group(2) is not None else [m.group(3) + (" as " + m.group(4) if m.group(4) else "")]
                for item in ",".join(items).split(","):
                    item = item.strip()
                    if not item:
                        continue
                    name, _, alias = item.partition(" as ")
                    names[(alias or name).strip()] = head + (name.strip(),)
        return names

    def check(self):
        self.modules = {self.module_path(f): f for f in self.files}
        self.reexports = self.root_names()
        self.top = self.top_level()
        problems = []
        edges = {}
        for file in self.files:
            here = self.module_path(file)
            src_unit = self.unit(here)
            text = strip(file.read_text(), "rust")
            declared = set(re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", text, re.M))
            # Inline `mod tests { ... }` blocks are part of this file.
            for lineno, line in enumerate(text.splitlines(), 1):
                for target in self.references(here, line, declared, file):
                    dst_unit = self.unit(target)
                    if not dst_unit or dst_unit == src_unit:
                        continue
                    problems += self.layer_problem(file, lineno, here, target)
                    if related(src_unit, dst_unit):
                        continue
                    edges.setdefault(src_unit, {}).setdefault(dst_unit, (file, lineno))
        problems += self.cycles(edges)
        return problems

    def references(self, here, line, declared, file):
        """Module paths a line refers to."""
        for m in re.finditer(r"(?<![A-Za-z0-9_:])((?:crate|super|self)(?:::[A-Za-z_][A-Za-z0-9_]*)+|(?:crate|super|self)::\{[^}]*\})", line):
            yield from self.expand(here, file, m.group(1))
        for m in re.finditer(r"(?<![A-Za-z0-9_:])([a-z_][a-z0-9_]*)::", line):
            if m.group(1) in declared:
                yield here + (m.group(1),)

    def expand(self, here, file, path):
        if "{" in path:
            head, inner = path.split("::{", 1)
            for part in inner.rstrip("}").split(","):
                part = part.strip().split(" as ")[0].strip()
                if part and part != "self":
                    yield from self.expand(here, file, head + "::" + part)
                elif part == "self":
                    yield from self.expand(here, file, head)
            return
        parts = path.split("::")
        if parts[0] == "crate":
            rest = parts[1:]
            if rest and rest[0] in self.reexports:
                rest = list(self.reexports[rest[0]]) + rest[1:]
            yield tuple(rest)
            return
        # `super` is relative to the module the file defines; a non-mod.rs file's module is itself.
        current = list(here)
        while parts and parts[0] in ("super", "self"):
            if parts[0] == "super":
                current = current[:-1]
            parts = parts[1:]
        yield tuple(current + parts)

    def layer_problem(self, file, lineno, here, target):
        if not here or not target:
            return []
        src, dst = here[0], target[0]
        if src == dst or dst not in self.layer_of and dst not in self.top:
            return []
        if src not in self.layer_of:
            return [f"{file.relative_to(ROOT)}: top-level module `{src}` is missing from {self.folder.relative_to(ROOT)}/LAYERS"]
        if dst not in self.layer_of:
            return [f"{file.relative_to(ROOT)}:{lineno}: `{dst}` is missing from {self.folder.relative_to(ROOT)}/LAYERS"]
        if self.layer_of[dst] > self.layer_of[src]:
            return [f"{file.relative_to(ROOT)}:{lineno}: `{src}` (layer {self.layer_of[src]}) uses `{'::'.join(target)}` from a higher layer ({self.layer_of[dst]})"]
        return []

    def top_level(self):
        return {p[0] for p in self.modules if p}

    def cycles(self, edges):
        """Every strongly connected component of more than one module, with one edge of each."""
        index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

        def visit(v):
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in edges.get(v, {}):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    out.append(comp)

        sys.setrecursionlimit(10000)
        for v in list(edges):
            if v not in index:
                visit(v)
        problems = []
        for comp in out:
            names = sorted("::".join(c) for c in comp)
            detail = []
            for a in comp:
                for b, (file, lineno) in edges.get(a, {}).items():
                    if b in comp:
                        detail.append(f"    {'::'.join(a)} -> {'::'.join(b)} ({file.relative_to(ROOT)}:{lineno})")
            problems.append(f"{self.folder.relative_to(ROOT)}: import cycle among {', '.join(names)}:\n" + "\n".join(sorted(detail)))
        return problems


def related(a, b):
    """Whether one module is the other's ancestor."""
    return a[: len(b)] == b or b[: len(a)] == a


def main(argv):
    folders = [Path(a).resolve() for a in argv] or sorted(p.parent for p in ROOT.glob("*/LAYERS")) + sorted(p.parent for p in ROOT.glob("*/*/LAYERS"))
    if not folders:
        print("check-layers: no LAYERS file found", file=sys.stderr)
        return 1
    problems = []
    for folder in folders:
        crate = Crate(folder)
        found = crate.check()
        missing = sorted(crate.top_level() - set(crate.layer_of) - {"tests"})
        found += [f"{folder.relative_to(ROOT)}/LAYERS: top-level module `{m}` has no layer" for m in missing]
        print(f"check-layers: {folder.relative_to(ROOT)}: {len(crate.files)} files, {len(found)} problems")
        problems += found
    for p in problems:
        print(p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
