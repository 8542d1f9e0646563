#!/usr/bin/env bash
# Hugging Face training throughput, Annealer against PyTorch eager, side by side in one run (`make bench-hf`).
#
# The same ~52M-parameter Llama (examples/models/llama-50m/config.json, random weights from RandomInit seed 0), the
# same records (long texts cut from examples/data/support-corpus.jsonl, so every record fills maxLength), the same
# batch, sequence length, AdamW settings, clipping and intra-op thread count, for a full fine-tune and a LoRA
# fine-tune (r=8, alpha=16, every attention and MLP projection). One optimizer step = tokenize, forward, loss,
# backward, global-norm clipping, AdamW update, zeroed gradients, at a constant learning rate:
#   PyTorch: benchmarks/hf/bench_torch.py (transformers LlamaForCausalLM, peft, torch.optim.AdamW)
#   Annealer: dev.annealer.trainer.bench.HfStepBench (the trainer's HfTrainee.step, what `annealer train` runs)
# Rounds alternate the two sides so that load from other processes hits both. Prints a Markdown table.
#
# Environment: THREADS (1), BATCH (4), SEQ (128), WARMUP (2), STEPS (8), ROUNDS (1), MODES ("full lora"),
#   ATTN (sdpa: transformers' default attention; eager for its matmul/softmax path), OUT (target/bench-hf).
# Needs: the venv of hack/hfbench-venv.sh (created on first use, ~4 GB), Maven offline (trainer-image test classes).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
THREADS="${THREADS:-1}"; BATCH="${BATCH:-4}"; SEQ="${SEQ:-128}"; WARMUP="${WARMUP:-2}"; STEPS="${STEPS:-8}"
ROUNDS="${ROUNDS:-1}"; MODES="${MODES:-full lora}"; ATTN="${ATTN:-sdpa}"; OUT="${OUT:-$root/target/bench-hf}"
CACHE="${HOME}/.cache/annealer/hfbench"
mkdir -p "$OUT" "$CACHE"

PY="$(bash hack/hfbench-venv.sh)"
echo "bench-hf: compiling trainer-image (offline)" >&2
nice mvn -B -q -o -pl trainer-image -am test-compile
# -am: the reactor's view of the dependencies (crds' own, e.g. CEL); the project's modules come from their target/
nice mvn -B -q -o -pl trainer-image -am dependency:build-classpath -Dmdep.outputFile=target/bench-cp.txt \
  -Dmdep.includeScope=test
DEPS="$(tr ':' '\n' < trainer-image/target/bench-cp.txt | grep -v '/dev/annealer/' | paste -sd: -)"
CP="trainer-image/target/test-classes:trainer-image/target/classes:crds/target/classes:schedule/target/classes:$DEPS"
JAVA=(java -Dai.djl.offline=true -Dai.djl.pytorch.num_threads="$THREADS" -Dai.djl.pytorch.num_interop_threads=1 -cp "$CP")
export DJL_CACHE_DIR="${DJL_CACHE_DIR:-$HOME/.cache/annealer/djl}"

# The model: config + tokenizer from the repository, weights made once (deterministic) in the cache.
MODEL="$CACHE/llama-50m"
mkdir -p "$MODEL"
for f in config.json tokenizer.json tokenizer_config.json; do cp -L "examples/models/llama-50m/$f" "$MODEL/$f.new"
  if ! cmp -s "$MODEL/$f.new" "$MODEL/$f"; then mv "$MODEL/$f.new" "$MODEL/$f"; rm -f "$MODEL/model.safetensors"; else rm "$MODEL/$f.new"; fi
done
if [[ ! -f "$MODEL/model.safetensors" ]]; then
  echo "bench-hf: random weights (RandomInit seed 0) -> $MODEL" >&2
  "${JAVA[@]}" dev.annealer.trainer.hf.tools.RandomInit "$MODEL" 0 >&2
fi

# The data: records of ~3x SEQ words from the support corpus, each at least SEQ tokens (checked).
DATA="$CACHE/texts-$SEQ.jsonl"
if [[ ! -s "$DATA" ]]; then
  "$PY" - "$MODEL" examples/data/support-corpus.jsonl "$DATA" "$SEQ" <<'PYEOF'
import json, sys
from tokenizers import Tokenizer
model, corpus, out, seq = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
tok = Tokenizer.from_file(model + "/tokenizer.json")
lines = [json.loads(l)["text"] for l in open(corpus) if l.strip()]
recs, cur = [], []
for l in lines:
    cur.append(l)
    if len(tok.encode(" ".join(cur)).ids) >= seq:
        recs.append(" ".join(cur)); cur = []
with open(out, "w") as f:
    for r in recs:
        f.write(json.dumps({"text": r}) + "\n")
print(f"bench-hf: {len(recs)} records of >= {seq} tokens -> {out}", file=sys.stderr)
PYEOF
fi

job() {  # job MODE -> path of a FineTuneJob for HfStepBench
  local mode="$1" f="$OUT/job-$1.yaml"
  cat > "$f" <<YAML
apiVersion: annealer.dev/v1alpha1
kind: FineTuneJob
metadata:
  name: bench-hf-$mode
spec:
  model:
    source: $MODEL
    format: huggingface
$( [[ "$mode" == lora ]] && printf '    lora: {rank: 8, alpha: 16, dropout: 0.0, targetModules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]}\n' )
  data:
    train: $DATA
    format: jsonl
    task: causalLM
    text: text
    maxLength: $SEQ
    shuffle: false
  training:
    maxSteps: 1000
    batchSize: $BATCH
    seed: 1
  optimizer:
    type: AdamW
    learningRate: 1.0e-4
    weightDecay: 0.0
    gradientClipNorm: 1.0
  schedule:
    type: Constant
YAML
  echo "$f"
}

RESULTS="$OUT/results.jsonl"
: > "$RESULTS"
echo "bench-hf: threads=$THREADS batch=$BATCH seq=$SEQ warmup=$WARMUP steps=$STEPS rounds=$ROUNDS attn=$ATTN" >&2
for r in $(seq 1 "$ROUNDS"); do
  for mode in $MODES; do
    echo "bench-hf: round $r $mode: pytorch" >&2
    OMP_NUM_THREADS="$THREADS" nice "$PY" benchmarks/hf/bench_torch.py --model "$MODEL" --data "$DATA" --mode "$mode" \
      --batch "$BATCH" --max-length "$SEQ" --warmup "$WARMUP" --steps "$STEPS" --threads "$THREADS" --attn "$ATTN" \
      | sed "s/^{/{\"round\": $r, /" >> "$RESULTS"
    echo "bench-hf: round $r $mode: annealer" >&2
    OMP_NUM_THREADS="$THREADS" nice "${JAVA[@]}" dev.annealer.trainer.bench.HfStepBench "$(job "$mode")" "$WARMUP" "$STEPS" \
      "$THREADS" 2>"$OUT/annealer-$mode.log" | sed "s/^{/{\"round\": $r, /" >> "$RESULTS"
  done
done
"$PY" benchmarks/hf/summarize.py "$RESULTS"
