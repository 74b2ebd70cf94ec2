"""LPR ingest at 10 M reads: LprIngestFunction's handler fed SQS batches of 10-read and of 500-read messages
(what `POST /v1/lpr/batch` enqueues), with a 1,000-entry watchlist (half fuzzy) and the clone rule on.

The table: 10 M reads over 2.4 M plates, 200 cameras, one city, every index of the migrations — built once
(COPY, then indexes) into a kept PostgreSQL data directory (`$GTV_BENCH_DIR`, default `.local/bench`) and reused
by later runs; the build time is printed. BENCH_QUICK=1 uses a 200,000-read table (said in the output). Each run
starts from the table as built (earlier runs' reads and alerts deleted, then VACUUM and CHECKPOINT), on a server
with RDS's defaults for an 8 GiB instance changed as GT-Vision's parameter group changes them
(infra/database/parameter-group.yaml: checkpoints every 16 GB of WAL or 15 minutes, ADR 0031); the same run is
then repeated on RDS's default parameter group as the baseline (`RDS_DEFAULTS`).

Each size is measured with `--workers` processes (Lambda runs up to MaximumConcurrency=5 invocations of the
function at once) calling the real handler module, as Lambda imports it, on prebuilt SQS events, each worker
taking the next batch when it is free (as SQS hands batches to pollers). Figures:
reads stored per wall-clock second, and CPU per read (the workers' own CPU plus every PostgreSQL process's,
from /proc), because the machine is shared: `2 cores / CPU per read` is what two free cores sustain.

Run: .venv/bin/python bench/bench_lpr_ingest.py [--reads 10000000] [--workers 2] [--total 100000]
     .venv/bin/python bench/bench_lpr_ingest.py --profile   (cProfile of one batch of each size, then EXPLAIN)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import multiprocessing as mp
import os
import pstats
import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
from resultfile import quick, record

ROOT = Path(__file__).resolve().parents[1]
SIZES = (("10-read messages", 100, 10), ("500-read messages (POST /v1/lpr/batch)", 20, 500))
TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Table:
    url: str
    city: str
    cameras: list[str]
    build_s: float | None


#: The database server's settings, baseline: RDS's default parameter group for an 8 GiB instance (db.m6g.large:
#: shared_buffers a quarter of memory, wal_buffers what PostgreSQL derives from it, max_wal_size 2 GB, a checkpoint
#: every 5 minutes) rather than PostgreSQL's defaults for a small machine (128 MB of buffers for a table of
#: gigabytes). Applied with ALTER SYSTEM and a restart.
RDS_DEFAULTS = {"shared_buffers": "2GB", "wal_buffers": "16MB", "max_wal_size": "2GB", "checkpoint_timeout": "5min"}
PARAMETER_GROUP = ROOT / "infra" / "database" / "parameter-group.yaml"
#: RDS's unit of each parameter the parameter group sets, and how PostgreSQL's SHOW writes it back.
_RDS_UNITS = {"max_wal_size": ("MB", 1024, "GB"), "checkpoint_timeout": ("s", 60, "min")}


def deployed_settings() -> dict[str, str]:
    """RDS's defaults with what GT-Vision's parameter group (infra/database/parameter-group.yaml) changes: the
    server the bench measures is the one a deployment runs (ADR 0031)."""
    from gtvision_local.template import load_yaml

    doc = load_yaml(PARAMETER_GROUP.read_text(encoding="utf-8"))
    params = doc["Resources"]["DatabaseParameterGroup"]["Properties"]["Parameters"]
    out = dict(RDS_DEFAULTS)
    for name, value in params.items():
        unit, per, big = _RDS_UNITS[name]  # a parameter the bench cannot apply fails here, not silently
        n = int(value)
        out[name] = f"{n // per}{big}" if n % per == 0 else f"{n}{unit}"
    return out


#: The loaded table's reads end here (`bench_lpr_search.load`: 30 days from 1 October 2026); later ones were
#: ingested by earlier runs.
LOADED_UNTIL = datetime(2026, 11, 1, tzinfo=UTC)


def _server(directory: Path, settings: dict[str, str], srv: Any = None) -> Any:
    """The kept server in `directory`, running with `settings` (restarted when one differs)."""
    import pgserver

    directory.mkdir(parents=True, exist_ok=True)
    srv = srv or pgserver.get_server(str(directory), cleanup_mode="stop")
    with psycopg.connect(srv.get_uri(), autocommit=True) as conn:
        stale = [k for k, v in settings.items() if conn.execute(f"SHOW {k}").fetchone() != (v,)]
        for k in stale:
            conn.execute(f"ALTER SYSTEM SET {k} = '{settings[k]}'")
    if stale:
        from gtvision.core import db

        db.close_all()
        srv.cleanup()
        srv = pgserver.get_server(str(directory), cleanup_mode="stop")
        with psycopg.connect(srv.get_uri(), autocommit=True) as conn:
            now = {k: conn.execute(f"SHOW {k}").fetchone()[0] for k in settings}  # type: ignore[index]
        assert now == settings, f"the server did not take the settings: {now} != {settings}"
    return srv


def _reset(url: str, city: str) -> None:
    """Back to the table as built: earlier runs' reads and alerts are deleted (each run ingests reads of the last
    hour: left there, they would give the next run more clone pairs and alerts than the one before)."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM alerts WHERE city_id = %s", (city,))
        gone = conn.execute(
            "DELETE FROM plate_reads WHERE city_id = %s AND captured_at >= %s", (city, LOADED_UNTIL)
        ).rowcount
        if gone:
            conn.execute("VACUUM (ANALYZE) plate_reads")
            conn.execute("CHECKPOINT")


def _data_dir(n_reads: int) -> Path:
    return Path(os.environ.get("GTV_BENCH_DIR") or ROOT / ".local" / "bench") / f"lpr-ingest-{n_reads}"


def table(n_reads: int, rng: random.Random) -> tuple[Any, Table]:
    """The scratch database with `n_reads` reads, built on first use (and kept)."""
    sys.path.insert(0, str(ROOT / "bench"))
    from bench_lpr_search import load

    srv = _server(_data_dir(n_reads), deployed_settings())
    url = srv.get_uri()
    os.environ["DATABASE_URL"] = url
    from gtvision.core import migrations
    from gtvision.core.settings import get_settings

    get_settings.cache_clear()
    with psycopg.connect(url, autocommit=True) as conn:
        done = conn.execute("SELECT to_regclass('bench_lpr_ingest') IS NOT NULL").fetchone()[0]  # type: ignore[index]
    if done:
        migrations.apply(url)  # migrations added since the table was built
        with psycopg.connect(url, autocommit=True) as conn:
            city = str(conn.execute("SELECT city FROM bench_lpr_ingest").fetchone()[0])  # type: ignore[index]
            cams = [str(r[0]) for r in conn.execute("SELECT id FROM cameras WHERE city_id = %s", (city,)).fetchall()]
        _reset(url, city)
        return srv, Table(url, city, cams, None)
    t0 = time.perf_counter()
    migrations.apply(url)
    city, cams, _, _ = load(url, n_reads, rng)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP INDEX IF EXISTS plate_reads_trgm")  # the search bench's baseline, not ours
        conn.execute("CREATE TABLE bench_lpr_ingest (city uuid, reads bigint, built_s real)")
        build_s = time.perf_counter() - t0
        conn.execute("INSERT INTO bench_lpr_ingest VALUES (%s, %s, %s)", (city, n_reads, build_s))
    return srv, Table(url, city, cams, build_s)


def watchlist(url: str, city: str, rng: random.Random) -> list[str]:
    """1,000 watched plates (half fuzzy), taken from the table, once; returns plates reads will repeat."""
    from gtvision.lpr import plates

    with psycopg.connect(url, autocommit=True) as conn:
        seen = [r[0] for r in conn.execute("SELECT plate FROM plate_reads TABLESAMPLE SYSTEM (0.5) LIMIT 20000")]
        watched = conn.execute("SELECT count(*) FROM watchlist WHERE city_id = %s", (city,)).fetchone()
        if watched is not None and watched[0] < 1000:
            for p in rng.sample(seen, 1000):
                fuzzy = rng.random() < 0.5
                row = conn.execute(
                    "INSERT INTO watchlist (city_id, plate, reason, fuzzy) VALUES (%s, %s, 'bench', %s)"
                    " ON CONFLICT DO NOTHING RETURNING id",
                    (city, p, fuzzy),
                ).fetchone()
                if row and fuzzy:
                    conn.execute(
                        "INSERT INTO watchlist_keys (city_id, key, watchlist_id)"
                        " SELECT %s, k, %s FROM unnest(%s::text[]) k",
                        (city, row[0], plates.fuzzy_keys(p)),
                    )
    return seen


def random_plate(rng: random.Random) -> str:
    letters = "".join(rng.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ", k=3))
    return f"{letters}{rng.randrange(10)}{rng.choice('ABCDEFGHIJ0123456789')}{rng.randrange(100):02d}"


def events(
    cams: list[str],
    seen: list[str],
    per_message: int,
    messages: int,
    batches: int,
    rng: random.Random,
    hour: int = 0,
) -> list[dict[str, Any]]:
    """SQS events of `messages` messages × `per_message` reads: 20 % plates already in the table, all within one
    hour (so the clone rule finds real pairs), with the vehicle words cameras send.

    `hour`: the reads fall in the hour that ended `4 × hour` hours ago. Each measured part of a run takes an hour
    of its own, more than the clone rule's ±2 h window away from the others: every part then starts from no
    earlier reads in its window, as every other part does. (With one hour for the whole run, each part found the
    reads of all the parts before it and raised more alerts than they did: from ~5 % of reads at the start to
    ~40 % after 60,000 reads, so a figure depended on what ran before it.)"""
    from gtvision_local import events as sqs

    now = datetime.now(UTC) - timedelta(hours=4 * hour)
    out = []
    colors, kinds = ["White", "Black", "Silver", "Red", "Prata"], ["Car", "SaloonCar", "Motorcycle", "Truck"]
    for _ in range(batches):
        bodies = []
        for _ in range(messages):
            reads = [
                {
                    "camera_id": rng.choice(cams),
                    "event_id": uuid.uuid4().hex,
                    "plate": rng.choice(seen) if rng.random() < 0.2 else random_plate(rng),
                    "confidence": 0.9,
                    "captured_at": (now - timedelta(seconds=rng.randrange(3600))).isoformat(),
                    "vehicle": {"color": rng.choice(colors), "type": rng.choice(kinds)},
                }
                for _ in range(per_message)
            ]
            bodies.append(json.dumps({"reads": reads}))
        out.append(sqs.sqs_event(bodies, "arn:aws:sqs:us-east-1:123456789012:gtvision-lpr-reads"))
    return out


def _pg_cpu_s(url: str) -> float:
    """CPU seconds used so far by the PostgreSQL server: the postmaster, its live children, and the children it
    has reaped (closed connections' backends, autovacuum workers)."""
    with psycopg.connect(url, autocommit=True) as conn:
        data_dir = conn.execute("SHOW data_directory").fetchone()[0]  # type: ignore[index]
    postmaster = int(Path(data_dir, "postmaster.pid").read_text().split()[0])
    total = 0
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        pid, ppid = int(proc.name), int(fields[1])
        if pid == postmaster or ppid == postmaster:
            total += int(fields[11]) + int(fields[12])  # utime, stime
        if pid == postmaster:
            total += int(fields[13]) + int(fields[14])  # children reaped: backends and autovacuum workers gone
    return total / TICKS


def _handler() -> Any:
    """LprIngestFunction's handler, imported as Lambda does; alerts are not sent to SNS (not what is measured:
    a few per batch)."""
    from gtvision.alerts import store as alerts_store
    from gtvision_local.runtime import load_function_module

    alerts_store.publish_alerts = lambda messages: {}
    return load_function_module(ROOT / "functions" / "lpr_ingest", "handler").handler


def _worker(
    url: str, warm: dict[str, Any], batch_events: list[dict[str, Any]], taken: Any, start: Any, done: Any, out: Any
) -> None:
    """One poller: after its warm-up batch, it takes the next batch nobody has taken yet, until none is left — as
    SQS hands a batch to whichever poller asks (a fixed share each would leave one core idle while the slower
    worker finishes its share)."""
    os.environ["DATABASE_URL"] = url
    handler = _handler()
    from gtvision_local import events as sqs

    ctx = sqs.LambdaContext(function_name="LprIngestFunction")
    handler(warm, ctx)  # warm: imports, connection, prepared plans
    start.wait()
    cpu0, t0 = time.process_time(), time.perf_counter()
    while True:
        with taken.get_lock():
            i = taken.value
            taken.value += 1
        if i >= len(batch_events):
            break
        reply = handler(batch_events[i], ctx)
        assert reply == {"batchItemFailures": []}, reply
    out.put((time.process_time() - cpu0, t0, time.perf_counter()))
    done.wait()  # the server's CPU is read while this worker's connection (its backend) still exists


def _clean_pending(conn: psycopg.Connection[Any]) -> None:
    """Merge the fuzzy GIN's pending list now, so its cost lands in the measurement that caused it (on a
    connection kept open until the server's CPU is read: a closed connection's backend takes its CPU away)."""
    for (name,) in conn.execute(
        "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam"
        " WHERE i.indrelid = 'plate_reads'::regclass AND a.amname = 'gin'"
    ).fetchall():
        conn.execute("SELECT gin_clean_pending_list(%s::regclass)", (name,))


def measure(url: str, per_size: list[dict[str, Any]], workers: int) -> dict[str, float]:
    """Run the events (split over `workers` processes); reads/s wall clock and CPU µs per read. The GIN pending
    list left by the run is merged before the clock stops: deferred index work is counted, not hidden."""
    admin = psycopg.connect(url, autocommit=True)
    _clean_pending(admin)
    ctx = mp.get_context("spawn")
    start, done, out, taken = ctx.Barrier(workers + 1), ctx.Barrier(workers + 1), ctx.Queue(), ctx.Value("i", 0)
    warm, measured = per_size[:workers], per_size[workers:]
    procs = [ctx.Process(target=_worker, args=(url, w, measured, taken, start, done, out)) for w in warm]
    for p in procs:
        p.start()
    start.wait()
    pg0, wal0, alerts0 = _pg_cpu_s(url), _wal_lsn(admin), _alerts(admin)
    results = [out.get() for _ in procs]
    merge0 = time.perf_counter()
    _clean_pending(admin)
    end = time.perf_counter()
    pg1, wal1, alerts1 = _pg_cpu_s(url), _wal_lsn(admin), _alerts(admin)
    done.wait()
    admin.close()
    for p in procs:
        p.join()
    reads = sum(len(json.loads(r["body"])["reads"]) for ev in measured for r in ev["Records"])
    wall = end - min(r[1] for r in results)
    worker_cpu = sum(r[0] for r in results)
    figures = _figures(reads, wall, worker_cpu, pg1 - pg0, wal1 - wal0, alerts1 - alerts0)
    # Where the wall clock went beyond the workers' common run: one worker done before the other (its last batch
    # still running on the other core), and merging the GIN pending list they left (one connection).
    figures["tail_s"] = max(r[2] for r in results) - min(r[2] for r in results)
    figures["gin_merge_s"] = end - merge0
    return figures


def _alerts(conn: psycopg.Connection[Any]) -> int:
    return int(conn.execute("SELECT count(*) FROM alerts").fetchone()[0])  # type: ignore[index]


def _wal_lsn(conn: psycopg.Connection[Any]) -> int:
    return int(conn.execute("SELECT pg_current_wal_lsn() - '0/0'").fetchone()[0])  # type: ignore[index]


def _figures(reads: int, wall: float, worker_cpu: float, db_cpu: float, wal: int, alerts: int) -> dict[str, float]:
    return {
        "reads": reads,
        "alerts": alerts,
        "wall_s": wall,
        "worker_cpu_s": worker_cpu,
        "db_cpu_s": db_cpu,
        "wal_bytes": wal,
        "reads_per_s": reads / wall,
        "cpu_us_per_read": (worker_cpu + db_cpu) / reads * 1e6,
        "worker_cpu_us_per_read": worker_cpu / reads * 1e6,
        "db_cpu_us_per_read": db_cpu / reads * 1e6,
        "wal_kb_per_read": wal / reads / 1024,
    }


def combined(parts: list[dict[str, float]]) -> dict[str, float]:
    """The figures of several measured runs of one size taken together (sums of reads, time, CPU and WAL)."""
    keys = ("reads", "wall_s", "worker_cpu_s", "db_cpu_s", "wal_bytes", "alerts")
    reads, wall, worker, db_cpu, wal, alerts = (sum(p[k] for p in parts) for k in keys)
    figures = _figures(int(reads), wall, worker, db_cpu, int(wal), int(alerts))
    for k in ("tail_s", "gin_merge_s"):
        figures[k] = sum(p[k] for p in parts)
    return figures


def plain_path(
    url: str, city: str, cameras: list[str], seen: list[str], n: int, rng: random.Random
) -> dict[str, float]:
    """The same kind of reads through the webhook's one-read path (`lpr.ingest.store_read`), in this process:
    the baseline the batch path is compared with."""
    from gtvision.alerts import store as alerts_store
    from gtvision.lpr import batch, ingest

    alerts_store.publish_alerts = lambda messages: {}
    [event] = events(cameras, seen, n, 1, 1, rng)
    reads = batch.parse_message(event["Records"][0]["body"])
    now = datetime.now(UTC)
    with psycopg.connect(url, autocommit=True) as admin:
        _clean_pending(admin)
        pg0, cpu0, t0 = _pg_cpu_s(url), time.process_time(), time.perf_counter()
        for data in reads:
            ingest.store_read(ingest.CameraRef(data.camera_id, city), ingest.validated(data, now))
        _clean_pending(admin)
        wall, cpu, pg = time.perf_counter() - t0, time.process_time() - cpu0, _pg_cpu_s(url) - pg0
    return {"reads": n, "reads_per_s": n / wall, "cpu_us_per_read": (cpu + pg) / n * 1e6}


def row(label: str, m: dict[str, Any]) -> str:
    split = (
        f" ({m['worker_cpu_us_per_read']:.0f} + {m['db_cpu_us_per_read']:.0f})" if m["worker_cpu_us_per_read"] else ""
    )
    cores = 2e6 / m["cpu_us_per_read"]
    wal = f"{m['wal_kb_per_read']:.1f}" if "wal_kb_per_read" in m else "—"
    alerts = f"{m['alerts'] / m['reads'] * 1000:.0f}" if "alerts" in m else "—"
    return (
        f"| {label} | {m['reads']:,} | {m['reads_per_s']:,.0f} | {m['cpu_us_per_read']:.0f}{split} | {cores:,.0f}"
        f" | {wal} | {alerts} |"
    )


def profile(url: str, cams: list[str], seen: list[str], rng: random.Random) -> None:
    """cProfile of one batch of each size through the handler (run in this process), then the plans."""
    from gtvision_local import events as sqs

    handler = _handler()
    ctx = sqs.LambdaContext(function_name="LprIngestFunction")
    for label, messages, per_message in SIZES:
        warm, ev = events(cams, seen, per_message, messages, 2, rng)
        assert handler(warm, ctx) == {"batchItemFailures": []}
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        prof.enable()
        reply = handler(ev, ctx)
        prof.disable()
        assert reply == {"batchItemFailures": []}, reply
        print(f"\n### {label}: one batch of {messages * per_message} reads, {time.perf_counter() - t0:.3f} s")
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)


def run_sizes(tbl: Table, seen: list[str], args: argparse.Namespace, rng: random.Random) -> dict[str, dict[str, float]]:
    """Both message sizes on the server as it is now: a warm-up, then the measured turns; figures per size."""
    # Warm-up, not counted: the server was just restarted (empty shared_buffers) and the reset ended with a
    # checkpoint, after which the first write to every index page also logs the whole page.
    hours = iter(range(1, 100))  # an hour of its own for every part (see `events`)
    for _, messages, per_message in SIZES:
        batches = max(1, args.warm // (messages * per_message))
        evs = events(tbl.cameras, seen, per_message, messages, batches + args.workers, rng, next(hours))
        measure(tbl.url, evs, args.workers)
    # Measured: the sizes take turns, `--rounds` times, so a checkpoint or a slow spell of this shared machine
    # falls on both alike rather than on whichever ran first.
    parts: dict[str, list[dict[str, float]]] = {label: [] for label, _, _ in SIZES}
    for _ in range(args.rounds):
        for label, messages, per_message in SIZES:
            batches = max(2, args.total // args.rounds // (messages * per_message))
            evs = events(tbl.cameras, seen, per_message, messages, batches + args.workers, rng, next(hours))
            parts[label].append(measure(tbl.url, evs, args.workers))
    return {label: combined(parts[label]) for label, _, _ in SIZES}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=200_000 if quick() else 10_000_000)
    ap.add_argument("--total", type=int, default=40_000 if quick() else 400_000, help="reads ingested per size")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--warm", type=int, default=20_000 if quick() else 50_000, help="reads per size, not counted")
    ap.add_argument("--rounds", type=int, default=2, help="turns each size takes (the sizes alternate)")
    ap.add_argument("--plain", type=int, default=1000 if quick() else 3000, help="reads through the one-read path")
    ap.add_argument("--profile", action="store_true")
    args = ap.parse_args()
    rng = random.Random(20261207)
    srv, tbl = table(args.reads, rng)
    try:
        seen = watchlist(tbl.url, tbl.city, rng)
        if args.profile:
            profile(tbl.url, tbl.cameras, seen, rng)
            return
        figures = run_sizes(tbl, seen, args, rng)
        rows = [row(f"{label} ({messages} per batch)", figures[label]) for label, messages, _ in SIZES]
        base = plain_path(tbl.url, tbl.city, tbl.cameras, seen, args.plain, rng)
        rows.append(
            row("baseline: the webhook's one-read path, read by read", {**base, "worker_cpu_us_per_read": None})
        )
        # Baseline: the same run on RDS's default parameter group (checkpoints every 2 GB of WAL or 5 minutes).
        srv = _server(_data_dir(args.reads), RDS_DEFAULTS, srv)
        _reset(tbl.url, tbl.city)
        on_defaults = run_sizes(tbl, seen, args, rng)
        rows += [row(f"baseline: {label}, RDS's default parameter group", on_defaults[label]) for label, _, _ in SIZES]
        size = f"{args.reads:,} reads" + (" (BENCH_QUICK: a smaller table than the 10 M goal)" if quick() else "")
        built = f"built now in {tbl.build_s:.0f} s" if tbl.build_s else "built by an earlier run and kept"
        print(f"Table: {size}, {built}")
        print(f"Workers: {args.workers} processes running the handler; load average {os.getloadavg()[0]:.1f}")
        print(f"Server: GT-Vision's parameter group {deployed_settings()}")
        print(f"        (baseline rows: RDS's default parameter group {RDS_DEFAULTS})")
        print()
        print(
            f"Warm-up: {args.warm:,} reads of each size first, not counted; then the sizes take turns, {args.rounds}"
            " rounds (figures are their sums)."
        )
        print()
        print(
            "| LPR ingest (LprIngestFunction) | reads | reads/s (wall) | CPU µs/read (worker + DB) |"
            " reads/s on 2 free cores | WAL KiB/read | alerts per 1,000 reads |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|")
        print("\n".join(rows))
        print()
        for label, _, _ in SIZES:
            f = figures[label]
            print(
                f"{label}: {f['wall_s']:.1f} s of wall clock, of which {f['tail_s']:.1f} s with one worker done before"
                f" the other and {f['gin_merge_s']:.1f} s merging the fuzzy GIN's pending list on one connection."
            )
        small, large = (figures[label]["reads_per_s"] for label, _, _ in SIZES)
        keys = ("lpr_ingest_events_per_s", "lpr_ingest_small_per_s", "lpr_ingest_large_per_s")
        baseline = {"name": "the same reads through the webhook's one-read path, read by read, reads/s"}
        record(
            "lpr_ingest",
            dict(zip(keys, (round(min(small, large)), round(small), round(large)), strict=True)),
            {k: {**baseline, "value": round(base["reads_per_s"])} for k in keys},
            {
                "table_reads": args.reads,
                "workers": args.workers,
                "figures": figures,
                "server_settings": deployed_settings(),
                "rds_default_parameter_group": {"settings": RDS_DEFAULTS, "figures": on_defaults},
                "baseline": base,
                "build_s": tbl.build_s,
                "load_average": os.getloadavg(),
            },
        )
    finally:
        from gtvision.core import db

        db.close_all()
        srv.cleanup()


if __name__ == "__main__":
    main()
