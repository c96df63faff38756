#!/usr/bin/env bash
# The follow-up, here, of a device_train.sh run: the returned bf16 snapshots -> HF folders -> held-out
# evaluation -> ONNX export (verified against PyTorch eager) + golden -> model card -> a generate check.
#
#   models/recipes/after_device.sh FILES_AT [--models DIR] [--goldens DIR] [--threads N] [--max-eval-tokens N]
#
# FILES_AT: the folder the run tool copied $OUT's files to (code-weights-*.safetensors, code-meta.tar.gz,
#           translate-weights-*.safetensors, translate-meta.tar.gz, device-log.txt).
# --models DIR:  where the exported folders go (default models/recipes/work/device-models; pass `models`
#                to replace the shipped tealeaf-code / tealeaf-translate once the numbers are better).
# --goldens DIR: where the PyTorch goldens go (default: beside the models; test/fixtures/goldens for the
#                shipped ones).
# --cli DIR:    a checkout with a built dist/ (npm run build) for the final tealeaf checks (default: this one).
# Corpora and tokenizers are read from models/recipes/work/{code,translate}-broad (the ones that were
# packed; snapshot.py checks the tokenizer's SHA-256 against the one the device trained with).
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 FILES_AT [--models DIR] [--goldens DIR] [--threads N] [--max-eval-tokens N]" >&2; exit 2; }
src=$(cd "$1" && pwd); shift
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
models=$here/work/device-models; goldens=""; threads=2; eval_flags=""
code_data=$here/work/code-broad; tr_data=$here/work/translate-broad; cli=$repo
while [ $# -gt 0 ]; do
  case "$1" in
    --models) models=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
    --goldens) goldens=$(mkdir -p "$2" && cd "$2" && pwd); shift ;;
    --threads) threads=$2; shift ;;
    --max-eval-tokens) eval_flags="--max-tokens-per-lang $2 --max-pairs $(( $2 / 100 ))"; shift ;;
    --code-data) code_data=$2; shift ;;
    --translate-data) tr_data=$2; shift ;;
    --cli) cli=$(cd "$2" && pwd); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
  shift
done
goldens=${goldens:-$models}
mkdir -p "$models" "$goldens"
cd "$here"
step() { echo; echo "== $(date -u +%H:%M:%S) $*"; }
for task in code translate; do
  [ -f "$src/$task-meta.tar.gz" ] || { echo "no $task snapshot in $src: skipped"; continue; }
  data=$code_data; [ $task = translate ] && data=$tr_data
  run=$here/work/run-$task-device
  rm -rf "$run"
  step "$task: unpack the bf16 snapshot"
  python3 snapshot.py unpack --from "$src" --name $task --task $task --run "$run" --tokenizer "$data/tokenizer.json"
  step "$task: held-out evaluation"
  python3 evaluate.py $task --model "$run/hf" --data "$data" --out "$run" --threads "$threads" $eval_flags
  step "$task: ONNX export + verification + golden"
  python3 export_model.py $task --run "$run" --data "$data" --out "$models/tealeaf-$task" \
    --golden "$goldens/tealeaf-$task.json" --threads "$threads"
  step "$task: model card + SHA256SUMS"
  python3 card.py $task --model "$models/tealeaf-$task" || echo "card.py failed: see the remaining work in device_train.sh"
done
if [ -f "$cli/dist/cli.mjs" ]; then
  step "tealeaf check-model / generate / translate on the exported folders"
  if [ -d "$models/tealeaf-code" ]; then
    node "$cli/bin/tealeaf.mjs" check-model "$models/tealeaf-code"
    node "$cli/bin/tealeaf.mjs" generate --model "$models/tealeaf-code" --json --threads 2 --max-new-tokens 24 \
      $'def read_file(path):\n    with open(path) as f:\n'
  fi
  if [ -d "$models/tealeaf-translate" ]; then
    # A barely trained model may answer </s> at once; the CLI then fails on the empty output
    # ("token_ids must be a non-empty array"): report it and go on.
    node "$cli/bin/tealeaf.mjs" check-model "$models/tealeaf-translate" || echo "check-model failed on tealeaf-translate"
    node "$cli/bin/tealeaf.mjs" translate --model "$models/tealeaf-translate" --from en --to de --json \
      "Could not open the file %s." || echo "translate failed on tealeaf-translate"
  fi
else
  echo "dist/cli.mjs is missing: run \`npm run build\` in $cli, then tealeaf generate --model $models/tealeaf-code"
fi
step "done: $models"
