"""Intake: scanned stacks with separator sheets.

An officer scans a pile of documents in one go, with a separator sheet (a page bearing a QR code or barcode whose
text is ``settings.separator_code``, ``SOHOA-SEPARATOR`` by default) between documents. ``split_stack`` finds
those pages and writes each document between them as its own lossless PDF (PDF pages copied as they are with
pikepdf; TIFF frames wrapped by img2pdf as an unsplit TIFF's are: CCITT G4 data as they are, other frames without
loss); the separator pages are dropped. The outputs
are byte-for-byte reproducible (no dates, deterministic IDs), so a rerun after a crash gives the same SHA-256
and the archive sees the same document again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import shutil
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw

from sohoa.fsutil import (
    NAME_MAX,
    ScratchFolder,
    atomic_path,
    atomic_write_text,
    escaped,
    file_lock,
    fit_name,
    said,
    work_lock_file,
)
from sohoa.libtiff_quiet import quiet_pillow_libtiff
from sohoa.record import StackOrigin

if TYPE_CHECKING:
    from sohoa.pdfium import RenderablePdf

log = logging.getLogger("sohoa")
quiet_pillow_libtiff()  # the stack is split with Pillow before the input check says what is wrong, in words

DEFAULT_CODE = "SOHOA-SEPARATOR"  # settings.separator_code's default: what the sheets printed before a change read
SCAN_DPI_CAP = 300  # a page is searched at its scan's own resolution, at most this (a 600 dpi scan: 300)
VECTOR_DPI = 200  # a page drawn without a scan image covering it (a separator sheet made as a PDF, text)
RETRY_DPIS = (200, 300)  # a page where a code was seen but not read is searched again at these too
BLANK_DPI = 100  # a PDF page is rendered at this to see whether it is blank (ocr.quality.blank_image)
BLANK_READ_DPI = 200  # and at this for Tesseract to read a page that looks blank before its part is dropped
SURE_FEW_WORDS = 75  # a word or two read with this confidence on such a page: "Trang 1" (82, 94), "page 2" (76, 76)
FEW_WORDS_AT_MOST = 4
SEPARATOR_INK_MM2 = 330  # ink outside the codes: separator sheets measured ≤ 265 mm², document pages ≥ 403 mm²


@dataclass(frozen=True)
class PageCodes:
    """What the search saw on one page: the texts of the codes it read, and the area in mm² that is dark outside
    them (its margins of 2.5 % aside: scanner shadows), measured only on a page bearing a wanted code."""

    texts: frozenset[str] = frozenset()
    ink: float = 0.0

    def bears(self, code: str) -> bool:
        return code in self.texts

    def is_separator(self, code: str) -> bool:
        """A separator sheet: the code, and at most a printed caption — not a page of text bearing the code."""
        return self.bears(code) and self.ink < SEPARATOR_INK_MM2

    def bears_default_only(self, code: str) -> bool:
        """The default separator text on a page, while the office has configured another one (a sheet printed
        before the change): not a separator, but the documents around it may be merged into one record."""
        return bool(code) and code != DEFAULT_CODE and self.bears(DEFAULT_CODE) and not self.bears(code)


def _read(image: Image.Image, dpi: float, wanted: Collection[str]) -> tuple[PageCodes, bool]:
    """The codes read on ``image`` and its ink outside them; and whether a code was seen that could not be read
    (a checksum or format error: worth another look at another resolution)."""
    import zxingcpp

    try:
        found = zxingcpp.read_barcodes(image, return_errors=True)
    except Exception:  # an unreadable page bears no code
        return PageCodes(), False
    # NFC, as the configured separator text is (sohoa.settings): a code's text is matched as the words it spells
    texts = frozenset(unicodedata.normalize("NFC", b.text.strip()) for b in found if b.valid)
    unread = any(not b.valid for b in found)
    if not texts & set(wanted):
        return PageCodes(texts), unread
    return PageCodes(texts, _ink_outside(image, found) * (25.4 / dpi) ** 2), unread


def _ink_outside(image: Image.Image, codes: Iterable[Any]) -> float:
    """How many pixels of ``image`` are darker than mid-grey outside the codes (each with a quarter of its size
    around it: quiet zone, skew) and a 2.5 % margin; counted at about 100 dpi for an A4 page, in ``image``'s pixels."""
    factor = max(1, image.width // 830)
    small = image.convert("L").reduce(factor) if factor > 1 else image.convert("L").copy()
    draw = ImageDraw.Draw(small)
    for code in codes:
        corners = code.position
        xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x, corners.bottom_right.x]
        ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y, corners.bottom_right.y]
        pad = 0.25 * max(max(xs) - min(xs), max(ys) - min(ys)) + 0.01 * image.width
        box = ((min(xs) - pad) / factor, (min(ys) - pad) / factor, (max(xs) + pad) / factor, (max(ys) + pad) / factor)
        draw.rectangle(box, fill=255)
    margin = round(0.025 * small.width)
    inner = small.crop((margin, margin, small.width - margin, small.height - margin))
    if inner.width <= 0 or inner.height <= 0:
        return 0.0
    return sum(inner.histogram()[:128]) * factor * factor


def _wanted(code: str) -> frozenset[str]:
    return frozenset({code, DEFAULT_CODE})


def _page_codes(image: Image.Image, code: str) -> PageCodes:
    """An image's codes (a TIFF frame: read at its full resolution)."""
    from ocr.inputs import image_dpi

    return _read(image, image_dpi(image), _wanted(code))[0]


def _pdf_page_codes(pdf: RenderablePdf, index: int, code: str, units: Mapping[int, float] | None = None) -> PageCodes:
    """Page ``index``'s codes, rendered at its scan's resolution (at most SCAN_DPI_CAP; until 2026-12 at 100 dpi,
    where a Code 128 label under ~100 mm wide or a 15 mm Micro QR code was never read), and again at RETRY_DPIS
    when a code was seen there but not read. ``units``: the pages' /UserUnit where not 1, by number (``_rendered``)."""
    from ocr.pipeline import _survey_dpi

    unit = (units or {}).get(index + 1, 1.0)
    dpi = min(SCAN_DPI_CAP, _survey_dpi(pdf.survey(index), VECTOR_DPI, unit)[0])
    wanted = _wanted(code)
    seen, unread = _read(_rendered(pdf, index, dpi, units), dpi, wanted)
    for retry in RETRY_DPIS if unread and not seen.texts & wanted else ():
        if retry == dpi:
            continue
        again, _ = _read(_rendered(pdf, index, retry, units), retry, wanted)
        if again.texts & wanted:
            return again
    return seen


def only_separators(path: Path, code: str) -> bool:
    """Whether ``path`` (PDF, TIFF, or a single image) holds separator sheets and nothing else but blank pages (their
    backs, fed duplex; ``ocr.quality.blank_image``): a stack scanned with no document in it (the pile of separators
    fed by mistake). Renders every page: the pipeline asks only for a file on whose pages OCR found no text."""
    from PIL import ImageSequence

    from ocr.inputs import image_dpi
    from ocr.quality import blank_image

    verdicts: list[tuple[bool, bool]] = []  # (a separator sheet, blank) for each page
    try:
        if path.suffix.lower() == ".pdf":
            from ocr.inputs import pdf_user_units
            from sohoa.pdfium import open_pdf

            units = pdf_user_units(path)
            with open_pdf(path) as pdf:
                for index in range(len(pdf)):
                    if _pdf_page_codes(pdf, index, code, units).is_separator(code):
                        verdicts.append((True, False))
                    else:
                        verdicts.append((False, blank_image(_rendered(pdf, index, BLANK_DPI, units), BLANK_DPI)))
        else:
            with Image.open(path) as image:
                for frame in ImageSequence.Iterator(image):
                    gray = frame.convert("L")
                    separator = _page_codes(gray, code).is_separator(code)
                    verdicts.append((separator, not separator and blank_image(gray, image_dpi(frame))))
    except Exception:  # unreadable: not for this check to say
        return False
    return any(separator for separator, _ in verdicts) and all(separator or blank for separator, blank in verdicts)


def _pdf_pages(path: Path, code: str) -> list[PageCodes]:
    from ocr.inputs import pdf_user_units
    from sohoa.pdfium import open_pdf

    with open_pdf(path) as pdf:
        pages = len(pdf)
        if pages < 2:  # one page cannot be split into documents: no need to render it
            return [PageCodes()] * pages
        units = pdf_user_units(path)
        return [_pdf_page_codes(pdf, index, code, units) for index in range(pages)]


def _groups(separators: list[bool], starts: Collection[int] = ()) -> list[list[int]]:
    """The page indexes of each document between separator sheets; none when there is nothing to split: no
    separator at all, or nothing but separators (the pipeline then judges the file as it is). A page in ``starts``
    (a page of text bearing the separator code) is kept, as the first page of a document."""
    if not any(separators) and not starts:
        return []
    groups: list[list[int]] = [[]]
    for index, is_separator in enumerate(separators):
        if is_separator:
            groups.append([])
        else:
            if index in starts and groups[-1]:
                groups.append([])
            groups[-1].append(index)
    groups = [g for g in groups if g]
    return groups if any(separators) or len(groups) > 1 else []


def _warn_about_codes(shown: str, pages: list[PageCodes], code: str, path: Path) -> None:
    """Say in the log which pages bear the separator code on a page of text (kept: see README), or the default
    separator text while another is configured (not split there: ``path`` is remembered as said, see
    ``default_code_said``)."""
    if any(page.bears_default_only(code) for page in pages):
        _said_default_code(path)
    for number, page in enumerate(pages, start=1):
        if page.bears(code) and not page.is_separator(code):
            log.warning(
                "%s: trang %d có mã tờ phân cách %r nhưng cũng có chữ (%.0f mm² mực bên cạnh mã, tờ phân cách có dưới "
                "%d): giữ làm trang đầu của một văn bản, không bỏ — hãy kiểm tra việc tách / page %d bears the "
                "separator code %r but also text (%.0f mm² of ink beside the code, a separator sheet has under %d): "
                "kept as the first page of a document, not dropped — check the split",
                shown,
                number,
                code,
                page.ink,
                SEPARATOR_INK_MM2,
                number,
                code,
                page.ink,
                SEPARATOR_INK_MM2,
            )
        elif page.bears_default_only(code):
            log.warning(
                "%s: trang %d có %r, chữ phân cách mặc định, nhưng mã phân cách đang dùng là %r: không tách tại đó — "
                "tờ phân cách in trước khi đổi mã? Các văn bản quanh nó có thể bị gộp làm một hồ sơ / page %d bears "
                "%r, the default separator text, but the separator code is %r: not split there — a separator sheet "
                "printed before the code was changed? The documents around it may be one record",
                shown,
                number,
                DEFAULT_CODE,
                code,
                number,
                DEFAULT_CODE,
                code,
            )


_DEFAULT_CODE_SEEN: dict[tuple[str, int, int], list[int]] = {}  # (file, size, mtime) → its pages, searched
_DEFAULT_CODE_SEEN_MAX = 4096
_DEFAULT_CODE_SAID: set[tuple[str, int, int]] = set()  # files whose default-code pages the split warned about


def _file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return str(path), stat.st_size, stat.st_mtime_ns


def _said_default_code(path: Path) -> None:
    if (key := _file_key(path)) is not None:
        if len(_DEFAULT_CODE_SAID) >= _DEFAULT_CODE_SEEN_MAX:
            _DEFAULT_CODE_SAID.clear()
        _DEFAULT_CODE_SAID.add(key)


def default_code_said(path: Path) -> bool:
    """Whether the split already warned, in this process, about the default separator text on pages of ``path`` (a
    stack or a document split from it): the pipeline then does not warn again (the same page was logged twice, in
    two wordings, until 2026-12-01), only puts the review reason on the record."""
    return (key := _file_key(path)) is not None and key in _DEFAULT_CODE_SAID


def _remember_default_code(path: Path, numbers: list[int]) -> None:
    """Which pages of ``path`` (a stack or a document split from it) bear the default separator text, as the search
    for separators found: ``default_code_pages`` need not render them again in this process."""
    if (key := _file_key(path)) is None:
        return
    if len(_DEFAULT_CODE_SEEN) >= _DEFAULT_CODE_SEEN_MAX:
        _DEFAULT_CODE_SEEN.clear()
    _DEFAULT_CODE_SEEN[key] = numbers


def default_code_pages(path: Path, code: str) -> list[int]:
    """The pages (from 1) of ``path`` bearing a code with the default separator text ``SOHOA-SEPARATOR`` while
    ``code``, another one, is configured: a separator sheet printed before the code was changed, not split at, so
    the documents around it may be one record. None when ``code`` is the default or empty (no search then)."""
    from PIL import ImageSequence

    if not code or code == DEFAULT_CODE:
        return []
    if (key := _file_key(path)) is not None and (seen := _DEFAULT_CODE_SEEN.get(key)) is not None:
        return seen
    try:
        if path.suffix.lower() == ".pdf":
            from ocr.inputs import pdf_user_units
            from sohoa.pdfium import open_pdf

            units = pdf_user_units(path)
            with open_pdf(path) as pdf:
                pages = [_pdf_page_codes(pdf, i, code, units) for i in range(len(pdf))]
        else:
            with Image.open(path) as image:
                pages = [_page_codes(frame.convert("L"), code) for frame in ImageSequence.Iterator(image)]
    except Exception:  # unreadable: not for this check to say
        return []
    return [number for number, page in enumerate(pages, start=1) if page.bears_default_only(code)]


# why a blank part is not a document, as every output says it (log, reasons, receipts, artifacts)
BLANK_BACK_VI = "trang trắng (mặt sau tờ phân cách, quét hai mặt)"
BLANK_BACK_EN = "blank (the back of a separator sheet, fed duplex)"


@dataclass(frozen=True)
class BlankPart:
    """A run of pages between separator sheets with nothing on them (``ocr.quality.blank_image``): the back of a
    separator sheet in a duplex scan, not a document. Dropped as the separator is."""

    stack: str  # the stack as the log names it (``split_stack``'s ``shown``)
    part: int  # the number it would have had: the parts after it keep theirs
    pages: list[int]  # the stack's 1-based page numbers
    # the stack as given, spelled as on disk (``in/A.pdf``; the watcher's: the file in its inbox), as --json's
    # ``files[].path`` names its documents (``in/A.pdf#2``): until QA93 absolute, as ``files[].stack.path``
    path: str = field(default="", compare=False)

    # the part's number said too: the documents after it keep theirs, and a table of "văn bản 1", "văn bản 3" sent
    # an officer looking for a document 2 that never was (QA93)
    def what_en(self) -> str:
        return (
            f"{pages_in_english(self.pages)} dropped: {BLANK_BACK_EN}, no document (document {self.part} of the "
            "split: the documents after it keep their numbers)"
        )

    def what_vi(self) -> str:
        return (
            f"bỏ {pages_in_vietnamese(self.pages)}: {BLANK_BACK_VI} (văn bản {self.part} khi tách: các văn bản sau "
            "giữ số của mình)"
        )

    def english(self) -> str:
        return f"{self.stack}: {self.what_en()}"

    def vietnamese(self) -> str:
        return f"{self.stack}: {self.what_vi()}"

    def summary(self) -> dict[str, Any]:
        """As ``process --json``'s and ``watch --json``'s ``dropped_pages`` and a watch receipt list it: ``stack``
        as given, as ``files[].path`` names the stack's documents (``in/A.pdf`` and ``in/A.pdf#3``), to join them
        by, and as it names a single file: one convention in one report (QA93 F5)."""
        return {
            "stack": escaped(self.path) if self.path else said(self.stack),  # a path: spelled as on disk, not NFC
            "part": self.part,
            "pages": self.pages,
            "reason": said(self.english()),
            "reason_vi": said(self.vietnamese()),
        }


def dropped_line(blank: Mapping[str, Any]) -> str:
    """A ``dropped_pages`` entry (``BlankPart.summary``) as one line, the stack named once: ``/…/s3.pdf: bỏ trang 3:
    … / page 3 dropped: …`` (it said the stack in each language's half)."""
    vi, en = str(blank.get("reason_vi") or ""), str(blank.get("reason") or "")
    common = 0
    while common < min(len(vi), len(en)) and vi[common] == en[common]:
        common += 1
    named = vi[:common].rfind(": ") + 2  # the stack's name and its ": ", said by both
    return f"{vi} / {en[named:]}" if named > 2 else f"{vi} / {en}"


def pages_in_english(pages: Sequence[int]) -> str:
    """``page 6``, ``pages 6, 7``."""
    return f"page {pages[0]}" if len(pages) == 1 else f"pages {', '.join(map(str, pages))}"


def pages_in_vietnamese(pages: Sequence[int]) -> str:
    """``trang 6``, ``trang 6, 7``."""
    return f"trang {', '.join(map(str, pages))}"


def split_stack(
    path: Path,
    work_dir: Path,
    code: str,
    holder: contextlib.ExitStack | None = None,
    shown: str | None = None,
    dropped: list[BlankPart] | None = None,
    folders: set[Path] | None = None,
) -> list[Path]:
    """The documents of a scanned stack, split at separator pages; ``[path]`` when there is nothing to split.

    ``holder``: where the stack's folder is held (``stack_lock_file``, shared) for as long as its documents are
    used — a batch's, until it ends; without one, the caller owns the folder alone. ``shown``: the stack as the log
    names it (``flows.pipeline.as_dropped``: for the watcher, the file as dropped in the inbox, not its copy in
    ``claimed/``); default ``path``. Never raises for a bad file: a damaged or unsupported input is returned as it
    is, for the pipeline to quarantine with its reason.

    A part whose every page is blank (the back of a separator sheet in a duplex scan) is no document: it is left
    out, said in the log and added to ``dropped``; the other parts keep their numbers. The log's split line counts
    the documents kept, and the blank parts apart. A stack whose every part is
    blank (the separators alone, fed duplex) is returned whole, for the pipeline to refuse as only separators.

    ``folders``: where the stack's folder (``WORK/stacks/<16 hex>``) is added as it is made, before parts are
    written in it — also when the stack is returned whole after all, or a stop ends the split — for the caller to
    remove when its batch ends (``holder`` holds it till then). Without ``holder`` the folder of a stack returned
    whole is removed here. Such a folder used to stay, and the next run warned it was "left by an interrupted run"
    (QA).
    """
    suffix = path.suffix.lower()
    if not code or suffix not in {".pdf", ".tif", ".tiff"}:
        return [path]
    shown = shown if shown is not None else str(path)
    backs: list[tuple[int, list[int]]] = []  # (part, stack pages): separators' blank backs leading a part
    try:
        pages, open_pages = (_pdf_stack if suffix == ".pdf" else _tiff_stack)(path, code)
        parts = _split(path, pages, open_pages, work_dir, code, holder, shown, backs, folders)
        separators = sum(page.is_separator(code) for page in pages)
        kept = sum(page.bears(code) and not page.is_separator(code) for page in pages)
    except Exception as exc:  # not a readable stack: let the pipeline judge the file itself
        # debug only: the pipeline quarantines a bad file with a reason of its own, which is what the officer reads
        log.debug("%s: not split (%s: %s)", shown, type(exc).__name__, exc)
        _whole_after_all(path, work_dir, holder, folders)  # parts may have been written before the fault
        return [path]
    if parts == [path]:
        return parts
    if folders is not None:
        folders.update(part.parent for part in parts)
    blank = [part for part in parts if _blank_part(part)]
    if len(blank) == len(parts):
        log.info(
            "%s: chỉ có tờ phân cách và mặt sau trắng của chúng: không tách, xử lý nguyên tệp / only separator sheets "
            "and their blank backs: not split after all, judged whole",
            shown,
        )
        _whole_after_all(path, work_dir, holder, folders)
        return [path]
    # as given (``in/A.pdf``), as --json names its documents and every single file (QA93 F5), spelled as on disk
    stack_path = escaped(str(path))
    gone = [BlankPart(stack=shown, part=number, pages=pages, path=stack_path) for number, pages in backs]
    for part in blank:
        origin = stack_origin(part)
        assert origin is not None  # written beside every part
        gone.append(BlankPart(stack=shown, part=origin.part, pages=origin.pages, path=stack_path))
    documents = [part for part in parts if part not in blank]
    # the documents kept: a blank part is none (QA93 F6: "split into 4 documents", 3 records made), said after them
    log.info(
        "%s: đã tách thành %d văn bản tại %d tờ phân cách%s%s / split into %d document(s) at %d separator page(s)%s%s",
        shown,
        len(documents),
        separators,
        f" và trước {kept} trang có chữ mang mã phân cách, giữ lại các trang đó" if kept else "",
        f"; bỏ {len(blank)} phần trắng giữa các tờ phân cách (dưới đây)" if blank else "",
        len(documents),
        separators,
        f" and before {kept} page(s) of text bearing the separator code, kept" if kept else "",
        f"; {len(blank)} blank part(s) between separators dropped (below)" if blank else "",
    )
    for blank_back in sorted(gone, key=lambda blank_part: blank_part.pages):
        log.info("%s: %s / %s", shown, blank_back.what_vi(), blank_back.what_en())
        if dropped is not None:
            dropped.append(blank_back)
    return documents


def _whole_after_all(
    path: Path, work_dir: Path, holder: contextlib.ExitStack | None, folders: set[Path] | None
) -> None:
    """A stack returned whole after its parts may have been written: its folder, if made, goes to ``folders`` (the
    caller removes it when its batch ends) or, without ``holder``, is removed now (unless a live batch holds it)."""
    try:
        folder = work_dir / STACKS_DIR / hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return
    if not folder.is_dir():
        return
    if folders is not None:
        folders.add(folder)
    elif holder is None:
        remove_stack_folder(folder)


def _rendered(pdf: RenderablePdf, index: int, dpi: int, units: Mapping[int, float] | None = None) -> Image.Image:
    """Page ``index`` in grey at ``dpi`` as the page is read (``ocr.pipeline._covering_dpi``): on a page whose box
    units are larger than a point (/UserUnit: ``units``, the pages' where not 1, by number, as
    ``ocr.inputs.pdf_user_units`` gives them) and whose scan is finer than the reading cap per unit inch, per inch as
    printed. Rendered per unit inch, a scan in units of 10 pt was seen at a tenth of ``dpi``: its separator sheets'
    codes were not read, and a page of 257 words was dropped as the blank back of a separator sheet (QA132). A page
    made large by its units (a poster) is rendered per unit inch, as it is read."""
    from ocr.pipeline import _survey_dpi

    per_unit_inch = 1.0
    if (unit := (units or {}).get(index + 1, 1.0)) != 1:
        read, render = _survey_dpi(pdf.survey(index), VECTOR_DPI, unit)
        per_unit_inch = render / read
    return pdf.render(index, scale=dpi * per_unit_inch / 72, grayscale=True)


def _blank_part(part: Path) -> bool:
    """Whether every page of a split document is blank (``ocr.quality.blank_image``), seen at ``BLANK_DPI``. A page
    whose image is damaged draws blank: such a part is kept, for the pipeline to quarantine with its reason."""
    from ocr import inspect_input
    from ocr.inputs import pdf_user_units
    from ocr.quality import blank_image
    from sohoa.errors import BadInputError
    from sohoa.pdfium import open_pdf

    try:
        units = pdf_user_units(part)
        with open_pdf(part) as pdf:
            for index in range(len(pdf)):  # most parts end at their first page: it has ink
                if not blank_image(_rendered(pdf, index, BLANK_DPI, units), BLANK_DPI):
                    return False
            # never dropped unread: a faint note (grey ink, thin strokes) passes the ink test as blank, and a page
            # alone between two separators was dropped without a word of it archived (QA); Tesseract reads each
            # page that looks blank (~0.3 s with its paper whitened; a duplex stack's separator backs only), and a
            # page it reads as text of good quality is a document. Show-through reads as nonsense: still blank.
            for index in range(len(pdf)):
                if _reads_as_text(_rendered(pdf, index, BLANK_READ_DPI, units)):
                    return False
        inspect_input(part)
    except BadInputError:
        return False
    except Exception as exc:  # not for this check to judge
        log.debug("%s: not judged blank (%s: %s)", part, type(exc).__name__, exc)
        return False
    return True


def _reads_as_text(page: Image.Image) -> bool:
    """Whether ``page`` (rendered at BLANK_READ_DPI) is a page of text to keep: Tesseract reads it as text of good
    quality (``page_quality``), or reads a page number on it (``_page_number_read``) — or it has faint print
    (``ocr.pipeline.faint_print_seen``) that it reads badly, and that is not show-through from the other side of the
    sheet, which reads well mirrored (``ocr.quality.reads_as_show_through``). A faded receipt fed upside down or
    crooked reads as nothing either way, and is kept, for the pipeline to turn and read and a person to look at
    (QA111: it was dropped as a separator's back)."""
    from ocr.pipeline import faint_print_seen
    from ocr.preprocess import paper_whitened, specks_whitened
    from ocr.quality import GOOD, own_print_runs, reads_as_show_through, words_quality
    from sohoa.record import has_text

    # not Otsu's threshold in the paper's grain: ~2 s of Tesseract less on an A4 back; faint print darkened, as
    # ocr.pipeline reads it (whitened, a faded receipt pasted on a sheet turned into a grey block and read as nothing)
    seen = faint_print_seen(page, BLANK_READ_DPI)
    if seen.unread_lines:  # paper, as ocr.pipeline reads such a page
        return False
    faint = seen.darkened is not None
    # (its grain's specks too, as ocr.pipeline reads a blank page: QA154 F6)
    page = seen.darkened if seen.darkened is not None else specks_whitened(paper_whitened(page))
    words = _words_read(page)
    if has_text([text for text, _ in words]) and words_quality(words) == GOOD:
        return True
    if _page_number_read(words):
        # a page of a document (its last, or one with only its number), no separator's back: kept, and the pipeline
        # says what was read on it (QA156 F6: "Trang 1" alone between separators was dropped as a separator's back)
        return True
    if not faint:
        return False
    flips = (Image.Transpose.FLIP_LEFT_RIGHT, Image.Transpose.FLIP_TOP_BOTTOM)
    if not any(reads_as_show_through(words, _words_read(page.transpose(flip))) for flip in flips):
        return True
    # show-through, unless a note is written over it: its own lines, as ocr.pipeline keeps them (a faint note on
    # the back of a printed sheet, alone between two separators, was dropped as a separator's back)
    return any(own_print_runs(line) for line in _lines_read(page))


def _page_number_read(words: list[tuple[str, float]]) -> bool:
    """Whether ``words``, read on a page that looks blank, are a page number: "Trang 1", "page 2", "- 3 -", "12",
    "2/15" — every word read (specks left out) a number (``PAGE_NUMBER``) or the word for a page
    (``PAGE_WORD``), at most FEW_WORDS_AT_MOST of them, and a number read with SURE_FEW_WORDS or more. Show-through
    reads as junk: as many words, some of them sure (QA150's show30: "IỘH" 88, "AÓH" 86, "YÙ" 92 among 40), or a
    few with a digit in them (QA158 F1: a separator's title "PHÂN CÁCH 01" through its back, "†0" 89, "HĐÀ2" 81:
    taken for a page number by a first version, which kept two such backs as documents, archived)."""
    from sohoa.record import few_words_read

    said = [(text, confidence) for text, confidence in words if few_words_read(text)]
    if not 0 < len(said) <= FEW_WORDS_AT_MOST:
        return False
    if not all(PAGE_NUMBER.fullmatch(text) or PAGE_WORD.fullmatch(text) for text, _ in said):
        return False
    return any(PAGE_NUMBER.fullmatch(text) and confidence >= SURE_FEW_WORDS for text, confidence in said)


PAGE_NUMBER = re.compile(r"[-–—(\[]*\d{1,4}(?:/\d{1,4})?[-–—.)\]]*")
PAGE_WORD = re.compile(r"[-–—]*(?:trang|tr\.?|page|p\.?)[:.]?", re.IGNORECASE)


def _words_read(page: Image.Image) -> list[tuple[str, float]]:
    """The words Tesseract reads on ``page`` (at BLANK_READ_DPI), each as (text, confidence)."""
    return [word for line in _lines_read(page) for word in line]


def _lines_read(page: Image.Image) -> list[list[tuple[str, float]]]:
    """The lines Tesseract reads on ``page`` (at BLANK_READ_DPI), each its words' (text, confidence), in order."""
    import pytesseract

    from ocr.slots import tesseract_slot

    with tesseract_slot():  # the host-wide bound on Tesseract processes
        data = pytesseract.image_to_data(
            page,
            lang="vie",
            config=f"--psm 3 --dpi {BLANK_READ_DPI}",
            output_type=pytesseract.Output.DICT,
        )
    lines: dict[tuple[int, int, int], list[tuple[str, float]]] = {}
    for text, confidence, block, paragraph, line in zip(
        data["text"], data["conf"], data["block_num"], data["par_num"], data["line_num"], strict=True
    ):
        if text.strip() and float(confidence) >= 0:
            lines.setdefault((block, paragraph, line), []).append((text, float(confidence)))
    return list(lines.values())


STACKS_DIR = "stacks"


def stack_lock_file(folder: Path) -> Path:
    """The lock of a stack's folder ``WORK/stacks/<16 hex>``: held shared by each batch using its documents, taken
    exclusively (without waiting) to remove it — so a batch never removes the folder another live batch is reading
    (the same stack dropped twice), and a folder left by a killed batch is removed by the next one."""
    return work_lock_file(folder.parent.parent, f"stack-{folder.name}.lock")


def _out_dir(
    path: Path, work_dir: Path, holder: contextlib.ExitStack | None, folders: set[Path] | None = None
) -> tuple[Path, str]:
    """The stack's folder of split documents (held in ``holder`` before it is made, and added to ``folders`` — for
    the batch to remove as it ends, however it ends — before it is made), and the stack's SHA-256."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = work_dir / STACKS_DIR / digest[:16]
    if holder is not None:
        holder.enter_context(file_lock(stack_lock_file(folder), shared=True))
    if folders is not None:
        # before anything is written in it: a second Ctrl-C landing in the clean-up of a stop mid-split left it, half
        # written (QA143 F4)
        folders.add(folder)
    folder.mkdir(parents=True, exist_ok=True)
    return folder, digest


def remove_stack_folder(folder: Path) -> bool:
    """Remove a stack's folder unless a live batch holds it (see ``stack_lock_file``); whether it was removed."""
    with file_lock(stack_lock_file(folder), wait=False) as unused:
        if unused:
            shutil.rmtree(folder, ignore_errors=True)
        return unused


def remove_stack_leftovers(work_dir: Path) -> list[Path]:
    """The stack folders that batches killed before their end left in ``WORK/stacks/``, removed; those that a live
    batch holds stay."""
    stacks = work_dir / STACKS_DIR
    if not stacks.is_dir():
        return []
    return [folder for folder in sorted(stacks.iterdir()) if folder.is_dir() and remove_stack_folder(folder)]


ORIGIN_SUFFIX = ".origin.json"


def _remember_origin(part: Path, stack: Path, digest: str, number: int, pages: list[int]) -> None:
    """Beside a split document, where it came from: its record names the stack the officer dropped, not this
    scratch file (which goes when the batch ends). A file, not memory: a Dask worker on another host ingests it."""
    origin = StackOrigin(
        # as the file system spells it (an NFD name stays NFD: an NFC copy of it opens nothing, QA93 F4); UTF-8 text
        # with a name's bytes that are not UTF-8 as \xNN, see sohoa.fsutil
        path=escaped(str(stack.resolve())),
        sha256=digest,
        part=number,
        pages=[index + 1 for index in pages],
    )
    atomic_write_text(part.with_name(part.name + ORIGIN_SUFFIX), origin.model_dump_json())


def stack_origin(document: Path) -> StackOrigin | None:
    """The stack ``document`` was split from, or None for a file as dropped."""
    try:
        raw = document.with_name(document.name + ORIGIN_SUFFIX).read_text(encoding="utf-8")
    except OSError:
        return None
    return StackOrigin.model_validate_json(raw)


def _pdf_stack(path: Path, code: str) -> tuple[list[PageCodes], Callable[[], Any]]:
    """A PDF stack's page codes, and how to open its pages (pikepdf)."""
    import pikepdf

    return _pdf_pages(path, code), lambda: pikepdf.open(path)


def _tiff_stack(path: Path, code: str) -> tuple[list[PageCodes], Callable[[], Any]]:
    """A multi-page TIFF stack's page codes, and how to open its frames as PDF pages (pikepdf)."""
    import pikepdf
    from PIL import ImageSequence

    from ocr.inputs import image_dpi

    pages: list[PageCodes] = []
    dpis: list[int] = []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            pages.append(_page_codes(frame.convert("L"), code))
            dpis.append(image_dpi(frame))

    def as_pdf() -> pikepdf.Pdf:
        return pikepdf.open(io.BytesIO(_tiff_as_pdf(path, dpis)))

    return pages, as_pdf


def _split(
    path: Path,
    pages: list[PageCodes],
    open_pages: Callable[[], Any],
    work_dir: Path,
    code: str,
    holder: contextlib.ExitStack | None,
    shown: str,
    backs: list[tuple[int, list[int]]],
    folders: set[Path] | None = None,
) -> list[Path]:
    """The documents of a stack whose pages' codes are ``pages``, each a PDF of the pages ``open_pages`` gives (a
    pikepdf PDF, one page per stack page), or ``[path]`` when there is nothing to split. A document right after a
    separator sheet that begins with blank pages (``_leading_blank_pages``) begins after them: the separator's
    back, fed duplex — each such run added to ``backs`` (its part's number, its stack pages)."""

    _warn_about_codes(shown, pages, code, path)
    separators = [page.is_separator(code) for page in pages]
    groups = _groups(separators, {index for index, page in enumerate(pages) if page.bears(code)})
    if not groups:
        if len(pages) > 1:  # searched
            _remember_default_code(path, [n for n, page in enumerate(pages, start=1) if page.bears_default_only(code)])
        return [path]
    folder, digest = _out_dir(path, work_dir, holder, folders)
    outputs = []
    with open_pages() as source:
        for number, group in enumerate(groups, start=1):
            # a long name has no room for the suffix, nor for the origin's beside it
            target = folder / fit_name(path.name, f"#{number}.pdf", limit=NAME_MAX - len(ORIGIN_SUFFIX))
            with atomic_path(target) as partial:
                # beside it and renamed: another batch with the same stack may be reading the file already there
                _write_part(source, group, partial)
                after_separator = group[0] > 0 and separators[group[0] - 1]
                if after_separator and (back := _leading_blank_pages(partial)):
                    # QA77: a duplex stack's separator back was page 1 of the next document, signed and archived
                    backs.append((number, [index + 1 for index in group[:back]]))
                    group = group[back:]
                    _write_part(source, group, partial)
            _remember_origin(target, path, digest, number, group)
            _remember_default_code(
                target, [n for n, i in enumerate(group, start=1) if pages[i].bears_default_only(code)]
            )
            if any(pages[i].bears_default_only(code) for i in group):
                _said_default_code(target)
            outputs.append(target)
    return outputs  # said by split_stack, once it knows which of them are blank


def _write_part(source: Any, group: list[int], target: Path) -> None:
    """The pages ``group`` (indexes) of ``source`` (pikepdf) as the PDF ``target``."""
    import pikepdf

    with pikepdf.new() as part:
        for index in group:
            part.pages.append(source.pages[index])
        part.save(target, deterministic_id=True)


def _leading_blank_pages(part: Path) -> int:
    """How many pages the split document ``part`` begins with that are blank (as ``_blank_part`` judges a page:
    no ink, and nothing Tesseract reads as text) — 0 when every page is blank (the whole part is then dropped as a
    separator's back, or judged by the pipeline) or when the part cannot be read here."""
    from ocr.quality import blank_image
    from sohoa.pdfium import open_pdf

    try:
        with open_pdf(part) as pdf:
            count = len(pdf)
            blank = 0
            while blank < count and blank_image(pdf.render(blank, scale=BLANK_DPI / 72, grayscale=True), BLANK_DPI):
                if _reads_as_text(pdf.render(blank, scale=BLANK_READ_DPI / 72, grayscale=True)):
                    break
                blank += 1
    except Exception as exc:  # not for this check to judge
        log.debug("%s: leading blank pages not judged (%s: %s)", part, type(exc).__name__, exc)
        return 0
    return blank if blank < count else 0


def _tiff_as_pdf(path: Path, dpis: list[int]) -> bytes:
    """Every frame of the TIFF as a PDF page, made as the pipeline makes the pages of a TIFF that is not split
    (``ocr.pipeline.image_to_pdf``: a CCITT G4 frame's data wrapped as they are, any other frame losslessly, each
    page sized at its frame's resolution, a frame with an Orientation tag shown as Pillow decodes it, upright).
    The split documents are that PDF's pages: a G4 stack's parts used to be its frames re-encoded through PNG as
    Flate images (43 KB of G4 made 76 KB), and until the pipeline's own conversion was used here img2pdf turned a
    frame with an Orientation tag once more by /Rotate. A file that conversion refuses has its frames wrapped one
    by one as PNG, as before, for the pipeline to judge each document."""
    import img2pdf
    from PIL import Image, ImageSequence

    from ocr.inputs import inspect_input
    from ocr.pipeline import image_to_pdf
    from sohoa.errors import BadInputError

    try:
        with ScratchFolder("sohoa-stack-") as scratch:
            whole = scratch / "stack.pdf"
            image_to_pdf(inspect_input(path), whole)
            return whole.read_bytes()
    except (BadInputError, OSError, ValueError) as exc:
        log.debug("%s: frames wrapped one by one (%s: %s)", path, type(exc).__name__, exc)
    frames = []
    with Image.open(path) as image:
        for frame, dpi in zip(ImageSequence.Iterator(image), dpis, strict=False):
            buffer = io.BytesIO()
            frame.copy().save(buffer, format="PNG", dpi=(dpi, dpi))
            frames.append(buffer.getvalue())
    converted: bytes = img2pdf.convert(frames, nodate=True)
    return converted
