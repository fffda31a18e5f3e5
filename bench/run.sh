#!/usr/bin/env bash
# bench/run.sh -- the one benchmark command.  It owns the benchmarks' setup
# and their report: it installs what they need (deploy/install-deps.sh, plus
# gnuplot-nox and python3-confluent-kafka, idempotently), builds in Release,
# generates the workloads with `sessionwatch gen` at fixed seeds, and runs in
# one go, one benchmark at a time:
#   1. hot path (bench/hotpath.c): its floors, the full path, the rules
#      engine with the seed rule's TOML and with every rule (Elastic's Okta
#      rules beside the checkout, else deploy/rules; RULES overrides), and
#      the Python reference (bench/reference.py) on the same files;
#   2. growth (bench/growth.c): ns/record and state memory at 1k, 100k, 1M
#      and 10M tracked users, plotted with gnuplot to bench/results/growth.png;
#      then the same per rule shape through the rules engine (--shape count,
#      cardinality: bytes per key of each shape, issue 14);
#   3. end to end through Kafka (bench/e2e.c on librdkafka's mock cluster):
#      bare consumer vs `run` vs the Python consumer
#      (bench/reference_kafka.py), and alert latency under load.
# It prints one report and writes it to bench/results/latest.md.  A section
# that fails is reported as failed, the others still run, and the script
# exits non-zero.  Timing lives here, never in tests.
#   RUNS=N            timed runs per figure after one warm-up (default 5)
#   RECORDS           records per hot-path dataset (default 200000, ~350 MB for the mix)
#   GROWTH_RUNS       growth: steady runs at every size, and fills up to 1M users (default RUNS)
#   GROWTH_BIG_FILLS  growth: fills above 1M users (default GROWTH_RUNS; a 10M fill takes tens of
#                     seconds, so a quick run may want fewer: the report says how many)
#   GROWTH_MAX_USERS  growth: the largest size (default 10000000)
#   GROWTH_SHAPES     growth's rule shapes after the seed engine (default "count cardinality"; "" skips)
#   E2E_ARGS          extra arguments for bench/e2e (e.g. "--records 100000 --partitions 128")
#   PYTHON            interpreter of both Python baselines (default /usr/bin/python3: Debian's,
#                     the one python3-confluent-kafka is installed for)
#   BUILD_DIR         build directory (default build-release)
#   RULES             hot path's "rules" row: a rule file or folder (default: Elastic's Okta rules,
#                     ../shared/testdata/rules/okta, when present, else deploy/rules)
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
RECORDS=${RECORDS:-200000}
GROWTH_RUNS=${GROWTH_RUNS:-$RUNS}
GROWTH_BIG_FILLS=${GROWTH_BIG_FILLS:-$GROWTH_RUNS}
GROWTH_MAX_USERS=${GROWTH_MAX_USERS:-10000000}
GROWTH_SHAPES=${GROWTH_SHAPES-count cardinality}
PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD_DIR:-build-release}
bash deploy/install-deps.sh gnuplot-nox python3-confluent-kafka
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 >/dev/null
SW=$BUILD/sessionwatch
DATA=$(mktemp -d /tmp/sw-bench.XXXXXX)
trap 'rm -rf "$DATA"' EXIT
mkdir -p bench/results
rm -f bench/results/growth.png

# Users chosen so that the mix has ~40 records per user-hour.
users=$((RECORDS / 40))
$SW gen --seed 42 --users "$users" --hours 1 --records "$RECORDS" --out "$DATA/mix.ndjson" 2>/dev/null
$SW gen --seed 43 --users "$users" --hours 1 --records "$RECORDS" --session-start-share 1 \
        --out "$DATA/starts.ndjson" 2>/dev/null

python_median() { # file -> median, min, max seconds of RUNS runs of reference.py, after a warm-up
  local f=$1 t=()
  "$PYTHON" bench/reference.py "$f" >/dev/null 2>&1
  for _ in $(seq "$RUNS"); do
    local s e
    s=$(date +%s.%N)
    "$PYTHON" bench/reference.py "$f" >/dev/null 2>&1
    e=$(date +%s.%N)
    t+=("$(awk -v s="$s" -v e="$e" 'BEGIN { printf "%.6f", e - s }')")
  done
  printf '%s\n' "${t[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[1], a[NR]}'
}

# 1. Hot path.
results=$DATA/results.jsonl
: > "$results"
for ds in mix starts; do
  f=$DATA/$ds.ndjson
  "$BUILD"/hotpath "$f" --runs "$RUNS" --json ${RULES:+--rules "$RULES"} | sed "s/^{/{\"dataset\":\"$ds\",/" >> "$results"
  read -r med min max < <(python_median "$f")
  recs=$(wc -l < "$f"); bytes=$(stat -c %s "$f")
  echo "{\"dataset\":\"$ds\",\"name\":\"python\",\"records\":$recs,\"bytes\":$bytes,\"median_s\":$med,\"min_s\":$min,\"max_s\":$max}" >> "$results"
done

# 2. Growth, and its plot.
growth_status=0
if ! "$BUILD"/growth --json --runs "$GROWTH_RUNS" --big-fills "$GROWTH_BIG_FILLS" \
       --max-users "$GROWTH_MAX_USERS" 2>"$DATA/growth.log" \
     | sed 's/^{/{"dataset":"growth",/' >> "$results"; then
  growth_status=1
  echo "bench/run.sh: bench/growth failed; the end of its log:" >&2
  tail -n 20 "$DATA/growth.log" >&2
fi
for shape in $GROWTH_SHAPES; do
  if ! "$BUILD"/growth --json --shape "$shape" --runs "$GROWTH_RUNS" --big-fills "$GROWTH_BIG_FILLS" \
         --max-users "$GROWTH_MAX_USERS" 2>"$DATA/growth-$shape.log" \
       | sed 's/^{/{"dataset":"growth_rules",/' >> "$results"; then
    growth_status=1
    echo "bench/run.sh: bench/growth --shape $shape failed; the end of its log:" >&2
    tail -n 20 "$DATA/growth-$shape.log" >&2
  fi
done
plot_status=1
"$PYTHON" - "$results" > "$DATA/growth.dat" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r.get("dataset") == "growth":
        print(r["users"], r["ns_per_record_steady"], r["ns_per_record_steady_min"], r["ns_per_record_steady_max"],
              r["records_per_s_steady"], r["ns_per_record_insert"], r["ns_per_record_insert_min"],
              r["ns_per_record_insert_max"])
PY
xr=$(awk 'NR == 1 { lo = $1 } { hi = $1 } END { print lo / 2 ":" hi * 2 }' "$DATA/growth.dat")
if [ -s "$DATA/growth.dat" ] && gnuplot 2>"$DATA/gnuplot.log" <<GP
set terminal pngcairo size 960,600 font "sans,10"
set output "bench/results/growth.png"
set title "sessionwatch hot path vs tracked users (medians; bars: min..max)"
set logscale x
set xrange [$xr]
set format x "10^{%L}"
set xlabel "tracked users"
set ylabel "ns/record"
set y2label "thousand records/s (steady)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid xtics ytics
set key bottom right
plot "$DATA/growth.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "ns/record, steady (existing users)", \
     "" using 1:6:7:8 with yerrorlines lw 1 pt 5 title "ns/record, insert (a new user per record)", \
     "" using 1:(\$5 / 1000) axes x1y2 with linespoints lw 2 pt 9 dt 2 title "thousand records/s, steady (right axis)"
GP
then
  plot_status=0
else
  echo "bench/run.sh: gnuplot did not write bench/results/growth.png:" >&2
  cat "$DATA/gnuplot.log" >&2
fi

# 3. End to end through Kafka.  Its stderr (sw_run's logs and summaries, one
# line per run) goes to a log; a failure keeps the other sections.
# A redis-server of the benchmark's own (no persistence) for the --state
# redis:// rows, on a free port, stopped by pid.
e2e_status=0
redis_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --dir "$DATA" \
             --daemonize no >"$DATA/redis.log" 2>&1 &
redis_pid=$!
trap 'kill "$redis_pid" 2>/dev/null; wait "$redis_pid" 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 100); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
# shellcheck disable=SC2086 # E2E_ARGS is a list of arguments
if ! RUNS=$RUNS "$BUILD"/e2e --json --python "$PYTHON" --python-script bench/reference_kafka.py \
       --redis "redis://127.0.0.1:$redis_port" ${E2E_ARGS:-} \
       2>"$DATA/e2e.log" | sed 's/^{/{"dataset":"e2e",/' >> "$results"; then
  e2e_status=1
  echo "bench/run.sh: bench/e2e failed; the end of its log:" >&2
  grep -v CONFWARN "$DATA/e2e.log" | tail -n 30 >&2
fi

"$PYTHON" - "$results" "$RUNS" "$e2e_status" "$growth_status" "$plot_status" "$PYTHON" "$SECONDS" <<'PY'
import json, platform, subprocess, sys, datetime, os
rows = [json.loads(l) for l in open(sys.argv[1])]
runs = sys.argv[2]
e2e_failed, growth_failed, plot_failed = (a != "0" for a in sys.argv[3:6])
python, elapsed = sys.argv[6], int(sys.argv[7])
def ver(cmd):
    try: return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip().splitlines()[0]
    except Exception: return "?"
def fmt(x, d=0): return f"{x:,.{d}f}"
cpu = next((l.split(":",1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
py_ver = ver(f"{python} --version").replace("Python ", "")
lines = []
lines.append("# sessionwatch benchmark results\n")
lines.append(f"- date: {datetime.datetime.utcnow().isoformat(timespec='seconds')}Z; `bash bench/run.sh` took "
             f"{elapsed // 60} min {elapsed % 60} s (build, data generation and every section)")
lines.append(f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}; shared with "
             "other work while it ran, so expect noise: read medians and ratios")
lines.append(f"- compiler: {ver('cc --version')}")
lines.append(f"- simdjson {ver('pkg-config --modversion simdjson')}, librdkafka {ver('pkg-config --modversion rdkafka')}, "
             f"Python {py_ver} (`{python}`) for both Python baselines, {ver('gnuplot --version')}")
lines.append(f"- each figure: median of {runs} runs after one warm-up (min..max), unless a section says otherwise; "
             "hot path and growth on one core\n")

# ---- hot path
targets = []  # (target, verdict, measured)
def met(ok): return "met" if ok else "**not met**"
for ds, title in (("mix", "realistic mix (~15% user.session.start)"), ("starts", "session starts only")):
    rs = {r["name"]: r for r in rows if r.get("dataset") == ds and "median_s" in r}
    info = next((r for r in rows if r.get("dataset") == ds and r["name"] == "full_info"), {})
    any_r = rs["full"]
    n, b = any_r["records"], any_r["bytes"]
    lines.append(f"## Hot path, {title}: {n} records, {b/1e6:.1f} MB, {b/n:.0f} B/record\n")
    lines.append("| path | records/s | GB/s | ns/record | median s (min..max) |")
    lines.append("|---|---:|---:|---:|---|")
    rinfo = {k: next((r for r in rows if r.get("dataset") == ds and r["name"] == k + "_info"), {})
             for k in ("seed-toml", "rules")}
    for name, label in (("floor1", "floor 1: newline scan"), ("floor2", "floor 2: simdjson extraction only"),
                        ("full", "full hot path"),
                        ("seed-toml", "rules engine, the seed rule from its TOML"),
                        ("rules", f"rules engine, {rinfo['rules'].get('rules', '?')} rules "
                                  f"({rinfo['rules'].get('path', '?')})"),
                        ("python", "Python json.loads reference")):
        if name not in rs: continue  # the rule rows are left out when their rules do not load
        r = rs[name]
        m = r["median_s"]
        lines.append(f"| {label} | {n/m:,.0f} | {b/m/1e9:.3f} | {m/n*1e9:,.1f} | {m:.4f} ({r['min_s']:.4f}..{r['max_s']:.4f}) |")
    full, f2, py = rs["full"]["median_s"], rs["floor2"]["median_s"], rs["python"]["median_s"]
    lines.append("")
    lines.append(f"- full / floor 2 time: **{full/f2:.2f}x**; speed-up over Python: **{py/full:.0f}x**")
    lines.append(f"- alerts: {info.get('alerts','?')}, users tracked at end: {info.get('tracked_users','?')}\n")
    if ds == "mix":
        gbs = b / full / 1e9
        targets.append(("realistic mix >= 1.5 GB/s per core", met(gbs >= 1.5), f"{gbs:.2f} GB/s"))
        targets.append(("realistic mix >= 60x Python", met(py / full >= 60), f"{py/full:.0f}x"))
        if "seed-toml" in rs and "rules" in rs:
            q = rs["rules"]["median_s"] / rs["seed-toml"]["median_s"]
            targets.append((f"realistic mix: all {rinfo['rules'].get('rules', '?')} rules <= 1.5x the seed rule "
                            "alone (rules engine)", met(q <= 1.5), f"{q:.2f}x"))
    else:
        targets.append(("session starts only within 1.5x of floor 2", met(full / f2 <= 1.5), f"{full/f2:.2f}x"))

# ---- growth
def growth_section():
    g = sorted((r for r in rows if r.get("dataset") == "growth"), key=lambda r: r["users"])
    out = ["## Growth: hot path and state vs tracked users (bench/growth.c)\n"]
    if not g:
        out.append("**bench/growth failed: no figures (see its log).**\n")
        return out
    g0 = g[0]
    big = [f"{r['users']:,} users: {r['fills']}, one fill {r['fill_s']:.0f} s" for r in g if r["fills"] != g0["runs"]]
    out.append(f"- records: gen's user.session.start events (mean {g0['record_bytes_mean']} B), patched in place per "
               "record to a user and session; every user holds 1.5 sessions on average, none reaches 3 (no alerts), "
               "nothing is evicted")
    out.append(f"- steady: {g0['steady_records']:,} records on random existing users and sessions, median of "
               f"{g0['runs']} runs after one warm-up (min..max); records/s = 1e9 / steady ns/record")
    out.append(f"- insert (a new user per record) and memory: median over fills (a fresh engine filled with every "
               f"user: insert + a second session for every other user), {g0['runs']} fills after one warm-up fill"
               + (f"; fewer where a fill is long (GROWTH_BIG_FILLS; {'; '.join(big)}): the memory figures "
                  "barely vary between fills (min..max shown)" if big else "")
               + f"; one fill of the largest size took {g[-1]['fill_s']:.0f} s")
    out.append("- memory per tracked user: RSS growth of the process over a fill, and the state by the allocators' "
               "count (slab reserved + hash tables)\n")
    out.append("| tracked users | steady ns/record (min..max) | steady records/s | insert ns/record (min..max) | "
               "RSS bytes/user (min..max) | state bytes/user | fills |")
    out.append("|---:|---|---:|---|---|---:|---:|")
    for r in g:
        out.append(f"| {r['users']:,} | {r['ns_per_record_steady']:,.0f} ({r['ns_per_record_steady_min']:,.0f}.."
                   f"{r['ns_per_record_steady_max']:,.0f}) | {r['records_per_s_steady']:,.0f} | "
                   f"{r['ns_per_record_insert']:,.0f} ({r['ns_per_record_insert_min']:,.0f}.."
                   f"{r['ns_per_record_insert_max']:,.0f}) | {r['rss_bytes_per_user']:,.0f} "
                   f"({r['rss_bytes_per_user_min']:,.0f}..{r['rss_bytes_per_user_max']:,.0f}) | "
                   f"{r['state_bytes_per_user']:,.0f} | {r['fills']} |")
    a, z = g[0], g[-1]
    grow = z["ns_per_record_steady"] / a["ns_per_record_steady"]
    net = (z["ns_per_record_steady"] - z["ns_per_record_patch"]) / (a["ns_per_record_steady"] - a["ns_per_record_patch"])
    bd = z["breakdown_per_user"]
    sb = z["session_blob_raw_bytes"]
    out.append("")
    out.append(f"- steady ns/record, {a['users']:,} -> {z['users']:,} users: **{grow:.2f}x** ({net:.2f}x without the "
               f"benchmark's own per-record patch of {z['ns_per_record_patch']:.0f} ns) (target < 2x)")
    out.append(f"- state at {z['users']:,} users: **{z['state_bytes_per_user']:.0f} bytes/user** by the allocators' "
               f"count, {z['rss_bytes_per_user']:.0f} bytes/user RSS growth (target <= 256). Per user: table entry "
               f"{bd['table_entry']:.0f} + its slack {bd['table_entry_slack']:.0f} + index {bd['table_index']:.0f}, "
               f"key copy {bd['key_copy']:.0f}, session blobs {bd['session_blobs']:.0f} "
               f"({z['sessions_per_user']:.1f} sessions of {sb['class_rounded']:.0f} B in the slab: header "
               f"{sb['header']:.0f}, id {sb['id']:.0f}, IP {sb['ip']:.0f}, user agent {sb['user_agent']:.0f}, geo "
               f"{sb['geo']:.0f}, event uuid {sb['uuid']:.0f}, the rest size-class rounding)")
    if plot_failed:
        out.append("- **the plot was not written (gnuplot failed; see the run's output)**")
    else:
        out.append("- plot: `bench/results/growth.png` (steady and insert ns/record and steady records/s against "
                   "tracked users, log x axis; written by every run, not committed)")
    if growth_failed:
        out.append("\n**bench/growth exited with an error; see its log.**")
    out.append("")
    full_range = a["users"] <= 1000 and z["users"] >= 10_000_000
    targets.append(("ns/record grows < 2x from 1k to 10M users",
                    met(grow < 2) if full_range else "not measured (smaller range)",
                    f"{grow:.2f}x ({a['users']:,} -> {z['users']:,} users)"))
    targets.append(("state <= 256 bytes per tracked user", met(z["state_bytes_per_user"] <= 256),
                    f"{z['state_bytes_per_user']:.0f} B/user at {z['users']:,} users"))
    return out

# ---- growth per rule shape
def growth_rules_section():
    shapes = {}
    for r in rows:
        if r.get("dataset") == "growth_rules":
            shapes.setdefault(r["shape"], []).append(r)
    if not shapes:
        return []
    shapes["seed (built-in)"] = [r for r in rows if r.get("dataset") == "growth"]
    out = ["## Growth per rule shape: the rules engine vs its keys (bench/growth.c --shape)\n"]
    out.append("- the same records and protocol as above, through the rules engine (`scan --rules`'s) with one "
               "threshold rule: **count** (value 20, no cardinality, by okta.actor.alternate_id, each user's patched "
               "to 24 bytes: a key too long to sit in its table entry, as most e-mail addresses are; a key keeps an "
               "entry per event) and **cardinality** (the seed rule's shape: value 1, 3 distinct session ids by "
               "okta.actor.id; an entry per distinct value); one key per user, 1.5 entries per key, no alerts; the "
               "count rule's steady records repeat one of their key's events (counted once)")
    out.append("- seed (built-in) = the built-in engine's rows above, for comparison\n")
    out.append("| shape | keys | steady ns/record (min..max) | insert ns/record | RSS bytes/key | state bytes/key | "
               "fixed per key | per entry | fills |")
    out.append("|---|---:|---|---:|---:|---:|---:|---:|---:|")
    def fixed(r):
        b = r["breakdown_per_user"]
        return b["table_entry"] + b["table_entry_slack"] + b["table_index"] + b["key_copy"]
    for name in ("seed (built-in)", "cardinality", "count"):
        for x in sorted(shapes.get(name, []), key=lambda r: r["users"]):
            out.append(f"| {name} | {x['users']:,} | {x['ns_per_record_steady']:,.0f} "
                       f"({x['ns_per_record_steady_min']:,.0f}..{x['ns_per_record_steady_max']:,.0f}) | "
                       f"{x['ns_per_record_insert']:,.0f} | {x['rss_bytes_per_user']:,.0f} | "
                       f"{x['state_bytes_per_user']:,.0f} | {fixed(x):,.0f} | "
                       f"{x['session_blob_raw_bytes']['class_rounded']:,.0f} | {x['fills']} |")
    out.append("")
    out.append("- fixed per key: table entry, its slack, index slots and the key's own blob when it does not fit "
               "in the entry; per entry: one kept event or distinct value, rounded to the slab's class; a key's "
               "state is fixed + entries x per entry (+ the slab's free space), so a count rule of value V costs at "
               "most fixed + V x per entry per key, a cardinality rule of cardinality C at most fixed + C x per "
               "entry")
    out.append("")
    return out

# ---- end to end
def e2e_section():
    e = [r for r in rows if r.get("dataset") == "e2e"]
    info = next((r for r in e if r["name"] == "e2e_info"), None)
    pinfo = next((r for r in e if r["name"] == "python_info"), {})
    figs = [r for r in e if "median_s" in r]
    out = ["## End to end through Kafka (bench/e2e.c, mock cluster)\n"]
    if info is None or not figs:
        out.append("**bench/e2e failed: no figures (see its log).**\n")
        return out
    n, b = info["records"], info["bytes"]
    out.append(f"- librdkafka {info['librdkafka']} mock cluster, 1 broker, **in the same process** as the C consumers: "
               f"on this {info['cores']}-core machine the broker competes with them for the cores, so these figures "
               "are a lower bound for a real broker on its own machine.")
    out.append(f"- **pacing: none; partitions: {info['partitions']}.** The topic is preloaded once, unpaced: "
               f"{n:,} records ({info['generated']:,} `gen` records of {info['tenants']} tenants, keyed by user "
               f"with sw_kp, + {info['sentinels']} sentinel records), {b/1e6:.1f} MB of values, {b/n:.0f} B/record. "
               f"A mock partition keeps only ~5 MB (older records are deleted): spread over {info['partitions']} "
               f"partitions the largest holds {info['max_partition_mb']:.1f} MB, and every partition's low watermark "
               "is checked to be 0 (nothing deleted). Every row drains that same topic in the same run. The tenants "
               "spread gen's per-tenant \"Okta System\" principal (~28% of a tenant's records), which keyed by user "
               "is one hot key.")
    out.append("- interval: bare and Python consumers, first record received -> last record received (Python: "
               "processed); sessionwatch, a partition's 3rd record processed -> the last partition's last record "
               "processed (sentinel alerts seen by the on_alert hook), so neither the group join nor the exit "
               "settle time is in it. A run is repeated when its partitions did not all start within 250 ms (a "
               "librdkafka retry timer), or when a rebalance moved partitions or a thread held none.")
    if pinfo:
        out.append(f"- Python consumer: `bench/reference_kafka.py` on Python {pinfo['python']} with Debian's "
                   f"python3-confluent-kafka {pinfo['confluent_kafka']}, a child process of bench/e2e: assign (no "
                   "group join) like the bare consumer, `consume()` in batches of 1000, reference.py's rule with one "
                   "detector per partition (as `run` has one engine per partition), alerts produced to a topic.")
    out.append(f"- each figure: median of {info['runs']} runs (min..max in seconds). CPU: CPU seconds per million "
               "records over the interval, of the processes (mock broker included) / of the clients alone "
               "(the C consumers' threads; the Python child process)\n")
    out.append("| consumer | threads | records/s | MB/s | CPU s per M records (with broker / client) | "
               "median s (min..max) | alerts | repeated runs |")
    out.append("|---|---:|---:|---:|---:|---|---:|---:|")
    for r in figs:
        m = r["median_s"]
        out.append(f"| {r['label']} | {r['threads']} | {n/m:,.0f} | {b/m/1e6:,.0f} | {r['cpu_s_per_m']:.2f} / "
                   f"{r['client_cpu_s_per_m']:.2f} | {m:.4f} ({r['min_s']:.4f}..{r['max_s']:.4f}) | {r['alerts']} | "
                   f"{r['retries']} |")
    out.append("")
    al = {r["name"]: r["alerts"] for r in figs if r["alerts"] != "-"}
    if "python" in al and "sessionwatch" in al:
        same = "the same count" if al["python"] == al["sessionwatch"] else "**different counts**"
        out.append(f"- alerts per run: sessionwatch {al['sessionwatch']}, Python {al['python']}: {same}")
    for r in (r for r in e if r["name"] == "ratio"):
        tgt = f" (target {r['target']})" if r["target"] else ""
        desc = (f"{r['of']} {r['of_threads']} thread{'s' if r['of_threads'] > 1 else ''} / {r['to']} "
                f"{r['to_threads']} thread{'s' if r['to_threads'] > 1 else ''}")
        out.append(f"- records/s, {desc}: **{r['median']:.2f}** of the medians, {r['best']:.2f} of the best runs{tgt}")
        if r["of"] == "sessionwatch" and r["to"] == "bare":
            targets.append((f"sessionwatch >= 70% of the bare consumer's records/s, {r['of_threads']} thread"
                            f"{'s' if r['of_threads'] > 1 else ''}", met(r["median"] >= 0.70), f"{r['median']:.2f}"))
    lat = [r for r in e if r["name"].startswith("latency")]
    if lat:
        l0 = lat[0]
        how = (f"{l0['share']*100:.0f}% of sessionwatch's 2-thread drain rate" if l0["share"] > 0
               else "a fixed rate")
        out.append("\n### Alert latency under load\n")
        out.append(f"- **pacing: {l0['rate']:,} records/s** ({how}) for {l0['seconds']:.0f} s, {l0['records']:,} "
                   f"records, to a fresh **{l0['partitions']}-partition** topic; sessionwatch run, 2 threads, "
                   "joined its group first (attack rate 0.05, so that p99 rests on thousands of alerts)")
        out.append("- latency = the alert's Kafka timestamp (CreateTime: handed to the alert producer) - its "
                   "`source.timestamp` (CreateTime of the record that completed it)")
        out.append("- CPU: CPU seconds per million records over production + catch-up, of the whole process (mock "
                   "broker, paced producer, sessionwatch) / of sessionwatch's threads alone\n")
        out.append("| workers' fetch.wait.max.ms | alerts | p50 ms | p99 ms | max ms | mean ms | "
                   "CPU s per M records (process / sessionwatch) | records processed |")
        out.append("|---|---:|---:|---:|---:|---:|---:|---|")
        for r in lat:
            fw = f"{r['fetch_wait_max_ms']}" + (" (librdkafka default)" if r["name"] == "latency" else "") + \
                 (", --state redis:// (1 s checkpoints)" if r["name"].endswith("_redis") else "")
            done = f"{r['processed']:,} of {r['records']:,}"
            out.append(f"| {fw} | {r['alerts']:,} | {r['p50_ms']} | {r['p99_ms']} | {r['max_ms']} | "
                       f"{r['mean_ms']:.1f} | {r['cpu_s_per_m']:.2f} / {r['client_cpu_s_per_m']:.2f} | {done} |")
        out.append("")
        out.append("- The mock answers a Fetch that finds no data only after the full fetch.wait.max.ms, even if "
                   "data arrives meanwhile; a real broker answers as soon as data is there, so the 10 ms row is the "
                   "closer one to a real broker. A live rate of half the drain rate is not sustainable here: the "
                   "producer runs on the same two cores and the mock returns one batch per partition per Fetch.")
    out += redis_section(e, n)
    if e2e_failed:
        out.append("\n**bench/e2e exited with an error; see its log.**")
    out.append("")
    return out

def redis_section(e, n):
    out = []
    cost = [r for r in e if r["name"] == "redis_cost"]
    paced = next((r for r in e if r["name"] == "redis_paced"), None)
    cpu = next((r for r in e if r["name"] == "redis_cpu_ratio"), None)
    if not cost and not cpu:
        redis_target[:] = [("Redis checkpointing within 10% of memory", "not measured", "bench/e2e ran no Redis row")]
        return out
    out.append("\n### Redis checkpointing (`--state redis://`, a redis-server started by bench/run.sh)\n")
    out.append("- The preloaded topic drains in well under a second, so the drain rows above see at most one "
               "periodic checkpoint (the 50 ms row about 20x more); the paced run below lasts several seconds at "
               "the default 1 s interval and is the honest measure of the cost: sessionwatch's CPU per record "
               "with and without Redis.")
    for r in cost:
        out.append(f"- {r['variant']}, {r['threads']} thread(s), checkpoints every {r['checkpoint_ms']} ms: "
                   f"{r['commands_per_run']:,.0f} Redis commands and {r['bytes_in_per_run']/1e6:.2f} MB sent per run "
                   f"(claims, loads and final checkpoints included; {r['bytes_in_per_record']:.0f} B per record); "
                   f"Redis then held **{r['redis_bytes_per_user']:.0f} B per tracked user** "
                   f"({r['users']:,} users; MEMORY USAGE / HLEN)")
    if paced:
        out.append(f"- paced run: {paced['commands_per_s']:,.0f} Redis commands/s, "
                   f"{paced['bytes_in_per_s']/1e6:.2f} MB/s sent to Redis")
    for r in (r for r in e if r["name"] == "ratio" and r["of"].startswith("sessionwatch_redis")):
        out.append(f"- drain records/s, {r['of']} / {r['to']} ({r['of_threads']} thread(s)): {r['median']:.2f} of the "
                   f"medians, {r['best']:.2f} of the best runs")
    if cpu:
        out.append(f"- **paced, 1 s checkpoints: sessionwatch CPU {cpu['redis_cpu_s_per_m']:.2f} vs "
                   f"{cpu['memory_cpu_s_per_m']:.2f} s per million records with memory state: CPU-bound throughput "
                   f"ratio {cpu['ratio']:.2f}**")
        redis_target[:] = [("Redis checkpointing within 10% of memory (CPU per record, paced, 1 s checkpoints)",
                            met(cpu["ratio"] >= 0.90), f"{cpu['ratio']:.2f}")]
    return out

redis_target = [("Redis checkpointing within 10% of memory", "not measured", "no paced Redis run")]
lines += growth_section()
lines += growth_rules_section()
lines += e2e_section()
lines.append("## Targets\n")
lines.append("| target | met | measured (median) |")
lines.append("|---|---|---|")
for name, verdict, fig in targets:
    lines.append(f"| {name} | {verdict} | {fig} |")
for name, verdict, fig in redis_target:
    lines.append(f"| {name} | {verdict} | {fig} |")
lines.append("")
out = "\n".join(lines) + "\n"
open("bench/results/latest.md", "w").write(out)
print(out)
PY
exit $((e2e_status || growth_status || plot_status))
