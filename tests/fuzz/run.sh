#!/usr/bin/env bash
# run.sh -- a bounded libFuzzer run of every tests/fuzz/fuzz_*.c target.
#
#     bash tests/fuzz/run.sh [SECONDS]      # default 60 s per target
#
# Builds with -DSW_FUZZ=ON (clang; libFuzzer + ASan + UBSan) in build-fuzz/,
# then runs the targets one after the other, each for SECONDS
# (-max_total_time), on a scratch copy of its seed corpus and of every
# regression input ever found, so the committed corpus never changes by
# itself.  Any crash-, leak-, timeout-, oom- or slow-unit- artifact is
# copied into tests/fuzz/regressions/<target>/ (ctest replays those
# forever, see CMakeLists.txt) and the script fails once all targets ran.
# Environment: FUZZ_JOBS (build parallelism, default 2), FUZZ_ARGS (extra
# libFuzzer flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}
jobs=${FUZZ_JOBS:-2}
build=build-fuzz
root=tests/fuzz

cmake -S . -B "$build" -DSW_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
targets=()
for src in "$root"/fuzz_*.c; do targets+=("$(basename "$src" .c)"); done
cmake --build "$build" -j"$jobs" --target "${targets[@]}"

scratch=$(mktemp -d /tmp/sw-fuzz-XXXXXX)
trap 'rm -rf "$scratch"' EXIT
failed=()
for t in "${targets[@]}"; do
    corpus="$scratch/$t/corpus" art="$scratch/$t/artifacts"
    mkdir -p "$corpus" "$art" "$root/regressions/$t"
    for dir in "$root/corpus/$t" "$root/regressions/$t"; do
        [ -d "$dir" ] || continue
        find "$dir" -maxdepth 1 -type f ! -name 'README*' -exec cp {} "$corpus/" \;
    done
    # The real Okta events (Elastic's fixtures beside the checkout, never
    # committed here: their licence is Elastic's) seed the record fuzzer
    # too, one line per input, when they are present.
    fixtures=${SW_TESTDATA:-$root/../../../shared/testdata/okta}
    if [ "$t" = fuzz_extract ] && [ -d "$fixtures" ]; then
        n=0
        for f in "$fixtures"/*.log; do
            [ -f "$f" ] || continue
            while IFS= read -r line && ((n < 500)); do
                printf '%s' "$line" >"$corpus/real-$n"
                n=$((n + 1))
            done <"$f"
        done
    fi
    dict=()
    [ -f "$root/$t.dict" ] && dict=("-dict=$root/$t.dict")
    echo "== $t: ${seconds}s on $(ls "$corpus" | wc -l) seed inputs"
    start=$(date +%s)
    rc=0
    # -timeout: one input may take at most 10 s; -rss_limit_mb: the parsers
    # are sized once (about 7 x 1 MiB each), anything near 2 GB is a leak.
    "$build/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" ${FUZZ_ARGS:-} "$corpus" \
        >"$scratch/$t/log" 2>&1 || rc=$?
    { grep -E '^#[0-9]+.*cov: ' "$scratch/$t/log" | tail -n 1
      grep -E '^stat::(number_of_executed_units|peak_rss_mb)' "$scratch/$t/log"; } | sed 's/^/   /' || true
    found=0
    for f in "$art"/*; do
        [ -e "$f" ] || continue
        case "$(basename "$f")" in
        crash-* | leak-* | timeout-* | oom-* | slow-unit-*)
            cp "$f" "$root/regressions/$t/"
            echo "   FOUND $(basename "$f") -> $root/regressions/$t/"
            found=1
            ;;
        esac
    done
    echo "   exit $rc after $(($(date +%s) - start)) s"
    if [ "$rc" -ne 0 ] || [ "$found" -ne 0 ]; then
        failed+=("$t")
        tail -n 60 "$scratch/$t/log"
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: FAILED: ${failed[*]} (reproduce: $build/<target> tests/fuzz/regressions/<target>/<file>)"
    exit 1
fi
echo "fuzz: ${#targets[@]} targets ran ${seconds}s each without a finding"
