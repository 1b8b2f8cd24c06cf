"""Page image preparation for Tesseract.

Deskew is kept because it was measured to help (ocr/README.md, "How the OCR stage works"): on pages rendered with
1–2° of skew, Tesseract's layout analysis sometimes merges neighbouring lines and a page's CER went from 50 % to
1.5 %. Upscaling 200 dpi scans to 300 dpi was measured too and made CER slightly worse, so it is not done.
The output PDF keeps the original, skewed scan; only Tesseract sees the straightened copy, and each word of the
text layer is put back where it lies on the original (see ``textlayer.text_layer_content``).

Orientation (a page scanned sideways or upside down) is checked with Tesseract's OSD only when a page's first
reading is of low quality, or taken from the first reading when Tesseract read its lines running down the page;
the page is then read again turned upright and straightened anew (``turned_upright``); normal pages pay nothing
for it.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytesseract
from PIL import Image

from ocr.quality import BLANK_MARGIN, UNREAD_DPI, page_overview

MAX_SKEW = 10.0  # the coarse search's reach; beyond it (and the fine search's half degree) a rotated page, not skew
_FINE_REACH = 0.5
# ... but a page read as `low` and found level is looked at again this far (``far_deskewed``): a sheet photographed or
# fed 12° crooked read no word and was `low` (QA108: OCRmyPDF read none either); straightened, 268 of its words.
# Only then: a page read well is not crooked, and the wider search (~40 ms) is spent on the few pages read badly
FAR_SKEW = 20.0
# Beyond this, an angle is taken only when the profile at it is WIDE_SKEW_CONTRAST times sharper than at the median
# angle searched: on a page of a few words the profile's best angle is noise (2.7–5.8 times the median on one or
# two words turned 0–7°), and so is an angle found for a page turned past the search (2.0–6.2 at 12° and 14°);
# lines of a real page turned 6–10° give 13–230 — a four-line notice or an empty form (0.3–0.4 % ink) 13–31.
# Until QA101 nothing beyond 5° was looked for, and a sheet fed 5.3° or 7° crooked lost a third to two thirds of
# its words, its quality "good"; until QA102 such an angle was taken only on a page with 1 % ink, and a short
# notice fed 8° crooked gave no word.
WIDE_SKEW = 5.0
WIDE_SKEW_CONTRAST = 9.0
# ... on a page read badly (far_deskewed), whose reading straightened is kept only when it gets clearly more: a faded
# receipt pasted 8° crooked on an A4 sheet, its few short lines 8.2-9.1 times the median (QA111), read no word
FAR_SKEW_CONTRAST = 6.0
LONG_LINE_ROW = 0.4
# Below 1° Tesseract reads the page as well without help, and a text layer turned by less than that only makes
# pdftotext split lines (MEASURED.md); from about 1.5° its layout analysis starts to merge lines.
MIN_SKEW = 1.0
_ANALYSIS_WIDTH = 700


def skew_angle(image: Image.Image, reach: float = MAX_SKEW, wide_contrast: float = WIDE_SKEW_CONTRAST) -> float:
    """Degrees to rotate the image counter-clockwise (PIL's sense) so that text lines are horizontal, looked for
    within ``reach`` degrees either way; past WIDE_SKEW taken only when its profile is ``wide_contrast`` times
    sharper than at the median angle.

    Projection profile: turn a small binarised copy through candidate angles and keep the one whose row sums
    change most sharply between lines of text and the gaps between them. Coarse (0.5°) then fine (0.05°).

    On a page (not a crop of a few words) long thin strokes are left out first (``_without_long_strokes``), and
    the angle of what is left is taken when its profile is STROKELESS_CONTRAST times sharper than at the median
    angle: text lines left to tell the angle by. Else the strokes are the page's lines — a table's rules, a form's
    fill-in lines, underlined text whose letters touch their rule, taken out with it — and the whole page decides
    (QA105: a table of horizontal rules turned 6° was read level, 15 of 146 words).
    """
    gray = image if image.mode == "L" else image.convert("L")
    scale = _ANALYSIS_WIDTH / gray.width if gray.width > _ANALYSIS_WIDTH else 1.0
    size = (max(1, int(gray.width * scale)), max(1, int(gray.height * scale)))
    small = gray.resize(size, Image.Resampling.BOX)  # an average of each block: enough to tell ink from paper
    ink = np.asarray(small) < 160
    page = gray.width >= _ANALYSIS_WIDTH  # in a crop of a word or two one line fills its rows
    if page:
        strokeless = _without_long_strokes(ink)
        if strokeless is not ink:
            found = _profile_angle(strokeless, page, reach)
            if found is not None and found[1] >= STROKELESS_CONTRAST * found[2]:
                return _taken(*found, reach, wide_contrast)
    found = _profile_angle(ink, page, reach)
    return _taken(*found, reach, wide_contrast) if found is not None else 0.0


STROKELESS_CONTRAST = 15.0  # text left by the strokes: 34–45 (QA103/QA104's pages); rules taken with it: 3–10


def _taken(angle: float, sharpest: float, median: float, reach: float, wide_contrast: float) -> float:
    """The angle the profile found, or 0 when it is not to be taken: at the edge of the search (``reach``: the page
    is turned further than it looks), or past WIDE_SKEW without ``wide_contrast``."""
    if abs(angle) >= reach + _FINE_REACH:
        return 0.0
    if abs(angle) > WIDE_SKEW and sharpest < wide_contrast * median:
        return 0.0
    return round(angle, 2)


def _profile_angle(ink: np.ndarray, page: bool, reach: float) -> tuple[float, float, float] | None:
    """(the angle whose profile is sharpest, that sharpness, the median sharpness over the coarse search within
    ``reach`` degrees) of the ink (True) of an analysed copy; None when there is no ink."""
    ys, xs = np.nonzero(ink)
    if ys.size == 0:
        return None
    height, width = ink.shape
    # Each ink pixel's place relative to the centre PIL turns about. The row sums of the turned copy are then a
    # histogram of where the pixels land: ~0.3 ms per angle instead of ~7 ms to rotate an image each time, which
    # made deskew 0.3 s of CPU per page, taken from Tesseract (py-spy, bench/batch_bench.py backlog).
    x = xs - width / 2 + 0.5
    y = ys - height / 2 + 0.5
    minus_x = -x
    # the ink's bounding box: where its corners all land inside the image, every pixel does (its points are
    # turned as one), and the test of each pixel is skipped (~2× faster an angle; most angles searched are small)
    corners = [(cx, cy) for cx in (float(x.min()), float(x.max())) for cy in (float(y.min()), float(y.max()))]
    found: dict[float, float] = {}  # the fine search tries the coarse angle, and the angle found, again

    def sharpness(angle: float) -> float:
        if angle in found:
            return found[angle]
        theta = math.radians(angle)
        cos, sin = math.cos(theta), math.sin(theta)
        # turned counter-clockwise on screen (y grows downwards): a pixel right of the centre moves up
        new_y = minus_x * sin
        new_y += y * cos
        new_y += height / 2
        # PIL crops the corners too: a pixel turned outside the image counts in no row (a margin of a pixel for
        # the rounding of the corners' own arithmetic)
        if all(
            1 <= cx * cos + cy * sin + width / 2 < width - 1 and 1 <= -cx * sin + cy * cos + height / 2 < height - 1
            for cx, cy in corners
        ):
            rows = np.bincount(new_y.astype(np.intp), minlength=height)
        else:
            new_x = x * cos + y * sin + width / 2
            inside = (new_x >= 0) & (new_x < width) & (new_y >= 0) & (new_y < height)
            rows = np.bincount(new_y[inside].astype(np.intp), minlength=height)
        counted = rows.astype(np.float32)
        # a row's ink counted up to LONG_LINE_ROW of the width: a long straight line (a ruler's stroke across a
        # form, a pen line under a heading) lies in one row at its own angle and outweighed every text line, and a
        # level page was turned by the line's 2–9° (QA103: 6 of 297 words read). A text line's densest row holds
        # about a third of the width
        if page:
            counted = np.minimum(counted, LONG_LINE_ROW * width)
        found[angle] = float(np.var(np.diff(counted)))
        return found[angle]

    searched = {step / 2: sharpness(step / 2) for step in range(-2 * int(reach), 2 * int(reach) + 1)}
    coarse = max(searched, key=searched.__getitem__)
    fine = max((coarse + step / 20 for step in range(-10, 11)), key=sharpness)
    return fine, sharpness(fine), float(np.median(list(searched.values())))


# A mark is a long stroke, left out of the skew profile, when it reaches over this share of the analysed width, its
# box is at least four times longer than wide, and its ink fills under STROKE_FILL of that box: a ruler's line
# struck across a form's blank part (one, or three or four in parallel), a pen line under a heading. Each lies in
# one row at its own angle and outweighed a short notice's text lines: a level page was turned by their 2–9°
# (QA103, QA104: 2 of 36 words read). Letters, words and filled blocks (a scanner bed's dark margin) are no such
# mark, and a table's grid is not four times longer than wide (its lines, level with its text, stay)
LONG_STROKE = 0.2
STROKE_FILL = 0.15


def _without_long_strokes(ink: np.ndarray) -> np.ndarray:
    """``ink`` (the analysed copy, True for ink) with its long thin strokes (LONG_STROKE) taken out; ``ink`` itself
    when it has none."""
    from scipy import ndimage

    labels, count = ndimage.label(ink, structure=np.ones((3, 3), dtype=bool))
    if not count:
        return ink
    pixels = np.bincount(labels.ravel())
    reach = LONG_STROKE * ink.shape[1]
    kept: np.ndarray | None = None
    for label, (rows, columns) in enumerate(ndimage.find_objects(labels), start=1):
        tall, wide = rows.stop - rows.start, columns.stop - columns.start
        longest, shortest = max(tall, wide), min(tall, wide)
        if longest > reach and shortest * 4 < longest and pixels[label] < STROKE_FILL * tall * wide:
            kept = ink.copy() if kept is None else kept
            kept[rows, columns][labels[rows, columns] == label] = False
    return ink if kept is None else kept


def deskewed(image: Image.Image) -> tuple[Image.Image, float]:
    """(straightened copy or the image itself, angle applied in degrees counter-clockwise)."""
    angle = _worth_straightening(skew_angle(image))
    return (_turned(image, angle), angle) if angle else (image, 0.0)


def far_deskewed(image: Image.Image, skew: float = 0.0) -> tuple[Image.Image, float]:
    """(straightened copy, angle from the page as scanned) of a page image already straightened by ``skew``
    degrees (``deskewed``) whose page is skewed past WIDE_SKEW, at least MIN_SKEW from ``skew``, that skew found
    within FAR_SKEW on the page as scanned (and taken as ``skew_angle`` takes any past WIDE_SKEW: only when its
    lines are clear against the median of the wider search); (the image itself, ``skew``) otherwise. Measured as
    scanned: the 10° search gives a page turned 13–19° a spurious 2–5° now and then, which left it 21–23° off
    (QA112: 8 of 66 such pages). From WIDE_SKEW, not MAX_SKEW: a faded receipt pasted 8° crooked on an A4 sheet,
    its few short lines' profile 8 times its 10° search's median (9 taken), was read as found, no word (QA111)."""
    angle = skew_angle(_turned(image, -skew) if skew else image, FAR_SKEW, FAR_SKEW_CONTRAST)
    if not WIDE_SKEW < abs(angle) < FAR_SKEW + _FINE_REACH or abs(angle - skew) < MIN_SKEW:
        return image, skew
    return _turned(image, angle - skew), angle  # one more resampling of the image already turned by `skew`


def turned_upright(straight: Image.Image, skew: float, rotate: int) -> tuple[Image.Image, float]:
    """A page image that was straightened by ``skew`` degrees (``deskewed``) while it lay sideways or upside
    down, turned ``rotate`` degrees clockwise to stand upright and straightened again: (that image, the
    angle it is now turned from the page as scanned, counter-clockwise, besides ``rotate``).

    The skew is measured again on the upright page: a projection profile looks for text lines across the
    image, and on a sideways page there are none, so the angle found there means little (−2.5° on a straight
    sideways page of OCRmyPDF's cardinal.pdf). Read upright at that angle, the words came back in lines turned
    2.5° from the scan's, which pdftotext interleaved into nonsense."""
    upright = straight.rotate(-rotate, expand=True)  # a multiple of 90°: a transposition, no resampling
    unskewed = _turned(upright, -skew) if skew else upright  # as scanned, only turned upright
    angle = _worth_straightening(skew_angle(unskewed))
    # one more resampling from the image already turned by `skew`, rather than two from the unskewed copy
    return (_turned(upright, angle - skew) if angle != skew else upright), angle


def _worth_straightening(angle: float) -> float:
    """``angle``, or 0 when it is too small to matter or too large to be skew (see MIN_SKEW, MAX_SKEW): an angle the
    fine search found just past the coarse one's reach (10.2°) is taken (QA102: it was measured exactly and
    dropped, and the page read no word)."""
    return angle if MIN_SKEW <= abs(angle) < MAX_SKEW + _FINE_REACH else 0.0


def _turned(image: Image.Image, angle: float) -> Image.Image:
    """``image`` turned ``angle`` degrees counter-clockwise about its centre, same size, corners paper white."""
    base = image.convert("L") if image.mode not in ("L", "RGB") else image
    fill = 255 if base.mode == "L" else (255, 255, 255)
    return base.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=fill)


# A page the blank test finds no ink on (ocr.quality.blank_image: the back of a sheet in a duplex scan) is read all
# the same, for text too faint for that test; a page with little ink (ocr.quality.LITTLE_INK_SHARE: a word alone) is
# read too. Tesseract binarises them with Otsu's threshold, which on (nearly) paper alone falls inside the paper's
# own grain: about half its pixels turn black, and Tesseract spends seconds of CPU on specks (and reads no word);
# with a scanner's dark edge on the page it falls between the edge and the paper, and a faint note turns white (QA86).
# Such a page is read with its paper white, and the dark edge bands in its outer margin too (the margin the blank
# test leaves out: darker there, inside it, the page would have ink; EDGE_SHARE); its ink stays as scanned (made
# black and white instead, a faint note at 200 dpi lost confidence, 96 → 88, and letters: "năni"). Measured on a
# 300 dpi A4 back from samples/make_samples.py's flatbed look (paper 239, noise σ 2.6): 7.2 s of Tesseract CPU as
# scanned, 0.6 s whitened; a grey-175 note on the same paper read word for word, beside dark edges too. Paper is
# what lies within PAPER_GRAIN spreads of the page's median, the spread measured on its bright side (its 99th
# percentile less the median: ink, a dark edge, a faint note all lie on the dark side), and within PAPER_MARGIN grey
# levels: at least the first, at most the second (grey-175 ink on 239 paper stays).
PAPER_GRAIN = 3
PAPER_MARGIN = (12, 40)
EDGE_SHARE = 0.25


def paper_whitened(image: Image.Image) -> Image.Image:
    """A gray copy of a page image with little or no ink, for Tesseract: its paper (``PAPER_GRAIN``) and the dark
    edge bands in its outer ``BLANK_MARGIN`` (``EDGE_SHARE``) white, the rest kept as it is; a bilevel image is
    returned as it is."""
    if image.mode == "1":
        return image
    gray = np.asarray(image if image.mode == "L" else image.convert("L"))
    paper, bright = np.percentile(gray, [50, 99])
    least, most = PAPER_MARGIN
    below_paper = paper - min(most, max(least, PAPER_GRAIN * (bright - paper)))
    dark = gray <= below_paper
    whitened = np.where(dark, gray, 255).astype(np.uint8)
    # a scanner's dark edge: the margin's lines (rows at the top and bottom, columns at the sides) dark along more
    # than EDGE_SHARE of their length; a page number or a word near the edge darkens a line by a few per cent and
    # stays (QA87: the whole margin whitened, "12" 6 mm from the bottom was read "47", "Lưu" 4 mm from the left "„ưu")
    height, width = gray.shape
    rows, columns = (round(size * BLANK_MARGIN) for size in gray.shape)
    margin_rows = np.r_[0:rows, height - rows : height]
    whitened[margin_rows[dark[margin_rows].mean(axis=1) > EDGE_SHARE]] = 255
    margin_columns = np.r_[0:columns, width - columns : width]
    whitened[:, margin_columns[dark[:, margin_columns].mean(axis=0) > EDGE_SHARE]] = 255
    return Image.fromarray(whitened)


def specks_whitened(image: Image.Image) -> Image.Image:
    """``image`` (grey, its paper whitened: ``paper_whitened``) with its specks white too — its marks of SPECK_PIXELS
    pixels or fewer — where SPECKLED_SHARE of it or more is left marked. For a page with no ink the blank test sees
    (``ocr.quality.blank_image``) and no faint print: on paper at 250 under a grain of 10 levels its brightest clip
    at 255, the grain looks 5 levels deep, and 7 % of the page was kept as grey specks, which kept Tesseract's
    layout analysis 128-161 s over an A4 page at 300 dpi for no word (QA154 F6). A note of a few words on such a
    page (marks of letters, a diacritic's dot of 4 pixels at 150 dpi) is under 1 % of it, and stays as it is: a 3×3
    median lost its thin strokes ("Lưu VT" read "1.ưu VỊ", "Trang 2" "“Tang 2" at 150 dpi)."""
    from scipy import ndimage

    if image.mode != "L":
        return image
    kept = np.asarray(image)
    marked = kept < 255
    if marked.mean() < SPECKLED_SHARE:
        return image
    marks, _count = ndimage.label(marked, structure=np.ones((3, 3)))
    speck = np.bincount(marks.ravel()) <= SPECK_PIXELS
    speck[0] = False
    return Image.fromarray(np.where(speck[marks], 255, kept).astype(np.uint8))


SPECKLED_SHARE = 0.02
SPECK_PIXELS = 3


# A pixel of a seal's ink: red, blue or violet, its red or blue channel above its green by more than this many grey
# levels (a red seal scanned (220, 30, 30), faded (235, 160, 170); a blue one (30, 60, 200), a violet one
# (130, 40, 160)); black ink, grey, yellowish or beige paper and JPEG's colour noise stay within it.
SEAL_INK_MARGIN = 50
# A seal's mark is round or square, 20–60 mm a side (a round seal 30–45 mm, a square one 20 mm and more), no more
# than SEAL_MAX_ASPECT times as wide as high: coloured ink of any other shape is text to read — an urgency or
# secrecy mark (KHẨN, HỎA TỐC, MẬT: a red box 8 mm high, Decree 30's items 10a/10b), a received-document stamp
# (ĐẾN, 40 × 25 mm, its number and day), a name stamp, lines printed or corrected in red, a coloured band behind
# white letters, a signature.
SEAL_MM = (20, 60)
SEAL_MAX_ASPECT = 1.5
# Ink is looked for in blocks of this many pixels a side, and a mark's blocks joined across this many (the breaks
# of a ring drawn in worn ink)
_SEAL_BLOCK = 8
_SEAL_JOIN = 1


def seal_dropped(image: Image.Image, dpi: float) -> Image.Image:
    """A colour page image for Tesseract with its seals dropped, as a scanner's colour drop-out does, but only
    where a seal is (``SEAL_MM``, ``SEAL_MAX_ASPECT``; what lies inside its ring too): each pixel of coloured ink
    there becomes the paper's grey where it lay on paper, and the grey of its lightest channel where it lay on black
    print (dark: the words under a seal stay); every other pixel is kept (a palette or CMYK image is returned as RGB
    then). An image of no colour or with no seal is returned as it is.

    Every decision a commune issues carries its red seal over the signature and often over the text, and Tesseract
    took a seal for a picture: the lines under it and beside it were left out, the page still "good" (QA88: 8 lines
    of an A4 page lost, 64 % of its first 200 words read, 92 % with the seal dropped; QA89: a blue seal the same).
    A drop-out of all red ink left out what is printed or written in red: lines of red text, HỎA TỐC (QA89)."""
    if image.mode not in ("RGB", "P", "CMYK"):
        return image
    colour = image if image.mode == "RGB" else image.convert("RGB")
    # first on a copy a quarter the size (a seal's strokes are wider than 4 pixels): a page of no coloured ink,
    # the common case, is passed in ~5 ms instead of ~25 ms (an A4 page at 300 dpi)
    small = np.asarray(colour.reduce(4))
    # the paper's own tint is no ink: on a pink form every pixel was "red", one mark the page's size and no seal
    # (QA91); the paper is what most of the page is
    paper_tint = np.median(small.reshape(-1, 3), axis=0).astype(np.int16)
    if not any(ink.any() for ink in _coloured_inks(small, paper_tint)):
        return image
    pixels = np.asarray(colour)
    reds, blues = _coloured_inks(pixels, paper_tint)
    # each colour's marks measured apart: a blue signature running through a red seal made one mark of the two,
    # 76 mm wide, no seal (QA90: the signer's title and name under it were lost)
    found = [areas for areas in (_seal_areas(reds, dpi), _seal_areas(blues, dpi)) if areas is not None]
    if not found:
        return image
    seals = np.logical_or.reduce(found)
    paper = np.median(small.max(axis=2))
    dropped = pixels.copy()
    # the seals' box only: what follows costs ~50 ms more on a whole A4 page at 200 dpi, ~130 ms at 300
    rows, columns = np.flatnonzero(seals.any(axis=1)), np.flatnonzero(seals.any(axis=0))
    box = np.s_[rows[0] : rows[-1] + 1, columns[0] : columns[-1] + 1]
    boxed, seals = pixels[box], seals[box]
    # inside a seal, fainter coloured ink too (SEAL_FAINT_INK_MARGIN): a violet seal's thin parts, its colour's
    # edges in a JPEG, stayed a grey ring there (QA121); each colour apart, for its own ink's lightness below
    faint_inks = _coloured_inks(boxed, paper_tint, SEAL_FAINT_INK_MARGIN)
    for ink, faint_ink in zip((reds[box], blues[box]), faint_inks, strict=True):
        drop = faint_ink & seals
        lightest = boxed[drop].max(axis=1)
        own = boxed[ink & seals].max(axis=1)
        # ink that was light in its lightest channel lay on paper: it becomes the paper's grey (left as that
        # channel, a seal stayed a light grey ring that still drew Tesseract's layout, QA90); ink dark there lay
        # on print — darker than the seal's own ink is (``_ON_PRINT_SHARE``): a violet seal's lightest channel,
        # its blue, is ~145 in a JPEG, and a fifth of its ring stayed dark under _ON_PRINT alone (QA121)
        on_print = min(_ON_PRINT, _ON_PRINT_SHARE * float(np.median(own))) if own.size else _ON_PRINT
        dropped[box][drop] = np.where(lightest >= on_print, np.maximum(lightest, paper), lightest)[:, np.newaxis]
    return Image.fromarray(dropped)


# A dropped pixel whose lightest channel is below this lay on black print (the two inks darken each other) ...
_ON_PRINT = 128
# ... and below this share of the median of its seal's ink's (a red seal's ~185: 128 still; a violet one's ~145: 101)
_ON_PRINT_SHARE = 0.7
# Inside a seal found by its ink (SEAL_INK_MARGIN), ink of its colour this far from the paper's is dropped too
SEAL_FAINT_INK_MARGIN = 20

# Light coloured ink: a pixel at least MARKER_LUMA light in grey and MARKER_CHROMA grey levels off the paper's tint in
# red or blue against green — a highlighter's yellow (255, 240, 60: 224 grey), green (120, 255, 120: 200), pink
# (255, 140, 200: 182), orange (255, 180, 60: 189) or blue (60, 140, 230: 137), a grid's violet (160, 130, 200: 147;
# its 2-pixel lines keep ~30 of their colour in a JPEG). Black, red (220, 30, 30: 89) and blue (30, 60, 200: 64)
# print and signatures are darker; the paper, beige or pink, is the tint. Print in a light colour is not (a word
# processor's orange (237, 125, 49: 150) or light blue (91, 155, 213: 146)): the shape of its marks tells it.
MARKER_LUMA = 120
MARKER_CHROMA = 25
# A mark of it, its pieces joined across MARKER_JOIN pixels (a JPEG breaks a grid's thin lines), reaching MARKER_MM
# across or down is no letter of body text (a capital of 14 pt is 4 mm high). It is dropped where it is
# - a band or an area with print on it: it fills MARKER_SOLID of its box, and what it encloses, and what of it is
#   MARKER_PRINT grey levels darker than its own middle grey, are darker than it — a highlighter's band over black or
#   orange print, a tinted box, the white half of a half-pink form. The darker part of it is coloured print and is
#   given its darkest channel, to stand out on the paper as it did on the band (QA113). Without print on it, or with
#   lighter print — a bold capital of a large coloured title, white letters on a coloured banner — it is left
#   (QA114: "GIẤY KHEN" at 54 pt, a Word section bar's white heading, lost);
# - a lattice reaching MARKER_GRID_MM both ways (a grid, a table's coloured rules): its straight runs of MARKER_LINE_MM
#   or more across or down only, its lines, but for what of it is MARKER_PRINT darker than its middle grey (coloured
#   letters touching them stay: QA114, a table's status column).
# Anything else long — a line of coloured letters touching their underline or each other, a signature — is print.
MARKER_MM = 10
MARKER_JOIN = 1
MARKER_SOLID = 0.5
MARKER_PRINT = 40
MARKER_GRID_MM = 30
MARKER_LINE_MM = 4
# A lattice's lines are made paper, not the grey of their lightest channel (a school grid's violet 8 mm lines kept
# grey 170 there and, with its 2 mm lines, drew Tesseract's layout: 0 of 385 words, QA113, QA114), and the page is
# read grey. Its lines: straight runs of MARKER_LINE_MM of coloured ink LATTICE_LUMA light or more (joined to it),
# then every pixel of their colour — LATTICE_CHROMA off the paper (half that beside such a pixel: a JPEG smears a
# thin line's colour), its hue within LATTICE_HUE (a cosine) of theirs, LATTICE_DARKEST light or more — and, in a
# fine grid (lines of LATTICE_GRID_LINE_MM across and down, one every LATTICE_GRID_STEP_MM), grey from LATTICE_PALE
# to LATTICE_PAPER_MARGIN under the paper; each on a run of MARKER_LINE_MM at most LATTICE_THIN_MM thick, in a row
# or column holding LATTICE_GRID_LINE_MM of the lattice: the letters of a stamp, or of an award's title, in the ink
# of their box or frame, stay (QA110, QA113)
LATTICE_LUMA = 80
LATTICE_CHROMA = 12
LATTICE_HUE = 0.9
LATTICE_DARKEST = 40
LATTICE_PALE = 140
LATTICE_PAPER_MARGIN = 12
LATTICE_THIN_MM = 0.6
LATTICE_GRID_LINE_MM = 10
LATTICE_GRID_STEP_MM = 4


def markers_dropped(image: Image.Image, dpi: float) -> Image.Image:
    """A colour page image for Tesseract with its marks of light coloured ink made paper (``MARKER_MM``): each pixel
    of them takes the grey of its lightest channel, as a scanner's colour drop-out gives. A highlighter's band over a
    line, a grid under the print ("giấy ô ly"), a tinted box: the letters on them are dark in every channel and stay.

    A line marked with a highlighter was lost whole — its band and its letters one mark to Tesseract (QA110: every
    third line marked yellow, green, pink or orange, 268 of 385 words read, the page `good`; 383 with the bands
    dropped); a form printed on violet grid paper read 45 of 385 words (276 now). Other images are returned as they
    are."""
    if image.mode not in ("RGB", "P", "CMYK"):
        return image
    colour = image if image.mode == "RGB" else image.convert("RGB")
    # first on a copy a quarter the size: a page with no long mark of light coloured ink, the common case, costs ~10 ms
    small = colour.reduce(4)
    small_pixels = np.asarray(small)
    paper_tint = np.median(small_pixels.reshape(-1, 3), axis=0).astype(np.int16)
    millimetre = dpi / 25.4
    reach = MARKER_MM * millimetre
    from scipy import ndimage

    _, small_marks = _joined_marks(_light_coloured(small_pixels, np.asarray(small.convert("L")), paper_tint))
    if not any(max(r.stop - r.start, c.stop - c.start) >= reach / 4 for r, c in small_marks):
        return image
    pixels = np.asarray(colour)
    grey = np.asarray(colour.convert("L"))
    light = _light_coloured(pixels, grey, paper_tint)
    millimetre_runs = round(MARKER_LINE_MM * millimetre)
    # a lattice's darker lines join it (a school grid's 8 mm lines, too dark to pass for light ink)
    coloured_lines = _straight_runs(_light_coloured(pixels, grey, paper_tint, floor=LATTICE_LUMA), millimetre_runs)
    labels, marks = _joined_marks(light | coloured_lines)
    drop, darken, paper_drop = np.zeros_like(light), np.zeros_like(light), np.zeros_like(light)
    paper = _Paper(grey=float(np.median(small_pixels.max(axis=2))), tint=paper_tint)
    for label, (rows, columns) in enumerate(marks, start=1):
        high, wide = rows.stop - rows.start, columns.stop - columns.start
        if max(high, wide) < reach:
            continue
        joined = labels[rows, columns] == label
        mark = joined & light[rows, columns]
        solid = mark.mean() >= MARKER_SOLID
        if not solid and min(high, wide) < MARKER_GRID_MM * millimetre:
            continue  # long one way only and sparse: print
        shade = grey[rows, columns]
        middle = float(np.median(shade[mark])) if mark.any() else 0.0  # (a lattice of dark lines only)
        print_on_it = mark & (shade < middle - MARKER_PRINT)
        if solid:
            enclosed = ndimage.binary_fill_holes(joined) & ~joined
            printed = np.concatenate((shade[enclosed], shade[print_on_it]))
            if printed.size < millimetre**2 or np.median(printed) > middle - MARKER_PRINT:
                continue
            darken[rows, columns] |= print_on_it
            drop[rows, columns] |= mark & ~print_on_it
        else:  # a lattice
            lines = _straight_runs(joined & ~print_on_it, millimetre_runs)
            drop[rows, columns] |= lines & mark & ~print_on_it
            paper_drop[rows, columns] |= _lattice_lines(
                pixels[rows, columns], grey[rows, columns], coloured_lines[rows, columns] & joined, paper, millimetre
            )
    if not (drop.any() or paper_drop.any()):
        return image
    dropped = pixels.copy()
    dropped[drop] = pixels[drop].max(axis=1)[:, np.newaxis]
    dropped[paper_drop] = paper.grey
    dropped[darken] = pixels[darken].min(axis=1)[:, np.newaxis]
    if paper_drop.any():  # grey: Tesseract's threshold of each colour channel took what is left of a grid for ink
        return Image.fromarray(dropped).convert("L")
    return Image.fromarray(dropped)


# A form's leader dots ("Họ, chữ đệm, tên: ........"): marks at most LEADER_DOT_INCH a side, no more than twice as
# wide as high, in runs of LEADER_DOTS or more on one level (their middles within LEADER_LEVEL_INCH of the run's
# first), each at most LEADER_PITCH_INCH from the next (a period of 12-14 pt type: 0.02 inch; the dots of a word
# processor's leader 0.04-0.06 apart). Tesseract read them as letters, glued them to the words written on them
# ("Nguyãn.Thị .Thu.Hà") and lost the labels beside them (QA122: a blank khai sinh form, 98 of its 167 printed
# words, confidence 38, `low`; typed in and scanned, 31 of its 102 entries). A dot below or over a letter, a
# sentence's period and an ellipsis stand alone or in threes.
LEADER_DOT_INCH = 0.035
LEADER_DOT_LEAST_INCH = 0.01
LEADER_DOTS = 6
LEADER_PITCH_INCH = 0.1
LEADER_LEVEL_INCH = 0.015
# ... their steps within this share of the run's middle step, and other ink between them at most this share of theirs
LEADER_EVEN = 0.35
LEADER_OTHER_INK = 0.25
# a dot's ink: this many grey levels under the paper, at UNREAD_DPI (a dot's grey averaged with the paper round it)
LEADER_DOT_CONTRAST = 40


def leaders_dropped(image: Image.Image, dpi: float) -> Image.Image:
    """A page image for Tesseract with its leader dots (``LEADER_DOTS`` …) made paper; every other pixel kept, and an
    image with none returned as it is. They are looked for on the page at UNREAD_DPI (~10 ms an A4 page at 300
    dpi, where labelling its own pixels took ~50) and made paper at its own, each in its box and a pixel of that
    round it (a dot's grey rim)."""
    from scipy import ndimage

    if image.mode not in ("L", "RGB"):
        return image
    grey_image = image if image.mode == "L" else image.convert("L")
    overview = page_overview(grey_image, dpi)
    paper = int(np.median(_paper_sample(overview, UNREAD_DPI)))
    ink = overview < paper - LEADER_DOT_CONTRAST
    marks, _count = ndimage.label(ink)
    found = ndimage.find_objects(marks)
    largest, level, pitch = (inch * UNREAD_DPI for inch in (LEADER_DOT_INCH, LEADER_LEVEL_INCH, LEADER_PITCH_INCH))
    grey = np.asarray(grey_image)
    scale = dpi / UNREAD_DPI
    dots = []  # (middle row, middle column, mark) at UNREAD_DPI
    for index, (rows, columns) in enumerate(found, start=1):
        height, width = rows.stop - rows.start, columns.stop - columns.start
        if height <= largest and width <= min(largest, 2 * height) and _a_dot(grey, rows, columns, scale, paper):
            dots.append(((rows.start + rows.stop) / 2, (columns.start + columns.stop) / 2, index))
    dots.sort()
    # the dots on one level (their middles chained within LEADER_LEVEL_INCH), then each level's runs left to right
    levels: list[list[tuple[float, float, int]]] = []
    for dot in dots:
        if levels and dot[0] - levels[-1][-1][0] <= level:
            levels[-1].append(dot)
        else:
            levels.append([dot])
    runs: list[list[tuple[float, float, int]]] = []  # of three dots or more
    for dots_on_level in levels:
        run: list[tuple[float, float, int]] = []
        for next_dot in [*sorted(dots_on_level, key=lambda dot: dot[1]), None]:
            if (
                next_dot is not None
                and run
                and abs(next_dot[0] - run[0][0]) <= level
                and 0 < next_dot[1] - run[-1][1] <= pitch
            ):
                run.append(next_dot)
                continue
            if len(run) >= 3:
                runs.append(run)
            run = [] if next_dot is None else [next_dot]
    # a leader is a line of dots alone, evenly spaced, with no other ink between them (LEADER_OTHER_INK: a date's
    # "06.01.2016" in small type, Hebrew's vowel points, a halftone's rows of dots, a grey box's dithering are not)
    leader: list[int] = []
    for run in runs:
        for even in _evenly_spaced(run):
            if len(even) < LEADER_DOTS:
                continue
            indexes = [index for _y, _x, index in even]
            top = min(found[index - 1][0].start for index in indexes)
            bottom = max(found[index - 1][0].stop for index in indexes)
            band = np.s_[max(0, top - 1) : bottom + 1, found[indexes[0] - 1][1].start : found[indexes[-1] - 1][1].stop]
            dots_ink = np.isin(marks[band], indexes)
            other = np.count_nonzero(ink[band] & ~dots_ink)
            if other <= LEADER_OTHER_INK * np.count_nonzero(dots_ink):
                leader.extend(indexes)
    if not leader:
        return image
    pixels = np.asarray(image)
    dropped = pixels.copy()
    sample = _paper_sample(pixels, dpi)  # the paper's own colour
    fill = np.median(sample.reshape(-1, pixels.shape[-1]), axis=0) if pixels.ndim == 3 else np.median(sample)
    for index in leader:
        rows, columns = found[index - 1]
        dropped[
            max(0, math.floor((rows.start - 1) * scale)) : math.ceil((rows.stop + 1) * scale),
            max(0, math.floor((columns.start - 1) * scale)) : math.ceil((columns.stop + 1) * scale),
        ] = fill
    return Image.fromarray(dropped)


def _paper_sample(pixels: np.ndarray, dpi: float) -> np.ndarray:
    """A page's pixels 1/25 inch apart: most of them are its paper (their median is the paper's grey or colour)."""
    step = max(1, round(dpi / 25))
    return pixels[::step, ::step]


def _a_dot(grey: np.ndarray, rows: slice, columns: slice, scale: float, paper: int) -> bool:
    """Whether a mark seen at UNREAD_DPI (``rows``, ``columns``) is a dot on the page image itself (``grey``, ``scale``
    times as fine): its ink there stands alone within a pixel of UNREAD_DPI round it. Thin strokes fade at
    UNREAD_DPI, and the pieces left of a letter in small or light type look like dots there (a typed recipe's
    "linzen", a magazine's words were taken for leaders); and at least LEADER_DOT_LEAST_INCH a side, a period's
    size: a table's dotted rules, dots of a pixel or two, were dropped in part, and Tesseract read what was left."""
    top, left = max(0, math.floor((rows.start - 1) * scale)), max(0, math.floor((columns.start - 1) * scale))
    around = grey[top : math.ceil((rows.stop + 1) * scale), left : math.ceil((columns.stop + 1) * scale)]
    ink = around < min(INK_LEVEL, paper - FAINT_BELOW_PAPER)
    if not ink.any() or ink[0].any() or ink[-1].any() or ink[:, 0].any() or ink[:, -1].any():
        return False
    rows_inked, columns_inked = np.flatnonzero(ink.any(axis=1)), np.flatnonzero(ink.any(axis=0))
    least = LEADER_DOT_LEAST_INCH * scale * UNREAD_DPI
    return bool(rows_inked[-1] - rows_inked[0] + 1 >= least and columns_inked[-1] - columns_inked[0] + 1 >= least)


def _evenly_spaced(run: list[tuple[float, float, int]]) -> list[list[tuple[float, float, int]]]:
    """``run`` (dots left to right: (row, column, mark)) cut where a step from one dot to the next is not within
    LEADER_EVEN of the run's middle step."""
    steps = [after[1] - before[1] for before, after in itertools.pairwise(run)]
    middle = float(np.median(steps)) if steps else 0.0
    parts = [[run[0]]]
    for step, dot in zip(steps, run[1:], strict=True):
        if abs(step - middle) <= LEADER_EVEN * middle:
            parts[-1].append(dot)
        else:
            parts.append([dot])
    return parts


@dataclass(frozen=True)
class _Paper:
    grey: float  # the paper's grey, in its lightest channel
    tint: np.ndarray  # its colour, an RGB triple


def _lattice_lines(
    box: np.ndarray, grey: np.ndarray, lines: np.ndarray, paper: _Paper, millimetre: float
) -> np.ndarray:
    """Where, in the box of a lattice (``box``, its RGB pixels; ``grey``, the same made grey), lie its lines, to be
    made paper: of the colour of its straight runs (``lines``), light or dark (a school grid's 8 mm lines, violet at
    grey 104: QA113, QA114), or — in a fine grid — light grey (its thin lines, whose colour a JPEG took); thin, and
    on a line running on (``_thin_lines``), so the letters of a stamp or of a title in the lattice's ink stay."""
    from scipy import ndimage

    # each pixel's colour: its red and its blue against its green, beyond the paper's
    colour = box.astype(np.float32)
    tilt = np.stack((colour[..., 0] - colour[..., 1], colour[..., 2] - colour[..., 1]), axis=-1)
    tilt -= np.array([paper.tint[0] - paper.tint[1], paper.tint[2] - paper.tint[1]], dtype=np.float32)
    strength = np.linalg.norm(tilt, axis=-1)
    if lines.any():
        line_tilt = np.median(tilt[lines], axis=0)
        cosine = (tilt @ line_tilt) / (strength * np.linalg.norm(line_tilt) + 1e-6)
        hued = (cosine >= LATTICE_HUE) & (grey >= LATTICE_DARKEST)
    else:
        hued = np.zeros_like(lines)
    same = hued & (strength >= LATTICE_CHROMA)
    # a JPEG breaks a thin line's colour here and there: its runs are found across one pixel's gaps
    near = ndimage.binary_dilation(same, structure=np.ones((3, 3), bool))
    pale = (grey >= LATTICE_PALE) & (grey < paper.grey - LATTICE_PAPER_MARGIN)
    lattice = near | pale
    length = round(MARKER_LINE_MM * millimetre)
    thin = max(2, round(LATTICE_THIN_MM * millimetre))
    reach = round(LATTICE_GRID_LINE_MM * millimetre)
    dropped = _thin_lines(near, length, thin + 2, reach, lattice) & hued & (strength >= LATTICE_CHROMA / 2)
    if _fine_grid(pale | same, millimetre):  # (not a stamp's box: its light letters are pale too)
        dropped |= _thin_lines(pale, length, thin, reach, lattice)
    return dropped


def _joined_marks(light: np.ndarray) -> tuple[np.ndarray, list[tuple[slice, slice]]]:
    """The marks of ``light`` (its pieces joined across MARKER_JOIN pixels): their labels, and each one's box."""
    from scipy import ndimage

    labels, _count = ndimage.label(ndimage.binary_dilation(light, iterations=MARKER_JOIN))
    return labels, ndimage.find_objects(labels)


def _straight_runs(mark: np.ndarray, length: int) -> np.ndarray:
    """The pixels of ``mark`` on a straight run of it at least ``length`` long, across or down."""
    return _runs_along(mark, length, 0) | _runs_along(mark, length, 1)


def _fine_grid(mark: np.ndarray, millimetre: float) -> bool:
    """Whether ``mark`` holds a fine grid: lines LATTICE_GRID_LINE_MM long or more, across and down, at least one
    every LATTICE_GRID_STEP_MM on average."""
    length = round(LATTICE_GRID_LINE_MM * millimetre)
    for axis in (0, 1):
        # the columns (axis 0) or rows holding a line, and how many lines (runs of them) there are
        lines = np.asarray(_runs_along(mark, length, axis).any(axis=axis), dtype=bool)
        starts = int(np.count_nonzero(np.diff(lines.astype(np.int8), prepend=0) == 1))
        if starts * LATTICE_GRID_STEP_MM < lines.size / millimetre:
            return False
    return True


def _thin_lines(mark: np.ndarray, length: int, thickness: int, reach: int, lattice: np.ndarray) -> np.ndarray:
    """The pixels of ``mark`` on a straight run of it at least ``length`` long, across or down, where it is less
    than ``thickness`` thick the other way, on a line of the ``lattice`` (a mask) reaching ``reach`` somewhere: a
    grid's lines, not the strokes of a large title's letters."""
    from scipy import ndimage

    lines = np.zeros_like(mark)
    for axis in (0, 1):
        # thick the other way over more than a line's width along it: a stem (where a line crosses it, no more)
        stem = _runs_along(_runs_along(mark, thickness, 1 - axis), 2 * thickness, axis)
        runs = _runs_along(mark, length, axis) & ~stem
        # on a line that runs on: its row (column) holds a run of ``reach`` somewhere, or the next but one does (a
        # line a little skewed); a letter's stroke of a stamp's or a title's in the lattice's ink does not
        holding = ndimage.binary_dilation(_runs_along(lattice, reach, axis).any(axis=axis), iterations=2)
        lines |= runs & np.expand_dims(holding, axis)
    return lines


def _runs_along(mark: np.ndarray, length: int, axis: int) -> np.ndarray:
    """The pixels of ``mark`` on a run of it at least ``length`` long along ``axis``."""
    from scipy import ndimage

    # the middles of windows of ``length`` all in the mark, spread back over their windows
    whole = ndimage.uniform_filter1d(mark.astype(np.float32), length, axis=axis, mode="constant") > 1 - 1e-3
    return (ndimage.uniform_filter1d(whole.astype(np.float32), length, axis=axis, mode="constant") > 1e-3) & mark


def _light_coloured(
    pixels: np.ndarray, grey: np.ndarray, paper_tint: np.ndarray, floor: float = MARKER_LUMA
) -> np.ndarray:
    """Which pixels of an RGB array (``grey``: the same made grey) are of light coloured ink (``MARKER_LUMA``,
    ``MARKER_CHROMA``, beyond the ``paper_tint``, an RGB triple). The tint is taken in proportion to the pixel's green:
    paper in a shadow is the paper's colour darker, no ink (QA113: a phone's photo in warm light, the edge of a
    shadow "coloured")."""
    red, green, blue = (pixels[..., channel].astype(np.float32) for channel in range(3))
    paper_green = max(1.0, float(paper_tint[1]))
    red_off = np.abs(red - green * (float(paper_tint[0]) / paper_green))
    blue_off = np.abs(blue - green * (float(paper_tint[2]) / paper_green))
    return (np.maximum(red_off, blue_off) >= MARKER_CHROMA) & (grey >= floor)


def _coloured_inks(
    pixels: np.ndarray, paper: np.ndarray, margin: int = SEAL_INK_MARGIN
) -> tuple[np.ndarray, np.ndarray]:
    """Which pixels of an RGB array are of a seal's ink (``margin``, beyond the ``paper``'s own tint, an RGB triple):
    the red ones and the blue ones."""
    red, green, blue = (pixels[..., channel].astype(np.int16) for channel in range(3))
    # only a paper that would pass for ink itself (a pink form: 60) moves the margin: a slighter tint moved it for
    # seals on white paper too and lost three of QA90's 21 signers' names under them (a phone's warm light, JPEG);
    # nor does a tint lower it (yellowish paper, where JPEG's colour noise in black print passed as blue ink)
    red_tint, blue_tint = (_beyond_the_margin(int(paper[channel]) - int(paper[1])) for channel in (0, 2))
    reds = (red - green - red_tint > margin) & (red >= blue)
    blues = (blue - green - blue_tint > margin) & (blue > red)
    return reds, blues


def _beyond_the_margin(tint: int) -> int:
    return tint if tint > SEAL_INK_MARGIN else 0


def _seal_areas(ink: np.ndarray, dpi: float) -> np.ndarray | None:
    """Where the seals lie on a page whose coloured ink is ``ink``: the boxes of its marks of a seal's size and
    shape (found on blocks of ``_SEAL_BLOCK`` pixels), or None where there is none."""
    from scipy import ndimage

    height, width = ink.shape
    rows, columns = -(-height // _SEAL_BLOCK), -(-width // _SEAL_BLOCK)
    padded = np.zeros((rows * _SEAL_BLOCK, columns * _SEAL_BLOCK), dtype=bool)
    padded[:height, :width] = ink
    blocks = padded.reshape(rows, _SEAL_BLOCK, columns, _SEAL_BLOCK).any(axis=(1, 3))
    labels, _count = ndimage.label(ndimage.binary_dilation(blocks, iterations=_SEAL_JOIN))
    least, most = (size / 25.4 * dpi / _SEAL_BLOCK for size in SEAL_MM)
    boxes: list[tuple[slice, slice]] = []
    discs: list[tuple[_InnerSeal, float]] = []  # round seals found inside larger marks, with their ring's radius
    for label, (mark_rows, mark_columns) in enumerate(ndimage.find_objects(labels), start=1):
        if _seal_shaped(mark_rows, mark_columns, least, most):
            boxes.append((mark_rows, mark_columns))
        elif least <= min(mark_rows.stop - mark_rows.start, mark_columns.stop - mark_columns.start):
            # a seal touching other ink of its colour — a second seal, a rule, a name stamp, a signature — made
            # one mark of no seal's shape (QA91: the signer's name under the seal lost)
            mark = labels[mark_rows, mark_columns] == label
            for inner in _seals_inside(mark, least, most):
                seal = inner.moved(mark_rows.start, mark_columns.start)  # in the page's blocks
                ring = _ringed(ink, seal)
                if ring is not None and ring[0] == "circle":
                    discs.append((seal, ring[1]))
                elif ring is not None:
                    boxes.append(seal.box)
    if not boxes and not discs:
        return None
    areas = np.zeros((height, width), dtype=bool)
    for rows, columns in boxes:
        areas[
            rows.start * _SEAL_BLOCK : rows.stop * _SEAL_BLOCK, columns.start * _SEAL_BLOCK : columns.stop * _SEAL_BLOCK
        ] = True
    # a round seal found inside a larger mark is its disc, not its box: the ink touching it outside its ring — the
    # first letters of red lines beside a round emblem — is no part of it (QA95: "Địa chỉ" read "ĐảgÖƑÿ")
    for seal, ring_radius in discs:
        middle_row, middle_column = ((at + 0.5) * _SEAL_BLOCK for at in seal.middle)
        # its outer edge: the filled disc's depth, or the ring where found farther, with a block for the ring's width
        reach = max(ring_radius, (seal.depth + 0.5) * _SEAL_BLOCK) + _SEAL_BLOCK
        top, bottom = max(0, int(middle_row - reach)), min(height, int(middle_row + reach) + 1)
        left, right = max(0, int(middle_column - reach)), min(width, int(middle_column + reach) + 1)
        rows_at, columns_at = np.ogrid[top:bottom, left:right]
        areas[top:bottom, left:right] |= (rows_at - middle_row) ** 2 + (columns_at - middle_column) ** 2 <= reach**2
    return areas


def _seal_shaped(rows: slice, columns: slice, least: float, most: float) -> bool:
    """Whether a mark spanning ``rows`` and ``columns`` (of blocks) has a seal's size (``least`` to ``most``
    blocks) and shape (``SEAL_MAX_ASPECT``)."""
    high, wide = rows.stop - rows.start, columns.stop - columns.start
    return least <= min(high, wide) and max(high, wide) <= most and max(high, wide) <= SEAL_MAX_ASPECT * min(high, wide)


# A seal's edge is a ring (round, or a square seal's frame) of unbroken ink: around the middle of a seal found inside
# a larger mark, at about its depth, at least this share of the directions meets ink. Measured: QA91's seals touching
# a second seal, a rule, a name stamp 0.97–1; lines of red text, in which the same search finds solid areas (QA89's
# red pages), at most 0.57; a blue signature's loops in a phone's photo (QA90) at most 0.74
SEAL_RING_SHARE = 0.85
_RING_DIRECTIONS = 180
_RING_REACH = 1.2  # the farthest a ring is looked for from the middle, in the seal's depths (its radius)


@dataclass(frozen=True)
class _InnerSeal:
    """A seal found inside a larger mark: its box, middle and depth (the distance from its middle to its edge, a
    round seal's radius, half a square one's side), in blocks of the page."""

    box: tuple[slice, slice]
    middle: tuple[float, float]
    depth: float

    def moved(self, down: int, right: int) -> _InnerSeal:
        """The same seal in blocks counted from a box ``down`` rows and ``right`` columns further up and left (a
        negative one: further down and right), its box cut at the new box's top and left edges."""
        rows, columns = self.box
        return _InnerSeal(
            (
                slice(max(0, rows.start + down), rows.stop + down),
                slice(max(0, columns.start + right), columns.stop + right),
            ),
            (self.middle[0] + down, self.middle[1] + right),
            self.depth,
        )


def _ringed(ink: np.ndarray, seal: _InnerSeal) -> tuple[str, float] | None:
    """Which seal's ring (``SEAL_RING_SHARE``) the pixels ``ink`` hold around ``seal``'s middle, at about its depth,
    and how far from the middle (pixels): (``circle`` or ``square``, radius), or None."""
    middle_row, middle_column = ((at + 0.5) * _SEAL_BLOCK for at in seal.middle)
    angles = np.linspace(0, 2 * np.pi, _RING_DIRECTIONS, endpoint=False)
    circle = np.stack([np.sin(angles), np.cos(angles)])
    square = circle / np.abs(circle).max(axis=0)
    # the ring's ink looked for a block's width across, the middle being known to a block
    across = np.arange(-_SEAL_BLOCK // 2, _SEAL_BLOCK // 2 + 1)[:, np.newaxis]
    height, width = ink.shape
    depth = (seal.depth + 0.5) * _SEAL_BLOCK
    for name, shape in (("circle", circle), ("square", square)):
        for radius in np.arange(0.75 * depth, _RING_REACH * depth, _SEAL_BLOCK / 2):
            row = np.clip(np.rint(middle_row + (radius + across) * shape[0]), 0, height - 1).astype(int)
            column = np.clip(np.rint(middle_column + (radius + across) * shape[1]), 0, width - 1).astype(int)
            if ink[row, column].any(axis=0).mean() >= SEAL_RING_SHARE:
                return name, float(radius)
    return None


# Inside a mark of no seal's shape, a seal is what stays of its area with its rings filled once everything thinner
# than this share of the smallest seal is taken off (an opening): a seal's filled disc or square is as wide as the
# seal, a rule, a signature's strokes or a line of stamped letters (a name stamp, 5–8 mm) much narrower
_SEAL_CORE_SHARE = 0.6


def _seals_inside(mark: np.ndarray, least: float, most: float) -> list[_InnerSeal]:
    """The seals (within ``mark``'s box) inside a mark of no seal's shape: what its filled area keeps of a seal's
    size and shape after an opening by a disc ``_SEAL_CORE_SHARE`` of the smallest seal wide, or where that is
    still no seal's shape (two seals pressed overlapping), the squares around its deepest points."""
    from scipy import ndimage

    # the distance transforms below measure to the nearest background point: the mark's box is given a border of it
    filled = np.pad(ndimage.binary_fill_holes(mark), 1)
    radius = _SEAL_CORE_SHARE * least / 2
    # an opening by a disc, as two distance transforms: the points deeper inside than the radius, and every point
    # within the radius of them
    cores = ndimage.distance_transform_edt(filled) > radius
    if not cores.any():
        return []
    opened = (ndimage.distance_transform_edt(~cores) <= radius) & filled
    parts, _count = ndimage.label(opened)
    seals = []
    for label, (rows, columns) in enumerate(ndimage.find_objects(parts), start=1):
        depth = ndimage.distance_transform_edt(parts == label)
        if _seal_shaped(rows, columns, least, most):
            deepest = np.unravel_index(np.argmax(depth), depth.shape)
            seals.append(_InnerSeal((rows, columns), (float(deepest[0]), float(deepest[1])), float(depth[deepest])))
        else:
            seals += _overlapping_seals(depth, least, most)
    return [seal.moved(-1, -1) for seal in seals]  # back in the mark's box, from the padded one


def _overlapping_seals(depth: np.ndarray, least: float, most: float) -> list[_InnerSeal]:
    """The seals pressed overlapping that make up a filled area whose points lie at ``depth`` from its edge: one
    around each of its deepest points (a seal's middle), as wide as twice its depth. A deepest point must be a
    point, not a ridge: along a band (lines of coloured text, a coloured rectangle) every point of its middle line
    is as deep, and no seal is there."""
    from scipy import ndimage

    window = max(3, round(least))
    peaks, _count = ndimage.label((depth == ndimage.maximum_filter(depth, size=window)) & (depth >= least / 2))
    seals = []
    for rows, columns in ndimage.find_objects(peaks):
        middle = (rows.start + rows.stop - 1) / 2, (columns.start + columns.stop - 1) / 2
        deepest = float(depth[round(middle[0]), round(middle[1])])
        reach = deepest + 1
        if max(rows.stop - rows.start, columns.stop - columns.start) > reach / 2 or 2 * reach > most:
            continue
        top, left = max(0, round(middle[0] - reach)), max(0, round(middle[1] - reach))
        box = (slice(top, round(middle[0] + reach) + 1), slice(left, round(middle[1] + reach) + 1))
        seals.append(_InnerSeal(box, middle, deepest))
    return seals


OSD_CHARACTERS = 20  # Tesseract OSD's min_characters_to_try (see detect_orientation)
MIN_OSD_CONFIDENCE = 1.5  # Tesseract's own suggestion for trusting an orientation guess
OSD_DPI = 300  # an unsure guess on a page scanned at less is asked again of the page enlarged to this
MAX_OSD_ENLARGEMENT = 4


def detect_orientation(image_path: Path, dpi: int) -> tuple[int, float]:
    """(degrees to turn the page clockwise so its text stands upright, Tesseract OSD's confidence).

    Only asked for pages whose first reading looks wrong: OSD costs about half a page of OCR.

    Tesseract's ``min_characters_to_try`` is OSD_CHARACTERS: at 8 (until 2026-12-01) OSD's confidence stayed under
    MIN_OSD_CONFIDENCE on real turned scans — an official letter upside down 1.29, a decree page turned a quarter
    1.06, both then left as they lay and classified unknown — where 20 gives 3.9–6.4 on the same pages for about
    0.5 s more a page here (Tesseract's default, 50: 9–18, about 1 s more). A page OSD finds too few characters
    on for 20 is tried at 8.

    OSD judges letters by their shapes at the size they have in pixels, and small letters mislead it: on 6 pages
    (3 real decree scans, 3 of the samples) resampled to 100, 150 and 200 dpi and turned 90, 180 and 270°, it was
    sure of the right answer in 11 of 18 cases at 100 dpi (otherwise unsure, wrong ones among them: a quarter
    turn taken for the opposite one), 17 of 18 at 150, 18 of 18 at 200; the same pages enlarged to 300 dpi first:
    17, 17 and 18 of 18, never sure and wrong either way. So an unsure answer on a page under OSD_DPI is asked
    again of the page enlarged to it (about 1 s more, only for such pages), and the surer answer is taken —
    together 18 of 18 at every resolution.
    """
    first = _osd(image_path, dpi)
    if first[1] >= MIN_OSD_CONFIDENCE or dpi >= OSD_DPI:
        return first
    scale = min(OSD_DPI / dpi, MAX_OSD_ENLARGEMENT)
    enlarged_path = image_path.with_name(f"{image_path.stem}-osd.pgm")
    with Image.open(image_path) as image:
        gray = image.convert("L")
        gray.resize((round(gray.width * scale), round(gray.height * scale)), Image.Resampling.BICUBIC).save(
            enlarged_path
        )
    try:
        second = _osd(enlarged_path, round(dpi * scale))
    finally:
        enlarged_path.unlink(missing_ok=True)
    return max(first, second, key=lambda guess: guess[1])


def _osd(image_path: Path, dpi: int) -> tuple[int, float]:
    """Tesseract OSD's (turn clockwise, confidence) for the image at ``image_path``; (0, 0.0) when it has none."""
    report = ""
    for characters in (OSD_CHARACTERS, 8):
        try:
            report = pytesseract.image_to_osd(
                str(image_path), config=f"--psm 0 --dpi {dpi} -c min_characters_to_try={characters}"
            )
            break
        except pytesseract.TesseractError:
            continue  # too few characters for this many: fewer, then nothing to tell
    rotate = re.search(r"Rotate:\s*(\d+)", report)
    confidence = re.search(r"Orientation confidence:\s*([\d.]+)", report)
    if not rotate:
        return 0, 0.0
    return int(rotate.group(1)) % 360, float(confidence.group(1)) if confidence else 0.0


# A page is read in horizontal bands, each by its own Tesseract worker, so that a one-page scan keeps two cores
# busy instead of one. Cut only across the paper between paragraphs: the longest run of blank rows near each ideal
# cut, between the first and the last row with ink. The ideal cut k is where the page's ink reaches k / bands of it
# (the middle of the ink, for two bands); no band is left with less than a quarter of its even part of the ink (a
# gap between a header's lines is long, as its two columns end on different rows: cut there, a header's three
# lines became two paragraphs in pdftotext), nor mostly blank paper (a line or two over 2,000 rows of grainy paper
# read as nothing, QA107). Where no such gap is found, the cut is looked for as it was until 2026-12-04: around
# k / bands of the page's height. That search alone, on a commune's letter, whose text fills the top of the sheet,
# often took a gap at the foot of its text and left one band with 98-100 % of the ink, a one-page file waiting on
# it (the samples; now 60-73 %, read 13 % faster). Measured on the OCR bench's pages (ocr/README.md, "How the OCR stage
# works"): CER no worse than the page read whole, and the same either way (all five an_le precedents: 13
# characters more wrong of 259,776). Cutting at the line gap nearest the ideal row instead — or at any gap within
# 1/40 inch of the longest, or where the ink halves among gaps at least 0.8 of the widest, or searching ±10 % of
# the height — made CER worse: Tesseract's layout analysis of half a paragraph then sometimes placed its lines'
# boxes a few pixels low and lost the tone marks stacked over â/ê/ô (đồng → đông).
BAND_SEARCH = 0.4  # a cut is looked for within ±BAND_SEARCH / bands of the height around its ideal row (±20 %: 2)
MIN_BAND_INK = 0.5  # each band holds at least this share of an even band's part of the ink (a quarter: 2)
MIN_BAND_TEXT = 0.4  # ... and its rows of text (blank half inches left out) at least this share of its height
MIN_BANDS_INCH = 2.0  # more than two bands only where each would be at least this tall
BLANK_ROW_INK = 0.002  # a row with at most this share of dark pixels is paper (specks of noise allowed)
INK_LEVEL = 128
# ... and print this far under the paper's grey (the page's median) is faint print, no gap to cut in: a ribbon's
# grey line is 165 on paper of 250; a scanner's grain and JPEG's ringing beside letters lie within 30 of it
FAINT_BELOW_PAPER = 60
FAINT_LINE_INCH = 0.04  # a letter's height at the least (3 pt: LETTER_INCH in ocr.quality)


def blank_runs(blank: np.ndarray) -> list[tuple[int, int]]:
    """The (start, end) rows of each run of blank rows."""
    edges = np.flatnonzero(np.diff(np.concatenate(([0], blank.astype(np.int8), [0]))))
    return [(int(start), int(end)) for start, end in zip(edges[::2], edges[1::2], strict=True)]


GUTTER_INCH = 1 / 8  # a stretch of paper at least this wide between two columns of text parts them
COLUMN_LINES = 0.15  # a column inked in at most this share of a band's lines of ink is paper between columns
COLUMN_INCH = 1 / 2  # ... with this much text each side: a list's dashes or numbers before its text make no column
RULE_INCH = 1 / 50  # a line drawn down a gutter, this thin or thinner, is part of it
COLUMN_WINDOWS_INCH = (1.0, 2.0)  # columns are looked for in the bands whole and in this much of them either side


def crosses_columns(above: np.ndarray, below: np.ndarray, dpi: int) -> bool:
    """Whether a cut between the bands ``above`` and ``below`` (their dark pixels) would have a column's foot read
    after the top of the column beside it: a stretch of paper at least GUTTER_INCH wide runs down through both
    bands, with at least COLUMN_INCH of text right of it above the cut and left of it below. Two columns (a
    gazette's, two pages of a register scanned open, a report's sidebar) have their gutter from top to foot; a bar
    across the page's head, a line or two over both, does not close it (``text_columns``). Where nothing below
    the cut lies left of the gutter (the left column ended above it, or a page's last lines are a signature block
    over nothing) the bands still read in order. A decree's header, agency and motto side by side, has a gutter
    too, but the body under it is inked across."""
    if above.shape[0] == 0 or below.shape[0] == 0:
        return False
    # the bands whole, and their lines nearest the cut: a page that opens with text across it over two columns has
    # its gutter inked in the upper band's first lines (QA109: the top 30 % full-width, the cut between columns)
    lower = text_columns(below, dpi)  # (the lower band's whole, asked against three parts of the upper band)
    nearest = [(above[-reach:], below[:reach]) for reach in (round(inches * dpi) for inches in COLUMN_WINDOWS_INCH)]
    if _gutter_through(text_columns(above, dpi), lower, dpi) or any(
        _gutter_through(text_columns(upper, dpi), text_columns(lower_part, dpi), dpi) for upper, lower_part in nearest
    ):
        return True
    # ... and the upper band's lines under the last that runs through a gutter of the lower band: a cut at a paragraph
    # break across both columns a few lines under the text across the page (QA114: 0.4 inch under it, where the inch
    # above the cut still held that text)
    for start, end in blank_runs(~lower):
        if end - start < GUTTER_INCH * dpi:
            continue
        through = np.flatnonzero(above[:, start:end].any(axis=1))
        columns_part = above[through[-1] + 1 :] if through.size else above
        if columns_part.shape[0] >= dpi / 3 and _gutter_through(text_columns(columns_part, dpi), lower, dpi):
            return True
    return False


def _gutter_through(upper: np.ndarray, lower: np.ndarray, dpi: int) -> bool:
    """``crosses_columns`` for two bands' columns of text (``text_columns``), above the cut and below it."""
    right_above = np.concatenate(([0], np.cumsum(upper[::-1])))[::-1]  # columns of text right of each column
    left_below = np.concatenate(([0], np.cumsum(lower)))  # ... and left of it, below the cut
    least = COLUMN_INCH * dpi
    paper = ~(upper | lower)
    # a rule drawn down the gutter — a few pixels of "text" between two stretches of paper each at least half a
    # gutter wide — parts nothing (QA109: a gazette's 0.2-inch gutter with a line down it was two 0.1-inch ones)
    half = GUTTER_INCH * dpi / 2
    for (left_start, left_end), (right_start, right_end) in itertools.pairwise(blank_runs(paper)):
        if right_start - left_end <= RULE_INCH * dpi and min(left_end - left_start, right_end - right_start) >= half:
            paper[left_end:right_start] = True
    return any(
        end - start >= GUTTER_INCH * dpi and right_above[end] >= least and left_below[start] >= least
        for start, end in blank_runs(paper)
    )


def text_columns(band: np.ndarray, dpi: int) -> np.ndarray:
    """Which columns of a band of dark pixels run through its text: inked in more than COLUMN_LINES of its lines
    (slices of a line's height, 1/6 inch, that hold ink; a column has ink in a slice with 2 dark pixels or more,
    not a speck). Through a column of text most lines are inked; through the paper between two columns, none but a
    bar or a title across them."""
    line = max(1, dpi // 6)
    whole = band.shape[0] // line * line  # slices a line tall, then what is left under them (not copied: ~2× faster)
    slices = band[:whole].reshape(-1, line, band.shape[1]).sum(axis=1, dtype=np.int32) >= 2
    if whole < band.shape[0]:
        slices = np.vstack((slices, band[whole:].sum(axis=0, dtype=np.int32) >= 2))
    lines = int(slices.any(axis=1).sum())
    return slices.sum(axis=0) > COLUMN_LINES * max(1, lines)


@dataclass(frozen=True)
class PageBands:
    """Where a page image is cut into bands (``band_cuts``), and which of its bands are paper (``paper``, one a band,
    top down): they hold under PAPER_BAND_INK of the page's dark ink — a cut by the height alone, under the page's
    text, leaves one. Read alone, such a band of a certificate's guilloche ground was junk ("2504À01866///…"), and
    of grainy white paper invented words ("c An `. j.. Ti mã Tân"), where the page read whole had none (QA174)."""

    cuts: list[int]
    paper: list[bool]


PAPER_BAND_INK = 0.02


def band_cuts(image: Image.Image, dpi: int, bands: int) -> list[int]:
    """Rows at which to cut the page image into at most ``bands`` horizontal bands (none: read it whole);
    ``page_bands`` says which bands are paper too."""
    return page_bands(image, dpi, bands).cuts


def page_bands(image: Image.Image, dpi: int, bands: int) -> PageBands:
    """Rows at which to cut the page image into at most ``bands`` horizontal bands (none: read it whole).

    Cut k (of bands - 1) is the middle of the longest run of blank rows (of runs as long, the nearest) within
    ±BAND_SEARCH / bands × height of the row where the ink reaches k / bands of it, that leaves each band at least
    MIN_BAND_INK of an even band's ink and mostly text (``mostly_text``, as for two bands); where there is none, as
    it was looked for before: around k / bands of the height. Only a run of at least 1/30 inch counts (a gap
    between lines or paragraphs, not a thin stroke's hole); where there is none, there is no cut k.
    Pages shorter than two inches are read whole; more than two bands only where each is at least MIN_BANDS_INCH
    tall (an A4 or a portrait A5 page: a receipt, a slip or a landscape A5 is cut in two at most)."""
    bands = min(bands, max(2, int(image.height / (MIN_BANDS_INCH * dpi))))
    if bands < 2 or image.height < bands * dpi:
        return PageBands([], [False])
    gray = image if image.mode == "L" else image.convert("L")
    pixels = np.asarray(gray)
    dark = pixels < INK_LEVEL
    row_ink = np.count_nonzero(dark, axis=1) / dark.shape[1]  # (its mean, without summing it as floats)
    if not row_ink.any():
        return PageBands([], [False])  # no print dark enough to weigh the bands by (a carbon copy's): read whole
    blank = row_ink <= BLANK_ROW_INK
    # a line of faint print is no gap either (FAINT_BELOW_PAPER, a letter's height of rows at least: a light rule,
    # a dotted line stays a gap): a faded ribbon's dot-matrix line, lighter than INK_LEVEL, was taken for the gap
    # between two lines, the page cut through its middle and the line read as ~35 scraps (QA123: CER 0.127, 0.034
    # read whole)
    paper = int(np.median(_paper_sample(pixels, dpi)))
    if paper - FAINT_BELOW_PAPER > INK_LEVEL:
        faint_rows = np.zeros_like(blank)  # looked for in the blank rows only (~5 ms, not ~10, an A4 page at 300 dpi)
        faint_rows[blank] = (pixels[blank] < paper - FAINT_BELOW_PAPER).mean(axis=1) > BLANK_ROW_INK
        for start, end in blank_runs(faint_rows):
            if end - start >= FAINT_LINE_INCH * dpi:
                blank[start:end] = False
    inked = np.flatnonzero(~blank)
    ink_so_far = np.cumsum(row_ink) / row_ink.sum()  # the share of the page's ink above each row, and on it
    reach = BAND_SEARCH / bands * image.height
    shortest_gap = max(1.0, dpi / 30)

    # rows of text and the gaps between its lines and paragraphs, not the paper of a blank half inch or more
    text_rows = np.ones(image.height, dtype=np.int64)
    for start, end in blank_runs(blank):
        if end - start >= dpi / 2:
            text_rows[start:end] = 0
    text_so_far = np.concatenate(([0], np.cumsum(text_rows)))

    def mostly_text(cut: int, least: float, most: float) -> bool:
        """Whether a cut at row ``cut`` leaves the ink above it within (least, most) of the page's and the bands
        either side of it mostly text: its rows of text at least MIN_BAND_TEXT of its height. A few lines over a
        page of blank paper read as nothing when the paper is grainy (QA107: a header's title, a three-line note,
        a signature block with its names lost, the page still "good"); with the cut under them they were read with
        the text above."""
        above = text_so_far[cut] >= MIN_BAND_TEXT * cut
        below = text_so_far[image.height] - text_so_far[cut] >= MIN_BAND_TEXT * (image.height - cut)
        return least <= ink_so_far[cut] <= most and above and below

    def longest_gap(
        ideal: float, within: tuple[int, int] | None = None, allowed: Callable[[int], bool] | None = None
    ) -> int | None:
        """The middle of the longest blank run (at least ``shortest_gap``) within ``reach`` of ``ideal`` — and
        between the rows ``within`` —, a run at the edge of that span counted up to it; of runs as long, the
        nearest; only cuts ``allowed``."""
        first, last = int(ideal - reach), int(ideal + reach)
        if within is not None:
            first, last = max(first, within[0]), min(last, within[1])
        best: tuple[int, float, int] | None = None  # (run length, -distance from the ideal cut, cut row)
        for start, end in blank_runs(blank[first:last]):
            middle = first + (start + end) // 2
            if end - start >= shortest_gap and (allowed is None or allowed(middle)):
                candidate = (end - start, -abs(middle - ideal), middle)
                best = candidate if best is None or candidate > best else best
        return None if best is None else best[2]

    cuts: list[int] = []
    for k in range(1, bands):
        ink_middle = float(np.searchsorted(ink_so_far, k / bands))
        least, most = (k - 1 + MIN_BAND_INK) / bands, (k + 1 - MIN_BAND_INK) / bands
        allowed = functools.partial(mostly_text, least=least, most=most)
        cut = longest_gap(ink_middle, (int(inked[0]), int(inked[-1])), allowed)
        cut = cut if cut is not None else longest_gap(k * image.height / bands)
        if cut is not None:
            cuts.append(cut)
    # in order, once each: a cut found by the ink and one found by the height (where the ink gave none) may cross
    # (QA139 F1: [924, 924, 2652] left an empty band, and `sohoa ocr` ended "cannot write empty image")
    cuts = sorted(set(cuts))
    # a page in columns is read whole: each band would hold the top or the foot of both, read band by band (QA108:
    # a Công báo page's left column went on with the right one's "Điều 3", its own rest 22 lines later). Judged
    # again with the bands the cuts left make, till none is dropped: with more than two bands, a cut kept beside
    # one dropped for its columns could cut the same columns in the larger band (QA139 F3)
    while True:
        edges = [0, *cuts, image.height]
        kept = [
            cut
            for above, cut, below in zip(edges, edges[1:], edges[2:], strict=False)
            if not crosses_columns(dark[above:cut], dark[cut:below], dpi)
        ]
        if kept == cuts:
            edges = [0, *kept, image.height]
            shares = [
                ink_so_far[end - 1] - (ink_so_far[start - 1] if start else 0.0)
                for start, end in itertools.pairwise(edges)
            ]
            return PageBands(kept, [bool(share < PAPER_BAND_INK) for share in shares])
        cuts = kept
