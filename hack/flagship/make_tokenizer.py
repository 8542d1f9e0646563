#!/usr/bin/env python3
"""Trains the flagship base model's tokenizer: byte-level BPE, 2048 tokens, with the `tokenizers` package.

Special tokens: <pad> = 0, <s> = 1 (bos, prepended to every encoded text, as Llama tokenizers do), </s> = 2 (eos).
Trained on the texts of examples/data/support-corpus.jsonl and the prompts and completions of
examples/data/support-tickets-train.jsonl. Writes tokenizer.json and tokenizer_config.json (what
`PreTrainedTokenizerFast.save_pretrained` writes, and what the trainer reads) to OUT_DIR.

Needs `tokenizers` (pip install tokenizers==0.23.3); hack/flagship/make-base.sh runs it in a throwaway virtualenv.
Run from the repository root:  python3 hack/flagship/make_tokenizer.py OUT_DIR
"""
import json
import os
import sys

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers

VOCAB_SIZE = 2048
SPECIAL = ["<pad>", "<s>", "</s>"]


def texts(data_dir):
    with open(os.path.join(data_dir, "support-corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)["text"]
    with open(os.path.join(data_dir, "support-tickets-train.jsonl"), encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            yield r["prompt"]
            yield r["completion"]


def main():
    out = sys.argv[1]
    data_dir = sys.argv[2] if len(sys.argv) > 2 else os.path.join("examples", "data")
    os.makedirs(out, exist_ok=True)
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=SPECIAL, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(texts(data_dir), trainer=trainer)
    bos = tok.token_to_id("<s>")
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", bos)])
    assert [tok.token_to_id(t) for t in SPECIAL] == [0, 1, 2]
    tok.save(os.path.join(out, "tokenizer.json"))
    config = {
        "bos_token": "<s>",
        "eos_token": "</s>",
        "pad_token": "<pad>",
        "model_max_length": 256,
        "clean_up_tokenization_spaces": False,
        "tokenizer_class": "PreTrainedTokenizerFast",
    }
    with open(os.path.join(out, "tokenizer_config.json"), "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(config, indent=2) + "\n")
    print(f"tokenizer: {tok.get_vocab_size()} tokens -> {out}")


if __name__ == "__main__":
    main()
