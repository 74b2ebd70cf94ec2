"""One real resource of each kind in one city, made through the API, for the fuzz, hostile-input and tenancy tests."""

from __future__ import annotations

import base64
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from utils import ApiClient, Reply, World

from gtvision.core import db, signatures
from gtvision.recordings import store as segments_dal

PLATE = "ABC1D23"
WEBHOOK = ("/v1/lpr/events", "POST")
INTELBRAS = ("/v1/lpr/intelbras/{camera_id}/NotificationInfo/{notification}", "POST")
DIGEST_USER, DIGEST_PASSWORD = "its-camera", "senha-da-camera"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def signed_webhook(api: ApiClient, camera_id: str, secret: str, raw: bytes) -> Reply:
    """POST raw bytes to the LPR webhook, signed with the camera's secret now (so the body is what is tested)."""
    headers = {"x-gtv-camera": camera_id, "x-gtv-signature": signatures.sign(secret, raw, int(time.time()))}
    return api.call("POST", "/v1/lpr/events", token=None, headers=headers, raw=raw)


#: The MediaMTX hook's route and the secret tests sign it with (tests/conftest.py sets the env).
MEDIAMTX_HOOK = ("/v1/hooks/mediamtx", "POST")


def signed_mediamtx_hook(api: ApiClient, raw: bytes) -> Reply:
    """POST raw bytes to the MediaMTX hook, signed with GTV_MEDIAMTX_HOOK_SECRET now."""
    secret = os.environ["GTV_MEDIAMTX_HOOK_SECRET"]
    headers = {"x-gtv-signature": signatures.sign(secret, raw, int(time.time()))}
    return api.call("POST", MEDIAMTX_HOOK[0], token=None, headers=headers, raw=raw)


#: Alertmanager's webhook and the bearer secret it posts with (tests/conftest.py sets the env).
ALERTMANAGER_HOOK = ("/v1/hooks/alertmanager", "POST")


def alertmanager_hook(api: ApiClient, raw: bytes) -> Reply:
    """POST raw bytes to the Alertmanager hook with GTV_ALERTMANAGER_HOOK_SECRET as its bearer credential."""
    headers = {"authorization": f"Bearer {os.environ['GTV_ALERTMANAGER_HOOK_SECRET']}"}
    return api.call("POST", ALERTMANAGER_HOOK[0], token=None, headers=headers, raw=raw)


def digest_push(api: ApiClient, camera_id: str, raw: bytes, kind: str = "TollgateInfo") -> Reply:
    """POST raw bytes as the Intelbras camera does: get the Digest challenge, answer it (requests' client)."""
    from requests.auth import HTTPDigestAuth
    from requests.utils import parse_dict_header

    path = f"/v1/lpr/intelbras/{camera_id}/NotificationInfo/{kind}"
    first = api.call("POST", path, raw=raw)
    challenges = (first.multi_headers or {}).get("www-authenticate")
    if first.status != 401 or not challenges:
        return first
    auth = HTTPDigestAuth(DIGEST_USER, DIGEST_PASSWORD)
    auth.init_per_thread_state()
    auth._thread_local.chal = parse_dict_header(challenges[0][len("Digest ") :])  # type: ignore[attr-defined]
    header = auth.build_digest_header("POST", "http://gtvision.example" + path)
    return api.call("POST", path, raw=raw, headers={"authorization": str(header)})


@dataclass
class CityResources:
    """Ids of real resources of city A: every `{..._id}` path parameter of the API has one here."""

    city_id: str
    camera_id: str
    webhook_secret: str
    clip_id: str
    mosaic_id: str
    watchlist_id: str
    alert_id: str
    user_id: str
    read_id: str
    recorded_from: datetime
    search_id: str
    camera_group_id: str
    agreement_id: str
    grant_id: str
    case_id: str
    export_id: str
    share_id: str
    bookmark_id: str

    def path_ids(self) -> dict[str, str]:
        return {
            "city_id": self.city_id,
            "camera_id": self.camera_id,
            "clip_id": self.clip_id,
            "mosaic_id": self.mosaic_id,
            "watchlist_id": self.watchlist_id,
            "alert_id": self.alert_id,
            "user_id": self.user_id,
            "search_id": self.search_id,
            "camera_group_id": self.camera_group_id,
            "agreement_id": self.agreement_id,
            "grant_id": self.grant_id,
            "case_id": self.case_id,
            "export_id": self.export_id,
            "share_id": self.share_id,
            "bookmark_id": self.bookmark_id,
            "notification": "TollgateInfo",
        }


def _ok(r: Reply, status: int) -> Any:
    assert r.status == status, r.text
    return r.json()


def build(world: World) -> CityResources:
    """A camera (LPR on) with one registered segment, a queued clip, a mosaic, a watchlist entry, the alert
    a read of the watched plate raised, and a viewer user — all in world.city_a, made by manager_a."""
    api, token = world.api, world.manager_a
    camera = world.camera(lpr_enabled=True, location={"lat": -23.55, "lon": -46.63})
    start = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)
    with db.transaction() as conn:
        # A registered segment row is all a clip request needs (the worker, which reads media, is not run).
        segments_dal.insert(
            conn,
            {
                "camera_id": camera["id"],
                "city_id": world.city_a,
                "start_at": start,
                "end_at": start + timedelta(seconds=4),
                "duration_s": 4.0,
                "s3_key": f"recordings/{camera['id']}/fake.mp4",
                "size_bytes": 1000,
                "container": "mp4",
            },
        )
    clip = _ok(
        api.call(
            "POST",
            "/v1/clips",
            {"camera_id": camera["id"], "start": iso(start), "end": iso(start + timedelta(seconds=2))},
            token,
        ),
        202,
    )
    mosaic = _ok(api.call("POST", "/v1/mosaics", {"name": "Centro", "camera_ids": [camera["id"]]}, token), 201)
    watch = _ok(api.call("POST", "/v1/watchlist", {"plate": PLATE, "reason": "furto"}, token), 201)
    event = {
        "event_id": uuid.uuid4().hex,
        "plate": PLATE,
        "confidence": 0.93,
        "captured_at": iso(datetime.now(UTC) - timedelta(seconds=5)),
    }
    read = _ok(signed_webhook(api, camera["id"], camera["webhook_secret"], json.dumps(event).encode()), 202)
    alerts = _ok(api.call("GET", "/v1/alerts", token=token), 200)["items"]
    assert alerts, "a read of a watched plate raises an alert"
    user = _ok(
        api.call(
            "POST",
            "/v1/users",
            {
                "username": f"viewer-x-{uuid.uuid4().hex[:8]}",
                "password": "senha-forte-123",
                "role": "viewer",
                "city_id": world.city_a,
            },
            world.admin,
        ),
        201,
    )
    digest = {"lpr_digest_username": DIGEST_USER, "lpr_digest_password": DIGEST_PASSWORD}
    _ok(api.call("PATCH", f"/v1/cameras/{camera['id']}", digest, token), 200)
    search = _ok(
        api.call(
            "POST",
            "/v1/sentinela/searches",
            {"color": "preto", "from": iso(start - timedelta(hours=1)), "to": iso(start + timedelta(hours=1))},
            token,
        ),
        202,
    )
    group = _ok(
        api.call(
            "POST", f"/v1/cities/{world.city_a}/camera-groups", {"name": "Escola", "camera_ids": [camera["id"]]}, token
        ),
        201,
    )
    agreement = _ok(api.call("POST", "/v1/agreements", agreement_body(None), token), 201)
    # A grant of city A with a third city (city B must see none of A's resources)
    third = _ok(
        api.call(
            "POST",
            "/v1/cities",
            {"name": f"Terceira {uuid.uuid4().hex[:6]}", "state": "SP", "retention_days": 7},
            world.admin,
        ),
        201,
    )["id"]
    grant = _ok(api.call("POST", "/v1/grants", grant_body(world.city_a, third, start), token), 201)
    case = _ok(api.call("POST", "/v1/cases", {"title": "Caso X", "category": "ocorrencia"}, token), 201)
    window = {"start": iso(start), "end": iso(start + timedelta(seconds=2))}
    export = _ok(
        api.call("POST", f"/v1/cases/{case['id']}/exports", {"camera_ids": [camera["id"]], **window}, token), 202
    )
    share = _ok(api.call("POST", f"/v1/cases/{case['id']}/shares", share_body(), token), 201)
    mark = _ok(api.call("POST", f"/v1/cameras/{camera['id']}/bookmarks", {"at": iso(start), "label": "m"}, token), 201)
    return CityResources(
        camera_group_id=group["id"],
        agreement_id=agreement["id"],
        grant_id=grant["id"],
        case_id=case["id"],
        export_id=export["id"],
        share_id=share["id"],
        bookmark_id=mark["id"],
        search_id=search["id"],
        city_id=world.city_a,
        camera_id=camera["id"],
        webhook_secret=camera["webhook_secret"],
        clip_id=clip["id"],
        mosaic_id=mosaic["id"],
        watchlist_id=watch["id"],
        alert_id=alerts[0]["id"],
        user_id=user["id"],
        read_id=read["id"],
        recorded_from=start,
    )


def agreement_body(city_id: str | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {
        **({"city_id": city_id} if city_id else {}),
        "partner_name": "PM",
        "partner_kind": "policia_militar",
        "purpose": "cerco eletrônico",
        "legal_basis": "LGPD art. 7º, III",
        "valid_from": iso(now - timedelta(days=1)),
        "valid_until": iso(now + timedelta(days=365)),
        "scope": {"lpr_reads": True, "alerts": True},
    }


def grant_body(requesting: str, holding: str, start: datetime) -> dict[str, Any]:
    return {
        "requesting_city_id": requesting,
        "holding_city_id": holding,
        "case_id": str(uuid.uuid4()),
        "plates": [PLATE],
        "from": iso(start - timedelta(days=1)),
        "to": iso(start),
        "justification": "caso",
    }


def share_body() -> dict[str, Any]:
    return {
        "recipient_name": "Promotora Souza",
        "organisation": "Ministério Público",
        "legal_basis": "Requisição 12/2026",
        "expires_at": iso(datetime.now(UTC) + timedelta(days=7)),
        "max_downloads": 3,
    }


def valid_bodies(res: CityResources) -> dict[tuple[str, str], dict[str, Any]]:
    """A valid body per POST/PATCH route, so a wrong value in one field is what the route has to reject."""
    now = datetime.now(UTC)
    start = res.recorded_from
    return {
        ("/v1/auth/login", "POST"): {"username": "admin", "password": "not-the-password"},
        ("/v1/hooks/mediamtx", "POST"): {"event": "online", "path": res.camera_id},
        ("/v1/hooks/alertmanager", "POST"): {
            "version": "4",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "FunctionErrors", "severity": "critical"},
                    "annotations": {"summary": "Funções com erros"},
                    "startsAt": iso(now),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": uuid.uuid4().hex[:16],
                }
            ],
        },
        ("/v1/auth/refresh", "POST"): {"refresh_token": "not-a-refresh-token-0123456789abcdefghijklm"},
        ("/v1/users/{user_id}", "PATCH"): {"role": "viewer", "active": True, "camera_group_ids": [res.camera_group_id]},
        ("/v1/cities/{city_id}/camera-groups", "POST"): {
            "name": f"g-{uuid.uuid4().hex[:8]}",
            "camera_ids": [res.camera_id],
        },
        ("/v1/camera-groups/{camera_group_id}", "PATCH"): {"name": "Escola", "camera_ids": [res.camera_id]},
        ("/v1/me/2fa/confirm", "POST"): {"code": "000000"},
        ("/v1/me/password", "POST"): {"current_password": "not-the-password", "new_password": "frase longa e nova 42"},
        ("/v1/users", "POST"): {
            "username": f"u-{uuid.uuid4().hex[:10]}",
            "password": "senha-forte-123",
            "role": "viewer",
            "city_id": res.city_id,
        },
        ("/v1/cities", "POST"): {
            "name": "Hostil",
            "state": "SP",
            "retention_days": 7,
            "camera_limit": 10,
            "lpr_retention_days": 30,
        },
        ("/v1/cities/{city_id}", "PATCH"): {
            "name": "Cidade A",
            "state": "SP",
            "retention_days": 7,
            "camera_limit": 1000,
            "lpr_retention_days": 30,
        },
        ("/v1/cities/{city_id}/cameras", "POST"): {
            "name": "Câmera",
            "source_url": "rtsp://192.168.0.10/s",
            "username": "u",
            "password": "p",
            "location": {"lat": -23.5, "lon": -46.6, "address": "Rua"},
            "lpr_enabled": False,
        },
        ("/v1/cameras/{camera_id}", "PATCH"): {
            "name": "Câmera",
            "source_url": "rtsp://192.168.0.10/s",
            "username": "u",
            "password": "p",
            "location": {"lat": -23.5, "lon": -46.6, "address": "Rua"},
            "lpr_enabled": True,
            "rotate_webhook_secret": False,
        },
        ("/v1/clips", "POST"): {
            "camera_id": res.camera_id,
            "start": iso(start),
            "end": iso(start + timedelta(seconds=2)),
            "mode": "fast",
        },
        ("/v1/clips/{clip_id}/hold", "POST"): {"reason": "inquérito 123", "case_id": res.case_id},
        ("/v1/cases", "POST"): {"title": "Caso", "reference": "BO 1/2026", "category": "ocorrencia"},
        ("/v1/cases/{case_id}", "PATCH"): {"title": "Caso Y", "reference": "BO 2", "category": "interno"},
        ("/v1/cases/{case_id}/items", "POST"): {"kind": "note", "text": "testemunha"},
        ("/v1/cases/{case_id}/exports", "POST"): {
            "camera_ids": [res.camera_id],
            "start": iso(start),
            "end": iso(start + timedelta(seconds=2)),
            "mode": "exact",
            "redact": {"faces": False, "plates": False},
            "timestamp_overlay": False,
        },
        ("/v1/cases/{case_id}/shares", "POST"): share_body(),
        ("/v1/cameras/{camera_id}/bookmarks", "POST"): {"at": iso(start), "label": "marco", "case_id": res.case_id},
        ("/v1/cameras/{camera_id}/privacy-masks", "PUT"): {"masks": [{"points": [[0.1, 0.1], [0.3, 0.1], [0.2, 0.4]]}]},
        WEBHOOK: {
            "event_id": uuid.uuid4().hex,
            "plate": PLATE,
            "confidence": 0.9,
            "captured_at": iso(now - timedelta(seconds=3)),
            "image_jpeg_base64": base64.b64encode(b"\xff\xd8\xff\xe0not really a jpeg").decode(),
            "vehicle": {"color": "preto", "type": "carro", "make": "VW", "model": "Gol"},
            "direction": "in",
        },
        ("/v1/lpr/batch", "POST"): {
            "reads": [
                {
                    "camera_id": res.camera_id,
                    "event_id": uuid.uuid4().hex,
                    "plate": PLATE,
                    "confidence": 0.8,
                    "captured_at": iso(now - timedelta(seconds=3)),
                }
            ]
        },
        ("/v1/watchlist", "POST"): {"plate": "XYZ9A88", "reason": "furto", "fuzzy": False, "city_id": res.city_id},
        ("/v1/alerts/{alert_id}", "PATCH"): {"status": "investigating"},
        ("/v1/agreements", "POST"): agreement_body(res.city_id),
        ("/v1/agreements/{agreement_id}", "PATCH"): {"status": "active", "partner_name": "PM"},
        ("/v1/agreements/{agreement_id}/hotlist", "POST"): {
            "mode": "upsert",
            "entries": [{"plate": PLATE, "reason": "furto"}],
        },
        ("/v1/grants", "POST"): grant_body(res.city_id, res.city_id, start),
        ("/v1/grants/{grant_id}", "PATCH"): {"status": "approved"},
        ("/v1/mosaics", "POST"): {"name": "M", "camera_ids": [res.camera_id], "layout": "2x2"},
        ("/v1/mosaics/{mosaic_id}", "PATCH"): {"name": "M2", "camera_ids": [res.camera_id]},
        ("/v1/sentinela/searches", "POST"): {
            "plate": PLATE,
            "color": "preto",
            "type": "carro",
            "from": iso(start - timedelta(minutes=5)),
            "to": iso(start + timedelta(minutes=5)),
            "camera_ids": [res.camera_id],
            "analyse_video": False,
        },
        INTELBRAS: {
            "Picture": {
                "Plate": {"PlateNumber": PLATE, "Confidence": 90, "PlateColor": "White"},
                "Vehicle": {"VehicleColor": "Black", "VehicleType": "PickupTruck", "VehicleSign": "Fiat"},
                "SnapInfo": {
                    "AccurateTime": (now - timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S"),
                    "DeviceID": "8L0A2B3PAZ12345",
                    "Direction": "Approach",
                },
            }
        },
    }
