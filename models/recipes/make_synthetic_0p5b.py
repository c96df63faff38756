"""Build a synthetic Qwen2.5-0.5B: the published configuration with random weights, for `npm run bench`.

    python3 models/recipes/make_synthetic_0p5b.py [--out DIR] [--force] [--layers N] [--threads N]

Writes, in the layout of onnx-community/Qwen2.5-Coder-0.5B-Instruct:

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json  README.md
    onnx/model.onnx + onnx/model.onnx_data   fp32, weights as external data (~2.5 GB, over protobuf's 2 GB)
    onnx/model_quantized.onnx                q8: onnxruntime.quantization dynamic int8 (MatMulInteger)
    onnx/model_q4.onnx                       q4: onnxruntime's MatMulNBits quantizer, block 32, symmetric
    .tealeaf-stamp.json                      recipe hash, files and sizes (written last)

The default folder is $TEALEAF_CACHE/synthetic-qwen2.5-0.5b, or <repo>/.tealeaf-cache/synthetic-qwen2.5-0.5b
(git-ignored): the model is built at bench time and never committed. The build goes to a temporary
sibling folder that is renamed into place only when complete, so a half-built folder never looks
complete. A folder whose stamp records this recipe's hash is kept (nothing is rebuilt); a changed
recipe (this file or tealeaf_export.py, whose helpers it uses) builds again. bench/realModel.ts
computes the same hash (recipeHash) to decide without starting Python.

The configuration is Qwen/Qwen2.5-0.5B's config.json: hidden 896, 24 layers, 14 query heads, 2 KV
heads (head_dim 64), intermediate 4864, vocab 151936, tied embeddings, rope_theta 1e6, RMSNorm eps
1e-6, max_position_embeddings 32768, bias on q/k/v. Weights are drawn from N(0, 0.02) (Qwen2's
initializer_range) with a fixed seed: through 24 layers the residual stream and the logits stay
finite and small (checked before export).

As published exports do, the graph has no attention outputs (logits and present.* only), and the
tied embedding is stored twice: once for the input Gather, once (transposed) for the LM head
MatMul, so that both quantizers see the LM head as a MatMul with a constant weight. The q8 file is
what transformers.js' scripts/quantize.py writes for `q8` (IntegerOps, QInt8 weights, per tensor,
MatMulConstBOnly; the embedding Gather is quantized too); q4 is its `q4` (MatMulNBits, block 32,
symmetric, default accuracy level; the embedding stays fp32).

Memory: one copy of the model at a time. The eager reference for the check is computed first, the
torch model is deleted after export, and each quantizer reads the fp32 files from disk.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NAME = "synthetic-qwen2.5-0.5b"
STAMP = ".tealeaf-stamp.json"
TOKENIZER_SOURCE = ROOT / "test" / "fixtures" / "models" / "tiny-gpt2"
SEED = 1234
# Files hashed into the stamp, in this order (bench/realModel.ts hashes the same ones).
RECIPE_FILES = ("make_synthetic_0p5b.py", "tealeaf_export.py")

# Qwen/Qwen2.5-0.5B config.json (transformers 4.40 era keys; values verbatim).
QWEN25_0P5B: dict[str, Any] = {
    "architectures": ["Qwen2ForCausalLM"],
    "attention_dropout": 0.0,
    "bos_token_id": 151643,
    "eos_token_id": 151643,
    "hidden_act": "silu",
    "hidden_size": 896,
    "initializer_range": 0.02,
    "intermediate_size": 4864,
    "max_position_embeddings": 32768,
    "max_window_layers": 24,
    "model_type": "qwen2",
    "num_attention_heads": 14,
    "num_hidden_layers": 24,
    "num_key_value_heads": 2,
    "rms_norm_eps": 1e-06,
    "rope_theta": 1000000.0,
    "sliding_window": 32768,
    "tie_word_embeddings": True,
    "use_cache": True,
    "use_sliding_window": False,
    "vocab_size": 151936,
}


def recipe_hash(layers: int) -> str:
    """sha256 over each recipe file's name and bytes, then the layer count (a smoke build differs)."""
    h = hashlib.sha256()
    for name in RECIPE_FILES:
        h.update(name.encode() + b"\0")
        h.update((HERE / name).read_bytes())
        h.update(b"\0")
    h.update(f"layers={layers}".encode())
    return h.hexdigest()


def default_out(layers: int) -> Path:
    cache = os.environ.get("TEALEAF_CACHE")
    base = Path(cache) if cache else ROOT / ".tealeaf-cache"
    return base / (NAME if layers == 24 else f"{NAME}-{layers}layers")


def is_complete(out: Path, want_hash: str) -> bool:
    """The stamp names this recipe and every file it lists is there with its recorded size."""
    try:
        stamp = json.loads((out / STAMP).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if stamp.get("recipe_sha256") != want_hash:
        return False
    files = stamp.get("files", {})
    return bool(files) and all((out / p).is_file() and (out / p).stat().st_size == n for p, n in files.items())


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale_temps(out: Path) -> None:
    """Temporary folders of builds whose process is gone (a crash or a kill)."""
    for p in out.parent.glob(f"{out.name}.tmp-*"):
        try:
            pid = int(p.name.rsplit("-", 1)[1])
        except ValueError:
            continue
        if not _pid_alive(pid):
            shutil.rmtree(p, ignore_errors=True)


def peak_rss_mb() -> float:
    """This process's peak resident set so far (VmHWM), in MB."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def log(msg: str) -> None:
    print(f"make_synthetic_0p5b: {msg} [peak RSS {peak_rss_mb():.0f} MB]", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Model and eager reference
# --------------------------------------------------------------------------------------------


def build_model(layers: int):
    import torch
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(**{**QWEN25_0P5B, "num_hidden_layers": layers, "max_window_layers": layers})
    torch.manual_seed(SEED)
    with torch.no_grad():
        model = Qwen2ForCausalLM(config)  # post_init draws N(0, initializer_range) for every Linear/Embedding
    model = model.eval().float()
    model.set_attn_implementation("eager")
    return model


def reference_ids(vocab: int, n: int) -> list[int]:
    """Deterministic prompt ids spread over the whole vocabulary (the check's input)."""
    return [(7919 * k + 13) % vocab for k in range(n)]


def eager_reference(model, ids: list[int], steps: int) -> dict[str, Any]:
    """Last-position logits of a prefill and `steps` greedy KV-cache steps, as numpy arrays."""
    import torch
    from transformers import DynamicCache

    out: dict[str, Any] = {"logits": [], "tokens": []}
    cache = DynamicCache()
    new = torch.tensor([ids])
    total = len(ids)
    with torch.no_grad():
        for step in range(steps + 1):
            pos = torch.arange(total - new.shape[1], total).unsqueeze(0)
            r = model(
                input_ids=new,
                attention_mask=torch.ones((1, total), dtype=torch.long),
                position_ids=pos,
                past_key_values=cache,
                use_cache=True,
                return_dict=True,
            )
            cache = r.past_key_values
            last = r.logits[0, -1].float().numpy().copy()
            if not bool(torch.isfinite(r.logits).all()):
                raise RuntimeError(f"eager logits are not finite at step {step}: scale the weights down")
            out["logits"].append(last)
            token = int(last.argmax())
            out["tokens"].append(token)
            new = torch.tensor([[token]])
            total += 1
    out["logit_std"] = float(out["logits"][0].std())
    return out


# --------------------------------------------------------------------------------------------
# Export (fp32, external data, no attention outputs)
# --------------------------------------------------------------------------------------------


def export_fp32(model, onnx_path: Path) -> None:
    import torch
    from torch import nn
    from transformers import DynamicCache

    sys.path.insert(0, str(HERE))
    import tealeaf_export as te

    num_layers = model.config.num_hidden_layers
    kv_heads = model.config.num_key_value_heads
    head_dim = model.config.hidden_size // model.config.num_attention_heads
    vocab = model.config.vocab_size

    class Wrapper(nn.Module):
        """forward(input_ids, attention_mask, position_ids, *past) -> logits, *presents (no attentions)."""

        def __init__(self, inner: nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, position_ids, *past):
            cache = DynamicCache()
            for i in range(num_layers):
                cache.update(past[2 * i], past[2 * i + 1], i)
            r = self.inner(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                past_key_values=cache,
                use_cache=True,
                return_dict=True,
            )
            presents = []
            for layer in r.past_key_values.layers:
                presents += [layer.keys, layer.values]
            return (r.logits, *presents)

    # Untie: the LM head gets its own copy of the embedding, so that the exporter folds its
    # transpose into a constant [hidden, vocab] MatMul weight (as published exports store it).
    with torch.no_grad():
        model.lm_head.weight = nn.Parameter(model.model.embed_tokens.weight.detach().clone())

    input_names = ["input_ids", "attention_mask", "position_ids"]
    output_names = ["logits"]
    for i in range(num_layers):
        input_names += [f"past_key_values.{i}.key", f"past_key_values.{i}.value"]
        output_names += [f"present.{i}.key", f"present.{i}.value"]
    batch, seq, past = 2, 3, 4  # >= 2 everywhere: nothing specialised to 0 or 1
    ids = torch.randint(0, vocab, (batch, seq), generator=torch.Generator().manual_seed(0))
    mask = torch.ones((batch, past + seq), dtype=torch.long)
    pos = torch.arange(past, past + seq).unsqueeze(0).expand(batch, seq).contiguous()
    pkv = tuple(torch.randn(batch, kv_heads, past, head_dim) * 0.1 for _ in range(2 * num_layers))
    b, s, p, t = "batch_size", "sequence_length", "past_sequence_length", "total_sequence_length"
    dyn = ({0: b, 1: s}, {0: b, 1: t}, {0: b, 1: s}, tuple({0: b, 2: p} for _ in range(2 * num_layers)))

    onnx_path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(
            Wrapper(model).eval(),
            (ids, mask, pos, *pkv),
            dynamo=True,
            opset_version=te.OPSET,
            input_names=input_names,
            output_names=output_names,
            dynamic_shapes=dyn,
            external_data=True,
            optimize=True,
        )
    assert program is not None
    _strip_and_name(program.model)
    import onnx_ir as ir

    ir.save(program.model, onnx_path, external_data=f"{onnx_path.name}_data")
    del program
    gc.collect()

    import onnx

    onnx.checker.check_model(str(onnx_path))  # by path: external data and > 2 GB are fine
    expected: dict[str, list[str | int]] = {
        "input_ids": [b, s],
        "attention_mask": [b, t],
        "position_ids": [b, s],
        "logits": [b, s, vocab],
    }
    for i in range(num_layers):
        for kind in ("key", "value"):
            expected[f"past_key_values.{i}.{kind}"] = [b, kv_heads, p, head_dim]
            expected[f"present.{i}.{kind}"] = [b, kv_heads, t, head_dim]
    te._check_dims(onnx_path, expected)
    proto = onnx.load(str(onnx_path), load_external_data=False)
    names_in = [i.name for i in proto.graph.input]
    names_out = [o.name for o in proto.graph.output]
    if names_in != input_names or names_out != output_names:
        raise RuntimeError(f"exported names differ: {names_in} / {names_out}")


def _strip_and_name(model) -> None:
    """What tealeaf_export._finalize_onnx does, on the in-memory IR (the proto would be over 2 GB):
    Optimum's name for the total length, and no per-node stack traces (absolute paths, size)."""
    import onnx_ir as ir

    totals = {"past_sequence_length + sequence_length", "sequence_length + past_sequence_length"}

    def rename(value) -> None:
        if value is None or value.shape is None:
            return
        dims = [ir.SymbolicDim("total_sequence_length") if isinstance(d, ir.SymbolicDim) and d.value in totals else d for d in value.shape]
        value.shape = ir.Shape(dims)

    graph = model.graph
    for v in list(graph.inputs) + list(graph.outputs):
        rename(v)
    for node in ir.traversal.RecursiveGraphIterator(graph):
        node.metadata_props.clear()
        node.doc_string = None
        for out in node.outputs:
            rename(out)
    model.metadata_props.clear()


# --------------------------------------------------------------------------------------------
# Checks with onnxruntime (one session at a time) and quantization
# --------------------------------------------------------------------------------------------


def ort_greedy(path: Path, ids: list[int], steps: int, kv_heads: int, head_dim: int, layers: int, threads: int) -> dict[str, Any]:
    import numpy as np
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    sess = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
    past = {f"past_key_values.{i}.{k}": np.zeros((1, kv_heads, 0, head_dim), np.float32) for i in range(layers) for k in ("key", "value")}
    names = ["logits"] + [f"present.{i}.{k}" for i in range(layers) for k in ("key", "value")]
    new = np.array([ids], np.int64)
    total = len(ids)
    out: dict[str, Any] = {"logits": [], "tokens": []}
    for _ in range(steps + 1):
        feeds = {
            "input_ids": new,
            "attention_mask": np.ones((1, total), np.int64),
            "position_ids": np.arange(total - new.shape[1], total, dtype=np.int64)[None, :],
            **past,
        }
        got = dict(zip(names, sess.run(names, feeds)))
        last = got["logits"][0, -1].copy()
        out["logits"].append(last)
        token = int(last.argmax())
        out["tokens"].append(token)
        past = {f"past_key_values.{i}.{k}": got[f"present.{i}.{k}"] for i in range(layers) for k in ("key", "value")}
        new = np.array([[token]], np.int64)
        total += 1
    del sess
    gc.collect()
    return out


def compare(name: str, got: dict[str, Any], ref: dict[str, Any], tolerance: float | None) -> dict[str, Any]:
    import numpy as np

    if not all(np.isfinite(a).all() for a in got["logits"]):
        raise RuntimeError(f"{name}: onnxruntime logits are not finite")
    diff = max(float(np.max(np.abs(a.astype(np.float64) - b))) for a, b in zip(got["logits"], ref["logits"]))
    # Prefill logits only: later steps follow each run's own greedy tokens. Random weights give
    # near-flat logits, so quantization noise flips many arg-maxes; the cosine says it is noise.
    a, b = got["logits"][0].astype(np.float64), ref["logits"][0].astype(np.float64)
    cosine = float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))
    same = sum(int(x == y) for x, y in zip(got["tokens"], ref["tokens"]))
    report = {
        "max_abs_diff_vs_eager": diff,
        "prefill_logits_cosine_vs_eager": round(cosine, 6),
        "greedy_tokens_equal_to_eager": f"{same}/{len(ref['tokens'])}",
    }
    if tolerance is not None and not diff < tolerance:
        raise RuntimeError(f"{name}: logits differ from eager by {diff} (tolerance {tolerance})")
    log(f"{name}: {report}")
    return report


def quantize_q8(fp32: Path, dest: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(fp32),
        str(dest),
        per_channel=False,
        reduce_range=False,
        weight_type=QuantType.QInt8,
        extra_options={"EnableSubgraph": True, "MatMulConstBOnly": True},
    )


def quantize_q4(fp32: Path, dest: Path) -> None:
    import onnx
    from onnxruntime.quantization.matmul_nbits_quantizer import MatMulNBitsQuantizer

    quantizer = MatMulNBitsQuantizer(onnx.load(str(fp32)), bits=4, block_size=32, is_symmetric=True, accuracy_level=None)
    quantizer.process()
    quantizer.model.save_model_to_file(str(dest), use_external_data_format=False)
    del quantizer
    gc.collect()


# --------------------------------------------------------------------------------------------
# Folder
# --------------------------------------------------------------------------------------------


def write_folder_files(tmp: Path, config: dict[str, Any], layers: int) -> None:
    import transformers

    cfg = {**config, "torch_dtype": "float32", "transformers_version": transformers.__version__}
    # transformers.js fetches model.onnx_data beside model.onnx only when told so.
    cfg["transformers.js_config"] = {"use_external_data_format": {"model.onnx": True}}
    (tmp / "config.json").write_text(json.dumps(cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    gen = {"bos_token_id": config["bos_token_id"], "eos_token_id": config["eos_token_id"], "do_sample": False}
    (tmp / "generation_config.json").write_text(json.dumps(gen, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    # A byte-level BPE tokenizer from the test fixtures: its ids (< 400) are all below the vocab;
    # the model's weights are random, so what the ids mean does not matter.
    shutil.copyfile(TOKENIZER_SOURCE / "tokenizer.json", tmp / "tokenizer.json")
    tok_cfg = json.loads((TOKENIZER_SOURCE / "tokenizer_config.json").read_text(encoding="utf-8"))
    tok_cfg["model_max_length"] = config["max_position_embeddings"]
    (tmp / "tokenizer_config.json").write_text(json.dumps(tok_cfg, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    (tmp / "README.md").write_text(
        f"# {NAME}\n\n"
        f"Qwen/Qwen2.5-0.5B's configuration ({layers} layers) with random weights (seed {SEED}, N(0, 0.02)),\n"
        "built by models/recipes/make_synthetic_0p5b.py for `npm run bench` (section real-0p5b).\n"
        "It measures speed and memory only: its output is noise. Not a model to use, not committed.\n",
        encoding="utf-8",
    )


def build(out: Path, layers: int, threads: int) -> dict[str, Any]:
    import torch

    torch.set_num_threads(threads)
    want = recipe_hash(layers)
    started = time.time()
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(out)
    tmp = out.parent / f"{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    try:
        timings: dict[str, float] = {}
        t = time.time()
        model = build_model(layers)
        cfg = model.config
        kv_heads, head_dim, vocab = cfg.num_key_value_heads, cfg.hidden_size // cfg.num_attention_heads, cfg.vocab_size
        params = sum(p.numel() for p in model.parameters())
        ids = reference_ids(vocab, 16)
        ref = eager_reference(model, ids, steps=3)
        log(f"model: {params / 1e6:.1f}M parameters, eager logit std {ref['logit_std']:.3f}, greedy {ref['tokens']}")
        timings["model_s"] = time.time() - t

        t = time.time()
        fp32 = tmp / "onnx" / "model.onnx"
        export_fp32(model, fp32)
        del model
        gc.collect()
        timings["export_s"] = time.time() - t
        log(f"exported fp32 in {timings['export_s']:.0f} s")

        checks: dict[str, Any] = {}
        t = time.time()
        checks["fp32"] = compare("fp32", ort_greedy(fp32, ids, 3, kv_heads, head_dim, layers, threads), ref, 1e-3)
        timings["check_fp32_s"] = time.time() - t

        for dtype, file, quantize in (("q8", "model_quantized.onnx", quantize_q8), ("q4", "model_q4.onnx", quantize_q4)):
            t = time.time()
            quantize(fp32, tmp / "onnx" / file)
            gc.collect()
            timings[f"quantize_{dtype}_s"] = time.time() - t
            log(f"quantized {dtype} in {timings[f'quantize_{dtype}_s']:.0f} s")
            t = time.time()
            checks[dtype] = compare(dtype, ort_greedy(tmp / "onnx" / file, ids, 3, kv_heads, head_dim, layers, threads), ref, None)
            timings[f"check_{dtype}_s"] = time.time() - t

        write_folder_files(tmp, {**QWEN25_0P5B, "num_hidden_layers": layers, "max_window_layers": layers}, layers)
        files = {str(p.relative_to(tmp)): p.stat().st_size for p in sorted(tmp.rglob("*")) if p.is_file()}
        stamp = {
            "recipe_sha256": want,
            "layers": layers,
            "seed": SEED,
            "parameters": params,
            "files": files,
            "checks": checks,
            "timings": {k: round(v, 1) for k, v in timings.items()},
            "build_seconds": round(time.time() - started, 1),
            "build_peak_rss_mb": round(peak_rss_mb()),
            "versions": _versions(),
        }
        (tmp / STAMP).write_text(json.dumps(stamp, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        # Into place: the old folder (another recipe's) moves aside first, then goes.
        if out.exists():
            old = out.parent / f"{out.name}.old-{os.getpid()}"
            out.rename(old)
            shutil.rmtree(old, ignore_errors=True)
        tmp.rename(out)
        return stamp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _versions() -> dict[str, str]:
    import onnx
    import onnxruntime
    import torch
    import transformers

    return {"torch": torch.__version__, "transformers": transformers.__version__, "onnx": onnx.__version__, "onnxruntime": onnxruntime.__version__}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="model folder (default: $TEALEAF_CACHE or <repo>/.tealeaf-cache, then synthetic-qwen2.5-0.5b)")
    parser.add_argument("--force", action="store_true", help="rebuild even if the folder is complete")
    parser.add_argument("--layers", type=int, default=24, help="fewer layers for a quick smoke build (its own folder)")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    args = parser.parse_args()
    out = (args.out or default_out(args.layers)).resolve()
    want = recipe_hash(args.layers)
    if not args.force and is_complete(out, want):
        log(f"{out} is up to date")
        print(json.dumps({"out": str(out), "built": False, **json.loads((out / STAMP).read_text(encoding="utf-8"))}))
        return 0
    log(f"building {out} ({args.layers} layers)")
    stamp = build(out, args.layers, args.threads)
    log(f"done in {stamp['build_seconds']:.0f} s: {out}")
    print(json.dumps({"out": str(out), "built": True, **stamp}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
