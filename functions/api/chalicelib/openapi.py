"""The OpenAPI 3.1 document, built from the app's own routes and the pydantic models of `contract`, so it
cannot drift from them: every route with its path and query parameters, request body and response schemas.

`gtvision openapi` (or `make openapi`) writes it to `docs/openapi.json`; a test keeps that file equal to
what `/v1/openapi.json` serves.
"""

from __future__ import annotations

import inspect
import json
import re
from typing import Any, cast

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, models_json_schema

from chalicelib.proxy import ProxyChalice
from chalicelib.schemas import ErrorOut

VERSION = "1.1.0"
REF = "#/components/schemas/{model}"
_STATUS_TEXT = {200: "OK", 201: "Criado", 202: "Aceito", 204: "Sem conteúdo", 302: "Redirecionamento"}


class _Names(GenerateJsonSchema):
    """Component names as the document has always had them. Pydantic names a model by its module path only when
    two features have models of one name (`lpr` and `audit` each have a `PlateReadOut`); the API's models moved
    from a feature's `schemas` to its `api_schemas` (ADR 0029) keep the names they had."""

    def normalize_name(self, name: str) -> str:
        return super().normalize_name(name.replace(".api_schemas.", ".schemas."))


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the `null` branch of an optional field (absent means None)."""
    out = {k: v for k, v in schema.items() if k not in ("default", "title")}
    options = out.pop("anyOf", None)
    if options is not None:
        kept = [o for o in options if o.get("type") != "null"]
        out = {**(kept[0] if len(kept) == 1 else {"anyOf": kept}), **out}
    return out


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF, schema_generator=_Names)
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in required, "schema": _non_null(prop)}
        if "description" in prop:
            param["description"] = prop["description"]
            param["schema"].pop("description", None)
        params.append(param)
    return params


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": p,
            "in": "path",
            "required": True,
            "schema": {"type": "string", "format": "uuid"} if p.endswith("_id") else {"type": "string"},
        }
        for p in re.findall(r"{(\w+)}", path)
    ]


def _schemas(ops: list[Any]) -> tuple[dict[tuple[Any, str], dict[str, Any]], dict[str, Any]]:
    """JSON schemas of every body (validation) and response (serialization) model, with shared $defs."""
    wanted: list[tuple[type[BaseModel], Any]] = [(ErrorOut, "serialization")]
    for op in ops:
        if op.body is not None:
            wanted.append((op.body, "validation"))
        if isinstance(op.response, type):
            wanted.append((op.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(unique, ref_template=REF, schema_generator=_Names)
    return cast(dict[tuple[Any, str], dict[str, Any]], refs), defs.get("$defs", {})


def build(app: ProxyChalice, version: str = VERSION) -> dict[str, Any]:
    app.load_routes()  # every route module, including those no request has needed yet (ADR 0029)
    routes = sorted((path, method, entry) for path, methods in app.routes.items() for method, entry in methods.items())
    # Every route is declared with `routing.Api.route`, which carries its declaration on the view.
    undeclared = [f"{m} {p}" for p, m, e in routes if not hasattr(e.view_function, "__gtv_op__")]
    if undeclared:
        raise ValueError(f"routes not declared with routing.Api.route: {', '.join(undeclared)}")
    ops = [getattr(e.view_function, "__gtv_op__") for _, _, e in routes]  # noqa: B009 - set on the view at run time
    refs, components = _schemas(ops)
    error = {"description": "Erro", "content": {"application/json": {"schema": refs[(ErrorOut, "serialization")]}}}
    paths: dict[str, Any] = {}
    for (path, method, entry), op in zip(routes, ops, strict=True):
        fn = entry.view_function
        doc = inspect.getdoc(fn) or fn.__name__.replace("_", " ")
        responses: dict[str, Any] = {}
        ok: dict[str, Any] = {"description": _STATUS_TEXT.get(op.status, "OK")}
        if isinstance(op.response, type):
            ok["content"] = {"application/json": {"schema": refs[(op.response, "serialization")]}}
        elif isinstance(op.response, str):
            ok["content"] = {op.response: {"schema": {"type": "string"}}}
        responses[str(op.status)] = ok
        for status, text in op.also:
            responses[str(status)] = {"description": text}
        responses["default"] = error
        operation: dict[str, Any] = {
            "operationId": fn.__name__,
            "summary": doc.splitlines()[0],
            "parameters": _path_parameters(path) + (_query_parameters(op.query) if op.query else []),
            "responses": responses,
        }
        if op.body is not None:
            content: dict[str, Any] = {"application/json": {"schema": refs[(op.body, "validation")]}}
            content.update({media: {"schema": {"type": "string"}} for media in getattr(op, "content_types", ())})
            operation["requestBody"] = {"required": True, "content": content}
        roles = getattr(fn, "__gtv_roles__", ())
        if getattr(fn, "__gtv_auth__", True):
            operation["security"] = [{"bearer": []}]
            operation["x-roles"] = list(roles)
        paths.setdefault(path, {})[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "GT-Vision API",
            "version": version,
            "description": "Contrato público v1.1 — texto em docs/API.md; este documento é gerado das rotas.",
        },
        "servers": [{"url": "/"}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": components,
        },
        "paths": paths,
    }


def render(app: ProxyChalice) -> str:
    """The document as committed in docs/openapi.json (stable key order, trailing newline)."""
    return json.dumps(build(app), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
