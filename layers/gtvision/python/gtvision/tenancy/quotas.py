"""Quotas on expensive work: fixed one-minute windows counted in PostgreSQL (shared by every Lambda
instance), per user and per city — or per source address before anyone is authenticated — answered
with 429 and `Retry-After` (seconds to the next window).

Limits are per minute; `GTV_QUOTA_SCALE` multiplies them all (tests raise it so that only the quota test
meets them; 0 switches quotas off).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from gtvision.core import db
from gtvision.core.errors import RateLimited
from gtvision.core.observability import metrics
from gtvision.core.principal import Principal
from gtvision.core.rows import rowtype
from gtvision.core.settings import get_settings
from gtvision.tenancy.store import sessions as dal

WINDOW = timedelta(minutes=1)


@rowtype(slots=False)
class Limit:
    per_user: int
    per_city: int


#: Work that costs seconds of ffmpeg or large index scans. A city's limit covers its many operators.
LIMITS: dict[str, Limit] = {
    "clip": Limit(per_user=10, per_city=30),
    #: A case's multi-camera package (up to 16 cameras × 30 min of ffmpeg work each).
    "export": Limit(per_user=5, per_city=15),
    "trajectory": Limit(per_user=20, per_city=60),
    "fuzzy_search": Limit(per_user=30, per_city=120),
    # Every Sentinela search copies reads (index scans); one that analyses video costs minutes of decoding.
    "sentinela_search": Limit(per_user=20, per_city=60),
    "sentinela_video": Limit(per_user=5, per_city=15),
    # Creating accounts: a usernames sweep (each 409 says a name is unavailable) is slow and audited.
    "user_create": Limit(per_user=30, per_city=60),
}
#: Before authentication, per source address: each login costs ~125 ms and 64 MiB of argon2id. A city hall's
#: operators share one NAT address, hence a limit far above one person's retries.
SOURCE_LIMITS: dict[str, int] = {"login": 30, "refresh": 60}


def _scaled(limit: int) -> int:
    return math.ceil(limit * get_settings().quota_scale)


def _window(now: datetime) -> datetime:
    """The start of the fixed window holding `now` (windows are aligned to the epoch)."""
    size = WINDOW.total_seconds()
    return datetime.fromtimestamp(now.timestamp() // size * size, UTC)


def _count(buckets: list[tuple[str, int]], kind: str) -> None:
    """Count one hit in each bucket; 429 when any is over its limit."""
    if get_settings().quota_scale <= 0:
        return
    now = datetime.now(UTC)
    start = _window(now)
    with db.transaction() as conn:
        counts = [(bucket, limit, dal.hit(conn, bucket, start)) for bucket, limit in buckets]
        if counts[0][2] == 1:  # the first hit of a new window: older windows go
            dal.purge_counters(conn, start - WINDOW)
    for bucket, limit, count in counts:
        if count > limit:
            retry = max(1, math.ceil((start + WINDOW - now).total_seconds()))
            metrics.add_metric(name=f"QuotaExceeded_{kind}", unit="Count", value=1)
            scope = "do usuário" if bucket.startswith("user:") else "da cidade" if bucket.startswith("city:") else ""
            raise RateLimited(
                "quota_exceeded",
                f"limite {scope} para esta operação atingido ({limit} por minuto); tente de novo em {retry} s",
                headers={"Retry-After": str(retry)},
            )


def check(principal: Principal, kind: str) -> None:
    """Count one `kind` of work for the caller and their city (admins: per user only)."""
    limit = LIMITS[kind]
    buckets = [(f"user:{principal.user_id}:{kind}", _scaled(limit.per_user))]
    if principal.city_id:
        buckets.append((f"city:{principal.city_id}:{kind}", _scaled(limit.per_city)))
    _count(buckets, kind)


def check_source(source_ip: str | None, kind: str) -> None:
    """Count one `kind` of unauthenticated work from this address (whatever username it tries)."""
    if source_ip:
        _count([(f"ip:{source_ip}:{kind}", _scaled(SOURCE_LIMITS[kind]))], kind)
