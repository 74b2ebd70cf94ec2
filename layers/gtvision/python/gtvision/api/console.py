"""The operators' web console: `GET /console` (the page) and `GET /console/{asset}` (its files).

No auth (the page holds no data; every call it makes carries the operator's bearer token) and no audit
entry. Only the files listed in `ASSETS` are served, so no path (encoded `..` included) reaches anything
else. The page links its files with `?v=<content hash>`: those URLs are cached for a year, the page
itself is revalidated on every load, so a deploy is visible at once.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from dataclasses import dataclass
from importlib import resources
from typing import Any

from chalice import Blueprint, Response

from gtvision.api.http import Ctx, route
from gtvision.errors import not_found
from gtvision.settings import get_settings

bp = Blueprint(__name__)

INDEX = "index.html"
ASSETS: dict[str, str] = {
    "app.js": "text/javascript; charset=utf-8",
    "app.css": "text/css; charset=utf-8",
    "hls.min.js": "text/javascript; charset=utf-8",
    "sentinela.js": "text/javascript; charset=utf-8",
}
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# The console talks to its own origin; media (thumbnails, HLS segments, clip downloads) comes from
# presigned storage URLs on another origin, and hls.js runs its demuxer in a blob: worker.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https: http:; "
    "media-src 'self' blob: https: http:; connect-src 'self' blob: https: http: wss: ws:; worker-src 'self' blob:; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    # Presigned URLs and tokens never leak through a Referer header.
    "Referrer-Policy": "no-referrer",
}


@dataclass(frozen=True)
class Asset:
    body: str
    content_type: str
    etag: str


def _read(name: str) -> str:
    return resources.files("gtvision.console").joinpath(name).read_text(encoding="utf-8")


def _asset(name: str, body: str, content_type: str) -> Asset:
    return Asset(body, content_type, '"' + hashlib.sha256(body.encode()).hexdigest()[:32] + '"')


@functools.cache
def asset(name: str) -> Asset:
    """One file of the console (read once per container)."""
    return _asset(name, _read(name), ASSETS[name])


def index() -> Asset:
    """The page, with each file's link carrying its content hash (cache busting without a build step)."""
    return _index(get_settings().ws_url)


@functools.cache
def _index(ws_url: str) -> Asset:

    def versioned(m: re.Match[str]) -> str:
        return f'{m.group(1)}?v={asset(m.group(2)).etag.strip(chr(34))[:12]}"'

    names = "|".join(re.escape(n) for n in ASSETS)
    body = re.sub(rf'("console/({names}))"', versioned, _read(INDEX))
    # The live events WebSocket API (wss://… in AWS, ws://127.0.0.1:3001 locally), from the environment.
    meta = '<meta name="gtv-ws-url" content="{}">'
    body = body.replace(meta.format(""), meta.format(html.escape(ws_url)))
    return _asset(INDEX, body, "text/html; charset=utf-8")


def _serve(ctx: Ctx, item: Asset, cache: str) -> Response:
    headers: dict[str, str | list[str]] = {"ETag": item.etag, "Cache-Control": cache, **SECURITY_HEADERS}
    if ctx.headers.get("if-none-match") == item.etag:
        return Response(body="", status_code=304, headers=headers)
    return Response(body=item.body, status_code=200, headers={"Content-Type": item.content_type, **headers})


def _requested_path() -> str:
    req = bp.current_request
    return str(((req.context or {}) if req else {}).get("path") or "")


@route(bp, "/", auth=False)
def root(ctx: Ctx) -> Any:
    """Sends a browser to the operator console."""
    # Relative to the stage's base path (API Gateway serves the app under /Prod/, locally under /).
    base = _requested_path() or "/"
    location = (base if base.endswith("/") else base + "/") + "console"
    return Response(body="", status_code=302, headers={"Location": location, "Cache-Control": "no-store"})


@route(bp, "/console", auth=False)
def console_page(ctx: Ctx) -> Any:
    """The web console (pt-BR) for city operators."""
    if _requested_path().endswith("/"):
        # /console/ would resolve the page's relative links one level too deep.
        return Response(body="", status_code=301, headers={"Location": "../console", "Cache-Control": REVALIDATE})
    return _serve(ctx, index(), REVALIDATE)


@route(bp, "/console/{asset_name}", auth=False)
def console_asset(ctx: Ctx, asset_name: str) -> Any:
    """A script or stylesheet of the web console; 404 for anything else."""
    if asset_name not in ASSETS:
        raise not_found("arquivo do console")
    item = asset(asset_name)
    versioned = ctx.query.get("v") == item.etag.strip('"')[:12]
    return _serve(ctx, item, IMMUTABLE if versioned else REVALIDATE)
