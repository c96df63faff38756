"""Pack the tokenized broad corpora for the device run (device_train.sh) and tell their size.

  python3 pack.py [--code work/code-broad] [--translate work/translate-broad] [--out work/pack]
                  [--max-code-tokens N] [--budget-mib 64]

Writes (git-ignored, carried to the device machine by `run`'s carry list):
  work/pack/code.tar.xz       tokenizer.json, train.bin (cut to --max-code-tokens at an <|endoftext|>),
                              heldout.bin, heldout_fim.bin (evenly spaced blocks, --max-heldout-tokens),
                              prepare_stats.json
  work/pack/translate.tar.xz  tokenizer.json, train.tsv / heldout.tsv (en TAB de: half the size of the token
                              arrays; the device encodes them with the tokenizer and checks the arrays'
                              SHA-256 in arrays_sha256.json), prepare_stats.json
  work/pack/PACK.json         sizes, token counts and SHA-256 of every file before compression
(xz -9e; uint16 token ids compress to about 0.55 bytes a token, better than the same text does.)

It then adds up what the device call would carry: the files git tracks, the untracked files it does not
ignore, and the pack, against the 64 MiB a call may carry, and says whether it fits.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np

from common import REPO, WORK


def sha256(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def tree_bytes() -> int:
    """What `run` carries without carry: tracked files and untracked files git does not ignore."""
    out = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                         capture_output=True, check=True).stdout.split(b"\0")
    total = 0
    for name in filter(None, out):
        p = REPO / name.decode()
        if p.is_file() and not p.is_symlink():
            total += p.stat().st_size
    return total


def pack_dir(files: list[tuple[Path, str]], dest: Path) -> dict:
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        t = Path(tmp)
        info = {}
        for src, name in files:
            shutil.copy(src, t / name)
            info[name] = {"bytes": (t / name).stat().st_size, "sha256": sha256(t / name)}
        subprocess.run(f"tar -C {t} -cf - {' '.join(n for _, n in files)} | xz -9e -T2 > {dest}.tmp", shell=True,
                       check=True)
        Path(f"{dest}.tmp").replace(dest)
    return {"file": dest.name, "compressed_bytes": dest.stat().st_size, "members": info}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--code", type=Path, default=WORK / "code-broad")
    ap.add_argument("--translate", type=Path, default=WORK / "translate-broad")
    ap.add_argument("--out", type=Path, default=WORK / "pack")
    ap.add_argument("--max-code-tokens", type=int, default=0, help="cut train.bin (0: all)")
    ap.add_argument("--only", choices=["code", "translate"], default=None, help="repack one corpus, keep the other")
    ap.add_argument("--max-heldout-tokens", type=int, default=262144,
                    help="held-out streams: evenly spaced blocks of 4,096 tokens up to this many (the device run "
                         "needs only its loss curve; the full evaluation runs here)")
    ap.add_argument("--budget-mib", type=float, default=64.0)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict = {}
    old = json.loads((args.out / "PACK.json").read_text()) if (args.out / "PACK.json").exists() else {}
    if args.only == "translate":
        report["code"] = old["code"]
    else:
        pack_code(args, report)
    if args.only == "code":
        report["translate"] = old["translate"]
    else:
        pack_translate(args, report)
    finish(args, report)


def pack_code(args, report: dict) -> None:
    train = np.fromfile(args.code / "train.bin", dtype=np.uint16)
    cut = train
    if args.max_code_tokens and train.size > args.max_code_tokens:
        eot = np.flatnonzero(train[:args.max_code_tokens] == 0)
        cut = train[:int(eot[-1]) + 1] if eot.size else train[:args.max_code_tokens]
    with tempfile.TemporaryDirectory(dir=WORK) as tmp:
        tb = Path(tmp) / "train.bin"
        cut.tofile(tb)
        files = [(args.code / "tokenizer.json", "tokenizer.json"), (tb, "train.bin"),
                 (args.code / "prepare_stats.json", "prepare_stats.json")]
        for name in ("heldout.bin", "heldout_fim.bin"):
            if (args.code / name).exists():
                h = np.fromfile(args.code / name, dtype=np.uint16)
                blocks = max(1, args.max_heldout_tokens // 4096)
                if h.size > args.max_heldout_tokens:
                    starts = np.linspace(0, h.size - 4096, blocks).astype(np.int64)
                    h = np.concatenate([h[s:s + 4096] for s in starts])
                h.tofile(Path(tmp) / name)
                files.append((Path(tmp) / name, name))
        report["code"] = pack_dir(files, args.out / "code.tar.xz")
    report["code"]["train_tokens"] = int(cut.size)
    report["code"]["train_tokens_available"] = int(train.size)
    report["code"]["bytes_per_token_packed"] = round(report["code"]["compressed_bytes"] / max(1, cut.size), 3)


def pack_translate(args, report: dict) -> None:
    if (args.translate / "train.npz").exists():
        # Pairs as text (en TAB de) compress to about half of their token arrays; the device re-encodes them
        # with the packed tokenizer (prepare_broad.py translate-from-text) and checks the arrays' SHA-256.
        from prepare_broad import arrays_sha256
        with tempfile.TemporaryDirectory(dir=WORK) as tmp:
            t = Path(tmp)
            hashes = {}
            for split in ("train", "heldout"):
                rows = [json.loads(l) for l in open(args.translate / f"{split}.jsonl", encoding="utf-8")]
                (t / f"{split}.tsv").write_text("".join(f"{r['en']}\t{r['de']}\n" for r in rows), encoding="utf-8")
                z = np.load(args.translate / f"{split}.npz")
                hashes[split] = arrays_sha256({k: z[k] for k in z.files})
            (t / "arrays_sha256.json").write_text(json.dumps(hashes) + "\n")
            report["translate"] = pack_dir([(args.translate / "tokenizer.json", "tokenizer.json"),
                                            (t / "train.tsv", "train.tsv"), (t / "heldout.tsv", "heldout.tsv"),
                                            (t / "arrays_sha256.json", "arrays_sha256.json"),
                                            (args.translate / "prepare_stats.json", "prepare_stats.json")],
                                           args.out / "translate.tar.xz")


def finish(args, report: dict) -> None:
    pack_bytes = sum(r["compressed_bytes"] for r in report.values())
    tree = tree_bytes()
    mib = lambda n: round(n / 2**20, 2)
    report["sizes_mib"] = {"pack": mib(pack_bytes), "working_tree_without_pack": mib(tree),
                           "total_carried": mib(tree + pack_bytes), "limit": args.budget_mib}
    report["fits"] = tree + pack_bytes <= args.budget_mib * 2**20
    (args.out / "PACK.json").write_text(json.dumps(report, indent=1) + "\n")
    print(json.dumps({"code_train_tokens": report["code"]["train_tokens"],
                      "code_mib": mib(report["code"]["compressed_bytes"]),
                      "translate_mib": mib(report.get("translate", {}).get("compressed_bytes", 0)),
                      **report["sizes_mib"], "fits": report["fits"]}))
    if not report["fits"]:
        print(f"WARNING: the device call would carry {mib(tree + pack_bytes)} MiB (limit {args.budget_mib}): "
              "shrink the tracked tree or pass --max-code-tokens", flush=True)


if __name__ == "__main__":
    main()
