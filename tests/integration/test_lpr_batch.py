"""Batch ingest (LprIngestFunction's path) stores the same reads and raises the same alerts as the plain path — the
webhook's one read at a time (`lpr.ingest.store_read`: insert, then the rules for that read) — on the same input.

Each comparison runs the same reads into two mirrored cities (same camera places, same watchlist): one through
the plain path, one through `lpr.batch.ingest_batch`; stored reads and alerts are compared camera by camera.
Real PostgreSQL and moto. Also: the post-ingest observers see exactly the reads stored, once.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gtvision.core import db
from gtvision.lpr import batch, ingest, plates
from gtvision.lpr.schemas import BatchRead

#: Camera places: São Paulo (Sé, Paulista ~2.6 km), Campinas (~84 km) and one camera without a place.
PLACES = [(-23.5505, -46.6333), (-23.5614, -46.6559), (-22.9056, -47.0608), (None, None)]


@dataclass
class City:
    id: str
    cameras: list[str]


def city() -> City:
    """A city with a camera at each of PLACES (direct SQL: hypothesis makes many)."""
    city_id = str(uuid.uuid4())
    cams = [str(uuid.uuid4()) for _ in PLACES]
    with db.transaction() as conn:
        conn.execute(
            "INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 30)",
            (city_id, f"Lote {city_id[:8]}"),
        )
        for cam, (lat, lon) in zip(cams, PLACES, strict=True):
            conn.execute(
                "INSERT INTO cameras (id, city_id, name, source_url, lat, lon, lpr_enabled)"
                " VALUES (%s, %s, %s, 'rtsp://10.0.0.9/s', %s, %s, true)",
                (cam, city_id, f"cam {cam[:6]}", lat, lon),
            )
    return City(city_id, cams)


def watch(c: City, entries: list[tuple[str, bool]]) -> None:
    with db.transaction() as conn:
        for plate, fuzzy in entries:
            row = conn.execute(
                "INSERT INTO watchlist (city_id, plate, reason, fuzzy) VALUES (%s, %s, %s, %s) RETURNING id",
                (c.id, plate, f"motivo {plate}", fuzzy),
            ).fetchone()
            if fuzzy:
                conn.execute(
                    "INSERT INTO watchlist_keys (city_id, key, watchlist_id)"
                    " SELECT %s, k, %s FROM unnest(%s::text[]) k",
                    (c.id, row["id"], plates.fuzzy_keys(plate)),
                )


#: A read of the input: (camera index, event id, plate, seconds before now, confidence, colour word).
Read = tuple[int, str, str, int, float, str | None]


def bodies(reads_per_message: list[list[Read]], c: City, now: datetime) -> list[str]:
    out = []
    for message in reads_per_message:
        reads = []
        for cam, event_id, plate, ago, confidence, color in message:
            read: dict[str, Any] = {
                "camera_id": c.cameras[cam],
                "event_id": event_id,
                "plate": plate,
                "confidence": confidence,
                "captured_at": (now - timedelta(seconds=ago)).isoformat(),
            }
            if color:
                read["vehicle"] = {"color": color, "type": "Car", "make": "Fiat"}
            reads.append(read)
        out.append(json.dumps({"reads": reads}))
    return out


def plain(messages: list[str], c: City, now: datetime) -> None:
    """The webhook's path, read by read, in message order."""
    for body in messages:
        for data in batch.parse_message(body):
            assert isinstance(data, BatchRead)
            ingest.store_read(ingest.CameraRef(str(data.camera_id), c.id), ingest.validated(data, now))


def stored(c: City) -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
    """The city's reads and alerts with camera ids as indexes and read ids as (camera, event id)."""
    index = {cam: i for i, cam in enumerate(c.cameras)}
    with db.transaction() as conn:
        rows = conn.execute(
            "SELECT id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence, captured_at, vehicle,"
            " direction, vehicle_color, vehicle_type, image_key FROM plate_reads WHERE city_id = %s",
            (c.id,),
        ).fetchall()
        found = conn.execute(
            "SELECT kind, plate, camera_id, read_ids, watchlist_id, detail, status, priority FROM alerts"
            " WHERE city_id = %s",
            (c.id,),
        ).fetchall()
        entries = {
            r["id"]: r["plate"] for r in conn.execute("SELECT id, plate FROM watchlist WHERE city_id = %s", (c.id,))
        }
    ref = {r["id"]: (index[str(r["camera_id"])], r["event_id"]) for r in rows}
    reads = {
        (
            ref[r["id"]],
            r["plate"],
            r["plate_skeleton"],
            tuple(r["plate_keys"]),
            r["confidence"],
            r["captured_at"],
            json.dumps(r["vehicle"], sort_keys=True),
            r["direction"],
            r["vehicle_color"],
            r["vehicle_type"],
            r["image_key"],
        )
        for r in rows
    }
    alerts = set()
    for a in found:
        detail = dict(a["detail"])
        if a["kind"] == "clone_suspect":  # which side is "second" on a tie of times depends on random ids
            detail["camera_ids"] = sorted(index[c] for c in detail["camera_ids"])
            camera = None
        else:
            camera = index[str(a["camera_id"])]
        alerts.add(
            (
                a["kind"],
                a["plate"],
                camera,
                frozenset(ref[i] for i in a["read_ids"]),
                entries.get(a["watchlist_id"]),
                json.dumps(detail, sort_keys=True),
                a["status"],
                a["priority"],
            )
        )
    return reads, alerts


def compare(messages: list[list[Read]], watched: list[tuple[str, bool]]) -> tuple[set[Any], set[Any]]:
    """Run both paths on the same input; assert they stored and raised the same; return what they did."""
    now = datetime.now(UTC).replace(microsecond=0)
    one, many = city(), city()
    watch(one, watched)
    watch(many, watched)
    plain(bodies(messages, one, now), one, now)
    result = batch.ingest_batch(bodies(messages, many, now), now)
    assert result.failed == {}
    reads_one, alerts_one = stored(one)
    reads_many, alerts_many = stored(many)
    assert reads_many == reads_one
    assert alerts_many == alerts_one
    assert result.inserted == len(reads_one) and result.alerts == len(alerts_one)
    return reads_one, alerts_one


@pytest.fixture()
def observed() -> Iterator[list[list[Any]]]:
    calls: list[list[Any]] = []
    observer = ingest.on_reads_stored(calls.append)
    yield calls
    ingest._OBSERVERS.remove(observer)


@pytest.mark.slow
def test_5000_reads_with_watchlist_hits_and_clone_suspects_store_and_alert_alike(
    stack: dict[str, str], observed: list[list[Any]]
) -> None:
    # Given 5,000 reads of 2,500 plates over four cameras in the last day, in messages of 500 and of 10, with
    # resent reads (same camera and event id), watched plates (exact and fuzzy) and impossible trips (one camera
    # in Campinas, 84 km from the others)
    rng = random.Random(5000)
    pool = sorted(
        {
            f"{''.join(rng.choices('ABCDEFGHJKLMNPRSTUVWXYZ', k=3))}{rng.randrange(10)}"
            f"{rng.choice('ABCDEFGHIJ')}{rng.randrange(100):02d}"
            for _ in range(2500)
        }
    )
    reads: list[Read] = []
    for n in range(5000):
        event_id = f"ev-{rng.randrange(n + 1)}" if rng.random() < 0.03 else f"ev-{n}"  # ~3 % resent
        reads.append(
            (
                rng.choice((0, 0, 1, 1, 2, 3)),
                event_id,
                rng.choice(pool),
                rng.randrange(86400),
                round(rng.random(), 3),
                rng.choice([None, "White", "Prata", "DarkRed"]),
            )
        )
    messages = [reads[:500], reads[500:1000]] + [reads[i : i + 10] for i in range(1000, 5000, 10)]
    watched = [(p, False) for p in rng.sample(pool, 30)] + [(p[:-1] + "9", True) for p in rng.sample(pool, 30)]
    # When one city gets them read by read and its mirror in one batch
    reads_done, alerts = compare(messages, watched)
    # Then (compare() checked they match) the input did exercise every rule
    kinds = [a[0] for a in alerts]
    assert len(reads_done) < 5000 and kinds.count("watchlist") > 30 and kinds.count("clone_suspect") > 30
    assert {a[4] for a in alerts if a[0] == "watchlist"} & {p for p, fuzzy in watched if fuzzy}
    # And the observers got each stored read once: the webhook path one by one, the batch in one call
    by_path = [len(call) for call in observed]
    assert by_path.count(1) == len(reads_done) and sum(by_path) == 2 * len(reads_done)


PLATES = ["ABC1D23", "ABC1D28", "0BC1D23", "XYZ9A87", "XYZ9A81"]
reads_strategy = st.tuples(
    st.integers(0, 3),  # camera
    st.sampled_from([f"e{i}" for i in range(12)]),  # event ids repeat: resent reads
    st.sampled_from(PLATES),
    st.integers(0, 9000),  # seconds ago: some pairs inside the 2 h clone window, some out
    st.floats(0, 1, allow_nan=False).map(lambda x: round(x, 2)),
    st.sampled_from([None, "Black", "azul", "Unknown"]),
)


@pytest.mark.slow
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    messages=st.lists(st.lists(reads_strategy, min_size=1, max_size=12), min_size=1, max_size=4),
    watched=st.lists(st.tuples(st.sampled_from(PLATES), st.booleans()), max_size=3, unique_by=lambda t: t[0]),
)
def test_any_input_stores_and_alerts_as_the_plain_path(
    stack: dict[str, str], messages: list[list[Read]], watched: list[tuple[str, bool]]
) -> None:
    compare(messages, watched)


# ---------------------------------------------------------------- hostile messages fail alone
def _read(camera: str, event_id: str, **extra: object) -> dict[str, object]:
    read: dict[str, object] = {"camera_id": camera, "event_id": event_id, "plate": "ABC1D23", "confidence": 0.9}
    return {**read, "captured_at": datetime.now(UTC).isoformat(), **extra}


@pytest.mark.parametrize(
    "hostile",
    [
        {"event_id": "ev\u0000nul"},
        {"direction": "in\u0000"},
        {"vehicle": {"color": "White\u0000", "type": "Car"}},
        {"vehicle": {"make": "Fiat", "model": "Uno\u0000"}},
    ],
    ids=["nul-event-id", "nul-direction", "nul-vehicle-color", "nul-vehicle-model"],
)
def test_a_read_postgresql_cannot_hold_fails_its_message_alone(
    stack: dict[str, str], hostile: dict[str, object]
) -> None:
    c = city()
    cam = c.cameras[0]
    good = [json.dumps({"reads": [_read(cam, f"ok-{i}-{uuid.uuid4().hex[:6]}")]}) for i in range(2)]
    bad = json.dumps({"reads": [_read(cam, "fine-one"), {**_read(cam, "x"), **hostile}]})
    result = batch.ingest_batch([good[0], bad, good[1]])
    assert set(result.failed) == {1}
    assert result.inserted == 2
    with db.transaction() as conn:
        events = {r["event_id"] for r in conn.execute("SELECT event_id FROM plate_reads WHERE city_id = %s", (c.id,))}
    assert events == {json.loads(g)["reads"][0]["event_id"] for g in good}


def test_a_lone_surrogate_fails_its_message_alone(stack: dict[str, str]) -> None:
    c = city()
    cam = c.cameras[0]
    good = json.dumps({"reads": [_read(cam, "ok-surrogate")]})
    bad = json.dumps({"reads": [_read(cam, "fine")]})[:-2] + ', "direction": "\\ud800"}]}'
    result = batch.ingest_batch([bad, good])
    assert set(result.failed) == {0}
    assert result.inserted == 1
