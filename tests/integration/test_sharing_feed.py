"""The outbound plate feed end to end: reads stored through the webhook and LprIngestFunction reach a real HTTP
receiver through the feed queue and FeedDeliveryFunction (the local runtime's SQS delivery), signed; a 30 s
outage loses nothing; suspended or out-of-scope reads never arrive; a refusing receiver stops the feed."""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sharing_support import Receiver, agreement_body, batch_reads, feed_runtime, wait_for, webhook_read
from utils import World

from gtvision.core import db
from gtvision.core.settings import get_settings
from gtvision.sharing import agreements, delivery
from gtvision.sharing.store import deliveries

OUTAGE_S = 30


def plate() -> str:
    letters = "".join(random.choices(string.ascii_uppercase, k=3))
    return f"{letters}{random.randint(0, 9)}{random.choice(string.ascii_uppercase)}{random.randint(10, 99)}"


@pytest.fixture()
def local_feed(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local stack's rules (http and loopback receivers) and a small retry base, so an outage is retried
    every second or two instead of every few minutes."""
    monkeypatch.setenv("GTV_LOCAL", "1")
    monkeypatch.setenv("GTV_FEED_RETRY_BASE_S", "0.5")
    monkeypatch.setenv("GTV_FEED_RETRY_MAX_S", "2")
    get_settings.cache_clear()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def _secret(agreement_id: str) -> str:
    with db.transaction() as conn:
        from gtvision.sharing.store import agreements as store

        row = store.get(conn, agreement_id)
    assert row is not None
    return agreements.feed_secret(row)


def test_receiver_gets_every_read_in_scope_signed_and_an_outage_loses_nothing(world: World, local_feed: None) -> None:
    # Given a receiver, an agreement of city A sharing the reads of camera A1 only, and the feed delivering
    receiver = Receiver()
    a1 = world.camera(name="A1", lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    a2 = world.camera(name="A2", lpr_enabled=True)
    b1 = world.camera(token=world.manager_b, city=world.city_b, name="B1", lpr_enabled=True)
    r = world.api.call(
        "POST", "/v1/agreements", agreement_body(world, receiver.url, camera_ids=[a1["id"]]), world.manager_a
    )
    assert r.status == 201, r.text
    agreement = r.json()
    assert agreement["feed_secret"] and agreement["hotlist_key"] and agreement["flowing"]
    expected: set[str] = set()
    outside: set[str] = set()
    with feed_runtime():
        # When reads arrive through the webhook and a batch, in and out of the agreement's scope
        for _ in range(3):
            p = plate()
            webhook_read(world, a1, p)
            expected.add(p)
        in_batch = [plate() for _ in range(5)]
        out_batch = [plate() for _ in range(4)]
        batch_reads(
            [(a1, p) for p in in_batch]
            + [(a2, out_batch[0]), (a2, out_batch[1])]
            + [(b1, out_batch[2]), (b1, out_batch[3])]
        )
        expected |= set(in_batch)
        outside |= set(out_batch)
        p = plate()
        webhook_read(world, a2, p)
        outside.add(p)

        # Then the receiver gets every read in scope, each POST correctly signed with the feed secret
        def received() -> set[str]:
            return {rd["plate"] for d in receiver.documents() if "reads" in d for rd in d["reads"]}

        wait_for(lambda: expected <= received(), 30, "the reads in scope")
        assert receiver.verify_all(agreement["feed_secret"]) >= 1
        doc = next(d for d in receiver.documents() if "reads" in d)
        assert doc["agreement_id"] == agreement["id"]
        first = doc["reads"][0]
        assert set(first) == {"id", "plate", "captured_at", "confidence", "vehicle", "camera"}
        assert first["camera"] == {"id": a1["id"], "name": "A1", "lat": -23.55, "lon": -46.63}

        # When the agreement is suspended, reads arrive at the city, then it is resumed
        assert (
            world.api.call(
                "PATCH", f"/v1/agreements/{agreement['id']}", {"status": "suspended"}, world.manager_a
            ).status
            == 200
        )
        suspended = {plate() for _ in range(3)}
        for p in suspended:
            webhook_read(world, a1, p)
        assert (
            world.api.call("PATCH", f"/v1/agreements/{agreement['id']}", {"status": "active"}, world.manager_a).status
            == 200
        )

        # And the receiver is down for 30 s while reads keep coming, then comes back
        receiver.down()
        during: set[str] = set()
        started = time.monotonic()
        while time.monotonic() - started < OUTAGE_S:
            p = plate()
            webhook_read(world, a1, p)
            during.add(p)
            time.sleep(3)
        batch = [plate() for _ in range(20)]
        batch_reads([(a1, p) for p in batch])
        during |= set(batch)
        with db.transaction() as conn:
            waiting = deliveries.stats(conn, agreement["id"])
        assert waiting.pending >= len(during) and waiting.last_error, waiting
        receiver.up()

        # Then every read posted during the outage arrives — none lost; a repeat is only ever the same read
        wait_for(lambda: (expected | during) <= received(), 60, "the reads of the outage")
        ids = receiver.read_ids()
        by_id: dict[str, set[str]] = {}
        for d in receiver.documents():
            for rd in d.get("reads", []):
                by_id.setdefault(rd["id"], set()).add(rd["plate"])
        assert all(len(plates) == 1 for plates in by_id.values()), "one id, one read"
        assert len(set(ids)) == len(expected | during)
        # And nothing suspended or out of scope ever arrived (a later read did)
        assert not (received() & (outside | suspended))
        assert receiver.verify_all(agreement["feed_secret"]) == len(receiver.posts)

    # And the delivery stats say so
    stats = world.api.call("GET", f"/v1/agreements/{agreement['id']}/deliveries", token=world.manager_a).json()
    assert stats["pending"] == 0 and stats["delivered"] >= len(expected | during) and stats["failed"] == 0
    assert sum(stats["hourly"]) >= len(expected | during) and len(stats["hourly"]) == 24
    receiver.down()


def test_a_refusing_receiver_stops_the_feed_until_resumed(world: World, local_feed: None) -> None:
    # Given an agreement whose receiver refuses deliveries (HTTP 403)
    receiver = Receiver()
    receiver.status = 403
    cam = world.camera(lpr_enabled=True)
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, receiver.url), world.manager_a).json()
    with feed_runtime():
        webhook_read(world, cam, plate())
        # Then the feed stops, saying why, and the read waits
        wait_for(
            lambda: (
                world.api.call("GET", f"/v1/agreements/{agreement['id']}", token=world.manager_a).json()[
                    "feed_stopped_reason"
                ]
                is not None
            ),
            30,
            "the feed to stop",
        )
        shown = world.api.call("GET", f"/v1/agreements/{agreement['id']}", token=world.manager_a).json()
        assert shown["feed_stopped_reason"].startswith("HTTP 403") and shown["flowing"] is False
        posts = len(receiver.posts)
        later = plate()
        webhook_read(world, cam, later)
        # When the partner fixes its receiver and a manager resumes the feed
        receiver.status = 200
        r = world.api.call("PATCH", f"/v1/agreements/{agreement['id']}", {"status": "active"}, world.manager_a)
        assert r.status == 200 and r.json()["flowing"], r.text
        # Then what waited is delivered
        wait_for(
            lambda: later in {rd["plate"] for d in receiver.documents() for rd in d.get("reads", [])},
            30,
            "the waiting reads after the resume",
        )
        assert len(receiver.posts) > posts
    receiver.down()


def test_a_delivery_past_24_hours_is_dead_lettered_and_a_redrive_revives_it(
    world: World, local_feed: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gtvision.core import aws
    from gtvision_local.template import load_template

    # Given a delivery whose receiver has been down for longer than GTV_FEED_MAX_AGE_S
    template = load_template(endpoint_url=get_settings().aws_endpoint_url)
    monkeypatch.setenv("FEED_DLQ_URL", template.queue_url("FeedDeliveryDLQ"))
    get_settings.cache_clear()
    receiver = Receiver()
    receiver.down()
    cam = world.camera(lpr_enabled=True)
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, receiver.url), world.manager_a).json()
    webhook_read(world, cam, plate())
    with db.transaction() as conn:
        (delivery_id,) = deliveries.pending_ids(conn, agreement["id"], None, 10)
        conn.execute(
            "UPDATE feed_deliveries SET created_at = now() - interval '25 hours' WHERE id = %s", (delivery_id,)
        )
    body = json.dumps({"delivery_id": delivery_id})
    # When the worker gets its message
    assert delivery.process(delivery_id, body) == "dead"
    # Then it is dead, counted as failed, and its message is in the DLQ
    stats = world.api.call("GET", f"/v1/agreements/{agreement['id']}/deliveries", token=world.manager_a).json()
    assert stats["failed"] == 1 and stats["pending"] == 0 and "24 h" in stats["last_error"]
    sqs = aws.client("sqs")
    got = sqs.receive_message(QueueUrl=template.queue_url("FeedDeliveryDLQ"), WaitTimeSeconds=1)["Messages"]
    assert any(m["Body"] == body for m in got)
    for m in got:
        sqs.delete_message(QueueUrl=template.queue_url("FeedDeliveryDLQ"), ReceiptHandle=m["ReceiptHandle"])
    # And a redrive of that message, once the receiver is back, delivers it
    receiver.up()
    assert delivery.process(delivery_id, body) == "delivered"
    assert len(receiver.read_ids()) == 1
    receiver.down()


def test_a_busy_delivery_does_not_lease_the_agreements_other_deliveries(world: World, local_feed: None) -> None:
    # Regression (a flaky run of the feed test): a worker whose delivery another worker held still leased the
    # agreement's other pending deliveries, then sent nothing; their own messages met "em envio por outro
    # worker" until that lease ran out (60 s).
    receiver = Receiver()
    cam = world.camera(lpr_enabled=True)
    agreement = world.api.call("POST", "/v1/agreements", agreement_body(world, receiver.url), world.manager_a).json()
    # Given two pending read deliveries of one agreement, the first held by a worker (its lease, nothing else)
    webhook_read(world, cam, plate())
    webhook_read(world, cam, plate())
    with db.transaction() as conn:
        first, second = deliveries.pending_ids(conn, agreement["id"], None, 10)
        conn.execute("UPDATE feed_deliveries SET lease_until = now() + interval '60 seconds' WHERE id = %s", (first,))
        held = deliveries.get(conn, first)
    assert held is not None
    # When another worker gets the first one's message
    with db.transaction() as conn:
        assert deliveries.claim(conn, held, delivery.LEASE_S, delivery.MAX_READS) == []
        # Then it leased nothing: the second is free for its own message's worker, which sends it
        row = conn.execute("SELECT lease_until FROM feed_deliveries WHERE id = %s", (second,)).fetchone()
        assert row is not None and row["lease_until"] is None
    assert delivery.process(second, json.dumps({"delivery_id": second})) == "delivered"
    assert len(receiver.read_ids()) == 1
    receiver.down()


def test_feed_url_rules(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    def create(url: str) -> Any:
        return world.api.call("POST", "/v1/agreements", agreement_body(world, url), world.manager_a)

    # In AWS: https only, never loopback, link-local or metadata
    monkeypatch.delenv("GTV_LOCAL", raising=False)
    get_settings.cache_clear()
    for url in (
        "http://receiver.example.org/feed",
        "https://127.0.0.1/feed",
        "https://169.254.169.254/latest",
        "https://localhost/feed",
        "https://[::1]/feed",
        "https://metadata.google.internal/x",
        "https://user:pw@receiver.example.org/feed",
    ):
        r = create(url)
        assert r.status == 422 and r.json()["error"]["code"] == "invalid_feed_url", (url, r.text)
    assert create("https://203.0.113.10/feed").status == 201
    # Locally (make run): http and loopback too, still never link-local
    monkeypatch.setenv("GTV_LOCAL", "1")
    get_settings.cache_clear()
    assert create("http://127.0.0.1:9/feed").status == 201
    assert create("http://169.254.169.254/latest").status == 422
    get_settings.cache_clear()
