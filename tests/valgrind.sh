#!/usr/bin/env bash
# valgrind.sh -- runs the unit tests of a build under Valgrind's memcheck and
# fails on any memory error or definite leak.
#
#     bash tests/valgrind.sh [BUILD_DIR [NAME...]]   # default: build, every program
#
# Runs every test_* program of BUILD_DIR and the fuzz targets' corpus
# replays (fuzz_*, see tests/fuzz), or only the programs NAMEd, from the
# source directory as ctest does, one at a time, with
#     valgrind --error-exitcode=1 --leak-check=full
#              --errors-for-leak-kinds=definite --show-leak-kinds=definite
# and --trace-children=yes: the sessionwatch processes that the black-box
# tests start (tu_run) are checked too; redis-server and system tools they
# start are not.  Every process writes its own log; a test fails when it
# exits non-zero or when any of its processes' logs reports an error.
# Exit status 77 is a skip, as for ctest (SKIP_RETURN_CODE): the fixture
# tests skip when ../shared/testdata/okta is absent, as on a fresh clone.
# A skip is reported and never fails the pass (unless Valgrind reported an
# error in it).
#
# Not run here (decided by measuring, see the numbers in tests/run.sh):
#   test_run, test_run_rules, test_run_pipeline, test_run_redis
#                     Kafka consumer groups as child processes for minutes,
#                     with session timeouts that Valgrind's 20-50x slowdown
#                     would break; the test process itself only waits.
#   test_kafka_tools  the same: replay/repartition/gen as child processes
#                     against the mock cluster; 35 s even untraced.
#   test_cap          5 million keys through a small --max-tracked-users:
#                     seconds natively, many minutes under Valgrind.
#
# SIMDJSON_FORCE_IMPLEMENTATION=haswell: Valgrind cannot run AVX-512, which
# simdjson would pick on this CPU.  tests/valgrind.supp lists the reads
# that stream/core/extract.h documents as harmless.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build}
only=" ${*:2} "
[ -d "$build" ] || { echo "valgrind.sh: no build directory $build" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "valgrind.sh: valgrind is not installed" >&2; exit 2; }

skip=" test_run test_run_rules test_run_pipeline test_run_redis test_kafka_tools test_cap "
logs=$(mktemp -d /tmp/sw-valgrind-XXXXXX)
trap 'rm -rf "$logs"' EXIT
export SIMDJSON_FORCE_IMPLEMENTATION=haswell

failed=() skipped=()
total_start=$(date +%s)
for exe in "$build"/test_* "$build"/fuzz_*; do
    [ -x "$exe" ] && [ -f "$exe" ] || continue
    name=$(basename "$exe")
    case "$skip" in *" $name "*) continue ;; esac
    if [ "$only" != "  " ]; then case "$only" in *" $name "*) ;; *) continue ;; esac; fi
    args=()
    if [[ $name == fuzz_* ]]; then
        args=(tests/fuzz/corpus/"$name" tests/fuzz/regressions/"$name")
    fi
    mkdir -p "$logs/$name"
    start=$(date +%s)
    rc=0
    valgrind --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite \
        --show-leak-kinds=definite --suppressions=tests/valgrind.supp \
        --trace-children=yes --trace-children-skip='*/redis-server,*/redis-cli,/bin/*,/usr/bin/*,/usr/sbin/*' \
        --child-silent-after-fork=yes --log-file="$logs/$name/%p.log" \
        "$exe" "${args[@]}" >"$logs/$name/stdout" 2>&1 || rc=$?
    bad=$(grep -L 'ERROR SUMMARY: 0 errors' "$logs/$name"/*.log | xargs -r grep -l 'ERROR SUMMARY' || true)
    printf '%-24s %4ss  exit %d  %d processes\n' "$name" "$(($(date +%s) - start))" "$rc" \
        "$(ls "$logs/$name"/*.log | wc -l)"
    if [ "$rc" -eq 77 ] && [ -z "$bad" ]; then
        skipped+=("$name")
        grep -m1 -i 'skip' "$logs/$name/stdout" | sed 's/^/    /' || true
    elif [ "$rc" -ne 0 ] || [ -n "$bad" ]; then
        failed+=("$name")
        tail -n 40 "$logs/$name/stdout"
        for f in $bad; do echo "--- $f"; grep -v '^==[0-9]*== *$' "$f" | head -n 80; done
    fi
done
echo "valgrind: $(($(date +%s) - total_start)) s in total"
[ "${#skipped[@]}" -eq 0 ] || echo "valgrind: skipped (exit 77): ${skipped[*]}"
if [ "${#failed[@]}" -gt 0 ]; then
    echo "valgrind: FAILED: ${failed[*]}"
    exit 1
fi
echo "valgrind: no memory error and no definite leak"
