#!/usr/bin/env bash
# bench/run.sh -- builds in Release, generates the workloads with
# `sessionwatch gen` at fixed seeds, runs the hot-path benchmark (with its
# floors) and the Python reference on the same files, prints one table and
# writes bench/results/latest.md.
#   RUNS=N   timed runs per figure after one warm-up (default 5)
#   RECORDS  records per dataset (default 200000, ~350 MB for the mix)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
RECORDS=${RECORDS:-200000}
bash deploy/install-deps.sh
cmake -S . -B build-release -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build build-release -j"$(nproc)" >/dev/null
SW=build-release/sessionwatch
DATA=$(mktemp -d /tmp/sw-bench.XXXXXX)
trap 'rm -rf "$DATA"' EXIT
mkdir -p bench/results

# Users chosen so that the mix has ~40 records per user-hour.
users=$((RECORDS / 40))
$SW gen --seed 42 --users "$users" --hours 1 --records "$RECORDS" --out "$DATA/mix.ndjson" 2>/dev/null
$SW gen --seed 43 --users "$users" --hours 1 --records "$RECORDS" --session-start-share 1 \
        --out "$DATA/starts.ndjson" 2>/dev/null

python_median() { # file -> median seconds of RUNS runs of reference.py, after a warm-up
  local f=$1 t=()
  python3 bench/reference.py "$f" >/dev/null 2>&1
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N)
    python3 bench/reference.py "$f" >/dev/null 2>&1
    e=$(date +%s.%N)
    t+=("$(echo "$e - $s" | bc -l)")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}

results=$DATA/results.jsonl
: > "$results"
for ds in mix starts; do
  f=$DATA/$ds.ndjson
  build-release/hotpath "$f" --runs "$RUNS" --json | sed "s/^{/{\"dataset\":\"$ds\",/" >> "$results"
  read -r med min max < <(python_median "$f")
  recs=$(wc -l < "$f"); bytes=$(stat -c %s "$f")
  echo "{\"dataset\":\"$ds\",\"name\":\"python\",\"records\":$recs,\"bytes\":$bytes,\"median_s\":$med,\"min_s\":$min,\"max_s\":$max}" >> "$results"
done

python3 - "$results" "$RUNS" <<'PY'
import json, platform, subprocess, sys, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
runs = sys.argv[2]
def ver(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception: return "?"
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
lines = []
lines.append("# sessionwatch benchmark results\n")
lines.append(f"- date: {datetime.datetime.utcnow().isoformat(timespec='seconds')}Z")
lines.append(f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}")
lines.append(f"- compiler: {ver('cc --version')}")
lines.append(f"- simdjson {ver('pkg-config --modversion simdjson')}, python {platform.python_version()}")
lines.append(f"- each figure: median of {runs} runs after one warm-up (min..max in seconds); one core\n")
for ds, title in (("mix", "Realistic mix (~15% user.session.start)"), ("starts", "Session starts only")):
    rs = {r["name"]: r for r in rows if r.get("dataset") == ds and "median_s" in r}
    info = next((r for r in rows if r.get("dataset") == ds and r["name"] == "full_info"), {})
    any_r = rs["full"]
    n, b = any_r["records"], any_r["bytes"]
    lines.append(f"## {title}: {n} records, {b/1e6:.1f} MB, {b/n:.0f} B/record\n")
    lines.append("| path | records/s | GB/s | ns/record | median s (min..max) |")
    lines.append("|---|---:|---:|---:|---|")
    for name, label in (("floor1", "floor 1: newline scan"), ("floor2", "floor 2: simdjson extraction only"),
                        ("full", "full hot path"), ("python", "Python json.loads reference")):
        r = rs[name]
        m = r["median_s"]
        lines.append(f"| {label} | {n/m:,.0f} | {b/m/1e9:.3f} | {m/n*1e9:,.1f} | {m:.4f} ({r['min_s']:.4f}..{r['max_s']:.4f}) |")
    full, f2, py = rs["full"]["median_s"], rs["floor2"]["median_s"], rs["python"]["median_s"]
    lines.append("")
    lines.append(f"- full / floor 2 time: **{full/f2:.2f}x**; speed-up over Python: **{py/full:.0f}x**")
    lines.append(f"- alerts: {info.get('alerts','?')}, users tracked at end: {info.get('tracked_users','?')}\n")
out = "\n".join(lines) + "\n"
open("bench/results/latest.md", "w").write(out)
print(out)
PY
