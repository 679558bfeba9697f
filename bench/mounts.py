"""Prints on card mounts (``colorcli/mounts.py``) and album pages (``colorcli/albumpages.py``):
does the card or page keep the colours the scan shows, does each print colour as it does
alone, and are the prints found?

    python bench/mounts.py [--data runs/wide-data/val] [--model M.pt] [--false DIR ...]
                           [--sheet OUT.jpg]

Each held-out photo (colourfulness 15 and up) made black and white and mounted on a card of
one of six colours in turn (cream, ivory, brown, black, gray-green, maroon: Lab below, with
a little texture), wider below, a studio's name in gilt under the print, saved as JPEG
(quality 92). For the colorizer as it is and as it was before mounts were looked for (the
same colorizer framing with ``colorcli.borders`` alone and composing every margin neutral,
``BEFORE``): the
print's PSNR against the truth, the card's mean Lab distance (CIE76) from the scan's; the
print coloured alone; how many mounts are found to within 3 pixels (by ``mount_box``, or
where it finds none, as margins by ``colorcli.borders`` on lightness). Album pages: the same photos four to a page
(each scaled to 300 pixels wide, on black, white, cream, brown or gray-green paper, a
caption in white or dark ink under each), before (the page coloured whole, as it was) and
now; how many pages are split into their four prints. Mixed pages: the same, one or two of
the four left in colour (before, such a page was a colour photograph, kept whole with
--keep-colour, recoloured whole without): are the prints found and told apart, is each
colour print kept as scanned, what the black-and-white ones score. Contact sheets: the photos as strips of five frames
on their film base, before (each strip coloured whole) and now. Targets: each photo as a museum scans
a print, a gray scale and a colour target beside it, before (coloured whole) and now.
Photo corners: the same photos four to a page, held by black or gold corners, every other
page's prints with a white border: the corners' and borders' distance from the scan, the
prints' PSNR, before (corners not looked for) and now. ``--false``: folders of photos
(colour, and each made gray) on which a mount, an album page or photo corners are counted as
a false find.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import colorcli.albumpages as ap  # noqa: E402
import colorcli.mounts as mt  # noqa: E402
import colorcli.photobatch as cz  # noqa: E402
import colorcli.photocorners as pc  # noqa: E402
from bench.cards import readable_photos  # noqa: E402
from colorcli.albumpages import page_prints  # noqa: E402
from colorcli.borders import compose_framed, content_box  # noqa: E402
from colorcli.colorizer import Colorizer  # noqa: E402
from colorcli.compose import lightness  # noqa: E402
from colorcli.filmstrips import strip_frames  # noqa: E402
from colorcli.imageio import read_image  # noqa: E402
from colorcli.incolour import in_colour  # noqa: E402
from colorcli.kernels import compose_rgb8, lab_to_rgb, rgb_to_lab  # noqa: E402
from colorcli.mounts import mount_box  # noqa: E402
from colorcli.quality import colorfulness, psnr  # noqa: E402
from colorcli.targets import gray_scale  # noqa: E402
from colorcli.train.evaluate import _load_rgb8, eval_paths  # noqa: E402

CARDS = {
    "cream": (82, 2, 14),
    "ivory": (90, 0, 8),
    "brown": (28, 8, 16),
    "black": (12, 1, 2),
    "gray-green": (55, -4, 6),
    "maroon": (30, 25, 10),
}


def gray(rgb: np.ndarray) -> np.ndarray:
    lum = lightness(rgb)
    return compose_rgb8(lum, np.zeros(lum.shape + (2,), np.float32))


def mounted(truth: np.ndarray, lab, seed: int):
    """The photo in black and white on a card of colour ``lab``, and where it lies."""
    rng = np.random.default_rng(seed)
    h, w = truth.shape[:2]
    top, side = int(h * rng.uniform(0.06, 0.15)), int(w * rng.uniform(0.05, 0.12))
    bottom = int(h * rng.uniform(0.15, 0.3))
    card = np.zeros((h + top + bottom, w + 2 * side, 3), np.float32)
    card[:] = lab
    card[..., 0] += rng.normal(0, 1.0, card.shape[:2])
    out = (lab_to_rgb(card) * 255).clip(0, 255).astype(np.uint8)
    out[top : top + h, side : side + w] = gray(truth)
    at = (side + w // 6, top + h + bottom // 2)
    cv2.putText(out, "PHOTOGRAPHER", at, 0, max(0.4, w / 600), (170, 140, 60), max(1, w // 300))
    _, enc = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    out = np.ascontiguousarray(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1])
    return out, (top, top + h, side, side + w)


def _as_before(lf, ab, box, dtype, image=None):
    """``compose_framed`` as it was: every margin neutral, whatever the scan shows there."""
    return compose_framed(lf, ab, box, dtype)


# the photo batch's framing, composing and album pages as they were before mounts and pages
BEFORE = (lambda im, lf: content_box(lf), _as_before, lambda im: None)


def cards(c: Colorizer, data: Path) -> None:
    found_now = (cz.framing, cz.compose_framed, cz.page_prints)
    rows: dict[str, list] = {"before": [], "now": [], "print alone": []}
    found: dict[str, list[bool]] = {}
    photos = [
        im for im in (_load_rgb8(p, None) for p in eval_paths(data)) if colorfulness(im) >= 15
    ]
    for i, truth in enumerate(photos):
        name = list(CARDS)[i % len(CARDS)]
        card, (y0, y1, x0, x1) = mounted(truth, CARDS[name], i)
        on_card = np.ones(card.shape[:2], bool)
        on_card[y0:y1, x0:x1] = False
        for label, how in (("before", BEFORE), ("now", found_now)):
            cz.framing, cz.compose_framed, cz.page_prints = how
            out = c.colorize(card)
            off = np.linalg.norm(rgb_to_lab(out)[on_card] - rgb_to_lab(card)[on_card], axis=-1)
            rows[label].append((psnr(out[y0:y1, x0:x1], truth), float(off.mean())))
        cz.framing, cz.compose_framed, cz.page_prints = found_now
        rows["print alone"].append((psnr(c.colorize(card[y0:y1, x0:x1]), truth), 0.0))
        lum = lightness(card)
        box = mount_box(card, lum) or content_box(lum)  # the card, or borders.py's margins
        near = (
            box is not None
            and max(abs(box.y0 - y0), abs(box.y1 - y1), abs(box.x0 - x0), abs(box.x1 - x1)) <= 3
        )
        found.setdefault(name, []).append(near)
    print(f"{len(photos)} photos of {data}, each on a card")
    for label, v in rows.items():
        a = np.asarray(v)
        print(
            f"  {label:<12} print {a[:, 0].mean():6.2f} dB   card off by {a[:, 1].mean():5.2f} (Lab)"
        )
    print(
        "  mount found to within 3 px: "
        + ", ".join(f"{k} {sum(v)}/{len(v)}" for k, v in found.items())
    )


PAPERS = {
    "black": (12, 1, 2),
    "white": (94, 0, 2),
    "cream": (84, 2, 12),
    "brown": (30, 8, 14),
    "gray-green": (55, -4, 6),
}


def album_page(photos: list[np.ndarray], lab, seed: int, colour: tuple[int, ...] = ()):
    """Four photos in black and white (those numbered in ``colour`` in colour) on a page of
    colour ``lab``, a caption under each; the page as a JPEG scan, and where each lies."""
    rng = np.random.default_rng(seed)
    small = [
        cv2.resize(p, (300, round(300 * p.shape[0] / p.shape[1])), interpolation=cv2.INTER_AREA)
        for p in photos
    ]
    small = [p[:260] for p in small]
    H, W = 40 + 300 + 320 + 20, 760
    page = np.zeros((H, W, 3), np.float32)
    page[:] = lab
    page[..., 0] += rng.normal(0, 1.0, (H, W))
    out = (lab_to_rgb(page) * 255).clip(0, 255).astype(np.uint8)
    ink = (235, 235, 235) if lab[0] < 50 else (40, 40, 60)
    places = []
    for k, p in enumerate(small):
        y, x = (40 if k < 2 else 360), (50 if k % 2 == 0 else 410)
        out[y : y + p.shape[0], x : x + p.shape[1]] = p if k in colour else gray(p)
        cv2.putText(out, f"Summer {1950 + k}", (x + 60, y + p.shape[0] + 22), 0, 0.55, ink, 1)
        places.append((y, y + p.shape[0], x, x + p.shape[1], p))
    _, enc = cv2.imencode(".jpg", out[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
    return np.ascontiguousarray(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1]), places


def pages(c: Colorizer, data: Path) -> None:
    photos = [
        im for im in (_load_rgb8(p, None) for p in eval_paths(data)) if colorfulness(im) >= 15
    ]
    found_now = cz.page_prints
    rows: dict[str, list] = {"before": [], "now": [], "prints alone": []}
    split = 0
    n = len(photos) // 4
    for i in range(n):
        name = list(PAPERS)[i % len(PAPERS)]
        page, places = album_page(photos[4 * i : 4 * i + 4], PAPERS[name], i)
        on_page = np.ones(page.shape[:2], bool)
        for y0, y1, x0, x1, _ in places:
            on_page[y0:y1, x0:x1] = False
        prints = page_prints(page)
        split += prints is not None and len(prints) == 4
        for label, find in (("before", lambda im: None), ("now", found_now)):
            cz.page_prints = find
            out = c.colorize(page)
            off = np.linalg.norm(rgb_to_lab(out)[on_page] - rgb_to_lab(page)[on_page], axis=-1)
            scores = [psnr(out[y0:y1, x0:x1], p) for y0, y1, x0, x1, p in places]
            rows[label].append((float(np.mean(scores)), float(off.mean())))
        cz.page_prints = found_now
        alone = [psnr(c.colorize(page[y0:y1, x0:x1]), p) for y0, y1, x0, x1, p in places]
        rows["prints alone"].append((float(np.mean(alone)), 0.0))
    print(f"{n} album pages of four of those photos")
    for label, v in rows.items():
        a = np.asarray(v)
        print(
            f"  {label:<12} prints {a[:, 0].mean():6.2f} dB   page off by {a[:, 1].mean():5.2f} (Lab)"
        )
    print(f"  split into their four prints: {split} of {n}")


def mixed_pages(c: Colorizer, data: Path) -> None:
    """Album pages of four photos, one or two of them in colour: before, such a page was a
    colour photograph (--keep-colour kept it whole, its black-and-white prints gray; without
    it, it was coloured whole, its colour prints recoloured). A
    print counts as in colour where it does alone (``in_colour``: a photo of faint colours
    is coloured again, on a page as alone)."""
    photos = [
        im for im in (_load_rgb8(p, None) for p in eval_paths(data)) if colorfulness(im) >= 15
    ]
    n = len(photos) // 4
    split = told = kept = 0
    kept_off, bw_gray, bw_now = [], [], []
    for i in range(n):
        colour = (i % 4,) if i % 2 == 0 else (i % 4, (i + 2) % 4)
        lab = PAPERS[list(PAPERS)[i % len(PAPERS)]]
        page, places = album_page(photos[4 * i : 4 * i + 4], lab, i, colour)
        prints = page_prints(page) or []
        split += len(prints) == 4
        flags = {(p[0].start // 100, p[1].start // 100): p[3] == "colour" for p in prints}
        alone = [in_colour(page[y0:y1, x0:x1]) for y0, y1, x0, x1, _ in places]
        wanted = zip(alone, places, strict=True)
        told += flags == {(y0 // 100, x0 // 100): a for a, (y0, _, x0, *_) in wanted}
        out = c.colorize(page)
        for k, (y0, y1, x0, x1, p) in enumerate(places):
            if alone[k]:
                d = rgb_to_lab(out[y0:y1, x0:x1]) - rgb_to_lab(page[y0:y1, x0:x1])
                kept_off.append(float(np.linalg.norm(d, axis=-1).mean()))
            elif k not in colour:
                bw_gray.append(psnr(page[y0:y1, x0:x1], p))
                bw_now.append(psnr(out[y0:y1, x0:x1], p))
            kept += k in colour and alone[k]
    print(f"{n} album pages of four, one or two of them in colour")
    print(
        f"  split into their four prints: {split} of {n}; prints told apart as alone: {told} of {n}"
    )
    print(
        f"  {len(kept_off)} colour prints in colour alone, off the scan by {np.mean(kept_off):.2f} (Lab)"
    )
    print(
        f"  black-and-white prints: before {np.mean(bw_gray):.2f} dB (--keep-colour kept the page whole)"
    )
    print(f"                          now    {np.mean(bw_now):.2f} dB")


FIND_CORNERS = pc.find_corners
CORNERS = {"black": (22, 20, 24), "gold": (176, 142, 64)}


def with_corners(page: np.ndarray, box, leg: int, colour) -> np.ndarray:
    """Photo corners of ``leg`` pixels drawn over the corners of ``box`` (y0, y1, x0, x1),
    reaching 3 pixels past the print as glued ones do; returns their mask."""
    y0, y1, x0, x1 = box
    yy, xx = np.mgrid[0 : page.shape[0], 0 : page.shape[1]]
    mask = np.zeros(page.shape[:2], bool)
    for cy, cx, sy, sx in ((y0 - 3, x0 - 3, 1, 1), (y0 - 3, x1 + 2, 1, -1),
                           (y1 + 2, x0 - 3, -1, 1), (y1 + 2, x1 + 2, -1, -1)):  # fmt: skip
        dy, dx = (yy - cy) * sy, (xx - cx) * sx
        mask |= (dy >= 0) & (dx >= 0) & (dy + dx < leg)
    page[mask] = colour
    return mask


def corners(c: Colorizer, data: Path) -> None:
    """Album pages of four black-and-white prints held by black or gold photo corners (legs
    a tenth of a print's short side), every other page's prints with a white border 12
    pixels wide: before (corners not looked for) and now, the corners' and borders' mean
    Lab distance from the scan and the prints' PSNR (corners and borders left out)."""
    photos = [
        im for im in (_load_rgb8(p, None) for p in eval_paths(data)) if colorfulness(im) >= 15
    ]
    n = len(photos) // 4
    rows: dict[str, list] = {"before": [], "now": []}
    for i in range(n):
        b = 12 if i % 2 else 0  # white borders on every other page
        group = [
            cv2.resize(p, (300 - 2 * b, round((300 - 2 * b) * p.shape[0] / p.shape[1])))
            for p in photos[4 * i : 4 * i + 4]
        ]
        white = (242, 242, 242)
        group = [cv2.copyMakeBorder(p[: 260 - 2 * b], b, b, b, b, 0, value=white) for p in group]
        page, places = album_page(group, PAPERS[list(PAPERS)[i % len(PAPERS)]], i)
        held = np.zeros(page.shape[:2], bool)
        colour = CORNERS["black" if i % 3 else "gold"]
        for y0, y1, x0, x1, _ in places:
            held |= with_corners(page, (y0, y1, x0, x1), min(y1 - y0, x1 - x0) // 10, colour)
        for label, find in (("before", lambda im: []), ("now", FIND_CORNERS)):
            for module in (pc, cz, ap, mt):  # wherever it is called from
                module.find_corners = find
            out = c.colorize(page)
            off = np.linalg.norm(rgb_to_lab(out)[held] - rgb_to_lab(page)[held], axis=-1)
            scores, border_off = [], []
            for y0, y1, x0, x1, p in places:
                inner = (slice(y0 + b, y1 - b), slice(x0 + b, x1 - b))
                keep = ~held[inner]
                scores.append(
                    psnr(out[inner][keep], p[b : p.shape[0] - b, b : p.shape[1] - b][keep])
                )
                if b:
                    ring = np.zeros(page.shape[:2], bool)
                    ring[y0:y1, x0:x1] = True
                    ring[inner] = False
                    ring &= ~held
                    d = rgb_to_lab(out)[ring] - rgb_to_lab(page)[ring]
                    border_off.append(float(np.linalg.norm(d, axis=-1).mean()))
            rows[label].append((off.mean(), np.mean(scores), np.mean(border_off) if b else np.nan))
        for module in (pc, cz, ap, mt):
            module.find_corners = FIND_CORNERS
    print(f"{n} album pages of four prints held by photo corners (black or gold)")
    for label, v in rows.items():
        a = np.asarray(v, dtype=float)
        print(
            f"  {label:<7} corners off by {a[:, 0].mean():5.2f} (Lab)   prints {a[:, 1].mean():6.2f} dB"
            f"   white borders off by {np.nanmean(a[:, 2]):5.2f} (Lab)"
        )


def targets(c: Colorizer, data: Path) -> None:
    """Each held-out photo in black and white on a black or white ground, a gray scale (20
    numbered steps) under it and a colour target (24 patches) beside that, as a museum
    scans a print: before (no album page looked for: the scan was coloured whole, or kept
    whole with --keep-colour, being in colour) and now, the print's PSNR, the gray scale's
    chroma and the target's mean Lab distance from the scan."""
    photos = [
        im for im in (_load_rgb8(p, None) for p in eval_paths(data)) if colorfulness(im) >= 15
    ]
    rng = np.random.default_rng(0)
    wedge = np.zeros((40, 400, 3), np.uint8)
    for k in range(20):
        wedge[:, 20 * k : 20 * k + 20] = 245 - 12 * k
        ink = (255,) * 3 if k > 9 else (0,) * 3
        cv2.putText(wedge, str(k), (20 * k + 3, 26), 0, 0.35, ink, 1)
    rows: dict[str, list] = {"before": [], "now": []}
    found_now, split = cz.page_prints, 0
    for i, photo in enumerate(photos):
        p = cv2.resize(photo, (500, round(500 * photo.shape[0] / photo.shape[1])))[:400]
        target = np.full((94, 142, 3), 15, np.uint8)
        for r in range(4):
            for q in range(6):
                target[4 + 23 * r : 23 + 23 * r, 4 + 23 * q : 23 + 23 * q] = rng.integers(
                    30, 230, 3
                )
        scan = np.full((p.shape[0] + 170, 620, 3), 18 if i % 2 else 238, np.uint8)
        scan[30 : 30 + p.shape[0], 40:540] = gray(p)
        y = 60 + p.shape[0]
        scan[y : y + 40, 40:440] = wedge
        scan[y : y + 94, 460:602] = target
        _, enc = cv2.imencode(".jpg", scan[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 92])
        scan = np.ascontiguousarray(cv2.imdecode(enc, cv2.IMREAD_COLOR)[..., ::-1])
        split += found_now(scan) is not None
        for label, find in (("before", lambda im: None), ("now", found_now)):
            cz.page_prints = find
            out = c.colorize(scan)
            lab_out, lab_in = rgb_to_lab(out), rgb_to_lab(scan)
            chroma = np.hypot(*lab_out[y : y + 40, 40:440][..., 1:].reshape(-1, 2).T)
            off = np.linalg.norm(
                lab_out[y : y + 94, 460:602] - lab_in[y : y + 94, 460:602], axis=-1
            )
            rows[label].append(
                (
                    psnr(out[30 : 30 + p.shape[0], 40:540], p),
                    chroma.mean(),
                    chroma.max(),
                    off.mean(),
                )
            )
        cz.page_prints = found_now
    print(
        f"{len(photos)} scans of a print with a gray scale and a colour target (black or white ground)"
    )
    for label, v in rows.items():
        a = np.asarray(v, dtype=float)
        print(
            f"  {label:<7} print {a[:, 0].mean():6.2f} dB   gray scale chroma {a[:, 1].mean():5.2f}"
            f" (max {a[:, 2].max():4.1f})   target off by {a[:, 3].mean():5.2f} (Lab)"
        )
    print(f"  found as a print beside other pieces: {split} of {len(photos)}")


def contact_sheets(
    c: Colorizer, data: Path, perforated: bool = False, tilt: float = 0.0, square: bool = False
) -> None:
    """The held-out photos as a contact sheet: strips of five frames (216 x 144, made gray) on
    their film base, each frame's number under it, on white paper (``perforated``: 35 mm
    film's perforations in the base above and below the frames, its edge print among them;
    ``tilt``: the sheet scanned askew by that many degrees; ``square``: 120 film, strips of
    three square frames, 200 x 200, wider gaps); before (strips coloured whole) and now, the
    frames' PSNR, each frame coloured alone, and the paper's and film base's mean Lab
    distance from the scan."""
    photos = [p for p in (_load_rgb8(q, None) for q in eval_paths(data)) if min(p.shape[:2]) >= 200]
    n, fw, fh, g = (3, 200, 200, 14) if square else (5, 216, 144, 8)
    m, rows_n = 33 if perforated else 12 if square else 14, len(photos) // n
    sheet = np.full((80 + rows_n * (fh + 2 * m + 12), 80 + n * (fw + g), 3), 240, np.uint8)
    truth = sheet.copy()
    which = np.zeros(sheet.shape[:2], np.int16)  # 0 paper, -1 film base, k + 1 frame k
    for r in range(rows_n):
        y, x1 = 26 + m + r * (fh + 2 * m + 12), 50 + n * (fw + g) - g
        sheet[y - m : y + fh + m, 30:x1] = 20
        which[y - m : y + fh + m, 30:x1] = -1
        for x in np.arange(34, x1 - 17, 28.5).astype(int) if perforated else ():
            for y0 in (y - m + 10, y + fh + m - 22):  # a perforation: 17 x 12 of clear base
                sheet[y0 : y0 + 12, x : x + 17] = 235
        if perforated:
            cv2.putText(sheet, "KODAK 5063 TX  12", (80, y + fh + m - 1), 0, 0.3, (150,) * 3, 1)
        for k in range(n):
            x, photo = 40 + k * (fw + g), photos[n * r + k]
            if square:  # its middle square
                h, w = photo.shape[:2]
                e = min(h, w)
                photo = photo[(h - e) // 2 : (h - e) // 2 + e, (w - e) // 2 : (w - e) // 2 + e]
            p = cv2.resize(photo, (fw, fh), interpolation=cv2.INTER_AREA)
            sheet[y : y + fh, x : x + fw] = gray(p)
            truth[y : y + fh, x : x + fw] = p
            which[y : y + fh, x : x + fw] = n * r + k + 1
            if not perforated:
                cv2.putText(
                    sheet, f"{n * r + k + 1}", (x + fw // 2, y + fh + 11), 0, 0.35, (200,) * 3, 1
                )
    if tilt:
        h, w = which.shape
        turn = cv2.getRotationMatrix2D((w / 2, h / 2), tilt, 1.0)
        sheet, truth = (
            cv2.warpAffine(im, turn, (w, h), borderValue=(240, 240, 240)) for im in (sheet, truth)
        )
        which = cv2.warpAffine(which, turn, (w, h), flags=cv2.INTER_NEAREST)
    frames = [which == k + 1 for k in range(n * rows_n)]
    kind = "35 mm strips (perforated)" if perforated else "120 strips" if square else "strips"
    askew = f", {tilt} degrees askew" if tilt else ""
    print(f"a contact sheet of {rows_n} {kind} of {n} held-out photos{askew}")
    found_now = ap.strip_frames
    for label, find in (("before", lambda im: None), ("now", found_now)):
        ap.strip_frames = find
        out = c.colorize(sheet)
        score = np.mean([psnr(out[f], truth[f]) for f in frames])
        off = [
            np.linalg.norm(rgb_to_lab(out)[mask] - rgb_to_lab(sheet)[mask], axis=-1).mean()
            for mask in (which == 0, which == -1)
        ]
        print(
            f"  {label:<7} frames {score:6.2f} dB   paper off by {off[0]:5.2f}   film base off by {off[1]:5.2f} (Lab)"
        )
    ap.strip_frames = found_now
    pieces = page_prints(sheet) or []
    print(f"  strips cut into their frames: {(len(pieces) - rows_n) // (n - 1)} of {rows_n}")
    alone = []
    for f in frames:
        ys, xs = np.nonzero(f)
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        done = c.colorize(np.ascontiguousarray(sheet[box]))
        alone.append(psnr(done[f[box]], truth[box][f[box]]))
    print(f"  frames coloured alone {np.mean(alone):6.2f} dB")


def false_finds(folders: list[Path]) -> None:
    n = hits = scales = strips = 0
    for p, im in readable_photos(folders):
        if im.ndim != 3 or im.dtype != np.uint8:
            continue
        im = np.ascontiguousarray(im[..., :3])
        n += 1
        for pic in (im, gray(im)):
            found = mount_box(pic, lightness(pic)) is not None or page_prints(pic) is not None
            if found or pc.find_corners(pic):
                hits += 1
                print(f"  a mount, an album page or photo corners found in {p}")
            if strip_frames(pic) is not None:
                strips += 1
                print(f"  a strip of film frames found in {p}")
        h, w = im.shape[:2]  # bands of it as long as a gray scale, made gray
        for band in (im[: h // 4], im[:, : w // 4], im[h // 3 : h // 3 + h // 4], im):
            if gray_scale(gray(np.ascontiguousarray(band))):
                scales += 1
                print(f"  a gray scale found in {p}")
    print(
        f"{n} photos (in colour and made gray): {hits} taken for mounted prints or held by corners"
    )
    print(f"  {2 * n} of them as prints: {strips} taken for a strip of film frames")
    print(f"  {4 * n} bands of them made gray: {scales} taken for a gray scale")


def sheet(c: Colorizer, path: Path) -> None:
    """Two scans made from the samples (chelsea on a brown cabinet card; chelsea, coffee,
    astronaut and aitzgorri on a black album page), each as scanned, coloured as before
    (mounts and pages not looked for) and now, side by side, written to ``path``."""
    root = Path(__file__).resolve().parents[1] / "samples"
    pics = [
        read_image(root / f"{n}_bw.jpg").rgb
        for n in ("chelsea", "coffee", "astronaut", "aitzgorri")
    ]
    card, _ = mounted(pics[0], CARDS["brown"], 3)
    page, _ = album_page(pics, PAPERS["black"], 0)
    rows = []
    for scan in (card, page):
        saved = (cz.framing, cz.compose_framed, cz.page_prints)
        cz.framing, cz.compose_framed, cz.page_prints = BEFORE
        before = c.colorize(scan)
        cz.framing, cz.compose_framed, cz.page_prints = saved
        now = c.colorize(scan)
        gap = np.full((scan.shape[0], 8, 3), 255, np.uint8)
        row = np.hstack([scan, gap, before, gap, now])
        rows.append(
            cv2.resize(
                row, (900, round(row.shape[0] * 900 / row.shape[1])), interpolation=cv2.INTER_AREA
            )
        )
    out = np.vstack([rows[0], np.full((8, 900, 3), 255, np.uint8), rows[1]])
    cv2.imwrite(str(path), cv2.cvtColor(out, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {path}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("runs/wide-data/val"))
    ap.add_argument("--model", default=None)
    ap.add_argument("--false", type=Path, nargs="*", default=[])
    ap.add_argument("--sheet", type=Path, default=None, help="also write the picture here")
    args = ap.parse_args()
    c = Colorizer(args.model, device="cpu")
    if args.sheet is not None:
        sheet(c, args.sheet)
    cards(c, args.data)
    pages(c, args.data)
    mixed_pages(c, args.data)
    corners(c, args.data)
    targets(c, args.data)
    contact_sheets(c, args.data)
    contact_sheets(c, args.data, perforated=True)
    contact_sheets(c, args.data, tilt=1.0)
    contact_sheets(c, args.data, perforated=True, tilt=2.0)
    contact_sheets(c, args.data, square=True)
    if args.false:
        false_finds(args.false)


if __name__ == "__main__":
    main()
