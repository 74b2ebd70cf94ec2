"""The web console served by the API: its page and files, nothing else, and no drift from the API's routes."""

from __future__ import annotations

import re
from importlib import resources

import pytest

ASSETS = {
    "app.js": "text/javascript",
    "app.css": "text/css",
    "hls.min.js": "text/javascript",
    "sentinela.js": "text/javascript",
}


def _console_file(name: str) -> str:
    return resources.files("gtvision.console").joinpath(name).read_text(encoding="utf-8")


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
    for name in ASSETS:
        assert re.search(rf'"console/{re.escape(name)}\?v=[0-9a-f]{{12}}"', r.text), name
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
    version = re.search(r'"console/app\.js\?v=([0-9a-f]{12})"', page).group(1)

    # When the browser loads that URL, Then it may keep it for a year
    r = api.call("GET", "/console/app.js", query={"v": version})
    assert r.status == 200
    assert "immutable" in r.headers["cache-control"]

    # And a stale version is not pinned
    assert api.call("GET", "/console/app.js", query={"v": "000000000000"}).headers["cache-control"] == "no-cache"

    # And a conditional request with the current ETag is a 304 without a body
    again = api.call("GET", "/console/app.js", headers={"if-none-match": r.headers["etag"]})
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
        "app.js.map",
        "..%2F..%2Fsettings.py",
        "..%2Fapi%2Fconsole.py",
        "%2e%2e%2f%2e%2e%2fsettings.py",
        "..",
        "%2Fetc%2Fpasswd",
        "app.js%00.css",
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


def _js_calls(name: str = "app.js") -> list[tuple[str, str]]:
    """(METHOD, path template) of every API call in a console script; `${…}` becomes `{}`."""
    js = _console_file(name)
    calls = []
    for _, method, literal in CALL.findall(js):
        path = re.sub(r"\$\{[^}]*\}", "{}", literal[1:-1]).split("?")[0]
        calls.append((method, path))
    # Every /v1/ path in the file goes through api()/apiText(): none escapes this check.
    assert len(re.findall(r"[`\"']/v1/", js)) == len(calls), "a /v1/ path in app.js is not an api() call"
    return calls


def _matches(template: str, path: str) -> bool:
    t, p = template.strip("/").split("/"), path.strip("/").split("/")
    return len(t) == len(p) and all(a == b or (a.startswith("{") and b == "{}") for a, b in zip(t, p, strict=True))


def test_every_api_call_of_the_console_is_a_route_of_the_app(api):
    calls = _js_calls() + _js_calls("sentinela.js")
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


def test_every_element_app_js_looks_up_is_in_the_page():
    page = _console_file("index.html")
    ids = set(re.findall(r'\bid="([^"]+)"', page))
    used = {i for f in ("app.js", "sentinela.js") for i in re.findall(r'\$\("([^"]+)"\)', _console_file(f))}

    assert used and not used - ids, f"app.js uses ids the page lacks: {used - ids}"
    # And every form control has a label (screen readers)
    controls = re.findall(r'<(?:input|select)\b[^>]*\bid="([^"]+)"', page)
    assert not set(controls) - set(re.findall(r'<label for="([^"]+)"', page))
