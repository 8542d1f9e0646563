#!/usr/bin/env bash
# GPU smoke run, for anyone with an NVIDIA GPU machine (this project's CI machines have none, so it never runs in CI).
# Builds the trainer with the CUDA native library (libtorch 2.5.1 cu124, ~2.4 GB download, cached in ~/.m2) and runs
# each job on --device gpu, printing the device the trainer chose and its steps/s. A job whose trainer falls back or
# fails (NoGPU) makes the script exit non-zero.
#
#   hack/gpu-smoke.sh                       # the quickstart, plus the HF conformance jobs when present
#   hack/gpu-smoke.sh examples/foo.yaml ... # these jobs
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
OUT="${GPU_SMOKE_OUT:-$(mktemp -d)}"
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/annealer/djl-cu124}"

mvn -B -q -P cuda -pl trainer-image -am package -DskipTests
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true

jobs=("$@")
if [[ ${#jobs[@]} -eq 0 ]]; then
  jobs=(examples/quickstart.yaml)
  for j in trainer-image/src/test/resources/hf/*/job.yaml; do [[ -f "$j" ]] && jobs+=("$j"); done
fi

status=0
for job in "${jobs[@]}"; do
  name="$(basename "$(dirname "$job")")-$(basename "$job" .yaml)"
  log="$OUT/$name.log"
  start=$(date +%s.%N)
  # gpus: the spec's request is what --device gpu checks; a job with gpus: 0 still asks for one GPU here
  if ! JAVA_OPTS="${JAVA_OPTS:-} -Dai.djl.offline=true" trainer-image/bin/annealer-trainer train -f "$job" \
      --checkpoint-dir "$OUT/$name" --device gpu --log-every 50 --no-progress-bar >"$log" 2>&1; then
    echo "FAIL $job (see $log):"; grep -E 'event=(failed|gpu-environment)' "$log" || tail -5 "$log"; status=1; continue
  fi
  end=$(date +%s.%N)
  steps=$(grep -o 'event=done step=[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  device=$(grep -o 'event=device device=[^ ]*' "$log" | head -1 | cut -d= -f3)
  rate=$(awk -v s="$steps" -v a="$start" -v b="$end" 'BEGIN{printf "%.1f", s/(b-a)}')
  echo "ok   $job device=$device steps=$steps steps/s(wall, incl. JVM start)=$rate"
  [[ "$device" == gpu* ]] || { echo "     expected a GPU device"; status=1; }
done
exit $status
