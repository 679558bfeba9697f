"""The hint attention head: hints spread to the pixels like them, the model's colour kept where
there is none, a painted layer pooled, the head carried by the checkpoint and fitted."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from PIL import Image

from colorcli.attend import HintAttention, head_record, hint_tokens, positions, spread_with
from colorcli.checkpoint import load_checkpoint, save_checkpoint
from colorcli.cli import main
from colorcli.colorizer import Colorizer
from colorcli.errors import CheckpointError
from colorcli.guide import Guide
from colorcli.kernels import compose_rgb8, rgb_to_lab
from colorcli.quality import psnr
from colorcli.train.attend import fit_head, photo_pixels
from tests.conftest import gradient_rgb


def _head(feat_dim: int, null: float = -30.0) -> HintAttention:
    torch.manual_seed(0)
    head = HintAttention(feat_dim, embed=4, hidden=8)
    with torch.no_grad():
        head.null.fill_(null)
    return head.eval()


def _two_halves(h: int = 16, w: int = 24) -> tuple[torch.Tensor, np.ndarray]:
    """Features that tell a photo's left half from its right, and a flat lightness."""
    feats = torch.zeros(h, w, 3)
    feats[:, : w // 2, 0] = 1.0
    feats[:, w // 2 :, 1] = 1.0
    return feats, np.full((h, w), 50.0, np.float32)


def _telling_apart(head: HintAttention, scale: float) -> HintAttention:
    """``head`` with an embedding of the features' first two alone, ``scale`` times each."""
    with torch.no_grad():
        head.mlp[0].weight.zero_()
        head.mlp[0].weight[:2, :2] = torch.eye(2) * scale
        head.mlp[0].bias.zero_()
        head.mlp[2].weight.zero_()
        head.mlp[2].weight[:2, :2] = torch.eye(2)
    return head


def _guide_at(h: int, w: int, points: dict[tuple[int, int], tuple[float, float]]) -> np.ndarray:
    g = np.zeros((3, h, w), np.float32)
    for (y, x), ab in points.items():
        g[0, y, x], g[1, y, x], g[2, y, x] = ab[0] / 110, ab[1] / 110, 1.0
    return g


def test_no_hint_keeps_the_models_colours():
    feats, l_out = _two_halves()
    ab_net = np.random.default_rng(0).normal(0, 20, (16, 24, 2)).astype(np.float32)
    out = spread_with(_head(3), feats, ab_net, l_out, np.zeros((3, 16, 24), np.float32))
    assert np.array_equal(out, ab_net)


def test_each_pixel_takes_the_hint_whose_features_it_shares():
    feats, l_out = _two_halves()
    head = _telling_apart(_head(3), 10.0)  # an embedding that keeps the halves far apart
    red, blue = (40.0, 30.0), (5.0, -40.0)
    g = _guide_at(16, 24, {(8, 2): red, (8, 21): blue})
    out = spread_with(head, feats, np.zeros((16, 24, 2), np.float32), l_out, g)
    assert np.allclose(out[:, :12], red, atol=1.0)  # the far corner of the left half too
    assert np.allclose(out[:, 12:], blue, atol=1.0)


def test_a_small_patch_of_a_reference_cannot_paint_a_large_area():
    """Keys of another photo with a capacity: a patch of 1/32 of the reference that every
    bright pixel matches colours at most about capacity times its share of this photo; the
    rest keeps the null's colour. Without the cap it paints the whole bright half."""
    from colorcli.attend import attend

    h, w = 16, 32
    feats = torch.zeros(h, w, 3)
    l_out = np.full((h, w), 30.0, np.float32)
    l_out[:, w // 2 :] = 80.0  # the photo: half dark, half bright
    k_l = np.full((h, w), 30.0, np.float32)
    k_l[:4, :4] = 80.0  # the reference: dark blue, one small bright orange patch
    k_ab = np.zeros((h, w, 2), np.float32)
    k_ab[...] = (5.0, -30.0)
    k_ab[:4, :4] = (30.0, 60.0)
    head = _head(3)
    with torch.no_grad():  # lightness alone decides
        for p in head.mlp.parameters():
            p.zero_()
        head.w_xy.fill_(-20.0)
        head.w_l.fill_(5.0)
    keys = (feats, k_l, k_ab, np.ones((h, w), np.float32))
    zero = np.zeros((h, w, 2), np.float32)
    orange = [
        np.hypot(
            *(attend(head, feats, zero, l_out, keys, cap)[0] - (30.0, 60.0)).transpose(2, 0, 1)
        )
        < 20
        for cap in (None, 4.0)
    ]
    assert orange[0][:, w // 2 :].mean() > 0.9  # uncapped: all the bright half
    lent = np.hypot(*attend(head, feats, zero, l_out, keys, 4.0)[0].transpose(2, 0, 1))
    assert lent[:, w // 2 :].sum() <= 4.0 * (16 / (h * w)) * (h * w) * 67.1 * 1.05  # its capacity
    dark = attend(head, feats, zero, l_out, keys, 4.0)[0][:, : w // 2]
    assert np.abs(dark - (5.0, -30.0)).max() < 3  # the blue, plentiful, is lent in full


def test_with_a_strong_null_the_models_colour_stays():
    feats, l_out = _two_halves()
    ab_net = np.full((16, 24, 2), 7.0, np.float32)
    g = _guide_at(16, 24, {(8, 2): (40.0, 30.0)})
    out = spread_with(_head(3, null=30.0), feats, ab_net, l_out, g)
    assert np.allclose(out, 7.0, atol=1e-3)


def test_a_painted_layer_is_pooled_to_the_limit_keeping_its_weighted_mean():
    rng = np.random.default_rng(1)
    h, w = 40, 50
    emb = torch.from_numpy(rng.normal(size=(h, w, 4)).astype(np.float32))
    ab = rng.normal(0, 30, (h, w, 2)).astype(np.float32)
    mask = (rng.random((h, w)) > 0.3).astype(np.float32) * rng.uniform(0.2, 1.0, (h, w))
    pos = positions(np.full((h, w), 50.0, np.float32))
    k_emb, k_pos, k_ab, k_logw = hint_tokens(emb, pos, ab, mask.astype(np.float32), limit=100)
    assert 0 < len(k_ab) <= 100
    assert k_emb.shape[1] == 4 and k_pos.shape[1] == 3
    want = (ab * mask[..., None]).sum((0, 1)) / mask.sum()
    got = (k_ab.numpy() * k_logw.exp().numpy()[:, None]).sum(0) / k_logw.exp().sum().item()
    assert np.allclose(got, want, atol=1.0)  # cells at the edge are partial: close, not equal
    few = hint_tokens(emb, pos, ab, mask.astype(np.float32), limit=10_000)
    assert len(few[2]) == int((mask > 0).sum())


def test_a_references_keys_do_not_average_unlike_colours():
    """Another photo's keys (``reference_tokens``): as many as the square cells, but each of
    one colour where cells straddle the edges of stripes 3 pixels wide; together they hold
    the photo's colours in the same amounts."""
    from colorcli.attend import reference_tokens

    h, w = 48, 64
    a, b = np.array([40.0, 30.0]), np.array([-20.0, -35.0])
    k_ab = np.where((np.arange(w) // 3 % 2 == 0)[None, :, None], a, b) * np.ones((h, 1, 1))
    k_ab = k_ab.astype(np.float32)
    keys = (
        torch.zeros(h, w, 3),
        np.full((h, w), 50.0, np.float32),
        k_ab,
        np.ones((h, w), np.float32),
    )
    head = _head(3)
    cells = hint_tokens(head.embed(keys[0]).detach(), positions(keys[1]), k_ab, keys[3])[2].numpy()
    off = lambda ab: np.minimum(np.abs(ab - a).max(1), np.abs(ab - b).max(1))  # noqa: E731
    assert off(cells).max() > 20  # square cells mix the stripes' colours
    toks = reference_tokens(head, keys)
    assert 0.5 * len(cells) <= len(toks.ab) <= len(cells)
    assert off(toks.ab.numpy()).max() < 1.0
    n = toks.logw.exp().numpy() * (h * w) / len(toks.ab)  # pixels per key
    assert np.isclose(n.sum(), h * w)
    assert np.allclose((toks.ab.numpy() * n[:, None]).sum(0), k_ab.reshape(-1, 2).sum(0), rtol=1e-3)


def test_the_checkpoint_carries_the_head_and_hints_follow_it(tmp_path, hint_ckpt):
    ckpt = load_checkpoint(hint_ckpt)
    colorizer = Colorizer(ckpt, device="cpu")
    img = gradient_rgb(48, 64)
    l_net = colorizer.l_net(rgb_to_lab(img)[..., 0])
    feats, ab_net = colorizer.pixel_features(l_net)
    assert feats.shape[:2] == ab_net.shape[:2] and feats.shape[2] > len(ckpt.ab_bins)
    ckpt.hint_attention = head_record(_head(feats.shape[2]))
    path = save_checkpoint(ckpt, tmp_path / "with_head.pt")
    assert "hint_attention" in torch.load(path, weights_only=True)
    c = Colorizer(path, device="cpu")
    assert c.attention is not None
    want = np.array([30.0, -30.0], np.float32)  # one hint: every pixel takes its colour
    ab = np.zeros((48, 64, 2), np.float32)
    mask = np.zeros((48, 64), np.float32)
    ab[20:25, 30:35], mask[20:25, 30:35] = want, 1.0
    out = c.colorize(img, Guide(ab=ab, mask=mask))
    lab = rgb_to_lab(out)
    assert np.abs(lab[..., 0] - rgb_to_lab(img)[..., 0]).mean() < 1.0
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    assert np.median(np.abs(hue - np.degrees(np.arctan2(-30, 30)))) < 15
    plain = Colorizer(hint_ckpt, device="cpu").colorize(img)
    assert np.array_equal(c.colorize(img), plain)  # no hints: the model as it was


def test_a_damaged_head_is_one_clear_error(tmp_path, hint_ckpt):
    payload = torch.load(hint_ckpt, weights_only=True)
    payload["hint_attention"] = [1, 2]
    torch.save(payload, tmp_path / "bad.pt")
    with pytest.raises(CheckpointError, match="hint_attention"):
        load_checkpoint(tmp_path / "bad.pt")
    payload["hint_attention"] = {"config": {"feat_dim": 3}, "state_dict": {}}
    torch.save(payload, tmp_path / "bad2.pt")
    with pytest.raises(CheckpointError, match="hint attention"):
        Colorizer(tmp_path / "bad2.pt", device="cpu")


def _two_textures(seed: int) -> np.ndarray:
    """A flat red left half and a speckled blue right half of the same mean lightness."""
    r = np.random.default_rng(seed)
    lum = np.full((64, 96), 130.0)
    lum[:, 48:] += r.choice([-60.0, 60.0], (64, 48))
    lum[:, :48] += r.normal(0, 3, (64, 48))
    img = np.repeat(lum[..., None], 3, -1)
    img[:, :48] *= [1.0, 0.55, 0.45]
    img[:, 48:] *= [0.45, 0.6, 1.0]
    return img.clip(0, 255).astype(np.uint8)


def test_a_fitted_head_spreads_hints_better_than_an_unfitted_one(tmp_path, hint_ckpt):
    ckpt = load_checkpoint(hint_ckpt)
    colorizer = Colorizer(ckpt, device="cpu")
    rng = np.random.default_rng(0)
    photos = [photo_pixels(colorizer, _two_textures(s), rng) for s in range(4)]
    fits = list(fit_head(photos, steps=300, batch=4, lr=0.03, seed=0))
    assert fits[-1][1] < fits[0][1]
    # the other view (a crop, maybe mirrored) holds the photo's own colours, and a fit whose
    # keys are all from it (as a reference photo's are) runs
    halves = rgb_to_lab(_two_textures(0))[:, [0, -1], 1:].reshape(-1, 2)
    near = np.abs(photos[0].view_ab.numpy()[:, None] - halves[None]).sum(-1).min(1)
    assert photos[0].view_ab.shape == (256, 2) and np.median(near) < 10
    ref_fits = list(fit_head(photos, steps=20, batch=4, references=1.0, seed=0))
    assert np.isfinite(ref_fits[-1][1])
    # keys of another photo too, or only (a reference of other things), run as well
    other_fits = list(fit_head(photos, steps=20, batch=4, references=1.0, others=1.0, seed=0))
    assert np.isfinite(other_fits[-1][1])
    torch.manual_seed(0)
    unfitted = HintAttention(photos[0].feats.shape[1])
    truth = _two_textures(9)
    lab = rgb_to_lab(truth)
    ab, mask = np.zeros((64, 96, 2), np.float32), np.zeros((64, 96), np.float32)
    for y, x in ((10, 40), (50, 8), (12, 52), (54, 90)):  # two hints in each half
        ab[y : y + 3, x : x + 3] = lab[y : y + 3, x : x + 3, 1:].mean((0, 1))
        mask[y : y + 3, x : x + 3] = 1.0
    scores = []
    for head in (unfitted, fits[-1][2]):
        ckpt.hint_attention = head_record(head)
        out = Colorizer(ckpt, device="cpu").colorize(truth, Guide(ab=ab, mask=mask))
        scores.append(psnr(out, truth))
    assert scores[1] > scores[0] + 1.0


def test_a_reference_photo_lends_its_colours_through_the_head(hint_ckpt):
    ckpt = load_checkpoint(hint_ckpt)
    feats = Colorizer(ckpt, device="cpu").pixel_features(np.zeros((64, 96), np.float32))[0]
    truth, reference = _two_textures(1), _two_textures(2)  # same scene, other speckles
    lum = rgb_to_lab(truth)[..., 0]
    scores = {}
    for null in (30.0, -30.0):  # a head that always falls back (gray), and one that attends
        head = _head(feats.shape[2], null=null)
        with torch.no_grad():  # no feature term: each pixel takes the reference's colours near it
            for p in head.mlp.parameters():
                p.zero_()
            head.w_xy.fill_(5.0)
        ckpt.hint_attention = head_record(head)
        out = Colorizer(ckpt, device="cpu").colorize_like(truth, reference)  # colour in: its L
        assert np.abs(rgb_to_lab(out)[..., 0] - lum).mean() < 1.0
        scores[null] = psnr(out, truth)
    gray = compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))
    # where the reading's lightness disagrees (the speckles), the attention's colours count
    assert scores[30.0] > psnr(gray, truth) + 3.0
    assert scores[-30.0] > scores[30.0] + 1.5
    # one colorizer, references in turn (dir --reference): each call follows its own reference,
    # also one changed in place, as a fresh colorizer would
    c = Colorizer(ckpt, device="cpu")
    other = reference[..., ::-1].copy()  # the same scene in other colours
    first, second = c.colorize_like(truth, reference), c.colorize_like(truth, other)
    assert np.abs(first.astype(int) - second.astype(int)).max() > 10
    assert np.array_equal(second, Colorizer(ckpt, device="cpu").colorize_like(truth, other))
    reference[:] = other
    assert np.array_equal(c.colorize_like(truth, reference), second)


def test_an_automatic_model_with_the_head_follows_hints_from_the_command_line(tmp_path, tiny_ckpt):
    ckpt = load_checkpoint(tiny_ckpt)  # its network takes no hints
    feats = Colorizer(ckpt, device="cpu").pixel_features(np.zeros((48, 64), np.float32))[0]
    head = _head(feats.shape[2], null=-30.0)
    ckpt.hint_attention = head_record(head)
    model = save_checkpoint(ckpt, tmp_path / "auto_head.pt")
    src = tmp_path / "in.png"
    Image.fromarray(gradient_rgb(48, 64)[..., 0]).save(src)
    r = CliRunner().invoke(
        main,
        [
            "image",
            "--model",
            str(model),
            "-q",
            "--hint",
            "30,20,#2050c0",
            str(src),
            str(tmp_path / "o.png"),
        ],
    )
    assert r.exit_code == 0, r.output
    lab = rgb_to_lab(np.asarray(Image.open(tmp_path / "o.png")))
    want = rgb_to_lab(np.array([[[0x20, 0x50, 0xC0]]], np.uint8))[0, 0]
    hue = np.degrees(np.arctan2(lab[..., 2], lab[..., 1]))
    assert np.median(np.abs(hue - np.degrees(np.arctan2(want[2], want[1])))) < 20


def test_a_reference_that_shows_other_things_is_trusted_less():
    """The more of the photo finds nothing like it in the reference, the more its colours are
    scaled toward gray, down to a floor; a reference of the same things is followed in full."""
    from colorcli.exemplar import OTHER_THINGS_FLOOR, reference_trust

    shares = np.linspace(0.0, 0.5, 26)
    trust = [reference_trust(float(s)) for s in shares]
    assert trust[0] == 1.0 and reference_trust(0.005) == 1.0
    assert all(a >= b for a, b in zip(trust, trust[1:], strict=False))
    assert trust[-1] == OTHER_THINGS_FLOOR and 0.25 <= reference_trust(0.1) < 1.0


def test_where_a_references_pixel_lies_counts_as_much_as_the_two_are_framed_alike():
    """Two keys alike in everything but their place: the one where the pixel is takes more of
    its attention the more the reference agrees with the photo (one framing), less where the
    two agree nowhere (another framing); ``framing_xy`` grows from its floor to its top."""
    from colorcli.attend import attend
    from colorcli.exemplar import FRAMING_XY, framing_xy

    h, w = 8, 8
    feats = torch.zeros(h, w, 3)
    l_out = np.full((h, w), 50.0, np.float32)
    k_ab = np.zeros((h, w, 2), np.float32)
    k_ab[:, : w // 2] = (40.0, 0.0)  # the left half's colour, the right's (0, 40)
    k_ab[:, w // 2 :] = (0.0, 40.0)
    mask = np.ones((h, w), np.float32)
    zero = np.zeros((h, w, 2), np.float32)

    def left_share(agreement: float) -> float:
        keys = (feats, l_out, k_ab, mask)
        ab, _ = attend(_head(3), feats, zero, l_out, keys, None, framing_xy(agreement))
        return float(ab[:, 0, 0].mean() / 40.0)  # the left edge's pixels: red by place only

    assert framing_xy(0.0) == FRAMING_XY[0] and framing_xy(1.0) == FRAMING_XY[1]
    assert framing_xy(2.0) == FRAMING_XY[1] and framing_xy(0.5) == sum(FRAMING_XY) / 2
    shares = [left_share(a) for a in (0.0, 0.5, 1.0)]
    assert shares[0] < shares[1] < shares[2] and shares[0] > 0.5


def test_below_one_the_temperature_gives_each_pixel_more_of_its_likest_key():
    """Two keys of other colours, the pixels' features nearer one: the colder the attention,
    the more of that key's colour they take; temperature 1 is the head's own attention."""
    from colorcli.attend import attend

    h, w = 6, 6
    q = torch.zeros(h, w, 3)
    q[..., 0] = 0.6  # nearer the first key's features (1, 0, 0) than the second's (0, 1, 0)
    k_feats, l_out = _two_halves(h, w)  # the keys: one kind left, the other right
    k_ab = np.zeros((h, w, 2), np.float32)
    k_ab[:, : w // 2] = (40.0, 0.0)
    k_ab[:, w // 2 :] = (0.0, 40.0)
    keys = (k_feats, l_out, k_ab, np.ones((h, w), np.float32))
    zero = np.zeros((h, w, 2), np.float32)
    head = _telling_apart(_head(3), 3.0)  # the two told apart; no weight on the place
    with torch.no_grad():
        head.w_xy.fill_(-30.0)

    def first_share(temperature: float) -> float:
        ab, _ = attend(head, q, zero, l_out, keys, None, 1.0, temperature)
        return float(ab[..., 0].mean() / (ab[..., 0].mean() + ab[..., 1].mean()))

    plain, _ = attend(head, q, zero, l_out, keys)
    same, _ = attend(head, q, zero, l_out, keys, None, 1.0, 1.0)
    assert np.array_equal(plain, same)
    shares = [first_share(t) for t in (2.0, 1.0, 0.8, 0.5)]
    assert 0.5 < shares[0] < shares[1] < shares[2] < shares[3]
