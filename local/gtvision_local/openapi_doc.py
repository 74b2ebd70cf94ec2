"""``gtvision openapi``: write (or check) ``docs/openapi.json`` from the chalice app that ``ApiFunction`` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from .routes import API_FUNCTION
from .runtime import load_module
from .template import Template

DOC = Path("docs") / "openapi.json"


def rendered(template_path: Path) -> str:
    """The document `/v1/openapi.json` serves, as committed (stable key order)."""
    module = load_module(Template(template_path).function(API_FUNCTION))
    from chalicelib import openapi  # the API function's own package, importable once its module is loaded

    return openapi.render(cast(Any, module).app)


def sync(repo: Path, *, check: bool = False) -> bool:
    """Rewrite (or, with ``check``, only compare) ``docs/openapi.json``; True when it was already current."""
    path = repo / DOC
    new = rendered(repo / "template.yaml")
    if path.exists() and path.read_text(encoding="utf-8") == new:
        return True
    if not check:
        path.write_text(new, encoding="utf-8")
    return False
