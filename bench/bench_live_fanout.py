"""Live events fan-out: one event to N local WebSocket connections, time to the last delivery.

A scratch embedded PostgreSQL with the real migrations; the local WebSocket gateway of `template.yaml`
(`gtvision_local.websocket`, the same that `make run` serves) with N clients connected through the real
$connect function (token verified, row stored) and subscribed to alerts. Each run calls the notifier's
`live.fan_out` for one alert event: subscriber lookup, then `post_to_connection` through boto3's
`apigatewaymanagementapi` client to the local management endpoint, which writes the WebSocket frame.
Timed from the call to the frame read by the last client (all clients in this process, one clock).

Compared in the same run with: the notifier posting one connection at a time (1 poster), and the
gateway's own send loop without boto3/HTTP (the transport floor).

Run: .venv/bin/python bench/bench_live_fanout.py [--connections 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from resultfile import record

REPO = Path(__file__).resolve().parents[1]


class Clients:
    """N websockets clients on their own event loop; `arrivals[seq]` = receipt times of event `seq`."""

    def __init__(self, url: str, n: int) -> None:
        self.url, self.n = url, n
        self.arrivals: dict[int, list[float]] = {}
        self.loop = asyncio.new_event_loop()
        self._lock = threading.Lock()
        threading.Thread(target=self.loop.run_forever, daemon=True).start()
        self.sockets: list[Any] = []

    def connect_all(self, token: str) -> float:
        started = time.monotonic()
        asyncio.run_coroutine_threadsafe(self._connect_all(token), self.loop).result(600)
        return time.monotonic() - started

    async def _connect_all(self, token: str) -> None:
        from websockets.asyncio.client import connect

        sem = asyncio.Semaphore(16)

        async def one() -> None:
            async with sem:
                ws = await connect(f"{self.url}/?token={token}", open_timeout=60, max_queue=None)
                await ws.send(json.dumps({"action": "subscribe", "topics": ["alerts"]}))
                reply = json.loads(await ws.recv())
                assert reply["type"] == "subscribed", reply
                self.sockets.append(ws)
                asyncio.get_running_loop().create_task(self._read(ws))

        await asyncio.gather(*(one() for _ in range(self.n)))

    async def _read(self, ws: Any) -> None:
        async for frame in ws:
            now = time.monotonic()
            seq = json.loads(frame)["data"]["seq"]
            with self._lock:
                self.arrivals.setdefault(seq, []).append(now)

    def wait(self, seq: int, timeout: float = 120) -> list[float]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._lock:
                got = list(self.arrivals.get(seq, []))
            if len(got) >= self.n:
                return got
            time.sleep(0.002)
        raise TimeoutError(f"event {seq}: {len(got)} of {self.n} delivered")

    def close(self) -> None:
        async def close_all() -> None:
            await asyncio.gather(*(ws.close() for ws in self.sockets), return_exceptions=True)

        asyncio.run_coroutine_threadsafe(close_all(), self.loop).result(120)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--connections", type=int, default=1000)  # the issue's figure, also under BENCH_QUICK
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()

    # The functions' log lines and EMF blobs go to stdout; only the result table belongs there.
    table, sys.stdout = sys.stdout, sys.stderr
    import pgserver

    tmp = tempfile.mkdtemp(prefix="gtv-bench-live-")
    srv = pgserver.get_server(tmp, cleanup_mode="delete")
    url = srv.get_uri()
    os.environ.update(
        DATABASE_URL=url,
        GTV_JWT_SECRET=os.environ.get("GTV_JWT_SECRET") or uuid.uuid4().hex * 2,
        GTV_WS_PORT="0",
        GTV_WS_MANAGEMENT_PORT="0",
        AWS_ACCESS_KEY_ID="test",
        AWS_SECRET_ACCESS_KEY="test",
        POWERTOOLS_METRICS_DISABLED="true",
        POWERTOOLS_LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(REPO / "local"))
    from gtvision.core import db, migrations
    from gtvision.core.settings import get_settings
    from gtvision.tenancy import auth

    get_settings.cache_clear()
    migrations.apply(url)
    from gtvision.live import service as live
    from gtvision.tenancy.store import users as users_dal
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template
    from gtvision_local.websocket import start_gateways

    runtime = Runtime(load_template(REPO / "template.yaml"), api_port=0)
    (gateway,) = start_gateways(runtime, runtime.template)
    clients = Clients(gateway.url, args.connections)
    try:
        with db.transaction() as conn:
            city = str(
                conn.execute(
                    "INSERT INTO cities (name, state, retention_days) VALUES ('Bench', 'SP', 7) RETURNING id"
                ).fetchone()["id"]
            )  # type: ignore[index]
            user = users_dal.insert(conn, "bench-manager", "not-a-login", "manager", city)
        token, _ = auth.issue_token(str(user["id"]), "bench-manager", "manager", city)
        connect_s = clients.connect_all(token)

        seq = 0

        def event() -> dict[str, Any]:
            nonlocal seq
            seq += 1
            return {"type": "alert", "city_id": str(city), "camera_id": None, "data": {"seq": seq, "kind": "watchlist"}}

        def notifier(posters: int) -> Callable[[], int]:
            def run() -> int:
                live._POSTERS = posters
                ev = event()
                live.fan_out(ev)
                return int(ev["data"]["seq"])

            return run

        def floor() -> int:
            ev = event()
            data = json.dumps({"type": ev["type"], "data": ev["data"]}).encode()
            for connection_id in list(gateway.clients):
                gateway.post(connection_id, data)
            return int(ev["data"]["seq"])

        variants = [
            ("notifier: lookup + 16 concurrent post_to_connection (boto3 → management endpoint → frame)", notifier(16)),
            ("notifier: lookup + 4 concurrent post_to_connection", notifier(4)),
            ("notifier: lookup + 1 post_to_connection at a time (baseline)", notifier(1)),
            ("gateway send loop, no boto3/HTTP (transport floor)", floor),
        ]
        rows = []
        for label, run in variants:
            lasts, firsts = [], []
            for _ in range(args.runs):
                started = time.monotonic()
                number = run()
                got = clients.wait(number)
                firsts.append(min(got) - started)
                lasts.append(max(got) - started)
            rows.append((label, statistics.median(firsts), statistics.median(lasts), len(got)))
    finally:
        clients.close()
        gateway.stop()
        db.close_all()
        srv.cleanup()

    sys.stdout = table
    notifier_ms, sequential_ms, floor_ms = rows[0][2] * 1000, rows[2][2] * 1000, rows[3][2] * 1000
    record(
        "live_fanout",
        {"live_fanout_last_delivery_ms": round(notifier_ms, 1)},
        {"live_fanout_last_delivery_ms": {
            "name": "same fan-out posting one connection at a time", "value": round(sequential_ms, 1),
            "transport_floor_ms": round(floor_ms, 1)}},
        {"connections": args.connections, "runs": args.runs},
    )  # fmt: skip
    print(f"Connections: {args.connections} local WebSocket clients subscribed to alerts of one city "
          f"(connected through $connect in {connect_s:.1f} s); median of {args.runs} events per row.")  # fmt: skip
    print()
    print("| fan-out of one event | first delivery (ms) | last delivery (ms) | x fastest | delivered |")
    print("|---|---:|---:|---:|---:|")
    best = min(r[2] for r in rows)
    for label, first, last, delivered in rows:
        print(f"| {label} | {first * 1000:.0f} | {last * 1000:.0f} | {last / best:.1f} | {delivered} |")


if __name__ == "__main__":
    main()
