"""One settings model for every function, validated from the environment at entry."""

from __future__ import annotations

import os
import time
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Settings(BaseModel):
    """Environment of a GT-Vision function (names match template.yaml Globals and the contract).

    `Settings()` reads each field from the environment variable named by its alias; keyword arguments
    (alias or field name) override. A plain pydantic model rather than pydantic-settings: the same
    validation, without that package's ~60 ms at every cold start (docs/benchmarks.md, cold start).
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    def __init__(self, **data: Any) -> None:
        fields = type(self).model_fields
        given = {fields[k].alias if k in fields and fields[k].alias else k for k in data}
        env = {
            f.alias: os.environ[f.alias]
            for f in fields.values()
            if f.alias and f.alias in os.environ and f.alias not in given
        }
        super().__init__(**env, **data)

    database_url: str = Field(default="", alias="DATABASE_URL")
    aws_endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    aws_region: str = Field(default="us-east-1", alias="AWS_REGION")
    recordings_bucket: str = Field(default="gtvision-recordings", alias="RECORDINGS_BUCKET")
    clip_queue_url: str = Field(default="", alias="CLIP_QUEUE_URL")
    lpr_queue_url: str = Field(default="", alias="LPR_QUEUE_URL")
    alerts_topic_arn: str = Field(default="", alias="ALERTS_TOPIC_ARN")

    jwt_secret: str = Field(default="", alias="GTV_JWT_SECRET")
    jwt_issuer: str = Field(default="gtvision", alias="GTV_JWT_ISSUER")
    jwt_audience: str = Field(default="gtvision-api", alias="GTV_JWT_AUDIENCE")
    jwt_ttl_s: int = Field(default=3600, alias="GTV_JWT_TTL_S")
    cognito_jwks_url: str = Field(default="", alias="GTV_COGNITO_JWKS_URL")
    #: Accounts unused for this many days are blocked until a manager reactivates them (tenancy.users).
    inactive_days: int = Field(default=90, ge=1, le=3650, alias="GTV_INACTIVE_DAYS")
    data_key: str = Field(default="", alias="GTV_DATA_KEY")
    # argon2id cost (RFC 9106 "low memory" profile by default); tests lower it to stay fast.
    argon2_time_cost: int = Field(default=3, ge=1, alias="GTV_ARGON2_TIME_COST")
    argon2_memory_kib: int = Field(default=65536, ge=64, alias="GTV_ARGON2_MEMORY_KIB")
    admin_user: str = Field(default="admin", alias="GTV_ADMIN_USER")
    admin_password: str = Field(default="", alias="GTV_ADMIN_PASSWORD")

    mediamtx_api_url: str = Field(default="http://127.0.0.1:9997", alias="GTV_MEDIAMTX_API_URL")
    mediamtx_hls_url: str = Field(default="http://127.0.0.1:8888", alias="GTV_MEDIAMTX_HLS_URL")
    mediamtx_webrtc_url: str = Field(default="http://127.0.0.1:8889", alias="GTV_MEDIAMTX_WEBRTC_URL")
    mediamtx_rtsp_url: str = Field(default="rtsp://127.0.0.1:8554", alias="GTV_MEDIAMTX_RTSP_URL")
    mediamtx_user: str = Field(default="", alias="GTV_MEDIAMTX_USER")
    mediamtx_password: str = Field(default="", alias="GTV_MEDIAMTX_PASSWORD")

    presign_ttl_s: int = Field(default=3600, alias="GTV_PRESIGN_TTL_S")
    lpr_clone_max_kmh: float = Field(default=200.0, gt=0, alias="GTV_LPR_CLONE_MAX_KMH")
    lpr_clone_window_s: int = Field(default=7200, gt=0, alias="GTV_LPR_CLONE_WINDOW_S")
    local: bool = Field(default=False, alias="GTV_LOCAL")
    # Storage class a segment moves to at registration, per plan: "30:STANDARD_IA" (docs/cost.md); empty = Standard.
    storage_class_by_plan: str = Field(default="", alias="GTV_STORAGE_CLASS_BY_PLAN")

    def storage_class_for(self, retention_days: int) -> str | None:
        for item in self.storage_class_by_plan.split(","):
            days, _, cls = item.partition(":")
            if days.strip() == str(retention_days) and cls.strip():
                return cls.strip()
        return None

    # --- issue 11: quotas (logic/quotas.py); a multiplier on every per-minute limit, 0 = off ---
    quota_scale: float = Field(default=1.0, ge=0, alias="GTV_QUOTA_SCALE")

    # Faults (ADR 0010): SQS retry backoff, the clip reconciler, database timeouts under API Gateway's 29 s.
    retry_base_s: float = Field(default=2.0, gt=0, alias="GTV_RETRY_BASE_S")
    retry_max_s: float = Field(default=60.0, gt=0, alias="GTV_RETRY_MAX_S")
    # Resource errors (full or read-only scratch, no memory or file handles): minutes, doubling, capped.
    retry_resource_base_s: float = Field(default=60.0, gt=0, alias="GTV_RETRY_RESOURCE_BASE_S")
    retry_resource_max_s: float = Field(default=900.0, gt=0, alias="GTV_RETRY_RESOURCE_MAX_S")
    clip_stale_s: int = Field(default=900, gt=0, alias="GTV_CLIP_STALE_S")
    db_connect_timeout_s: int = Field(default=5, ge=1, alias="GTV_DB_CONNECT_TIMEOUT_S")
    db_statement_timeout_s: float = Field(default=15.0, gt=0, alias="GTV_DB_STATEMENT_TIMEOUT_S")
    db_pool_wait_s: float = Field(default=8.0, gt=0, alias="GTV_DB_POOL_WAIT_S")
    # Sentinela (issue 15): analysis queue, cost guard (segment-hours per search), analyser choice.
    sentinela_queue_url: str = Field(default="", alias="SENTINELA_QUEUE_URL")
    sentinela_max_segment_hours: float = Field(default=24.0, gt=0, alias="GTV_SENTINELA_MAX_SEGMENT_HOURS")
    sentinela_analyser: str = Field(
        default="auto", pattern="^(auto|local|rekognition)$", alias="GTV_SENTINELA_ANALYSER"
    )

    # Stream and recording health (issue 13)
    recording_stall_s: int = Field(default=180, gt=0, alias="GTV_RECORDING_STALL_S")
    mediamtx_hook_secret: str = Field(default="", alias="GTV_MEDIAMTX_HOOK_SECRET")
    # Bearer credential of Alertmanager's webhook (POST /v1/hooks/alertmanager); empty: the hook refuses all.
    alertmanager_hook_secret: str = Field(default="", alias="GTV_ALERTMANAGER_HOOK_SECRET")
    stream_sample_retention_days: int = Field(default=7, ge=1, alias="GTV_STREAM_SAMPLE_RETENTION_DAYS")

    # issue 14 - live events: the events queue, the WebSocket API's management endpoint (PostToConnection)
    # and the wss:// URL the console connects to.
    events_queue_url: str = Field(default="", alias="EVENTS_QUEUE_URL")
    ws_management_url: str = Field(default="", alias="GTV_WS_MANAGEMENT_URL")
    ws_url: str = Field(default="", alias="GTV_WS_URL")

    # issue 16 - the console's map tiles (Leaflet URL template, e.g. https://tile.openstreetmap.org/{z}/{x}/{y}.png);
    # empty: the trajectory map draws its points and path without a background.
    map_tile_url: str = Field(default="", alias="GTV_MAP_TILE_URL")

    # Sharing (ADR 0025): the outbound feed's queues, its retry backoff while a receiver is down, and how long a
    # delivery is retried before it is dead-lettered.
    feed_queue_url: str = Field(default="", alias="FEED_QUEUE_URL")
    feed_dlq_url: str = Field(default="", alias="FEED_DLQ_URL")
    feed_retry_base_s: float = Field(default=5.0, gt=0, alias="GTV_FEED_RETRY_BASE_S")
    feed_retry_max_s: float = Field(default=300.0, gt=0, alias="GTV_FEED_RETRY_MAX_S")
    feed_max_age_s: int = Field(default=86_400, gt=0, alias="GTV_FEED_MAX_AGE_S")
    # Cases and evidence: export parts (plain and redacted), the packaging job, their reconciler, case holds
    # after closing, share links (presigned downloads) and the public base URL of share links.
    export_queue_url: str = Field(default="", alias="EXPORT_QUEUE_URL")
    redaction_queue_url: str = Field(default="", alias="REDACTION_QUEUE_URL")
    export_package_queue_url: str = Field(default="", alias="EXPORT_PACKAGE_QUEUE_URL")
    export_stale_s: int = Field(default=900, gt=0, alias="GTV_EXPORT_STALE_S")
    export_max_bytes: int = Field(default=4 * 1024**3, gt=0, alias="GTV_EXPORT_MAX_BYTES")
    case_keep_days: int = Field(default=365, ge=0, alias="GTV_CASE_KEEP_DAYS")
    # Longest window a redacting export may ask per camera: one RedactionFunction invocation (900 s) must finish
    # it at the measured throughput (docs/benchmarks.md, bench_cases).
    redaction_max_s: int = Field(default=300, gt=0, alias="GTV_REDACTION_MAX_S")
    share_download_ttl_s: int = Field(default=300, gt=0, le=3600, alias="GTV_SHARE_DOWNLOAD_TTL_S")
    public_base_url: str = Field(default="", alias="GTV_PUBLIC_BASE_URL")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests call `get_settings.cache_clear()` after changing env).

    Secrets given by ARN (GTV_JWT_SECRET_ARN, GTV_DATA_KEY_SECRET_ARN, DATABASE_SECRET_ARN,
    GTV_MEDIAMTX_HOOK_SECRET_ARN, GTV_MEDIAMTX_PASSWORD_SECRET_ARN) are read here, once
    per process — a Lambda cold start — from Secrets Manager (see gtvision.core.secret_store).
    """
    settings = Settings()
    # Settings field -> the environment variable whose empty plain value is read from its secret's ARN
    by_arn = {
        "jwt_secret": "GTV_JWT_SECRET",
        "data_key": "GTV_DATA_KEY",
        "database_url": "DATABASE_URL",
        "mediamtx_hook_secret": "GTV_MEDIAMTX_HOOK_SECRET",
        "mediamtx_password": "GTV_MEDIAMTX_PASSWORD",
    }
    arns = (*(f"{n}_ARN" for n in by_arn.values() if n != "DATABASE_URL"), "DATABASE_SECRET_ARN")
    if any(os.environ.get(n) for n in arns):
        from gtvision.core.secret_store import resolve_into

        resolved = resolve_into({env: getattr(settings, field) for field, env in by_arn.items()})
        settings = settings.model_copy(update={field: resolved[env] for field, env in by_arn.items()})
    _loaded_at[0] = time.time()
    return settings


#: When `get_settings` last read the environment and the secrets (wall clock: SnapStart restores may
#: come long after the snapshot).
_loaded_at: list[float | None] = [None]


def settings_loaded_at() -> float | None:
    """Wall-clock time the cached settings (and their secrets) were read; None before the first read."""
    return _loaded_at[0] if get_settings.cache_info().currsize else None
