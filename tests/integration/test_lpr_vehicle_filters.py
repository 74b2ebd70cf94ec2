"""LPR search by vehicle colour and type: both camera formats, with and without plate, and index plans.

Real PostgreSQL (plans from EXPLAIN on the very statement the API runs), the chalice app, moto S3.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fixtures.intelbras_its import tollgate
from test_lpr_intelbras import push
from utils import iso

from gtvision.core import db, signatures
from gtvision.lpr import store as dal


def webhook(api: Any, camera: dict[str, Any], plate: str, color: str | None, vtype: str | None, at: datetime) -> str:
    body: dict[str, Any] = {"event_id": uuid.uuid4().hex, "plate": plate, "confidence": 0.9, "captured_at": iso(at)}
    vehicle = {k: v for k, v in {"color": color, "type": vtype}.items() if v}
    if vehicle:
        body["vehicle"] = vehicle
    raw = json.dumps(body).encode()
    sig = signatures.sign(camera["webhook_secret"], raw, int(time.time()))
    r = api.call("POST", "/v1/lpr/events", raw=raw, headers={"x-gtv-camera": camera["id"], "x-gtv-signature": sig})
    assert r.status == 202, r.text
    return str(r.json()["id"])


def test_color_and_type_filters_match_exactly_across_both_formats(world: Any) -> None:
    # Given reads from our webhook (English and Portuguese words) and from an Intelbras camera
    cam = world.camera(lpr_enabled=True)
    r = world.api.call(
        "PATCH",
        f"/v1/cameras/{cam['id']}",
        {"lpr_digest_username": "its", "lpr_digest_password": "senha-its-123"},
        world.manager_a,
    )
    assert r.status == 200
    now = datetime.now(UTC).replace(microsecond=0)
    black_pickup_en = webhook(world.api, cam, "AAA1A11", "Black", "Pickup", now - timedelta(minutes=50))
    black_pickup_pt = webhook(world.api, cam, "BBB2B22", "preta", "caminhonete", now - timedelta(minutes=40))
    webhook(world.api, cam, "CCC3C33", "Black", "Car", now - timedelta(minutes=30))
    webhook(world.api, cam, "DDD4D44", "White", "PickupTruck", now - timedelta(minutes=20))
    webhook(world.api, cam, "EEE5E55", None, None, now - timedelta(minutes=10))
    local = (now - timedelta(minutes=5)).astimezone(__import__("zoneinfo").ZoneInfo("America/Sao_Paulo"))
    its = push(
        world.api,
        cam["id"],
        tollgate(
            plate="FFF6F66",
            color="Black",
            vehicle_type="PickupTruck",
            accurate_time=local.strftime("%Y-%m-%d %H:%M:%S"),
        ),
        username="its",
        password="senha-its-123",
    )
    assert its.status == 200, its.text

    def search(**q: str) -> list[str]:
        query = {
            "camera_id": cam["id"],
            "from": iso(now - timedelta(hours=1)),
            "to": iso(now + timedelta(minutes=1)),
            **q,
        }
        r = world.api.call("GET", "/v1/lpr/events", token=world.viewer_a, query=query)
        assert r.status == 200, r.text
        return [i["plate"] for i in r.json()["items"]]

    # Then colour + type is exactly the black pickups, newest first, whatever the words and format
    assert search(color="preto", type="caminhonete") == ["FFF6F66", "BBB2B22", "AAA1A11"]
    assert search(color="black") == ["FFF6F66", "CCC3C33", "BBB2B22", "AAA1A11"]
    assert search(type="caminhonete") == ["FFF6F66", "DDD4D44", "BBB2B22", "AAA1A11"]
    assert search(plate="BBB2B22", color="preto") == ["BBB2B22"]
    assert search(plate="BBB2B22", color="branco") == []
    assert black_pickup_en and black_pickup_pt
    # and an unknown word is a 422, not an empty list
    r = world.api.call("GET", "/v1/lpr/events", token=world.viewer_a, query={"color": "furta-cor"})
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_vehicle_filter"
    # other cities' viewers see none of them
    r = world.api.call("GET", "/v1/lpr/events", token=world.viewer_b, query={"color": "preto", "type": "caminhonete"})
    assert all(i["camera_id"] != cam["id"] for i in r.json()["items"])


class _Explain:
    """A connection (and cursor) stand-in that runs EXPLAIN on the statement the store would run."""

    def __init__(self, conn: Any) -> None:
        self.conn = conn
        self.plan: dict[str, Any] = {}

    def cursor(self, row_factory: Any = None) -> _Explain:
        return self

    def __enter__(self) -> _Explain:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def execute(self, query: str, params: Any = None) -> Any:
        row = self.conn.execute("EXPLAIN (FORMAT JSON) " + query, params).fetchone()
        self.plan = row["QUERY PLAN"][0]["Plan"]
        return self

    def fetchall(self) -> list[Any]:
        return []


def _nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    out = [plan]
    for child in plan.get("Plans", []):
        out += _nodes(child)
    return out


@pytest.mark.slow
def test_vehicle_searches_are_index_scans(stack: dict[str, str]) -> None:
    # Given 100 000 reads in 20 cities over 30 days (the shape of 10 M; the full figure is in `make bench`)
    city = uuid.uuid4()
    colors = ["branco", "preto", "prata", "cinza", "vermelho", "azul"]
    types = ["carro", "moto", "caminhonete", "caminhao"]
    # A bulk load, not a request: past the API's statement timeout and the pool's watchdog (ADR 0010).
    with db.transaction(limit_s=600) as conn:
        conn.execute("SET LOCAL statement_timeout = 0")
        conn.execute(
            "INSERT INTO plate_reads (city_id, camera_id, event_id, plate, confidence, captured_at, vehicle_color,"
            " vehicle_type)"
            " SELECT CASE WHEN g %% 20 = 0 THEN %(city)s ELSE gen_random_uuid() END, gen_random_uuid(), 'bench-' || g,"
            " 'ABC' || lpad((g %% 10000)::text, 4, '0'), 0.9, now() - (g %% 43200) * interval '1 minute',"
            " (%(colors)s::text[])[1 + g %% 6], (%(types)s::text[])[1 + g %% 4]"
            " FROM generate_series(1, 100000) g",
            {"city": city, "colors": colors, "types": types},
        )
        conn.execute("ANALYZE plate_reads")
    now = datetime.now(UTC)
    cases = [
        dal.ReadFilter(str(city), None, now - timedelta(hours=2), now, "preto", "caminhonete"),
        dal.ReadFilter(str(city), None, now - timedelta(days=7), now, "vermelho", None),
        dal.ReadFilter(str(city), None, now - timedelta(days=7), now, None, "moto"),
    ]
    try:
        for flt in cases:
            # When the API's own search statement is planned
            with db.transaction() as conn:
                probe = _Explain(conn)
                dal.search_page(probe, flt, None, False, None, 50)  # type: ignore[arg-type]
            # Then it reads one of the vehicle indexes (never a sequential scan of the table)
            nodes = _nodes(probe.plan)
            assert "Seq Scan" not in {n["Node Type"] for n in nodes}, probe.plan
            used = {n.get("Index Name") for n in nodes if "Index" in n["Node Type"]}
            assert used & {"plate_reads_city_color_time_idx", "plate_reads_city_type_time_idx"}, probe.plan
        with db.transaction() as conn:
            probe = _Explain(conn)
            dal.search_page(probe, cases[0], "ABC0042", False, None, 50)  # type: ignore[arg-type]
        assert "Seq Scan" not in {n["Node Type"] for n in _nodes(probe.plan)}, probe.plan
    finally:
        with db.transaction() as conn:
            conn.execute("DELETE FROM plate_reads WHERE event_id LIKE 'bench-%%'")
