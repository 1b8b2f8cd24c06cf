"""The record model: one typed object that travels through the stages.

Each stage returns its own small result type (``OcrResult``, ``Classification``, ``SignatureFacts``,
``StoredObject``); the orchestrator folds them into a ``Record``, which is written as a JSON sidecar beside
every archived PDF. Stages never import each other, only this module.
"""

from __future__ import annotations

import platform
import re
import secrets
import unicodedata
from collections.abc import Iterable
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

SCHEMA_VERSION = 1


def utc_now() -> datetime:
    return datetime.now(UTC)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RecordState(StrEnum):
    INGESTED = "ingested"
    OCRED = "ocred"
    CLASSIFIED = "classified"
    SIGNED = "signed"
    ARCHIVED = "archived"
    QUARANTINED = "quarantined"


# A record's state, how sohoa decided its type and a page's OCR quality as officers read them (Vietnamese /
# English: `list`, `get`); record.json and --json keep the values
STATE_WORDS: dict[str, str] = {
    RecordState.INGESTED: "đã nhận / ingested",
    RecordState.OCRED: "đã nhận dạng chữ / OCR'd",
    RecordState.CLASSIFIED: "đã phân loại / classified",
    RecordState.SIGNED: "đã ký / signed",
    RecordState.ARCHIVED: "đã lưu / archived",
    RecordState.QUARANTINED: "cách ly / quarantined",
}
DECIDED_BY_WORDS: dict[str, str] = {
    "rules": "theo quy tắc / rules",
    "model": "theo mô hình / model",
    "rules+model": "quy tắc và mô hình / rules+model",
    "correction": "cán bộ sửa / correction",
}
# a blank page with faint marks that do not read as text (PageOcr.faint_marks), as `sohoa ocr` and `sohoa get` say it
FAINT_MARKS_SAID = (
    "trang trắng, có vết mờ không đọc được thành chữ (chữ in hằn từ mặt sau, hoặc chữ quá mờ: hãy xem bản giấy) / "
    "blank, with faint marks that do not read as text (show-through, or print too faint: see the paper)"
)
# a blank page with marks of ink from which no text was read (PageOcr.ink_marks), as `sohoa ocr` and `sohoa get` say it
INK_MARKS_SAID = (
    "trang trắng, chỉ có vài nét đậm không đọc được thành chữ (số trang quá nhỏ, chữ ký, đường kẻ, sợi tóc, bóng lỗ "
    "đục hay mép giấy: hãy xem bản giấy) / blank, with dark marks that do not read as text (a page number too small "
    "to read, a signature, a ruled line, a hair, the shadow of a punched hole or of the sheet's edge: see the paper)"
)
QUALITY_WORDS: dict[str, str] = {
    "good": "tốt / good",
    "low": "thấp / low",
    "blank": "trang trắng / blank",
    "too_small": "quá nhỏ, không nhận dạng / too small, not read",
}


def size_in_vietnamese(size: str) -> str:
    """What is too small about a page (``PageOcr.too_small``) in Vietnamese: ``the page is 50.8×6.3 mm`` →
    ``trang 50,8×6,3 mm``, ``60×60 px, 5.1×5.1 mm at 300 dpi`` → ``60×60 điểm ảnh, 5,1×5,1 mm ở 300 dpi``."""
    said = re.sub(r"(\d)\.(\d)", r"\1,\2", size)
    for english, vietnamese in (
        ("the page is ", "trang "),
        ("its scan image is ", "ảnh quét "),
        (" px", " điểm ảnh"),
        (" at ", " ở "),
    ):
        said = said.replace(english, vietnamese)
    return said


def in_words(words: dict[str, str], value: str | None) -> str:
    """``value`` (a state, ``decided_by``, a quality) as ``words`` say it; one they do not know, as it is."""
    return words.get(value, value) if value else "?"


def page_run(pages: list[int]) -> str:
    """A stack's pages as labels say them: ``7–8`` for a run of pages, ``7, 9`` otherwise."""
    if len(pages) > 1 and pages == list(range(pages[0], pages[-1] + 1)):
        return f"{pages[0]}–{pages[-1]}"
    return ", ".join(map(str, pages))


def document_label(stack: str, part: int, pages: list[int]) -> str:
    """A stack's document as an officer knows it, in both languages: ``A.pdf — văn bản 3 / document 3, tr. / p.
    7–8`` (no pages known: without them)."""
    at = f", tr. / p. {page_run(pages)}" if pages else ""
    return f"{stack} — văn bản {part} / document {part}{at}"


class StackOrigin(_Model):
    """The scanned stack a document was split from (flows.intake): the file the officer dropped."""

    path: str = Field(
        description="absolute path of the stack at ingestion time, as the filesystem spells it (a Mac's copy may "
        "be NFD; NFC until 2026-12, QA93)"
    )
    sha256: str = Field(description="SHA-256 of the whole stack as dropped")
    part: int = Field(description="1-based number of this document among the stack's")
    pages: list[int] = Field(description="the stack's 1-based page numbers that make this document")

    def pages_said(self) -> str:
        """``7–8`` for a run of pages, ``7, 9`` otherwise."""
        return page_run(self.pages)

    def stack_name(self) -> str:
        """The stack's file name, as dropped, in NFC: for display (``path`` keeps an NFD name's spelling on disk)."""
        return unicodedata.normalize("NFC", self.path.rsplit("/", 1)[-1])

    def label(self, stack: str | None = None) -> str:
        """The document as an officer knows it, in both languages: ``A.pdf — văn bản 3 / document 3, tr. / p. 7–8``
        (``stack``: how to name the stack instead of its file name, e.g. its whole path)."""
        return document_label(stack or self.stack_name(), self.part, self.pages)

    def said_vi(self) -> str:
        """The document in a Vietnamese sentence: ``A.pdf, văn bản 3 (tr. 7–8)``."""
        return f"{self.stack_name()}, văn bản {self.part} (tr. {self.pages_said()})"

    def said_en(self) -> str:
        """The document in an English sentence: ``A.pdf, document 3 (p. 7–8)``."""
        return f"{self.stack_name()}, document {self.part} (p. {self.pages_said()})"


class SourceFile(_Model):
    """The input file as the officer dropped it (for a document split from a stack: that document's pages)."""

    name: str = Field(description="file name, NFC")
    path: str = Field(
        description="absolute path at ingestion time, as the filesystem spells it (a Mac's copy may be NFD); "
        "for a split document, the stack's path + #part"
    )
    sha256: str
    size: int
    media_type: str = Field(description="application/pdf, image/tiff, image/jpeg, image/png, image/bmp or image/gif")
    stack: StackOrigin | None = Field(default=None, description="the stack it was split from, if it was")

    def ident(self) -> str:
        """The scan's name as ``list --json``'s ``source`` gives it: its file name, or for a document split from a
        scanned stack the stack's file name + ``#part`` (``A.pdf#3``; its own ``name``, ``A.pdf#3.pdf``, is a scratch
        file)."""
        if self.stack is not None:
            return f"{self.stack.stack_name()}#{self.stack.part}"
        if (split := self._split_before_stacks_were_recorded()) is not None:
            return f"{split[0]}#{split[1]}"
        return self.name

    def label(self) -> str:
        """The scan as an officer knows it: its file name, or for a document split from a scanned stack, the stack
        as dropped with the document's number and pages (``A.pdf — văn bản 3 / document 3, tr. / p. 7–8``: its own
        ``name``, ``A.pdf#3.pdf``, is no file anybody dropped)."""
        if self.stack is not None:
            return self.stack.label()
        if (split := self._split_before_stacks_were_recorded()) is not None:
            return document_label(split[0], split[1], [])
        return self.name

    def _split_before_stacks_were_recorded(self) -> tuple[str, int] | None:
        """(stack's file name, part) of a document a sohoa before 2026-12-01 split from a stack, which recorded no
        ``stack``: only its scratch file, ``WORK/stacks/<16 hex>/A.pdf#2.pdf`` — shown by that scratch name in
        `list`, `get`, `search` and bags of an upgraded archive (QA61), while documents split since are named as
        dropped. None for any other file (one an officer named ``a#2.pdf`` lives in no such scratch folder)."""
        found = _OLD_SPLIT_PATH.search(self.path)
        return (found["stack"], int(found["part"])) if found and found["name"] == self.name else None


# where a sohoa before 2026-12-01 wrote a stack's documents: WORK/stacks/<first 16 hex of the stack's SHA-256>/
_OLD_SPLIT_PATH = re.compile(r"/stacks/[0-9a-f]{16}/(?P<name>(?P<stack>[^/]+)#(?P<part>\d+)\.pdf)$")


class PageOcr(_Model):
    """What the OCR stage did with one page."""

    number: int = Field(description="1-based page number")
    ocr: bool = Field(description="True when Tesseract read the page; False when its text layer was kept")
    confidence: float | None = Field(
        default=None, description="mean Tesseract word confidence 0-100; None when not OCR'd"
    )
    dpi: int | None = None
    quality: str | None = Field(
        default=None,
        description="'good', 'low' (low confidence or implausible Vietnamese) or 'blank' (no ink beyond scanner "
        "noise and no words read: the back of a sheet; since 2026-12-01, a blank page was 'low'); 'too_small' for a "
        "page too small to be a scan, kept as it is and not read (see too_small); None if its text layer was kept",
    )
    lexicon_share: float | None = Field(
        default=None,
        description="share of words that are Vietnamese syllables; None for a page read in another language",
    )
    language: str | None = Field(
        default=None,
        description="the Tesseract language the page was read in: the document's ('vie'), or the other language "
        "(SOHOA_OCR_OTHER_LANGUAGE, 'eng') of a page whose reading in Vietnamese bore almost no Vietnamese marks "
        "and which Tesseract read more surely in it; None when not OCR'd",
    )
    skew: float = Field(default=0.0, description="degrees the scan was straightened by for OCR (counter-clockwise)")
    orientation: int = Field(default=0, description="degrees (clockwise) a sideways/upside-down page was turned")
    shown_straightened: bool = Field(
        default=False,
        description="the searchable copy shows the page straightened by its skew (its scan drawn turned, the pixels "
        "as scanned), as it was read: a skew of 2° or more, on a page that draws its scan alone and whose print the "
        "turn takes nothing of off the page (since 2026-12-06; in record.json only when true); else shown as scanned",
    )
    chars: int = 0
    words: int = 0
    corrected_words: int = Field(
        default=0,
        description="words whose diacritics were put right from Tesseract's reading by their neighbours "
        "(ocr/diacritics.py: Ð→Đ, kiếm tra→kiểm tra, thâm quyền→thẩm quyền)",
    )
    corrections: list[list[str]] = Field(
        default_factory=list,
        description="each word whose diacritics were put right (corrected_words), as [read, put right] in reading "
        "order: what a reviewer checks the correction by",
    )
    dpi_assumed: bool = Field(
        default=False,
        description="the page is an image that states no resolution (a JPEG with JFIF unit 0) or an implausible "
        "one: it was taken as 300 dpi, so the PDF page's size may be wrong",
    )
    text_layer_note: str | None = Field(
        default=None,
        description="why a page with a text layer of its own was read by Tesseract all the same: a scrap of text "
        "such as 'Scanned with CamScanner' over a page-size scan (its own text kept), or a layer that is no text — "
        "garbled, glyphs mapped to no character, a legacy Vietnamese font's codes (its invisible part left out); "
        "None otherwise",
    )
    too_small: str | None = Field(
        default=None,
        description="what is too small to be a scan about a page of a document whose other pages are of a usable "
        "size ('the page is 50.8×6.3 mm', 'its scan image is 60×60 px'): kept in the output as it is, not read, and "
        "the record sent to review (since 2026-12-01: the whole document was refused); None otherwise",
    )
    unread_print: float | None = Field(
        default=None,
        description="the share of the page's print (rows of letter-sized marks on the scan, faint ones too) in rows "
        "the words read leave mostly uncovered; over 0.25 the page is 'low' (a photo taken at a steep angle or in "
        "shadow, print too faint); 0.0 when all but 5 % of its ink lies within the words read. None when not "
        "weighed: the page was not read, is blank, has no ink, has less than three "
        "square inches of print (about three lines; a quarter of one on a page with no ink darker than the blank "
        "test's, read darkened), or its paper carries a pattern (guilloche, a grid) (since 2026-12-05)",
    )
    doubtful_print: float | None = Field(
        default=None,
        description="the share of the page's print (as for unread_print) in rows that only words read with "
        "confidence under 60 cover: read in doubt (a form's handwritten entries read as junk beside its printed "
        "labels), but not a mark beside a line read well (a signature in a list's column); over 0.12 the page is "
        "'low'. 0.0 when all but 5 % of its ink lies within the words read with confidence 60 or more; None when "
        "not weighed, as unread_print (since 2026-12-05)",
    )
    darkened: bool = Field(
        default=False,
        description="the page was read with its faint print darkened: again, that reading kept (toner run low), or "
        "from the start (a page with no ink darker than the blank test's but faint print: a faded receipt)",
    )
    faint_marks: bool = Field(
        default=False,
        description="a blank page that holds lines of faint marks which do not read as text, darkened, or faint print "
        "that read darkened as show-through: from the other side of the sheet, a pale logo or watermark, a scanner's "
        "banding — or print too faint to read, which a person can tell on the paper (since 2026-12-07; in "
        "record.json only when true)",
    )
    ink_marks: bool = Field(
        default=False,
        description="a blank page that holds dark marks from which no text was read: a page number too small or "
        "thin to read, a signature, a ruled line, a hair, the shadow of a punched hole or of the sheet's edge — "
        "'blank' is what the blank test sees at 100 dpi, where such thin strokes are gone (since 2026-12-07; in "
        "record.json only when true)",
    )
    evened: bool = Field(
        default=False,
        description="the page was read again with the shadow over its paper evened out (a phone photo in uneven "
        "light), or its light tinted areas (an ID card's pattern on a white sheet), and that reading kept (since "
        "2026-12-05)",
    )
    among_show_through: bool = Field(
        default=False,
        description="the page's own faint print was read among show-through from the other side of the sheet: only "
        "its clearest lines were kept (runs of three or more words read with confidence 85 or more), the rest went "
        "with the show-through's nonsense, and the page is 'low', for a person to read on the scan (since "
        "2026-12-05: the page was 'blank', its print lost)",
    )


class PlacedWord(_Model):
    """One word and its box on the page (top-left origin; pixels of the image Tesseract read, or PDF points)."""

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    confidence: float | None = Field(
        default=None,
        description="Tesseract's confidence in the word (0–100); none for a text layer's word, nor in records "
        "archived before 2026-12-03",
    )


# A page with fewer words than this (of two letters or digits or more) has no text: the back of a sheet in a
# duplex scan or a blank sheet left in a stack, where OCR reads nothing or a few specks ('.', 'ˆ', 'i', '- 2 -').
# Even a short page (a cover, a signature page) has more.
TEXT_PAGE_WORDS = 3


def has_text(words: Iterable[str]) -> bool:
    """True when ``words`` (a page's words, or its text split) hold text, not only specks (``TEXT_PAGE_WORDS``)."""
    real = 0
    for word in words:
        if sum(ch.isalnum() for ch in word) >= 2:
            real += 1
            if real >= TEXT_PAGE_WORDS:
                return True
    return False


# how much of what was read on pages with no text a reason quotes (few_words_read)
FEW_WORDS_SAID = 60


def few_words_read(text: str) -> str:
    """What was read on pages with no text (``has_text``: a page number, "Trang 2"), quoted on one line for a
    reason (“Trang 2”), its specks left out; "" where not one word of two letters or digits, nor a number, was read
    (specks: '.', 'ˆ', 'i', '_')."""
    words = [word for word in text.replace("“", '"').replace("”", '"').split() if any(ch.isalnum() for ch in word)]
    if not any(sum(ch.isalnum() for ch in word) >= 2 or any(ch.isdigit() for ch in word) for word in words):
        return ""
    said = " ".join(words)
    if len(said) > FEW_WORDS_SAID:
        said = said[: FEW_WORDS_SAID - 1].rstrip() + "…"
    return f"“{said}”"


class PageWords(_Model):
    """The words of one page with their boxes: what the classifier's layout reading works from."""

    number: int = Field(description="1-based page number")
    words: list[PlacedWord]


class OcrResult(_Model):
    """Output of ``ocr.ocr_document``: a searchable PDF and the text read from it."""

    output_pdf: str = Field(
        description="where the stage wrote the searchable PDF; in an archived record 'document.pdf', the record's "
        "file that holds it (signed, as its next revision): the batch's work file is removed once archived. "
        "Records archived before 2026-12-01 name that work file (WORK/<id>/ocr.pdf), no longer there"
    )
    text: str = Field(description="whole document text in reading order, NFC")
    pages: list[PageOcr]
    language: str
    engine: str = Field(
        description="what read the pages, e.g. 'libtesseract 5.3.0'; 'pdfplumber 0.11.4 (text layer kept)' where no "
        "page was read, every page keeping its own text"
    )
    pdfa: str | None = Field(default=None, description="PDF/A conformance claimed by the output ('2B'), if any")
    pdfa_problems: list[str] = Field(
        default_factory=list, description="why the output claims no PDF/A: the ISO 19005-2 rules it breaks, by clause"
    )
    notices: list[str] = Field(
        default_factory=list,
        description="what the copy changed of the input that its reader is to be told, Vietnamese / English: an "
        "owner password's restrictions not carried over, transparency flattened, force mode's pages read again",
    )
    input_signatures: int = Field(
        default=0,
        description="digital signatures the input carried: not in the searchable copy (rewriting it would break "
        "them), kept in the original",
    )
    # Decree 30 puts the header (issuer | national motto) and the closing (recipients | signer) in two columns,
    # which Tesseract's reading order often merges line by line; the classifier splits them by position. Only the
    # first and last pages are kept, and not in the sidecar (tens of KB of boxes an officer never reads).
    layout: list[PageWords] = Field(
        default_factory=list, exclude=True, description="word boxes of the first and last page, for classification"
    )

    @property
    def mean_confidence(self) -> float | None:
        scored = [p.confidence for p in self.pages if p.confidence is not None]
        return round(sum(scored) / len(scored), 2) if scored else None

    @property
    def corrected_words(self) -> int:
        """Words of the whole document whose diacritics were put right by context (``PageOcr.corrected_words``)."""
        return sum(page.corrected_words for page in self.pages)


class Field_(_Model):
    """One extracted field with how sure we are and why."""

    value: str | None = None
    confidence: float = 0.0
    evidence: str = ""


class LaterHeading(_Model):
    """A later page of a document that begins as a document of its own does: the national heading (Quốc hiệu and
    Tiêu ngữ) at its top, not an annex or an attached form (``classify.rules.later_headings``). Decree 30 prints
    the heading on a document's first page only, so two documents scanned as one file — a separator sheet left
    out of a stack — show it again where the second begins."""

    page: int = Field(description="1-based page number")
    number: str | None = Field(default=None, description="the number its own 'Số:' line gives, if any")
    after_separator: bool = Field(
        default=False,
        description="the page before reads as a separator sheet (its caption 'TỜ PHÂN CÁCH / SEPARATOR') whose code "
        "was not found: in a stack, not split there",
    )


class CopyBlock(_Model):
    """The block a copy (bản sao) carries under the last part of the document it copies (Decree 30, Phụ lục I Phần
    II.II; VN_DOMAIN.md 1.5): its form, the body that made it, its number in the copies' own series, its place and
    date, who signed it. The record's other fields are the copied document's (``classify.rules.find_copy_block``)."""

    form: str = Field(
        description="'SAO Y', 'SAO LỤC' or 'TRÍCH SAO'; 'CHỨNG THỰC BẢN SAO' for a photocopy certified true to its "
        "original (Decree 23/2015: its 'Số chứng thực' and book in `number`, the certifier as signer)"
    )
    number: str | None = Field(default=None, description="the copy's number in the copies' series, e.g. '14/SY'")
    issued_on: date | None = Field(default=None, description="the day the copy was made")
    place: str | None = None
    issuer: str | None = Field(default=None, description="the body that made the copy")
    signer_name: str | None = None
    signer_title: str | None = None

    def said(self) -> str:
        """One line, as Decree 30 prints the block's parts: 'SAO Y 14/SY, 11/03/2025, ỦY BAN NHÂN DÂN XÃ …'."""
        parts = [" ".join(p for p in (self.form, self.number) if p)]
        parts += [f"{self.issued_on:%d/%m/%Y}" if self.issued_on else "", self.issuer or ""]
        parts.append(" - ".join(p for p in (self.signer_title, self.signer_name) if p))
        return ", ".join(p for p in parts if p)


class Classification(_Model):
    """Output of ``classify.classify_text``."""

    doc_type: str = Field(description="Decree 30 abbreviation (QĐ, TB, …), HT-… code, CV, or 'unknown'")
    doc_type_name: str | None = None
    number: str | None = Field(default=None, description="number and symbol, e.g. '15/QĐ-UBND'")
    symbol: str | None = Field(default=None, description="symbol alone, e.g. 'QĐ-UBND'")
    issued_on: date | None = None
    place: str | None = None
    issuer: str | None = None
    subject: str | None = Field(default=None, description="trích yếu")
    signer_name: str | None = None
    signer_title: str | None = None
    confidence: float = Field(description="overall confidence 0-1 (the weakest of type, number, date)")
    fields: dict[str, Field_] = Field(default_factory=dict, description="per-field confidence and evidence")
    # issue 4 (all optional)
    issuer_parent: str | None = Field(default=None, description="cơ quan chủ quản above the issuer")
    signing_authority: str | None = Field(
        default=None,
        description="TM, KT, Q, TL or TUQ: the one the signer signs with, the signing block's last (a deputy's KT "
        "under 'TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH')",
    )
    recipients: list[str] = Field(default_factory=list, description="'Kính gửi:' and 'Nơi nhận:' entries")
    registration_number: str | None = Field(default=None, description="hộ tịch: entry number in the register")
    book_number: str | None = Field(default=None, description="hộ tịch: 'Quyển số'")
    registration_date: date | None = Field(default=None, description="hộ tịch: date of registration")
    registration_place: str | None = Field(default=None, description="hộ tịch: where it was registered")
    persons: list[str] = Field(default_factory=list, description="hộ tịch: names of the persons, as printed")
    decided_by: str = Field(default="rules", description="rules | rules+model | model | correction")
    columns: str = Field(
        default="reading order",
        description="how the two-column header and closing were read: 'word positions' or 'reading order'",
    )
    archive_metadata: dict[str, str | int | None] = Field(
        default_factory=dict, description="TT 02/2019/TT-BNV document metadata (TypeName, CodeNumber, …)"
    )
    later_headings: list[LaterHeading] = Field(
        default_factory=list,
        description="later pages that begin with a national heading of their own (not an annex): perhaps another "
        "document, a separator sheet missing before it (since 2026-12-01)",
    )
    copy_block: CopyBlock | None = Field(
        default=None,
        description="a copy's own block under the copied document (SAO Y, SAO LỤC, TRÍCH SAO; a photocopy's "
        "certification; an electronic copy's mark at the top of page 1), whose signer and recipients are not the "
        "document's (since 2026-12-03; before, they were taken for the document's); left out of record.json when "
        "there is none",
    )

    def absent_late_fields(self) -> set[str]:
        """The fields added since 2026-12-03 (``LATE_FIELDS``) that say nothing here: left out of the files written,
        so that an older sohoa, which refuses a field it does not know, still reads them (QA87: every record a newer
        sohoa wrote was "changed or damaged behind the archive's back" to it)."""
        return {name for name in LATE_FIELDS if getattr(self, name) is None}

    def to_json(self) -> str:
        return self.model_dump_json(indent=2, exclude=self.absent_late_fields())


LATE_FIELDS = ("copy_block",)
# the page fields added since 2026-12-06, in record.json only where true: a sohoa of before refuses them (QA132: every
# record a newer one wrote was "changed or damaged" to it, and its audit found them all drifted)
LATE_PAGE_FIELDS = ("shown_straightened", "faint_marks", "ink_marks")


class SignatureFacts(_Model):
    """Output of ``signing.sign_pdf``."""

    output_pdf: str = Field(
        description="where the stage wrote the signed PDF; in an archived record 'document.pdf', the record's file "
        "(records archived before 2026-12-01 name the batch's work file, WORK/<id>/document.pdf, no longer there)"
    )
    field_name: str
    level: str = Field(description="PAdES level reached, e.g. 'B-B'")
    signer_subject: str
    signer_issuer: str
    certificate_sha256: str
    signed_at: datetime
    development_identity: bool = Field(description="True when signed by the generated development-only key")
    timestamped_at: datetime | None = Field(
        default=None,
        description="the signature timestamp's time, as the TSA attests it (B-T and up; `signed_at` is the signer's "
        "own claim); None at B-B, and for records signed before 2026-12-02",
    )
    timestamp_authority: str | None = Field(default=None, description="the TSA asked for it (its URL)")


class StoredObject(_Model):
    """One object written to the archive."""

    role: str = Field(description="original | signed | sidecar | report | receipt")
    key: str
    sha256: str
    size: int


class Event(_Model):
    """Something that happened to the record; the sidecar keeps them in order."""

    at: datetime = Field(default_factory=utc_now)
    action: str = Field(description="ingested, ocr, classified, signed, archived, verified, quarantined")
    tool: str = Field(description="tool and version that did it")
    detail: str = ""


class Record(_Model):
    """Everything known about one archived document; written as ``record.json`` beside the PDF."""

    schema_version: int = SCHEMA_VERSION
    id: str = Field(description="record id: the first 16 hex digits of the source SHA-256")
    state: RecordState = RecordState.INGESTED
    source: SourceFile
    ocr: OcrResult | None = None
    classification: Classification | None = None
    signature: SignatureFacts | None = None
    archive_prefix: str | None = Field(default=None, description="where the record lives in the archive")
    batch_id: str | None = Field(
        default=None, description="the batch that archived it (new_batch_id); None for records archived before"
    )
    objects: list[StoredObject] = Field(default_factory=list)
    tags: list[str] = Field(
        default_factory=list,
        description="officers' labels, NFC; the watched folder adds the inbox subfolder the file was dropped in",
    )
    needs_review: bool = False
    review_reasons: list[str] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
    # not in record.json: the archive already held this record whole when ``put`` was asked to archive it — by
    # another process or host, meanwhile (storage.base.BaseArchive.put; the pipeline says "already archived")
    _found_archived: bool = PrivateAttr(default=False)

    @property
    def found_archived(self) -> bool:
        return self._found_archived

    def add_event(self, action: str, tool: str, detail: str = "") -> None:
        self.events.append(Event(action=action, tool=tool, detail=detail))

    def to_json(self) -> str:
        """record.json: the late fields that say nothing left out (``LATE_FIELDS``, ``LATE_PAGE_FIELDS``), so that an
        older sohoa still reads it."""
        exclude: dict[str, Any] = {}
        absent = self.classification.absent_late_fields() if self.classification is not None else set()
        if absent:
            exclude["classification"] = absent
        if self.ocr is not None:
            pages = {
                index: unsaid
                for index, page in enumerate(self.ocr.pages)
                if (unsaid := {name for name in LATE_PAGE_FIELDS if not getattr(page, name)})
            }
            if pages:
                exclude["ocr"] = {"pages": pages}
        return self.model_dump_json(indent=2, exclude=exclude or None)

    @classmethod
    def from_json_file(cls, path: Path) -> Record:
        return cls.model_validate_json(path.read_text(encoding="utf-8"))


def record_id_for(sha256: str) -> str:
    return sha256[:16]


def new_batch_id() -> str:
    """A batch id: the UTC start time plus a random suffix, so two batches started in the same second differ
    (``20251119T180012Z-3fa9c1``)."""
    return f"{utc_now().strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def python_tool() -> str:
    return f"python {platform.python_version()}"
