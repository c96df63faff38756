"""Fill-in-the-middle (FIM) examples for the code model, in Qwen2.5-Coder's token format.

Special tokens (added to the code tokenizer as special tokens; ids 0-4 in prepare_broad.py):
  <|endoftext|>  <|fim_prefix|>  <|fim_middle|>  <|fim_suffix|>  <|fim_pad|>

Orders (Bavarian et al. 2022, "Efficient Training of Language Models to Fill in the Middle"):
  PSM  <|fim_prefix|> prefix <|fim_suffix|> suffix <|fim_middle|> middle <|endoftext|>
  SPM  <|fim_prefix|> <|fim_suffix|> suffix <|fim_middle|> prefix middle <|endoftext|>
       (the SPM variant of StarCoder and Code Llama: the prefix runs straight into the middle, so an
       editor that types at the cursor extends the cached prefix)
At inference a client sends everything up to and including <|fim_middle|> (PSM) or
<|fim_prefix|><|fim_suffix|>suffix<|fim_middle|>prefix (SPM) and stops at <|endoftext|>.

Prefix, middle and suffix are cut at character positions (two uniform random cuts, as in the paper) and
tokenized separately, as a client tokenizes the text before and after the cursor. A document chosen for
FIM (probability fim_rate) is first cut at line starts into chunks of at most max_chars characters, so
that every example fits the training context; each chunk is one FIM example. Other documents are
plain text followed by <|endoftext|>, as before.
"""
from __future__ import annotations

import random

EOT, PRE, MID, SUF, PAD = "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>"
SPECIALS = [EOT, PRE, MID, SUF, PAD]


def chunks(text: str, max_chars: int) -> list[str]:
    """Consecutive pieces of text, cut at line starts, each at most max_chars (a longer line is cut)."""
    out, cur = [], ""
    for line in text.splitlines(keepends=True):
        while len(line) > max_chars:
            if cur:
                out.append(cur)
                cur = ""
            out.append(line[:max_chars])
            line = line[max_chars:]
        if len(cur) + len(line) > max_chars and cur:
            out.append(cur)
            cur = ""
        cur += line
    if cur:
        out.append(cur)
    return out


def split3(text: str, rng: random.Random) -> tuple[str, str, str]:
    a, b = sorted(rng.randint(0, len(text)) for _ in range(2))
    return text[:a], text[a:b], text[b:]


def plan(text: str, rng: random.Random, fim_rate: float, spm_rate: float, max_chars: int) -> list[tuple]:
    """The examples of one document: [("plain", text)] or [("psm"|"spm", prefix, middle, suffix), ...]."""
    if rng.random() >= fim_rate:
        return [("plain", text)]
    out = []
    for c in chunks(text, max_chars):
        p, m, s = split3(c, rng)
        out.append(("spm" if rng.random() < spm_rate else "psm", p, m, s))
    return out


def texts_of(example: tuple) -> list[str]:
    """The strings to tokenize for one example (in the order assemble() consumes them)."""
    return [example[1]] if example[0] == "plain" else [example[1], example[2], example[3]]


def assemble(example: tuple, encoded: list[list[int]], special: dict[str, int]) -> list[int]:
    """Token ids of one example from the encodings of texts_of(example)."""
    if example[0] == "plain":
        return encoded[0] + [special[EOT]]
    p, m, s = encoded
    if example[0] == "psm":
        return [special[PRE]] + p + [special[SUF]] + s + [special[MID]] + m + [special[EOT]]
    return [special[PRE], special[SUF]] + s + [special[MID]] + p + m + [special[EOT]]
