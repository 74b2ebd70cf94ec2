"""The codebase's shape, checked: no import cycle in gtvision/gtvision_local, no oversized source file."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "gtvision": ROOT / "layers" / "gtvision" / "python" / "gtvision",
    "gtvision_local": ROOT / "local" / "gtvision_local",
}
MAX_LINES = 400


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of both packages."""
    out: dict[str, Path] = {}
    for package, base in PACKAGES.items():
        for file in base.rglob("*.py"):
            parts = [package, *file.relative_to(base).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = file
    return out


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement run at some point (module level or inside functions), except typing-only ones."""
    found: list[ast.Import | ast.ImportFrom] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _type_checking_only(node):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            found.append(node)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the package modules it imports (a `from package import name` of a submodule names it)."""
    modules = _modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, file in modules.items():
        is_package = file.name == "__init__.py"
        for node in _imports(ast.parse(file.read_text(encoding="utf-8"), str(file))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                if node.level:
                    anchor = name.split(".")
                    anchor = anchor[: len(anchor) - node.level + (1 if is_package else 0)]
                    base = ".".join(anchor + ([node.module] if node.module else []))
                else:
                    base = node.module or ""
                subs = [f"{base}.{alias.name}" for alias in node.names]
                targets = [sub if sub in modules else base for sub in subs]
            for target in targets:
                while target and target not in modules:  # `import gtvision.x.y` of an attribute: its module
                    target = target.rpartition(".")[0]
                if target and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import cycle as a path ``[a, b, ..., a]``, or None."""
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_the_cycle_finder_sees_a_cycle() -> None:
    # The check itself can fail: a loop like the old demo → recorder → stack → demo is reported
    graph = {"demo": {"recorder"}, "recorder": {"stack"}, "stack": {"demo", "runtime"}, "runtime": set()}
    assert find_cycle(graph) == ["demo", "recorder", "stack", "demo"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_no_import_cycle_in_gtvision_or_gtvision_local() -> None:
    graph = import_graph()
    # The walk sees real edges (guards against a graph that is empty by mistake)
    assert "gtvision.lpr.store" in graph["gtvision.lpr.ingest"]
    assert "gtvision_local.sqs" in graph["gtvision_local.runtime"]
    assert find_cycle(graph) is None


def test_no_source_file_in_layers_or_local_is_over_400_lines() -> None:
    files = [*(ROOT / "layers").rglob("*.py"), *(ROOT / "local").rglob("*.py")]
    assert files
    too_long = {
        str(f.relative_to(ROOT)): n for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert too_long == {}


def _handler_modules() -> list[Path]:
    return sorted([*ROOT.glob("functions/*/handler.py"), ROOT / "functions" / "api" / "app.py"])


def _third_party_or_ours(node: ast.Import | ast.ImportFrom) -> list[str]:
    names = [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
    return [n for n in names if n.split(".")[0] not in sys.stdlib_module_names and n != "gtvision.core.coldstart"]


def _pauses_gc(node: ast.With) -> bool:
    calls = [i.context_expr for i in node.items if isinstance(i.context_expr, ast.Call)]
    return any(getattr(c.func, "id", "") == "imports_without_gc" for c in calls)


def test_every_handler_imports_its_packages_with_the_gc_paused() -> None:
    """ADR 0020: a handler's imports (everything but the standard library) sit in `with imports_without_gc():`."""
    assert len(_handler_modules()) >= 10
    for file in _handler_modules():
        tree = ast.parse(file.read_text(encoding="utf-8"), str(file))
        outside = [
            name
            for node in tree.body
            if isinstance(node, ast.Import | ast.ImportFrom)
            for name in _third_party_or_ours(node)
        ]
        assert outside == [], f"{file.relative_to(ROOT)} imports {outside} outside imports_without_gc()"
        blocks = [node for node in tree.body if isinstance(node, ast.With) and _pauses_gc(node)]
        assert len(blocks) == 1, f"{file.relative_to(ROOT)}: one `with imports_without_gc():` block expected"
        assert any(isinstance(n, ast.ImportFrom) and (n.module or "").startswith("gtvision") for n in blocks[0].body)
