"""Train the byte-level BPE tokenizer on a corpus and pack the corpus into token ids.

code:      one tokenizer; documents joined as  doc <|endoftext|> doc <|endoftext|> ...  into uint16 arrays
           (train.bin / heldout.bin). The tokenizer adds no special tokens by itself.
translate: one shared English+German vocabulary with target-language tokens >>de<< and >>en<<. Every
           pair gives two examples: ">>de<< English" -> "German" and ">>en<< German" -> "English".
           The source is encoded exactly as the string ">>xx<< text" (the tokenizer appends </s>), so the
           engine and transformers.js, which encode that same string, see what training saw. Targets are
           " " + text + </s> (the leading space keeps word tokens uniform; strip it after decoding). Stored as flat uint16 arrays with offsets (train.npz / heldout.npz).
"""
from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np
from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, processors, trainers

CODE_SPECIALS = ["<|endoftext|>"]
TRANSLATE_SPECIALS = ["<pad>", "</s>", "<unk>", ">>de<<", ">>en<<"]


def bpe(vocab: int, specials: list[str], texts, min_frequency: int = 2) -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=None, byte_fallback=False))
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab, min_frequency=min_frequency, special_tokens=specials,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    tok.train_from_iterator(texts, trainer=trainer)
    # Special tokens are matched whole and never split by the pre-tokenizer.
    tok.add_special_tokens([AddedToken(s, special=True, normalized=False) for s in specials])
    return tok


def read_jsonl(path: Path):
    with open(path) as f:
        for line in f:
            yield json.loads(line)


def prepare_code(data: Path, vocab: int, tokenizer_sample_bytes: int) -> dict:
    docs = list(read_jsonl(data / "train.jsonl"))
    rng = random.Random(0)
    rng.shuffle(docs)
    sample, n = [], 0
    for d in docs:
        if n >= tokenizer_sample_bytes:
            break
        sample.append(d["text"])
        n += len(d["text"])
    tok = bpe(vocab, CODE_SPECIALS, sample)
    tok.save(str(data / "tokenizer.json"))
    eos = tok.token_to_id("<|endoftext|>")
    stats = {}
    for split, items in [("train", docs), ("heldout", list(read_jsonl(data / "heldout.jsonl")))]:
        ids: list[int] = []
        by_lang: dict[str, int] = {}
        texts = [d["text"] for d in items]
        for d, enc in zip(items, tok.encode_batch(texts, add_special_tokens=False)):
            ids.extend(enc.ids)
            ids.append(eos)
            by_lang[d["lang"]] = by_lang.get(d["lang"], 0) + len(enc.ids) + 1
        arr = np.asarray(ids, dtype=np.uint16)
        arr.tofile(data / f"{split}.bin")
        stats[split] = {"tokens": int(arr.size), "documents": len(items), "tokens_by_language": by_lang,
                        "bytes": sum(len(t.encode()) for t in texts)}
    stats["bytes_per_token_train"] = stats["train"]["bytes"] / stats["train"]["tokens"]
    return stats


def prepare_translate(data: Path, vocab: int) -> dict:
    train = list(read_jsonl(data / "train.jsonl"))
    held = list(read_jsonl(data / "heldout.jsonl"))
    texts = [p["en"] for p in train] + [p["de"] for p in train]
    tok = bpe(vocab, TRANSLATE_SPECIALS, texts)
    eos = tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A $B </s>",
                                                       special_tokens=[("</s>", eos)])
    tok.save(str(data / "tokenizer.json"))
    stats = {}
    for split, items in [("train", train), ("heldout", held)]:
        srcs, tgts, dirs = [], [], []
        for p in items:
            srcs += [f">>de<< {p['en']}", f">>en<< {p['de']}"]
            # A leading space makes the first target word the same "Ġword" token as everywhere else
            # (byte-level BPE without prefix space); decoders strip it from the output.
            tgts += [" " + p["de"], " " + p["en"]]
            dirs += [0, 1]                      # 0: en->de, 1: de->en
        s_enc = tok.encode_batch(srcs)          # adds </s>
        t_enc = tok.encode_batch(tgts)          # adds </s>
        s_ids = [e.ids for e in s_enc]
        t_ids = [e.ids for e in t_enc]
        pack = {}
        for name, seqs in [("src", s_ids), ("tgt", t_ids)]:
            lens = np.asarray([len(s) for s in seqs], dtype=np.int64)
            pack[name + "_off"] = np.concatenate([[0], np.cumsum(lens)])
            pack[name] = np.asarray([i for s in seqs for i in s], dtype=np.uint16)
        pack["dir"] = np.asarray(dirs, dtype=np.uint8)
        np.savez(data / f"{split}.npz", **pack)
        stats[split] = {"examples": len(srcs), "pairs": len(items), "src_tokens": int(pack["src"].size),
                        "tgt_tokens": int(pack["tgt"].size)}
    return stats


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate"])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--vocab", type=int, default=8192)
    ap.add_argument("--tokenizer-sample-mb", type=float, default=24)
    args = ap.parse_args()
    if args.task == "code":
        stats = prepare_code(args.data, args.vocab, int(args.tokenizer_sample_mb * 1e6))
    else:
        stats = prepare_translate(args.data, args.vocab)
    stats["vocab_size"] = args.vocab
    (args.data / "prepare_stats.json").write_text(json.dumps(stats, indent=1) + "\n")
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
