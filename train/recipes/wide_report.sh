#!/usr/bin/env bash
# Every figure of issue 16 (and the hint figures of issue 15) for a candidate of wide.sh, in one
# go, into RUN/report/: the temperature fitted on the held-out photos (calibrate.py; the
# candidate is written again with it as RUN/report/calibrated.pt), then that checkpoint on the
# held-out photos made gray plainly, as orthochromatic film and as grainy film, with 10
# simulated hints, the samples' contact sheet and bench/robust.py beside the shipped model.
# The outside set and bench/video.py are left to the caller: the outside set is scored once per
# shipped candidate (train/recipes/outside_test.sh).
#   bash train/recipes/wide_report.sh RUN [DATA]
set -euo pipefail
RUN=$1
DATA=${2:-runs/wide-data}
OUT="$RUN/report"
mkdir -p "$OUT"
python train/recipes/calibrate.py "$RUN/last.pt" "$DATA/val" --out "$OUT/calibrated.pt" \
  | tee "$OUT/calibrate.txt"
for gray in plain ortho grainy; do
  colorize eval --model "$OUT/calibrated.pt" --data "$DATA/val" --gray "$gray" --overwrite -q \
    --json "$OUT/eval-$gray.json"
done
colorize eval --model "$OUT/calibrated.pt" --data "$DATA/val" --hints 10 --overwrite -q \
  --json "$OUT/eval-hints10.json" --sheet "$OUT/hints-sheet.png"
python train/recipes/sheet.py --model "$OUT/calibrated.pt" --out "$OUT/contact_sheet.png"
python bench/robust.py --model "$OUT/calibrated.pt" | tee "$OUT/robust.txt"
