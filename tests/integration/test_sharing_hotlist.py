"""Inbound hotlists: a partner pushes JSON or CSV with its key (bad rows reported by line), its entries raise
`hotlist` alerts and are called back to its receiver; expired entries never match; a wrong key is 401; a
200k-plate `replace` is atomic for concurrent matching."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sharing_support import Receiver, agreement_body, batch_reads, feed_runtime, wait_for, webhook_read
from utils import Reply, World

from gtvision.core import db
from gtvision.core.settings import get_settings


@pytest.fixture()
def local_feed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("GTV_LOCAL", "1")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def push(
    world: World,
    agreement_id: str,
    key: str,
    body: Any = None,
    csv: str | None = None,
    query: dict[str, str] | None = None,
) -> Reply:
    if csv is not None:
        return world.api.call(
            "POST",
            f"/v1/agreements/{agreement_id}/hotlist",
            token=key,
            raw=csv.encode(),
            headers={"content-type": "text/csv"},
            query=query,
        )
    return world.api.call("POST", f"/v1/agreements/{agreement_id}/hotlist", body, token=key, query=query)


def alerts_of(world: World, kind: str) -> list[dict[str, Any]]:
    items = world.api.call("GET", "/v1/alerts", token=world.manager_a, query={"kind": kind, "limit": "200"})
    return list(items.json()["items"])


def test_partner_pushes_json_and_csv_hits_raise_hotlist_alerts_and_callbacks(world: World, local_feed: None) -> None:
    # Given an agreement sharing alerts, with a receiver
    receiver = Receiver()
    cam = world.camera(lpr_enabled=True)
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, receiver.url), world.manager_a).json()
    key = agreement["hotlist_key"]
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    # When the partner pushes JSON with two bad entries among good ones (one already expired)
    r = push(
        world,
        agreement["id"],
        key,
        {
            "mode": "upsert",
            "entries": [
                {"plate": "RBX1A23", "reason": "roubo", "source_ref": "BO 1234/2026"},
                {"plate": "!!", "reason": "x"},
                {"plate": "FUR2B34", "reason": "furto", "expires_at": past},
                {"plate": "CLN3C45", "reason": ""},
            ],
        },
    )
    # Then the good rows are taken and the bad ones reported by their position
    assert r.status == 200, r.text
    out = r.json()
    assert (out["applied"], out["accepted"], out["rejected"]) == (True, 2, 2)
    assert [e["line"] for e in out["errors"]] == [2, 4]
    # And a CSV with a header, a dd/mm/aaaa expiry, an RFC 3339 one and bad rows is reported by file line
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).strftime("%d/%m/%Y")
    csv = (
        "placa;motivo;referencia;validade\n"
        f"CSV1A11;roubo de veículo;BO 55/2026;{tomorrow}\n"
        "CSV2B22;furto;;\n"
        "nada;motivo;;\n"
        "CSV3C33;clonado;REF;31/02/2026\n"
        f"CSV4D44;apropriação;REF 9;{(datetime.now(UTC) + timedelta(days=3)).isoformat()}\n"
        "CSV5E55;só três\n"
    )
    r = push(world, agreement["id"], key, csv=csv)
    assert r.status == 200, r.text
    out = r.json()
    assert (out["accepted"], out["rejected"]) == (3, 3)
    assert [e["line"] for e in out["errors"]] == [4, 5, 7]
    # And the entries are in the city's watchlist with their agreement as source and their expiry
    watch = world.api.call("GET", "/v1/watchlist", token=world.manager_a, query={"limit": "100"}).json()["items"]
    mine = {w["plate"]: w for w in watch if w["agreement_id"] == agreement["id"]}
    assert set(mine) == {"RBX1A23", "FUR2B34", "CSV1A11", "CSV2B22", "CSV4D44"}
    assert mine["RBX1A23"]["source_ref"] == "BO 1234/2026" and mine["CSV1A11"]["expires_at"]
    # And a wrong key is 401, and another agreement's key too
    assert push(world, agreement["id"], "gtvhl_wrong", {"entries": []}).status == 401
    other = world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.manager_a).json()
    assert push(world, agreement["id"], other["hotlist_key"], {"entries": []}).status == 401
    assert push(world, agreement["id"], "", {"entries": []}).status == 401

    with feed_runtime():
        # When listed plates (one expired) are read by the city's cameras
        read_id = webhook_read(world, cam, "RBX1A23")
        webhook_read(world, cam, "FUR2B34")
        batch_reads([(cam, "CSV2B22")])
        # Then each live entry raises a hotlist alert; the expired one does not
        hot = alerts_of(world, "hotlist")
        assert {a["plate"] for a in hot} == {"RBX1A23", "CSV2B22"}
        alert = next(a for a in hot if a["plate"] == "RBX1A23")
        assert alert["read_ids"] == [read_id] and alert["detail"]["agreement_id"] == agreement["id"]
        # And the partner gets each hit back as a hotlist_hit, signed
        wait_for(lambda: {h["read"]["plate"] for h in receiver.hits()} >= {"RBX1A23", "CSV2B22"}, 30, "callbacks")
        hit = next(h for h in receiver.hits() if h["read"]["plate"] == "RBX1A23")
        assert set(hit) == {"type", "entry", "read"}
        assert hit["entry"]["source_ref"] == "BO 1234/2026" and hit["read"]["id"] == read_id
        assert receiver.verify_all(agreement["feed_secret"]) >= 2
        assert "FUR2B34" not in {h["read"]["plate"] for h in receiver.hits()}
    receiver.down()


def test_manager_upload_dry_run_previews_and_replace_with_bad_rows_changes_nothing(world: World) -> None:
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.manager_a).json()
    path = f"/v1/agreements/{agreement['id']}/hotlist"
    csv = "AAA1A11;roubo;;\nBBB2B22;furto;;\n"
    # A dry run shows what would be stored and changes nothing
    r = world.api.call(
        "POST",
        path,
        token=world.manager_a,
        raw=csv.encode(),
        headers={"content-type": "text/csv"},
        query={"dry_run": "true"},
    )
    assert r.status == 200 and r.json()["applied"] is False and len(r.json()["preview"]) == 2, r.text
    # A real upload stores; a replace with a bad row leaves the list as it was
    r = world.api.call("POST", path, token=world.manager_a, raw=csv.encode(), headers={"content-type": "text/csv"})
    assert r.json()["applied"] is True
    bad = "CCC3C33;roubo;;\nxx;furto;;\n"
    r = world.api.call(
        "POST",
        path,
        token=world.manager_a,
        raw=bad.encode(),
        headers={"content-type": "text/csv"},
        query={"mode": "replace"},
    )
    assert r.json()["applied"] is False and r.json()["errors"] == [{"line": 2, "error": r.json()["errors"][0]["error"]}]
    watch = world.api.call("GET", "/v1/watchlist", token=world.manager_a, query={"limit": "100"}).json()["items"]
    assert {w["plate"] for w in watch if w["agreement_id"] == agreement["id"]} == {"AAA1A11", "BBB2B22"}
    # Viewers and other cities' managers may not push
    assert world.api.call("POST", path, {"entries": []}, world.viewer_a).status == 403
    assert world.api.call("POST", path, {"entries": []}, world.manager_b).status == 404


def _plates(prefix: str, n: int) -> list[str]:
    """`n` distinct plates of the old format (ABC1234) starting with `prefix`."""
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return [f"{prefix}{letters[(i // 10_000) % 23]}{letters[(i // 230_000) % 23]}{i % 10_000:04d}" for i in range(n)]


def test_replace_of_a_200k_list_is_atomic_for_concurrent_matching(world: World) -> None:
    # Given an agreement whose list holds 200,000 plates ("old"), and a camera
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, None), world.manager_a).json()
    cam = world.camera(lpr_enabled=True)
    old, new = _plates("Q", 200_000), _plates("W", 200_000)
    both = "ZZZ9Z99"

    def csv_of(plates: list[str]) -> bytes:
        return ("\n".join(f"{p};roubo;;" for p in [*plates, both]) + "\n").encode()

    path = f"/v1/agreements/{agreement['id']}/hotlist"
    r = world.api.call(
        "POST", path, token=agreement["hotlist_key"], raw=csv_of(old), headers={"content-type": "text/csv"}
    )
    assert r.status == 200 and r.json()["accepted"] == 200_001, r.text[:300]
    # When the partner replaces it with another 200,000 plates while reads are being matched
    seen: list[tuple[int, bool, bool]] = []
    stop = threading.Event()

    def look() -> tuple[int, bool, bool]:
        with db.transaction() as conn:
            row = conn.execute(
                "SELECT count(*) AS n, bool_or(plate = %s) AS old, bool_or(plate = %s) AS new FROM watchlist"
                " WHERE agreement_id = %s AND plate IN (%s, %s, %s)",
                (old[7], new[7], agreement["id"], old[7], new[7], both),
            ).fetchone()
            total = conn.execute(
                "SELECT count(*) AS n FROM watchlist WHERE agreement_id = %s", (agreement["id"],)
            ).fetchone()["n"]
        return int(total), bool(row["old"]), bool(row["new"])

    def watch() -> None:
        while not stop.is_set():
            seen.append(look())

    def read_both() -> None:
        while not stop.is_set():
            batch_reads([(cam, both)])

    threads = [threading.Thread(target=watch), threading.Thread(target=read_both)]
    for t in threads:
        t.start()
    try:
        r = world.api.call(
            "POST",
            path,
            token=agreement["hotlist_key"],
            raw=csv_of(new),
            headers={"content-type": "text/csv"},
            query={"mode": "replace"},
        )
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert r.status == 200 and r.json()["removed"] == 200_000, r.text[:300]
    # Then every look during the swap saw the whole old list or the whole new one — never neither, never a mix
    assert seen and all(s in ((200_001, True, False), (200_001, False, True)) for s in seen), set(seen)
    # And once the push has answered, the new list is the one in force (a look still running when the answer came
    # may have seen the old one: its snapshot can predate the commit)
    assert look() == (200_001, False, True)
    # And every read of a plate on both lists raised its alert during the swap
    with db.transaction() as conn:
        reads = conn.execute(
            "SELECT count(*) AS n FROM plate_reads WHERE city_id = %s AND plate = %s", (world.city_a, both)
        ).fetchone()["n"]
        alerted = conn.execute(
            "SELECT count(*) AS n FROM alerts WHERE city_id = %s AND kind = 'hotlist' AND plate = %s",
            (world.city_a, both),
        ).fetchone()["n"]
    assert reads >= 1 and alerted == reads
