"""What the sharing tests share: a real HTTP receiver (a thread) that can be taken down and brought back on the
same port, the local runtime's FeedDeliveryFunction poller in a thread, and reads posted through the real
ingest paths (signed webhook, LprIngestFunction)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from api_resources import iso, signed_webhook
from utils import LambdaContext, World, load_function

from gtvision.core import signatures
from gtvision_local import events
from gtvision_local.ports import free_port


class Receiver:
    """A partner's feed receiver: keeps every POST (headers and body); `status` is what it answers."""

    def __init__(self) -> None:
        self.port = free_port()
        self.posts: list[tuple[dict[str, str], bytes]] = []
        self.status = 200
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self.up()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed"

    def up(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver._lock:
                    receiver.posts.append(({k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(receiver.status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, name="feed-receiver", daemon=True).start()

    def down(self) -> None:
        """Stop listening: connections are refused until `up()`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def documents(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(body) for _, body in self.posts]

    def read_ids(self) -> list[str]:
        return [r["id"] for d in self.documents() if "reads" in d for r in d["reads"]]

    def hits(self) -> list[dict[str, Any]]:
        return [d for d in self.documents() if d.get("type") == "hotlist_hit"]

    def verify_all(self, secret: str) -> int:
        """Check every POST's X-GTV-Signature with the feed secret; how many were checked."""
        with self._lock:
            posts = list(self.posts)
        for headers, body in posts:
            signatures.verify(headers.get("x-gtv-signature"), body, [secret], time.time(), tolerance=600)
        return len(posts)


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `check` until true (a wait for asynchronous delivery, not a measurement)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


@contextmanager
def feed_runtime() -> Iterator[Any]:
    """The local runtime's SQS poller for FeedDeliveryFunction, delivering in a thread (as `make run` does)."""
    from gtvision.core.settings import get_settings
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template

    runtime = Runtime(load_template(endpoint_url=get_settings().aws_endpoint_url))
    (poller,) = [p for p in runtime.pollers if p.function.logical_id == "FeedDeliveryFunction"]
    stop = threading.Event()
    thread = threading.Thread(target=poller.run, args=(stop,), name="feed-poller", daemon=True)
    thread.start()
    try:
        yield poller
    finally:
        stop.set()
        thread.join(15)


def agreement_body(world: World, feed_url: str | None, **scope: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        "partner_name": "Polícia Militar do Estado",
        "partner_kind": "policia_militar",
        "purpose": "Cerco eletrônico: localizar veículos roubados",
        "legal_basis": "LGPD art. 7º, III e art. 23; Termo de Cooperação 12/2026",
        "valid_from": iso(now.replace(year=now.year - 1)),
        "valid_until": iso(now.replace(year=now.year + 1)),
        "scope": {"lpr_reads": True, "alerts": True, **scope},
        **({"feed_url": feed_url} if feed_url else {}),
    }


def webhook_read(world: World, camera: dict[str, Any], plate: str, at: datetime | None = None) -> str:
    """A read through the signed camera webhook (the API function's path); its id."""
    event = {
        "event_id": uuid.uuid4().hex,
        "plate": plate,
        "confidence": 0.91,
        "captured_at": iso(at or datetime.now(UTC)),
    }
    r = signed_webhook(world.api, camera["id"], camera["webhook_secret"], json.dumps(event).encode())
    assert r.status == 202, r.text
    return str(r.json()["id"])


def batch_reads(reads: list[tuple[dict[str, Any], str]], at: datetime | None = None) -> None:
    """Reads through LprIngestFunction (one SQS message of them), as integrators' batches arrive."""
    body = [
        {
            "camera_id": cam["id"],
            "event_id": uuid.uuid4().hex,
            "plate": plate,
            "confidence": 0.8,
            "captured_at": iso(at or datetime.now(UTC)),
        }
        for cam, plate in reads
    ]
    event = events.sqs_event([json.dumps(body)], "arn:aws:sqs:us-east-1:123456789012:gtvision-lpr-reads")
    out = load_function("lpr_ingest", "handler").handler(event, LambdaContext())
    assert out == {"batchItemFailures": []}, out
