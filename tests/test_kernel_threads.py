"""The numba kernels called from several threads at once, on numba's non-thread-safe layer."""

import os
import subprocess
import sys
import textwrap

# Four threads hammer the parallel kernels a film run calls from its reader, network and
# writer threads at once; each result must equal the one-thread result.
_SCRIPT = textwrap.dedent(
    """
    import threading
    import numpy as np
    from colorcli.kernels import (
        ab_gamut_bins, annealed_mean, compose_rgb8, lab_to_rgb, lab_to_ycbcr, rgb_to_l,
        rgb_to_lab, soft_encode, temporal_smooth,
    )
    from colorcli.kernels.threads import threading_layer

    rng = np.random.default_rng(0)
    bins = ab_gamut_bins()
    rgb = rng.integers(0, 256, (48, 64, 3), dtype=np.uint8)
    logits = rng.normal(size=(48 * 64, len(bins))).astype(np.float32)
    lab = rgb_to_lab(rgb)
    lum, ab = lab[..., 0].copy(), lab[..., 1:].copy()

    def work():
        return [
            rgb_to_lab(rgb), rgb_to_l(rgb), lab_to_rgb(lab), annealed_mean(logits, bins),
            soft_encode(ab.reshape(-1, 2), bins)[1], compose_rgb8(lum, ab),
            temporal_smooth(ab, lum, ab[::-1].copy(), lum[::-1].copy(), 0.5),
            *lab_to_ycbcr(lum, ab),
        ]

    want = work()
    bad = []

    def hammer():
        for _ in range(60):
            got = work()
            if not all(np.array_equal(g, w) for g, w in zip(got, want)):
                bad.append(1)

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("layer", threading_layer(), "bad", len(bad))
    """
)


def test_kernels_from_many_threads_on_the_workqueue_layer():
    # workqueue is what numba loads where neither libtbb nor libgomp is installed; before the
    # launch lock it aborted the process (SIGABRT) when two threads met in a kernel
    env = {**os.environ, "NUMBA_THREADING_LAYER": "workqueue", "NUMBA_NUM_THREADS": "2"}
    r = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr[-1500:]
    jit_off = os.environ.get("NUMBA_DISABLE_JIT") == "1"
    assert r.stdout.split() == ["layer", "None" if jit_off else "workqueue", "bad", "0"]
