"""Figures of the code's shape, for reviews and closing notes (not a test; it prints).

    .venv/bin/python tools/architecture_figures.py [portal]

- the biggest module and the modules over 500 lines;
- functions over 60 lines of logic (blank, comment and docstring lines not counted);
- imports of portal modules made inside functions (they hide the real dependencies);
- import cycles between packages (strongly connected groups of ``portal.<package>``).
"""

from __future__ import annotations

import ast
import io
import sys
import tokenize
from collections import defaultdict
from pathlib import Path

MODULE_LINES = 500
FUNCTION_LINES = 60


def module_name(path: Path) -> str:
    parts = list(path.with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def logic_lines(source: str) -> set[int]:
    lines: set[int] = set()
    skipped = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT}
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type not in skipped and token.type != tokenize.STRING:
            lines.update(range(token.start[0], token.end[0] + 1))
    return lines


def imported_modules(node: ast.AST) -> list[str]:
    if isinstance(node, ast.ImportFrom) and node.module and not node.level:
        return [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    return []


def strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(set(edges) | {o for targets in edges.values() for o in targets}):
        if node not in index:
            visit(node)
    return groups


def main(root: Path) -> None:
    sys.setrecursionlimit(10_000)
    packages = {module_name(p) for p in root.rglob("*.py")}
    big, long_functions, local_imports = [], [], []
    edges: dict[str, set[str]] = defaultdict(set)
    for path in sorted(root.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        module = module_name(path)
        package = ".".join(module.split(".")[:2])
        big.append((len(source.splitlines()), str(path)))
        logic = logic_lines(source)
        tree = ast.parse(source)
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = sum(1 for line in logic if node.lineno <= line <= (node.end_lineno or 0))
                if size > FUNCTION_LINES:
                    long_functions.append((size, f"{path}:{node.lineno} {node.name}"))
                for inner in ast.walk(node):
                    if any(m.startswith(root.name) for m in imported_modules(inner)[:1]):
                        local_imports.append(f"{path}:{inner.lineno}")
            for target in imported_modules(node):
                if target.startswith(root.name + ".") and target in packages | {
                    ".".join(target.split(".")[:2])
                }:
                    other = ".".join(target.split(".")[:2])
                    if other != package:
                        edges[package].add(other)
    big.sort(reverse=True)
    over = [(n, p) for n, p in big if n > MODULE_LINES]
    print(f"biggest module: {big[0][1]} ({big[0][0]} lines)")
    print(f"modules over {MODULE_LINES} lines: {len(over)}")
    for n, p in over:
        print(f"  {n:5d}  {p}")
    print(f"functions over {FUNCTION_LINES} lines of logic: {len(long_functions)}")
    for n, name in sorted(long_functions, reverse=True):
        print(f"  {n:5d}  {name}")
    print(f"function-local imports of {root.name} modules: {len(local_imports)}")
    cycles = strongly_connected(edges)
    print(f"import cycles between packages: {len(cycles)}")
    for group in cycles:
        print(f"  {len(group)} packages: {', '.join(group)}")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "portal"))
