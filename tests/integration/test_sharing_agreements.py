"""Agreements through the API: secrets shown once and rotated, who may manage them, validity and status, the
monthly report as JSON, CSV for Brazilian spreadsheets and a pt-BR PDF."""

from __future__ import annotations

import base64
import csv
import io
from datetime import UTC, datetime, timedelta

from api_resources import iso
from sharing_support import agreement_body
from utils import World

from gtvision.core import db
from gtvision.sharing.store import hotlist as hotlist_store


def test_secrets_are_shown_once_stored_encrypted_or_hashed_and_rotated(world: World) -> None:
    r = world.api.call("POST", "/v1/agreements", agreement_body(world, "https://203.0.113.20/feed"), world.manager_a)
    assert r.status == 201, r.text
    created = r.json()
    assert created["city_id"] == world.city_a and created["status"] == "active"
    secret, key = created["feed_secret"], created["hotlist_key"]
    # Never again in any answer, nor in the database as given
    shown = world.api.call("GET", f"/v1/agreements/{created['id']}", token=world.manager_a)
    listed = world.api.call("GET", "/v1/agreements", token=world.manager_a)
    for text in (shown.text, listed.text):
        assert secret not in text and key not in text and "feed_secret" not in text
    with db.transaction() as conn:
        row = conn.execute(
            "SELECT feed_secret_enc, hotlist_key_hash FROM agreements WHERE id = %s", (created["id"],)
        ).fetchone()
    assert secret.encode() not in bytes(row["feed_secret_enc"]) and key not in row["hotlist_key_hash"]
    # Rotation gives new ones (once); the old key stops working at once
    r = world.api.call(
        "PATCH", f"/v1/agreements/{created['id']}", {"rotate": ["hotlist_key", "feed_secret"]}, world.manager_a
    )
    assert r.status == 200 and r.json()["hotlist_key"] not in (None, key) and r.json()["feed_secret"] != secret
    path = f"/v1/agreements/{created['id']}/hotlist"
    assert world.api.call("POST", path, {"entries": []}, key).status == 401
    assert world.api.call("POST", path, {"entries": []}, r.json()["hotlist_key"]).status == 200


def test_managers_manage_their_citys_agreements_admins_all(world: World) -> None:
    mine = world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.manager_a).json()
    # Another city's manager sees a 404, a viewer a 403, the admin everything
    assert world.api.call("GET", f"/v1/agreements/{mine['id']}", token=world.manager_b).status == 404
    assert world.api.call("GET", f"/v1/agreements/{mine['id']}", token=world.viewer_a).status == 403
    assert world.api.call("GET", "/v1/agreements", token=world.viewer_a).status == 403
    assert mine["id"] not in world.api.call("GET", "/v1/agreements", token=world.manager_b).text
    assert (
        mine["id"]
        in world.api.call(
            "GET", "/v1/agreements", token=world.admin, query={"city_id": world.city_a, "limit": "500"}
        ).text
    )
    # An admin names the city; a manager cannot make one for another city
    assert world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.admin).status == 422
    body = {**agreement_body(world, None), "city_id": world.city_b}
    assert world.api.call("POST", "/v1/agreements", body, world.manager_a).status == 404
    assert world.api.call("POST", "/v1/agreements", body, world.admin).json()["city_id"] == world.city_b
    # Scope cameras must be the city's own
    cam_b = world.camera(token=world.manager_b, city=world.city_b)
    scoped = agreement_body(world, None, camera_ids=[cam_b["id"]])
    assert world.api.call("POST", "/v1/agreements", scoped, world.manager_a).status == 404
    # Validity: a window that ends before it starts is refused; outside it the agreement does not flow
    now = datetime.now(UTC)
    bad = {**agreement_body(world, None), "valid_from": iso(now), "valid_until": iso(now - timedelta(days=1))}
    assert world.api.call("POST", "/v1/agreements", bad, world.manager_a).json()["error"]["code"] == "invalid_range"
    later = {
        **agreement_body(world, "https://203.0.113.20/f"),
        "valid_from": iso(now + timedelta(days=1)),
        "valid_until": iso(now + timedelta(days=30)),
    }
    assert world.api.call("POST", "/v1/agreements", later, world.manager_a).json()["flowing"] is False
    # Deleting an agreement removes its hotlist entries
    path = f"/v1/agreements/{mine['id']}/hotlist"
    world.api.call("POST", path, {"entries": [{"plate": "DEL1A23", "reason": "roubo"}]}, mine["hotlist_key"])
    with db.transaction() as conn:
        assert hotlist_store.count(conn, mine["id"]) == 1
    assert world.api.call("DELETE", f"/v1/agreements/{mine['id']}", token=world.manager_a).status == 204
    with db.transaction() as conn:
        assert hotlist_store.count(conn, mine["id"]) == 0
    assert world.api.call("GET", f"/v1/agreements/{mine['id']}", token=world.manager_a).status == 404


def test_monthly_report_json_csv_and_pdf(world: World) -> None:
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.manager_a).json()
    entries = [{"plate": f"REP{i}A2{i}", "reason": "roubo"} for i in range(3)]
    world.api.call("POST", f"/v1/agreements/{agreement['id']}/hotlist", {"entries": entries}, agreement["hotlist_key"])
    month = datetime.now(UTC).astimezone().strftime("%Y-%m")
    path = f"/v1/agreements/{agreement['id']}/report"
    r = world.api.call("GET", path, token=world.manager_a, query={"month": month})
    assert r.status == 200, r.text
    report = r.json()
    assert report["hotlist_entries_received"] == 3 and report["month"] == month
    assert report["accesses"] >= 2  # the push and this report
    # CSV for Brazilian spreadsheets: `;`, decimal comma, dd/mm/aaaa
    r = world.api.call("GET", path, token=world.manager_a, query={"month": month, "format": "csv"})
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    rows = dict(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    assert rows["Entradas de lista recebidas"] == "3" and rows["Taxa de falha (%)"] == "0,00"
    assert rows["Mês"] == f"{month[5:]}/{month[:4]}" and "/" in rows["Vigência"]
    # A pt-BR PDF
    r = world.api.call(
        "GET",
        path,
        token=world.manager_a,
        query={"month": month, "format": "pdf"},
        headers={"accept": "application/pdf"},
    )
    assert r.status == 200 and r.headers["content-type"] == "application/pdf"
    pdf = base64.b64decode(r.text)
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:]
    assert world.api.call("GET", path, token=world.manager_a, query={"month": "2026-13"}).status == 422
