"""Fuzzy plate search at scale: skeleton keys (GIN on the group keys, then the wildcard test) vs a pg_trgm baseline.

Loads N synthetic reads (COPY) into a scratch embedded PostgreSQL with the real migrations, then times
~50 fuzzy queries (each an OCR-garbled version of a stored plate: confusions and one other error)
through `gtvision.lpr.search.search` and through the baseline
`WHERE plate % $1 ORDER BY similarity(plate, $1) DESC LIMIT 50` with a GIN gin_trgm_ops index.
Batch ingest at this scale is measured by bench_lpr_ingest.py.

Exact search (the B-tree) is timed against the same query with index scans disabled (a sequential scan).

Run: .venv/bin/python bench/bench_lpr_search.py [--reads 10000000] [--queries 50]   (BENCH_QUICK=1: 200,000)
Prints a markdown table with the machine it ran on. See docs/adr/0006-plate-search.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import string
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from resultfile import quick, record

CONFUSIONS = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S", "Z": "2", "2": "Z",
              "G": "6", "6": "G", "D": "0", "Q": "0", "A": "4", "4": "A", "T": "7", "7": "T"}  # fmt: skip
CAMERAS = 200


def random_plate(rng: random.Random) -> str:
    letters = "".join(rng.choices(string.ascii_uppercase, k=3))
    fifth = rng.choice(string.ascii_uppercase) if rng.random() < 0.5 else rng.choice(string.digits)
    return f"{letters}{rng.choice(string.digits)}{fifth}{''.join(rng.choices(string.digits, k=2))}"


def garble(plate: str, rng: random.Random) -> str:
    """What OCR or a witness gives: 1-2 look-alike confusions plus, half the time, one other wrong character."""
    chars = list(plate)
    confusable = [i for i, c in enumerate(chars) if c in CONFUSIONS]
    for i in rng.sample(confusable, k=min(len(confusable), rng.choice((1, 2)))):
        chars[i] = CONFUSIONS[chars[i]]
    if rng.random() < 0.5:
        i = rng.randrange(7)
        chars[i] = rng.choice([c for c in string.ascii_uppercase + string.digits if c != chars[i]])
    return "".join(chars)


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next(line.split(":", 1)[1].strip() for line in fh if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            mem = f", {int(fh.readline().split()[1]) / 1024 / 1024:.0f} GiB RAM"
    except OSError:
        pass
    system = f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    return f"{cpu}, {os.cpu_count()} cores{mem}, {system}"


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def load(url: str, n_reads: int, rng: random.Random) -> tuple[str, list[str], list[str], float]:
    """City, cameras and `n_reads` reads over ~n/4 distinct plates (COPY, indexes built afterwards)."""
    from gtvision.lpr import plates

    city = str(uuid.uuid4())
    cams = [str(uuid.uuid4()) for _ in range(CAMERAS)]
    distinct = sorted({random_plate(rng) for _ in range(n_reads // 4)})
    keys = {p: (plates.ocr_skeleton(p), "{" + ",".join(plates.fuzzy_keys(p)) + "}") for p in distinct}
    start = datetime(2026, 10, 1, tzinfo=UTC)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO cities (id, name, state, retention_days) VALUES (%s, 'Bench', 'SP', 30)", (city,))
        with conn.cursor().copy("COPY cameras (id, city_id, name, source_url, lat, lon, lpr_enabled) FROM STDIN") as cp:
            for i, cam in enumerate(cams):
                cp.write_row((cam, city, f"cam {i}", "rtsp://10.0.0.1/s", -23.5 - rng.random() / 5,
                              -46.6 - rng.random() / 5, True))  # fmt: skip
        conn.execute("DROP INDEX plate_reads_fuzzy_groups_gin, plate_reads_city_plate_idx, plate_reads_city_time_idx,"
                     " plate_reads_camera_time_idx")  # fmt: skip
        t0 = time.perf_counter()
        seen: set[str] = set()
        with conn.cursor().copy(
            "COPY plate_reads (city_id, camera_id, event_id, plate, plate_skeleton, plate_keys, confidence,"
            " captured_at) FROM STDIN"
        ) as cp:
            step = 30 * 24 * 3600 / n_reads
            for i in range(n_reads):
                plate = rng.choice(distinct)
                seen.add(plate)
                sk, ks = keys[plate]
                at = (start + timedelta(seconds=i * step)).isoformat()
                cp.write(f"{city}\t{rng.choice(cams)}\te{i}\t{plate}\t{sk}\t{ks}\t0.9\t{at}\n")
        copy_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute(
            "CREATE INDEX plate_reads_city_plate_idx ON plate_reads (city_id, plate text_pattern_ops, captured_at)"
        )
        conn.execute("CREATE INDEX plate_reads_city_time_idx ON plate_reads (city_id, captured_at)")
        conn.execute("CREATE INDEX plate_reads_camera_time_idx ON plate_reads (camera_id, captured_at)")
        btree_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute(
            "CREATE INDEX plate_reads_fuzzy_groups_gin ON plate_reads USING gin (plate_fuzzy_groups(plate_skeleton))"
        )
        keys_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        conn.execute("CREATE INDEX plate_reads_trgm ON plate_reads USING gin (plate gin_trgm_ops)")
        trgm_s = time.perf_counter() - t0
        conn.execute("VACUUM ANALYZE plate_reads")
    print(f"loaded {n_reads} reads ({len(seen)} plates): COPY {copy_s:.1f} s ({n_reads / copy_s:,.0f} rows/s),"
          f" B-trees {btree_s:.1f} s, keys GIN {keys_s:.1f} s, trigram GIN {trgm_s:.1f} s")  # fmt: skip
    return city, cams, sorted(seen), n_reads / copy_s


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reads", type=int, default=200_000 if quick() else 10_000_000)
    ap.add_argument("--queries", type=int, default=30 if quick() else 50)
    args = ap.parse_args()
    rng = random.Random(20261123)

    import pgserver

    tmp = tempfile.mkdtemp(prefix="gtv-bench-lpr-")
    srv = pgserver.get_server(tmp, cleanup_mode="delete")
    url = srv.get_uri()
    os.environ["DATABASE_URL"] = url
    from gtvision.core import db, migrations
    from gtvision.core.principal import Principal
    from gtvision.core.settings import get_settings
    from gtvision.lpr import search as lpr_search
    from gtvision.lpr import store as lpr_dal
    from gtvision.lpr.api_schemas import LprSearchQuery

    admin = Principal("bench", "bench", "admin", None)

    def run(q: str, match: str, city: str) -> list[str]:
        query = LprSearchQuery.model_validate({"plate": q, "match": match, "limit": 50})
        scope = lpr_search.SearchScope(lpr_dal.ReadFilter(city_id=city))
        return [i.plate for i in lpr_search.search(admin, query, scope)[0]]

    get_settings.cache_clear()
    migrations.apply(url)
    try:
        city, cams, distinct, copy_rate = load(url, args.reads, rng)
        targets = rng.sample(distinct, args.queries)
        queries = [garble(t, rng) for t in targets]

        def ours(q: str) -> list[str]:
            return run(q, "fuzzy", city)

        with psycopg.connect(url, autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]  # type: ignore[index]
            sizes = {
                r[0]: r[1]
                for r in conn.execute(
                    "SELECT c.relname, pg_size_pretty(pg_relation_size(c.oid)) FROM pg_class c"
                    " WHERE c.relname IN ('plate_reads', 'plate_reads_fuzzy_groups_gin', 'plate_reads_trgm')"
                ).fetchall()
            }

            def baseline(q: str) -> list[str]:
                rows = conn.execute(
                    "SELECT id, plate FROM plate_reads WHERE plate %% %s ORDER BY similarity(plate, %s) DESC LIMIT 50",
                    (q, q),
                ).fetchall()
                return [r[1] for r in rows]

            results: dict[str, dict[str, Any]] = {}
            for name, fn in (("skeleton keys (GIN group keys)", ours), ("pg_trgm baseline", baseline)):
                for q in queries[:5]:
                    fn(q)  # warm the cache alike for both
                samples, found, first = [], 0, 0
                for q, target in zip(queries, targets, strict=True):
                    ms, got = timed(lambda q=q, fn=fn: fn(q))  # type: ignore[misc]
                    samples.append(ms)
                    found += target in got
                    first += bool(got) and got[0] == target
                    if os.environ.get("BENCH_DEBUG") and target not in got:
                        print(f"{name}: {q} (true {target}) -> {got[:3]}")
                results[name] = {"median": statistics.median(samples), "p95": pct(samples, 0.95),
                                 "found": found, "first": first}  # fmt: skip

            # exact: the (city_id, plate) B-tree through lpr_search.search, vs the same SQL as a sequential scan
            def exact(q: str) -> list[str]:
                return run(q, "exact", city)

            def exact_seqscan(q: str) -> list[str]:
                with conn.transaction():
                    conn.execute("SET LOCAL enable_indexscan = off")
                    conn.execute("SET LOCAL enable_bitmapscan = off")
                    rows = conn.execute(
                        "SELECT plate FROM plate_reads WHERE city_id = %s AND plate = %s AND anonymised_at IS NULL"
                        " ORDER BY captured_at DESC, id DESC LIMIT 51", (city, q),
                    ).fetchall()  # fmt: skip
                return [r[0] for r in rows]

            exact_targets = targets[: max(5, args.queries // (10 if args.reads > 1_000_000 else 1))]
            for q in targets[:5]:
                exact(q)
            exact_ms = [timed(lambda q=q: exact(q))[0] for q in targets]  # type: ignore[misc]
            seq_ms = [timed(lambda q=q: exact_seqscan(q))[0] for q in exact_targets]  # type: ignore[misc]
            assert all(exact(q) and exact(q)[0] == q for q in targets[:5])
        print()
        print(f"Machine: {machine()}; PostgreSQL {version} (pgserver, default settings)")
        print(f"Data: {args.reads:,} reads, {len(distinct):,} distinct plates, one city, {CAMERAS} cameras;"
              f" table {sizes.get('plate_reads')}, group keys GIN {sizes.get('plate_reads_fuzzy_groups_gin')},"
              f" trigram GIN {sizes.get('plate_reads_trgm')}")  # fmt: skip
        print(f"Queries: {args.queries} garbled plates (1-2 OCR confusions, half with one more wrong character)")
        print()
        print("| fuzzy search | median ms | p95 ms | true plate in results | true plate ranked first |")
        print("|---|---:|---:|---:|---:|")
        for name, r in results.items():
            print(f"| {name} | {r['median']:.2f} | {r['p95']:.2f} | {r['found']}/{args.queries} |"
                  f" {r['first']}/{args.queries} |")  # fmt: skip
        print()
        print(f"| exact search | p95 ms |\n|---|---:|\n| B-tree (lpr.search, {len(targets)} plates) |"
              f" {pct(exact_ms, 0.95):.2f} |\n| sequential scan baseline ({len(exact_targets)} plates) |"
              f" {pct(seq_ms, 0.95):.2f} |")  # fmt: skip
        ours_r, trgm_r = results["skeleton keys (GIN group keys)"], results["pg_trgm baseline"]
        record(
            "lpr",
            {
                "plate_exact_p95_ms": round(pct(exact_ms, 0.95), 3),
                "plate_fuzzy_p95_ms": round(ours_r["p95"], 3),
                "plate_fuzzy_speedup_vs_trgm": round(trgm_r["p95"] / ours_r["p95"], 2),
                "plate_fuzzy_recall": round(ours_r["found"] / args.queries, 4),
            },
            {
                "plate_exact_p95_ms": {"name": "same query as a sequential scan (index scans off), p95 ms",
                                       "value": round(pct(seq_ms, 0.95), 3)},
                "plate_fuzzy_p95_ms": {"name": "pg_trgm similarity search (GIN gin_trgm_ops), p95 ms",
                                       "value": round(trgm_r["p95"], 3)},
                "plate_fuzzy_speedup_vs_trgm": {"name": "pg_trgm p95 / skeleton keys p95",
                                                "value": round(trgm_r["p95"], 3)},
                "plate_fuzzy_recall": {"name": "pg_trgm recall on the same garbled queries",
                                       "value": round(trgm_r["found"] / args.queries, 4)},
            },
            {"reads": args.reads, "distinct_plates": len(distinct), "queries": args.queries,
             "copy_rows_per_s": round(copy_rate)},
        )  # fmt: skip
    finally:
        db.close_all()
        srv.cleanup()


if __name__ == "__main__":
    main()
