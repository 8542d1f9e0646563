#!/usr/bin/env bash
# Data-parallel scaling on this machine: the tiny Llama LoRA job of DataParallelExactnessTest (and its full fine-tune
# twin, llama-full) trained with 1 and with 2 CPU workers (Gloo), side by side. Prints, per run, the examples/s rank 0
# reports at its last step (the whole global batch per step, steady state, JVM start and model load excluded) and the
# collectives' calls and payload bytes (event=collectives). Needs the trainer module built (mvn -pl trainer-image -am
# test-compile builds the c10d bridge too). docs/benchmarks.md has the figures.
#   hack/bench-workers.sh [STEPS]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
steps="${1:-60}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$root" && mvn -B -q -o -pl trainer-image -am dependency:build-classpath \
  -Dmdep.outputFile="$work/cp-\${project.artifactId}.txt" >/dev/null)
cp="$root/trainer-image/target/classes:$root/crds/target/classes:$root/schedule/target/classes:$(cat "$work/cp-annealer-trainer.txt")"
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/annealer/djl}"
export ANNEALER_C10D_LIBRARY="$root/trainer-image/target/native/libannealer_c10d.so"
res="$root/trainer-image/src/test/resources/hf"
for case in llama-lora llama-full; do
  c="$res/$case"
  lora=""
  [[ -d "$c/adapter-init" ]] && lora="lora: {rank: 4, alpha: 8, targetModules: [q_proj, v_proj], initFrom: $c/adapter-init}"
  cat > "$work/$case.yaml" <<YAML
apiVersion: annealer.dev/v1alpha1
kind: FineTuneJob
metadata: {name: bench-$case, namespace: bench, uid: u-bench}
spec:
  model: {source: $c/model, format: huggingface, ${lora}}
  data: {train: $c/train.jsonl, format: jsonl, task: causalLM, prompt: prompt, completion: completion, maxLength: 48}
  training: {maxSteps: $steps, batchSize: 8, seed: 5}
  optimizer: {type: AdamW, learningRate: 0.001}
  checkpoint: {everySteps: $steps, keepLast: 1}
YAML
  for n in 1 2; do
    out="$work/$case-$n.out"
    start=$(date +%s.%N)
    java -Xmx512m -cp "$cp" dev.annealer.trainer.TrainerMain train -f "$work/$case.yaml" --checkpoint-dir "$work/ck-$case-$n" \
      --log-every "$steps" --no-progress-bar --workers "$n" > "$out" 2>"$work/$case-$n.err"
    end=$(date +%s.%N)
    eps=$(grep -o 'event=step step=[0-9]* .*examplesPerSecond=[^ ]*' "$out" | tail -1 | grep -o 'examplesPerSecond=[^ ]*')
    coll=$(grep -o 'event=collectives.*' "$out" | sed 's/event=collectives //' || true)
    params=$(grep -o 'trainableParameters=[0-9]*' "$out" | head -1)
    printf '%-10s workers=%s %s %s wallSeconds=%.1f %s\n' "$case" "$n" "$params" "$eps" "$(echo "$end - $start" | bc)" "$coll"
  done
done
