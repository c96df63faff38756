"""Weights snapshots that fit the device machine's return limits, and their unpacking here.

The device run may return at most 8 files of at most 16 MiB each, 64 MiB together, from $OUT (and
files no deeper than $OUT/a/b/). train.py --snapshot-dir DIR writes, after each held-out evaluation
that beats the previous snapshot:

  DIR/<name>-weights-<i>.safetensors   the trainable parameters in bf16, tied copies once, split into
                                       files of at most SHARD_BYTES (a tensor larger than that is cut
                                       along its first axis into "<key>@@<part>" pieces)
  DIR/<name>-meta.tar.gz               config.json, meta.json (loss log, training state, the SHA-256 of the
                                       tokenizer: the tokenizer itself stays here, in the pack)

Every file is first written three folders down (DIR/staging-<name>/not/returned/, never returned) and then
renamed into place, so a run stopped at any moment returns whole files; each shard and meta.json carry
the step, and unpack() refuses shards of different steps.

  python3 snapshot.py unpack --from FILES_AT --name code --task code --run work/run-code-gpu \
      --tokenizer work/code-broad/tokenizer.json

unpack() rebuilds the model from config.json (buffers and frozen tables, e.g. Marian's sinusoidal
positions, are recomputed by the constructor), loads the bf16 weights as fp32, ties the embeddings, and
writes <run>/hf (save_pretrained + tokenizer.json), <run>/train_log.csv and <run>/train_summary.json:
the layout evaluate.py and export_model.py read.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import os
import tarfile
from pathlib import Path

import torch

SHARD_BYTES = 15 * 2**20


def _trainable(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    out, seen = {}, set()
    for name, p in model.named_parameters():          # named_parameters() already skips tied duplicates
        if not p.requires_grad or p.data_ptr() in seen:
            continue
        seen.add(p.data_ptr())
        out[name] = p.detach().to("cpu", torch.bfloat16).contiguous()
    return out


def _pieces(tensors: dict[str, torch.Tensor]) -> list[tuple[str, torch.Tensor]]:
    out = []
    for k, t in tensors.items():
        nbytes = t.numel() * t.element_size()
        if nbytes <= SHARD_BYTES - 2**16:
            out.append((k, t))
            continue
        rows = max(1, (SHARD_BYTES - 2**16) // (t[0].numel() * t.element_size()))
        for i, part in enumerate(torch.split(t, rows, dim=0)):
            out.append((f"{k}@@{i}", part.contiguous()))
    return out


def write(model: torch.nn.Module, out_dir: Path, name: str, tokenizer: Path, meta: dict) -> list[Path]:
    from safetensors.torch import save_file
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / f"staging-{name}" / "not" / "returned"
    staging.mkdir(parents=True, exist_ok=True)
    step = str(meta.get("state", {}).get("step", 0))
    shards: list[dict[str, torch.Tensor]] = [{}]
    size = 0
    for k, t in _pieces(_trainable(model)):
        n = t.numel() * t.element_size()
        if shards[-1] and size + n > SHARD_BYTES - 2**16:
            shards.append({})
            size = 0
        shards[-1][k] = t
        size += n
    files = []
    for i, sh in enumerate(shards):
        tmp = staging / f"{name}-weights-{i}.safetensors"
        save_file(sh, str(tmp), metadata={"step": step, "shard": str(i), "of": str(len(shards))})
        files.append(tmp)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for fname, data in [("config.json", model.config.to_json_string().encode()),
                            ("meta.json", json.dumps({**meta, "step": step, "shards": len(shards),
                                                      "tokenizer_sha256": hashlib.sha256(tokenizer.read_bytes()).hexdigest()},
                                                     default=str).encode())]:
            info = tarfile.TarInfo(fname)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    tmp = staging / f"{name}-meta.tar.gz"
    tmp.write_bytes(buf.getvalue())
    files.append(tmp)
    done = []
    for f in files:                                   # renames: each returned file is whole
        os.replace(f, out_dir / f.name)
        done.append(out_dir / f.name)
    for old in out_dir.glob(f"{name}-weights-*.safetensors"):
        if old not in done:
            old.unlink()
    for d in [staging, staging.parent, staging.parent.parent]:      # leave nothing but the returned files
        try:
            d.rmdir()
        except OSError:
            pass
    return done


def unpack(src: Path, name: str, task: str, run: Path, tokenizer: Path) -> dict:
    from safetensors import safe_open
    with tarfile.open(src / f"{name}-meta.tar.gz") as tar:
        cfg = json.loads(tar.extractfile("config.json").read())
        meta = json.loads(tar.extractfile("meta.json").read())
    tok = tokenizer.read_bytes()
    if hashlib.sha256(tok).hexdigest() != meta["tokenizer_sha256"]:
        raise SystemExit(f"{tokenizer} is not the tokenizer the device run trained with")
    pieces: dict[str, torch.Tensor] = {}
    steps = set()
    for f in sorted(src.glob(f"{name}-weights-*.safetensors")):
        with safe_open(str(f), "pt") as sf:
            steps.add(sf.metadata()["step"])
            for k in sf.keys():
                pieces[k] = sf.get_tensor(k)
    if steps != {meta["step"]}:
        raise SystemExit(f"shards of different snapshots: steps {sorted(steps)}, meta {meta['step']}")
    state: dict[str, torch.Tensor] = {}
    for k in sorted({k.split("@@")[0] for k in pieces}):
        if k in pieces:
            state[k] = pieces[k].float()
        else:
            parts = sorted((int(p.split("@@")[1]), t) for p, t in pieces.items() if p.split("@@")[0] == k)
            state[k] = torch.cat([t for _, t in parts]).float()
    if task == "code":
        from transformers import LlamaConfig, LlamaForCausalLM
        config = LlamaConfig.from_dict(cfg)
        model = LlamaForCausalLM(config)
    else:
        from transformers import MarianConfig, MarianMTModel
        config = MarianConfig.from_dict(cfg)
        model = MarianMTModel(config)
    missing, unexpected = model.load_state_dict(state, strict=False)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    really_missing = [k for k in missing if k in trainable]
    if unexpected or really_missing:
        raise SystemExit(f"weights do not fit the config: missing {really_missing[:5]}, unexpected {unexpected[:5]}")
    model.tie_weights()
    model.config._attn_implementation = "eager"
    hf = run / "hf"
    hf.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(hf)
    (hf / "tokenizer.json").write_bytes(tok)
    rows = meta.get("train_log", [])
    with open(run / "train_log.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["step", "minutes", "tokens", "lr", "train_loss", "heldout_loss"],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    st = meta.get("state", {})
    minutes = st.get("elapsed", 0) / 60
    summary = {"task": task, "size": meta.get("size"), "parameters": meta.get("parameters"), "steps": st.get("step"),
               "tokens_trained": st.get("tokens"), "wall_minutes": round(minutes, 1),
               "tokens_per_second": round(st.get("tokens", 0) / max(1.0, st.get("elapsed", 1)), 1),
               "device": meta.get("device"), "hardware": meta.get("hardware"), "peak_lr": meta.get("peak_lr"),
               "schedule": "linear warmup, cosine to 10% of peak, as a function of elapsed time",
               "optimizer": "AdamW (0.9, 0.95), grad clip 1.0", "torch": meta.get("torch"),
               "precision": "bf16 autocast, fp32 master weights; returned in bf16" if meta.get("bf16") else "fp32; returned in bf16",
               "snapshot": {"step": meta["step"], "heldout_loss": meta.get("row", {}).get("heldout_loss"),
                            "budget_minutes": meta.get("budget_minutes")},
               "final_heldout_loss_curve": meta.get("row", {}).get("heldout_loss"), "config": cfg}
    if task == "code":
        summary.update({"context": meta.get("ctx"), "batch_sequences": meta.get("batch_sequences")})
    else:
        summary.update({"max_tokens_per_batch": meta.get("max_tokens_per_batch"),
                        "source_tokens_trained": st.get("src_tokens"), "label_smoothing": 0.1})
    (run / "train_summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    return summary


def main() -> None:
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    u = sub.add_parser("unpack")
    u.add_argument("--from", dest="src", type=Path, required=True, help="the folder the device files came back to")
    u.add_argument("--name", required=True, help="file prefix (code, translate)")
    u.add_argument("--task", choices=["code", "translate"], required=True)
    u.add_argument("--run", type=Path, required=True)
    u.add_argument("--tokenizer", type=Path, required=True, help="the packed corpus' tokenizer.json")
    args = ap.parse_args()
    s = unpack(args.src, args.name, args.task, args.run, args.tokenizer)
    print(json.dumps({k: s[k] for k in ("task", "parameters", "steps", "tokens_trained", "snapshot")}))


if __name__ == "__main__":
    main()
