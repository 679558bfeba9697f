"""TIFFs written: compressed (LZW) where it pays, plain where it does not."""

import cv2
import numpy as np


def _compression(data: bytes) -> int:
    """The Compression tag (259) of a little-endian TIFF's first directory."""
    import struct

    assert data[:2] == b"II"
    (ifd,) = struct.unpack_from("<I", data, 4)
    (n,) = struct.unpack_from("<H", data, ifd)
    for i in range(n):
        tag, _typ, _count, value = struct.unpack_from("<HHIH", data, ifd + 2 + 12 * i)
        if tag == 259:
            return value
    raise AssertionError("no Compression tag")


def test_a_grainy_16_bit_tiff_is_written_uncompressed_and_a_smooth_one_with_lzw():
    """LZW made a grainy 16-bit scan's file larger than its pixels and took 8 times as long
    as writing them plainly; where it pays (smooth pictures) it is kept."""
    from colorcli.imagewrite import encode_image

    rng = np.random.default_rng(0)
    grainy = rng.integers(0, 65536, (200, 300, 3), dtype=np.uint16)
    data = encode_image(grainy, None, "tiff", bits=16)
    assert _compression(data) == 1 and len(data) < grainy.nbytes * 1.01
    ramp = np.broadcast_to(np.linspace(0, 65535, 300, dtype=np.uint16)[None, :, None], grainy.shape)
    smooth = encode_image(np.ascontiguousarray(ramp), None, "tiff", bits=16)
    assert _compression(smooth) == 5 and len(smooth) < ramp.nbytes * 0.5
    for written, truth in ((data, grainy), (smooth, ramp)):
        back = cv2.imdecode(np.frombuffer(written, np.uint8), cv2.IMREAD_UNCHANGED)[..., ::-1]
        assert np.array_equal(back, truth)


def test_a_multi_page_tiff_goes_by_its_first_page():
    from colorcli.pages import encode_pages

    rng = np.random.default_rng(1)
    grainy = [(rng.integers(0, 65536, (120, 90, 3), dtype=np.uint16), None) for _ in range(2)]
    assert _compression(encode_pages(grainy, None)) == 1
    ramp = np.broadcast_to(np.linspace(0, 255, 90, dtype=np.uint8)[None, :, None], (120, 90, 3))
    assert _compression(encode_pages([(np.ascontiguousarray(ramp), None)] * 2, None)) == 5
