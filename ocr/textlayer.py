"""The invisible text layer of an OCR'd page, written from Tesseract's word boxes (as OCRmyPDF writes its own
from hOCR).

Why not Tesseract's text-only PDF: its renderer costs 5–10 % of a page's CPU (measured: TSV alone 19.2 s, TSV +
text-only PDF 21.1 s for the same pages; over a 200-page batch sohoa's Tesseract CPU went from 8 % above
OCRmyPDF's to equal), and a layer written here carries the diacritic corrections (ocr.diacritics) directly.

Each word is set in an embedded font whose glyphs are all blank and 500/1000 em wide (text render mode 3,
invisible), stretched horizontally (``Tz``) so that it covers its box on the page image, followed by a space so
that text extraction separates words. Characters are UTF-16 code units used as CIDs; the ToUnicode map is the
identity, so copying or extracting the text gives back exactly the words Tesseract read (NFC). (A character
outside the BMP would extract as two surrogate halves; Tesseract's Vietnamese model has none, and Tesseract's own
renderer does the same.)
"""

from __future__ import annotations

import base64
import itertools
import math
import zlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

import pikepdf

if TYPE_CHECKING:
    from ocr.tesseract import Word

FONT_RESOURCE = "/GlyphLess"
GLYPH_WIDTH = 500  # thousandths of the font size, every glyph

# A TrueType font of two empty glyphs (.notdef and one more), 500 units wide on a 1000-unit em, made with
# fontTools' FontBuilder (see tests/test_textlayer.py, which checks these properties). Kept as bytes here: the
# font is needed by every OCR command, and building it costs ~0.24 s of importing fontTools.
GLYPHLESS_TTF = base64.b64decode(
    "AAEAAAAKAIAAAwAgT1MvMkTeRSAAAAEoAAAAYGNtYXAADABGAAABkAAAACxnbHlmAAAAAAAAAcQAAAABaGVhZF8WQOAAAACsAAAANmhoZWED"
    "6QH2AAAA5AAAACRobXR4AfQAAAAAAYgAAAAGbG9jYQAAAAAAAAG8AAAABm1heHAAAwACAAABCAAAACBuYW1lGZ8ZNAAAAcgAAABycG9zdG1n"
    "c80AAAI8AAAALAABAAAAAQAAQ8pyoF8PPPUAAwPoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwACAAAAAAAAAAEAAAPoAAAAAAH0AAAA"
    "AAAAAAEAAAAAAAAAAAAAAAAAAAABAAEAAAACAAAAAAAAAAAAAgAAAAAAAAAAAAAAAAAAAAAAAwH0AZAABQAEAAAAAAAAAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAPz8/PwAAAAAAAAPoAAAAAAPoAAAAAAAAAAAAAAAAAAAAAAAgAAAB9AAAAAAAAAAAAAIA"
    "AAADAAAAFAADAAEAAAAUAAQAGAAAAAIAAgAAAAD//wAA//8AAQAAAAAAAAAAAAAAAAAAAAAABAA2AAEAAAAAAAEADQAAAAEAAAAAAAIABwAN"
    "AAMAAQQJAAEAGgAUAAMAAQQJAAIADgAuR2x5cGhMZXNzRm9udFJlZ3VsYXIARwBsAHkAcABoAEwAZQBzAHMARgBvAG4AdABSAGUAZwB1AGwA"
    "YQByAAAAAgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACAAABAgVibGFuaw=="
)


def glyphless_font(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """A Type0 font (Identity-H, every CID drawn with the blank glyph) added once to ``pdf``, for all its pages."""
    # every one of the 65,536 CIDs maps to glyph 1 (2 bytes each); Deflate makes it ~200 bytes
    cid_to_gid = pdf.make_stream(zlib.compress(b"\x00\x01" * 65536, 9))
    cid_to_gid.Filter = pikepdf.Name.FlateDecode
    font_file = pdf.make_stream(GLYPHLESS_TTF, Length1=len(GLYPHLESS_TTF))  # pikepdf compresses it on saving
    descriptor = pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        FontName=pikepdf.Name("/GlyphLessFont"),
        Flags=5,  # fixed pitch, symbolic
        FontBBox=[0, 0, GLYPH_WIDTH, 1000],
        ItalicAngle=0,
        Ascent=1000,
        Descent=0,
        CapHeight=1000,
        StemV=80,
        FontFile2=font_file,
    )
    descendant = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.CIDFontType2,
        BaseFont=pikepdf.Name("/GlyphLessFont"),
        CIDSystemInfo=pikepdf.Dictionary(Registry="Adobe", Ordering="Identity", Supplement=0),
        FontDescriptor=pdf.make_indirect(descriptor),
        DW=GLYPH_WIDTH,
        CIDToGIDMap=cid_to_gid,
    )
    to_unicode = pdf.make_stream(_IDENTITY_TO_UNICODE)
    font = pikepdf.Dictionary(
        Type=pikepdf.Name.Font,
        Subtype=pikepdf.Name.Type0,
        BaseFont=pikepdf.Name("/GlyphLessFont"),
        Encoding=pikepdf.Name("/Identity-H"),
        DescendantFonts=[pdf.make_indirect(descendant)],
        ToUnicode=to_unicode,
    )
    return pdf.make_indirect(font)


_IDENTITY_TO_UNICODE = b"""/CIDInit /ProcSet findresource begin
12 dict begin
begincmap
/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def
/CMapName /Adobe-Identity-UCS def
/CMapType 2 def
1 begincodespacerange
<0000> <FFFF>
endcodespacerange
1 beginbfrange
<0000> <FFFF> <0000>
endbfrange
endcmap
CMapName currentdict /CMap defineresource pop
end
end
"""


def text_layer_form(
    pdf: pikepdf.Pdf,
    words: Sequence[Word],
    width: int,
    height: int,
    dpi: int,
    font: pikepdf.Object,
    skew: float = 0.0,
) -> pikepdf.Stream:
    """A form XObject the size of the page image Tesseract read (``width`` × ``height`` pixels at ``dpi``),
    in points, holding its words invisibly where they are on that image — or, when that image was straightened
    by ``skew`` degrees (counter-clockwise), where they are on the image before it was (``text_layer_content``)."""
    return pdf.make_stream(
        zlib.compress(text_layer_content(words, height, dpi, skew=skew, width=width), 9),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Form,
        BBox=[0, 0, round(width * 72 / dpi, 3), round(height * 72 / dpi, 3)],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary({FONT_RESOURCE: font})),
        Filter=pikepdf.Name.FlateDecode,
    )


def text_layer_content(words: Sequence[Word], height: int, dpi: int, *, skew: float = 0.0, width: int = 0) -> bytes:
    """The content stream: one baseline and font size per line (the line's box); each word stretched over its
    own box, then a space (which extraction needs between words) that ends before the next word.

    ``skew``: the image Tesseract read was straightened by that many degrees (counter-clockwise, about the centre
    of its ``width`` × ``height``). Each word is then put where it lies on the page as scanned, but its letters
    stay level: a word set along the slope has its letters' baselines step down (or up) the page, and pdftotext
    ends a word where its baseline moves by a tenth of the font size — at 3° every ~20 pt, "thán / g 10", "xây
    dự / ng", so that a search for "tháng" failed. Level words a few points apart are still read as one line."""
    to_points = 72 / dpi
    # a straightened image: each word's start turned back about the image's centre (the image was turned
    # counter-clockwise by `skew` on screen: back clockwise; PDF angles: y up, counter-clockwise positive)
    centre_x, centre_y = width * to_points / 2, height * to_points / 2
    cos, sin = math.cos(math.radians(-skew)), math.sin(math.radians(-skew))
    parts = ["BT 3 Tr"]
    for _line, grouped in itertools.groupby(words, key=lambda w: (w.block, w.paragraph, w.line)):
        line = list(grouped)
        top = min(w.top for w in line)
        bottom = max(w.top + w.height for w in line)
        size = max(bottom - top, 1) * to_points
        baseline = (height - bottom) * to_points
        # the glyphs stand on the baseline and reach one font size up: a selection covers the line's box
        parts.append(
            f"{FONT_RESOURCE} {size:.1f} Tf 1 0 0 1 {line[0].left * to_points:.1f} {baseline:.1f} Tm"
            if not skew
            else f"{FONT_RESOURCE} {size:.1f} Tf"
        )
        previous_left = line[0].left
        for index, word in enumerate(line):
            units = len(word.text.encode("utf-16-be")) // 2
            per_unit = max(word.width, 1) / units  # pixels per character: the letters cover the word's box
            if index + 1 < len(line) and line[index + 1].left > word.left:
                # ... unless the space after them would then reach into the next word, which makes extractors
                # (pdftotext) drop it and join the two words: then word and space share the gap to the next
                per_unit = min(per_unit, (line[index + 1].left - word.left) / (units + 1))
            stretch = 100 * per_unit * to_points / (GLYPH_WIDTH / 1000 * size)
            code = (word.text + " ").encode("utf-16-be").hex().upper()
            if skew:
                x, y = word.left * to_points - centre_x, baseline - centre_y
                at = f"1 0 0 1 {centre_x + x * cos - y * sin:.1f} {centre_y + x * sin + y * cos:.1f} Tm "
                parts.append(f"{at}{stretch:.1f} Tz<{code}>Tj")
                continue
            move = (word.left - previous_left) * to_points  # Td moves from the previous word's start
            previous_left = word.left
            parts.append(f"{move:.1f} 0 Td {stretch:.1f} Tz<{code}>Tj" if move else f"{stretch:.1f} Tz<{code}>Tj")
    parts.append("ET")
    return "\n".join(parts).encode("ascii")
