"""Keep the template's ``Api`` events equal to the chalice app's routes (``gtvision routes sync``).

The API function's module holds the chalice ``app`` (its ``Handler: app.handler`` wraps it). API
Gateway reaches it in a hand-written SAM template only when every template route matches an
``@app.route`` exactly, so the block between ``# BEGIN API ROUTES`` and ``# END API ROUTES`` is
generated from the app, never edited by hand.
"""

from __future__ import annotations

import re
from pathlib import Path

from .runtime import load_module
from .template import ApiEvent, Template

BEGIN = "# BEGIN API ROUTES"
END = "# END API ROUTES"
API_FUNCTION = "ApiFunction"


def app_routes(template: Template, function_id: str = API_FUNCTION) -> list[tuple[str, str]]:
    """``(path, METHOD)`` of every route of the chalice app that ``function_id`` runs, sorted."""
    module = load_module(template.function(function_id))
    routes = getattr(getattr(module, "app", None), "routes", None)
    if routes is None:
        raise TypeError(f"{function_id}: {module.__file__} has no chalice `app`")
    return sorted((path, method.upper()) for path, methods in routes.items() for method in methods)


def template_routes(template: Template, function_id: str = API_FUNCTION) -> list[tuple[str, str]]:
    """``(path, METHOD)`` of the ``Api`` events of ``function_id`` in the template, sorted."""
    return sorted((e.path, e.method) for e in template.function(function_id).events_of(ApiEvent))


def event_name(path: str, method: str) -> str:
    """A CloudFormation-safe name from method + path: ``GET /v1/cameras/{camera_id}`` → ``GetV1CamerasByCameraId``."""
    words = [method.capitalize()]
    for segment in (s for s in path.split("/") if s):
        param = segment.startswith("{") and segment.endswith("}")
        parts = [p for p in re.split(r"[^A-Za-z0-9]+", segment) if p]
        words.append(("By" if param else "") + "".join(p[:1].upper() + p[1:] for p in parts))
    return "".join(words)


def render_block(routes: list[tuple[str, str]], indent: str) -> list[str]:
    lines: list[str] = []
    used: set[str] = set()
    for path, method in routes:
        name = base = event_name(path, method)
        n = 2
        while name in used:
            name, n = f"{base}{n}", n + 1
        used.add(name)
        lines += [
            f"{indent}{name}:",
            f"{indent}  Type: Api",
            f"{indent}  Properties:",
            f"{indent}    Path: {path}",
            f"{indent}    Method: {method.lower()}",
        ]
    return lines


def synced_text(text: str, routes: list[tuple[str, str]]) -> str:
    """``text`` with the block between the markers replaced by one ``Api`` event per route."""
    lines = text.splitlines()
    try:
        begin = next(i for i, line in enumerate(lines) if BEGIN in line)
        end = next(i for i, line in enumerate(lines) if END in line and i > begin)
    except StopIteration:
        raise ValueError(f"template has no '{BEGIN}' ... '{END}' block") from None
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    new = lines[: begin + 1] + render_block(routes, indent) + lines[end:]
    return "\n".join(new) + ("\n" if text.endswith("\n") else "")


def sync(template_path: Path, *, check: bool = False) -> bool:
    """Rewrite (or, with ``check``, only compare) the routes block; returns True when already in sync."""
    template = Template(template_path)
    text = template_path.read_text(encoding="utf-8")
    new = synced_text(text, app_routes(template))
    if new == text:
        return True
    if not check:
        template_path.write_text(new, encoding="utf-8")
    return False
