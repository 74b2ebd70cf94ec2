"""The template's WebSocket APIs as the local gateway serves them (routes → functions, stage, selection).

Read from ``AWS::ApiGatewayV2::Api`` (ProtocolType WEBSOCKET) and its ``Route``, ``Integration``,
``RouteResponse`` and ``Stage`` resources; integrations must be Lambda proxy integrations of the
template's functions.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any

from .template import Template

DEFAULT_WS_PORT = 3001
DEFAULT_MANAGEMENT_PORT = 3002
_FUNCTION_IN_URI = re.compile(r":function:([^/:]+)(?::[^/]*)?/invocations")


@dataclass(frozen=True)
class WebSocketRoute:
    key: str
    function_id: str
    two_way: bool  # has a route response: the function's body is sent back to the client


@dataclass(frozen=True)
class WebSocketApiSpec:
    logical_id: str
    selection_expression: str
    stage: str
    routes: dict[str, WebSocketRoute] = field(default_factory=dict)


def _refs(value: Any) -> list[str]:
    """Every ``Ref``/``GetAtt`` target inside a property (``!Join ["/", [integrations, !Ref X]]``...)."""
    if isinstance(value, dict):
        if "Ref" in value and isinstance(value["Ref"], str):
            return [value["Ref"]]
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return [(target.split(".", 1) if isinstance(target, str) else target)[0]]
        return [r for v in value.values() for r in _refs(v)]
    if isinstance(value, list):
        return [r for v in value for r in _refs(v)]
    return []


def websocket_apis(template: Template) -> list[WebSocketApiSpec]:
    """The template's WEBSOCKET APIs with their routes resolved to the functions they invoke."""
    resources = template.resources

    def of_type(kind: str, api_id: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (lid, res.get("Properties") or {})
            for lid, res in resources.items()
            if res.get("Type") == kind and api_id in _refs((res.get("Properties") or {}).get("ApiId"))
        ]

    apis = []
    for lid, res in resources.items():
        props = res.get("Properties") or {}
        if res.get("Type") != "AWS::ApiGatewayV2::Api" or template.resolve(props.get("ProtocolType")) != "WEBSOCKET":
            continue
        integrations: dict[str, str] = {}
        for integration_id, iprops in of_type("AWS::ApiGatewayV2::Integration", lid):
            uri = str(template.resolve(iprops.get("IntegrationUri", "")))
            match = _FUNCTION_IN_URI.search(uri)
            if match is None:
                raise ValueError(f"{integration_id}: only Lambda proxy integrations are served locally ({uri})")
            integrations[integration_id] = match.group(1)
        two_way = {
            target
            for _, rprops in of_type("AWS::ApiGatewayV2::RouteResponse", lid)
            for target in _refs(rprops["RouteId"])
        }
        routes = {}
        for route_id, rprops in of_type("AWS::ApiGatewayV2::Route", lid):
            key = str(template.resolve(rprops["RouteKey"]))
            targets = [integrations[r] for r in _refs(rprops.get("Target")) if r in integrations]
            if not targets:
                raise ValueError(f"{route_id}: route {key} has no Lambda integration")
            routes[key] = WebSocketRoute(key, targets[0], route_id in two_way)
        stages = [str(template.resolve(s["StageName"])) for _, s in of_type("AWS::ApiGatewayV2::Stage", lid)]
        selection = str(template.resolve(props.get("RouteSelectionExpression", "$request.body.action")))
        apis.append(WebSocketApiSpec(lid, selection, stages[0] if stages else "$default", routes))
    return apis


def local_urls(host: str = "127.0.0.1") -> dict[str, str]:
    """The functions' view of the local WebSocket API (``GTV_WS_URL``, ``GTV_WS_MANAGEMENT_URL``)."""
    ws_port = int(os.environ.get("GTV_WS_PORT") or DEFAULT_WS_PORT)
    management_port = int(os.environ.get("GTV_WS_MANAGEMENT_PORT") or DEFAULT_MANAGEMENT_PORT)
    return {"GTV_WS_URL": f"ws://{host}:{ws_port}", "GTV_WS_MANAGEMENT_URL": f"http://{host}:{management_port}"}
