"""Alertmanager's webhook, `POST /v1/hooks/alertmanager`: a shared bearer secret, one `ops` alert per firing
episode (admins only), resolved by Alertmanager's resolution. Real PostgreSQL, the API through API Gateway
events, the live events queue in moto."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from gtvision.core.settings import get_settings

SECRET = "segredo-do-alertmanager-0123456789"
HOOK = "/v1/hooks/alertmanager"


@pytest.fixture()
def secret(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("GTV_ALERTMANAGER_HOOK_SECRET", SECRET)
    get_settings.cache_clear()
    yield SECRET
    monkeypatch.undo()
    get_settings.cache_clear()


def _notification(status: str, fingerprint: str, starts: str, ends: str = "0001-01-01T00:00:00Z") -> dict[str, Any]:
    """What Alertmanager 0.25+ posts (webhook payload version 4) for one alert of a group."""
    alert = {
        "status": status,
        "labels": {
            "alertname": "DeadLetterQueueNotEmpty",
            "severity": "critical",
            "queue": "ClipJobsDLQ",
            "queue_name": "gtvision-clip-jobs-dlq",
        },
        "annotations": {
            "summary": "1 mensagem(ns) na fila de mensagens mortas gtvision-clip-jobs-dlq",
            "description": "Mensagens que falharam todas as tentativas...",
        },
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
        "fingerprint": fingerprint,
    }
    return {
        "receiver": "gtvision",
        "status": status,
        "alerts": [alert],
        "groupLabels": {"alertname": alert["labels"]["alertname"]},
        "commonLabels": alert["labels"],
        "commonAnnotations": alert["annotations"],
        "externalURL": "http://am:9093",
        "version": "4",
        "groupKey": '{}:{alertname="DeadLetterQueueNotEmpty"}',
        "truncatedAlerts": 0,
    }


def _post(api: Any, body: Any, authorization: str | None = f"Bearer {SECRET}") -> Any:
    headers = {"authorization": authorization} if authorization else {}
    return api.call("POST", HOOK, raw=json.dumps(body).encode(), headers=headers)


def _ops(world: Any, token: str | None = None, **query: str) -> list[dict[str, Any]]:
    reply = world.api.call(
        "GET", "/v1/alerts", token=token or world.admin, query={"kind": "ops", "limit": "500", **query}
    )
    assert reply.status == 200, reply.text
    return list(reply.json()["items"])


def test_only_alertmanager_with_the_shared_secret_may_post(
    world: Any, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = _notification("firing", uuid.uuid4().hex[:16], "2026-11-23T12:00:00Z")
    # Without, with another scheme, with another secret, or with a user's token: 401, before the body is read
    for authorization in (None, f"Basic {secret}", "Bearer outro-segredo", f"Bearer {world.admin}"):
        reply = _post(world.api, body, authorization)
        assert reply.status == 401 and reply.json()["error"]["code"] == "invalid_credentials", authorization
    assert _post(world.api, {"not": "alertmanager"}, None).status == 401
    # With no secret configured nobody may post, not even with an empty bearer
    monkeypatch.setenv("GTV_ALERTMANAGER_HOOK_SECRET", "")
    get_settings.cache_clear()
    assert _post(world.api, body, "Bearer ").status == 401
    assert _post(world.api, body).status == 401


def test_a_firing_alert_opens_one_ops_alert_that_its_resolution_resolves(world: Any, secret: str) -> None:
    fingerprint = uuid.uuid4().hex[:16]
    # When Alertmanager reports an alert firing, twice (it repeats while the alert fires)
    first = _post(world.api, _notification("firing", fingerprint, "2026-11-23T12:00:00.123Z"))
    again = _post(world.api, _notification("firing", fingerprint, "2026-11-23T12:00:00.123Z"))

    # Then one ops alert is open, with the alert's name, severity and summary, in no city
    assert first.status == 202 and first.json() == {"received": 1, "opened": 1, "resolved": 0}
    assert again.json() == {"received": 1, "opened": 0, "resolved": 0}
    (alert,) = [a for a in _ops(world) if a["captured_at"].startswith("2026-11-23T12:00:00.123")]
    assert alert["id"] in {a["id"] for a in _ops(world, open="true")} and alert["resolved_at"] is None
    assert alert["kind"] == "ops" and alert["city_id"] is None and alert["plate"] is None
    assert alert["detail"]["alertname"] == "DeadLetterQueueNotEmpty"
    assert alert["detail"]["severity"] == "critical"
    assert alert["detail"]["summary"] == "1 mensagem(ns) na fila de mensagens mortas gtvision-clip-jobs-dlq"
    assert alert["detail"]["labels"] == {"queue": "ClipJobsDLQ", "queue_name": "gtvision-clip-jobs-dlq"}
    # ... which city users never see
    assert _ops(world, world.manager_a) == [] and _ops(world, world.viewer_a) == []

    # When it is resolved
    resolved = _post(
        world.api, _notification("resolved", fingerprint, "2026-11-23T12:00:00.123Z", "2026-11-23T12:07:30Z")
    )
    assert resolved.json() == {"received": 1, "opened": 0, "resolved": 1}
    # Then the same alert has resolved_at (Alertmanager's end), and is no longer open
    (same,) = [a for a in _ops(world) if a["id"] == alert["id"]]
    assert same["resolved_at"].startswith("2026-11-23T12:07:30")
    assert alert["id"] not in {a["id"] for a in _ops(world, open="true")}
    # And a later firing of the same rule is a new episode: a new alert
    later = _post(world.api, _notification("firing", fingerprint, "2026-11-23T13:00:00Z"))
    assert later.json()["opened"] == 1


def test_a_resolution_never_seen_firing_is_still_recorded_resolved(world: Any, secret: str) -> None:
    fingerprint = uuid.uuid4().hex[:16]
    reply = _post(world.api, _notification("resolved", fingerprint, "2026-11-20T08:00:00Z", "2026-11-20T08:05:00Z"))
    assert reply.json() == {"received": 1, "opened": 0, "resolved": 1}
    (alert,) = [a for a in _ops(world) if a["captured_at"].startswith("2026-11-20T08:00:00")]
    assert alert["resolved_at"].startswith("2026-11-20T08:05:00")


def test_malformed_notifications_from_alertmanager_are_422(world: Any, secret: str) -> None:
    body = _notification("firing", "abc", "2026-11-23T12:00:00Z")
    body["alerts"][0]["status"] = "exploded"
    assert _post(world.api, body).status == 422
    assert _post(world.api, {"version": "4", "status": "firing"}).status == 422


def test_the_console_lists_an_ops_alert_for_admins_with_its_portuguese_label(world: Any, secret: str) -> None:
    from console_browser import SKIP_REASON, Page, browser, chromium_missing, serve_api

    if chromium_missing():
        pytest.skip(SKIP_REASON)
    # Given a firing ops alert
    body = _notification("firing", uuid.uuid4().hex[:16], "2026-11-24T09:42:00Z")
    assert _post(world.api, body).json()["opened"] == 1
    with serve_api(world.api) as site, browser() as chromium:
        tab = Page(chromium, site, locale="pt-BR")
        tab.login("admin", "admin-test-password")
        # When the admin opens the alerts screen
        tab.page.goto(f"{site}/console#/alertas")
        row = tab.page.locator("#alertas-lista tr", has_text="DeadLetterQueueNotEmpty").first
        row.wait_for()
        # Then the alert shows its kind in Portuguese, its name, severity and summary, and that it is open
        assert row.locator(".badge.alert-ops").text_content() == "falha de operação"
        assert row.locator(".ops").text_content() == (
            "DeadLetterQueueNotEmpty (crítico): 1 mensagem(ns) na fila de mensagens mortas gtvision-clip-jobs-dlq"
        )
        assert "em aberto" in (row.text_content() or "")
        # (the live events socket may be another test's, gone: the alerts list does not depend on it)
        page_errors = [e for e in tab.errors if not e.startswith(("Failed to load resource", "WebSocket connection"))]
        assert not page_errors, tab.errors
        tab.close()
