#!/usr/bin/env bash
# Reproduce the placeholder model of issue 2 (a colorunet trained for minutes on 15 photos).
#   bash train/recipes/placeholder.sh [RUN_DIR] [STEPS]
# Resume an interrupted run with:  colorize train ... --out RUN_DIR --resume (same options)
set -euo pipefail
RUN=${1:-runs/default}
STEPS=${2:-600}
python train/recipes/gather.py "$RUN-data" --set placeholder
colorize train --data "$RUN-data/train" --out "$RUN" --arch colorunet --width 16 --out-stride 2 \
  --crop 128 --load-size 192 --batch-size 16 --steps "$STEPS" --lr 2e-3 --warmup 50 \
  --min-colorfulness 15 --seed 0 --save-every 100 --val-every 200 --quiet
python - "$RUN" <<'PY'
import sys
from colorcli.checkpoint import load_checkpoint, save_checkpoint
ckpt = load_checkpoint(f"{sys.argv[1]}/last.pt")
save_checkpoint(ckpt, f"{sys.argv[1]}/placeholder.pt", half=True)
print(f"wrote {sys.argv[1]}/placeholder.pt")
PY
