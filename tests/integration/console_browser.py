"""Helpers for driving the web console in the system Chromium with Playwright: the API app served over
HTTP in process (each request becomes an API Gateway proxy event, as in the other console tests), plus
static files (HLS recordings) the test makes, under /media/ on the same server."""

from __future__ import annotations

import http.server
import mimetypes
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SKIP_REASON = f"{CHROMIUM} não instalado (apt-get install chromium): testes do console no navegador pulados"


def chromium_missing() -> bool:
    return not os.path.exists(CHROMIUM)


@contextmanager
def serve_api(api: Any, media_dir: Path | None = None) -> Iterator[str]:
    """http://127.0.0.1:<port> answering with the API app (`api` is tests/utils.ApiClient)."""

    lock = threading.Lock()  # chalice keeps the current request on the app: one invocation at a time

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def _not_found(self) -> None:
            data = b'{"error": {"code": "not_found", "message": "recurso n\\u00e3o encontrado"}}'
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _media(self, path: str) -> None:
            assert media_dir is not None
            target = (media_dir / path.removeprefix("/media/")).resolve()
            if not target.is_file() or media_dir.resolve() not in target.parents:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = target.read_bytes()
            kind = "application/vnd.apple.mpegurl" if target.suffix == ".m3u8" else mimetypes.guess_type(target.name)[0]
            self.send_response(200)
            self.send_header("Content-Type", kind or "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Access-Control-Allow-Origin", "*")
            self.end_headers()
            self.wfile.write(data)

        def _any(self) -> None:
            url = urlsplit(self.path)
            if media_dir is not None and url.path.startswith("/media/"):
                self._media(url.path)
                return
            length = int(self.headers.get("content-length") or 0)
            body = self.rfile.read(length) if length else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            with lock:
                try:
                    reply = api.call(
                        self.command,
                        url.path,
                        raw=body,
                        headers=headers,
                        query=dict(parse_qsl(url.query)) or None,
                        source_ip="127.0.0.1",
                    )
                except AssertionError:  # no route of the app has this path: the proxy's 404, as in AWS
                    self._not_found()
                    return
            data = reply.text.encode()
            self.send_response(reply.status)
            for k, v in reply.headers.items():
                if k not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_HEAD = _any

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


class Page:
    """A browser tab on the console that records page errors and dialogs (a dialog means script ran)."""

    def __init__(self, chromium: Any, site: str, locale: str = "en-US") -> None:
        self.context = chromium.new_context(locale=locale, timezone_id="America/New_York")
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("dialog", self._dialog)
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.site = site

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def login(self, username: str, password: str) -> None:
        p = self.page
        p.goto(self.site + "/console")
        p.fill("#login-usuario", username)
        p.fill("#login-senha", password)
        p.click("#form-login button[type=submit]")
        p.wait_for_selector("#sessao:not([hidden])")

    def close(self) -> None:
        self.context.close()


class Held:
    """The first request a page makes to `pattern` that `wanted(url)` accepts, held unsent until `release()`: a
    slow answer, to show that the console does not draw it over what was asked after it. Others go through."""

    def __init__(self, page: Any, pattern: str, wanted: Callable[[str], bool]) -> None:
        self.page = page
        self.routes: list[Any] = []

        def route(r: Any) -> None:
            if not self.routes and wanted(r.request.url):
                self.routes.append(r)
            else:
                r.continue_()

        page.route(pattern, route)

    def wait(self) -> None:
        """Until the request is held (it is made by the page's own code, after a click or a load)."""
        for _ in range(100):
            if self.routes:
                return
            self.page.wait_for_timeout(50)
        raise AssertionError("the request to hold was never made")

    def release(self, settle_ms: int = 500) -> None:
        """Send it, wait for its answer, and give the page's handler time to run."""
        url = self.routes[0].request.url
        with self.page.expect_response(lambda r: r.request.url == url):
            self.routes[0].continue_()
        self.page.wait_for_timeout(settle_ms)
