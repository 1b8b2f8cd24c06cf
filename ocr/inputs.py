"""Recognise an input file and check it is usable before any expensive work.

The type is taken from the content (magic bytes), not the name: a text file named ``.pdf`` is refused with a
reason, and a JPEG named ``.png`` is still read as a JPEG.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pikepdf
from PIL import Image

from ocr.bilevel import FAX_TIFF_COMPRESSIONS, bilevel_codec, bilevel_complaints, tiff_fax_complaints
from sohoa.errors import BadInputError, Problem
from sohoa.libtiff_quiet import quiet_pillow_libtiff

quiet_pillow_libtiff()  # a damaged fax page is said in words (ocr.bilevel), not in libtiff's English on stderr

# Refuse pages above this many pixels: an A3 page at 600 dpi is ~70 Mpx; anything beyond ~180 Mpx is not a
# scan a commune office makes, and decoding it could exhaust memory.
MAX_PAGE_PIXELS = 180_000_000
MAX_PDF_PAGE_POINTS = 14_400  # PDF spec's own limit on page size (200 inches)
MIN_PDF_PAGE_POINTS = 3  # and its smallest (1 mm)
# Refuse an image smaller than a scan can be. The smallest paper a commune office scans (a receipt, an ID card)
# is ~50 mm on its short side: ~200 px at a scanner's lowest 100 dpi, ~600 px at 300 dpi. Half of each leaves
# room for a cropped scan; below them it is an icon or a thumbnail, not a record (Tesseract's own test images
# of whole pages are 171 px and more on their short side).
MIN_SCAN_PIXELS = 100  # on the short side
MIN_SCAN_MM = 10.0  # on the short side, at the resolution the file claims (300 dpi when it claims none)
DEFAULT_IMAGE_DPI = 300
MIN_DPI, MAX_DPI = 100, 600
# A page's drawing instructions — its content streams and those of the forms and tiling patterns it draws, of its
# annotations' appearances, Type 3 glyphs and soft masks — may
# decode to at most this many bytes: 20 times the densest of the 694 pages of ../shared/corpora (0.39 MB; a
# scanner's page holds a few dozen bytes of them). Parsing and rendering them costs by the instruction: 97 KB of
# Deflate that decode to 40 MB (one small square filled 1.7 million times, QA68) took 57 s and 1.37 GB to render
# blank, and were archived as PDF/A; 8 MB of them took 7 s and 345 MB. Counted while inflating, a chunk at a time,
# nothing kept: refusing that page costs a few hundredths of a second.
MAX_PAGE_CONTENT_BYTES = 8_000_000

MEDIA_TYPES = {
    "pdf": "application/pdf",
    "tiff": "image/tiff",
    "jpeg": "image/jpeg",
    "png": "image/png",
    "bmp": "image/bmp",
    "gif": "image/gif",
}

BMP_HEADER_SIZES = {12, 40, 52, 56, 64, 108, 124}  # BITMAPCOREHEADER … BITMAPV5HEADER


@dataclass(frozen=True)
class SmallPage:
    """A page too small to be a scan (``MIN_SCAN_MM``, ``MIN_SCAN_PIXELS``: a strip cut from a sheet, an icon) in a
    document that has pages of a usable size: kept in the output as it is, not read (OCRmyPDF's ``3small.pdf``, a
    50.8×6.3 mm page between two readable ones: the whole document was refused and its good pages lost with it).
    A document whose every page is too small, and a one-page file, is refused as before."""

    number: int
    size: str  # what is too small, in English: "the page is 50.8×6.3 mm", "60×60 px, 5.1×5.1 mm at 300 dpi"
    size_vi: str  # the same in Vietnamese

    def error(self, path: Path, *, named: bool = True) -> BadInputError:
        """The refusal of a document whose pages are all too small (``named``: the page is said)."""
        where_en, where_vi = (f"page {self.number}: ", f"trang {self.number}: ") if named else ("", "")
        return BadInputError(path, Problem.TOO_SMALL, f"{where_en}{self.size}", f"{where_vi}{self.size_vi}")


@dataclass(frozen=True)
class InputInfo:
    path: Path
    kind: str  # pdf | tiff | jpeg | png | bmp | gif
    page_count: int
    small_pages: tuple[SmallPage, ...] = ()  # kept as they are, not read (``SmallPage``)
    # a PDF's pages whose one image may be taken as the page's pixels (``plain_page_image``), by number
    plain_image_pages: frozenset[int] = frozenset()
    # a PDF's pages whose /UserUnit is not 1 (points per unit of their boxes), by number
    user_units: dict[int, float] = field(default_factory=dict)
    # a PDF's pages read with their annotations drawn (``covering_annotations``), by number
    covered_pages: frozenset[int] = frozenset()
    # what is typed on a PDF's pages in notes (``typed_notes``), by number
    typed_notes: dict[int, tuple[str, ...]] = field(default_factory=dict)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.kind]


def sniff_kind(head: bytes) -> str | None:
    if head.startswith(b"%PDF-") or b"%PDF-" in head[:1024]:
        return "pdf"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if head[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if head[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    # BMP and GIF store pixels without loss, as PNG does: read as one (QA174 F4: refused, where OCRmyPDF reads a
    # BMP), their pixels embedded losslessly (``ocr.pipeline.image_to_pdf``)
    if head[:2] == b"BM" and (len(head) < 18 or int.from_bytes(head[14:18], "little") in BMP_HEADER_SIZES):
        return "bmp"  # (one cut inside its header too: said to be cut short, not of an unknown type)
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    return None


# Image types a phone, a browser or a chat app saves that sohoa does not read, recognised by their content so that
# the reason says what the file is and what to do (the reason said only "first bytes 00 00 00 18 66 74 79 70", and
# nothing in Vietnamese): (English, Vietnamese)
OTHER_IMAGE_ADVICE: dict[str, tuple[str, str]] = {
    "heic": (
        "a HEIC/HEIF phone photo, the iPhone camera's format: export it as JPEG and submit that; "
        "Settings › Camera › Formats › Most Compatible makes an iPhone take JPEG photos",
        "ảnh HEIC/HEIF của điện thoại, định dạng ảnh của iPhone: hãy xuất sang JPEG rồi nộp lại; "
        "Cài đặt › Camera › Định dạng › Tương thích nhất để iPhone chụp ảnh JPEG",
    ),
    "avif": (
        "an AVIF image: export it as JPEG or PNG and submit that",
        "ảnh AVIF: hãy xuất sang JPEG hoặc PNG rồi nộp lại",
    ),
    "webp": (
        "a WebP image, as a web browser or a chat app saves one: save it as PNG or JPEG and submit that",
        "ảnh WebP, định dạng mà trình duyệt web hoặc ứng dụng nhắn tin lưu: hãy lưu lại dạng PNG hoặc JPEG rồi nộp lại",
    ),
    # a bitmap's info header and pixels without the BMP file's own header (the clipboard's "packed DIB"): QA177 F7
    "dib": (
        "a DIB without the file header a BMP file begins with (as the clipboard holds an image): save it as PNG or "
        "BMP and submit that",
        "ảnh DIB thiếu phần đầu tệp của ảnh BMP (như ảnh trong bộ nhớ tạm): hãy lưu lại dạng PNG hoặc BMP rồi nộp lại",
    ),
    "jpeg2000": (
        "a JPEG 2000 image: save it as TIFF or PNG and submit that",
        "ảnh JPEG 2000: hãy lưu lại dạng TIFF hoặc PNG rồi nộp lại",
    ),
    # (the TIFF for files over 4 GB, which some scanning software writes by default; sohoa reads a TIFF's own
    # structures to keep its pages' compressed data as it is, and reads those of a classic TIFF only: QA165 F3)
    "bigtiff": (
        "a BigTIFF, the variant of TIFF for files over 4 GB, not the standard TIFF sohoa accepts: save it as a "
        "standard TIFF (`tiffcp IN.tif OUT.tif`) and submit that",
        "ảnh BigTIFF, biến thể của TIFF dành cho tệp trên 4 GB, không phải TIFF thường mà sohoa nhận: hãy lưu lại "
        "dạng TIFF thường (`tiffcp IN.tif OUT.tif`) rồi nộp lại",
    ),
}
HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs", b"mif1", b"msf1", b"heif"}


def other_image_kind(head: bytes) -> str | None:
    """An image type sohoa does not read, by its content (a key of ``OTHER_IMAGE_ADVICE``), None when it is none
    of them: HEIC/HEIF (an ISO-BMFF ``ftyp`` box of brand ``heic``, ``heix``, ``mif1``, ``msf1``…), AVIF (an
    ``ftyp`` box naming ``avif``/``avis``), WebP (``RIFF…WEBP``), BigTIFF, a packed DIB (a bitmap's info header first),
    JPEG 2000 (a JP2 file or a bare codestream: named only by its first bytes until QA101)."""
    if head[4:8] == b"ftyp":
        box = int.from_bytes(head[:4], "big")
        brands = [head[i : i + 4] for i in range(8, min(max(box, 16), len(head)) - 3, 4) if i != 12]
        if any(brand in (b"avif", b"avis") for brand in brands):
            return "avif"
        if any(brand in HEIF_BRANDS for brand in brands):
            return "heic"
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II+\x00", b"MM\x00+"):
        return "bigtiff"
    if (
        len(head) >= 16
        and int.from_bytes(head[:4], "little") in BMP_HEADER_SIZES - {12}
        and head[12:14] == b"\x01\x00"  # one plane, as every bitmap has
        and int.from_bytes(head[14:16], "little") in (1, 4, 8, 16, 24, 32)
    ):
        return "dib"
    if head[:12] == b"\x00\x00\x00\x0cjP  \r\n\x87\n" or head[:4] == b"\xff\x4f\xff\x51":
        return "jpeg2000"  # a JP2 file's signature box, or a bare codestream's SOC and SIZ markers
    return None


def inspect_input(path: Path) -> InputInfo:
    """Return what the file is and how many pages it has, or raise ``BadInputError`` saying why not."""
    size = path.stat().st_size
    if size == 0:
        raise BadInputError(path, Problem.EMPTY)
    with path.open("rb") as handle:
        head = handle.read(2048)
    kind = sniff_kind(head)
    if kind is None:
        problem = Problem.NOT_A_PDF if path.suffix.lower() == ".pdf" else Problem.UNSUPPORTED_TYPE
        known = other_image_kind(head)
        if known is not None:  # what it is and what to do, in both languages
            raise BadInputError(path, problem, *OTHER_IMAGE_ADVICE[known], advised=True)
        raise BadInputError(path, problem, *_what_it_begins_with(head))
    if kind == "pdf":
        return InputInfo(path, kind, *_check_pdf(path, size))
    return InputInfo(path, kind, *_check_image(path))


def _what_it_begins_with(head: bytes) -> tuple[str, str]:
    """The start of a file that is no scan, for its reason, in English and Vietnamese (the Vietnamese reason had
    none of it, QA64): its text when it is text, else its first bytes in hex (a Vietnamese text file named .png was
    described in Python's bytes notation, b'\\xc4\\x90\\xc3\\xa2y l\\xc3')."""
    text = head[:120].decode("utf-8", errors="ignore")
    if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) >= 0.95 * len(text):
        snippet = " ".join(text.split())[:40]
        return f"it is text: «{snippet}…»", f"đây là văn bản chữ: «{snippet}…»"
    hexed = head[:8].hex(" ")
    return f"first bytes {hexed}", f"các byte đầu {hexed}"


def _check_pdf(
    path: Path, size: int
) -> tuple[int, tuple[SmallPage, ...], frozenset[int], dict[int, float], frozenset[int], dict[int, tuple[str, ...]]]:
    with path.open("rb") as handle:
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    # qpdf can "repair" a PDF whose end was cut off and silently lose pages; a scanner never writes one,
    # so a missing %%EOF means an interrupted copy: refuse rather than archive half a document.
    if b"%%EOF" not in tail:
        raise BadInputError(path, Problem.TRUNCATED_PDF)
    try:
        with pikepdf.open(path) as pdf:
            # Opened without a password, an encrypted PDF has permissions only (an owner password, no password to
            # open; many government PDFs are so): it is read as any other, and the output is written without
            # encryption, as PDF/A requires. One that needs a password to open raises PasswordError (below).
            if pdf.Root.get("/NeedsRendering") is True:
                # dynamic XFA (Adobe LiveCycle): the viewer builds the pages from the form's XML; the PDF's own
                # pages are a placeholder ("please wait…") or blank — OCRmyPDF refuses it too. QA: sohoa made a
                # blank page of one and called it PDF/A-2B, keeping /NeedsRendering (not allowed in PDF/A-2)
                raise BadInputError(path, Problem.DYNAMIC_XFA, "its catalog says /NeedsRendering true")
            count = len(pdf.pages)
            for number, page in enumerate(pdf.pages, start=1):
                box = [float(v) for v in page.mediabox]
                # in the box's own units, not times /UserUnit: PDFium renders in those units, so they bound the
                # memory; and a page made large by /UserUnit is a real page (OCRmyPDF's poster.pdf: 1800×3600
                # units of 10 pt, a 6 × 13 m poster, read as any other)
                if abs(box[2] - box[0]) > MAX_PDF_PAGE_POINTS or abs(box[3] - box[1]) > MAX_PDF_PAGE_POINTS:
                    raise BadInputError(path, Problem.TOO_LARGE, f"page {number}: page box {box}")
                _check_image_sizes(path, number, page)
                _check_content_sizes(path, number, page)
            sizes = [_too_small_page(number, page) for number, page in enumerate(pdf.pages, start=1)]
            small = _usable_or_refused(path, sizes)
            for number, page in enumerate(pdf.pages, start=1):
                _check_page_images(path, number, page)
            # a document with optional content may hide a layer by its configuration (QA113): rendered, as it shows
            layered = "/OCProperties" in pdf.Root
            covered = frozenset(number for number, page in enumerate(pdf.pages, start=1) if covering_annotations(page))
            notes = {number: typed for number, page in enumerate(pdf.pages, start=1) if (typed := typed_notes(page))}
            plain = frozenset(
                number
                for number, page in enumerate(pdf.pages, start=1)
                if not layered and number not in covered and plain_page_image(page)
            )
            _check_fax_images(path, pdf)
            units = _user_units(pdf)
    except pikepdf.PasswordError as exc:
        raise BadInputError(path, Problem.ENCRYPTED_PDF) from exc
    except pikepdf.PdfError as exc:
        raise BadInputError(path, Problem.DAMAGED_PDF, str(exc).splitlines()[0][:200]) from exc
    if count == 0:
        raise BadInputError(path, Problem.NO_PAGES)
    return count, small, plain, units, covered, notes


# What a scan image may be for its pixels to be the page's, as PDFium would draw it at the image's own resolution
_PLAIN_COLOUR_SPACES = ("/DeviceGray", "/DeviceRGB")
_PLAIN_FILTERS = ("/DCTDecode", "/FlateDecode")
_PLAIN_RESOURCES = {"/XObject", "/ProcSet"}


# Annotations a page is read with, drawn (``covering_annotations``): a redaction marked and not yet applied, a box
# laid over words to hide them, a stamp that carries what the page shows. The others — a typed note, a highlight, a
# scribble, a form's field — a viewer draws over the page, which is read without them (QA168 F3); reading without a
# redaction mark or a black box made the words it hides searchable and put them in the record (QA172 F1), and a page
# whose only content was a stamp annotation's scan was read as blank (QA172 F2)
COVERING_ANNOTATIONS = frozenset({"/Redact", "/Square", "/Circle", "/Polygon", "/Stamp"})
_HIDDEN_ANNOTATION = 2  # the /F flag of an annotation no viewer shows


def _shown_annotations(page: pikepdf.Page) -> Iterator[pikepdf.Dictionary]:
    """``page``'s annotations that a viewer shows (not flagged hidden)."""
    annotations = page.obj.get("/Annots")
    if not isinstance(annotations, pikepdf.Array):
        return
    for annotation in annotations:
        if not isinstance(annotation, pikepdf.Dictionary):
            continue
        flags = annotation.get("/F", 0)
        if not (isinstance(flags, int) and flags & _HIDDEN_ANNOTATION):
            yield annotation


def covering_annotations(page: pikepdf.Page) -> bool:
    """Whether ``page`` has a shown annotation of the kinds it is read with drawn (COVERING_ANNOTATIONS)."""
    return any(str(annotation.get("/Subtype", "")) in COVERING_ANNOTATIONS for annotation in _shown_annotations(page))


def typed_notes(page: pikepdf.Page) -> tuple[str, ...]:
    """What is typed on ``page`` in its shown notes (``/FreeText``: a typewriter tool's text, a typed comment), NFC,
    in order: a page is read without them (QA168 F3), and text typed onto a scanned form with a PDF tool was then
    in the record no more (QA172 F5); the record's text keeps it, after the page's."""
    typed = (
        " ".join(unicodedata.normalize("NFC", str(annotation.get("/Contents"))).split())
        for annotation in _shown_annotations(page)
        if annotation.get("/Subtype") == "/FreeText" and isinstance(annotation.get("/Contents"), pikepdf.String)
    )
    return tuple(text for text in typed if text)


def plain_page_image(page: pikepdf.Page) -> bool:
    """Whether a page's resources hold one image and nothing else to draw (no form), an image whose decoded pixels
    are what it shows: 8 bits of grey or RGB, JPEG or Deflate, no mask, no /Decode. Such a page, a scanner's or an
    OCR tool's, is read from its image's own pixels where PDFium finds the image drawn upright over the whole page
    (``sohoa.pdfium.RenderablePdf.page_image``), not rendered (~50–70 ms an A4 page at 300 dpi). Its annotations do
    not count: a page is read without them (``ocr.pipeline.plan_pages``) but for those that cover what it shows
    (``covering_annotations``: such a page is rendered)."""
    if "/Group" in page.obj:
        return False
    resources = page.obj.get("/Resources")
    if not isinstance(resources, pikepdf.Dictionary) or set(resources.keys()) - _PLAIN_RESOURCES:
        # a graphics state (its /ca 0 or soft mask hides the image: QA113), optional content's properties (a hidden
        # layer), a pattern or a shading: what the page shows is not the image's pixels
        return False
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, pikepdf.Dictionary) or len(xobjects) != 1:
        return False
    ((_, image),) = xobjects.items()
    if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != "/Image":
        return False
    if any(key in image for key in ("/SMask", "/Mask", "/Decode", "/ImageMask", "/SMaskInData", "/OC")):
        return False
    filters = image.get("/Filter")
    return (
        image.get("/BitsPerComponent") == 8
        and isinstance(image.get("/ColorSpace"), pikepdf.Name)
        and str(image.get("/ColorSpace")) in _PLAIN_COLOUR_SPACES
        and isinstance(filters, pikepdf.Name)
        and str(filters) in _PLAIN_FILTERS
    )


def _usable_or_refused(path: Path, pages: list[SmallPage | None], *, named: bool = True) -> tuple[SmallPage, ...]:
    """The pages too small to be a scan (``SmallPage``) of a document some of whose pages are of a usable size, to be
    kept as they are; when none is (every page too small, or the only one), the document is refused for the first."""
    small = tuple(page for page in pages if page is not None)
    if small and len(small) == len(pages):
        raise small[0].error(path, named=named)
    return small


def image_dpi(image: Image.Image) -> int:
    """The resolution an image claims, as the pages are planned and laid out: 300 when it claims none or an
    implausible one."""
    return image_resolution(image)[0]


_BOMB_PIXELS = re.compile(r"Image size \((\d+) pixels\)")


def _megapixels(pixels: int) -> str:
    """``900`` or, near the limit, ``180.4``: a size just over MAX_PAGE_PIXELS is not said as the limit itself
    (QA135 F7: "180 Mpx > 180 Mpx")."""
    return f"{pixels / 1e6:.0f}" if pixels >= 2 * MAX_PAGE_PIXELS else f"{pixels / 1e6:.1f}"


def _too_large(path: Path, page: int | None, size: str, size_vi: str | None = None) -> BadInputError:
    """The refusal of an image page over MAX_PAGE_PIXELS: its ``size`` (``size_vi`` in Vietnamese, when it is said
    otherwise) against sohoa's limit, and which page of a multi-page file, in both languages."""
    limit = f"{MAX_PAGE_PIXELS // 1_000_000} Mpx"
    where, where_vi = (f"page {page}: ", f"trang {page}: ") if page is not None else ("", "")
    return BadInputError(path, Problem.TOO_LARGE, f"{where}{size} > {limit}", f"{where_vi}{size_vi or size} > {limit}")


def _bomb_refused(path: Path, exc: Image.DecompressionBombError, page: int | None) -> BadInputError:
    """The refusal of an image file Pillow will not open as too large (a decompression bomb), in sohoa's words and
    limit (QA133 F6: Pillow's English, "exceeds limit of 178956970 pixels", a limit that is not sohoa's, and no
    page named)."""
    found = _BOMB_PIXELS.search(str(exc))
    if found is None:
        return _too_large(path, page, "the image", "ảnh")
    return _too_large(path, page, f"{_megapixels(int(found[1]))} Mpx")


def image_resolution(image: Image.Image) -> tuple[int, bool]:
    """``image_dpi`` and whether it was assumed: the image states no resolution (a JPEG whose JFIF density unit
    is 0, a PNG without pHYs or with an aspect ratio only) or an implausible one, so 300 dpi was taken."""
    stated = stated_resolution(image)
    dpi = round(stated) if stated is not None else 0  # Pillow reports 299.9994 for 300
    if MIN_DPI <= dpi <= 2 * MAX_DPI:
        return dpi, False
    if LOWEST_STATED_DPI <= dpi < MIN_DPI and _paper_sized(image, dpi) and not _in_exif_alone(image):
        return dpi, False
    return _assumed_dpi(image), True


# An office scanner's "e-mail" settings scan at 75 or 96 dpi and say so. Such a resolution was implausible, 300 dpi
# taken, and an A4 scan archived as a 52 × 74 mm page (QA148 F2; OCRmyPDF keeps A4). Under MIN_DPI a stated resolution
# is kept where the page it makes is no larger than A3 and its margin, and not stated in a JPEG's EXIF alone (a
# camera's 72, ``_in_exif_alone``): a phone's EXIF 72 dpi on its photo is still implausible. Such a page is read
# enlarged to MIN_DPI (ocr.pipeline), as a PDF's page is rendered at MIN_DPI at least.
LOWEST_STATED_DPI = 50
_A3_LONG_IN = 420 / 25.4
_A3_SHORT_IN = 297 / 25.4


def _in_exif_alone(image: Image.Image) -> bool:
    """Whether a JPEG's resolution is stated in its EXIF alone (if at all: ``stated_resolution``), not in a JFIF
    density: a camera's 72, which says nothing of the paper (QA150 F5: a phone's 768 × 1024 photo was a 271 × 361 mm
    page, its 960 × 1280 one, larger than A3 so, 81 × 108 mm); a scanner writes its JFIF density."""
    return image.format in ("JPEG", "MPO") and image.info.get("jfif_unit") not in (1, 2)


def _paper_sized(image: Image.Image, dpi: int) -> bool:
    """Whether ``image`` at ``dpi`` is a page no larger than A3 (and ``_ROOM``), either way up."""
    longest, shortest = max(image.size), min(image.size)
    return longest / dpi <= _A3_LONG_IN * _ROOM and shortest / dpi <= _A3_SHORT_IN * _ROOM


# A4's long side, in inches: Decree 30 prints every document on A4. A photo that states no resolution and would
# make a larger page at 300 dpi (a phone's 50-megapixel photo of an A4 page: 518 × 691 mm; a 12-megapixel one,
# 256 × 362 mm) is taken at the resolution that fits it in A4 (741 and 366 dpi, about what the
# camera saw of the paper) — printed at "actual size" the first was two A2 sheets. Until 2026-12-02 only a page
# larger than A3 was (QA77: the 12-megapixel photo was archived as a 256 × 362 mm page). ``_ROOM``: a scan's
# margin beyond the paper.
_A4_LONG_IN = 297 / 25.4
_A4_SHORT_IN = 210 / 25.4
_ROOM = 1.05


def _assumed_dpi(image: Image.Image) -> int:
    """The resolution taken for an image that states none, or an implausible one: DEFAULT_IMAGE_DPI, or for an image
    that would then be larger than an A4 page (and its margin), the one that makes it fit A4 — by its long side, or
    by its short side when that is the wider (a 4:3 photo fitted by its long side was 297 × 223 mm, QA79)."""
    longest, shortest = max(image.size), min(image.size)
    fits = max(longest / _A4_LONG_IN, shortest / _A4_SHORT_IN)
    if fits <= DEFAULT_IMAGE_DPI * _ROOM:
        return DEFAULT_IMAGE_DPI
    return min(math.ceil(fits), 2 * MAX_DPI)


def stated_resolution(image: Image.Image) -> float | None:
    """The horizontal resolution an image states, as a float, or None when it states none.

    Read here once for every use: Pillow gives it as an int, a float or, from EXIF or TIFF tags (a phone's
    EXIF XResolution 72, a 72 dpi TIFF), an ``IFDRational``, which f-strings cannot format (QA: such a JPEG
    crashed the warning that names an implausible resolution). A JPEG with EXIF but neither a JFIF density in
    dots per inch or cm nor an EXIF XResolution states none, though Pillow gives it (72, 72)."""
    raw = _stated_pair(image)
    if not raw:
        return None
    if _in_exif_alone(image):
        try:
            if 0x011A not in image.getexif():  # EXIF XResolution
                return None
        except (OSError, SyntaxError, ValueError, TypeError):
            return None
    try:
        value = float(raw[0])
    except (TypeError, ValueError, ZeroDivisionError, IndexError):
        return None
    return value if math.isfinite(value) and value > 0 else None


# TIFF Orientation values that turn the image a quarter (5 and 7 mirrored too)
_QUARTER_TURNS = (5, 6, 7, 8)


def _stated_pair(image: Image.Image) -> tuple[Any, ...] | None:
    """The resolutions ``image`` states (Pillow's ``info["dpi"]``), across and down the image as decoded: a TIFF
    turned a quarter by its Orientation tag is decoded turned, its resolutions still in its stored axes' order (QA89:
    a fax stored sideways was "98 dpi", implausible, and laid out as a landscape strip)."""
    raw = image.info.get("dpi")
    if not isinstance(raw, tuple):
        return None
    if len(raw) == 2 and image.format == "TIFF" and getattr(image, "tag_v2", {}).get(0x0112, 1) in _QUARTER_TURNS:
        return (raw[1], raw[0])
    return raw


def pixel_aspect(image: Image.Image) -> float:
    """How many times taller than wide a pixel of ``image`` stands on paper, by the two resolutions it states: a
    standard-mode fax, 204 × 98 dpi, 2.08; 1.0 when it states one resolution, none, an implausible one (the image
    is then taken at ``image_dpi`` both ways), or a pair no scanner makes (``implausible_pixel_aspect``)."""
    pair = _stated_across_down(image)
    if pair is None or _no_scanners(pair):
        return 1.0
    aspect = pair[0] / pair[1]
    return aspect if abs(aspect - 1) > 0.01 else 1.0  # 299.9994 × 300 is square


# The most a scan's pixel stands taller than wide (or wider than tall): a standard-mode fax's 204 × 98 dpi, 2.08. An
# image stating 300 × 72 dpi, 4.2, was laid out as a page 210 × 1237 mm, its text stretched four times down it and
# read as junk, with no word said (QA165 F4): such a pair is taken as its horizontal resolution both ways, and said
MAX_PIXEL_ASPECT = 2.5


def implausible_pixel_aspect(image: Image.Image) -> tuple[float, float] | None:
    """The two resolutions ``image`` states (across, down) when they are each plausible but no scanner's pair
    (MAX_PIXEL_ASPECT): ``pixel_aspect`` then takes its pixels as square; None otherwise."""
    pair = _stated_across_down(image)
    return pair if pair is not None and _no_scanners(pair) else None


def _no_scanners(pair: tuple[float, float]) -> bool:
    """Whether resolutions (across, down) make a pixel more than MAX_PIXEL_ASPECT times taller than wide, or wider."""
    return not 1 / MAX_PIXEL_ASPECT <= pair[0] / pair[1] <= MAX_PIXEL_ASPECT


def _stated_across_down(image: Image.Image) -> tuple[float, float] | None:
    """The resolutions ``image`` states across and down, when its horizontal one is plausible (``image_resolution``)
    and its vertical one a scanner's (a fax's 98 lines an inch, too); None otherwise."""
    raw = _stated_pair(image)
    if image_resolution(image)[1] or raw is None or len(raw) < 2:
        return None
    try:
        across, down = float(raw[0]), float(raw[1])
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return (across, down) if math.isfinite(down) and MIN_DPI / 2 <= down <= 2 * MAX_DPI else None


def page_frames(image: Image.Image) -> list[int]:
    """The frames of an image file that are its pages, in order: a TIFF's frames but its reduced-resolution
    previews, and only the first of an MPO JPEG (what phones write: the photo, then a smaller preview of it — QA: a
    2-page record, page 2 the preview).

    A TIFF frame flagged as a reduced-resolution copy of another (TIFF 6.0 NewSubfileType bit 0: a "save with
    preview" thumbnail) is no page when it is smaller than a frame that is not so flagged, wherever it lies: one
    made a stamp-sized blank page (QA101, at the end; QA102, first or in the middle). A flagged frame as large as
    the pages is one (a writer that sets the bit on every page): until QA102 such a last page was dropped without
    a word."""
    if image.format == "MPO":
        return [0]
    frames = int(getattr(image, "n_frames", 1))
    if image.format != "TIFF" or frames < 2:
        return list(range(frames))
    current = image.tell()
    try:
        sizes: list[tuple[int, int, bool]] = []
        for index in range(frames):
            image.seek(index)
            reduced = bool(int(image.tag_v2.get(254, 0)) & 1)  # type: ignore[attr-defined]
            sizes.append((image.width, image.height, reduced))
    except Exception:  # a frame that cannot be reached: counted, and said by the page that fails
        return list(range(frames))
    finally:
        image.seek(current)
    full = [(width, height) for width, height, reduced in sizes if not reduced]

    def preview(width: int, height: int) -> bool:
        return any(width <= w and height <= h and width * height < w * h for w, h in full)

    return [index for index, (width, height, reduced) in enumerate(sizes) if not (reduced and preview(width, height))]


def _too_small(image: Image.Image, page: int) -> SmallPage | None:
    """Page ``page`` of an image file (its current frame) when it is too small to be a scan, else None."""
    width, height = image.size
    dpi = image_dpi(image)
    width_mm, height_mm = width / dpi * 25.4, height / dpi * 25.4
    if min(width, height) >= MIN_SCAN_PIXELS and min(width_mm, height_mm) >= MIN_SCAN_MM:
        return None
    size_en = f"{width_mm:.1f}×{height_mm:.1f} mm at {dpi} dpi"
    size_vi = size_en.replace(".", ",").replace(" at ", " ở ")
    return SmallPage(page, f"{width}×{height} px, {size_en}", f"{width}×{height} điểm ảnh, {size_vi}")


def _user_units(pdf: pikepdf.Pdf) -> dict[int, float]:
    """The pages of ``pdf`` whose /UserUnit is not 1, by number: their units in points."""
    return {number: unit for number, page in enumerate(pdf.pages, start=1) if (unit := _user_unit(page)) != 1}


def pdf_user_units(path: Path) -> dict[int, float]:
    """``_user_units`` of the PDF at ``path`` ({} when it cannot be opened: for the pipeline to say why)."""
    try:
        with pikepdf.open(path) as pdf:
            return _user_units(pdf)
    except (pikepdf.PdfError, OSError):
        return {}


def _user_unit(page: pikepdf.Page) -> float:
    """The page's /UserUnit (points per unit of its boxes; 1 unless set, as PDF 1.6 says)."""
    try:
        unit = float(page.obj.get("/UserUnit", 1))
    except (TypeError, ValueError):
        return 1.0
    return unit if unit > 0 else 1.0


def _check_image_sizes(path: Path, number: int, page: pikepdf.Page) -> None:
    """Refuse a page that draws an image declaring more than ``MAX_PAGE_PIXELS``, before anything decodes it: its
    page box may be A4 (QA56: a 40000×40000 px image on an A4 page — 1.5 MB of Deflate — was rendered at 2.3 GB of
    memory and archived as PDF/A; a 60000² one was rendered blank, unsaid). Images inside form XObjects too."""
    seen: set[tuple[int, int]] = set()

    def walk(resources: object, depth: int) -> None:
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        if not isinstance(xobjects, pikepdf.Dictionary) or depth > 8:
            return
        for name, xobject in xobjects.items():
            if not isinstance(xobject, pikepdf.Stream) or (xobject.is_indirect and xobject.objgen in seen):
                continue
            if xobject.is_indirect:
                seen.add(xobject.objgen)
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                walk(xobject.get("/Resources"), depth + 1)
                continue
            try:
                width, height = int(xobject.get("/Width", 0)), int(xobject.get("/Height", 0))
            except (TypeError, ValueError):
                continue  # left to the renderer, as a damaged image
            if width * height > MAX_PAGE_PIXELS:
                raise BadInputError(
                    path,
                    Problem.TOO_LARGE,
                    f"page {number}: {_image_named(name)} declares {width}×{height} px "
                    f"({width * height / 1e6:.0f} Mpx, more than {MAX_PAGE_PIXELS / 1e6:.0f})",
                )

    walk(page.obj.get("/Resources"), 0)


def _check_content_sizes(path: Path, number: int, page: pikepdf.Page) -> None:
    """Refuse a page whose drawing instructions decode to more than ``MAX_PAGE_CONTENT_BYTES`` (a decompression
    bomb made of content, not of an image: ``_check_image_sizes`` does not see it), before anything parses or
    renders them. Weighed twice: first each stream once — the page's content streams, and the forms and tiling
    patterns its resources hold (nested ones too) —, which costs only inflating them; then, when the page has
    forms or patterns, what it draws: a form drawn ten times is run ten times (QA70: a 100 KB form drawn 10 times
    by a form drawn 10 times by a form the page drew twice, 1.4 KB of PDF, took 68 s to render blank), so each is
    counted as many times as the content that draws it names it, through nested forms (``_drawn_size``). The
    renderer runs more than the page's content: its annotations' appearances (``/AP``), the glyphs of its Type 3
    fonts (``/CharProcs``) and the groups of its soft masks (an ``/ExtGState``'s ``/SMask /G``) are weighed too, and
    counted as often as they run (98 KB of PDF whose annotation appearance decoded to 40 MB took 33 s and 3.3 GB)."""
    sizes: dict[tuple[int, int], int] = {}
    total = 0
    masks_and_fonts: list[tuple[pikepdf.Object, object]] = []  # soft-mask groups, Type 3 fonts; where found
    fonts_seen: set[tuple[int, int]] = set()

    def too_large(what_en: str, what_vi: str) -> BadInputError:
        limit = MAX_PAGE_CONTENT_BYTES // 1_000_000
        return BadInputError(
            path,
            Problem.TOO_LARGE,
            f"page {number}: {what_en} more than {limit} MB",
            f"trang {number}: {what_vi} hơn {limit} MB",
        )

    def add(stream: pikepdf.Object | None) -> None:
        nonlocal total
        if not isinstance(stream, pikepdf.Stream) or stream.objgen in sizes:
            return
        size = _decoded_size(stream, MAX_PAGE_CONTENT_BYTES - total + 1)
        sizes[stream.objgen] = size
        total += size
        if total > MAX_PAGE_CONTENT_BYTES:
            raise too_large("its drawing instructions decode to", "lệnh vẽ của trang giải nén ra")

    def weigh(stream: pikepdf.Stream, depth: int) -> None:
        """``stream`` weighed once, and what its own resources let it run."""
        if stream.objgen not in sizes:
            add(stream)
            walk(stream.get("/Resources"), depth)

    def walk(resources: object, depth: int) -> None:
        if not isinstance(resources, pikepdf.Dictionary) or depth > _MAX_FORM_DEPTH:
            return
        for entry in _drawables(resources).values():
            weigh(entry, depth + 1)
        for group in _soft_masks(resources).values():
            if group is not None and group.objgen not in sizes:
                masks_and_fonts.append((group, resources))
                weigh(group, depth + 1)
        for font in _type3_fonts(resources).values():
            if font.is_indirect and font.objgen in fonts_seen:
                continue
            fonts_seen.add(font.objgen)
            masks_and_fonts.append((font, resources))
            procs = font.get("/CharProcs")
            for glyph in procs.values() if isinstance(procs, pikepdf.Dictionary) else []:
                if isinstance(glyph, pikepdf.Stream):
                    weigh(glyph, depth + 1)
            walk(font.get("/Resources"), depth + 1)

    contents = page.obj.get("/Contents")
    streams = [
        s for s in (contents if isinstance(contents, pikepdf.Array) else [contents]) if isinstance(s, pikepdf.Stream)
    ]
    for stream in streams:
        add(stream)
    resources = page.obj.get("/Resources")
    walk(resources, 0)
    annotations = _appearances(page)
    for normal, others in annotations:
        for appearance in normal + others:
            weigh(appearance, 1)
    # a content stream the page's /Contents lists twice is run twice, like a form drawn twice
    drawn = sum(sizes[stream.objgen] for stream in streams)
    if len(sizes) > len({stream.objgen for stream in streams}):  # more than content (a scan's page has nothing more)
        drawn = _drawn_size(streams, resources, sizes, [normal for normal, _ in annotations if normal], masks_and_fonts)
    if drawn > MAX_PAGE_CONTENT_BYTES:
        raise too_large(
            "the drawing instructions it runs, each form counted as many times as it is drawn, come to",
            "lệnh vẽ trang phải chạy, mỗi khối vẽ (form) tính bằng số lần được vẽ, lên tới",
        )


# Forms nest at most this deep in what is weighed: deeper than PDFium draws (kMaxFormLevel, 40 in its parser), and
# ``_drawn_size`` visits each form once whatever the depth: the limit only bounds the recursion.
_MAX_FORM_DEPTH = 64
# In decoded content: a name then, past whitespace and comments, the operator that uses it — ``/Fm0 Do`` draws a
# form, ``/P0 scn`` fills with a pattern (the name is the operator's last operand, the one PDFium looks up); and
# every ``Do`` operator, so that one drawing something not written as a name just before it is still counted.
_NAMED_USE = re.compile(rb"/([^\s/\[\]<>(){}%\x00]*)(?:[\s\x00]|%[^\r\n]*[\r\n])*(Do|scn|SCN)(?![^\s/\[\]<>(){}%\x00])")
_DO = re.compile(rb"Do(?![^\s/\[\]<>(){}%\x00])")  # preceded by what ends a token (``_do_operators``): a lookbehind
# first makes the scan ten times slower (12 ms for a 350 KB form) than one that starts with the literal
_ENDS_TOKEN = frozenset(b" \t\n\r\f\v\x00[]<>(){}%")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _do_operators(data: bytes) -> int:
    """How many ``Do`` operators ``data`` holds (and words ``Do`` in its strings: too many is on the safe side)."""
    return sum(1 for found in _DO.finditer(data) if found.start() == 0 or data[found.start() - 1] in _ENDS_TOKEN)


def _named(resources: object, page_resources: object, kind: str) -> dict[bytes, pikepdf.Object]:
    """The ``kind`` entries (``/XObject``, ``/Font``…) of ``resources`` by name as content writes it; a form's
    resources without entries of that kind have the page's, as PDFium looks names up."""
    entries = resources.get(kind) if isinstance(resources, pikepdf.Dictionary) else None
    if entries is None and isinstance(resources, pikepdf.Dictionary) and isinstance(page_resources, pikepdf.Dictionary):
        entries = page_resources.get(kind)
    if not isinstance(entries, pikepdf.Dictionary):
        return {}
    return {name[1:].encode("utf-8", "surrogateescape"): entry for name, entry in entries.items()}


def _drawables(resources: object, page_resources: object = None) -> dict[bytes, pikepdf.Stream]:
    """The streams of content ``resources`` lets a content stream draw, by name: forms (``/XObject``) and tiling
    patterns (a ``/Pattern`` that is a stream); images are weighed by ``_check_image_sizes``. Shading patterns and
    ``sh`` run no content (a function of colour, drawn by PDFium without instructions)."""
    found: dict[bytes, pikepdf.Stream] = {}
    for kind in ("/XObject", "/Pattern"):
        for name, entry in _named(resources, page_resources, kind).items():
            if isinstance(entry, pikepdf.Stream) and (kind == "/Pattern" or entry.get("/Subtype") == pikepdf.Name.Form):
                found[name] = entry
    return found


def _soft_masks(resources: object, page_resources: object = None) -> dict[bytes, pikepdf.Stream | None]:
    """The graphics states of ``resources`` (``/ExtGState``, set by ``gs``) that change the soft mask, by name: to
    the transparency group run to make the mask (its ``/SMask`` ``/G``), or to None for one that takes the mask off
    (``/SMask /None``, or a mask without a group, which PDFium ignores). A form's own ``/Group`` is not content: it
    says how the form is composited."""
    found: dict[bytes, pikepdf.Stream | None] = {}
    for name, state in _named(resources, page_resources, "/ExtGState").items():
        mask = state.get("/SMask") if isinstance(state, pikepdf.Dictionary) else None
        if mask is not None:
            group = mask.get("/G") if isinstance(mask, pikepdf.Dictionary) else None
            found[name] = group if isinstance(group, pikepdf.Stream) else None
    return found


def _type3_fonts(resources: object, page_resources: object = None) -> dict[bytes, pikepdf.Dictionary]:
    """The Type 3 fonts of ``resources`` by name: each glyph they show runs a content stream of their
    ``/CharProcs``."""
    return {
        name: font
        for name, font in _named(resources, page_resources, "/Font").items()
        if isinstance(font, pikepdf.Dictionary) and font.get("/Subtype") == pikepdf.Name.Type3
    }


def _appearances(page: pikepdf.Page) -> list[tuple[list[pikepdf.Stream], list[pikepdf.Stream]]]:
    """The appearance streams of the page's annotations, one pair each: the normal appearance (``/AP /N``: one
    stream, or one per state — the one ``/AS`` names is drawn), which the renderer draws with the page (as a form),
    and the rollover and down ones (``/R``, ``/D``), which a viewer shows under the mouse."""
    found: list[tuple[list[pikepdf.Stream], list[pikepdf.Stream]]] = []
    annotations = page.obj.get("/Annots")
    for annotation in annotations if isinstance(annotations, pikepdf.Array) else []:
        appearance = annotation.get("/AP") if isinstance(annotation, pikepdf.Dictionary) else None
        if not isinstance(appearance, pikepdf.Dictionary):
            continue
        states: dict[str, list[pikepdf.Stream]] = {}
        for kind in ("/N", "/R", "/D"):
            entry = appearance.get(kind)
            if isinstance(entry, pikepdf.Stream):
                states[kind] = [entry]
            elif isinstance(entry, pikepdf.Dictionary):
                states[kind] = [state for state in entry.values() if isinstance(state, pikepdf.Stream)]
        found.append((states.get("/N", []), states.get("/R", []) + states.get("/D", [])))
    return found


# What ``_masked_and_glyph_size`` reads of content: the graphics state's saves and restores, the operators that set
# a soft mask or a font, those that show glyphs, and those that put a mark on the page (each one masked apart)
_MASK_AND_TEXT_OPERATORS = "q Q gs Tf Tj TJ ' \" f F f* S s B B* b b* sh Do EI"


def _drawn_size(
    streams: list[pikepdf.Stream],
    page_resources: object,
    sizes: dict[tuple[int, int], int],
    annotations: list[list[pikepdf.Stream]],
    masks_and_fonts: list[tuple[pikepdf.Object, object]],
) -> int:
    """The size of the drawing instructions a page runs: its content, plus each form it draws times the number of
    times it draws it (``Do`` naming it), and so on down nested forms; a tiling pattern once per fill colour naming
    it (``scn``: PDFium draws its cell once per use and tiles the picture); each annotation's normal appearance
    (``annotations``: its states; the heaviest is counted, whichever ``/AS`` names). Soft masks and Type 3 glyphs
    are counted as ``masked_and_glyph_size`` says (``masks_and_fonts``: the page's soft-mask groups and Type 3 fonts,
    each with the resources it was found in). Called only once each stream has been weighed once (``sizes``)
    within ``MAX_PAGE_CONTENT_BYTES``: scanning them for names is then affordable. Each form is scanned once
    however often it is drawn (memoised per form and the resources its names resolve in). Counting stops past
    ``MAX_PAGE_CONTENT_BYTES``: an answer above it is only known to be above it."""
    over = MAX_PAGE_CONTENT_BYTES + 1
    Key = tuple[tuple[int, int], tuple[int, int], bool]  # the form, the resources its names resolve in, inheriting
    memo: dict[Key, int] = {}
    drawing: set[Key] = set()
    glyph_memo: dict[tuple[int, int], list[int]] = {}
    cuts = 0
    # what a drawn form inherits from what draws it: the heaviest soft mask and glyph of the page (``heaviest``)
    inherited = (0, 0)

    def run(
        sources: list[pikepdf.Stream], own: int, resources: object, where: tuple[int, int], depth: int, inheriting: bool
    ) -> int:
        """``own`` plus what running ``sources`` (content resolving names in ``resources``) draws; ``inheriting``:
        a form drawn, which runs with the soft mask and font of what draws it."""
        drawables = _drawables(resources, page_resources)
        masks, fonts = _soft_masks(resources, page_resources), _type3_fonts(resources, page_resources)
        mask_in, glyph_in = inherited if inheriting else (0, 0)
        if not (drawables or masks or fonts or mask_in or glyph_in):
            return own
        chunks = []
        for source in sources:
            with contextlib.suppress(pikepdf.PdfError):  # damaged: left to the renderer, as in ``_decoded_size``
                chunks.append(source.read_bytes())
        data = b"\n".join(chunks)
        uses: dict[bytes, int] = {}
        named_do = 0
        for match in _NAMED_USE.finditer(data) if drawables else ():
            name = _NAME_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
            named_do += match.group(2) == b"Do"
            uses[name] = uses.get(name, 0) + 1
        # a Do with no name just before it (a string, say, which PDFium may look up as a name): the heaviest form
        unnamed = _do_operators(data) - named_do if drawables else 0
        drawn, heaviest = own, 0
        for name, entry in drawables.items():
            if uses.get(name, 0) or unnamed > 0:
                weight = form_size(entry, resources, where, depth + 1, inheriting=True)
                drawn, heaviest = drawn + uses.get(name, 0) * weight, max(heaviest, weight)
                if drawn > MAX_PAGE_CONTENT_BYTES:
                    return over
        drawn += max(unnamed, 0) * heaviest
        if mask_in or glyph_in or (masks and b"gs" in data) or (fonts and b"Tf" in data):
            drawn += masked_and_glyph_size(sources, masks, fonts, (mask_in, glyph_in), resources, where, depth)
        return min(drawn, over)

    def form_size(
        form: pikepdf.Stream, outer: object, outer_where: tuple[int, int], depth: int, inheriting: bool
    ) -> int:
        own = sizes.get(form.objgen, 0)
        if form.objgen not in sizes or depth > _MAX_FORM_DEPTH:
            return own  # deeper than weighed once, and than PDFium draws
        resources: object = form.get("/Resources")
        if isinstance(resources, pikepdf.Dictionary):
            where = resources.objgen if resources.is_indirect else form.objgen  # a direct one is this form's own
        else:
            resources, where = outer, outer_where  # a form without resources uses those of what draws it
        key = (form.objgen, where, inheriting)
        if key in memo:
            return memo[key]
        if key in drawing:
            # a form that draws itself: PDFium does not draw it again inside itself (counted once more, not
            # through: the safe side). What is weighed meanwhile is weighed with this form cut short, which holds
            # only below it: not kept for another path to reuse (a path where it is not cut short would be undercounted)
            nonlocal cuts
            cuts += 1
            return own
        drawing.add(key)
        cuts_before = cuts
        size = run([form], own, resources, where, depth, inheriting)
        drawing.discard(key)
        if cuts == cuts_before:
            memo[key] = size
        return size

    def glyph_sizes(font: pikepdf.Dictionary, outer: object, outer_where: tuple[int, int], depth: int) -> list[int]:
        """The size of the drawing instructions each of the 256 codes of Type 3 ``font`` runs: its glyph's (named
        by the font's ``/Encoding /Differences``), or the font's heaviest glyph's for a code the differences do not
        name (a base encoding's name may still find a glyph: the safe side)."""
        if font.objgen in glyph_memo:
            return glyph_memo[font.objgen]
        resources: object = font.get("/Resources")
        where = outer_where
        if isinstance(resources, pikepdf.Dictionary):
            where = resources.objgen if resources.is_indirect else font.objgen
        else:
            resources = outer  # a font without resources: its glyphs' names resolve where it is used
        procs = font.get("/CharProcs")
        weights = {
            name: form_size(proc, resources, where, depth + 1, inheriting=False)
            for name, proc in (procs.items() if isinstance(procs, pikepdf.Dictionary) else [])
            if isinstance(proc, pikepdf.Stream)
        }
        by_code = [max(weights.values(), default=0)] * 256
        encoding = font.get("/Encoding")
        differences = encoding.get("/Differences") if isinstance(encoding, pikepdf.Dictionary) else None
        code = 0
        for entry in differences if isinstance(differences, pikepdf.Array) else []:
            if isinstance(entry, pikepdf.Name):
                if 0 <= code < 256:
                    by_code[code] = weights.get(str(entry), 0)  # a glyph the font has not: PDFium draws nothing
                code += 1
            else:
                with contextlib.suppress(TypeError, ValueError):
                    code = int(entry)
        if font.is_indirect:
            glyph_memo[font.objgen] = by_code
        return by_code

    def masked_and_glyph_size(
        sources: list[pikepdf.Stream],
        masks: dict[bytes, pikepdf.Stream | None],
        fonts: dict[bytes, pikepdf.Dictionary],
        start: tuple[int, int],
        resources: object,
        where: tuple[int, int],
        depth: int,
    ) -> int:
        """What soft masks and Type 3 glyphs add to running ``sources``. PDFium runs the group of the soft mask in
        force once for each mark made under it (each fill, stroke, text, image, form drawn: measured, a mask set
        once and 20 rectangles filled under it took 20 times as long as one), inside forms too; and the glyph's
        content stream once for each Type 3 glyph shown (a code of a string ``Tj`` and its kin show). Both are
        followed through ``q``/``Q`` and the ``gs``/``Tf`` that set them; a form, whose mask and font are those of
        what draws it, starts (``start``) with the heaviest of the page's masks and glyphs. Parsed with qpdf's
        tokeniser (strings and inline images are not operators), only for content that can set or inherit one."""
        mask, glyphs = start[0], ([start[1]] * 256 if start[1] else None)
        saved: list[tuple[int, list[int] | None]] = []
        size = 0
        try:
            instructions = [
                instruction
                for source in sources
                for instruction in pikepdf.parse_content_stream(source, _MASK_AND_TEXT_OPERATORS)
            ]
        except pikepdf.PdfError:
            return 0  # content it cannot parse: left to the renderer, as a damaged page
        for instruction in instructions:
            if isinstance(instruction, pikepdf.ContentStreamInlineImage):
                size += mask
                continue
            operator, operands = str(instruction.operator), instruction.operands
            if operator == "q":
                saved.append((mask, glyphs))
            elif operator == "Q":
                if saved:
                    mask, glyphs = saved.pop()
            elif operator in ("gs", "Tf"):
                name = operands[0] if operands else None
                key = str(name)[1:].encode("utf-8", "surrogateescape") if isinstance(name, pikepdf.Name) else b""
                if operator == "gs" and key in masks:
                    group = masks[key]
                    mask = 0 if group is None else form_size(group, resources, where, depth + 1, inheriting=False)
                elif operator == "Tf":
                    font = fonts.get(key)
                    glyphs = None if font is None else glyph_sizes(font, resources, where, depth)
            else:
                size += mask  # a mark, masked on its own
                if glyphs is not None and operator in ("Tj", "TJ", "'", '"'):
                    shown = operands[-1] if operands else b""
                    parts = shown if isinstance(shown, pikepdf.Array) else [shown]
                    codes = Counter(b"".join(bytes(part) for part in parts if isinstance(part, pikepdf.String)))
                    size += sum(glyphs[code] * count for code, count in codes.items())
            if size > MAX_PAGE_CONTENT_BYTES:
                return MAX_PAGE_CONTENT_BYTES + 1
        return size

    def heaviest() -> tuple[int, int]:
        """The heaviest soft mask and glyph of the page: what a form drawn is counted as running under, whatever
        draws it (following the mask and font in force into each form would weigh a form once per mask and font,
        however many there are). Weighed with the forms inside them inheriting neither (their own masks and fonts
        are followed), then forgotten: the page's forms are weighed again inheriting them."""
        mask, glyph = 0, 0
        for index, (entry, found_in) in enumerate(masks_and_fonts):
            where = (-1, index)  # the resources it was found in, for a memo that is forgotten below
            if isinstance(entry, pikepdf.Stream):
                mask = max(mask, form_size(entry, found_in, where, 1, inheriting=False))
            elif isinstance(entry, pikepdf.Dictionary):
                glyph = max(glyph, *glyph_sizes(entry, found_in, where, 1))
        memo.clear()
        glyph_memo.clear()
        return min(mask, over), min(glyph, over)

    if masks_and_fonts:
        inherited = heaviest()
    page_where = (0, 0)
    drawn = run(streams, sum(sizes[stream.objgen] for stream in streams), page_resources, page_where, 0, False)
    for states in annotations:
        if drawn > MAX_PAGE_CONTENT_BYTES:
            break
        drawn += max(form_size(state, page_resources, page_where, 1, inheriting=False) for state in states)
    return min(drawn, over)


# How much larger than its stored bytes a filter's output can be (LZW: a 12-bit code stands for up to 4096 bytes;
# run-length: 2 bytes for up to 128); ASCII filters shrink their input
_MAX_EXPANSION = {"/LZWDecode": 2731, "/RunLengthDecode": 64, "/ASCIIHexDecode": 1, "/ASCII85Decode": 1}


def _decoded_size(stream: pikepdf.Stream, limit: int) -> int:
    """The size of ``stream``'s decoded data, or any number above ``limit`` once it is known to exceed it. Deflate
    is inflated a chunk at a time and counted (nothing kept); the rarer filters are decoded by qpdf only when the
    most they can expand to passes ``limit``. Damaged data count as what inflated before the damage: the page is
    left to the checks and the renderer that say it is damaged."""
    filters = stream.get("/Filter")
    chain = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)] if filters else []
    raw = stream.read_raw_bytes()
    if not chain:
        return len(raw)
    if chain == ["/FlateDecode"]:
        inflater, size, pending = zlib.decompressobj(), 0, raw
        try:
            while pending and size <= limit:
                size += len(inflater.decompress(pending, 1 << 20))
                pending = inflater.unconsumed_tail
            if size <= limit:
                size += len(inflater.flush())
        except zlib.error:
            pass
        return size
    bound = len(raw)
    for name in chain:
        bound *= _MAX_EXPANSION.get(name, limit)  # Deflate (after another filter) or an unknown one: no bound
    if bound <= limit:
        return bound
    try:
        return len(stream.read_bytes())
    except pikepdf.PdfError:
        return 0


def _too_small_page(number: int, page: pikepdf.Page) -> SmallPage | None:
    """The rule of ``_too_small`` for a PDF page (QA: a 60×60 px image refused as a PNG was archived as a PDF): a
    page box under ``MIN_SCAN_MM`` on its short side, or an image-only page (no fonts: a scan) whose images are all
    under ``MIN_SCAN_PIXELS`` on both sides (strips of one scan are each as wide as the page: not refused)."""
    box = [float(v) for v in page.mediabox]
    unit = _user_unit(page)
    width_mm, height_mm = (abs(box[2] - box[0]) * unit / 72 * 25.4, abs(box[3] - box[1]) * unit / 72 * 25.4)
    if min(width_mm, height_mm) < MIN_SCAN_MM:
        size = f"{width_mm:.1f}×{height_mm:.1f} mm"
        return SmallPage(number, f"the page is {size}", f"trang {size.replace('.', ',')}")
    resources = page.obj.get("/Resources")
    if isinstance(resources, pikepdf.Dictionary) and "/Font" in resources:
        return None  # text drawn with fonts: not a scan, whatever its images
    sizes = []
    for image in page.get_images().values():
        try:
            sizes.append((int(image.get("/Width", 0)), int(image.get("/Height", 0))))
        except (TypeError, ValueError):
            return None  # left to the renderer, as a damaged image
    if not sizes or any(max(size) >= MIN_SCAN_PIXELS for size in sizes):
        return None
    width, height = max(sizes, key=lambda size: size[0] * size[1])
    return SmallPage(number, f"its scan image is {width}×{height} px", f"ảnh quét {width}×{height} điểm ảnh")


def _check_image(path: Path) -> tuple[int, tuple[SmallPage, ...]]:
    try:
        with Image.open(path) as image:
            pages = page_frames(image)
            frames = len(pages)
            if image.format == "GIF" and frames > 1:
                # an animation, not pages: no scanner writes one, and its frames are drawn over each other
                raise BadInputError(
                    path, Problem.ANIMATED_IMAGE, f"a GIF of {frames} frames", f"ảnh GIF gồm {frames} khung hình"
                )

            def turn_to(number: int, decode: bool = False) -> None:
                """Go to page ``number`` (decoded, with ``decode``); a damaged page of a multi-page file is named,
                as a PDF's damaged page is (QA: a TIFF's "(decoder error -2)" did not say which of its pages)."""
                try:
                    image.seek(pages[number - 1])
                    if decode:
                        image.load()
                except Image.DecompressionBombError as exc:  # a later page's size, as Pillow checks it on seeking
                    raise _bomb_refused(path, exc, number if frames > 1 else None) from exc
                except (OSError, SyntaxError, ValueError, KeyError, TypeError, EOFError) as exc:
                    if frames == 1:
                        raise _unreadable_image(path, exc) from exc
                    detail = f"page {number}: {repr(exc) if isinstance(exc, KeyError) else exc}"
                    raise BadInputError(
                        path, Problem.DAMAGED_PAGE_IMAGE, detail.splitlines()[0][:200], f"trang {number}"
                    ) from exc

            sizes: list[SmallPage | None] = []
            for number in range(1, frames + 1):
                turn_to(number)
                if image.width * image.height > MAX_PAGE_PIXELS:
                    pixels = _megapixels(image.width * image.height)
                    size = f"{image.width}×{image.height} px = {pixels} Mpx"
                    raise _too_large(path, number if frames > 1 else None, size)
                samples = _unsupported_samples(image)
                if samples is not None:
                    # an intact file, not a damaged one (QA101: "damaged … copy it from the scanner again"): no PDF
                    # page holds floating-point samples nor 32-bit ones, and no scanner writes them for paper
                    where = f" (page {number})" if frames > 1 else ""
                    raise BadInputError(
                        path,
                        Problem.UNSUPPORTED_SAMPLES,
                        f"{samples[0]}{where}",
                        f"{samples[1]}{where.replace('page', 'trang')}",
                    )
                sizes.append(_too_small(image, number))
            small = _usable_or_refused(path, sizes, named=frames > 1)
            if image.format == "BMP" and (bmp_said := bmp_complaint(path)) is not None:  # (once its size is allowed)
                raise BadInputError(path, Problem.UNSUPPORTED_SAMPLES, *bmp_said)
            # fax-coded pages first: Pillow decodes a damaged one without an error, printing libtiff's English
            # warnings on the officer's screen for a tiled one (QA103)
            if image.format == "TIFF" and any(
                _tiff_compression(image, index) in FAX_TIFF_COMPRESSIONS for index in pages
            ):
                for directory, complaint in tiff_fax_complaints(path, max(pages) + 1):
                    if directory not in pages:
                        continue  # a preview: no page
                    number = pages.index(directory) + 1
                    detail = f"page {number}: {complaint}" if frames > 1 else complaint
                    problem = Problem.DAMAGED_PAGE_IMAGE if frames > 1 else Problem.UNREADABLE_IMAGE
                    raise BadInputError(path, problem, detail, f"trang {number}" if frames > 1 else "")
            if image.format == "JPEG" and (coding := _arithmetic_coding(path)) is not None:
                # intact, but coded as neither Pillow nor PDF viewers decode (QA108: refused as "damaged … scan the
                # paper again"; OCRmyPDF wrote a PDF no viewer shows)
                raise BadInputError(path, Problem.UNSUPPORTED_SAMPLES, *coding)
            for number in range(1, frames + 1):
                turn_to(number, decode=True)  # decode every page fully: catches truncated or garbled data
                if (beyond := _colours_beyond_palette(image)) is not None:
                    raise BadInputError(
                        path,
                        Problem.UNREADABLE_IMAGE,
                        f"its pixels name colours beyond the {beyond} of its palette",
                        f"điểm ảnh chỉ tới màu ngoài {beyond} màu của bảng màu",
                    )
    except BadInputError:
        raise
    except Image.DecompressionBombError as exc:
        raise _bomb_refused(path, exc, None) from exc
    except (Image.UnidentifiedImageError, SyntaxError) as exc:
        # Pillow's words for a layout it does not read, on opening the file or on going to a later page
        layout = _tiff_unreadable_layout(path) if "unknown pixel mode" in str(exc) or "identify" in str(exc) else None
        if layout is not None:  # a TIFF whose tags read: intact, laid out as Pillow reads none
            raise BadInputError(path, Problem.UNSUPPORTED_SAMPLES, *layout) from exc
        raise BadInputError(path, Problem.UNREADABLE_IMAGE, str(exc)[:200]) from exc
    except (OSError, ValueError, TypeError) as exc:
        # TypeError: Pillow's "Missing dimensions" for a TIFF whose next-page pointer leads into garbage (QA105:
        # "internal error, not the input's fault")
        opened = _tiff_pages_opened(path) if isinstance(exc, TypeError) else 0
        if opened:  # which page's description is cut short, as a damaged page is named (QA165 F5: Pillow's words);
            # a file cut short is copied again, not its page scanned again (QA169 F5)
            raise BadInputError(
                path,
                Problem.UNREADABLE_IMAGE,
                f"page {opened + 1}: the file ends inside its description, or it is damaged ({str(exc)[:100]})",
                f"trang {opened + 1}",
            ) from exc
        raise _unreadable_image(path, exc) from exc
    return frames, small


# A BMP's file header (14 bytes), then its info header: where its fields lie
_BMP_PIXELS_AT, _BMP_WIDTH_AT, _BMP_HEIGHT_AT, _BMP_BITS_AT, _BMP_COMPRESSION_AT = 10, 18, 22, 28, 30
_BMP_RLE = (1, 2)  # BI_RLE8, BI_RLE4
_BMP_BITFIELDS = (3, 6)  # BI_BITFIELDS, BI_ALPHABITFIELDS: masks of red, green, blue (and alpha) follow at 54
_BMP_MASKS_AT = 54
_BMP_CHUNK = 1 << 24  # a 32-bit BMP's pixels are looked at 16 MB at a time


def bmp_complaint(path: Path) -> tuple[str, str] | None:
    """What makes a BMP file ``path`` one whose page Pillow would decode other than it shows (English, Vietnamese),
    None for most: compressed rows stored top-down, which the format does not allow (QA177 F6: archived mirrored);
    masks of its colours all empty (QA177: archived as a white page, its colours intact);
    32 bits a pixel with no transparency said (BI_RGB) whose fourth byte varies, as transparency does (QA177 F2:
    text on transparent paper archived as a black page — Pillow takes that byte for padding, a browser for
    transparency)."""
    with path.open("rb") as file:
        head = file.read(_BMP_MASKS_AT + 12)
        if len(head) < _BMP_COMPRESSION_AT + 4 or int.from_bytes(head[14:18], "little") < 40:
            return None  # (an OS/2 BMP: neither compressed so nor of 32 bits)
        height = int.from_bytes(head[_BMP_HEIGHT_AT : _BMP_HEIGHT_AT + 4], "little", signed=True)
        bits = int.from_bytes(head[_BMP_BITS_AT : _BMP_BITS_AT + 2], "little")
        compression = int.from_bytes(head[_BMP_COMPRESSION_AT : _BMP_COMPRESSION_AT + 4], "little")
        if compression in _BMP_RLE and height < 0:
            return (
                "a compressed (RLE) BMP stored top-down, which the BMP format does not allow: its page would come "
                "out mirrored",
                "ảnh BMP nén (RLE) lưu từ trên xuống, điều định dạng BMP không cho phép: trang sẽ bị lật ngược",
            )
        if compression in _BMP_BITFIELDS and head[_BMP_MASKS_AT : _BMP_MASKS_AT + 12] == bytes(12):
            return (
                "a BMP whose masks of red, green and blue are all empty: its colours cannot be read",
                "ảnh BMP có mặt nạ màu đỏ, lục, lam đều rỗng: không đọc được màu của ảnh",
            )
        if bits != 32 or compression != 0:
            return None
        width = int.from_bytes(head[_BMP_WIDTH_AT : _BMP_WIDTH_AT + 4], "little", signed=True)
        file.seek(int.from_bytes(head[_BMP_PIXELS_AT : _BMP_PIXELS_AT + 4], "little"))
        left, seen = 4 * abs(width) * abs(height), None
        while left > 0 and (chunk := file.read(min(left, _BMP_CHUNK))):
            left -= len(chunk)
            fourth = np.frombuffer(chunk[: len(chunk) // 4 * 4], dtype=np.uint8)[3::4]
            if fourth.size == 0:
                continue
            seen = seen if seen is not None else int(fourth[0])
            if fourth.min() != seen or fourth.max() != seen:
                break  # it varies
        else:
            return None  # padding (0) or every pixel opaque (255): no transparency to lose
    return (
        "a 32-bit BMP whose fourth byte varies from pixel to pixel, as transparency does, though the file does not "
        "say it holds transparency: its page may come out black",
        "ảnh BMP 32 bit có byte thứ tư thay đổi theo từng điểm ảnh như độ trong suốt, dù tệp không ghi là có độ "
        "trong suốt: trang có thể hiện ra màu đen",
    )


def _colours_beyond_palette(image: Image.Image) -> int | None:
    """The number of colours in the palette of a BMP or GIF page (decoded) some of whose pixels name colours beyond
    it, None when none does: what such a page shows is the decoder's guess, and its copy kept losslessly showed
    other pixels than were read (QA177 F5: indices up to 255 in a palette of 16, written back 4 bits a pixel)."""
    if image.format not in ("BMP", "GIF") or image.mode != "P":
        return None
    colours = len(image.getpalette() or []) // 3
    return colours if colours and int(np.asarray(image).max()) >= colours else None


def _unreadable_image(path: Path, exc: Exception) -> BadInputError:
    """The image file ``path`` refused as damaged, for Pillow's ``exc``: in its words, but a JPEG cut short, which
    it calls "image file is truncated (2 bytes not processed)" — so it did a file that lacked only its 2-byte end
    marker (QA165 F6) — is said to be cut short; a BMP of a layout it does not read, intact, is said to be
    (QA177 F4: "damaged … copy it again")."""
    if str(exc).startswith("Unsupported BMP"):
        return BadInputError(
            path,
            Problem.UNSUPPORTED_SAMPLES,
            f"a BMP of a layout sohoa does not read ({str(exc)[:100]})",
            f"ảnh BMP có cách lưu điểm ảnh sohoa không đọc được ({str(exc)[:100]})",
        )
    if "truncated" in str(exc) and _jpeg_without_its_end(path):
        return BadInputError(
            path,
            Problem.UNREADABLE_IMAGE,
            "the JPEG data stops before its end marker: the file was cut short (a copy or a transfer that did not "
            "finish)",
            "dữ liệu JPEG dừng trước dấu kết thúc: tệp bị cắt ngắn (chép hoặc truyền chưa xong)",
        )
    return BadInputError(path, Problem.UNREADABLE_IMAGE, str(exc)[:200])


def _jpeg_without_its_end(path: Path) -> bool:
    """Whether ``path`` is a JPEG file (its start-of-image marker) that does not end with its end-of-image marker."""
    try:
        with path.open("rb") as file:
            start = file.read(2)
            file.seek(0, os.SEEK_END)
            file.seek(max(0, file.tell() - 64))
            tail = file.read().rstrip(b"\x00\r\n ")  # padding some writers leave after the marker
    except OSError:
        return False
    return start == b"\xff\xd8" and not tail.endswith(b"\xff\xd9")


def _tiff_pages_opened(path: Path) -> int:
    """How many pages of the TIFF file ``path`` Pillow opens, one after the other, before one whose description it
    cannot read; 0 for a file that is no TIFF, whose first page it cannot open, or whose every page it opens."""
    opened = 0
    try:
        with Image.open(path) as image:
            if image.format != "TIFF":
                return 0
            opened = 1
            while True:
                image.seek(opened)
                opened += 1
    except EOFError:  # past its last page: every description read
        return 0
    except Exception:  # (Pillow's TypeError, SyntaxError, OSError…: where it stopped is what is asked)
        return opened


# JPEG frame markers of arithmetic coding (ITU T.81 B.1.1.3): SOF9-11, SOF13-15
_ARITHMETIC_SOF = frozenset({0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def _arithmetic_coding(path: Path) -> tuple[str, str] | None:
    """(English, Vietnamese) words for a JPEG file whose frame is arithmetic-coded (``_arithmetic_coding_of``)."""
    with path.open("rb") as jpeg:
        return _arithmetic_coding_of(jpeg.read(1 << 16))  # (the frame header: in the file's first kilobytes)


def _arithmetic_coding_of(data: bytes) -> tuple[str, str] | None:
    """(English, Vietnamese) words for JPEG ``data`` whose frame is arithmetic-coded — libjpeg decodes it, Pillow's
    build and PDF viewers' JPEG readers do not — or None. Reads the markers up to the first scan."""
    from ocr.jpegs import jpeg_segments  # (ocr.jpegs imports this module)

    for marker, _start, _end in jpeg_segments(data[: 1 << 16]):
        if marker in _ARITHMETIC_SOF:
            return (
                f"an arithmetic-coded JPEG (SOF{marker - 0xC0}), which PDF viewers do not decode",
                f"ảnh JPEG mã hóa số học (SOF{marker - 0xC0}), trình xem PDF không giải mã được",
            )
    return None


# TIFF SampleFormat values no PDF page holds, in English and Vietnamese (1 is unsigned integers, as scanners write)
_SAMPLE_FORMATS = {2: ("signed integer", "số nguyên có dấu"), 3: ("floating-point", "số thực")}


def _unsupported_samples(image: Image.Image) -> tuple[str, str] | None:
    """What the current frame's samples are when no PDF page can hold them (English, Vietnamese), else None:
    floating point (QA101), or 32-bit integers, which Pillow opens as "I" and sohoa scaled as if 16-bit — a signed
    one came out white (a "blank" page), an unsigned one black noise called good (QA102)."""
    tags = getattr(image, "tag_v2", {}) if image.format == "TIFF" else {}
    depth = max((int(b) for b in tags.get(258, ()) or ()), default=32 if image.mode in ("F", "I") else 8)
    kind = max((int(f) for f in tags.get(339, ()) or ()), default=1)  # SampleFormat: 1 unsigned, 2 signed, 3 float
    if image.mode == "F" or kind == 3:
        return f"{depth}-bit floating-point samples", f"điểm ảnh {_SAMPLE_FORMATS[3][1]} {depth} bit"
    if kind == 2:  # read as unsigned, a signed scan came out gray noise called good (QA103)
        return f"signed {depth}-bit integer samples", f"điểm ảnh {_SAMPLE_FORMATS[2][1]} {depth} bit"
    if image.mode == "I" and depth > 16:
        return f"{depth}-bit integer samples", f"điểm ảnh số nguyên {depth} bit"
    return None


def _tiff_unreadable_layout(path: Path) -> tuple[str, str] | None:
    """For a TIFF Pillow cannot open or go through (it says "cannot identify" or "unknown pixel mode"): the first
    image whose samples are laid out as Pillow reads none — as its tags state them ("16+16 bits a pixel, 2
    sample(s)", page named in a file of several) — in English and Vietnamese; None when the tags cannot be read or
    none is so. Such a file is intact: it was called damaged, "copy it from the scanner again" (QA102; QA104 for a
    later page)."""
    try:
        with path.open("rb") as tiff:
            layouts = _tiff_sample_layouts(tiff)
    except (OSError, ValueError):
        return None
    for number, (bits, samples, sample_format) in enumerate(layouts, start=1):
        if not (set(bits) <= {1, 2, 4, 8, 16} and samples in (1, 3, 4) and sample_format == 1):
            kind = _SAMPLE_FORMATS.get(sample_format)
            said, said_vi = (f"{kind[0]} ", f"{kind[1]}, ") if kind else ("", "")
            depth = "+".join(str(b) for b in bits)
            where, where_vi = (f"page {number}: ", f"trang {number}: ") if len(layouts) > 1 else ("", "")
            return (
                f"{where}{depth} bits a pixel, {said}{samples} sample(s)",
                f"{where_vi}{depth} bit mỗi điểm ảnh, {said_vi}{samples} kênh",
            )
    return None


def _tiff_sample_layouts(tiff: Any, most: int = 1000) -> list[tuple[list[int], int, int]]:
    """(bits per sample, samples per pixel, sample format) of each image in the TIFF file ``tiff`` (open, binary),
    following its chain of image directories (at most ``most``, against a loop)."""
    header = tiff.read(8)
    byte_order: dict[bytes, Literal["little", "big"]] = {b"II": "little", b"MM": "big"}
    order = byte_order.get(header[:2])
    if order is None or len(header) < 8 or int.from_bytes(header[2:4], order) != 42:
        raise ValueError("not a classic TIFF")
    layouts: list[tuple[list[int], int, int]] = []
    at, seen = int.from_bytes(header[4:8], order), set()
    while at and at not in seen and len(layouts) < most:
        seen.add(at)
        tiff.seek(at)
        count = int.from_bytes(tiff.read(2), order)
        entries = tiff.read(12 * count)
        following = int.from_bytes(tiff.read(4), order)
        tags: dict[int, list[int]] = {}
        for entry in range(count):
            field = entries[12 * entry : 12 * entry + 12]
            if len(field) < 12:
                break
            tag, kind, n = (int.from_bytes(field[a:b], order) for a, b in ((0, 2), (2, 4), (4, 8)))
            if tag in (258, 277, 339) and kind == 3:  # BitsPerSample, SamplesPerPixel, SampleFormat (SHORT)
                if n <= 2:
                    values = field[8:12]
                else:
                    back = tiff.tell()
                    tiff.seek(int.from_bytes(field[8:12], order))
                    values = tiff.read(2 * min(n, 8))
                    tiff.seek(back)
                tags[tag] = [int.from_bytes(values[2 * i : 2 * i + 2], order) for i in range(min(n, 8))]
        layouts.append((tags.get(258, [1]), tags.get(277, [1])[0], max(tags.get(339, [1]))))
        at = following
    return layouts


def _tiff_compression(image: Image.Image, index: int) -> int:
    image.seek(index)
    return int(getattr(image, "tag_v2", {}).get(259, 1))


def _check_page_images(path: Path, number: int, page: pikepdf.Page) -> None:
    """Refuse a page whose scan image cannot be decoded. PDFium and poppler draw such an image as nothing, so
    the page went to Tesseract blank and was archived as "no words found": the scan was lost without a word.

    Checked: JPEG images (what scanners write; decoded at 1/8 scale, which still reads all of the data, so a
    cut-off or garbled JPEG fails) and Deflate images (their data must inflate); CCITT and JBIG2 images in
    ``_check_fax_images``. JPEG 2000 is left to the renderer. An image the page
    draws that is no stream at all (a dictionary without its data) is damaged too: ``get_images`` passes it by,
    and it was archived as a blank 'unknown' record (QA)."""
    _check_drawn_xobjects(path, number, page)
    for name, image in page.get_images().items():
        filters = image.get("/Filter")
        chain = [str(f) for f in filters] if isinstance(filters, pikepdf.Array) else [str(filters)] if filters else []
        try:
            if chain and chain[-1] == "/DCTDecode" and all(f == "/FlateDecode" for f in chain[:-1]):
                jpeg = image.read_raw_bytes()
                for _ in chain[:-1]:
                    jpeg = zlib.decompress(jpeg)
                if (coding := _arithmetic_coding_of(jpeg)) is not None:
                    # intact, coded as PDF viewers do not decode, nor Pillow always: nothing to scan again (QA127:
                    # "damaged … scan that page again", where the same JPEG as a file was named for what it is)
                    where = f"page {number}, {_image_named(name)}"
                    raise BadInputError(
                        path, Problem.UNSUPPORTED_SAMPLES, f"{where}: {coding[0]}", f"trang {number}: {coding[1]}"
                    )
                with Image.open(io.BytesIO(jpeg)) as decoded:
                    decoded.draft(decoded.mode, (max(1, decoded.width // 8), max(1, decoded.height // 8)))
                    decoded.load()
            elif chain == ["/FlateDecode"]:
                _inflates(image.read_raw_bytes())
        except Image.DecompressionBombError as exc:
            raise BadInputError(path, Problem.TOO_LARGE, f"page {number}: image {name}: {exc}"[:200]) from exc
        except Image.UnidentifiedImageError as exc:
            detail = f"page {number}, {_image_named(name)}: its JPEG data are not a JPEG"
            raise BadInputError(path, Problem.DAMAGED_PAGE_IMAGE, detail, f"trang {number}") from exc
        except (OSError, SyntaxError, ValueError, zlib.error, pikepdf.PdfError) as exc:
            detail = f"page {number}, {_image_named(name)}: {exc}".splitlines()[0][:200]
            raise BadInputError(path, Problem.DAMAGED_PAGE_IMAGE, detail, f"trang {number}") from exc


def _check_fax_images(path: Path, pdf: pikepdf.Pdf) -> None:
    """Refuse a page whose CCITT or JBIG2 scan image does not decode whole (``ocr.bilevel``): poppler draws what
    decodes of it and the rest white, and until QA101 half a G4 page was read, called ``good`` and archived as the
    whole. Each image is checked once, however many pages draw it."""
    seen: set[tuple[int, int]] = set()
    images: list[tuple[int, str, pikepdf.Stream]] = []
    forms_seen: set[tuple[int, int]] = set()  # each form walked once in the document, however often it is drawn
    for number, page in enumerate(pdf.pages, start=1):
        # the page's resources and, one level after another, the forms they draw (QA104: a damaged G4 drawn through
        # a form was archived `good`); by a stack, each form once (QA105: a chain of 1,500 forms was an internal
        # error — Python's recursion limit — and forms listing the next one twice took minutes)
        pending: list[object] = [page.obj.get("/Resources")]
        while pending:
            resources = pending.pop()
            xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
            if not isinstance(xobjects, pikepdf.Dictionary):
                continue
            for name, xobject in xobjects.items():
                if not isinstance(xobject, pikepdf.Stream):
                    continue
                if xobject.get("/Subtype") == pikepdf.Name.Form:
                    if xobject.objgen not in forms_seen:
                        forms_seen.add(xobject.objgen)
                        pending.append(xobject.get("/Resources"))
                    continue
                if xobject.get("/Subtype") != pikepdf.Name.Image:
                    continue
                # the image, the stencil mask that may draw its ink (an MRC scan's text: QA103, a damaged one was
                # archived `good` — ``get_images`` leaves out images that are masks themselves), its soft mask
                masks = [xobject.get(key) for key in ("/Mask", "/SMask")]
                for drawn in (xobject, *(mask for mask in masks if isinstance(mask, pikepdf.Stream))):
                    if bilevel_codec(drawn) is not None and drawn.objgen not in seen:
                        seen.add(drawn.objgen)
                        images.append((number, name, drawn))

    for number, name, complaint in bilevel_complaints(images):
        detail = f"page {number}, {_image_named(name)}: {complaint}"[:200]
        raise BadInputError(path, Problem.DAMAGED_PAGE_IMAGE, detail, f"trang {number}")


def _image_named(name: str) -> str:
    """An image XObject in a reason: ``image "Im0"`` (a PDF written by Pillow names its image ``image``, which
    read "image image")."""
    return f'image "{name.lstrip("/")}"'


def _check_drawn_xobjects(path: Path, number: int, page: pikepdf.Page) -> None:
    """Refuse a page that draws (``Do``) an XObject of its resources that is not a stream: an image with no data,
    which PDFium draws as nothing. One its resources do not list is left to the renderer (it may be inherited)."""
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobjects, pikepdf.Dictionary):
        return
    try:
        drawn = {
            str(instruction.operands[0])
            for instruction in pikepdf.parse_content_stream(page, "Do")
            if isinstance(instruction, pikepdf.ContentStreamInstruction) and instruction.operands
        }
    except pikepdf.PdfError:  # a content stream it cannot parse: left to the renderer
        return
    for name in sorted(drawn):
        xobject = xobjects.get(name)
        if xobject is not None and not isinstance(xobject, pikepdf.Stream):
            detail = f"page {number}, {_image_named(name)}: no image data (a dictionary, not a stream)"
            raise BadInputError(path, Problem.DAMAGED_PAGE_IMAGE, detail, f"trang {number}")


def _inflates(data: bytes, chunk: int = 1 << 20) -> None:
    """Inflate Deflate data a chunk at a time, keeping none of it (a 9000² px page is 81 MB inflated); raise
    ``zlib.error`` when the data are garbled or end before the stream does."""
    inflater = zlib.decompressobj()
    pending = data
    while pending:
        inflater.decompress(pending, chunk)
        pending = inflater.unconsumed_tail
    inflater.flush()
    if not inflater.eof:
        raise zlib.error("the compressed data end too soon")
