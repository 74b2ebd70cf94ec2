"""Inter-city grants: city A's operators see city B's reads of the granted plates in the granted window — through
LPR search and the trajectory — only while the grant is approved and unexpired; every such read is audited in
both cities."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from api_resources import iso
from sharing_support import webhook_read
from utils import World

from gtvision.core import db

PLATE, OTHER = "GRT1A23", "GRT9Z99"


def operator_of(world: World, city: str) -> str:
    username = f"operador-{uuid.uuid4().hex[:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": "operator", "city_id": city}
    assert world.api.call("POST", "/v1/users", body, world.admin).status == 201
    return world.api.login(username, "senha-forte-123")


def search(world: World, token: str, **query: str) -> Any:
    return world.api.call("GET", "/v1/lpr/events", token=token, query=query)


def audit_entries(world: World, token: str, action: str) -> list[dict[str, Any]]:
    r = world.api.call("GET", "/v1/audit", token=token, query={"action": action, "limit": "500"})
    assert r.status == 200, r.text
    return list(r.json()["items"])


def test_a_grant_shows_exactly_the_granted_reads_while_in_force_audited_in_both_cities(world: World) -> None:
    # Given reads in city B (the holding city) of the granted plate inside and outside the window, of another plate,
    # and a read of the plate in city A (the requesting city)
    now = datetime.now(UTC).replace(microsecond=0)
    cam_b = world.camera(
        token=world.manager_b,
        city=world.city_b,
        name="Divisa B",
        lpr_enabled=True,
        location={"lat": -22.90, "lon": -47.06},
    )
    cam_a = world.camera(name="Centro A", lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    inside = webhook_read(world, cam_b, PLATE, now - timedelta(hours=2))
    outside = webhook_read(world, cam_b, PLATE, now - timedelta(days=3))
    other = webhook_read(world, cam_b, OTHER, now - timedelta(hours=2))
    own = webhook_read(world, cam_a, PLATE, now - timedelta(hours=1))
    operator_a = operator_of(world, world.city_a)
    q = {"plate": PLATE, "city_id": world.city_b, "from": iso(now - timedelta(days=5)), "to": iso(now)}

    # Before any grant: city B's reads are a 404 for city A
    assert search(world, operator_a, **q).status == 404
    # When A's manager asks for PLATE in the last day, for a case
    body = {
        "requesting_city_id": world.city_a,
        "holding_city_id": world.city_b,
        "case_id": str(uuid.uuid4()),
        "plates": [PLATE.lower()],
        "from": iso(now - timedelta(days=1)),
        "to": iso(now),
        "justification": "Inquérito 77/2026: veículo roubado visto na divisa",
    }
    r = world.api.call("POST", "/v1/grants", body, world.manager_a)
    assert r.status == 201 and r.json()["status"] == "pending" and r.json()["plates"] == [PLATE], r.text
    grant = r.json()
    # Then while pending: still nothing, and only the holding city may answer
    assert search(world, operator_a, **q).status == 404
    assert world.api.call("PATCH", f"/v1/grants/{grant['id']}", {"status": "approved"}, world.manager_a).status == 403
    inbox = world.api.call("GET", "/v1/grants", token=world.manager_b, query={"status": "pending"}).json()["items"]
    assert grant["id"] in {g["id"] for g in inbox}
    r = world.api.call("PATCH", f"/v1/grants/{grant['id']}", {"status": "approved"}, world.manager_b)
    assert r.status == 200 and r.json()["in_force"] and r.json()["expires_at"], r.text

    # When approved: exactly B's reads of PLATE inside the window
    r = search(world, operator_a, **q)
    assert r.status == 200, r.text
    assert [i["id"] for i in r.json()["items"]] == [inside]
    assert outside not in r.text and other not in r.text
    # and nothing else: another plate, a prefix or fuzzy search, another city's viewer
    assert search(world, operator_a, **{**q, "plate": OTHER}).status == 404
    assert search(world, operator_a, **{**q, "match": "prefix", "plate": "GRT"}).status == 404
    assert search(world, operator_a, **{**q, "match": "fuzzy"}).status == 404
    assert search(world, world.viewer_a, **q).status == 404
    # and the trajectory: B's points only with city_id, or merged with A's own, B's marked as the other city's
    t = world.api.call("GET", "/v1/lpr/trajectory", token=operator_a, query=q).json()
    assert [p["id"] for p in t["points"]] == [inside] and t["points"][0]["other_city"] is True
    q_all = {k: v for k, v in q.items() if k != "city_id"}
    t = world.api.call("GET", "/v1/lpr/trajectory", token=operator_a, query=q_all).json()
    assert [(p["id"], p["other_city"]) for p in t["points"]] == [(inside, True), (own, False)]

    # And every such read is audited in both cities
    for token, city in ((world.manager_a, world.city_a), (world.manager_b, world.city_b)):
        entries = audit_entries(world, token, "grant.lpr_search")
        assert any(inside in e["detail"]["read_ids"] and e["city_id"] == city for e in entries), city
        assert any(inside in e["detail"]["read_ids"] for e in audit_entries(world, token, "grant.lpr_trajectory"))

    # When the grant expires: nothing, at once
    with db.transaction() as conn:
        conn.execute("UPDATE grants SET expires_at = now() - interval '1 second' WHERE id = %s", (grant["id"],))
    assert search(world, operator_a, **q).status == 404
    t = world.api.call("GET", "/v1/lpr/trajectory", token=operator_a, query=q_all).json()
    assert [p["id"] for p in t["points"]] == [own]


def test_revocation_takes_effect_at_once_and_denied_grants_give_nothing(world: World) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    cam_b = world.camera(token=world.manager_b, city=world.city_b, lpr_enabled=True)
    read = webhook_read(world, cam_b, PLATE, now - timedelta(minutes=30))
    operator_a = operator_of(world, world.city_a)
    q = {"plate": PLATE, "city_id": world.city_b}

    def ask() -> dict[str, Any]:
        body = {
            "requesting_city_id": world.city_a,
            "holding_city_id": world.city_b,
            "case_id": str(uuid.uuid4()),
            "plates": [PLATE],
            "from": iso(now - timedelta(hours=2)),
            "to": iso(now + timedelta(hours=1)),
            "justification": "caso",
        }
        r = world.api.call("POST", "/v1/grants", body, world.manager_a)
        assert r.status == 201, r.text
        return dict(r.json())

    denied = ask()
    assert world.api.call("PATCH", f"/v1/grants/{denied['id']}", {"status": "denied"}, world.manager_b).status == 200
    assert search(world, operator_a, **q).status == 404
    approved = ask()
    world.api.call("PATCH", f"/v1/grants/{approved['id']}", {"status": "approved"}, world.manager_b)
    assert [i["id"] for i in search(world, operator_a, **q).json()["items"]] == [read]
    # The requesting city may revoke too; revoked is revoked at once
    r = world.api.call("PATCH", f"/v1/grants/{approved['id']}", {"status": "revoked"}, world.manager_a)
    assert r.status == 200 and r.json()["in_force"] is False
    assert search(world, operator_a, **q).status == 404
    # A window over 30 days, or the same city on both sides, is refused
    body = {
        "requesting_city_id": world.city_a,
        "holding_city_id": world.city_b,
        "case_id": str(uuid.uuid4()),
        "plates": [PLATE],
        "from": iso(now - timedelta(days=31)),
        "to": iso(now),
        "justification": "x",
    }
    assert world.api.call("POST", "/v1/grants", body, world.manager_a).json()["error"]["code"] == "range_too_long"
    same = {**body, "holding_city_id": world.city_a, "from": iso(now - timedelta(days=1))}
    assert world.api.call("POST", "/v1/grants", same, world.manager_a).status == 422
    # Another city may not ask in A's name, and a third city sees none of these grants
    assert (
        world.api.call("POST", "/v1/grants", {**body, "from": iso(now - timedelta(days=1))}, world.manager_b).status
        == 404
    )
