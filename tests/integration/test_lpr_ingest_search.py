"""LPR search, trajectories, clone suspects, watchlist alerts (SNS → SQS) and batch ingest.

Real PostgreSQL and moto; reads arrive through the signed webhook or LprIngestFunction's handler.
"""

from __future__ import annotations

import json
import random
import string
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from test_lpr_webhook import event, post
from utils import LambdaContext, iso, load_function

from gtvision.core import aws, db, geo
from gtvision.core.settings import get_settings
from gtvision.lpr import plates
from gtvision.lpr import store as lpr_dal
from gtvision_local import events

SE = {"lat": -23.5505, "lon": -46.6333}  # São Paulo, Praça da Sé
PAULISTA = {"lat": -23.5614, "lon": -46.6559}  # São Paulo, Av. Paulista (~2.6 km)
CAMPINAS = {"lat": -22.9056, "lon": -47.0608}  # Campinas (~84 km)

CONFUSABLE = [
    ("O", "0"),
    ("I", "1"),
    ("B", "8"),
    ("S", "5"),
    ("Z", "2"),
    ("G", "6"),
    ("D", "0"),
    ("Q", "0"),
    ("A", "4"),
    ("T", "7"),
]
# Every pair of prefixes differs in all three positions (no O/D/Q), so the groups never cross-match.
PREFIXES = ["HJK", "MNP", "RUV", "WXY", "CEF", "LKR", "PVS", "TYZ", "BGC", "FHM"]


def handler() -> Any:
    return load_function("lpr_ingest", "handler").handler


def sqs_event(bodies: list[str]) -> dict[str, Any]:
    return events.sqs_event(bodies, "arn:aws:sqs:us-east-1:123456789012:gtvision-lpr-reads")


def batch_read(camera: dict[str, Any], plate: str, at: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "camera_id": camera["id"],
        "event_id": uuid.uuid4().hex,
        "plate": plate,
        "confidence": 0.9,
        "captured_at": iso(at),
        **fields,
    }


def ingest(reads: list[dict[str, Any]]) -> dict[str, Any]:
    """Given reads delivered as one SQS message to LprIngestFunction."""
    out = handler()(sqs_event([json.dumps(reads)]), LambdaContext())
    assert out == {"batchItemFailures": []}, out
    return out


def search(api: Any, token: str, **query: str) -> Any:
    return api.call("GET", "/v1/lpr/events", token=token, query=query)


def plates_of(reply: Any) -> list[str]:
    assert reply.status == 200, reply.text
    return [i["plate"] for i in reply.json()["items"]]


@pytest.fixture()
def cams(world: Any) -> dict[str, dict[str, Any]]:
    return {
        "se": world.camera(name="Sé", lpr_enabled=True, location=SE),
        "paulista": world.camera(name="Paulista", lpr_enabled=True, location=PAULISTA),
        "campinas": world.camera(name="Campinas", lpr_enabled=True, location=CAMPINAS),
        "b": world.camera(token=world.manager_b, city=world.city_b, name="Outra cidade", lpr_enabled=True, location=SE),
    }


NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)


# ------------------------------------------------------------------------------------- search


def test_fuzzy_finds_each_confusable_variant(api: Any, world: Any, cams: dict[str, Any]) -> None:
    # Given, per confusable pair, a read where OCR saw the letter
    ingest(
        [batch_read(cams["se"], f"{p}1{letter}23", NOW) for p, (letter, _) in zip(PREFIXES, CONFUSABLE, strict=True)]
    )
    for prefix, (letter, digit) in zip(PREFIXES, CONFUSABLE, strict=True):
        # When searching the plate with the digit
        r = search(api, world.viewer_a, plate=f"{prefix}1{digit}23", match="fuzzy")
        # Then the variant is found, as a confusion (not an arbitrary error), and nothing else
        items = r.json()["items"]
        assert [i["plate"] for i in items] == [f"{prefix}1{letter}23"], (letter, digit, r.text)
        assert items[0]["distance"] == 0.25


def test_fuzzy_ranks_closest_first_and_skips_unrelated(api: Any, world: Any, cams: dict[str, Any]) -> None:
    stored = ["ABC1Z84", "XYZ9876", "ABC1284", "ABC9934", "ABC1Z34", "ABC1234", "KLM1234"]
    ingest([batch_read(cams["se"], p, NOW + timedelta(seconds=i)) for i, p in enumerate(stored)])
    # exact 0, one confusion 0.25, one other error 1, both 1.25; two errors / unrelated never
    expected = ["ABC1234", "ABC1Z34", "ABC1284", "ABC1Z84"]
    assert plates_of(search(api, world.viewer_a, plate="abc-1234", match="fuzzy")) == expected
    # a query typed with digits in letter positions (A→4, B→8) still finds the plate first
    assert plates_of(search(api, world.viewer_a, plate="48C1234", match="fuzzy"))[0] == "ABC1234"
    # pages of 1 walk the same ranking
    seen, cursor = [], None
    while True:
        q = {"plate": "ABC1234", "match": "fuzzy", "limit": "1", **({"cursor": cursor} if cursor else {})}
        page = search(api, world.viewer_a, **q).json()
        seen += [i["plate"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == expected


def test_misreads_and_foreign_plates_are_found_and_brazilian_formats_rank_first(
    api: Any, world: Any, cams: dict[str, Any]
) -> None:
    # Given a camera's OCR misread of RIO2A18, an Argentine and a Paraguayan plate, and 6-char reads
    stored = ["R1O2A18", "AB123CD", "ABCD123", "RIO2A1", "RI02A1"]
    ingest([batch_read(cams["se"], p, NOW + timedelta(seconds=i)) for i, p in enumerate(stored)])
    # Then fuzzy search for the real plate finds the misread (two confusions: 1/I and O/0)
    r = search(api, world.viewer_a, plate="RIO2A18", match="fuzzy")
    assert plates_of(r) == ["R1O2A18"] and r.json()["items"][0]["format"] == "other"
    # exact search finds the foreign plates, each with its format
    for plate in ("AB123CD", "ABCD123", "R1O2A18"):
        r = search(api, world.viewer_a, plate=plate)
        assert plates_of(r) == [plate] and r.json()["items"][0]["format"] == "other"
    assert plates_of(search(api, world.viewer_a, plate="AB", match="prefix")) == ["ABCD123", "AB123CD"]
    # lengths stay apart: a 6-char query finds only 6-char reads, a 7-char one only 7-char reads
    assert sorted(plates_of(search(api, world.viewer_a, plate="RIO2A1", match="fuzzy"))) == ["RI02A1", "RIO2A1"]
    assert "RIO2A1" not in plates_of(search(api, world.viewer_a, plate="RIO2A18", match="fuzzy"))
    # When a Brazilian plate and a foreign-looking read are equally close to the query, the Brazilian comes first
    # (both one non-confusable edit from TIE1A23; alphabetically the foreign one would come first)
    ingest([batch_read(cams["se"], p, NOW) for p in ("TIE1AA3", "TIE5A23")])
    ranked = search(api, world.viewer_a, plate="TIE1A23", match="fuzzy").json()["items"]
    assert [(i["plate"], i["format"], i["distance"]) for i in ranked] == [
        ("TIE5A23", "br_mercosul", 1.0),
        ("TIE1AA3", "other", 1.0),
    ]
    # and paging walks that same order
    first = search(api, world.viewer_a, plate="TIE1A23", match="fuzzy", limit="1").json()
    second = search(api, world.viewer_a, plate="TIE1A23", match="fuzzy", limit="1", cursor=first["next_cursor"])
    assert [first["items"][0]["plate"], *plates_of(second)] == ["TIE5A23", "TIE1AA3"]


def test_watchlist_and_clone_detection_work_on_foreign_plates(api: Any, world: Any, cams: dict[str, Any]) -> None:
    # Given an Argentine plate on the watchlist
    r = api.call("POST", "/v1/watchlist", {"plate": "ar-123-cd", "reason": "furto"}, world.manager_a)
    assert r.status == 201, r.text
    assert r.json()["plate"] == "AR123CD"
    # When cameras read it at Sé, then 5 min later in Campinas (84 km away)
    t0 = datetime.now(UTC) - timedelta(minutes=20)
    first = post(api, cams["se"], event(plate="AR123CD", captured_at=iso(t0)))
    second = post(api, cams["campinas"], event(plate="AR123CD", captured_at=iso(t0 + timedelta(minutes=5))))
    assert first.status == second.status == 202
    # Then a watchlist alert per read and a clone suspect citing both
    items = [a for a in alerts_of(api, world.viewer_a).json()["items"] if a["plate"] == "AR123CD"]
    assert sorted(a["kind"] for a in items) == ["clone_suspect", "watchlist", "watchlist"]
    clone = next(a for a in items if a["kind"] == "clone_suspect")
    assert clone["read_ids"] == [first.json()["id"], second.json()["id"]]


def test_exact_and_prefix(api: Any, world: Any, cams: dict[str, Any]) -> None:
    stored = ["ABC1234", "ABC1Z34", "ABD5678", "XBC1234", "ABC1234"]
    ingest([batch_read(cams["se"], p, NOW + timedelta(minutes=i)) for i, p in enumerate(stored)])
    exact = search(api, world.viewer_a, plate="abc 1234")
    assert plates_of(exact) == ["ABC1234", "ABC1234"]
    times = [i["captured_at"] for i in exact.json()["items"]]
    assert times == sorted(times, reverse=True)  # newest first
    item = exact.json()["items"][0]
    assert set(item) >= {"id", "plate", "camera_id", "captured_at", "confidence", "image_url", "vehicle"}
    assert sorted(plates_of(search(api, world.viewer_a, plate="abc", match="prefix"))) == [
        "ABC1234",
        "ABC1234",
        "ABC1Z34",
    ]
    assert plates_of(search(api, world.viewer_a, plate="ABC1Z", match="prefix")) == ["ABC1Z34"]
    # time and camera filters ([from, to) half-open)
    window = {"from": iso(NOW + timedelta(minutes=1)), "to": iso(NOW + timedelta(minutes=4))}
    assert plates_of(search(api, world.viewer_a, plate="A", match="prefix", **window)) == ["ABD5678", "ABC1Z34"]
    assert plates_of(search(api, world.viewer_a, plate="ABC1234", camera_id=cams["paulista"]["id"])) == []
    # bad input
    assert search(api, world.viewer_a, plate="ABC1", match="exact").status == 422  # 4 characters: not a plate
    assert search(api, world.viewer_a, plate="ABC1", match="fuzzy").status == 422
    assert search(api, world.viewer_a, plate="ABC1234", match="soundex").status == 422
    assert search(api, world.viewer_a, plate="ABC1234", **{"from": "ontem"}).status == 422
    for cursor in ("lixo", "WyJ4IiwgInkiXQ", "WzEsIDIsIDNd"):  # not base64 JSON, ["x", "y"], [1, 2, 3]
        assert search(api, world.viewer_a, plate="ABC1234", cursor=cursor).status == 400
        assert search(api, world.viewer_a, plate="ABC1234", match="fuzzy", cursor=cursor).status == 400


def test_prefix_search_uses_the_plate_index(database_url: str) -> None:
    # Given a city with many reads of many plates (rolled back afterwards)
    city = str(uuid.uuid4())
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO plate_reads (city_id, camera_id, event_id, plate, confidence, captured_at)"
            " SELECT %s, gen_random_uuid(), g::text, upper(substr(md5(g::text), 1, 3)) || (g %% 10000)::text,"
            " 0.9, now() - g * interval '1 minute' FROM generate_series(1, 20000) g",
            (city,),
        )
        conn.execute("ANALYZE plate_reads")
        plan = "\n".join(
            r["QUERY PLAN"]
            for r in conn.execute(
                "EXPLAIN SELECT id FROM plate_reads r WHERE r.city_id = %s AND r.plate LIKE %s", (city, "ABC%")
            ).fetchall()
        )
        conn.rollback()
    # Then a prefix is a range scan of the plate B-tree
    assert "plate_reads_city_plate_idx" in plan and "~>=~" in plan, plan


def test_fuzzy_candidates_probe_the_group_keys_index_where_the_planner_would_scan_the_table(database_url: str) -> None:
    # Given a city with many reads of distinct plates, analysed (rolled back afterwards): nearly every key is
    # unique, so PostgreSQL keeps no element statistics and guesses 0.5 % of the rows per key
    city, rng = str(uuid.uuid4()), random.Random(11)
    reads = ["".join(rng.choices(string.ascii_uppercase, k=3)) + str(rng.randrange(1000, 9999)) for _ in range(20000)]
    with db.transaction() as conn:
        with conn.cursor().copy(
            "COPY plate_reads (city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
            " captured_at) FROM STDIN"
        ) as copy:
            for i, plate in enumerate(reads):
                row_keys = "{" + ",".join(plates.fuzzy_keys(plate)) + "}"
                copy.write_row((city, uuid.uuid4(), f"f{i}", plate, plates.ocr_skeleton(plate), row_keys, 0.9, "now"))
        conn.execute("ANALYZE plate_reads")
        skeleton, keys = plates.skeleton_and_keys(reads[7][:6] + "X")  # one character misread

        def scans() -> tuple[int, int]:
            row = conn.execute(
                "SELECT seq_scan, idx_scan FROM pg_stat_xact_user_tables WHERE relname = 'plate_reads'"
            ).fetchone()
            return (row["seq_scan"] or 0, row["idx_scan"] or 0) if row else (0, 0)

        # the bare query (what the search ran before migration 0016) is planned as a sequential scan ...
        bare = "\n".join(
            r["QUERY PLAN"]
            for r in conn.execute(
                "EXPLAIN SELECT DISTINCT plate FROM plate_reads r WHERE r.plate_keys && %s::text[] AND r.city_id = %s"
                " AND r.anonymised_at IS NULL LIMIT 2000",
                (keys, city),
            ).fetchall()
        )
        before = scans()
        found = lpr_dal.fuzzy_candidates(conn, lpr_dal.ReadFilter(city_id=city), skeleton, keys, 2000)
        after = scans()
        conn.rollback()
    assert "Seq Scan on plate_reads" in bare, bare
    # Then the search's candidates come from the group keys' index, never a scan of the table
    assert reads[7] in found
    assert after[0] == before[0] and after[1] > before[1], (before, after)


def test_searches_are_audited(api: Any, world: Any, cams: dict[str, Any]) -> None:
    search(api, world.viewer_a, plate="ABC1234", match="fuzzy")
    api.call("GET", "/v1/lpr/trajectory", token=world.viewer_a, query={"plate": "ABC1234"})
    with db.transaction() as conn:
        actions = {
            r["action"]
            for r in conn.execute(
                "SELECT action FROM audit_log WHERE city_id = %s AND action LIKE 'lpr.%%'", (world.city_a,)
            ).fetchall()
        }
    assert actions >= {"lpr.search", "lpr.trajectory"}


# ------------------------------------------------------------------------------------- trajectory


def test_trajectory_order_and_speeds(api: Any, world: Any, cams: dict[str, Any]) -> None:
    plate = "TRJ1A11"
    t0 = NOW
    # delivered out of order; a read of the same plate in another city is not part of city A's trip
    ingest(
        [
            batch_read(cams["se"], plate, t0 + timedelta(minutes=40)),
            batch_read(cams["paulista"], plate, t0 + timedelta(minutes=10)),
            batch_read(cams["se"], plate, t0),
            batch_read(cams["b"], plate, t0 + timedelta(minutes=20)),
        ]
    )
    q = {"plate": "trj-1a11", "from": iso(t0 - timedelta(minutes=1)), "to": iso(t0 + timedelta(hours=1))}
    r = api.call("GET", "/v1/lpr/trajectory", token=world.viewer_a, query=q)
    assert r.status == 200, r.text
    doc = r.json()
    assert doc["plate"] == plate
    points = doc["points"]
    assert [p["camera_name"] for p in points] == ["Sé", "Paulista", "Sé"]
    assert [p["captured_at"] for p in points] == sorted(p["captured_at"] for p in points)
    assert doc["cameras_visited"] == [cams["se"]["id"], cams["paulista"]["id"]]
    km = geo.haversine_km(SE["lat"], SE["lon"], PAULISTA["lat"], PAULISTA["lon"])
    assert points[0]["speed_kmh_from_previous"] is None
    assert points[1]["speed_kmh_from_previous"] == pytest.approx(km / (10 / 60), abs=0.1)
    assert points[2]["speed_kmh_from_previous"] == pytest.approx(km / (30 / 60), abs=0.1)
    assert (points[1]["lat"], points[1]["lon"]) == (PAULISTA["lat"], PAULISTA["lon"])
    # city B sees only its own read
    other = api.call("GET", "/v1/lpr/trajectory", token=world.viewer_b, query=q).json()
    assert [p["camera_id"] for p in other["points"]] == [cams["b"]["id"]]
    assert api.call("GET", "/v1/lpr/trajectory", token=world.viewer_a, query={"plate": "X1"}).status == 422


# ------------------------------------------------------------------------------------- alerts


def alerts_of(api: Any, token: str, **query: str) -> Any:
    return api.call("GET", "/v1/alerts", token=token, query=query or None)


def test_clone_suspect_from_far_apart_reads(api: Any, world: Any, cams: dict[str, Any]) -> None:
    # Given a plausible trip (Sé → Paulista in 10 min) and the same plate in Campinas 5 min after Sé
    t0 = datetime.now(UTC) - timedelta(minutes=30)
    plain = post(api, cams["se"], event(plate="OKK1A23", captured_at=iso(t0)))
    post(api, cams["paulista"], event(plate="OKK1A23", captured_at=iso(t0 + timedelta(minutes=10))))
    first = post(api, cams["se"], event(plate="CLN2B34", captured_at=iso(t0)))
    second_event = event(plate="cln-2b34", captured_at=iso(t0 + timedelta(minutes=5)))
    second = post(api, cams["campinas"], second_event)
    post(api, cams["campinas"], second_event)  # the camera retries: same read, no second alert
    assert plain.status == first.status == second.status == 202
    # Then exactly one clone_suspect alert cites both reads, in time order
    items = alerts_of(api, world.viewer_a).json()["items"]
    clones = [a for a in items if a["kind"] == "clone_suspect"]
    assert len(clones) == 1, items
    alert = clones[0]
    assert alert["plate"] == "CLN2B34" and alert["camera_id"] == cams["campinas"]["id"]
    assert alert["read_ids"] == [first.json()["id"], second.json()["id"]]
    assert alert["detail"]["speed_kmh"] > 900 and 80 < alert["detail"]["distance_km"] < 90
    assert {"id", "kind", "plate", "camera_id", "captured_at", "read_ids", "created_at"} <= set(alert)
    # another city sees none of it
    assert alerts_of(api, world.viewer_b).json()["items"] == []
    assert alerts_of(api, world.viewer_b, city_id=world.city_a).status == 404
    assert len(alerts_of(api, world.admin, city_id=world.city_a, kind="clone_suspect").json()["items"]) == 1
    # managers of the city triage it; others cannot
    path = f"/v1/alerts/{alert['id']}"
    assert api.call("PATCH", path, {"status": "investigating"}, world.viewer_a).status == 403
    assert api.call("PATCH", path, {"status": "investigating"}, world.manager_b).status == 404
    assert api.call("PATCH", path, {"status": "solved"}, world.manager_a).status == 422
    r = api.call("PATCH", path, {"status": "investigating"}, world.manager_a)  # v1.1's word for it
    assert r.status == 200 and r.json()["status"] == "acknowledged"


def test_watchlist_hit_raises_alert_and_sns_message(api: Any, world: Any, cams: dict[str, Any]) -> None:
    # Given an SQS queue subscribed to the alerts topic
    sqs, sns = aws.client("sqs"), aws.client("sns")
    queue_url = sqs.create_queue(QueueName=f"alerts-test-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=get_settings().alerts_topic_arn, Protocol="sqs", Endpoint=queue_arn)
    # and a watchlist with an exact and a fuzzy entry
    r = api.call("POST", "/v1/watchlist", {"plate": "wch-1a23", "reason": "furto"}, world.manager_a)
    assert r.status == 201, r.text
    exact_entry = r.json()
    assert exact_entry["plate"] == "WCH1A23" and exact_entry["fuzzy"] is False
    fuzzy_entry = api.call(
        "POST", "/v1/watchlist", {"plate": "FZY1B23", "reason": "mandado", "fuzzy": True}, world.manager_a
    ).json()
    # When the cameras read the exact plate, a confusable of the exact-only entry, and a confusable of the fuzzy one
    hit = post(api, cams["se"], event(plate="WCH1A23")).json()["id"]
    post(api, cams["se"], event(plate="WCH1423"))  # A/4 — the entry did not ask for fuzzy
    fuzzy_hit = post(api, cams["se"], event(plate="FZY1823")).json()["id"]  # B/8
    # Then two watchlist alerts, newest first
    items = [a for a in alerts_of(api, world.viewer_a).json()["items"] if a["kind"] == "watchlist"]
    assert [(a["plate"], a["read_ids"], a["watchlist_id"]) for a in items] == [
        ("FZY1823", [fuzzy_hit], fuzzy_entry["id"]),
        ("WCH1A23", [hit], exact_entry["id"]),
    ]
    since = alerts_of(api, world.viewer_a, since=iso(datetime.now(UTC) + timedelta(minutes=1))).json()
    assert since["items"] == []
    # and both were published to SNS and delivered to the subscribed queue
    got: dict[str, Any] = {}
    deadline = time.monotonic() + 20
    while len(got) < 2 and time.monotonic() < deadline:
        reply = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for m in reply.get("Messages", []):
            body = json.loads(m["Body"])
            alert = json.loads(body["Message"]) if "Message" in body else body
            if alert["city_id"] == world.city_a:
                got[alert["plate"]] = alert
    assert set(got) == {"WCH1A23", "FZY1823"}
    assert got["WCH1A23"]["kind"] == "watchlist" and got["WCH1A23"]["read_ids"] == [hit]
    # city B sees none of it and cannot touch the list
    assert alerts_of(api, world.viewer_b).json()["items"] == []
    assert api.call("GET", "/v1/watchlist", token=world.manager_b).json()["items"] == []
    assert api.call("DELETE", f"/v1/watchlist/{exact_entry['id']}", token=world.manager_b).status == 404
    # managers edit; viewers cannot; duplicates and bad plates are refused
    listed = api.call("GET", "/v1/watchlist", token=world.manager_a).json()["items"]
    assert {e["plate"] for e in listed} == {"WCH1A23", "FZY1B23"}
    assert api.call("GET", "/v1/watchlist", token=world.viewer_a).status == 403
    assert api.call("POST", "/v1/watchlist", {"plate": "AAA1111", "reason": "x"}, world.viewer_a).status == 403
    assert api.call("POST", "/v1/watchlist", {"plate": "WCH1A23", "reason": "x"}, world.manager_a).status == 409
    assert api.call("POST", "/v1/watchlist", {"plate": "WCH1", "reason": "x"}, world.manager_a).status == 422
    assert api.call("DELETE", f"/v1/watchlist/{exact_entry['id']}", token=world.manager_a).status == 204
    post(api, cams["se"], event(plate="WCH1A23"))
    assert len([a for a in alerts_of(api, world.viewer_a).json()["items"] if a["plate"] == "WCH1A23"]) == 1


def test_other_city_sees_no_reads(api: Any, world: Any, cams: dict[str, Any]) -> None:
    ingest([batch_read(cams["se"], "ISO1A23", NOW)])
    assert plates_of(search(api, world.viewer_a, plate="ISO1A23")) == ["ISO1A23"]
    assert plates_of(search(api, world.viewer_b, plate="ISO1A23")) == []
    assert plates_of(search(api, world.viewer_b, plate="ISO1A23", match="fuzzy")) == []
    assert search(api, world.viewer_b, plate="ISO1A23", city_id=world.city_a).status == 404
    assert search(api, world.viewer_b, plate="ISO1A23", camera_id=cams["se"]["id"]).status == 404
    assert plates_of(search(api, world.admin, plate="ISO1A23", city_id=world.city_a)) == ["ISO1A23"]


# ------------------------------------------------------------------------------------- batch ingest


def test_batch_ingest_fails_only_bad_records(api: Any, world: Any, cams: dict[str, Any]) -> None:
    good = [batch_read(cams["se"], "BAT1A23", NOW), batch_read(cams["paulista"], "bat-1a24", NOW)]
    bodies = [
        json.dumps(good),
        json.dumps(batch_read(cams["se"], "NOT-A-PLATE", NOW)),
        json.dumps({"reads": [batch_read({"id": str(uuid.uuid4())}, "BAT1A25", NOW)]}),  # unknown camera
        json.dumps(good[0]),  # a duplicate of a read in the same batch
        "not json",
    ]
    ev = sqs_event(bodies)
    out = handler()(ev, LambdaContext())
    ids = [r["messageId"] for r in ev["Records"]]
    assert sorted(f["itemIdentifier"] for f in out["batchItemFailures"]) == sorted([ids[1], ids[2], ids[4]])
    assert sorted(plates_of(search(api, world.viewer_a, plate="BAT", match="prefix"))) == ["BAT1A23", "BAT1A24"]
    # redelivery stores nothing new
    assert handler()(sqs_event([bodies[0]]), LambdaContext()) == {"batchItemFailures": []}
    assert len(plates_of(search(api, world.viewer_a, plate="BAT", match="prefix"))) == 2


def test_bulk_endpoint_enqueues_for_the_ingest_function(api: Any, world: Any, cams: dict[str, Any]) -> None:
    reads = [batch_read(cams["se"], f"BLK1A{i:02d}", NOW) for i in range(3)]
    for r in reads:
        r.pop("camera_id")
        r["camera_id"] = cams["se"]["id"]
    assert api.call("POST", "/v1/lpr/batch", {"reads": reads}, world.viewer_a).status == 403
    assert api.call("POST", "/v1/lpr/batch", {"reads": reads}, world.manager_b).status == 404
    bad = [{**reads[0], "plate": "???"}]
    assert api.call("POST", "/v1/lpr/batch", {"reads": bad}, world.manager_a).status == 422
    r = api.call("POST", "/v1/lpr/batch", {"reads": reads}, world.manager_a)
    assert r.status == 202, r.text
    assert r.json()["accepted"] == 3
    sqs = aws.client("sqs")
    url = get_settings().lpr_queue_url
    bodies: list[str] = []
    deadline = time.monotonic() + 10
    while not bodies and time.monotonic() < deadline:
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
            if "BLK1A" in m["Body"]:
                bodies.append(m["Body"])
    assert handler()(sqs_event(bodies), LambdaContext()) == {"batchItemFailures": []}
    assert sorted(plates_of(search(api, world.viewer_a, plate="BLK1A", match="prefix"))) == [
        "BLK1A00",
        "BLK1A01",
        "BLK1A02",
    ]


def test_the_group_keys_of_the_fuzzy_index_are_the_skeleton_without_each_run(database_url: str) -> None:
    # ABC1D23 → skeleton 48C1023 (A→4, B→8, D→0), runs [0, 2) [2, 4) [4, 7): each key leaves one run out
    skeleton, _ = plates.skeleton_and_keys("ABC1D23")
    with db.transaction() as conn:
        row = conn.execute("SELECT plate_fuzzy_groups(%s) AS g, plate_fuzzy_groups(NULL) AS n", (skeleton,)).fetchone()
    assert skeleton == "48C1023" and row["g"] == ["7aC1023", "7b48023", "7c48C1"] and row["n"] is None


MIGRATIONS = Path(__file__).resolve().parents[2] / "infra" / "migrations"


def test_the_fuzzy_index_key_function_is_inlined_on_insert_and_in_queries(database_url: str) -> None:
    # Given the database as migrated: plate_fuzzy_groups is expanded in place (migration 0100), not called per read
    with db.transaction() as conn:
        plan = "\n".join(
            r["QUERY PLAN"]
            for r in conn.execute(
                "EXPLAIN VERBOSE SELECT plate_fuzzy_groups(plate_skeleton) FROM plate_reads"
            ).fetchall()
        )
    assert "plate_fuzzy_groups" not in plan and "ARRAY[" in plan


def test_a_session_opened_before_migration_0100_still_finds_fuzzy_candidates_by_the_index(database_url: str) -> None:
    # Given, in a scratch schema, the function and index as migration 0042 made them, and a session that has used
    # the index (its cached expression is the function call)
    schema = f"m0100_{uuid.uuid4().hex[:8]}"
    old = (MIGRATIONS / "0042_plate_fuzzy_groups.sql").read_text().split("CREATE INDEX")[0]
    new = (MIGRATIONS / "0100_plate_fuzzy_groups_inline.sql").read_text()
    query = (
        "EXPLAIN SELECT * FROM plate_reads WHERE plate_fuzzy_groups(plate_skeleton) && plate_fuzzy_groups('48C1023')"
    )
    with psycopg.connect(database_url, autocommit=True) as early, psycopg.connect(database_url, autocommit=True) as mig:
        for conn in (early, mig):
            conn.execute(f"SET search_path = {schema}, public")
        early.execute(f"CREATE SCHEMA {schema}")
        try:
            early.execute(old)
            early.execute(
                "CREATE TABLE plate_reads AS SELECT upper(substr(md5(i::text), 1, 7)) AS plate_skeleton"
                " FROM generate_series(1, 20000) i"
            )
            index = "plate_reads_fuzzy_groups_gin ON plate_reads USING gin (plate_fuzzy_groups(plate_skeleton))"
            early.execute(f"CREATE INDEX {index}")
            early.execute("ANALYZE plate_reads")
            assert "Bitmap" in early.execute(query).fetchone()[0]
            # When another session runs migration 0100
            mig.execute(new)
            # Then the early session's plan still probes the index (a seq scan meant its cache went stale)
            assert "Bitmap" in early.execute(query).fetchone()[0]
        finally:
            early.execute(f"DROP SCHEMA {schema} CASCADE")
