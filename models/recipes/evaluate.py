"""Held-out evaluation of the trained default models (PyTorch eager, the weights that were exported).

code:      per held-out document, [<|endoftext|>] + tokens cut into non-overlapping 512-token windows;
           loss (nats/token), perplexity and top-1 next-token accuracy per language and overall, up to
           --max-tokens-per-lang predicted tokens per language. The baseline is an interpolated
           absolute-discounting bigram model (d = 0.75, unigram back-off with add-one) counted on the
           same training tokens with the same tokenizer, scored on exactly the same predicted positions.
translate: teacher-forced held-out loss, then greedy decoding of up to --max-pairs held-out pairs per
           source group and direction; corpus chrF (chrF2, n = 6) and BLEU (13a tokens, n = 4) from
           metrics.py (cross-checked against sacrebleu when it is installed), plus best/worst examples.

Writes <out>/eval.json.
"""
from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

import metrics


def code_windows(data: Path, tok, ctx: int, max_per_lang: int) -> dict[str, list[np.ndarray]]:
    eos = tok.token_to_id("<|endoftext|>")
    by_lang: dict[str, list[np.ndarray]] = {}
    used: dict[str, int] = {}
    docs = [json.loads(l) for l in open(data / "heldout.jsonl")]
    # Spread the budget over many documents: interleave them in a fixed order.
    docs.sort(key=lambda d: (d["unit"], d["path"]))
    encs = tok.encode_batch([d["text"] for d in docs], add_special_tokens=False)
    for d, e in zip(docs, encs):
        ids = np.asarray([eos] + e.ids, dtype=np.int64)
        lang = d["lang"]
        for s in range(0, len(ids) - 1, ctx):
            w = ids[s:s + ctx + 1]
            if len(w) < 2 or used.get(lang, 0) >= max_per_lang:
                break
            by_lang.setdefault(lang, []).append(w)
            used[lang] = used.get(lang, 0) + len(w) - 1
    return by_lang


class Bigram:
    """P(b|a) = max(c(a,b) - d, 0) / c(a) + d * N1+(a .) / c(a) * P_uni(b); P_uni add-one."""

    def __init__(self, train: np.ndarray, vocab: int, d: float = 0.75):
        a = train[:-1].astype(np.int64)
        b = train[1:].astype(np.int64)
        keys, counts = np.unique(a * vocab + b, return_counts=True)
        self.vocab, self.d = vocab, d
        self.pairs = dict(zip(keys.tolist(), counts.tolist()))
        self.ctx_count = np.bincount(a, minlength=vocab).astype(np.float64)            # c(a)
        self.types = np.bincount(keys // vocab, minlength=vocab).astype(np.float64)     # N1+(a .)
        uni = np.bincount(train.astype(np.int64), minlength=vocab).astype(np.float64) + 1.0
        self.uni = uni / uni.sum()
        # Arg-max successor: the most frequent follower (discounting keeps the order), else unigram.
        best = np.full(vocab, int(np.argmax(self.uni)), dtype=np.int64)
        best_c = np.zeros(vocab)
        for k, c in zip(keys.tolist(), counts.tolist()):
            ctx_id = k // vocab
            if c > best_c[ctx_id]:
                best_c[ctx_id] = c
                best[ctx_id] = k % vocab
        self.best = best

    def logprob(self, a: int, b: int) -> float:
        ca = self.ctx_count[a]
        if ca == 0:
            return math.log(self.uni[b])
        c = self.pairs.get(a * self.vocab + b, 0)
        p = max(c - self.d, 0.0) / ca + self.d * self.types[a] / ca * self.uni[b]
        return math.log(p)


def eval_code(model_dir: Path, data: Path, ctx: int, max_per_lang: int) -> dict:
    from tokenizers import Tokenizer
    from transformers import LlamaForCausalLM
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    model = LlamaForCausalLM.from_pretrained(model_dir).eval()
    windows = code_windows(data, tok, ctx, max_per_lang)
    train = np.fromfile(data / "train.bin", dtype=np.uint16)
    t0 = time.time()
    bigram = Bigram(train, tok.get_vocab_size())
    res: dict = {"context": ctx, "by_language": {}, "bigram_train_tokens": int(train.size),
                 "bigram": "interpolated absolute discounting, d = 0.75, unigram back-off (add-one)"}
    tot = {"model_nll": 0.0, "bigram_nll": 0.0, "model_correct": 0, "bigram_correct": 0, "n": 0}
    for lang, ws in sorted(windows.items()):
        s = {"model_nll": 0.0, "bigram_nll": 0.0, "model_correct": 0, "bigram_correct": 0, "n": 0}
        for w in ws:
            x = torch.from_numpy(w).unsqueeze(0)                                # [1, T + 1]
            with torch.no_grad():
                logits = model(input_ids=x[:, :-1]).logits[0].float()          # [T, vocab]
            tgt = x[0, 1:]                                                      # [T]
            s["model_nll"] += F.cross_entropy(logits, tgt, reduction="sum").item()
            s["model_correct"] += int((logits.argmax(-1) == tgt).sum())
            prev = w[:-1].tolist()
            nxt = w[1:].tolist()
            s["bigram_nll"] -= sum(bigram.logprob(a, b) for a, b in zip(prev, nxt))
            s["bigram_correct"] += int(sum(int(bigram.best[a] == b) for a, b in zip(prev, nxt)))
            s["n"] += len(nxt)
        res["by_language"][lang] = summarize(s)
        for k in tot:
            tot[k] += s[k]
    res["overall"] = summarize(tot)
    res["examples"] = code_examples(model, tok, data, ctx)
    res["eval_seconds"] = round(time.time() - t0, 1)
    return res


def code_examples(model, tok, data: Path, ctx: int, per_lang: int = 8, new_tokens: int = 32) -> dict:
    """Greedy continuations of held-out files cut at a line start; scored by how many characters of
    the real continuation they reproduce. The best and worst few are kept for the model card."""
    eos = tok.token_to_id("<|endoftext|>")
    docs = [json.loads(l) for l in open(data / "heldout.jsonl")]
    docs.sort(key=lambda d: (d["unit"], d["path"]))
    cands = []
    for lang in sorted({d["lang"] for d in docs}):
        ld = [d for d in docs if d["lang"] == lang and len(d["text"]) > 1500]
        for d in [ld[i] for i in np.linspace(0, len(ld) - 1, min(per_lang, len(ld))).astype(int)] if ld else []:
            cut = d["text"].find("\n", len(d["text"]) // 3) + 1
            if cut <= 0:
                continue
            prompt = d["text"][max(0, cut - 1200):cut]
            ref = d["text"][cut:cut + 200]
            p_ids = tok.encode(prompt, add_special_tokens=False).ids[-(ctx - new_tokens - 1):]  # fit the context
            ids = torch.tensor([[eos] + p_ids])                                                 # [1, T]
            prompt = tok.decode(p_ids)
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False,
                                     num_beams=1, max_new_tokens=new_tokens, pad_token_id=eos, eos_token_id=eos)
            gen = tok.decode(out[0, ids.shape[1]:].tolist(), skip_special_tokens=True)
            match = 0
            while match < min(len(gen), len(ref)) and gen[match] == ref[match]:
                match += 1
            cands.append({"lang": lang, "unit": d["unit"], "path": d["path"],
                          "prompt_tail": "\n".join(prompt.split("\n")[-8:]), "output": gen,
                          "reference": ref[:max(len(gen), 1)], "matching_chars": match})
    cands.sort(key=lambda c: -c["matching_chars"])
    return {"method": f"greedy, {new_tokens} new tokens after a line start in a held-out file; "
                      "score = characters of the real continuation reproduced exactly",
            "candidates": len(cands),
            "mean_matching_chars": round(float(np.mean([c["matching_chars"] for c in cands])), 1) if cands else 0,
            "best": cands[:3], "worst": cands[-3:][::-1]}


def summarize(s: dict) -> dict:
    n = max(1, s["n"])
    return {"tokens": s["n"],
            "model_loss": round(s["model_nll"] / n, 4), "model_perplexity": round(math.exp(s["model_nll"] / n), 2),
            "model_top1_accuracy": round(s["model_correct"] / n, 4),
            "bigram_loss": round(s["bigram_nll"] / n, 4), "bigram_perplexity": round(math.exp(s["bigram_nll"] / n), 2),
            "bigram_top1_accuracy": round(s["bigram_correct"] / n, 4)}


# ------------------------------------------------------------------------------------------ translate
def eval_translate(model_dir: Path, data: Path, max_pairs: int, batch: int) -> dict:
    from tokenizers import Tokenizer
    from transformers import MarianMTModel
    tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    model = MarianMTModel.from_pretrained(model_dir).eval()
    cfg = model.config
    pairs = [json.loads(l) for l in open(data / "heldout.jsonl")]
    groups = {"gettext (held-out packages)": [p for p in pairs if p["src"] != "trans-de-en"],
              "ding (held-out dictionary lines)": [p for p in pairs if p["src"] == "trans-de-en"]}
    res: dict = {"decoding": "greedy, max 64 new tokens", "groups": {}}
    t0 = time.time()
    for gname, gp in groups.items():
        # Fixed, evenly spaced subset (sources stay mixed).
        if len(gp) > max_pairs:
            idx = np.linspace(0, len(gp) - 1, max_pairs).astype(int)
            gp = [gp[i] for i in idx]
        res["groups"][gname] = {"pairs": len(gp), "sources": sorted({p["src"] for p in gp})}
        for direction, (sl, tl, tag) in {"en-de": ("en", "de", ">>de<<"), "de-en": ("de", "en", ">>en<<")}.items():
            srcs = [f"{tag} {p[sl]}" for p in gp]
            refs = [p[tl] for p in gp]
            hyps: list[str] = []
            nll, ntok = 0.0, 0
            for i in range(0, len(srcs), batch):
                enc = tok.encode_batch(srcs[i:i + batch])
                tgt = tok.encode_batch([" " + r for r in refs[i:i + batch]])
                ids, mask = pad([e.ids for e in enc], cfg.pad_token_id)
                lab, _ = pad([e.ids for e in tgt], -100)
                dec_in = torch.full_like(lab, cfg.pad_token_id)
                dec_in[:, 1:] = lab[:, :-1].clamp(min=0)
                dec_in[dec_in == -100] = cfg.pad_token_id
                with torch.no_grad():
                    logits = model(input_ids=ids, attention_mask=mask, decoder_input_ids=dec_in).logits
                    nll += F.cross_entropy(logits.reshape(-1, logits.size(-1)), lab.reshape(-1),
                                           ignore_index=-100, reduction="sum").item()
                    ntok += int((lab != -100).sum())
                    out = model.generate(input_ids=ids, attention_mask=mask, num_beams=1, do_sample=False,
                                         max_new_tokens=64)
                hyps += [tok.decode(o.tolist(), skip_special_tokens=True).strip() for o in out]
            chrf = metrics.corpus_chrf(hyps, refs)
            bleu = metrics.corpus_bleu(hyps, refs)
            scored = sorted(((metrics.sentence_chrf(h, r), s, h, r) for h, s, r in
                             zip(hyps, [p[sl] for p in gp], refs)), key=lambda t: t[0])
            multi = [t for t in scored if len(t[1].split()) >= 3]          # sentence-like examples
            pick = multi if len(multi) >= 10 else scored
            entry = {"chrF": round(chrf, 2), "BLEU": round(bleu["bleu"], 2),
                     "bleu_precisions": [round(p, 1) for p in bleu["precisions"]],
                     "hyp_ref_len": [bleu["hyp_len"], bleu["ref_len"]],
                     "heldout_loss": round(nll / max(1, ntok), 4),
                     "heldout_perplexity": round(math.exp(nll / max(1, ntok)), 2),
                     "exact_match": round(sum(h == r for h, r in zip(hyps, refs)) / max(1, len(refs)), 4),
                     "best_examples": [{"source": s, "output": h, "reference": r, "chrF": round(c, 1)}
                                       for c, s, h, r in pick[-4:][::-1]],
                     "worst_examples": [{"source": s, "output": h, "reference": r, "chrF": round(c, 1)}
                                        for c, s, h, r in pick[:4]]}
            try:
                import sacrebleu
                entry["sacrebleu_check"] = {"chrF": round(sacrebleu.corpus_chrf(hyps, [refs]).score, 2),
                                            "BLEU": round(sacrebleu.corpus_bleu(hyps, [refs]).score, 2)}
            except ImportError:
                pass
            res["groups"][gname][direction] = entry
            print(gname, direction, entry["chrF"], entry["BLEU"], flush=True)
    res["eval_seconds"] = round(time.time() - t0, 1)
    return res


def pad(seqs: list[list[int]], value: int) -> tuple[torch.Tensor, torch.Tensor]:
    n = max(len(s) for s in seqs)
    out = torch.full((len(seqs), n), value, dtype=torch.long)      # [batch, len]
    mask = torch.zeros((len(seqs), n), dtype=torch.long)           # [batch, len]
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.tensor(s)
        mask[i, :len(s)] = 1
    return out, mask


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate"])
    ap.add_argument("--model", type=Path, required=True, help="save_pretrained folder (run/hf)")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--max-tokens-per-lang", type=int, default=40000)
    ap.add_argument("--max-pairs", type=int, default=500, help="per held-out group")
    ap.add_argument("--batch", type=int, default=64)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.task == "code":
        res = eval_code(args.model, args.data, args.ctx, args.max_tokens_per_lang)
    else:
        res = eval_translate(args.model, args.data, args.max_pairs, args.batch)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(res, indent=1, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k in ("overall", "eval_seconds")}))


if __name__ == "__main__":
    main()
