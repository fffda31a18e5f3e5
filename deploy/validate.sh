#!/usr/bin/env bash
# deploy/validate.sh: checks everything under deploy/ with the tools this machine has, and says
# which checks it skipped for want of a tool.  No check starts a container or a service: the
# development machines run no Docker engine, so the compose file is validated, not run.
#   bash deploy/validate.sh        (from anywhere; exits 1 if any check failed)
# Tools (Debian 12): docker-compose, yamllint, python3, systemd (systemd-analyze), shellcheck,
# prometheus (promtool), kubernetes-client (kubectl).  SESSIONWATCH_BIN names the binary whose
# `run --help` the example config is checked against (default build/sessionwatch).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

passed=0 failed=0 skipped=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# check NAME COMMAND...: runs the command, prints its output only when it fails.
check() {
  local name=$1
  shift
  if "$@" >"$tmp/out" 2>&1; then
    echo "ok      $name"
    passed=$((passed + 1))
  else
    echo "FAILED  $name: $*"
    sed 's/^/        /' "$tmp/out"
    failed=$((failed + 1))
  fi
}
skip() {
  echo "skipped $1"
  skipped=$((skipped + 1))
}
have() { command -v "$1" >/dev/null 2>&1; }

# Compose: the file format Debian's docker-compose 1.29.2 accepts (builds nothing, needs no engine).
if have docker-compose; then
  check "docker-compose config" docker-compose -f deploy/docker-compose.yml config -q
else
  skip "docker-compose config (apt-get install docker-compose)"
fi

# Every YAML file: compose, Prometheus, Kubernetes, .yamllint.
if have yamllint; then
  check "yamllint" yamllint --strict -c deploy/.yamllint deploy/
else
  skip "yamllint (apt-get install yamllint)"
fi

# The Grafana dashboard (and any other JSON here) must parse.
if have python3; then
  while IFS= read -r -d '' f; do
    check "json $f" python3 -m json.tool "$f"
  done < <(find deploy -name '*.json' -print0 | sort -z)
elif have jq; then
  while IFS= read -r -d '' f; do
    check "json $f" jq empty "$f"
  done < <(find deploy -name '*.json' -print0 | sort -z)
else
  skip "json (python3 or jq)"
fi

if have promtool; then
  check "promtool check config" promtool check config deploy/prometheus.yml
else
  skip "promtool check config (promtool, from Debian's prometheus package)"
fi

# Renders the Kubernetes manifests offline (no cluster needed).
if have kubectl; then
  check "kubectl kustomize deploy/k8s" kubectl kustomize deploy/k8s
else
  skip "kubectl kustomize (apt-get install kubernetes-client)"
fi

# The unit's syntax and sandboxing directives.  systemd-analyze also insists that ExecStart's
# binary exists; where /usr/bin/sessionwatch is not installed, a copy of the unit pointing at
# /bin/true is verified instead (and that is said).
# It only warns ("Unknown key ..., ignoring") about bad directives, so any output is a failure.
verify_unit() {
  local out rc
  out=$(systemd-analyze verify "$1" 2>&1)
  rc=$?
  [[ -z $out ]] || echo "$out"
  [[ $rc -eq 0 && -z $out ]]
}
if have systemd-analyze; then
  mkdir -p "$tmp/units"
  for unit in deploy/systemd/*.service; do
    name=$(basename "$unit")
    if [[ -x /usr/bin/sessionwatch ]]; then
      cp "$unit" "$tmp/units/"
      check "systemd-analyze verify $name" verify_unit "$tmp/units/$name"
    else
      sed 's#^ExecStart=/usr/bin/sessionwatch #ExecStart=/bin/true #' "$unit" >"$tmp/units/$name"
      check "systemd-analyze verify $name (ExecStart as /bin/true: /usr/bin/sessionwatch is not installed)" \
        verify_unit "$tmp/units/$name"
    fi
  done
else
  skip "systemd-analyze verify (systemd)"
fi

if have shellcheck; then
  check "shellcheck deploy/*.sh" shellcheck -S warning deploy/*.sh
else
  skip "shellcheck (apt-get install shellcheck)"
fi

# Every package the Dockerfile installs exists in the configured Debian archive (typos, renames).
dockerfile_pkgs() {
  sed -e ':a' -e '/\\$/{N;s/\\\n//;ba}' deploy/Dockerfile | grep -o 'apt-get install [^&]*' |
    tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' -e '^install$' -e '^$' | sort -u
}
if have apt-cache && apt-cache show bash >/dev/null 2>&1; then
  packages_exist() {
    local p bad=0
    for p in "$@"; do
      apt-cache show --no-all-versions "$p" >/dev/null 2>&1 || { echo "no package $p"; bad=1; }
    done
    return $bad
  }
  mapfile -t pkgs < <(dockerfile_pkgs)
  check "Dockerfile packages exist (apt-cache show, ${#pkgs[@]} packages)" packages_exist "${pkgs[@]}"
else
  skip "Dockerfile packages (apt-cache with package lists: apt-get update)"
fi

# The settings given to `run` and `repartition` here must be ones the binary accepts: the [run]
# and [repartition] keys of the example configs (commented-out examples included), and, with
# `sessionwatch config print [repartition]` (which parses flags, environment and file exactly as
# the command does, and rejects unknown keys and bad values), the example file, the Kubernetes
# ConfigMap's file with its environment, and the compose services' command lines.
bin=${SESSIONWATCH_BIN:-build/sessionwatch}
ini_keys_are_flags() {  # FILE COMMAND: every key of the [COMMAND] section is a flag of COMMAND
  local help key bad=0
  help=$("$bin" "$2" --help)
  while read -r key; do
    grep -Eq -- "--${key}([ =,)]|\$)" <<<"$help" || { echo "$1 [$2] $key: no --$key in '$bin $2 --help'"; bad=1; }
  done < <(awk -v sec="[$2]" '/^\[/{s=$0} s==sec && /^(; )?[a-z][a-z0-9-]* = /{sub(/^; /,""); print $1}' "$1" | sort -u)
  return $bad
}
configmap_env() {  # the sessionwatch-env ConfigMap's data, as NAME=VALUE lines
  awk '/^  name: sessionwatch-env/{e=1} /^---/{e=0} e && /^data:/{d=1; next} e && d && /^  [A-Z_]+: /{
    sub(/^  /,""); k=$1; sub(/:$/,"",k); sub(/^[A-Z_]+: /,""); print k "=" $0}' deploy/k8s/configmap.yaml
}
compose_args() {  # SERVICE: its command line, one argument per line, without the command
  python3 -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["services"][sys.argv[2]]["command"][1:]))' \
    deploy/docker-compose.yml "$1"
}
sed -n '/sessionwatch.ini: |/,$p' deploy/k8s/configmap.yaml | sed -n 's/^    //p' >"$tmp/configmap.ini"
if [[ ! -x $bin ]]; then
  skip "run settings ($bin not built)"
elif ! "$bin" run --help 2>/dev/null | grep -q -- '--config'; then
  skip "run settings ($bin run has no --config yet)"
else
  for cmd in run repartition; do
    check "sessionwatch.ini.example [$cmd] keys are $cmd flags" ini_keys_are_flags deploy/sessionwatch.ini.example $cmd
    check "k8s ConfigMap sessionwatch.ini [$cmd] keys are $cmd flags" ini_keys_are_flags "$tmp/configmap.ini" $cmd
  done
  if "$bin" config print --help >/dev/null 2>&1; then
    mapfile -t cm_env < <(configmap_env)
    for cmd in run repartition; do
      check "config print $cmd --config sessionwatch.ini.example" \
        "$bin" config print $cmd --config deploy/sessionwatch.ini.example
      check "config print $cmd: k8s ConfigMap file + env (${#cm_env[@]} vars)" \
        env "${cm_env[@]}" "$bin" config print $cmd --config "$tmp/configmap.ini"
    done
    if have python3 && python3 -c 'import yaml' 2>/dev/null; then
      mapfile -t wargs < <(compose_args worker-1)
      check "config print: compose worker command (${#wargs[@]} flags)" "$bin" config print run "${wargs[@]}"
      mapfile -t rargs < <(compose_args repartition)
      check "config print: compose repartition command (${#rargs[@]} flags)" \
        "$bin" config print repartition "${rargs[@]}"
    else
      skip "compose commands (python3 with yaml)"
    fi
  else
    skip "config print ($bin has no 'config print')"
  fi
fi

echo "deploy: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
