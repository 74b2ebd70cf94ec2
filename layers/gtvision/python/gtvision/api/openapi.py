"""The OpenAPI 3 document, built from the app's own routes so it cannot drift from them."""

from __future__ import annotations

import inspect
import re
from typing import Any

from chalice import Chalice

_ERROR = {
    "type": "object",
    "properties": {
        "error": {"type": "object", "properties": {"code": {"type": "string"}, "message": {"type": "string"}}}
    },
}


def build(app: Chalice, version: str = "1.0.0") -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for path, methods in sorted(app.routes.items()):
        item: dict[str, Any] = {}
        params = re.findall(r"{(\w+)}", path)
        for method, entry in sorted(methods.items()):
            fn = entry.view_function
            doc = inspect.getdoc(fn) or fn.__name__.replace("_", " ")
            public = not getattr(fn, "__gtv_auth__", True)
            op: dict[str, Any] = {
                "operationId": fn.__name__,
                "summary": doc.splitlines()[0],
                "parameters": [
                    {
                        "name": p,
                        "in": "path",
                        "required": True,
                        "schema": {"type": "string", "format": "uuid"} if p.endswith("_id") else {"type": "string"},
                    }
                    for p in params
                ],
                "responses": {
                    "200": {"description": "OK"},
                    "default": {"description": "Erro", "content": {"application/json": {"schema": _ERROR}}},
                },
            }
            if method in ("POST", "PATCH", "PUT"):
                op["requestBody"] = {"content": {"application/json": {"schema": {"type": "object"}}}}
            if not public:
                op["security"] = [{"bearer": []}]
            item[method.lower()] = op
        paths[path] = item
    return {
        "openapi": "3.0.3",
        "info": {"title": "GT-Vision API", "version": version, "description": "Contrato público v1 (shared/API.md)."},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}}},
        "paths": paths,
    }
