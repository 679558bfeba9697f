"""A coloured copy says what it is: its XMP marks it as coloured by a trained model from a
black-and-white original, so that it is never taken for a colour record of its day.

The mark is the IPTC Digital Source Type ``compositeWithTrainedAlgorithmicMedia`` (the
picture's lightness is the original's, its colour a trained model's), which archive, newsroom
and photo-management tools and search engines read, and a line of text saying the same in
words for those that show any XMP field (``colorcli:Colourised``). The input's own XMP is
kept: the mark is written as one more description of the same resource, and a Digital Source
Type the scan already had (a print, a negative) is taken out, as the copy is no longer that.
A packet whose RDF cannot be found is left as it is. Bytes only: no pixels, no files.
"""

from __future__ import annotations

import re

from colorcli import __version__

DIGITAL_SOURCE_TYPE = (
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia"
)
_IPTC_EXT = "http://iptc.org/std/Iptc4xmpExt/2008-02-29/"
_OURS = "https://colorcli.invalid/xmp/1.0/"  # a name of our own: no one else's properties
WORDS = (
    f"coloured by colorcli {__version__} from a black-and-white original: its lightness is the "
    "original's, its colours a trained model's guess, not a record"
)
_DESCRIPTION = (
    f'<rdf:Description rdf:about="" xmlns:Iptc4xmpExt="{_IPTC_EXT}" xmlns:colorcli="{_OURS}" '
    f'Iptc4xmpExt:DigitalSourceType="{DIGITAL_SOURCE_TYPE}" colorcli:Colourised="{WORDS}"/>'
).encode()
_PACKET = (
    b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
    b'<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    + _DESCRIPTION
    + b'</rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>'
)
# a Digital Source Type already there, as an attribute or an element (with any prefix the
# writer bound to the IPTC extension's namespace), and an earlier run's own mark
_SOURCE_TYPE = re.compile(
    rb'\s[\w.-]+:DigitalSourceType="[^"]*"'
    rb"|<([\w.-]+):DigitalSourceType\b[^>]*/>"
    rb"|<([\w.-]+):DigitalSourceType\b[^>]*>.*?</\2:DigitalSourceType>",
    re.S,
)
# the whitespace a writer leaves before the packet's end, to edit it in place: not needed
_PADDING = re.compile(rb"\s{2,}<\?xpacket end")
_EARLIER = re.compile(rb"<rdf:Description[^>]*colorcli:Colourised=[^>]*/>", re.S)


def marked(xmp: bytes | None) -> bytes:
    """``xmp`` (a packet, or None) with the mark of a coloured copy written in."""
    if not xmp:
        return _PACKET
    end = xmp.rfind(b"</rdf:RDF>")
    if end < 0:
        return xmp
    head = _SOURCE_TYPE.sub(b"", _EARLIER.sub(b"", xmp[:end]))
    tail = _PADDING.sub(b"\n<?xpacket end", xmp[end:])  # room for the mark: a JPEG's is 64 kB
    return head + _DESCRIPTION + tail


__all__ = ["DIGITAL_SOURCE_TYPE", "WORDS", "marked"]
