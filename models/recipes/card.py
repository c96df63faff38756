"""Write README.md (the model card) and SHA256SUMS for an exported default-model folder.

  python card.py code|translate --model ../tealeaf-code

Every number in the card is read from the files export_model.py copied into <model>/training/
(train_summary.json, train_log.csv, eval.json, corpus-manifest.json, tokenizer-stats.json,
export.json) and from the exported files themselves; nothing is typed in by hand.
SHA256SUMS lists every file in the folder except itself (sha256sum format, sorted paths).
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any


def load(p: Path):
    return json.loads(p.read_text())


def mb(n: float) -> str:
    return f"{n / 1e6:.1f} MB"


def fmt_int(n: int) -> str:
    return f"{n:,}"


def curve_table(log_csv: Path, rows: int = 8) -> str:
    data = list(csv.DictReader(open(log_csv)))
    if len(data) > rows:
        idx = sorted({round(i * (len(data) - 1) / (rows - 1)) for i in range(rows)})
        data = [data[i] for i in idx]
    out = ["| step | minutes | tokens | train loss | held-out loss |", "|---:|---:|---:|---:|---:|"]
    for r in data:
        out.append(f"| {r['step']} | {r['minutes']} | {fmt_int(int(r['tokens']))} | {r['train_loss'] or '–'} | "
                   f"{r['heldout_loss']} |")
    return "\n".join(out)


def onnx_sizes(model: Path) -> tuple[str, int]:
    files = sorted((model / "onnx").glob("*.onnx"))
    total = sum(f.stat().st_size for f in files)
    return ", ".join(f"`onnx/{f.name}` {mb(f.stat().st_size)}" for f in files), total


def licence_summary(pkgs: list[dict]) -> str:
    c = Counter()
    for p in pkgs:
        if p.get("licence"):
            c[p["licence"].split(",")[0].strip()] += 1
    return ", ".join(f"{k} ({v})" for k, v in c.most_common(8)) + (", …" if len(c) > 8 else "")


def cell(text: str) -> str:
    """Text for a Markdown table cell: pipes escaped, empty shown as such."""
    return text.replace("|", "\\|") if text.strip() else "*(empty)*"


def sums(model: Path) -> None:
    lines = []
    for p in sorted(model.rglob("*")):
        rel = p.relative_to(model).as_posix()
        if p.is_file() and rel != "SHA256SUMS":
            lines.append(f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {rel}")
    (model / "SHA256SUMS").write_text("\n".join(lines) + "\n")


COMMON_LIMITS = """- Trained from scratch in {minutes} minutes on {hardware}: this is a small
  demonstration model so that Tealeaf works offline out of the box, not a production model.
  Bring a larger exported model (same folder layout) for real work.
- The training data are Debian packages under many free licences (see
  `training/corpus-manifest.json` for every package, its version and licence); outputs can
  reproduce short fragments of that material."""


def training_records(model: Path) -> tuple[Any, Any, Any, Any, Any]:
    """What a card is written from: training summary, held-out evaluation, corpus manifest,
    tokenizer stats and export report (training/*.json, written by the earlier recipe steps)."""
    t = model / "training"
    names = ["train_summary.json", "eval.json", "corpus-manifest.json", "tokenizer-stats.json", "export.json"]
    s, e, m, ts, ex = (load(t / f) for f in names)
    return s, e, m, ts, ex


def code_card(model: Path) -> str:
    t = model / "training"
    s, e, m, ts, ex = training_records(model)
    c = s["config"]
    onnx_desc, onnx_total = onnx_sizes(model)
    o = e["overall"]
    pk = [p for p in m["packages"] if p.get("files")]
    top = sorted(pk, key=lambda p: -p["bytes"])[:12]
    heads = c["num_attention_heads"]
    head_dim = c["hidden_size"] // heads
    lang_rows = "\n".join(
        f"| {lang} | {fmt_int(v['tokens'])} | **{v['model_loss']}** | {v['model_perplexity']} | "
        f"**{v['model_top1_accuracy'] * 100:.1f}%** | {v['bigram_loss']} | {v['bigram_perplexity']} | "
        f"{v['bigram_top1_accuracy'] * 100:.1f}% |"
        for lang, v in [*e["by_language"].items(), ("**all**", o)])
    by_lang_bytes = ", ".join(f"{k} {mb(v)}" for k, v in sorted(m["bytes_by_language"].items(), key=lambda kv: -kv[1]))
    tok_by_lang = ", ".join(f"{k} {fmt_int(v)}" for k, v in ts["train"]["tokens_by_language"].items())
    held_pk = [p["package"] for p in pk if p.get("split") == "heldout"]
    py = next((p for p in pk if p["package"].startswith("libpython")), None)

    def ex_block(x: dict) -> str:
        fence = "````"          # four backticks: the code itself may contain ```
        return (f"*{x['lang']}, `{x['unit']}` ({x['path']}), {x['matching_chars']} characters right*\n\n"
                f"Prompt (last lines):\n{fence}\n{x['prompt_tail']}\n{fence}\nModel continues:\n{fence}\n"
                f"{x['output']}\n{fence}\nActual continuation:\n{fence}\n{x['reference']}\n{fence}\n")

    top_rows = "\n".join(f"| {p['package']} | {p['version']} | {p['licence']} | {mb(p['bytes'])} | {p.get('split', '')} |"
                         for p in top)
    if "language_budget_bytes" in m["filters"]:          # the broad corpus of corpus_code_broad.py
        b = broad_code_text(m, ts, s, pk, py)
        langs, built_by, tok_data, run_note, limits = (b["langs"], b["built_by"], b["tokenizer_and_data"],
                                                       b["run_note"], b["limits"])
    else:
        langs, built_by = "JavaScript, TypeScript and Python", "`models/recipes/build.sh code`"
        tok_data = f"""## Tokenizer

Byte-level BPE (Hugging Face `tokenizers`), {c['vocab_size']} tokens, trained on a 24 MB random sample of
the training files. One special token, `<|endoftext|>` (id {c['eos_token_id']}): it separates files in
training and is BOS, EOS and padding. The tokenizer adds no special tokens itself. No fill-in-the-middle
tokens: the model was not trained for FIM, it continues a prefix. {ts['bytes_per_token_train']:.2f} bytes per
token on the training split.

## Training data

Source files from **{m['packages_used']} Debian packages** (Debian 12 "bookworm"), fetched with
`apt-get download` and unpacked with `dpkg-deb -x`:

- JavaScript and TypeScript (`.js .mjs .cjs .ts .d.ts`) from `node-*` packages
  (list: `models/recipes/packages-code-node.txt`), under `/usr/share/nodejs` and friends;
- Python from the standard library of `{py['package'] if py else 'libpython3.11-stdlib'}` ({py['licence'] if py else 'PSF-2.0'}).

Filters: files of {m['filters']['min_file_bytes']}–{fmt_int(m['filters']['max_file_bytes'])} bytes, valid UTF-8, not
minified (no line over 400 characters, mean line under 90), `*.min.js` and bundles dropped; exact
duplicates removed ({fmt_int(m['totals_bytes']['dupes'])} files); at most {mb(m['filters']['max_unit_bytes'])} per package (per
top-level module for Python) so that a few huge packages do not dominate.
Kept: {by_lang_bytes}; {fmt_int(ts['train']['tokens'])} training tokens ({tok_by_lang}).

**Held-out split by package**: {len(held_pk)} whole node packages ({', '.join(held_pk)}) and
{len(py['heldout_modules']) if py else 0} whole standard-library modules ({', '.join(py['heldout_modules']) if py else ''}) are never
seen in training: {fmt_int(ts['heldout']['tokens'])} tokens.
"""
        run_note = """The run is time-budgeted (`train.py --minutes`), so the number of tokens depends on how busy the
machine was; the build machine was shared with other jobs and was heavily loaded during this run."""
        limits = """- Continues a prefix only (no fill-in-the-middle); 512 tokens of context at most.
- Mostly JavaScript; Python and TypeScript are a smaller share. Expect plausible-looking but often wrong
  identifiers, repetition on long generations, and no knowledge of anything outside these packages."""
    return f"""# tealeaf-code

A small Llama-style code model trained from scratch for Tealeaf's inline completions and attention
inspector. {langs}, trained only on source code shipped in Debian packages.
Built by {built_by}.

## Architecture

| | |
|---|---|
| class | `LlamaForCausalLM` (transformers {s['config'].get('transformers_version', '')}) |
| parameters | **{fmt_int(s['parameters'])}** (input and output embeddings tied) |
| layers | {c['num_hidden_layers']} |
| hidden size | {c['hidden_size']}, SwiGLU MLP {c['intermediate_size']} |
| attention | {heads} query heads, {c['num_key_value_heads']} key/value heads (grouped-query), head size {head_dim}, RoPE θ = {c['rope_theta'] if 'rope_theta' in c else c.get('rope_parameters', {}).get('rope_theta')} |
| normalisation | RMSNorm, ε = {c['rms_norm_eps']} |
| context | {c['max_position_embeddings']} tokens (trained on {s['context']}-token windows) |
| vocabulary | {c['vocab_size']} byte-level BPE tokens |
| weights | fp32, {onnx_desc} |

The ONNX graph (`onnx/model.onnx`, opset 18, eager attention) takes `input_ids`, `attention_mask`,
`position_ids` and `past_key_values.{{i}}.key|value` and returns `logits`, `present.{{i}}.key|value` and
`attentions.{{i}}` ([batch, heads, query, key]). Exported with `models/recipes/tealeaf_export.py`, which
checked it against PyTorch eager: largest difference {max(ex['max_abs_diff_onnx_vs_eager'].values()):.1e}.

{tok_data}
Licences (first licence of each package, package count): {licence_summary(pk)}. Every package with its
version, licence, files, bytes and split is in `training/corpus-manifest.json`. Largest contributors:

| package | version | licence | bytes kept | split |
|---|---|---|---:|---|
{top_rows}

## Training

| | |
|---|---|
| tokens trained | **{fmt_int(s['tokens_trained'])}** ({s['steps']} steps of {s['batch_sequences']} × {s['context']} tokens) |
| wall time | **{s['wall_minutes']} min** ({s['tokens_per_second']} tokens/s) |
| hardware | {s['hardware']} |
| software | PyTorch {s['torch']}, `attn_implementation="sdpa"` in training, eager for export |
| optimiser | {s['optimizer']}, weight decay 0.1 on matrices, peak learning rate {s['peak_lr']} |
| schedule | {s['schedule']} |

{run_note}
Loss curve (nats per token; held-out = 12 fixed held-out windows; full log in `training/train_log.csv`):

{curve_table(t / 'train_log.csv')}

## Held-out evaluation

On {fmt_int(o['tokens'])} predicted tokens of the held-out packages (each file from its start, non-overlapping
{e['context']}-token windows, at most {fmt_int(max(v['tokens'] for v in e['by_language'].values()))} tokens per language),
PyTorch eager fp32. The baseline is a bigram model on the same tokenizer, counted on all
{fmt_int(e['bigram_train_tokens'])} training tokens ({e['bigram']}), scored on the same positions.

| language | tokens | model loss | model ppl | model top-1 | bigram loss | bigram ppl | bigram top-1 |
|---|---:|---:|---:|---:|---:|---:|---:|
{lang_rows}

Loss in nats per token; top-1 = the arg-max next token equals the real one.

## Examples

{e['examples']['method']}; {e['examples']['candidates']} held-out files, mean
{e['examples']['mean_matching_chars']} characters reproduced. Best:

{chr(10).join(ex_block(x) for x in e['examples']['best'])}
Worst:

{chr(10).join(ex_block(x) for x in e['examples']['worst'])}
## Limits

{COMMON_LIMITS.format(minutes=s['wall_minutes'], hardware=s['hardware'])}
{limits}

## Files

`config.json`, `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`, `onnx/model.onnx`,
`training/` (loss curve, training summary, evaluation, corpus manifest, export check), `SHA256SUMS`.
PyTorch golden (logits, attentions, greedy tokens): `test/fixtures/goldens/{ex['golden']}`.
"""


def broad_code_text(m: dict, ts: dict, s: dict, pk: list, py: dict | None) -> dict:
    """The paragraphs of the code card that differ for the broad corpus (corpus_code_broad.py, issue 19)."""
    f = m["filters"]
    langs = sorted(m["bytes"]["train"].items(), key=lambda kv: -kv[1])
    names = {"python": "Python", "javascript": "JavaScript", "typescript": "TypeScript", "go": "Go", "rust": "Rust",
             "c": "C", "cpp": "C++", "shell": "shell", "java": "Java"}
    lang_list = ", ".join(names.get(k, k) for k, _ in langs)
    kept = ", ".join(f"{names.get(k, k)} {mb(v)}" for k, v in langs)
    tok_by_lang = ", ".join(f"{names.get(k, k)} {fmt_int(v)}" for k, v in
                            sorted(ts["train"]["tokens_by_language"].items(), key=lambda kv: -kv[1]))
    held_pk = [p["package"] for p in pk if p.get("split") == "heldout"]
    exs = ts["train"]["examples"]
    c = m["counts"]
    sp = ts.get("special_tokens", {})
    lists = sorted({p["list"] for p in m["packages"] if p.get("list", "").endswith(".txt") and p.get("files")})
    tokenizer_and_data = f"""## Tokenizer

Byte-level BPE (Hugging Face `tokenizers`), {ts['vocab_size']} tokens, trained on a {ts['tokenizer_sample_mb']:g} MB
sample of the training files in which every language has at least its share. Special tokens (ids):
{', '.join(f'`{k}` ({v})' for k, v in sp.items())}: Qwen2.5-Coder's names. `<|endoftext|>` ends every
example and is BOS, EOS and padding; the tokenizer adds no special tokens itself.
{ts['bytes_per_token_train']:.2f} bytes per token on the training split.

**Fill-in-the-middle.** {ts['fim_rate']:.0%} of the training files were turned into FIM examples: cut at
line starts into chunks of at most {fmt_int(ts['fim_chunk_chars'])} characters, each chunk cut at two uniformly random
character positions into prefix, middle and suffix, each part tokenized on its own. {ts['spm_rate']:.0%} of them in
SPM order, the rest in PSM order ({fmt_int(exs['psm'])} PSM, {fmt_int(exs['spm'])} SPM examples, {fmt_int(exs['plain'])} plain files):

- PSM: `<|fim_prefix|>` prefix `<|fim_suffix|>` suffix `<|fim_middle|>` middle `<|endoftext|>`
- SPM: `<|fim_prefix|><|fim_suffix|>` suffix `<|fim_middle|>` prefix middle `<|endoftext|>`

A client sends everything up to the middle and stops at `<|endoftext|>`.

## Training data

Source files from **{m['packages_used']} Debian packages** (Debian 12 "bookworm"), fetched with
`apt-get download` and unpacked with `dpkg-deb -x`, from the package lists {', '.join(f'`models/recipes/{x}`' for x in lists)}
(chosen by `models/recipes/select_packages.py`) and Python's standard library
(`{py['package'] if py else 'libpython3.11-stdlib'}`, PSF-2.0); built by `models/recipes/corpus_code_broad.py`.

Filters: files of {f['min_file_bytes']}–{fmt_int(f['max_file_bytes'])} bytes, valid UTF-8; minified files dropped ({fmt_int(c['minified'])});
generated files dropped ({fmt_int(c['generated'])}: {f['generated']}); exact duplicates ({fmt_int(c['exact_duplicates'])}) and
near-duplicates ({fmt_int(c['near_duplicates'])}: {f['near_dedup']}) dropped, first occurrence wins; at most
{mb(f['max_unit_bytes'])} per package and a byte budget per language (packages taken in a fixed pseudo-random order).
Kept for training: {kept}; {fmt_int(ts['train']['tokens'])} training tokens ({tok_by_lang}).

**Held-out split by package**: {len(held_pk)} whole packages and {len(py['heldout_modules']) if py else 0} standard-library
modules are never seen in training ({fmt_int(ts['heldout']['tokens'])} tokens); the list is in
`training/corpus-manifest.json`.
"""
    run_note = ("The run is time-budgeted (`train.py --minutes`, on the lent GPU by `models/recipes/device_train.sh`, "
                "the translation model training beside it on the same GPU); the weights came back in bf16 and were "
                "exported in fp32.") if s.get("device", "").startswith("cuda") else (
                "The run is time-budgeted (`train.py --minutes`), so the number of tokens depends on how busy the "
                "machine was.")
    limits = (f"- Fill-in-the-middle in PSM and SPM order (tokens above); {s.get('context') or 512} tokens of context at most.\n"
              f"- Mostly {names.get(langs[0][0], langs[0][0])} and {names.get(langs[1][0], langs[1][0])}; every language of the "
              "corpus is a small share of a small model. Expect plausible-looking but often wrong identifiers, "
              "repetition on long generations, and no knowledge of anything outside these packages.")
    return {"langs": lang_list, "built_by": "`models/recipes/build_broad.sh` and `models/recipes/device_train.sh`",
            "tokenizer_and_data": tokenizer_and_data, "run_note": run_note, "limits": limits}


def translate_card(model: Path) -> str:
    t = model / "training"
    s, e, m, ts, ex = training_records(model)
    c = s["config"]
    onnx_desc, onnx_total = onnx_sizes(model)
    gl = [p for p in m["packages"] if p["package"] != "trans-de-en"]
    ding = next((p for p in m["packages"] if p["package"] == "trans-de-en"), None)
    gl_train = [p for p in gl if p["split"] == "train" and p["pairs_kept"]]
    gl_held = [p for p in gl if p["split"] == "heldout" and p["pairs_kept"]]
    src_rows = "\n".join(f"| {p['package']} | {p['version']} | {p['licence']} | {fmt_int(p['pairs_kept'])} | {p['split']} |"
                         for p in sorted(gl, key=lambda p: -p["pairs_kept"])[:15])
    metric_rows = []
    for g, gv in e["groups"].items():
        for d in ("en-de", "de-en"):
            v = gv[d]
            metric_rows.append(f"| {g} | {d} | {gv['pairs']} | **{v['chrF']}** | **{v['BLEU']}** | "
                               f"{v['heldout_loss']} | {v['heldout_perplexity']} | {v['exact_match'] * 100:.1f}% |")
    check = next((gv[d].get("sacrebleu_check") for gv in e["groups"].values() for d in ("en-de",)
                  if gv[d].get("sacrebleu_check")), None)

    def exs(kind: str) -> str:
        out = []
        for g, gv in e["groups"].items():
            for d in ("en-de", "de-en"):
                for x in gv[d][kind][:2]:
                    cells = [cell(x["source"]), cell(x["output"]), cell(x["reference"])]
                    out.append(f"| {d} | {cells[0]} | {cells[1]} | {cells[2]} | {x['chrF']} |")
        return "| direction | source | output | reference | chrF |\n|---|---|---|---|---:|\n" + "\n".join(out)

    return f"""# tealeaf-translate

A small Marian-style encoder-decoder trained from scratch for Tealeaf's English↔German translation.
**One model serves both directions**: the target language is chosen by a token prepended to the source,
as in the multilingual opus-mt models: `>>de<< text` translates English to German, `>>en<< text`
German to English. Built by `models/recipes/build.sh translate`.

## Usage

- Encoder input: the string `">>de<< " + english` or `">>en<< " + german`, tokenized with `tokenizer.json`
  (it appends `</s>`). Encode that exact string: the training data were encoded the same way.
  `tokenizer_config.json` names `PreTrainedTokenizerFast`, not `MarianTokenizer`, because
  transformers.js' `MarianTokenizer` strips the space after the language token.
- Decoder starts from `<pad>` (id {c['decoder_start_token_id']}), stops at `</s>` (id {c['eos_token_id']}); greedy decoding.
- Outputs start with a space (targets were trained as `" " + text` so that every word is a `Ġword`
  token): trim the decoded text.

## Architecture

| | |
|---|---|
| class | `MarianMTModel` (transformers), sinusoidal positions as in the original Transformer |
| parameters | **{fmt_int(s['parameters'])}** (encoder, decoder and output embeddings shared) |
| layers | {c['encoder_layers']} encoder + {c['decoder_layers']} decoder |
| width | d_model {c['d_model']}, {c['encoder_attention_heads']} heads, feed-forward {c['encoder_ffn_dim']}, {c['activation_function']} |
| positions | up to {c['max_position_embeddings']} tokens |
| vocabulary | {c['vocab_size']} shared byte-level BPE tokens incl. `<pad>`, `</s>`, `<unk>`, `>>de<<`, `>>en<<` |
| weights | fp32, {onnx_desc} (each graph carries its own copy of the shared embedding) |

`onnx/encoder_model.onnx` (`input_ids`, `attention_mask` → `last_hidden_state`, `encoder_attentions.{{i}}`) and
`onnx/decoder_model_merged.onnx` (with `past_key_values.{{i}}.decoder|encoder.key|value`, returning
`decoder_attentions.{{i}}` and `cross_attentions.{{i}}`), exported with `models/recipes/tealeaf_export.py` and
checked against PyTorch eager: largest difference {max(ex['max_abs_diff_onnx_vs_eager'].values()):.1e}.

## Training data

English↔German pairs from Debian packages (Debian 12 "bookworm"):

- **gettext catalogues**: German `.mo` files installed under `/usr/share/locale/de` (each attributed to its
  package with `dpkg -S`) and those in the l10n packages of `models/recipes/packages-translate.txt`
  (`apt-get download`, `dpkg-deb -x`); msgid = English, msgstr = German. {len([p for p in gl if p['pairs_kept']])} packages,
  {fmt_int(sum(p['pairs_kept'] for p in gl))} pairs kept.
- **Ding dictionary** (`trans-de-en` {ding['version'] if ding else ''}, {ding['licence'] if ding else ''}): aligned senses of each entry,
  first synonym of each side, annotations removed; {fmt_int(ding['raw_entries']) if ding else 0} sense pairs, a random
  {fmt_int(ding['pairs_kept']) if ding else 0} kept so the dictionary does not drown the sentences.
- Paragraph-aligned manuals were not used (not aligned reliably enough in the time available).

Filters: {'; '.join(f'{k}: {v}' for k, v in m['filters'].items())}.
Pairs: **{fmt_int(m['pairs']['train'])} train**, {fmt_int(m['pairs']['heldout'])} held-out; each pair trains both directions.

**Held-out split by source**: whole gettext packages ({', '.join(p['package'] for p in gl_held)}) and 1% of
the dictionary lines; held-out pairs whose English or German side also occurs in training were dropped
({m['heldout_dropped_as_seen']}), so no held-out string occurs in training. Related phrasing does:
held-out packages can share a project with training packages (postgresql-client-15 is held out,
postgresql-15 is not), and catalogue messages follow common patterns ("could not read …: %s"), so the
gettext scores measure the model on its own domain, not on general text. The dictionary scores show
the weaker general-vocabulary side.

Licences of the catalogue packages (first licence, package count): {licence_summary(gl)}. Largest sources
(all packages in `training/corpus-manifest.json`):

| package | version | licence | pairs | split |
|---|---|---|---:|---|
{src_rows}

## Training

| | |
|---|---|
| tokens trained | **{fmt_int(s['tokens_trained'])}** target tokens (+ {fmt_int(s['source_tokens_trained'])} source tokens), {s['steps']} steps |
| batches | up to {s['max_tokens_per_batch']} padded tokens, length-bucketed; label smoothing {s['label_smoothing']}, dropout {c['dropout']} |
| wall time | **{s['wall_minutes']} min** |
| hardware | {s['hardware']} |
| optimiser | {s['optimizer']}, peak learning rate {s['peak_lr']} |
| schedule | {s['schedule']} |

The run is time-budgeted (`train.py --minutes`); the build machine was shared and heavily loaded.
Loss curve (target nats per token with label smoothing in training, without on the 256 fixed held-out
examples; full log in `training/train_log.csv`):

{curve_table(t / 'train_log.csv')}

## Held-out evaluation

Greedy decoding (PyTorch eager fp32), corpus-level chrF (chrF2, character 6-grams) and BLEU (13a tokens,
4-grams) computed by `models/recipes/metrics.py`{f", identical to sacrebleu 2.6.0 (en-de check: chrF {check['chrF']}, BLEU {check['BLEU']})" if check else ""};
loss = teacher-forced target nats per token.

| held-out set | direction | pairs | chrF | BLEU | loss | ppl | exact |
|---|---|---:|---:|---:|---:|---:|---:|
{chr(10).join(metric_rows)}

### Good outputs (highest sentence chrF among multi-word sources)

{exs('best_examples')}

### Bad outputs (lowest sentence chrF)

{exs('worst_examples')}

## Limits

{COMMON_LIMITS.format(minutes=s['wall_minutes'], hardware=s['hardware'])}
- The domain is software user-interface strings and dictionary entries: short phrases. Long sentences,
  prose and documents translate poorly; entries over 160 characters were not trained.
- Placeholders such as `%s` and `{{0}}` occur in the catalogue training pairs, but the model is not
  guaranteed to copy them: mask them before translating (Tealeaf's translate feature does).

## Files

`config.json`, `generation_config.json`, `tokenizer.json`, `tokenizer_config.json`,
`onnx/encoder_model.onnx`, `onnx/decoder_model_merged.onnx`, `training/` (loss curve, training summary,
evaluation, corpus manifest, export check), `SHA256SUMS`. PyTorch golden (logits, attentions, greedy and
beam outputs): `test/fixtures/goldens/{ex['golden']}`.
"""


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate"])
    ap.add_argument("--model", type=Path, required=True)
    args = ap.parse_args()
    text = code_card(args.model) if args.task == "code" else translate_card(args.model)
    (args.model / "README.md").write_text(text)
    sums(args.model)
    _, total = onnx_sizes(args.model)
    if total > 40e6 * (1 if args.task == "code" else 1.1):
        print(f"warning: ONNX weights {mb(total)} exceed the 40 MB budget")
    print(f"wrote {args.model / 'README.md'} and SHA256SUMS ({mb(total)} ONNX)")


if __name__ == "__main__":
    main()
