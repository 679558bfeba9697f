#!/usr/bin/env bash
# Issue 16's training on a lent GPU machine as one device call (train, export, score):
#   here, once:  python train/recipes/gather_wide.py runs/wide-data
#                python train/recipes/compact_data.py runs/wide-data runs/wide-data-c
#   device run:  bash train/recipes/device_train.sh BUDGET_S OUT_DIR   (carry runs/wide-data-c)
# Two fine-tunes of the shipped hint model side by side (train/recipes/sweep.py: a probe reads
# their speed, then each trains for the steps that fit BUDGET_S less about 100 s): "cont" is
# wide.sh's recipe with 192-pixel crops in batches of 32; "enc" lets the encoder learn 5 times
# faster. Each is exported in fp16 to OUT_DIR/NAME.pt and scored on the held-out photos made
# gray plainly, as orthochromatic film and as grainy film, at the shipped model's temperature
# (0.7): OUT_DIR/evals.tgz; the runs' logs: OUT_DIR/logs.tgz. The exports carry the trainer's
# temperature and no hint attention: fit both here (wide_report.sh, hint_attention.py).
set -u
BUDGET=${1:-420}
OUT=${2:-runs/device}
DATA=${DATA:-runs/wide-data-c}
mkdir -p "$OUT"
# That machine has no PyAV, and its wheel (36 MB) with the data (44 MB) is more than a call
# carries (64 MiB). Training and scoring photos decode no video, but colorcli's modules import
# av, so an empty stand-in takes its place here (2026-12-04: a run trained and exported so).
mkdir -p /tmp/stub/av && : >/tmp/stub/av/__init__.py && : >/tmp/stub/av/filter.py
export PYTHONPATH=/tmp/stub${PYTHONPATH:+:$PYTHONPATH}
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . || exit 3
export PYTHONUNBUFFERED=1 SWEEP_PROBE_S=${SWEEP_PROBE_S:-45}
export SWEEP_BASE="--data $DATA/train --val $DATA/val --init colorcli/weights/default.pt \
--arch effunet --width 32 --out-stride 2 --load-size 256 --max-zoom 4 --rebalance-lambda 0.8 \
--min-colorfulness 15 --hints --film-gray 0.5 --seed 0 --save-every 200 --val-every 1000000 --quiet"
COMMON=${COMMON:-"--crop 192 --batch-size 32 --warmup 100 --ema 0.999"}
python3 train/recipes/sweep.py "$((BUDGET - 100))" "$OUT" \
  cont:"$COMMON --lr 3e-4 --encoder-lr 0.1" enc:"$COMMON --lr 3e-4 --encoder-lr 0.5"
EV=$(mktemp -d)
for ck in "$OUT"/*.pt; do
  name=$(basename "$ck" .pt)
  for gray in plain ortho grainy; do
    python3 -m colorcli eval --model "$ck" --data "$DATA/val" --gray "$gray" --temperature 0.7 \
      --overwrite -q --json "$EV/$name-$gray.json" && python3 -c "import json, sys; d = json.load(open(sys.argv[1])); \
print(sys.argv[2], 'ours %.2f dB at %.0f%%, gray %.2f' % (d['ours']['psnr'], \
100 * d['ours']['colorfulness_ratio'], d['gray']['psnr']))" "$EV/$name-$gray.json" "$name $gray"
  done
done
tar czf "$OUT/evals.tgz" -C "$EV" .
