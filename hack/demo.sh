#!/usr/bin/env bash
# The main job, one command (make demo): Annealer on a local GPU cluster, with a preemption and an exact resume.
#
#  1. builds what is missing (control-plane binaries, operator, trainer classes);
#  2. starts the devcluster (real etcd, kube-apiserver, kube-scheduler, kube-controller-manager + one GPU node)
#     and the operator;
#  3. applies the quickstart (examples/quickstart.yaml with resources.gpus: 1, so it holds the node's GPU);
#  4. shows live progress (a `kubectl get ftj -w`-style table);
#  5. injects a preemption (a high-priority pod asks for the GPU) and shows the resume;
#  6. prints the final status and writes the LR/loss plot (PNG), compared with an uninterrupted local run;
#  7. cleans up on exit and on Ctrl-C.
# Its last line: demo: job=<name> phase=<phase> preemptions=<n> failures=<n> lrContinuous=<b> paramsMatchUninterrupted=<b>
#
# Environment: ANNEALER_DEMO_OUT (default target/demo: plot, logs), ANNEALER_DEMO_TIMEOUT (seconds, default 1200),
# MVN (default "mvn -B -q").
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="${ANNEALER_DEMO_OUT:-$ROOT/target/demo}"
TIMEOUT="${ANNEALER_DEMO_TIMEOUT:-1200}"
MVN="${MVN:-mvn -B -q}"
export ANNEALER_DEVCLUSTER_DIR="${ANNEALER_DEVCLUSTER_DIR:-${HOME}/.cache/annealer/demo-cluster}"
JOB=quickstart
NS=default
OPERATOR_PID=""
LOCAL_PID=""

say() { echo "demo: $*" >&2; }

cleanup() {
  trap - EXIT INT TERM
  [[ -n "$LOCAL_PID" ]] && kill "$LOCAL_PID" 2>/dev/null || true
  if [[ -n "$OPERATOR_PID" ]] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    kill "$OPERATOR_PID" 2>/dev/null || true
    for _ in $(seq 1 40); do kill -0 "$OPERATOR_PID" 2>/dev/null || break; sleep 0.5; done
    kill -9 "$OPERATOR_PID" 2>/dev/null || true
  fi
  "$ROOT/hack/devcluster.sh" down >/dev/null 2>&1 || true
}
trap cleanup EXIT
trap 'say "interrupted: cleaning up"; cleanup; exit 130' INT TERM

rm -rf "$OUT"
mkdir -p "$OUT"

# 1. Build what is missing.
BIN="$("$ROOT/hack/k8s-binaries.sh")"
K="$BIN/kubectl"
if [[ ! -f operator/target/quarkus-app/quarkus-run.jar ]]; then
  say "building the operator (mvn -pl operator -am package)"
  $MVN -pl operator -am package -DskipTests >&2
fi
CP_FILE="$ROOT/trainer-image/target/devcluster-classpath.txt"
if [[ ! -f "$CP_FILE" || ! -d trainer-image/target/classes ]]; then
  say "building the trainer (mvn -pl trainer-image -am compile)"
  $MVN -pl trainer-image -am compile dependency:build-classpath -Dmdep.outputFile="$CP_FILE" \
    -Dmdep.includeScope=runtime >&2
fi
TRAINER_CP="$ROOT/trainer-image/target/classes:$(cat "$CP_FILE")"

# 2. The devcluster and the operator.
say "starting the devcluster (etcd, kube-apiserver, kube-scheduler, kube-controller-manager, 1 node x 1 GPU)"
"$ROOT/hack/devcluster.sh" up >/dev/null
export KUBECONFIG="$ANNEALER_DEVCLUSTER_DIR/kubeconfig"
"$K" apply --server-side -f crds/finetunejobs.annealer.dev-v1.yml >/dev/null
"$K" wait --for=condition=Established crd/finetunejobs.annealer.dev --timeout=60s >/dev/null
"$K" create namespace annealer-system >/dev/null
say "starting the operator (log: $OUT/operator.log)"
KUBERNETES_NAMESPACE=annealer-system QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=0 \
  ANNEALER_PROGRESS_POLL_INTERVAL=1s \
  java -Xmx512m -jar operator/target/quarkus-app/quarkus-run.jar >"$OUT/operator.log" 2>&1 &
OPERATOR_PID=$!
disown "$OPERATOR_PID" # why: no job-control notice ("Killed") after the last line

# 3. The quickstart, holding the node's GPU.
sed -E 's/^(\s*)gpus:\s*[0-9]+/\1gpus: 1/' examples/quickstart.yaml >"$OUT/quickstart.yaml"
grep -qE '^\s*gpus: 1' "$OUT/quickstart.yaml" || { say "examples/quickstart.yaml has no resources.gpus line"; exit 1; }
say "kubectl apply -f examples/quickstart.yaml (with resources.gpus: 1)"
"$K" apply -n "$NS" -f "$OUT/quickstart.yaml" >&2

field() { "$K" get ftj "$JOB" -n "$NS" -o jsonpath="{.status.$1}" 2>/dev/null || true; }
table() {
  local line
  line="$("$K" get ftj "$JOB" -n "$NS" --no-headers 2>/dev/null || true)"
  if [[ "$line" != "${LAST_LINE:-}" ]]; then
    echo "  $line" >&2
    LAST_LINE="$line"
  fi
}

# The uninterrupted reference: the same job.yaml the operator gives the trainer, run locally.
for _ in $(seq 1 120); do
  "$K" get configmap "$JOB-spec" -n "$NS" >/dev/null 2>&1 && break
  kill -0 "$OPERATOR_PID" 2>/dev/null || { say "the operator exited: see $OUT/operator.log"; exit 1; }
  sleep 0.5
done
mkdir -p "$OUT/uninterrupted"
"$K" get configmap "$JOB-spec" -n "$NS" -o jsonpath='{.data.job\.yaml}' >"$OUT/uninterrupted/job.yaml"
(
  cd "$ROOT"
  ANNEALER_TERMINATION_LOG="$OUT/uninterrupted/termination-log" POD_IP=127.0.0.250 \
    DJL_CACHE_DIR="${ANNEALER_DJL_CACHE:-${HOME}/.cache/annealer/djl}" \
    java -Xmx1g -XX:+UseSerialGC -Dai.djl.offline=true -cp "$TRAINER_CP" dev.annealer.trainer.TrainerMain \
    train -f "$OUT/uninterrupted/job.yaml" --checkpoint-dir "$OUT/uninterrupted/ckpt" --device cpu \
    --no-progress-bar >"$OUT/uninterrupted/output.log" 2>&1
) &
LOCAL_PID=$!

# 4. Live progress until the trainer is well into its run.
echo "  $("$K" get ftj -n "$NS" | head -1)" >&2
deadline=$((SECONDS + TIMEOUT))
until [[ "$(field step)" =~ ^[0-9]+$ && "$(field step)" -ge 600 ]]; do
  table
  (( SECONDS < deadline )) || { say "timed out waiting for progress"; exit 1; }
  [[ "$(field phase)" == Failed ]] && break
  sleep 2
done
table

# 5. A preemption: a high-priority pod asks for the only GPU.
say "injecting a preemption: a high-priority pod asks for the node's only GPU"
"$K" apply -f - >/dev/null <<'EOF'
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: demo-high-priority}
value: 1000000
description: the demo's GPU hog, more important than fine-tuning
EOF
"$K" apply -n "$NS" -f - >/dev/null <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: gpu-hog}
spec:
  priorityClassName: demo-high-priority
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.10
    resources: {limits: {nvidia.com/gpu: 1}}
EOF
until [[ "$(field preemptions)" == 1 ]]; do
  table
  (( SECONDS < deadline )) || { say "timed out waiting for the preemption"; exit 1; }
  sleep 1
done
table
sleep 3
"$K" get pods -n "$NS" -o wide >&2
say "the next attempt waits for the GPU; the high-priority pod finishes now"
"$K" delete pod gpu-hog -n "$NS" --wait=false >/dev/null

# Resume until the end.
while :; do
  table
  phase="$(field phase)"
  [[ "$phase" == Succeeded || "$phase" == Failed ]] && break
  (( SECONDS < deadline )) || { say "timed out waiting for the job to finish"; exit 1; }
  sleep 2
done

# 6. Final status, the comparison with the uninterrupted run, the plot.
"$K" get ftj "$JOB" -n "$NS" -o wide >&2
say "final status: $(field lastTerminationMessage)"
say "waiting for the uninterrupted local run"
wait "$LOCAL_PID" || true
LOCAL_PID=""
phase="$(field phase)"
preemptions="$(field preemptions)"
failures="$(field failures)"
params_cluster="$(field lastTerminationMessage | grep -o 'paramsSha256=[0-9a-f]*' || true)"
params_local="$(grep -o 'paramsSha256=[0-9a-f]*' "$OUT/uninterrupted/termination-log" 2>/dev/null || true)"
params_match=false
[[ -n "$params_cluster" && "$params_cluster" == "$params_local" ]] && params_match=true

logs=()
for d in "$ANNEALER_DEVCLUSTER_DIR"/pods/"${NS}_${JOB}"-*; do
  [[ -d "$d" ]] || continue
  for f in "$d"/containers/*/output.log; do
    n="$(basename "$d")"
    cp "$f" "$OUT/${n%_*}.log"
    logs+=("$OUT/${n%_*}.log")
  done
done
lr_of() { grep -ho 'event=step step=[0-9]* .* lr=[^ ]*' "$@" | sed -E 's/event=step step=([0-9]+) .* lr=([^ ]+)/\1 \2/' | sort -u -k1,1; }
lr_continuous=false
if (( ${#logs[@]} > 0 )) && [[ -s "$OUT/uninterrupted/output.log" ]]; then
  lr_of "${logs[@]}" >"$OUT/lr-cluster.txt"
  lr_of "$OUT/uninterrupted/output.log" >"$OUT/lr-uninterrupted.txt"
  # every step logged on the cluster has exactly the uninterrupted run's learning rate
  if [[ -s "$OUT/lr-cluster.txt" ]] && [[ -z "$(join -j 1 -v 1 "$OUT/lr-cluster.txt" "$OUT/lr-uninterrupted.txt")" ]] \
    && [[ "$(join "$OUT/lr-cluster.txt" "$OUT/lr-uninterrupted.txt" | awk '$2 != $3' | wc -l)" == 0 ]]; then
    lr_continuous=true
  fi
fi
XCHART="$(tr ':' '\n' <"$CP_FILE" | grep -m1 '/xchart-[0-9.]*\.jar$' || true)"
if [[ -n "$XCHART" ]] && (( ${#logs[@]} > 0 )); then
  if java -Djava.awt.headless=true -cp "$XCHART" hack/demo/DemoPlot.java "$OUT/lr-loss.png" \
    "$OUT/uninterrupted/output.log" "${logs[@]}" 2>"$OUT/plot.err"; then
    say "plot: $OUT/lr-loss.png"
  else
    say "no plot: $(tail -1 "$OUT/plot.err")"
  fi
fi

# 7. Clean up, then the last line.
cleanup
echo "demo: job=$JOB phase=${phase:-unknown} preemptions=${preemptions:-0} failures=${failures:-0} lrContinuous=$lr_continuous paramsMatchUninterrupted=$params_match"
