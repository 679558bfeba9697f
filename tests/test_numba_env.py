"""colorcli where numba's surroundings are not the usual ones: its non-thread-safe threading
layer (no libtbb, no libgomp), and nowhere writable to cache the compiled kernels."""

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
    from colorcli.kernels.parallel import threading_layer

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
    env["NUMBA_DISABLE_JIT"] = "0"  # about numba's threads: the JIT on, whatever this run's
    r = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, timeout=300, env=env
    )
    assert r.returncode == 0, r.stderr[-1500:]
    assert r.stdout.split() == ["layer", "workqueue", "bad", "0"]


def test_no_writable_cache_folder_still_colours_and_says_so(tmp_path, tiny_ckpt):
    # a read-only install run by a user whose home is read-only too: numba has no folder for
    # its cache (simulated: numba may look only at NUMBA_CACHE_DIR, which is unset). Before,
    # every command stopped at import ("unexpected RuntimeError: cannot cache function")
    from PIL import Image

    from tests.conftest import gradient_rgb

    src, out = tmp_path / "photos", tmp_path / "out"
    src.mkdir()
    Image.fromarray(gradient_rgb(40, 56)[..., 0]).save(src / "gray.png")
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["NUMBA_CACHE_LOCATOR_CLASSES"] = "UserProvidedCacheLocator"
    env["NUMBA_DISABLE_JIT"] = "0"
    cmd = [sys.executable, "-m", "colorcli", "dir", str(src), "-o", str(out)]
    r = subprocess.run(
        [*cmd, "--model", str(tiny_ckpt), "--quiet"],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert r.returncode == 0, r.stderr[-1500:]
    assert [p.name for p in out.iterdir()] == ["gray.png"]
    assert "set NUMBA_CACHE_DIR to a writable folder" in r.stderr, r.stderr
