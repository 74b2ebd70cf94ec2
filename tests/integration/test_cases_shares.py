"""Share links for external requesters: served without login until expiry, revoked → 410, a download limit,
every access a custody event and an audit entry, the token stored hashed and never logged; cases visible only
to who may see them."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from evidence_support import Workers, coded_segments, fetch, iso, operator, register, scratch, workers
from utils import World

from gtvision.core import db

__all__ = ["scratch", "workers"]
UA = "Mozilla/5.0 (Delegacia de Polícia Civil)"


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    return coded_segments(str(tmp_path_factory.mktemp("share")), 0, 1, 2.0)


@pytest.fixture()
def shared_case(world: World, files: list[str], workers: Workers) -> dict[str, Any]:
    """Given: an operator's case with one ready export of a camera's 2 s."""
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    camera = world.camera()
    register(camera, files, start, 2.0)
    op = operator(world)
    r = world.api.call(
        "POST",
        "/v1/cases",
        {"title": "Requisição MP", "reference": "Proc. 0001234-55.2026", "category": "requisicao_judicial"},
        op,
    )
    assert r.status == 201, r.text
    case = r.json()
    body = {"camera_ids": [camera["id"]], "start": iso(start), "end": iso(start + timedelta(seconds=2))}
    r = world.api.call("POST", f"/v1/cases/{case['id']}/exports", body, op)
    assert r.status == 202, r.text
    path = f"/v1/cases/{case['id']}/exports/{r.json()['id']}"
    workers.run_until(lambda: world.api.call("GET", path, token=op).json()["status"] in ("ready", "failed"))
    export = world.api.call("GET", path, token=op).json()
    assert export["status"] == "ready", export["error"]
    return {"case": case, "operator": op, "export": export}


def share(world: World, token: str, case_id: str, **extra: Any) -> dict[str, Any]:
    body = {
        "recipient_name": "Delegado Silva",
        "organisation": "Polícia Civil - 1º DP",
        "legal_basis": "Requisição do inquérito 55/2026",
        "expires_at": iso(datetime.now(UTC) + timedelta(days=7)),
        **extra,
    }
    r = world.api.call("POST", f"/v1/cases/{case_id}/shares", body, token)
    assert r.status == 201, r.text
    return dict(r.json())


def token_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["token"][0]


def public(world: World, path: str, token: str | None) -> Any:
    """A request as a browser (the page) or a program (JSON) sends it, without login."""
    accept = "text/html,application/xhtml+xml" if path == "/v1/share" else "application/json"
    return world.api.call(
        "GET",
        path,
        query={"token": token} if token else {},
        headers={"user-agent": UA, "accept": accept},
        source_ip="198.51.100.23",
    )


def custody(world: World, token: str, case_id: str) -> list[dict[str, Any]]:
    r = world.api.call("GET", f"/v1/cases/{case_id}/custody", token=token, query={"limit": "500"})
    assert r.status == 200, r.text
    return list(r.json()["items"])


def test_a_link_serves_the_packages_without_login_and_records_every_access(
    world: World, shared_case: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    op, case = shared_case["operator"], shared_case["case"]
    link = share(world, op, case["id"], max_downloads=2)
    assert "/v1/share?token=" in link["url"] and link["status"] == "active"
    token = token_of(link["url"])
    assert len(token) >= 40  # 256 random bits

    # The page (HTML, pt-BR) and the JSON need no login
    page = public(world, "/v1/share", token)
    assert page.status == 200 and page.headers["content-type"].startswith("text/html")
    assert "Requisição MP" in page.text and "Baixar pacote" in page.text and "Delegado Silva" in page.text
    listing = public(world, "/v1/share.json", token).json()
    assert listing["downloads_left"] == 2 and len(listing["exports"]) == 1
    item = listing["exports"][0]
    assert item["sha256"] == shared_case["export"]["package_sha256"]

    # Each download is a short-lived presigned URL of the package, counted against the limit
    path = urlsplit(item["download_url"]).path
    for _ in range(2):
        got = public(world, path, token)
        assert got.status == 302, got.text
        assert hashlib.sha256(fetch(got.headers["location"])).hexdigest() == item["sha256"]
    refused = public(world, path, token)
    assert refused.status == 410 and refused.json()["error"]["code"] == "download_limit_reached"

    # Every access is in the custody trail (time, address, user agent, file) and the audit
    events = custody(world, op, case["id"])
    downloads = [e for e in events if e["kind"] == "share.downloaded"]
    assert len(downloads) == 2 and all(e["source_ip"] == "198.51.100.23" and e["user_agent"] == UA for e in downloads)
    assert all(e["detail"]["file"].endswith(".zip") and e["at"] for e in downloads)
    assert len([e for e in events if e["kind"] == "share.viewed"]) == 2
    assert [e["detail"]["reason"] for e in events if e["kind"] == "share.refused"] == ["download_limit"]
    with db.transaction() as conn:
        audit = conn.execute(
            "SELECT action, status, source_ip, actor, resource, detail::text AS detail FROM audit_log"
            " WHERE resource = %s ORDER BY id",
            (f"/v1/cases/{case['id']}/shares/{link['id']}",),
        ).fetchall()
        stored = conn.execute("SELECT token_sha256 FROM case_shares WHERE id = %s", (link["id"],)).fetchone()
        everything = conn.execute(
            "SELECT count(*) AS n FROM audit_log WHERE detail::text LIKE %s OR resource LIKE %s",
            (f"%{token}%", f"%{token}%"),
        ).fetchone()
    assert [a["action"] for a in audit] == [
        "share.view",
        "share.view",
        "share.download",
        "share.download",
        "share.download",
    ]
    assert [a["status"] for a in audit][-1] == 410 and all(str(a["source_ip"]) == "198.51.100.23" for a in audit)
    assert all(a["actor"].startswith("link: Delegado Silva") for a in audit)
    # The token is stored hashed, and never logged nor audited
    assert stored["token_sha256"] == hashlib.sha256(token.encode()).hexdigest()
    assert everything["n"] == 0
    assert token not in caplog.text


def test_a_revoked_or_expired_link_answers_410_and_an_unknown_one_404(
    world: World, shared_case: dict[str, Any]
) -> None:
    op, case = shared_case["operator"], shared_case["case"]
    link = share(world, op, case["id"])
    token = token_of(link["url"])
    assert public(world, "/v1/share", token).status == 200
    # Revoked → 410 (an HTML page for people, JSON for programs)
    r = world.api.call("DELETE", f"/v1/cases/{case['id']}/shares/{link['id']}", token=op)
    assert r.status == 200 and r.json()["status"] == "revoked"
    page = public(world, "/v1/share", token)
    assert page.status == 410 and "revogado" in page.text
    assert public(world, "/v1/share.json", token).json()["error"]["code"] == "share_revoked"
    # Expired → 410
    other = share(world, op, case["id"])
    with db.transaction() as conn:
        conn.execute("UPDATE case_shares SET expires_at = now() - interval '1 second' WHERE id = %s", (other["id"],))
    assert public(world, "/v1/share.json", token_of(other["url"])).json()["error"]["code"] == "share_expired"
    # Unknown or missing token → 404
    assert public(world, "/v1/share.json", "x" * 43).status == 404
    assert public(world, "/v1/share.json", None).status == 404
    kinds = [e["kind"] for e in custody(world, op, case["id"])]
    assert {"share.created", "share.revoked", "share.refused"} <= set(kinds)


def test_a_link_lives_at_most_30_days(world: World, shared_case: dict[str, Any]) -> None:
    body = {
        "recipient_name": "X",
        "organisation": "Y",
        "legal_basis": "Z",
        "expires_at": iso(datetime.now(UTC) + timedelta(days=31)),
    }
    r = world.api.call("POST", f"/v1/cases/{shared_case['case']['id']}/shares", body, shared_case["operator"])
    assert r.status == 422 and r.json()["error"]["code"] == "invalid_expiry"


def test_who_sees_a_case(world: World, shared_case: dict[str, Any]) -> None:
    case_id = shared_case["case"]["id"]
    # The operator who opened it, the city's managers, admins: yes
    for token in (shared_case["operator"], world.manager_a, world.admin):
        assert world.api.call("GET", f"/v1/cases/{case_id}", token=token).status == 200
    # Another operator of the city, and another city's manager: 404; a viewer: 403
    assert world.api.call("GET", f"/v1/cases/{case_id}", token=operator(world)).status == 404
    assert world.api.call("GET", f"/v1/cases/{case_id}", token=world.manager_b).status == 404
    assert world.api.call("GET", f"/v1/cases/{case_id}/shares", token=world.manager_b).status == 404
    assert world.api.call("GET", f"/v1/cases/{case_id}", token=world.viewer_a).status == 403
    listed = world.api.call("GET", "/v1/cases", token=world.manager_b, query={"q": "Requisição MP"}).json()
    assert case_id not in {c["id"] for c in listed["items"]}
    mine = world.api.call("GET", "/v1/cases", token=shared_case["operator"], query={"q": "0001234"}).json()
    assert [c["id"] for c in mine["items"]] == [case_id]
