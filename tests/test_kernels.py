"""Every numba kernel against its plain-numpy twin, plus the colour-science properties."""

import numpy as np
import pytest

from colorcli.kernels import (
    ab_gamut_bins,
    ab_histogram,
    ab_histogram_np,
    annealed_mean,
    annealed_mean_np,
    lab_to_rgb,
    lab_to_rgb_np,
    rgb_to_lab,
    rgb_to_lab_np,
    soft_encode,
    soft_encode_np,
)


@pytest.fixture(scope="module")
def bins():
    return ab_gamut_bins()


@pytest.fixture
def rng():
    return np.random.default_rng(1234)


def test_gamut_bins_rule(bins):
    assert bins.shape == (261, 2)
    assert bins.dtype == np.float32
    assert np.all(bins % 10 == 0)
    assert bins[:, 0].min() == -90 and bins[:, 0].max() == 100
    assert bins[:, 1].min() == -110 and bins[:, 1].max() == 90
    # every 8-bit colour's ab is within half a cell (in a and in b) of some bin
    rgb = np.random.default_rng(0).integers(0, 256, (20000, 3), dtype=np.uint8)
    ab = rgb_to_lab(rgb)[:, 1:]
    d = np.abs(ab[:, None, :] - bins[None]).max(-1).min(1)
    assert d.max() <= 5.0 + 1e-4


def test_lab_known_values():
    lab = rgb_to_lab(np.array([[255, 255, 255], [0, 0, 0], [255, 0, 0]], np.uint8))
    np.testing.assert_allclose(lab[0], [100, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[1], [0, 0, 0], atol=0.01)
    np.testing.assert_allclose(lab[2], [53.24, 80.09, 67.20], atol=0.05)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_rgb_to_lab_parity(rng, dtype):
    if dtype == np.float32:
        rgb = rng.random((7, 11, 3), dtype=np.float32)
    else:
        rgb = rng.integers(0, np.iinfo(dtype).max + 1, (7, 11, 3)).astype(dtype)
    a, b = rgb_to_lab(rgb), rgb_to_lab_np(rgb)
    assert a.shape == rgb.shape and a.dtype == np.float32
    np.testing.assert_allclose(a, b, atol=2e-3)


def test_lab_roundtrip_in_gamut(rng):
    rgb = rng.random((5000, 3), dtype=np.float32)
    back = lab_to_rgb(rgb_to_lab(rgb))
    np.testing.assert_allclose(back, rgb, atol=1e-3)


def test_lab_to_rgb_parity_and_keeps_lightness(rng):
    lab = np.stack(
        [rng.uniform(0, 100, 4000), rng.uniform(-128, 127, 4000), rng.uniform(-128, 127, 4000)], -1
    ).astype(np.float32)
    a, b = lab_to_rgb(lab), lab_to_rgb_np(lab)
    np.testing.assert_allclose(a, b, atol=2e-3)
    assert a.min() >= 0 and a.max() <= 1
    # out-of-gamut ab loses chroma, never lightness
    np.testing.assert_allclose(rgb_to_lab(a)[:, 0], lab[:, 0], atol=0.05)


@pytest.mark.parametrize("temperature", [0.0, 0.05, 0.38, 1.0])
def test_annealed_mean_parity(rng, bins, temperature):
    logits = (rng.standard_normal((513, len(bins))) * 4).astype(np.float32)
    np.testing.assert_allclose(
        annealed_mean(logits, bins, temperature),
        annealed_mean_np(logits, bins, temperature),
        atol=5e-3,
    )


def test_annealed_mean_limits(rng, bins):
    logits = (rng.standard_normal((64, len(bins))) * 2).astype(np.float32)
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    np.testing.assert_allclose(annealed_mean(logits, bins, 1.0), p @ bins, atol=1e-3)
    np.testing.assert_allclose(annealed_mean(logits, bins, 1e-3), bins[logits.argmax(1)], atol=1e-2)
    # a one-hot distribution gives its bin at any temperature, and probs work through log
    one = np.full((3, len(bins)), 1e-12, np.float32)
    one[np.arange(3), [0, 100, 200]] = 1
    np.testing.assert_allclose(
        annealed_mean(np.log(one), bins, 0.38), bins[[0, 100, 200]], atol=1e-3
    )


def test_annealed_mean_rejects_bad_input(bins):
    with pytest.raises(ValueError, match="bins"):
        annealed_mean(np.zeros((4, 10), np.float32), bins)
    with pytest.raises(ValueError, match="temperature"):
        annealed_mean(np.zeros((4, len(bins)), np.float32), bins, -1.0)


@pytest.mark.parametrize("k", [1, 5, 8])
def test_soft_encode_parity(rng, bins, k):
    ab = rng.uniform(-100, 100, (3000, 2)).astype(np.float32)
    i1, w1 = soft_encode(ab, bins, k=k, sigma=5.0)
    i2, w2 = soft_encode_np(ab, bins, k=k, sigma=5.0)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_allclose(w1, w2, atol=1e-6)


def test_soft_encode_properties(rng, bins):
    ab = rng.uniform(-60, 60, (2000, 2)).astype(np.float32)
    idx, w = soft_encode(ab, bins)
    assert idx.shape == w.shape == (2000, 5)
    np.testing.assert_allclose(w.sum(1), 1.0, atol=1e-6)
    assert np.all(np.diff(w, axis=1) <= 1e-7)  # nearest first, so the largest weight first
    nearest = ((ab[:, None] - bins[None]) ** 2).sum(-1).argmin(1)
    np.testing.assert_array_equal(idx[:, 0], nearest)
    # exactly on a bin centre: that bin takes the most mass, its 4 grid neighbours the rest
    idx, w = soft_encode(np.zeros((1, 2), np.float32), bins)
    assert np.all(bins[idx[0, 0]] == 0) and w[0, 0] > 0.5
    np.testing.assert_allclose(w[0, 1:], w[0, 1], rtol=1e-6)


def test_histogram_parity(rng, bins):
    ab = rng.uniform(-110, 110, (20000, 2)).astype(np.float32)
    h1, h2 = ab_histogram(ab, bins), ab_histogram_np(ab, bins)
    np.testing.assert_array_equal(h1, h2)
    assert h1.sum() == 20000


def test_rgb_to_l_parity(rng):
    rgb = rng.integers(0, 256, (50, 40, 3), dtype=np.uint8)
    from colorcli.kernels import rgb_to_l, rgb_to_l_np

    np.testing.assert_allclose(rgb_to_l(rgb), rgb_to_l_np(rgb), atol=2e-3)
    np.testing.assert_allclose(rgb_to_l(rgb), rgb_to_lab(rgb)[..., 0], atol=2e-3)


def test_compose_rgb8_parity_and_lightness(rng):
    from colorcli.kernels import compose_rgb8, compose_rgb8_np

    lum = rng.uniform(0, 100, (64, 48)).astype(np.float32)
    ab = rng.normal(0, 35, (64, 48, 2)).astype(np.float32)
    for sat in (0.0, 0.7, 1.0):
        a, b = compose_rgb8(lum, ab, sat), compose_rgb8_np(lum, ab, sat)
        assert a.dtype == np.uint8 and a.shape == (64, 48, 3)
        assert np.abs(a.astype(int) - b).max() <= 1
        assert np.abs(rgb_to_lab(a)[..., 0] - lum).max() <= 1.0
    gray = compose_rgb8(lum, ab, 0.0)
    assert np.abs(gray[..., 0].astype(int) - gray[..., 2]).max() <= 1


def _rows_case(rng, h: int = 37, w: int = 23, hs: int = 9):
    """L* (h, w), ab rows (hs, w, 2) and each row's two rows and fraction."""
    lo = rng.integers(0, hs, h)
    return (
        rng.uniform(0, 100, (h, w)).astype(np.float32),
        rng.normal(0, 35, (hs, w, 2)).astype(np.float32),
        lo,
        np.minimum(lo + 1, hs - 1),
        rng.uniform(0, 1, h).astype(np.float32),
    )


@pytest.mark.parametrize("bits", [8, 16])
def test_compose_rows_parity_and_lightness(rng, bits):
    from colorcli import kernels as K

    fast, twin = getattr(K, f"compose_rows_rgb{bits}"), getattr(K, f"compose_rows_rgb{bits}_np")
    case = _rows_case(rng)
    top = 2**bits - 1
    for sat in (0.0, 0.6, 1.0):
        a, b = fast(*case, sat), twin(*case, sat)
        assert a.dtype == (np.uint8 if bits == 8 else np.uint16) and a.shape == (37, 23, 3)
        assert np.abs(a.astype(int) - b).max() <= 1
        got = rgb_to_lab(a.astype(np.float32) / top)[..., 0]
        assert np.abs(got - case[0]).max() <= (1.0 if bits == 8 else 0.05)


def test_compose_rows_is_the_compose_of_the_blended_rows(rng):
    from colorcli.kernels import compose_rgb8, compose_rows_rgb8

    lum, wide, lo, hi, frac = _rows_case(rng)
    ab = wide[lo] + (wide[hi] - wide[lo]) * frac[:, None, None]
    got = compose_rows_rgb8(lum, wide, lo, hi, frac).astype(int)
    assert np.abs(got - compose_rgb8(lum, ab)).max() <= 1
    with pytest.raises(ValueError, match="outside"):
        compose_rows_rgb8(lum, wide, lo + 9, hi, frac)
    with pytest.raises(ValueError, match="expected"):
        compose_rows_rgb8(lum, wide[:, :5], lo, hi, frac)


def test_lab_distance_parity_and_meaning(rng):
    from colorcli.kernels import lab_distance, lab_distance_np

    rgb = rng.integers(0, 256, (33, 21, 3), dtype=np.uint8)
    colour = np.array([62.0, 8.0, -20.0], np.float32)
    a, b = lab_distance(rgb, colour), lab_distance_np(rgb, colour)
    assert a.dtype == np.float32 and a.shape == (33, 21)
    np.testing.assert_allclose(a, b, atol=2e-3)
    np.testing.assert_allclose(a, np.linalg.norm(rgb_to_lab(rgb) - colour, axis=-1), atol=2e-3)
    assert lab_distance(np.full((1, 1, 3), 255, np.uint8), [100.0, 0.0, 0.0])[0, 0] < 0.01
    with pytest.raises(ValueError, match="uint8"):
        lab_distance(rgb.astype(np.uint16), colour)


@pytest.mark.parametrize("matrix", ["bt601", "bt709", "bt2020"])
@pytest.mark.parametrize("full_range", [False, True])
def test_lab_to_ycbcr_parity_and_round_trip(rng, matrix, full_range):
    from colorcli.kernels import lab_to_ycbcr, lab_to_ycbcr_np, luma_to_l
    from colorcli.kernels.ycbcr import MATRICES

    lum = rng.uniform(0, 100, (40, 30)).astype(np.float32)
    ab = rng.normal(0, 35, (40, 30, 2)).astype(np.float32)
    y, cb, cr = lab_to_ycbcr(lum, ab, 0.9, matrix, full_range)
    y2, cb2, cr2 = lab_to_ycbcr_np(lum, ab, 0.9, matrix, full_range)
    c, c2 = np.stack([cb, cr], -1), np.stack([cb2, cr2], -1)
    assert y.dtype == np.float32 and c.dtype == np.uint8 and c.shape == (40, 30, 2)
    np.testing.assert_allclose(y, y2, atol=0.05)
    assert np.abs(c.astype(int) - c2).max() <= 1
    # decode the codes as a player would: the result has the requested L*
    kr, kb = MATRICES[matrix]
    y0, ys, cs = (0.0, 255.0, 255.0) if full_range else (16.0, 219.0, 224.0)
    yp = (np.rint(y) - y0) / ys
    cb, cr = (c[..., 0] - 128.0) / cs, (c[..., 1] - 128.0) / cs
    r = yp + 2 * (1 - kr) * cr
    b = yp + 2 * (1 - kb) * cb
    g = (yp - kr * r - kb * b) / (1 - kr - kb)
    rgb = np.clip(np.stack([r, g, b], -1), 0, 1).astype(np.float32)
    assert np.abs(rgb_to_lab(rgb)[..., 0] - lum).mean() < 0.5
    assert np.abs(rgb_to_lab(rgb)[..., 0] - lum).max() < 3.0
    # no colour: chroma is neutral and luma_to_l inverts the luma code
    y0c, cb0, cr0 = lab_to_ycbcr(lum, np.zeros_like(ab), 1.0, matrix, full_range)
    assert np.abs(np.stack([cb0, cr0]).astype(int) - 128).max() <= 1
    np.testing.assert_allclose(luma_to_l(y0c, full_range), lum, atol=0.05)


def test_lab_to_ycbcr_writes_into_given_planes_and_spans_blocks(rng):
    from colorcli.kernels import lab_to_ycbcr, lab_to_ycbcr_np

    # more pixels than one block of the kernel, L at the ends of its range, strong colour
    lum = rng.uniform(0, 100, (97, 61)).astype(np.float32)
    lum[0], lum[1] = 0.0, 100.0
    ab = rng.normal(0, 60, (97, 61, 2)).astype(np.float32)
    planes = (np.empty((97, 61), np.float32), *np.zeros((2, 97, 61), np.uint8))
    got = lab_to_ycbcr(lum, ab, out=planes)
    assert all(g is p for g, p in zip(got, planes, strict=True))
    want = lab_to_ycbcr_np(lum, ab)
    np.testing.assert_allclose(got[0], want[0], atol=0.05)
    for g, w in zip(got[1:], want[1:], strict=True):
        assert np.abs(g.astype(int) - w).max() <= 1
        assert (g != w).mean() < 0.01  # off by one only where a code sits on a rounding edge
    with pytest.raises(ValueError, match="out arrays"):
        lab_to_ycbcr(lum, ab, out=(planes[0], planes[1], planes[2][:, :60]))


def test_srgb_polynomial_of_the_ycbcr_kernel_is_within_a_hundredth_of_a_code():
    from colorcli.kernels.ycbcr import _enc32

    v = np.linspace(0.0, 1.0, 20001)
    exact = np.where(v <= 0.0031308, 12.92 * v, 1.055 * v ** (1 / 2.4) - 0.055)
    got = np.array([_enc32(np.float32(x)) for x in v])
    assert np.abs(got - exact).max() * 255 < 0.01


def test_srgb_polynomial_is_the_least_squares_fit_it_says():
    """The fit is written out (it was made on every import); it is the degree-5
    least-squares fit of the power segment its comment describes."""
    from colorcli.kernels.ycbcr import _ENC_POLY, _W_LO

    w = np.linspace(_W_LO, 1.0, 20001)
    fit = np.polyfit(w, 1.055 * w ** (5.0 / 3.0) - 0.055, 5)
    np.testing.assert_allclose(_ENC_POLY, fit, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("shape", [(2, 2), (6, 10), (240, 428)])
def test_add_half_res_parity_and_matches_opencv(rng, shape):
    import cv2

    from colorcli.kernels import add_half_res, add_half_res_np

    h, w = shape
    y = rng.integers(0, 256, shape, dtype=np.uint8)
    y[0, :2] = (0, 255)  # saturation at both ends
    d = rng.normal(0, 12, (h // 2, w // 2)).astype(np.float32)
    d[0, 0], d[0, -1] = -50.0, 50.0
    a = add_half_res(y, d)
    np.testing.assert_array_equal(a, add_half_res_np(y, d))
    # the same as upsampling with OpenCV's bilinear resize and adding (rounding ties aside)
    ref = cv2.add(y, cv2.resize(d, (w, h), interpolation=cv2.INTER_LINEAR), dtype=cv2.CV_8U)
    assert np.abs(a.astype(int) - ref).max() <= 1
    assert (a != ref).mean() < 1e-3
    # strided rows in and out, as a frame's planes have; nothing beyond the width is touched
    pad_in = np.zeros((h, w + 12), np.uint8)
    pad_in[:, :w] = y
    pad_out = np.full((h, w + 12), 7, np.uint8)
    add_half_res(pad_in[:, :w], d, out=pad_out[:, :w])
    np.testing.assert_array_equal(pad_out[:, :w], a)
    assert (pad_out[:, w:] == 7).all()
    # any strides at all (a column of an RGB image, a transposed output)
    rgb = np.zeros((h, w, 3), np.uint8)
    rgb[..., 1] = y
    col_out = np.zeros((w, h), np.uint8).T
    add_half_res(rgb[..., 1], d, out=col_out)
    np.testing.assert_array_equal(col_out, a)
    with pytest.raises(ValueError, match="halve"):
        add_half_res(y, d[:-1])


def test_temporal_smooth_parity_and_limits(rng):
    from colorcli.kernels import temporal_smooth, temporal_smooth_np

    ab, ab_prev = (rng.normal(0, 20, (2, 33, 17, 2))).astype(np.float32)
    lum, lum_prev = rng.uniform(0, 100, (2, 33, 17)).astype(np.float32)
    lum_prev[:10] = lum[:10]  # some steady pixels
    for s in (0.0, 0.5, 0.9):
        np.testing.assert_allclose(
            temporal_smooth(ab, lum, ab_prev, lum_prev, s),
            temporal_smooth_np(ab, lum, ab_prev, lum_prev, s),
            atol=1e-4,
        )
    out = temporal_smooth(ab, lum, ab_prev, lum, 0.7)  # L unchanged everywhere: the full EMA
    np.testing.assert_allclose(out, 0.7 * ab_prev + 0.3 * ab, atol=1e-4)
    with pytest.raises(ValueError, match="strength"):
        temporal_smooth(ab, lum, ab_prev, lum_prev, 1.0)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_print_rgb_parity_and_limits(rng, dtype):
    from colorcli.kernels.printing import print_rgb, print_rgb_np

    codes = int(np.iinfo(dtype).max) + 1
    rgb = rng.integers(0, codes, (37, 53, 3)).astype(dtype)
    rgb[0, 0], rgb[0, 1] = 0, codes - 1
    luts = (rng.uniform(0, 0.6, (3, codes)) * np.linspace(0, 1, codes)).astype(np.float32)
    luts[:, -1] = 1.0  # a sum over 1: the table's last step
    table = np.linspace(codes - 1, 0, 4096).round().astype(dtype)  # darker as more light passes
    a = print_rgb(rgb, luts, table)
    np.testing.assert_array_equal(a, print_rgb_np(rgb, luts, table))
    assert a[0, 0] == table[0] and a[0, 1] == table[-1]
    out = np.zeros((37, 53), dtype)
    assert print_rgb(rgb, luts, table, out=out) is out
    np.testing.assert_array_equal(out, a)
    with pytest.raises(ValueError, match="luts"):
        print_rgb(rgb, luts[:, :10], table)
    with pytest.raises(ValueError, match="expected"):
        print_rgb(rgb[..., 0], luts, table)
