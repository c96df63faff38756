"""Build decoder fixtures whose attention is fused into one operator, with PyTorch eager goldens.

    nice python3 models/recipes/make_fused_fixtures.py

Writes test/fixtures/models/fused-<name>/ (config, tokenizer and generation files copied from the
hub-* fixture whose random weights it reuses, and onnx/model.onnx) and
test/fixtures/goldens/fused-<name>.json: the prompt ids, the PyTorch eager logits [T][V] and
attention probabilities [layers][heads][T][T] of the same weights, and the measured difference of
the fused graph's logits to PyTorch.

Why hand-built graphs: onnxruntime's transformer optimizer (optimize_model, model types gpt2 and
qwen3, opset 17/18, TorchScript and dynamo exports of transformers 5.18 models with eager or sdpa
attention) fused no attention here: its patterns follow the older transformers attention code. So
each graph is written with onnx.helper in the layout the fusing tools emit (the optimizer's
MultiHeadAttention with bias and BNSH past/present, its legacy Attention with packed weights and a
[2, batch, heads, past, head_size] past, onnxruntime-genai's model builder GroupQueryAttention with
seqlens_k/total_sequence_length from attention_mask and cos/sin caches) around the weights of a
random-weight transformers model, and checked against PyTorch eager within 1e-4 before it is saved.

  fused-gpt2-mha-attention  hub-gpt2's weights (GPT-2, 4 heads): layer 0 com.microsoft
                            MultiHeadAttention (q/k/v from one MatMul, bias input, key_padding_mask,
                            past_key/past_value, unidirectional), layer 1 com.microsoft Attention
                            (weights [64, 192], bias, 2-D mask_index, combined past/present split
                            into the past_key_values.1.* / present.1.* layout by Concat/Gather).
  fused-qwen2-gqa           hub-qwen2.5-coder's weights (Qwen2: 4 heads, 2 KV heads, head_dim 24 !=
                            hidden/heads): GroupQueryAttention with do_rotary=1 in both layers.
  fused-qwen2-gqa-variants  the same weights; layer 0 packed QKV, do_rotary=1 with
                            rotary_interleaved=1 (the q/k projection rows permuted to the
                            interleaved pair order, which leaves every q.k product unchanged) and
                            local_window_size=8; layer 1 rotary outside the operator (plain ops),
                            do_rotary=0 and softcap=2. Golden: Qwen2 eager with layer 0 a
                            sliding-window layer (sliding_window 8: the query and the 7 keys before it,
                            which is what onnxruntime's local_window_size 8 keeps)
                            and a softcapped eager attention in layer 1 (Gemma 2's eager function).
  fused-qwen2-onnx-attention the plain Qwen2 weights in opset 23: ONNX's standard Attention
                            (3-D Q/K/V with q_num_heads/kv_num_heads, is_causal, past/present),
                            rotary by plain ops.
"""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnx import TensorProto, helper, numpy_helper
from transformers import Qwen2Config, Qwen2ForCausalLM

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_hub_fixtures as hub  # noqa: E402
import tealeaf_export as te  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
MODELS = ROOT / "test" / "fixtures" / "models"
GOLDENS = ROOT / "test" / "fixtures" / "goldens"
SIDE_FILES = ("config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json")
TOLERANCE = 1e-4
LOCAL_WINDOW = 8  # GroupQueryAttention local_window_size: a query sees itself and the 7 keys before it, as sliding_window 8 in transformers
SOFTCAP = 2.0
QWEN_HEAD_DIM = 16
# No float16 file for the GPT-2 fixture: there onnxruntime-web computes MultiHeadAttention fed by a
# Split differently once the Split's query output has a second consumer (1261 of 3072 float16
# logits change by a rounding step), so the logits of a surgery copy are not bit-identical.
# float16 files: their attention probabilities must be within 1e-2 of PyTorch (the tests check it);
# their logits (magnitudes up to ~10, rounded by float16 to ~4e-3 each) are only bounded loosely.
FP16_PROBABILITIES_TOLERANCE = 1e-2
FP16_LOGITS_BOUND = 5e-2
ROTARY_ROWS = 256  # cos/sin cache rows (positions); the prompts are 36 tokens
B, S, P, T = "batch_size", "sequence_length", "past_sequence_length", "total_sequence_length"


# =============================================================================================
# A small graph writer
# =============================================================================================


class Graph:
    """Nodes and initializers under unique names; `op` returns the output name(s)."""

    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []
        self.count = 0

    def name(self, what: str) -> str:
        self.count += 1
        return f"{what}_{self.count}"

    def op(self, op: str, inputs: list[str], outputs: int | list[str] = 1, domain: str = "", **attrs: Any) -> Any:
        """The output name: the first of named outputs, or the list of `outputs` fresh names when more than one."""
        names = outputs if isinstance(outputs, list) else [self.name(op) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, name=self.name(f"n_{op}"), domain=domain, **attrs))
        return names[0] if isinstance(outputs, list) or len(names) == 1 else names

    def const(self, value: np.ndarray, what: str = "c") -> str:
        name = self.name(what)
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(value) if value.ndim else value, name))
        return name

    def ints(self, *values: int) -> str:
        return self.const(np.array(values, dtype=np.int64), "ints")

    def weight(self, tensor: torch.Tensor, transpose: bool = False) -> str:
        value = tensor.detach().float().numpy()
        return self.const(value.T if transpose else value, "w")

    def linear(self, x: str, layer: torch.nn.Linear) -> str:
        y = self.op("MatMul", [x, self.weight(layer.weight, transpose=True)])
        return self.op("Add", [y, self.weight(layer.bias)]) if layer.bias is not None else y

    def rms_norm(self, x: str, weight: torch.Tensor, eps: float) -> str:
        mean = self.op("ReduceMean", [self.op("Mul", [x, x]), self.ints(-1)], keepdims=1)
        inv = self.op("Reciprocal", [self.op("Sqrt", [self.op("Add", [mean, self.const(np.array(eps, np.float32))])])])
        return self.op("Mul", [self.op("Mul", [x, inv]), self.weight(weight)])

    def dim(self, x: str, axis: int) -> str:
        return self.op("Gather", [self.op("Shape", [x]), self.const(np.array(axis, np.int64))], axis=0)

    def model(self, inputs: list[onnx.ValueInfoProto], outputs: list[onnx.ValueInfoProto], opset: int) -> onnx.ModelProto:
        graph = helper.make_graph(self.nodes, "fused", inputs, outputs, self.inits)
        imports = [helper.make_opsetid("", opset), helper.make_opsetid("com.microsoft", 1)]
        model = helper.make_model(graph, opset_imports=imports, producer_name="tealeaf make_fused_fixtures.py")
        model.ir_version = 10
        onnx.checker.check_model(model)
        return model


def decoder_io(layers: int, kv_heads: int, head_dim: int, vocab: int, dtype: int = TensorProto.FLOAT) -> tuple[list, list]:
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, [B, S]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, [B, T]),
    ]
    outputs = [helper.make_tensor_value_info("logits", dtype, [B, S, vocab])]
    for i in range(layers):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{i}.{kind}", dtype, [B, kv_heads, P, head_dim]))
            outputs.append(helper.make_tensor_value_info(f"present.{i}.{kind}", dtype, [B, kv_heads, T, head_dim]))
    return inputs, outputs


# =============================================================================================
# GPT-2: MultiHeadAttention (layer 0) and Attention (layer 1)
# =============================================================================================


def gpt2_graph(model: Any) -> onnx.ModelProto:
    cfg = model.config
    heads, hidden = cfg.n_head, cfg.n_embd
    head_dim = hidden // heads
    g = Graph()
    tf = model.transformer
    past0 = "past_key_values.0.key"
    start = g.dim(past0, 2)
    positions = g.op("Range", [start, g.op("Add", [start, g.dim("input_ids", 1)]), g.const(np.array(1, np.int64))])  # [S]
    wte = g.weight(tf.wte.weight)
    h = g.op("Add", [g.op("Gather", [wte, "input_ids"]), g.op("Gather", [g.weight(tf.wpe.weight), positions])])
    mask32 = g.op("Cast", ["attention_mask"], to=TensorProto.INT32)  # [B, T]
    for i, block in enumerate(tf.h):
        ln1 = g.op("LayerNormalization", [h, g.weight(block.ln_1.weight), g.weight(block.ln_1.bias)], axis=-1, epsilon=cfg.layer_norm_epsilon)
        attn = block.attn
        past_k, past_v = f"past_key_values.{i}.key", f"past_key_values.{i}.value"
        present_k, present_v = f"present.{i}.key", f"present.{i}.value"
        if i == 0:
            qkv = g.op("MatMul", [ln1, g.weight(attn.c_attn.weight)])
            q, k, v = g.op("Split", [qkv, g.ints(hidden, hidden, hidden)], 3, axis=-1)
            out = g.op(
                "MultiHeadAttention",
                [q, k, v, g.weight(attn.c_attn.bias), mask32, "", past_k, past_v],
                [g.name("mha"), present_k, present_v],
                domain="com.microsoft",
                num_heads=heads,
                unidirectional=1,
            )
        else:
            past = g.op("Concat", [g.op("Unsqueeze", [past_k, g.ints(0)]), g.op("Unsqueeze", [past_v, g.ints(0)])], axis=0)
            out, present = g.op(
                "Attention",
                [ln1, g.weight(attn.c_attn.weight), g.weight(attn.c_attn.bias), mask32, past],
                2,
                domain="com.microsoft",
                num_heads=heads,
                unidirectional=1,
            )
            g.op("Gather", [present, g.const(np.array(0, np.int64))], [present_k], axis=0)
            g.op("Gather", [present, g.const(np.array(1, np.int64))], [present_v], axis=0)
        h = g.op("Add", [h, g.op("Add", [g.op("MatMul", [out, g.weight(attn.c_proj.weight)]), g.weight(attn.c_proj.bias)])])
        ln2 = g.op("LayerNormalization", [h, g.weight(block.ln_2.weight), g.weight(block.ln_2.bias)], axis=-1, epsilon=cfg.layer_norm_epsilon)
        fc = g.op("Add", [g.op("MatMul", [ln2, g.weight(block.mlp.c_fc.weight)]), g.weight(block.mlp.c_fc.bias)])
        h = g.op("Add", [h, g.op("Add", [g.op("MatMul", [gelu_new(g, fc), g.weight(block.mlp.c_proj.weight)]), g.weight(block.mlp.c_proj.bias)])])
    final = g.op("LayerNormalization", [h, g.weight(tf.ln_f.weight), g.weight(tf.ln_f.bias)], axis=-1, epsilon=cfg.layer_norm_epsilon)
    g.op("MatMul", [final, g.op("Transpose", [wte])], ["logits"])  # tied to wte, stored once
    inputs, outputs = decoder_io(cfg.n_layer, heads, head_dim, cfg.vocab_size)
    return g.model(inputs, outputs, 18)


def gelu_new(g: Graph, x: str) -> str:
    """0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), GPT-2's gelu_new."""
    cube = g.op("Mul", [g.op("Mul", [x, x]), x])
    inner = g.op("Mul", [g.op("Add", [x, g.op("Mul", [cube, g.const(np.array(0.044715, np.float32))])]), g.const(np.array(np.sqrt(2.0 / np.pi), np.float32))])
    return g.op("Mul", [g.op("Mul", [x, g.const(np.array(0.5, np.float32))]), g.op("Add", [g.op("Tanh", [inner]), g.const(np.array(1.0, np.float32))])])


# =============================================================================================
# Qwen2: GroupQueryAttention and ONNX Attention
# =============================================================================================


def rotary_tables(model: Any) -> tuple[np.ndarray, np.ndarray]:
    """cos/sin caches [ROTARY_ROWS, head_dim/2] from the model's own rotary module (float32 as PyTorch computes them)."""
    head_dim = model.config.head_dim
    positions = torch.arange(ROTARY_ROWS)[None]
    with torch.no_grad():
        cos, sin = model.model.rotary_emb(torch.zeros(1, dtype=torch.float32), positions)
    return cos[0, :, : head_dim // 2].numpy(), sin[0, :, : head_dim // 2].numpy()


def interleave_rows(weight: torch.Tensor, heads: int, head_dim: int) -> torch.Tensor:
    """Rows of a q/k projection reordered per head from (first half, second half) to interleaved
    pairs: interleaved rotary on the result is the half rotary of the original, permuted alike, so
    every q.k product (and so every probability) is unchanged."""
    half = head_dim // 2
    order = [j for i in range(half) for j in (i, i + half)]
    index = torch.tensor([h * head_dim + j for h in range(heads) for j in order])
    return weight[index]


def plain_rotary(g: Graph, x: str, heads: int, head_dim: int, cos: str, sin: str) -> str:
    """Half rotary of x [B, S, heads·head_dim] with cos/sin rows [S, head_dim/2] by plain ops."""
    split = g.op("Reshape", [x, g.ints(0, 0, heads, head_dim)])  # [B, S, heads, head_dim]
    x1, x2 = g.op("Split", [split, g.ints(head_dim // 2, head_dim // 2)], 2, axis=-1)
    c = g.op("Unsqueeze", [cos, g.ints(1)])  # [S, 1, half]
    s = g.op("Unsqueeze", [sin, g.ints(1)])
    r1 = g.op("Sub", [g.op("Mul", [x1, c]), g.op("Mul", [x2, s])])
    r2 = g.op("Add", [g.op("Mul", [x2, c]), g.op("Mul", [x1, s])])
    return g.op("Reshape", [g.op("Concat", [r1, r2], axis=-1), g.ints(0, 0, -1)])


def qwen2_graph(model: Any, variant: str) -> onnx.ModelProto:
    """variant: 'gqa' (do_rotary in both layers), 'gqa-variants' (see the docstring) or 'onnx-attention'."""
    cfg = model.config
    heads, kv_heads, head_dim = cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim
    g = Graph()
    cos_table, sin_table = rotary_tables(model)
    cos_cache, sin_cache = g.const(cos_table, "cos_cache"), g.const(sin_table, "sin_cache")
    # onnxruntime-genai's model builder: seqlens_k = sum(mask) - 1, total_sequence_length = mask width.
    seqlens = g.op("Cast", [g.op("Sub", [g.op("ReduceSum", ["attention_mask", g.ints(1)], keepdims=0), g.const(np.array(1, np.int64))])], to=TensorProto.INT32)
    total = g.op("Cast", [g.dim("attention_mask", 1)], to=TensorProto.INT32)
    past_len = g.dim("past_key_values.0.key", 2)
    positions = g.op("Range", [past_len, g.op("Add", [past_len, g.dim("input_ids", 1)]), g.const(np.array(1, np.int64))])  # [S]
    cos_rows = g.op("Gather", [cos_cache, positions], axis=0)  # [S, half]
    sin_rows = g.op("Gather", [sin_cache, positions], axis=0)
    embedding = g.weight(model.model.embed_tokens.weight)
    h = g.op("Gather", [embedding, "input_ids"])
    for i, layer in enumerate(model.model.layers):
        x = g.rms_norm(h, layer.input_layernorm.weight, cfg.rms_norm_eps)
        attn = layer.self_attn
        past = [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        present = [f"present.{i}.key", f"present.{i}.value"]
        if variant == "onnx-attention":
            q = plain_rotary(g, g.linear(x, attn.q_proj), heads, head_dim, cos_rows, sin_rows)
            k = plain_rotary(g, g.linear(x, attn.k_proj), kv_heads, head_dim, cos_rows, sin_rows)
            out = g.op("Attention", [q, k, g.linear(x, attn.v_proj), "", *past], [g.name("attn"), *present], q_num_heads=heads, kv_num_heads=kv_heads, is_causal=1)
        else:
            gqa = {"num_heads": heads, "kv_num_heads": kv_heads, "domain": "com.microsoft"}
            tail = [*past, seqlens, total]
            if variant == "gqa":
                qkv = [g.linear(x, attn.q_proj), g.linear(x, attn.k_proj), g.linear(x, attn.v_proj)]
                out = g.op("GroupQueryAttention", qkv + tail + [cos_cache, sin_cache], [g.name("gqa"), *present], do_rotary=1, **gqa)
            elif i == 0:
                wq = interleave_rows(attn.q_proj.weight, heads, head_dim)
                bq = interleave_rows(attn.q_proj.bias, heads, head_dim)
                wk = interleave_rows(attn.k_proj.weight, kv_heads, head_dim)
                bk = interleave_rows(attn.k_proj.bias, kv_heads, head_dim)
                w = torch.cat([wq, wk, attn.v_proj.weight], 0)
                b = torch.cat([bq, bk, attn.v_proj.bias], 0)  # Qwen2's q/k/v projections have biases
                packed = g.op("Add", [g.op("MatMul", [x, g.weight(w, transpose=True)]), g.weight(b)])
                out = g.op(
                    "GroupQueryAttention", [packed, "", ""] + tail + [cos_cache, sin_cache], [g.name("gqa"), *present],
                    do_rotary=1, rotary_interleaved=1, local_window_size=LOCAL_WINDOW, **gqa,
                )
            else:
                q = plain_rotary(g, g.linear(x, attn.q_proj), heads, head_dim, cos_rows, sin_rows)
                k = plain_rotary(g, g.linear(x, attn.k_proj), kv_heads, head_dim, cos_rows, sin_rows)
                out = g.op("GroupQueryAttention", [q, k, g.linear(x, attn.v_proj)] + tail, [g.name("gqa"), *present], softcap=SOFTCAP, **gqa)
        h = g.op("Add", [h, g.linear(out, attn.o_proj)])
        x = g.rms_norm(h, layer.post_attention_layernorm.weight, cfg.rms_norm_eps)
        mlp = layer.mlp
        gate = g.linear(x, mlp.gate_proj)
        silu = g.op("Mul", [gate, g.op("Sigmoid", [gate])])
        h = g.op("Add", [h, g.linear(g.op("Mul", [silu, g.linear(x, mlp.up_proj)]), mlp.down_proj)])
    final = g.rms_norm(h, model.model.norm.weight, cfg.rms_norm_eps)
    g.op("MatMul", [final, g.op("Transpose", [embedding])], ["logits"])  # tied, stored once
    inputs, outputs = decoder_io(cfg.num_hidden_layers, kv_heads, head_dim, cfg.vocab_size)
    return g.model(inputs, outputs, 23 if variant == "onnx-attention" else 18)


# =============================================================================================
# PyTorch goldens (with the variants' attention settings) and checks
# =============================================================================================


def softcap_attention(module: Any, query: torch.Tensor, key: torch.Tensor, value: torch.Tensor, attention_mask: Any, **kwargs: Any) -> Any:
    """Eager attention (Gemma 2's function) with softcap in layer 1, as the variants graph has it."""
    from transformers.models.gemma2.modeling_gemma2 import eager_attention_forward

    kwargs.pop("softcap", None)
    kwargs.pop("sliding_window", None)
    return eager_attention_forward(module, query, key, value, attention_mask, softcap=SOFTCAP if module.layer_idx == 1 else None, **kwargs)


def qwen_config(**changes: Any) -> Qwen2Config:
    """hub-qwen2.5-coder's configuration with head_dim 16: GroupQueryAttention's CPU kernel rotates
    heads whose size is a multiple of 16 only (hub-qwen2.5-coder's is 24)."""
    cfg = hub.qwen_config()
    cfg.head_dim = QWEN_HEAD_DIM
    for key, value in changes.items():
        setattr(cfg, key, value)
    return cfg


def build_qwen(seed: int, cfg: Qwen2Config) -> Qwen2ForCausalLM:
    """Random weights as make_hub_fixtures.build_qwen draws them, for this configuration."""
    torch.manual_seed(0)
    model = hub.anti_copy(hub.randomize(Qwen2ForCausalLM(cfg), seed, hub.QWEN_STD))
    with torch.no_grad():
        model.get_input_embeddings().weight[hub.QWEN_BPE + len(hub.QWEN_ADDED) :] = 0.0
    return model.eval()


def variants_model(seed: int) -> Qwen2ForCausalLM:
    """The Qwen2 model with layer 0 sliding (window 8) and softcapped attention in layer 1."""
    from transformers import AttentionInterface
    from transformers.masking_utils import AttentionMaskInterface, eager_mask

    AttentionInterface.register("tealeaf_softcap", softcap_attention)
    AttentionMaskInterface.register("tealeaf_softcap", eager_mask)
    cfg = qwen_config(use_sliding_window=True, sliding_window=LOCAL_WINDOW, layer_types=["sliding_attention", "full_attention"])
    model = build_qwen(seed, cfg)
    model.set_attn_implementation("tealeaf_softcap")
    return model


def pytorch_reference(model: Any, prompt_ids: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """logits [T, V] and attentions [L, H, T, T] of PyTorch eager (or the variants' attention)."""
    ids = torch.tensor([prompt_ids])
    with torch.no_grad():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), output_attentions=True, return_dict=True)
    return out.logits[0].numpy(), torch.stack([a[0] for a in out.attentions]).numpy()


def session(model: onnx.ModelProto) -> ort.InferenceSession:
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.log_severity_level = 3
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def onnx_logits(model: onnx.ModelProto, prompt_ids: list[int], layers: int, kv_heads: int, head_dim: int, dtype: Any = np.float32) -> tuple[np.ndarray, np.ndarray]:
    """Prefill from an empty cache, then one cached step: (prompt logits [T, V], step logits [V])."""
    sess = session(model)
    past = {f"past_key_values.{i}.{k}": np.zeros((1, kv_heads, 0, head_dim), dtype) for i in range(layers) for k in ("key", "value")}
    names = [o.name for o in sess.get_outputs()]
    out = dict(zip(names, sess.run(names, {"input_ids": np.array([prompt_ids]), "attention_mask": np.ones((1, len(prompt_ids)), np.int64), **past})))
    nxt = int(out["logits"][0, -1].argmax())
    past = {n.replace("present", "past_key_values"): v for n, v in out.items() if n.startswith("present")}
    step = dict(zip(names, sess.run(names, {"input_ids": np.array([[nxt]]), "attention_mask": np.ones((1, len(prompt_ids) + 1), np.int64), **past})))
    return out["logits"][0].astype(np.float32), step["logits"][0, -1].astype(np.float32)


def build_fixture(
    name: str, source: str, model: Any, graph: Callable[[Any], onnx.ModelProto], geometry: tuple[int, int, int], card: str, config_changes: dict[str, Any] | None = None, fp16: bool = False
) -> dict[str, Any]:
    """Writes the fixture (and, with fp16, its model_fp16.onnx) once its logits match PyTorch."""
    config_changes = config_changes or {}
    golden_source = json.loads((GOLDENS / f"{source}.json").read_text(encoding="utf-8"))
    prompt_ids = golden_source["prompt_ids"]
    logits, attentions = pytorch_reference(model, prompt_ids)
    proto = graph(model)
    got, step = onnx_logits(proto, prompt_ids, *geometry)
    diff = float(np.max(np.abs(got - logits)))
    with torch.no_grad():
        ids = torch.tensor([prompt_ids + [int(got[-1].argmax())]])
        ref_step = model(input_ids=ids, attention_mask=torch.ones_like(ids)).logits[0, -1].numpy()
    step_diff = float(np.max(np.abs(step - ref_step)))
    if not (diff < TOLERANCE and step_diff < TOLERANCE):
        raise RuntimeError(f"{name}: fused graph differs from PyTorch eager by {diff} (prefill), {step_diff} (cached step)")
    out = MODELS / name
    if out.exists():
        shutil.rmtree(out)
    (out / "onnx").mkdir(parents=True)
    for side in SIDE_FILES:
        shutil.copy(MODELS / source / side, out / side)
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    config.update(config_changes)
    hub.write_json(out / "config.json", config)
    onnx.save_model(proto, str(out / "onnx" / "model.onnx"))
    fp16_diff = None
    if fp16:
        # onnx-community's convention: float16 weights, inputs and outputs (ids and mask stay int64).
        half = hub.to_fp16(proto, keep_io_types=False)
        got16, _ = onnx_logits(half, prompt_ids, *geometry, dtype=np.float16)
        fp16_diff = float(np.max(np.abs(got16 - logits)))
        if not fp16_diff < FP16_LOGITS_BOUND:
            raise RuntimeError(f"{name}: the fp16 graph differs from PyTorch eager by {fp16_diff}")
        onnx.save_model(half, str(out / "onnx" / "model_fp16.onnx"))
    (out / "README.md").write_text(
        f"# {name}\n\nA **random-weight** test fixture (the weights of `{source}`) whose attention is fused into one "
        f"operator. {card} Built by `nice python3 models/recipes/make_fused_fixtures.py`; the PyTorch eager goldens "
        f"(logits and attention probabilities) are in `test/fixtures/goldens/{name}.json`.\n",
        encoding="utf-8",
    )
    golden = {
        "kind": "fused-attention",
        "versions": te._versions(),
        "source_fixture": source,
        "seed": golden_source["seed"],
        "prompt_ids": prompt_ids,
        "ops": hub.io_summary(out / "onnx" / "model.onnx")["ops"],
        "onnx_vs_pytorch_max_abs_diff": te._round(max(diff, step_diff)),
        **({"fp16_logits_max_abs_diff": te._round(fp16_diff), "fp16_tolerance": FP16_PROBABILITIES_TOLERANCE} if fp16_diff is not None else {}),
        "logits": te._round(logits.astype(np.float64)),
        "attentions": te._round(attentions.astype(np.float64)),
    }
    te._write_json(GOLDENS / f"{name}.json", golden)
    print(f"{name}: {hub.folder_bytes(out)} bytes, logits within {max(diff, step_diff):.2e} of PyTorch", flush=True)
    return golden


QWEN_CONFIG = {"head_dim": QWEN_HEAD_DIM}


def qwen_geometry(model: Any) -> tuple[int, int, int]:
    cfg = model.config
    return cfg.num_hidden_layers, cfg.num_key_value_heads, cfg.head_dim


def main() -> None:
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    gpt2_seed = json.loads((GOLDENS / "hub-gpt2.json").read_text())["seed"]
    qwen_seed = json.loads((GOLDENS / "hub-qwen2.5-coder.json").read_text())["seed"]
    gpt2 = te._prepare(hub.build_gpt2(gpt2_seed))
    cfg = gpt2.config
    build_fixture(
        "fused-gpt2-mha-attention", "hub-gpt2", gpt2, gpt2_graph, (cfg.n_layer, cfg.n_head, cfg.n_embd // cfg.n_head),
        "GPT-2 with com.microsoft MultiHeadAttention in layer 0 and com.microsoft Attention in layer 1 (see the recipe's docstring).",
    )
    qwen = te._prepare(build_qwen(qwen_seed, qwen_config()))
    build_fixture(
        "fused-qwen2-gqa", "hub-qwen2.5-coder", qwen, lambda m: qwen2_graph(m, "gqa"), qwen_geometry(qwen),
        "Qwen2 with com.microsoft GroupQueryAttention (do_rotary=1, 4 heads over 2 KV heads) in both layers; "
        "onnx/model_fp16.onnx is the same graph in float16 (inputs and outputs too).",
        QWEN_CONFIG,
        fp16=True,
    )
    build_fixture(
        "fused-qwen2-onnx-attention", "hub-qwen2.5-coder", qwen, lambda m: qwen2_graph(m, "onnx-attention"), qwen_geometry(qwen),
        "Qwen2 in opset 23 with ONNX's standard Attention (3-D Q/K/V, is_causal, past/present) in both layers.",
        QWEN_CONFIG,
    )
    variants = variants_model(qwen_seed)
    build_fixture(
        "fused-qwen2-gqa-variants", "hub-qwen2.5-coder", variants, lambda m: qwen2_graph(m, "gqa-variants"), qwen_geometry(variants),
        f"Qwen2 with GroupQueryAttention: layer 0 packed QKV, interleaved rotary inside, local_window_size={LOCAL_WINDOW}; "
        f"layer 1 rotary outside (do_rotary=0), softcap={SOFTCAP}.",
        {**QWEN_CONFIG, "use_sliding_window": True, "sliding_window": LOCAL_WINDOW, "layer_types": ["sliding_attention", "full_attention"]},
    )


if __name__ == "__main__":
    main()
