#!/usr/bin/env bash
# Issue 19, the CPU side: broad corpora -> tokenizers and token streams -> the pack for the device run.
#
#   models/recipes/build_broad.sh [--smoke] [--from corpus|prepare|pack] [--max-code-tokens N]
#
# Default: work/code-broad, work/translate-broad, work/pack (about 35 min of corpus building and 20 of
# tokenizing on 2 shared cores, ~1.6 GB of .deb downloads). --smoke: a few packages of each list, tiny
# vocabularies, into work/smoke-*-broad and work/pack-smoke (minutes). Then device_train.sh (see its
# header for the device call) and after_device.sh.
#
# build.sh (the shipped models' recipe) is separate and unchanged.
set -euo pipefail
smoke=0; from=corpus; max_code_tokens=0
while [ $# -gt 0 ]; do
  case "$1" in
    --smoke) smoke=1 ;;
    --from) from=$2; shift ;;
    --max-code-tokens) max_code_tokens=$2; shift ;;
    *) echo "usage: $0 [--smoke] [--from corpus|prepare|pack] [--max-code-tokens N]" >&2; exit 2 ;;
  esac
  shift
done
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
if [ $smoke = 1 ]; then
  code=work/smoke-code-broad; tr=work/smoke-translate-broad; pack=work/pack-smoke
  flags=--smoke; code_vocab=2048; tr_vocab=2000; sample=(--tokenizer-sample-mb 3 --min-lang-mb 0.2)
else
  code=work/code-broad; tr=work/translate-broad; pack=work/pack
  flags=""; code_vocab=12288; tr_vocab=16000; sample=()
fi
step() { echo; echo "== $(date -u +%H:%M:%S) $*"; }
case "$from" in corpus|prepare|pack) ;; *) echo "--from corpus|prepare|pack" >&2; exit 2 ;; esac
if [ "$from" = corpus ]; then
  ls /var/lib/apt/lists/*Packages* >/dev/null 2>&1 || { step "apt-get update"; apt-get update -qq; }
  step "code corpus"; python3 corpus_code_broad.py --out $code $flags
  step "translation corpus"; python3 corpus_translate_broad.py --out $tr $flags
fi
if [ "$from" != pack ]; then
  step "code tokenizer + FIM stream (vocab $code_vocab)"
  python3 prepare_broad.py code --data $code --vocab $code_vocab "${sample[@]}"
  step "translation tokenizer + pairs (vocab $tr_vocab)"
  python3 prepare_broad.py translate --data $tr --vocab $tr_vocab
fi
step "pack"
python3 pack.py --code $code --translate $tr --out $pack --max-code-tokens $max_code_tokens
