"""Hand-made hostile input on every route: malformed bodies, wrong types, garbage query params and path ids.

The contract says "never a 500 for bad input": every case here must answer 4xx with
`{"error": {"code", "message"}}` (or, where the input is merely odd but valid, a 2xx) — never 5xx.
The routes are walked from `app.routes`, so a new POST/PATCH route without an entry in `BODIES` fails here.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import api_resources
import pytest
from api_resources import (
    ALERTMANAGER_HOOK,
    INTELBRAS,
    MEDIAMTX_HOOK,
    PLATE,
    WEBHOOK,
    CityResources,
    alertmanager_hook,
    digest_push,
    iso,
    signed_mediamtx_hook,
    signed_webhook,
    valid_bodies,
)
from utils import ApiClient, Reply, World

# These take no body (they act on the path's camera): hostile bodies are ignored, not rejected.
BODYLESS = {
    ("/v1/cameras/{camera_id}/stream/start", "POST"),
    ("/v1/cameras/{camera_id}/stream/stop", "POST"),
    ("/v1/cameras/{camera_id}/reference-view", "POST"),
    ("/v1/auth/logout", "POST"),  # no body; and it would end the shared tokens' sessions (tested on its own)
    ("/v1/me/2fa", "POST"),  # starts an enrolment (a pending secret): no body
}


def is_error(r: Reply) -> bool:
    """4xx with the contract's error shape."""
    if not 400 <= r.status < 500:
        return False
    try:
        body = r.json()
    except ValueError:
        return False
    err = body.get("error") if isinstance(body, dict) else None
    return isinstance(err, dict) and isinstance(err.get("code"), str) and isinstance(err.get("message"), str)


def acceptable(r: Reply) -> bool:
    """Not a server error; and an error, if any, in the contract's shape."""
    return r.status < 400 or is_error(r)


@pytest.fixture()
def res(world: World) -> CityResources:
    return api_resources.build(world)


def fill(path: str, ids: dict[str, str]) -> str:
    return path.format(**{**ids, "plate": PLATE, "asset_name": "main.js" if "screens" not in path else "camera.js"})


def sender(world: World, res: CityResources) -> Callable[..., Reply]:
    """send(route, method, raw, token=admin, query=None) → Reply; the webhook's bodies are signed by the camera."""
    api: ApiClient = world.api

    def send(
        route: str,
        method: str,
        raw: bytes | None = None,
        token: str | None = None,
        query: dict[str, str] | None = None,
        ids: dict[str, str] | None = None,
    ) -> Reply:
        path = fill(route, ids or res.path_ids())
        if (route, method) == WEBHOOK:
            return signed_webhook(api, res.camera_id, res.webhook_secret, raw or b"")
        if (route, method) == MEDIAMTX_HOOK:
            return signed_mediamtx_hook(api, raw or b"")
        if (route, method) == ALERTMANAGER_HOOK:
            return alertmanager_hook(api, raw or b"")
        if (route, method) == INTELBRAS and ids is None:  # the camera's own Digest credentials
            return digest_push(api, res.camera_id, raw or b"")
        return api.call(method, path, token=token or world.admin, query=query, raw=raw or b"")

    return send


def write_routes(api: ApiClient) -> list[tuple[str, str]]:
    out = [(p, m) for p, methods in api.app.routes.items() for m in methods if m in ("POST", "PATCH", "PUT")]
    # The webhook first: a PATCH of the camera may rotate the secret its bodies are signed with.
    return sorted(out, key=lambda pm: (pm != WEBHOOK, pm))


DEEP = 100_000
HOSTILE_BODIES: list[tuple[str, bytes]] = [
    ("empty", b""),
    ("array", b"[]"),
    ("string", b'"x"'),
    ("number", b"1"),
    ("null", b"null"),
    ("true", b"true"),
    ("unknown field", b'{"a": 1}'),
    ("truncated", b'{"name": '),
    ("not json", b"name=x&state=SP"),
    ("invalid utf-8", b'{"name": "\xff\xfe\xc3"}'),
    ("deeply nested array", b"[" * DEEP + b"]" * DEEP),
    ("deeply nested object", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
    ("nested in a field", b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}"),
    ("NaN", b'{"name": NaN, "confidence": NaN}'),
    ("Infinity", b'{"lat": Infinity}'),
    ("huge int", b'{"camera_limit": 1' + b"0" * 5000 + b"}"),
    ("too large", b'{"name": "' + b"x" * (4 * 1024 * 1024 + 10) + b'"}'),
    ("NUL only", b"\x00"),
    ("duplicate keys", b'{"name": "a", "name": 1}'),
]

WRONG_VALUES: list[Any] = [
    None,
    0,
    -1,
    1.5,
    10**30,
    True,
    "",
    " ",
    "x",
    "\u0000",
    "a\u0000b",
    "x" * 100_000,
    [],
    [1, "x"],
    {},
    {"a": 1},
    "2026-13-45T99:99:99Z",
    "-infinity",
    "00000000-0000-0000-0000-000000000000",
    "../../etc/passwd",
    "ﾟ\ud800",
]


def test_hostile_bodies_are_4xx_on_every_write_route(world: World, res: CityResources) -> None:
    send = sender(world, res)
    bodies = valid_bodies(res)
    failures = []
    for route, method in write_routes(world.api):
        if (route, method) in BODYLESS:
            continue
        assert (route, method) in bodies, f"{method} {route}: add a valid body to BODIES"
        for name, raw in HOSTILE_BODIES:
            for who, token in (("admin", world.admin), ("manager", world.manager_a)):
                r = send(route, method, raw, token)
                if not is_error(r):
                    failures.append(f"{method} {route} [{who}] {name}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def _variants(body: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """`body` with each field (and each field of nested objects/first list items) set to each wrong value."""
    out: list[tuple[str, dict[str, Any]]] = []
    for key, value in body.items():
        for wrong in WRONG_VALUES:
            out.append((f"{key}={str(wrong)[:20]!r}", {**body, key: wrong}))
        nested = value[0] if isinstance(value, list) and value and isinstance(value[0], dict) else value
        if isinstance(nested, dict):
            for sub, wrong_body in _variants(nested):
                out.append((f"{key}.{sub}", {**body, key: [wrong_body] if isinstance(value, list) else wrong_body}))
    return out


def test_wrong_types_in_each_known_field_never_5xx(world: World, res: CityResources) -> None:
    send = sender(world, res)
    bodies = valid_bodies(res)
    failures = []
    for route, method in write_routes(world.api):
        if (route, method) in BODYLESS:
            continue
        for name, body in _variants(bodies[(route, method)]):
            if (route, method) == WEBHOOK:
                body = {**body, "event_id": body["event_id"] if "event_id=" in name else uuid.uuid4().hex}
            raw = json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
            r = send(route, method, raw)
            if not acceptable(r):
                failures.append(f"{method} {route} {name}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


GARBAGE_CURSORS = [
    "!!!",
    "abc",
    "%00",
    "\u0000",
    "x" * 10_000,
    *(
        base64.urlsafe_b64encode(v).decode().rstrip("=")
        for v in (
            b"{}",
            b"[]",
            b"[1]",
            b'["x"]',
            b'["x", "y"]',
            b"[null, null]",
            b"[1, 2, 3, 4, 5]",
            b'["2026-01-01T00:00:00Z", "not-a-uuid"]',
            b'["not-a-time", "00000000-0000-0000-0000-000000000000"]',
            b'[{"a": 1}, [1]]',
            b'["\\u0000", "\\u0000"]',
            b"[1e400, -1e400]",
            b"[true, false]",
            b'["2026-01-01T00:00:00+00:00", 5.5]',
            b'["2026-01-01T00:00:00+00:00", 99999999999999999999999]',
            b'["2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"]',
            b'["0.5", "ABC1234", "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"]',
            b'[1e400, "ABC1234", "2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"]',
            b'[1, "\\u0000", "2026-01-01T00:00:00+00:00", 7]',
            b"\xff\xfe",
        )
    ),
]
GARBAGE_VALUES = [
    "",
    "abc",
    "-1",
    "0",
    "1e9",
    "99999999999999999999999",
    "\u0000",
    "x" * 5000,
    "' OR 1=1 --",
    "2026-02-30T00:00:00Z",
    "-infinity",
    "2026-01-01T00:00:00+99:00",
    "0000-01-01T00:00:00Z",
    "10000-01-01T00:00:00Z",
    "not-a-uuid",
    "%",
    "ABC1D2\u0000",
]
# The query params each route reads (the rest ignore unknown params; they get all of them at once).
QUERY_PARAMS: dict[str, list[str]] = {
    "/v1/audit": ["from", "to", "user_id", "action"],
    "/v1/audit/export.csv": ["from", "to", "user_id", "action"],
    "/v1/cameras/{camera_id}/timeline": ["from", "to"],
    "/v1/cameras/{camera_id}/thumbnails": ["from", "to"],
    "/v1/cameras/{camera_id}/playback.m3u8": ["from", "to"],
    "/v1/clips": ["camera_id", "status"],
    "/v1/lpr/events": ["plate", "match", "city_id", "camera_id", "from", "to"],
    "/v1/lpr/trajectory": ["plate", "from", "to", "city_id"],
    "/v1/watchlist": ["city_id"],
    "/v1/alerts": ["city_id", "since", "kind"],
    "/console/{asset_name}": ["v"],
    "/console/screens/{asset_name}": ["v"],
}
ALL_PARAMS = sorted({p for params in QUERY_PARAMS.values() for p in params})


def read_routes(api: ApiClient) -> list[tuple[str, str]]:
    return sorted((p, m) for p, methods in api.app.routes.items() for m in methods if m in ("GET", "DELETE"))


def _valid_queries(route: str, res: CityResources) -> list[dict[str, str]]:
    """Query params a route needs to answer 200, so garbage in one other param is what is tested."""
    start = res.recorded_from
    rng = {"from": iso(start - timedelta(minutes=1)), "to": iso(start + timedelta(minutes=1))}
    if route.startswith("/v1/cameras/{camera_id}/") and not route.endswith("/stream"):
        return [rng]
    if route == "/v1/lpr/events":
        return [{"plate": PLATE}, {"plate": PLATE, "match": "fuzzy"}]
    if route == "/v1/lpr/trajectory":
        return [{"plate": PLATE}]
    return [{}]


def test_garbage_query_params_never_5xx(world: World, res: CityResources) -> None:
    """limit/cursor garbage is a 4xx on every paginated route; any other param garbage is 4xx or ignored."""
    send = sender(world, res)
    failures = []
    for route, method in read_routes(world.api):
        if method == "DELETE":
            continue  # DELETEs take no query params; their path ids are tested below
        for base in _valid_queries(route, res):
            failures += _query_failures(world, send, route, method, base)
    assert not failures, "\n".join(failures)


def _query_failures(
    world: World, send: Callable[..., Reply], route: str, method: str, base: dict[str, str]
) -> list[str]:
    failures = []
    plain = send(route, method, query=base)
    is_json = plain.headers.get("content-type", "").startswith("application/json")
    paginated = plain.status == 200 and is_json and isinstance(plain.json(), dict) and "next_cursor" in plain.json()
    cases: list[tuple[dict[str, str], bool]] = []
    for limit in ("-1", "0", "abc", "501", "1.5", "99999999999999999999999", "\u0000"):
        cases.append(({**base, "limit": limit}, paginated))
    for cursor in GARBAGE_CURSORS:
        cases.append(({**base, "cursor": cursor}, paginated))
    for value in GARBAGE_VALUES:
        for param in QUERY_PARAMS.get(route, []):
            cases.append(({**base, param: value}, False))
        cases.append(({**base, **{p: value for p in ALL_PARAMS if p not in base}}, False))
    # Each case once, the callers taking turns: both an admin's and a city manager's code paths meet every kind
    # of garbage (each list has cases of both parities) at half the requests of asking both every time.
    callers = (("admin", world.admin), ("manager", world.manager_a))
    for n, (query, must_reject) in enumerate(cases):
        who, token = callers[n % 2]
        r = send(route, method, token=token, query=query)
        ok = is_error(r) if must_reject else acceptable(r)
        if not ok:
            failures.append(f"{method} {route} [{who}] {query!r:.120}: {r.status} {r.text[:200]}")
    return failures


BAD_IDS = [
    "not-a-uuid",
    "1",
    "%00",
    "' OR 1=1",
    "00000000-0000-0000-0000-00000000000g",
    "x" * 1000,
    "0000000000000000000000000000000000000000000000000000",
]


def test_non_uuid_path_ids_are_404(world: World, res: CityResources) -> None:
    send = sender(world, res)
    failures = []
    for route, methods in sorted(world.api.app.routes.items()):
        params = [
            p
            for p in ("city_id", "camera_id", "clip_id", "mosaic_id", "watchlist_id", "alert_id", "user_id")
            if "{" + p + "}" in route
        ]
        for method in methods:
            if (route, method) == WEBHOOK:
                continue
            # A camera's signed push answers a malformed id like a wrong signature (401): no oracle on ids.
            expected = 401 if (route, method) == INTELBRAS else 404
            for param in params:
                for bad in BAD_IDS:
                    r = send(route, method, b"{}", ids={**res.path_ids(), param: bad})
                    if r.status != expected or not is_error(r):
                        failures.append(f"{method} {route} {param}={bad[:20]!r}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def test_odd_plate_and_asset_path_params(world: World, res: CityResources) -> None:
    failures = []
    for bad in ["\u0000", "x" * 5000, "' OR 1=1", "%", "ABC-1D23", "ÁBC1D23", "..", "app.js\u0000"]:
        for path in (f"/v1/lgpd/plates/{bad}", f"/console/{bad}", f"/console/screens/{bad}"):
            r = world.api.call("GET", path, token=world.admin)
            if not acceptable(r):
                failures.append(f"GET {path[:40]!r}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


def test_hostile_auth_and_webhook_headers_are_401(world: World, res: CityResources) -> None:
    api = world.api
    failures = []
    for auth in [
        "Bearer garbage",
        "Bearer " + "x" * 20_000,
        "Basic YWRtaW46YWRtaW4=",
        "Bearer \u0000",
        "Bearer a.b.c",
        "Bearer",
        "",
    ]:
        r = api.call("GET", "/v1/cameras/" + res.camera_id, headers={"authorization": auth})
        if r.status != 401 or not is_error(r):
            failures.append(f"authorization {auth[:20]!r}: {r.status} {r.text[:200]}")
    body = b'{"event_id": "e", "plate": "ABC1234", "confidence": 0.5, "captured_at": "2026-01-01T00:00:00Z"}'
    for camera, sig in [
        (res.camera_id, "t=abc,v1=zz"),
        (res.camera_id, "t=99999999999999999999999999,v1=00"),
        (res.camera_id, "t=-1,v1=" + "0" * 64),
        (res.camera_id, "\u0000"),
        (res.camera_id, "t=1," + "v1=0," * 5000),
        ("not-a-uuid", "t=1,v1=00"),
        ("\u0000", ""),
        (str(uuid.uuid4()), "t=1,v1=00"),
    ]:
        r = api.call("POST", "/v1/lpr/events", headers={"x-gtv-camera": camera, "x-gtv-signature": sig}, raw=body)
        if r.status != 401 or not is_error(r):
            failures.append(f"webhook {camera[:12]!r} {sig[:20]!r}: {r.status} {r.text[:200]}")
    assert not failures, "\n".join(failures)


# ------------------------------------------------------------------ regressions: each was a 500 before its fix


def _cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def test_regression_malformed_json_bodies_are_400(world: World) -> None:
    """json.loads raised RecursionError / ValueError (>4300 digits) past the route's JSONDecodeError handler."""
    for raw in (
        b"[" * 100_000 + b"]" * 100_000,
        b'{"name": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"camera_limit": 1' + b"0" * 5000 + b"}",
        b'{"name": NaN}',
        b'{"lat": -Infinity}',
    ):
        r = world.api.call("POST", "/v1/cities", token=world.admin, raw=raw)
        assert (r.status, r.json()["error"]["code"]) == (400, "malformed_json"), raw[:30]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/cities", {"name": "a\u0000b", "state": "SP", "retention_days": 7}),
        ("/v1/auth/login", {"username": "\u0000", "password": "x"}),
        ("/v1/watchlist", {"plate": "ABC1234", "reason": "a\u0000b"}),
        ("/v1/mosaics", {"name": "\u0000", "camera_ids": [str(uuid.uuid4())]}),
    ],
)
def test_regression_nul_in_body_strings_is_422(world: World, path: str, body: dict[str, Any]) -> None:
    """PostgreSQL text cannot hold NUL: psycopg raised DataError."""
    r = world.api.call("POST", path, body, world.admin)
    assert (r.status, r.json()["error"]["code"]) == (422, "invalid_characters")


def test_regression_nul_in_query_is_400(world: World) -> None:
    r = world.api.call("GET", "/v1/lpr/events", token=world.admin, query={"plate": "ABC1\u0000"})
    assert (r.status, r.json()["error"]["code"]) == (400, "invalid_query")


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/v1/users", {"username": "nao-uuid", "password": "senha-forte-123", "role": "viewer", "city_id": "x"}),
        ("/v1/watchlist", {"plate": "ABC1234", "reason": "furto", "city_id": "../../etc"}),
        ("/v1/mosaics", {"name": "M", "camera_ids": ["not-a-uuid"]}),
    ],
)
def test_regression_non_uuid_ids_in_bodies_are_422(world: World, path: str, body: dict[str, Any]) -> None:
    r = world.api.call("POST", path, body, world.admin)
    assert (r.status, r.json()["error"]["code"]) == (422, "validation_error"), r.text


@pytest.mark.parametrize("path", ["/v1/watchlist", "/v1/alerts", "/v1/lpr/events"])
def test_regression_non_uuid_city_filter_is_422(world: World, path: str) -> None:
    r = world.api.call("GET", path, token=world.admin, query={"city_id": "-infinity", "plate": "ABC1234"})
    assert (r.status, r.json()["error"]["code"]) == (422, "invalid_city_id")


def test_regression_renaming_a_city_to_an_existing_name_is_409(world: World) -> None:
    name = world.api.call("GET", f"/v1/cities/{world.city_b}", token=world.admin).json()["name"]
    r = world.api.call("PATCH", f"/v1/cities/{world.city_a}", {"name": name}, world.admin)
    assert (r.status, r.json()["error"]["code"]) == (409, "city_exists")


@pytest.mark.parametrize(
    "values",
    [
        [1],
        ["x", "y"],
        [True, False],
        [{"a": 1}, [1]],
        [None, None],
        [],
        ["2026-01-01T00:00:00+00:00", 5.5],
        ["2026-01-01T00:00:00+00:00", 2**63],
        ["2026-01-01T00:00:00", "00000000-0000-0000-0000-000000000000"],
    ],
)
def test_regression_forged_cursors_are_400_on_every_list(world: World, res: CityResources, values: list[Any]) -> None:
    """Cursor values went to SQL unchecked (500), or were silently ignored ([null, null], thumbnails, naive times)."""
    rng = {"from": iso(res.recorded_from), "to": iso(res.recorded_from + timedelta(minutes=1))}
    lists = [
        "/v1/users",
        "/v1/cities",
        f"/v1/cities/{res.city_id}/cameras",
        "/v1/mosaics",
        "/v1/audit",
        "/v1/audit/export.csv",
        "/v1/alerts",
        "/v1/watchlist",
        "/v1/clips",
    ]
    for path, query in [
        *((p, {}) for p in lists),
        (f"/v1/cameras/{res.camera_id}/thumbnails", rng),
        ("/v1/lpr/events", {"plate": PLATE}),
        ("/v1/lpr/events", {"plate": PLATE, "match": "fuzzy"}),
    ]:
        r = world.api.call("GET", path, token=world.admin, query={**query, "cursor": _cursor(values)})
        assert (r.status, r.json()["error"]["code"]) == (400, "invalid_cursor"), (path, r.text)


def test_real_cursors_still_page(world: World, res: CityResources) -> None:
    """The checked cursors are the ones the lists hand out."""
    seen: list[str] = []
    cursor = None
    while True:
        r = world.api.call(
            "GET", "/v1/cities", token=world.admin, query={"limit": "1", **({"cursor": cursor} if cursor else {})}
        )
        assert r.status == 200, r.text
        seen += [c["id"] for c in r.json()["items"]]
        cursor = r.json()["next_cursor"]
        if not cursor:
            break
    assert {world.city_a, world.city_b} <= set(seen) and len(seen) == len(set(seen))


def test_regression_audit_cursor_ids_are_bigints(world: World) -> None:
    """The audit keyset is (at, bigint id): a uuid there is a 400, as a uuid list's int is."""
    for values in (
        ["2026-01-01T00:00:00+00:00", "00000000-0000-0000-0000-000000000000"],
        ["2026-01-01T00:00:00+00:00"],
    ):
        r = world.api.call("GET", "/v1/audit", token=world.admin, query={"cursor": _cursor(values)})
        assert (r.status, r.json()["error"]["code"]) == (400, "invalid_cursor")
    r = world.api.call(
        "GET", "/v1/cities", token=world.admin, query={"cursor": _cursor(["2026-01-01T00:00:00+00:00", 5])}
    )
    assert (r.status, r.json()["error"]["code"]) == (400, "invalid_cursor")
