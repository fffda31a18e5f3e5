#!/usr/bin/env bash
# bench/soak.sh -- runs `sessionwatch run` against the mock broker with the
# generator producing at a steady rate for a while, and fails if
#   * the worker's RSS grows past its working set (the RSS once a full
#     window + lateness of event time has been processed, + 25% + 32 MB),
#   * any alert is missing or extra versus `scan` over the same records, or
#   * the worker stalls (no record processed for STALL_S seconds while
#     records are waiting).
# The generator writes the same records to a file (gen is a pure function
# of its options) for `scan`.  The mock keeps ~5 MB per partition, so the
# topic has 64 partitions and the rate is paced: a worker that falls that
# far behind loses records, which the alert comparison catches.
#   SOAK_SECONDS  how long to produce (default 600; CI runs 60)
#   SOAK_RATE     records per second (default 2000)
#   SOAK_STATE    run's --state (default memory; e.g. redis://127.0.0.1:6379)
#   BUILD_DIR     build directory (default build-release, built in Release)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_TO_RUN=${SOAK_SECONDS:-600}
RATE=${SOAK_RATE:-2000}
STATE=${SOAK_STATE:-memory}
BUILD=${BUILD_DIR:-build-release}
STALL_S=30
HOURS=6 # of event time: several windows, so the working set is reached early
bash deploy/install-deps.sh # kcat included
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DBUILD_TESTING=OFF >/dev/null
cmake --build "$BUILD" -j2 --target sessionwatch >/dev/null
SW=$BUILD/sessionwatch
DIR=$(mktemp -d /tmp/sw-soak.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "bench/soak.sh: FAIL: $*" >&2; exit 1; }

records=$((SECONDS_TO_RUN * RATE))
users=$((records / (40 * HOURS) + 1))
gen_args=(--seed 11 --users "$users" --hours "$HOURS" --records "$records" --attack-rate 0.02)
"$SW" gen "${gen_args[@]}" --out "$DIR/records.ndjson" --truth /dev/null 2>/dev/null
"$SW" scan --summary json "$DIR/records.ndjson" >"$DIR/scan.ndjson" 2>"$DIR/scan.log"
expected=$(wc -l <"$DIR/scan.ndjson")

"$SW" mock-broker --topic okta-events:64 --topic okta-alerts:4 >"$DIR/broker.out" 2>"$DIR/broker.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$DIR/broker.out" ] && break; sleep 0.1; done
brokers=$(head -n1 "$DIR/broker.out")
[ -n "$brokers" ] || fail "the mock broker did not start"

"$SW" run --brokers "$brokers" --group soak --threads 2 --state "$STATE" --metrics-addr 127.0.0.1:0 \
          --status-interval 10s >"$DIR/run.out" 2>"$DIR/run.log" &
run_pid=$!
pids+=("$run_pid")
for _ in $(seq 300); do grep -q "metrics and health on port" "$DIR/run.log" && break; sleep 0.1; done
port=$(sed -n 's/.*metrics and health on port \([0-9]*\).*/\1/p' "$DIR/run.log" | head -n1)
[ -n "$port" ] || fail "run did not start its metrics endpoint: $(tail -n 5 "$DIR/run.log")"
for _ in $(seq 600); do
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.1
done

metric() { curl -sf "http://127.0.0.1:$port/metrics" | awk -v m="$1" '$1 == m {print $2}'; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$run_pid/status"; }

"$SW" gen "${gen_args[@]}" --brokers "$brokers" --topic okta-events --rate "$RATE" 2>"$DIR/gen.log" &
gen_pid=$!
pids+=("$gen_pid")

# The working set: reached once (W + L) of event time (45 of HOURS*60
# minutes) is processed; the baseline is the RSS at twice that point.
baseline_at=$((records * 2 * 45 / (HOURS * 60)))
baseline=0 max_rss=0 last=0 last_change=$SECONDS start=$SECONDS samples=()
while :; do
  sleep 2
  kill -0 "$run_pid" 2>/dev/null || fail "run exited: $(tail -n 5 "$DIR/run.log")"
  done_records=$(metric sessionwatch_records_total)
  done_records=${done_records:-0}
  rss=$(rss_kb)
  samples+=("$((SECONDS - start)) $done_records $rss")
  if [ "$done_records" != "$last" ]; then last=$done_records; last_change=$SECONDS; fi
  if ((baseline == 0 && done_records >= baseline_at)); then baseline=$rss; fi
  if ((baseline > 0 && rss > max_rss)); then max_rss=$rss; fi
  if ((done_records >= records)); then break; fi
  if ((SECONDS - last_change > STALL_S)); then
    fail "stalled: $done_records of $records records processed, none for ${STALL_S}s"
  fi
done
wait "$gen_pid" || fail "gen could not produce every record: $(tail -n 3 "$DIR/gen.log")"
kill -TERM "$run_pid"
wait "$run_pid" || fail "run exited non-zero after SIGTERM: $(tail -n 5 "$DIR/run.log")"

kcat -b "$brokers" -C -t okta-alerts -e -q -f '%h\n' 2>/dev/null |
  tr ',' '\n' | sed -n 's/^alert_id=//p' | sort -u >"$DIR/got.ids"
python3 -c 'import json,sys; [print(json.loads(l)["alert_id"]) for l in open(sys.argv[1])]' "$DIR/scan.ndjson" |
  sort -u >"$DIR/want.ids"
missing=$(comm -13 "$DIR/got.ids" "$DIR/want.ids" | wc -l)
extra=$(comm -23 "$DIR/got.ids" "$DIR/want.ids" | wc -l)
limit=$((baseline + baseline / 4 + 32768))
echo "bench/soak.sh: ${SECONDS_TO_RUN}s at ${RATE} records/s (${records} records, ${users} users, ${HOURS} h of event" \
     "time), --state ${STATE}: ${expected} alerts expected, $(wc -l <"$DIR/got.ids") on the topic, ${missing} missing," \
     "${extra} extra; RSS working set ${baseline} kB, max afterwards ${max_rss} kB (limit ${limit} kB)"
printf '%s\n' "${samples[@]}" | awk '{print "  t=" $1 "s records=" $2 " rss_kb=" $3}' | awk 'NR % 10 == 1'
((missing == 0 && extra == 0)) || fail "alerts differ from scan's"
((baseline > 0)) || fail "never reached the working-set point"
((max_rss <= limit)) || fail "RSS grew past the working set: ${max_rss} kB > ${limit} kB"
echo "bench/soak.sh: PASS"
