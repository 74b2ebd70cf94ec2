#!/usr/bin/env bash
# `make bench`: run every benchmark, write docs/benchmarks.md (tables, with the command and the machine) and
# bench/results.json (the figures, each with the baseline measured in the same run, for machines to read).
# BENCH_QUICK=1 runs every benchmark at a smaller size (minutes, not hours); the default is the full size
# (10 M plate reads; 1,000 cameras x 30 days = 43 M segment rows), which takes long on a small machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
out=docs/benchmarks.md
json=bench/results.json
tmp=$(mktemp)
results=$(mktemp -d)
export BENCH_RESULTS_DIR=$results
mode=$([ "${BENCH_QUICK:-0}" != "0" ] && echo quick || echo full)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
declare -A ARGS=(
  [bench/bench_clips.py]=""
  [bench/bench_playback.py]="--db"
  [bench/bench_lpr_search.py]=""
  [bench/bench_lpr_ingest.py]=""
  [bench/bench_retention.py]=""
  [bench/bench_stream_health.py]=""
  [bench/bench_cold_start.py]=""
  [bench/bench_sentinela.py]=""
  [bench/bench_lambda_cold_start.py]=""
  [bench/bench_segment_registration.py]=""
  [bench/bench_live_fanout.py]=""
  [bench/bench_feed_delivery.py]=""
  [bench/bench_cases.py]=""
)
BENCHES=(bench/bench_lpr_ingest.py bench/bench_lambda_cold_start.py bench/bench_segment_registration.py
         bench/bench_live_fanout.py bench/bench_feed_delivery.py bench/bench_cases.py
         bench/bench_clips.py bench/bench_playback.py bench/bench_lpr_search.py bench/bench_retention.py
         bench/bench_cold_start.py bench/bench_stream_health.py bench/bench_sentinela.py)
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`$([ "$mode" = quick ] && echo "BENCH_QUICK=1 ")make bench\` (bench/run_all.sh) on $(date -u +%Y-%m-%dT%H:%MZ)" \
       "— **$mode** size. Machine-readable figures: \`bench/results.json\`."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs),"\
       "$(free -g | awk '/Mem:/{print $2}') GiB RAM, load average before the run: $load_before."
  echo "Each section compares against a baseline measured in the same run. Times are wall-clock; the"
  echo "machine is shared, so read ratios rather than absolute numbers."
} > "$tmp"
failed=()
for b in "${BENCHES[@]}"; do
  cmd="$PY $b ${ARGS[$b]}"
  echo "==> $cmd" >&2
  {
    echo
    echo "## $(basename "$b" .py)"
    echo
    echo "Command: \`${cmd% }\`"
    echo
    # The functions' own JSON log and EMF lines are not figures: they stay out of the document.
    if ! $cmd | { grep -v '^{"' || true; }; then
      echo
      echo "**This benchmark failed in this run** (its error is in the terminal output of \`make bench\`)."
      failed+=("$b")
    fi
  } >> "$tmp"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
echo >> "$tmp"
echo "Load average after the run: $load_after (on $(nproc) cores)." >> "$tmp"
if [ -f docs/benchmarks-full.md ]; then
  echo >> "$tmp"
  echo "Full-size runs done on their own (10 M plate reads, 43 M segment rows) are in" \
       "[benchmarks-full.md](benchmarks-full.md), with their commands; this script does not overwrite them." >> "$tmp"
fi
if awk -v a="${load_before%% *}" -v b="${load_after%% *}" -v n="$(nproc)" 'BEGIN{exit !(a > n || b > n)}'; then
  echo >> "$tmp"
  echo "**Taken on a loaded machine** (1-minute load above the $(nproc) cores: the CPU was shared with other" \
       "work): absolute times are inflated and noisy; compare each figure with its same-run baseline." >> "$tmp"
fi
mv "$tmp" "$out"
$PY - "$results" "$json" "$mode" "$started" "$load_before" "$load_after" <<'PYEOF'
import json, os, platform, sys
from pathlib import Path

results, target, mode, started, before, after = sys.argv[1:]
doc = {"generated_at": started, "mode": mode, "command": ("BENCH_QUICK=1 " if mode == "quick" else "") + "make bench",
       "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                   "load_average_before": [float(x) for x in before.split()],
                   "load_average_after": [float(x) for x in after.split()]},
       "baselines": {}, "context": {}}
for path in sorted(Path(results).glob("*.json")):
    part = json.loads(path.read_text())
    doc.update(part["metrics"])
    doc["baselines"].update(part["baselines"])
    doc["context"][path.stem] = part["context"]
# Full-size runs made on their own (docs/benchmarks-full.md) ride along, marked as such: a quick run's figures
# are taken on smaller inputs than the targets name (e.g. LPR ingest on 200,000 reads, not 10 M).
full = Path("bench/results-full-lpr-ingest.json")
if full.exists():
    part = json.loads(full.read_text())
    doc["full_size_runs"] = {"lpr_ingest": {
        "command": ".venv/bin/python bench/bench_lpr_ingest.py", "document": "docs/benchmarks-full.md",
        "metrics": part["metrics"], "baselines": part["baselines"], "context": part["context"]}}
Path(target).write_text(json.dumps(doc, indent=2) + "\n")
PYEOF
rm -rf "$results"
echo "==> $out e $json atualizados" >&2
if [ ${#failed[@]} -gt 0 ]; then
  echo "==> falharam: ${failed[*]}" >&2
  exit 1
fi
