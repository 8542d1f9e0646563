#!/usr/bin/env bash
# `make demo`: Annealer's main job, one command, on a local GPU cluster without Docker.
#
#   1. builds what is missing (Maven modules, Kubernetes binaries);
#   2. starts the devcluster (real etcd, kube-apiserver, kube-scheduler, kube-controller-manager + our node agent
#      with one node: nvidia.com/gpu 1, cpu 4) and the operator (its Quarkus jar, as a process);
#   3. kubectl apply -f examples/support-assistant-lora.yaml (the flagship: a LoRA fine-tune of a small pretrained
#      Llama on support tickets; DEMO_EXAMPLE=examples/quickstart.yaml runs the MLP quickstart instead);
#   4. shows live progress (a `kubectl get ftj -w`-style table, refreshed every 2 s);
#   5. injects a preemption (a high-priority pod that needs the node) and shows the resume;
#   6. prints the final status, compares with an uninterrupted local run of the same spec, writes
#      demo-out/<job>-lr-loss.png and, for a Hugging Face causal LM, prints the model's greedy answers to held-out
#      tickets before and after fine-tuning;
#   7. cleans up on exit and on Ctrl-C (operator stopped, devcluster down, no process left).
#
# The last line is exactly:
#   demo: job=<name> phase=<phase> preemptions=<n> failures=<n> lrContinuous=<true|false> paramsMatchUninterrupted=<true|false>
# Exit code 0 when the job Succeeded and both comparisons hold.
#
# Environment: MVN (default "mvn -B -q"), DEMO_OUT (default demo-out), DEMO_EXAMPLE (default
#   examples/support-assistant-lora.yaml), DEMO_PREEMPT_AT_STEP (default: half the example's maxSteps),
#   DEMO_TIMEOUT_SECONDS (default 900), DEMO_PROGRESS_PORT (trainers' progress port, default 18080),
#   ANNEALER_DEVCLUSTER_DIR (default $DEMO_OUT/devcluster).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MVN="${MVN:-mvn -B -q}"
OUT="${DEMO_OUT:-$ROOT/demo-out}"
EXAMPLE="${DEMO_EXAMPLE:-examples/support-assistant-lora.yaml}"
[[ -f "$EXAMPLE" ]] || { echo "demo: DEMO_EXAMPLE=$EXAMPLE does not exist" >&2; exit 2; }
# the job's metadata.name and half its budget, read from the manifest (one FineTuneJob, block style)
JOB="$(awk '/^metadata:/ {m = 1; next} m && /^  name:/ {print $2; exit}' "$EXAMPLE")"
NS=default
PREEMPT_AT="${DEMO_PREEMPT_AT_STEP:-$(awk '/^    maxSteps:/ {print int($2 / 2); exit}' "$EXAMPLE")}"
TIMEOUT="${DEMO_TIMEOUT_SECONDS:-900}"
export ANNEALER_DEVCLUSTER_DIR="${ANNEALER_DEVCLUSTER_DIR:-$OUT/devcluster}"
JAVA_TRAINER_OPTS="-Xmx768m -XX:+UseSerialGC -Dai.djl.offline=true -Dai.djl.pytorch.num_threads=1 -Dai.djl.pytorch.num_interop_threads=1"

T0=$SECONDS
say() { printf '[demo %4ds] %s\n' "$((SECONDS - T0))" "$*"; }

mkdir -p "$OUT"
# why: demo output never belongs in git, whatever the repository's .gitignore says
printf '*\n' >"$OUT/.gitignore"
rm -rf "$OUT/logs" "$OUT/uninterrupted"
mkdir -p "$OUT/logs"

# --- cleanup (EXIT, Ctrl-C, TERM) ------------------------------------------------------------------------------
OPERATOR_PID=""
REFERENCE_PID=""
CLUSTER_UP=false
CLEANED=false
cleanup() {
  $CLEANED && return 0
  CLEANED=true
  # why the braces: the shell's own "Terminated" notice for a reaped job goes to the block's stderr
  if [[ -n "$REFERENCE_PID" ]] && kill -0 "$REFERENCE_PID" 2>/dev/null; then
    { kill -TERM "$REFERENCE_PID"; wait "$REFERENCE_PID"; } 2>/dev/null || true
  fi
  if [[ -n "$OPERATOR_PID" ]] && kill -0 "$OPERATOR_PID" 2>/dev/null; then
    # SIGTERM, as a Deployment rollout sends: the operator releases its lease and exits 0 within seconds
    { kill -TERM "$OPERATOR_PID"; wait "$OPERATOR_PID"; } 2>/dev/null || true
  fi
  if $CLUSTER_UP; then
    hack/devcluster.sh down >"$OUT/logs/devcluster-down.log" 2>&1 || cat "$OUT/logs/devcluster-down.log" >&2
  fi
}
interrupted() {
  echo
  say "interrupted: cleaning up"
  cleanup
  echo "demo: job=$JOB phase=Interrupted preemptions=${PREEMPTIONS:-0} failures=${FAILURES:-0} lrContinuous=false paramsMatchUninterrupted=false"
  exit 130
}
trap cleanup EXIT
trap interrupted INT TERM

fail() {
  say "FAILED: $*"
  [[ -n "${K:-}" && "$CLUSTER_UP" == true ]] && { "$K" get ftj,pods -o wide 2>&1 | sed 's/^/  /' || true; }
  [[ -f "$OUT/logs/operator.log" ]] && { say "operator log tail:"; tail -n 20 "$OUT/logs/operator.log" | sed 's/^/  /'; }
  cleanup
  echo "demo: job=$JOB phase=${PHASE:-Unknown} preemptions=${PREEMPTIONS:-0} failures=${FAILURES:-0} lrContinuous=false paramsMatchUninterrupted=false"
  exit 1
}

# --- 1. build what is missing ----------------------------------------------------------------------------------
say "1/7 building what is missing"
BIN="$(hack/k8s-binaries.sh)"
K="$BIN/kubectl"
OPERATOR_JAR="$ROOT/operator/target/quarkus-app/quarkus-run.jar"
CP_FILE="$ROOT/e2e/target/runtime-classpath.txt"
STAMP="$ROOT/e2e/target/classes/dev/annealer/e2e/DemoReport.class"
need_build=false
for f in "$OPERATOR_JAR" "$CP_FILE" "$STAMP" "$ROOT/devcluster/target/classpath.txt"; do
  [[ -f "$f" ]] || need_build=true
done
if ! $need_build && [[ -n "$(find schedule/src crds/src trainer-image/src operator/src devcluster/src e2e/src \
      -type f -newer "$OPERATOR_JAR" -print -quit 2>/dev/null)" ]]; then
  need_build=true
fi
if $need_build; then
  say "  mvn -pl e2e -am package -DskipTests (operator, trainer, devcluster, demo helpers; a few minutes)"
  $MVN -pl e2e -am package -DskipTests >"$OUT/logs/build.log" 2>&1 || { tail -n 30 "$OUT/logs/build.log"; fail "build"; }
else
  say "  up to date (operator jar, trainer, devcluster, demo helpers)"
fi
CP="$(cat "$CP_FILE")"
DEMO_CP="$ROOT/e2e/target/classes:$CP"

# --- 2. devcluster + operator ----------------------------------------------------------------------------------
say "2/7 starting the devcluster (1 node: nvidia.com/gpu=1, cpu=4) and the operator"
if [[ -f "$ANNEALER_DEVCLUSTER_DIR/pid" ]]; then hack/devcluster.sh down >/dev/null 2>&1 || true; fi
CLUSTER_UP=true
ANNEALER_TRAINER_COMMAND="java $JAVA_TRAINER_OPTS -cp $CP dev.annealer.trainer.TrainerMain" \
  hack/devcluster.sh up >"$OUT/logs/devcluster-up.log" 2>&1 || { cat "$OUT/logs/devcluster-up.log"; fail "devcluster up"; }
export KUBECONFIG="$ANNEALER_DEVCLUSTER_DIR/kubeconfig"
"$K" apply --server-side -f crds/finetunejobs.annealer.dev-v1.yml >/dev/null
"$K" wait --for=condition=Established --timeout=60s crd/finetunejobs.annealer.dev >/dev/null
"$K" create namespace annealer-system --dry-run=client -o yaml | "$K" apply -f - >/dev/null
# why: the lease namespace cannot be inferred outside a cluster; the operator's HTTP on loopback and a random port;
# trainers serve progress on their pod IP 127.0.1.N and port 18080, not 8080, which a host service on *:8080 would block
KUBERNETES_NAMESPACE=annealer-system QUARKUS_HTTP_HOST=127.0.0.1 QUARKUS_HTTP_PORT=0 ANNEALER_PROGRESS_POLL_INTERVAL=1s \
  ANNEALER_TRAINER_PROGRESS_PORT="${DEMO_PROGRESS_PORT:-18080}" \
  java -Xmx384m -XX:+UseSerialGC -jar "$OPERATOR_JAR" >"$OUT/logs/operator.log" 2>&1 </dev/null &
OPERATOR_PID=$!
"$K" get nodes -o custom-columns='NODE:.metadata.name,GPU:.status.allocatable.nvidia\.com/gpu,CPU:.status.allocatable.cpu,READY:.status.conditions[?(@.type=="Ready")].status' | sed 's/^/  /'

# --- 3. the quickstart -----------------------------------------------------------------------------------------
say "3/7 kubectl apply -f $EXAMPLE"
"$K" apply -n "$NS" -f "$EXAMPLE" | sed 's/^/  /'

# --- 4 and 5. live progress, preemption, resume ----------------------------------------------------------------
field() { "$K" get ftj "$JOB" -n "$NS" -o "jsonpath={.status.$1}" 2>/dev/null || true; }
pods_line() {
  "$K" get pods -n "$NS" --no-headers -o custom-columns='N:.metadata.name,P:.status.phase,NODE:.spec.nodeName' 2>/dev/null \
    | awk '{printf "%s%s=%s", (NR>1?" ":""), $1, $2} END {print ""}'
}
say "4/7 live progress (kubectl get ftj every 2 s; a new line when something changes)"
# row: the CRD's printer columns (Phase, Step, Cycle, LR, Loss, Preemptions) plus failures, numbers rounded for reading
row() {
  "$K" get ftj "$JOB" -n "$NS" --no-headers -o custom-columns='P:.status.phase,S:.status.step,C:.status.schedule.cycle,LR:.status.schedule.learningRate,L:.status.loss,PR:.status.preemptions,F:.status.failures' 2>/dev/null \
    | awk '{ for (i = 1; i <= 7; i++) if ($i == "<none>") $i = "-";
             lr = ($4 == "-") ? "-" : sprintf("%.3e", $4); loss = ($5 == "-") ? "-" : sprintf("%.4f", $5);
             printf "%-10s %5s %5s %10s %8s %11s %8s", $1, $2, $3, lr, loss, $6, $7 }'
}
printf '  %-8s %-10s %5s %5s %10s %8s %11s %8s   %s\n' TIME PHASE STEP CYCLE LR LOSS PREEMPTIONS FAILURES PODS
last=""
stage=running
REFERENCE_STARTED=false
deadline=$((SECONDS + TIMEOUT))
while :; do
  (( SECONDS < deadline )) || fail "the job did not finish within ${TIMEOUT} s"
  kill -0 "$OPERATOR_PID" 2>/dev/null || fail "the operator exited (see $OUT/logs/operator.log)"
  row="$(row || true)"
  pods="$(pods_line)"
  if [[ "$row|$pods" != "$last" ]]; then
    printf '  %-8s %s   %s\n' "$(date +%T)" "$row" "$pods"
    last="$row|$pods"
  fi
  PHASE="$(field phase)"; STEP="$(field step)"; PREEMPTIONS="$(field preemptions)"; FAILURES="$(field failures)"
  if ! $REFERENCE_STARTED && "$K" get configmap "$JOB-spec" -n "$NS" >/dev/null 2>&1; then
    # The uninterrupted local run of the very spec the pods read, in the background.
    mkdir -p "$OUT/uninterrupted"
    "$K" get configmap "$JOB-spec" -n "$NS" -o 'jsonpath={.data.job\.yaml}' >"$OUT/uninterrupted/job.yaml"
    POD_IP=127.0.0.1 ANNEALER_PROGRESS_PORT=0 ANNEALER_TERMINATION_LOG="$OUT/uninterrupted/termination-log" \
      DJL_CACHE_DIR="${ANNEALER_DJL_CACHE:-$HOME/.cache/annealer/djl}" \
      java $JAVA_TRAINER_OPTS -cp "$CP" dev.annealer.trainer.TrainerMain train -f "$OUT/uninterrupted/job.yaml" \
      --checkpoint-dir "$OUT/uninterrupted/checkpoints" --no-progress-bar >"$OUT/uninterrupted/output.log" 2>&1 </dev/null &
    REFERENCE_PID=$!
    REFERENCE_STARTED=true
    say "  (an uninterrupted local run of the same spec trains in the background, for the comparison)"
  fi
  case "$stage" in
    running)
      if [[ "$PHASE" == Running && -n "$STEP" ]] && (( STEP >= PREEMPT_AT )); then
        say "5/7 injecting a preemption at step $STEP: a high-priority pod that needs the node's GPU and 3 of its 4 CPUs"
        "$K" apply -f - >/dev/null <<'EOF'
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: demo-high-priority}
value: 1000000
description: "demo: a job more important than the fine-tune"
---
apiVersion: v1
kind: Pod
metadata: {name: gpu-hog, namespace: default}
spec:
  priorityClassName: demo-high-priority
  terminationGracePeriodSeconds: 1
  containers:
  - name: pause
    image: registry.k8s.io/pause:3.10
    resources:
      requests: {cpu: "3"}
      limits: {nvidia.com/gpu: "1"}
EOF
        stage=preempting
      fi ;;
    preempting)
      if [[ "${PREEMPTIONS:-0}" -ge 1 ]] && "$K" get pod -n "$NS" "$JOB-2" >/dev/null 2>&1 \
          && [[ "$("$K" get pod -n "$NS" gpu-hog -o 'jsonpath={.status.phase}' 2>/dev/null)" == Running ]]; then
        say "  kube-scheduler preempted $JOB-1; the operator counted preemption $PREEMPTIONS and created $JOB-2:"
        "$K" get events -n "$NS" --field-selector involvedObject.name="$JOB-1" \
          -o custom-columns='REASON:.reason,MESSAGE:.message' 2>/dev/null | grep -i -E 'preempt|REASON' | sed 's/^/    /' || true
        "$K" get events -n "$NS" --field-selector involvedObject.kind=FineTuneJob \
          -o custom-columns='REASON:.reason,MESSAGE:.message' 2>/dev/null | sed 's/^/    /' | cut -c1-220 || true
        say "  $JOB-2 is $("$K" get pod -n "$NS" "$JOB-2" -o 'jsonpath={.status.phase}') while the high-priority pod runs; holding it 5 s"
        sleep 5
        printf '  %-8s %s   %s\n' "$(date +%T)" "$(row)" "$(pods_line)"
        say "  deleting the high-priority pod: $JOB-2 gets the node and resumes from the checkpoint"
        "$K" delete pod -n "$NS" gpu-hog --wait=false >/dev/null
        stage=resuming
      fi ;;
    resuming) ;;
  esac
  [[ "$PHASE" == Succeeded || "$PHASE" == Failed ]] && break
  sleep 2
done

# --- 6. final status, comparison, plot -------------------------------------------------------------------------
say "6/7 final status"
"$K" get ftj "$JOB" -n "$NS" -o jsonpath='{"  phase: "}{.status.phase}{"   attempt: "}{.status.attempt}{"   step: "}{.status.step}{"   preemptions: "}{.status.preemptions}{"   failures: "}{.status.failures}{"\n  schedule: cycle "}{.status.schedule.cycle}{", step "}{.status.schedule.cycleStep}{" of "}{.status.schedule.cycleLength}{", lr "}{.status.schedule.learningRate}{", "}{.status.schedule.fingerprint}{"\n  loss: "}{.status.loss}{"   validationLoss: "}{.status.validationLoss}{"\n  finalModel: "}{.status.finalModel}{"\n  lastTerminationMessage: "}{.status.lastTerminationMessage}{"\n  conditions:\n"}{range .status.conditions[*]}{"    "}{.type}{"="}{.status}{" ("}{.reason}{")\n"}{end}'
"$K" get events -n "$NS" --field-selector involvedObject.kind=FineTuneJob --sort-by=.metadata.creationTimestamp \
  -o custom-columns='EVENT:.reason,MESSAGE:.message' 2>/dev/null | sed 's/^/  /' | cut -c1-200 || true
# The trainer's own output, as a user reads it: kubectl logs through kube-apiserver and the node agent's kubelet port.
LAST_ATTEMPT="$(field attempt)"
if [[ -n "$LAST_ATTEMPT" ]]; then
  say "  kubectl logs $JOB-$LAST_ATTEMPT -n $NS --tail=3   (the last attempt's trainer output)"
  "$K" logs "$JOB-$LAST_ATTEMPT" -n "$NS" --tail=3 2>&1 | cut -c1-200 | sed 's/^/    /' || true
fi
# Keep the trainers' output (the devcluster's pod directories go away with it).
ATTEMPT_LOGS=()
for n in 1 2 3 4 5 6 7 8 9; do
  d="$(ls -d "$ANNEALER_DEVCLUSTER_DIR/pods/${NS}_${JOB}-${n}_"* 2>/dev/null | head -1 || true)"
  [[ -n "$d" ]] || continue
  cp "$d"/containers/*/output.log "$OUT/logs/$JOB-$n.log"
  ATTEMPT_LOGS+=(--attempt-log "$OUT/logs/$JOB-$n.log")
done
say "  resume: $(grep -h -o 'event=preempted .*' "$OUT/logs/$JOB-1.log" | cut -d' ' -f1-4 || true) -> $(grep -h -o 'event=resume .*' "$OUT"/logs/"$JOB"-2.log 2>/dev/null | cut -d' ' -f1-3 || true)"
if kill -0 "$REFERENCE_PID" 2>/dev/null; then say "  waiting for the uninterrupted local run to finish"; fi
wait "$REFERENCE_PID" || fail "the uninterrupted local run failed: $(tail -n 3 "$OUT/uninterrupted/output.log")"
REFERENCE_PID=""
say "  uninterrupted local run: $(tail -n 1 "$OUT/uninterrupted/output.log")"
MERGED="$OUT/uninterrupted/checkpoints/final/merged"
BASE_MODEL="$(awk '/^  model:/ {m = 1; next} m && /^    source:/ {print $2; exit}' "$EXAMPLE")"
if [[ -d "$MERGED" && -d "$BASE_MODEL" ]]; then
  say "  greedy answers to held-out tickets, before (the base model) and after (the fine-tune, adapter merged):"
  java $JAVA_TRAINER_OPTS -cp "$CP" dev.annealer.trainer.hf.tools.Answer \
    --tickets examples/data/support-tickets-heldout.jsonl --first 2 \
    --model before="$BASE_MODEL" --model after="$MERGED" 2>"$OUT/logs/answers.err" | sed 's/^/    /' \
    || say "  (answers failed: $(tail -n 3 "$OUT/logs/answers.err"))"
fi
FINAL_MESSAGE="$(field lastTerminationMessage)"
set +e
REPORT="$(java -cp "$DEMO_CP" dev.annealer.e2e.DemoReport --job "$JOB" --phase "$PHASE" \
  --preemptions "${PREEMPTIONS:-0}" --failures "${FAILURES:-0}" --final-message "$FINAL_MESSAGE" \
  --job-yaml "$OUT/uninterrupted/job.yaml" "${ATTEMPT_LOGS[@]}" \
  --uninterrupted-log "$OUT/uninterrupted/output.log" --png "$OUT/$JOB-lr-loss.png" 2>&1)"
RC=$?
set -e

# --- 7. clean up, then the verdict -----------------------------------------------------------------------------
say "7/7 cleaning up (operator stopped, devcluster down)"
cleanup
say "done in $((SECONDS - T0)) s; logs in $OUT/logs"
printf '%s\n' "$REPORT" | sed '$d' | sed 's/^/  /'
printf '%s\n' "$REPORT" | tail -n 1
exit "$RC"
