"""Property-based fuzzing of every operation of the app's own `/v1/openapi.json` with schemathesis.

The chalice app runs in process behind a tiny WSGI adapter that turns each request into the API Gateway
REST proxy event `ApiClient.call` builds, so what is fuzzed is exactly what Lambda would receive. Every
operation gets a bounded, deterministic number of examples (positive and negative generation), as an admin
and as a manager. The checks: the contract's "never a 500 for bad input", and every answer matches the
schema `/v1/openapi.json` gives for its status (bodies and query parameters are generated from the same
document, so the fuzzing reaches validation with well-formed and malformed bodies alike).
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl

import api_resources
import pytest
import schemathesis
from api_resources import CityResources
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance
from utils import ApiClient, World

from gtvision.core import signatures

MAX_EXAMPLES = 25
# Live-stream routes call MediaMTX, which is not running in tests: a 503 `mediamtx_unavailable` there is
# the documented answer (contract: Live streams), so it is the one 5xx allowed, and only on these routes.
STREAM_ROUTES = {
    "/v1/cameras/{camera_id}/stream",
    "/v1/cameras/{camera_id}/stream/start",
    "/v1/cameras/{camera_id}/stream/stop",
}


class GatewayWSGI:
    """A WSGI app that forwards each request to the chalice app as an API Gateway proxy event."""

    def __init__(self, api: ApiClient, webhook_signer: Callable[[bytes], dict[str, str]] | None = None) -> None:
        self.api = api
        self.webhook_signer = webhook_signer

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        # WSGI carries the (already percent-decoded) path as latin-1 code points of its UTF-8 bytes.
        path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
        query = dict(parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        raw = environ["wsgi.input"].read(length) if length else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items() if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        if self.webhook_signer and (environ["REQUEST_METHOD"], path) == ("POST", "/v1/lpr/events"):
            # A real camera signs what it sends: generated bodies then reach parsing, not just the 401.
            headers.update(self.webhook_signer(raw))
        try:
            reply = self.api.call(environ["REQUEST_METHOD"], path, query=query, headers=headers, raw=raw)
        except AssertionError:  # no route matches (e.g. a generated plate with "/"): the gateway's own 404,
            # in the shape the local gateway gives it
            start_response("404 Not Found", [("Content-Type", "application/json")])
            return [b'{"error": {"code": "not_found", "message": "rota inexistente"}}']
        start_response(f"{reply.status} -", list(reply.headers.items()))
        return [reply.text.encode()]


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def _schema(api: ApiClient, res: CityResources) -> Any:
    def sign(raw: bytes) -> dict[str, str]:
        return {
            "x-gtv-camera": res.camera_id,
            "x-gtv-signature": signatures.sign(res.webhook_secret, raw, int(time.time())),
        }

    return schemathesis.openapi.from_wsgi("/v1/openapi.json", GatewayWSGI(api, sign))


def _throwaway_token(world: World, role: str) -> tuple[str, str]:
    """A fresh account of `role` (token, user id): DELETE /v1/me anonymises the caller and logout revokes
    its token, so neither ever gets a shared token."""
    name = f"fuzz-{role}-{uuid.uuid4().hex[:8]}"
    city = None if role == "admin" else world.city_a
    body = {"username": name, "password": "senha-forte-123", "role": role, "city_id": city}
    r = world.api.call("POST", "/v1/users", body, world.admin)
    assert r.status == 201
    return world.api.login(name, "senha-forte-123"), r.json()["id"]


#: Operations that end the caller's account or session: each example gets its own throwaway account.
SELF_ENDING = {("/v1/me", "DELETE"), ("/v1/auth/logout", "POST")}


def _fuzz_operation(
    op: Any, world: World, res: CityResources, role: str, token: str, statuses: Counter[int]
) -> str | None:
    """Run one operation's examples; the first failure found, if any."""
    route, method = op.path, op.method.upper()
    real_ids = res.path_ids()
    strategies = [op.as_strategy(GenerationMode.POSITIVE)]
    try:
        strategies.append(op.as_strategy(GenerationMode.NEGATIVE))
    except Exception:  # noqa: BLE001 - some operations have nothing to negate (no params, no body)
        pass

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # report, don't spend the time budget shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies), use_real_ids=st.booleans())
    def run(case: Any, use_real_ids: bool) -> None:
        # Half the cases name city A's real resources, so generated bodies reach validation and the
        # database instead of stopping at a 404. DELETEs keep random ids: they would remove the fixtures.
        if use_real_ids and method != "DELETE" and case.path_parameters:
            case.path_parameters = {k: real_ids.get(k, v) for k, v in case.path_parameters.items()}
        caller, throwaway_id = _throwaway_token(world, role) if (route, method) in SELF_ENDING else (token, None)
        response = case.call(headers={"Authorization": f"Bearer {caller}"})
        if throwaway_id is not None:
            # Negative cases drop the token: the throwaway must not outlive the test (another test needs
            # the session's admin to be the only one). The admin removes it (it may be logged out).
            world.api.call("DELETE", f"/v1/users/{throwaway_id}", token=world.admin)
        statuses[response.status_code] += 1
        if route in STREAM_ROUTES and response.status_code == 503:
            assert response.json()["error"]["code"] == "mediamtx_unavailable", response.text
            return
        case.validate_response(
            response, checks=[not_a_server_error, response_schema_conformance, content_type_conformance]
        )

    try:
        run()
    # schemathesis reports an example's failures as a FailureGroup (a BaseExceptionGroup): collect every
    # operation's failure, then report them all.
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001
        return f"[{role}] {method} {route}: {type(exc).__name__}: {str(exc)[:800]}"
    return None


@pytest.mark.parametrize("role", ["admin", "manager"])
def test_no_operation_answers_a_server_error(world: World, res: CityResources, role: str) -> None:
    token = world.admin if role == "admin" else world.manager_a
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in _schema(world.api, res).get_all_operations()]
    assert len(operations) >= 40, len(operations)
    failures = [f for op in operations if (f := _fuzz_operation(op, world, res, role, token, statuses))]
    assert not failures, "\n\n".join(failures)
    # Really exercised: mostly authenticated (negative generation drops or garbles the token on purpose,
    # hence many 401s), reaching successes, validation errors and not-founds.
    calls = sum(statuses.values())
    assert calls > 10 * len(operations) and statuses[401] < calls * 0.4, statuses
    assert any(200 <= s < 300 for s in statuses) and statuses[422] and statuses[404], statuses
