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
import shutil
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sohoa.fsutil import (
    NAME_MAX,
    atomic_path,
    atomic_write_text,
    escaped,
    file_lock,
    fit_name,
    work_lock_file,
)
from sohoa.record import StackOrigin

log = logging.getLogger("sohoa")

RENDER_DPI = 100  # enough for a separator sheet's QR code, cheap to render


def _is_separator(image: object, code: str) -> bool:
    import zxingcpp

    try:
        return any(barcode.text.strip() == code for barcode in zxingcpp.read_barcodes(image))
    except Exception:  # an unreadable page is not a separator
        return False


def _groups(separators: list[bool]) -> list[list[int]]:
    """The page indexes of each document between separator sheets; none when there is nothing to split: no
    separator at all, or nothing but separators (the pipeline then judges the file as it is)."""
    if not any(separators):
        return []
    groups: list[list[int]] = [[]]
    for index, is_separator in enumerate(separators):
        if is_separator:
            groups.append([])
        else:
            groups[-1].append(index)
    return [g for g in groups if g]


def only_separators(path: Path, code: str) -> bool:
    """Whether ``path`` (PDF, TIFF, or a single image) holds separator sheets and nothing else but blank pages (their
    backs, fed duplex; ``ocr.quality.blank_image``): a stack scanned with no document in it (the pile of separators
    fed by mistake). Renders every page: the pipeline asks only for a file on whose pages OCR found no text."""
    from PIL import Image, ImageSequence

    from ocr.quality import blank_image

    try:
        if path.suffix.lower() == ".pdf":
            from sohoa.pdfium import open_pdf

            with open_pdf(path) as pdf:
                pages = [pdf.render(i, scale=RENDER_DPI / 72, grayscale=True) for i in range(len(pdf))]
        else:
            with Image.open(path) as image:
                pages = [frame.convert("L") for frame in ImageSequence.Iterator(image)]
    except Exception:  # unreadable: not for this check to say
        return False
    separators = [_is_separator(page, code) for page in pages]
    dpis = [_frame_dpi(page) for page in pages]
    return any(separators) and all(
        separator or blank_image(page, dpi) for separator, page, dpi in zip(separators, pages, dpis, strict=True)
    )


def _frame_dpi(image: object) -> float:
    """The resolution ``only_separators`` saw a page at: a TIFF frame's own, a PDF page's ``RENDER_DPI``."""
    dpi = getattr(image, "info", {}).get("dpi")
    return float(dpi[0]) if dpi and float(dpi[0]) > 0 else RENDER_DPI


def _pdf_separators(path: Path, code: str) -> list[bool]:
    from sohoa.pdfium import open_pdf

    with open_pdf(path) as pdf:
        pages = len(pdf)
        if pages < 2:  # one page cannot be split into documents: no need to render it
            return [False] * pages
        return [_is_separator(pdf.render(index, scale=RENDER_DPI / 72, grayscale=True), code) for index in range(pages)]


@dataclass(frozen=True)
class BlankPart:
    """A run of pages between separator sheets with nothing on them (``ocr.quality.blank_image``): the back of a
    separator sheet in a duplex scan, not a document. Dropped as the separator is."""

    stack: str  # the stack as the log names it (``split_stack``'s ``shown``)
    part: int  # the number it would have had: the parts after it keep theirs
    pages: list[int]  # the stack's 1-based page numbers

    def what_en(self) -> str:
        return f"{pages_in_english(self.pages)} dropped: blank (the back of a separator sheet, fed duplex), no document"

    def what_vi(self) -> str:
        return f"bỏ {pages_in_vietnamese(self.pages)}: trang trắng (mặt sau tờ phân cách, quét hai mặt)"

    def english(self) -> str:
        return f"{self.stack}: {self.what_en()}"

    def vietnamese(self) -> str:
        return f"{self.stack}: {self.what_vi()}"


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
) -> list[Path]:
    """The documents of a scanned stack, split at separator pages; ``[path]`` when there is nothing to split.

    ``holder``: where the stack's folder is held (``stack_lock_file``, shared) for as long as its documents are
    used — a batch's, until it ends; without one, the caller owns the folder alone. ``shown``: the stack as the log
    names it (``flows.pipeline.as_dropped``: for the watcher, the file as dropped in the inbox, not its copy in
    ``claimed/``); default ``path``. Never raises for a bad file: a damaged or unsupported input is returned as it
    is, for the pipeline to quarantine with its reason.

    A part whose every page is blank (the back of a separator sheet in a duplex scan) is no document: it is left
    out, said in the log and added to ``dropped``; the other parts keep their numbers. A stack whose every part is
    blank (the separators alone, fed duplex) is returned whole, for the pipeline to refuse as only separators.
    """
    suffix = path.suffix.lower()
    if not code or suffix not in {".pdf", ".tif", ".tiff"}:
        return [path]
    shown = shown if shown is not None else str(path)
    try:
        if suffix == ".pdf":
            parts = _split_pdf(path, work_dir, code, holder, shown)
        else:
            parts = _split_tiff(path, work_dir, code, holder, shown)
    except Exception as exc:  # not a readable stack: let the pipeline judge the file itself
        # debug only: the pipeline quarantines a bad file with a reason of its own, which is what the officer reads
        log.debug("%s: not split (%s: %s)", shown, type(exc).__name__, exc)
        return [path]
    if parts == [path]:
        return parts
    blank = [part for part in parts if _blank_part(part)]
    if len(blank) == len(parts):
        log.info("%s: only separator sheets and their blank backs: not split after all, judged whole", shown)
        return [path]
    for part in blank:
        origin = stack_origin(part)
        assert origin is not None  # written beside every part
        said = BlankPart(stack=shown, part=origin.part, pages=origin.pages)
        log.info("%s: %s / %s", shown, said.what_vi(), said.what_en())
        if dropped is not None:
            dropped.append(said)
    return [part for part in parts if part not in blank]


def _blank_part(part: Path) -> bool:
    """Whether every page of a split document is blank (``ocr.quality.blank_image``), seen at ``RENDER_DPI``. A page
    whose image is damaged draws blank: such a part is kept, for the pipeline to quarantine with its reason."""
    from ocr import inspect_input
    from ocr.quality import blank_image
    from sohoa.errors import BadInputError
    from sohoa.pdfium import open_pdf

    try:
        with open_pdf(part) as pdf:
            for index in range(len(pdf)):  # most parts end at their first page: it has ink
                if not blank_image(pdf.render(index, scale=RENDER_DPI / 72, grayscale=True), RENDER_DPI):
                    return False
        inspect_input(part)
    except BadInputError:
        return False
    except Exception as exc:  # not for this check to judge
        log.debug("%s: not judged blank (%s: %s)", part, type(exc).__name__, exc)
        return False
    return True


STACKS_DIR = "stacks"


def stack_lock_file(folder: Path) -> Path:
    """The lock of a stack's folder ``WORK/stacks/<16 hex>``: held shared by each batch using its documents, taken
    exclusively (without waiting) to remove it — so a batch never removes the folder another live batch is reading
    (the same stack dropped twice), and a folder left by a killed batch is removed by the next one."""
    return work_lock_file(folder.parent.parent, f"stack-{folder.name}.lock")


def _out_dir(path: Path, work_dir: Path, holder: contextlib.ExitStack | None) -> tuple[Path, str]:
    """The stack's folder of split documents (held in ``holder`` before it is made), and the stack's SHA-256."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    folder = work_dir / STACKS_DIR / digest[:16]
    if holder is not None:
        holder.enter_context(file_lock(stack_lock_file(folder), shared=True))
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
        path=escaped(unicodedata.normalize("NFC", str(stack.resolve()))),  # UTF-8 text, see sohoa.fsutil
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


def _split_pdf(path: Path, work_dir: Path, code: str, holder: contextlib.ExitStack | None, shown: str) -> list[Path]:
    import pikepdf

    separators = _pdf_separators(path, code)
    groups = _groups(separators)
    if not groups:
        return [path]
    folder, digest = _out_dir(path, work_dir, holder)
    outputs = []
    with pikepdf.open(path) as source:
        for number, group in enumerate(groups, start=1):
            # a long name has no room for the suffix, nor for the origin's beside it
            target = folder / fit_name(path.name, f"#{number}.pdf", limit=NAME_MAX - len(ORIGIN_SUFFIX))
            with pikepdf.new() as part, atomic_path(target) as partial:
                # beside it and renamed: another batch with the same stack may be reading the file already there
                for index in group:
                    part.pages.append(source.pages[index])
                part.save(partial, deterministic_id=True)
            _remember_origin(target, path, digest, number, group)
            outputs.append(target)
    log.info("%s: split into %d document(s) at %d separator page(s)", shown, len(outputs), sum(separators))
    return outputs


def _split_tiff(path: Path, work_dir: Path, code: str, holder: contextlib.ExitStack | None, shown: str) -> list[Path]:
    import pikepdf
    from PIL import Image, ImageSequence

    from ocr.inputs import image_dpi

    separators: list[bool] = []
    dpis: list[int] = []
    with Image.open(path) as image:
        for frame in ImageSequence.Iterator(image):
            separators.append(_is_separator(frame.convert("L"), code))
            dpis.append(image_dpi(frame))
    groups = _groups(separators)
    if not groups:
        return [path]
    folder, digest = _out_dir(path, work_dir, holder)
    outputs = []
    with pikepdf.open(io.BytesIO(_tiff_as_pdf(path, dpis))) as source:
        for number, group in enumerate(groups, start=1):
            target = folder / fit_name(path.name, f"#{number}.pdf", limit=NAME_MAX - len(ORIGIN_SUFFIX))
            with pikepdf.new() as part, atomic_path(target) as partial:
                for index in group:
                    part.pages.append(source.pages[index])
                part.save(partial, deterministic_id=True)
            _remember_origin(target, path, digest, number, group)
            outputs.append(target)
    log.info("%s: split into %d document(s) at %d separator page(s)", shown, len(outputs), sum(separators))
    return outputs


def _tiff_as_pdf(path: Path, dpis: list[int]) -> bytes:
    """Every frame of the TIFF as a PDF page, made as the pipeline makes the pages of a TIFF that is not split
    (``ocr.pipeline.image_to_pdf``: a CCITT G4 frame's data wrapped as they are, any other frame losslessly, each
    page sized at its frame's resolution, a frame with an Orientation tag shown as Pillow decodes it, upright).
    The split documents are that PDF's pages: a G4 stack's parts used to be its frames re-encoded through PNG as
    Flate images (43 KB of G4 made 76 KB), and until the pipeline's own conversion was used here img2pdf turned a
    frame with an Orientation tag once more by /Rotate. A file that conversion refuses has its frames wrapped one
    by one as PNG, as before, for the pipeline to judge each document."""
    import tempfile

    import img2pdf
    from PIL import Image, ImageSequence

    from ocr.inputs import inspect_input
    from ocr.pipeline import image_to_pdf
    from sohoa.errors import BadInputError

    try:
        with tempfile.TemporaryDirectory(prefix="sohoa-stack-") as scratch:
            whole = Path(scratch) / "stack.pdf"
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
