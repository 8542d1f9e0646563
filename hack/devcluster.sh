#!/usr/bin/env bash
# The devcluster: a real etcd, kube-apiserver, kube-scheduler and kube-controller-manager on loopback, plus
# Annealer's node agent with simulated GPU nodes whose pods run as local processes. No Docker needed.
#
#   hack/devcluster.sh up       # start in the background (builds what is missing), print the KUBECONFIG line
#   hack/devcluster.sh down     # stop everything: pods (SIGTERM, then SIGKILL), agent, control plane
#   hack/devcluster.sh status   # running? nodes and pods
#
# Environment:
#   ANNEALER_DEVCLUSTER_DIR   state folder (default ~/.cache/annealer/devcluster); wiped by `up`
#   DEVCLUSTER_NODES          number of GPU nodes (default 1)
#   DEVCLUSTER_GPUS_PER_NODE  nvidia.com/gpu per node (default 1)
#   ANNEALER_TRAINER_JAR      a runnable jar standing for the annealer-trainer image
#   ANNEALER_TRAINER_COMMAND  or a command standing for it (e.g. "bin/annealer-trainer"); wins over the jar
#                             without either: `java -cp <trainer-image classes + deps> $ANNEALER_TRAINER_MAIN`
#   ANNEALER_TRAINER_MAIN     main class of the trainer (default dev.annealer.trainer.TrainerMain)
#   ANNEALER_TRAINER_JAVA_OPTS  JVM options of trainer pods (default "-Xmx1g -XX:+UseSerialGC")
#   ANNEALER_TRAINER_WORKDIR  working directory of trainer pods (default: the repository root, which has examples/)
#   ANNEALER_DJL_CACHE        DJL native-library cache shared by trainer pods (default ~/.cache/annealer/djl):
#                             a real image has it baked in; per-pod extraction would cost ~430 MB each
#   MVN                       Maven command (default "mvn -B -q")
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATE="${ANNEALER_DEVCLUSTER_DIR:-${HOME}/.cache/annealer/devcluster}"
PIDFILE="$STATE/pid"
MVN="${MVN:-mvn -B -q}"

log() { echo "devcluster: $*" >&2; }

running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid="$(cat "$PIDFILE")"
  kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# group_alive PGID: a process of the group still runs (zombies, already dead and waiting for a reaper, don't count).
group_alive() { ps -eo pgid=,stat= | awk -v g="$1" '$1 == g && $2 !~ /^Z/ { found = 1 } END { exit !found }'; }

# trainer_jar: only an explicitly given jar (the module's own jar is not runnable: it has no dependencies inside)
trainer_jar() {
  [[ -n "${ANNEALER_TRAINER_JAR:-}" ]] && echo "$ANNEALER_TRAINER_JAR"
}

# trainer_command: the trainer from its module's classes when there is no jar (no fat jar needed)
trainer_command() {
  local main="${ANNEALER_TRAINER_MAIN:-dev.annealer.trainer.TrainerMain}"
  local src="$ROOT/trainer-image/src/main/java/${main//.//}.java"
  [[ -f "$src" ]] || return 1
  local cp="$ROOT/trainer-image/target/devcluster-classpath.txt"
  if [[ ! -f "$cp" || ! -d "$ROOT/trainer-image/target/classes" || "$src" -nt "$cp" ]]; then
    log "building the trainer classes (mvn -pl trainer-image -am compile)"
    (cd "$ROOT" && $MVN -pl trainer-image -am compile dependency:build-classpath \
      -Dmdep.outputFile="$cp" -Dmdep.includeScope=runtime) >&2
  fi
  # shellcheck disable=SC2086
  echo "java ${ANNEALER_TRAINER_JAVA_OPTS:--Xmx1g -XX:+UseSerialGC} -cp $ROOT/trainer-image/target/classes:$(cat "$cp") $main"
}

up() {
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    echo "export KUBECONFIG=$STATE/kubeconfig"
    return 0
  fi
  local bin
  bin="$("$ROOT/hack/k8s-binaries.sh")"
  if [[ ! -f "$ROOT/devcluster/target/classpath.txt" || ! -d "$ROOT/devcluster/target/classes/dev" ]]; then
    log "building the node agent (mvn -pl devcluster -am compile)"
    (cd "$ROOT" && $MVN -pl devcluster -am compile)
  fi
  local jar tcmd="${ANNEALER_TRAINER_COMMAND:-}"
  jar="$(trainer_jar || true)"
  if [[ -z "$tcmd" && -z "$jar" ]]; then
    tcmd="$(trainer_command || true)"
  fi
  [[ -n "$jar" || -n "$tcmd" ]] \
    || log "no trainer (build trainer-image or set ANNEALER_TRAINER_JAR): trainer pods will wait with ErrImagePull"
  rm -rf "$STATE"
  mkdir -p "$STATE"
  local args=(--bin-dir "$bin" --state-dir "$STATE" --nodes "${DEVCLUSTER_NODES:-1}"
    --gpus-per-node "${DEVCLUSTER_GPUS_PER_NODE:-1}" --trainer-workdir "${ANNEALER_TRAINER_WORKDIR:-$ROOT}")
  if [[ -n "$tcmd" ]]; then
    args+=(--trainer-command "$tcmd")
  elif [[ -n "$jar" ]]; then
    args+=(--trainer-jar "$jar")
  fi
  local djl="${ANNEALER_DJL_CACHE:-${HOME}/.cache/annealer/djl}"
  mkdir -p "$djl"
  args+=(--trainer-env "DJL_CACHE_DIR=$djl")
  # why setsid: the agent and every pod process share one process group, so `down` can always reap them all
  setsid java -Xmx512m -cp "$ROOT/devcluster/target/classes:$(cat "$ROOT/devcluster/target/classpath.txt")" \
    dev.annealer.devcluster.DevCluster "${args[@]}" >"$STATE/devcluster.log" 2>&1 </dev/null &
  echo $! >"$PIDFILE"
  local deadline=$((SECONDS + 180))
  while [[ ! -f "$STATE/ready" ]]; do
    if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null || (( SECONDS > deadline )); then
      log "did not start; last lines of $STATE/devcluster.log:"
      tail -n 30 "$STATE/devcluster.log" >&2 || true
      down
      return 1
    fi
    sleep 0.5
  done
  log "up: $(cat "$STATE/ready") (pid $(cat "$PIDFILE"), logs in $STATE/logs and $STATE/devcluster.log)"
  echo "export KUBECONFIG=$STATE/kubeconfig"
}

down() {
  [[ -f "$PIDFILE" ]] || { log "not running"; return 0; }
  local pid
  pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    local deadline=$((SECONDS + 60))
    while kill -0 "$pid" 2>/dev/null && (( SECONDS < deadline )); do sleep 0.5; done
  fi
  if group_alive "$pid"; then
    log "processes left in group $pid after SIGTERM: SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || true
    sleep 1
  fi
  if group_alive "$pid"; then
    log "could not stop process group $pid:"; ps -o pid,stat,cmd -g "$pid" >&2 || true
    return 1
  fi
  rm -f "$PIDFILE" "$STATE/ready"
  rm -rf "$STATE/control-plane" "$STATE/pods" "$STATE/volumes"
  log "down (logs kept in $STATE)"
}

status() {
  if pid="$(running_pid)"; then
    log "running (pid $pid): $(cat "$STATE/ready" 2>/dev/null)"
    local bin
    bin="$("$ROOT/hack/k8s-binaries.sh" --check)"
    "$bin/kubectl" --kubeconfig "$STATE/kubeconfig" get nodes,pods -A -o wide
  else
    log "not running"
    return 1
  fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
