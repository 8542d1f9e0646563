#!/usr/bin/env bash
# A throw-away Python virtualenv with PyTorch eager + transformers + peft for the Hugging Face training benchmark
# (benchmarks/hf/, `make bench-hf`). Not part of `make test`: the torch wheel from PyPI is the CUDA build and pulls
# the nvidia-* runtime wheels (~4 GB in all), which it needs to import even on a CPU-only machine.
#
#   hack/hfbench-venv.sh          # create/complete the venv (seconds when warm), print its python
#
# torch 2.5.1 is the libtorch that DJL 0.33's PyTorch engine loads (docs/engine.md), so both sides run the same
# kernels; transformers/peft are pinned to releases of the same period that support it.
# Environment: ANNEALER_HFBENCH_VENV (default ~/.cache/annealer/venv-hfbench), PYTHON (default python3).
set -euo pipefail

VENV="${ANNEALER_HFBENCH_VENV:-${HOME}/.cache/annealer/venv-hfbench}"
PY="${PYTHON:-python3}"
PINS=(torch==2.5.1 transformers==4.46.3 peft==0.13.2 safetensors numpy)
STAMP="${VENV}/.annealer-stamp"
WANT="${PINS[*]}"

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" ]]; then
  echo "${VENV}/bin/python"
  exit 0
fi
echo "hfbench-venv: installing ${WANT} into ${VENV}" >&2
"$PY" -m venv "$VENV"
"${VENV}/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip >&2
"${VENV}/bin/python" -m pip install -q --disable-pip-version-check "${PINS[@]}" >&2
"${VENV}/bin/python" -c 'import torch, transformers, peft; print("torch", torch.__version__, "transformers",
    transformers.__version__, "peft", peft.__version__)' >&2
echo "$WANT" > "$STAMP"
echo "${VENV}/bin/python"
