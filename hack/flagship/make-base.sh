#!/usr/bin/env bash
# Rebuilds the flagship example's base model, examples/models/support-base/, from nothing but this repository:
#
#   1. data       python3 hack/flagship/make_data.py      (stdlib, seeded: examples/data/support-*.jsonl)
#   2. tokenizer  hack/flagship/make_tokenizer.py          (byte-level BPE, 2048 tokens, `tokenizers` from PyPI in a
#                                                          throwaway virtualenv; result: hack/flagship/tokenizer/)
#   3. init       RandomInit                               (hack/flagship/config.json, N(0, 0.02), seed 20261130)
#   4. pretrain   bin/annealer train -f hack/flagship/pretrain-base.yaml   (Annealer itself, one CPU thread)
#   5. copy       target/flagship/pretrain/final/ -> examples/models/support-base/ (README.md kept)
#
# Steps 1 and 2 only rewrite committed files (byte-identical when nothing changed); --skip-python skips them, so the
# model can be rebuilt without Python from the committed data and tokenizer. Needs the CLI built:
#   mvn -B -q -pl cli -am package -DskipTests
# Run from anywhere:  hack/flagship/make-base.sh [--skip-python]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
SKIP_PYTHON=false
[[ "${1:-}" == "--skip-python" ]] && SKIP_PYTHON=true
WORK=target/flagship
CP="cli/target/annealer-cli.jar:cli/target/lib/*"
[[ -f cli/target/annealer-cli.jar ]] || { echo "make-base: build the CLI first: mvn -B -q -pl cli -am package -DskipTests" >&2; exit 3; }

if ! $SKIP_PYTHON; then
  python3 hack/flagship/make_data.py examples/data
  VENV="$(mktemp -d /tmp/annealer-flagship-venv.XXXXXX)"
  trap 'rm -rf "$VENV"' EXIT
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q tokenizers==0.23.3
  "$VENV/bin/python" hack/flagship/make_tokenizer.py hack/flagship/tokenizer examples/data
fi

rm -rf "$WORK"
mkdir -p "$WORK/init"
cp hack/flagship/config.json hack/flagship/tokenizer/tokenizer.json hack/flagship/tokenizer/tokenizer_config.json \
  "$WORK/init/"
java -Dai.djl.offline=true -cp "$CP" dev.annealer.trainer.hf.tools.RandomInit "$WORK/init" 20261130

start=$SECONDS
ANNEALER_CPU_THREADS=1 bin/annealer train -f hack/flagship/pretrain-base.yaml --checkpoint-dir "$WORK/pretrain" \
  --log-every 50 | tee "$WORK/pretrain.out"
echo "make-base: pretraining took $((SECONDS - start)) s"

OUT=examples/models/support-base
mkdir -p "$OUT"
find "$OUT" -mindepth 1 ! -name README.md -delete
cp -r "$WORK/pretrain/final/." "$OUT/"
ls -l "$OUT"
