"""SharingMaintenanceFunction: a delivery whose message was lost is announced again, expired hotlist entries are
purged, and each agreement's lag is published (EMF)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sharing_support import agreement_body, webhook_read
from utils import LambdaContext, World, load_function

from gtvision.core import aws, db
from gtvision.core.settings import get_settings


def test_lost_messages_are_reannounced_expired_entries_purged_and_lag_published(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("GTV_LOCAL", "1")
    get_settings.cache_clear()
    # Given an agreement with a pending delivery nobody has tried for 5 minutes (its message was lost)
    cam = world.camera(lpr_enabled=True)
    agreement = world.api.call(
        "POST", "/v1/agreements", agreement_body(world, "http://127.0.0.1:9/feed"), world.manager_a
    ).json()
    webhook_read(world, cam, "LST1A23")
    sqs, url = aws.client("sqs"), get_settings().feed_queue_url
    sqs.purge_queue(QueueUrl=url)
    with db.transaction() as conn:
        conn.execute(
            "UPDATE feed_deliveries SET created_at = now() - interval '5 minutes' WHERE agreement_id = %s",
            (agreement["id"],),
        )
        (delivery,) = conn.execute(
            "SELECT id FROM feed_deliveries WHERE agreement_id = %s", (agreement["id"],)
        ).fetchall()
    # and a hotlist entry that expired an hour ago
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    push = {
        "entries": [
            {"plate": "EXP1A23", "reason": "roubo", "expires_at": past},
            {"plate": "LIV1A23", "reason": "roubo"},
        ]
    }
    world.api.call("POST", f"/v1/agreements/{agreement['id']}/hotlist", push, agreement["hotlist_key"])
    # When the maintenance run fires
    capsys.readouterr()
    out = load_function("sharing_maintenance", "handler").handler({}, LambdaContext())
    # Then the delivery is announced again, the expired entry is gone (the live one stays), the lag is published
    assert out["reannounced"] >= 1 and out["purged"] >= 1 and out["max_lag_s"] >= 290
    bodies = [
        json.loads(m["Body"])
        for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
    ]
    assert {"delivery_id": str(delivery["id"])} in bodies
    with db.transaction() as conn:
        plates = {
            r["plate"]
            for r in conn.execute("SELECT plate FROM watchlist WHERE agreement_id = %s", (agreement["id"],)).fetchall()
        }
    assert plates == {"LIV1A23"}
    emf = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith('{"_aws"')]
    per_agreement = [e for e in emf if e.get("AgreementId") == agreement["id"]]
    lag = per_agreement[0]["FeedLagSeconds"] if per_agreement else None
    assert lag is not None and (lag[0] if isinstance(lag, list) else lag) >= 290
    assert any("FeedLagMaxSeconds" in e for e in emf)
    get_settings.cache_clear()
