"""The web console in a real browser (system Chromium driven by Playwright): the API app is served over
HTTP in process; every page error, console error and dialog fails the test."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import recording_support as rs
from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api

from gtvision.recordings.service import segment_key
from gtvision_local.testmedia import make_segments

pytestmark = pytest.mark.skipif(chromium_missing(), reason=SKIP_REASON)

ADMIN = ("admin", "admin-test-password")
DATE = r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}"


@pytest.fixture(scope="module")
def site(api: Any) -> Iterator[str]:
    with serve_api(api) as url:
        yield url


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser() as b:
        yield b


def test_root_lands_on_the_console_and_admin_logs_in_and_out(chromium: Any, site: str, api: Any) -> None:
    tab = Page(chromium, site)
    p = tab.page
    # GET / in a browser ends on the console's login screen
    p.goto(site + "/")
    assert p.url == site + "/console"
    p.wait_for_selector("#tela-login:not([hidden])")

    admin = api.login(*ADMIN)
    city = api.call("POST", "/v1/cities", {"name": "Cidade Navegador", "state": "SP", "retention_days": 7}, token=admin)
    assert city.status == 201, city.text
    tab.login(*ADMIN)
    p.goto(site + "/console#/cidades")
    assert _city_row(p, "Cidade Navegador").locator("a").text_content() == "Cidade Navegador"
    assert p.evaluate("() => sessionStorage.getItem('gtv.token')")

    # The admin creates a city through the form (plan, camera limit, timezone) and then edits its plan
    def reloaded() -> Any:  # the list's fresh first page after a save
        return p.expect_response(lambda r: urlsplit(r.url).path == "/v1/cities" and r.request.method == "GET")

    with reloaded():
        _submit(p, "#form-cidade-nova", {"name": "Cidade Formulário", "state": "AM", "camera_limit": "12",
                                         "timezone": "America/Manaus"})  # fmt: skip
    row = _city_row(p, "Cidade Formulário")
    assert "America/Manaus" in row.text_content()
    row.locator("button:text('Editar')").click()
    p.select_option("#form-cidade-editar [name=retention_days]", "30")
    with reloaded():
        p.click("#form-cidade-editar button[type=submit]")
    assert "30 dias" in _city_row(p, "Cidade Formulário").text_content()
    made, cursor = [], None
    while True:
        page = api.call(
            "GET", "/v1/cities", token=admin, query={"limit": "100", **({"cursor": cursor} if cursor else {})}
        ).json()
        made += [c for c in page["items"] if c["name"] == "Cidade Formulário"]
        if not (cursor := page["next_cursor"]):
            break
    assert [(c["retention_days"], c["camera_limit"], c["timezone"], c["state"]) for c in made] == [
        (30, 12, "America/Manaus", "AM")
    ]

    # Logout drops the token from the page and on the server
    token = p.evaluate("() => sessionStorage.getItem('gtv.token')")
    p.click("#sair")
    p.wait_for_selector("#tela-login:not([hidden])")
    assert p.evaluate("() => sessionStorage.getItem('gtv.token')") is None
    assert api.call("GET", "/v1/me", token=token).status == 401

    # A token the API refuses (expired, revoked) is dropped on the first 401 and the login screen returns
    p.evaluate("(t) => sessionStorage.setItem('gtv.token', t)", token)
    p.goto(f"{site}/console#/cidades")
    p.wait_for_selector("#tela-login:not([hidden])")
    p.wait_for_function("() => sessionStorage.getItem('gtv.token') === null")
    assert p.locator("#erro-texto").text_content()  # the API's message says why
    _no_script_ran(tab)
    tab.close()


# ---------------------------------------------------------------- management, mosaics, roles, XSS

FPS = 25
FRAME_S = 1 / FPS
SEG_S = 2.0
T0 = datetime(2026, 11, 22, 15, 0, tzinfo=UTC)  # 12:00:00 in São Paulo
XSS = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>'


def _city_row(p: Any, name: str) -> Any:
    """The cities list's row of `name`, pressing "Carregar mais" while it is on a later page (other tests'
    cities come first in a full run)."""
    row = p.locator("#cidades-lista tr", has_text=name)
    p.wait_for_selector("#cidades-lista tr")
    for _ in range(100):
        if row.count():
            return row
        p.click("#cidades-mais")
        p.wait_for_function("() => !document.getElementById('cidades-mais').disabled")
    raise AssertionError(f"{name} not in the cities list")


def _no_script_ran(tab: Page) -> None:
    p = tab.page
    assert not tab.dialogs, tab.dialogs
    assert p.evaluate("() => window.__xss") is None
    assert p.evaluate("() => document.querySelectorAll('img[src=\"x\"], main script').length") == 0
    # (a stream host the test environment cannot resolve is a network error, not a script one)
    assert not [e for e in tab.errors if not e.startswith("Failed to load resource")], tab.errors


def _record(camera_id: str, offset_s: float, segs: list[Any]) -> None:
    """The same three 2 s segments, registered for `camera_id` starting at T0 + offset_s."""
    keys = set()
    for i, seg in enumerate(segs):
        key = segment_key(camera_id, T0 + timedelta(seconds=offset_s + i * SEG_S), "mp4")
        rs.upload(key, seg.url_or_path)
        keys.add(key)
    assert rs.deliver(keys) == {"batchItemFailures": []}


@pytest.fixture(scope="module")
def media(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture()
def live_site(api: Any, media: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The API and the test's HLS "live" streams on one origin: MediaMTX's HLS URL points at /media."""
    from gtvision.core.settings import get_settings

    with serve_api(api, media) as url:
        monkeypatch.setenv("GTV_MEDIAMTX_HLS_URL", url + "/media")
        get_settings.cache_clear()
        yield url
    monkeypatch.undo()
    get_settings.cache_clear()


def _check_cameras(p: Any, form: str, cameras: list[str]) -> None:
    """Check `cameras` in a mosaic form's camera list (in that order: the order of the tiles)."""
    for camera in cameras:
        p.check(f"{form} .checklist input[value='{camera}']")


def _submit(p: Any, form: str, fields: dict[str, str], check: dict[str, bool] | None = None) -> None:
    for name, value in fields.items():
        control = f"{form} [name={name}]"
        if p.eval_on_selector(control, "e => e.tagName") == "SELECT":  # UF, time zone, layout: picked, not typed
            p.select_option(control, value)
        else:
            p.fill(control, value)
    for name, on in (check or {}).items():
        p.set_checked(f"{form} [name={name}]", on)
    p.click(f"{form} button[type=submit]")


def test_manager_creates_camera_viewer_and_mosaic_plays_live_and_in_sync_and_viewer_sees_no_management(
    chromium: Any, live_site: str, api: Any, media: Path, tmp_path: Path
) -> None:
    site = live_site
    admin = api.login(*ADMIN)
    # Given a city and a manager (names a user can type, with markup in them)
    city = api.call("POST", "/v1/cities", {"name": "Mosaico " + XSS, "state": "SP", "retention_days": 7}, token=admin)
    assert city.status == 201, city.text
    city_id = city.json()["id"]
    manager = {"username": f"gestor{city_id[:6]}", "password": "senha-gestor-16", "role": "manager", "city_id": city_id}
    assert api.call("POST", "/v1/users", manager, token=admin).status == 201

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(manager["username"], manager["password"])

    # When the manager adds a camera with LPR through the city's page
    p.goto(f"{site}/console#/cidades/{city_id}")
    p.wait_for_selector("#form-camera-nova")
    _submit(
        p,
        "#form-camera-nova",
        {
            "name": "Câmera " + XSS,
            "source_url": "rtsp://10.0.0.16:554/live",
            "username": "operador",
            "password": "senha-da-camera",
        },
        {"lpr_enabled": True},
    )
    # Then its LPR secret is shown once, with a copy button, and the camera is listed by its name as text
    secret = p.wait_for_selector("[data-secret] code").text_content()
    assert secret and len(secret) >= 16
    assert p.locator("[data-secret] button").text_content() == "Copiar"
    p.wait_for_selector("#cameras-lista tr")
    assert p.locator("#cameras-lista a").first.text_content() == "Câmera " + XSS
    ui_camera = api.call("GET", f"/v1/cities/{city_id}/cameras", token=admin).json()["items"][0]
    assert ui_camera["has_credentials"] and "senha-da-camera" not in json.dumps(ui_camera)
    # And editing shows no credential back
    p.click("#cameras-lista button:text('Editar')")
    p.wait_for_selector("#form-camera-editar")
    assert p.input_value("#form-camera-editar [name=password]") == ""
    assert p.input_value("#form-camera-editar [name=username]") == ""
    assert p.input_value("#form-camera-editar [name=name]") == "Câmera " + XSS
    _no_script_ran(tab)

    # Given three more cameras, and the same 6 s recording on each, starting 0, 1, 2 and 3 s after T0
    mtok = api.login(manager["username"], manager["password"])
    cams = [ui_camera["id"]] + [
        api.call("POST", f"/v1/cities/{city_id}/cameras", {"name": f"Cam {i}", "source_url": f"rtsp://10.0.0.{i}/s"},
                 token=mtok).json()["id"]
        for i in (2, 3, 4)
    ]  # fmt: skip
    segs = make_segments(str(tmp_path / "segs"), 3, SEG_S, start=T0, fps=FPS, gop=FPS, fmt="fmp4")
    for i, cam in enumerate(cams):
        _record(cam, i, segs)
        # The test's "live" stream of each camera: an HLS playlist of its recording, served at /media
        pl = api.call("GET", f"/v1/cameras/{cam}/playback.m3u8", token=mtok,
                      query={"from": "2026-11-22T14:59:00Z", "to": "2026-11-22T15:01:00Z"})  # fmt: skip
        assert pl.status == 200, pl.text
        (media / cam).mkdir()
        (media / cam / "index.m3u8").write_text(pl.text)

    # When the manager creates a viewer through the Users screen
    viewer = {"username": f"visor{city_id[:6]}", "password": "senha-visor-16"}
    p.goto(f"{site}/console#/usuarios")
    p.wait_for_selector("#form-usuario")
    _submit(p, "#form-usuario", viewer)
    p.wait_for_selector(f"#usuarios-lista td:text('{viewer['username']}')")

    # And a 2×2 mosaic of the four cameras through the Mosaics screen (checked in the city's camera list)
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector("#form-mosaico")
    p.fill("#form-mosaico [name=name]", "Mosaico " + XSS)
    _check_cameras(p, "#form-mosaico", cams)
    p.click("#form-mosaico button[type=submit]")
    # Then it opens with four tiles, each with its camera's name (as text) and status, all playing live
    p.wait_for_selector("#mosaico-grade .tile >> nth=3")
    assert p.locator("#mosaico-titulo").text_content() == "Mosaico " + XSS
    assert p.locator("#mosaico-grade figcaption strong").first.text_content() == "Câmera " + XSS
    assert p.locator("#mosaico-grade figcaption .badge").count() == 4
    # (each test stream is a 6 s recording: playing means its clock moved, or it already played to the end)
    p.wait_for_function(
        "() => [...document.querySelectorAll('#mosaico-grade video')].every(v => v.currentTime > 0.5 || v.ended)",
        timeout=30000,
    )
    _no_script_ran(tab)

    # When playback mode plays 11:59–12:01 (São Paulo), typed dd/mm/aaaa, is paused with the one button for all,
    # and the shared timeline is moved once, to 12:00:04.5
    p.fill("#mosaico-de", "22/11/2026 11:59:00")
    p.fill("#mosaico-ate", "22/11/2026 12:01:00")
    p.click("#form-mosaico-reproducao button[type=submit]")
    p.wait_for_selector("#mosaico-linha:not([hidden])")
    p.wait_for_function("() => [...document.querySelectorAll('#mosaico-grade video')].every(v => v.readyState >= 1)",
                        timeout=30000)  # fmt: skip
    p.wait_for_function("() => document.getElementById('mosaico-play').getAttribute('aria-label') === 'Pausar'")
    p.click("#mosaico-play")
    p.wait_for_function("() => [...document.querySelectorAll('#mosaico-grade video')].every(v => v.paused)")
    p.evaluate(
        """() => { const s = document.getElementById('mosaico-instante');
                   s.value = String(60 + 4.5); s.dispatchEvent(new Event('input', {bubbles: true})); }"""
    )
    p.wait_for_function("() => [...document.querySelectorAll('#mosaico-grade video')].every(v => !v.seeking)")
    times = p.evaluate("() => [...document.querySelectorAll('#mosaico-grade video')].map(v => v.currentTime)")
    # Then each tile shows 12:00:04.5 of its own recording (which began i s after T0), within one frame
    assert times == [pytest.approx(4.5 - i, abs=FRAME_S) for i in range(4)], times
    # And the instant is written dd/mm/aaaa in São Paulo time, in an en-US browser in New York
    assert p.locator("#mosaico-instante-texto").text_content() == "22/11/2026 12:00:04"
    _no_script_ran(tab)

    # The camera screen (ES module of its own) opens a recording at an instant: the day's timeline in the
    # city's time, and the player loading the window from 5 s before, labelled dd/mm/aaaa HH:MM:SS
    p.goto(f"{site}/console#/cameras/{cams[0]}?em=2026-11-22T15:00:02Z")
    p.wait_for_function("() => document.getElementById('timeline-info').textContent.includes('3 segmentos')")
    p.wait_for_function("() => document.getElementById('rep-de').value === '11:59:57'")  # 5 s before, city time
    assert p.input_value("#dia") == "22/11/2026"
    p.wait_for_function(
        "() => document.getElementById('player-info').textContent === 'Gravação de 22/11/2026 11:59:57 a 12:02:02'"
    )
    p.wait_for_function("() => document.getElementById('player').readyState >= 1")
    assert p.locator("#erro").is_hidden()
    _no_script_ran(tab)

    # The manager edits the mosaic in place: same id, new name, one camera fewer
    mosaic_id = api.call("GET", "/v1/mosaics", token=mtok).json()["items"][0]["id"]
    p.goto(f"{site}/console#/mosaicos")
    p.click("#mosaicos-lista button:text('Editar')")
    p.wait_for_selector("#form-mosaico-editar")
    assert p.input_value("#form-mosaico-editar [name=name]") == "Mosaico " + XSS
    p.fill("#form-mosaico-editar [name=name]", "Mosaico editado")
    p.uncheck(f"#form-mosaico-editar .checklist input[value='{cams[3]}']")
    p.click("#form-mosaico-editar button[type=submit]")
    p.wait_for_function("() => document.getElementById('mosaico-titulo').textContent === 'Mosaico editado'")
    assert p.url.endswith(f"#/mosaicos/{mosaic_id}")
    assert p.locator("#mosaico-grade .tile:not(.empty)").count() == 3
    _no_script_ran(tab)
    tab.close()

    # A viewer is offered no management at all ...
    vtab = Page(chromium, site, locale="en-US")
    v = vtab.page
    vtab.login(viewer["username"], viewer["password"])
    for screen in ("cidades", f"cidades/{city_id}", "mosaicos"):
        v.goto(f"{site}/console#/{screen}")
        v.wait_for_selector(".screen:not([hidden]) tbody tr")
        assert v.locator(".screen:not([hidden]) form, .screen:not([hidden]) button.danger").count() == 0, screen
        assert v.locator(".screen:not([hidden]) button:text('Editar')").count() == 0, screen
    assert v.locator("#menu a[data-manage]:visible").count() == 0
    assert v.locator("#menu a:visible").count() >= 4
    _no_script_ran(vtab)
    vtab.close()
    # ... and the API refuses them anyway
    vtok = api.login(viewer["username"], viewer["password"])
    body = {"name": "x", "source_url": "rtsp://10.0.0.9/s"}
    assert api.call("POST", f"/v1/cities/{city_id}/cameras", body, token=vtok).status == 403
    assert api.call("POST", "/v1/mosaics", {"name": "x", "camera_ids": cams[:1]}, token=vtok).status == 403
    assert api.call("POST", "/v1/users", {**viewer, "username": "outro16", "role": "viewer"}, token=vtok).status == 403
    assert api.call("DELETE", f"/v1/cameras/{cams[0]}", token=vtok).status == 403


def test_an_admin_picks_the_city_of_a_new_mosaic_and_edits_another_citys_mosaic_with_its_cameras(
    chromium: Any, site: str, api: Any
) -> None:
    admin = api.login(*ADMIN)
    cams: dict[str, list[str]] = {}
    cities: dict[str, str] = {}
    for name in ("Norte", "Sul"):
        city = api.call("POST", "/v1/cities", {"name": f"Cidade {name} Mosaico", "state": "MG", "retention_days": 7},
                        token=admin).json()  # fmt: skip
        cities[name] = city["id"]
        cams[name] = []
        for i in (1, 2):
            body = {"name": f"{name} cam {i}", "source_url": f"rtsp://10.9.{len(cams)}.{i}/s"}
            cams[name].append(api.call("POST", f"/v1/cities/{city['id']}/cameras", body, token=admin).json()["id"])
    existing = api.call("POST", "/v1/mosaics", {"name": "Mosaico do Norte", "camera_ids": cams["Norte"][:1],
                                                "layout": "2x2"}, token=admin).json()  # fmt: skip

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(*ADMIN)
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector("#mosaico-cidade")
    # When the admin picks the second city, the form offers that city's cameras (and only them)
    p.select_option("#mosaico-cidade", cities["Sul"])
    offered = "[...document.querySelectorAll('#form-mosaico .checklist input[type=checkbox]')].map(e => e.value)"
    p.wait_for_function(
        f"(ids) => {{ const o = {offered}; return o.length === ids.length && ids.every(i => o.includes(i)); }}",
        arg=cams["Sul"],
    )
    p.fill("#form-mosaico [name=name]", "Mosaico do Sul")
    _check_cameras(p, "#form-mosaico", cams["Sul"])
    p.click("#form-mosaico button[type=submit]")
    p.wait_for_selector("#mosaico-grade .tile >> nth=1")
    created = [m for m in api.call("GET", "/v1/mosaics", query={"limit": "500"}, token=admin).json()["items"]
               if m["name"] == "Mosaico do Sul"]  # fmt: skip
    assert len(created) == 1 and created[0]["city_id"] == cities["Sul"]
    assert set(created[0]["camera_ids"]) == set(cams["Sul"])

    # And editing the other city's mosaic offers the cameras of that mosaic's city, not the chooser's
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector(f"#mosaicos-lista a[href='#/mosaicos/{existing['id']}']")
    p.locator("#mosaicos-lista tr", has=p.locator(f"a[href='#/mosaicos/{existing['id']}']")).locator(
        "button:text('Editar')").click()  # fmt: skip
    p.wait_for_selector("#form-mosaico-editar")
    options = p.eval_on_selector_all(
        "#form-mosaico-editar .checklist input[type=checkbox]", "os => os.map(o => o.value)"
    )
    assert sorted(options) == sorted(cams["Norte"])
    _check_cameras(p, "#form-mosaico-editar", cams["Norte"])
    p.click("#form-mosaico-editar button[type=submit]")
    p.wait_for_selector("#mosaico-grade .tile >> nth=1")
    edited = api.call("GET", f"/v1/mosaics/{existing['id']}", token=admin).json()
    assert set(edited["camera_ids"]) == set(cams["Norte"])
    _no_script_ran(tab)
    tab.close()


def test_a_manager_restricted_to_camera_groups_renames_a_shared_wall_and_is_told_why_its_cameras_stay(
    chromium: Any, site: str, api: Any
) -> None:
    # Given a wall of two cameras, and a manager whose camera group holds only the first (and a third camera)
    admin = api.login(*ADMIN)
    city = api.call("POST", "/v1/cities", {"name": "Cidade Grupos Mosaico", "state": "PR", "retention_days": 7},
                    token=admin).json()  # fmt: skip
    cams = [
        api.call(
            "POST",
            f"/v1/cities/{city['id']}/cameras",
            {"name": f"Grupo cam {i}", "source_url": f"rtsp://10.7.0.{i}/s"},
            token=admin,
        ).json()["id"]  # fmt: skip
        for i in (1, 2, 3)
    ]
    wall = api.call("POST", "/v1/mosaics", {"name": "Centro compartilhado", "camera_ids": cams[:2], "layout": "2x2"},
                    token=admin).json()  # fmt: skip
    group = api.call("POST", f"/v1/cities/{city['id']}/camera-groups", {"name": "Só a 1 e a 3",
                     "camera_ids": [cams[0], cams[2]]}, token=admin).json()  # fmt: skip
    user = {"username": "gestor-grupo-mosaico", "password": "frase-longa-do-teste-42", "role": "manager",
            "city_id": city["id"], "camera_group_ids": [group["id"]]}  # fmt: skip
    assert api.call("POST", "/v1/users", user, token=admin).status == 201

    tab = Page(chromium, site)
    p = tab.page
    tab.login(user["username"], user["password"])
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector(f"#mosaicos-lista a[href='#/mosaicos/{wall['id']}']")
    row = p.locator("#mosaicos-lista tr", has=p.locator(f"a[href='#/mosaicos/{wall['id']}']"))
    row.locator("button:text('Editar')").click()
    p.wait_for_selector("#form-mosaico-editar")
    # When they rename it (the cameras they see left as they are)
    p.fill("#form-mosaico-editar [name=name]", "Centro (renomeado)")
    p.click("#form-mosaico-editar button[type=submit]")
    p.wait_for_url(f"**#/mosaicos/{wall['id']}")
    # Then the wall is renamed and keeps the camera they cannot see
    saved = api.call("GET", f"/v1/mosaics/{wall['id']}", token=admin).json()
    assert saved["name"] == "Centro (renomeado)" and saved["camera_ids"] == cams[:2]

    # When they try to add their other camera to it
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector(f"#mosaicos-lista a[href='#/mosaicos/{wall['id']}']")
    row.locator("button:text('Editar')").click()
    p.wait_for_selector("#form-mosaico-editar")
    _check_cameras(p, "#form-mosaico-editar", [cams[2]])
    p.click("#form-mosaico-editar button[type=submit]")
    # Then the console says why, in Portuguese, and the wall is unchanged
    p.wait_for_selector("#erro:not([hidden])")
    assert "câmeras fora dos seus grupos" in (p.locator("#erro-texto").text_content() or "")
    assert api.call("GET", f"/v1/mosaics/{wall['id']}", token=admin).json()["camera_ids"] == cams[:2]
    tab.close()


def test_city_pick_lists_follow_every_page_of_cities(chromium: Any, site: str, api: Any) -> None:
    """Admins of a whole state see hundreds of cities: the user form, the mosaic form and Sentinela's camera
    list take them all, not the first page (the city list is served here in two pages of one city each)."""
    admin = api.login(*ADMIN)
    made: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for name in ("Primeira", "Segunda"):
        city = api.call("POST", "/v1/cities", {"name": f"Página {name}", "state": "BA", "retention_days": 7},
                        token=admin).json()  # fmt: skip
        cam = api.call(
            "POST",
            f"/v1/cities/{city['id']}/cameras",
            {"name": f"Cam da {name}", "source_url": f"rtsp://10.8.0.{len(made) + 1}/s"},
            token=admin,
        ).json()
        made.append((city, cam))  # fmt: skip
    pages = {None: {"items": [made[0][0]], "next_cursor": "pagina-2"}, "pagina-2": {"items": [made[1][0]],
             "next_cursor": None}}  # fmt: skip
    asked: list[str | None] = []

    def city_pages(route: Any) -> None:
        cursor = dict(parse_qsl(urlsplit(route.request.url).query)).get("cursor")
        asked.append(cursor)
        route.fulfill(status=200, content_type="application/json", body=json.dumps(pages[cursor]))

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(*ADMIN)
    p.route(lambda url: urlsplit(url).path == "/v1/cities", city_pages)
    names = [c["name"] for c, _ in made]
    # The new user's city
    p.goto(f"{site}/console#/usuarios")
    p.wait_for_selector("#form-usuario [name=city_id]")
    options = p.eval_on_selector_all("#form-usuario [name=city_id] option", "os => os.map(o => o.textContent)")
    assert all(n in options for n in names), options
    # The new mosaic's city
    p.goto(f"{site}/console#/mosaicos")
    p.wait_for_selector("#mosaico-cidade")
    options = p.eval_on_selector_all("#mosaico-cidade option", "os => os.map(o => o.textContent)")
    assert options == names
    # Sentinela's cameras, grouped by city
    p.goto(f"{site}/console#/sentinela")
    p.wait_for_selector("#sent-cameras optgroup >> nth=1", state="attached")
    groups = p.eval_on_selector_all("#sent-cameras optgroup", "gs => gs.map(g => g.label)")
    assert groups == names
    cams = p.eval_on_selector_all("#sent-cameras option", "os => os.map(o => o.value)")
    assert cams == [cam["id"] for _, cam in made]
    assert asked.count("pagina-2") == 3 and asked.count(None) == 3  # each list followed the cursor once
    _no_script_ran(tab)
    tab.close()


def test_typed_strings_with_markup_render_as_text_on_every_screen(chromium: Any, site: str, api: Any) -> None:
    admin = api.login(*ADMIN)
    city = api.call("POST", "/v1/cities", {"name": "Cidade " + XSS, "state": "SP", "retention_days": 15}, token=admin)
    city_id = city.json()["id"]
    user = {"username": f"xss{city_id[:8]}", "password": "senha-xss-16", "role": "manager", "city_id": city_id}
    assert api.call("POST", "/v1/users", user, token=admin).status == 201
    tok = api.login(user["username"], user["password"])
    cam = api.call("POST", f"/v1/cities/{city_id}/cameras", {"name": "Cam " + XSS, "source_url": "rtsp://10.1.1.1/s"},
                   token=tok).json()  # fmt: skip
    mosaic = api.call("POST", "/v1/mosaics", {"name": "Mos " + XSS, "camera_ids": [cam["id"]], "layout": "2x2"},
                      token=tok).json()  # fmt: skip

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(user["username"], user["password"])
    # The watchlist entry is typed into the console's own form
    p.goto(f"{site}/console#/observacao")
    _submit(p, "#form-observacao", {"plate": "xss1a23", "reason": "Motivo " + XSS})
    p.wait_for_selector("#observacao-lista .plate:text-is('XSS1A23')")
    assert [w["reason"] for w in api.call("GET", "/v1/watchlist", token=tok).json()["items"]] == ["Motivo " + XSS]
    screens = {
        "inicio": "Cidade " + XSS,  # the home dashboard's card of the user's city
        "cidades": "Cidade " + XSS,
        f"cidades/{city_id}": "Cam " + XSS,
        f"cameras/{cam['id']}": "Cam " + XSS,
        "mosaicos": "Mos " + XSS,
        f"mosaicos/{mosaic['id']}": "Mos " + XSS,
        "observacao": "Motivo " + XSS,
        "usuarios": user["username"],
    }
    for screen, text in screens.items():
        p.goto(f"{site}/console#/{screen}")
        # The exact typed string is on screen as text (an element whose text is it), and nothing ran
        p.wait_for_function("(t) => [...document.querySelectorAll('.screen:not([hidden]) *')]"
                            ".some(e => e.textContent === t)", arg=text)  # fmt: skip
        _no_script_ran(tab)
    # The home dashboard counts the city's cameras by health
    p.goto(f"{site}/console#/inicio")
    card = p.wait_for_selector(f"[data-city='{city_id}'] .stats")
    assert "online" in card.text_content() and "alertas abertos" in card.text_content()
    # And dates are dd/mm/aaaa HH:MM:SS (São Paulo) in an en-US browser, e.g. the watchlist's "when"
    p.goto(f"{site}/console#/observacao")
    when = p.wait_for_selector("#observacao-lista td:nth-child(3)").text_content()
    assert re.fullmatch(DATE, when), when
    tab.close()


def _read(api: Any, camera: dict[str, Any], plate: str, at: datetime, n: int) -> None:
    """A signed LPR webhook call of `camera` (as the camera itself sends it)."""
    body = json.dumps({"event_id": f"ev-{n}", "plate": plate, "confidence": 0.9,
                       "captured_at": at.isoformat().replace("+00:00", "Z")}).encode()  # fmt: skip
    t = str(int(time.time()))
    sig = hmac.new(camera["webhook_secret"].encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    r = api.call("POST", "/v1/lpr/events", raw=body,
                 headers={"x-gtv-camera": camera["id"], "x-gtv-signature": f"t={t},v1={sig}"})  # fmt: skip
    assert r.status == 202, r.text


def test_trajectory_map_draws_points_and_path_without_tiles_and_a_point_opens_the_recording(
    chromium: Any, site: str, api: Any
) -> None:
    admin = api.login(*ADMIN)
    city_id = api.call("POST", "/v1/cities", {"name": "Mapa", "state": "SP", "retention_days": 7}, token=admin).json()[
        "id"
    ]
    cams = [
        api.call("POST", f"/v1/cities/{city_id}/cameras", token=admin, body={
            "name": f"Esquina {i} " + XSS, "source_url": f"rtsp://10.2.0.{i}/s", "lpr_enabled": True,
            "location": {"lat": -23.55 + i * 0.01, "lon": -46.63 + i * 0.01}}).json()
        for i in range(3)
    ]  # fmt: skip
    now = datetime.now(UTC).replace(microsecond=0)
    for i, cam in enumerate(cams):
        _read(api, cam, "MAP1A23", now - timedelta(minutes=30 - 10 * i), i)

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(*ADMIN)
    p.goto(f"{site}/console#/placas?placa=MAP1A23")
    p.click("#placas-lista tr >> nth=0 >> button:text('Trajeto')")
    # Then, with no tile server configured, the three points and the path between them are on the map
    p.wait_for_selector("#trajeto-mapa:not([hidden]) path.trajectory-path")
    assert p.locator("#trajeto-mapa path.trajectory-point").count() == 3
    assert p.locator("#trajeto-mapa img.leaflet-tile").count() == 0
    # And hovering a point names its camera as text; clicking it opens that camera's recording at the read
    last = p.locator("#trajeto-mapa path.trajectory-point.last")
    last.hover()
    assert (XSS in p.locator(".leaflet-tooltip").text_content()) and p.locator(".leaflet-tooltip img").count() == 0
    at = last.get_attribute("data-at")
    last.click()
    p.wait_for_selector("#tela-camera:not([hidden])")
    assert p.url.split("#")[1].startswith(f"/cameras/{cams[2]['id']}?em=")
    p.wait_for_function("(t) => document.getElementById('camera-titulo').textContent === t", arg="Esquina 2 " + XSS)
    assert at and datetime.fromisoformat(at.replace("Z", "+00:00")) == now - timedelta(minutes=10)
    _no_script_ran(tab)
    tab.close()


def test_audit_log_filters_and_exports_csv_and_meus_dados_exports_and_deletes_the_account(
    chromium: Any, site: str, api: Any
) -> None:
    admin = api.login(*ADMIN)
    city_id = api.call(
        "POST",
        "/v1/cities",
        {"name": "Auditada", "state": "AM", "retention_days": 7, "timezone": "America/Manaus"},
        token=admin,
    ).json()["id"]
    user = {"username": f"lgpd{city_id[:8]}", "password": "senha-lgpd-16", "role": "manager", "city_id": city_id}
    assert api.call("POST", "/v1/users", user, token=admin).status == 201
    tok = api.login(user["username"], user["password"])
    assert api.call("POST", "/v1/watchlist", {"plate": "AUD1T00", "reason": "teste"}, token=tok).status == 201

    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(user["username"], user["password"])
    # The audit log, filtered by action, lists that write with its date as dd/mm/aaaa HH:MM:SS
    p.goto(f"{site}/console#/auditoria")
    p.wait_for_selector("#form-auditoria")
    p.fill("#form-auditoria [name=action]", "watchlist.create")
    p.click("#form-auditoria button[type=submit]")
    # The page first lists every action; wait for the filtered reload to replace those rows (a timeout fails)
    p.wait_for_function(
        """(a) => { const rows = [...document.querySelectorAll('#auditoria-lista tr')];
                   return rows.length > 0 && rows.every((r) => r.cells[2] && r.cells[2].textContent === a); }""",
        arg="watchlist.create",
    )
    rows = p.locator("#auditoria-lista tr")
    assert {rows.nth(i).locator("td").nth(2).text_content() for i in range(rows.count())} == {"watchlist.create"}
    # ... in the city's own time zone (Manaus, UTC−4), whatever the browser's (New York)
    entry = api.call("GET", "/v1/audit", token=tok, query={"action": "watchlist.create"}).json()["items"][0]
    at = datetime.fromisoformat(entry["at"].replace("Z", "+00:00")).astimezone(ZoneInfo("America/Manaus"))
    assert rows.first.locator("td").first.text_content() == at.strftime("%d/%m/%Y %H:%M:%S")
    # And the CSV export downloads the same filter's entries
    with p.expect_download() as dl:
        p.click("#auditoria-csv")
    csv = Path(dl.value.path()).read_text()
    assert csv.splitlines()[0].startswith("id,") and "watchlist.create" in csv and "clip.create" not in csv

    # "Meus dados" shows the account, exports it as JSON and deletes it
    p.goto(f"{site}/console#/meus-dados")
    p.wait_for_selector(f"#gestao-conteudo dd:text('{user['username']}')")
    with p.expect_download() as dl:
        p.click("#meus-dados-exportar")
    assert user["username"] in Path(dl.value.path()).read_text()
    delete = p.locator("#gestao-conteudo button.danger")
    delete.click()  # arms it
    delete.click()  # confirms
    p.wait_for_selector("#tela-login:not([hidden])")
    assert p.evaluate("() => sessionStorage.getItem('gtv.token')") is None
    assert (
        api.call("POST", "/v1/auth/login", {"username": user["username"], "password": user["password"]}).status == 401
    )
    _no_script_ran(tab)
    tab.close()


def test_a_filter_submitted_while_the_first_page_loads_is_not_mixed_with_that_page(
    chromium: Any, site: str, api: Any
) -> None:
    admin = api.login(*ADMIN)
    api.call("GET", "/v1/cities", token=admin)  # an audited read, so the unfiltered log has other actions
    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(*ADMIN)
    # Given the screen's first, unfiltered page is held in flight ...
    held: list[Any] = []

    def hold_unfiltered(route: Any) -> None:
        if "action=" in route.request.url:
            route.continue_()
        else:
            held.append(route)

    p.route("**/v1/audit?*", hold_unfiltered)
    p.goto(f"{site}/console#/auditoria")
    p.wait_for_selector("#form-auditoria")
    deadline = time.monotonic() + 15
    while not held and time.monotonic() < deadline:
        p.wait_for_timeout(50)
    assert held, "the unfiltered first page was never requested"
    # ... when the operator filters by action and that answer arrives first
    p.fill("#form-auditoria [name=action]", "auth.login")
    p.click("#form-auditoria button[type=submit]")
    p.wait_for_selector("#auditoria-lista tr")
    # Then the late unfiltered page, released now, does not add its rows to the filtered list
    with p.expect_response(lambda r: "/v1/audit?" in r.url and "action=" not in r.url):
        held[0].continue_()
    p.evaluate("() => new Promise((r) => setTimeout(r, 200))")
    rows = p.locator("#auditoria-lista tr")
    assert rows.count() > 0
    assert {rows.nth(i).locator("td").nth(2).text_content() for i in range(rows.count())} == {"auth.login"}
    _no_script_ran(tab)
    tab.close()


def test_an_expired_access_token_is_refreshed_once_for_parallel_requests_and_a_dead_session_logs_out(
    chromium: Any, site: str, api: Any
) -> None:
    tab = Page(chromium, site, locale="en-US")
    p = tab.page
    tab.login(*ADMIN)
    # Start from another screen, so that opening the dashboard below is always a navigation (the login lands
    # on #/inicio itself, sometimes only after `login` returned: a goto to the same URL would then do nothing)
    p.goto(f"{site}/console#/cidades")
    p.wait_for_selector("#tela-cidades:not([hidden])")
    access, refresh = p.evaluate("() => [sessionStorage.getItem('gtv.token'), sessionStorage.getItem('gtv.refresh')]")
    assert access and refresh
    refreshes: list[str] = []
    p.on("request", lambda r: refreshes.append(r.url) if urlsplit(r.url).path == "/v1/auth/refresh" else None)
    # Given the access token is refused (a tampered signature stands for an expired one) ...
    refused = access[:-2] + ("AA" if not access.endswith("AA") else "BB")
    p.evaluate("(t) => sessionStorage.setItem('gtv.token', t)", refused)
    # ... when a screen that sends several requests at once opens
    p.goto(f"{site}/console#/inicio")
    p.wait_for_function(
        "([a, b]) => { const t = sessionStorage.getItem('gtv.token'); return t && t !== a && t !== b; }",
        arg=[access, refused],
    )
    p.wait_for_selector("#tela-inicio:not([hidden])")
    # Then the session was refreshed once (a refresh token is single use: a second use would end the session),
    # the requests were repeated with the new token, and the operator is still in
    assert len(refreshes) == 1, refreshes
    assert p.locator("#tela-login").is_hidden() and p.locator("#erro").is_hidden()
    new_access, new_refresh = p.evaluate(
        "() => [sessionStorage.getItem('gtv.token'), sessionStorage.getItem('gtv.refresh')]"
    )
    assert new_refresh != refresh
    assert api.call("GET", "/v1/me", token=new_access).status == 200
    # And when the session cannot be refreshed either, the login screen returns with the reason
    p.evaluate(
        "(t) => { sessionStorage.setItem('gtv.token', t); sessionStorage.setItem('gtv.refresh', 'x'); }", refused
    )
    p.goto(f"{site}/console#/cidades")
    p.wait_for_selector("#tela-login:not([hidden])")
    p.wait_for_function("() => sessionStorage.getItem('gtv.token') === null && !sessionStorage.getItem('gtv.refresh')")
    assert p.locator("#erro-texto").text_content()
    _no_script_ran(tab)
    tab.close()
