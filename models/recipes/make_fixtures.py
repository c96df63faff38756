"""Build the tiny random-weight test fixtures and their PyTorch goldens.

    python3 models/recipes/make_fixtures.py            # all fixtures
    python3 models/recipes/make_fixtures.py tiny-llama # some of them

Writes test/fixtures/models/<name>/ (the transformers.js layout of the README's "Bring your own model") and
test/fixtures/goldens/<name>.json. Everything is deterministic: fixed corpus files, fixed seeds,
and a fixed, ordered seed search (the first seed whose greedy runs satisfy the golden checks wins).

Fixtures (each well under 2 MB):
  tiny-gpt2    learned absolute positions, byte-level BPE, no BOS added
  tiny-llama   RoPE, 4 query heads / 2 KV heads (GQA), SentencePiece-style BPE (Metaspace, byte
               fallback), BOS added by the tokenizer's post-processor
  tiny-bloom   ALiBi (no position_ids input: positions come from the attention mask), byte-level BPE
  tiny-marian  encoder-decoder, sinusoidal positions, Unigram tokenizer with >>en<< / >>de<< target
               language tokens (opus-mt multi-target convention: the source starts with the token)

The weights are random, so the "text" they generate is noise; what matters is that our engine,
PyTorch eager and transformers.js agree on it. initializer_range is large (0.3-0.5) so that logits
are well separated: every greedy step of every golden has a top-1/top-2 margin above 1e-3.
"""

from __future__ import annotations

import gettext
import hashlib
import json
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any, Callable, Iterable

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import (
    BloomConfig,
    BloomForCausalLM,
    GPT2Config,
    GPT2LMHeadModel,
    LlamaConfig,
    LlamaForCausalLM,
    MarianConfig,
    MarianMTModel,
    PreTrainedTokenizerFast,
)

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tealeaf_export as te  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "test" / "fixtures" / "models"
GOLDENS = ROOT / "test" / "fixtures" / "goldens"
MAX_FIXTURE_BYTES = 2 * 1024 * 1024

# Prompts with non-ASCII text (precomposed Latin-1 letters) so that byte-level
# merges and byte fallback both show up in the goldens.
DECODER_PROMPT = "def héllo(x):\n    return x + 1  # ünï"
MARIAN_SOURCE = "The file could not be opened."
MARIAN_TARGET_TOKEN = ">>de<<"
GREEDY_TOKENS = 20
SEED_TRIES = 64

# ---------------------------------------------------------------------------------------------
# Corpus: local files only (no network). Python's standard library for code (PSF licence) and the
# German gettext catalogues of a few Debian packages for English/German text (GPL-2+/GPL-3+).
# ---------------------------------------------------------------------------------------------

STDLIB_FILES = [
    "textwrap.py",
    "string.py",
    "json/encoder.py",
    "json/decoder.py",
    "functools.py",
    "glob.py",
    "shlex.py",
]
MO_DOMAINS = ["coreutils", "grep", "diffutils", "findutils", "bash", "dpkg", "apt"]
MO_DIR = Path("/usr/share/locale/de/LC_MESSAGES")


def code_corpus() -> list[str]:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    texts = []
    for name in STDLIB_FILES:
        path = stdlib / name
        if not path.exists():
            raise FileNotFoundError(f"corpus file missing: {path}")
        texts.append(path.read_text(encoding="utf-8"))
    return texts


def catalogue_pairs() -> list[tuple[str, str]]:
    """(English, German) message pairs from the German .mo catalogues, sorted and de-duplicated."""
    pairs: set[tuple[str, str]] = set()
    for domain in MO_DOMAINS:
        path = MO_DIR / f"{domain}.mo"
        if not path.exists():
            raise FileNotFoundError(f"corpus file missing: {path} (Debian package translations)")
        with path.open("rb") as f:
            catalog = gettext.GNUTranslations(f)._catalog  # type: ignore[attr-defined]
        for en, de in catalog.items():
            if not isinstance(en, str) or not en or not de or en == de or len(en) > 300:
                continue
            pairs.add((en.strip(), de.strip()))
    return sorted(pairs)


# ---------------------------------------------------------------------------------------------
# Tokenizers, trained here with the `tokenizers` library
# ---------------------------------------------------------------------------------------------


def byte_level_bpe(texts: Iterable[str], vocab_size: int, specials: list[str]) -> Tokenizer:
    """GPT-2 style byte-level BPE: every byte is a token, merges on top, specials first."""
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return tok


def sentencepiece_bpe(texts: Iterable[str], vocab_size: int, limit_alphabet: int) -> Tokenizer:
    """Llama-style BPE: Metaspace ("▁" for spaces, prepended to the first word), byte fallback to
    <0xNN> tokens (ids 3..258, after <unk> <s> </s>), BOS added by the post-processor.

    The trainer cannot create byte tokens as ordinary vocabulary (as special tokens they would be
    skipped by decode(skip_special_tokens)), so the trained vocabulary is rebuilt in JSON with the
    256 byte tokens inserted after the specials. The alphabet is limited so that rare characters
    (é, ü, ï) are not pieces and take the byte-fallback path.
    """
    specials = ["<unk>", "<s>", "</s>"]
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    # split=True while training keeps merges inside words, as SentencePiece does.
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size - 256,
        special_tokens=specials,
        limit_alphabet=limit_alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    data = json.loads(tok.to_str())
    trained: dict[str, int] = data["model"]["vocab"]
    vocab: dict[str, int] = {s: i for i, s in enumerate(specials)}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for piece, _ in sorted(trained.items(), key=lambda kv: kv[1]):
        if piece not in vocab:
            vocab[piece] = len(vocab)
    data["model"].update(vocab=vocab, byte_fallback=True, fuse_unk=True, unk_token="<unk>")
    for added in data["added_tokens"]:
        added["id"] = vocab[added["content"]]
    data["pre_tokenizer"] = {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": False}
    tok = Tokenizer.from_str(json.dumps(data))
    tok.decoder = decoders.Sequence(
        [decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)]
    )
    tok.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", vocab["<s>"])]
    )
    return tok


def marian_unigram(texts: Iterable[str], vocab_size: int) -> Tokenizer:
    """opus-mt style: SentencePiece Unigram with Metaspace, </s>=0 <unk>=1 <pad>=2, target-language
    tokens >>en<< and >>de<< as special tokens, EOS appended by the post-processor."""
    specials = ["</s>", "<unk>", "<pad>", ">>en<<", ">>de<<"]
    tok = Tokenizer(models.Unigram())
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    trainer = trainers.UnigramTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        unk_token="<unk>",
        show_progress=False,
        max_piece_length=12,
    )
    tok.train_from_iterator(texts, trainer)
    # The trainer's EM sums in a varying order (its hash maps are randomly seeded): the last digits
    # of the scores, and so the order (= ids) of pieces with equal scores, change from run to run.
    # Rounded scores and a canonical order (specials first, then by score, then by text) make the
    # file reproducible.
    # The trainer also appends the characters it did not keep as pieces with scores just below the
    # rest, spaced by 1e-4 in hash-map order: those get scores in code-point order instead. (Each is
    # a single character below every multi-character piece, so this never changes which
    # segmentation of a text wins except between equally rare characters.)
    data = json.loads(tok.to_str())
    vocab = [(piece, round(score, 6)) for piece, score in data["model"]["vocab"]]
    multi_min = min(score for piece, score in vocab if piece not in specials and len(piece) > 1)
    tail = sorted(piece for piece, score in vocab if piece not in specials and len(piece) == 1 and score < multi_min)
    tail_scores = {piece: round(multi_min - 1 - 1e-4 * i, 6) for i, piece in enumerate(tail)}
    vocab = [(piece, tail_scores.get(piece, score)) for piece, score in vocab]
    head = [entry for entry in vocab if entry[0] in specials]
    assert [p for p, _ in head] == specials, head
    rest = sorted((e for e in vocab if e[0] not in specials), key=lambda e: (-e[1], e[0]))
    data["model"]["vocab"] = [list(e) for e in head + rest]
    data["model"]["unk_id"] = specials.index("<unk>")
    tok = Tokenizer.from_str(json.dumps(data))
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A $B </s>", special_tokens=[("</s>", tok.token_to_id("</s>"))]
    )
    return tok


def fast(tok: Tokenizer, **special: str) -> PreTrainedTokenizerFast:
    return PreTrainedTokenizerFast(tokenizer_object=tok, **special)


# ---------------------------------------------------------------------------------------------
# Fixture definitions
# ---------------------------------------------------------------------------------------------


def diverse(tokens: list[int], minimum: int) -> bool:
    return len(set(tokens)) >= minimum


def pick_seed(
    name: str,
    build: Callable[[int], torch.nn.Module],
    accept: Callable[[torch.nn.Module], Any],
    tries: int = SEED_TRIES,
) -> tuple[int, torch.nn.Module]:
    """The first candidate (0, 1, 2, ...) whose model passes `accept` (which raises or returns False)."""
    reasons = []
    for seed in range(tries):
        model = build(seed)
        try:
            if accept(model):
                return seed, model
            reasons.append(f"{seed}: rejected")
        except te.GoldenMarginError as err:
            reasons.append(f"{seed}: {err}")
    raise RuntimeError(f"{name}: no candidate in 0..{tries - 1} passes:\n" + "\n".join(reasons[-20:]))


def decoder_fixture(
    name: str, build: Callable[[int], torch.nn.Module], tokenizer: PreTrainedTokenizerFast, card: str
) -> dict[str, Any]:
    def accept(model: torch.nn.Module) -> bool:
        golden = te.write_decoder_golden(model, tokenizer, DECODER_PROMPT, None, max_new_tokens=GREEDY_TOKENS)
        return diverse(golden["greedy_tokens"], 8)

    seed, model = pick_seed(name, build, accept)
    out = MODELS / name
    report = te.export_decoder(model, tokenizer, out)
    golden = te.write_decoder_golden(model, tokenizer, DECODER_PROMPT, GOLDENS / f"{name}.json", max_new_tokens=GREEDY_TOKENS)
    write_card(out, name, card, seed, report)
    return summary(name, seed, report, golden)


def build_gpt2(seed: int) -> GPT2LMHeadModel:
    torch.manual_seed(seed)
    cfg = GPT2Config(
        vocab_size=400,
        n_positions=256,
        n_embd=64,
        n_layer=2,
        n_head=4,
        n_inner=128,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        initializer_range=0.3,
        bos_token_id=0,
        eos_token_id=0,
        attn_implementation="eager",
    )
    return GPT2LMHeadModel(cfg).eval()


def build_llama(seed: int) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=500,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=256,
        initializer_range=0.3,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=None,
        tie_word_embeddings=False,
        attn_implementation="eager",
    )
    return LlamaForCausalLM(cfg).eval()


def build_bloom(seed: int) -> BloomForCausalLM:
    torch.manual_seed(seed)
    cfg = BloomConfig(
        vocab_size=400,
        hidden_size=64,
        n_layer=2,
        n_head=4,
        initializer_range=0.3,
        hidden_dropout=0.0,
        attention_dropout=0.0,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=3,
        attn_implementation="eager",
    )
    return BloomForCausalLM(cfg).eval()


# Marian. A random post-LayerNorm encoder-decoder easily collapses to one repeated token: with tied
# embeddings the residual copies the input token to the output (t -> t), and without embedding
# scaling the cross-attention average (the same at every step) dominates. So: untied output
# projection, sqrt(d_model) embedding scale (the token identity drives the next token), a small
# init. A bias on EOS (final_logits_bias, an ordinary Marian parameter) is searched with the seed
# so that beam search finishes with EOS before max_new_tokens: its hypotheses then end at different
# lengths and length_penalty matters.
MARIAN_INIT_STD = 0.2
MARIAN_EOS_BIASES = [0.5 * i for i in range(17)]  # 0.0 .. 8.0
MARIAN_LENGTH_PENALTY = 1.0
MARIAN_BEAMS = 4
MARIAN_EARLY_STOPPING = True


def build_marian(vocab_size: int, pad_id: int, eos_id: int) -> Callable[[int], MarianMTModel]:
    """Candidate i: seed i // len(MARIAN_EOS_BIASES), EOS bias MARIAN_EOS_BIASES[i % len(...)]."""

    def build(candidate: int) -> MarianMTModel:
        seed, bias = divmod(candidate, len(MARIAN_EOS_BIASES))
        torch.manual_seed(seed)
        cfg = MarianConfig(
            vocab_size=vocab_size,
            decoder_vocab_size=vocab_size,
            d_model=64,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=128,
            decoder_ffn_dim=128,
            max_position_embeddings=256,
            init_std=MARIAN_INIT_STD,
            dropout=0.0,
            attention_dropout=0.0,
            activation_dropout=0.0,
            scale_embedding=True,
            tie_word_embeddings=False,
            pad_token_id=pad_id,
            eos_token_id=eos_id,
            decoder_start_token_id=pad_id,
            forced_eos_token_id=None,
            attn_implementation="eager",
        )
        model = MarianMTModel(cfg).eval()
        with torch.no_grad():
            model.final_logits_bias.zero_()
            model.final_logits_bias[0, eos_id] = MARIAN_EOS_BIASES[bias]
        # opus-mt configs force EOS at max length and ban pad; the fixture keeps generation plain
        # so that transformers.js (whose forced EOS counts max_length differently) agrees.
        model.generation_config.forced_eos_token_id = None
        model.generation_config.bad_words_ids = None
        return model

    return build


def marian_fixture(tokenizer: PreTrainedTokenizerFast, card: str) -> dict[str, Any]:
    name = "tiny-marian"
    build = build_marian(len(tokenizer), tokenizer.pad_token_id, tokenizer.eos_token_id)

    def golden_for(model: torch.nn.Module, path: Path | None) -> dict[str, Any]:
        return te.write_seq2seq_golden(
            model,
            tokenizer,
            MARIAN_SOURCE,
            path,
            target_lang_token=MARIAN_TARGET_TOKEN,
            max_new_tokens=GREEDY_TOKENS,
            num_beams=MARIAN_BEAMS,
            length_penalty=MARIAN_LENGTH_PENALTY,
            early_stopping=MARIAN_EARLY_STOPPING,
        )

    def accept(model: torch.nn.Module) -> bool:
        g = golden_for(model, None)
        greedy, beam = g["greedy"]["output_ids"], g["beam"]["output_ids"]
        eos = tokenizer.eos_token_id
        return diverse(greedy, 3) and beam != greedy and beam[-1] == eos and 4 <= len(beam) < GREEDY_TOKENS

    candidate, model = pick_seed(name, build, accept, tries=SEED_TRIES * len(MARIAN_EOS_BIASES))
    seed, bias = divmod(candidate, len(MARIAN_EOS_BIASES))
    out = MODELS / name
    report = te.export_encoder_decoder(model, tokenizer, out)
    golden = golden_for(model, GOLDENS / f"{name}.json")
    card += f" final_logits_bias[EOS] = {MARIAN_EOS_BIASES[bias]} (searched with the seed, see make_fixtures.py)."
    write_card(out, name, card, seed, report)
    return summary(name, seed, report, golden)


# ---------------------------------------------------------------------------------------------
# Model cards and summary
# ---------------------------------------------------------------------------------------------

CORPUS_NOTE = (
    "Tokenizer trained with the `tokenizers` library on local files only: Python "
    f"{sys.version_info.major}.{sys.version_info.minor} standard library modules "
    f"({', '.join(STDLIB_FILES)}; PSF licence) and the German gettext catalogues of "
    f"{', '.join(MO_DOMAINS)} from Debian ({MO_DIR}; GPL-2+/GPL-3+, English msgid and German msgstr)."
)


def write_card(out: Path, name: str, body: str, seed: int, report: te.ExportReport) -> None:
    lines = [
        f"# {name}",
        "",
        "A tiny **random-weight** test fixture for Tealeaf (not a usable language model).",
        "Built by `python3 models/recipes/make_fixtures.py`; goldens from PyTorch eager are in",
        f"`test/fixtures/goldens/{name}.json`.",
        "",
        body,
        "",
        f"- Weights: `torch.manual_seed({seed})` (the first seed whose greedy goldens pass the checks).",
        f"- {CORPUS_NOTE}",
        f"- Exported with torch {torch.__version__} (dynamo, opset {te.OPSET}), eager attention.",
        f"- Max abs difference ONNX (onnxruntime) vs PyTorch eager: {report.worst_diff:.2e}.",
        "",
        "ONNX inputs and outputs:",
        "",
    ]
    for f, names in report.input_names.items():
        lines.append(f"- `{f}`: inputs {', '.join(names)}")
        lines.append(f"  outputs {', '.join(report.output_names[f])}")
    lines.append("")
    (out / "README.md").write_text("\n".join(lines), encoding="utf-8")


def summary(name: str, seed: int, report: te.ExportReport, golden: dict[str, Any]) -> dict[str, Any]:
    out = MODELS / name
    size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    if size >= MAX_FIXTURE_BYTES:
        raise RuntimeError(f"{name}: {size} bytes, over the {MAX_FIXTURE_BYTES} limit")
    digest = hashlib.sha256()
    for p in sorted(out.rglob("*")):
        if p.is_file():
            digest.update(p.relative_to(out).as_posix().encode())
            digest.update(p.read_bytes())
    return {
        "name": name,
        "seed": seed,
        "bytes": size,
        "golden_bytes": (GOLDENS / f"{name}.json").stat().st_size,
        "max_abs_diff": report.worst_diff,
        "inputs": report.input_names,
        "sha256": digest.hexdigest()[:16],
        "greedy_min_margin": golden.get("greedy_min_margin", golden.get("greedy", {}).get("min_margin")),
    }


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> None:
    torch.use_deterministic_algorithms(True)
    torch.set_num_threads(1)
    code = code_corpus()
    pairs = catalogue_pairs()
    english = [en for en, _ in pairs]
    german = [de for _, de in pairs]
    text = code + english

    wanted = set(argv) or {"tiny-gpt2", "tiny-llama", "tiny-bloom", "tiny-marian"}
    results = []
    if "tiny-gpt2" in wanted:
        tok = fast(byte_level_bpe(text, 400, ["<|endoftext|>"]), bos_token="<|endoftext|>", eos_token="<|endoftext|>")
        results.append(
            decoder_fixture(
                "tiny-gpt2",
                build_gpt2,
                tok,
                "GPT-2 architecture: learned absolute position embeddings (`position_ids` input), "
                "2 layers, 4 heads, hidden 64, byte-level BPE vocabulary of 400.",
            )
        )
    if "tiny-llama" in wanted:
        tok = fast(sentencepiece_bpe(text, 500, limit_alphabet=80), bos_token="<s>", eos_token="</s>", unk_token="<unk>")
        results.append(
            decoder_fixture(
                "tiny-llama",
                build_llama,
                tok,
                "Llama architecture: rotary position embeddings (`position_ids` input), 2 layers, "
                "4 query heads sharing 2 key/value heads (grouped-query attention), hidden 64, "
                "SentencePiece-style BPE (Metaspace, byte fallback) of 500; the tokenizer adds BOS.",
            )
        )
    if "tiny-bloom" in wanted:
        tok = fast(
            byte_level_bpe(text, 400, ["<unk>", "<s>", "</s>", "<pad>"]),
            unk_token="<unk>",
            bos_token="<s>",
            eos_token="</s>",
            pad_token="<pad>",
        )
        results.append(
            decoder_fixture(
                "tiny-bloom",
                build_bloom,
                tok,
                "BLOOM architecture: ALiBi attention biases, so no position embeddings and **no "
                "`position_ids` input** (positions come from the cumulative attention mask); "
                "2 layers, 4 heads, hidden 64, byte-level BPE of 400.",
            )
        )
    if "tiny-marian" in wanted:
        marian_text = english + german
        tok = fast(marian_unigram(marian_text, 400), eos_token="</s>", unk_token="<unk>", pad_token="<pad>")
        results.append(
            marian_fixture(
                tok,
                "Marian (opus-mt) architecture: encoder-decoder, sinusoidal positions, 2+2 layers, "
                "4 heads, d_model 64, untied output projection, one Unigram vocabulary of 400 for both languages with target-language tokens "
                "`>>en<<` and `>>de<<` (multi-target: the source text starts with the target token, "
                "e.g. `>>de<< The file could not be opened.`). decoder_start_token_id = pad. "
                "The merged decoder computes cross-attention keys/values when the past encoder "
                "length is 0 and reuses them otherwise.",
            )
        )
    for r in results:
        print(json.dumps(r))


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main(sys.argv[1:])
