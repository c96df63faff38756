"""Tokenizers and token streams for the broad corpora (issue 19); prepare.py stays the shipped models' path.

  python3 prepare_broad.py code      --data work/code-broad      [--vocab 16384] [--fim-rate 0.5] [--spm-rate 0.5]
  python3 prepare_broad.py translate --data work/translate-broad [--vocab 16000]

code: byte-level BPE with the special tokens <|endoftext|> <|fim_prefix|> <|fim_middle|> <|fim_suffix|>
      <|fim_pad|> (ids 0-4, Qwen2.5-Coder's names), trained on a language-balanced sample (each language
      at most its share of the sample, at least --min-lang-mb). Training documents are shuffled and
      turned into plain or FIM examples by fim.py (--fim-rate of the documents; --spm-rate of those in
      SPM order), written as one uint16 stream train.bin. heldout.bin is the held-out documents as plain
      text (the loss curve stays comparable with the shipped model's); heldout_fim.bin the same documents
      as FIM examples, for a FIM loss.
translate: prepare.prepare_translate (shared vocabulary, >>de<< / >>en<<, both directions).

Writes tokenizer.json, the streams and prepare_stats.json into --data.
"""
from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

import numpy as np

import fim
from prepare import bpe, prepare_translate, read_jsonl


def balanced_sample(docs: list[dict], total_bytes: int, min_lang_bytes: int) -> list[str]:
    by_lang: dict[str, int] = {}
    for d in docs:
        by_lang[d["lang"]] = by_lang.get(d["lang"], 0) + len(d["text"])
    all_bytes = sum(by_lang.values())
    cap = {k: max(min_lang_bytes, total_bytes * v / all_bytes) for k, v in by_lang.items()}
    used: dict[str, int] = {}
    out = []
    for d in docs:                                    # docs are shuffled
        if used.get(d["lang"], 0) < cap[d["lang"]]:
            out.append(d["text"])
            used[d["lang"]] = used.get(d["lang"], 0) + len(d["text"])
    return out


def encode_examples(tok, docs: list[dict], rng: random.Random, fim_rate: float, spm_rate: float,
                    max_chars: int, special: dict[str, int], batch_docs: int = 2000) -> tuple[np.ndarray, dict]:
    parts: list[np.ndarray] = []
    by_lang: dict[str, int] = {}
    kinds = {"plain": 0, "psm": 0, "spm": 0}
    for i in range(0, len(docs), batch_docs):          # batches: Encoding objects are large
        batch = docs[i:i + batch_docs]
        plans = [fim.plan(d["text"], rng, fim_rate, spm_rate, max_chars) for d in batch]
        flat = [t for pl in plans for ex in pl for t in fim.texts_of(ex)]
        enc = [e.ids for e in tok.encode_batch(flat, add_special_tokens=False)]
        ids: list[int] = []
        k = 0
        for d, pl in zip(batch, plans):
            n0 = len(ids)
            for ex in pl:
                m = len(fim.texts_of(ex))
                ids.extend(fim.assemble(ex, enc[k:k + m], special))
                k += m
                kinds[ex[0]] += 1
            by_lang[d["lang"]] = by_lang.get(d["lang"], 0) + len(ids) - n0
        parts.append(np.asarray(ids, dtype=np.uint16))
    arr = np.concatenate(parts) if parts else np.zeros(0, dtype=np.uint16)
    return arr, {"tokens_by_language": by_lang, "examples": kinds}


def prepare_code(data: Path, vocab: int, sample_mb: float, min_lang_mb: float, fim_rate: float, spm_rate: float,
                 max_chars: int, seed: int) -> dict:
    t0 = time.time()
    docs = list(read_jsonl(data / "train.jsonl"))
    held = list(read_jsonl(data / "heldout.jsonl"))
    rng = random.Random(seed)
    rng.shuffle(docs)
    tok = bpe(vocab, fim.SPECIALS, balanced_sample(docs, int(sample_mb * 1e6), int(min_lang_mb * 1e6)))
    tok.save(str(data / "tokenizer.json"))
    special = {s: tok.token_to_id(s) for s in fim.SPECIALS}
    assert [special[s] for s in fim.SPECIALS] == list(range(len(fim.SPECIALS))), special
    stats: dict = {"vocab_size": tok.get_vocab_size(), "special_tokens": special, "fim_rate": fim_rate,
                   "spm_rate": spm_rate, "fim_chunk_chars": max_chars,
                   "fim_format": "Qwen2.5-Coder tokens; PSM <|fim_prefix|>p<|fim_suffix|>s<|fim_middle|>m<|endoftext|>, "
                                 "SPM <|fim_prefix|><|fim_suffix|>s<|fim_middle|>pm<|endoftext|>",
                   "tokenizer_sample_mb": sample_mb}
    arr, st = encode_examples(tok, docs, rng, fim_rate, spm_rate, max_chars, special)
    arr.tofile(data / "train.bin")
    stats["train"] = {"tokens": int(arr.size), "documents": len(docs), "bytes": sum(len(d["text"].encode()) for d in docs),
                      **st}
    arr, st = encode_examples(tok, held, random.Random(seed + 1), 0.0, 0.0, max_chars, special)
    arr.tofile(data / "heldout.bin")
    stats["heldout"] = {"tokens": int(arr.size), "documents": len(held), **st}
    arr, st = encode_examples(tok, held, random.Random(seed + 2), 1.0, spm_rate, max_chars, special)
    arr.tofile(data / "heldout_fim.bin")
    stats["heldout_fim"] = {"tokens": int(arr.size), **st}
    stats["bytes_per_token_train"] = round(stats["train"]["bytes"] / stats["train"]["tokens"], 3)
    stats["seconds"] = round(time.time() - t0, 1)
    return stats


def encode_translate(tok, items: list[dict]) -> dict[str, np.ndarray]:
    """prepare.prepare_translate's arrays for a given tokenizer: both directions of every pair."""
    srcs, tgts, dirs = [], [], []
    for p in items:
        srcs += [f">>de<< {p['en']}", f">>en<< {p['de']}"]
        tgts += [" " + p["de"], " " + p["en"]]
        dirs += [0, 1]
    pack = {}
    for name, enc in [("src", tok.encode_batch(srcs)), ("tgt", tok.encode_batch(tgts))]:
        seqs = [e.ids for e in enc]
        lens = np.asarray([len(q) for q in seqs], dtype=np.int64)
        pack[name + "_off"] = np.concatenate([[0], np.cumsum(lens)])
        pack[name] = np.asarray([i for q in seqs for i in q], dtype=np.uint16)
    pack["dir"] = np.asarray(dirs, dtype=np.uint8)
    return pack


def arrays_sha256(pack: dict[str, np.ndarray]) -> str:
    import hashlib
    h = hashlib.sha256()
    for k in sorted(pack):
        h.update(k.encode())
        h.update(np.ascontiguousarray(pack[k]).tobytes())
    return h.hexdigest()


def translate_from_text(data: Path) -> dict:
    """On the device: train.tsv / heldout.tsv (en TAB de, as packed) -> train.npz / heldout.npz with the packed
    tokenizer, checked against the hashes the pack recorded (the same arrays prepare_translate wrote here)."""
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(data / "tokenizer.json"))
    want = json.loads((data / "arrays_sha256.json").read_text())
    out = {}
    for split in ("train", "heldout"):
        items = [dict(zip(("en", "de"), line.split("\t"))) for line in
                 (data / f"{split}.tsv").read_text(encoding="utf-8").split("\n") if line]
        pack = encode_translate(tok, items)
        got = arrays_sha256(pack)
        if got != want[split]:
            raise SystemExit(f"{split}: the token arrays differ from the ones made here ({got} != {want[split]})")
        np.savez(data / f"{split}.npz", **pack)
        out[split] = {"pairs": len(items), "src_tokens": int(pack["src"].size), "tgt_tokens": int(pack["tgt"].size)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate", "translate-from-text"],
                    help="translate-from-text: on the device, the packed pairs -> train.npz / heldout.npz")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--vocab", type=int, default=None, help="code 16384, translate 16000")
    ap.add_argument("--tokenizer-sample-mb", type=float, default=40)
    ap.add_argument("--min-lang-mb", type=float, default=2)
    ap.add_argument("--fim-rate", type=float, default=0.5)
    ap.add_argument("--spm-rate", type=float, default=0.5)
    ap.add_argument("--fim-chunk-chars", type=int, default=1500, help="~ context tokens x 3 characters")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.task == "translate-from-text":
        print(json.dumps(translate_from_text(args.data)))
        return
    if args.task == "code":
        stats = prepare_code(args.data, args.vocab or 16384, args.tokenizer_sample_mb, args.min_lang_mb, args.fim_rate,
                             args.spm_rate, args.fim_chunk_chars, args.seed)
    else:
        stats = prepare_translate(args.data, args.vocab or 16000)
        stats["vocab_size"] = args.vocab or 16000
    (args.data / "prepare_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps({k: v for k, v in stats.items() if k != "special_tokens"}))


if __name__ == "__main__":
    main()
