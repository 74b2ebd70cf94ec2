"""The codebase's shape, checked (ADR 0022): feature packages that import only what the rules allow, stores
imported only inside their feature, no import cycle (typing-only imports included), no oversized file."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = {
    "gtvision": ROOT / "layers" / "gtvision" / "python" / "gtvision",
    "gtvision_local": ROOT / "local" / "gtvision_local",
    "chalicelib": ROOT / "functions" / "api" / "chalicelib",
}
MAX_LINES = 400
#: Packages of the layer that are not features.
FOUNDATIONS = ("core", "media")


def _modules() -> dict[str, Path]:
    """Dotted module name → file, for every module of the packages and every function's handler module."""
    out: dict[str, Path] = {}
    for package, base in PACKAGES.items():
        for file in base.rglob("*.py"):
            parts = [package, *file.relative_to(base).with_suffix("").parts]
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join(parts)] = file
    for file in [*ROOT.glob("functions/*/handler.py"), ROOT / "functions" / "api" / "app.py"]:
        out[f"functions.{file.parent.name}.{file.stem}"] = file
    return out


def _imports(tree: ast.AST) -> list[ast.Import | ast.ImportFrom]:
    """Every import statement, wherever it is (module level, functions, `if TYPE_CHECKING:` blocks)."""
    return [node for node in ast.walk(tree) if isinstance(node, ast.Import | ast.ImportFrom)]


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module → the modules it imports (a `from package import name` of a submodule names it)."""
    modules = modules if modules is not None else _modules()
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


def _feature(module: str) -> str | None:
    """`gtvision.clips.store` → `clips`; None outside the layer."""
    parts = module.split(".")
    return parts[1] if parts[0] == "gtvision" and len(parts) > 1 else None


def _is_store(module: str) -> bool:
    parts = module.split(".")
    return parts[0] == "gtvision" and len(parts) > 2 and parts[2] == "store"


def violations(graph: dict[str, set[str]]) -> set[tuple[str, str, str]]:
    """(importer, imported, rule) for every import the layout's rules forbid (ADR 0022)."""
    found: set[tuple[str, str, str]] = set()
    for module, deps in graph.items():
        here = _feature(module)
        for dep in deps:
            there = _feature(dep)
            if here == "core" and dep.split(".")[0] != "gtvision":
                continue
            if here == "core" and there != "core":
                found.add((module, dep, "core imports only core"))
            elif here == "media" and there not in FOUNDATIONS:
                found.add((module, dep, "media imports only core and media"))
            elif _is_store(dep) and here != there:
                found.add((module, dep, "a store is imported only inside its feature"))
            elif here is not None and dep.split(".")[0] in ("chalicelib", "gtvision_local", "functions"):
                found.add((module, dep, "the layer imports neither the API function nor the local runtime"))
    return found


#: Imports that break the rules today, each to be removed (a test fails once one is gone, so the list shrinks).
KNOWN_VIOLATIONS: set[tuple[str, str, str]] = set()


def test_the_cycle_finder_sees_a_cycle() -> None:
    # The check itself can fail: a loop like the old demo → recorder → stack → demo is reported
    graph = {"demo": {"recorder"}, "recorder": {"stack"}, "stack": {"demo", "runtime"}, "runtime": set()}
    assert find_cycle(graph) == ["demo", "recorder", "stack", "demo"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_each_rule_fails_on_a_planted_violation() -> None:
    planted = {
        "gtvision.core.db": {"gtvision.clips.service"},
        "gtvision.media.ffmpeg": {"gtvision.recordings.service"},
        "gtvision.clips.service": {"gtvision.recordings.store", "gtvision.clips.store", "gtvision.core.db"},
        "chalicelib.routes.clips": {"gtvision.clips.store", "gtvision.clips.service"},
        "functions.clip_worker.handler": {"gtvision.tenancy.store.users"},
        "gtvision.lpr.ingest": {"chalicelib.routing"},
    }
    assert {(a, b) for a, b, _ in violations(planted)} == {
        ("gtvision.core.db", "gtvision.clips.service"),
        ("gtvision.media.ffmpeg", "gtvision.recordings.service"),
        ("gtvision.clips.service", "gtvision.recordings.store"),
        ("chalicelib.routes.clips", "gtvision.clips.store"),
        ("functions.clip_worker.handler", "gtvision.tenancy.store.users"),
        ("gtvision.lpr.ingest", "chalicelib.routing"),
    }


def test_the_planted_files_break_the_real_checks(tmp_path: Path) -> None:
    """The walk over files sees a typing-only cycle and a file over the limit."""
    (tmp_path / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import b\n")
    (tmp_path / "b.py").write_text("import a\n" + "x = 1\n" * (MAX_LINES + 1))
    graph = import_graph({"a": tmp_path / "a.py", "b": tmp_path / "b.py"})
    assert find_cycle(graph) in (["a", "b", "a"], ["b", "a", "b"])
    assert _too_long([tmp_path / "a.py", tmp_path / "b.py"]) == {str(tmp_path / "b.py"): MAX_LINES + 2}


def test_the_layout_rules_hold() -> None:
    graph = import_graph()
    # The walk sees real edges (guards against a graph that is empty by mistake)
    assert "gtvision.lpr.store" in graph["gtvision.lpr.ingest"]
    assert "gtvision.clips.service" in graph["chalicelib.routes.clips"]
    assert "gtvision.clips.worker" in graph["functions.clip_worker.handler"]
    found = violations(graph)
    assert found - KNOWN_VIOLATIONS == set(), "imports against ADR 0022's rules"
    assert KNOWN_VIOLATIONS - found == set(), "fixed: remove from KNOWN_VIOLATIONS"


def test_no_import_cycle_anywhere() -> None:
    graph = import_graph()
    assert "gtvision_local.sqs" in graph["gtvision_local.runtime"]
    assert find_cycle(graph) is None


def _too_long(files: list[Path]) -> dict[str, int]:
    return {str(f): n for f in files if (n := len(f.read_text(encoding="utf-8").splitlines())) > MAX_LINES}


def test_no_source_file_in_layers_local_or_functions_is_over_400_lines() -> None:
    files = [f for d in ("layers", "local", "functions") for f in (ROOT / d).rglob("*.py")]
    assert len(files) > 100
    assert _too_long(files) == {}


def test_the_layer_imports_no_chalice() -> None:
    layer = PACKAGES["gtvision"]
    offenders = [
        str(f.relative_to(ROOT))
        for f in layer.rglob("*.py")
        for node in _imports(ast.parse(f.read_text(encoding="utf-8")))
        if any(n.split(".")[0] == "chalice" for n in _names(node))
    ]
    assert offenders == []
    assert not (layer / "console").exists(), "the console is the API function's (functions/api/chalicelib/console)"


def _names(node: ast.Import | ast.ImportFrom) -> list[str]:
    return [node.module or ""] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]


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
