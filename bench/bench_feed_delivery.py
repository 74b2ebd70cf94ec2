"""Sharing with public-security programs: what the outbound feed costs LPR ingest, how fast it delivers, and a
200k-plate hotlist replace.

1. Batch ingest (`lpr.batch.ingest_batch`, LprIngestFunction's path: 100 messages x 10 reads) of a city with
   3 active agreements sharing its reads (deliveries written in the ingest transaction, announced on the feed
   queue) against a city with none, in alternating rounds of the same run. Goal: >= 80 % of the no-feed rate.
2. Delivery latency: reads ingested one batch at a time at a steady pace; the local runtime's SQS poller runs
   FeedDeliveryFunction against a real HTTP receiver; per read, receipt time minus the end of its ingest.
   Contract: p95 <= 5 s.
3. `replace` of a partner's 200,000-plate hotlist (COPY + merge in one transaction). Goal: <= 30 s.

Run: .venv/bin/python bench/bench_feed_delivery.py   (BENCH_QUICK=1: fewer rounds and reads)
"""

from __future__ import annotations

import json
import logging
import os
import random
import string
import sys
import tempfile
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
from resultfile import quick, record  # noqa: E402

from gtvision_local.ports import free_port  # noqa: E402

CAMERAS = 20


def plate(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=3))
    return f"{letters}{rng.randint(0, 9)}{rng.choice(string.ascii_uppercase)}{rng.randint(10, 99)}"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Receiver:
    """A partner's receiver: the time each read id arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers.get("content-length") or 0)))
                now = time.monotonic()
                for read in body.get("reads", []):
                    receiver.arrived.setdefault(read["plate"], now)
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/feed"


def setup_city(db: Any, name: str) -> tuple[str, list[str]]:
    city, cams = str(uuid.uuid4()), [str(uuid.uuid4()) for _ in range(CAMERAS)]
    with db.transaction() as conn:
        conn.execute("INSERT INTO cities (id, name, state, retention_days) VALUES (%s, %s, 'SP', 30)", (city, name))
        for i, cam in enumerate(cams):
            conn.execute(
                "INSERT INTO cameras (id, city_id, name, source_url, lat, lon, lpr_enabled)"
                " VALUES (%s, %s, %s, 'rtsp://10.0.0.1/s', -23.5, -46.6, true)",
                (cam, city, f"cam {i}"),
            )
    return city, cams


def agreement(city: str, url: str) -> str:
    from gtvision.core.principal import Principal
    from gtvision.sharing import agreements
    from gtvision.sharing.api_schemas import AgreementIn

    now = datetime.now(UTC)
    admin = Principal(user_id=str(uuid.uuid4()), username="bench", role="admin", city_id=None)
    data = AgreementIn.model_validate(
        {
            "city_id": city,
            "partner_name": "Bench",
            "partner_kind": "programa_estadual",
            "purpose": "bench",
            "legal_basis": "bench",
            "valid_from": (now - timedelta(days=1)).isoformat(),
            "valid_until": (now + timedelta(days=30)).isoformat(),
            "scope": {"lpr_reads": True, "alerts": True},
            "feed_url": url,
        }
    )
    return agreements.create(admin, data).id


def messages(cams: list[str], rng: random.Random, n_messages: int, per_message: int) -> list[str]:
    now = datetime.now(UTC)
    return [
        json.dumps(
            [
                {
                    "camera_id": rng.choice(cams),
                    "event_id": uuid.uuid4().hex,
                    "plate": plate(rng),
                    "confidence": 0.9,
                    "captured_at": (now - timedelta(seconds=rng.randrange(600))).isoformat(),
                }
                for _ in range(per_message)
            ]
        )
        for _ in range(n_messages)
    ]


def main() -> None:
    rng = random.Random(20261207)
    rounds = 3 if quick() else 10
    latency_reads = 150 if quick() else 600
    hotlist_size = 200_000
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")
    os.environ.update(
        {
            "GTV_LOCAL": "1",
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_REGION": "us-east-1",
            "AWS_DEFAULT_REGION": "us-east-1",
            "GTV_DATA_KEY": "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=",
        }
    )

    import pgserver
    from moto.server import ThreadedMotoServer

    tmp = tempfile.mkdtemp(prefix="gtv-bench-feed-")
    srv = pgserver.get_server(tmp, cleanup_mode="delete")
    os.environ["DATABASE_URL"] = srv.get_uri()
    port = free_port()
    moto = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    moto.start()
    endpoint = f"http://127.0.0.1:{port}"
    os.environ["AWS_ENDPOINT_URL"] = endpoint
    from gtvision_local import resources, template

    tpl = template.load_template(REPO / "template.yaml", endpoint_url=endpoint)
    resources.create_resources(tpl, endpoint)
    for key, value in tpl.globals_env().items():
        if key.endswith(("_URL", "_ARN", "_BUCKET")) and key != "DATABASE_URL" and value:
            os.environ[key] = str(value)
    from gtvision.alerts import store as alerts_dal
    from gtvision.core import aws, db, migrations
    from gtvision.core.settings import get_settings
    from gtvision.lpr import batch as lpr_batch
    from gtvision_local.runtime import Runtime

    alerts_dal.publish_alerts = lambda messages: {}  # SNS is not what is measured here
    get_settings.cache_clear()
    aws.reset()
    migrations.apply(os.environ["DATABASE_URL"])
    try:
        receiver = Receiver()
        plain, plain_cams = setup_city(db, "Sem convênios")
        shared, shared_cams = setup_city(db, "Três convênios")
        for _ in range(3):
            agreement(shared, receiver.url)
        # 1. ingest with and without feeds, alternating rounds (warm-up round first, not counted)
        lpr_batch.ingest_batch(messages(plain_cams, rng, 100, 10))
        lpr_batch.ingest_batch(messages(shared_cams, rng, 100, 10))
        times = {"none": 0.0, "feeds": 0.0}
        counts = {"none": 0, "feeds": 0}
        for _ in range(rounds):
            for label, cams in (("none", plain_cams), ("feeds", shared_cams)):
                batch = messages(cams, rng, 100, 10)
                t0 = time.perf_counter()
                res = lpr_batch.ingest_batch(batch)
                times[label] += time.perf_counter() - t0
                assert not res.failed, res.failed
                counts[label] += res.inserted
        rate = {k: counts[k] / times[k] for k in times}
        ratio = rate["feeds"] / rate["none"]
        with db.transaction() as conn:
            queued = conn.execute("SELECT count(*) AS n FROM feed_deliveries").fetchone()["n"]
        aws.client("sqs").purge_queue(QueueUrl=get_settings().feed_queue_url)

        # 2. delivery latency through the local runtime (FeedDeliveryFunction's SQS poller), 1 agreement
        latency_city, latency_cams = setup_city(db, "Latência")
        agreement(latency_city, receiver.url)
        runtime = Runtime(tpl)
        (poller,) = [p for p in runtime.pollers if p.function.logical_id == "FeedDeliveryFunction"]
        stop = threading.Event()
        thread = threading.Thread(target=poller.run, args=(stop,), daemon=True)
        thread.start()
        done: dict[str, float] = {}
        per_batch = 5
        for _ in range(latency_reads // per_batch):
            reads = [plate(rng) for _ in range(per_batch)]
            now = datetime.now(UTC).isoformat()
            body = json.dumps(
                [
                    {
                        "camera_id": rng.choice(latency_cams),
                        "event_id": uuid.uuid4().hex,
                        "plate": p,
                        "confidence": 0.9,
                        "captured_at": now,
                    }
                    for p in reads
                ]
            )
            lpr_batch.ingest_batch([body])
            t = time.monotonic()
            for p in reads:
                done[p] = t
            time.sleep(0.1)  # pacing: ~50 reads/s arriving, as cameras send them
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not set(done) <= set(receiver.arrived):
            time.sleep(0.2)
        stop.set()
        thread.join(10)
        lat = [receiver.arrived[p] - done[p] for p in done if p in receiver.arrived]
        lost = len(done) - len(lat)

        # 3. a 200k-plate replace (twice: the second replaces every entry)
        from gtvision.sharing import hotlist
        from gtvision.sharing.store import agreements as agreements_store

        with db.transaction() as conn:
            row = agreements_store.get(conn, agreement(shared, receiver.url))
        assert row is not None
        replace_s = []
        for prefix in ("Q", "W"):
            csv = "".join(
                f"{prefix}{string.ascii_uppercase[(i // 10_000) % 26]}{string.ascii_uppercase[(i // 260_000) % 26]}"
                f"{i % 10_000:04d};roubo;BO {i}/2026;\n"
                for i in range(hotlist_size)
            ).encode()
            t0 = time.perf_counter()
            result = hotlist.push(row, csv, "text/csv", "replace", "bench")
            replace_s.append(time.perf_counter() - t0)
            assert result.applied and result.accepted == hotlist_size, result

        print(
            f"3 active agreements vs none, {rounds} alternating rounds of 100 messages x 10 reads;"
            f" {queued:,} deliveries written."
        )
        print()
        print("| LPR batch ingest (ingest_batch) | reads | reads/s |")
        print("|---|---:|---:|")
        print(f"| no agreement (baseline) | {counts['none']:,} | {rate['none']:,.0f} |")
        print(f"| 3 active agreements (deliveries written + announced) | {counts['feeds']:,} | {rate['feeds']:,.0f} |")
        print(f"| ratio (goal >= 80 %) | | {ratio * 100:.1f} % |")
        print()
        print(f"| feed delivery (ingest done -> receiver), {len(lat)} reads, {lost} missing | seconds |")
        print("|---|---:|")
        print(
            f"| p50 | {pct(lat, 0.5):.2f} |\n| p95 (contract <= 5 s) | {pct(lat, 0.95):.2f} |\n| max | {max(lat):.2f} |"
        )
        print()
        print(f"| hotlist replace of {hotlist_size:,} plates (one transaction) | seconds |")
        print("|---|---:|")
        print(f"| first list | {replace_s[0]:.1f} |\n| replaced by another list (goal <= 30 s) | {replace_s[1]:.1f} |")
        record(
            "sharing",
            {
                "lpr_ingest_with_3_feeds_per_s": round(rate["feeds"]),
                "feed_delivery_p95_s": round(pct(lat, 0.95), 3),
                "hotlist_replace_200k_s": round(replace_s[1], 2),
            },
            {
                "lpr_ingest_with_3_feeds_per_s": {
                    "name": "the same ingest without agreements, reads/s",
                    "value": round(rate["none"]),
                    "ratio": round(ratio, 3),
                },
                "feed_delivery_p95_s": {"name": "contract target p95 (s)", "value": 5.0},
                "hotlist_replace_200k_s": {"name": "goal (s)", "value": 30.0},
            },
            {"rounds": rounds, "latency_reads": len(done), "missing": lost, "deliveries_written": queued},
        )
    finally:
        db.close_all()
        moto.stop()
        srv.cleanup()


if __name__ == "__main__":
    main()
