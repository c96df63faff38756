"""Corpus-level chrF and BLEU, written out here so the recipes need nothing beyond numpy.

Definitions follow sacrebleu's defaults (Popović 2015; Papineni et al. 2002):
  * chrF: character n-grams n = 1..6 with whitespace removed, statistics summed over the corpus per
    order, precision and recall averaged over the orders, F-beta with beta = 2; score in 0..100.
  * BLEU: 13a-style tokenisation (punctuation split off, lower-casing not applied), n = 1..4 clipped
    counts summed over the corpus, geometric mean of the four precisions ("exp" smoothing for orders
    without any match, as sacrebleu), brevity penalty exp(1 - r/c) when the hypothesis corpus is
    shorter than the reference corpus; score in 0..100.
"""
from __future__ import annotations

import math
import re
from collections import Counter


def _char_ngrams(text: str, n: int) -> Counter:
    s = text.replace(" ", "")
    return Counter(s[i:i + n] for i in range(len(s) - n + 1))


def chrf_stats(hyp: str, ref: str, order: int = 6) -> list[float]:
    """[matches, hyp_count, ref_count] for each n = 1..order, flattened."""
    out: list[float] = []
    for n in range(1, order + 1):
        h, r = _char_ngrams(hyp, n), _char_ngrams(ref, n)
        out += [sum((h & r).values()), sum(h.values()), sum(r.values())]
    return out


def chrf_from_stats(stats: list[float], order: int = 6, beta: float = 2.0) -> float:
    precs, recs = [], []
    for n in range(order):
        m, hc, rc = stats[3 * n:3 * n + 3]
        if hc > 0 and rc > 0:
            precs.append(m / hc)
            recs.append(m / rc)
    if not precs:
        return 0.0
    p, r = sum(precs) / len(precs), sum(recs) / len(recs)
    if p + r == 0:
        return 0.0
    b2 = beta * beta
    return 100.0 * (1 + b2) * p * r / (b2 * p + r)


def corpus_chrf(hyps: list[str], refs: list[str]) -> float:
    total = [0.0] * 18
    for h, r in zip(hyps, refs):
        total = [a + b for a, b in zip(total, chrf_stats(h, r))]
    return chrf_from_stats(total)


def sentence_chrf(hyp: str, ref: str) -> float:
    return chrf_from_stats(chrf_stats(hyp, ref))


_TOK_RULES = [
    (re.compile(r"([\{-\~\[-\` -\&\(-\+\:-\@\/])"), r" \1 "),   # punctuation and symbols
    (re.compile(r"([^0-9])([\.,])"), r"\1 \2 "),                 # period/comma unless preceded by a digit
    (re.compile(r"([\.,])([^0-9])"), r" \1 \2"),                 # period/comma unless followed by a digit
    (re.compile(r"([0-9])(-)"), r"\1 \2 "),                      # dash after a digit
]


def tokenize_13a(line: str) -> list[str]:
    line = line.replace("<skipped>", "").replace("-\n", "").replace("\n", " ")
    if "&" in line:
        line = line.replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">")
    line = f" {line} "
    for rx, rep in _TOK_RULES:
        line = rx.sub(rep, line)
    return line.split()


def corpus_bleu(hyps: list[str], refs: list[str], order: int = 4) -> dict[str, float]:
    matches = [0] * order
    totals = [0] * order
    hyp_len = ref_len = 0
    for h, r in zip(hyps, refs):
        ht, rt = tokenize_13a(h), tokenize_13a(r)
        hyp_len += len(ht)
        ref_len += len(rt)
        for n in range(1, order + 1):
            hc = Counter(tuple(ht[i:i + n]) for i in range(len(ht) - n + 1))
            rc = Counter(tuple(rt[i:i + n]) for i in range(len(rt) - n + 1))
            matches[n - 1] += sum((hc & rc).values())
            totals[n - 1] += max(0, len(ht) - n + 1)
    # sacrebleu's default "exp" smoothing: the k-th order with no match gets precision 1 / (2^k * total)
    # instead of 0 (a corpus of one- and two-word entries has no 4-gram matches at all).
    precisions = [0.0] * order
    smooth = 1.0
    for n in range(order):
        if totals[n] == 0:
            break
        if matches[n] == 0:
            smooth *= 2
            precisions[n] = 100.0 / (smooth * totals[n])
        else:
            precisions[n] = 100.0 * matches[n] / totals[n]
    if hyp_len == 0 or min(precisions) == 0.0:
        bleu = 0.0
    else:
        bp = 1.0 if hyp_len > ref_len else math.exp(1 - ref_len / hyp_len)
        bleu = bp * math.exp(sum(math.log(p) for p in precisions) / order)
    return {"bleu": bleu, "precisions": [100.0 * m / t if t else 0.0 for m, t in zip(matches, totals)],
            "hyp_len": hyp_len, "ref_len": ref_len}


if __name__ == "__main__":
    # Self-check on hand-computable cases.
    assert abs(corpus_chrf(["abc"], ["abc"]) - 100.0) < 1e-9
    assert corpus_chrf(["xyz"], ["abc"]) == 0.0
    b = corpus_bleu(["the cat sat on the mat ."], ["the cat sat on the mat ."])
    assert abs(b["bleu"] - 100.0) < 1e-9, b
    b = corpus_bleu(["the cat"], ["the cat sat on the mat"])
    assert b["bleu"] == 0.0                      # no 3-grams at all: geometric mean is 0
    print("metrics ok", tokenize_13a("Hello, world! (x=3.5)"))
