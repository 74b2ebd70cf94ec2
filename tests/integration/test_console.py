"""The web console served by the API: its page and files, nothing else, and no drift from the API's routes."""

from __future__ import annotations

import re
from importlib import resources

import pytest

ASSETS = {
    "main.js": "text/javascript",
    "core.js": "text/javascript",
    "format.js": "text/javascript",
    "strings.js": "text/javascript",
    "player.js": "text/javascript",
    "ui.js": "text/javascript",
    "map.js": "text/javascript",
    "live.js": "text/javascript",
    "livestatus.js": "text/javascript",
    "leaflet.min.js": "text/javascript",
    "leaflet.css": "text/css",
    "screens/admin.js": "text/javascript",
    "screens/mosaics.js": "text/javascript",
    "screens/home.js": "text/javascript",
    "screens/cities.js": "text/javascript",
    "screens/camera.js": "text/javascript",
    "screens/plates.js": "text/javascript",
    "screens/alerts.js": "text/javascript",
    "screens/sentinela.js": "text/javascript",
    "screens/sla.js": "text/javascript",
    "screens/groups.js": "text/javascript",
    "screens/me.js": "text/javascript",
    "screens/agreements.js": "text/javascript",
    "screens/cases.js": "text/javascript",
    "screens/masks.js": "text/javascript",
    "app.css": "text/css",
    "cases.css": "text/css",
    "hls.min.js": "text/javascript",
}
#: Linked from the page itself (the rest are imported by main.js, relative to it).
LINKED = ("main.js", "app.css", "cases.css", "hls.min.js", "leaflet.min.js", "leaflet.css")


def _console_file(name: str) -> str:
    return resources.files("chalicelib.console").joinpath(name).read_text(encoding="utf-8")


def test_page_is_html_in_portuguese_linking_its_files_with_content_hashes(api):
    # When the operator opens /console
    r = api.call("GET", "/console")

    # Then it is the pt-BR page, revalidated on each load, linking its files relative to the page
    assert r.status == 200, r.text
    assert r.headers["content-type"].startswith("text/html")
    assert '<html lang="pt-BR">' in r.text
    for text in ("Entrar no console", "Usuário", "Senha", "Sair", "Cidades", "Placas", "Alertas", "Exportar recorte"):
        assert text in r.text, text
    assert r.headers["cache-control"] == "no-cache"
    assert r.headers["etag"]
    assert "default-src 'self'" in r.headers["content-security-policy"]
    for name in LINKED:
        assert re.search(rf'"console/{re.escape(name)}\?v=[0-9a-f]{{12}}"', r.text), name
    assert '<script type="module" src="console/main.js?v=' in r.text
    # No request leaves the origin: no absolute URL in the page (no CDN)
    assert not re.search(r'(src|href)="(https?:)?//', r.text)


@pytest.mark.parametrize(("name", "content_type"), sorted(ASSETS.items()))
def test_each_file_is_served_with_its_content_type(api, name, content_type):
    r = api.call("GET", f"/console/{name}")

    assert r.status == 200, r.text
    assert r.headers["content-type"].split(";")[0] == content_type
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.text == _console_file(name)
    assert r.headers["cache-control"] == "no-cache"  # unversioned URL: revalidate


def test_versioned_file_urls_are_cached_for_good_and_revalidate_with_etag(api):
    # Given the version the page links app.js with
    page = api.call("GET", "/console").text
    version = re.search(r'"console/main\.js\?v=([0-9a-f]{12})"', page).group(1)

    # When the browser loads that URL, Then it may keep it for a year
    r = api.call("GET", "/console/main.js", query={"v": version})
    assert r.status == 200
    assert "immutable" in r.headers["cache-control"]

    # And a stale version is not pinned
    assert api.call("GET", "/console/main.js", query={"v": "000000000000"}).headers["cache-control"] == "no-cache"

    # And a conditional request with the current ETag is a 304 without a body
    again = api.call("GET", "/console/main.js", headers={"if-none-match": r.headers["etag"]})
    assert again.status == 304
    assert again.text == ""


def test_hls_js_is_the_vendored_release_with_its_license_header(api):
    text = api.call("GET", "/console/hls.min.js").text
    first = text.splitlines()[0]
    assert "hls.js 1.7.4" in first and "Apache License 2.0" in first
    assert "Hls" in text and len(text) > 300_000


@pytest.mark.parametrize(
    "name",
    [
        "index.html",  # only through /console
        "__init__.py",
        "missing.js",
        "main.js.map",
        "screens",
        "screens%2F..%2F..%2Fsettings.py",
        "..%2F..%2Fsettings.py",
        "..%2Fapi%2Fconsole.py",
        "%2e%2e%2f%2e%2e%2fsettings.py",
        "..",
        "%2Fetc%2Fpasswd",
        "main.js%00.css",
    ],
)
def test_anything_else_under_console_is_404(api, name):
    r = api.call("GET", f"/console/{name}")

    assert r.status == 404
    assert r.json()["error"]["code"] == "not_found"


def test_console_trailing_slash_redirects_to_the_page(api):
    r = api.call("GET", "/console/")

    assert r.status == 301
    assert r.headers["location"] == "../console"


def test_console_routes_need_no_token_and_write_no_audit(api, world):
    assert api.call("GET", "/console").status == 200
    assert api.call("GET", "/console/app.css").status == 200

    entries = api.call("GET", "/v1/audit", token=world.admin, query={"limit": "500"}).json()["items"]
    assert entries  # the audit trail is there ...
    assert not [e for e in entries if (e["resource"] or "").startswith("/console")]  # ... without the console


# ---------------------------------------------------------------- the console cannot drift from the API

CALL = re.compile(r'\b(api|apiText)\(\s*"(GET|POST|PATCH|PUT|DELETE)",\s*(`[^`]*`|"[^"]*")')


def _scripts() -> list[str]:
    """Every script of the console that is ours (the vendored libraries excluded)."""
    return [name for name in ASSETS if name.endswith(".js") and not name.endswith(".min.js")]


def test_the_served_files_are_exactly_the_consoles_scripts_and_stylesheet():
    # Every module of the console is served (none forgotten) and is in this test's list (none unchecked)
    from chalicelib.routes import console

    assert set(console.ASSETS) == set(ASSETS)
    assert {f for f in ASSETS if f.startswith("screens/")} >= {"screens/cities.js", "screens/camera.js"}


def test_scripts_are_es_modules_that_never_write_html():
    for name in _scripts():
        js = _console_file(name)
        # Data reaches the page as text nodes only: no HTML parsing anywhere in the console's code
        for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"):
            assert sink not in js, f"{name}: {sink}"
        assert "window.GTV_SCREENS" not in js  # modules import each other; no globals between files
    page = _console_file("index.html")
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)  # no inline script
    assert " style=" not in page  # no inline style (the CSP has no 'unsafe-inline')


def _js_calls(name: str) -> list[tuple[str, str]]:
    """(METHOD, path template) of every API call in a console script; `${…}` becomes `{}`."""
    js = _console_file(name)
    calls = []
    for _, method, literal in CALL.findall(js):
        path = re.sub(r"\$\{[^}]*\}", "{}", literal[1:-1]).split("?")[0]
        calls.append((method, path))
    # Every /v1/ path in the file goes through api()/apiText(): none escapes this check.
    assert len(re.findall(r"[`\"']/v1/", js)) == len(calls), f"a /v1/ path in {name} is not an api() call"
    return calls


def _matches(template: str, path: str) -> bool:
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a == b or (a.startswith("{") and b == "{}") for a, b in zip(t, p, strict=True))


def test_every_api_call_of_the_console_is_a_route_of_the_app(api):
    calls = [call for name in _scripts() for call in _js_calls(name)]
    routes = [(path, set(methods)) for path, methods in api.app.routes.items()]

    missing = [
        f"{method} {path}"
        for method, path in calls
        if not any(_matches(tpl, path) and method in methods for tpl, methods in routes)
    ]

    assert not missing, f"app.js calls routes the API does not have: {missing}"
    # And the calls cover what the console is for
    called = {path for _, path in calls}
    for needed in (
        "/v1/auth/login",
        "/v1/me",
        "/v1/cities",
        "/v1/cities/{}/cameras",
        "/v1/cameras/{}/stream",
        "/v1/cameras/{}/timeline",
        "/v1/cameras/{}/thumbnails",
        "/v1/cameras/{}/playback.m3u8",
        "/v1/clips",
        "/v1/clips/{}",
        "/v1/lpr/events",
        "/v1/lpr/trajectory",
        "/v1/alerts",
        "/v1/sentinela/searches",
        "/v1/sentinela/searches/{}",
        "/v1/sentinela/searches/{}/results",
        # issue 16: management by role, mosaics, LGPD
        "/v1/auth/logout",
        "/v1/cities/{}",
        "/v1/cameras/{}",
        "/v1/users",
        "/v1/users/{}",
        "/v1/watchlist",
        "/v1/watchlist/{}",
        "/v1/audit",
        "/v1/audit/export.csv",
        "/v1/me/export",
        "/v1/mosaics",
        "/v1/mosaics/{}",
        "/v1/clips/{}/hold",
        "/v1/cities/{}/health",
    ):
        assert needed in called, needed


def test_drift_check_catches_a_path_the_api_lacks(api):
    routes = list(api.app.routes)
    assert not any(_matches(tpl, "/v1/cameras/{}/recordings") for tpl in routes)
    assert any(_matches(tpl, "/v1/cameras/{}/timeline") for tpl in routes)


# ---------------------------------------------------------------- the flows the console drives, as it drives them


def test_console_flow_login_me_cities_cameras_as_a_viewer(api, world):
    # Given a camera in city A, When a viewer logs in as the console does
    cam = world.camera(name="Câmera Console")
    me = api.call("GET", "/v1/me", token=world.viewer_a).json()
    assert me["role"] == "viewer" and me["city_id"] == world.city_a

    # Then the cities list shows only their city, and its cameras page by page with next_cursor
    cities = api.call("GET", "/v1/cities", token=world.viewer_a, query={"limit": "50"}).json()
    assert [c["id"] for c in cities["items"]] == [world.city_a]
    second = world.camera(name="Câmera Console 2")
    seen, cursor = [], None
    while True:
        page = api.call(
            "GET",
            f"/v1/cities/{world.city_a}/cameras",
            token=world.viewer_a,
            query={"limit": "1", **({"cursor": cursor} if cursor else {})},
        ).json()
        assert len(page["items"]) <= 1
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    ids = [c["id"] for c in seen]
    assert len(ids) == len(set(ids)) and {cam["id"], second["id"]} <= set(ids)
    first = seen[0]
    assert {"name", "status", "lpr_enabled"} <= set(first)


def test_console_errors_are_the_apis_messages(api, world):
    # A wrong password and a day with no recording: the console shows error.message as given
    bad = api.call("POST", "/v1/auth/login", {"username": "admin", "password": "errada"})
    assert bad.status == 401 and bad.json()["error"]["message"]
    cam = world.camera()
    r = api.call(
        "GET",
        f"/v1/cameras/{cam['id']}/playback.m3u8",
        token=world.viewer_a,
        query={"from": "2026-01-01T03:00:00Z", "to": "2026-01-02T03:00:00Z"},
    )
    assert r.status == 404 and r.json()["error"]["message"]
    tl = api.call(
        "GET",
        f"/v1/cameras/{cam['id']}/timeline",
        token=world.viewer_a,
        query={"from": "2026-01-01T03:00:00Z", "to": "2026-01-02T03:00:00Z"},
    ).json()
    assert tl["spans"] == [] and tl["coverage"] == 0


def test_every_element_the_scripts_look_up_is_in_the_page():
    page = _console_file("index.html")
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    used = {i for f in _scripts() for i in re.findall(r'\$\("([^"]+)"\)', _console_file(f))}

    assert used and not used - ids, f"app.js uses ids the page lacks: {used - ids}"
    # And every form control has a label (screen readers)
    controls = re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', page)
    assert not set(controls) - set(re.findall(r'<label for="([^"]+)"', page))


def test_console_security_headers_allow_only_its_origin_and_the_configured_media_origins(api, stack):
    from gtvision.core.settings import get_settings

    for path in ("/console", "/console/main.js", "/console/screens/camera.js"):
        r = api.call("GET", path)
        assert r.status == 200, path
        policy = dict(d.strip().split(" ", 1) for d in r.headers["content-security-policy"].split(";") if d.strip())
        assert "unsafe-inline" not in r.headers["content-security-policy"]
        assert "unsafe-eval" not in r.headers["content-security-policy"]
        assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        # Presigned storage URLs (the configured endpoint, here moto) and MediaMTX are the only media origins
        storage = stack["aws_endpoint"]
        hls = get_settings().mediamtx_hls_url.rstrip("/")
        for directive in ("img-src", "media-src", "connect-src"):
            sources = policy[directive].split()
            assert storage in sources and hls in sources, (directive, sources)
            assert "http:" not in sources and "https:" not in sources and "*" not in sources
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer"


def test_csp_without_a_storage_endpoint_names_the_buckets_aws_hosts():
    from chalicelib.routes.console import csp
    from gtvision.core.settings import Settings

    settings = Settings(AWS_ENDPOINT_URL=None, RECORDINGS_BUCKET="gtv-rec", AWS_REGION="sa-east-1")
    policy = csp(settings)
    assert "https://gtv-rec.s3.sa-east-1.amazonaws.com" in policy and "https://gtv-rec.s3.amazonaws.com" in policy
    assert " http: " not in policy and " https: " not in policy


def test_leaflet_is_the_vendored_release_and_the_map_tile_url_comes_from_the_environment(api, monkeypatch):
    from chalicelib.routes import console
    from gtvision.core.settings import get_settings

    assert _console_file("leaflet.min.js").startswith("/* @preserve\n * Leaflet 1.9.4")
    assert "BSD 2-Clause" in _console_file("leaflet.LICENSE.txt")
    # Without a tile server the page says so (the map draws points and path on a blank background)
    assert '<meta name="gtv-map-tiles" content="">' in api.call("GET", "/console").text
    # With one, the page carries its template (escaped) and the CSP lets its images in, nothing more
    monkeypatch.setenv("GTV_MAP_TILE_URL", "https://{s}.tile.example.org/{z}/{x}/{y}.png?a=1&b=2")
    get_settings.cache_clear()
    try:
        r = api.call("GET", "/console")
        assert (
            '<meta name="gtv-map-tiles" content="https://{s}.tile.example.org/{z}/{x}/{y}.png?a=1&amp;b=2">' in r.text
        )
        policy = r.headers["content-security-policy"]
        img = next(d for d in policy.split(";") if d.strip().startswith("img-src"))
        assert "https://*.tile.example.org" in img
        assert "tile.example.org" not in policy.replace(img, "")
    finally:
        monkeypatch.delenv("GTV_MAP_TILE_URL")
        get_settings.cache_clear()
        console._index.cache_clear()


def test_ui_text_lives_in_the_strings_module():
    # Capitalised words, sentences and accented text in quotes outside strings.js would be UI text that
    # escaped it (class names are dropped first; event names and keys are lower-case single words)
    text = re.compile(r'"([A-ZÀ-Ý][a-zà-ý]{3,}[^"`]*|[a-zà-ý]{3,} [a-zà-ý]{2,}[^"`]*|[^"`]*[À-Ýà-ý][^"`]*)"')
    allowed = {"Content-Type", "Location", "America/Sao_Paulo"}  # HTTP header names, a time zone
    found = {
        (name, m)
        for name in _scripts()
        if name != "strings.js"
        for line in _console_file(name).splitlines()
        if not line.strip().startswith(("//", "*", "/*"))
        for m in text.findall(re.sub(r'class: "[^"]*"', "", line))
        if m not in allowed and "/v1" not in m and not m.startswith(("#/", "http"))
    }
    assert not found, found
