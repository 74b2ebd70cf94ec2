"""Availability (SLA) report (contract v1.2, "Control room"): what was uploaded, measured against what was
expected, per camera and for the city; JSON and a CSV for Brazilian spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import recording_support as rs
from console_browser import SKIP_REASON, Held, Page, browser, chromium_missing, serve_api
from utils import World

from gtvision.core import db
from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

# November 2026 in São Paulo (UTC−3): from 2026-11-01T03:00Z to 2026-12-01T03:00Z.
MONTH_START = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
MONTH_END = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
REGISTERED = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
RECORDED = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
STOPPED = (datetime(2026, 11, 28, tzinfo=UTC), datetime(2026, 11, 29, tzinfo=UTC))


@pytest.fixture(scope="module")
def month(api: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Given a city with two cameras in November: one registered on the 20th that recorded two touching
    segments and, five minutes later, a third, and that a manager stopped for a day; one that never recorded."""
    world = World.build(api)
    busy, idle = world.camera(name="Av. Brasil")["id"], world.camera(name="Praça Central")["id"]
    tmp = tmp_path_factory.mktemp("sla")
    segs = make_segments(str(tmp / "a"), 2, 4, start=RECORDED, fmt="ts")
    segs += make_segments(str(tmp / "b"), 1, 4, start=RECORDED + timedelta(minutes=5), fmt="ts")
    keys = {segment_key(busy, s.start, "ts") for s in segs}
    for seg in segs:
        rs.upload(segment_key(busy, seg.start, "ts"), seg.url_or_path)
    assert rs.deliver(keys) == {"batchItemFailures": []}
    with db.transaction() as conn:
        conn.execute("UPDATE cameras SET created_at = %s WHERE id = %s", (REGISTERED, busy))
        conn.execute("UPDATE cameras SET created_at = %s WHERE id = %s", (MONTH_START - timedelta(days=3), idle))
        for status, at in (("offline", STOPPED[0]), ("unknown", STOPPED[1])):
            conn.execute(
                "INSERT INTO camera_status_changes (camera_id, city_id, status, previous, at, source)"
                " VALUES (%s, %s, %s, 'online', %s, 'manager')",
                (busy, world.city_a, status, at),
            )
    return {"world": world, "busy": busy, "idle": idle, "rows": rs.segment_rows(busy)}


def test_figures_equal_what_was_uploaded_gaps_and_stops_included(month: dict[str, Any]) -> None:
    world, rows = month["world"], month["rows"]
    # When an operator asks for November
    r = world.api.call("GET", f"/v1/cities/{world.city_a}/sla", token=world.manager_a, query={"month": "2026-11"})
    assert r.status == 200, r.text
    out = r.json()
    by_id = {c["camera_id"]: c for c in out["cameras"]}
    busy, idle = by_id[month["busy"]], by_id[month["idle"]]
    # Then the busy camera was expected from its registration to the month's end, minus the manager's stop
    stop_s = (STOPPED[1] - STOPPED[0]).total_seconds()
    expected = (MONTH_END - REGISTERED).total_seconds() - stop_s
    assert busy["expected_s"] == pytest.approx(expected)
    # recorded what its three segments hold (their real durations, read from the media)
    assert len(rows) == 3
    assert busy["recorded_s"] == pytest.approx(sum(r["duration_s"] for r in rows), abs=0.01)
    assert busy["availability"] == pytest.approx(busy["recorded_s"] / expected, rel=1e-5)
    # and its gaps of a minute or more: before the first segment, the five minutes, until the stop, after it
    ends = sorted((r["start_at"], r["end_at"]) for r in rows)
    gaps = [ends[0][0] - REGISTERED, ends[2][0] - ends[1][1], STOPPED[0] - ends[2][1], MONTH_END - STOPPED[1]]
    assert busy["incidents"] == 4
    assert busy["longest_gap_s"] == pytest.approx(max(g.total_seconds() for g in gaps), abs=0.01)
    # The camera that never recorded was expected the whole month and is one long gap
    assert idle["expected_s"] == pytest.approx((MONTH_END - MONTH_START).total_seconds())
    assert idle["recorded_s"] == 0 and idle["availability"] == 0 and idle["incidents"] == 1
    assert out["availability"] == pytest.approx(busy["recorded_s"] / (expected + idle["expected_s"]), rel=1e-5)
    assert (out["month"], out["timezone"]) == ("2026-11", "America/Sao_Paulo")


def test_csv_opens_in_a_brazilian_spreadsheet(month: dict[str, Any]) -> None:
    world = month["world"]
    query = {"month": "2026-11", "format": "csv"}
    r = world.api.call("GET", f"/v1/cities/{world.city_a}/sla", token=world.manager_a, query=query)
    assert r.status == 200 and r.headers["content-type"].startswith("text/csv")
    assert "disponibilidade-2026-11.csv" in r.headers["content-disposition"]
    assert r.text.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(r.text.lstrip("\ufeff")), delimiter=";"))
    assert table[0][:4] == ["camera", "camera_id", "periodo_inicio", "periodo_fim"]
    lines = {row[1]: row for row in table[1:]}
    idle = lines[month["idle"]]
    # local dates (01/11 00:00 in São Paulo), decimal commas, no dots
    assert idle[2:4] == ["01/11/2026 00:00", "01/12/2026 00:00"]
    assert idle[4] == "720,00" and idle[5] == "0,00" and idle[6] == "0,00"
    busy = lines[month["busy"]]
    assert "," in busy[6] and "." not in busy[6]
    assert table[-1][0] == "TOTAL DA CIDADE"


def test_the_current_month_by_default_bad_months_and_other_cities(month: dict[str, Any]) -> None:
    world = month["world"]
    path = f"/v1/cities/{world.city_a}/sla"
    now = datetime.now(UTC) - timedelta(hours=3)
    assert world.api.call("GET", path, token=world.manager_a).json()["month"] == now.strftime("%Y-%m")
    bad = world.api.call("GET", path, token=world.manager_a, query={"month": "2026-13"})
    assert bad.status == 422 and bad.json()["error"]["code"] == "invalid_month"
    assert world.api.call("GET", path, token=world.manager_b).status == 404
    assert world.api.call("GET", path, token=world.viewer_a).status == 403


@pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)
def test_the_console_shows_the_months_table_bars_and_downloads_the_csv(month: dict[str, Any], api: Any) -> None:
    world = month["world"]
    username = f"operadora-sla-{month['busy'][:8]}"
    body = {"username": username, "password": "senha-forte-123", "role": "operator", "city_id": world.city_a}
    assert api.call("POST", "/v1/users", body, world.manager_a).status == 201
    with serve_api(api) as site, browser() as chromium:
        tab = Page(chromium, site, locale="pt-BR")
        p = tab.page
        tab.login(username, "senha-forte-123")
        # the screen's first request (the current month), held until November's has shown
        held = Held(p, "**/v1/cities/*/sla*", lambda url: "month=" not in url)
        p.goto(site + "/console#/disponibilidade")
        p.wait_for_selector("#tela-disponibilidade:not([hidden])")
        held.wait()  # the screen asks for the current month as it opens
        p.fill("#sla-mes", "11/2026")
        p.click("#form-sla button[type=submit]")
        p.wait_for_function("() => (document.querySelector('#sla-total')?.textContent || '').includes('11/2026')")
        # When the current month's answer arrives late, it does not replace the month the operator asked for
        held.release()
        assert "11/2026" in (p.text_content("#sla-total") or "")
        busy = p.locator(f'#sla-lista tr[data-camera="{month["busy"]}"]')
        busy.wait_for()
        idle = p.locator(f'#sla-lista tr[data-camera="{month["idle"]}"]')
        # Then each camera has its line: the idle one at 0,00% with an empty bar, the busy one above zero
        assert idle.locator(".sla-pct").text_content() == "0,00%"
        assert idle.locator(".sla-bar-fill").evaluate("e => e.getBoundingClientRect().width") == 0
        assert busy.locator("th a").text_content() == "Av. Brasil"
        assert "11/2026" in (p.text_content("#sla-total") or "")
        # And the CSV button downloads the spreadsheet of that month
        with p.expect_download() as download:
            p.click("#sla-csv")
        saved = download.value.path()
        text = open(saved, encoding="utf-8-sig").read()
        assert text.splitlines()[0].startswith("camera;camera_id;periodo_inicio")
        assert "01/11/2026 00:00" in text
        tab.close()


def test_a_user_restricted_to_camera_groups_sees_only_those_cameras(month: dict[str, Any], api: Any) -> None:
    world = month["world"]
    group = world.api.call(
        "POST",
        f"/v1/cities/{world.city_a}/camera-groups",
        {"name": "Avenidas", "camera_ids": [month["busy"]]},
        world.manager_a,
    )
    assert group.status == 201, group.text
    username = f"operador-grupo-{month['busy'][:8]}"
    body = {
        "username": username,
        "password": "senha-forte-123-grupo",
        "role": "operator",
        "city_id": world.city_a,
        "camera_group_ids": [group.json()["id"]],
    }
    assert world.api.call("POST", "/v1/users", body, world.manager_a).status == 201
    token = api.login(username, "senha-forte-123-grupo")
    out = world.api.call("GET", f"/v1/cities/{world.city_a}/sla", token=token, query={"month": "2026-11"}).json()
    assert [c["camera_id"] for c in out["cameras"]] == [month["busy"]]
    assert out["availability"] == pytest.approx(out["cameras"][0]["availability"])
