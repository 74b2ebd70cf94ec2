#!/usr/bin/env bash
# `make bench`: run every benchmark and write docs/benchmarks.md with the command and the machine.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
out=docs/benchmarks.md
tmp=$(mktemp)
declare -A ARGS=(
  [bench/bench_clips.py]=""
  [bench/bench_playback.py]="--db"
  [bench/bench_lpr_search.py]=""
  [bench/bench_retention.py]=""
  [bench/bench_live_fanout.py]=""
)
{
  echo "# Benchmarks"
  echo
  echo "Produced by \`make bench\` (bench/run_all.sh) on $(date -u +%Y-%m-%dT%H:%MZ)."
  echo "Machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs),"\
       "$(free -g | awk '/Mem:/{print $2}') GiB RAM, load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo "Each section compares against a baseline measured in the same run. Times are wall-clock; the"
  echo "machine is shared, so read ratios rather than absolute numbers."
} > "$tmp"
for b in bench/bench_clips.py bench/bench_playback.py bench/bench_lpr_search.py bench/bench_retention.py bench/bench_live_fanout.py; do
  cmd="$PY $b ${ARGS[$b]}"
  echo "==> $cmd" >&2
  {
    echo
    echo "## $(basename "$b" .py)"
    echo
    echo "Command: \`${cmd% }\`"
    echo
    $cmd
  } >> "$tmp"
done
mv "$tmp" "$out"
echo "==> $out atualizado" >&2
