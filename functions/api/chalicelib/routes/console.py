"""The operators' web console: `GET /console` (the page) and `GET /console/{asset}` and
`GET /console/screens/{asset}` (its ES modules, stylesheet and vendored libraries).

No auth (the page holds no data; every call it makes carries the operator's bearer token) and no audit
entry. Only the files listed in `ASSETS` (the package's own .js/.css files, found once) are served, so no
path (encoded `..` included) reaches anything else. The page links its entry files with `?v=<content
hash>`: those URLs are cached for a year; the page and the modules main.js imports are revalidated on
every load (ETag), so a deploy is visible at once.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from importlib import resources
from urllib.parse import urlsplit

from chalice import Response
from pydantic import Field

from chalicelib.routing import Api, Request
from gtvision.core.errors import not_found
from gtvision.core.models import Query
from gtvision.core.rows import rowtype
from gtvision.core.settings import Settings, get_settings

api = Api(__name__)

INDEX = "index.html"
#: Sub-folders of the console package whose files are served (one file per screen lives in screens/).
FOLDERS = ("", "screens/")
TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def _discover() -> dict[str, str]:
    root = resources.files("chalicelib.console")
    found: dict[str, str] = {}
    for folder in FOLDERS:
        base = root.joinpath(folder) if folder else root
        for item in base.iterdir():
            suffix = "." + item.name.rsplit(".", 1)[-1] if "." in item.name else ""
            if item.is_file() and suffix in TYPES:
                found[folder + item.name] = TYPES[suffix]
    return found


ASSETS: dict[str, str] = _discover()
HTML = "text/html"
ASSET = "text/javascript"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _origin(url: str | None, *, websocket: bool = False) -> str | None:
    """scheme://host[:port] of a URL (http→ws for a WebSocket origin); None when it has none."""
    if not url:
        return None
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    scheme = parts.scheme
    if websocket:
        scheme = {"http": "ws", "https": "wss"}.get(scheme, scheme)
    return f"{scheme}://{parts.netloc.rsplit('@', 1)[-1]}"


def media_origins(settings: Settings) -> list[str]:
    """Where the console's media comes from: presigned storage URLs (the configured S3 endpoint, or the
    bucket's AWS hosts) and MediaMTX's HLS/WebRTC servers."""
    bucket, region = settings.recordings_bucket, settings.aws_region
    endpoint = settings.aws_endpoint_url
    if endpoint and _origin(endpoint):
        parts = urlsplit(endpoint)
        # Path style (http://127.0.0.1:4566/bucket/…) or virtual host style (http://bucket.host/…).
        origins: list[str | None] = [_origin(endpoint), f"{parts.scheme}://{bucket}.{parts.netloc}"]
    else:
        origins = [
            f"https://{bucket}.s3.amazonaws.com",
            f"https://{bucket}.s3.{region}.amazonaws.com",
            f"https://s3.{region}.amazonaws.com",
        ]
    origins += [_origin(settings.mediamtx_hls_url), _origin(settings.mediamtx_webrtc_url)]
    return list(dict.fromkeys(o for o in origins if o))


def tile_origin(settings: Settings) -> str | None:
    """The map tiles' origin ("https://{s}.tile.example" → "https://*.tile.example")."""
    url = settings.map_tile_url.replace("{s}.", "*.") if settings.map_tile_url else ""
    return _origin(url)


@functools.cache
def _csp(media: tuple[str, ...], sockets: tuple[str, ...], images: tuple[str, ...] = ()) -> str:
    m = " ".join(media)
    c = " ".join(media + sockets)
    i = " ".join(media + images)
    # hls.js fetches VOD playlists from blob: URLs and runs its demuxer in a blob: worker.
    return (
        f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: {i}; "
        f"media-src 'self' blob: {m}; connect-src 'self' blob: {c}; worker-src 'self' blob:; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
    )


def csp(settings: Settings | None = None) -> str:
    """The console's Content-Security-Policy: no inline script or style, media only from its origins."""
    settings = settings or get_settings()
    sockets = [_origin(settings.ws_url or None, websocket=True)]
    tiles = tile_origin(settings)
    return _csp(tuple(media_origins(settings)), tuple(o for o in sockets if o), (tiles,) if tiles else ())


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": csp(),
        "X-Content-Type-Options": "nosniff",
        # Presigned URLs and tokens never leak through a Referer header.
        "Referrer-Policy": "no-referrer",
    }


@rowtype(slots=False)
class Asset:
    body: str
    content_type: str
    etag: str


def _read(name: str) -> str:
    return resources.files("chalicelib.console").joinpath(name).read_text(encoding="utf-8")


def _asset(name: str, body: str, content_type: str) -> Asset:
    return Asset(body, content_type, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')


@functools.cache
def asset(name: str) -> Asset:
    """One file of the console (read once per container)."""
    return _asset(name, _read(name), ASSETS[name])


def index() -> Asset:
    """The page, with each file's link carrying its content hash (cache busting without a build step)."""
    return _index(get_settings().ws_url, get_settings().map_tile_url)


@functools.cache
def _index(ws_url: str, map_tiles: str) -> Asset:
    def versioned(m: re.Match[str]) -> str:
        return f'{m.group(1)}?v={asset(m.group(2)).etag.strip(chr(34))[:12]}"'

    names = "|".join(re.escape(n) for n in ASSETS)
    body = re.sub(rf'("console/({names}))"', versioned, _read(INDEX))
    # Deployment settings the scripts read from the page (no inline script: the CSP forbids it): the live
    # events WebSocket API (wss://… in AWS, ws://127.0.0.1:3001 locally) and the map tiles.
    for name, value in (("gtv-ws-url", ws_url), ("gtv-map-tiles", map_tiles)):
        meta = f'<meta name="{name}" content="{{}}">'
        body = body.replace(meta.format(""), meta.format(html.escape(value)))
    return _asset(INDEX, body, "text/html; charset=utf-8")


class AssetQuery(Query):
    v: str | None = Field(default=None, description="hash do conteúdo (cache imutável)")


def _serve(request_headers: dict[str, str], item: Asset, cache: str) -> Response:
    headers: dict[str, str | list[str]] = {"ETag": item.etag, "Cache-Control": cache, **security_headers()}
    if request_headers.get("if-none-match") == item.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=item.body, status_code=200, headers={"Content-Type": item.content_type, **headers})


def _requested_path() -> str:
    req = api.bp.current_request
    return str(((req.context or {}) if req else {}).get("path") or "")


@api.route("GET", "/", role=None, status=302)
def root(req: Request[None, None]) -> Response:
    """Sends a browser to the operator console."""
    # Relative to the stage's base path (API Gateway serves the app under /Prod/, locally under /).
    base = _requested_path() or "/"
    location = (base if base.endswith("/") else base + "/") + "console"
    return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


@api.route("GET", "/console", role=None, response=HTML, also=((301, "barra final removida"), (304, "não modificado")))
def console_page(req: Request[None, None]) -> Response:
    """The web console (pt-BR) for city operators."""
    if _requested_path().endswith("/"):
        # /console/ would resolve the page's relative links one level too deep.
        return Response(body="", status_code=301, headers={"Location": "../console", "Cache-Control": REVALIDATE})
    return _serve(req.headers, index(), REVALIDATE)


_NOT_MODIFIED = ((304, "não modificado"),)


@api.route("GET", "/console/{asset_name}", role=None, query=AssetQuery, response=ASSET, also=_NOT_MODIFIED)
def console_asset(req: Request[None, AssetQuery], asset_name: str) -> Response:
    """A script or stylesheet of the web console; 404 for anything else."""
    return _serve_asset(req, asset_name)


@api.route("GET", "/console/screens/{asset_name}", role=None, query=AssetQuery, response=ASSET, also=_NOT_MODIFIED)
def console_screen(req: Request[None, AssetQuery], asset_name: str) -> Response:
    """One screen of the web console (an ES module); 404 for anything else."""
    return _serve_asset(req, "screens/" + asset_name)


def _serve_asset(req: Request[None, AssetQuery], asset_name: str) -> Response:
    if asset_name not in ASSETS:
        raise not_found("arquivo do console")
    item = asset(asset_name)
    versioned = req.query.v == item.etag.strip('"')[:12]
    return _serve(req.headers, item, IMMUTABLE if versioned else REVALIDATE)
