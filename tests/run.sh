#!/usr/bin/env bash
# The test command: installs what the tests need, builds with gcc and runs
# every test, then builds with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer and runs them all again (any report fails).
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh redis-sentinel   # (test_run_redis: the Sentinel failover cases)
jobs=$(nproc)

echo "== gcc, RelWithDebInfo"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=gcc -DCMAKE_CXX_COMPILER=g++ >/dev/null
cmake --build build -j"$jobs"
ctest --test-dir build --output-on-failure -j"$jobs"

echo "== clang, ASan + UBSan"
cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSW_SANITIZE=ON \
      -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ >/dev/null
cmake --build build-asan -j"$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j"$jobs"

# Memcheck over the gcc build's unit tests (and the sessionwatch processes
# they start), then a bounded libFuzzer run of every fuzz target; crashes
# are kept in tests/fuzz/regressions/ (see tests/fuzz/run.sh).  Measured on
# the 2-core development machine: valgrind about 2.5 min, fuzzing about
# 2 min (20 s per target plus a fresh sanitizer build).
echo "== valgrind memcheck"
bash tests/valgrind.sh build
if command -v clang >/dev/null; then
  echo "== libFuzzer, 20 s per target"
  bash tests/fuzz/run.sh 20
fi

# The soak (bench/soak.sh) for 60 s: steady generated traffic through the
# mock broker; fails on RSS growth past the working set, an alert differing
# from scan's, or a stall.  Then deploy/ validated with the tools Debian has
# (docker-compose config, yamllint, shellcheck; no Docker engine runs here).
echo "== soak, 60 s"
SOAK_SECONDS=60 BUILD_DIR=build-soak bash bench/soak.sh
echo "== deploy/ validation"
# (validate.sh skips a checker that is missing, so a failed install is not fatal)
bash deploy/install-deps.sh docker-compose yamllint shellcheck || true
SESSIONWATCH_BIN=build/sessionwatch bash deploy/validate.sh
