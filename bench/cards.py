"""How often ``colorcli.cards`` finds a title card or a blank, and how often it takes a picture
for one.

    python bench/cards.py [--cards 300] [--pages 30] [--photos runs/wide-data runs/outside-test samples]
                          [--clips runs/clips] [--every 5] [--sheet OUT.jpg]

Found: synthetic cards, seeded, made as scans of intertitles are (a dark or light ground, one
to five lines of lettering in one of five faces, a border or not, the lamp's falloff, uneven
light, blur, grain, dust, scratches, JPEG at 40 to 90 half the time), synthetic typed pages
and densely typed ones (--dense: full lines, one to three columns), looked at as a large photo
is (``colorcli.cards.is_page``). Taken for cards: every
photo under --photos (``python train/recipes/gather_wide.py runs/wide-data`` and
``bash train/recipes/outside_test.sh`` gather them) and every --every-th frame of the films
under --clips. Each picture is seen as the network sees it (256 pixels on its short side),
and a photo twice that large also as a page. Blanks: the synthetic cards' grounds (any gray)
with no lettering, the same light, grain, dust, scratches and JPEG; a photo or frame given
less than all of its colour is counted taken for one.
--sheet: three cards (the tests' ``title_card``: dark, middle and light grounds) coloured by
the shipped model with --colour-cards (as before) and as now, one row each.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import av
import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from colorcli.cards import (  # noqa: E402
    DENSE_SIDE,
    PAGE_SIDE,
    PROBE_SIDE,
    colour_share,
    is_card,
    is_page,
)
from colorcli.imageio import read_image  # noqa: E402
from colorcli.kernels import rgb_to_lab  # noqa: E402
from colorcli.options import PHOTO_EXTS  # noqa: E402

FACES = (
    cv2.FONT_HERSHEY_COMPLEX,
    cv2.FONT_HERSHEY_SIMPLEX,
    cv2.FONT_HERSHEY_TRIPLEX,
    cv2.FONT_HERSHEY_SCRIPT_COMPLEX,
    cv2.FONT_HERSHEY_DUPLEX,
)
WORDS = (
    "THE NEXT MORNING Mary went to the old mill and there she found A YEAR LATER "
    "Meanwhile in the city END OF PART ONE"
).split()


def as_network_sees(l_full: np.ndarray, side: int = 256) -> np.ndarray:
    h, w = l_full.shape
    k = side / min(h, w)
    size = (max(1, round(w * k)), max(1, round(h * k)))
    return cv2.resize(l_full, size, interpolation=cv2.INTER_AREA)


def looked_as_page(l_full: np.ndarray) -> bool:
    """As the colorizer looks at a large photo the network-size look did not find
    (``is_page``: plain enough at the network's size, then lettering looked at larger)."""
    return is_page(l_full, as_network_sees(l_full))


def card(i: int, rng: np.random.Generator, lines: int | None = None) -> np.ndarray:
    """One synthetic intertitle as L* (see the module's docstring); with ``lines=0`` a blank
    (leader, an empty frame: the same ground, light, grain, dust and scratches)."""
    h, w = [(480, 640), (576, 720), (1080, 1440), (360, 480)][i % 4]
    dark = rng.random() < 0.7
    ground = rng.uniform(3, 40) if dark else rng.uniform(70, 95)
    ink = rng.uniform(75, 98) if dark else rng.uniform(5, 30)
    mask = np.zeros((h, w), np.uint8)
    drawn, scale = int(rng.integers(1, 6)), rng.uniform(0.8, 2.2) * w / 640
    lines = drawn if lines is None else lines
    if not lines:  # leader is any gray
        ground = rng.uniform(3, 97)
    for j in range(lines):
        text = " ".join(rng.choice(WORDS, int(rng.integers(1, 5))))
        y = int(h * (0.25 + 0.5 * j / max(1, lines)))
        face = FACES[int(rng.integers(len(FACES)))]
        thick = max(1, int(2 * scale))
        cv2.putText(mask, text, (int(w * 0.08), y), face, scale, 255, thick, cv2.LINE_AA)
    if lines and rng.random() < 0.5:
        m = int(min(h, w) * rng.uniform(0.03, 0.08))
        cv2.rectangle(mask, (m, m), (w - m, h - m), 255, max(1, int(3 * scale)))
    img = ground + (ink - ground) * mask.astype(np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w]
    img -= ((yy / h - 0.5) ** 2 + (xx / w - 0.5) ** 2) * rng.uniform(0, 40) * (0.3 if dark else 1)
    img += rng.uniform(-6, 6) * (xx / w - 0.5)  # uneven light
    img = cv2.GaussianBlur(img.astype(np.float32), (0, 0), rng.uniform(0.3, 1.5))
    noise = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 0.8)
    img += noise / noise.std() * rng.uniform(1, 7)
    for _ in range(int(rng.integers(0, 30))):  # dust
        x, y, r = int(rng.integers(w)), int(rng.integers(h)), int(rng.integers(1, 4))
        img[max(0, y - r) : y + r, max(0, x - r) : x + r] = float(rng.choice([0, 100]))
    for _ in range(int(rng.integers(0, 3))):  # scratches
        img[:, int(rng.integers(w))] = float(rng.uniform(0, 100))
    img = np.clip(img, 0, 100)
    if rng.random() < 0.5:
        q = int(rng.integers(40, 90))
        _, buf = cv2.imencode(".jpg", (img * 2.55).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, q])
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 2.55
    return img


def page(rng: np.random.Generator) -> np.ndarray:
    """One synthetic typed page as L* (a letter-size page at 200 dpi: lines of small
    lettering, paragraphs, paper's uneven light and grain)."""
    h, w = 2200, 1700
    paper, ink = rng.uniform(80, 95), rng.uniform(10, 40)
    mask = np.zeros((h, w), np.uint8)
    face = FACES[int(rng.integers(len(FACES)))]
    scale = rng.uniform(0.8, 1.4)
    step, y = int(40 * scale * rng.uniform(1.1, 1.6)), int(rng.uniform(150, 400))
    while y < h - 200:
        text = " ".join(rng.choice(WORDS, int(rng.integers(4, 9))))
        cv2.putText(mask, text, (150, y), face, scale, 255, max(1, int(2 * scale)), cv2.LINE_AA)
        y += step * (2 if rng.random() < 0.1 else 1)  # now and then a paragraph
    img = paper + (ink - paper) * mask.astype(np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w]
    img += rng.uniform(-5, 5) * (xx / w - 0.5) + rng.uniform(-5, 5) * (yy / h - 0.5)
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.0)
    return np.clip(img + grain * rng.uniform(0.5, 3), 0, 100).astype(np.float32)


def dense_page(rng: np.random.Generator) -> np.ndarray:
    """One synthetic densely typed page as L* (letter size at 200 dpi): full lines of 8 to
    13 point lettering across one to three columns, single to double spaced, the paper's
    uneven light and grain, JPEG half the time."""
    h, w = 2200, 1700
    paper, ink = rng.uniform(70, 95), rng.uniform(5, 40)
    mask = np.zeros((h, w), np.uint8)
    face = FACES[int(rng.integers(len(FACES) - 1))]  # no script for a body of text
    scale, cols = rng.uniform(0.5, 0.9), int(rng.choice([1, 1, 2, 3]))
    margin, gutter = int(rng.uniform(60, 200)), 40
    width = (w - 2 * margin - gutter * (cols - 1)) // cols
    tall = cv2.getTextSize("Mg", face, scale, 1)[0][1]
    step, thick = int(tall * rng.uniform(1.5, 2.2)), max(1, round(1.6 * scale))
    for c in range(cols):
        x0 = margin + c * (width + gutter)
        for y in range(margin + tall, h - margin, step):
            x = x0
            while True:
                word = str(rng.choice(WORDS))
                wide = cv2.getTextSize(word, face, scale, thick)[0][0]
                if x + wide > x0 + width:
                    break
                cv2.putText(mask, word, (x, y), face, scale, 255, thick, cv2.LINE_AA)
                x += wide + int(0.6 * tall)
    img = paper + (ink - paper) * mask.astype(np.float32) / 255
    yy, xx = np.mgrid[0:h, 0:w]
    img += rng.uniform(-5, 5) * (xx / w - 0.5) + rng.uniform(-5, 5) * (yy / h - 0.5)
    grain = cv2.GaussianBlur(rng.standard_normal((h, w)).astype(np.float32), (0, 0), 1.0)
    img = np.clip(img + grain * rng.uniform(0.5, 3), 0, 100).astype(np.float32)
    if rng.random() < 0.5:
        q = int(rng.integers(40, 90))
        _, buf = cv2.imencode(".jpg", (img * 2.55).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, q])
        img = cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 2.55
    return img


def readable_photos(folders: list[Path]):
    """(path, pixels) of every photo under the folders that reads."""
    for folder in folders:
        for p in sorted(folder.rglob("*")):
            if p.suffix.lower() not in PHOTO_EXTS:
                continue
            try:
                px = read_image(p).pixels
            except Exception:  # noqa: BLE001 (a bench: what does not read is passed over)
                continue
            yield p, px


def photos_l(folders: list[Path]):
    """(path, L*) of every photo under the folders that reads."""
    for p, px in readable_photos(folders):
        if px.ndim == 2:
            px = np.repeat(px[..., None], 3, -1)
        if px.dtype != np.uint8:
            px = (px / 257).astype(np.uint8)
        yield str(p), rgb_to_lab(px)[..., 0]


def frames_l(folder: Path, every: int):
    """(film#frame, L*) of every ``every``-th frame of the films in ``folder``."""
    for clip in sorted(folder.glob("*.mp4")):
        with av.open(str(clip)) as c:
            for i, f in enumerate(c.decode(video=0)):
                if i % every == 0:
                    yield f"{clip}#{i}", rgb_to_lab(f.to_ndarray(format="rgb24"))[..., 0]


def sheet(out: Path) -> None:
    """Rows of card | coloured whole (--colour-cards) | now, by the shipped model."""
    from colorcli.colorizer import Colorizer
    from tests.media import title_card

    whole, now = Colorizer(device="cpu", cards=False), Colorizer(device="cpu")
    rows = []
    for ground, ink in ((20, 225), (70, 215), (230, 30)):
        gray = np.repeat(title_card(270, 360, ground=ground, ink=ink)[..., None], 3, -1)
        rows.append(np.concatenate([gray, whole.colorize(gray), now.colorize(gray)], 1))
    picture = cv2.cvtColor(np.concatenate(rows, 0), cv2.COLOR_RGB2BGR)
    cv2.imwrite(str(out), picture, [cv2.IMWRITE_JPEG_QUALITY, 88])
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cards", type=int, default=300)
    ap.add_argument("--pages", type=int, default=30)
    ap.add_argument("--dense", type=int, default=30)
    ap.add_argument(
        "--photos",
        type=Path,
        nargs="*",
        default=[Path("runs/wide-data"), Path("runs/outside-test"), Path("samples")],
    )
    ap.add_argument("--clips", type=Path, default=Path("runs/clips"))
    ap.add_argument("--every", type=int, default=5)
    ap.add_argument("--sheet", type=Path)
    a = ap.parse_args()
    if a.sheet is not None:
        sheet(a.sheet)
    rng = np.random.default_rng(0)
    found = sum(is_card(as_network_sees(card(i, rng))) for i in range(a.cards))
    print(f"synthetic cards found: {found} of {a.cards}")
    pages = sum(looked_as_page(page(rng)) for _ in range(a.pages))
    print(f"synthetic typed pages found (looked at {PAGE_SIDE}): {pages} of {a.pages}")
    shares = [colour_share(as_network_sees(card(i, rng, lines=0))) for i in range(a.cards)]
    blank = sum(s == 0.0 for s in shares)
    print(
        f"synthetic blanks left neutral: {blank} of {a.cards} (the rest given {', '.join(f'{v:.2f}' for v in sorted(shares)[blank:]) or 'nothing'} of it)"
    )
    dense_rng, ms = np.random.default_rng(1), []  # a stream of its own: the rows above unchanged
    for _ in range(a.dense):
        l_full = dense_page(dense_rng)
        t0 = time.perf_counter()
        ms.append((looked_as_page(l_full), 1000 * (time.perf_counter() - t0)))
    if ms:
        print(
            f"synthetic dense pages found (looked at {PAGE_SIDE}, then {DENSE_SIDE}): {sum(f for f, _ in ms)} of {a.dense}; {np.median([t for _, t in ms]):.0f} ms each (median)"
        )
    for what, pictures in (
        ("photos", photos_l([f for f in a.photos if f.is_dir()])),
        ("film frames", frames_l(a.clips, a.every) if a.clips.is_dir() else iter(())),
    ):
        seen, taken, ms, large, muted, page_ms = 0, [], [], 0, [], []
        for name, l_full in pictures:
            l_net = as_network_sees(l_full)
            t0 = time.perf_counter()
            if is_card(l_net):
                taken.append(name)
            ms.append(1000 * (time.perf_counter() - t0))
            if (share := colour_share(l_net)) < 1.0:
                muted.append(f"{name} (as a blank: {share:.2f} of its colour)")
            seen += 1
            if what == "photos" and min(l_full.shape) >= 2 * PROBE_SIDE:  # as a page too
                large += 1
                t0 = time.perf_counter()
                if looked_as_page(l_full):
                    taken.append(f"{name} (as a page)")
                page_ms.append(1000 * (time.perf_counter() - t0))
        cost = f"; {np.median(ms):.2f} ms each (median)" if ms else ""
        pages = ""
        if large:
            slow = sum(t > 20 for t in page_ms)  # the plain ones, given a look at letters
            pages = f" ({large} large enough were looked at as pages too: {np.median(page_ms):.0f} ms each (median), {slow} over 20 ms, the slowest {max(page_ms):.0f} ms)"
        print(f"{what} taken for cards: {len(taken)} of {seen}{pages}{cost}")
        print(f"{what} taken for blanks, in whole or part: {len(muted)} of {seen}")
        for name in taken + muted:
            print(f"  {name}")


if __name__ == "__main__":
    main()
