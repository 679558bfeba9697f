"""Train several configurations side by side on one (GPU) machine within a wall-clock budget.

    python train/recipes/sweep.py BUDGET_S EXPORT_DIR NAME:"ARGS" [NAME:"ARGS" ...]

How the candidates for the shipped model were trained on a lent H100 (see MODEL.md). Every
configuration shares the recipe's base options (BASE below, or $SWEEP_BASE) plus its own ARGS. A 75 s probe ($SWEEP_PROBE_S) runs
them all at once and reads their step rates; then each trains from scratch, in
runs/sweep/NAME, for as many steps as fit the budget at that rate (a fixed step count, so each
run gets its full warm-up and cosine schedule). The last step's moving-average weights are
exported in fp16 to EXPORT_DIR/NAME.pt, with the run's logs in EXPORT_DIR/logs.tgz. The machine's
cores are shared out between the runs (numba and OpenMP threads).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

BASE = os.environ.get(
    "SWEEP_BASE",  # train/recipes/device_train.sh gives issue 16's fine-tune here
    "--data runs/default-v2-data/train --val runs/default-v2-data/val --arch effunet --pretrained "
    "--width 32 --out-stride 2 --crop 192 --load-size 256 --rebalance-lambda 0.8 "
    "--min-colorfulness 15 --seed 0 --quiet",
).split()
# the installed colorcli, not a checkout's folder of the same name in the working directory
LAUNCH = "import sys; sys.path.remove('') if '' in sys.path else None; from colorcli.cli import main; main()"
PROBE_S = float(os.environ.get("SWEEP_PROBE_S", 75))
PROBE_STEPS = 12  # steps a run must have made in the probe


def _launch(name: str, args: list[str], steps: int, root: Path, env: dict) -> subprocess.Popen:
    out = root / name
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    cmd = [sys.executable, "-c", LAUNCH, "train", *BASE, "--out", str(out)]
    cmd += ["--steps", str(steps), *args]
    log = open(root / f"{name}.log", "w")  # the child process writes it
    return subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)


def _events(run: Path, kind: str) -> list[dict]:
    """The run's metrics.jsonl lines of one event kind ("step", "val"); none if it has none."""
    path = run / "metrics.jsonl"
    if not path.exists():
        return []
    rows = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return [r for r in rows if r["event"] == kind]


def main() -> None:
    t0 = time.time()
    budget, export = float(sys.argv[1]), Path(sys.argv[2])
    configs = [(a.split(":", 1)[0], a.split(":", 1)[1].split()) for a in sys.argv[3:]]
    export.mkdir(parents=True, exist_ok=True)
    per = str(max(1, (os.cpu_count() or 1) // len(configs)))
    threads = os.environ.get("SWEEP_THREADS", per)
    env = dict(os.environ, NUMBA_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    workers = ["--workers", per]  # a configuration's own --workers comes later and wins

    probe = Path("runs/sweep-probe")
    procs = {
        n: _launch(n, [*workers, *a, "--save-every", "1000000", "--val-every", "1000000"],
                   1_000_000, probe, env)
        for n, a in configs
    }  # fmt: skip
    time.sleep(PROBE_S)
    # loading the photos can take most of the probe: wait (a minute at most) until every run has
    # steps enough for a rate
    waited = 0.0
    while waited < 60 and any(len(_events(probe / n, "step")) < PROBE_STEPS for n, _ in configs):
        time.sleep(2)
        waited += 2
    plan = {}
    left = budget - (time.time() - t0) - 75  # the runs' start-up, the export, a margin
    for name, args in configs:
        procs[name].kill()
        procs[name].wait()
        ev = _events(probe / name, "step")
        if not ev:
            sys.exit(f"{name}: no step in the probe; see {probe / name}.log")
        ips = statistics.median_high(e["images_per_s"] for e in ev[len(ev) // 2 :])
        bs = int(args[args.index("--batch-size") + 1]) if "--batch-size" in args else 16
        plan[name] = max(100, int(ips / bs * (left - 25) * 0.92))
        print(f"probe {name}: {len(ev)} steps, median {ips:.0f} images/s -> {plan[name]} steps")
    shutil.rmtree(probe, ignore_errors=True)

    root = Path("runs/sweep")
    procs = {n: _launch(n, [*workers, *a], plan[n], root, env) for n, a in configs}
    deadline = t0 + budget - 40
    while time.time() < deadline and any(p.poll() is None for p in procs.values()):
        time.sleep(5)
    from colorcli.checkpoint import load_checkpoint, save_checkpoint

    with tarfile.open(export / "logs.tgz", "w:gz") as tar:
        for name, p in procs.items():
            if p.poll() is None:
                print(f"{name}: still running at the deadline, stopped")
                p.kill()
                p.wait()
            run = root / name
            if (run / "last.pt").exists():
                ck = load_checkpoint(run / "last.pt")
                save_checkpoint(ck, export / f"{name}.pt", half=True)
            for f in sorted(run.iterdir()):
                if f.suffix in (".jsonl", ".json", ".png"):
                    tar.add(f, arcname=f"{name}/{f.name}")
            tar.add(root / f"{name}.log", arcname=f"{name}.log")
            ev = _events(run, "step")
            vals = [(v["step"], round(v["psnr"], 2)) for v in _events(run, "val")]
            print(f"{name}: rc {p.returncode}, {len(ev)} steps, val crops PSNR {vals}")
    print(f"wall {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
