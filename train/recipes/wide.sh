#!/usr/bin/env bash
# Issue 16's candidate: the shipped model fine-tuned on every photo the allowed packages hold
# (train/recipes/gather_wide.py: 315 training photos, 44 held out by source), half of the crops
# made gray as film makes it (--film-gray 0.5), then scored on the held-out photos (plain,
# orthochromatic, grainy) and written to RUN/eval-*.json.
#   bash train/recipes/wide.sh [RUN_DIR] [STEPS]
# The shipped model (MODEL.md): DATA=runs/wide-data EXTRA=--hints bash train/recipes/wide.sh
# runs/wideh2 3500 (690 training photos, 627 above colourfulness 15; about 12.6 crops/s on 2
# cores, 95 minutes), then bash train/recipes/wide_report.sh runs/wideh2 (temperature 0.7).
# Held out, full resolution (previous model -> this; gray): plain 18.31 -> 21.02 (82%), 20.90;
# ortho 18.29 -> 20.08, 20.76; grainy 17.58 -> 19.54, 19.60. An earlier CPU run of 1500 steps
# on the 315 photos gathered before the stamps and panoramas: plain 20.67 (89%) uncalibrated.
# EXTRA adds options (EXTRA=--hints trains the hint-aware model this way).
# An interrupted run continues with:  RESUME=1 bash train/recipes/wide.sh RUN_DIR STEPS
set -euo pipefail
RUN=${1:-runs/wide}
STEPS=${2:-2000}
DATA=${DATA:-runs/wide-data}
[ -d "$DATA/train" ] || python train/recipes/gather_wide.py "$DATA"
colorize train --data "$DATA/train" --val "$DATA/val" --out "$RUN" \
  --init colorcli/weights/default.pt --arch effunet --width 32 --out-stride 2 \
  --crop 128 --load-size 256 --max-zoom 4 --encoder-lr 0.1 --ema 0.995 --batch-size 16 \
  --steps "$STEPS" --lr 3e-4 --warmup 100 --rebalance-lambda 0.8 --film-gray 0.5 \
  --min-colorfulness 15 --seed 0 --save-every 100 --val-every 500 \
  ${RESUME:+--resume} ${EXTRA:-} --quiet
for gray in plain ortho grainy; do
  colorize eval --model "$RUN/last.pt" --data "$DATA/val" --gray "$gray" --overwrite -q \
    --json "$RUN/eval-$gray.json"
done
