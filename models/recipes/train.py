"""Time-budgeted training of the Tealeaf default models (PyTorch + Hugging Face transformers classes).

  python train.py code      --data work/code      --out work/run-code      --minutes 60
  python train.py translate --data work/translate --out work/run-translate --minutes 60

The learning rate is a function of the elapsed fraction of the time budget (linear warmup, then cosine
to 10% of the peak), so a run ends on time whatever the throughput of the machine. A checkpoint is
written every --ckpt-minutes; --resume continues a run from it (the spent time counts against the
budget). Train and held-out losses go to train_log.csv; a summary to train_summary.json; the final
weights to <out>/hf (save_pretrained, safetensors).

Device is CUDA when available, else CPU with --threads threads (1 by default: the build machine is
shared). --size large picks a bigger model (still <= 40 MB fp32) for GPU runs; --size smoke a tiny one.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

CODE_SIZES = {
    # hidden, ffn, layers, heads, kv heads (head dim 32 throughout)
    "smoke": dict(hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=2,
                  num_key_value_heads=1),
    "small": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=6, num_attention_heads=8,
                  num_key_value_heads=4),
    "large": dict(hidden_size=288, intermediate_size=768, num_hidden_layers=8, num_attention_heads=9,
                  num_key_value_heads=3),
    # Issue 19 candidates for the GPU-trained default (measure_decode.py; the choice is "base", see
    # device_train.sh): decode on WASM grows about linearly with the parameters streamed per token.
    "w256": dict(hidden_size=256, intermediate_size=688, num_hidden_layers=8, num_attention_heads=8,
                 num_key_value_heads=4),
    "w288": dict(hidden_size=288, intermediate_size=768, num_hidden_layers=8, num_attention_heads=9,
                 num_key_value_heads=3),
    "w320": dict(hidden_size=320, intermediate_size=864, num_hidden_layers=8, num_attention_heads=10,
                 num_key_value_heads=5),
    "w384": dict(hidden_size=384, intermediate_size=1024, num_hidden_layers=8, num_attention_heads=12,
                 num_key_value_heads=4),
}
CODE_SIZES["base"] = CODE_SIZES["w256"]
TRANSLATE_SIZES = {
    "smoke": dict(d_model=64, encoder_layers=1, decoder_layers=1, encoder_attention_heads=2,
                  decoder_attention_heads=2, encoder_ffn_dim=128, decoder_ffn_dim=128),
    "small": dict(d_model=256, encoder_layers=3, decoder_layers=3, encoder_attention_heads=4,
                  decoder_attention_heads=4, encoder_ffn_dim=1024, decoder_ffn_dim=1024),
    "large": dict(d_model=256, encoder_layers=4, decoder_layers=4, encoder_attention_heads=4,
                  decoder_attention_heads=4, encoder_ffn_dim=1024, decoder_ffn_dim=1024),
    # Issue 19 (GPU-trained default; see device_train.sh for the size budget).
    "base": dict(d_model=320, encoder_layers=4, decoder_layers=3, encoder_attention_heads=5,
                 decoder_attention_heads=5, encoder_ffn_dim=1280, decoder_ffn_dim=1280),
    "medium": dict(d_model=384, encoder_layers=4, decoder_layers=4, encoder_attention_heads=6,
                   decoder_attention_heads=6, encoder_ffn_dim=1536, decoder_ffn_dim=1536),
}


def hardware(device: torch.device, threads: int) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(0)
    name = platform.processor() or "CPU"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                name = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{name}, {threads} thread(s) of {os.cpu_count()} cores (shared machine)"


def lr_at(frac: float, peak: float, warmup: float = 0.03, final: float = 0.1) -> float:
    if frac < warmup:
        return peak * max(frac, 1e-3) / warmup
    p = min(1.0, (frac - warmup) / (1 - warmup))
    return peak * (final + (1 - final) * 0.5 * (1 + math.cos(math.pi * p)))


def make_optimizer(model: torch.nn.Module, lr: float, wd: float) -> torch.optim.Optimizer:
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (decay if p.dim() >= 2 and "embed" not in n else no_decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


# ----------------------------------------------------------------------------------------------- code
class CodeData:
    def __init__(self, data: Path, ctx: int, batch: int, seed: int):
        self.train = np.fromfile(data / "train.bin", dtype=np.uint16)    # [tokens]
        self.held = np.fromfile(data / "heldout.bin", dtype=np.uint16)   # [tokens]
        self.ctx, self.batch = ctx, batch
        self.rng = np.random.default_rng(seed)
        # Fixed held-out windows, evenly spaced, for the loss curve (the full evaluation is evaluate.py).
        n = min(12, max(1, (self.held.size - 1) // (ctx + 1)))
        starts = np.linspace(0, self.held.size - ctx - 2, n).astype(np.int64)
        self.held_batch = torch.from_numpy(np.stack([self.held[s:s + ctx + 1] for s in starts]).astype(np.int64))

    def sample(self) -> torch.Tensor:
        starts = self.rng.integers(0, self.train.size - self.ctx - 1, self.batch)
        if getattr(self, "train_dev", None) is not None:
            # The whole stream lives on the GPU: gather the windows there.
            idx = torch.from_numpy(starts).to(self.train_dev.device)[:, None] + self.offsets    # [batch, ctx + 1]
            return self.train_dev[idx].long()
        return torch.from_numpy(np.stack([self.train[s:s + self.ctx + 1] for s in starts]).astype(np.int64))

    def to_device(self, device: torch.device) -> None:
        """CUDA: keep the token stream on the GPU (int32; 4 bytes a token) and sample windows there."""
        self.train_dev = torch.from_numpy(self.train.astype(np.int32)).to(device)               # [tokens]
        self.offsets = torch.arange(self.ctx + 1, device=device)[None, :]                       # [1, ctx + 1]


def code_loss(model, x: torch.Tensor) -> torch.Tensor:
    # x: [batch, ctx + 1]; predict x[:, 1:] from x[:, :-1]
    logits = model(input_ids=x[:, :-1]).logits                      # [batch, ctx, vocab]
    return F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), x[:, 1:].reshape(-1))


# ------------------------------------------------------------------------------------------ translate
class TranslateData:
    PAD = 0

    def __init__(self, data: Path, max_tokens: int, seed: int, max_len: int = 128):
        self.rng = np.random.default_rng(seed)
        self.max_tokens = max_tokens
        tr = np.load(data / "train.npz")
        he = np.load(data / "heldout.npz")
        self.train = self._unpack(tr, max_len)
        self.held = self._unpack(he, max_len)
        self.batches: list[np.ndarray] = []
        # Fixed held-out subset for the loss curve: 256 evenly spaced examples (both directions).
        idx = np.arange(0, len(self.held[0]), max(1, len(self.held[0]) // 256))[:256]
        self.held_batches = self._batches(self.held, idx, shuffle=False)

    @staticmethod
    def _unpack(z, max_len: int):
        # NpzFile re-reads an array on every item access: fetch each once.
        s_all, s_off = z["src"].astype(np.int64), z["src_off"]
        t_all, t_off = z["tgt"].astype(np.int64), z["tgt_off"]
        src = [s_all[a:b] for a, b in zip(s_off[:-1], s_off[1:])]
        tgt = [t_all[a:b] for a, b in zip(t_off[:-1], t_off[1:])]
        keep = [i for i in range(len(src)) if len(src[i]) <= max_len and len(tgt[i]) <= max_len]
        return [src[i] for i in keep], [tgt[i] for i in keep]

    def _batches(self, split, idx: np.ndarray, shuffle: bool) -> list[np.ndarray]:
        src, tgt = split
        lens = np.asarray([max(len(src[i]), len(tgt[i])) for i in idx])
        noise = self.rng.random(len(idx)) if shuffle else np.zeros(len(idx))
        order = idx[np.lexsort((noise, lens))]
        out, cur, cur_max = [], [], 0
        for i in order:
            m = max(cur_max, len(src[i]), len(tgt[i]))
            if cur and m * (len(cur) + 1) > self.max_tokens:
                out.append(np.asarray(cur))
                cur, m = [], max(len(src[i]), len(tgt[i]))
            cur.append(i)
            cur_max = m
        if cur:
            out.append(np.asarray(cur))
        if shuffle:
            self.rng.shuffle(out)
        return out

    def collate(self, split, idx: np.ndarray):
        src, tgt = split
        s_len = max(len(src[i]) for i in idx)
        t_len = max(len(tgt[i]) for i in idx)
        input_ids = torch.full((len(idx), s_len), self.PAD, dtype=torch.long)     # [batch, src]
        labels = torch.full((len(idx), t_len), -100, dtype=torch.long)            # [batch, tgt]
        dec_in = torch.full((len(idx), t_len), self.PAD, dtype=torch.long)        # [batch, tgt]
        for r, i in enumerate(idx):
            s, t = torch.from_numpy(src[i]), torch.from_numpy(tgt[i])
            input_ids[r, :len(s)] = s
            labels[r, :len(t)] = t
            dec_in[r, 1:len(t)] = t[:-1]          # decoder starts from <pad> (Marian convention)
        return input_ids, (input_ids != self.PAD).long(), dec_in, labels

    def sample(self):
        if not self.batches:
            self.batches = self._batches(self.train, np.arange(len(self.train[0])), shuffle=True)
            self.epoch_started = True
        return self.collate(self.train, self.batches.pop())


def translate_loss(model, batch, device, smoothing: float = 0.0) -> tuple[torch.Tensor, int]:
    input_ids, attn, dec_in, labels = (t.to(device) for t in batch)
    logits = model(input_ids=input_ids, attention_mask=attn, decoder_input_ids=dec_in).logits  # [b, tgt, vocab]
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), labels.reshape(-1), ignore_index=-100,
                           label_smoothing=smoothing)
    return loss, int((labels != -100).sum())


# --------------------------------------------------------------------------------------------- models
def build_model(task: str, size: str, data: Path):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(str(data / "tokenizer.json"))
    vocab = tok.get_vocab_size()
    if task == "code":
        from transformers import LlamaConfig, LlamaForCausalLM
        eos = tok.token_to_id("<|endoftext|>")
        cfg = LlamaConfig(vocab_size=vocab, max_position_embeddings=512 if size != "large" else 1024,
                          rms_norm_eps=1e-5, rope_theta=10000.0, tie_word_embeddings=True, bos_token_id=eos,
                          eos_token_id=eos, pad_token_id=eos, hidden_act="silu", initializer_range=0.02,
                          attention_bias=False, mlp_bias=False, **CODE_SIZES[size])
        cfg._attn_implementation = "sdpa"
        return LlamaForCausalLM(cfg)
    from transformers import MarianConfig, MarianMTModel
    cfg = MarianConfig(vocab_size=vocab, max_position_embeddings=256, pad_token_id=tok.token_to_id("<pad>"),
                       eos_token_id=tok.token_to_id("</s>"), decoder_start_token_id=tok.token_to_id("<pad>"),
                       forced_eos_token_id=tok.token_to_id("</s>"), bos_token_id=tok.token_to_id("<pad>"),
                       activation_function="swish", scale_embedding=True, share_encoder_decoder_embeddings=True,
                       tie_word_embeddings=True, dropout=0.1, attention_dropout=0.0, activation_dropout=0.0,
                       decoder_vocab_size=vocab, **TRANSLATE_SIZES[size])
    cfg._attn_implementation = "sdpa"
    return MarianMTModel(cfg)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("task", choices=["code", "translate"])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--minutes", type=float, required=True, help="wall-clock training budget")
    ap.add_argument("--size", choices=sorted(set(CODE_SIZES) | set(TRANSLATE_SIZES)), default="small")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--lr", type=float, default=None)
    ap.add_argument("--warmup", type=float, default=None, help="warmup as a fraction of the time budget")
    ap.add_argument("--batch", type=int, default=None, help="code: sequences per step")
    ap.add_argument("--ctx", type=int, default=512)
    ap.add_argument("--max-tokens", type=int, default=None, help="translate: padded tokens per batch")
    ap.add_argument("--eval-minutes", type=float, default=5.0)
    ap.add_argument("--ckpt-minutes", type=float, default=5.0)
    ap.add_argument("--resume", action="store_true")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--bf16", choices=["auto", "on", "off"], default="auto",
                    help="bf16 autocast (auto: on CUDA); the master weights stay fp32")
    ap.add_argument("--compile", action="store_true", help="torch.compile the model (falls back if it fails)")
    ap.add_argument("--snapshot-dir", type=Path, default=None,
                    help="after each held-out evaluation that beats the last one, write the weights there in bf16, "
                         "split into <= 15 MiB safetensors files, with a small meta tarball (snapshot.py)")
    ap.add_argument("--snapshot-name", default=None, help="file name prefix in --snapshot-dir (default: the task)")
    args = ap.parse_args()

    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(args.threads)
    use_bf16 = args.bf16 == "on" or (args.bf16 == "auto" and device.type == "cuda")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    torch.manual_seed(args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    model = build_model(args.task, args.size, args.data).to(device)
    n_params = sum(p.numel() for p in model.parameters())
    if args.task == "code":
        peak = args.lr or (2e-3 if args.size != "large" else 1.5e-3)
        # Small batches on CPU: few tokens are trained there, so take more optimizer steps per token.
        batch = args.batch or (4 if device.type == "cpu" else 64)
        data = CodeData(args.data, args.ctx, batch, args.seed)
        if device.type == "cuda":
            data.to_device(device)
    else:
        # Marian is post-LayerNorm: it needs a gentler peak and a longer warmup than the pre-norm Llama
        # (at 1.5e-3 with 3% warmup it sat at the unigram loss).
        peak = args.lr or 7e-4
        data = TranslateData(args.data, args.max_tokens or (1200 if device.type == "cpu" else 24000), args.seed)
    opt = make_optimizer(model, peak, 0.1 if args.task == "code" else 0.01)
    # What the training steps call: the model itself, or its compiled form (same parameters).
    autocast = (lambda: torch.autocast(device.type, dtype=torch.bfloat16)) if use_bf16 else contextlib.nullcontext
    fwd = model
    if args.compile:
        # Compiling happens at the first call: run one forward and backward now (before the clock starts),
        # and train uncompiled if anything fails, rather than lose the run.
        t_c = time.time()
        try:
            # TEALEAF_COMPILE_BACKEND=eager traces without generating kernels (a quick check on a CPU).
            fwd = torch.compile(model, backend=os.environ.get("TEALEAF_COMPILE_BACKEND", "inductor"))
            with autocast():
                if args.task == "code":
                    warm = code_loss(fwd, data.sample().to(device))
                else:
                    warm, _ = translate_loss(fwd, data.sample(), device, smoothing=0.1)
            warm.backward()
            opt.zero_grad(set_to_none=True)
            print(json.dumps({"compile": "ok", "seconds": round(time.time() - t_c, 1)}), flush=True)
        except Exception as e:             # noqa: BLE001 - any failure: train uncompiled
            fwd = model
            opt.zero_grad(set_to_none=True)
            print(json.dumps({"compile": f"failed after {time.time() - t_c:.0f} s, training uncompiled: "
                                         f"{type(e).__name__}: {str(e)[:300]}"}), flush=True)

    ckpt = args.out / "ckpt.pt"
    state = {"elapsed": 0.0, "step": 0, "tokens": 0, "src_tokens": 0}
    log_rows: list[dict] = []
    if args.resume and ckpt.exists():
        c = torch.load(ckpt, map_location=device, weights_only=False)   # our own file, written below
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state = c["state"]
        log_rows = c["log"]
        data.rng = np.random.default_rng(args.seed + state["step"])
        print(f"resumed at step {state['step']}, {state['elapsed'] / 60:.1f} min spent", flush=True)

    warmup = args.warmup if args.warmup is not None else (0.03 if args.task == "code" else 0.1)
    budget = args.minutes * 60
    print(json.dumps({"task": args.task, "params": n_params, "device": str(device), "threads": args.threads,
                      "size": args.size, "budget_min": args.minutes, "peak_lr": peak, "bf16": use_bf16,
                      "compile": args.compile}), flush=True)
    best_snapshot = [float("inf")]

    def snapshot(heldout: float, row: dict) -> None:
        if args.snapshot_dir is None or heldout >= best_snapshot[0]:
            return
        best_snapshot[0] = heldout
        import snapshot as snap
        snap.write(model, args.snapshot_dir, args.snapshot_name or args.task, args.data / "tokenizer.json",
                   {"train_log": log_rows, "state": dict(state), "row": row, "task": args.task, "size": args.size,
                    "parameters": n_params, "device": str(device), "hardware": hardware(device, args.threads),
                    "peak_lr": peak, "bf16": use_bf16, "compile": args.compile, "torch": torch.__version__,
                    "budget_minutes": args.minutes, "ctx": args.ctx,
                    "batch_sequences": getattr(data, "batch", None), "max_tokens_per_batch": getattr(data, "max_tokens", None)})

    def evaluate() -> float:
        model.eval()
        with torch.no_grad(), autocast():
            if args.task == "code":
                losses = [code_loss(model, data.held_batch[i:i + 8].to(device)).item()
                          for i in range(0, len(data.held_batch), 8)]
                out = float(np.mean(losses))
            else:
                tot, n = 0.0, 0
                for b in data.held_batches:
                    l, k = translate_loss(model, data.collate(data.held, b), device)
                    tot += l.item() * k
                    n += k
                out = tot / max(1, n)
        model.train()
        return out

    def save_ckpt() -> None:
        tmp = args.out / "ckpt.pt.tmp"
        torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state, "log": log_rows}, tmp)
        os.replace(tmp, ckpt)

    model.train()
    t0 = time.time() - state["elapsed"]
    last_eval = last_ckpt = time.time()
    run_loss, run_n = 0.0, 0
    if not log_rows:
        log_rows.append({"step": 0, "minutes": 0.0, "tokens": 0, "lr": 0.0, "train_loss": "",
                         "heldout_loss": round(evaluate(), 4)})
    while True:
        state["elapsed"] = time.time() - t0
        frac = state["elapsed"] / budget
        if frac >= 1.0:
            break
        lr = lr_at(frac, peak, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        if args.task == "code":
            x = data.sample().to(device)
            with autocast():
                loss = code_loss(fwd, x)
            ntok = x[:, 1:].numel()
        else:
            b = data.sample()
            with autocast():
                loss, ntok = translate_loss(fwd, b, device, smoothing=0.1)
            state["src_tokens"] += int((b[1]).sum())
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["tokens"] += ntok
        run_loss += loss.item()
        run_n += 1
        now = time.time()
        if now - last_eval >= args.eval_minutes * 60:
            row = {"step": state["step"], "minutes": round((now - t0) / 60, 2), "tokens": state["tokens"],
                   "lr": round(lr, 6), "train_loss": round(run_loss / run_n, 4), "heldout_loss": round(evaluate(), 4)}
            log_rows.append(row)
            print(json.dumps({**row, "tokens_per_second": round(state["tokens"] / max(1e-9, now - t0))}), flush=True)
            snapshot(row["heldout_loss"], row)
            run_loss, run_n = 0.0, 0
            last_eval = time.time()
        if now - last_ckpt >= args.ckpt_minutes * 60:
            save_ckpt()
            last_ckpt = time.time()

    wall = time.time() - t0
    final = {"step": state["step"], "minutes": round(wall / 60, 2), "tokens": state["tokens"], "lr": 0.0,
             "train_loss": round(run_loss / max(1, run_n), 4) if run_n else "", "heldout_loss": round(evaluate(), 4)}
    log_rows.append(final)
    print(json.dumps(final), flush=True)
    snapshot(final["heldout_loss"], final)
    save_ckpt()

    with open(args.out / "train_log.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=["step", "minutes", "tokens", "lr", "train_loss", "heldout_loss"])
        w.writeheader()
        w.writerows(log_rows)
    hf = args.out / "hf"
    if hf.exists():
        shutil.rmtree(hf)
    model.config._attn_implementation = "eager"     # export needs explicit Softmax nodes
    model.save_pretrained(hf)
    shutil.copy(args.data / "tokenizer.json", hf / "tokenizer.json")
    summary = {"task": args.task, "size": args.size, "parameters": n_params, "steps": state["step"],
               "tokens_trained": state["tokens"], "wall_minutes": round(wall / 60, 1),
               "tokens_per_second": round(state["tokens"] / max(1.0, wall), 1), "device": str(device),
               "hardware": hardware(device, args.threads), "peak_lr": peak, "schedule": f"linear warmup {warmup:.0%} of "
               "the time budget, cosine to 10% of peak, as a function of elapsed time", "optimizer": "AdamW "
               "(0.9, 0.95), grad clip 1.0", "torch": torch.__version__,
               "final_heldout_loss_curve": final["heldout_loss"], "config": model.config.to_dict()}
    if args.task == "code":
        summary.update({"context": args.ctx, "batch_sequences": data.batch})
    else:
        summary.update({"max_tokens_per_batch": data.max_tokens, "source_tokens_trained": state["src_tokens"],
                        "label_smoothing": 0.1})
    (args.out / "train_summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")


if __name__ == "__main__":
    main()
