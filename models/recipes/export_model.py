"""Export a trained default model to its transformers.js folder and write its PyTorch golden.

  python export_model.py code      --run work/run-code      --data work/code      --out ../tealeaf-code \
      --golden ../../test/fixtures/goldens/tealeaf-code.json
  python export_model.py translate --run work/run-translate --data work/translate --out ../tealeaf-translate \
      --golden ../../test/fixtures/goldens/tealeaf-translate.json

The ONNX export, its verification against eager and the golden format belong to tealeaf_export.py;
this script only wraps the trained weights and tokenizer, picks a golden prompt whose greedy steps are
well separated, and copies the training records (loss curve, summary, evaluation, corpus manifest)
into <out>/training/.
"""
from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from transformers import PreTrainedTokenizerFast

import tealeaf_export as te

# Golden prompts, tried in order: the first whose greedy steps all have a clear top-1 margin wins.
CODE_PROMPTS = [
    "function add(a, b) {\n    return",
    "import os\n\ndef read_file(path):\n",
    "const express = require('express');\nconst app =",
    "for (let i = 0; i < items.length; i++) {\n",
]
TRANSLATE_SOURCES = [
    (">>de<<", "Could not open the file."),
    (">>de<<", "Save the document"),
    (">>de<<", "File not found"),
    (">>en<<", "Die Datei konnte nicht geöffnet werden."),
]


def load_tokenizer(task: str, path: Path) -> PreTrainedTokenizerFast:
    if task == "code":
        return PreTrainedTokenizerFast(tokenizer_file=str(path), bos_token="<|endoftext|>",
                                       eos_token="<|endoftext|>", unk_token="<|endoftext|>",
                                       pad_token="<|endoftext|>")
    return PreTrainedTokenizerFast(tokenizer_file=str(path), eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
                                   additional_special_tokens=[">>de<<", ">>en<<"])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate"])
    ap.add_argument("--run", type=Path, required=True, help="training output folder (with hf/)")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--golden", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)

    hf = args.run / "hf"
    tok = load_tokenizer(args.task, hf / "tokenizer.json")
    if args.out.exists():
        shutil.rmtree(args.out)
    if args.task == "code":
        from transformers import LlamaForCausalLM
        model = LlamaForCausalLM.from_pretrained(hf, attn_implementation="eager").eval()
        model.generation_config.eos_token_id = tok.eos_token_id
        model.generation_config.pad_token_id = tok.pad_token_id
        report = te.export_decoder(model, tok, args.out, tokenizer_class="PreTrainedTokenizerFast")
    else:
        from transformers import MarianMTModel
        model = MarianMTModel.from_pretrained(hf, attn_implementation="eager").eval()
        model.generation_config.max_length = 128
        model.generation_config.num_beams = 1
        # PreTrainedTokenizerFast, not MarianTokenizer: transformers.js' MarianTokenizer strips the space
        # after ">>de<<", while training (and every other runtime) encodes ">>de<< text" as one string.
        report = te.export_encoder_decoder(model, tok, args.out, tokenizer_class="PreTrainedTokenizerFast")
    print(json.dumps({"files": report.files, "worst_diff": report.worst_diff}), flush=True)

    golden = None
    errors = []
    if args.task == "code":
        for prompt in CODE_PROMPTS:
            try:
                golden = te.write_decoder_golden(model, tok, prompt, args.golden, max_new_tokens=20)
                break
            except te.GoldenMarginError as e:
                errors.append(f"{prompt!r}: {e}")
    else:
        for tag, source in TRANSLATE_SOURCES:
            try:
                golden = te.write_seq2seq_golden(model, tok, source, args.golden, target_lang_token=tag,
                                                 max_new_tokens=20)
                break
            except te.GoldenMarginError as e:
                errors.append(f"{tag} {source!r}: {e}")
    if golden is None:
        raise SystemExit("no golden prompt had well-separated greedy steps: " + "; ".join(errors))

    train_dir = args.out / "training"
    train_dir.mkdir(parents=True, exist_ok=True)
    for src, name in [(args.run / "train_log.csv", "train_log.csv"),
                      (args.run / "train_summary.json", "train_summary.json"),
                      (args.run / "eval.json", "eval.json"),
                      (args.data / "manifest.json", "corpus-manifest.json"),
                      (args.data / "prepare_stats.json", "tokenizer-stats.json")]:
        if src.exists():
            shutil.copy(src, train_dir / name)
    (train_dir / "export.json").write_text(json.dumps(
        {"max_abs_diff_onnx_vs_eager": report.max_abs_diff, "inputs": report.input_names,
         "outputs": report.output_names, "golden": str(args.golden.name),
         "golden_prompt": golden.get("prompt", golden.get("encoder_text")),
         "golden_prompts_rejected": errors}, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
