"""ProxyChalice: one `/{proxy+}` resource, chalice routing inside (404/405 in the contract's shape)."""

from __future__ import annotations

import json
from typing import Any

from chalicelib.proxy import ProxyChalice, match_route

app = ProxyChalice(app_name="proxy-test")


@app.route("/v1/things/{thing_id}", methods=["GET", "PATCH"])
def thing(thing_id: str) -> dict[str, Any]:
    return {"route": "param", "thing_id": thing_id}


@app.route("/v1/things/special")
def special() -> dict[str, Any]:
    return {"route": "literal"}


def _event(method: str, path: str) -> dict[str, Any]:
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": {},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": method, "path": path},
        "body": None,
        "isBase64Encoded": False,
    }


def test_proxy_event_reaches_the_route_with_its_path_parameters() -> None:
    out = app(_event("GET", "/v1/things/a%20b"), None)
    assert out["statusCode"] == 200
    assert json.loads(out["body"]) == {"route": "param", "thing_id": "a b"}


def test_literal_segment_wins_over_parameter() -> None:
    out = app(_event("GET", "/v1/things/special"), None)
    assert json.loads(out["body"]) == {"route": "literal"}


def test_unknown_path_is_404_and_wrong_method_405_with_allow() -> None:
    out = app(_event("GET", "/v1/nothing"), None)
    assert out["statusCode"] == 404 and json.loads(out["body"])["error"]["code"] == "not_found"
    out = app(_event("DELETE", "/v1/things/x"), None)
    assert out["statusCode"] == 405 and json.loads(out["body"])["error"]["code"] == "method_not_allowed"
    assert out["headers"]["Allow"] == "GET, PATCH"
    assert app(_event("OPTIONS", "/v1/things/x"), None)["statusCode"] == 204


def test_match_route_needs_every_segment() -> None:
    paths = ["/v1/things/{thing_id}", "/v1/things/special"]
    assert match_route(paths, "/v1/things") is None
    assert match_route(paths, "/v1/things/x/y") is None
    assert match_route(paths, "/v1/things/x") == ("/v1/things/{thing_id}", {"thing_id": "x"})
