"""Summarizes benchmarks/hf/run.sh's results.jsonl as a Markdown table, per mode and side: step time p50 (wall and
process CPU), tokens/s over the measured steps (total tokens / total time, wall and CPU), the Annealer/PyTorch
ratios, the step-1 loss of both sides (same weights and batches, so it must agree), and peak RSS.

On a machine shared with other work the wall-clock figures measure the scheduler as much as the trainer; with one
intra-op thread, process CPU time per step is the load-independent measure of the work done."""
import json
import statistics
import sys


def main(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    modes = []
    for r in rows:
        if r["mode"] not in modes:
            modes.append(r["mode"])
    print("| mode | side | trainable params | step ms p50 (wall) | step CPU ms p50 | tokens/s (wall) | tokens/CPU-s "
          "| peak RSS MB | loss step 1 | Annealer / PyTorch tokens/s: CPU (wall) |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    warnings = []
    for mode in modes:
        agg = {}
        for side in ("pytorch", "annealer"):
            rs = [r for r in rows if r["mode"] == mode and r["side"] == side]
            if not rs:
                continue
            ms = [m for r in rs for m in r["stepMs"]]
            cpu = [m for r in rs for m in r["cpuMs"]]
            tokens = sum(t for r in rs for t in r["tokens"])
            agg[side] = {
                "p50": statistics.median(ms), "cpu50": statistics.median(cpu),
                "tps": tokens / (sum(ms) / 1000), "cps": tokens / (sum(cpu) / 1000),
                "rss": max(r["peakRssMb"] for r in rs), "loss1": rs[0]["losses"][0],
                "trainable": rs[0]["trainable"], "tokens": tokens,
            }
        for side in ("pytorch", "annealer"):
            if side not in agg:
                continue
            a = agg[side]
            ratio = ""
            if side == "annealer" and "pytorch" in agg:
                p = agg["pytorch"]
                ratio = "**%.2f×** (%.2f×)" % (a["cps"] / p["cps"], a["tps"] / p["tps"])
            print("| %s | %s | %d | %.0f | %.0f | %.1f | %.1f | %d | %.5f | %s |" % (
                mode, side, a["trainable"], a["p50"], a["cpu50"], a["tps"], a["cps"], a["rss"], a["loss1"], ratio))
        if len(agg) == 2:
            rel = abs(agg["annealer"]["loss1"] - agg["pytorch"]["loss1"]) / abs(agg["pytorch"]["loss1"])
            if rel > 1e-4:
                warnings.append("%s: step-1 losses differ by %.2e relative: the two sides do not train the same thing"
                                % (mode, rel))
            if agg["annealer"]["tokens"] != agg["pytorch"]["tokens"]:
                warnings.append("%s: the sides counted different token totals (%d vs %d)"
                                % (mode, agg["annealer"]["tokens"], agg["pytorch"]["tokens"]))
    for w in warnings:
        print("\nWARNING " + w)


if __name__ == "__main__":
    main(sys.argv[1])
