"""Live events fan-out: one event to N local WebSocket connections, time to the last delivery.

A scratch embedded PostgreSQL with the real migrations. Three processes, as in AWS where the notifier (a
Lambda), API Gateway and the operators' browsers do not share a CPU: the "gateway" process serves the local
WebSocket API of `template.yaml` (`gtvision_local.websocket`, the same that `make run` serves); the "browsers"
process holds N clients connected through the real $connect function (token verified, row stored) and
subscribed to alerts; this process is the notifier and calls `live.fan_out` for one alert event: subscriber
lookup, then PostToConnection to the gateway's management endpoint, which writes the WebSocket frame. Timed
from the call to the frame read by the last client, on CLOCK_MONOTONIC (one clock for every process).

Compared in the same run with the previous notifier (the same lookup, then boto3's `post_to_connection` from
16 threads, and one at a time: the baseline) and with the gateway's own send loop without HTTP (the floor: one
coroutine on the gateway's event loop writes every frame, as the management endpoint's posts do).

Run: .venv/bin/python bench/bench_live_fanout.py [--connections 1000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
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
        got: list[float] = []
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


async def _send_all(gateway: Any, frame: bytes) -> float:
    """Every connection's frame from one coroutine on the gateway's loop; when it started."""
    started = time.monotonic()
    for connection_id in list(gateway.clients):
        await gateway.send(connection_id, frame)
    return started


def gateway_process(pipe: Connection, env: dict[str, str]) -> None:
    """The API Gateway stand-in (the local WebSocket API and its management endpoint), answering over `pipe`."""
    os.environ.update(env)
    sys.stdout = sys.stderr
    sys.path.insert(0, str(REPO / "local"))
    from gtvision_local.runtime import Runtime
    from gtvision_local.template import load_template
    from gtvision_local.websocket import start_gateways

    runtime = Runtime(load_template(REPO / "template.yaml"), api_port=0)
    (gateway,) = start_gateways(runtime, runtime.template)
    try:
        while True:
            command, *args = pipe.recv()
            if command == "hello":
                pipe.send((gateway.url, gateway.management_url))
            elif command == "floor":  # every frame sent by one coroutine on the gateway's loop, no HTTP: the floor
                frame = json.dumps({"type": "alert", "data": {"seq": int(args[0]), "kind": "watchlist"}}).encode()
                sent = asyncio.run_coroutine_threadsafe(_send_all(gateway, frame), gateway._loop)
                pipe.send(sent.result(120))
            else:
                break
    finally:
        gateway.stop()


def clients_process(pipe: Connection, env: dict[str, str]) -> None:
    """The N browsers: connect, subscribe, and say when each event reached each of them."""
    os.environ.update(env)
    sys.stdout = sys.stderr
    clients: Clients | None = None
    try:
        while True:
            command, *args = pipe.recv()
            if command == "connect":
                clients = Clients(str(args[0]), int(args[2]))
                pipe.send(clients.connect_all(str(args[1])))
            elif command == "wait":
                assert clients is not None
                pipe.send(clients.wait(int(args[0])))
            else:
                break
    finally:
        if clients is not None:
            clients.close()


class Child:
    """A process of the bench, asked over a pipe (never waited on forever: it may have died)."""

    def __init__(self, target: Callable[[Connection, dict[str, str]], None], env: dict[str, str]) -> None:
        context = multiprocessing.get_context("spawn")
        self.pipe, theirs = context.Pipe()
        self.process = context.Process(target=target, args=(theirs, env), daemon=True)
        self.process.start()

    def ask(self, *command: object) -> Any:
        self.pipe.send(command)
        while not self.pipe.poll(1.0):
            if not self.process.is_alive():
                raise RuntimeError(f"a bench process ended (exit code {self.process.exitcode})")
        return self.pipe.recv()

    def stop(self) -> None:
        if self.process.is_alive():
            self.pipe.send(("stop",))
        self.process.join(60)


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
    env = {
        "DATABASE_URL": url,
        "GTV_JWT_SECRET": os.environ.get("GTV_JWT_SECRET") or uuid.uuid4().hex * 2,
        "GTV_WS_PORT": "0",
        "GTV_WS_MANAGEMENT_PORT": "0",
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_REGION": "us-east-1",
        "POWERTOOLS_METRICS_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    sys.path.insert(0, str(REPO / "local"))
    from gtvision.core import db, migrations
    from gtvision.core.settings import get_settings

    migrations.apply(url)
    # The other processes start before this one opens any connection or thread.
    gateway, browsers = Child(gateway_process, env), Child(clients_process, env)
    ws_url, management_url = gateway.ask("hello")
    os.environ["GTV_WS_MANAGEMENT_URL"] = management_url
    get_settings.cache_clear()

    from gtvision.live import service as live
    from gtvision.live import store as live_store
    from gtvision.live import transport
    from gtvision.live.schemas import LiveEvent
    from gtvision.tenancy import auth
    from gtvision.tenancy.store import users as users_dal

    try:
        with db.transaction() as conn:
            row = conn.execute(
                "INSERT INTO cities (name, state, retention_days) VALUES ('Bench', 'SP', 7) RETURNING id"
            ).fetchone()
            assert row is not None
            city = str(row["id"])
            user = users_dal.insert(conn, "bench-manager", "not-a-login", "manager", city, 90)
        token, _ = auth.issue_token(str(user.id), "bench-manager", "manager", city)
        connect_s = browsers.ask("connect", ws_url, token, args.connections)

        seq = 0

        def event() -> LiveEvent:
            nonlocal seq
            seq += 1
            return LiveEvent(type="alert", city_id=city, camera_id=None, data={"seq": seq, "kind": "watchlist"})

        def notifier() -> tuple[float, int]:
            ev = event()
            started = time.monotonic()
            live.fan_out(ev)
            return started, int(str(ev.data["seq"]))

        def boto3_posts(posters: int) -> Callable[[], tuple[float, int]]:
            """The previous fan-out: the same lookup, then boto3's post_to_connection from `posters` threads."""

            def run() -> tuple[float, int]:
                ev = event()
                started = time.monotonic()
                with db.transaction() as conn:
                    targets = [s.connection_id for s in live_store.audience(conn, ev.city_id)]
                data = live.payload_for(ev, "manager")
                with ThreadPoolExecutor(max_workers=posters) as pool:
                    list(pool.map(lambda cid: live_store.post_to_connection(cid, data), targets))
                return started, int(str(ev.data["seq"]))

            return run

        variants: list[tuple[str, Callable[[], tuple[float, int]]]] = [
            (f"notifier: lookup + {transport.POSTERS} kept-alive signed posts at once", notifier),
            ("previous notifier: lookup + 16 concurrent boto3 post_to_connection", boto3_posts(16)),
            ("previous notifier: lookup + 1 boto3 post_to_connection at a time (baseline)", boto3_posts(1)),
        ]
        rows = []
        for label, run in variants:
            lasts, firsts = [], []
            for _ in range(args.runs):
                started, number = run()
                got = browsers.ask("wait", number)
                firsts.append(min(got) - started)
                lasts.append(max(got) - started)
            rows.append((label, statistics.median(firsts), statistics.median(lasts), len(got)))
        lasts, firsts = [], []
        for _ in range(args.runs):
            seq_floor = int(str(event().data["seq"]))
            started = gateway.ask("floor", seq_floor)
            got = browsers.ask("wait", seq_floor)
            firsts.append(min(got) - started)
            lasts.append(max(got) - started)
        floor = statistics.median(lasts)
        label = "gateway send loop on its event loop, no HTTP (transport floor)"
        rows.append((label, statistics.median(firsts), floor, len(got)))
    finally:
        browsers.stop()
        gateway.stop()
        db.close_all()
        srv.cleanup()

    sys.stdout = table
    notifier_ms, sequential_ms, floor_ms = rows[0][2] * 1000, rows[2][2] * 1000, rows[3][2] * 1000
    record(
        "live_fanout",
        {"live_fanout_last_delivery_ms": round(notifier_ms, 1)},
        {
            "live_fanout_last_delivery_ms": {
                "name": "previous fan-out posting one connection at a time (boto3)",
                "value": round(sequential_ms, 1),
                "previous_16_threads_ms": round(rows[1][2] * 1000, 1),
                "transport_floor_ms": round(floor_ms, 1),
            }
        },
        {"connections": args.connections, "runs": args.runs, "ws_url": ws_url},
    )
    print(
        f"Connections: {args.connections} local WebSocket clients subscribed to alerts of one city "
        f"(connected through $connect in {connect_s:.1f} s); notifier, gateway and clients in separate processes; "
        f"median of {args.runs} events per row."
    )
    print()
    print("| fan-out of one event | first delivery (ms) | last delivery (ms) | x fastest | delivered |")
    print("|---|---:|---:|---:|---:|")
    best = min(r[2] for r in rows)
    for label, first, last, delivered in rows:
        print(f"| {label} | {first * 1000:.0f} | {last * 1000:.0f} | {last / best:.1f} | {delivered} |")


if __name__ == "__main__":
    main()
