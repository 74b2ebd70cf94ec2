"""Identifiers, order of checks, headers (contract v1.2): a path id in any spelling `uuid.UUID` accepts is
canonicalised before any use (lookups, encryption contexts, audit); a route that needs a token answers 401
before anything about its path or query; every answer, 404 and 405 included, carries the security headers.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import api_resources
import pytest
from api_resources import INTELBRAS, WEBHOOK, CityResources, digest_push, iso, signed_webhook
from fixtures.intelbras_its import tollgate
from utils import Reply, World

from gtvision.core import signatures
from gtvision.tenancy import cameras

SECURITY_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}


def spellings(value: str) -> list[str]:
    """Every other spelling `uuid.UUID` accepts for the id."""
    u = uuid.UUID(value)
    return [str(u).upper(), "{" + str(u) + "}", u.hex, u.hex.upper(), f"urn:uuid:{u}", f"urn:uuid:{str(u).upper()}"]


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def _read(event_id: str | None = None) -> bytes:
    body = {
        "event_id": event_id or uuid.uuid4().hex,
        "plate": "XYZ1A23",
        "confidence": 0.9,
        "captured_at": iso(datetime.now(UTC) - timedelta(seconds=5)),
    }
    return json.dumps(body).encode()


def test_canonical_accepts_every_spelling_and_refuses_the_rest() -> None:
    cid = str(uuid.uuid4())
    assert {cameras.canonical(s) for s in spellings(cid)} == {cid}
    assert [cameras.canonical(s) for s in ("not-a-uuid", "", "\x00", "1" * 40, None)] == [None] * 5


def test_rotating_the_webhook_secret_through_an_upper_case_id_keeps_both_secrets_working(
    world: World, res: CityResources
) -> None:
    # Given an LPR camera and its current secret
    old = res.webhook_secret
    # When a manager rotates the secret addressing the camera in upper case
    r = world.api.call(
        "PATCH", f"/v1/cameras/{res.camera_id.upper()}", {"rotate_webhook_secret": True}, world.manager_a
    )
    assert r.status == 200 and r.json()["id"] == res.camera_id, r.text
    new = r.json()["webhook_secret"]
    # Then both the new secret and, during the overlap, the old one sign reads (no InvalidTag: a 500 before)
    assert signed_webhook(world.api, res.camera_id, new, _read()).status == 202
    assert signed_webhook(world.api, res.camera_id, old, _read()).status == 202
    # And the camera may name itself in any spelling
    for spelling in spellings(res.camera_id):
        assert signed_webhook(world.api, spelling, new, _read()).status == 202, spelling


def test_digest_credentials_set_through_a_braced_id_authenticate_the_camera(world: World, res: CityResources) -> None:
    braced = "{" + res.camera_id.upper() + "}"
    creds = {"lpr_digest_username": "its-2", "lpr_digest_password": "senha-nova-da-camera"}
    assert world.api.call("PATCH", f"/v1/cameras/{braced}", creds, world.manager_a).status == 200
    sec, pair = cameras.digest_credentials(f"urn:uuid:{res.camera_id}")
    assert sec is not None and str(sec["id"]) == res.camera_id
    assert pair == ("its-2", "senha-nova-da-camera")


def test_camera_password_set_through_a_hex_id_reaches_mediamtx(world: World, res: CityResources) -> None:
    hex_id = uuid.UUID(res.camera_id).hex.upper()
    body = {"username": "operador", "password": "s3nh@-da-camera"}
    assert world.api.call("PATCH", f"/v1/cameras/{hex_id}", body, world.manager_a).status == 200
    url = cameras.source_with_credentials(res.camera_id.upper())
    assert "operador:s3nh%40-da-camera@" in url


def test_intelbras_unknown_or_malformed_camera_ids_get_the_same_401_as_a_wrong_password(
    world: World, res: CityResources
) -> None:
    body = json.dumps(tollgate(plate="ABC1D23")).encode()
    known = digest_push(world.api, res.camera_id, body)  # the camera's real credentials: accepted
    assert known.status == 200, known.text
    answers: list[Reply] = []
    for camera_id in (str(uuid.uuid4()).upper(), str(uuid.uuid4()), "not-a-uuid", "x" * 300):
        path = INTELBRAS[0].format(camera_id=camera_id, notification="TollgateInfo")
        answers.append(world.api.call("POST", path, raw=body))
    wrong = world.api.call(
        "POST",
        INTELBRAS[0].format(camera_id=res.camera_id, notification="TollgateInfo"),
        raw=body,
        headers={"authorization": 'Digest username="x", realm="y", nonce="z", uri="/", response="0"'},
    )
    for r in [*answers, wrong]:
        assert r.status == 401 and r.json()["error"]["code"] == wrong.json()["error"]["code"], r.text
        assert (r.multi_headers or {}).get("www-authenticate"), r.headers
    # The camera itself in upper case is the same camera (a 500 before: its Digest secret's context)
    assert digest_push(world.api, res.camera_id.upper(), body).status == 200


def _fill(route: str, ids: dict[str, str]) -> str:
    return route.format(**{**ids, "plate": api_resources.PLATE, "asset_name": "main.js", "notification": "KeepAlive"})


def test_urn_uuid_ids_never_500_on_any_route(world: World, res: CityResources) -> None:
    # Given real resources, and unknown ids, in the `urn:uuid:` spelling
    real = {k: f"urn:uuid:{v}" for k, v in res.path_ids().items() if k.endswith("_id")}
    unknown = {k: f"urn:uuid:{uuid.uuid4()}" for k in real}
    failures = []
    checked = 0
    for route, methods in sorted(world.api.app.routes.items()):
        if "_id}" not in route:
            continue
        for method in sorted(methods):
            if method == "DELETE" or (route, method) == WEBHOOK or route.endswith(("/stream/start", "/stream/stop")):
                # Deleting would starve the rest of the walk; starting a stream needs MediaMTX (503 here).
                continue
            for ids in (real, unknown):
                for token in (world.admin, world.viewer_a):
                    r = world.api.call(method, _fill(route, {**res.path_ids(), **ids}), token=token, raw=b"{}")
                    checked += 1
                    if r.status >= 500:
                        failures.append(f"{method} {route}: {r.status} {r.text[:160]}")
    assert checked >= 60 and not failures, "\n".join(failures)
    # And the urn spelling reads the same resource as the canonical one
    r = world.api.call("GET", f"/v1/cameras/urn:uuid:{res.camera_id}", token=world.viewer_a)
    assert r.status == 200 and r.json()["id"] == res.camera_id


def test_without_a_token_every_authenticated_route_answers_401_before_looking_at_path_or_query(
    world: World, res: CityResources
) -> None:
    assert world.api.call("GET", "/v1/cameras/not-a-uuid").status == 401
    assert world.api.call("GET", "/v1/me", query={"x": "\x00"}).status == 401
    failures = []
    for route, methods in sorted(world.api.app.routes.items()):
        for method, entry in sorted(methods.items()):
            if not getattr(entry.view_function, "__gtv_auth__", True):
                continue
            ids = {k: "not-a-uuid" for k in res.path_ids() if k.endswith("_id")}
            r = world.api.call(method, _fill(route, {**res.path_ids(), **ids}), query={"limit": "\x00"}, raw=b"[")
            if r.status != 401:
                failures.append(f"{method} {route}: {r.status} {r.text[:120]}")
    assert not failures, "\n".join(failures)


def _secured(r: Reply) -> bool:
    return all(r.headers.get(k, "").lower() == v for k, v in SECURITY_HEADERS.items())


def test_404_405_and_every_error_answer_carry_the_security_headers(world: World, api: Any) -> None:
    from utils import LambdaContext

    from gtvision_local import events

    # The proxy's own 404 (no route) and 405 (wrong method), as API Gateway delivers them
    for method, path in (("GET", "/v1/nothing-here"), ("PUT", "/v1/cities"), ("DELETE", "/v1/health")):
        event = events.api_gateway_event(
            method=method,
            path=path,
            resource="/{proxy+}",
            path_parameters=None,
            headers=[],
            query=[],
            body=b"",
            source_ip="203.0.113.7",
        )
        out = api.handler(event, LambdaContext())
        headers = {k.lower(): v for k, v in out["headers"].items()}
        assert out["statusCode"] in (404, 405), out
        assert all(headers.get(k, "").lower() == v for k, v in SECURITY_HEADERS.items()), (path, headers)
    # Chalice's own 405 and a view's 404, 401, 422
    assert _secured(world.api.call("PUT", "/v1/cities"))
    assert _secured(world.api.call("GET", f"/v1/cameras/{uuid.uuid4()}", token=world.admin))
    assert _secured(world.api.call("GET", "/v1/me"))
    assert _secured(world.api.call("POST", "/v1/cities", {"name": ""}, world.admin))


def test_every_429_names_when_to_come_back(monkeypatch: pytest.MonkeyPatch) -> None:
    from chalicelib.http import error_response
    from gtvision.core.errors import RateLimited

    r = error_response(RateLimited("too_many", "devagar"), "/v1/x")
    assert r.status_code == 429 and int(str(r.headers["Retry-After"])) >= 1
    r = error_response(RateLimited("quota_exceeded", "devagar", {"Retry-After": "7"}), "/v1/x")
    assert r.headers["Retry-After"] == "7"


def test_signatures_made_for_the_canonical_id_verify_whatever_spelling_came_in(
    world: World, res: CityResources
) -> None:
    # A read signed now, sent with the camera header in braces: the secret is found under the canonical id
    raw = _read()
    headers = {
        "x-gtv-camera": "{" + res.camera_id + "}",
        "x-gtv-signature": signatures.sign(res.webhook_secret, raw, int(time.time())),
    }
    assert world.api.call("POST", "/v1/lpr/events", headers=headers, raw=raw).status == 202
