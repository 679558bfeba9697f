"""A coloured copy says it is one: its XMP carries the IPTC Digital Source Type of a picture
composited with a trained model's output, in every format a photo is written in, the scan's
own XMP kept beside it; a photo kept in colour as it was says nothing of the kind."""

import io
import xml.etree.ElementTree as ET
from pathlib import Path

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from colorcli.cli import main
from colorcli.headermeta import XMP_UUID
from colorcli.photometa import read_meta
from colorcli.provenance import DIGITAL_SOURCE_TYPE, WORDS, marked
from tests.conftest import gradient_rgb

IPTC = "{http://iptc.org/std/Iptc4xmpExt/2008-02-29/}DigitalSourceType"
SCAN_XMP = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
    b'xmlns:Iptc4xmpExt="http://iptc.org/std/Iptc4xmpExt/2008-02-29/">'
    b"<dc:creator><rdf:Seq><rdf:li>Jane Archivist</rdf:li></rdf:Seq></dc:creator>"
    b"<Iptc4xmpExt:DigitalSourceType>http://cv.iptc.org/newscodes/digitalsourcetype/print"
    b"</Iptc4xmpExt:DigitalSourceType></rdf:Description></rdf:RDF></x:xmpmeta>"
    b'<?xpacket end="w"?>'
)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _xmp_of(path: Path) -> bytes:
    """The XMP packet of a file we wrote, read as each format keeps it."""
    data = path.read_bytes()
    if path.suffix == ".tif":
        return bytes(Image.open(path).tag_v2[700])
    if path.suffix == ".jp2":
        at = data.index(XMP_UUID) + 16
        (size,) = np.frombuffer(data[at - 24 : at - 20], ">u4")
        return data[at : at - 24 + int(size)]
    return read_meta(path).xmp


def _descriptions(xmp: bytes) -> list:
    root = ET.fromstring(xmp[xmp.index(b"<x:xmpmeta") : xmp.rindex(b"</x:xmpmeta>") + 12])
    return root.findall(".//{http://www.w3.org/1999/02/22-rdf-syntax-ns#}Description")


def _source_types(xmp: bytes) -> list[str]:
    found = []
    for d in _descriptions(xmp):
        if IPTC in d.attrib:
            found.append(d.attrib[IPTC])
        found += [(e.text or "").strip() for e in d.findall(IPTC)]
    return found


@pytest.mark.parametrize("ext", ["jpg", "png", "tif", "webp", "jp2"])
def test_a_coloured_photo_says_so_in_every_format(tmp_path, tiny_ckpt, ext):
    src = tmp_path / "scan.png"
    cv2.imwrite(str(src), gradient_rgb(40, 56)[..., 0])
    out = tmp_path / f"out.{ext}"
    r = run("image", src, out, "--model", tiny_ckpt)
    assert r.exit_code == 0, r.stderr
    xmp = _xmp_of(out)
    assert _source_types(xmp) == [DIGITAL_SOURCE_TYPE]
    assert WORDS.encode() in xmp
    picture = Image.open(io.BytesIO(out.read_bytes()))
    picture.load()  # still a picture every reader opens
    assert picture.size == (56, 40)


def test_the_scans_own_xmp_is_kept_and_its_source_type_replaced(tmp_path, tiny_ckpt):
    """A scan catalogued as from a print: its creator kept, its source no longer a print."""
    from colorcli.photometa import Meta, apply_meta

    encoded = cv2.imencode(".jpg", gradient_rgb(40, 56)[..., 0])[1].tobytes()
    src = tmp_path / "scan.jpg"
    src.write_bytes(apply_meta(encoded, "jpeg", Meta(xmp=SCAN_XMP)))
    out = tmp_path / "out.jpg"
    assert run("image", src, out, "--model", tiny_ckpt).exit_code == 0
    xmp = _xmp_of(out)
    assert b"Jane Archivist" in xmp
    assert _source_types(xmp) == [DIGITAL_SOURCE_TYPE]
    again = tmp_path / "again.jpg"  # a coloured copy coloured again: marked once
    assert run("image", out, again, "--model", tiny_ckpt).exit_code == 0
    assert _source_types(_xmp_of(again)) == [DIGITAL_SOURCE_TYPE]
    assert _xmp_of(again).count(WORDS.encode()) == 1


def test_an_archive_marks_what_it_coloured_and_not_what_it_kept(tmp_path, tiny_ckpt):
    root, out = tmp_path / "scans", tmp_path / "out"
    root.mkdir()
    cv2.imwrite(str(root / "gray.png"), gradient_rgb(40, 56)[..., 0])
    cv2.imwrite(str(root / "colour.png"), gradient_rgb(40, 56, seed=3))
    pages = [Image.fromarray(gradient_rgb(40, 56, seed=s)[..., 0]) for s in range(2)]
    pages[0].save(root / "album.tif", save_all=True, append_images=pages[1:])
    r = run("dir", root, "-o", out, "--model", tiny_ckpt, "--keep-colour", "-q")
    assert r.exit_code == 0, r.stderr
    assert _source_types(_xmp_of(out / "gray.png")) == [DIGITAL_SOURCE_TYPE]
    assert _source_types(_xmp_of(out / "album.tif")) == [DIGITAL_SOURCE_TYPE]
    assert read_meta(out / "colour.png").xmp is None  # kept as it was: no colour of ours


def test_a_packet_without_rdf_is_left_as_it_is():
    odd = b"<x:xmpmeta xmlns:x='adobe:ns:meta/'>not rdf</x:xmpmeta>"
    assert marked(odd) == odd
    assert _source_types(marked(None)) == [DIGITAL_SOURCE_TYPE]


@pytest.mark.parametrize("ext", ["mkv", "mp4"])
def test_a_coloured_film_says_so_and_keeps_the_inputs_comment(tmp_path, tiny_ckpt, ext):
    import av

    from tests.media import make_clip

    plain = make_clip(tmp_path / f"plain.{ext}", n=4, audio=None)
    out = tmp_path / f"out.{ext}"
    assert run("video", plain, out, "--model", tiny_ckpt, "-q").exit_code == 0
    with av.open(str(out)) as c:
        tags = {k.lower(): v for k, v in c.metadata.items()}
    assert tags["comment"] == WORDS
    noted = tmp_path / f"noted.{ext}"
    with av.open(str(plain)) as inp, av.open(str(noted), "w") as o:
        o.metadata["comment"] = "reel 3 of 7, Smith collection"
        v = o.add_stream_from_template(inp.streams.video[0])
        for p in inp.demux(inp.streams.video[0]):
            if p.dts is not None:
                p.stream = v
                o.mux(p)
    out = tmp_path / f"noted_out.{ext}"
    assert run("video", noted, out, "--model", tiny_ckpt, "-q").exit_code == 0
    with av.open(str(out)) as c:
        tags = {k.lower(): v for k, v in c.metadata.items()}
    assert tags["comment"] == "reel 3 of 7, Smith collection" and tags["description"] == WORDS


def test_a_tiff_scans_catalogue_record_goes_into_its_copy(tmp_path, tiny_ckpt):
    """A TIFF master's XMP (tag 700: what the archive catalogued) was not carried at all."""
    src = tmp_path / "master.tif"
    Image.fromarray(gradient_rgb(40, 56)[..., 0]).save(src, tiffinfo={700: SCAN_XMP})
    for ext in ("tif", "jpg"):
        out = tmp_path / f"copy.{ext}"
        assert run("image", src, out, "--model", tiny_ckpt).exit_code == 0
        xmp = _xmp_of(out)
        assert b"Jane Archivist" in xmp and _source_types(xmp) == [DIGITAL_SOURCE_TYPE]


def test_a_jpegs_xmp_too_full_for_the_mark_is_kept_whole():
    """A JPEG holds 64 kB of XMP: a scan's record that fills it is carried unmarked, not
    dropped; the padding a writer leaves makes room for the mark where there is some."""
    from colorcli.photometa import Meta, _read_jpeg, apply_meta, coloured_copy

    jpeg = cv2.imencode(".jpg", np.zeros((8, 8), np.uint8))[1].tobytes()
    room = 0xFFFF - 2 - len(b"http://ns.adobe.com/xap/1.0/\x00") - len(SCAN_XMP) - 10
    full = SCAN_XMP.replace(b"Jane Archivist", b"a" * (room + len(b"Jane Archivist")))
    out = apply_meta(jpeg, "jpeg", coloured_copy(Meta(xmp=full)))
    assert _read_jpeg(out).xmp == full
    padded = SCAN_XMP.replace(b"Jane Archivist", b"a" * 63000).replace(
        b'<?xpacket end="w"?>', b" " * 2000 + b'<?xpacket end="w"?>'
    )
    xmp = _read_jpeg(apply_meta(jpeg, "jpeg", coloured_copy(Meta(xmp=padded)))).xmp
    assert _source_types(xmp) == [DIGITAL_SOURCE_TYPE] and b"a" * 63000 in xmp


def test_a_jpeg_2000_masters_xmp_goes_into_its_copy(tmp_path, tiny_ckpt):
    from colorcli.headermeta import jp2_with_xmp

    src = tmp_path / "master.jp2"
    encoded = cv2.imencode(".jp2", gradient_rgb(40, 56)[..., 0])[1].tobytes()
    src.write_bytes(jp2_with_xmp(encoded, SCAN_XMP))
    assert read_meta(src).xmp == SCAN_XMP
    for ext in ("jp2", "png"):
        out = tmp_path / f"copy.{ext}"
        assert run("image", src, out, "--model", tiny_ckpt).exit_code == 0
        xmp = _xmp_of(out)
        assert b"Jane Archivist" in xmp and _source_types(xmp) == [DIGITAL_SOURCE_TYPE]


def test_the_stills_scenes_colours_for_a_colourist_are_marked(tmp_path, tiny_ckpt):
    from tests.media import make_clip

    film = make_clip(tmp_path / "reel.mp4", n=6, audio=None)
    out = tmp_path / "stills"
    assert run("scenes", film, out, "--model", tiny_ckpt, "-q").exit_code == 0
    stills = sorted(out.glob("*.png"))
    assert stills and all(_source_types(_xmp_of(p)) == [DIGITAL_SOURCE_TYPE] for p in stills)
