"""Every function's handler wears the same Logger/Metrics/Tracer decorators, in the same order."""

from __future__ import annotations

import ast

from gtvision_local.template import load_template

EXPECTED = [
    "logger.inject_lambda_context",
    "metrics.log_metrics",
    "tracer.capture_lambda_handler(capture_response=False)",
]


def _decorators(file: str, name: str) -> list[str]:
    tree = ast.parse(open(file, encoding="utf-8").read(), file)
    (fn,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    return [ast.unparse(d) for d in fn.decorator_list]


def test_every_handler_in_the_template_wears_the_same_observability_set() -> None:
    functions = load_template().functions()
    assert len(functions) >= 5  # the API, segment upload, clip worker, LPR ingest, retention (and any new one)
    worn = {}
    for spec in functions:
        module, _, attribute = spec.handler.rpartition(".")
        worn[spec.logical_id] = _decorators(str(spec.code_uri / f"{module.replace('.', '/')}.py"), attribute)
    assert worn == {logical_id: EXPECTED for logical_id in worn}


def test_every_handler_module_in_functions_is_a_template_function() -> None:
    # A handler file the template does not run would escape the check above.
    template = load_template()
    used = {(spec.code_uri.resolve(), spec.handler.rpartition(".")[0]) for spec in template.functions()}
    files = {
        (f.parent.resolve(), f.stem) for f in (template.root / "functions").glob("*/*.py") if f.name != "__init__.py"
    }
    assert files <= used, f"handler files not in template.yaml: {sorted(files - used)}"
