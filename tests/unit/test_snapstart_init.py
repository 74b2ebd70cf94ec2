"""SnapStart (ADR 0024): nothing unique is created while a function initialises (it would be shared by every
restored copy), and the template gives every function SnapStart and an alias."""

from __future__ import annotations

import ast
from pathlib import Path

from gtvision_local.template import load_yaml

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "gtvision" / "python" / "gtvision"
UNIQUE = {
    *(("uuid", f) for f in ("uuid1", "uuid4")),
    ("os", "urandom"),
    *(("secrets", f) for f in ("token_hex", "token_bytes", "token_urlsafe")),
    *(("random", f) for f in ("random", "randint", "getrandbits")),
}


def _module_level_calls(tree: ast.Module) -> list[tuple[str, str]]:
    """(module, function) of every call run when the module is imported (not inside a def or lambda)."""
    found: list[tuple[str, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            return
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner = node.func.value
            if isinstance(owner, ast.Name):
                found.append((owner.id, node.func.attr))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def test_the_checker_sees_a_unique_value_made_at_import() -> None:
    tree = ast.parse("import uuid\nNODE = uuid.uuid4()\ndef later():\n    return uuid.uuid4()\n")
    assert [c for c in _module_level_calls(tree) if c in UNIQUE] == [("uuid", "uuid4")]


def test_no_layer_or_handler_module_makes_ids_nonces_or_keys_at_import() -> None:
    files = [*LAYER.rglob("*.py"), *ROOT.glob("functions/*/handler.py"), ROOT / "functions/api/app.py"]
    offenders = {
        str(f.relative_to(ROOT)): calls
        for f in files
        if (calls := [c for c in _module_level_calls(ast.parse(f.read_text(encoding="utf-8"))) if c in UNIQUE])
    }
    assert offenders == {}


def test_every_function_has_snapstart_and_the_live_alias_unless_lambda_forbids_it() -> None:
    doc = load_yaml((ROOT / "template.yaml").read_text(encoding="utf-8"))
    glob = doc["Globals"]["Function"]
    assert glob["AutoPublishAlias"] == "live" and glob["SnapStart"] == {"ApplyOn": "PublishedVersions"}
    functions = {k: v["Properties"] for k, v in doc["Resources"].items() if v["Type"] == "AWS::Serverless::Function"}
    assert len(functions) >= 10
    for name, props in functions.items():
        assert props.get("AutoPublishAlias", "live") == "live", name
        big_scratch = (props.get("EphemeralStorage") or {}).get("Size", 512) > 512
        image = props.get("PackageType") == "Image"
        # Lambda refuses SnapStart with more than 512 MB of /tmp and on container images: only those opt out
        expected = {"ApplyOn": "None"} if big_scratch or image else {"ApplyOn": "PublishedVersions"}
        assert props.get("SnapStart", glob["SnapStart"]) == expected, name


def test_the_websocket_api_invokes_the_alias() -> None:
    doc = load_yaml((ROOT / "template.yaml").read_text(encoding="utf-8"))
    resources = doc["Resources"]
    uri = str(resources["EventsSocketIntegration"]["Properties"]["IntegrationUri"])
    assert "${EventsSocketFunctionAliaslive}" in uri
    assert resources["EventsSocketPermission"]["Properties"]["FunctionName"] == {"Ref": "EventsSocketFunctionAliaslive"}
