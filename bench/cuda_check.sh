#!/usr/bin/env bash
# The CUDA path end to end, on a lent GPU machine, in one go (about 6.5 minutes on an H200; pytest-xdist there):
#   device run:  bash bench/cuda_check.sh $OUT   (carry .whl: a PyAV wheel, which that machine lacks;
#                the device README says how to fetch it for its Python)
# It installs what it needs first (the carried wheels, then colorcli itself, which a plain
# checkout cannot import: kernels/ and train/ install as colorcli.kernels and colorcli.train).
# The steps' logs go into OUT_DIR/cuda_check.tgz, with summary.txt, parity.json and two pictures
# beside it (a device call brings back at most 8 files), also when the call is cut short.
# 1. what the machine has (GPU, torch, numba and its threading layer, PyAV);
# 2. bench/cuda_parity.py: the on-device annealed mean against the kernel, photos in half
#    precision on CUDA against the CPU (plain, 10 hints, a reference), the out-of-memory back-off;
# 3. the CLI as a user runs it with --device cuda: colorize dir samples, image --hint and
#    --reference, scenes, and video on the sample clip (plain, --refs, --reference,
#    --keyframes 4) and on a 10 s 1080p clip with a cut and AAC sound (frames, timing and sound
#    checked against the input);
# 4. bench/video.py (a) on CUDA: 480p and 1080p against the decode+encode floor;
# 5. the tests closest to the network with CUDA present (the CLI's --device auto then picks it),
#    beside step 3. The whole suite does not fit one call there: nearly every test starts
#    colorize in a new process, which starts CUDA (on 14 workers it reached 66% in 230 s).
# Every step has its own time limit and log; summary.txt has one line each.
set -u
OUT=${1:-/tmp/cuda-check}
mkdir -p "$OUT"
W=$(mktemp -d)
LOGS=$(mktemp -d)
pack() {
  cp "$LOGS/summary.txt" "$LOGS/parity.json" "$W/hint.png" "$W/ref.png" "$OUT"/ 2>/dev/null
  tar czf "$OUT/cuda_check.tgz" -C "$LOGS" .
}
trap pack EXIT
if [ -d .whl ]; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/site .whl/*.whl && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH} || exit 3
fi
python3 -m pip install -q --no-index --no-deps --no-build-isolation -e . || exit 4
export PYTHONUNBUFFERED=1
step() {
  local name=$1 limit=$2 s
  shift 2
  s=$(date +%s)
  echo "== $name"
  timeout "$limit" "$@" >"$LOGS/$name.log" 2>&1
  local rc=$?
  echo "$name: rc $rc, $(($(date +%s) - s)) s" | tee -a "$LOGS/summary.txt"
  tail -n 4 "$LOGS/$name.log"
}
C="python3 -m colorcli"

step env 60 bash -c 'nvidia-smi -L; python3 -c "
import torch, numpy, numba, av, cv2
print(\"torch\", torch.__version__, torch.version.cuda, torch.cuda.get_device_name(0))
print(\"numpy\", numpy.__version__, \"numba\", numba.__version__, \"av\", av.__version__, \"cv2\", cv2.__version__)
from colorcli.kernels import rgb_to_l
import numpy as np
rgb_to_l(np.zeros((64, 64, 3), np.uint8))
print(\"numba threading layer\", numba.threading_layer())
"'
step parity 150 python3 bench/cuda_parity.py --json "$LOGS/parity.json"
# the tests beside the CLI runs (neither is timed); both done before anything is timed
step pytest 170 python3 -m pytest -q --maxfail 25 -n 8 -p no:cacheprovider tests/test_colorizer.py \
  tests/test_guide.py tests/test_attend.py tests/test_refs.py tests/test_models.py tests/test_train.py &
TESTS=$!

step dir 90 $C dir samples -o "$W/dir" --device cuda -q
step hint 60 $C image samples/chelsea_bw.jpg "$W/hint.png" --hint 100,100,#3366cc --device cuda
step reference 60 $C image samples/chelsea_bw.jpg "$W/ref.png" \
  --reference train/recipes/hints_sheet.jpg --device cuda
step scenes 60 $C scenes samples/bikes_bw.mp4 "$W/stills" --device cuda -q
step video 90 $C video samples/bikes_bw.mp4 "$W/v.mp4" --device cuda -q --stats
step video_refs 90 $C video samples/bikes_bw.mp4 "$W/vr.mp4" --refs "$W/stills" --device cuda -q
step video_reference 90 $C video samples/bikes_bw.mp4 "$W/vref.mp4" \
  --reference train/recipes/hints_sheet.jpg --device cuda -q
step video_k4 90 $C video samples/bikes_bw.mp4 "$W/vk.mp4" --keyframes 4 --device cuda -q
cat >"$W/hd.py" <<'PY'
import subprocess, sys, time
from pathlib import Path
sys.path.insert(0, ".")
from tests.media import make_clip, read_clip
w = Path(sys.argv[1])
make_clip(w / "hd.mp4", n=250, size=(1080, 1920), audio="aac", cut_at=125)
t = time.perf_counter()
cmd = [sys.executable, "-m", "colorcli", "video", str(w / "hd.mp4"), str(w / "hd_out.mp4")]
r = subprocess.run([*cmd, "--device", "cuda", "-q"], capture_output=True, text=True)
print("rc", r.returncode, r.stderr[-2000:], "wall s (start-up included)", round(time.perf_counter() - t, 1))
a, b = read_clip(w / "hd.mp4"), read_clip(w / "hd_out.mp4")
print("frames", len(a["pts"]), len(b["pts"]), "size", (b["width"], b["height"]))
print("same pts", a["pts"] == b["pts"], "same sound", a["audio"] == b["audio"])
PY
wait $TESTS
step video_1080p 150 python3 "$W/hd.py" "$W"
step bench_video 150 python3 bench/video.py --device cuda --skip b,c,d,e,f --repeat 2 --seconds 5
echo "done: $OUT"
