"""OCR one document: input file → searchable PDF + text + per-page facts.

Stages, each small (modelled on OCRmyPDF): inspect the input → plan each page (keep its text layer, or
rasterise it for Tesseract) → read pages in parallel → assemble the output PDF → write it atomically.

Every output page is the original page, untouched: PDF pages are copied, images become PDF pages losslessly
(img2pdf: a JPEG or a G4 TIFF is embedded as its coded data; a JPEG's coefficients are then coded progressively and
wrapped in Deflate where that makes the file smaller — the same pixels, see ``ocr.jpegs``; a CMYK image's colour
space is made ICCBased, its data untouched, see ``describe_scan_colours``). Tesseract reads a straightened copy of
the page image; its word boxes become an invisible text layer (``ocr.textlayer``), laid over the original page, each
word put back where it lies on the skewed scan (its letters level), so that selecting a word in a viewer selects
that word on the scan — or, skewed DISPLAY_STRAIGHTENED_FROM or more, the page is shown straightened, its scan drawn
turned as it was read, and the layer lies level on it. A page read turned upright (``PagePlan.orientation``) is
shown upright by its /Rotate entry, its pixels unchanged.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import functools
import hashlib
import importlib
import io
import itertools
import logging
import math
import os
import re
import statistics
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import img2pdf
import numpy as np
import pikepdf
from pikepdf.models.metadata import PdfMetadata
from PIL import Image, ImageCms, PngImagePlugin, TiffImagePlugin

from ocr.group4 import compact_bilevel
from ocr.inputs import (
    DEFAULT_IMAGE_DPI,
    MAX_DPI,
    MAX_PAGE_PIXELS,
    MIN_DPI,
    MIN_PDF_PAGE_POINTS,
    InputInfo,
    image_resolution,
    implausible_pixel_aspect,
    inspect_input,
    page_frames,
    pixel_aspect,
    stated_resolution,
)
from ocr.inputs import image_dpi as _image_dpi
from ocr.jpegs import TIFF_JPEG, compact_jpegs, jpeg_segments, tiff_frame_jpeg
from ocr.modes import (
    FORCE,
    MODES,
    REDO,
    SKIP_TEXT,
    PageRaster,
    invisible_text_share,
    ordered_box,
    rasterise_pages,
    shown_box,
    shown_part,
    shown_rotation,
    strip_invisible_text,
)
from ocr.preprocess import (
    MAX_SKEW,
    MIN_OSD_CONFIDENCE,
    WIDE_SKEW,
    deskewed,
    detect_orientation,
    far_deskewed,
    leaders_dropped,
    markers_dropped,
    page_bands,
    paper_whitened,
    seal_dropped,
    specks_whitened,
    turned_upright,
)
from ocr.quality import (
    BLANK,
    FAINT_PAGE_PRINT_INCH2,
    FAINT_REREAD,
    FAINTER_CONTRAST,
    GRAINY_PAPER,
    LITTLE_INK_SHARE,
    LOW,
    MIN_LEXICON_SHARE,
    MIN_PRINT_INCH2,
    MIRRORED_NOTICE,
    PRINT_CONTRAST,
    SHADOW_UNREAD_THERE,
    TOO_SMALL,
    UNREAD_DPI,
    UnreadLine,
    bare_syllables,
    blank_share,
    confidence_bar,
    doubtful_print,
    faint_line_rows,
    faint_lines_darkened,
    faint_page,
    faint_print_darkened,
    in_another_language,
    ink_marks,
    ink_share,
    letter_marks,
    letters_score,
    lexicon_share,
    marked_word,
    maybe_in_shadow,
    own_print_runs,
    page_overview,
    page_quality,
    paper_grain,
    paper_seen,
    print_depth,
    print_made_black,
    reads_as_show_through,
    reads_as_vietnamese_unmarked,
    shadow_evened,
    tint_evened,
    unread_lines,
    unread_print,
    vietnamese_word,
)
from ocr.reads import UNKNOWN_SIZE, ReadQueue, ink_weight
from ocr.slots import slot_count, tesseract_slot
from ocr.tesseract import (
    GIVEN_BACK_SPAN,
    MissingLanguageError,
    PageJob,
    PageReading,
    Word,
    check_language,
    corrections_of,
    mean_confidence,
    overlapping_runs,
    read_page,
    read_page_job,
    reads_vietnamese,
    stacked,
    surer_lines_kept,
    word_over,
    words_span,
)
from ocr.tesseract_library import start_workers_ahead
from ocr.textlayer import glyphless_font, text_layer_form
from sohoa.errors import BadInputError, InputChangedError, Problem
from sohoa.font_twins import embed_font_twins, twins_notice
from sohoa.fsutil import ScratchFolder, atomic_path, file_identity, readable
from sohoa.pdfa import (
    PDFA_SAVE_SETTINGS,
    document_problems,
    icc_profile_problem,
    mend,
    output_intent_components,
    painted_device_spaces,
    second_opinion,
)
from sohoa.pdfium import PageSurvey, open_pdf
from sohoa.record import OcrResult, PageOcr, PageWords, PlacedWord, has_text, page_run
from sohoa.vietnamese import fold

if TYPE_CHECKING:
    import pdfplumber

log = logging.getLogger(__name__)
# img2pdf's WARNINGs ("Ignoring non-GRAY ICC profile in Grayscale JPG", "Image with transparency and a bit depth of
# 16 … unsupported due to PIL limitations") are English lines on an officer's stderr about what sohoa handles
# itself (the profile PDF/A takes no use of; the fallback to decoded pixels): QA101, QA102
logging.getLogger("img2pdf").setLevel(logging.ERROR)

# A page whose text layer has at least this many non-space characters is taken as born-digital/already OCR'd,
MIN_TEXT_CHARS = 20
# unless that text is a scrap on a scan: an image covering at least SCAN_COVER of the page under text whose
# glyph boxes cover less than TINY_TEXT_SHARE of it (about 100 characters of 10 pt on A4) — a scanning app's
# "Scanned with CamScanner" line, a stamped footer. Such a page is read as a scan, its own text kept (QA: the
# CamScanner line, 23 characters, kept a decree page unsearchable and out of review).
SCAN_COVER = 0.5
TINY_TEXT_SHARE = 0.01
# ... or, where all of that text is visible (no OCR's layer: a stamp, a footer a signing or copying tool drew over the
# scan) and lies in a few groups (at most SCRAP_GROUPS blocks of lines, each within SCRAP_GROUP_SHARE of the page),
# less than this: a signing stamp's six lines ("Ký bởi / Cơ quan / Thời gian ký / Sao y bản chính", 211 characters
# of 9 pt, 1.7 % of an A4 page, its box 3.1 %) kept a decree's scan unread, `ocr: false`, its record's text the
# stamp's (QA159 F2) — with a page number or a footer beside it too (QA162 F1: one box around all of them was too
# large). Not text spread over the page: a certificate's or a form's typed values over its template's image (~2 %,
# 9 or more groups) were read as a scan too, and the record's text became Tesseract's reading of them, "12/03/4930"
# for the typed "12/03/1990" (QA161 N2). A watermark's turned letters lie anywhere: not counted
VISIBLE_SCRAP_SHARE = 0.05
SCRAP_GROUPS = 3
SCRAP_GROUP_SHARE = 0.1
DEFAULT_BANDS = 2  # a page cut in two is read on two cores (ocr.preprocess.band_cuts)


# Modules the OCR stage imports only where it needs them, so that a command that never does (`sohoa sign`, `sohoa
# list`) pays nothing for them; every page of a scan needs the first two (deskew's long strokes, the PDF/A second
# opinion). The OCR server imports them once, before it forks a child per command (``import_deferred``): imported by
# each child instead, they were ~0.3 s of a served one-page command's 1.6 s (2026-12-04).
DEFERRED_IMPORTS = ("scipy.ndimage", "pikepdf.pdfa", "lxml.etree", "pdfplumber")


def import_deferred() -> None:
    """Import ``DEFERRED_IMPORTS`` and Pillow's file formats now (none of them starts a thread)."""
    for name in DEFERRED_IMPORTS:
        importlib.import_module(name)
    Image.init()


@dataclass(frozen=True)
class PageBand:
    """A horizontal band of a page image, read on its own (see ``ocr.preprocess.band_cuts``)."""

    top: int  # its first row in the page image
    image_path: Path
    weight: float = UNKNOWN_SIZE  # how large a read it is (ocr.reads.ink_weight): the largest goes first at the end
    paper: bool = False  # it holds (almost) none of the page's print (ocr.preprocess.PageBands): junk read there goes


@dataclass
class PagePlan:
    number: int
    existing_text: str | None = None  # set when the page keeps its own text layer
    decomposed_text: bool = False  # ... that layer's marks are stored apart from its letters (NFD): kept, and said
    image_path: Path | None = None  # set when the page goes through Tesseract (for a cut page: see _whole_image)
    bands: list[PageBand] = field(default_factory=list)  # what Tesseract reads instead of image_path, when cut
    band_limit: int = 1  # at most this many bands (the setting): a page read again upright is cut the same way
    dpi: int = DEFAULT_IMAGE_DPI
    skew: float = 0.0  # degrees (counter-clockwise) the image was straightened for Tesseract, besides orientation
    orientation: int = 0  # degrees (clockwise) a sideways/upside-down page was turned to read it upright
    text_layer_note: str | None = None  # why a page with a text layer of its own was read all the same
    unreadable_layer: bool = False  # that layer is no text (garbled, unmapped, a legacy font's codes): its
    # invisible part is left out of the output, as ``redo`` leaves out an old OCR layer
    dpi_assumed: bool = False  # an image page that states no (plausible) resolution: DEFAULT_IMAGE_DPI taken
    blank: bool = False  # the page image has no ink beyond scanner noise (ocr.quality.blank_image)
    # ... but lines of faint marks Tesseract does not read as print (FaintPrint.unread_lines): read as paper
    faint_marks: bool = False
    # ... but marks of ink too thin or small for the blank test (ocr.quality.ink_marks): a page number, a signature
    ink_marks: bool = False
    too_small: str | None = None  # too small to be a scan (ocr.inputs.SmallPage: what is): kept as it is, not read
    # the page as scanned, not straightened, written beside image_path when the skew found is past WIDE_SKEW: read
    # too, and kept when it reads as well (_level_or_straightened)
    level_image_path: Path | None = None
    # the page image Tesseract reads, in grey at ocr.quality.UNREAD_DPI, until its ink is found (_find_ink)
    overview: np.ndarray | None = field(default=None, repr=False)
    # how far under its paper each pixel of the overview lies (ocr.quality.print_depth: its ink), until weighed
    depth: np.ndarray | None = field(default=None, repr=False)
    unread_print: float | None = None  # the share of that print no word read covers (ocr.quality.unread_print)
    # ... and the share covered only by words read in doubt, by the reading kept (ocr.quality.doubtful_print)
    doubtful_print: float | None = None
    # read with its faint print darkened: from the start (``faint``), or again and kept so (_read_again)
    darkened: bool = False
    # read again with the shadow over its paper, or its light tinted areas, evened out, and kept so (_read_again)
    evened: bool = False
    # its overview shows paper in shadow (ocr.quality.maybe_in_shadow): asked whether to read it again evened
    maybe_in_shadow: bool = False
    # little or no ink darker than the blank test's, but faint print (faint_print_seen): read darkened from
    # the start, not with its paper whitened, and weighed from FAINT_PAGE_PRINT_INCH2 of print
    faint: bool = False
    # ... that may be read another way where it reads badly (FaintPrint.other_way): that way, and its grey image
    # before it was darkened, written here until the page is read (_read_other_way)
    other_way: str | None = None
    other_way_image_path: Path | None = None
    # ... whose print reads better mirrored: show-through from the other side of the sheet (_show_through)
    show_through: bool = False
    # ... among which lines of its own print were read and kept, alone (_own_lines): low, for a person to check
    among_show_through: bool = False
    # the Tesseract language it is read in when not the document's: a page in another one (_read_in_other_language)
    language: str | None = None
    # the page draws its scan alone, no text nor paths (an image file's page; a PDF page of images): what may be
    # shown straightened
    scan_only: bool = False
    # its scan is drawn turned by ``skew`` in the copy, so that it is shown as read (DISPLAY_STRAIGHTENED_FROM)
    shown_straightened: bool = False
    # where the page's own text lies and its words, read as a scan all the same and that text kept (``OwnText``), as
    # the page is read turned upright by each quarter turn where some of it stands upright then: see ``own_text``
    own_text_by_turn: dict[int, OwnText] = field(default_factory=dict)
    # ... lying over a scan (its images cover SCAN_COVER of the page): what Tesseract reads there is the scan's print
    # as much as that text (a pale stamp over body lines), never a sign that the text is not what the page shows
    # (``own_text_shows_otherwise``, not asked then: QA166 F1)
    own_text_over_scan: bool = False
    # ... its glyphs lying mostly on the page's images: a phone app's footer on its photo, a stamp on a scan — not a
    # caption beside a picture (``with_own_text``'s quality: QA169 F2, QA172 F3)
    own_text_on_images: bool = False

    def own_text(self) -> OwnText | None:
        """Its own text as it is read (``own_text_by_turn``, by its ``orientation``): the words Tesseract read where
        it lies are left out of its layer, the text being in the page already, and the record's text takes its words
        in their place (``with_own_text``)."""
        return self.own_text_by_turn.get(self.orientation)


@contextlib.contextmanager
def input_held_still(path: Path) -> Iterator[Callable[[], None]]:
    """A check that ``path`` is still the file it was on entry (its device, inode, size and modification time),
    raising ``InputChangedError`` where it is not; and what fails within, where the file changed meanwhile (deleted,
    cut short, replaced: a reader's error), raised as ``InputChangedError`` too."""
    identity = file_identity(path)

    def unchanged() -> None:
        if file_identity(path) != identity:
            raise InputChangedError(path)

    try:
        yield unchanged
    except Exception as exc:
        if not isinstance(exc, InputChangedError) and identity is not None and file_identity(path) != identity:
            raise InputChangedError(path) from exc
        raise


def ocr_document(
    input_path: Path,
    output_pdf: Path,
    *,
    language: str = "vie",
    workers: int = 0,
    dpi: int = DEFAULT_IMAGE_DPI,
    work_dir: Path | None = None,
    tessdata_dir: Path | None = None,
    mode: str = SKIP_TEXT,
    on_page: Callable[[], None] | None = None,
    page_executor: Executor | None = None,
    tesseract_slots: int = 0,
    tesseract_engine: str = "library",
    bands: int = DEFAULT_BANDS,
    other_language: str = "",
) -> OcrResult:
    """Make ``output_pdf`` a searchable copy of ``input_path``; return the text and per-page facts.

    ``mode`` says what to do with pages that already carry text: ``skip-text``, ``redo`` or ``force``
    (see ``ocr.modes``). ``tesseract_engine``: "library" (long-lived workers on libtesseract) or "command" (one
    ``tesseract`` run per page); the words are the same. ``bands``: each page image is cut into at most this many
    horizontal bands at gaps between paragraphs, read at once by separate workers (1: pages read whole).
    ``page_executor`` (e.g. a Dask client's executor) reads the pages in other processes or on other hosts
    instead of here; ``workers`` is then how many pages are out at once. ``other_language``: a page read in
    Vietnamese that shows itself to be in another language (``ocr.quality.in_another_language``) is read in this
    one too, and the reading Tesseract is surer of is kept ("": not looked for; nor when ``language`` is not
    Vietnamese, or when Tesseract has no data for ``other_language``).

    Raises ``BadInputError`` for unusable input, ``InputChangedError`` when the input is rewritten, replaced or
    deleted while it is read (``output_pdf`` is then left as it was), and ``StageError`` when Tesseract itself is
    unavailable.
    """
    if mode not in MODES:
        raise ValueError(f"unknown OCR mode {mode!r}; use one of {', '.join(MODES)}")
    # the input as it is now: a PDF is opened again by its name as its pages are read (every REOPEN_EVERY pages)
    # and written out; replaced meanwhile (a scanner, a sync, "save as"), the copy showed the new file's pages over
    # the old one's text, exit 0 (QA170 F0), and one deleted or cut short was "an internal error" (F0b)
    with input_held_still(input_path) as unchanged:
        info = inspect_input(input_path)
        check_language(language, tessdata_dir)
        other_language = _other_language(language, other_language, tessdata_dir)
        workers = workers if workers > 0 else (os.cpu_count() or 1)
        if page_executor is None:
            # each read here holds one of the host's Tesseract slots (ocr.slots): more workers than slots only wait, and
            # more threads only render pages ahead into scratch (2 × workers of them; QA68: `--workers 1000` on 3 pages
            # started 1000 Tesseract processes, 3.4 GB, and ran out of the descriptors select() can watch)
            workers = min(workers, tesseract_slots if tesseract_slots > 0 else slot_count())
        if work_dir is not None:
            work_dir.mkdir(parents=True, exist_ok=True)
        if tesseract_engine == "library" and page_executor is None:
            # as many as will read at once — no more than the pages' bands can keep busy; their models load while the
            # first page is rendered
            start_workers_ahead(language, tessdata_dir, count=min(workers, info.page_count * max(1, bands)))
        # (a ScratchFolder: a `sohoa ocr` stopped the moment tempfile made its folder left it in WORK)
        with ScratchFolder("sohoa-ocr-", work_dir) as scratch:
            rasterised: list[int] = []
            text_dropped: list[int] = []
            source_pdf = prepare_source(
                info, scratch, mode=mode, dpi=dpi, rasterised=rasterised, text_dropped=text_dropped
            )
            notices = input_notices(info, rasterised, text_dropped)
            plans, readings = read_pages(
                plan_pages(info, source_pdf, scratch, default_dpi=dpi, bands=bands),
                scratch,
                source=input_path,
                language=language,
                workers=workers,
                tessdata_dir=tessdata_dir,
                on_page=on_page,
                page_executor=page_executor,
                tesseract_slots=tesseract_slots,
                tesseract_engine=tesseract_engine,
                other_language=other_language,
            )
            if decomposed := [plan.number for plan in plans if plan.decomposed_text]:
                notices.append(decomposed_text_notice(decomposed))
            for plan in plans:
                reading = readings.get(plan.number)
                if reading is not None and _paper_only(plan) and _low(reading):
                    # no ink the blank test sees, read as words of low quality: show-through from the other side of the
                    # sheet (QA: 314 words of nonsense at confidence 37 on a duplex back, which sent its record to
                    # review and into every search); a blank page has no text. Faint text read well stays (good). Lines
                    # of the page's own faint print read among show-through stay, alone (QA112 F5)
                    own = _own_lines(reading) if plan.show_through else []
                    plan.among_show_through = bool(own)
                    kept = {word.text for word in own}
                    corrections = tuple(pair for pair in reading.corrections if pair[1] in kept)
                    readings[plan.number] = dataclasses.replace(reading, words=own, corrections=corrections)
            for plan in plans:
                own_text, reading = plan.own_text(), readings.get(plan.number)
                if reading is not None and own_text is not None and own_text.boxes:
                    # Tesseract's words where the page's own text lies: neither its layer nor its record's text
                    words = words_off_kept_text(reading.words, reading.width, reading.height, plan.skew, own_text.boxes)
                    off = {id(word) for word in words}
                    read_over = [w for w in reading.words if id(w) not in off]
                    if not plan.own_text_over_scan and own_text_shows_otherwise(own_text.words, read_over):
                        plan.own_text_by_turn = {}  # Tesseract's reading is the page's text there
                    else:
                        readings[plan.number] = dataclasses.replace(reading, words=words)
            unreadable = {plan.number for plan in plans if plan.unreadable_layer}
            left_out: set[int] = set()
            if unreadable and mode == SKIP_TEXT:
                # an invisible layer that is no text stays out of the searchable copy: kept, pdftotext gave its
                # mojibake between Tesseract's words ("CỘNGHþA / CèNG HÒA", QA89); a visible one stays, as drawn
                source_pdf, original = scratch / "without-unreadable-text.pdf", source_pdf
                left_out = set(strip_invisible_text(original, source_pdf, pages=unreadable))
            for plan in plans:
                if plan.unreadable_layer and plan.number not in left_out and plan.text_layer_note:
                    # its layer was visible (or redo took out the invisible one before): what is left is as drawn
                    plan.text_layer_note = plan.text_layer_note.replace(INVISIBLE_LEFT_OUT, OWN_TEXT_KEPT)
            # as an officer reads the name (NFC; bytes that are not UTF-8 read as Windows Vietnamese, as the record's
            # source name is): a lone surrogate of such a name was dropped from the title, `trch lc khai t` (QA80)
            title = readable(input_path.stem)
            assembled = assemble_pdf(
                source_pdf, title, plans, readings, output_pdf, from_images=info.kind != "pdf", before_written=unchanged
            )
            layout = page_layouts(source_pdf, plans, readings)
    pages: list[PageOcr] = []
    texts: list[str] = []
    for plan in plans:
        reading = readings.get(plan.number)
        page_text = plan.existing_text if reading is None else with_own_text(reading, plan).text()
        page_text = unicodedata.normalize("NFC", page_text or "")
        # what is typed in its notes after it (QA172 F5: read without its notes, it was lost from the record); its
        # quality and whether it is blank are the page's own
        typed = info.typed_notes.get(plan.number, ())
        recorded_text = "\n\n".join([page_text, *typed] if page_text else typed)
        texts.append(recorded_text)
        own_text = plan.own_text()
        # (beside a picture, not on it: a photo read as no words under a phone app's footer is `low` still, QA172 F3)
        own_words = own_text is not None and bool(own_text.words) and not plan.own_text_on_images
        quality, share = (
            page_quality(
                reading.confidence,
                # what Tesseract read is weighed, not the page's own words: a picture read as no words beside an
                # English caption was `low`, "no words read" (QA169 F2: its text kept in the record as it is)
                unicodedata.normalize("NFC", reading.text()) if own_words else page_text,
                plan.unread_print,
                vietnamese=reads_vietnamese(reading.language),
                doubtful=plan.doubtful_print,
                recorded=True,
                own_words=own_words,
            )
            if reading
            else (None, None)
        )
        if reading is not None and _paper_only(plan) and not has_text(page_text.split()):
            quality = BLANK  # no ink, and OCR read nothing (or a speck or two): the back of a sheet, not a bad scan
        if plan.among_show_through:
            quality = LOW  # the rest of its own print went with the show-through: a person reads it on the scan
        if plan.too_small is not None:
            quality = TOO_SMALL
        pages.append(
            PageOcr(
                number=plan.number,
                ocr=reading is not None,
                confidence=reading.confidence if reading else None,
                dpi=plan.dpi if reading else None,
                quality=quality,
                lexicon_share=share,
                skew=plan.skew,
                orientation=plan.orientation,
                chars=len(recorded_text),
                words=len(recorded_text.split()),
                corrected_words=reading.corrected if reading else 0,
                corrections=[list(pair) for pair in reading.corrections] if reading else [],
                text_layer_note=plan.text_layer_note,
                dpi_assumed=plan.dpi_assumed,
                too_small=plan.too_small,
                unread_print=plan.unread_print if reading and quality != BLANK else None,
                doubtful_print=plan.doubtful_print if reading and quality != BLANK else None,
                darkened=plan.darkened,
                # (faint print read darkened that came out blank too: show-through, dropped — QA155 F1)
                faint_marks=(plan.faint_marks or plan.faint) and quality == BLANK,
                ink_marks=plan.ink_marks and quality == BLANK,
                evened=plan.evened,
                among_show_through=plan.among_show_through,
                language=reading.language if reading else None,
                shown_straightened=plan.shown_straightened,
            )
        )
    return OcrResult(
        output_pdf=str(output_pdf),
        text="\f".join(texts),
        pages=pages,
        language=language,
        # what read the pages (both engines if a worker could not start mid-document); Tesseract when none was read
        engine=", ".join(sorted({r.engine for r in readings.values() if r.engine})) or _text_layer_reader(),
        pdfa=None if assembled.pdfa_problems else "2B",
        pdfa_problems=assembled.pdfa_problems,
        input_signatures=assembled.input_signatures,
        notices=notices + assembled.notices,
        layout=layout,
    )


def _marks_apart(text: str, composed: str) -> bool:
    """Whether ``text`` holds marks apart from the letters NFC puts them on (``composed``: its NFC): "ê" and a
    combining hook for "ể". Not what else NFC changes — an ohm sign made an omega, a Kelvin sign a K (QA176 F1: a
    layer stored composed with an Ω was said to be decomposed)."""
    return sum(map(unicodedata.combining, composed)) < sum(map(unicodedata.combining, text))


def decomposed_text_notice(pages: list[int]) -> str:
    """What a reader of the copy is told of ``pages`` that keep a text layer of their own whose letters' marks are
    stored apart from them (Unicode NFD: "ể" as "ê" and a combining hook; ``_marks_apart``): a PDF viewer's search
    for a word typed as usual (NFC) may not find them, where the record's text, composed, is found (QA171 N6). The
    layer is the document's own, drawn glyph by glyph for base letters and marks, so it is kept as it is."""
    run = page_run(pages)
    return (
        f"tr. {run}: lớp chữ sẵn có của trang được giữ nguyên, nhưng dấu được lưu tách khỏi chữ (Unicode NFD): chức "
        "năng tìm của trình xem PDF có thể không thấy một từ gõ như thường lệ (NFC); văn bản của hồ sơ đã được chuẩn "
        f"hóa NFC / p. {run}: the page's own text layer is kept as it is, but its letters' marks are stored apart from "
        "them (Unicode NFD): a PDF viewer's search for a word typed as usual (NFC) may not find it; the record's text "
        "is normalised to NFC"
    )


# A 16-bit gray page whose brightest sample is under this uses at most 1/16 of its range (12 bits written in 16)
DIM_16_BIT_TOP = 4096


def _text_layer_reader() -> str:
    """The engine of a document no page of which was read — every page kept its own text, which pdfplumber takes
    out: not Tesseract, which did not run (QA148 F5: "tesseract 5.3.0" was named)."""
    from importlib.metadata import version

    return f"pdfplumber {version('pdfplumber')} (text layer kept)"


def input_notices(info: InputInfo, rasterised: list[int], text_dropped: Iterable[int] = ()) -> list[str]:
    """What the searchable copy changed of the input that its reader is to be told, Vietnamese / English (QA96: each
    was done without a word): an owner password's restrictions not carried over (PDF/A forbids encryption), an
    image's transparency flattened onto white, and ``force``'s rasterising of pages that had their own text
    (``rasterised``: their numbers), whose text is then Tesseract's reading, not the document's own — or, for a
    scan under a text layer (``text_dropped``), its layer replaced by Tesseract's reading, its images as they were."""
    notices: list[str] = []
    if info.kind == "pdf":
        try:
            with pikepdf.open(info.path) as pdf:
                encrypted = pdf.is_encrypted
        except pikepdf.PdfError:  # inspect_input read it: said there if anything
            encrypted = False
        if encrypted:
            notices.append(
                "tệp gốc có mật khẩu chủ (hạn chế in, chép, sửa): bản này không mang các hạn chế đó vì PDF/A không "
                "cho mã hóa; tệp gốc vẫn giữ / the input has an owner password (restrictions on printing, copying, "
                "changing): this copy does not carry them, as PDF/A forbids encryption; the input keeps them"
            )
    else:
        with Image.open(info.path) as image:
            mirrored = _exif_orientation(image) in _MIRRORED_ORIENTATIONS
            transparent, dim = [], []
            frames = page_frames(image)
            for number, index in enumerate(frames, start=1):
                image.seek(index)
                if _seen_through(image):
                    transparent.append(number)
                if image.mode.startswith("I;16") and int(np.asarray(image).max(initial=0)) < DIM_16_BIT_TOP:
                    dim.append(number)
        if mirrored:
            # a front camera's: /Rotate cannot show a mirror image, and undoing it takes new pixels (QA129 F3: said
            # in the log only, the page read mirrored and `low`)
            notices.append(MIRRORED_NOTICE)
        if transparent:
            # which page, in a file of several (QA148 F4: said of none, where the other notices name theirs)
            where, where_vi = (
                (f"p. {page_run(transparent)}: ", f"tr. {page_run(transparent)}: ") if len(frames) > 1 else ("", "")
            )
            notices.append(
                f"{where_vi}ảnh có vùng trong suốt: đã được đặt trên nền trắng trong bản này; tệp gốc vẫn giữ / "
                f"{where}the image has transparency: laid on white in this copy; the input keeps it"
            )
        if dim:
            pages = page_run(dim)
            # kept as the file has them (the archival copy is the scan's pixels), read scaled up (QA102: a 12-bit
            # scan in 16-bit samples was archived `good` and shows black to anyone who opens it)
            notices.append(
                f"tr. {pages}: ảnh 16 bit chỉ dùng phần tối nhất của dải sáng (như máy quét 12 bit ghi): trình xem "
                f"hiện gần như đen; chữ vẫn được đọc / p. {pages}: the 16-bit image uses only the darkest part of "
                "its range (as a 12-bit scanner writes): viewers show it nearly black; its text was read all the same"
            )
    if rasterised:
        pages = page_run(rasterised)
        notices.append(
            f"chế độ force: tr. {pages} có chữ sẵn đã được chuyển thành ảnh và nhận dạng lại — chữ của bản này là chữ "
            f"Tesseract đọc, có thể kém chữ gốc; dùng skip-text để giữ chữ gốc / force mode: p. {pages} had text of "
            "their own, turned into images and read again — this copy's text is Tesseract's reading, which may be "
            "worse than the original's; skip-text keeps it"
        )
    if text_dropped:
        # a scan under an earlier OCR's layer: nothing made an image of it (QA148 F3: said "turned into images")
        pages = page_run(list(text_dropped))
        notices.append(
            f"chế độ force: lớp chữ có sẵn của tr. {pages} đã được thay bằng chữ Tesseract đọc (ảnh giữ nguyên); dùng "
            f"skip-text để giữ lớp chữ cũ / force mode: p. {pages}: the text layer it had was replaced by Tesseract's "
            "reading (its images as they were); skip-text keeps the old one"
        )
    return notices


def page_layouts(source_pdf: Path, plans: list[PagePlan], readings: dict[int, PageReading]) -> list[PageWords]:
    """Word boxes of the first and the last page with text (where a Decree 30 document has its two-column header
    and closing; a blank page before or after them — the back of a sheet in a duplex scan, a blank sheet left in
    a stack — is passed over): Tesseract's boxes for a page it read, the text layer's (pdfplumber) for a page that
    kept its own. Each keeps its own page number."""
    found: dict[int, list[PlacedWord]] = {}
    plumber = None

    def words_of(number: int) -> list[PlacedWord]:
        nonlocal plumber
        if number in found:
            return found[number]
        reading = readings.get(number)
        if reading is not None:
            words = [
                PlacedWord(
                    text=w.text,
                    x0=w.left,
                    top=w.top,
                    x1=w.left + w.width,
                    bottom=w.top + w.height,
                    confidence=w.confidence,
                )
                for w in reading.words
            ]
        else:
            plumber = plumber or _open_plumber(source_pdf)
            with _plumber_page(plumber, number - 1) as page:
                words = [
                    PlacedWord(
                        text=unicodedata.normalize("NFC", w["text"]),
                        x0=float(w["x0"]),
                        top=float(w["top"]),
                        x1=float(w["x1"]),
                        bottom=float(w["bottom"]),
                    )
                    for w in page.extract_words(keep_blank_chars=False, use_text_flow=False)
                ]
        found[number] = words
        return words

    numbers = [plan.number for plan in plans]
    try:
        first = next((n for n in numbers if has_text(w.text for w in words_of(n))), None)
        last = next((n for n in reversed(numbers) if has_text(w.text for w in words_of(n))), None)
        if first is None or last is None:  # no page with text: the first and the last, as they are
            first, last = (numbers[0], numbers[-1]) if numbers else (None, None)
        wanted = sorted({n for n in (first, last) if n is not None})
        return [PageWords(number=number, words=words_of(number)) for number in wanted]
    finally:
        if plumber is not None:
            plumber.close()


def prepare_source(
    info: InputInfo,
    scratch: Path,
    *,
    mode: str,
    dpi: int,
    rasterised: list[int] | None = None,
    text_dropped: list[int] | None = None,
) -> Path:
    """The PDF whose pages become the output pages: the input itself, its images as PDF pages (losslessly),
    or for ``redo``/``force`` a copy without its old OCR text / with its text pages rasterised (their numbers
    appended to ``rasterised``; a scan's page that only loses its text layer, to ``text_dropped``)."""
    if info.kind != "pdf":
        target = scratch / "original.pdf"
        image_to_pdf(info, target)
        return target
    source = _source_pdf(info, scratch, mode=mode, dpi=dpi, rasterised=rasterised, text_dropped=text_dropped)
    return _as_pdf_17(source, scratch)


def _as_pdf_17(source: Path, scratch: Path) -> Path:
    """``source``, or where it declares a PDF version above 1.7 (its header, or its catalogue's /Version) a copy that
    declares 1.7: PDF/A-2 is PDF 1.7 (ISO 19005-2 6.1.2), and a scanner's or an editor's "PDF 2.0" holds nothing
    1.7 lacks for a scan's page — the claim of PDF/A rests on the checks that follow, not on the number. QA108: a
    scan saved as PDF 2.0 came out "not PDF/A (6.1.2: PDF 2.0)", exit 1, where OCRmyPDF writes 1.7."""
    with pikepdf.open(source) as pdf:
        declared = str(pdf.Root.get("/Version", "/1.0")).lstrip("/")
        if max(pdf.pdf_version, declared) <= "1.7":
            return source
        if declared > "1.7":
            del pdf.Root["/Version"]
        target = scratch / "as-pdf-1.7.pdf"
        pdf.save(target, force_version="1.7")
    return target


def _source_pdf(
    info: InputInfo,
    scratch: Path,
    *,
    mode: str,
    dpi: int,
    rasterised: list[int] | None,
    text_dropped: list[int] | None = None,
) -> Path:
    if mode == REDO:
        target = scratch / "without-old-ocr.pdf"
        strip_invisible_text(info.path, target)
        return target
    if mode == FORCE:
        with _open_plumber(info.path) as plumber:
            with_text = {}
            for index in range(len(plumber.pages)):
                with _plumber_page(plumber, index) as page:
                    if _has_text(page):
                        with_text[index + 1] = _raster(page, dpi, info.user_units.get(index + 1, 1.0))
        if with_text:
            target = scratch / "rasterised.pdf"
            only_text = rasterise_pages(info.path, target, with_text)
            if rasterised is not None:
                rasterised.extend(number for number in with_text if number not in only_text)
            if text_dropped is not None:
                text_dropped.extend(only_text)
            return target
    return info.path


def _raster(page: pdfplumber.page.Page, default_dpi: int, unit: float = 1.0) -> PageRaster:
    """How ``force`` makes an image of a page with text: at its scan's resolution (``default_dpi`` for a page of
    vector drawing), 1-bit if its scans are, JPEG if they are (as OCRmyPDF does). ``unit``: the page's /UserUnit
    (``InputInfo.user_units``): it is rendered per unit inch, at its scan's resolution (``_covering_dpi``)."""
    images = page.images
    filters = [[getattr(name, "name", name) for name, _ in image["stream"].get_filters()] for image in images]
    return PageRaster(
        dpi=round(_scan_dpi(page, default_dpi, unit)[1]),
        bilevel=bool(images) and all(image.get("bits") == 1 or image.get("imagemask") for image in images),
        jpeg=bool(images) and all(names[-1:] == ["DCTDecode"] for names in filters),
    )


def plan_pages(
    info: InputInfo, source_pdf: Path, scratch: Path, *, default_dpi: int, bands: int = DEFAULT_BANDS
) -> Iterator[PagePlan]:
    """Decide, page by page, whether to keep the text layer or rasterise for Tesseract (lazily: the next
    page is rendered while Tesseract reads the previous ones)."""
    small = {page.number: page.size for page in info.small_pages}
    if info.kind == "pdf":
        return _plan_pdf_pages(
            source_pdf,
            scratch,
            default_dpi,
            bands,
            small,
            info.plain_image_pages,
            info.user_units,
            info.covered_pages,
        )
    return _plan_image_pages(info, scratch, bands, small)


def _open_plumber(path: Path) -> pdfplumber.PDF:
    # imported here, not above: a bare scan is planned without it, and its import (~0.2 s, more while the
    # workers load their models) would sit between starting `sohoa ocr` on a one-page scan and its first read
    import pdfplumber

    return pdfplumber.open(path)


def _has_text(page: pdfplumber.page.Page) -> bool:
    return _enough_text(page.extract_text() or "")


def _enough_text(text: str) -> bool:
    return sum(not ch.isspace() for ch in text) >= MIN_TEXT_CHARS


@contextmanager
def _plumber_page(plumber: pdfplumber.PDF, index: int) -> Iterator[pdfplumber.page.Page]:
    """A pdfplumber page, its parsed objects let go of when done: pdfplumber keeps each page's objects, and its
    text maps in a cache of 128 pages shared by all pages, until the page is closed (QA96: a 300-page born-digital
    PDF took 1.7 GB to plan, ~5 MB a page)."""
    page = plumber.pages[index]
    try:
        yield page
    finally:
        page.close()


def _plan_pdf_pages(
    path: Path,
    scratch: Path,
    default_dpi: int,
    bands: int,
    small: dict[int, str] | None = None,
    plain: frozenset[int] = frozenset(),
    units: dict[int, float] | None = None,
    covered: frozenset[int] = frozenset(),
) -> Iterator[PagePlan]:
    """``small``: the pages too small to be a scan (``ocr.inputs.SmallPage``), by number: kept as they are, not
    rendered nor read (Tesseract would make nonsense of a 6 mm strip, and send the record to review as low quality).
    ``plain``: the pages whose one image may be read as the page (``ocr.inputs.plain_page_image``), by number.
    ``units``: the pages whose /UserUnit is not 1, by number (``_covering_dpi``). ``covered``: the pages read with
    their annotations drawn (``ocr.inputs.covering_annotations``), by number."""
    small = small or {}
    units = units or {}
    with open_pdf(path) as document, ExitStack() as closing:
        plumber: pdfplumber.PDF | None = None
        for index in range(len(document)):
            number = index + 1
            unit = units.get(number, 1.0)
            survey = document.survey(index)
            if survey.width <= 0 or survey.height <= 0:
                # its crop box lies outside its media box: nothing of the page is shown (pdfium's size 0 × 0), and
                # rendering it raised a bare ValueError, "internal error" (QA89)
                raise BadInputError(path, Problem.DAMAGED_PDF, f"page {number}: its crop box lies outside the page")
            if number in small:
                text, apart = None, False
                if survey.may_have_text:  # a text layer of its own stays in the record's text, as a kept page's
                    plumber = plumber or closing.enter_context(_open_plumber(path))
                    with _plumber_page(plumber, index) as page:
                        stored = page.extract_text() or ""
                    text = unicodedata.normalize("NFC", stored)
                    apart = _marks_apart(stored, text)  # said as a kept page's is (QA176: said of none)
                yield PagePlan(number=number, existing_text=text, too_small=small[number], decomposed_text=apart)
                continue
            note = unreadable = None
            own_text: dict[int, OwnText] = {}
            over_scan = on_images = False
            if survey.may_have_text:
                # pdfplumber decides whether the text is usable, and reads it
                if plumber is None:
                    plumber = closing.enter_context(_open_plumber(path))
                with _plumber_page(plumber, index) as page:
                    text = page.extract_text() or ""  # once: it was read twice, to judge it and to keep it
                    if _enough_text(text):
                        # (asked by two tests below, each only on some pages: a pikepdf parse of the page, once)
                        invisible = functools.cache(functools.partial(invisible_text_share, path, number))
                        unreadable = (
                            _garbled_text(text) or _legacy_font_text(text) or _marks_lost_text(text, page, invisible)
                        )
                        note = unreadable or _tiny_text_over_scan(page, invisible)
                    kept = _enough_text(text) and note is None
                    if not kept:
                        page_dpi, box_dpi = _scan_dpi(page, default_dpi, unit)
                        width, height = float(page.width), float(page.height)
                        if unreadable is None:
                            # its own text stays, readable: not laid there again, and the record's text takes it
                            own_text = _own_text_by_turn(page)
                            over_scan = _scan_cover(page) >= SCAN_COVER
                            on_images = _glyphs_on_images(page) > 0.5
                if kept:
                    composed = unicodedata.normalize("NFC", text)
                    yield PagePlan(number=number, existing_text=composed, decomposed_text=_marks_apart(text, composed))
                    continue
            else:  # nothing on the page can show text (the common case: a scanner's image on a page)
                page_dpi, box_dpi = _survey_dpi(survey, default_dpi, unit)
                width, height = survey.width, survey.height
            pixels = (width / 72 * box_dpi) * (height / 72 * box_dpi)
            if pixels > MAX_PAGE_PIXELS:
                # refuse before rendering: a 35000² px page takes a minute and gigabytes to rasterise
                raise BadInputError(
                    path,
                    Problem.TOO_LARGE,
                    f"page {number}: {width:.0f}×{height:.0f} pt at {box_dpi:.0f} dpi = {pixels / 1e6:.0f} Mpx",
                )
            # Rasterised only for Tesseract (the output keeps the original page): in colour, for its red seal to be
            # dropped (a scanner's colour PDF was read grey, its seal dark: QA88), then grey, which is enough. A
            # scanner's page, one image over the whole page at the page's resolution, is its image's pixels as they
            # are: rendering drew the same a pixel wider, resampled, in ~50–70 ms more (and ~35 MB of bitmap). Read
            # without its annotations: a viewer draws them over the page, which the output keeps as it was — an
            # opaque note over a header hid the header from the record and was read into the layer under itself,
            # a typed note's text was then in the PDF twice (QA168 F3; a signature's widget was never drawn) — but
            # for those that cover what it shows: a redaction mark, a box over words, a stamp (QA172 F1, F2)
            image = document.page_image(index, box_dpi) if number in plain else None
            if image is None:
                image = document.render(index, scale=box_dpi / 72, annotations=number in covered)
            plan = _prepared(image, number, page_dpi, scratch, bands, grey=True)
            plan.text_layer_note = note
            plan.unreadable_layer = unreadable is not None
            plan.own_text_by_turn, plan.own_text_over_scan = own_text, over_scan
            # kept beside what is read, as it is (QA176: a scan's NFD scrap was not said)
            plan.decomposed_text = any(text.decomposed for text in own_text.values())
            plan.own_text_on_images = on_images
            plan.scan_only = not survey.may_have_text and not survey.draws_paths
            yield plan


# How a page's note begins when its text layer is no text (PagePlan.text_layer_note; `sohoa ocr` says it in
# Vietnamese by these), and how it ends: what became of its own text layer in the output
NOT_TEXT_NOTE = "its text layer is not text"
LEGACY_FONT_NOTE = "its text layer is Vietnamese in a legacy font's codes"
OWN_TEXT_KEPT = "its own text kept"
INVISIBLE_LEFT_OUT = "its invisible text left out"
# A text layer is no text when more than this share of its characters are of no script a Vietnamese office writes
# in (``_garbled_text``)
MAX_GARBLED_SHARE = 0.5
_UNMAPPED_GLYPH_RE = re.compile(r"\(cid:\d+\)")
# ... or when this share of its words (this many or more) hold a glyph mapped to no character beside their letters:
# a font without a map to Unicode whose letters with marks map to nothing, "Nh(cid:1) (cid:2)(cid:3)t" for "Nhà
# đất" — a fifth of the characters, under the half above, and every word with a mark unsearchable (QA159 F1: kept,
# `ocr: false`, `quality: null`). A bullet or a sign alone, mapped to nothing, is a word of no letter: not counted;
# an English layer whose "fi" ligatures map to nothing has a few words in a hundred so
MIN_UNMAPPED_WORD_SHARE = 0.15
MIN_UNMAPPED_WORDS = 5


def _letters_beside_glyphs(word: str) -> bool:
    return any(ch.isalpha() for ch in _UNMAPPED_GLYPH_RE.sub("", word))


def _garbled_text(text: str) -> str | None:
    """Why a page's text layer is not text to keep (``skip-text`` and ``redo`` read the page as a scan), or None: most
    of its characters are CJK ideographs, Hangul, private-use or unassigned code points, controls, U+FFFD or glyphs
    mapped to no character at all (pdfminer's "(cid:N)") — what a layer whose font maps its codes wrongly gives,
    e.g. UTF-16 bytes read swapped ("Multicolor" as "䴀甀氀琀椀挀漀氀漀爀", QA68: OCRmyPDF's
    cmyk.pdf kept such a layer, `ocr: false`, `quality: null`, and classification read it). Those are no scripts of
    Vietnamese records; a Chinese document's real text would be read as a scan too."""
    # pdfminer writes "(cid:103)" for a glyph its font maps to no character (no ToUnicode, as some scanners' OCR
    # writes its layer): one character of no script (QA88: 14,335 characters of them were a record's text)
    characters = [ch for ch in _UNMAPPED_GLYPH_RE.sub("\ufffd", text) if not ch.isspace()]
    garbled = sum(1 for ch in characters if _no_script_of_ours(ch))
    if not characters:
        return None
    if garbled <= MAX_GARBLED_SHARE * len(characters):
        words = text.split()
        broken = sum(1 for word in words if _UNMAPPED_GLYPH_RE.search(word) and _letters_beside_glyphs(word))
        if broken < MIN_UNMAPPED_WORDS or broken < MIN_UNMAPPED_WORD_SHARE * len(words):
            return None
        return (
            f"{NOT_TEXT_NOTE} ({broken} of its {len(words)} words hold glyphs mapped to no character, as from a font "
            f"without a map to Unicode whose letters with marks read as nothing): read as a scan, {INVISIBLE_LEFT_OUT}"
        )
    return (
        f"{NOT_TEXT_NOTE} ({garbled} of its {len(characters)} characters are CJK, private-use, "
        "undefined or unmapped, as from a font whose codes are mapped wrongly or not at all): read as a scan, "
        f"{INVISIBLE_LEFT_OUT}"
    )


# A text layer in one of the 8-bit Vietnamese fonts of before Unicode (TCVN3's .VnTime, VNI-Times) reads as Latin-1
# letters and signs: "Céng hoµ x· héi chñ nghÜa ViÖt Nam", "Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam". Such a layer is
# read as a scan when at most MAX_LEGACY_LEXICON_SHARE of its words are Vietnamese syllables, at least
# MIN_LEGACY_WORD_SHARE of them hold a Latin-1 letter or sign (French, ~20 %, stays; Vietnamese in Unicode has those
# letters too, but its syllables are known) and, in its words that are no Vietnamese syllables, other non-ASCII
# letters are few beside them (at most MAX_BEYOND_LATIN1_SHARE: Czech's á, é, ý come with č, ř, ě — the corpora's
# Czech PDF stays).
MAX_LEGACY_LEXICON_SHARE = 0.6
MIN_LEGACY_WORD_SHARE = 0.4
MAX_BEYOND_LATIN1_SHARE = 0.05
_LATIN1_RE = re.compile("[\u00a0-\u00ff]")


def _legacy_font_text(text: str) -> str | None:
    """Why a page's text layer is Vietnamese in a legacy 8-bit font's codes, to be read as a scan, or None (QA88: a
    TCVN3 layer was the record's text, unread, with no note and no review)."""
    share = lexicon_share(text)
    if share is None or share > MAX_LEGACY_LEXICON_SHARE:
        return None
    words = unicodedata.normalize("NFC", text).split()
    marked = sum(1 for word in words if _LATIN1_RE.search(word))
    # the letters of the words that are no Vietnamese syllable: a page typed in TCVN3 under a heading in Unicode
    # (a template's) is legacy for all the heading's đ, ơ, ư (QA89: three such lines kept a page's mojibake)
    foreign = "".join(word for word in words if not vietnamese_word(word))
    latin1 = len(_LATIN1_RE.findall(foreign))
    beyond = sum(1 for ch in foreign if ord(ch) > 0xFF and ch.isalpha())
    if marked < MIN_LEGACY_WORD_SHARE * len(words) or beyond > MAX_BEYOND_LATIN1_SHARE * (latin1 + beyond):
        return None
    return (
        f"{LEGACY_FONT_NOTE} (TCVN3/VNI: {share:.0%} of its words are Vietnamese "
        f"syllables, {marked} of its {len(words)} words hold Latin-1 letters): read as a scan, {INVISIBLE_LEFT_OUT}"
    )


# A copier's or an old OCR tool's layer over a scan of Vietnamese, its marks dropped ("UY BAN NHAN DAN", "So:
# 12/QD-UBND") or each marked letter written "?" ("C?NG HÒA", "QUY?T ??NH"): read as a scan when at least
# MIN_BARE_SYLLABLE_SHARE of its words (of MIN_MARKS_LOST_WORDS or more) are Vietnamese syllables with their marks
# taken off (``ocr.quality.bare_syllables``) and at most MAX_MARKED_SHARE carry a mark, or MIN_QUESTIONED_SHARE hold
# a "?" for a letter (``_QUESTIONED_RE``). English written over a scan has few words that are a marked syllable's bare
# form.
MARKS_LOST_NOTE = "its text layer is Vietnamese without its marks"
MIN_MARKS_LOST_WORDS = 20
MIN_BARE_SYLLABLE_SHARE = 0.8
MAX_MARKED_SHARE = 0.05
MIN_QUESTIONED_SHARE = 0.1
MIN_INVISIBLE_SHARE = 0.5  # ... of the page's text-showing operators, for the layer to be an OCR's
# a "?" inside a word or at its start ("C?NG", "??NH"), not the question mark that ends one ("không?", "visa?":
# QA109, a survey's questions in a good layer were taken for lost marks)
_QUESTIONED_RE = re.compile(r"\w\?+\w|^\?+\w")


def _marks_lost_text(text: str, page: pdfplumber.page.Page, invisible: Callable[[], float]) -> str | None:
    """Why a page's invisible text layer over its scan (``invisible``: the share of its text that is invisible) is
    Vietnamese that lost its marks, to be read as a scan, or None (QA108:
    a copier's layer "UY BAN NHAN DAN / So: 12/QD-UBND" was kept by ``skip-text``, `ocr: false`, and a search for
    "Quyết định" found nothing; OCRmyPDF refuses such a page unless told to redo it)."""
    if _scan_cover(page) < SCAN_COVER:
        return None  # a born-digital page typed without marks is as it was written
    words = [word.strip(".,;:!()[]\"'“”‘’-") for word in unicodedata.normalize("NFC", text).split()]
    words = [word for word in words if word and not any(ch.isdigit() for ch in word)]
    if len(words) < MIN_MARKS_LOST_WORDS:
        return None
    questioned = sum(1 for word in words if _QUESTIONED_RE.search(word))
    marked = sum(1 for word in words if any(ord(ch) > 0x7F and ch.isalpha() for ch in word))
    bare = sum(1 for word in words if word.lower() in bare_syllables())
    if questioned >= MIN_QUESTIONED_SHARE * len(words):
        lost = f"{questioned} of its {len(words)} words hold a '?' for a letter"
    elif bare >= MIN_BARE_SYLLABLE_SHARE * len(words) and marked <= MAX_MARKED_SHARE * len(words):
        lost = f"{bare} of its {len(words)} words are Vietnamese syllables stripped of their marks, {marked} marked"
    else:
        return None
    if invisible() < MIN_INVISIBLE_SHARE:
        # text shown on the page, typed so by whoever made it: as written (an OCR layer is invisible; QA109: a
        # visible page of it with one invisible word was read again, its text then there twice)
        return None
    return f"{MARKS_LOST_NOTE} ({lost}): read as a scan, {INVISIBLE_LEFT_OUT}"


def _scan_cover(page: pdfplumber.page.Page) -> float:
    """The share of the page its images cover together (at most 1): a scan may be stored as strips, each a third of
    the page (QA109: a copier's mark-less layer over three strips was kept, the largest image alone being no scan)."""
    x0, top, x1, bottom = bounds = _bounds(page)
    area = (x1 - x0) * (bottom - top)
    if area <= 0:
        return 0.0
    return min(1.0, sum(_covered(bounds, image) for image in page.images) / area)


def _bounds(page: pdfplumber.page.Page) -> tuple[float, float, float, float]:
    """The part of the page a viewer shows, and pdfium renders to be read — its crop box within its media box — as
    (x0, top, x1, bottom) where pdfplumber places its objects: on the page as shown (pdfminer turns it by its
    /Rotate). (pdfplumber's own ``bbox`` is the media box, and its ``cropbox`` is not turned with the page: a stamp on
    a scan with an offset crop box was placed up to 40 pt off the reading, and laid twice, QA166 F2.)"""
    obj = page.page_obj
    mx0, my0, mx1, my1 = ordered_box(obj.mediabox)
    cx0, cy0, cx1, cy1 = shown_part(obj.mediabox, obj.cropbox)
    turn = obj.rotate % 360

    def shown(x: float, y: float) -> tuple[float, float]:
        # (as pdfminer's layout of a page turned by its /Rotate, its y then taken from the top by pdfplumber)
        if turn == 90:
            return y - my0, x - mx0
        if turn == 180:
            return mx1 - x, y - my0
        if turn == 270:
            return my1 - y, mx1 - x
        return x - mx0, my1 - y

    (ax, at), (bx, bt) = shown(cx0, cy0), shown(cx1, cy1)
    # (from the media box's top left as pdfplumber places it: it adds that corner back to its objects' places, so a
    # page whose media box is not at the origin had its text and scan placed off it, QA167: a scan unread again)
    left, top = (float(v) for v in page.mediabox[:2])
    return left + min(ax, bx), top + min(at, bt), left + max(ax, bx), top + max(at, bt)


def _glyphs_on_images(page: pdfplumber.page.Page) -> float:
    """The share of ``page``'s glyphs (not spaces) whose middle lies on one of its images."""
    images = [_box_of(image) for image in page.images]
    glyphs = [_box_of(c) for c in page.chars if not str(c.get("text", "")).isspace()]
    if not glyphs:
        return 0.0
    on = 0
    for left, up, right, down in glyphs:
        x, y = (left + right) / 2, (up + down) / 2
        on += any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in images)
    return on / len(glyphs)


def _covered(bounds: tuple[float, float, float, float], box: dict[str, object]) -> float:
    """The area of ``box`` (pdfplumber's x0, x1, top, bottom) within the page's ``bounds`` (``_bounds``)."""
    x0, top, x1, bottom = bounds
    width = min(x1, float(box["x1"])) - max(x0, float(box["x0"]))  # type: ignore[arg-type]
    height = min(bottom, float(box["bottom"])) - max(top, float(box["top"]))  # type: ignore[arg-type]
    return max(0.0, width) * max(0.0, height)


def _no_script_of_ours(ch: str) -> bool:
    code = ord(ch)
    category = unicodedata.category(ch)
    return (
        category in ("Co", "Cn", "Cs", "Cc")
        or code == 0xFFFD
        or 0x3400 <= code <= 0x9FFF  # CJK ideographs (and Extension A), where swapped UTF-16 of ASCII lands
        or 0xAC00 <= code <= 0xD7AF  # Hangul syllables
        or 0xA000 <= code <= 0xA4CF  # Yi
        or 0x20000 <= code <= 0x3FFFF  # CJK ideographs beyond the BMP
    )


def _tiny_text_over_scan(page: pdfplumber.page.Page, invisible: Callable[[], float] | None = None) -> str | None:
    """Why a page with text is to be read as a scan all the same (``SCAN_COVER``, ``TINY_TEXT_SHARE``, and for text
    all visible ``VISIBLE_SCRAP_SHARE``: ``invisible``, the share of its text that is invisible), or None.

    Its text stays in the page (visible or not, as it was); the text layer Tesseract's reading makes is laid over
    it but where that text lies (``PagePlan.own_text``), and the page's record text is that reading with the
    page's own words as typed (``with_own_text``)."""
    image_share = _scan_cover(page)  # 0 for a page of no area
    if image_share < SCAN_COVER:
        return None
    glyphs = [char for char in page.chars if not str(char.get("text", "")).isspace()]
    text_share = _text_share(page, glyphs)
    if text_share >= TINY_TEXT_SHARE and (
        text_share >= VISIBLE_SCRAP_SHARE
        or not _lies_in_a_few_groups(page, [char for char in glyphs if _upright_turn(char) == 0])
        or (invisible is None or invisible() > 0)
    ):
        return None
    return (
        f"its text layer ({len(glyphs)} characters) covers {text_share:.2%} of the page, over an image covering "
        f"{image_share:.0%}: read as a scan, {OWN_TEXT_KEPT}"
    )


def _text_share(page: pdfplumber.page.Page, glyphs: list[dict[str, Any]]) -> float:
    """The share of the page that ``glyphs`` (pdfplumber's chars) cover."""
    bounds = _bounds(page)
    x0, top, x1, bottom = bounds
    # a glyph's box is its advance by its font size: a font without a FontBBox gives pdfminer boxes 0 pt high
    covered = sum(_covered(bounds, {**char, "top": char["bottom"] - float(char.get("size") or 0)}) for char in glyphs)
    return covered / ((x1 - x0) * (bottom - top))


def _lies_in_a_few_groups(page: pdfplumber.page.Page, glyphs: list[dict[str, Any]]) -> bool:
    """Whether ``glyphs`` lie in at most SCRAP_GROUPS groups, each within SCRAP_GROUP_SHARE of the page: a stamp's
    lines, a footer, a header, a page number — not a form's values all over it. A group: glyphs whose boxes, widened
    by their size across and half of it up and down, touch (the letters of a line, the lines of a block)."""
    x0, top, x1, bottom = _bounds(page)
    area = (x1 - x0) * (bottom - top)
    groups: list[list[float]] = []  # each [left, top, right, bottom, size] of the glyphs joined so far
    for char in sorted(glyphs, key=lambda c: (float(c["bottom"]), float(c["x0"]))):
        size = _glyph_size(char)
        box = [float(char["x0"]), float(char["bottom"]) - size, float(char["x1"]), float(char["bottom"]), size]
        touching = [
            group
            for group in groups
            if box[0] - size <= group[2] + group[4]
            and group[0] - group[4] <= box[2] + size
            and box[1] - size / 2 <= group[3] + group[4] / 2
            and group[1] - group[4] / 2 <= box[3] + size / 2
        ]
        for group in touching:  # joined into one: the box around them all
            groups.remove(group)
            box = [min(box[0], group[0]), min(box[1], group[1]), max(box[2], group[2]), max(box[3], group[3]),
                   max(box[4], group[4])]  # fmt: skip
        groups.append(box)
        if len(groups) > 4 * SCRAP_GROUPS:
            return False  # (a form's values: no need to join them all to know)

    def share(group: list[float]) -> float:
        return _covered((x0, top, x1, bottom), {"x0": group[0], "top": group[1], "x1": group[2], "bottom": group[3]})

    big = [group for group in groups if share(group) > SCRAP_GROUP_SHARE * area]
    return len(groups) <= SCRAP_GROUPS and not big


# A box of a page's own text: (left, top, right, bottom) as shares of the page's width and height, from its top left
# as the page is shown (after its /Rotate: pdfminer lays a page out turned so, as pdfium renders it to be read) and
# then turned upright as Tesseract reads it (``OwnText``)
TextBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class OwnText:
    """A page's own text as it lies on the page read turned by a quarter turn (``_own_text_by_turn``): where each
    glyph lies (``_own_text``) and its words with their boxes (``TextBox``), NFC."""

    boxes: tuple[TextBox, ...]
    words: tuple[tuple[str, TextBox], ...]
    # each word's middle, down the page as a share of it, with the slant of its glyphs undone: where its line lies,
    # which its box's middle, climbing along a line set askew, does not say (``with_own_text``)
    rows: tuple[float, ...] = ()
    # its letters' marks are stored apart from them (NFD, ``_marks_apart``): said, as a kept page's are
    decomposed: bool = False


def _own_text_by_turn(page: pdfplumber.page.Page) -> dict[int, OwnText]:
    """``page``'s own text as it lies on the page turned clockwise by each quarter turn (0: as shown), each of its
    words read as it stands upright: a page Tesseract reads turned upright (its orientation found by OSD) had its
    own text's boxes measured as shown, and a phone app's footer or a signature's lines, stored turned with their
    scan, were laid twice ("SSccaannnneedd wwiitthh", QA168 F1)."""
    x0, top, x1, bottom = _bounds(page)
    width, height = x1 - x0, bottom - top
    if width <= 0 or height <= 0:
        return {}
    by_turn: dict[int, list[dict[str, Any]]] = {}
    for char in page.chars:
        text = str(char.get("text", ""))
        turn = _upright_turn(char)
        if turn is None or _UNMAPPED_GLYPH_RE.fullmatch(text):
            # (a glyph turned by no quarter, its box, level, would reach over the scan's words: a 45° watermark,
            # QA161 N3; a glyph mapped to no character is no text the page keeps: Tesseract's reading of it is,
            # QA164 F3)
            continue
        left, up, right, down = (float(char[k]) for k in ("x0", "top", "x1", "bottom"))
        left, up, right, down = left - x0, up - top, right - x0, down - top
        box = {
            0: (left, up, right, down),
            90: (height - down, left, height - up, right),
            180: (width - right, height - down, width - left, height - up),
            270: (up, width - right, down, width - left),
        }[turn]
        by_turn.setdefault(turn, []).append(
            {**char, "x0": box[0], "top": box[1], "x1": box[2], "bottom": box[3], "doctop": box[1], "upright": True}
        )
    upright = {
        turn: _own_text(chars, *((width, height) if turn in (0, 180) else (height, width)))
        for turn, chars in by_turn.items()
    }
    if not upright:
        return {}
    # on the page read turned by each quarter turn, all of it: the glyphs standing otherwise too, their words as
    # they read upright — a page read upright where its text stands sideways (a landscape sheet shown turned by a
    # PDF tool) had Tesseract's reading of that text, junk ("XimageO'bmWjehdcat"), laid over it and put in the
    # record in its place (QA169 F2)
    by_read_turn: dict[int, OwnText] = {}
    for read in (0, 90, 180, 270):
        boxes, words, rows = [], [], []
        for group, (stands, own) in enumerate(upright.items()):
            boxes += [_share_turned(_share_unturned(box, stands), read) for box in own.boxes]
            words += [(text, _share_turned(_share_unturned(box, stands), read)) for text, box in own.words]
            rows += [row + 2 * group for row in own.rows]  # (each turn's lines apart from another's)
        decomposed = any(own.decomposed for own in upright.values())
        by_read_turn[read] = OwnText(tuple(boxes), tuple(words), tuple(rows), decomposed)
    return by_read_turn


def _share_turned(box: TextBox, turn: int) -> TextBox:
    """``box`` on a page as shown, as shares of it from its top left, where it lies on the page turned clockwise
    by ``turn`` degrees (a quarter turn maps the square of shares onto itself)."""
    left, top, right, bottom = box
    if turn == 90:
        return 1 - bottom, left, 1 - top, right
    if turn == 180:
        return 1 - right, 1 - bottom, 1 - left, 1 - top
    if turn == 270:
        return top, 1 - right, bottom, 1 - left
    return box


def _share_unturned(box: TextBox, turn: int) -> TextBox:
    """``box`` on the page turned clockwise by ``turn`` degrees, where it lies on the page as shown
    (``_share_turned`` undone)."""
    return _share_turned(box, (360 - turn) % 360)


def _upright_turn(char: dict[str, Any]) -> int | None:
    """The quarter turn (clockwise, of the page as shown) that stands a glyph upright within LEVEL_DEGREES (a stamp
    set slightly askew: its box, level, is still about where it lies), or None (a watermark's at 45°)."""
    a, b = (float(v) for v in (char.get("matrix") or (1, 0, 0, 1, 0, 0))[:2])
    if a == 0 and b == 0:
        return None
    angle = math.degrees(math.atan2(b, a)) % 360  # counter-clockwise, as the page is shown
    turn = round(angle / 90) % 4 * 90
    return turn if abs((angle - turn + 180) % 360 - 180) < LEVEL_DEGREES else None


def _own_text(chars: list[dict[str, Any]], width: float, height: float) -> OwnText:
    """Where each glyph of ``chars`` lies, a quarter of its size wider each way, and the words they make, each with
    its box and its row: ``chars`` upright on a page of ``width`` × ``height`` points, from its top left, as shares of
    it (``TextBox``): the words it shows, within its crop box (a stamp cropped away was in the record's text,
    QA167)."""
    from pdfplumber.utils import extract_words

    boxes = []
    for char in chars:
        if str(char.get("text", "")).isspace():
            continue  # (kept for the words: where they part)
        size = _glyph_size(char)
        margin = size / 4
        left, right, bottom = float(char["x0"]) - margin, float(char["x1"]) + margin, float(char["bottom"]) + margin
        top = bottom - size - 2 * margin
        boxes.append((left / width, top / height, right / width, bottom / height))
    words, rows, decomposed = [], [], False
    for tilt, tilted in _by_tilt(chars).items():
        levelled = extract_words(_turned(tilted, tilt, width, height))
        for level, word in zip(levelled, _turned(levelled, -tilt, width, height), strict=True):
            box = (word["x0"] / width, word["top"] / height, word["x1"] / width, word["bottom"] / height)
            if box[0] < 1 and box[2] > 0 and box[1] < 1 and box[3] > 0:
                composed = unicodedata.normalize("NFC", str(word["text"]))
                decomposed = decomposed or _marks_apart(str(word["text"]), composed)
                words.append((composed, box))
                rows.append((float(level["top"]) + float(level["bottom"])) / 2 / height)
    return OwnText(tuple(boxes), tuple(words), tuple(rows), decomposed)


# Glyphs set askew by less than this many degrees are words of level lines; more, and a stamp set 3° askew over a
# scan (its glyphs' level boxes climbing 8 pt along a line, over its next line's) was parted into lines of one or
# two letters and interleaved ("K E ý m b a ở", QA166 F4): its glyphs are taken level first, the lines they lie on
TILT_STEP = 0.5


def _by_tilt(chars: list[dict[str, Any]]) -> dict[float, list[dict[str, Any]]]:
    """``chars`` (upright within LEVEL_DEGREES) by how far each is set askew, counter-clockwise, to TILT_STEP."""
    groups: dict[float, list[dict[str, Any]]] = {}
    for char in chars:
        a, b = (float(v) for v in (char.get("matrix") or (1, 0, 0, 1, 0, 0))[:2])
        angle = math.degrees(math.atan2(b, a))
        residual = (angle + 45) % 90 - 45  # off the nearest quarter turn: the turn _upright_turn undid
        groups.setdefault(round(residual / TILT_STEP) * TILT_STEP, []).append(char)
    return groups


def _box_of(item: dict[str, Any]) -> tuple[float, float, float, float]:
    """A pdfplumber glyph's or word's (left, top, right, bottom)."""
    return float(item["x0"]), float(item["top"]), float(item["x1"]), float(item["bottom"])


def _turned(items: list[dict[str, Any]], tilt: float, width: float, height: float) -> list[dict[str, Any]]:
    """pdfplumber's glyphs or words ``items`` on a ``width`` × ``height`` page, each box of the same size, its middle
    turned ``tilt`` degrees clockwise as shown about the page's (``_turned_about_centre``): glyphs set ``tilt``
    degrees askew laid level, or words found among them put back (-``tilt``)."""
    if not tilt or not items:
        return items
    boxes = np.array([_box_of(item) for item in items], dtype=float)
    middles_x, middles_y = _turned_about_centre(
        (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2, width, height, -tilt
    )
    turned = []
    for item, (left, top, right, bottom), x, y in zip(
        items, boxes.tolist(), middles_x.tolist(), middles_y.tolist(), strict=True
    ):
        half_width, half_height = (right - left) / 2, (bottom - top) / 2
        turned.append(
            {
                **item,
                "x0": x - half_width,
                "x1": x + half_width,
                "top": y - half_height,
                "bottom": y + half_height,
                "doctop": y - half_height,
            }
        )
    return turned


def _glyph_size(char: dict[str, Any]) -> float:
    """A glyph's font size, or its box's height where pdfminer gives none."""
    return float(char.get("size") or 0) or float(char["bottom"]) - float(char["top"])


def with_own_text(reading: PageReading, plan: PagePlan) -> PageReading:
    """``reading`` (its words off the page's own text already) with that text's words put where they lie, for the
    record's text: a scrap's, a stamp's, exactly as typed — Tesseract's reading of them was the record's, "12/03/4930"
    for a certificate's typed "12/03/1990", "Rơ Chầm" for "Rơ Châm" (QA163 G1, G2), and a stamp it did not read was
    not in it at all (G3). Each line of it a block of its own, placed by ``PageReading.text``'s reading order."""
    own_text = plan.own_text()
    if own_text is None or not own_text.words or reading.width <= 0 or reading.height <= 0:
        return reading
    width, height = reading.width, reading.height
    boxes = np.array([box for _, box in own_text.words], dtype=float)
    # where each lies in the straightened image Tesseract read (the turn ``words_off_kept_text`` undoes)
    middles_x, middles_y = _turned_about_centre(
        (boxes[:, 0] + boxes[:, 2]) / 2 * width, (boxes[:, 1] + boxes[:, 3]) / 2 * height, width, height, plan.skew
    )
    placed = [
        (text, float(middle_x), float(middle_y), (right - left) * width, (bottom - top) * height, row * height)
        for (text, (left, top, right, bottom)), middle_x, middle_y, row in zip(
            own_text.words, middles_x.tolist(), middles_y.tolist(), own_text.rows, strict=True
        )
    ]
    # its lines (each word's row within half its height of the word before's), and its blocks (lines within two):
    # by rows, not by where the words lie in the image read, across which a level line falls when it was
    # straightened to be read, and a stamp's line set askew climbs (QA166 F4: "Thời gian ký:" and its date and time
    # four lines)
    block, line, previous = max((word.block for word in reading.words), default=0), 0, None
    own: list[Word] = []
    for text, middle_x, middle_y, word_width, word_height, row in placed:
        if previous is None or abs(row - previous) > word_height / 2:
            if previous is None or abs(row - previous) > 2 * word_height:
                block, line = block + 1, 0
            line += 1
        previous = row
        own.append(
            Word(
                text=text,
                confidence=100.0,
                left=round(middle_x - word_width / 2),
                top=round(middle_y - word_height / 2),
                width=max(1, round(word_width)),
                height=max(1, round(word_height)),
                block=block,
                paragraph=1,
                line=line,
            )
        )
    return dataclasses.replace(reading, words=[*reading.words, *own])


def own_text_shows_otherwise(own_words: Sequence[tuple[str, TextBox]], read_over: Sequence[Word]) -> bool:
    """Whether Tesseract read ``read_over`` (its words over the page's own text), surely (OWN_TEXT_SURE) and at least
    OWN_TEXT_LETTERS letters and digits of it, mostly as letters the own text (``own_words``) does not hold: that text
    is then not what the page shows — a font whose codes extract as other characters (a bold "Phone" in a font
    without a ToUnicode map reads as '"7+%-': its record's text was that, Tesseract's "Phone" left out as read twice,
    and a search for it found nothing, QA164 F2). Tesseract reading nothing there, or little, or unsurely (a stamp of
    6 pt read as junk), leaves the own text standing."""
    read = "".join(c for word in read_over for c in unicodedata.normalize("NFC", word.text).casefold() if c.isalnum())
    if len(read) < OWN_TEXT_LETTERS:
        return False
    if sum(word.confidence for word in read_over) / len(read_over) < OWN_TEXT_SURE:
        return False
    own = "".join(c for text, _ in own_words for c in text.casefold() if c.isalnum())
    blocks = difflib.SequenceMatcher(None, read, own, autojunk=False).get_matching_blocks()
    matched = sum(block.size for block in blocks)
    return matched < OWN_TEXT_AGREES * len(read)


OWN_TEXT_LETTERS = 3
OWN_TEXT_SURE = 80.0
OWN_TEXT_AGREES = 0.4


LEVEL_DEGREES = 10.0  # see _upright_turn


def words_off_kept_text(
    words: list[Word], width: int, height: int, skew: float, boxes: Sequence[TextBox]
) -> list[Word]:
    """``words`` (boxed in the pixels of a ``width`` × ``height`` image, straightened by ``skew`` degrees
    counter-clockwise about its centre) but those whose middle lies on the page's own text (``boxes``): that text is
    in the page already, and laid there again pdfplumber read both as one ("SSaaoo yy bbảảnn cchhíínnhh", QA159 F4)
    and pdftotext every word twice."""
    if not boxes or not words or width <= 0 or height <= 0:
        return words
    middles = np.array([(w.left + w.width / 2, w.top + w.height / 2) for w in words], dtype=float)
    # turned back as the text layer turns each word (ocr.textlayer.text_layer_content)
    page_x, page_y = _turned_about_centre(middles[:, 0], middles[:, 1], width, height, -skew)
    share_x, share_y = page_x / width, page_y / height
    box = np.array(boxes, dtype=float)
    inside = (
        (share_x[:, None] >= box[None, :, 0])
        & (share_x[:, None] <= box[None, :, 2])
        & (share_y[:, None] >= box[None, :, 1])
        & (share_y[:, None] <= box[None, :, 3])
    )
    on_text: list[bool] = np.any(inside, axis=1).tolist()
    return [word for word, on in zip(words, on_text, strict=True) if not on]


def _turned_about_centre(
    x: np.ndarray, y: np.ndarray, width: float, height: float, degrees: float
) -> tuple[np.ndarray, np.ndarray]:
    """Points (``x`` right, ``y`` down, in a ``width`` × ``height`` image) turned ``degrees`` counter-clockwise on
    screen about its centre: a page's to the image straightened by ``degrees`` for Tesseract, and back by their
    negative."""
    cos, sin = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    across, up = x - width / 2, height / 2 - y  # from the centre, y up
    return width / 2 + across * cos - up * sin, height / 2 - (across * sin + up * cos)


def _scan_dpi(page: pdfplumber.page.Page, default_dpi: int, unit: float = 1.0) -> tuple[int, float]:
    """The resolution of the scan image that covers the page, so we OCR at the scan's own resolution."""
    return _covering_dpi(
        float(page.width),
        (
            (
                float(i["x1"]) - float(i["x0"]),
                float(i["bottom"]) - float(i["top"]),
                float(i["srcsize"][0]),
                float(i["srcsize"][1]),
            )
            for i in page.images
        ),
        default_dpi,
        unit,
    )


def _survey_dpi(survey: PageSurvey, default_dpi: int, unit: float = 1.0) -> tuple[int, float]:
    """``_scan_dpi`` from PDFium's view of a page without text: by the lengths of each image's own sides as drawn
    when known (a scan placed askew has a box wider than itself: 293 dpi was read for 300, QA96), else its box."""
    return _covering_dpi(
        survey.width,
        (
            (i.side_width, i.side_height, i.pixel_width, i.pixel_height)
            if i.side_width > 0 and i.side_height > 0 and i.shown_width >= survey.width * 0.5
            else (i.shown_width, i.shown_height, i.pixel_width, i.pixel_height)
            for i in survey.images
        ),
        default_dpi,
        unit,
    )


def _covering_dpi(
    page_width: float, images: Iterable[tuple[float, float, float, float]], default_dpi: int, unit: float = 1.0
) -> tuple[int, float]:
    """The highest resolution among images at least half the page wide, each given as (shown width, shown height
    in units of the page's boxes, width, height in pixels): (the resolution to read the page at, the pixels per
    inch of its boxes to render it at — the same unless its box unit, ``unit`` points (/UserUnit), is larger)."""
    best: float | None = None
    for shown_width_pt, shown_height_pt, width_px, height_px in images:
        if shown_width_pt < page_width * 0.5 or shown_height_pt <= 0:
            continue  # a logo or stamp, not the page scan
        dpi = _shown_dpi(shown_width_pt, shown_height_pt, width_px, height_px)
        best = dpi if best is None else max(best, dpi)
    if best is None:
        return default_dpi, default_dpi
    if best > MAX_DPI and unit > 1:
        # its box units larger than a point (/UserUnit), a scan past the cap per inch of its boxes may be under it
        # per inch as printed: read per inch as printed (an A4 scan at 300 dpi in units of 10 pt, 3000 per unit
        # inch, was read at 600 per unit inch, i.e. 60 dpi: no word, `blank`, QA129 F2). A page made large by its
        # units, as OCRmyPDF's poster.pdf (1800×3600 units of 10 pt), is read per unit inch, as any other page
        read = int(min(MAX_DPI, max(MIN_DPI, round(best / unit))))
        return read, read * unit
    read = int(min(MAX_DPI, max(MIN_DPI, round(best))))
    return read, read


def _shown_dpi(shown_width_pt: float, shown_height_pt: float, width_px: float, height_px: float) -> float:
    """The resolution an image is shown at. It may be drawn turned a quarter (a landscape scan on a portrait
    page, or the other way): then its pixel width spans the page's height. The pairing of axes whose two
    resolutions agree is the one drawn; width over width alone read OCRmyPDF's cardinal.pdf at 232 dpi, not 300."""
    straight = (width_px / (shown_width_pt / 72), height_px / (shown_height_pt / 72))
    turned = (height_px / (shown_width_pt / 72), width_px / (shown_height_pt / 72))

    def disagreement(pair: tuple[float, float]) -> float:
        return abs(pair[0] - pair[1]) / max(pair)

    chosen = min((straight, turned), key=disagreement)
    return max(chosen)


# A page's lines too faint for any of its pixels to be ink (ocr.quality.faint_line_rows) are print when Tesseract reads
# them darkened: of the band of up to FAINT_PROBE_LINES of them, FAINT_PROBE_WORDS words or more read with confidence
# FAINT_PROBE_CONFIDENCE or more, and at least half of what it read. Show-through 12-20 levels deep, a scanner's
# banding, a pale logo or watermark read as nothing or junk (QA150 F1: read darkened whole, such backs were `low`,
# 10-144 s each, and a stack kept its separator's back); a light photocopy's band reads as text. 0.3-0.6 s on a page
# of such print (QA150's, 150-300 dpi), 0.4-0.8 s on show-through, a logo or a watermark, at most
# FAINT_PROBE_SECONDS on a scanner's banding; none on a page that shows no such lines
FAINT_PROBE_LINES = 4
FAINT_PROBE_WORDS = 8
FAINT_PROBE_CONFIDENCE = 70.0
# ... within this many seconds: darkened as scanned (before GRAIN_MEDIAN_PIXELS), show-through, banding or a shaded
# form's bands took 3.5-19 s of specks (none of it read as text)
FAINT_PROBE_SECONDS = 3
# ... read as one block of text (Tesseract --psm 6) — and last as a column of lines (--psm 4), where a form's boxes
# or dashed leaders broke the block into junk (QA153 F1). QA150's, QA151's and QA153's 101 negatives read so as
# nothing still (~0.35 s more each, where their lines were probed)
FAINT_PROBE_LAYOUT = 6
FAINT_PROBE_LINES_LAYOUT = 4
# Its band is read from its image blurred too (ocr.quality.faint_lines_darkened), and the page read so where the
# band read from its median had this share of its words or more unsure (the grain's junk) and the band blurred this
# many more sure words. Measured 2026-12-07 on the 30 of QA150-QA153's light pages whose band read blurred gave any
# more: the 14 it takes (10-78 % unsure from the median, 2-54 more sure blurred) read 0-98 → 813-881 words right of
# 953 (QA152's print 20 levels deep under a grain of 5-6 at 150 dpi, 16 under 6 at 200), 0 → 427 of 458 (QA151's
# under a grain of 7), 679-897 → 742-932 (grain of 4), within 2 words on the other three; of the 16 it leaves (8 %
# unsure, or one sure word more blurred) QA151's 9 pt print at 200 dpi read blurred lost 25 words of 791, its admin
# pages 4-7. At 2 more, not 3 (QA154 F1/F2): of the six pages it takes by exactly 2, four read 5-36 words more, but
# QA153's dotted form at 300 dpi 75 → 70 of 78 right (`low`: confidence 84.6) and a 9 pt monospace page at 200 dpi
# 667 → 646 of 746; every page taken by 3 or more read better
FAINT_GRAIN_UNSURE_SHARE = 0.10
FAINT_BLUR_SURER = 2
# ... and the band blurred reads as print through the grain with this many sure words, a third of what it read:
# where print is read through grain, its speckle and a form's or a table's rules read as junk words beside it
# (QA154 F4: a dotted form at 300 dpi, 29 sure of 75; a ruled table at 150 dpi, 46 of 95; 9 pt print at 150 dpi,
# 34 of 83: `blank`; read blurred 117 of 128 words right, 177 of 239, 329 of 801). Show-through, banding,
# recycled paper and watermarks under grain read blurred at most 15 sure words (QA154's 46 negatives: 15 of 508,
# 10 of 84, 10 of 94)
FAINT_GRAIN_PROBE_WORDS = 20
# The probe's band of the page's last lines is read turned upside down (``_faint_band_smoothing``) only where its four
# lines of print span this much at most: 4 lines of 10–14 pt print span 0.8–1.3 inches
TURNED_PROBE_INCH = 2.0


def faint_lines_legible(image: Image.Image, dpi: float, language: str = "vie") -> bool:
    """Whether ``image`` (a page at ``dpi`` with little or no ink) holds lines of faint print (``faint_line_rows``)
    that Tesseract reads as text, darkened (``faint_lines_darkened``): a band of its first FAINT_PROBE_LINES."""
    gray = image if image.mode == "L" else image.convert("L")
    overview = page_overview(gray, dpi)
    rows = faint_line_rows(overview)
    return bool(rows) and _faint_band_smoothing(gray, dpi, rows, overview.shape[0], language) is not None


@dataclass(frozen=True)
class BandRead:
    """What Tesseract read of the probe's band (``_band_read``): its words, and of them those read surely."""

    sure: int
    words: int

    def as_print(self, *, through_grain: bool = False) -> bool:
        """Whether the band reads as print: FAINT_PROBE_WORDS sure words or more, half of what was read — or,
        ``through_grain`` (the band blurred), FAINT_GRAIN_PROBE_WORDS or more, a third of what was read."""
        if through_grain and self.sure >= FAINT_GRAIN_PROBE_WORDS and 3 * self.sure >= self.words:
            return True
        return self.sure >= FAINT_PROBE_WORDS and 2 * self.sure >= self.words

    def grainier_than(self, blurred: BandRead) -> bool:
        """Whether this reading of the band from its median is the grain's more than ``blurred`` (the band
        blurred): FAINT_GRAIN_UNSURE_SHARE of its words or more unsure, and FAINT_BLUR_SURER fewer sure."""
        unsure = self.words - self.sure
        return unsure >= FAINT_GRAIN_UNSURE_SHARE * self.words and blurred.sure >= self.sure + FAINT_BLUR_SURER


def _blurred_reads_better(median: BandRead | None, blurred: BandRead | None) -> bool:
    """Whether the probe's band read blurred (``blurred``) reads as print through the grain, and from its median
    (``median``) the grain's junk more (``BandRead.grainier_than``) — or not in time: on a grainy band the
    median's reading is the slow one (QA154 F5: a table's, 3.1 s on an idle machine), and on a busy one a band read
    in 0.3 s idle runs out of time."""
    if blurred is None or not blurred.as_print(through_grain=True):
        return False
    return median is None or median.grainier_than(blurred)


# how the grain of a page of faint lines is smoothed for its print to be read (ocr.quality.faint_lines_darkened)
MEDIAN = "median"
BLURRED = "blurred"


def _faint_band_smoothing(
    gray: Image.Image,
    dpi: float,
    rows: list[tuple[int, int]],
    overview_height: int,
    language: str = "vie",
    *,
    turned: bool = False,
) -> str | None:
    """``faint_lines_legible`` of ``gray``, its lines ``rows`` found on its overview ``overview_height`` tall: how
    its grain is to be smoothed for its print to be read, MEDIAN or BLURRED; None where it reads as no print. Its
    band is read as the page would be (``_faint_print_for_tesseract``), from its median and from its image blurred:
    BLURRED where that reads as print through the grain and the median's reading is the grain's junk more, or ran
    out of time (``_blurred_reads_better``; QA152 F1: print 20 levels under a grain of 6 at 150 dpi, from the median
    21 sure words of 97, `blank`; blurred 75 of 91) — else MEDIAN where that reads as print;
    or, where that is not print enough, darkened alone: a form filled in by hand at 150 dpi, its names read too once
    made black, gave 34 sure words of 70, one short of half, where darkened alone it gave 21 of 40 (QA153 F2:
    `blank`, where it was `low`, 56 of 121 right) — or, last, made black and read as a column of lines
    (``--psm 4``), not one block: a form whose fields are boxes or whose leaders are dashes, lines its leader
    dropping does not drop, read as junk in one block (QA153 F1: 5 sure words of 8, 7 of 14; as lines 12 of 12, 12
    of 13).

    Where none of these reads as print, the band of its last lines, turned upside down, is read so (``turned``): a
    page of faint print fed the wrong way up read as junk in its first lines, and was read as paper — `blank`, "only
    faint marks" (QA156 C07's look-alike: print 22 levels under a grain of 7 at 150 dpi, upright 328 words `good`,
    upside down 0). Show-through reads no better turned: it is mirrored. Only a band of lines as close as print's
    (TURNED_PROBE_INCH tall at most) is read turned: coloured or recycled paper's "lines" lie inches apart, its band
    most of the page, and its four reads took 6–7 s more on such a blank page."""
    crop = _probe_band(gray, rows, overview_height, turned=turned)
    if turned and crop.height > TURNED_PROBE_INCH * dpi:
        return None
    band = faint_lines_darkened(crop, dpi)
    black = _faint_print_for_tesseract(band, dpi)
    median = _band_read(black, dpi, language, FAINT_PROBE_LAYOUT)
    blurred = _blurred_band_read(crop, dpi, language)
    if _blurred_reads_better(median, blurred):
        return BLURRED
    if median is None:  # Tesseract out of its time: no print (a scanner's banding: asked no more, 3 s each)
        return None
    if median.as_print():
        return MEDIAN
    for image, layout in ((band, FAINT_PROBE_LAYOUT), (black, FAINT_PROBE_LINES_LAYOUT)):
        read = _band_read(image, dpi, language, layout)
        if read is None:
            return None
        if read.as_print():
            return MEDIAN
    if turned or crop.height > TURNED_PROBE_INCH * dpi:
        return None
    return _faint_band_smoothing(gray, dpi, rows, overview_height, language, turned=True)


def _probe_band(
    gray: Image.Image, rows: list[tuple[int, int]], overview_height: int, *, turned: bool = False
) -> Image.Image:
    """The band of ``gray`` the probe reads: its first FAINT_PROBE_LINES lines ``rows`` (found on its overview
    ``overview_height`` tall), with a tenth of an inch above and below — or, ``turned``, its last ones turned upside
    down: the first lines of the page turned so."""
    scale = gray.height / overview_height
    margin = UNREAD_DPI // 10
    lines = rows[-FAINT_PROBE_LINES:] if turned else rows[:FAINT_PROBE_LINES]
    top = max(0, round((lines[0][0] - margin) * scale))
    bottom = min(gray.height, round((lines[-1][1] + margin) * scale))
    band = gray.crop((0, top, gray.width, bottom))
    return band.rotate(180) if turned else band


def _blurred_band_read(crop: Image.Image, dpi: float, language: str = "vie") -> BandRead | None:
    """The probe's band ``crop`` (``_probe_band``) read as a page of faint lines blurred would be: its image
    blurred, darkened and made black (``through_grain``)."""
    return _band_read(through_grain(crop, dpi), dpi, language, FAINT_PROBE_LAYOUT)


def _band_read(band: Image.Image, dpi: float, language: str, layout: int) -> BandRead | None:
    """What Tesseract reads of ``band`` (a band of faint lines darkened; ``layout``: its page segmentation mode):
    its words, and of them those read with confidence FAINT_PROBE_CONFIDENCE or more; None where it ran out of
    FAINT_PROBE_SECONDS (or failed)."""
    import pytesseract

    os.environ["OMP_THREAD_LIMIT"] = "1"  # (as every Tesseract sohoa runs: MEASURED.md)
    try:
        data = pytesseract.image_to_data(
            band,
            lang=language,
            config=f"--psm {layout} --dpi {round(dpi)}",
            output_type=pytesseract.Output.DICT,
            timeout=FAINT_PROBE_SECONDS,
        )
    except (pytesseract.TesseractError, OSError, RuntimeError):  # (RuntimeError: the timeout)
        return None  # no print to Tesseract: read as before, its paper whitened
    read = [float(confidence) for text, confidence in zip(data["text"], data["conf"], strict=True) if text.strip()]
    return BandRead(sure=sum(1 for confidence in read if confidence >= FAINT_PROBE_CONFIDENCE), words=len(read))


@dataclass(frozen=True)
class FaintPrint:
    """What a page with little or no ink holds of faint print (``faint_print_seen``)."""

    # the page darkened for its faint print to be read; None where it has none
    darkened: Image.Image | None = None
    # lines too faint to be ink that Tesseract does not read as print even darkened (``faint_lines_legible``):
    # show-through, a scanner's banding, a pale logo, print past reading. Whitened, their specks kept Tesseract
    # 10-100 s over the page for no word (QA151 F5: a light form at 300 dpi, 74 s, `blank`): paper to Tesseract
    unread_lines: bool = False
    # how else its faint print may be read, where the page reads badly (_read_other_way): on grainy paper read
    # from its median, THROUGH_GRAIN; read through its grain, from its median (MEDIAN_LINES, MEDIAN_PAGE) — and
    # the page in grey, as it was seen, to be read so
    other_way: str | None = None
    grey: Image.Image | None = None


def faint_print_seen(image: Image.Image, dpi: float) -> FaintPrint:
    """``image`` (a page at ``dpi`` with little or no ink) as its faint print is to be read: where it has faint
    print (``faint_page``), darkened by ``faint_print_darkened`` — or, on grainy paper whose band reads better so
    (``_grainy_faint_print_blurred``), as faint lines blurred are —; where it has lines of print fainter still that
    Tesseract reads (``faint_lines_legible``), by ``faint_lines_darkened`` (its grain as deep as its print: smoothed
    away first, and what is left of it made white), then its print made black and its leaders dropped
    (``_faint_print_for_tesseract``) — whichever reading of the probe's band took it for print; where it has such
    lines Tesseract does not read, none, and its lines unread."""
    gray = image if image.mode == "L" else image.convert("L")
    if faint_page(image, dpi):
        if (grain := paper_grain(gray)) < GRAINY_PAPER:
            return FaintPrint(darkened=faint_print_darkened(image, dpi, grain))
        if _grainy_faint_print_blurred(gray, dpi):
            return FaintPrint(darkened=through_grain(gray, dpi), other_way=MEDIAN_PAGE, grey=gray)
        return FaintPrint(darkened=faint_print_darkened(image, dpi, grain), other_way=THROUGH_GRAIN, grey=gray)
    overview = page_overview(gray, dpi)
    rows = faint_line_rows(overview)
    if not rows:
        return FaintPrint()
    smoothing = _faint_band_smoothing(gray, dpi, rows, overview.shape[0])
    if smoothing is None:
        return FaintPrint(unread_lines=True)
    if smoothing == BLURRED:
        return FaintPrint(darkened=through_grain(gray, dpi), other_way=MEDIAN_LINES, grey=gray)
    return FaintPrint(darkened=_faint_print_for_tesseract(faint_lines_darkened(gray, dpi), dpi))


# the other way a page of faint print may be read (FaintPrint.other_way, _other_way_read): through its grain, or
# from its median as a page of faint lines (``faint_lines_darkened``) or of faint print (``faint_print_darkened``)
THROUGH_GRAIN = "through-grain"
MEDIAN_LINES = "median-lines"
MEDIAN_PAGE = "median-page"


def _other_way_read(way: str, gray: Image.Image, dpi: float) -> Image.Image:
    """``gray`` (a page of faint print, as ``faint_print_seen`` saw it) as Tesseract is to read it ``way``."""
    if way == THROUGH_GRAIN:
        return through_grain(gray, dpi)
    if way == MEDIAN_LINES:
        return _faint_print_for_tesseract(faint_lines_darkened(gray, dpi), dpi)
    return faint_print_darkened(gray, dpi)


def _grainy_faint_print_blurred(gray: Image.Image, dpi: float) -> bool:
    """Whether ``gray`` (a page of faint print, ``faint_page``, on grainy paper) is to be read as faint lines are
    where their band reads better blurred (``_blurred_reads_better``): its image blurred, not its median, darkened
    and made black. Grain as deep as its print is junk to Tesseract from the median too (QA152: print 20-22 levels
    deep under a grain of 6-7 at 150 and 200 dpi, 325-783 words right of 953 from the median, `low`; blurred
    795-881, two `good`). The band probed from the median is read as the page would be (``faint_print_darkened``)."""
    overview = page_overview(gray, dpi)
    rows = faint_line_rows(overview)
    if not rows:
        return False
    crop = _probe_band(gray, rows, overview.shape[0])
    median = _band_read(faint_print_darkened(crop, dpi), dpi, "vie", FAINT_PROBE_LAYOUT)
    return _blurred_reads_better(median, _blurred_band_read(crop, dpi))


def through_grain(gray: Image.Image, dpi: float) -> Image.Image:
    """``gray`` (a page, or band, of faint print on grainy paper) as Tesseract is to read it through its grain:
    blurred (``faint_lines_darkened``, ``GRAIN_BLUR_PIXELS``), darkened, and made black."""
    return _faint_print_for_tesseract(faint_lines_darkened(gray, dpi, blurred=True), dpi)


def _faint_print_for_tesseract(darkened: Image.Image, dpi: float) -> Image.Image:
    """A page (or band) of print fainter than ink ``darkened`` (``faint_lines_darkened``: its paper white) as
    Tesseract is to read it: its print made black (``print_made_black``), and then its dotted leaders made paper
    (``leaders_dropped``: seen only once the print is black). QA151's light forms at 200 and 300 dpi read their
    leaders as junk (the probe found 11 words of 40 sure) and were `blank`; now 193-224 of their 226 words; a light
    form taken for print 235 → 276 of 280. (Not a page of faint print, ``faint_print_darkened``: its grain is not
    made white, and the darkest of its pixels can be grain — stretched, its paper went black.)"""
    return leaders_dropped(print_made_black(darkened), dpi)


def _prepared(image: Image.Image, number: int, dpi: int, scratch: Path, bands: int, *, grey: bool = False) -> PagePlan:
    """Straighten the page image for Tesseract and write it where Tesseract will read it: whole, or its bands;
    ``grey``: made grey once its seal is dropped (a rendered PDF page: a grey page then has the pixels of pdfium's
    own grey rendering, to the pixel).

    PGM/PBM/PPM because they cost nothing to write, unlike PNG's compression; the resolution travels as --dpi.
    """
    # a colour rendering made grey once: the blank test weighs it, and, with no seal to drop, Tesseract reads it
    grey_scan = image.convert("L") if grey and image.mode != "L" else None
    ink = ink_share(grey_scan if grey_scan is not None else image, dpi)
    blank = blank_share(ink)  # (ocr.quality.blank_image, from the share needed below too)
    # the ink measured on the page as scanned (a page with only a seal on it is not blank), read with its seal and its
    # marks of light coloured ink (a highlighter's, a grid's) dropped
    dropped = markers_dropped(seal_dropped(image, dpi), dpi)
    image = grey_scan if grey_scan is not None and dropped is image else dropped
    if grey and image.mode != "L":
        image = image.convert("L")
    image = leaders_dropped(image, dpi)  # a form's dotted lines to write on (QA122)
    little_ink = ink <= LITTLE_INK_SHARE
    # a page with little or no ink darker than BLANK_INK whose print is faint: read with it darkened, not whitened
    seen = faint_print_seen(image, dpi) if little_ink else FaintPrint()
    faint = seen.darkened is not None
    if seen.darkened is not None:
        image = seen.darkened
    # a page with no ink the blank test sees is not straightened: the skew measured on its specks and faint strokes
    # is noise (QA: 1.8–3.9° "straightened" on blank backs, 5° on an upright faint note, its text layer tilted);
    # its faint print darkened is ink
    straight, angle = (image, 0.0) if blank and not faint else deskewed(image)
    if blank and seen.unread_lines:  # to Tesseract the paper it is read as (its scan in the copy as it was)
        straight = Image.new("L", straight.size, 255)
    elif little_ink and not faint:
        straight = paper_whitened(straight)  # Otsu's threshold would fall inside the paper's grain (paper_whitened)
        if blank:  # nor its grain's specks (QA154 F6: a grainy blank page kept Tesseract 2 minutes)
            straight = specks_whitened(straight)
    # what a blank page shows an officer that the blank test does not see: not "no ink at all" (QA156 F3)
    marks = blank and not faint and not seen.unread_lines and ink_marks(straight, dpi)
    if straight.mode not in ("1", "L", "RGB"):
        straight = straight.convert("RGB")
    image_path = scratch / f"page-{number:04d}{_pnm_suffix(straight.mode)}"
    plan = PagePlan(
        number=number,
        image_path=image_path,
        dpi=dpi,
        skew=angle,
        band_limit=bands,
        blank=blank,
        faint_marks=blank and seen.unread_lines,
        ink_marks=marks,
        darkened=faint,
        faint=faint,
    )
    if not blank or faint:  # where its ink is, found while it is read (read_pages), from this
        plan.overview = page_overview(straight, dpi)
        plan.maybe_in_shadow = maybe_in_shadow(plan.overview)
    plan.bands = _written_bands(straight, image_path, dpi, bands)
    if seen.other_way is not None and seen.grey is not None:
        plan.other_way, plan.other_way_image_path = seen.other_way, scratch / f"page-{number:04d}-faint.pgm"
        seen.grey.save(plan.other_way_image_path)
    if abs(angle) > WIDE_SKEW:
        level = paper_whitened(image) if little_ink and not faint else image
        level = level if level.mode in ("1", "L", "RGB") else level.convert("RGB")
        plan.level_image_path = scratch / f"page-{number:04d}-level{_pnm_suffix(level.mode)}"
        level.save(plan.level_image_path)
    return plan


def _written_bands(image: Image.Image, image_path: Path, dpi: int, bands: int) -> list[PageBand]:
    """Write ``image`` for Tesseract: cut into at most ``bands`` bands (``page_bands``), each beside
    ``image_path`` (the bands, returned, those of paper marked so), or whole at ``image_path`` where it is not cut
    (no bands)."""
    cut = page_bands(image, dpi, bands)
    edges = [0, *cut.cuts, image.height]
    if len(edges) == 2:
        image.save(image_path)
        return []
    written = []
    for index, ((top, bottom), paper) in enumerate(zip(itertools.pairwise(edges), cut.paper, strict=True), start=1):
        band_path = image_path.with_name(f"{image_path.stem}-band{index}{image_path.suffix}")
        band = image.crop((0, top, image.width, bottom))
        band.save(band_path)
        written.append(PageBand(top=top, image_path=band_path, weight=ink_weight(band), paper=paper))
    return written


def _pnm_suffix(mode: str) -> str:
    return {"1": ".pbm", "L": ".pgm"}.get(mode, ".ppm")


def _whole_image(plan: PagePlan) -> Path:
    """The page image as Tesseract reads it, whole. A page cut into bands is not written whole when it is
    planned (~20 ms an A4 page, for the rare page read badly and looked at again): its bands are put back
    together here, at ``plan.image_path``, the first time it is asked for."""
    assert plan.image_path is not None
    if plan.bands and not plan.image_path.exists():
        parts = [Image.open(band.image_path) for band in plan.bands]
        try:
            whole = Image.new(parts[0].mode, (parts[0].width, plan.bands[-1].top + parts[-1].height))
            for band, part in zip(plan.bands, parts, strict=True):
                whole.paste(part, (0, band.top))
        finally:
            for part in parts:
                part.close()
        whole.save(plan.image_path)
    return plan.image_path


def _plan_image_pages(
    info: InputInfo, scratch: Path, bands: int, small: dict[int, str] | None = None
) -> Iterator[PagePlan]:
    """Each page of an image file as its PDF page shows it (``_page_image``), turned as the page's /Rotate turns it
    (``_stored_turn``): Tesseract reads what a viewer shows, as it does a PDF page rendered by PDFium. A page too
    small to be a scan (``small``, as for ``_plan_pdf_pages``) is kept, not read."""
    small = small or {}
    with Image.open(info.path) as image:
        pages = page_frames(image)
        frames = len(pages)
        turn = _stored_turn(image)
        for index, frame in enumerate(pages):
            if index + 1 in small:
                yield PagePlan(number=index + 1, too_small=small[index + 1])
                continue
            image.seek(frame)
            dpi, assumed = image_resolution(image)
            if assumed:
                stated = stated_resolution(image)
                # in both languages, as every warning an operator reads (QA69: English only)
                log.warning(
                    "%s%s: %s; đã coi là %d dpi, nên kích thước trang PDF có thể sai / the image states %s; taken as "
                    "%d dpi, so the PDF page's size may be wrong",
                    info.path.name,
                    f", trang / page {index + 1}" if frames > 1 else "",
                    f"ảnh ghi độ phân giải không hợp lý ({_dpi_said(stated)} dpi)"
                    if stated is not None
                    else "ảnh không ghi độ phân giải",
                    dpi,
                    f"an implausible resolution ({_dpi_said(stated)} dpi)" if stated is not None else "no resolution",
                    dpi,
                )
            if (pair := implausible_pixel_aspect(image)) is not None:
                log.warning(
                    "%s%s: ảnh ghi độ phân giải %g × %g dpi, không máy quét nào có; đã coi là %d dpi cả hai chiều / "
                    "the image states %g × %g dpi, which no scanner makes; taken as %d dpi both ways",
                    info.path.name,
                    f", trang / page {index + 1}" if frames > 1 else "",
                    *(round(v, 1) for v in pair),
                    dpi,
                    *(round(v, 1) for v in pair),
                    dpi,
                )
            aspect = pixel_aspect(image)  # before decoding: a TIFF decoded turned by its Orientation loses the tag
            page = _square_pixels(_page_image(image), aspect)
            if turn:
                page = page.transpose(_CLOCKWISE[turn])
            if dpi < MIN_DPI:  # a 75 or 96 dpi scan (ocr.inputs.LOWEST_STATED_DPI): read as a PDF's page, enlarged
                page, dpi = _enlarged(page, dpi, MIN_DPI), MIN_DPI
            plan = _prepared(page, index + 1, dpi, scratch, bands)
            plan.dpi_assumed = assumed
            plan.scan_only = True
            yield plan


def _dpi_said(stated: float) -> str:
    """A resolution an image states, as said: to a tenth, or to two figures under one (QA177 F8: a BMP's 1 pixel a
    metre, 0.0254 dpi, was "0 dpi")."""
    return f"{round(stated, 1):g}" if stated >= 1 else f"{stated:.2g}"


def _enlarged(page: Image.Image, dpi: int, read_dpi: int) -> Image.Image:
    """``page``, scanned at ``dpi``, as it is read at ``read_dpi``: its size on paper the same."""
    size = (round(page.width * read_dpi / dpi), round(page.height * read_dpi / dpi))
    return page.resize(size, Image.Resampling.BICUBIC)


def _square_pixels(page: Image.Image, aspect: float) -> Image.Image:
    """``page`` stretched down by ``aspect`` (``ocr.inputs.pixel_aspect``), so that its pixels are square at its
    horizontal resolution, for Tesseract: a standard-mode fax (204 × 98 dpi) read as stored had letters half their
    height, and its two heading lines came out "CCGniCG FEECOA CA EHC+>E" (QA88). The PDF page keeps the stored
    pixels, laid out at both resolutions (``image_to_pdf``)."""
    if aspect == 1.0:
        return page
    if page.mode not in ("L", "RGB", "CMYK"):
        page = page.convert("L" if page.mode in ("1", "LA") else "RGB")  # (_page_image made 16-bit gray 8-bit)
    return page.resize((page.width, round(page.height * aspect)), Image.Resampling.BICUBIC)


# EXIF Orientation values that turn the stored image (clockwise, as /Rotate turns a page) without mirroring it
_EXIF_TURNS = {1: 0, 3: 180, 6: 90, 8: 270}
# EXIF Orientation values that mirror the image (2, 4: flipped; 5, 7: transposed), which no turn shows
_MIRRORED_ORIENTATIONS = frozenset({2, 4, 5, 7})
_CLOCKWISE = {90: Image.Transpose.ROTATE_270, 180: Image.Transpose.ROTATE_180, 270: Image.Transpose.ROTATE_90}


def _stored_turn(image: Image.Image, name: str | None = None) -> int:
    """Degrees clockwise a JPEG's or PNG's stored pixels are turned to be shown, as its EXIF Orientation says
    (a phone writes the photo as the sensor lay and says 6 for a page held upright): its PDF page's /Rotate.

    0 for a TIFF: Pillow, as libtiff does, decodes a TIFF's page already turned (and mirrored) by its Orientation
    tag. A mirrored orientation (2, 4, 5, 7: a front camera's) cannot be shown by /Rotate nor undone without new
    pixels: the page is shown as stored, and with ``name`` a warning says so."""
    value = _exif_orientation(image)
    if value is None:
        return 0
    if value in _EXIF_TURNS:
        return _EXIF_TURNS[value]
    if name is not None:
        log.warning(
            "%s: hướng EXIF (%s) không phải một phép xoay (ảnh lật gương, hoặc giá trị không rõ); trang được hiển thị "
            "như ảnh được lưu / its EXIF orientation (%s) is not a turn (a mirror image, or no known value); the page "
            "is shown as the image is stored",
            name,
            value,
            value,
        )
    return 0


def _exif_orientation(image: Image.Image) -> int | None:
    """A JPEG's or PNG's EXIF Orientation, None where it states none (and for a TIFF: see ``_stored_turn``)."""
    if image.format == "TIFF":
        return None
    try:
        if isinstance(image, PngImagePlugin.PngImageFile) and not _png_says_more_after_its_pixels(image):
            # Pillow decodes a whole PNG to look for an eXIf chunk after its pixels (~0.1 s a page, for nothing
            # when image_to_pdf embeds the file as it is): with none there, what it read before them is all
            exif = Image.Image.getexif(image)
        else:
            exif = image.getexif()
        value = exif.get(0x0112)  # Orientation
    except (OSError, SyntaxError, ValueError, TypeError):
        return None
    return value if isinstance(value, int) else None


# PNG chunks that can say an orientation (EXIF, or XMP or an EXIF profile in text), which Pillow reads after the
# pixels only by decoding them
_PNG_ORIENTATION_CHUNKS = {b"eXIf", b"iTXt", b"tEXt", b"zTXt"}


def _png_says_more_after_its_pixels(image: PngImagePlugin.PngImageFile) -> bool:
    """Whether the PNG file ``image`` was opened from has, after its first IDAT, a chunk that can hold its
    orientation; True too when that cannot be told (no file name, a damaged chunk list): decoded then, as before."""
    name = getattr(image, "filename", None)
    if not name:
        return True
    try:
        with open(name, "rb") as png:
            png.seek(8)  # the signature
            seen_pixels = False
            while len(head := png.read(8)) == 8:
                length, kind = int.from_bytes(head[:4], "big"), head[4:]
                if kind == b"IEND":
                    return False
                seen_pixels = seen_pixels or kind == b"IDAT"
                if seen_pixels and kind in _PNG_ORIENTATION_CHUNKS:
                    return True
                png.seek(length + 4, os.SEEK_CUR)  # the data and its CRC
    except OSError:
        return True
    return True  # no IEND: a cut-off file, left to Pillow


def _has_alpha(image: Image.Image) -> bool:
    if image.mode in ("RGBA", "LA", "PA"):
        return True
    clear = image.info.get("transparency")
    if clear is None:
        return False
    # a 16-bit RGB PNG's transparent colour (tRNS) cannot be matched against the 8-bit pixels Pillow decodes it
    # to: Pillow takes its low byte, and real ink of that gray was whitened in the copy (QA102; QA103: also when
    # every channel of the colour is under 256). Left opaque: a scan keeps every pixel (16-bit gray is matched on
    # its own values: _eight_bit_gray)
    values = clear if isinstance(clear, tuple) else (clear,) if isinstance(clear, int) else ()
    sixteen_bits = image.mode == "RGB" and _png_bit_depth(image) == 16
    return not (sixteen_bits or (image.mode in ("RGB", "L") and any(value > 255 for value in values)))


def _png_bit_depth(image: Image.Image) -> int | None:
    """The bit depth a PNG file's header states (its IHDR), read from the file ``image`` was opened from; None for
    another format, or when it cannot be read."""
    name = getattr(image, "filename", None)
    if image.format != "PNG" or not name:
        return None
    try:
        with open(name, "rb") as png:
            head = png.read(25)
    except OSError:
        return None
    return head[24] if len(head) == 25 and head[12:16] == b"IHDR" else None


def _seen_through(image: Image.Image) -> bool:
    """Whether some pixel of ``image`` is not opaque: an alpha channel of 255 throughout changes nothing when laid
    on white, and the notice said the copy differs where it did not (QA101)."""
    if not _has_alpha(image):
        return False
    clear = image.info.get("transparency")
    if image.mode.startswith("I"):  # Pillow's RGBA of a 16-bit gray image is white and opaque throughout
        return isinstance(clear, int) and bool((np.asarray(image.convert("I")) == clear).any())
    try:
        extrema = image.convert("RGBA").getchannel("A").getextrema()
    except (OSError, ValueError):  # cannot tell: said
        return True
    return isinstance(extrema[0], int | float) and extrema[0] < 255


def _tiff_frame_turned(image: Image.Image) -> Image.Image:
    """``image``, decoded when it is an uncompressed TIFF frame whose Orientation (5–8) puts its rows in columns.
    Pillow 13 gives such a frame the turned size before decoding it (not through libtiff) into a buffer of that
    size — rows laid across it as noise — and only then turns it: an uncompressed scan with Orientation 6 was
    archived as diagonal stripes, 19 garbage words (QA102). Given its stored size to decode into, Pillow turns it
    right; through libtiff (any compression) it always did."""
    if not isinstance(image, TiffImagePlugin.TiffImageFile) or not image.tile:
        return image  # not a TIFF, or decoded already
    if image.tag_v2.get(0x0112, 1) in (5, 6, 7, 8) and all(tile.codec_name != "libtiff" for tile in image.tile):
        image._size = image._tile_size
        image.load()
    return image


def _page_image(image: Image.Image) -> Image.Image:
    """The current frame of ``image`` as its PDF page shows it, before /Rotate: decoded (a TIFF's page turned by
    its Orientation tag), and flattened onto white paper if it has transparency, as PDF images cannot carry it
    (a gray one stays gray). Tesseract reads this, so it reads what the page shows: until 2026-12-01 it was given
    the transparent image itself, and a PNG of black text on transparent paper was read as a blank page."""
    image = _tiff_frame_turned(image)
    if image.mode.startswith("I"):
        return _eight_bit_gray(image)
    if image.mode == "P" and "transparency" in image.info:
        return _palette_on_white(image)
    if not _has_alpha(image):
        opaque = image.copy()
        opaque.info.pop("transparency", None)
        return opaque
    # a 16-bit gray + alpha PNG, which Pillow opens as RGBA (asked before decoding, which lets go of its reader)
    gray_alpha = str(getattr(getattr(image, "png", None), "im_rawmode", "")).startswith("LA")
    rgba = image.convert("RGBA")
    flat = Image.new("RGB", image.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    if image.mode in ("LA", "L", "1") or gray_alpha:
        flat = flat.convert("L")  # exactly the gray it was: its three channels are equal (QA102: stored as RGB)
    icc = image.info.get("icc_profile")
    if icc and flat.mode == "RGB":
        flat.info["icc_profile"] = icc
    return flat


def _bilevel_if_so(page: Image.Image) -> Image.Image:
    """``page`` (a BMP's or GIF's, decoded) as 1 bit a pixel where its pixels are black and white alone, whatever its
    palette or mode, else as it is: so coded G4, as a bilevel PNG or TIFF page is (QA177 F1: a black-and-white GIF,
    whose palette has no 1-bit mode, or a 1-bit BMP whose palette lists white first, was Deflate, 1.45–2.3 times
    the size)."""
    if page.mode not in ("L", "P", "RGB"):
        return page
    # (a grey page asked as it is: converted to RGB it was three copies of itself)
    shades, black_and_white = (page, {0, 255}) if page.mode == "L" else (page.convert("RGB"), {(0, 0, 0), (255,) * 3})
    colours = shades.getcolors(2)
    if colours is None or not {colour for _, colour in colours} <= black_and_white:
        return page
    bilevel = page.convert("L").convert("1", dither=Image.Dither.NONE)
    bilevel.info.update({key: value for key, value in page.info.items() if key == "dpi"})
    return bilevel


def _embedded_page(image: Image.Image) -> Image.Image:
    """The current frame of ``image`` as its PDF page is to hold it when img2pdf cannot take the file's own frame:
    as ``_page_image`` makes it, but a 16-bit gray frame with nothing transparent keeps its 16 bits (Tesseract
    reads an 8-bit copy of it) — as little-endian ``I;16``, the one 16-bit mode Pillow writes a PNG of (a
    big-endian TIFF's ``I;16B`` frame was "damaged", QA102), and without a tRNS gray no pixel has (img2pdf refuses
    a 16-bit image with one: "internal error", QA102)."""
    image = _tiff_frame_turned(image)
    if image.mode.startswith("I;16") and not _seen_through(image):
        kept = Image.fromarray(np.asarray(image).astype("<u2"))  # mode I;16
        kept.info.update({key: value for key, value in image.info.items() if key in ("dpi", "icc_profile")})
        return kept
    return _page_image(image)


def _eight_bit_gray(image: Image.Image) -> Image.Image:
    """A 16-bit (or 32-bit integer) gray image as 8-bit gray, its full range scaled down (65535 → 255), the gray a
    PNG says is transparent (its tRNS value) laid on white. Pillow's own conversion clips every value above 255 to
    white: a flatbed's 16-bit "archival" gray scan reached Tesseract as a white page, was read as blank and
    quarantined as the wrong side scanned (QA101). The PDF keeps the 16 bits."""
    values = np.asarray(image.convert("I"), dtype=np.int64)
    # 16 bits stored (I;16…): their range is 65535; a 32-bit "I" image holding 8-bit values is left as it is
    top = 65535 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255
    gray = (values * 255 // top).clip(0, 255).astype(np.uint8)
    clear = image.info.get("transparency")
    if isinstance(clear, int):
        gray[values == clear] = 255
    return Image.fromarray(gray, "L")


def _palette_on_white(image: Image.Image) -> Image.Image:
    """A palette image with transparent entries (a PNG's tRNS) laid on white by its palette alone: each entry mixed
    with white by its own opacity, the pixels' indices and bit depth kept. Expanded to RGB and flattened, a 4-bit
    scan whose paper colour was marked transparent came out 74 % larger than OCRmyPDF's copy (QA101)."""
    clear = image.info["transparency"]
    palette = image.getpalette() or []
    entries = len(palette) // 3
    if isinstance(clear, int):
        opacity = [0 if index == clear else 255 for index in range(entries)]
    else:
        opacity = [*bytes(clear)[:entries], *[255] * max(0, entries - len(clear))]
    laid = [
        (value * alpha + 255 * (255 - alpha) + 127) // 255
        for index, alpha in enumerate(opacity)
        for value in palette[3 * index : 3 * index + 3]
    ]
    flat = image.copy()
    flat.info.pop("transparency", None)
    flat.putpalette(laid)
    return flat


def _frame_sizes(image: Image.Image) -> list[tuple[int, int, int, float]]:
    """(width, height in pixels, resolution across, resolution down) of each page of an image file (the pages of a
    TIFF); the two resolutions differ only for an image that says so (a fax: ``ocr.inputs.pixel_aspect``)."""
    frames = []
    for index in page_frames(image):
        image.seek(index)
        dpi = _image_dpi(image)
        frames.append((image.width, image.height, dpi, dpi / pixel_aspect(image)))
    image.seek(0)
    return frames


def _lossless_copy(page: Image.Image) -> bytes:
    """A page image for img2pdf to embed in place of the file's own frame: PNG (TIFF with Deflate for CMYK, G4
    for 1-bit), so that the pixels it embeds are exactly these."""
    buffer = io.BytesIO()
    icc = page.info.get("icc_profile")
    extra = {"icc_profile": icc} if icc else {}
    if page.mode == "1":
        page.save(buffer, format="TIFF", compression="group4")
    elif page.mode in ("L", "RGB", "P", "I;16"):
        page.save(buffer, format="PNG", **extra)
    else:
        page.save(buffer, format="TIFF", compression="tiff_adobe_deflate", **extra)
    return buffer.getvalue()


# Image formats whose pixels are embedded as decoded (``image_to_pdf``): img2pdf reads them through Pillow too, but
# laid out by its own reading of their resolution, and a GIF's transparent entry left as it is
DECODED_FORMATS = ("BMP", "GIF")


def image_to_pdf(info: InputInfo, target: Path) -> None:
    """The scan image(s) as PDF pages, losslessly (img2pdf embeds JPEG and CCITT G4 data as they are; a TIFF of
    JPEG-coded pages is given as JPEGs of their own data, ``_tiff_jpeg_pages``, and a TIFF of several codings has
    its JPEG pages put in place of what img2pdf decoded, ``_with_jpeg_pages``).

    A JPEG or PNG is embedded as stored and turned for display by its page's /Rotate (``_stored_turn``); an MPO (a
    phone's photo and its preview) gives its first image only; a BMP or a GIF, which no PDF filter holds as stored,
    as its decoded pixels, losslessly (``_lossless_copy``: PNG; G4 for 1-bit). A page img2pdf cannot be given as the
    file stores it is given as ``_page_image`` makes it — one with transparency, flattened (its pixels change), and
    a TIFF page with an Orientation tag, as Pillow decodes it, turned (img2pdf embedded such a page's G4 data
    sideways under the turned size, and turned the others once more by /Rotate) — but a JPEG-coded TIFF page that
    its tag turns without mirroring, whose JPEG data is kept as stored and turned by its page's /Rotate."""
    with Image.open(info.path) as image:
        frames = _frame_sizes(image)
        pages = page_frames(image)
        mpo = image.format == "MPO"
        turn = _stored_turn(image, info.path.name)
        # a tRNS that cannot be honoured (_has_alpha) is left out of what img2pdf reads: it refuses a 16-bit PNG
        # with one, and the fallback's decoded copy was 8-bit
        source: Path | bytes = info.path
        if image.format == "PNG" and "transparency" in image.info and not _has_alpha(image):
            source = _png_without_transparency(info.path.read_bytes())
        # img2pdf makes a page of every frame: a TIFF with previews among them (``page_frames``) is given its pages
        copies: list[bytes] | None = (
            []
            if (not mpo and pages != list(range(getattr(image, "n_frames", 1)))) or image.format in DECODED_FORMATS
            else None
        )
        jpeg_pages: list[bytes | None] = []  # a TIFF's JPEG pages, put in place of img2pdf's decoded copies
        # each TIFF page's Orientation, and whether its pixels are square, read before any page is decoded: Pillow
        # drops the tag from a page it has decoded turned (and a one-page TIFF is not read again by a seek)
        oriented: dict[int, int | None] = {}  # page: its Orientation where a /Rotate may show it, else None
        for number, index in enumerate(pages):
            image.seek(index)
            if isinstance(image, TiffImagePlugin.TiffImageFile) and image.tag_v2.get(0x0112, 1) != 1:
                # (a fax's two resolutions would be laid out across each other)
                oriented[number] = image.tag_v2.get(0x0112, 1) if pixel_aspect(image) == 1.0 else None
            if (_has_alpha(image) or number in oriented) and copies is None:
                copies = []
        turns: dict[int, int] = {}  # page index: /Rotate, for a TIFF's JPEG page kept as stored under its Orientation
        if copies is not None:
            # a TIFF's JPEG pages keep their JPEG data here too (QA130 F4: one page with an Orientation tag made every
            # page of its TIFF decoded, under Deflate), a page turned by its Orientation tag too, as stored and
            # turned by its page's /Rotate (QA132 F5: decoded, 3–4 times the size) where its pixels are square
            kept = (
                _tiff_jpeg_pages(image, pages, info.path, turned=True)
                if isinstance(image, TiffImagePlugin.TiffImageFile)
                else []
            )
            for number, index in enumerate(pages):
                image.seek(index)
                jpeg = kept[number] if kept else None
                if jpeg is not None and number in oriented:
                    if (orientation := oriented[number]) is None:
                        jpeg = None  # decoded, turned upright
                    else:
                        turns[number] = _EXIF_TURNS[orientation]  # (tiff_frame_jpeg gives only 3, 6 and 8 so)
                page = _embedded_page(image)
                if image.format in DECODED_FORMATS:
                    page = _bilevel_if_so(page)
                copies.append(jpeg if jpeg is not None else _lossless_copy(page))
        elif isinstance(image, TiffImagePlugin.TiffImageFile):
            jpeg_pages = _tiff_jpeg_pages(image, pages, info.path)
            if all(jpeg is not None for jpeg in jpeg_pages):
                copies = [jpeg for jpeg in jpeg_pages if jpeg is not None]
    for width, height, dpi, dpi_down in frames:
        if min(width / dpi, height / dpi_down) * 72 < MIN_PDF_PAGE_POINTS:
            # a PDF page must be 3 units (1 mm) on a side: img2pdf refuses with a message that read like damage
            raise BadInputError(info.path, Problem.TOO_SMALL, f"{width}×{height} px at {dpi} dpi")
    resolutions = [(dpi, dpi_down) for _, _, dpi, dpi_down in frames]
    frame_dpis = iter(resolutions)

    def layout(width_px: int, height_px: int, _img2pdf_dpi: object) -> tuple[float, float, float, float]:
        # img2pdf lays out the frames in order, one page each. Each page takes its own frame's resolution as
        # the page plan reads it (_plan_image_pages), so that the text layer, sized from that resolution, fits:
        # one resolution for the whole file made a 200 dpi page after a 300 dpi one two thirds of its size. Not
        # img2pdf's own reading of the resolution: it differs from Pillow's for a PNG with only an aspect
        # ratio or a TIFF without a unit.
        return img2pdf.default_layout_fun(width_px, height_px, next(frame_dpis))

    # the turn is given, not left to img2pdf: it read a TIFF's Orientation tag too (QA: a G4 TIFF with
    # Orientation 6, decoded upright, was shown sideways) and would miss a flattened PNG's
    rotation = img2pdf.Rotation[str(turn)]
    try:
        if copies is None:
            try:
                converted = img2pdf.convert(source, layout_fun=layout, rotation=rotation, first_frame_only=mpo)
            except Exception as exc:  # noqa: BLE001 — img2pdf raises a bare Exception for what it cannot parse
                # img2pdf reads the file's own bytes, more strictly than Pillow: a PNG with bytes after its IEND (an
                # app's trailer) was "invalid png" and a traceback (QA57). Pillow decoded it: its pixels, copied
                # losslessly, are the page (a JPEG so given would be re-encoded as PNG: larger, the same pixels)
                log.info(
                    "%s: nhúng từ điểm ảnh đã giải mã (%s) / embedded from its decoded pixels (%s)",
                    info.path.name,
                    str(exc)[:120],
                    str(exc)[:120],
                )
                frame_dpis = iter(resolutions)
                stripped = _jpeg_without_icc(info.path)
                if stripped is not None:
                    # a JPEG whose ICC profile img2pdf cannot open ("cannot open profile from string"): the profile is
                    # dropped anyway (PDF/A accepts no such profile) — its segment alone, the JPEG's data kept byte
                    # for byte; decoded it was re-encoded as Flate, 2.2× the size (QA101)
                    try:
                        converted = img2pdf.convert(stripped, layout_fun=layout, rotation=rotation)
                    except Exception:  # noqa: BLE001 — as above
                        frame_dpis = iter(resolutions)
                        copies = _decoded_copies(info.path)
                else:
                    copies = _decoded_copies(info.path)
        if copies is not None:
            converted = img2pdf.convert(copies, layout_fun=layout, rotation=rotation)
    except (img2pdf.ImageOpenError, ValueError, OSError) as exc:
        raise BadInputError(info.path, Problem.UNREADABLE_IMAGE, str(exc)[:200]) from exc
    with pikepdf.open(io.BytesIO(converted)) as pdf:
        replaced = copies is None and any(jpeg_pages) and _with_jpeg_pages(pdf, jpeg_pages)
        for number, page_turn in turns.items():
            pdf.pages[number].Rotate = page_turn
        if describe_scan_colours(pdf, info.path.name) or replaced or turns:
            buffer = io.BytesIO()
            pdf.save(buffer)
            converted = buffer.getvalue()
    target.write_bytes(converted)


def _tiff_jpeg_pages(
    image: TiffImagePlugin.TiffImageFile, pages: list[int], path: Path, turned: bool = False
) -> list[bytes | None]:
    """Each of a TIFF's pages as a JPEG file of its own DCT data (``ocr.jpegs.tiff_frame_jpeg``; ``turned``: a page
    an Orientation tag turns too, as stored), None for a page that is not JPEG-coded or cannot be so given (img2pdf
    decodes a JPEG page and stores it under Deflate: 3.5× the size, QA127)."""
    jpegs: list[bytes | None] = []
    with path.open("rb") as tiff_file:
        for index in pages:
            image.seek(index)
            coded = image.tag_v2.get(259) == TIFF_JPEG
            jpegs.append(tiff_frame_jpeg(image, tiff_file, turned=turned) if coded else None)
    return jpegs


def _with_jpeg_pages(pdf: pikepdf.Pdf, jpegs: list[bytes | None]) -> bool:
    """Put each JPEG in ``jpegs`` in place of the image img2pdf made of its page from the decoded frame (a TIFF's
    pages of several codings: a scanner's colour pages JPEG, its black-and-white ones G4); whether any was."""
    if len(pdf.pages) != len(jpegs):
        return False  # (img2pdf makes a page of every frame, and every frame was given)
    replaced = False
    for page, jpeg in zip(pdf.pages, jpegs, strict=True):
        if jpeg is None:
            continue
        (image,) = page.get_images().values()
        with Image.open(io.BytesIO(jpeg)) as decoded:
            colours = "/DeviceGray" if decoded.mode == "L" else "/DeviceRGB"
            if (image.get("/Width"), image.get("/Height"), image.get("/ColorSpace")) != (*decoded.size, colours):
                continue
        image.write(jpeg, filter=pikepdf.Name.DCTDecode)
        if "/DecodeParms" in image:
            del image["/DecodeParms"]
        replaced = True
    return replaced


def _png_without_transparency(data: bytes) -> bytes:
    """A PNG file's bytes without its tRNS chunk (the rest as stored); ``data`` itself when it is no PNG."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n"):
        return data
    kept, at = bytearray(data[:8]), 8
    while at + 8 <= len(data):
        length = int.from_bytes(data[at : at + 4], "big")
        chunk = data[at : at + 12 + length]  # length, type, data, CRC
        if data[at + 4 : at + 8] != b"tRNS":
            kept += chunk
        at += 12 + length
    return bytes(kept)


def _jpeg_without_icc(path: Path) -> bytes | None:
    """A baseline or progressive JPEG's bytes with its ICC profile segments (APP2 ``ICC_PROFILE``) taken out, every
    other byte as stored; None for a file that is not a JPEG or holds no such segment."""
    data = path.read_bytes()
    kept, rest, dropped = bytearray(data[:2]), 2, False
    # fill bytes are segments of their own, kept: "FF FF E2" had ended the walk (QA102)
    for marker, start, end in jpeg_segments(data):
        segment = data[start:end]
        if marker == 0xE2 and segment[4:16] == b"ICC_PROFILE\x00":
            dropped = True
        else:
            kept += segment
        rest = end
    # from the start of scan on (the entropy-coded data and what follows), as stored
    return bytes(kept + data[rest:]) if dropped else None


# The CMYK ICC profile that describes a CMYK scan image without a usable profile of its own: Artifex's SWOP-like
# CMYK printer profile (ICC 2.1) from Debian's libgs-common, the one Ghostscript itself renders DeviceCMYK with.
CMYK_PROFILE = Path("/usr/share/color/icc/ghostscript/default_cmyk.icc")


def cmyk_scan_profile() -> bytes | None:
    """``CMYK_PROFILE``'s bytes, or None when it is missing or is not a CMYK profile PDF/A accepts."""
    try:
        data = CMYK_PROFILE.read_bytes()
    except OSError:
        return None
    return data if icc_profile_problem(data, 4) is None else None


def describe_scan_colours(pdf: pikepdf.Pdf, name: str = "") -> int:
    """Give the scan images of ``pdf`` (img2pdf's pages of an image file: ``image_to_pdf``) colour spaces that
    PDF/A-2 accepts beside sohoa's sRGB output intent; return how many images were changed.

    A CMYK image is embedded as DeviceCMYK, which PDF/A-2 allows only with a CMYK output intent (6.2.4.3), and
    sohoa's intent is sRGB (the signer's stamp paints in RGB). An ICCBased colour space is allowed whatever the
    intent (6.2.4.2), so a CMYK image is given one: its own embedded profile where that is a valid CMYK one
    (img2pdf wrote it), else ``CMYK_PROFILE`` — one stream for all the pages that use a profile. Only the colour
    space changes: the pixel data (a JPEG's bytes) and the /Decode array (an Adobe CMYK JPEG's inverted channels)
    stay. Without a profile the image stays DeviceCMYK: the file then makes no PDF/A claim and says why
    (``assemble_pdf``). An RGB or gray image whose embedded profile PDF/A does not accept
    (``icc_profile_problem``) is painted in DeviceRGB / DeviceGray instead (its alternate; the sRGB intent
    describes them), rather than make the file break PDF/A."""
    changed = 0
    shared: dict[bytes, pikepdf.Object] = {}  # a profile's bytes → the one stream every page uses
    default: pikepdf.Object | None = None
    for number, page in enumerate(pdf.pages, start=1):
        resources = page.obj.get("/Resources")
        xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
        for image in xobjects.values() if isinstance(xobjects, pikepdf.Dictionary) else []:
            if not isinstance(image, pikepdf.Stream) or image.get("/Subtype") != pikepdf.Name.Image:
                continue
            space = image.get("/ColorSpace")
            components, why = 4, "it has no ICC profile of its own"
            if isinstance(space, pikepdf.Array) and len(space) == 2 and space[0] == pikepdf.Name.ICCBased:
                components = int(space[1].get("/N", 0))
                data = space[1].read_bytes()
                problem = icc_profile_problem(data, components)
                if problem is None:
                    kept = shared.setdefault(data, space[1])
                    if kept.objgen != space[1].objgen:  # the same profile again (each TIFF page had it)
                        image.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, kept])
                        changed += 1
                    continue
                why = f"its own ICC profile {problem}"
            elif space != pikepdf.Name.DeviceCMYK:
                continue
            if components != 4:
                device = {1: pikepdf.Name.DeviceGray, 3: pikepdf.Name.DeviceRGB}.get(components)
                if device is not None:
                    log.warning(
                        "%s, trang / page %d: không dùng hồ sơ màu của ảnh / the image's profile is not used: %s",
                        name,
                        number,
                        why,
                    )
                    image.ColorSpace = device
                    changed += 1
                continue
            if default is None and (profile := cmyk_scan_profile()) is not None:
                default = pdf.make_stream(profile)
                default.N = 4
            if default is not None:
                image.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, default])
                changed += 1
                continue
            log.warning(
                "%s, trang / page %d: ảnh CMYK giữ DeviceCMYK / a CMYK image stays DeviceCMYK: %s and %s is missing "
                "or unusable",
                name,
                number,
                why,
                CMYK_PROFILE,
            )
            if space != pikepdf.Name.DeviceCMYK:
                image.ColorSpace = pikepdf.Name.DeviceCMYK
                changed += 1
    return changed


def _decoded_copies(path: Path) -> list[bytes]:
    """The pages (``page_frames``) of the image at ``path`` as Pillow decodes them, each a lossless copy."""
    with Image.open(path) as image:
        copies = []
        for index in page_frames(image):
            image.seek(index)
            copies.append(_lossless_copy(_embedded_page(image)))
        return copies


def read_pages(
    plans: Iterable[PagePlan],
    scratch: Path,
    *,
    source: Path | None = None,
    language: str,
    workers: int,
    tessdata_dir: Path | None,
    on_page: Callable[[], None] | None = None,
    page_executor: Executor | None = None,
    tesseract_slots: int = 0,
    tesseract_engine: str = "library",
    other_language: str = "",
) -> tuple[list[PagePlan], dict[int, PageReading]]:
    """OCR the pages that need it, ``workers`` Tesseract processes at a time, while later pages are planned.

    A page cut into bands (``PagePlan.bands``) has its bands read at once, as separate reads, and put together.
    At most ``2 × workers`` rendered pages wait on disk, so a 500-page scan never piles up in scratch space.
    With ``page_executor`` each page or band is sent (by value, see ``PageJob``) to be read there, ``workers`` at
    a time. A page that shows itself to be in another language is read in ``other_language`` too (see
    ``ocr_document``).
    """

    def read(plan: PagePlan, image_path: Path, suffix: str = "", psm: int = 3) -> PageReading:
        page_language = plan.language or language
        if page_executor is not None:
            job = PageJob(
                image=image_path.read_bytes(),
                suffix=image_path.suffix,
                dpi=plan.dpi,
                language=page_language,
                tessdata_dir=str(tessdata_dir) if tessdata_dir else None,
                source=str(source) if source else None,
                tesseract_slots=tesseract_slots,
                engine=tesseract_engine,
                psm=psm,
            )
            reading: Future[PageReading] = page_executor.submit(read_page_job, job)
            return reading.result()
        with tesseract_slot():  # host-wide bound on Tesseract processes (ocr.slots)
            return read_page(
                image_path,
                scratch / f"ocr-{plan.number:04d}{suffix}",
                dpi=plan.dpi,
                language=page_language,
                tessdata_dir=tessdata_dir,
                source=source,
                engine=tesseract_engine,
                psm=psm,
            )

    def read_lines(plan: PagePlan, lines: list[Path]) -> list[PageReading]:
        """Each image of ``lines`` (lines of the page) read as one line of text, at once."""
        parts = [reads.submit(UNKNOWN_SIZE, read, plan, path, f"-{path.stem}", LINE_PSM) for path in lines]
        return [part.result() for part in parts]

    def read_there(
        plan: PagePlan,
        image_path: Path,
        bands: list[PageBand],
        suffix: str = "",
        meanwhile: Callable[[], None] | None = None,
    ) -> PageReading:
        """The page image at ``image_path`` read, or its ``bands`` read at once and put together; ``meanwhile`` is
        run here while they are read."""
        parts = [
            reads.submit(band.weight, read, plan, band.image_path, f"{suffix}-band{i}")
            for i, band in enumerate(bands, 1)
        ]
        whole = None if bands else reads.submit(UNKNOWN_SIZE, read, plan, image_path, suffix)
        if meanwhile is not None:
            meanwhile()
        if whole is not None:
            return whole.result()
        return stacked([(band.top, _unless_junk(band, part.result())) for band, part in zip(bands, parts, strict=True)])

    def in_other_language(plan: PagePlan, reading: PageReading) -> PageReading:
        """``reading``, or the page's reading in ``other_language`` when it shows itself to be in that one. Not
        asked of a page that is paper alone to the blank test: what is read there is specks or show-through, to be
        dropped (its reading in English, sure of itself, would have been kept as text)."""
        if not other_language or plan.language is not None or _paper_only(plan):
            return reading
        if not in_another_language(reading.text(), reading.confidence):
            return reading
        return _read_in_other_language(plan, reading, other_language, read_there)

    def run(plan: PagePlan) -> PageReading:
        assert plan.image_path is not None
        # its ink found while Tesseract reads it: a core is idle once the shorter band is read
        reading = read_there(plan, plan.image_path, plan.bands, meanwhile=functools.partial(_find_ink, plan))
        if plan.level_image_path is not None:
            reading = _level_or_straightened(plan, reading, read_there)
        reading = in_other_language(plan, reading)
        asked = reading
        low = _low(reading)
        if low and plan.faint:
            plan.show_through = _show_through(plan, reading, scratch, read_there)
        if low and not _paper_only(plan):
            # a blank page is not asked which way is up: it has no up (and OSD would take a second over it); a faint
            # page read badly is, unless its print is show-through (QA111: a faded receipt fed upside down was read
            # as nonsense, dropped as show-through and called blank; in a stack, dropped as a separator's back)
            reading = _read_upright(plan, reading, scratch, read_there)
            if abs(plan.skew) <= MAX_SKEW and _low(reading):
                reading = _read_far_deskewed(plan, reading, scratch, read_there)
        elif turn := reading.sideways_turn():
            # read right, but in lines running down the image: its boxes cannot make a text layer
            reading = _read_upright(plan, reading, scratch, read_there, turn=turn)
        if reading is not asked:  # first read crooked or upside down: an English letter 12° askew (QA112)
            reading = in_other_language(plan, reading)
        if (
            plan.other_way is not None
            and not _paper_only(plan)  # (its faint print show-through: to be dropped)
            and (_low(reading, recorded=True) or _faint_print_unread(plan, reading))
        ):
            reading = _read_other_way(plan, reading, scratch, read_there)
        if plan.depth is not None:
            plan.unread_print = _unread_print(plan, reading)
            if not plan.darkened and _faint_print_unread(plan, reading, weighed=True):
                reading = _read_again(plan, reading, scratch, read_there)
            elif not plan.darkened and plan.maybe_in_shadow:
                reading = _read_again(plan, reading, scratch, read_there, shadow_only=True)
            elif not plan.darkened and plan.unread_print is None and _low(reading) and not _paper_only(plan):
                # its print not weighed — an ID card's pattern is taken for patterned paper —, and read badly
                reading = _read_again(plan, reading, scratch, read_there, tint_only=True)
            if not _paper_only(plan) and not plan.show_through:
                reading = _lines_read_alone(plan, reading, scratch, read_lines)
            plan.doubtful_print = _doubtful_print(plan, reading)
            plan.depth = None
        if plan.other_way_image_path is not None:
            plan.other_way_image_path.unlink(missing_ok=True)
            plan.other_way_image_path = None
        for image_path in (plan.image_path, *(band.image_path for band in plan.bands)):
            if image_path.parent == scratch:
                image_path.unlink(missing_ok=True)  # rendered only for Tesseract: free the space now
        if on_page is not None:
            on_page()  # progress bars count pages as they are read
        return reading

    planned: list[PagePlan] = []
    readings: dict[int, PageReading] = {}
    pending: dict[int, Future[PageReading]] = {}
    # Threads are enough: each page is read in a Tesseract process, so the GIL is not in the way. ``reads`` runs
    # every Tesseract read (a page, a band, a page turned upright), ``workers`` at once: in the order asked, then,
    # once every page is planned, the largest first (ocr.reads). A page's thread in ``pool`` waits for its reads and
    # puts the page together: one for each page that may wait, so that the last pages' bands are all waiting to be
    # chosen from (with one per worker, a three-page scan's last page was cut only once the first was read).
    with ReadQueue(workers) as reads, ThreadPoolExecutor(max_workers=2 * workers) as pool:
        for plan in plans:
            planned.append(plan)
            if plan.image_path is None:
                if on_page is not None:
                    on_page()  # a page kept as it is (its text, too small to be a scan) is done once planned
                continue
            pending[plan.number] = pool.submit(run, plan)
            while len(pending) >= 2 * workers:
                oldest = min(pending)
                readings[oldest] = pending.pop(oldest).result()
        reads.all_planned()
        for number, future in pending.items():
            readings[number] = future.result()
    return planned, readings


def _reading_score(reading: PageReading) -> float:
    """How much of a page a reading got: the confidence of its words read with confidence over 50, summed."""
    return sum(word.confidence for word in reading.words if word.confidence > 50)


# The page read as scanned replaces its straightened reading only when it gets this much more (_words_score)
LEVEL_MARGIN = 1.1


def _words_score(reading: PageReading) -> float:
    """What of a page a reading got, by its letters (``ocr.quality.letters_score``)."""
    return letters_score(_word_pairs(reading))


def _word_pairs(reading: PageReading) -> list[tuple[str, float]]:
    """Each word read, as (text, confidence)."""
    return [(word.text, word.confidence) for word in reading.words]


def _level_or_straightened(
    plan: PagePlan, straightened: PageReading, read: Callable[[PagePlan, Path, list[PageBand], str], PageReading]
) -> PageReading:
    """The better of the page's reading straightened by a skew past WIDE_SKEW and its reading as scanned (the plan
    then says which). The projection profile finds the angle of whatever lies in lines: a crooked stamp's box or a
    signature's strokes on a page of a few level lines turned the whole page 8° and its text was lost (QA103).
    Read both, the page as scanned wins when it gets clearly more (``_words_score``, LEVEL_MARGIN). Costs a second
    reading of the few pages found skewed that far."""
    assert plan.level_image_path is not None and plan.image_path is not None
    level_path, plan.level_image_path = plan.level_image_path, None
    level = read(plan, level_path, [], "-level")
    # words that are words, and a clear margin: a crooked reading's fragments ("Ủy ban nhân d", "€") added up to
    # more than a 6° page's 36 right words read straightened (QA104)
    if LEVEL_MARGIN * _words_score(straightened) >= _words_score(level):
        level_path.unlink(missing_ok=True)
        return straightened
    _image_kept(plan, None, level_path, [], 0.0)
    return level


def _read_upright(
    plan: PagePlan,
    first: PageReading,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
    *,
    turn: int = 0,
) -> PageReading:
    """Read a page again turned upright, straightened anew (``turned_upright``); the plan then says how.

    A low-quality page may be sideways or upside down: OSD is asked, and if it is sure, the page is read turned
    upright, and the better of the two readings wins (more words read with confidence). A page Tesseract read
    well in lines running down the image (``PageReading.sideways_turn``) is turned by ``turn`` without asking
    OSD (its own words say which way is up), and the upright reading wins unless it is of low quality: the first
    reading's text is right, but its boxes stand on end and would make a text layer of nonsense."""
    whole_path = _whole_image(plan)
    rotate = turn or _sure_turn(whole_path, plan.dpi)
    if not rotate:
        return first
    with Image.open(whole_path) as image:
        second, upright, skew, upright_path, upright_bands = _read_turned(
            plan, image, plan.skew, rotate, scratch, read, "upright"
        )
    if turn:
        first_kept = _low(second)
    else:
        # OSD and the first reading's own lines (running down the image) agreeing that the page lies sideways, the
        # upright reading wins: the first one's boxes stand on end (QA101: a page shown sideways by its /Rotate,
        # read as well both ways, kept the sideways reading, its text layer on end and the page shown sideways)
        first_kept = _reading_score(second) <= _reading_score(first) and first.sideways_turn() != rotate
    # the image whose reading is not kept goes; the upright one, kept, is the page's image from now on (QA110: a
    # faint page scanned upside down was not read again darkened)
    if first_kept:
        _remove_image(upright_path, upright_bands)
        return first
    _image_kept(plan, upright, upright_path, upright_bands, skew)
    plan.orientation = rotate
    return second


def _sure_turn(image_path: Path, dpi: int) -> int:
    """The turn (90, 180 or 270 degrees clockwise) that stands the page image at ``image_path`` upright, as OSD
    says it with MIN_OSD_CONFIDENCE or more; 0 where it stands so, or OSD is not that sure."""
    with tesseract_slot():
        rotate, confidence = detect_orientation(image_path, dpi)
    return rotate if rotate in (90, 180, 270) and confidence >= MIN_OSD_CONFIDENCE else 0


def _read_turned(
    plan: PagePlan,
    image: Image.Image,
    skew: float,
    turn: int,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
    how: str,
) -> tuple[PageReading, Image.Image, float, Path, list[PageBand]]:
    """The page's ``image``, straightened by ``skew``, turned ``turn`` degrees upright (``turned_upright``), written
    as ``how`` and read: (the reading, the upright image, its skew, its path, its bands). In bands, as the page would
    have been read had it been scanned upright: read whole, a sideways decree page lost a line of its "Nơi nhận"
    list (218 words against 233 upright; the OCR bench measured bands no worse)."""
    upright, upright_skew = turned_upright(image, skew, turn)
    path = scratch / f"{how}-{plan.number:04d}{_pnm_suffix(upright.mode)}"
    reading, bands = _written_and_read(plan, upright, path, read, f"-{how}")
    return reading, upright, upright_skew, path, bands


def _read_far_deskewed(
    plan: PagePlan,
    first: PageReading,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
) -> PageReading:
    """Read a page read badly again straightened, if it is skewed past what deskewing looks for, or past 5° where
    deskewing did not take the angle (``ocr.preprocess.far_deskewed``) — and turned upside down too, when that
    reading is low: asked which way is up, a page 12–15° crooked gets no answer (QA112: read upside down,
    nonsense). A page whose lines run down it that far crooked is looked at turned a quarter (QA112: sideways and
    14° off, no word read). The best reading is kept when it gets clearly more (``_words_score``, LEVEL_MARGIN),
    and the plan then says so."""
    whole_path = _whole_image(plan)
    turn = 0
    with Image.open(whole_path) as image:
        straight, angle = far_deskewed(image, plan.skew)
        if angle == plan.skew:
            across, skew_across = turned_upright(image, plan.skew, 90)
            straight, angle = far_deskewed(across, skew_across)
            if angle == skew_across:
                return first
            turn = 90
    path = scratch / f"far-{plan.number:04d}{_pnm_suffix(straight.mode)}"
    second, bands = _written_and_read(plan, straight, path, read, "-far")
    if _low(second):
        upside_down = straight.rotate(180)
        upside_down_path = scratch / f"far-180-{plan.number:04d}{_pnm_suffix(upside_down.mode)}"
        third, upside_down_bands = _written_and_read(plan, upside_down, upside_down_path, read, "-far180")
        if _words_score(third) > _words_score(second):
            _remove_image(path, bands)
            second, turn, straight = third, turn + 180, upside_down
            path, bands = upside_down_path, upside_down_bands
        else:
            _remove_image(upside_down_path, upside_down_bands)
    if _words_score(second) <= LEVEL_MARGIN * _words_score(first):
        _remove_image(path, bands)
        return first
    _image_kept(plan, straight, path, bands, angle)
    plan.orientation = (plan.orientation + turn) % 360
    return second


def _paper_only(plan: PagePlan) -> bool:
    """Whether the page is paper alone to its reader: no ink the blank test sees and no faint print either, or its
    faint print show-through (with a page number or a staple's mark beside it, QA111: 384 words of mirrored
    nonsense, the page low). Its reading of low quality is nonsense (dropped), and no word makes it blank; a faint
    page read badly is low, for a person to look at (QA111: the blank-and-low rule took it for show-through)."""
    return (plan.blank and not plan.faint) or plan.show_through


def _show_through(
    plan: PagePlan,
    first: PageReading,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
) -> bool:
    """Whether a faint page read badly reads well mirrored, left to right or top to bottom
    (``ocr.quality.reads_as_show_through``): the text of the other side of the sheet, showing through. A page's own
    faint print, read badly, reads as nothing mirrored (QA111: a faded receipt upside down or crooked; show-through
    read mirrored at confidence 95; QA112: the back of a sheet turned over its short edge, read mirrored left to
    right only, was low, 290 words of nonsense)."""
    with Image.open(_whole_image(plan)) as image:
        image.load()  # (read from disk once, for both mirrors)
    for flip in (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM):
        mirrored = image.transpose(flip)
        mirrored_path = scratch / f"mirrored-{plan.number:04d}{_pnm_suffix(mirrored.mode)}"
        mirrored.save(mirrored_path)
        second = read(plan, mirrored_path, [], "-mirrored")
        mirrored_path.unlink(missing_ok=True)
        if reads_as_show_through(_word_pairs(first), _word_pairs(second)):
            return True
    return False


def _own_lines(reading: PageReading) -> list[Word]:
    """The words of a show-through page's reading (``_show_through``) that are the page's own print
    (``ocr.quality.own_print_runs``): a note written over show-through (QA112 F5) was blank, all of it dropped."""
    kept: list[Word] = []
    for _, grouped in itertools.groupby(reading.words, key=lambda word: (word.block, word.paragraph, word.line)):
        line = list(grouped)
        for run in own_print_runs((word.text, word.confidence) for word in line):
            kept.extend(line[run.start : run.stop])
    return kept


def _written_and_read(
    plan: PagePlan,
    image: Image.Image,
    image_path: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
    suffix: str,
) -> tuple[PageReading, list[PageBand]]:
    """Another image of the page written at ``image_path`` for Tesseract, in bands as the page is
    (``_written_bands``), and read: (the reading, the bands written; none when it is written whole)."""
    bands = _written_bands(image, image_path, plan.dpi, plan.band_limit)
    return read(plan, image_path, bands, suffix), bands


def _image_kept(
    plan: PagePlan, image: Image.Image | None, image_path: Path, bands: list[PageBand], skew: float
) -> None:
    """Another image of the page, ``image`` — written at ``image_path`` or as its ``bands``, straightened by
    ``skew`` from the page as scanned (or upright); None: read back from ``image_path`` if need be — read better
    and kept: the page's image from now on, the one it replaces removed, and its ink found where it now stands."""
    assert plan.image_path is not None
    _remove_image(plan.image_path, plan.bands)
    plan.image_path, plan.bands, plan.skew = image_path, bands, skew
    if plan.depth is None:
        return
    if image is None:
        with Image.open(image_path) as written:
            plan.depth = print_depth(page_overview(written, plan.dpi))
    else:
        plan.depth = print_depth(page_overview(image, plan.dpi))


def _remove_image(image_path: Path, bands: list[PageBand]) -> None:
    """Delete a page image written for Tesseract: whole at ``image_path``, or its ``bands``."""
    for path in (image_path, *(band.image_path for band in bands)):
        path.unlink(missing_ok=True)


def _find_ink(plan: PagePlan) -> None:
    """Find where the page has ink (``ocr.quality.print_depth``) on its overview, then let the overview go."""
    if plan.overview is not None:
        plan.depth, plan.overview = print_depth(plan.overview), None


def _low(reading: PageReading, *, recorded: bool = False) -> bool:
    """Whether ``reading`` is of low quality (``page_quality``; by the Vietnamese lexicon when read in Vietnamese;
    ``recorded``: as the page would be recorded, read ``middling_read`` too)."""
    vietnamese = reads_vietnamese(reading.language)
    return page_quality(reading.confidence, reading.text(), vietnamese=vietnamese, recorded=recorded)[0] == LOW


def _other_language(language: str, other: str, tessdata_dir: Path | None) -> str:
    """``other``, the language a page found not to be Vietnamese is read in too, when it can be: the pages are
    read in Vietnamese (the marks test is Vietnamese's), ``other`` is another one, and Tesseract has its data
    (a machine without ``eng.traineddata`` reads every page in Vietnamese, as before, and says so in its log)."""
    if not other or other == language or not reads_vietnamese(language):
        return ""
    try:
        check_language(other, tessdata_dir)
    except MissingLanguageError as exc:
        if (other, tessdata_dir) not in _OTHER_LANGUAGE_MISSING:  # said once a process (QA118 F6: said nowhere)
            _OTHER_LANGUAGE_MISSING.add((other, tessdata_dir))
            log.warning(
                "SOHOA_OCR_OTHER_LANGUAGE=%s: trang bằng ngôn ngữ khác chỉ được đọc bằng tiếng Việt / pages in another "
                "language are read in Vietnamese only: %s",
                other,
                exc,
            )
        return ""
    return other


_OTHER_LANGUAGE_MISSING: set[tuple[str, Path | None]] = set()


def _read_in_other_language(
    plan: PagePlan,
    first: PageReading,
    other: str,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
) -> PageReading:
    """The page, read in Vietnamese as ``first`` and found to be in another language (``in_another_language``),
    read again in ``other``: kept, and the page read in it from now on (upright, darkened…), when Tesseract is
    surer of that reading (a higher mean confidence) and it is not Vietnamese without its marks
    (``reads_as_vietnamese_unmarked``: a page typed unaccented, or a marked header over an unaccented list, QA118),
    its Vietnamese phrases as read in Vietnamese (``_vietnamese_phrases_kept``). An English page read with the
    Vietnamese model comes out with stray marks ("đatecline", "bịg", "pÌace") and is low for want of Vietnamese
    words. Measured 2026-12-05
    with the tesseract command on ScribeOCR's 28 English pages with ground truth: read in English, 10,080 of
    11,733 words right against 8,802 in Vietnamese, and Tesseract surer of 27 of them (6–13 points; the one
    other, a table, is kept as read in Vietnamese, though English got more of it)."""
    assert plan.image_path is not None
    plan.language = other
    second = read(plan, plan.image_path, plan.bands, "-" + other)
    surer = first.confidence is None or (second.confidence is not None and second.confidence > first.confidence)
    if not surer or reads_as_vietnamese_unmarked(second.text()):
        plan.language = None
        return first
    return _vietnamese_phrases_kept(first, second)


# The Vietnamese words of a page read in another language are taken as read in Vietnamese when they stand side by side
# (PHRASE_MARKED_WORDS or more bearing marks), each a syllable read with confidence PHRASE_CONFIDENCE or more
PHRASE_MARKED_WORDS = 2
PHRASE_CONFIDENCE = 80.0
_PLAIN_LETTERS = re.compile(r"[A-Za-z]+")


def _vietnamese_phrases_kept(vietnamese: PageReading, other: PageReading) -> PageReading:
    """``other``, a page's reading in another language, with its Vietnamese words as ``vietnamese`` read them
    (QA118: an English letter's "Mr Nguyễn Văn Hùng, of Hà Nội" read in English "Mr Nguyén Van Hung, of Ha N6i"; a
    certified-copy stamp's "Ngày 20 tháng 3 năm 2025 / Nguyễn Thị Hồng Nhung" lost every mark).

    A phrase: marked words side by side in a line of the Vietnamese reading, numbers between them ("tháng 3 năm",
    "Số 12, Quận 1"), each a Vietnamese syllable shaped as one (``_vietnamese_shaped``) read with confidence
    PHRASE_CONFIDENCE or more, up to one that ends in a comma, a full stop, a colon or a semicolon. Taken when it
    holds PHRASE_MARKED_WORDS or more — a name, a place, a date: "Lê Văn Tám", "Hà Nội" —, or one word that the
    other language read as no plain word of letters ("Huế" read "Hué", "Số" read "S6"). A marked word alone over a
    plain word is the Vietnamese model's slip on the other language (tesseract-test's "couldn't say it wrote it"
    read "ít", at confidence 88–97; an English "to" read "tô"), and the other reading stays: a lone "Cần" at a line's
    end read "Can" loses its marks. (A first version took phrases of unmarked syllables too, when half their words were
    marked: QA119's "Lê Văn Tám in Huế met Võ Thị Sáu at ten to nine", short English words being syllables, was one
    phrase under half marked, and every mark was lost.) Each word taken replaces the one word of ``other`` its box
    lies on (half of the smaller box or more), keeping that word's box and confidence."""
    taken: dict[int, str] = {}

    def under(word: Word) -> int | None:
        lying = [index for index, o in enumerate(other.words) if _overlap(word, o) >= 0.5]
        return lying[0] if len(lying) == 1 else None

    for _, grouped in itertools.groupby(vietnamese.words, key=lambda word: (word.block, word.paragraph, word.line)):
        phrase: list[Word] = []
        for word in (*grouped, None):
            if word is not None and _number(word.text):
                continue  # a number neither joins nor ends a phrase
            sure = (
                word is not None
                and word.confidence >= PHRASE_CONFIDENCE
                and marked_word(word.text)
                and _vietnamese_shaped(word.text)
            )
            if word is not None and sure:
                phrase.append(word)
                if not word.text.endswith(_PHRASE_ENDS):
                    continue
            places = [(w.text, index) for w in phrase if (index := under(w)) is not None]
            alone_over_a_word = len(phrase) < PHRASE_MARKED_WORDS and all(
                _PLAIN_LETTERS.fullmatch(other.words[index].text.strip(_PUNCTUATION))
                and not _honorific_unmarked(text, other.words[index].text)
                for text, index in places
            )
            if not alone_over_a_word:
                taken.update((index, text) for text, index in places)
            phrase = []
    if not taken:
        return other
    words = [dataclasses.replace(word, text=taken.get(index, word.text)) for index, word in enumerate(other.words)]
    return dataclasses.replace(other, words=words)


# "Ông", "Bà" before a name: a register of unaccented names and codes read in English lost every one ("Ong": QA150 F4);
# read in the other language as its own letters without marks, it is Vietnamese however alone
_HONORIFICS = frozenset({"ông", "bà"})


def _honorific_unmarked(vietnamese: str, other: str) -> bool:
    """Whether ``vietnamese`` (a word of the Vietnamese reading) is an honorific (``_HONORIFICS``) that ``other`` (the
    other language's reading of it) reads as its letters without marks."""
    core = vietnamese.strip(_PUNCTUATION)
    return core.lower() in _HONORIFICS and fold(core).lower() == other.strip(_PUNCTUATION).lower()


_PUNCTUATION = ".,;:!?()[]\"'“”‘’-"
_PHRASE_ENDS = (",", ".", ":", ";")
# The letters a Vietnamese syllable may end in, its marks taken off: a vowel, or one of the finals c, ch, m, n, ng, nh,
# p, t. The syllable list (Tesseract's) holds English words too ("wrote", "letter"): none of them ends so.
_VIETNAMESE_ENDS = re.compile(r"(?:[aeiouy]|c|ch|m|n|ng|nh|p|t)$")


def _vietnamese_shaped(text: str) -> bool:
    """A word of the syllable list (``vietnamese_word``) that a Vietnamese syllable could be: no f, j, w or z, and
    ending as one does (``_VIETNAMESE_ENDS``)."""
    letters = re.sub(r"[^a-z]", "", fold(text))
    return (
        bool(letters)
        and not set(letters) & set("fjwz")
        and bool(_VIETNAMESE_ENDS.search(letters))
        and vietnamese_word(text)
    )


def _number(text: str) -> bool:
    """A number, a date or a code of digits ("20", "2025", "12/3", "(5)"): no letter."""
    return any(ch.isdigit() for ch in text) and not any(ch.isalpha() for ch in text)


def _overlap(one: Word, other: Word) -> float:
    """How much of the smaller of two word boxes the other covers (0–1)."""
    width = min(one.left + one.width, other.left + other.width) - max(one.left, other.left)
    height = min(one.top + one.height, other.top + other.height) - max(one.top, other.top)
    smaller = min(one.width * one.height, other.width * other.height)
    return width * height / smaller if width > 0 and height > 0 and smaller > 0 else 0.0


def _boxes(reading: PageReading) -> Iterator[tuple[int, int, int, int]]:
    """Each word's box in the page image: (left, top, width, height)."""
    return ((word.left, word.top, word.width, word.height) for word in reading.words)


# The page read again, its shadow evened out or its faint print darkened, replaces its first reading only when it
# gets this much more
AGAIN_MARGIN = 1.1


def _read_again(
    plan: PagePlan,
    first: PageReading,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
    *,
    shadow_only: bool = False,
    tint_only: bool = False,
) -> PageReading:
    """The page read again when ``first`` left more than FAINT_REREAD of its print unread: with the shadow over its
    paper evened out (``ocr.quality.shadow_evened``) where it has one, or else its light tinted areas
    (``ocr.quality.tint_evened``: an ID card's copy on a white sheet), else — or where that gets no more — with its
    faint print darkened (``ocr.quality.faint_print_darkened``). ``shadow_only``: a page that may be in shadow
    (``maybe_in_shadow``) whose print left unread weighs too little to be read again: read evened when more than
    SHADOW_UNREAD_THERE of the print in its shadow is left unread, and not darkened; ``tint_only``: a page read
    badly whose print could not be weighed: read with its light tinted areas evened (``ocr.quality.tint_evened``)
    where print is left unread in them, and not darkened. The second reading is kept
    when it gets clearly more (``_words_score``, AGAIN_MARGIN); the plan then says how, and how much print is left
    unread. Toner run low (QA108: the lower 60 % of a page, 140 words of 266 read; darkened, 262), a page upright
    or turned; a phone photo a third in shadow (QA110: 239 words of 385; evened, 383). Show-through from the back
    of the sheet lies along the page's own lines, which are read, and is seldom weighed as unread
    (``unread_print``); where it is, its mirrored letters read as nothing and the first reading stays, a second
    reading spent."""
    assert plan.depth is not None
    with Image.open(_whole_image(plan)) as image:
        seen = paper_seen(image, plan.dpi)
        unread_there = SHADOW_UNREAD_THERE if shadow_only else 0.0
        evened = None if tint_only else shadow_evened(seen, _boxes(first), unread_there=unread_there)
        if evened is None and not shadow_only:  # or light tinted areas (a card's pattern) where print is left unread
            evened = tint_evened(seen, _boxes(first))
        if evened is not None:
            second = _read_image(plan, evened, scratch, read, "evened")
            if _reads_more(second, first):
                second = surer_lines_kept(first, second)
                plan.evened = True
                # its print weighed against the paper under it: the lit paper's brightest carried into the shadow
                # made the shadow's edge ink; and on the page evened, the shadow's grain stretched is ink
                plan.depth = print_depth(seen.overview, seen.paper)
                plan.unread_print = _unread_print(plan, second)
                return second
        if shadow_only or tint_only:
            return first
        darkened = faint_print_darkened(image, plan.dpi)
    second = _read_image(plan, darkened, scratch, read, "darkened")
    if not _reads_more(second, first):
        return first
    second = surer_lines_kept(first, second)
    plan.darkened = True
    plan.unread_print = _unread_print(plan, second)
    return second


# A line of print the page's reading left out is read alone (``_lines_read_alone``) as one line of text (Tesseract's
# --psm 7: its layout analysis, which left it out, dropped it again given the line alone), at most this many a page,
# and its words kept where they are read with this mean confidence or more and read as text (``_plausible_text``)
LINE_PSM = 7
MAX_LINES_ALONE = 6
LINE_ALONE_CONFIDENCE = 80.0
LINE_END_UNSURE = 50.0


def _lines_read_alone(
    plan: PagePlan,
    reading: PageReading,
    scratch: Path,
    read_lines: Callable[[PagePlan, list[Path]], list[PageReading]],
) -> PageReading:
    """``reading`` with the lines of print it left out (``ocr.quality.unread_lines``) read alone, each as one line of
    text, and their words put in where they read well (LINE_ALONE_CONFIDENCE, ``_plausible_text``, not a row of one
    letter over and over) and where it lies (``_lines_put_in``): Tesseract's layout analysis can leave out a whole
    line of print — a form's "Người nộp: Võ Thị Ngọc Trâm" typed over a dotted leader on pink paper (QA174 F5: the
    applicant's name not in the record, the page `good`; OCRmyPDF kept it). Show-through, a signature, a logo read
    alone read as junk, and are left out as before. Each line is read out to the print beside it on its row
    (``_line_reach``): where it ended inside a word, the word's end was put in as a fragment beside its start read
    before, `THANH H` by `NG` for `THANH HƯƠNG` (QA179 F2); where the line read alone and the page's reading both
    read a stretch, the surer reading of it stays (``ocr.tesseract.overlapping_runs``)."""
    assert plan.depth is not None
    ink = _ink(plan, PRINT_CONTRAST)
    # (the words read as junk over a line cover none of it: a leader's line read `C75618 sSÊ nh KT TU` at 0–30, and
    # a short page's lines are looked for too: a list's item over a leader read `.. ca.`, the page `good`; QA180 F4,
    # F5)
    sure = (box for word, box in zip(reading.words, _boxes(reading), strict=True) if not _junk(word, reading))
    reaches: list[tuple[UnreadLine, int, int]] = []
    for line in unread_lines(ink, sure, plan.dpi, _least_print(plan), FAINT_PAGE_PRINT_INCH2):
        left, right = _line_reach(ink, line, plan.dpi)
        # (two rows of one line, a gap wider than a word's apart, each read out over the other: read once, and
        # the slot left to another line — a card's stamp was left out for its English line read twice)
        if not any(_reaches_over(line, left, right, *other) for other in reaches):
            reaches.append((line, left, right))
    if not reaches:
        return reading
    crops: list[tuple[Path, int]] = []  # each image read, and the index of the line it is of
    boxes = []
    with Image.open(_whole_image(plan)) as image:
        for index, (line, left, right) in enumerate(reaches[:MAX_LINES_ALONE]):
            pad = (line.bottom - line.top) // 3
            box = (max(0, left - pad), max(0, line.top - pad), min(image.width, right + pad), line.bottom + pad)
            boxes.append(box)
            crop = image.crop(box)
            # (a line on uneven paper is read both as it is and evened: evened, a date on a card's pattern read
            # `12I05/1990` where it was read right as it is)
            evened = _paper_evened_along(crop)
            for variant, each in enumerate((crop, evened) if evened is not crop else (crop,)):
                path = scratch / f"line-{plan.number:04d}-{index + 1}-{variant}{_pnm_suffix(each.mode)}"
                each.save(path)
                crops.append((path, index))
    try:
        read = read_lines(plan, [path for path, _ in crops])
    finally:
        for path, _ in crops:
            path.unlink(missing_ok=True)
    best: dict[int, PageReading] = {}
    for (_, index), alone in zip(crops, read, strict=True):
        alone = _leader_dots_cut(_unsure_ends_cut(alone))
        if _reads_as_a_line(alone) and _sureness(alone) > _sureness(best.get(index)):
            best[index] = alone
    taken = [(alone, (boxes[index][0], boxes[index][1])) for index, alone in sorted(best.items())]
    return _lines_taken(reading, taken)


# A line read alone whose paper is this much darker somewhere along it than at its brightest is read with its paper
# evened out (``_paper_evened_along``)
LINE_PAPER_UNEVEN = 0.15


def _paper_evened_along(crop: Image.Image) -> Image.Image:
    """``crop`` (a line of print read alone, with paper above and below it) in grey with its paper evened out
    along it — each column divided by its brightest, the paper there — where that paper is LINE_PAPER_UNEVEN darker
    somewhere than at its brightest; else as it is. A line half on a grey card copied onto white paper, read
    alone, came back with the half on white only: Tesseract's one threshold for the line took the card for ink
    (QA179 c06: "Nơi thường trú: T" left out)."""
    gray = np.asarray(crop if crop.mode == "L" else crop.convert("L"), dtype=np.float32)
    if gray.size == 0:
        return crop
    paper = gray.max(axis=0)
    # (a column all ink — a stroke down the whole crop — takes the paper of the columns about it)
    reach = max(1, gray.shape[0] // 2)
    paper = np.lib.stride_tricks.sliding_window_view(np.pad(paper, reach, mode="edge"), 2 * reach + 1).max(axis=1)
    if paper.min() >= (1 - LINE_PAPER_UNEVEN) * paper.max():
        return crop
    evened = gray * (255 / np.maximum(paper, 1))
    return Image.fromarray(np.clip(evened, 0, 255).astype(np.uint8), mode="L")


def _reads_as_a_line(alone: PageReading) -> bool:
    """Whether a line read alone (``_lines_read_alone``) reads well enough to be put in: LINE_ALONE_CONFIDENCE,
    two letters or digits (a rule is read as "|"), not a row of one letter (a crossing-out's `XXXXXXXX`, dashes),
    and as text (``_plausible_text``)."""
    return (
        (alone.confidence or 0) >= LINE_ALONE_CONFIDENCE
        and sum(ch.isalnum() for word in alone.words for ch in word.text) >= 2
        and not all(len(set(word.text.casefold())) == 1 for word in alone.words)
        and _plausible_text(alone)
    )


def _sureness(alone: PageReading | None) -> float:
    """How much of a line a reading of it read, and how surely: its words' confidences summed (of a line half on a
    grey card, the reading of its paper evened read the whole line, the other the half on white)."""
    return sum(word.confidence for word in alone.words) if alone else 0.0


# The dots of a form's leader read at a word's end (two or more), or alone as a word (QA180 F6)
LEADER_DOTS = re.compile(r"[.…_·]{2,}$|^[.…_·,]$")


def _leader_dots_cut(alone: PageReading) -> PageReading:
    """A line read alone without the dots of a leader read into it: `còn......`, `biểu.....`, `gian...` are
    `còn`, `biểu`, `gian` (each word's box narrowed as its text is, the text layer's letters over the word's), a
    `.` alone is no word (QA180 F6: the line is read alone out over the dotted leader it was typed on). A `v.v...`
    ("and so on") is left as it is."""
    words = []
    for word in alone.words:
        if word.text.casefold() == "v.v...":
            words.append(word)
            continue
        text = LEADER_DOTS.sub("", word.text)
        if text == word.text:
            words.append(word)
        elif text:
            words.append(dataclasses.replace(word, text=text, width=max(1, word.width * len(text) // len(word.text))))
    return dataclasses.replace(alone, words=words) if words != alone.words else alone


def _unsure_ends_cut(alone: PageReading) -> PageReading:
    """A line read alone without the words at its ends read with confidence under LINE_END_UNSURE — or without
    any word, where they are most of its words: a card's upside-down line read `IÊT ,ŠX nâY` at 78–90, then four
    words under 35, is junk (QA179 c03)."""
    words = list(alone.words)
    while words and words[0].confidence < LINE_END_UNSURE:
        words.pop(0)
    while words and words[-1].confidence < LINE_END_UNSURE:
        words.pop()
    if len(words) == len(alone.words):
        return alone
    return dataclasses.replace(alone, words=words if 2 * len(words) >= len(alone.words) else [])


def _lines_taken(reading: PageReading, lines: list[tuple[PageReading, tuple[int, int]]]) -> PageReading:
    """``reading`` with the words of ``lines`` (each a line read alone, and where its image lay on the page's, left
    and top) where the page's reading did not read them as surely (``ocr.tesseract.overlapping_runs``): in the
    place of the words of the page's reading they were surer than, else put in where they lie (``_lines_put_in``);
    and the corrections of the words it then holds: of the page's words a line replaced none, of a line's words
    not taken none (the list named words no longer in the text)."""
    words = list(reading.words)
    found: list[Word] = []  # (words read where the page's reading read none, to be put in by _lines_put_in)
    put_in: list[Word] = []  # (words that took the place of the page's reading's)
    their_corrections: list[tuple[str, str]] = []
    for alone, (left, top) in lines:
        placed = [dataclasses.replace(word, left=word.left + left, top=word.top + top) for word in alone.words]
        # (a line read out over another's words, longest first, leaves them to it)
        placed = [new for new in placed if not any(word_over(new, old) for old in found + put_in)]
        on_line = [word for word in words if any(word_over(word, new) for new in placed)]
        runs = overlapping_runs(on_line, placed)
        taken = [(theirs, ours) for theirs, ours in runs if ours and _surer_run(theirs, ours, reading)]
        # (a line the page's reading read all of, less surely, is read again in its place, on its line: a header's
        # number line read as junk beside its date, the two a gutter apart, went in after the date's line when
        # put in as found; a line it read a word of, a junk word of another line over it, is a line found — put in
        # that word's place it went into that line whole)
        in_place = all(theirs for theirs, ours in runs if ours)
        for theirs, ours in taken:
            if in_place:
                at = min(index for index, word in enumerate(words) if any(word is old for old in theirs))
                key = words[at]
                instead = [
                    dataclasses.replace(word, block=key.block, paragraph=key.paragraph, line=key.line) for word in ours
                ]
            words = [word for word in words if all(word is not old for old in theirs)]
            if in_place:
                words[at:at] = instead
                put_in += instead
            else:
                found += ours
        if taken:  # (and the junk the page's reading read in its gaps goes: `thủ TU tục hành TỐ chính`, QA180 F5)
            words = [
                word
                for word in words
                if not _junk_within(word, placed)
                or not _junk(word, reading)
                or any(word is other for other in on_line)
                or any(word is new for new in put_in)
            ]
        their_corrections += alone.corrections
    if not found and not put_in:
        return reading
    pages_own = [word.text for word in words if all(word is not new for new in put_in)]
    corrections = corrections_of(reading.corrections, pages_own) + corrections_of(
        tuple(their_corrections), [word.text for word in found + put_in]
    )
    return dataclasses.replace(reading, words=_lines_put_in(words, found), corrections=corrections)


def _reaches_over(line: UnreadLine, left: int, right: int, other: UnreadLine, its_left: int, its_right: int) -> bool:
    """Whether ``line``, read out from ``left`` to ``right``, lies within ``other`` read out from ``its_left`` to
    ``its_right`` (``_line_reach``): on its row, four fifths of its reach within the other's."""
    down = min(line.bottom, other.bottom) - max(line.top, other.top)
    across = min(right, its_right) - max(left, its_left)
    return down > 0.5 * min(line.bottom - line.top, other.bottom - other.top) and across >= 0.8 * (right - left)


# A line read alone (``_lines_read_alone``) is read out to the print beside it on its row: over gaps of this much at
# most, and this much further at most each way
LINE_GAP_INCH = 0.15
LINE_REACH_INCH = 1.5


def _line_reach(ink: np.ndarray, line: UnreadLine, dpi: int) -> tuple[int, int]:
    """How far ``line`` (in the pixels of the page image at ``dpi``) reaches left and right along its row of ``ink``
    (at UNREAD_DPI): to the ink beside it over gaps of LINE_GAP_INCH at most, LINE_REACH_INCH at most each way — the
    ends of its first and last words, which words read before may cover."""
    scale = UNREAD_DPI / dpi
    top, bottom = int(line.top * scale), max(int(line.top * scale) + 1, round(line.bottom * scale))
    columns = np.flatnonzero(ink[top:bottom].any(axis=0))
    gap, reach = LINE_GAP_INCH * UNREAD_DPI, LINE_REACH_INCH * UNREAD_DPI
    left = start = line.left * scale
    for column in columns[columns < start][::-1]:
        if left - column > gap or start - column > reach:
            break
        left = column
    right = end = line.right * scale
    for column in columns[columns > end]:
        if column - right > gap or column - end > reach:
            break
        right = column + 1
    return round(left / scale), round(right / scale)


def _junk(word: Word, reading: PageReading) -> bool:
    """Whether ``word`` of ``reading`` was read as junk: with confidence under LINE_END_UNSURE, and not a word its
    marks were put right in (``ocr.diacritics``: a doubted `NGUYÊN` is `NGUYỄN`, read at 21; taken for junk, its
    line was read alone, `NGUYÊN` at 96, and took its place)."""
    return word.confidence < LINE_END_UNSURE and all(word.text != put_right for _, put_right in reading.corrections)


def _surer_run(theirs: list[Word], ours: list[Word], reading: PageReading) -> bool:
    """Whether a run of a line read alone, ``ours``, is to replace the words of ``reading`` (the page's) there,
    ``theirs`` (none: it is put in): read more surely, not as junk (LINE_END_UNSURE), and across the run — or
    theirs junk. A line read out from inside a word read its end alone as a word, `scribed` (87) for `prescribed'`
    (73). A word whose marks were put right stays (``_junk``)."""
    if not theirs:
        return True
    if any(word.text == put_right for word in theirs for _, put_right in reading.corrections):
        return False  # (a word put right: `NGUYỄN`, not the line's sure `NGUYÊN`)
    mine, others = mean_confidence(ours), mean_confidence(theirs)
    if mine <= others or mine < LINE_END_UNSURE:
        return False
    return others < LINE_END_UNSURE or words_span(ours) >= GIVEN_BACK_SPAN * words_span(theirs)


def _junk_within(word: Word, line: list[Word]) -> bool:
    """Whether ``word`` (of a page's reading) is junk (read with confidence under LINE_END_UNSURE) lying within
    ``line`` (a line read alone, its words placed on the page): on its row, in a gap between two of its words no
    wider than the line is high."""
    if word.confidence >= LINE_END_UNSURE:
        return False
    top, bottom = min(w.top for w in line), max(w.top + w.height for w in line)
    if min(bottom, word.top + word.height) - max(top, word.top) <= 0.5 * min(bottom - top, word.height):
        return False
    # (in a gap no wider than a line is high — where the line read alone read a word, as here `(phí, lệ phí,
    # v.v.) được`'s `v.v.)`, the page's unsure reading of it stays: QA181 F5)
    before = [w.left + w.width for w in line if w.left + w.width <= word.left + word.width / 2]
    after = [w.left for w in line if w.left >= word.left + word.width / 2]
    return bool(before and after) and min(after) - max(before) <= bottom - top


def _lines_put_in(words: list[Word], found: list[Word]) -> list[Word]:
    """``words`` (a page's reading) with the words ``found`` on lines it left out put in, each row of them (words
    side by side: a form's label and its entry, read apart; cut where a column's gutter runs between them,
    ``_gutter_between``) where it lies, by its middle: among the words of its line where the reading kept some of
    them in its column, by their places across; else as a line of its own before the nearest line below it that it
    lies over, in that line's block (QA179 F1: before the word below itself, a centred heading below it was cut in
    two; a block of its own before a block's first line broke a table's column into blocks, which were then no
    table: `tables_in_rows`), or, with none below it, a block of its own at the end (placed by
    ``blocks_in_reading_order``)."""
    bands: list[list[Word]] = []
    for word in sorted(found, key=lambda word: word.top + word.height / 2):
        middle = word.top + word.height / 2
        if bands and bands[-1][-1].top <= middle <= bands[-1][-1].top + bands[-1][-1].height:
            bands[-1].append(word)
        else:
            bands.append([word])
    # (a row is cut where a column's gutter runs between its words: the same row left out in two columns was put
    # in as one line, QA180 F2)
    rows = [row for band in bands for row in _cut_at_gutters(sorted(band, key=lambda word: word.left), words)]
    result = list(words)
    last_line = itertools.count(max((word.line for word in words), default=0) + 1)
    last_block = max((word.block for word in words), default=0)
    # (from the lowest up: a row then goes before the rows found below it, as it lies, not before the page's
    # reading's next line below them all)
    for row in sorted(rows, key=lambda row: row[0].top, reverse=True):
        left, right = min(w.left for w in row), max(w.left + w.width for w in row)
        top, bottom = min(w.top for w in row), max(w.top + w.height for w in row)
        # (the row's middle: the boxes of words read alone can reach down over a leader under them, and over the
        # line below where the lines are close, QA181 F3)
        middle = statistics.median(word.top + word.height / 2 for word in row)
        beside = [
            index
            for index, word in enumerate(result)
            if word.top <= middle <= word.top + word.height
            and min(bottom, word.top + word.height) - max(top, word.top) > 0.5 * min(bottom - top, word.height)
            and word.left < right + (bottom - top) * 3
            and left - (bottom - top) * 3 < word.left + word.width
            # (not the next column's line: a line found was put in among it, QA180 F1)
            and not _gutter_between(words, top, bottom, min(right, word.left + word.width), max(left, word.left))
        ]
        if beside:
            kin = result[beside[0]]
            for word in sorted(row, key=lambda word: word.left):
                its_line = [index for index in beside if _same_line(result[index], kin)]
                at = next((index for index in its_line if result[index].left > word.left), its_line[-1] + 1)
                result.insert(at, dataclasses.replace(word, block=kin.block, paragraph=kin.paragraph, line=kin.line))
                beside = [index + 1 if index >= at else index for index in beside] + [at]
                beside.sort()
            continue
        under = [
            index
            for index, word in enumerate(result)
            if word.top > middle and word.left < right and left < word.left + word.width
        ]
        # the first in reading order of the words of the nearest line under it (the nearest word itself could be
        # a later column's whose line lies a little higher)
        nearest = min((result[index].top for index in under), default=0)
        below = next((index for index in under if result[index].top < nearest + (bottom - top)), None)
        line = next(last_line)
        if below is None:
            last_block += 1
            block, paragraph, at = last_block, 1, len(result)
        else:
            block, paragraph = result[below].block, result[below].paragraph
            at = below
            while at > 0 and _same_line(result[at - 1], result[below]):
                at -= 1  # the first word of that line
        put = [
            dataclasses.replace(word, block=block, paragraph=paragraph, line=line)
            for word in sorted(row, key=lambda word: word.left)
        ]
        result[at:at] = put
    return result


# A gap across a row of words found (``_lines_put_in``) this many of its heights wide or more may be a gutter between
# columns: one where the page's words on the lines about it, GUTTER_LINES above and below, all end before it or
# begin after it, GUTTER_SIDE_LINES lines of them on each side
GUTTER_GAP = 0.5
GUTTER_LINES = 4
GUTTER_SIDE_LINES = 2


def _gutter_between(words: list[Word], top: int, bottom: int, gap_left: int, gap_right: int) -> bool:
    """Whether a column's gutter runs in the gap from ``gap_left`` to ``gap_right`` across a row from ``top`` to
    ``bottom`` (in the page image's pixels), by the page's ``words`` about it: a stretch of the gap GUTTER_GAP of
    the row's height wide or more that no word about it reaches into, with lines of words on both sides of it
    (GUTTER_SIDE_LINES). (A stretch of it: the row found can end short of its column's edge, the last line of a
    paragraph, and the lines about it reach on into the gap.)"""
    height = bottom - top
    least = GUTTER_GAP * height
    if gap_right - gap_left < least:
        return False
    near = [
        word
        for word in words
        if top - GUTTER_LINES * height <= word.top + word.height / 2 <= bottom + GUTTER_LINES * height
    ]
    start = gap_left
    for word in sorted(near, key=lambda word: word.left):
        if word.left + word.width <= start or word.left >= gap_right:
            continue
        if word.left - start >= least and _lines_both_sides(near, start, word.left):
            return True
        start = max(start, word.left + word.width)
    return gap_right - start >= least and _lines_both_sides(near, start, gap_right)


def _lines_both_sides(words: list[Word], left: int, right: int) -> bool:
    """Whether GUTTER_SIDE_LINES lines of ``words`` or more lie left of ``left``, and as many right of ``right``,
    none of them on both sides: a form's labels and their entries a tab apart are lines read across that gap, not
    columns (QA181 F4: a label found went after its entry)."""
    left_lines = {(w.block, w.paragraph, w.line) for w in words if w.left + w.width <= left}
    right_lines = {(w.block, w.paragraph, w.line) for w in words if w.left >= right}
    return (
        len(left_lines) >= GUTTER_SIDE_LINES and len(right_lines) >= GUTTER_SIDE_LINES and not left_lines & right_lines
    )


def _cut_at_gutters(row: list[Word], words: list[Word]) -> list[list[Word]]:
    """``row`` (words found on one row, from left to right) cut where a gutter of the page's ``words`` runs between
    two of them (``_gutter_between``)."""
    top, bottom = min(w.top for w in row), max(w.top + w.height for w in row)
    parts = [[row[0]]]
    for word in row[1:]:
        before = parts[-1][-1]
        if _gutter_between(words, top, bottom, before.left + before.width, word.left):
            parts.append([word])
        else:
            parts[-1].append(word)
    return parts


def _same_line(one: Word, other: Word) -> bool:
    return (one.block, one.paragraph, one.line) == (other.block, other.paragraph, other.line)


def _unless_junk(band: PageBand, reading: PageReading) -> PageReading:
    """``reading`` of ``band``, or nothing where the band is paper (``PageBand.paper``) and what was read there is of
    low quality: Tesseract reads a band of a guilloche ground, or of grainy paper, alone as junk (`2504À01866///`,
    `c An `. j.. Ti mã Tân`: QA174), which the page read whole does not have. Print read well there (a grey
    paragraph, a page number) is kept."""
    if band.paper and reading.words and _low(reading):
        return dataclasses.replace(reading, words=[], corrections=())
    return reading


def _reads_more(second: PageReading, first: PageReading) -> bool:
    """Whether ``second``, the page read again another way, is to be kept over ``first``: it gets clearly more
    (``_words_score``, AGAIN_MARGIN) and is not of low quality where ``first`` is not. A certificate's light
    guilloche frame, weighed as print left unread, was darkened into junk that outscored the page's 54 words read
    right by its letters: 237 "words" at confidence 40, `low`, where the first reading was `good` at 96 (QA174)."""
    return _words_score(second) > AGAIN_MARGIN * _words_score(first) and (_low(first) or not _low(second))


def _read_other_way(
    plan: PagePlan,
    first: PageReading,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
) -> PageReading:
    """A page of faint print on grainy paper read one way (from its median, or through its grain), ``first``,
    badly: read again the other way (``plan.other_way``, ``_other_way_read``), turned as the page was to be read
    upright and straightened by what that image shows, and that kept (the page's image from then on) when it gets
    clearly more (``_words_score``, AGAIN_MARGIN) and reads as text (``_plausible_text``). The probe reads a band
    of the page: its band can read well from the median where the whole page does not (QA154 F3: a 150 dpi page of
    10 pt print 22 levels deep under grain 7, 289 words right of 757, its band 76 sure words of 102; a note of 13
    pt, 26 deep under grain 9, no word), and its grain darkened from the median can straighten the page by an angle
    it does not have (print 30 deep under grain 8 at 200 dpi: 2.5°, 243 words right of 953; through its grain at
    that angle 339, straight 846) — or its band read through its grain can be surer by a word or two where the page
    reads worse so (QA154 F1: a dotted form at 300 dpi, 70 words right of 78, `low`; from its median 75, `good`).
    A page not turned whose other way reads badly too is asked which way is up on that image, and read turned so
    where OSD is sure (QA156 C07); the page's orientation is then the turn's, if that reading is kept."""
    assert plan.other_way is not None and plan.other_way_image_path is not None and plan.image_path is not None
    with Image.open(plan.other_way_image_path) as gray:
        image = _other_way_read(plan.other_way, gray, plan.dpi)
    if plan.orientation:  # turned as the page was to be read upright (its grey image is as scanned)
        image = image.rotate(-plan.orientation, expand=True)
    straight, angle = deskewed(image)
    path = scratch / f"{plan.other_way}-{plan.number:04d}{_pnm_suffix(straight.mode)}"
    second, bands = _written_and_read(plan, straight, path, read, f"-{plan.other_way}")
    rotate = 0
    if not plan.orientation and _low(second):
        # not turned: asked which way is up, the page read one way gave no answer; read this way, it may (QA156 C07:
        # upside down, 10 pt print 22 deep under grain 7 at 150 dpi, 19 words right of 758; through its grain,
        # turned, 659)
        if bands:  # OSD looks at the page whole
            straight.save(path)
        if turn := _sure_turn(path, plan.dpi):
            third, upright, skew, upright_path, upright_bands = _read_turned(
                plan, straight, angle, turn, scratch, read, f"{plan.other_way}-upright"
            )
            if _words_score(third) > _words_score(second):
                _remove_image(path, bands)
                second, straight, path, bands, angle, rotate = third, upright, upright_path, upright_bands, skew, turn
            else:
                _remove_image(upright_path, upright_bands)
    if _words_score(second) <= AGAIN_MARGIN * _words_score(first) or not _plausible_text(second):
        _remove_image(path, bands)
        return first
    _image_kept(plan, straight, path, bands, angle)
    if rotate:
        plan.orientation = rotate
    return second


def _plausible_text(reading: PageReading) -> bool:
    """Whether ``reading`` reads as text, not as the junk of grain or lines: MIN_LEXICON_SHARE of its words known
    syllables (in Vietnamese), or, too few words to weigh so, read with confidence LOW_CONFIDENCE or more. Read
    again another way, faint graph paper read as 22 junk words (confidence 43), against none (QA156 F2); an upside
    down page, gibberish that beat gibberish by its letters (QA156 F1)."""
    share = lexicon_share(reading.text()) if reads_vietnamese(reading.language) else None
    if share is not None:
        return share >= MIN_LEXICON_SHARE
    return reading.confidence is not None and reading.confidence >= confidence_bar(reads_vietnamese(reading.language))


def _read_image(
    plan: PagePlan,
    image: Image.Image,
    scratch: Path,
    read: Callable[[PagePlan, Path, list[PageBand], str], PageReading],
    how: str,
) -> PageReading:
    """The page read from ``image``, another image of it (``how`` it was made: its file's name), in bands as the
    page is, its files removed after."""
    image_path = scratch / f"{how}-{plan.number:04d}.pgm"
    reading, bands = _written_and_read(plan, image, image_path, read, f"-{how}")
    _remove_image(image_path, bands)
    return reading


def _unread_print(plan: PagePlan, reading: PageReading) -> float | None:
    """The share of the page's print (``plan.depth``) that ``reading`` left unread (``ocr.quality.unread_print``),
    weighed from ``_least_print``."""
    return unread_print(_ink(plan, PRINT_CONTRAST), _boxes(reading), plan.dpi, _least_print(plan))


def _doubtful_print(plan: PagePlan, reading: PageReading) -> float | None:
    """The share of the page's print (``plan.depth``) that ``reading`` covers only with words read in doubt
    (``ocr.quality.doubtful_print``), weighed from ``_least_print``."""
    words = (((word.left, word.top, word.width, word.height), word.confidence) for word in reading.words)
    return doubtful_print(_ink(plan, PRINT_CONTRAST), words, plan.dpi, _least_print(plan))


def _faint_print_unread(plan: PagePlan, reading: PageReading, *, weighed: bool = False) -> bool:
    """Whether ``reading`` left more than FAINT_REREAD of the page's print unread (``_unread_print``; ``weighed``:
    ``plan.unread_print`` is already its) — or of its print seen at FAINTER_CONTRAST, fainter (toner run very
    low): to be read again darkened. False where its ink is not found (``plan.depth``)."""
    if plan.depth is None:
        return False
    unread = plan.unread_print if weighed else _unread_print(plan, reading)
    if unread is not None and unread > FAINT_REREAD:
        return True
    fainter = unread_print(_ink(plan, FAINTER_CONTRAST), _boxes(reading), plan.dpi, _least_print(plan))
    return fainter is not None and fainter > FAINT_REREAD


def _ink(plan: PagePlan, contrast: int) -> np.ndarray:
    """Where the page has ink ``contrast`` grey levels or more under its paper (``plan.depth``)."""
    assert plan.depth is not None
    return plan.depth >= contrast


def _least_print(plan: PagePlan) -> float:
    """How much print the page needs to be weighed: MIN_PRINT_INCH2, or FAINT_PAGE_PRINT_INCH2 on a faint page."""
    return FAINT_PAGE_PRINT_INCH2 if plan.faint else MIN_PRINT_INCH2


_DEVICE_CMYK = "paints in DeviceCMYK without a matching output intent"


def no_cmyk_profile_problem() -> str:
    """Why a CMYK scan image stayed DeviceCMYK (``describe_scan_colours``), as one of the output's PDF/A problems."""
    return (
        "6.2.4.3: a CMYK scan image has no usable ICC profile of its own, and the CMYK profile that would describe "
        f"it, {CMYK_PROFILE} (Debian package libgs-common), is missing or unusable: it stays DeviceCMYK"
    )


@dataclass
class AssembledPdf:
    pdfa_problems: list[str]  # the PDF/A-2 rules the output breaks (sohoa.pdfa); [] when it claims PDF/A-2B
    input_signatures: int  # the input's signatures, not carried into the output (drop_signatures)
    notices: list[str]  # what the copy changed of the input, to be told (as ``input_notices``)


def assemble_pdf(
    source_pdf: Path,
    title: str,
    plans: list[PagePlan],
    readings: dict[int, PageReading],
    output_pdf: Path,
    *,
    from_images: bool = False,
    before_written: Callable[[], None] | None = None,
) -> AssembledPdf:
    """Write the searchable PDF; say whether it claims PDF/A-2B and what of the input it could not keep.

    The output is the source PDF itself with a text layer laid on each page that was read, not its pages copied
    into a new file: whatever else a born-digital input holds — form fields, bookmarks, links and named
    destinations, page labels, its tagged structure — stays where its pages are. It claims PDF/A-2B only when
    none of the rules sohoa checks is broken; a kept born-digital page with fonts not embedded, its own CMYK colours
    against the sRGB output intent or JavaScript makes it a plain PDF that says why, rather than a false claim.
    ``from_images``: ``source_pdf`` is ``image_to_pdf``'s, whose CMYK scan images stay DeviceCMYK (and so break
    PDF/A) only when no CMYK profile was found for them: said as one more problem. ``before_written``: asked once
    the copy is saved, before it takes ``output_pdf``'s place; what it raises leaves ``output_pdf`` as it was."""
    output_pdf.parent.mkdir(parents=True, exist_ok=True)
    with pikepdf.open(source_pdf) as out:
        font: pikepdf.Object | None = None  # one copy for all the pages
        layers: set[tuple[int, int]] = set()
        for page in out.pages:
            # every page's /Rotate written as pdfium (which rendered the pages read) shows it: a quarter turn past a
            # full one (450), a value that is no quarter (91, 45) or no number. Otherwise pdfminer and pdftotext
            # laid a read page's layer across it (QA101), poppler showed a 91 as 0 where pdfium turned it (QA102),
            # and a kept page's 91 lost the PDF/A claim, "not a multiple of 90" (QA103)
            if "/Rotate" in page.obj and page.obj.Rotate != (shown := shown_rotation(page.obj)):
                page.obj.Rotate = shown
        for plan in plans:
            reading = readings.get(plan.number)
            if reading is None:
                continue
            target = out.pages[plan.number - 1]
            # pdfium rendered the page as displayed, i.e. turned clockwise by its /Rotate (written so above)
            display_rotation = shown_rotation(target.obj)
            if plan.orientation:
                # read turned upright, and that reading kept: shown upright too, by /Rotate alone (the scan's
                # pixels untouched, as OCRmyPDF's --rotate-pages does); the layer lies on the ink either way
                target.obj.Rotate = (display_rotation + plan.orientation) % 360
            if not reading.words:
                continue  # a blank page: a layer without a word would only add the font (~0.7 KB) and a form
            font = font if font is not None else glyphless_font(out)
            # a page skewed DISPLAY_STRAIGHTENED_FROM or more is shown straightened, as it was read, its layer
            # level on it; a page less skewed is shown as scanned, its skew undone word by word inside the layer
            # (text_layer_content) — as is a page that draws text (a footer a PDF tool added to a scan is level,
            # and would be shown turned) or has annotations (links, fields: they would not turn with it). The
            # quarter turns and the page's /Rotate: by turning the whole layer
            paired = _balanced_contents(out, target)
            plan.shown_straightened = (
                abs(plan.skew) >= DISPLAY_STRAIGHTENED_FROM
                and plan.scan_only
                and paired
                and not _annotated(target)
                and not _ink_turned_off_the_page(source_pdf, plan.number - 1, plan.orientation, plan.skew)
            )
            skew = 0.0 if plan.shown_straightened else plan.skew
            layer = text_layer_form(out, reading.words, reading.width, reading.height, plan.dpi, font, skew=skew)
            layers.add(layer.objgen)
            straightened = plan.skew if plan.shown_straightened else 0.0
            overlay_text_layer(out, target, layer, -plan.orientation - display_rotation, straightened=straightened)
        shown_straightened = [plan.number for plan in plans if plan.shown_straightened]
        input_signatures = drop_signatures(out)
        drop_private_data(out)
        drop_unused_resources(out)
        compact_jpegs(out)
        compact_bilevel(out)
        with out.open_metadata(set_pikepdf_as_editor=False) as meta:
            carry_document_info(out, meta)
            meta["pdf:Producer"] = "sohoa (Tesseract OCR, pikepdf)"
            meta["xmp:CreatorTool"] = "sohoa"
            if not meta.get("dc:title"):  # an input's own title stays
                meta["dc:title"] = title
            made = datetime.now(UTC).replace(microsecond=0).isoformat()
            meta["xmp:ModifyDate"] = meta["xmp:MetadataDate"] = made  # this copy's
            if not meta.get("xmp:CreateDate"):  # the document's, where the input says it; else this copy's
                meta["xmp:CreateDate"] = made
            for key in (
                "xmp:Thumbnails",
                "{http://ns.adobe.com/xap/1.0/t/pg/}SwatchGroups",
                "{http://ns.adobe.com/xap/1.0/mm/}History",
            ):
                # an authoring tool's preview of the page, base64 JPEG in the XMP (Photoshop's: 20 KB, a quarter
                # of a gray scan's output), its colour palette (Illustrator's: 30 KB on a blank page, QA68), and
                # its log of the original's saves (xmpMM:History, ~0.4 KB an entry; no save it lists made this copy;
                # Illustrator's one entry kept blank.pdf's output above OCRmyPDF's, whose XMP is written anew): the
                # searchable copy shows the page itself, the original keeps them
                if key in meta:
                    del meta[key]
            for key in ("pdfaid:part", "pdfaid:conformance", "pdfaid:amd"):
                if key in meta:  # an input's own claim; made again below only if it holds for what is written
                    del meta[key]
        # an input's own PDF/A output intent is kept (and its colours checked against it); its PDF/X intent only
        # where its profile describes a colour the pages paint in (a press profile for DeviceCMYK)
        if output_intent_components(out) is None:
            drop_unused_press_intents(out, skip=frozenset(layers))
        added = add_pdfa_output_intent(out) if output_intent_components(out) is None else None
        share_identical_profiles(out)
        notices: list[str] = []
        if shown_straightened:
            pages = page_run(shown_straightened)
            notices.append(
                f"tr. {pages}: bản quét nằm lệch nên được hiển thị đã nắn thẳng (ảnh giữ nguyên từng điểm ảnh, chỉ vẽ "
                f"xoay) / p. {pages}: the scan lay askew and is shown straightened (its pixels as scanned, only drawn "
                "turned)"
            )
        try:
            # fonts a born-digital page names without embedding: their twins (PDF/A; the same widths, sohoa.font_twins)
            if twins := embed_font_twins(out, skip=frozenset(layers)):
                notices.append(twins_notice(twins))
            mend(out)
            # the text layers are sohoa's own (invisible text in an embedded font): not parsed again
            problems = document_problems(out, skip=frozenset(layers))
            if from_images and any(_DEVICE_CMYK in p for p in problems) and cmyk_scan_profile() is None:
                problems.append(no_cmyk_profile_problem())
        except (pikepdf.PdfError, ValueError, TypeError, AttributeError, KeyError, IndexError) as exc:
            # a malformed born-digital structure (a Rect of names, flags as a string): no claim, not a failure
            problems = [f"the PDF/A checks could not read this file's structure ({type(exc).__name__}: {exc})"[:300]]
        if not problems:
            with out.open_metadata(set_pikepdf_as_editor=False) as meta:
                meta["pdfaid:part"] = "2"
                meta["pdfaid:conformance"] = "B"
            # and a second validator's word, which checks what the rules do not (font programs, each XMP property)
            problems = second_opinion(out)
            if problems:
                with out.open_metadata(set_pikepdf_as_editor=False) as meta:
                    del meta["pdfaid:part"]
                    del meta["pdfaid:conformance"]
        if problems and added is not None:
            remove_output_intent(out, added)
        with atomic_path(output_pdf) as tmp:
            # the small objects (dictionaries, arrays) packed into Deflate-compressed object streams, with a
            # cross-reference stream, as OCRmyPDF writes its PDF/A: 0.2-6 KB smaller a file (a plain xref table
            # costs 20 bytes an object, their dictionaries uncompressed). PDF/A-2 allows both (ISO 19005-2 builds
            # on PDF 1.7; they came with PDF 1.5, and min_version keeps the header at 1.7 or above); streams, the
            # XMP among them, are never put in one, and qpdf leaves the XMP uncompressed (PDF/A: no /Filter).
            # pyHanko's incremental updates (signatures, timestamps) follow the file with cross-reference streams.
            # Not encrypted (PDF/A forbids it; pikepdf drops an owner-password-only input's encryption).
            out.save(tmp, **PDFA_SAVE_SETTINGS)  # type: ignore[arg-type]
            if before_written is not None:
                before_written()
    return AssembledPdf(pdfa_problems=problems, input_signatures=input_signatures, notices=notices)


def drop_unused_resources(pdf: pikepdf.Pdf) -> None:
    """Take out of each page's resources what its content does not use: an image replaced in an editor but still
    listed, a deleted page's image left in resources the pages share (QA116: the copy 1.84× and 1.29× the size of
    OCRmyPDF's, which does the same). Nothing shown changes; a page whose content cannot be parsed keeps all of its
    resources (qpdf's own rule)."""
    try:
        pdf.remove_unreferenced_resources()
    except pikepdf.PdfError as exc:  # a damaged content stream: the resources stay, the copy is made all the same
        log.debug("resources not pruned: %s", exc)


def drop_signatures(pdf: pikepdf.Pdf) -> int:
    """Take the input's signed signature fields (and their widgets, DocMDP/UR3 permissions and DSS) out of the
    searchable copy: writing the copy anew breaks them, and a broken signature in an archived document would read
    as tampering. The original, still signed, is archived beside it. Returns how many were taken out."""
    if "/Perms" in pdf.Root:  # DocMDP and UR3 (Reader's usage rights) are signatures too, broken by a rewrite
        del pdf.Root.Perms
    form = pdf.Root.get("/AcroForm")
    if not isinstance(form, pikepdf.Dictionary) or not isinstance(form.get("/Fields"), pikepdf.Array):
        return 0
    removed: set[tuple[int, int]] = set()  # signed fields and their widgets
    signed = 0

    def prune(fields: pikepdf.Object, inherited_type: object, depth: int) -> pikepdf.Array | None:
        """``fields`` without its signed signature fields, or None when it has none (left as it is)."""
        nonlocal signed
        kept, changed = pikepdf.Array(), False
        for node in fields if isinstance(fields, pikepdf.Array) else []:
            if not isinstance(node, pikepdf.Dictionary) or depth > 32:
                kept.append(node)
                continue
            field_type = node.get("/FT", inherited_type)
            if field_type == pikepdf.Name.Sig and "/V" in node:
                changed, signed = True, signed + 1
                pending: list[pikepdf.Object] = [node]
                while pending:
                    current = pending.pop()
                    if isinstance(current, pikepdf.Dictionary) and current.objgen not in removed:
                        removed.add(current.objgen)
                        pending.extend(current.get("/Kids", pikepdf.Array()))
                continue
            kids = prune(node.get("/Kids", pikepdf.Array()), field_type, depth + 1)
            if kids is not None:
                node.Kids, changed = kids, True
            kept.append(node)
        return kept if changed else None

    fields = prune(form.Fields, None, 0)
    if fields is None:
        return 0
    form.Fields = fields
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if isinstance(annots, pikepdf.Array):
            # (a direct annotation has objgen (0, 0), as a direct field would: only indirect ones are matched)
            page.obj.Annots = pikepdf.Array(a for a in annots if a.objgen == (0, 0) or a.objgen not in removed)
    still_signable = any(f.get("/FT") == pikepdf.Name.Sig for f in form.Fields if isinstance(f, pikepdf.Dictionary))
    if "/SigFlags" in form and not still_signable:
        del form.SigFlags
    if "/DSS" in pdf.Root:  # validation material for the signatures taken out
        del pdf.Root.DSS
    return signed


# The /Info entries that describe the document, and their XMP properties: the rest (/Producer, /Creator, /ModDate)
# are this copy's own
PDFA_STRING_BYTES = 32767  # the longest string PDF/A-2 allows (ISO 19005-2 6.1.13, its implementation limits)
_DOCUMENT_INFO = tuple(m for m in PdfMetadata.DOCINFO_MAPPING if m.name in ("/Title", "/Author", "/Subject",
                                                                           "/Keywords", "/CreationDate"))  # fmt: skip


def carry_document_info(pdf: pikepdf.Pdf, meta: PdfMetadata) -> None:
    """Copy into ``meta`` (``pdf``'s XMP, open) the entries of its /Info that describe the document — title,
    author, subject, keywords, creation date — where the XMP lacks them. As the XMP is closed pikepdf writes /Info
    from it, an entry without its XMP property deleted: the copy lost the title, author and dates that scanner
    software and Word write to /Info alone, and was titled with its file's name (QA148 F1; OCRmyPDF keeps them)."""
    info = pdf.trailer.get("/Info")
    if not isinstance(info, pikepdf.Dictionary):
        return
    missing = pikepdf.Dictionary()
    for mapping in _DOCUMENT_INFO:
        value = info.get(mapping.name)
        if f"{{{mapping.ns}}}{mapping.key}" in meta or not isinstance(value, pikepdf.String):
            continue
        said = str(value)
        # not an empty one (a title of spaces or an author of control bytes was the copy's title, its author,
        # not its file's name: QA150 F6), nor one longer than a PDF/A string may be, as pikepdf writes it back to
        # /Info (UTF-16: a 100,000-byte keywords entry cost the copy its claim, 6.1.13: QA150 F2); the original
        # keeps both
        shown = any(ch.isprintable() and not ch.isspace() for ch in said)  # (not spaces or control bytes alone)
        if shown and 2 + len(said.encode("utf-16-be")) <= PDFA_STRING_BYTES:
            missing[mapping.name] = value
    if missing.keys():
        # (an entry that cannot be read, a date not in PDF's form, is left out)
        meta.load_from_docinfo(missing, delete_missing=False, raise_failure=False)


def drop_private_data(pdf: pikepdf.Pdf) -> int:
    """Leave out of the searchable copy what no reader of it uses and the original keeps: an authoring tool's private
    data (``/PieceInfo`` of the catalog, the pages and their forms: Illustrator keeps its whole document there; Acrobat
    its search index, stale once the text changes) and the pages' ``/Thumb`` previews (viewers draw their own;
    OCRmyPDF drops both). QA68: OCRmyPDF's ``blank.pdf``, one blank Illustrator page, came out at 750,685 bytes —
    707 KB of them Illustrator's — against 4,671 for ``ocrmypdf --output-type pdfa``. Returns how many were dropped."""
    dropped = 0

    def drop(holder: pikepdf.Object, key: str) -> None:
        nonlocal dropped
        if isinstance(holder, pikepdf.Dictionary | pikepdf.Stream) and key in holder:
            del holder[key]
            dropped += 1

    drop(pdf.Root, "/PieceInfo")
    seen: set[tuple[int, int]] = set()
    for page in pdf.pages:
        drop(page.obj, "/PieceInfo")
        drop(page.obj, "/Thumb")
        pending = [page.obj.get("/Resources")]
        while pending:  # the forms the page draws, nested ones too, each once
            resources = pending.pop()
            xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
            for _, xobject in xobjects.items() if isinstance(xobjects, pikepdf.Dictionary) else []:
                if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != pikepdf.Name.Form:
                    continue
                if xobject.is_indirect and (xobject.objgen in seen or len(seen) > 10_000):
                    continue
                seen.add(xobject.objgen)
                drop(xobject, "/PieceInfo")
                pending.append(xobject.get("/Resources"))
    return dropped


# A page straightened this many degrees or more to be read is shown straightened too: its scan drawn turned by the
# skew (its pixels as they are), its text layer level on it. Shown as scanned, with each word put back where it
# lies and its letters level (``ocr.textlayer.text_layer_content``), the far words of a long line sat off their ink,
# at 5° on the next line's (QA129 F1: 17 % of the words), and pdfplumber printed each line's tail before its head.
# From 1° (every page straightened to be read, ``ocr.preprocess.MIN_SKEW``) since 2026-12-07, ninth session: 2°
# until then, and lines set solid on OCRmyPDF's skew.pdf (1.8°; 8.8 pt apart, their letters ~9 pt) ran into each
# other in pdfplumber, letter by letter ("¢ H Si E m L pl P e"; 1,869 "words" for 729), and so did page 5 of its
# multipage.pdf (1.95°) (QA164 F1); at 1.5° 15 of 128 words' boxes lay off their word (QA120)
DISPLAY_STRAIGHTENED_FROM = 1.0


def _annotated(page: pikepdf.Page) -> bool:
    """Whether ``page`` has annotations (an empty /Annots list, or one that is no list, shows none)."""
    annotations = page.obj.get("/Annots")
    return isinstance(annotations, pikepdf.Array) and len(annotations) > 0


# Letters of this many pixels at UNREAD_DPI (about one: QA131's lone "1" was 15) turned off the page keep a page
# shown as scanned
TURNED_OFF_INK = 10
# ... counted in marks at least this tall (a 6 pt digit's): a speck of dust on the glass, 1 mm, is not one (QA131)
TURNED_OFF_LETTER_INCH = 0.06
# ... this many grey levels under the paper around them: a fax header 21 levels under its paper, 15 or so once
# rendered at UNREAD_DPI, went off the page (QA131). On QA131's 59 pages skewed 2.5–6°, the turn is now refused
# for 4 that had nothing to lose (wood grain, 1 mm dust, a word already cut by the scan's edge) where it refused
# 22, and no page loses print (4 did)
TURNED_OFF_CONTRAST = 15


def _ink_turned_off_the_page(source_pdf: Path, index: int, orientation: int, skew: float) -> bool:
    """Whether turning page ``index`` of ``source_pdf`` by ``skew`` (counter-clockwise as shown, once turned upright
    by ``orientation``) would take print off the page: what lay level on the scan itself — a fax machine's header
    line along its top edge, a page number a scanner printed in a corner — turns askew with the page, and its ends
    leave it (QA130 F2: a fax's date, time and sender number, and its "Trang 1/3", were no longer shown)."""
    with open_pdf(source_pdf) as document:
        shown = document.render(index, scale=UNREAD_DPI / 72, grayscale=True, annotations=False)
    upright = shown.rotate(-orientation, expand=True) if orientation else shown
    # its letters, faint ones too, not a speck of dust nor the edge of the scanner's glass or its backing
    depth = print_depth(np.asarray(upright.convert("L")))
    letters = letter_marks(depth >= TURNED_OFF_CONTRAST, TURNED_OFF_LETTER_INCH)
    rows, columns = np.nonzero(letters)
    height, width = letters.shape
    theta = math.radians(skew)
    across, down = columns - width / 2, rows - height / 2
    # where each ink pixel goes when the page turns counter-clockwise on screen (y down), as PIL turns an image
    x = width / 2 + across * math.cos(theta) + down * math.sin(theta)
    y = height / 2 - across * math.sin(theta) + down * math.cos(theta)
    off = (x < 0) | (x >= width) | (y < 0) | (y >= height)
    return int(np.count_nonzero(off)) > TURNED_OFF_INK


def _balanced_contents(pdf: pikepdf.Pdf, page: pikepdf.Page) -> bool:
    """Make ``page``'s content save and restore the graphics state in pairs, as the text layer's wrapping needs: a
    ``q`` it leaves open is closed at its end, a ``Q`` that restores nothing is left out. A scan's page opened a
    ``q`` it never closed: the wrapping's own ``Q`` then closed it, and the straightening turn stayed in force over
    the text layer, every word off its ink (QA130 F1); an extra ``Q`` stopped poppler's text there (pdftotext: 10
    of 123 words). Viewers draw both, so do nothing else to the page; balanced content is left as it is.

    Whether the content pairs them now. Not when qpdf cannot parse it, nor when it holds an inline image and does
    not pair them: qpdf ends an inline image at the first "EI" its data holds, where viewers read it by its size,
    and written again the image was damaged (QA131) — such content is left as it is."""
    try:
        instructions = pikepdf.parse_content_stream(page)
    except pikepdf.PdfError:
        return False
    kept: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    depth = unmatched = 0
    for instruction in instructions:
        operator = str(instruction.operator)
        if operator == "q":
            depth += 1
        elif operator == "Q":
            if not depth:
                unmatched += 1
                continue
            depth -= 1
        kept.append(instruction)
    if not depth and not unmatched:
        return True
    if any(isinstance(instruction, pikepdf.ContentStreamInlineImage) for instruction in kept):
        return False
    kept.extend(pikepdf.ContentStreamInstruction([], pikepdf.Operator("Q")) for _ in range(depth))
    page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(kept))
    return True


def overlay_text_layer(
    pdf: pikepdf.Pdf, page: pikepdf.Page, layer: pikepdf.Stream, turned: float, *, straightened: float = 0.0
) -> None:
    """Lay the invisible text ``layer`` (a form the size of the image Tesseract read) over ``page``, undoing
    the turn that image went through.

    The layer is centred on the page's crop box, scaled to it (same resolution, so the scale is ~1) and turned by
    ``-turned`` degrees about the centre: an upright copy of a sideways page (90°, with width and height swapped)
    lands on the words of the original scan. (A deskewed copy's few degrees are undone word by word inside the
    layer, ``text_layer_content``, so that its letters stay level; a turn that is not a quarter also works.)

    ``straightened``: the page's own content is drawn turned that many degrees (counter-clockwise as shown)
    about the crop box's centre, as the image Tesseract read was straightened — the scan's pixels as they are, only
    drawn turned — and the layer, read from that straightened image, lies level on it.
    """
    name = page.add_resource(layer, pikepdf.Name.XObject, prefix="OCR")
    # the box Tesseract's image was rendered from (the crop box; an image page has only a media box): laid over
    # the media box, a cropped page's words lay off their ink (QA88)
    x0, y0, x1, y1 = shown_box(page)
    lx0, ly0, lx1, ly1 = (float(v) for v in layer.BBox)
    quarter_turns = round(turned / 90) % 2
    scale_x = (x1 - x0) / ((ly1 - ly0) if quarter_turns else (lx1 - lx0))
    scale_y = (y1 - y0) / ((lx1 - lx0) if quarter_turns else (ly1 - ly0))
    # PIL turned the image counter-clockwise by `turned` on screen; turn the text back the other way (PDF's
    # rotation is counter-clockwise on screen too, with y pointing up)
    theta = math.radians(-turned)
    cos, sin = math.cos(theta), math.sin(theta)
    centre_layer = pikepdf.Matrix(1, 0, 0, 1, -(lx0 + lx1) / 2, -(ly0 + ly1) / 2)
    # scale before turning, along the layer's own axes: x of a quarter-turned layer becomes the page's y
    scale = pikepdf.Matrix(scale_y if quarter_turns else scale_x, 0, 0, scale_x if quarter_turns else scale_y, 0, 0)
    turn = pikepdf.Matrix(cos, sin, -sin, cos, 0, 0)
    to_page = pikepdf.Matrix(1, 0, 0, 1, (x0 + x1) / 2, (y0 + y1) / 2)
    place = centre_layer @ scale @ turn @ to_page
    matrix = " ".join(f"{v:.6f}" for v in place.shorthand)
    # wrap the page's own content so that no graphics state it leaves behind can move the text layer (its q and Q
    # paired: _balanced_contents, before)
    opening = b"q\n"
    if straightened:
        # a turn on the page's own axes is the same turn as shown: /Rotate turns the whole page about its centre
        phi = math.radians(straightened)
        centre = ((x0 + x1) / 2, (y0 + y1) / 2)
        turn_page = (
            pikepdf.Matrix(1, 0, 0, 1, -centre[0], -centre[1])
            @ pikepdf.Matrix(math.cos(phi), math.sin(phi), -math.sin(phi), math.cos(phi), 0, 0)
            @ pikepdf.Matrix(1, 0, 0, 1, *centre)
        )
        opening = f"q {' '.join(f'{v:.6f}' for v in turn_page.shorthand)} cm\n".encode()
    page.contents_add(pdf.make_stream(opening), prepend=True)
    page.contents_add(pdf.make_stream(f"Q\nq {matrix} cm {name} Do Q\n".encode()), prepend=False)


@functools.cache
def _srgb_profile() -> bytes:
    # Pillow's LittleCMS builds the standard sRGB profile, so no ICC file has to ship with sohoa
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def add_pdfa_output_intent(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    """Add the PDF/A output intent that makes device colour spaces well defined: sRGB for scans; for an input
    that has an output intent of another kind (PDF/X: a press's CMYK profile) the same profile, since PDF/A
    allows several intents only if they share it (6.2.3) and that profile is what the input's colours mean."""
    others = [
        intent
        for intent in pdf.Root.get("/OutputIntents", [])
        if isinstance(intent, pikepdf.Dictionary) and isinstance(intent.get("/DestOutputProfile"), pikepdf.Stream)
    ]
    if len({other.DestOutputProfile.objgen for other in others}) == 1:
        model = others[0]
        profile = model.DestOutputProfile
        condition = model.get("/OutputConditionIdentifier", pikepdf.String("Custom"))
        info = model.get("/Info", condition)
    else:
        profile = pdf.make_stream(_srgb_profile())
        profile.N = 3
        condition = info = pikepdf.String("sRGB IEC61966-2.1")
    intent = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.OutputIntent,
            S=pikepdf.Name.GTS_PDFA1,
            OutputConditionIdentifier=condition,
            Info=info,
            DestOutputProfile=profile,
        )
    )
    if not isinstance(pdf.Root.get("/OutputIntents"), pikepdf.Array):
        pdf.Root.OutputIntents = pikepdf.Array()
    pdf.Root.OutputIntents.append(intent)
    return intent


# the XMP namespaces of a PDF/X identification (GTS_PDFXVersion: ISO 15930's own and Adobe's older one)
_PDFX_XMP_NAMESPACES = ("http://www.npes.org/pdfx/ns/id/", "http://ns.adobe.com/pdfx/1.3/")
_DEVICE_SPACE_OF = {3: "DeviceRGB", 4: "DeviceCMYK"}


def drop_unused_press_intents(pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]] = frozenset()) -> bool:
    """Take out the output intents (PDF/X's, a press's CMYK profile) of an input that has no PDF/A one when
    their profiles describe no colour its pages paint in, and with them its PDF/X identification
    (GTS_PDFXVersion / GTS_PDFXConformance in the document information and the XMP): the file is then no longer
    PDF/X, and does not say it is. True when it did.

    A CMYK profile describes DeviceCMYK, an RGB one DeviceRGB; DeviceGray, ICCBased and Lab colours are
    described whatever the intent (sRGB's, which ``add_pdfa_output_intent`` then adds). A page that paints
    DeviceCMYK (or names a space that falls back to it) keeps the press's profile, which is what its colours
    mean; a gray scan saved as PDF/X does not carry a 390 KB press profile for nothing (QA56: OCRmyPDF's output
    of ``francais.pdf`` was 6 times smaller). An intent without an embedded profile, or with a gray one, is
    taken for a press's and kept."""
    intents = pdf.Root.get("/OutputIntents")
    if not isinstance(intents, pikepdf.Array) or len(intents) == 0:
        return False
    described: set[str] = set()
    for intent in intents:
        profile = intent.get("/DestOutputProfile") if isinstance(intent, pikepdf.Dictionary) else None
        components = int(profile.get("/N", 0)) if isinstance(profile, pikepdf.Stream) else 0
        if components not in _DEVICE_SPACE_OF:
            return False
        described.add(_DEVICE_SPACE_OF[components])
    if described & painted_device_spaces(pdf, skip):
        return False
    del pdf.Root.OutputIntents
    info = pdf.trailer.get("/Info")
    if isinstance(info, pikepdf.Dictionary):
        for key in ("/GTS_PDFXVersion", "/GTS_PDFXConformance"):
            if key in info:
                del info[key]
    with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
        for key in list(meta):
            if key.startswith("{") and key[1 : key.index("}")] in _PDFX_XMP_NAMESPACES and "GTS_PDFX" in key:
                del meta[key]
    return True


def share_identical_profiles(pdf: pikepdf.Pdf) -> int:
    """Make the ICCBased colour spaces of the pages' resources and images (top level, as an authoring tool writes
    a DefaultCMYK or an image's profile) that hold a copy of the output intent's profile — the same bytes, the
    same dictionary — use the intent's stream itself: Photoshop's PDF/X writes its 390 KB press profile twice
    (QA56, ``cmyk.pdf``). The colours stay as they were. Returns how many colour spaces now share it."""
    intents = pdf.Root.get("/OutputIntents")
    profiles = [i.get("/DestOutputProfile") for i in intents] if isinstance(intents, pikepdf.Array) else []
    wanted = {_profile_key(p): p for p in profiles if isinstance(p, pikepdf.Stream)}
    if not wanted:
        return 0
    shared = 0
    spaces: list[pikepdf.Object | None] = []
    for page in pdf.pages:
        resources = page.obj.get("/Resources")
        if not isinstance(resources, pikepdf.Dictionary):
            continue
        for kind in ("/ColorSpace", "/XObject"):
            entries = resources.get(kind)
            for value in entries.values() if isinstance(entries, pikepdf.Dictionary) else []:
                spaces.append(value.get("/ColorSpace") if isinstance(value, pikepdf.Stream) else value)
    for space in spaces:
        if not isinstance(space, pikepdf.Array) or len(space) != 2 or space[0] != pikepdf.Name.ICCBased:
            continue
        profile = space[1]
        if not isinstance(profile, pikepdf.Stream) or any(profile.objgen == p.objgen for p in wanted.values()):
            continue
        model = wanted.get(_profile_key(profile))
        if model is not None:
            space[1] = model
            shared += 1
    return shared


def _profile_key(profile: pikepdf.Stream) -> tuple[str, bytes]:
    """What makes two ICC profile streams the same: their dictionaries but for /Length, and their stored bytes."""
    entries = {str(k): repr(v) for k, v in profile.items() if k != "/Length"}
    return repr(sorted(entries.items())), hashlib.sha256(profile.read_raw_bytes()).digest()


def remove_output_intent(pdf: pikepdf.Pdf, intent: pikepdf.Dictionary) -> None:
    kept = [other for other in pdf.Root.OutputIntents if other.objgen != intent.objgen]
    if kept:
        pdf.Root.OutputIntents = pikepdf.Array(kept)
    else:
        del pdf.Root.OutputIntents
