"""Kodak Photo CD image pacs (.pcd), the 1990s family archive on disc: read at the largest size
they hold, PhotoYCC turned into display RGB (reference white at 182 of 255 stored), upright,
and coloured through `colorize dir`. Pacs are written here at their Base size (768 x 512, stored
uncompressed: luma rows in pairs, then a row of each chroma at half size)."""

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from colorcli.cli import main
from colorcli.imageio import read_image


def write_pac(
    path: Path, luma: np.ndarray, c1: int = 156, c2: int = 137, turns: int = 0, pad: int = 0
) -> Path:
    """A Base-only image pac of (512, 768) uint8 PhotoYCC luma, flat chroma ``c1``, ``c2`` as
    stored, its rotation bits ``turns``; ``pad`` zero bytes after (a pac whose larger
    pictures are missing)."""
    head = bytearray(96 * 2048)
    head[0x800:0x807] = b"PCD_IPI"
    head[0x0E02] = turns
    half = np.full(384, c1, np.uint8).tobytes(), np.full(384, c2, np.uint8).tobytes()
    rows = b"".join(
        luma[y].tobytes() + luma[y + 1].tobytes() + half[0] + half[1] for y in range(0, 512, 2)
    )
    path.write_bytes(bytes(head) + rows + bytes(pad))
    return path


def _ramp() -> np.ndarray:
    return np.tile(np.linspace(0, 255, 768).round().astype(np.uint8), (512, 1))


def test_a_pac_is_read_as_display_rgb_with_white_at_182(tmp_path):
    """Luma 182 of 255 is PhotoYCC's reference white: tones below the knee come out as
    luma / 182 of full scale, neutral chroma as gray, and the headroom above white rolls off
    into the top of the range (255 stays 255, every step still a step)."""
    luma = _ramp()
    img = read_image(write_pac(tmp_path / "IMG0001.PCD", luma))
    assert img.info.format == "pcd" and img.pixels.shape == (512, 768, 3) and img.alpha is None
    row, stored = img.pixels[100].astype(int), luma[100].astype(int)
    assert np.ptp(row, axis=1).max() <= 1  # gray
    low = stored <= 150
    assert np.abs(row[low, 1] - stored[low] * 255 / 181.9).max() <= 1.0
    assert row[-1, 1] == 255 and 240 <= row[np.argmin(np.abs(stored - 182)), 1] <= 250
    assert np.all(np.diff(row[:, 1]) >= 0)


@pytest.mark.parametrize("c1,c2,hue", [(156, 190, "red"), (200, 137, "blue")])
def test_a_pacs_chroma_reads_as_its_colour(tmp_path, c1, c2, hue):
    """Chroma above its neutral (C1 156, C2 137 as stored) reads as blue or red."""
    img = read_image(write_pac(tmp_path / "c.pcd", np.full((512, 768), 110, np.uint8), c1, c2))
    r, g, b = img.pixels[200, 300].astype(int)
    assert (r > g + 20 and r > b + 20) if hue == "red" else (b > g + 20 and b > r + 20)


@pytest.mark.parametrize(
    "turns,shape", [(0, (512, 768)), (1, (768, 512)), (2, (512, 768)), (3, (768, 512))]
)
def test_a_pac_is_turned_upright_by_its_rotation_bits(tmp_path, turns, shape):
    """A portrait photo is stored on its side with its quarter turns in the pac's header
    (byte 0x0E02, as ImageMagick reads it): 1 turns it a quarter counter-clockwise, 3 a
    quarter clockwise, 2 a half."""
    luma = np.zeros((512, 768), np.uint8)
    luma[:40, :60] = 180  # a mark at the stored top left
    img = read_image(write_pac(tmp_path / "t.pcd", luma, turns=turns))
    assert img.pixels.shape[:2] == shape and img.info.width == shape[1]
    corner = {0: (0, 0), 1: (-1, 0), 2: (-1, -1), 3: (0, -1)}[turns]
    assert img.pixels[corner][1] > 200


def test_pacs_go_through_an_archive_and_a_damaged_one_is_one_line(tmp_path, tiny_ckpt):
    """A disc's IMAGES folder: each pac coloured into a .png; one whose larger pictures are
    missing is read at its Base size with a notice; one cut short fails in one line and the
    others still go through; the disc's OVERVIEW.PCD (thumbnails) is passed over."""
    src = tmp_path / "IMAGES"
    src.mkdir()
    write_pac(src / "IMG0001.PCD", _ramp())
    write_pac(src / "IMG0002.PCD", _ramp(), pad=100_000)  # claims more than its Base
    cut = write_pac(src / "IMG0003.PCD", _ramp())
    cut.write_bytes(cut.read_bytes()[:400_000])
    (src / "OVERVIEW.PCD").write_bytes(b"PCD_OPA" + bytes(20_000))  # the disc's thumbnails
    r = CliRunner().invoke(
        main, ["dir", str(src), "-o", str(tmp_path / "out"), "--model", str(tiny_ckpt), "-q"]
    )
    assert r.exit_code == 1
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["IMG0001.png", "IMG0002.png"]
    assert (
        f"notice: {src / 'IMG0002.PCD'}: its larger pictures cannot be decoded (damaged or cut short): read at 768x512"
        in r.output
    )
    assert (
        f"failed: {src / 'IMG0003.PCD'}: damaged or truncated Photo CD image pac (no picture of it decodes)"
        in r.output
    )
    assert "Traceback" not in r.output and "1 system folders and files passed over" in r.output


def test_a_discs_overview_is_named_for_what_it_is(tmp_path, tiny_ckpt):
    """OVERVIEW.PCD holds thumbnails of a disc's pictures: `colorize image` says so in one
    line (it said "not a supported image")."""
    src = tmp_path / "OVERVIEW.PCD"
    src.write_bytes(b"PCD_OPA" + bytes(20_000))
    r = CliRunner().invoke(
        main, ["image", str(src), str(tmp_path / "o.png"), "--model", str(tiny_ckpt)]
    )
    assert r.exit_code == 1 and r.output.count("\n") == 1
    assert "a Photo CD overview (thumbnails of the disc's pictures), not a picture" in r.output


def test_a_pac_whose_larger_pictures_are_missing_gives_its_base_picture(tmp_path):
    """Where 16Base and 4Base do not decode, the Base picture is read: the same pixels as a
    pac that holds Base alone, and a notice."""
    alone = read_image(write_pac(tmp_path / "a.pcd", _ramp()))
    padded = read_image(write_pac(tmp_path / "b.pcd", _ramp(), pad=100_000))
    assert np.array_equal(alone.pixels, padded.pixels)
    assert padded.info.notices[0].endswith("read at 768x512") and not alone.info.notices
