"""One Tesseract run on one page image: a one-page PDF (image + invisible text, or text only) and the words.

Tesseract is always given a file path and an explicit ``--dpi``: handing pytesseract a PIL image drops the
resolution and re-encodes JPEG, which measurably ruins accuracy (MEASURED.md). One run writes both the PDF and
the TSV so the page is read once.
"""

from __future__ import annotations

import dataclasses
import functools
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf
import pytesseract
from pytesseract.pytesseract import run_tesseract

from ocr.hooktone import fix_hook_tones
from sohoa.errors import BadInputError, Problem, StageError


@dataclass(frozen=True)
class Word:
    text: str
    confidence: float
    left: int
    top: int
    width: int
    height: int
    block: int
    paragraph: int
    line: int


@dataclass
class PageReading:
    """What Tesseract read on one page."""

    pdf_path: Path
    words: list[Word] = field(default_factory=list)

    @property
    def confidence(self) -> float | None:
        scored = [w.confidence for w in self.words]
        return round(sum(scored) / len(scored), 2) if scored else None

    def text(self) -> str:
        """Lines in Tesseract's reading order; blocks separated by a blank line."""
        lines: list[str] = []
        current: tuple[int, int, int] | None = None
        current_block: int | None = None
        line_words: list[str] = []
        for word in self.words:
            key = (word.block, word.paragraph, word.line)
            if key != current:
                if line_words:
                    lines.append(" ".join(line_words))
                if current_block is not None and word.block != current_block:
                    lines.append("")
                line_words = []
                current = key
                current_block = word.block
            line_words.append(word.text)
        if line_words:
            lines.append(" ".join(line_words))
        return "\n".join(lines)


@functools.cache
def tesseract_version() -> str:
    try:
        return f"tesseract {pytesseract.get_tesseract_version()}"
    except pytesseract.TesseractNotFoundError as exc:
        raise StageError("Tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-vie)") from exc


@functools.cache  # once per process, not a Tesseract start per document (a batch ran 114 of them)
def check_language(language: str, tessdata_dir: Path | None = None) -> None:
    config = f'--tessdata-dir "{tessdata_dir}"' if tessdata_dir else ""
    available = set(pytesseract.get_languages(config=config))
    missing = [lang for lang in language.split("+") if lang not in available]
    if missing:
        raise StageError(
            f"Tesseract language data missing: {', '.join(missing)} (have: {', '.join(sorted(available))}); "
            "install tesseract-ocr-vie or set SOHOA_TESSDATA_DIR"
        )


def read_page(
    image_path: Path,
    out_base: Path,
    *,
    dpi: int,
    language: str = "vie",
    text_only_pdf: bool = False,
    psm: int = 3,
    tessdata_dir: Path | None = None,
    timeout: int = 600,
    source: Path | None = None,
) -> PageReading:
    """OCR one page image into ``out_base.pdf`` and return its words.

    ``text_only_pdf`` makes Tesseract write only the invisible text layer (to be laid over an existing PDF
    page); otherwise the PDF page carries the image itself.
    """
    # Tesseract's own OpenMP threads make a page ~2.5x slower on 2 cores; we parallelise across pages instead.
    os.environ["OMP_THREAD_LIMIT"] = "1"
    config = f"--psm {psm} --dpi {dpi} -c tessedit_create_tsv=1 -c textonly_pdf={int(text_only_pdf)}"
    if tessdata_dir:
        config = f'--tessdata-dir "{tessdata_dir}" {config}'
    try:
        run_tesseract(str(image_path), str(out_base), extension="pdf", lang=language, config=config, timeout=timeout)
    except pytesseract.TesseractError as exc:
        # the language data was checked before: a failure now is about this page's image
        raise BadInputError(source or image_path, Problem.OCR_FAILED, str(exc.message).strip()[:200]) from exc
    except RuntimeError as exc:  # pytesseract's timeout
        raise StageError(f"{image_path.name}: Tesseract timed out after {timeout}s") from exc
    words = parse_tsv(out_base.with_suffix(".tsv").read_text(encoding="utf-8"))
    corrected = fix_hook_tones([word.text for word in words])
    if corrected != [word.text for word in words]:
        words = [dataclasses.replace(w, text=c) for w, c in zip(words, corrected, strict=True)]
        _rewrite_text_layer(out_base.with_suffix(".pdf"), [w.text for w in words])
    return PageReading(pdf_path=out_base.with_suffix(".pdf"), words=words)


def _rewrite_text_layer(pdf_path: Path, words: list[str]) -> None:
    """Put corrected words into Tesseract's text layer, so the PDF says what the record says.

    Tesseract writes one TJ per word, in reading order, as UTF-16BE code units (GlyphLessFont, Identity-H, the
    code unit is the CID). A correction swaps one precomposed letter, so lengths and positions do not change.
    Words are matched by their letters; one that does not match is left as Tesseract wrote it.
    """
    with pikepdf.open(pdf_path, allow_overwriting_input=True) as pdf:
        page = pdf.pages[0]
        instructions = pikepdf.parse_content_stream(page)
        position = 0
        changed = False
        for instruction in instructions:
            if str(instruction.operator) != "TJ" or position >= len(words):
                continue
            array = instruction.operands[0]
            for item_index, item in enumerate(array):
                if not isinstance(item, pikepdf.String):
                    continue
                raw = bytes(item)
                try:
                    text = raw.decode("utf-16-be")
                except UnicodeDecodeError:
                    continue
                written = unicodedata.normalize("NFC", text.rstrip(" "))
                wanted = words[position]
                if written == wanted:
                    position += 1
                elif len(written) == len(wanted) and _same_letters(written, wanted):
                    array[item_index] = pikepdf.String((wanted + text[len(written) :]).encode("utf-16-be"))
                    position += 1
                    changed = True
        if changed:
            page.obj.Contents = pdf.make_stream(pikepdf.unparse_content_stream(instructions))
            pdf.save(pdf_path)


def _same_letters(a: str, b: str) -> bool:
    """True when the two words differ only in tone marks (the slip fix_hook_tones corrects)."""

    def base(word: str) -> str:
        return "".join(ch for ch in unicodedata.normalize("NFD", word) if ch not in "\u0301\u0309")

    return base(a) == base(b)


def parse_tsv(tsv: str) -> list[Word]:
    words: list[Word] = []
    for row in tsv.splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or cells[0] != "5":
            continue
        text = unicodedata.normalize("NFC", cells[11]).strip()
        confidence = float(cells[10])
        if not text or confidence < 0:
            continue
        words.append(
            Word(
                text=text,
                confidence=confidence,
                left=int(cells[6]),
                top=int(cells[7]),
                width=int(cells[8]),
                height=int(cells[9]),
                block=int(cells[2]),
                paragraph=int(cells[3]),
                line=int(cells[4]),
            )
        )
    return words


# ------------------------------------------------------------------------------------------ pages read elsewhere
@dataclass(frozen=True)
class PageJob:
    """One page to read in another process, maybe on another host (a Dask worker): everything travels by value,
    since that process shares no folder with the one that planned the page."""

    image: bytes  # the page image as prepared for Tesseract (PGM/PBM/PPM)
    suffix: str  # its file suffix, which tells Tesseract the format
    dpi: int
    language: str
    tessdata_dir: str | None  # must exist at that path on the reading host
    source: str | None  # the input file, named in errors
    tesseract_slots: int = 0  # the reading host's slot count (0: its number of cores)


@dataclass(frozen=True)
class PageJobResult:
    words: list[Word]
    text_layer_pdf: bytes  # Tesseract's text-only page, to be laid over the original page


def read_page_job(job: PageJob) -> PageJobResult:
    """Read one page wherever this runs, under that host's Tesseract slots; a module-level function so that a
    Dask worker can unpickle it."""
    import tempfile

    from ocr.slots import set_slot_count, tesseract_slot

    if job.tesseract_slots:
        set_slot_count(job.tesseract_slots)
    with tempfile.TemporaryDirectory(prefix="sohoa-page-") as scratch:
        image_path = Path(scratch) / f"page{job.suffix}"
        image_path.write_bytes(job.image)
        with tesseract_slot():
            reading = read_page(
                image_path,
                Path(scratch) / "ocr",
                dpi=job.dpi,
                language=job.language,
                text_only_pdf=True,
                tessdata_dir=Path(job.tessdata_dir) if job.tessdata_dir else None,
                source=Path(job.source) if job.source else None,
            )
        return PageJobResult(words=reading.words, text_layer_pdf=reading.pdf_path.read_bytes())
