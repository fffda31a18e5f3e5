#!/usr/bin/env bash
# Installs the Debian 12 packages sessionwatch builds, runs and tests with,
# plus any packages named as arguments (bench/run.sh's gnuplot, the deploy
# checkers).  Idempotent: apt is only called when something is missing.
# Run as root.
set -euo pipefail
pkgs=(build-essential cmake pkg-config clang libsimdjson-dev librdkafka-dev
      libhiredis-dev libmicrohttpd-dev libinih-dev libtomlplusplus-dev libcmocka-dev redis-server valgrind kcat curl
      python3 bc "$@")
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
