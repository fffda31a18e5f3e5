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

# Renders the Kubernetes manifests offline (no cluster needed): the one-command form and the
# split form's overlay.
if have kubectl; then
  check "kubectl kustomize deploy/k8s" kubectl kustomize deploy/k8s
  check "kubectl kustomize deploy/k8s/split" kubectl kustomize deploy/k8s/split
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

# The image's rules (the Dockerfile copies deploy/rules there) must reach the build context:
# Dockerfile.dockerignore leaves out deploy/ but deploy/rules.  docker-py (a dependency of
# docker-compose) applies the same .dockerignore rules as the docker CLI.
context_has_rules() {
  "$1" - <<'PY'
from docker.utils.build import exclude_paths
pats = [l.strip() for l in open("deploy/Dockerfile.dockerignore") if l.strip() and not l.startswith("#")]
kept = exclude_paths(".", pats, dockerfile="deploy/Dockerfile")
import glob
want = set(glob.glob("deploy/rules/*.toml"))
missing = sorted(want - kept)
if missing or not want:
    raise SystemExit("not in the build context: %s" % (missing or "deploy/rules/*.toml"))
PY
}
docker_py=
for py in python3 /usr/bin/python3; do
  if have "$py" && "$py" -c 'import docker.utils.build' 2>/dev/null; then docker_py=$py; break; fi
done
if [[ -n $docker_py ]]; then
  check "Docker build context holds deploy/rules (Dockerfile.dockerignore)" context_has_rules "$docker_py"
else
  skip "Docker build context (python3 with docker-py: apt-get install docker-compose)"
fi

# The settings given to `run` and `repartition` here must be ones the binary accepts: the [run]
# and [repartition] keys of the example configs (commented-out examples included), and, with
# `sessionwatch config print [repartition]` (which parses flags, environment and file exactly as
# the command does, and rejects unknown keys and bad values), the example file, the Kubernetes
# ConfigMap's file with its environment (one-command form, and the split form's two stages),
# and the compose services' command lines (worker, split form's route and count).  The image's
# rules folder, /usr/share/sessionwatch/rules, is deploy/rules here; where rules are given,
# --strict-rules makes a rule the form cannot run (refused) a failure.
bin=${SESSIONWATCH_BIN:-build/sessionwatch}
image_rules=/usr/share/sessionwatch/rules
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
    sub(/^  /,""); k=$1; sub(/:$/,"",k); sub(/^[A-Z_]+: /,""); print k "=" $0}' deploy/k8s/base/configmap.yaml
}
compose_args() {  # SERVICE: its command line, one argument per line, without the command
  python3 -c 'import sys, yaml; print("\n".join(yaml.safe_load(open(sys.argv[1]))["services"][sys.argv[2]]["command"][1:]))' \
    deploy/docker-compose.yml "$1" | sed "s#$image_rules#deploy/rules#"
}
sed -n '/sessionwatch.ini: |/,$p' deploy/k8s/base/configmap.yaml | sed -n 's/^    //p' |
  sed "s#$image_rules#deploy/rules#" >"$tmp/configmap.ini"
if [[ ! -x $bin ]]; then
  skip "run settings ($bin not built)"
elif ! "$bin" run --help 2>/dev/null | grep -c -- '--config' >/dev/null; then  # -c reads it all: -q's early exit would SIGPIPE run under pipefail
  skip "run settings ($bin run has no --config yet)"
else
  for cmd in run repartition; do
    check "sessionwatch.ini.example [$cmd] keys are $cmd flags" ini_keys_are_flags deploy/sessionwatch.ini.example $cmd
  done
  # The ConfigMap's file has only [run] (the split form's route stage reads it too).
  check "k8s ConfigMap sessionwatch.ini [run] keys are run flags" ini_keys_are_flags "$tmp/configmap.ini" run
  check "the image's rules load (rules list --strict-rules --rules deploy/rules)" \
    "$bin" rules list --strict-rules --rules deploy/rules
  if "$bin" config print --help >/dev/null 2>&1; then
    mapfile -t cm_env < <(configmap_env)
    for cmd in run repartition; do
      check "config print $cmd --config sessionwatch.ini.example" \
        "$bin" config print $cmd --config deploy/sessionwatch.ini.example
    done
    # The one-command workers; the split form's workers (its patch sets SESSIONWATCH_STAGE) and
    # route pods (`run --stage route`, given only SESSIONWATCH_BROKERS of the ConfigMap's env).
    check "config print run: k8s ConfigMap file + env (${#cm_env[@]} vars)" \
      env "${cm_env[@]}" "$bin" config print run --config "$tmp/configmap.ini" --strict-rules
    check "config print run: k8s split count stage (ConfigMap + SESSIONWATCH_STAGE=count)" \
      env "${cm_env[@]}" SESSIONWATCH_STAGE=count "$bin" config print run --config "$tmp/configmap.ini" --strict-rules
    check "config print run --stage route: k8s split route stage (ConfigMap file + brokers)" \
      env "$(printf '%s\n' "${cm_env[@]}" | grep '^SESSIONWATCH_BROKERS=')" \
      "$bin" config print run --stage route --config "$tmp/configmap.ini" --strict-rules
    if have python3 && python3 -c 'import yaml' 2>/dev/null; then
      for svc in worker-1:run count-1:run route-1:repartition; do
        mapfile -t sargs < <(compose_args "${svc%%:*}")
        check "config print: compose ${svc%%:*} command (${svc##*:}, ${#sargs[@]} flags)" \
          "$bin" config print "${svc##*:}" "${sargs[@]}" --strict-rules
      done
    else
      skip "compose commands (python3 with yaml)"
    fi
  else
    skip "config print ($bin has no 'config print')"
  fi
fi

echo "deploy: $passed passed, $failed failed, $skipped skipped"
((failed == 0))
