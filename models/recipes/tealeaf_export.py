"""Export Hugging Face models to the transformers.js / Optimum folder layout Tealeaf loads.

Public API (used by make_fixtures.py and by the default-model recipes):

    export_decoder(model, tokenizer, out_dir)              -> ExportReport
    export_encoder_decoder(model, tokenizer, out_dir)      -> ExportReport
    write_decoder_golden(model, tokenizer, prompt, path)   -> dict
    write_seq2seq_golden(model, tokenizer, source, path)   -> dict

Folder layout (the transformers.js layout; README, "Bring your own model"):

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json
    onnx/model.onnx                                           (decoder-only)
    onnx/encoder_model.onnx + onnx/decoder_model_merged.onnx  (encoder-decoder)

Every export is verified against PyTorch eager with onnxruntime before the function returns
(prefill with an empty past, then several cached decode steps, for one sequence and for a padded
batch of two; for seq2seq also that cached steps ignore encoder_hidden_states); a max abs
difference of 1e-4 or more raises ExportVerificationError.

Pitfalls met on torch 2.13 / transformers 5.18 / onnxruntime 1.30 / transformers.js 4.3.1 and how
this module handles them:

* Exporter: the TorchScript exporter fails on aten::diff, and opset 17 writes an invalid Split, so
  it is `torch.onnx.export(..., dynamo=True, opset_version=18)` only.
* `attn_implementation="eager"` is forced: SDPA has no Softmax node to read attentions from and
  does not return attention probabilities at all.
* A Cache object cannot cross the export boundary, so a wrapper module takes flat past tensors,
  refills a DynamicCache with `cache.update(k, v, layer)` and returns flat presents. A past length
  of 0 must stay symbolic (one merged graph for prefill and decode), so the example inputs used for
  tracing have a past length of at least 2 (torch.export specialises sizes 0 and 1).
* transformers.js builds the empty past from the session's input metadata: a dimension named
  exactly `batch_size` gets the batch size, every other symbolic dimension becomes 0. So the batch
  axis must be named `batch_size` and the past length must be symbolic.
* dynamic_shapes: `torch.export.Dim` cannot express `past + seq` (derived dims take one Dim only),
  so the axes are given as strings; torch.onnx turns them into Dim.DYNAMIC and names the ONNX axes
  after them. Outputs whose size is an expression come out named after it (e.g.
  `past_sequence_length + sequence_length`) and are renamed to the Optimum names afterwards
  (`total_sequence_length`). torch.export groups a `*past` varargs parameter into one tuple, so its
  dynamic shapes are nested the same way.
* In the merged seq2seq decoder a `.view(batch, n, -1, head_dim)` of a zero-row projection fails
  to export ("cannot reshape tensor of 0 elements ... -1 is ambiguous"): the head count is explicit.
* The dynamo exporter stores a stack trace with absolute paths on every node: stripped, so that
  rebuilt files are identical and about a third of the size.
* transformers 5 writes `"tokenizer_class": "TokenizersBackend"`, unknown to transformers.js; the
  class is set per model type (TOKENIZER_CLASSES) or by the caller.
* transformers.js needs `tokenizer_config.json` beside `tokenizer.json`, and without
  `"clean_up_tokenization_spaces": false` its decode does not round-trip (`" != "` -> `"!= "`).
* Encoder-decoder: transformers.js 4.3.1 loads only `decoder_model_merged.onnx` (no
  `decoder_with_past`) and, from the second step on, replaces the `present.*.encoder.*` outputs with
  the past it fed in. The merged decoder therefore computes cross-attention keys/values only for
  the encoder positions not yet in the past (`encoder_hidden_states[:, past_encoder_len:]`) and
  appends them: with an empty encoder past this is the full projection, with a full one it is a
  zero-row projection, so a runtime that keeps the cross K/V skips recomputing them, and no `If`
  node is needed. The past encoder length must be 0 or the encoder length.
* Decoder-only models whose forward takes `position_ids` (Llama, GPT-2) get that input; BLOOM
  (ALiBi) takes none, so its graph has no `position_ids` input: its positions come from the
  cumulative attention mask.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import json
import math
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import onnx
import onnxruntime as ort
import torch
from torch import nn
from transformers import DynamicCache, EncoderDecoderCache

OPSET = 18
TOLERANCE = 1e-4
# Greedy goldens are only useful if float noise cannot flip the arg-max.
MIN_TOP1_MARGIN = 1e-3


class ExportVerificationError(RuntimeError):
    """The exported ONNX graph does not reproduce PyTorch eager within TOLERANCE."""


class GoldenMarginError(RuntimeError):
    """A greedy step of a golden has top-1 and top-2 logits too close to be reproducible."""


@dataclasses.dataclass
class ExportReport:
    out_dir: str
    files: dict[str, int]  # relative path -> bytes
    max_abs_diff: dict[str, float]  # check name -> max abs diff ONNX vs eager
    input_names: dict[str, list[str]]  # onnx file -> input names
    output_names: dict[str, list[str]]  # onnx file -> output names

    @property
    def worst_diff(self) -> float:
        return max(self.max_abs_diff.values()) if self.max_abs_diff else 0.0


# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------


def _prepare(model: nn.Module) -> nn.Module:
    """Eval mode, float32 and eager attention (Softmax nodes, attention outputs)."""
    model = model.eval().float()
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")
    else:  # older transformers
        model.config._attn_implementation = "eager"
    return model


def _takes_position_ids(model: nn.Module) -> bool:
    return "position_ids" in inspect.signature(model.forward).parameters


def _finalize_onnx(path: Path, rename: Callable[[str], str]) -> None:
    """Rename symbolic dimensions (dim_param) and strip per-node metadata, in place.

    The dynamo exporter stores a stack trace, FX node and class hierarchy on every node: they hold
    absolute paths of this machine (the files would not be reproducible) and triple the size of a
    small model. Nothing downstream reads them.
    """
    proto = onnx.load(str(path))

    def fix(value_infos: Sequence[onnx.ValueInfoProto]) -> None:
        for vi in value_infos:
            if not vi.type.HasField("tensor_type"):
                continue
            for d in vi.type.tensor_type.shape.dim:
                if d.HasField("dim_param"):
                    d.dim_param = rename(d.dim_param)

    def strip(graph: onnx.GraphProto) -> None:
        fix(graph.input)
        fix(graph.output)
        fix(graph.value_info)
        for node in graph.node:
            del node.metadata_props[:]
            node.doc_string = ""
            for attr in node.attribute:
                if attr.type == onnx.AttributeProto.GRAPH:
                    strip(attr.g)
                for g in attr.graphs:
                    strip(g)

    strip(proto.graph)
    del proto.metadata_props[:]
    onnx.save(proto, str(path))


def _export_onnx(
    wrapper: nn.Module,
    args: tuple[torch.Tensor, ...],
    path: Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_shapes: tuple[Any, ...],
) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with torch.no_grad():
            program = torch.onnx.export(
                wrapper,
                args,
                dynamo=True,
                opset_version=OPSET,
                input_names=input_names,
                output_names=output_names,
                dynamic_shapes=dynamic_shapes,
                external_data=False,
                optimize=True,
            )
    assert program is not None
    program.save(str(path), external_data=False)
    onnx.checker.check_model(str(path))
    proto = onnx.load(str(path), load_external_data=False)
    got_in = [i.name for i in proto.graph.input]
    got_out = [o.name for o in proto.graph.output]
    if got_in != input_names or got_out != output_names:
        raise ExportVerificationError(
            f"{path.name}: exported names differ from the requested ones\n"
            f"inputs  {got_in}\n  want  {input_names}\noutputs {got_out}\n  want  {output_names}"
        )


def _dim_names(path: Path) -> dict[str, list[str | int]]:
    proto = onnx.load(str(path), load_external_data=False)
    out: dict[str, list[str | int]] = {}
    for vi in list(proto.graph.input) + list(proto.graph.output):
        out[vi.name] = [d.dim_param if d.HasField("dim_param") else d.dim_value for d in vi.type.tensor_type.shape.dim]
    return out


def _check_dims(path: Path, expected: dict[str, list[str | int]]) -> None:
    """Fail loudly if a symbolic dimension name is not the Optimum one (transformers.js reads them)."""
    got = _dim_names(path)
    for name, want in expected.items():
        if name not in got:
            raise ExportVerificationError(f"{path.name}: missing {name}")
        have = got[name]
        if len(have) != len(want) or any(isinstance(w, str) and h != w for h, w in zip(have, want)):
            raise ExportVerificationError(f"{path.name}: {name} has dims {have}, expected {want}")


def _session(path: Path) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])


def _maxdiff(a: torch.Tensor | np.ndarray, b: torch.Tensor | np.ndarray, keep: np.ndarray | None = None) -> float:
    x = a.detach().cpu().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)
    y = b.detach().cpu().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    if x.shape != y.shape:
        raise ExportVerificationError(f"shape mismatch {x.shape} vs {y.shape}")
    if keep is not None:
        x, y = x[keep], y[keep]
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x.astype(np.float64) - y.astype(np.float64))))


# transformers.js picks its tokenizer class from tokenizer_config.json's `tokenizer_class`
# (a trailing "Fast" is dropped). transformers 5 writes "TokenizersBackend", which transformers.js
# does not know (it warns and falls back to the base class). transformers.js' MarianTokenizer
# splits a leading `>>xx<<` token off, trims the space after it and encodes the rest alone: that
# equals Python's encoding only when the tokenizer's Metaspace prepends "▁" to every segment
# (prepend_scheme "always", as opus-mt's and tiny-marian's do). Otherwise pass
# tokenizer_class="PreTrainedTokenizerFast" (the default-model recipe does).
TOKENIZER_CLASSES = {
    "gpt2": "GPT2Tokenizer",
    "llama": "LlamaTokenizer",
    "bloom": "BloomTokenizer",
    "falcon": "PreTrainedTokenizerFast",
    "marian": "MarianTokenizer",
}


def _save_common(model: nn.Module, tokenizer: Any, out_dir: Path, tokenizer_class: str | None) -> None:
    """config.json, generation_config.json, tokenizer.json, tokenizer_config.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    config = copy.deepcopy(model.config)
    # Record eager attention: the graph has Softmax nodes and attention outputs.
    config._attn_implementation = "eager"
    config.save_pretrained(str(out_dir))
    gen = getattr(model, "generation_config", None)
    if gen is not None:
        gen.save_pretrained(str(out_dir))
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        tok_json = Path(tmp) / "tokenizer.json"
        if not tok_json.exists():
            raise ExportVerificationError(
                "tokenizer has no tokenizer.json (a fast tokenizer is required: transformers.js and "
                "@huggingface/tokenizers read only tokenizer.json)"
            )
        shutil.copyfile(tok_json, out_dir / "tokenizer.json")
        cfg_path = Path(tmp) / "tokenizer_config.json"
        cfg = json.loads(cfg_path.read_text(encoding="utf-8")) if cfg_path.exists() else {}
    # Without this transformers.js' decode does not round-trip (" != " -> "!= ").
    cfg["clean_up_tokenization_spaces"] = False
    # Keep the file self-contained and deterministic: drop machine-specific keys.
    for key in ("name_or_path", "auto_map", "processor_class", "backend"):
        cfg.pop(key, None)
    cfg["tokenizer_class"] = tokenizer_class or TOKENIZER_CLASSES.get(model.config.model_type, "PreTrainedTokenizerFast")
    # save_pretrained writes int(1e30) when unknown; state the real context length instead.
    for attr in ("max_position_embeddings", "n_positions"):
        limit = getattr(model.config, attr, None)
        if isinstance(limit, int):
            cfg["model_max_length"] = limit
            break
    else:
        cfg.pop("model_max_length", None)
    # transformers.js reads special tokens from tokenizer_config.json; write them explicitly.
    for attr in ("bos_token", "eos_token", "unk_token", "pad_token"):
        value = getattr(tokenizer, attr, None)
        if isinstance(value, str):
            cfg[attr] = value
    (out_dir / "tokenizer_config.json").write_text(
        json.dumps(cfg, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8"
    )
    # save_pretrained writes machine-specific or floating fields; pin what transformers.js reads.
    cfg_json = json.loads((out_dir / "config.json").read_text(encoding="utf-8"))
    cfg_json.pop("_name_or_path", None)
    (out_dir / "config.json").write_text(json.dumps(cfg_json, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _file_sizes(out_dir: Path) -> dict[str, int]:
    return {
        str(p.relative_to(out_dir)): p.stat().st_size for p in sorted(out_dir.rglob("*")) if p.is_file()
    }


def _sample_ids(tokenizer: Any, vocab_size: int, length: int, seed: int) -> list[int]:
    """Token ids for verification: real text when the tokenizer gives enough, random ids otherwise."""
    text = "def greet(name):\n    return f'Hällo, {name}!'  # ünïcode → ok\nThe quick brown fox."
    ids = list(tokenizer(text, add_special_tokens=False)["input_ids"])
    if len(ids) < length:
        gen = torch.Generator().manual_seed(seed)
        ids += torch.randint(0, vocab_size, (length - len(ids),), generator=gen).tolist()
    return ids[:length]


# --------------------------------------------------------------------------------------------
# Decoder-only
# --------------------------------------------------------------------------------------------


class _DecoderWrapper(nn.Module):
    """forward(input_ids, attention_mask, [position_ids], *past) -> logits, *presents, *attentions.

    past/presents are flat: key_0, value_0, key_1, value_1, ... each [batch, kv_heads, len, head_dim].
    """

    def __init__(self, model: nn.Module, num_layers: int, with_position_ids: bool) -> None:
        super().__init__()
        self.model = model
        self.num_layers = num_layers
        self.with_position_ids = with_position_ids

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, *rest: torch.Tensor):
        position_ids = rest[0] if self.with_position_ids else None
        past = rest[1:] if self.with_position_ids else rest
        cache = DynamicCache()
        for i in range(self.num_layers):
            cache.update(past[2 * i], past[2 * i + 1], i)  # each [batch, kv_heads, past, head_dim]
        kwargs: dict[str, Any] = {}
        if self.with_position_ids:
            kwargs["position_ids"] = position_ids
        out = self.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            past_key_values=cache,
            use_cache=True,
            output_attentions=True,
            return_dict=True,
            **kwargs,
        )
        presents: list[torch.Tensor] = []
        for layer in out.past_key_values.layers:
            presents += [layer.keys, layer.values]  # [batch, kv_heads, total, head_dim]
        # logits [batch, seq, vocab]; attentions[i] [batch, heads, seq, total]
        return (out.logits, *presents, *out.attentions)


def _decoder_geometry(model: nn.Module) -> tuple[int, int, int, int]:
    """(num_layers, num_heads, num_kv_heads, head_dim), read from a real forward pass (no guessing
    among config spellings: n_head, num_attention_heads, multi_query, new_decoder_architecture...)."""
    with torch.no_grad():
        out = model(
            input_ids=torch.zeros((1, 2), dtype=torch.long),
            attention_mask=torch.ones((1, 2), dtype=torch.long),
            use_cache=True,
            output_attentions=True,
            return_dict=True,
        )
    layers = out.past_key_values.layers
    k = layers[0].keys
    if k.dim() != 4 or k.shape[2] != 2:
        raise ExportVerificationError(
            f"{type(model).__name__}: unsupported cache layout {tuple(k.shape)}, expected [batch, kv_heads, seq, head_dim]"
        )
    num_heads = out.attentions[0].shape[1]
    return len(layers), int(num_heads), int(k.shape[1]), int(k.shape[3])


def export_decoder(
    model: nn.Module,
    tokenizer: Any,
    out_dir: str | os.PathLike,
    *,
    verify_steps: int = 4,
    tokenizer_class: str | None = None,
) -> ExportReport:
    """Export a causal LM to out_dir/onnx/model.onnx plus config and tokenizer files, then verify it.

    tokenizer_class: the class transformers.js instantiates (default: TOKENIZER_CLASSES by model type).
    """
    out = Path(out_dir)
    model = _prepare(model)
    num_layers, num_heads, kv_heads, head_dim = _decoder_geometry(model)
    with_pos = _takes_position_ids(model)
    vocab = int(model.get_output_embeddings().weight.shape[0])

    input_names = ["input_ids", "attention_mask"] + (["position_ids"] if with_pos else [])
    output_names = ["logits"]
    for i in range(num_layers):
        input_names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        output_names += [f"present.{i}.key", f"present.{i}.value"]
    output_names += [f"attentions.{i}" for i in range(num_layers)]

    # Example inputs: sizes >= 2 everywhere so that nothing is specialised to 0 or 1.
    batch, seq, past = 2, 3, 4
    ids = torch.randint(0, vocab, (batch, seq), generator=torch.Generator().manual_seed(0))
    mask = torch.ones((batch, past + seq), dtype=torch.long)
    pos = torch.arange(past, past + seq, dtype=torch.long).unsqueeze(0).expand(batch, seq).contiguous()
    pkv = [torch.randn(batch, kv_heads, past, head_dim) * 0.1 for _ in range(2 * num_layers)]
    args = (ids, mask) + ((pos,) if with_pos else ()) + tuple(pkv)

    # String dims: torch.onnx turns them into Dim.DYNAMIC and names the ONNX axes after them.
    b, s, p, t = "batch_size", "sequence_length", "past_sequence_length", "total_sequence_length"
    # torch.export groups the *rest varargs into one tuple: the shapes must nest the same way.
    rest_dyn: list[Any] = [{0: b, 1: s}] if with_pos else []
    rest_dyn += [{0: b, 2: p}] * (2 * num_layers)
    dyn = ({0: b, 1: s}, {0: b, 1: t}, tuple(rest_dyn))

    onnx_path = out / "onnx" / "model.onnx"
    wrapper = _DecoderWrapper(model, num_layers, with_pos).eval()
    _export_onnx(wrapper, args, onnx_path, input_names, output_names, dyn)
    totals = {"past_sequence_length + sequence_length", "sequence_length + past_sequence_length"}
    _finalize_onnx(onnx_path, lambda d: "total_sequence_length" if d in totals else d)
    expected: dict[str, list[str | int]] = {
        "input_ids": ["batch_size", "sequence_length"],
        "attention_mask": ["batch_size", "total_sequence_length"],
        "logits": ["batch_size", "sequence_length", vocab],
    }
    if with_pos:
        expected["position_ids"] = ["batch_size", "sequence_length"]
    for i in range(num_layers):
        for kind in ("key", "value"):
            expected[f"past_key_values.{i}.{kind}"] = ["batch_size", kv_heads, "past_sequence_length", head_dim]
            expected[f"present.{i}.{kind}"] = ["batch_size", kv_heads, "total_sequence_length", head_dim]
        expected[f"attentions.{i}"] = ["batch_size", num_heads, "sequence_length", "total_sequence_length"]
    _check_dims(onnx_path, expected)

    _save_common(model, tokenizer, out, tokenizer_class)
    diffs = _verify_decoder(model, tokenizer, onnx_path, num_layers, kv_heads, head_dim, with_pos, vocab, verify_steps)
    return _verified_report(
        onnx_path, out, diffs, {"onnx/model.onnx": input_names}, {"onnx/model.onnx": output_names}
    )


def _verified_report(
    what: Path,
    out: Path,
    diffs: dict[str, float],
    input_names: dict[str, list[str]],
    output_names: dict[str, list[str]],
) -> ExportReport:
    """Fails the export when any ONNX output differs from eager beyond TOLERANCE; else reports it."""
    bad = {k: v for k, v in diffs.items() if not v < TOLERANCE}
    if bad:
        raise ExportVerificationError(f"{what}: ONNX differs from eager beyond {TOLERANCE}: {bad}")
    return ExportReport(
        out_dir=str(out),
        files=_file_sizes(out),
        max_abs_diff=diffs,
        input_names=input_names,
        output_names=output_names,
    )


def _positions(mask: np.ndarray, new: int) -> np.ndarray:
    """position_ids as transformers.js and HF generate compute them: cumsum(mask) - 1, pads -> 1."""
    pos = np.cumsum(mask, axis=1) - 1
    pos[mask == 0] = 1
    return pos[:, -new:].astype(np.int64)


def _verify_decoder(
    model: nn.Module,
    tokenizer: Any,
    onnx_path: Path,
    num_layers: int,
    kv_heads: int,
    head_dim: int,
    with_pos: bool,
    vocab: int,
    steps: int,
) -> dict[str, float]:
    """Compare ONNX and eager: prefill (empty past) and `steps` greedy decode steps, for batch 1 and
    for a left-padded batch of 2 (positions and ALiBi must honour the mask). Pad positions are
    excluded from the comparison (their rows are meaningless in both)."""
    sess = _session(onnx_path)
    names = [o.name for o in sess.get_outputs()]
    diffs: dict[str, float] = {}

    base = _sample_ids(tokenizer, vocab, 9, seed=1)
    short = base[:6]
    cases = {"b1": ([base], [[1] * len(base)])}
    pad_id = 0
    cases["b2_leftpad"] = (
        [base, [pad_id] * (len(base) - len(short)) + short],
        [[1] * len(base), [0] * (len(base) - len(short)) + [1] * len(short)],
    )

    for case, (ids_list, mask_list) in cases.items():
        ids = np.array(ids_list, dtype=np.int64)  # [batch, seq]
        mask = np.array(mask_list, dtype=np.int64)  # [batch, seq]
        batch = ids.shape[0]
        past_np = [np.zeros((batch, kv_heads, 0, head_dim), dtype=np.float32) for _ in range(2 * num_layers)]
        cache = DynamicCache()
        new_ids = ids
        for step in range(steps + 1):
            t_new = new_ids.shape[1]
            feeds: dict[str, np.ndarray] = {"input_ids": new_ids, "attention_mask": mask}
            if with_pos:
                feeds["position_ids"] = _positions(mask, t_new)
            for i in range(num_layers):
                feeds[f"past_key_values.{i}.key"] = past_np[2 * i]
                feeds[f"past_key_values.{i}.value"] = past_np[2 * i + 1]
            got = dict(zip(names, sess.run(names, feeds)))

            kwargs: dict[str, Any] = {}
            if with_pos:
                kwargs["position_ids"] = torch.from_numpy(feeds["position_ids"])
            with torch.no_grad():
                ref = model(
                    input_ids=torch.from_numpy(new_ids),
                    attention_mask=torch.from_numpy(mask),
                    past_key_values=cache,
                    use_cache=True,
                    output_attentions=True,
                    return_dict=True,
                    **kwargs,
                )
            cache = ref.past_key_values
            q_keep = mask[:, -t_new:].astype(bool)  # [batch, seq]: real query positions
            k_keep = mask.astype(bool)  # [batch, total]: real key positions
            tag = f"{case}_{'prefill' if step == 0 else 'decode'}"
            d = diffs.get(f"{tag}_logits", 0.0)
            diffs[f"{tag}_logits"] = max(d, _maxdiff(got["logits"], ref.logits, q_keep))
            d = diffs.get(f"{tag}_present", 0.0)
            for i, layer in enumerate(cache.layers):
                d = max(d, _maxdiff(got[f"present.{i}.key"].transpose(0, 2, 1, 3), layer.keys.transpose(1, 2), k_keep))
                d = max(d, _maxdiff(got[f"present.{i}.value"].transpose(0, 2, 1, 3), layer.values.transpose(1, 2), k_keep))
            diffs[f"{tag}_present"] = d
            d = diffs.get(f"{tag}_attentions", 0.0)
            for i in range(num_layers):
                a = got[f"attentions.{i}"].transpose(0, 2, 1, 3)  # [batch, seq, heads, total]
                r = ref.attentions[i].transpose(1, 2)
                d = max(d, _maxdiff(a, r, q_keep))
            diffs[f"{tag}_attentions"] = d

            nxt = ref.logits[:, -1, :].argmax(-1).numpy().astype(np.int64)[:, None]  # [batch, 1]
            past_np = [got[f"present.{i}.{kind}"] for i in range(num_layers) for kind in ("key", "value")]
            new_ids = nxt
            mask = np.concatenate([mask, np.ones((batch, 1), dtype=np.int64)], axis=1)
    return diffs


# --------------------------------------------------------------------------------------------
# Encoder-decoder (Marian / BART family)
# --------------------------------------------------------------------------------------------


class _EncoderWrapper(nn.Module):
    """forward(input_ids, attention_mask) -> last_hidden_state, *encoder_attentions."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.encoder = model.get_encoder()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor):
        out = self.encoder(
            input_ids=input_ids, attention_mask=attention_mask, output_attentions=True, return_dict=True
        )
        # last_hidden_state [batch, enc, d_model]; attentions[i] [batch, heads, enc, enc]
        return (out.last_hidden_state, *out.attentions)


def _decoder_layers(model: nn.Module) -> nn.ModuleList:
    return model.get_decoder().layers


def _cross_kv(attn: nn.Module, states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Cross-attention K/V of `states` [batch, n, d_model] -> 2 x [batch, heads, n, head_dim],
    exactly as BART-family attention computes them (k_proj / v_proj, then split heads)."""
    # An explicit head count: with -1 a zero-row projection cannot be reshaped (0 elements).
    heads = attn.k_proj.out_features // attn.head_dim
    shape = (*states.shape[:-1], heads, attn.head_dim)
    k = attn.k_proj(states).view(shape).transpose(1, 2)
    v = attn.v_proj(states).view(shape).transpose(1, 2)
    return k, v


class _Seq2SeqDecoderWrapper(nn.Module):
    """forward(encoder_attention_mask, input_ids, encoder_hidden_states, *past)
    -> logits, *presents, *decoder_attentions, *cross_attentions.

    past/presents per layer: decoder.key, decoder.value, encoder.key, encoder.value.
    """

    def __init__(self, model: nn.Module, num_layers: int) -> None:
        super().__init__()
        self.model = model
        self.num_layers = num_layers

    def forward(
        self,
        encoder_attention_mask: torch.Tensor,
        input_ids: torch.Tensor,
        encoder_hidden_states: torch.Tensor,
        *past: torch.Tensor,
    ):
        self_cache = DynamicCache()
        cross_cache = DynamicCache()
        layers = _decoder_layers(self.model)
        for i in range(self.num_layers):
            dk, dv, ek, ev = past[4 * i : 4 * i + 4]
            self_cache.update(dk, dv, i)  # [batch, heads, past_dec, head_dim]
            # Project only the encoder positions that the past does not hold yet (all of them on
            # the first step, none afterwards); see the module docstring.
            new_k, new_v = _cross_kv(layers[i].encoder_attn, encoder_hidden_states[:, ek.shape[2] :, :])
            cross_cache.update(torch.cat([ek, new_k], dim=2), torch.cat([ev, new_v], dim=2), i)
        cache = EncoderDecoderCache(self_cache, cross_cache)
        for i in range(self.num_layers):
            cache.is_updated[i] = True  # the attention modules reuse the cross K/V set above
        out = self.model(
            encoder_outputs=(encoder_hidden_states,),
            attention_mask=encoder_attention_mask,
            decoder_input_ids=input_ids,
            past_key_values=cache,
            use_cache=True,
            output_attentions=True,
            return_dict=True,
        )
        presents: list[torch.Tensor] = []
        pkv = out.past_key_values
        for i in range(self.num_layers):
            sl = pkv.self_attention_cache.layers[i]
            cl = pkv.cross_attention_cache.layers[i]
            presents += [sl.keys, sl.values, cl.keys, cl.values]
        # logits [batch, dec, vocab]; decoder_attentions[i] [batch, heads, dec, total_dec];
        # cross_attentions[i] [batch, heads, dec, enc]
        return (out.logits, *presents, *out.decoder_attentions, *out.cross_attentions)


def export_encoder_decoder(
    model: nn.Module,
    tokenizer: Any,
    out_dir: str | os.PathLike,
    *,
    verify_steps: int = 4,
    tokenizer_class: str | None = None,
) -> ExportReport:
    """Export a Marian/BART-style seq2seq model to onnx/encoder_model.onnx and
    onnx/decoder_model_merged.onnx plus config and tokenizer files, then verify both."""
    out = Path(out_dir)
    model = _prepare(model)
    cfg = model.config
    num_layers = int(cfg.decoder_layers)
    enc_layers = int(cfg.encoder_layers)
    d_model = int(cfg.d_model)
    dec_heads = int(cfg.decoder_attention_heads)
    enc_heads = int(cfg.encoder_attention_heads)
    head_dim = d_model // dec_heads
    vocab = int(model.get_output_embeddings().weight.shape[0])

    b, e = "batch_size", "encoder_sequence_length"
    gen = torch.Generator().manual_seed(0)

    # ---- encoder
    enc_path = out / "onnx" / "encoder_model.onnx"
    enc_in = ["input_ids", "attention_mask"]
    enc_out = ["last_hidden_state"] + [f"encoder_attentions.{i}" for i in range(enc_layers)]
    ids = torch.randint(0, vocab, (2, 5), generator=gen)
    emask = torch.ones((2, 5), dtype=torch.long)
    _export_onnx(_EncoderWrapper(model).eval(), (ids, emask), enc_path, enc_in, enc_out, ({0: b, 1: e}, {0: b, 1: e}))
    _finalize_onnx(enc_path, lambda d: d)
    enc_expected: dict[str, list[str | int]] = {
        "input_ids": ["batch_size", "encoder_sequence_length"],
        "attention_mask": ["batch_size", "encoder_sequence_length"],
        "last_hidden_state": ["batch_size", "encoder_sequence_length", d_model],
    }
    for i in range(enc_layers):
        enc_expected[f"encoder_attentions.{i}"] = [
            "batch_size",
            enc_heads,
            "encoder_sequence_length",
            "encoder_sequence_length",
        ]
    _check_dims(enc_path, enc_expected)

    # ---- merged decoder
    dec_path = out / "onnx" / "decoder_model_merged.onnx"
    dec_in = ["encoder_attention_mask", "input_ids", "encoder_hidden_states"]
    dec_out = ["logits"]
    for i in range(num_layers):
        for part in ("decoder", "encoder"):
            for kind in ("key", "value"):
                dec_in.append(f"past_key_values.{i}.{part}.{kind}")
                dec_out.append(f"present.{i}.{part}.{kind}")
    dec_out += [f"decoder_attentions.{i}" for i in range(num_layers)]
    dec_out += [f"cross_attentions.{i}" for i in range(num_layers)]

    batch, enc_len, seq, past = 2, 5, 3, 4
    s, p, pe = "decoder_sequence_length", "past_decoder_sequence_length", "encoder_sequence_length_out"
    args: list[torch.Tensor] = [
        torch.ones((batch, enc_len), dtype=torch.long),
        torch.randint(0, vocab, (batch, seq), generator=gen),
        torch.randn((batch, enc_len, d_model), generator=gen),
    ]
    past_dyn: list[Any] = []
    for _ in range(num_layers):
        args += [torch.randn((batch, dec_heads, past, head_dim), generator=gen) * 0.1 for _ in range(2)]
        # The example encoder past has the full encoder length (the reuse path); its size is a
        # separate symbol so that an empty past (the compute path) is valid too.
        args += [torch.randn((batch, dec_heads, enc_len, head_dim), generator=gen) * 0.1 for _ in range(2)]
        past_dyn += [{0: b, 2: p}, {0: b, 2: p}, {0: b, 2: pe}, {0: b, 2: pe}]
    dyn = ({0: b, 1: e}, {0: b, 1: s}, {0: b, 1: e}, tuple(past_dyn))
    wrapper = _Seq2SeqDecoderWrapper(model, num_layers).eval()
    _export_onnx(wrapper, tuple(args), dec_path, dec_in, dec_out, dyn)
    def dec_rename(dim: str) -> str:
        if dim in {
            "past_decoder_sequence_length + decoder_sequence_length",
            "decoder_sequence_length + past_decoder_sequence_length",
        }:
            return "total_decoder_sequence_length"
        # past_encoder + max(0, encoder - min(past_encoder, encoder)): the encoder length whenever
        # the past encoder length is 0 or the encoder length (the only valid cases).
        if dim.startswith("encoder_sequence_length_out + Max(0, encoder_sequence_length"):
            return "encoder_sequence_length"
        return dim

    _finalize_onnx(dec_path, dec_rename)
    dec_expected: dict[str, list[str | int]] = {
        "encoder_attention_mask": ["batch_size", "encoder_sequence_length"],
        "input_ids": ["batch_size", "decoder_sequence_length"],
        "encoder_hidden_states": ["batch_size", "encoder_sequence_length", d_model],
        "logits": ["batch_size", "decoder_sequence_length", vocab],
    }
    for i in range(num_layers):
        for kind in ("key", "value"):
            dec_expected[f"past_key_values.{i}.decoder.{kind}"] = [
                "batch_size",
                dec_heads,
                "past_decoder_sequence_length",
                head_dim,
            ]
            dec_expected[f"past_key_values.{i}.encoder.{kind}"] = [
                "batch_size",
                dec_heads,
                "encoder_sequence_length_out",
                head_dim,
            ]
            dec_expected[f"present.{i}.encoder.{kind}"] = ["batch_size", dec_heads, "encoder_sequence_length", head_dim]
            dec_expected[f"present.{i}.decoder.{kind}"] = [
                "batch_size",
                dec_heads,
                "total_decoder_sequence_length",
                head_dim,
            ]
        dec_expected[f"decoder_attentions.{i}"] = [
            "batch_size",
            dec_heads,
            "decoder_sequence_length",
            "total_decoder_sequence_length",
        ]
        dec_expected[f"cross_attentions.{i}"] = [
            "batch_size",
            dec_heads,
            "decoder_sequence_length",
            "encoder_sequence_length",
        ]
    _check_dims(dec_path, dec_expected)

    _save_common(model, tokenizer, out, tokenizer_class)
    diffs = _verify_seq2seq(model, tokenizer, enc_path, dec_path, num_layers, dec_heads, head_dim, vocab, verify_steps)
    return _verified_report(
        out,
        out,
        diffs,
        {"onnx/encoder_model.onnx": enc_in, "onnx/decoder_model_merged.onnx": dec_in},
        {"onnx/encoder_model.onnx": enc_out, "onnx/decoder_model_merged.onnx": dec_out},
    )


def _verify_seq2seq(
    model: nn.Module,
    tokenizer: Any,
    enc_path: Path,
    dec_path: Path,
    num_layers: int,
    heads: int,
    head_dim: int,
    vocab: int,
    steps: int,
) -> dict[str, float]:
    """Encoder outputs, then the merged decoder: first step with empty past (cross K/V computed),
    then `steps` cached steps (cross K/V reused from the past), batch 1 and a right-padded batch of
    2 (Marian pads the source on the right), against eager with an EncoderDecoderCache."""
    enc_sess = _session(enc_path)
    dec_sess = _session(dec_path)
    enc_names = [o.name for o in enc_sess.get_outputs()]
    dec_names = [o.name for o in dec_sess.get_outputs()]
    pad = model.config.pad_token_id if model.config.pad_token_id is not None else 0
    start = model.config.decoder_start_token_id
    if start is None:
        start = pad
    diffs: dict[str, float] = {}

    src = _sample_ids(tokenizer, vocab, 8, seed=2)
    cases = {
        "b1": ([src], [[1] * len(src)]),
        "b2_pad": ([src, src[:5] + [pad] * 3], [[1] * 8, [1] * 5 + [0] * 3]),
    }
    for case, (ids_list, mask_list) in cases.items():
        ids = np.array(ids_list, dtype=np.int64)  # [batch, enc]
        emask = np.array(mask_list, dtype=np.int64)  # [batch, enc]
        batch = ids.shape[0]
        keep_enc = emask.astype(bool)
        enc_got = dict(zip(enc_names, enc_sess.run(enc_names, {"input_ids": ids, "attention_mask": emask})))
        with torch.no_grad():
            enc_ref = model.get_encoder()(
                input_ids=torch.from_numpy(ids),
                attention_mask=torch.from_numpy(emask),
                output_attentions=True,
                return_dict=True,
            )
        diffs[f"{case}_encoder_hidden"] = _maxdiff(enc_got["last_hidden_state"], enc_ref.last_hidden_state, keep_enc)
        d = 0.0
        for i, a in enumerate(enc_ref.attentions):
            d = max(d, _maxdiff(enc_got[f"encoder_attentions.{i}"].transpose(0, 2, 1, 3), a.transpose(1, 2), keep_enc))
        diffs[f"{case}_encoder_attentions"] = d

        # Feed ORT's own encoder output to the ORT decoder (as a runtime would) and eager's to eager.
        hidden_np = enc_got["last_hidden_state"]
        hidden_ref = enc_ref.last_hidden_state
        past_np: list[np.ndarray] = []
        for _ in range(num_layers):
            past_np += [np.zeros((batch, heads, 0, head_dim), dtype=np.float32) for _ in range(4)]
        cache: Any = EncoderDecoderCache(DynamicCache(), DynamicCache())
        dec_ids = np.full((batch, 1), start, dtype=np.int64)
        for step in range(steps + 1):
            feeds: dict[str, np.ndarray] = {
                "encoder_attention_mask": emask,
                "input_ids": dec_ids,
                "encoder_hidden_states": hidden_np,
            }
            for i in range(num_layers):
                for j, name in enumerate(("decoder.key", "decoder.value", "encoder.key", "encoder.value")):
                    feeds[f"past_key_values.{i}.{name}"] = past_np[4 * i + j]
            got = dict(zip(dec_names, dec_sess.run(dec_names, feeds)))
            with torch.no_grad():
                ref = model(
                    encoder_outputs=(hidden_ref,),
                    attention_mask=torch.from_numpy(emask),
                    decoder_input_ids=torch.from_numpy(dec_ids),
                    past_key_values=cache,
                    use_cache=True,
                    output_attentions=True,
                    return_dict=True,
                )
            cache = ref.past_key_values
            tag = f"{case}_{'first' if step == 0 else 'cached'}"
            diffs[f"{tag}_logits"] = max(diffs.get(f"{tag}_logits", 0.0), _maxdiff(got["logits"], ref.logits))
            d = diffs.get(f"{tag}_present", 0.0)
            for i in range(num_layers):
                sl = cache.self_attention_cache.layers[i]
                cl = cache.cross_attention_cache.layers[i]
                d = max(d, _maxdiff(got[f"present.{i}.decoder.key"], sl.keys))
                d = max(d, _maxdiff(got[f"present.{i}.decoder.value"], sl.values))
                tk = got[f"present.{i}.encoder.key"].transpose(0, 2, 1, 3)
                tv = got[f"present.{i}.encoder.value"].transpose(0, 2, 1, 3)
                d = max(d, _maxdiff(tk, cl.keys.transpose(1, 2), keep_enc))
                d = max(d, _maxdiff(tv, cl.values.transpose(1, 2), keep_enc))
            diffs[f"{tag}_present"] = d
            d = diffs.get(f"{tag}_attentions", 0.0)
            for i in range(num_layers):
                d = max(d, _maxdiff(got[f"decoder_attentions.{i}"], ref.decoder_attentions[i]))
                d = max(d, _maxdiff(got[f"cross_attentions.{i}"], ref.cross_attentions[i]))
            diffs[f"{tag}_attentions"] = d

            if step > 0:
                # The cached path must not read encoder_hidden_states at all (cross K/V reused):
                # zeroed hidden states must give the same logits.
                zeroed = dict(feeds, encoder_hidden_states=np.zeros_like(hidden_np))
                (again,) = dec_sess.run(["logits"], zeroed)
                diffs[f"{case}_cached_ignores_encoder_hidden"] = max(
                    diffs.get(f"{case}_cached_ignores_encoder_hidden", 0.0), _maxdiff(again, got["logits"])
                )

            nxt = ref.logits[:, -1, :].argmax(-1).numpy().astype(np.int64)[:, None]  # [batch, 1]
            past_np = []
            for i in range(num_layers):
                past_np += [got[f"present.{i}.{n}"] for n in ("decoder.key", "decoder.value", "encoder.key", "encoder.value")]
            dec_ids = nxt
    return diffs


# --------------------------------------------------------------------------------------------
# Goldens
# --------------------------------------------------------------------------------------------


def _round(x: Any, digits: int = 7) -> Any:
    """Round floats (nested lists / tensors) to `digits` significant digits."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().tolist()
    elif isinstance(x, np.ndarray):
        x = x.astype(np.float64).tolist()
    if isinstance(x, list):
        return [_round(v, digits) for v in x]
    if isinstance(x, float):
        if x == 0.0 or not math.isfinite(x):
            return x
        return float(f"{x:.{digits - 1}e}")
    return x


def _versions() -> dict[str, str]:
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__}


def _margin(logits: torch.Tensor) -> float:
    """top-1 minus top-2 of a [vocab] logit vector."""
    top = torch.topk(logits.double(), 2).values
    return float(top[0] - top[1])


def _check_greedy(
    raw_logits: Sequence[torch.Tensor], tokens: Sequence[int], min_margin: float, forced_last: int | None = None
) -> float:
    """Every greedy token must be the arg-max of the *raw* logits (so no logits processor, e.g. the
    EOS suppression of min_new_tokens, decided it) with a top-1/top-2 margin above min_margin.
    forced_last: a token a processor may force at the last step (Marian's forced_eos_token_id at
    max length); that step is then not checked. Returns the smallest margin."""
    margins = []
    for step, (logits, token) in enumerate(zip(raw_logits, tokens)):
        if forced_last is not None and step == len(tokens) - 1 and token == forced_last:
            continue
        row = logits[0]  # [vocab]
        if int(row.argmax()) != int(token):
            raise GoldenMarginError(f"step {step}: token {token} is not the raw arg-max {int(row.argmax())}")
        margins.append(_margin(row))
    if min(margins) <= min_margin:
        raise GoldenMarginError(f"greedy margin {min(margins):.3g} <= {min_margin} (pick another seed)")
    return min(margins)


def _write_json(path: str | os.PathLike | None, data: dict[str, Any]) -> None:
    """Write compact UTF-8 JSON; path None writes nothing (dry runs, e.g. a seed search)."""
    if path is None:
        return
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")


def write_decoder_golden(
    model: nn.Module,
    tokenizer: Any,
    prompt: str,
    path: str | os.PathLike | None,
    *,
    add_special_tokens: bool | None = None,
    max_new_tokens: int = 20,
    include_logits: bool = True,
    include_attentions: bool = True,
    min_margin: float = MIN_TOP1_MARGIN,
) -> dict[str, Any]:
    """Write a decoder-only golden from PyTorch eager.

    add_special_tokens: None means "whatever the tokenizer does by default" (e.g. Llama adds BOS);
    the value actually used is recorded. Greedy generation runs with EOS disabled so that exactly
    max_new_tokens tokens come out. Raises GoldenMarginError if any greedy step has a top-1/top-2
    logit margin at or below min_margin.
    """
    model = _prepare(model)
    if add_special_tokens is None:
        plain = tokenizer(prompt, add_special_tokens=False)["input_ids"]
        with_special = tokenizer(prompt, add_special_tokens=True)["input_ids"]
        add_special_tokens = list(plain) != list(with_special)
    prompt_ids = list(tokenizer(prompt, add_special_tokens=add_special_tokens)["input_ids"])
    ids = torch.tensor([prompt_ids], dtype=torch.long)  # [1, T]
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True, return_dict=True)
        gen = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            do_sample=False,
            num_beams=1,
            max_new_tokens=max_new_tokens,
            min_new_tokens=max_new_tokens,
            eos_token_id=None,
            pad_token_id=model.config.pad_token_id if model.config.pad_token_id is not None else 0,
            output_logits=True,
            return_dict_in_generate=True,
            repetition_penalty=1.0,
            top_k=None,
            top_p=None,
            temperature=None,
        )
    new_tokens = gen.sequences[0, len(prompt_ids) :].tolist()
    if len(new_tokens) != max_new_tokens:
        raise GoldenMarginError(f"expected {max_new_tokens} tokens, got {len(new_tokens)}")
    _check_greedy(gen.logits, new_tokens, min_margin)
    golden: dict[str, Any] = {
        "kind": "decoder",
        "versions": _versions(),
        "model_type": model.config.model_type,
        "prompt": prompt,
        "add_special_tokens": add_special_tokens,
        "prompt_ids": prompt_ids,
        "greedy_tokens": new_tokens,
        "greedy_text": tokenizer.decode(new_tokens, skip_special_tokens=False, clean_up_tokenization_spaces=False),
        "greedy_min_margin": _round(_check_greedy(gen.logits, new_tokens, min_margin)),
        "max_new_tokens": max_new_tokens,
    }
    if include_logits:
        golden["logits"] = _round(out.logits[0])  # [T][V]
    if include_attentions:
        golden["attentions"] = _round(torch.stack(out.attentions)[:, 0])  # [L][H][T][T]
    _write_json(path, golden)
    return golden


def write_seq2seq_golden(
    model: nn.Module,
    tokenizer: Any,
    source: str,
    path: str | os.PathLike | None,
    *,
    target_lang_token: str | None = None,
    max_new_tokens: int = 20,
    num_beams: int = 4,
    length_penalty: float = 1.0,
    early_stopping: bool | str = True,
    first_steps: int = 3,
    min_margin: float = MIN_TOP1_MARGIN,
) -> dict[str, Any]:
    """Write an encoder-decoder golden from PyTorch eager.

    The encoder input is `target_lang_token + " " + source` (opus-mt multi-target convention) when
    target_lang_token is given, tokenized with special tokens (EOS appended). Greedy and beam runs
    use the model's EOS and stop at max_new_tokens new tokens (the decoder start token excluded).
    """
    model = _prepare(model)
    text = f"{target_lang_token} {source}" if target_lang_token else source
    source_ids = list(tokenizer(text, add_special_tokens=True)["input_ids"])
    ids = torch.tensor([source_ids], dtype=torch.long)  # [1, S]
    mask = torch.ones_like(ids)
    cfg = model.config
    start = cfg.decoder_start_token_id
    eos = cfg.eos_token_id
    pad = cfg.pad_token_id
    common = dict(
        input_ids=ids,
        attention_mask=mask,
        max_new_tokens=max_new_tokens,
        do_sample=False,
        decoder_start_token_id=start,
        eos_token_id=eos,
        pad_token_id=pad,
        repetition_penalty=1.0,
        top_k=None,
        top_p=None,
        temperature=None,
    )
    with torch.no_grad():
        enc = model.get_encoder()(input_ids=ids, attention_mask=mask, output_attentions=True, return_dict=True)
        greedy = model.generate(**common, num_beams=1, output_logits=True, return_dict_in_generate=True)
        beam_out = model.generate(
            **common,
            num_beams=num_beams,
            length_penalty=length_penalty,
            early_stopping=early_stopping,
            num_return_sequences=num_beams,
            output_scores=True,
            return_dict_in_generate=True,
        )
        beam = beam_out.sequences[:1]  # the best hypothesis
        # Final hypotheses scored too close together could swap under float noise.
        beam_scores = sorted(beam_out.sequences_scores.tolist(), reverse=True)
        beam_margin = beam_scores[0] - beam_scores[1] if len(beam_scores) > 1 else math.inf
        if beam_margin <= min_margin:
            raise GoldenMarginError(f"beam: best two hypotheses {beam_margin:.3g} apart (pick another seed)")
        greedy_seq = greedy.sequences[0].tolist()  # [start, tokens...]
        # Re-run the greedy sequence in one teacher-forced pass for its logits and cross attentions.
        full = model(
            input_ids=ids,
            attention_mask=mask,
            decoder_input_ids=torch.tensor([greedy_seq[:-1] if len(greedy_seq) > 1 else greedy_seq]),
            output_attentions=True,
            return_dict=True,
        )
    greedy_ids = greedy_seq[1:]
    # Logits processors from the model's generation config (forced EOS, bad words...) would make
    # the golden depend on them: require that the raw arg-max decided every greedy step.
    gen_cfg = model.generation_config
    forced_eos = getattr(gen_cfg, "forced_eos_token_id", None)
    at_max = len(greedy_ids) == max_new_tokens
    min_margin_seen = _check_greedy(greedy.logits, greedy_ids, min_margin, forced_eos if at_max else None)
    steps = min(first_steps, full.logits.shape[1])
    golden: dict[str, Any] = {
        "kind": "seq2seq",
        "versions": _versions(),
        "model_type": cfg.model_type,
        "source": source,
        "target_lang_token": target_lang_token,
        "encoder_text": text,
        "source_ids": source_ids,
        "decoder_start_token_id": start,
        "eos_token_id": eos,
        "pad_token_id": pad,
        "max_new_tokens": max_new_tokens,
        # Generation settings taken from the model's generation config (not overridden).
        "generation_config": {
            "forced_eos_token_id": getattr(gen_cfg, "forced_eos_token_id", None),
            "bad_words_ids": getattr(gen_cfg, "bad_words_ids", None),
            "no_repeat_ngram_size": getattr(gen_cfg, "no_repeat_ngram_size", None),
        },
        "greedy": {
            "output_ids": greedy_ids,
            "text": tokenizer.decode(greedy_ids, skip_special_tokens=True, clean_up_tokenization_spaces=False),
            "min_margin": _round(min_margin_seen),
        },
        "beam": {
            "num_beams": num_beams,
            "length_penalty": length_penalty,
            "early_stopping": early_stopping,
            "output_ids": beam[0].tolist()[1:],
            "score_margin": _round(beam_margin),
            "text": tokenizer.decode(beam[0].tolist()[1:], skip_special_tokens=True, clean_up_tokenization_spaces=False),
        },
        "encoder_attentions": _round(torch.stack(enc.attentions)[:, 0]),  # [L][H][S][S]
        "decoder_logits_first_steps": _round(full.logits[0, :steps]),  # [steps][V]
        "cross_attentions": _round(torch.stack(full.cross_attentions)[:, 0]),  # [L][H][T][S]
    }
    _write_json(path, golden)
    return golden
