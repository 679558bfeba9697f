"""Training: prior and rebalancing maths, data discovery, the loop, exact resume, single hue."""

import dataclasses
import json
import re
import signal
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from PIL import Image

from colorcli.checkpoint import read_payload
from colorcli.colorizer import Colorizer
from colorcli.errors import ConfigError
from colorcli.events import Resumed, Step
from colorcli.kernels import ab_gamut_bins, lab_to_rgb, rgb_to_lab, soft_encode
from colorcli.quality import colorfulness
from colorcli.train.config import TrainConfig
from colorcli.train.data import find_dataset, load_images
from colorcli.train.loop import run_training
from colorcli.train.prior import empirical_prior, rebalance_weights, smooth_prior
from colorcli.train.schedule import check_resume_config, get_lr


@pytest.fixture(scope="module")
def bins():
    return ab_gamut_bins()


def test_prior_and_weights(bins):
    rng = np.random.default_rng(0)
    ab = np.concatenate([rng.normal(0, 8, (20000, 2)), rng.normal([40, 40], 10, (2000, 2))]).astype(
        np.float32
    )
    p = empirical_prior(ab, bins)
    assert p.sum() == pytest.approx(1.0)
    ps = smooth_prior(p, bins, 5.0)
    assert ps.sum() == pytest.approx(1.0) and np.all(ps >= 0)
    assert ps.max() < p.max()  # smoothing spreads the peak
    for lam in (0.0, 0.5, 0.9):
        w = rebalance_weights(ps, lam, 1.0)
        assert np.sum(ps * w) == pytest.approx(1.0)
    w = rebalance_weights(ps, 0.5, 1.0)
    gray, warm = np.argmin((bins**2).sum(1)), np.argmin(((bins - [40, 40]) ** 2).sum(1))
    assert w[warm] > w[gray]  # rare colours weigh more
    np.testing.assert_allclose(rebalance_weights(ps, 1.0, 1.0), 1.0)  # lambda = 1: uniform


def test_soft_targets_rows_sum_to_one_nearest_first(bins):
    ab = np.random.default_rng(1).uniform(-50, 50, (500, 2)).astype(np.float32)
    idx, w = soft_encode(ab, bins, 5, 5.0)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-6)
    assert np.all(w[:, 0] == w.max(1))


def test_lr_schedule():
    cfg = TrainConfig(data="x", out="y", steps=100, warmup=10, lr=1.0)
    assert get_lr(0, cfg) == pytest.approx(0.1)
    assert get_lr(9, cfg) == pytest.approx(1.0)
    assert get_lr(99, cfg) < 0.05
    with pytest.raises(Exception, match="unknown training config keys"):
        TrainConfig.from_dict({"data": "x", "out": "y", "nope": 1})


def _write_colour_images(root, n, seed=0, hue=None, size=(72, 96)):
    root.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    h, w = size
    for i in range(n):
        lum = np.clip(rng.uniform(25, 85) + rng.normal(0, 12, (h, w)), 5, 95)
        lum = (lum + np.linspace(-10, 10, w)[None]).astype(np.float32)
        if hue is None:
            a, b = rng.choice([-1, 1], 2) * rng.uniform(25, 45, 2)
            ab = np.stack([np.full((h, w), a), np.broadcast_to(np.linspace(-b, b, w), (h, w))], -1)
        else:
            ab = np.broadcast_to(np.float32(hue), (h, w, 2))
        lab = np.concatenate([lum[..., None], ab], -1).astype(np.float32)
        Image.fromarray(np.rint(lab_to_rgb(lab) * 255).astype(np.uint8)).save(
            root / f"img{i:03d}.png"
        )


def test_colorfulness_score():
    gray = np.full((20, 20, 3), 128, np.uint8)
    assert colorfulness(gray) == 0.0
    red = np.zeros((20, 20, 3), np.uint8)
    red[..., 0] = 200
    assert colorfulness(red) > 50


def test_validation_photos_are_not_trained_on_and_colourless_ones_are_no_test(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "photos"
    _write_colour_images(data, 4)
    _write_colour_images(data / "val", 2, seed=1)  # --val inside --data
    Image.fromarray(np.full((72, 96, 3), 120, np.uint8)).save(data / "val" / "gray.png")
    args = ["train", "--data", str(data), "--steps", "1", "--crop", "32", "--load-size", "40"]
    args += ["--width", "4", "-q"]
    r = CliRunner().invoke(main, [*args, "--val", str(data / "val"), "--out", str(tmp_path / "r")])
    assert r.exit_code == 0, r.stderr
    assert "data: 4 training photos" in r.stderr
    assert "2 for validation (1 colourless left out)" in r.stderr
    assert "notice: 3 photos under --data are --val photos too: kept for validation" in r.stderr
    gray = re.search(r"gray baseline ([\d.]+) dB", r.stderr)
    assert gray is not None and np.isfinite(float(gray.group(1)))  # was inf: a gray photo
    r = CliRunner().invoke(main, [*args, "--val", str(data), "--out", str(tmp_path / "r2")])
    assert r.exit_code == 1 and r.stderr.count("\n") == 1
    assert "every photo under --data is a --val photo too" in r.stderr


def test_dataset_layouts_and_bad_files(tmp_path):
    div = tmp_path / "DIV2K"
    _write_colour_images(div / "DIV2K_train_HR", 4)
    _write_colour_images(div / "DIV2K_valid_HR", 2, seed=1)
    train, val = find_dataset(div)
    assert len(train) == 4 and len(val) == 2 and all("valid" in str(p) for p in val)
    plain = tmp_path / "plain"
    _write_colour_images(plain / "a" / "b", 10)
    train, val = find_dataset(plain, seed=3)
    assert len(train) == 9 and len(val) == 1 and not set(train) & set(val)
    (plain / "a" / "broken.jpg").write_bytes(b"\xff\xd8 broken")
    Image.fromarray(np.full((80, 80, 3), 120, np.uint8)).save(plain / "a" / "gray.png")
    # a photo cut short is coloured for a user as far as it goes, but its gray band is no
    # colour to learn from
    whole = (plain / "a" / "b" / "img000.png").read_bytes()
    (plain / "a" / "cut.png").write_bytes(whole[: len(whole) // 2])
    paths = find_dataset(plain, val=plain / "a" / "b")[0]
    kept, dropped, bad = load_images(paths, 64, 15.0)
    assert [(p.name, "damaged JPEG" in why) for p, why in bad] == [
        ("broken.jpg", True), ("cut.png", False)
    ]  # fmt: skip
    assert "truncated" in bad[1][1]
    assert [p.name for p in dropped] == ["gray.png"] and len(kept) == 10


def _cfg(tmp_path, data, **kw):
    base = dict(
        data=str(data),
        out=str(tmp_path / "run"),
        width=4,
        steps=12,
        batch_size=4,
        crop=32,
        load_size=40,
        warmup=2,
        save_every=6,
        val_every=6,
        min_colorfulness=0.0,
        seed=5,
        lr=3e-3,
    )
    base.update(kw)
    return TrainConfig(**base)


def test_training_runs_loss_falls_checkpoint_works(tmp_path):
    data = tmp_path / "data"
    _write_colour_images(data, 12)
    events = list(run_training(_cfg(tmp_path, data, steps=30, save_every=10, val_every=15)))
    losses = [e.loss for e in events if isinstance(e, Step)]
    assert len(losses) == 30
    assert np.mean(losses[-5:]) < np.mean(losses[:5])
    run = tmp_path / "run"
    for name in (
        "config.json",
        "metrics.jsonl",
        "last.pt",
        "best.pt",
        "prior.npz",
        "val_0000015.png",
        "val_0000030.png",
    ):
        assert (run / name).exists(), name
    assert json.loads((run / "config.json").read_text())["steps"] == 30
    from click.testing import CliRunner

    from colorcli.cli import main

    Image.fromarray(np.full((50, 70), 120, np.uint8)).save(tmp_path / "gray.png")
    r = CliRunner().invoke(
        main,
        [
            "image",
            str(tmp_path / "gray.png"),
            str(tmp_path / "out.png"),
            "--model",
            str(run / "last.pt"),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert np.asarray(Image.open(tmp_path / "out.png")).shape == (50, 70, 3)
    # and eval reads it: table on stdout, JSON and a contact sheet on disk
    val = tmp_path / "val"
    _write_colour_images(val, 3, seed=9)
    r = CliRunner().invoke(
        main,
        [
            "eval",
            "--data",
            str(val),
            "--model",
            str(run / "last.pt"),
            "--json",
            str(tmp_path / "e.json"),
            "--sheet",
            str(tmp_path / "e.png"),
            "-q",
        ],
    )
    assert r.exit_code == 0, r.stderr
    assert "ours" in r.stdout and "gray" in r.stdout
    report = json.loads((tmp_path / "e.json").read_text())
    assert report["images"] == 3 and report["gray"]["colorfulness_ratio"] == 0.0
    assert np.isfinite(report["ours"]["psnr"]) and (tmp_path / "e.png").exists()


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"ema": 0.9, "max_zoom": 1.5},
        {"arch": "effunet", "encoder_lr": 0.1, "out_stride": 2, "crop": 64, "load_size": 64},
        {"hints": True, "freeze_bn": True},
    ],
    ids=["plain", "ema-zoom", "effunet-encoder-lr", "hints"],
)
def test_resume_matches_uninterrupted_run(tmp_path, extra):
    data = tmp_path / "data"
    _write_colour_images(data, 8)
    full = [e for e in run_training(_cfg(tmp_path / "a", data, **extra)) if isinstance(e, Step)]
    cut = _cfg(tmp_path / "b", data, **extra)
    gen = run_training(cut)
    for e in gen:
        if isinstance(e, Step) and e.step == 8:
            break
    gen.close()  # killed two steps after the step-6 save
    log = tmp_path / "b" / "run" / "metrics.jsonl"
    with open(log, "a") as f:
        f.write('{"event": "step", "st')  # a line torn by the kill
    resumed = list(run_training(cut, resume=True))
    assert [e for e in resumed if isinstance(e, Resumed)] == [Resumed(6)]
    steps = [e for e in resumed if isinstance(e, Step)]
    assert steps[0].step == 7
    for a, b in zip(full[6:], steps, strict=True):
        assert a.loss == pytest.approx(b.loss, rel=1e-5, abs=1e-6)
    # the log holds each step once: the lost steps 7 and 8 and the torn line are gone
    logged = [json.loads(line) for line in log.read_text().splitlines()]
    assert [e["step"] for e in logged if e["event"] == "step"] == list(range(1, 13))
    assert [e["step"] for e in logged if e["event"] == "val"] == [6, 12]
    # the checkpoints (EMA weights where enabled) agree too
    wa = read_payload(tmp_path / "a" / "run" / "last.pt")["state_dict"]
    wb = read_payload(tmp_path / "b" / "run" / "last.pt")["state_dict"]
    for k in wa:
        assert torch.allclose(wa[k].float(), wb[k].float(), atol=1e-5), k
    if extra.get("ema"):
        raw = read_payload(tmp_path / "a" / "run" / "last.pt")["raw_state_dict"]
        assert any(not torch.equal(raw[k], wa[k]) for k in wa)  # the average is not the last step


def test_zoomed_crops_cover_scales():
    from colorcli.train.data import CachedImage, sample_batch

    # a vertical ramp: a crop's vertical extent in the cached image shows its zoom
    ramp = np.repeat(np.linspace(0, 255, 200)[:, None], 200, axis=1).astype(np.uint8)
    im = CachedImage(Path("ramp"), np.repeat(ramp[..., None], 3, axis=-1), 0.0)
    rng = np.random.default_rng(0)
    spans = []
    for _ in range(200):
        c = sample_batch([im], 1, 50, rng, flip=False, max_zoom=4.0)[0, :, 0, 0].astype(float)
        spans.append((c[-1] - c[0]) * 199 / 255 / 49)  # cached pixels per crop pixel
    spans = np.array(spans)
    assert spans.min() == pytest.approx(1.0, abs=0.1)  # z = max zoom: a plain crop
    assert spans.max() == pytest.approx(4.0, abs=0.35)  # z = 1: 200 px shrunk to 50
    assert 0.2 < np.mean(spans < 2.0) < 0.8  # log-uniform: half the crops below z = 2


@pytest.mark.parametrize(
    "extra", [{}, {"color_space": "yuv", "norm": "layer"}], ids=["lab", "yuv-layer"]
)
def test_a_model_trained_on_one_hue_learns_it(tmp_path, extra):
    """Trained on orange photos only, from a uniform head, a model colours a gray orange; for
    a YUV model (347 UV cells) this also says its UV turns into Lab ab the right way round."""
    hue = (30.0, 45.0)  # an orange
    data = tmp_path / "orange"
    _write_colour_images(data, 10, hue=hue)
    # from a uniform head, so that only the gradient steps can have put the hue there
    cfg = _cfg(
        tmp_path,
        data,
        steps=40,
        lr=3e-2,
        warmup=5,
        val_every=1000,
        save_every=1000,
        prior_bias_init=False,
        **extra,
    )
    list(run_training(cfg))
    gray = np.clip(np.random.default_rng(0).normal(128, 30, (48, 64)), 0, 255).astype(np.uint8)
    out = Colorizer(tmp_path / "run" / "last.pt", device="cpu").colorize(gray)
    ab = rgb_to_lab(out)[..., 1:].reshape(-1, 2).mean(0)
    angle = np.degrees(np.arctan2(ab[1], ab[0]) - np.arctan2(hue[1], hue[0]))
    assert abs(angle) < 20.0, ab
    assert np.hypot(*ab) > 0.5 * np.hypot(*hue), ab


@pytest.mark.parametrize("extra", [[], ["--loss", "gan"]], ids=["classification", "gan"])
def test_torchrun_two_processes_gloo(tmp_path, extra):
    import os
    import subprocess
    import sys

    from colorcli.checkpoint import load_checkpoint

    data = tmp_path / "data"
    _write_colour_images(data, 8)
    out = tmp_path / "ddp"
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        "2",
        "-m",
        "colorcli",
        "train",
        "--data",
        str(data),
        "--out",
        str(out),
        "--width",
        "4",
        "--steps",
        "4",
        "--batch-size",
        "2",
        "--crop",
        "32",
        "--load-size",
        "40",
        "--save-every",
        "2",
        "--val-every",
        "2",
        "--warmup",
        "1",
        "--min-colorfulness",
        "0",
        "--quiet",
        *extra,
    ]
    r = subprocess.run(
        cmd, capture_output=True, text=True, timeout=240, env={**os.environ, "OMP_NUM_THREADS": "1"}
    )
    # the ranks' own lines come first and the launcher's traceback last: show both ends (a
    # rank's abort message was cut off when only the tail was shown)
    said = r.stderr if len(r.stderr) < 5000 else f"{r.stderr[:3000]}\n[...]\n{r.stderr[-2000:]}"
    assert r.returncode == 0, said
    assert r.stderr.count("done:") == 1  # rank 0 only
    ckpt = load_checkpoint(out / "last.pt")
    assert ckpt.step == 4
    gray = np.full((24, 40), 128, np.uint8)
    assert Colorizer(ckpt, device="cpu").colorize(gray).shape == (24, 40, 3)
    steps = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert [e["step"] for e in steps if e["event"] == "step"] == [1, 2, 3, 4]
    if extra:  # the discriminator trained data-parallel too, and is saved for resuming
        assert "discriminator" in read_payload(out / "last.pt")
        assert all(np.isfinite(e["d_loss"]) for e in steps if e["event"] == "step")


def test_eval_and_train_errors(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main

    (tmp_path / "empty").mkdir()
    r = CliRunner().invoke(main, ["eval", "--data", str(tmp_path / "empty")])
    assert r.exit_code == 1 and "no images to evaluate on" in r.stderr
    r = CliRunner().invoke(
        main, ["train", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "run")]
    )
    assert r.exit_code == 1 and "no training images found" in r.stderr
    r = CliRunner().invoke(main, ["train", "--data", str(tmp_path / "empty"), "--resume"])
    assert r.exit_code == 2 and "--resume needs --out" in r.stderr
    data = tmp_path / "d"
    _write_colour_images(data, 3)
    r = CliRunner().invoke(
        main, ["train", "--data", str(data), "--out", str(tmp_path / "r2"), "--resume"]
    )
    assert r.exit_code == 1 and "no " in r.stderr and "last.pt to resume from" in r.stderr
    r = CliRunner().invoke(
        main,
        [
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "r3"),
            "--arch",
            "colorunet",
            "--pretrained",
            "--steps",
            "1",
            "--crop",
            "32",
            "--load-size",
            "40",
        ],
    )
    assert r.exit_code == 1 and "has no pretrained weights" in r.stderr
    # a resumed run must keep the settings it started with (schedule, batches, model)
    args = ["train", "--data", str(data), "--out", str(tmp_path / "r4"), "--steps", "2"]
    args += ["--crop", "32", "--load-size", "40", "--width", "4", "--save-every", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, [*args, "--resume", "--lr", "0.002", "--workers", "1"])
    assert r.exit_code == 1
    line = r.stderr.strip()
    assert "\n" not in line and str(tmp_path / "r4") in line
    assert "--lr 0.001 (now 0.002)" in line and "--workers" not in line
    r = CliRunner().invoke(main, [*args, "--resume", "--workers", "1"])  # may change
    assert r.exit_code == 0, r.stderr
    # the same command again without --resume: refused, the run's checkpoint and log untouched
    last, log = tmp_path / "r4" / "last.pt", tmp_path / "r4" / "metrics.jsonl"
    before = (last.read_bytes(), log.read_text())
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and r.stderr.count("\n") == 1, r.stderr
    assert f"{tmp_path / 'r4'} holds a training run already (its last.pt at step 2)" in r.stderr
    assert "--resume continues it, --overwrite starts a new one there" in r.stderr
    assert (last.read_bytes(), log.read_text()) == before
    r = CliRunner().invoke(main, [*args, "--resume", "--overwrite"])
    assert r.exit_code == 2 and "not both" in r.stderr
    r = CliRunner().invoke(main, [*args, "--steps", "1", "--overwrite"])  # a new run
    assert r.exit_code == 0, r.stderr
    steps = [json.loads(x)["step"] for x in log.read_text().splitlines()]
    assert steps == [1, 1] and read_payload(last)["train"]["step"] == 1  # its own log only
    r = CliRunner().invoke(main, [*args, "--resume"])  # and it resumes as its own run
    assert r.exit_code == 0, r.stderr
    # where the weights started need not be repeated: the resumed run keeps its own record
    r4_last = str(tmp_path / "r4" / "last.pt")
    args5 = [*args[:4], str(tmp_path / "r5"), *args[5:]]
    r = CliRunner().invoke(main, [*args5, "--init", r4_last])
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, [*args5, "--steps", "1", "--resume"])
    assert r.exit_code == 1 and "--steps 2 (now 1; it may only be raised)" in r.stderr
    assert "--init" not in r.stderr
    r = CliRunner().invoke(main, [*args5, "--resume"])
    assert r.exit_code == 0, r.stderr
    assert read_payload(tmp_path / "r5" / "last.pt")["train"]["config"]["init"] == r4_last
    cfg = _cfg(tmp_path / "r6", data)
    saved = {**dataclasses.asdict(cfg), "init": r4_last, "pretrained": True}
    kept = check_resume_config(saved, cfg, 2)  # left out on resume: the run's own values
    assert (kept.init, kept.pretrained) == (r4_last, True)
    r = CliRunner().invoke(main, [*args5, "--resume", "--init", str(tmp_path / "r5" / "last.pt")])
    assert r.exit_code == 1 and f"--init {r4_last} (now" in r.stderr
    (tmp_path / "r4" / "config.json").write_text("{")
    r = CliRunner().invoke(main, [*args, "--resume"])
    assert r.exit_code == 1 and "config.json is unreadable" in r.stderr


def test_encoder_learning_rate_fraction(tmp_path):
    from colorcli.models import ModelConfig, build_model
    from colorcli.train.step import param_groups

    model = build_model("effunet", ModelConfig(num_bins=313, width=4, out_stride=2))
    cfg = _cfg(tmp_path, tmp_path, arch="effunet", encoder_lr=0.1)
    enc, rest = param_groups(model, cfg)
    assert (enc["lr_scale"], rest["lr_scale"]) == (0.1, 1.0)
    names = {id(p): n for n, p in model.named_parameters()}
    assert all(names[id(p)].startswith(("_conv_stem", "_bn0", "_blocks")) for p in enc["params"])
    assert not any(names[id(p)].startswith("_blocks") for p in rest["params"])
    assert len(enc["params"]) + len(rest["params"]) == len(list(model.parameters()))
    # the default, and a model that names no encoder, keep one group
    assert len(param_groups(model, _cfg(tmp_path, tmp_path))) == 1
    plain = build_model("colorunet", ModelConfig(num_bins=313, width=4))
    assert len(param_groups(plain, cfg)) == 1
    with pytest.raises(ConfigError):
        _cfg(tmp_path, tmp_path, encoder_lr=0.0)
    # one step: the encoder moves by about a tenth of what the decoder's first layer moves
    # (Adam's first step is lr * sign(g) per weight, so the mean |change| is the rate)
    data = tmp_path / "data"
    _write_colour_images(data, 4)
    run = _cfg(
        tmp_path,
        data,
        arch="effunet",
        encoder_lr=0.1,
        steps=1,
        warmup=0,
        crop=64,
        load_size=64,
        width=4,
        out_stride=2,
        weight_decay=0.0,
        grad_clip=1e9,
        lr=1e-3,
    )
    torch.manual_seed(run.seed)
    before = build_model(
        "effunet", ModelConfig(num_bins=len(ab_gamut_bins()), width=4, out_stride=2)
    ).state_dict()
    list(run_training(run))
    after = read_payload(tmp_path / "run" / "last.pt")["state_dict"]
    enc_step = (
        (after["_blocks.5._depthwise_conv.weight"] - before["_blocks.5._depthwise_conv.weight"])
        .abs()
        .mean()
    )
    dec_step = (after["up.0.0.0.weight"] - before["up.0.0.0.weight"]).abs().mean()
    assert float(enc_step) == pytest.approx(1e-4, rel=0.3)
    assert float(dec_step) == pytest.approx(1e-3, rel=0.3)


def test_fine_tune_starts_from_a_checkpoint(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "data"
    _write_colour_images(data, 6)
    list(run_training(_cfg(tmp_path / "a", data, steps=6)))
    base = tmp_path / "a" / "run" / "last.pt"
    # a tiny learning rate: after one step the weights are still the checkpoint's
    tuned = _cfg(tmp_path / "b", data, steps=1, lr=1e-12, warmup=0, init=str(base))
    list(run_training(tuned))
    before = read_payload(base)["state_dict"]
    after = read_payload(tmp_path / "b" / "run" / "last.pt")
    for k, v in before.items():
        if v.is_floating_point() and "running" not in k:
            assert torch.allclose(after["state_dict"][k], v, atol=1e-6), k
    assert after["train"]["config"]["init"] == str(base)
    # a checkpoint of another shape: one line naming the options, exit 1
    args = ["train", "--data", str(data), "--out", str(tmp_path / "c"), "--init", str(base)]
    args += ["--width", "8", "--crop", "32", "--load-size", "40", "--steps", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1
    # one line, before the photos are read (it came after the data and prior lines: minutes
    # into a run on a large photo set), and no run folder made for it
    assert r.stderr == f"error: --init {base}: the checkpoint was trained with --width 4\n"
    assert not (tmp_path / "c").exists()
    r = CliRunner().invoke(main, [*args[:6], str(next(data.rglob("*.png"))), *args[7:]])
    assert r.exit_code == 1 and r.stderr.endswith(": not a model file (cannot be unpickled)\n")
    assert len(r.stderr.splitlines()) == 1
    r = CliRunner().invoke(main, [*args[:6], str(tmp_path / "missing.pt"), *args[7:]])
    assert r.exit_code == 2 and "does not exist" in r.stderr


def test_a_hint_model_fine_tuned_from_an_automatic_one(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main
    from colorcli.colorizer import Colorizer
    from colorcli.train.hinteval import simulate_hints

    data = tmp_path / "data"
    _write_colour_images(data, 6)
    list(run_training(_cfg(tmp_path / "a", data, steps=6)))
    base = tmp_path / "a" / "run" / "last.pt"
    tuned = _cfg(tmp_path / "b", data, steps=1, lr=1e-12, warmup=0, init=str(base), hints=True)
    list(run_training(dataclasses.replace(tuned, freeze_bn=True)))
    hinted = tmp_path / "b" / "run" / "last.pt"
    assert read_payload(hinted)["inputs"] == ["l", "guide", "palette"]
    assert read_payload(base)["inputs"] == ["l"]
    # before it has learned anything: without hints the automatic model; with hints, the
    # hinted squares move towards their colour and what lies beyond them stays as it was
    img = np.asarray(Image.open(next(data.rglob("*.png"))).convert("RGB"))
    auto = Colorizer(base, device="cpu").colorize(img)
    c = Colorizer(hinted, device="cpu")
    assert np.abs(c.colorize(img).astype(int) - auto.astype(int)).max() <= 1
    sim = simulate_hints(img, 5, "x")
    guided = c.colorize(img, sim.guide)
    near = cv2.dilate(sim.guide.mask, np.ones((15, 15), np.uint8)) > 0
    assert np.abs(guided.astype(int) - auto.astype(int))[~near].max() <= 1
    on = sim.guide.mask > 0
    want = rgb_to_lab(img)[..., 1:][on]
    err = [np.abs(rgb_to_lab(x)[..., 1:][on] - want).mean() for x in (auto, guided)]
    assert err[1] < 0.7 * err[0], err
    # the other way round is refused: a hint model cannot start an automatic one
    args = ["train", "--data", str(data), "--out", str(tmp_path / "c"), "--init", str(hinted)]
    args += ["--width", "4", "--crop", "32", "--load-size", "40", "--steps", "1", "-q"]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 1 and "the checkpoint was trained with --hints" in r.stderr
    # eval scores a hint model with simulated hints beside the Gaussian spread of them
    ev = ["eval", "--data", str(data), "--min-colorfulness", "0", "--hints", "3", "-q"]
    r = CliRunner().invoke(main, [*ev, "--model", str(hinted), "--json", str(tmp_path / "e.json")])
    assert r.exit_code == 0, r.output
    report = json.loads((tmp_path / "e.json").read_text())
    assert {"hinted", "spread"} <= set(report) and report["settings"]["hints"] == 3
    assert "hinted" in r.output and "spread" in r.output
    r = CliRunner().invoke(main, [*ev, "--model", str(base), "--json", str(tmp_path / "f.json")])
    assert r.exit_code == 1 and "was not trained to take hints" in r.stderr


def step_batches(tmp_path, **kw):
    """Step 3's batch of 4 tiny photos without and twice with the settings ``kw``:
    (clean, changed, changed again)."""
    from colorcli.kernels import ab_gamut_bins
    from colorcli.train.data import load_images
    from colorcli.train.step import make_batch

    data = tmp_path / "data"
    _write_colour_images(data, 4)
    images, _, _ = load_images(sorted(data.glob("*.png")), 40, 0.0)
    bins = ab_gamut_bins()
    weights = np.ones(len(bins), np.float32)
    return tuple(
        make_batch(3, 0, images, bins, weights, 1, _cfg(tmp_path, data, **extra))
        for extra in ({}, kw, kw)
    )


def test_l_noise_perturbs_the_input_only(tmp_path):
    clean, noisy, again = step_batches(tmp_path, l_noise=4.0)
    # same crops and targets; L moved by a few L* units on average, within [0, 100]
    assert torch.equal(clean["ab"], noisy["ab"]) and torch.equal(clean["idx"], noisy["idx"])
    diff = ((noisy["l"] - clean["l"]) * 100).abs()
    assert 0.3 < float(diff.mean()) < 3.2
    lum = noisy["l"] * 100 + 50
    assert float(lum.min()) >= 0 and float(lum.max()) <= 100
    assert torch.equal(noisy["l"], again["l"])  # a pure function of (seed, step)
    with pytest.raises(ConfigError):
        _cfg(tmp_path, tmp_path / "data", l_noise=-1.0)


@pytest.mark.parametrize(
    "sig,code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"]
)
def test_a_signal_during_training_says_how_to_resume(tmp_path, sig, code):
    from tests import procs

    data = tmp_path / "d"
    _write_colour_images(data, 3)
    run_dir = tmp_path / "run"
    args = ["train", "--data", data, "--out", run_dir, "--steps", "40", "--crop", "32"]
    args += ["--load-size", "40", "--width", "4", "--save-every", "2", "--min-colorfulness", "0"]
    args += ["--batch-size", "2", "--val-every", "1000"]
    p = procs.start(*args, "-q")
    log = run_dir / "metrics.jsonl"
    procs.wait_for(lambda: log.exists() and log.read_text().count('"step"') >= 5, proc=p)
    rc, _, err = procs.stop(p, sig)
    assert rc == code, err
    assert "rerun the same command with --resume to continue from the last save" in err
    assert not procs.leftovers(run_dir) and "Traceback" not in err
    saved = read_payload(run_dir / "last.pt")["train"]["step"]
    assert saved >= 2 and saved % 2 == 0
    r = procs.run(*args, "--resume", "-q")
    assert r.returncode == 0, r.stderr
    assert f"resuming {run_dir} at step {saved}" in r.stderr


def test_without_out_the_interrupt_line_names_the_run_folder(tmp_path):
    from tests import procs

    data = tmp_path / "d"
    _write_colour_images(data, 3)
    args = ["train", "--data", data, "--steps", "400", "--crop", "32", "--load-size", "40"]
    args += ["--width", "4", "--min-colorfulness", "0", "--batch-size", "2", "-q"]
    p = procs.start(*args, cwd=tmp_path)
    procs.wait_for(lambda: list(tmp_path.glob("runs/*/metrics.jsonl")), proc=p)
    rc, _, err = procs.stop(p, signal.SIGINT)
    run_dir = next((tmp_path / "runs").iterdir())
    assert rc == 130
    assert f"rerun the same command with --out {Path('runs') / run_dir.name} --resume" in err


def test_resume_may_raise_steps_and_the_rate_does_not_jump(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "d"
    _write_colour_images(data, 3)
    out = tmp_path / "run"
    args = ["train", "--data", str(data), "--out", str(out), "--crop", "32", "--load-size", "40"]
    args += ["--width", "4", "--warmup", "2", "--save-every", "3", "--min-colorfulness", "0"]
    r = CliRunner().invoke(main, [*args, "--steps", "6", "-q"])
    assert r.exit_code == 0, r.stderr
    r = CliRunner().invoke(main, [*args, "--steps", "10", "--resume", "-q"])
    assert r.exit_code == 0, r.stderr
    line = next(x for x in r.stderr.splitlines() if x.startswith("schedule:"))
    assert "--steps 6 -> 10: from step 6 the learning rate decays from where it was" in line
    logged = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines()]
    lrs = [e["lr"] for e in logged if e["event"] == "step"]
    assert [e["step"] for e in logged if e["event"] == "step"] == list(range(1, 11))
    # steps 7..10 go on from step 6's rate down to the floor, never above where they were
    assert max(lrs[6:]) <= lrs[5] * 1.0001 and lrs[-1] == pytest.approx(1e-5, rel=0.05)
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["steps"] == 10 and cfg["stretches"] == [[6, 6]]
    r = CliRunner().invoke(main, [*args, "--steps", "10", "--resume", "-q"])  # the same again
    assert r.exit_code == 0 and "schedule:" not in r.stderr, r.stderr


def test_stretched_schedule_is_continuous():
    base = TrainConfig(data="x", out="y", steps=100, warmup=10, lr=1.0)
    cfg = dataclasses.replace(base, steps=300, stretches=((60, 100),))
    assert [get_lr(s, cfg) for s in range(61)] == [get_lr(s, base) for s in range(61)]
    assert abs(get_lr(61, cfg) - get_lr(60, base)) < 1e-3  # no jump at the stretch
    assert get_lr(299, cfg) == pytest.approx(0.01, abs=1e-4)
    twice = dataclasses.replace(base, steps=500, stretches=((60, 100), (200, 300)))
    assert [get_lr(s, twice) for s in range(201)] == [get_lr(s, cfg) for s in range(201)]
    assert abs(get_lr(201, twice) - get_lr(200, cfg)) < 1e-3
    early = dataclasses.replace(base, steps=300, stretches=((5, 100),))  # still warming up
    assert get_lr(5, early) == get_lr(5, base)
    assert get_lr(299, early) == pytest.approx(0.01, abs=1e-4)


def test_eval_output_is_not_replaced_without_overwrite(tmp_path, tiny_ckpt):
    from click.testing import CliRunner

    from colorcli.cli import main

    val = tmp_path / "val"
    _write_colour_images(val, 2, seed=3)
    args = ["eval", "--data", str(val), "--model", str(tiny_ckpt), "-q"]
    args += ["--json", str(tmp_path / "e.json")]
    assert CliRunner().invoke(main, args).exit_code == 0
    first = (tmp_path / "e.json").read_text()
    r = CliRunner().invoke(main, args)
    assert (
        r.exit_code == 1 and f"{tmp_path / 'e.json'} exists already (use --overwrite)" in r.stderr
    )
    assert (tmp_path / "e.json").read_text() == first
    assert CliRunner().invoke(main, [*args, "--overwrite"]).exit_code == 0
    # nothing to score (every photo below the colourfulness floor): the folder is named
    gray = tmp_path / "grays"
    gray.mkdir()
    Image.fromarray(np.full((40, 40), 90, np.uint8)).save(gray / "g.png")
    r = CliRunner().invoke(main, ["eval", "--data", str(gray), "--model", str(tiny_ckpt), "-q"])
    assert r.exit_code == 1
    assert r.stderr.splitlines()[-1].startswith(f"error: {gray}: no photo could be evaluated")


def test_an_unreadable_training_photo_is_one_line_naming_it(tmp_path):
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "data"
    _write_colour_images(data, 6)
    (data / "broken.jpg").write_bytes(b"\xff\xd8 broken")
    args = ["train", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1"]
    args += ["--crop", "32", "--load-size", "40", "--width", "4", "--min-colorfulness", "0"]
    r = CliRunner().invoke(main, [*args, "-q"])
    assert r.exit_code == 0, r.stderr
    lines = [x for x in r.stderr.splitlines() if "broken.jpg" in x]
    assert lines == [
        f"skipped: {data / 'broken.jpg'}: not a readable image (damaged JPEG (bad marker))"
    ]
    assert "Warning" not in r.stderr and "1 skipped" in r.stderr


def test_slivers_and_icons_are_not_learned_from(tmp_path):
    """A 2000x2 divider was cached at the load size on its short side: 40000x40 here, and
    half a gigabyte at the default; a 20x24 icon a blur of it."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "data"
    _write_colour_images(data, 6)
    _write_colour_images(data / "odd", 1, size=(2, 2000))
    _write_colour_images(data / "icons", 1, size=(20, 24))
    _write_colour_images(data / "banner", 1, size=(40, 1000))
    args = ["train", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1"]
    args += ["--crop", "32", "--load-size", "40", "--width", "4", "--min-colorfulness", "0"]
    r = CliRunner().invoke(main, [*args, "-q", "--val", str(data / "icons")])
    assert r.exit_code == 1  # its one validation photo is too small: not trained without
    assert r.stderr.splitlines()[-1] == (
        f"error: --val {data / 'icons'}: no photo in it can be used (1 skipped, the first "
        f"{data / 'icons' / 'img000.png'}: too small (24x20 pixels: under 32 on a side))"
    )
    r = CliRunner().invoke(main, [*args, "-q"])
    assert r.exit_code == 0, r.stderr
    said = sorted(x for x in r.stderr.splitlines() if x.startswith("skipped:"))
    assert said == [
        f"skipped: {data / 'banner' / 'img000.png'}: a strip, not a photo (1000x40 pixels: over 16 times as long as wide)",
        f"skipped: {data / 'icons' / 'img000.png'}: too small (24x20 pixels: under 32 on a side)",
        f"skipped: {data / 'odd' / 'img000.png'}: too small (2000x2 pixels: under 32 on a side)",
    ]
    assert "3 skipped" in r.stderr and "Mpx cached" in r.stderr


def test_a_run_folder_that_cannot_be_made_is_one_line(tmp_path):
    """--out under a file: "unexpected NotADirectoryError ... please report it"."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "d"
    _write_colour_images(data, 3)
    (tmp_path / "notes.txt").write_text("a file")
    out = tmp_path / "notes.txt" / "run"
    r = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(out), "-q"])
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: {out}: cannot write here ({tmp_path / 'notes.txt'} is a file, not a folder)\n"
    )


def test_a_validation_folder_without_photos_is_refused(tmp_path):
    """--val of an empty folder (a wrong path's sibling): a seeded split of --data was taken
    instead, without a word."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data, empty = tmp_path / "d", tmp_path / "val"
    _write_colour_images(data, 3)
    empty.mkdir()
    args = ["train", "--data", str(data), "--val", str(empty), "--out", str(tmp_path / "r")]
    r = CliRunner().invoke(main, [*args, "--steps", "1", "-q"])
    assert r.exit_code == 1
    assert r.stderr == f"error: {empty}: no validation photos found (jpg, png, tif, bmp, webp)\n"


def test_two_trainings_in_one_run_folder_at_once_are_refused(tmp_path):
    """A training started again in the folder of one still running (a second terminal, a
    scheduler's requeue) trained alongside it: both wrote last.pt and metrics.jsonl."""
    import subprocess
    import sys

    from click.testing import CliRunner

    from colorcli.cli import main

    data, out = tmp_path / "d", tmp_path / "run"
    _write_colour_images(data, 3)
    out.mkdir()
    holder = subprocess.Popen(  # the running training's hold on its folder
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; from colorcli.atomic import Claim; "
         f"assert Claim(Path({str(out)!r}) / 'last.pt').acquire(); print('held', flush=True); "
         "time.sleep(120)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "held"
        args = ["train", "--data", str(data), "--out", str(out), "--steps", "1", "-q"]
        for extra in ([], ["--overwrite"]):
            r = CliRunner().invoke(main, [*args, *extra])
            assert r.exit_code == 1
            assert r.stderr == (
                f"error: {out}: another colorize train is running in this folder; wait for it "
                "to end, or give another --out\n"
            )
        assert sorted(p.name for p in out.iterdir()) == [".last.pt.colorcli-lock"]
    finally:
        holder.kill()
        holder.wait()
    r = CliRunner().invoke(main, [*args, "--crop", "32", "--load-size", "40", "--width", "4"])
    assert r.exit_code == 0, r.stderr  # its holder gone (however it ended), the folder is free


def test_photos_that_would_not_fit_in_memory_are_said_before_the_run(tmp_path, monkeypatch):
    """Every training photo is cached in memory: a folder too large for it read for hours and
    was then killed by the kernel without a word. Now the first photos' memory, extrapolated
    to all, stops the run in one line, before the run folder holds any checkpoint."""
    from click.testing import CliRunner

    import colorcli.train.loading as loading
    from colorcli.cli import main

    data = tmp_path / "data"
    _write_colour_images(data, 6)
    args = ["train", "--data", str(data), "--out", str(tmp_path / "run"), "--steps", "1"]
    args += ["--crop", "32", "--load-size", "40", "--width", "4", "--min-colorfulness", "0"]
    monkeypatch.setattr(loading, "free_memory", lambda: loading.CACHE_RESERVE + 100_000)
    r = CliRunner().invoke(main, [*args, "-q"])
    assert r.exit_code == 1
    assert r.stderr == (
        f"error: --data {data}: its 5 photos, cached at 40 pixels on the short side, would take "
        "about 0.0 GB of memory, and 0.0 GB is free for them here: give --max-photos 1 (about "
        "as many as fit), or a smaller --load-size (or --max-zoom)\n"
    )
    assert not (tmp_path / "run" / "last.pt").exists()
    monkeypatch.setattr(loading, "free_memory", lambda: None)  # not known: no guard
    assert CliRunner().invoke(main, [*args, "-q"]).exit_code == 0
    r = CliRunner().invoke(main, [*args, "--overwrite", "--max-photos", "3"])  # a seeded sample
    assert r.exit_code == 0 and "data: 3 training photos" in r.stderr


def test_train_and_eval_without_data_are_usage_errors():
    """click 8.3 on took the explicit default None of a required option for a value: `colorize
    train` without --data trained until "unexpected TypeError ... please report it"."""
    from click.testing import CliRunner

    from colorcli.cli import main

    for cmd in ("train", "eval"):
        r = CliRunner().invoke(main, [cmd, "--steps", "1"] if cmd == "train" else [cmd])
        assert r.exit_code == 2 and "Missing option '--data'" in r.output


def test_resume_takes_the_runs_own_settings_where_none_are_typed(tmp_path):
    """`colorize train --data D --out RUN --resume` alone was refused for every option of the
    first command not typed again ("was started with --width 4 (now 32), --crop 32 (now
    256)..."), and a --steps left out stretched the run to the default 2000."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data, run = tmp_path / "data", tmp_path / "run"
    _write_colour_images(data, 6)
    first = ["--crop", "32", "--load-size", "40", "--width", "4", "--min-colorfulness", "0"]
    args = ["train", "--data", str(data), "--out", str(run), "-q"]
    assert CliRunner().invoke(main, [*args, "--steps", "2", *first]).exit_code == 0
    r = CliRunner().invoke(main, [*args, "--resume"])
    assert r.exit_code == 0, r.stderr
    assert f"resuming {run} at step 2" in r.stderr and "schedule:" not in r.stderr
    r = CliRunner().invoke(main, [*args, "--resume", "--steps", "3"])
    assert r.exit_code == 0 and "--steps 2 -> 3" in r.stderr
    r = CliRunner().invoke(main, [*args, "--resume", "--width", "8"])  # typed: must match
    assert r.exit_code == 1 and "was started with --width 4 (now 8)" in r.stderr


def test_a_run_folder_inside_the_data_is_not_trained_on(tmp_path):
    """--out inside --data: the next run (or colorize eval over the folder) took the run's
    contact sheets (gray | ours | truth) for photos and learned from them."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data = tmp_path / "photos"
    _write_colour_images(data, 6)
    args = ["train", "--data", str(data), "--steps", "2", "--crop", "32", "--load-size", "40"]
    args += ["--width", "4", "--min-colorfulness", "0", "--val-every", "1", "-q"]
    r = CliRunner().invoke(main, [*args, "--out", str(data / "run1")])
    assert r.exit_code == 0 and list((data / "run1").glob("val_*.png"))
    r = CliRunner().invoke(main, [*args, "--out", str(data / "run2")])
    assert r.exit_code == 0 and "data: 5 training photos" in r.stderr, r.stderr  # 6: 5 + 1 val


def test_a_run_folder_given_as_the_photos_is_refused_in_one_line(tmp_path):
    """`colorize eval --data RUN` (or `train --data RUN`) scored, or learned from, the run's
    own contact sheets (gray | ours | truth) as though they were photos."""
    from click.testing import CliRunner

    from colorcli.cli import main

    data, run = tmp_path / "photos", tmp_path / "run"
    _write_colour_images(data, 6)
    args = ["--steps", "2", "--crop", "32", "--load-size", "40", "--width", "4"]
    args += ["--min-colorfulness", "0", "--val-every", "1", "-q"]
    r = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(run), *args])
    assert r.exit_code == 0 and list(run.glob("val_*.png"))
    said = f"error: {run}: a training run's folder (its pictures are colorize's own contact sheets, not photos): give the folder of photos\n"
    r = CliRunner().invoke(main, ["eval", "--data", str(run), "--model", str(run / "last.pt")])
    assert r.exit_code == 1 and r.stderr == said, r.stderr
    again = ["train", "--data", str(run), "--out", str(tmp_path / "run2"), *args]
    r = CliRunner().invoke(main, again)
    assert r.exit_code == 1 and r.stderr == said, r.stderr
    again[2:3] = [str(data), "--val", str(run)]
    r = CliRunner().invoke(main, again)
    assert r.exit_code == 1 and r.stderr == said, r.stderr
    r = CliRunner().invoke(main, ["train", "--data", str(data), "--out", str(data), *args])
    assert r.exit_code == 1 and not (data / "config.json").exists()
    assert r.stderr == (
        f"error: --out {data} is the --data folder: the run's checkpoints and contact sheets would lie among the photos; give --out a folder of its own (one inside --data is passed over)\n"
    )


def test_a_plain_eval_feeds_no_colour_of_the_truth(tmp_path):
    """Fed the truth, whatever a colorizer keeps as scanned (a colour scan's margins, a
    colour print on an album page) would score as its colours: a colorizer that gives back
    what it is given must score as the gray baseline."""
    from colorcli.train.evaluate import evaluate

    class Echo:
        def colorize(self, image, guide=None):
            rgb = image if image.ndim == 3 else np.repeat(image[..., None], 3, axis=2)
            return rgb.copy()

    _write_colour_images(tmp_path, 2)
    paths = sorted(tmp_path.iterdir())
    for record in evaluate(Echo(), paths):
        assert abs(record["psnr"] - record["gray_psnr"]) < 0.05, record
        assert record["colorfulness"] < 1.0, record
