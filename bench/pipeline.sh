#!/usr/bin/env bash
# bench/pipeline.sh -- issue 15's figures: the one-command pipeline (`run --rules` on an
# unkeyed raw topic, every key family through its internal topic) against today's
# single-family path (`run --rules --key-field okta.actor.id` on a topic keyed by user, no
# internal topic), on the same records, back to back; and the internal topics' bytes per
# input record.
#
# Each measurement starts its own `sessionwatch mock-broker` (librdkafka's mock cluster,
# the only Kafka this project ships), loads the records (keyed by user with `replay`, or
# unkeyed with kcat), then times `run --exit-at-end` with 2 threads.  The run's wall time
# holds a fixed cost that is not record processing: the group join (about 3 s on the mock),
# the rebalance when the internal topics' partitions are assigned, and exit-at-end's settle
# second.  So every variant is also run on an input of one record per partition, and its
# wall and CPU time are subtracted ("net"): records/s = records / net wall; CPU per record
# = net (user + sys) / records.  The broker shares the 2 cores with the run, so every
# figure is a lower bound for a real broker on its own machine.
#
#   bash bench/pipeline.sh            (after a Release build; BIN overrides the binary)
#   RUNS=N  USERS=N  HOURS=H  PARTITIONS=N   change the protocol (defaults below)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-build-release/sessionwatch}
RUNS=${RUNS:-3}
USERS=${USERS:-30}
HOURS=${HOURS:-2}
PARTITIONS=${PARTITIONS:-64}
SEED_RULE=deploy/rules/sessionwatch_seed_rule.toml
ALL_RULES=deploy/rules

tmp=$(mktemp -d)
broker_pid=
cleanup() {
  [[ -n $broker_pid ]] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

command -v kcat >/dev/null || { echo "bench/pipeline.sh: needs kcat (apt-get install kcat)" >&2; exit 2; }
[[ -x $BIN ]] || { echo "bench/pipeline.sh: no $BIN: build it (cmake -DCMAKE_BUILD_TYPE=Release)" >&2; exit 2; }

# 32 tenants: gen makes each tenant's "Okta System" principal the actor of about a quarter of
# its records; keyed by user that is one hot key, more than a mock partition keeps.
"$BIN" gen --seed 11 --tenants 32 --users "$USERS" --hours "$HOURS" --rules "$ALL_RULES" \
  --out "$tmp/data.ndjson" 2>/dev/null
records=$(wc -l <"$tmp/data.ndjson")
# The fixed-cost input: the first PARTITIONS records.
head -n "$PARTITIONS" "$tmp/data.ndjson" >"$tmp/idle.ndjson"

FAMILIES="okta.actor.id okta.actor.alternate_id okta.debug_context.debug_data.dt_hash"

# start_broker GROUP: a fresh mock cluster with the input, the alerts and GROUP's internal
# topics (the mock has no CreateTopics: created here with the input's partition count).
start_broker() {
  local f topics=(--topic "raw:$PARTITIONS" --topic alerts:4)
  for f in $FAMILIES; do topics+=(--topic "$1-by-$f:$PARTITIONS"); done
  "$BIN" mock-broker "${topics[@]}" >"$tmp/broker.out" 2>/dev/null &
  broker_pid=$!
  for _ in $(seq 100); do
    [[ -s $tmp/broker.out ]] && break
    sleep 0.1
  done
  brokers=$(head -n 1 "$tmp/broker.out")
}
stop_broker() {
  kill "$broker_pid" && wait "$broker_pid" || true
  broker_pid=
}

# load FILE keyed|unkeyed
load() {
  if [[ $2 == keyed ]]; then
    "$BIN" replay --brokers "$brokers" --topic raw --tenant-field tenant "$1" 2>/dev/null
  else
    # Spread evenly (no sticky batches): a mock partition keeps only about 5 MB.
    kcat -P -b "$brokers" -t raw -X sticky.partitioning.linger.ms=0 -l "$1"
  fi
}

# internal_bytes GROUP: value bytes on every internal topic of GROUP
internal_bytes() {
  local t sum=0 n
  for t in $(kcat -L -b "$brokers" | sed -n "s/^ *topic \"\\($1-by-[^\"]*\\)\".*/\\1/p"); do
    n=$(kcat -C -b "$brokers" -t "$t" -e -q -f '%S\n' | awk '{s += $1} END {print s + 0}')
    sum=$((sum + n))
  done
  echo "$sum"
}

# measure NAME FILE keyed|unkeyed RULES [run flags..]: prints "wall cpu internal_bytes"
measure() {
  local name=$1 file=$2 keying=$3 rules=$4
  shift 4
  local group="bench-$name"
  start_broker "$group"
  load "$file" "$keying"
  TIMEFORMAT='%R %U %S'
  local status=0
  { time "$BIN" run --brokers "$brokers" --topic raw --alerts-topic alerts --group "$group" \
      --rules "$rules" --tenant-field tenant --threads 2 --exit-at-end --summary json \
      -X session.timeout.ms=6000 "$@" \
      2>"$tmp/run.err" >/dev/null || status=$?; } 2>"$tmp/time"
  if ((status != 0)); then
    echo "$name: run exited $status; the end of its stderr:" >&2
    grep -v CONFWARN "$tmp/run.err" | tail -n 20 >&2
    exit 1
  fi
  local processed
  processed=$(grep -o '"records":[0-9]*' "$tmp/run.err" | head -n 1 | cut -d: -f2 || true)
  # More than the input when a rebalance made a member read again what was not committed yet.
  ((processed >= $(wc -l <"$file"))) || { echo "$name: run read $processed records of $(wc -l <"$file")" >&2; exit 1; }
  ((processed == $(wc -l <"$file"))) || echo "$name: $processed records read for $(wc -l <"$file") (a rebalance)" >&2
  read -r wall user sys <"$tmp/time"
  echo "$wall $(awk -v u="$user" -v s="$sys" "BEGIN { print u + s }") $(internal_bytes "$group")"
  stop_broker
}

variants=(
  "single-family|keyed|$SEED_RULE|--key-field okta.actor.id"
  "pipeline-seed|unkeyed|$SEED_RULE|--internal-partitions $PARTITIONS"
  "pipeline-3-families|unkeyed|$ALL_RULES|--internal-partitions $PARTITIONS"
)
printf 'records %d (%s, gen --seed 11 --users %d --hours %d --rules %s), %d partitions, %d runs\n' \
  "$records" "$(du -h "$tmp/data.ndjson" | cut -f1)" "$USERS" "$HOURS" "$ALL_RULES" "$PARTITIONS" "$RUNS"
for ((run = 1; run <= RUNS; run++)); do
  for v in "${variants[@]}"; do
    IFS='|' read -r name keying rules extra <<<"$v"
    # shellcheck disable=SC2086
    measure "$name" "$tmp/data.ndjson" "$keying" "$rules" $extra >"$tmp/m"
    read -r w c b <"$tmp/m"
    # shellcheck disable=SC2086
    measure "$name-idle" "$tmp/idle.ndjson" "$keying" "$rules" $extra >"$tmp/m"
    read -r wi ci _ <"$tmp/m"
    echo "$name $w $c $wi $ci $b" >>"$tmp/results"
  done
done
awk -v n="$records" '
  { wall[$1] = wall[$1] " " ($2 - $4); cpu[$1] = cpu[$1] " " ($3 - $5); bytes[$1] = $6 }
  function median(s,   a, k, i, j, t) {
    k = split(s, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    printf "| variant | records/s (net) | CPU us/record (net) | internal bytes/record |\n|---|---:|---:|---:|\n"
    for (v in wall) {
      w = median(wall[v]); c = median(cpu[v])
      printf "| %s | %.0f | %.2f | %.1f |\n", v, (w > 0 ? n / w : 0), c * 1e6 / n, bytes[v] / n
    }
  }' "$tmp/results"
