#!/usr/bin/env bash
# Rebuild a Tealeaf default model from nothing:
#   corpus (Debian packages) -> tokenizer -> training -> held-out evaluation -> ONNX export + golden
#   -> model card -> SHA256SUMS
#
#   models/recipes/build.sh code|translate [--smoke] [--minutes N] [--size smoke|small|large] [--threads N]
#                                          [--from corpus|prepare|train|evaluate|export|card]
#
# Default: the shipped model, written to models/tealeaf-<task>/ and test/fixtures/goldens/tealeaf-<task>.json
# (90 minutes of training, size "small", 1 CPU thread; CUDA is used automatically when present, and
# `--size large` picks the bigger GPU configuration).
# --from STEP: start at STEP, reusing what the earlier steps left in models/recipes/work/ (e.g. re-export
# a finished training run with `--from evaluate`).
# --smoke: the whole path in a few minutes on a tiny corpus and a tiny model, into
# models/recipes/work/smoke-<task>/ only; it never touches the shipped model or its golden.
#
# Needs: Debian apt (apt-get download, dpkg-deb), python3 with models/recipes/requirements.txt.
set -euo pipefail

usage() { echo "usage: $0 code|translate [--smoke] [--minutes N] [--size smoke|small|large] [--threads N] [--from STEP]" >&2; exit 2; }
[ $# -ge 1 ] || usage
task=$1; shift
case "$task" in code|translate) ;; *) usage ;; esac
smoke=0; minutes=""; size=""; threads=1; from=corpus
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --minutes) minutes=$2; shift ;;
    --size) size=$2; shift ;;
    --threads) threads=$2; shift ;;
    --from) from=$2; shift ;;
    *) usage ;;
  esac
  shift
done

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$here"
if [ $smoke = 1 ]; then
  base=work/smoke-$task
  data=$base/data; run=$base/run; out=$base/model; golden=$base/golden-tealeaf-$task.json
  minutes=${minutes:-1.5}; size=${size:-smoke}; corpus_flags=--smoke
  [ $task = code ] && vocab=2048 || vocab=2000
  eval_flags="--max-tokens-per-lang 3000 --max-pairs 40"
  [ "$from" = corpus ] && rm -rf "$base"
else
  data=work/$task; run=work/run-$task; out=$repo/models/tealeaf-$task
  golden=$repo/test/fixtures/goldens/tealeaf-$task.json
  minutes=${minutes:-90}; size=${size:-small}; corpus_flags=""
  [ $task = code ] && vocab=8192 || vocab=8000
  eval_flags=""
fi

step() { echo; echo "== $(date -u +%H:%M:%S) $*"; }
steps="corpus prepare train evaluate export card"
case " $steps " in *" $from "*) ;; *) usage ;; esac
# run STEP: true when STEP is at or after --from
run() { local s; for s in $steps; do [ "$s" = "$from" ] && return 0; [ "$s" = "$1" ] && return 1; done; return 1; }

if run corpus; then
  if ! ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1; then
    step "apt-get update"; apt-get update -qq
  fi
  step "corpus ($task)"
  python3 corpus_$task.py --out "$data" $corpus_flags
fi
if run prepare; then
  step "tokenizer + packing (vocab $vocab)"
  python3 prepare.py "$task" --data "$data" --vocab $vocab $([ $smoke = 1 ] && echo --tokenizer-sample-mb 2)
fi
if run train; then
  step "training ($minutes min, size $size)"
  rm -rf "$run"
  python3 train.py "$task" --data "$data" --out "$run" --minutes "$minutes" --size "$size" --threads "$threads" \
    $([ $smoke = 1 ] && echo --eval-minutes 0.5 --ckpt-minutes 1)
fi
if run evaluate; then
  step "held-out evaluation"
  python3 evaluate.py "$task" --model "$run/hf" --data "$data" --out "$run" --threads "$threads" $eval_flags
fi
if run export; then
  step "export + golden"
  python3 export_model.py "$task" --run "$run" --data "$data" --out "$out" --golden "$golden" --threads "$threads"
fi
step "model card + SHA256SUMS"
python3 card.py "$task" --model "$out"
step "done: $out"
