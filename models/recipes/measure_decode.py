"""Measure how fast a candidate code-model size decodes in Tealeaf's own engine (onnxruntime-web WASM).

  npm run build                                   # once, in the repository root
  python3 measure_decode.py --sizes small:8192,base,medium --vocab 16384 --threads 2 --runs 7

For each size of train.CODE_SIZES: a Llama with random weights (the architecture and vocabulary of
that size, a byte-level BPE tokenizer of --vocab tokens trained on a few MB of local Python source) is
exported with the shipped export path (tealeaf_export.export_decoder, the same graph as a trained
model), then `node bin/tealeaf.mjs generate --model DIR --json --threads T` continues a prompt of about
--context tokens by --new tokens, --runs times, the sizes interleaved round by round; decodeMsPerToken (KV cache on, WASM) is
reported as the minimum and median of the runs (the build machine is shared: the minimum is the machine's
speed, the median what a busy machine gives). Random weights decode at the same speed as trained
ones: the graph and the shapes are the same.

Writes work/measure-decode/<size>/ (the exported folder) and prints one JSON line per size.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
from pathlib import Path

import torch

from common import REPO, WORK
import tealeaf_export as te


def local_tokenizer(vocab: int, dest: Path) -> Path:
    path = dest / f"tokenizer-{vocab}.json"
    if path.exists():
        return path
    from prepare import CODE_SPECIALS, bpe
    texts, n = [], 0
    for p in sorted(Path("/usr/lib/python3").rglob("*.py")) + sorted(Path("/usr/lib/python3.11").rglob("*.py")):
        try:
            texts.append(p.read_text())
        except (UnicodeDecodeError, OSError):
            continue
        n += len(texts[-1])
        if n > 8e6:
            break
    dest.mkdir(parents=True, exist_ok=True)
    bpe(vocab, CODE_SPECIALS, texts).save(str(path))
    return path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="small:8192,base", help="SIZE[:VOCAB],... (VOCAB defaults to --vocab)")
    ap.add_argument("--vocab", type=int, default=16384)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--context", type=int, default=480, help="prompt tokens (context at the end: + --new)")
    ap.add_argument("--new", type=int, default=32)
    ap.add_argument("--skip-export", action="store_true")
    ap.add_argument("--repo", type=Path, default=REPO, help="where bin/tealeaf.mjs and a built dist/ are")
    args = ap.parse_args()
    torch.set_num_threads(1)
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast
    from train import CODE_SIZES

    work = WORK / "measure-decode"

    def tokenizer(vocab: int):
        return PreTrainedTokenizerFast(tokenizer_file=str(local_tokenizer(vocab, work)), bos_token="<|endoftext|>",
                                       eos_token="<|endoftext|>", unk_token="<|endoftext|>", pad_token="<|endoftext|>")

    src = Path("/usr/lib/python3.11/argparse.py").read_text()
    runs: dict[str, list[float]] = {}
    info: dict[str, dict] = {}
    for size_vocab in args.sizes.split(","):
        size, _, v = size_vocab.partition(":")
        vocab = int(v or args.vocab)
        tok = tokenizer(vocab)
        out = work / f"{size}-v{vocab}"
        torch.manual_seed(0)
        cfg = LlamaConfig(vocab_size=len(tok), max_position_embeddings=512, rms_norm_eps=1e-5, rope_theta=10000.0,
                          tie_word_embeddings=True, bos_token_id=0, eos_token_id=0, pad_token_id=0,
                          hidden_act="silu", attention_bias=False, mlp_bias=False, **CODE_SIZES[size])
        cfg._attn_implementation = "eager"
        model = LlamaForCausalLM(cfg).eval()
        if not (args.skip_export and (out / "onnx/model.onnx").exists()):
            te.export_decoder(model, tok, out, tokenizer_class="PreTrainedTokenizerFast")
        ids = tok(src, add_special_tokens=False)["input_ids"][:args.context]
        info[size_vocab] = {"size": size, "params": sum(p.numel() for p in model.parameters()), "vocab": len(tok),
                            "config": CODE_SIZES[size], "dir": out, "prompt": tok.decode(ids),
                            "onnx_mb": round((out / "onnx/model.onnx").stat().st_size / 1e6, 1)}
        runs[size_vocab] = []
    # Interleaved rounds: every size sees the same machine load, round by round.
    for _ in range(args.runs):
        for key, inf in info.items():
            r = subprocess.run(["node", str(args.repo / "bin/tealeaf.mjs"), "generate", "--model", str(inf["dir"]),
                                "--json", "--threads", str(args.threads), "--max-new-tokens", str(args.new),
                                inf["prompt"]], capture_output=True, text=True, cwd=args.repo)
            if r.returncode != 0:
                raise SystemExit(r.stderr[-2000:])
            res = json.loads(r.stdout.strip().splitlines()[-1])
            inf["prompt_tokens"], inf["new_tokens"] = res["promptTokens"], len(res["tokens"])
            runs[key].append(res["decodeMsPerToken"])
    for key, inf in info.items():
        print(json.dumps({**{k: v for k, v in inf.items() if k not in ("dir", "prompt")}, "threads": args.threads,
                          "decode_ms_per_token_min": min(runs[key]),
                          "decode_ms_per_token_median": statistics.median(runs[key]), "runs": runs[key]}), flush=True)


if __name__ == "__main__":
    main()
