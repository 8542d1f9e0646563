"""PyTorch eager side of the Hugging Face training benchmark (benchmarks/hf/run.sh).

Trains the model directory MODEL with `transformers` + `torch.optim.AdamW` (+ `peft` LoRA) on the causal-LM text
records of DATA exactly as Annealer batches them (the conformance conventions: tokenize(text, with special tokens)
+ [eos], cut to maxLength, records in file order, batch s = records s*B .. s*B+B-1, right padding), one optimizer
step = forward, loss, backward, global-norm clipping, AdamW step, zero_grad, at a constant learning rate. Prints one
JSON line: per-step wall and process-CPU milliseconds, the losses, tokens per step and peak RSS.
"""
import argparse
import json
import resource
import time

import torch
from tokenizers import Tokenizer
from transformers import LlamaForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--mode", choices=["full", "lora"], required=True)
    ap.add_argument("--batch", type=int, required=True)
    ap.add_argument("--max-length", type=int, required=True)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=1e-4)
    ap.add_argument("--weight-decay", type=float, default=0.0)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--lora-rank", type=int, default=8)
    ap.add_argument("--lora-alpha", type=float, default=16)
    ap.add_argument("--lora-targets", default="q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj")
    ap.add_argument("--attn", default="sdpa", help="transformers attn_implementation: sdpa (its default) or eager")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.set_num_interop_threads(1)
    torch.manual_seed(0)

    tok = Tokenizer.from_file(f"{a.model}/tokenizer.json")
    cfg = json.load(open(f"{a.model}/config.json"))
    eos, pad = cfg["eos_token_id"], cfg["pad_token_id"]
    records = [json.loads(l)["text"] for l in open(a.data) if l.strip()]

    model = LlamaForCausalLM.from_pretrained(a.model, torch_dtype=torch.float32, attn_implementation=a.attn)
    model.train()
    if a.mode == "lora":
        from peft import LoraConfig, get_peft_model
        model = get_peft_model(model, LoraConfig(r=a.lora_rank, lora_alpha=a.lora_alpha, lora_dropout=0.0,
                                                 target_modules=a.lora_targets.split(","), task_type="CAUSAL_LM"))
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=a.lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=a.weight_decay)

    def batch(step):
        texts = [records[(step * a.batch + i) % len(records)] for i in range(a.batch)]
        rows = [(e.ids + [eos])[: a.max_length] for e in tok.encode_batch(texts)]
        t = max(len(r) for r in rows)
        ids = torch.tensor([r + [pad] * (t - len(r)) for r in rows], dtype=torch.long)
        mask = torch.tensor([[1] * len(r) + [0] * (t - len(r)) for r in rows], dtype=torch.long)
        labels = ids.masked_fill(mask == 0, -100)
        return ids, mask, labels, int(mask.sum())

    ms, cpu_ms, losses, tokens = [], [], [], []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        c0 = time.process_time()
        ids, mask, labels, n = batch(step)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, a.clip)
        opt.step()
        opt.zero_grad(set_to_none=True)
        lv = loss.item()
        dt = (time.perf_counter() - t0) * 1000
        dc = (time.process_time() - c0) * 1000
        losses.append(lv)
        if step >= a.warmup:
            ms.append(dt)
            cpu_ms.append(dc)
            tokens.append(n)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"side": "pytorch", "mode": a.mode, "attn": a.attn, "threads": torch.get_num_threads(),
                      "torch": torch.__version__, "trainable": sum(p.numel() for p in params), "stepMs": ms, "cpuMs": cpu_ms,
                      "tokens": tokens, "losses": losses, "peakRssMb": round(rss_mb)}))


if __name__ == "__main__":
    main()
