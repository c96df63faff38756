#!/usr/bin/env bash
# Issue 19: train both default models on the lent GPU machine (one H200, bf16) in one call.
#
# ---------------------------------------------------------------------------------------------------
# 1. Before the call, here (CPU; hours, not device time):
#      models/recipes/build_broad.sh            # corpora -> tokenizers/streams -> work/pack/*.tar.xz
#    or step by step: corpus_code_broad.py, corpus_translate_broad.py, prepare_broad.py code|translate,
#    pack.py (which prints the pack's size and whether the call's working tree fits in 64 MiB).
#    Dry run of this very script on the CPU, a minute per model:
#      OUT=/tmp/out bash models/recipes/device_train.sh --tiny
#      models/recipes/after_device.sh /tmp/out --max-eval-tokens 2000
#
# 2. The device call (exactly this; one call, ~1-2 min machine start + <= 8.5 min of script):
#      run(command = "OUT=$OUT bash models/recipes/device_train.sh --minutes 6.5 2>&1",
#          carry   = ["models/recipes/work/pack"],
#          timeout_s = 590)
#    What travels: the working tree (tracked + untracked-not-ignored files) plus work/pack. The call
#    refuses a tree over 64 MiB: pack.py adds it up. At the time of writing the tracked files alone
#    were 69.2 MiB (the shipped fp32 ONNX models are 63.4 MiB of it), so the shipped ONNX files must
#    shrink (fp16/external data) or leave the tree before the call; see the report of issue 19.
#    What comes back (<= 8 files, each <= 16 MiB, <= 64 MiB together), rewritten after every held-out
#    evaluation that improves, so a timeout still returns the best snapshot so far:
#      code-weights-{0,1,2}.safetensors   tealeaf-code, bf16, ~21 MB at size base (2 files)
#      code-meta.tar.gz                   config.json + meta.json (loss log, step, tokens, tok/s)
#      translate-weights-{0,1}.safetensors tealeaf-translate, bf16, ~27 MB at size base (2 files)
#      translate-meta.tar.gz
#      device-log.txt                     this script's output
#
# 3. After the call, here (files_at = the folder the tool copied $OUT's files to):
#      models/recipes/after_device.sh FILES_AT                         # into work/device-models/
#    = snapshot.py unpack (bf16 -> fp32 HF folder, tokenizer hash checked) -> evaluate.py (held-out)
#      -> export_model.py (ONNX, verified against PyTorch eager, golden) -> card.py -> tealeaf
#      check-model / generate / translate. If the held-out numbers beat the shipped models':
#      models/recipes/after_device.sh FILES_AT --models models --goldens test/fixtures/goldens
#    then npm test, the card's prose (card.py knows the old corpora; the broad manifests differ), and
#    the README's model section.
# ---------------------------------------------------------------------------------------------------
# Sizes (measured here, see measure_decode.py and the numbers below):
#   MEASUREMENTS
#
# Options: --minutes M     wall-clock training budget of each model (both run side by side; default 6.5)
#          --tiny          CPU dry run: size smoke, 1 minute each (unless --minutes), 1 thread each, no compile
#          --code-size S / --translate-size S   (train.py CODE_SIZES / TRANSLATE_SIZES; default base)
#          --sequential    one model after the other, each with the whole GPU (then give each half)
set -euo pipefail
minutes=""; tiny=0; code_size=base; tr_size=base; sequential=0
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift ;;
    --tiny) tiny=1 ;;
    --code-size) code_size=$2; shift ;;
    --translate-size) tr_size=$2; shift ;;
    --sequential) sequential=1 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
if [ $tiny = 1 ]; then code_size=smoke; tr_size=smoke; minutes=${minutes:-1}; else minutes=${minutes:-6.5}; fi
: "${OUT:?set OUT to the folder whose files come back}"
here=$(cd "$(dirname "$0")" && pwd)
pack=${TEALEAF_PACK:-$here/work/pack}
scratch=${TEALEAF_SCRATCH:-/tmp/tealeaf-device}
mkdir -p "$OUT"
exec > >(tee -a "$OUT/device-log.txt") 2>&1
t0=$(date +%s)
echo "== $(date -u +%H:%M:%S) device_train.sh minutes=$minutes tiny=$tiny code=$code_size translate=$tr_size"
rm -rf "$scratch"; mkdir -p "$scratch/code" "$scratch/translate"
tar -xJf "$pack/code.tar.xz" -C "$scratch/code"
tar -xJf "$pack/translate.tar.xz" -C "$scratch/translate"
python3 - "$pack/PACK.json" "$scratch" <<'EOF'
import hashlib, json, sys
from pathlib import Path
rep, root = json.load(open(sys.argv[1])), Path(sys.argv[2])
for task in ("code", "translate"):
    for name, m in rep[task]["members"].items():
        h = hashlib.sha256((root / task / name).read_bytes()).hexdigest()
        assert h == m["sha256"], f"{task}/{name}: checksum differs"
print(json.dumps({"unpacked": True, "code_train_tokens": rep["code"]["train_tokens"], "sizes_mib": rep["sizes_mib"]}))
EOF
python3 -c "import torch, transformers; print('torch', torch.__version__, 'transformers', transformers.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'cpu')"
nvidia-smi --query-gpu=name,memory.used,memory.total,clocks.sm --format=csv 2>/dev/null || true

if [ $tiny = 1 ]; then
  common=(--threads 1 --eval-minutes 0.25 --ckpt-minutes 100)
  code_flags=(--batch 4); tr_flags=(--max-tokens 1200)
else
  # eval every 30 s: each improving evaluation rewrites the snapshot in $OUT
  # torch.compile for the code model only (fixed shapes); the translation batches change shape every step.
  common=(--threads 4 --eval-minutes 0.5 --ckpt-minutes 100)
  code_flags=(--batch 128 --lr 2e-3 --compile); tr_flags=(--max-tokens 24000)
fi
cd "$here"
train() {  # task size flags...
  local task=$1 size=$2; shift 2
  PYTHONUNBUFFERED=1 python3 train.py "$task" --data "$scratch/$task" --out "$scratch/run-$task" --minutes "$minutes" \
    --size "$size" --snapshot-dir "$OUT" --snapshot-name "$task" "${common[@]}" "$@" 2>&1 | sed -u "s/^/[$task] /"
}
if [ $sequential = 1 ]; then
  train code "$code_size" "${code_flags[@]}"
  train translate "$tr_size" "${tr_flags[@]}"
else
  train code "$code_size" "${code_flags[@]}" &
  p1=$!
  train translate "$tr_size" "${tr_flags[@]}" &
  p2=$!
  wait $p1; wait $p2
fi
echo "== $(date -u +%H:%M:%S) done in $(( $(date +%s) - t0 )) s"
ls -la "$OUT"
du -sh "$OUT"
