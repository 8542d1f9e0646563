"""Expected LR range test suggestions from fastai itself, for LrSuggestionsFastaiTest.

Writes synthetic range-test curves (the trainer's CSV format: step,learningRate,loss,smoothedLoss, smoothed with
fastai's bias-corrected EMA 0.98 and stopped like fastai's LRFinder when the smoothed loss exceeds 4x its best), then
runs fastai 2.8.12's suggestion functions on every CSV in the folder exactly as Learner.lr_find does (window
[num_it//10:-5] of the recorded rates and smoothed losses, as fastai tensors) and writes expected.json.

Run it in a throwaway virtualenv, never in the repository:
    python3 -m venv /tmp/fastai-venv && /tmp/fastai-venv/bin/pip install fastai==2.8.12
    /tmp/fastai-venv/bin/python trainer-image/src/test/python/fastai_lr_suggestions.py trainer-image/src/test/resources/lr-range

CSVs already in the folder that this script did not write are read too; their planned sweep length comes from
planned-steps.json. quickstart-mlp64.csv was recorded by the real trainer: examples/quickstart.yaml with
`source: builtin:mlp?hidden=64,64`, `maxSteps: 200` and `mode: lrRangeTest`, run with
`bin/annealer train -f <that file> --checkpoint-dir <dir>` (its <dir>/lr-range-test.csv).
"""
import json
import math
import os
import sys

import numpy as np
import torch
import fastai
from fastai.torch_core import tensor
from fastai.callback.schedule import valley, steep, minimum, slide

RULES = {"valley": valley, "steep": steep, "minimum": minimum, "slide": slide}


def sweep(num_it, start, end, loss_of_lr, noise, seed):
    """A range test as fastai's LRFinder records it: lr_i = start*(end/start)**(i/num_it), smoothed, stop at 4x best."""
    rng = np.random.default_rng(seed)
    rows, val, best = [], 0.0, math.inf
    for i in range(num_it):
        lr = start * (end / start) ** (i / num_it)
        loss = loss_of_lr(lr) * (1 + noise * rng.standard_normal())
        val = 0.98 * val + 0.02 * loss
        smooth = val / (1 - 0.98 ** (i + 1))
        rows.append((i, lr, loss, smooth))
        if smooth > 4 * best:
            break
        best = min(best, smooth)
    return rows


def bowl(floor, at, width, rise):
    """Flat, falling around `at` (log10 lr), then diverging."""
    def f(lr):
        x = math.log10(lr)
        fall = 1 / (1 + math.exp((x - at) * 3 / width))
        blow = math.exp(rise * max(0.0, x - at - width))
        return floor + (1 - floor) * fall + floor * (blow - 1)
    return f


def two_dips(lr):
    x = math.log10(lr)
    return 2 - 0.5 / (1 + math.exp(-(x + 5) * 4)) - 1.0 / (1 + math.exp(-(x + 2) * 4)) + 0.05 * math.exp(3 * max(0, x))


SYNTHETIC = {
    # name: (planned steps, start, end, loss(lr), relative noise, seed)
    "clean-bowl-100": (100, 1e-7, 10, bowl(0.2, -2.5, 1.0, 4.0), 0.0, 1),
    "noisy-bowl-300": (300, 1e-7, 10, bowl(0.3, -3.0, 1.5, 3.0), 0.25, 2),
    "very-noisy-200": (200, 1e-6, 1, bowl(0.5, -2.0, 0.8, 5.0), 0.6, 3),
    "two-dips-150": (150, 1e-7, 10, two_dips, 0.05, 4),
    "short-diverging-40": (40, 1e-5, 100, bowl(0.4, -3.0, 0.5, 8.0), 0.1, 5),
    "flat-then-fall-120": (120, 1e-7, 10, lambda lr: 1.0 if lr < 1e-3 else max(0.1, 1.0 - 0.3 * math.log10(lr / 1e-3)) + (0.0 if lr < 1 else 5 * (lr - 1)), 0.0, 6),
    "long-sweep-1000": (1000, 1e-8, 10, bowl(0.25, -3.5, 2.0, 2.0), 0.3, 7),
}


def write_csv(path, rows):
    with open(path, "w") as f:
        f.write("step,learningRate,loss,smoothedLoss\n")
        for i, lr, loss, s in rows:
            f.write(f"{i},{lr!r},{loss!r},{s!r}\n")


def read_csv(path):
    lrs, smooth = [], []
    with open(path) as f:
        next(f)
        for line in f:
            _, lr, _, s = line.strip().split(",")
            lrs.append(float(lr))
            smooth.append(float(s))
    return lrs, smooth


def expected(rec_lrs, rec_losses, num_it):
    """What Learner.lr_find computes after the sweep, rule by rule, with the index each rule picked."""
    lrs, losses = tensor(rec_lrs[num_it // 10:-5]), tensor(rec_losses[num_it // 10:-5])
    nan_idxs = torch.nonzero(torch.isnan(losses.view(-1)))
    assert len(nan_idxs) == 0, "the curves have no NaN"
    out = {}
    for name, func in RULES.items():
        try:
            lr, (lr_at, _) = func(lrs, losses, num_it)
        except Exception as e:  # fastai raises on windows too short for the rule (slide needs 16 points)
            out[name] = {"error": f"{type(e).__name__}: {e}"}
            continue
        hits = torch.nonzero(lrs == torch.tensor(lr_at, dtype=lrs.dtype)).view(-1).tolist()
        assert len(hits) == 1, (name, lr_at, hits)
        out[name] = {"learningRate": float(lr), "step": num_it // 10 + hits[0]}
    return out


def main(folder):
    planned_path = os.path.join(folder, "planned-steps.json")
    planned = json.load(open(planned_path)) if os.path.exists(planned_path) else {}
    for name, (num_it, start, end, f, noise, seed) in SYNTHETIC.items():
        write_csv(os.path.join(folder, name + ".csv"), sweep(num_it, start, end, f, noise, seed))
        planned[name + ".csv"] = num_it
    with open(planned_path, "w") as f:
        json.dump(dict(sorted(planned.items())), f, indent=2)
        f.write("\n")
    curves = []
    for csv in sorted(planned):
        lrs, smooth = read_csv(os.path.join(folder, csv))
        curves.append({"csv": csv, "plannedSteps": planned[csv], "points": len(lrs),
                       **expected(lrs, smooth, planned[csv])})
    result = {"generator": "trainer-image/src/test/python/fastai_lr_suggestions.py",
              "fastai": fastai.__version__, "torch": torch.__version__, "numpy": np.__version__, "curves": curves}
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    for c in curves:
        print(c["csv"], {k: v for k, v in c.items() if k in RULES})


if __name__ == "__main__":
    main(sys.argv[1])
