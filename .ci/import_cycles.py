#!/usr/bin/env python3
"""Fails when the files of a Rust crate import each other in a cycle.

Usage: import_cycles.py SRC_DIR [SRC_DIR ...]   (each the `src` of one crate)

Every `crate::`, `super::` and `self::` path in a file (in `use` lines and inline) is an
edge from that file to the file of the module it names; a name re-exported with `pub use`
leads on to the file that defines it. A `mod` declaration is not an import, and a file's
unit tests (`#[cfg(test)] mod tests` at its end) are left out: tests sit above the code they
test and may use the test doubles, which use that code too. Prints each
cycle found, file by file, and exits 1 when there is one.
"""

import re
import sys
from pathlib import Path

PATH = re.compile(r"\b(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)+)")
USE_GROUP = re.compile(r"\buse\s+(crate|super|self)((?:::[A-Za-z_][A-Za-z0-9_]*)*)::\{([^;]*)\};", re.S)
PUB_USE = re.compile(r"^\s*pub(?:\(crate\))?\s+use\s+([^;]+);", re.M)
LINE_COMMENT = re.compile(r"//[^\n]*")
TESTS = re.compile(r"^#\[cfg\(test\)\]\s*\n\s*(?:pub(?:\([a-z]+\))?\s+)?mod tests\b.*", re.M | re.S)
CHILD_MOD = re.compile(r"^\s*(?:pub(?:\([a-z]+\))?\s+)?mod\s+([a-z_][a-z0-9_]*)\s*;", re.M)


def module_of(root: Path, file: Path) -> list[str]:
    """The module path of `file` below the crate root `root`."""
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts and parts[-1] in ("mod", "lib", "main"):
        parts.pop()
    return parts


def file_of(root: Path, module: list[str]) -> Path | None:
    if not module:
        for name in ("lib.rs", "main.rs"):
            if (root / name).exists():
                return root / name
        return None
    base = root.joinpath(*module)
    for candidate in (base.with_suffix(".rs"), base / "mod.rs"):
        if candidate.exists():
            return candidate
    return None


def absolute(current: list[str], is_mod_file: bool, head: str, rest: list[str]) -> list[str]:
    here = current if is_mod_file else current
    if head == "crate":
        return rest
    if head == "self":
        return here + rest
    # `super` of a file's module is its parent module.
    return here[:-1] + rest


def expand(text: str) -> list[tuple[str, list[str]]]:
    """Every path the text names: (head, segments)."""
    paths = []
    for match in USE_GROUP.finditer(text):
        head, prefix, group = match.group(1), match.group(2), match.group(3)
        base = [s for s in prefix.split("::") if s]
        for item in re.split(r"[,{}]", group):
            item = item.strip().split(" as ")[0].strip()
            if not item or item == "*":
                paths.append((head, base))
                continue
            paths.append((head, base + [s for s in item.split("::") if s and s != "self"]))
    for match in PATH.finditer(text):
        paths.append((match.group(1), [s for s in match.group(2).split("::") if s]))
    return paths


def reexports(text: str) -> dict[str, tuple[str, list[str]]]:
    """Names a file re-exports: name -> (head, path of the original)."""
    found = {}
    for match in PUB_USE.finditer(text):
        body = match.group(1).strip()
        group = re.match(r"((?:crate|super|self)?(?:::)?[\w:]*?)::\{(.*)\}$", body, re.S)
        items = []
        if group:
            prefix = [s for s in group.group(1).split("::") if s]
            for item in group.group(2).split(","):
                item = item.strip()
                if item:
                    items.append(prefix + [s for s in item.split(" as ")[0].split("::") if s])
        else:
            items.append([s for s in body.split(" as ")[0].split("::") if s])
        for path in items:
            head = path[0] if path and path[0] in ("crate", "super", "self") else "self"
            rest = path[1:] if path and path[0] in ("crate", "super", "self") else path
            if rest:
                found[rest[-1]] = (head, rest)
    return found


def graph(root: Path) -> dict[Path, set[Path]]:
    files = sorted(root.rglob("*.rs"))
    texts = {f: TESTS.sub("", LINE_COMMENT.sub("", f.read_text())) for f in files}
    exported = {f: reexports(t) for f, t in texts.items()}

    def resolve(module: list[str], depth: int = 0) -> Path | None:
        for cut in range(len(module), -1, -1):
            target = file_of(root, module[:cut])
            if target is None:
                continue
            rest = module[cut:]
            if rest and rest[0] in exported.get(target, {}) and depth < 8:
                head, path = exported[target][rest[0]]
                origin = absolute(module_of(root, target), True, head, path)
                if origin[:cut] != module[:cut] or origin != module[: len(origin)]:
                    return resolve(origin + rest[1:], depth + 1) or target
            return target
        return None

    edges: dict[Path, set[Path]] = {f: set() for f in files}
    for f, text in texts.items():
        current = module_of(root, f)
        paths = expand(text)
        # A child module named without a prefix (`use walk::Walker;`, `errors::parse(...)`).
        for child in CHILD_MOD.findall(text):
            for match in re.finditer(rf"(?<![:\w]){child}((?:::[A-Za-z_][A-Za-z0-9_]*)+)", text):
                paths.append(("self", [child] + [s for s in match.group(1).split("::") if s]))
        for head, rest in paths:
            target = resolve(absolute(current, True, head, rest))
            if target is not None and target != f:
                edges[f].add(target)
    return edges


def cycles(edges: dict[Path, set[Path]]) -> list[list[Path]]:
    """The strongly connected components with more than one file (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in edges:
        if v not in index:
            visit(v)
    return found


def main() -> int:
    failed = False
    for arg in sys.argv[1:]:
        root = Path(arg)
        edges = graph(root)
        for component in cycles(edges):
            failed = True
            names = ", ".join(str(p.relative_to(root)) for p in component)
            print(f"{root}: import cycle among {len(component)} files: {names}")
            members = set(component)
            for p in component:
                inside = sorted(str(q.relative_to(root)) for q in edges[p] & members)
                print(f"    {p.relative_to(root)} -> {', '.join(inside)}")
    if not failed:
        print(f"no import cycle in {', '.join(sys.argv[1:])}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
