"""The library API: full resolution, L kept, batching, OOM back-off, device-side decode."""

import weakref

import numpy as np
import pytest
import torch

from colorcli.colorizer import Colorizer, annealed_mean_torch
from colorcli.errors import DeviceError
from colorcli.kernels import annealed_mean, rgb_to_lab
from tests.conftest import gradient_rgb, make_checkpoint


@pytest.fixture(scope="module")
def colorizer(tiny_ckpt):
    return Colorizer(tiny_ckpt, device="cpu", batch_size=3)


def _l(img):
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, -1)
    return rgb_to_lab(img)[..., 0]


@pytest.mark.parametrize("shape", [(37, 53), (64, 64), (300, 21), (5, 400)])
def test_full_resolution_and_lightness_kept(colorizer, shape):
    rgb = gradient_rgb(*shape)
    for img in (rgb, rgb[..., 0].copy()):
        out = colorizer.colorize(img)
        assert out.shape == shape + (3,) and out.dtype == np.uint8
        assert np.abs(_l(out) - _l(img)).max() <= 1.0


def test_sixteen_bit_stays_sixteen_bit(colorizer):
    img = gradient_rgb(30, 40).astype(np.uint16) * 257 + 100
    out = colorizer.colorize(img)
    assert out.dtype == np.uint16
    assert np.abs(_l(out) - _l(img)).max() <= 1.0


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_a_large_scan_is_coloured_in_strips_as_it_would_be_whole(colorizer, monkeypatch, dtype):
    """Full-resolution work goes a strip at a time, so that a 100-megapixel scan fits in
    memory (it took 7 GB); the result is the one a single pass gives, and the float work
    beside the output stays a fraction of a whole image's (a whole pass holds its L*, ab,
    Lab and float RGB: 14 bytes a pixel and more)."""
    import tracemalloc

    import colorcli.compose as compose

    img = (gradient_rgb(600, 450)[..., 1].astype(dtype)) * (257 if dtype == np.uint16 else 1)
    whole = colorizer.colorize(img)
    monkeypatch.setattr(compose, "STRIP_PIXELS", 1 << 14, raising=False)  # 36 strips
    tracemalloc.start()
    try:
        strips = colorizer.colorize(img)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert strips.dtype == whole.dtype and strips.shape == whole.shape
    code = 257 if dtype == np.uint16 else 1
    assert np.abs(strips.astype(int) - whole.astype(int)).max() <= 2 * code
    pixels = img.shape[0] * img.shape[1]
    # the output, the input's L* (float32) and strips (torch's memory is not traced)
    assert peak < strips.nbytes + 4 * pixels + 2_000_000


def test_output_has_colour_and_saturation_scales_it(tiny_ckpt):
    img = gradient_rgb(48, 48)[..., 0].copy()
    chroma = {}
    for sat in (0.0, 1.0):
        out = Colorizer(tiny_ckpt, device="cpu", saturation=sat).colorize(img)
        chroma[sat] = np.hypot(*np.moveaxis(rgb_to_lab(out)[..., 1:], -1, 0)).mean()
    assert chroma[0.0] < 1.0
    assert chroma[1.0] > 10.0


def test_batch_equals_single(colorizer):
    imgs = [gradient_rgb(40, 40, seed=s) for s in range(4)] + [gradient_rgb(33, 70)]
    batch = colorizer.colorize_batch(imgs)
    for img, out in zip(imgs, batch, strict=True):
        np.testing.assert_allclose(out.astype(int), colorizer.colorize(img).astype(int), atol=2)


class _OutOfMemoryAbove(torch.nn.Module):
    """A network (the ColorNet contract of the one it wraps) whose allocator gives out above
    ``limit`` images a call, with the message of CUDA's or of the CPU's allocator, or of
    oneDNN's (the CPU convolutions: "could not create a primitive" where it got no memory
    for its workspace, as it did beside a 64-megapixel scan under a memory cap)."""

    def __init__(self, net, limit: int, kind: str) -> None:
        super().__init__()
        self.net, self.limit, self.kind, self.calls = net, limit, kind, []
        self.input_multiple, self.output_stride = net.input_multiple, net.output_stride
        self.head_kind, self.head, self.encoder_prefixes = net.head_kind, net.head, ()
        self.takes_hints = net.takes_hints

    def load_imagenet(self) -> None:  # pragma: no cover - part of the contract only
        raise NotImplementedError

    def forward(self, x):
        self.calls.append(x.shape[0])
        if x.shape[0] > self.limit:
            if self.kind == "cuda":
                raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
            if self.kind == "onednn":
                raise RuntimeError("could not create a primitive")
            raise RuntimeError(
                "[enforce fail at alloc_cpu.cpp:117] . DefaultCPUAllocator: can't allocate memory: you tried to allocate 28000000000 bytes."
            )
        return self.net(x)


@pytest.mark.parametrize("kind", ["cuda", "cpu", "onednn"])
def test_out_of_memory_halves_the_batch(tiny_ckpt, kind):
    from colorcli.checkpoint import load_checkpoint

    net = _OutOfMemoryAbove(load_checkpoint(tiny_ckpt).build(), 1, kind)
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=4, model=net)
    net.calls.clear()  # the colorizer's own first tiny pass
    outs = c.colorize_batch([gradient_rgb(32, 32, seed=s) for s in range(4)])
    assert len(outs) == 4 and all(o.shape == (32, 32, 3) for o in outs)
    assert c.batch_size == 1 and net.calls[0] == 4


@pytest.mark.parametrize("kind", ["cuda", "cpu", "onednn"])
def test_out_of_memory_on_one_image_is_an_error(tiny_ckpt, kind):
    from colorcli.checkpoint import load_checkpoint

    net = _OutOfMemoryAbove(load_checkpoint(tiny_ckpt).build(), 0, kind)
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=1, model=net)
    with pytest.raises(DeviceError, match="out of memory on cpu for one") as err:
        c.colorize(gradient_rgb(32, 32))
    assert "\n" not in str(err.value)


def test_a_failed_attempt_is_let_go_before_its_halves_run(tiny_ckpt):
    """What the batch that ran out of memory held is freed before the halves try (a traceback
    keeps its frames' tensors alive: on a GPU they would take memory from the halves)."""
    from colorcli.checkpoint import load_checkpoint

    class Holds(_OutOfMemoryAbove):
        def forward(self, x):
            self.alive.append([r() is not None for r in self.held])
            if x.shape[0] > self.limit:
                activations = torch.zeros(x.shape[0], 64)  # what a real forward holds
                self.held.append(weakref.ref(activations))
            return super().forward(x)

    net = Holds(load_checkpoint(tiny_ckpt).build(), 1, "cuda")
    net.held, net.alive = [], []
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=4, model=net)
    net.held.clear(), net.alive.clear()
    assert len(c.colorize_batch([gradient_rgb(32, 32, seed=s) for s in range(4)])) == 4
    assert c.batch_size == 1 and len(net.held) == 3  # 4, then 2 and 2, failed
    assert not any(any(a) for a in net.alive)


def test_gpu_memory_running_out_outside_the_forward(tiny_ckpt, monkeypatch):
    """The batch's upload runs out: the images go in halves; the annealed mean on the GPU
    runs out: the host's makes the same colours. The colours are those of a run with memory
    to spare."""
    import colorcli.netrun as netrun

    imgs = [gradient_rgb(32, 32 + 8 * s, seed=s) for s in range(4)]
    want = Colorizer(tiny_ckpt, device="cpu", batch_size=4).colorize_batch(imgs)

    c = Colorizer(tiny_ckpt, device="cpu", batch_size=4)
    c._decode_on_device = True  # as on CUDA (there is no GPU here)
    tries = []

    def upload_fails_once(l_net, space):
        tries.append(1)
        if len(tries) == 1:
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 20.00 MiB")
        return real_input(l_net, space)

    def no_room(*a, **k):
        raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 490.00 MiB")

    real_input = netrun.net_input
    monkeypatch.setattr(netrun, "net_input", upload_fails_once)
    monkeypatch.setattr(netrun, "annealed_mean_torch", no_room)
    got = c.colorize_batch(imgs)
    assert c.batch_size == 2
    for g, w in zip(got, want, strict=True):
        assert np.abs(g.astype(int) - w.astype(int)).max() <= 1


@pytest.mark.parametrize("shape", [(3, 20000), (20000, 3), (240, 2400), (1, 1)])
def test_strips_and_panoramas_keep_the_network_input_bounded(colorizer, shape):
    h, w = colorizer.net_shape(*shape)
    assert max(h, w) <= 4 * colorizer.size and h * w <= 4 * colorizer.size**2
    scale = max(h, w) / max(shape)  # same aspect, to a pixel
    assert abs(h - shape[0] * scale) <= 1 and abs(w - shape[1] * scale) <= 1
    img = gradient_rgb(*shape)[..., 0].copy()
    out = colorizer.colorize(img)
    assert out.shape == shape + (3,)
    assert np.abs(_l(out) - _l(img)).max() <= 1.0


def test_device_annealed_mean_matches_kernel():
    from colorcli.kernels import ab_gamut_bins

    bins = ab_gamut_bins()
    logits = torch.randn(2, len(bins), 5, 7) * 3
    for t in (0.0, 0.38, 1.0):
        dev = annealed_mean_torch(logits, torch.from_numpy(bins), t).numpy()
        ref = annealed_mean(
            logits.permute(0, 2, 3, 1).reshape(-1, len(bins)).numpy(), bins, t
        ).reshape(2, 5, 7, 2)
        np.testing.assert_allclose(dev, ref, atol=5e-3)


@pytest.mark.parametrize("arch,head", [("eccv16", "classification"), ("colorunet", "regression")])
def test_other_architectures_and_heads(tmp_path, arch, head):
    path = make_checkpoint(tmp_path / "m.pt", arch=arch, head=head)
    out = Colorizer(path, device="cpu").colorize(gradient_rgb(45, 61))
    assert out.shape == (45, 61, 3)


def test_cuda_request_without_cuda(tiny_ckpt, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="CUDA is not available"):
        Colorizer(tiny_ckpt, device="cuda")


def test_a_numbered_gpu_is_taken_where_there_is_one(monkeypatch):
    from colorcli.device import resolve_device
    from colorcli.errors import ConfigError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:1") == torch.device("cuda", 1)
    with pytest.raises(
        DeviceError,
        match=r"'cuda:2' requested but this machine has 2 CUDA devices: cuda:0 to cuda:1$",
    ):
        resolve_device("cuda:2")
    monkeypatch.setattr(
        torch.cuda, "device_count", lambda: 1
    )  # was "1 CUDA device(s): cuda:0 to cuda:0"
    with pytest.raises(
        DeviceError, match=r"'cuda:1' requested but this machine has one CUDA device, cuda:0$"
    ):
        resolve_device("cuda:1")
    with pytest.raises(ConfigError, match="cuda:N, got 'cuda:x'"):
        resolve_device("cuda:x")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(DeviceError, match="'cuda:1' requested but CUDA is not available"):
        resolve_device("cuda:1")


def test_cudnn_waits_until_a_network_input_size_comes_back(tiny_ckpt):
    """cuDNN plans every new input shape once (about 2 s in half precision on an H200): photos
    of sizes not seen before run without it, and a size that keeps coming (a film's frames, a
    camera's photos) gets it from its third batch on. The setting is the user's again after."""
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=1)
    c._gate_cudnn = True  # as on CUDA (there is no GPU here)
    seen = []
    c.model.register_forward_pre_hook(lambda *_: seen.append(torch.backends.cudnn.enabled))
    assert torch.backends.cudnn.enabled
    c.colorize_batch([gradient_rgb(64, 64 + 32 * s, seed=s) for s in range(3)])
    assert seen == [False, False, False]
    seen.clear()
    c.colorize_batch([gradient_rgb(64, 200, seed=s) for s in range(4)])
    assert seen == [False, False, True, True]
    assert torch.backends.cudnn.enabled
    plain = Colorizer(tiny_ckpt, device="cpu", batch_size=1)  # the CPU never asks cuDNN
    plain.model.register_forward_pre_hook(lambda *_: seen.append(torch.backends.cudnn.enabled))
    seen.clear()
    plain.colorize(gradient_rgb(64, 64))
    assert seen == [True]


def test_a_photos_mirrored_pass_does_not_hasten_cudnn(tmp_path, tiny_ckpt):
    """With a photo decode that sees each photo mirrored too, a size still runs without
    cuDNN for its first two batches: the mirrored pass is counted apart."""
    import dataclasses

    from colorcli.checkpoint import load_checkpoint, save_checkpoint

    flip = {"flip": True, "temperature": 0.5, "prior_correction": 0.0}
    path = save_checkpoint(
        dataclasses.replace(load_checkpoint(tiny_ckpt), photo_decode=flip), tmp_path / "f.pt"
    )
    c = Colorizer(path, device="cpu", batch_size=1)
    c._gate_cudnn = True  # as on CUDA (there is no GPU here)
    seen = []
    c.model.register_forward_pre_hook(lambda *_: seen.append(torch.backends.cudnn.enabled))
    c.colorize_batch([gradient_rgb(64, 200, seed=s) for s in range(3)])
    assert seen == [False, False, False, False, True, True]  # each batch: as is, mirrored


def test_memory_that_runs_out_making_a_huge_network_input_names_the_size(tiny_ckpt, monkeypatch):
    """A small photo at an enormous --size: the host's memory runs out making the network's
    input, not for the photo; the message said 'for this 60x40 image' and now points at
    --size. A scan far larger than the network's input is still the one named."""
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=1, size=50000)

    def no_room(*a, **k):
        raise MemoryError

    monkeypatch.setattr(Colorizer, "l_net", no_room)
    with pytest.raises(DeviceError, match="at size 50000; try a smaller --size") as err:
        c.colorize(gradient_rgb(40, 60))
    assert "60x40" not in str(err.value)
    c = Colorizer(tiny_ckpt, device="cpu", batch_size=1, size=16)
    with pytest.raises(DeviceError, match="for this 300x200 image"):
        c.colorize(gradient_rgb(200, 300))


def test_precision_on_each_device(monkeypatch):
    from colorcli import device
    from colorcli.errors import ConfigError

    cpu, cuda = torch.device("cpu"), torch.device("cuda")
    assert device.resolve_precision(cpu, "auto") is None  # float32 on a CPU unless asked
    assert device.resolve_precision(cpu, "full") is None
    assert device.resolve_precision(cuda, "auto") == torch.float16
    assert device.resolve_precision(cuda, "half") == torch.float16
    assert device.resolve_precision(cuda, "full") is None
    monkeypatch.setattr(device, "cpu_bf16", lambda: True)
    assert device.resolve_precision(cpu, "half") == torch.bfloat16
    monkeypatch.setattr(device, "cpu_bf16", lambda: False)
    with pytest.raises(ConfigError, match="no bfloat16 instructions"):
        device.resolve_precision(cpu, "half")
    with pytest.raises(ConfigError, match="precision must be one of"):
        device.resolve_precision(cpu, "quarter")


def test_half_precision_on_a_cpu_colours_in_bfloat16_close_to_full(tiny_ckpt, monkeypatch):
    from colorcli import device

    monkeypatch.setattr(device, "cpu_bf16", lambda: True)  # emulated where the CPU lacks it
    full = Colorizer(tiny_ckpt, device="cpu")
    half = Colorizer(tiny_ckpt, device="cpu", precision="half")
    seen = []
    half.model.head.register_forward_hook(lambda _m, _i, o: seen.append(o.dtype))
    img = gradient_rgb(70, 90)
    a, b = full.colorize(img), half.colorize(img)
    assert seen and set(seen) == {torch.bfloat16}
    assert b.dtype == np.uint8 and np.abs(_l(b) - _l(img)).max() <= 1.0
    lab_a, lab_b = rgb_to_lab(a), rgb_to_lab(b)
    assert np.abs(lab_a[..., 1:] - lab_b[..., 1:]).mean() < 2.0
    # a film's frames too, and the ab comes back as float32
    ln = [np.linspace(0, 100, 64 * 80, dtype=np.float32).reshape(64, 80)] * 2
    ab_full, ab_half = full.predict_ab(ln), half.predict_ab(ln)
    assert ab_half[0].dtype == np.float32
    assert np.abs(ab_full[0] - ab_half[0]).mean() < 2.0


def test_a_float_image_with_nans_and_infinities_comes_out_finite(colorizer):
    img = np.random.default_rng(0).random((40, 56, 3)).astype(np.float32)
    img[5:9, 5:9] = np.nan
    img[20, :] = np.inf
    img[30, :, 1] = -np.inf
    out = colorizer.colorize(img)
    assert out.dtype == np.float32 and np.isfinite(out).all()
    assert out[5:9, 5:9].max() < 0.05  # a NaN is black, an infinity white
    assert out[20].min() > 0.9
