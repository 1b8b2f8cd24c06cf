"""The review queue: records archived with ``needs_review`` are listed; an officer's correction is kept as a
corrected classification (``DATA_DIR/corrections/ID.json``: the archived sidecar itself is under retention and
is not rewritten), as a training example (``TRAINING_DIR/TYPE/ID.txt``), as a ``corrected`` ledger event when
the storage has a ledger, and the office model is retrained on the office's examples. A second correction of a
record starts from the first: fields not given keep their corrected values."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from classify.doctypes import by_code, type_code_named, type_for_symbol_code
from classify.model import REMEMBERED_FIELDS, TypeModel, labelled_files, office_model_path, train, training_dir
from classify.rules import (
    HANDWRITTEN_NOTE,
    LOST_SLASH_NOTE,
    MALFORMED_SYMBOL_NOTE,
    SUBJECT_TYPES,
    signing_authority,
    type_name,
)
from classify.training import examples
from ocr.quality import (
    AMONG_SHOW_THROUGH,
    AMONG_SHOW_THROUGH_VI,
    DOUBTFUL_ADVICE,
    DOUBTFUL_ADVICE_VI,
    DOUBTFUL_WHY,
    DOUBTFUL_WHY_VI,
    MIDDLING_WHY,
    MIDDLING_WHY_VI,
    MIRRORED_WHY,
    MIRRORED_WHY_VI,
    UNREAD_ADVICE,
    UNREAD_ADVICE_VI,
)
from sohoa.record import Classification, Field_, LaterHeading, Record, size_in_vietnamese
from sohoa.vietnamese import vn_date

log = logging.getLogger(__name__)


def corrections_dir(settings: Any) -> Path:
    return Path(settings.data_dir) / "corrections"


def correction_of(settings: Any, record_id: str) -> Classification | None:
    path = corrections_dir(settings) / f"{record_id}.json"
    return Classification.model_validate_json(path.read_text(encoding="utf-8")) if path.exists() else None


def as_corrected(record: Record, settings: Any) -> Record:
    """The record as the office now knows it: its classification replaced by an officer's correction when there
    is one (the archived sidecar keeps what sohoa read, and is not rewritten). What ``list``, ``get`` and the
    search index show: a document must be found by the number an officer gave it."""
    fixed = correction_of(settings, record.id)
    if fixed is None:
        return record
    return record.model_copy(update={"classification": fixed})


def in_brief(c: Classification) -> str:
    """``QĐ 15/QĐ-UBND, 21/10/2025``: type, number and date of issue (as officers write days), what is known of
    them: the line ``review set`` prints, and ``get``'s "sohoa read"."""
    return ", ".join(x for x in (" ".join(y for y in (c.doc_type, c.number or "") if y), vn_date(c.issued_on)) if x)


# the reasons a correction of the classification settles (``weak_fields`` and the pipeline's confidence line): the
# others — a page's OCR, CMYK colours, a possible merge at a separator, a possible earlier copy, the signature —
# are about the scan or the archive, and stay open until an officer acknowledges them (``review set --ack``)
_CLASSIFICATION_REASONS = re.compile(
    r"^(classification confidence |document type (not recognised|unsure)|no document number found|document number "
    r"unsure|no date of issue found|date of issue doubtful|no issuing body found)"
)
# a page bearing the default separator text while another separator code is set, or a later page with a national
# heading of its own: the documents around it may be one
MAY_BE_MERGED = re.compile(
    r"^page \d+ (bears a code reading .*the documents around it may be merged|(\(page \d+ of the stack\) )?begins "
    r"with a national heading of its own\b.*(a separator sheet missing before it|the documents around it may be "
    r"merged))$"
)


def later_heading_reason(heading: LaterHeading, stack_pages: list[int] | None = None) -> str:
    """The review reason for a later page that begins as a document does (``Classification.later_headings``).
    ``stack_pages``: for a document split from a scanned stack, the stack's pages it is made of
    (``StackOrigin.pages``), so that the page is said as the officer finds it in the stack too (QA62: "page 2" of a
    document made of the stack's pages 3–4 pointed the officer at the separator sheet)."""
    number = f" (number {heading.number})" if heading.number else ""
    in_stack = ""
    if stack_pages and 0 < heading.page <= len(stack_pages) and stack_pages[heading.page - 1] != heading.page:
        in_stack = f" (page {stack_pages[heading.page - 1]} of the stack)"
    if heading.after_separator:  # a separator sheet is there, its code not found: not split at it (QA62)
        return (
            f"page {heading.page}{in_stack} begins with a national heading of its own{number} after page "
            f"{heading.page - 1}, which reads as a separator sheet whose code was not found: not split there; the "
            "documents around it may be merged"
        )
    return (
        f"page {heading.page}{in_stack} begins with a national heading of its own{number}: perhaps another "
        "document, a separator sheet missing before it"
    )


def is_classification_reason(reason: str) -> bool:
    """Whether a review reason is settled by correcting the classification (type, number, date, issuer)."""
    return bool(_CLASSIFICATION_REASONS.match(reason))


def _acknowledged_path(settings: Any, record_id: str) -> Path:
    return corrections_dir(settings) / f"{record_id}.acknowledged.json"


def acknowledged_of(settings: Any, record_id: str) -> list[str]:
    """The review reasons an officer acknowledged (``review set --ack``), as the record states them."""
    path = _acknowledged_path(settings, record_id)
    if not path.exists():
        return []
    return [str(reason) for reason in json.loads(path.read_text(encoding="utf-8")).get("reasons", [])]


def open_reasons(record: Record, settings: Any) -> list[str]:
    """The record's review reasons still open: a correction settles the classification's, an acknowledgement the
    ones it names; the others stay (a correction of the type used to settle a possible merge too)."""
    corrected = correction_of(settings, record.id) is not None
    return _still_open(record, corrected, acknowledged_of(settings, record.id))


def _still_open(record: Record, corrected: bool, acknowledged: Iterable[str]) -> list[str]:
    """``open_reasons`` of a record ``corrected`` or not, whose ``acknowledged`` reasons an officer has seen."""
    done = set(acknowledged)
    return [r for r in record.review_reasons if r not in done and not (corrected and is_classification_reason(r))]


def reasons_waiting(record: Record, settings: Any, corrected: bool | None = None) -> list[str] | None:
    """The record's review reasons still open (``open_reasons``; empty for one flagged without a reason) when it
    waits for review (``waits_for_review``), else None: both from one read of its correction and of its
    acknowledgement (`get` and `review list` asked one, then the other, reading each twice). ``corrected``: whether
    an officer corrected it, when the caller has read its correction (None: read here)."""
    if not record.needs_review:
        return None
    if corrected is None:
        corrected = correction_of(settings, record.id) is not None
    acknowledged = _acknowledged_path(settings, record.id).exists()
    still = _still_open(record, corrected, acknowledged_of(settings, record.id) if acknowledged else [])
    # neither corrected nor acknowledged: it waits, whatever its reasons; else while a reason is still open
    return still if still or not (corrected or acknowledged) else None


def waits_for_review(record: Record, settings: Any) -> bool:
    """Archived with ``needs_review`` and not yet settled: neither corrected nor acknowledged, or with a reason still
    open (``open_reasons``)."""
    return reasons_waiting(record, settings) is not None


def pending(records: Iterable[Record], settings: Any) -> Iterator[tuple[Record, list[str]]]:
    """Records that wait for review (``waits_for_review``), each with its reasons still open (``reasons_waiting``)."""
    for record in records:
        if (still := reasons_waiting(record, settings)) is not None:
            yield record, still


def acknowledge(record: Record, settings: Any, actor: str = "officer") -> list[str]:
    """Mark every reason still open as seen by an officer (kept in ``DATA_DIR/corrections/ID.acknowledged.json``);
    returns them. When the record is corrected and no longer may be merged, its text becomes the training example
    that ``correct`` held back."""
    reasons = open_reasons(record, settings)
    done = acknowledged_of(settings, record.id) + reasons
    path = _acknowledged_path(settings, record.id)
    path.parent.mkdir(parents=True, exist_ok=True)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    path.write_text(json.dumps({"reasons": done, "by": actor, "at": when}, ensure_ascii=False, indent=2), "utf-8")
    if (fixed := correction_of(settings, record.id)) is not None:
        _keep_example(record, settings, fixed.doc_type)
    return reasons


def may_be_merged(record: Record, settings: Any) -> bool:
    """Whether a "may be merged" reason of the record is still open: its text may be two documents."""
    return any(MAY_BE_MERGED.match(reason) for reason in open_reasons(record, settings))


def _keep_example(record: Record, settings: Any, code: str) -> None:
    """The record's text as the training example of ``code`` (replacing an earlier one) — not while it may be two
    documents merged (an open "may be merged" reason): that text would teach the model a mixture."""
    if record.ocr is None or not record.ocr.text.strip() or code not in by_code() or may_be_merged(record, settings):
        return
    root = training_dir(settings)
    for old in root.glob(f"*/{record.id}.txt"):
        old.unlink()  # a second correction replaces the first
    target = root / code / f"{record.id}.txt"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(unicodedata.normalize("NFC", record.ocr.text), encoding="utf-8")


CORRECTED_BY = "corrected by"  # how the evidence of a value an officer gave begins


class CorrectionError(ValueError):
    """A value an officer gave that cannot be kept (a usage error): the message names the option, in Vietnamese
    and English."""


# "số 9/QĐ-UBND", "Số: 9/QĐ-UBND": the classifier keeps a number without its "Số:" (``9/QĐ-UBND``)
_NUMBER_WORD = re.compile(r"^\s*(?i:số)\s*[:.]?\s*")


def clean_number(given: str) -> str:
    """The number as the classifier stores it: NFC, spaces trimmed, without a leading "số"/"Số:". Empty (or only
    "số"): CorrectionError — a number is corrected, not cleared, by ``review set``."""
    value = _NUMBER_WORD.sub("", unicodedata.normalize("NFC", given).strip()).strip()
    if not value:
        raise CorrectionError(
            f"--number {given!r}: số ký hiệu trống / the number is empty; give it as on the document, e.g. "
            "--number 15/QĐ-UBND (leave --number out to keep the one recorded)"
        )
    return value


def clean_signer(option: str, given: str) -> str:
    """A signer's name or title as given to ``review set`` (``option``: --signer, --signer-title): NFC, spaces
    collapsed. Empty: CorrectionError — corrected, not cleared (QA95: '' and '   ' were kept as the signer)."""
    value = " ".join(unicodedata.normalize("NFC", given).split())
    if not value:
        raise CorrectionError(
            f"{option} {given!r}: trống / empty; give it as printed (leave {option} out to keep the one recorded)"
        )
    return value


def symbol_disagrees(code: str, number: str) -> str | None:
    """The type code that ``number``'s symbol names (``12/KH-UBND`` → KH) when it is not ``code``, else None (no
    type code in the symbol, as in a công văn's ``UBND-VP``, or the same one)."""
    symbol = number.rsplit("/", 1)[-1]
    for group in symbol.split("-"):
        found = type_for_symbol_code(group)
        if found is not None:
            return None if found.code == code else found.code
    return None


NOTHING_TO_CORRECT = (
    "không có gì để sửa: hãy cho ít nhất một trong --type, --number, --date, --issuer, --subject, --signer, "
    "--signer-title (hoặc --ack) / nothing to correct: give at least one of --type, --number, --date, --issuer, "
    "--subject, --signer, --signer-title (or --ack)"
)


def type_code_or_error(given: str) -> str:
    code = type_code_named(given)
    if code is None:
        raise CorrectionError(f"--type {given!r}: không có loại này / no such type code; valid: {', '.join(by_code())}")
    return code


def correct(
    record: Record,
    settings: Any,
    *,
    doc_type: str | None = None,
    number: str | None = None,
    issued_on: date | None = None,
    issuer: str | None = None,
    subject: str | None = None,
    signer_name: str | None = None,
    signer_title: str | None = None,
    actor: str = "officer",
) -> Classification:
    """The record's classification with the officer's values; saved, and the text kept as a training example.
    It starts from an earlier correction when there is one: a field not given keeps its corrected value (a
    second ``review set --type QĐ`` used to put the number, issuer and subject back to what OCR read), and with
    no ``doc_type`` the type is the one corrected before, else the one sohoa read (an officer who fixes only the
    issuer confirms it; refused when sohoa read none). The TT 02/2019 ``archive_metadata`` is computed again
    from the corrected fields, as at archive time."""
    from classify.metadata import archive_metadata
    from classify.normalize import normalize_text

    if doc_type is None and all(
        value is None for value in (number, issued_on, issuer, subject, signer_name, signer_title)
    ):
        raise CorrectionError(NOTHING_TO_CORRECT)
    known = by_code()
    if number is not None:
        number = clean_number(number)
    base = correction_of(settings, record.id) or record.classification
    base = base or Classification(doc_type="unknown", confidence=0.0)
    if doc_type is not None:
        code = type_code_or_error(doc_type)
    elif base.doc_type in known:
        code = base.doc_type
    else:
        raise CorrectionError(
            "--type: sohoa không nhận ra loại của văn bản này; hãy cho --type cùng với các sửa khác (ví dụ --type QĐ) "
            "/ sohoa did not recognise this document's type: give --type with the other corrections (e.g. --type QĐ)"
        )
    fixed = base.model_copy(deep=True)
    when = datetime.now(UTC).isoformat(timespec="seconds")
    evidence = f"{CORRECTED_BY} {actor} at {when}"
    changes = {"doc_type": code} if doc_type is not None else {}
    # the signer too: a name OCR lost under a seal, or the next document's signer in a file of two (QA93)
    for key, value in (
        ("number", number),
        ("issuer", issuer),
        ("subject", subject),
        ("signer_name", signer_name),
        ("signer_title", signer_title),
    ):
        if value is not None:
            changes[key] = unicodedata.normalize("NFC", value)
    if signer_title is not None:  # the authority it signs with, read as the rules read it ("KT" in "… KT. CHỦ TỊCH …")
        # in capitals, as printed: 'tm. ủy ban …' typed in lower case is the same title (QA95)
        authority = signing_authority(changes["signer_title"].upper())
        fixed.signing_authority = authority
        fixed.fields.pop("signing_authority", None)
        if authority:
            fixed.fields["signing_authority"] = Field_(value=authority, confidence=1.0, evidence=evidence)
    if doc_type is not None or number is not None:  # a resolution numbered with its year is a normative one
        changes["doc_type_name"] = type_name(known[code], changes.get("number", base.number))
    for key, value in changes.items():
        setattr(fixed, key, value)
        fixed.fields[key] = Field_(value=value, confidence=1.0, evidence=evidence)
    if number is not None:
        fixed.symbol = number.split("/")[-1] if "/" in number else None
    if issued_on is not None:
        fixed.issued_on = issued_on
        fixed.fields["issued_on"] = Field_(value=issued_on.isoformat(), confidence=1.0, evidence=evidence)
    fixed.confidence = 1.0
    fixed.decided_by = "correction"
    text = record.ocr.text if record.ocr is not None else ""
    fixed.archive_metadata = archive_metadata(fixed, normalize_text(text) if text.strip() else "")
    folder = corrections_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{record.id}.json").write_text(fixed.to_json(), encoding="utf-8")
    _keep_example(record, settings, code)
    return fixed


def weak_fields(result: Classification, threshold: float) -> list[str]:
    """Why a classification is below the review threshold, one reason per key field an officer files by that is
    missing or weak (type, number, date of issue, issuer), in English as the pipeline writes reasons (see
    ``reason_in_vietnamese``): 'no document number found', 'date of issue doubtful (0.5)'. The overall
    confidence is the weakest of these (a missing one counts 0.4), so a record below the threshold names one."""
    fields = result.fields
    reasons: list[str] = []
    type_confidence = fields["doc_type"].confidence if "doc_type" in fields else 0.0
    if result.doc_type == "unknown":
        reasons.append("document type not recognised")
    elif type_confidence < threshold:
        reasons.append(f"document type unsure ({type_confidence})")
    for key, value, missing, weak in (
        ("number", result.number, "no document number found", "document number unsure"),
        ("issued_on", result.issued_on, "no date of issue found", "date of issue doubtful"),
        ("issuer", result.issuer, "no issuing body found", None),
        (  # as the overall confidence counts it (classify.rules): not for a type without one, nor a corrected one
            "subject",
            result.subject or result.doc_type not in SUBJECT_TYPES or result.decided_by == "correction",
            "no subject (trích yếu) found",
            None,
        ),
    ):
        if not value:
            reasons.append(missing)
        elif weak and key in fields and fields[key].confidence < threshold:
            # the number's '/' that OCR lost and the rules put back ('Số:130UBND-VP'): said, so it is checked
            why = ": its '/' was lost by OCR and put back" if LOST_SLASH_NOTE in fields[key].evidence else ""
            if MALFORMED_SYMBOL_NOTE in fields[key].evidence:
                why = f"{why}: {SYMBOL_MISREAD}"
            if HANDWRITTEN_NOTE in fields[key].evidence:  # said, so the officer reads the digits off the paper
                why = f"{why}: {DIGITS_DOUBTED}"
            reasons.append(f"{weak} ({fields[key].confidence}){why}")
    return reasons


# why a number is doubted whose ký hiệu is none Decree 30 builds for its type (classify.rules.MALFORMED_SYMBOL)
SYMBOL_MISREAD = "its ký hiệu is not one Decree 30 builds for this type (misread?); check it on the paper"
SYMBOL_MISREAD_VI = (
    "ký hiệu không đúng cách Nghị định 30 đặt cho loại văn bản này (đọc sai?); hãy đối chiếu với bản giấy"
)
# why a number or a date is doubted whose digits Tesseract doubted (classify.handwriting)
DIGITS_DOUBTED = "OCR could hardly read its digits (handwritten?); check them on the paper"
DIGITS_DOUBTED_VI = "OCR khó đọc các chữ số (viết tay?); hãy đối chiếu với bản giấy"
# "record 0123456789abcdef" as the pipeline names an archived record in a reason (flows.pipeline.archived_before)
_RECORD_NAMED = re.compile(r"\brecord (?=[0-9a-f]{8,64}\b)")
_REASONS_VI: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^classification confidence (\S+) < (\S+)$"), r"độ tin cậy phân loại \1 < \2"),
    (
        re.compile(r"^page (\d+): no words found \(a photo, a drawing, handwriting, or print too faint to read\)$"),
        r"trang \1: không đọc được chữ nào (ảnh chụp, hình vẽ, chữ viết tay, hoặc chữ in quá mờ)",
    ),
    (
        re.compile(rf"^page (\d+): no words found \({re.escape(MIRRORED_WHY)}\)$"),
        rf"trang \1: không đọc được chữ nào ({MIRRORED_WHY_VI})",
    ),
    (  # the words of records archived before 2026-12-02
        re.compile(r"^page (\d+): no words found \(a blank page, a photo, or upside down\)$"),
        r"trang \1: không đọc được chữ nào (trang trắng, ảnh chụp, hoặc bị lộn ngược)",
    ),
    (re.compile(r"^page (\d+): low OCR quality \((.*)\)$"), r"trang \1: chất lượng nhận dạng chữ thấp (\2)"),
    (
        re.compile(r"^page (\d+): too small to be a scan \((.*)\); kept as it is, not read$"),
        lambda found: (
            f"trang {found.group(1)}: quá nhỏ để là một bản quét ({size_in_vietnamese(found.group(2))}); "
            "giữ nguyên, không nhận dạng chữ"
        ),
    ),
    (
        re.compile(r"^signature did not verify right after signing(: .*)?$"),
        lambda found: f"chữ ký không kiểm tra đạt ngay sau khi ký{_verdicts_vi(found.group(1) or '')}",
    ),
    (
        re.compile(r"^not PDF/A: page (\d+) is in CMYK colours \(scan it again in RGB colour or gray\)$"),
        r"không đạt PDF/A: trang \1 dùng hệ màu CMYK (hãy quét lại ở chế độ màu RGB hoặc xám)",
    ),
    (
        re.compile(
            r"^not PDF/A: page (\d+) uses font (.*) without embedding it \(export the document again with its fonts "
            r"embedded, or scan the paper\)$"
        ),
        r"không đạt PDF/A: trang \1 dùng phông chữ \2 mà không nhúng vào tệp (hãy xuất lại văn bản có nhúng phông "
        r"chữ, hoặc quét bản giấy)",
    ),
    (
        re.compile(
            r"^page (\d+) bears a code reading '(.*)', the default separator text, while the separator code is '(.*)': "
            r"not split there; the documents around it may be merged$"
        ),
        r"trang \1 mang mã '\2', mã tờ phân cách mặc định, trong khi mã tờ phân cách đang dùng là '\3': không tách "
        r"tại đó; các văn bản trước và sau trang này có thể bị gộp làm một",
    ),
    (
        re.compile(
            r"^page (\d+)(?: \(page (\d+) of the stack\))? begins with a national heading of its own(?: \(number "
            r"(.*?)\))?(?:: perhaps another document, a separator sheet missing before it| after page (\d+), which "
            r"reads as a separator sheet whose code was not found: not split there; the documents around it may be "
            r"merged)$"
        ),
        lambda found: (
            f"trang {found.group(1)}"
            + (f" (trang {found.group(2)} của tập)" if found.group(2) else "")
            + " mở đầu bằng quốc hiệu, tiêu ngữ riêng"
            + (f" (số {found.group(3)})" if found.group(3) else "")
            + (
                f" sau trang {found.group(4)} có chữ của tờ phân cách nhưng không tìm thấy mã: không tách tại đó; các "
                "văn bản trước và sau trang này có thể bị gộp làm một"
                if found.group(4)
                else ": có thể là một văn bản khác, thiếu tờ phân cách trước trang này"
            )
        ),
    ),
    (re.compile(r"^document type not recognised$"), "không nhận ra loại văn bản"),
    (re.compile(r"^document type unsure \((\S+)\)$"), r"loại văn bản chưa chắc chắn (\1)"),
    (re.compile(r"^no document number found$"), "không tìm thấy số văn bản"),
    (re.compile(r"^document number unsure \((\S+)\)$"), r"số văn bản chưa chắc chắn (\1)"),
    (
        re.compile(r"^document number unsure \((\S+)\): its '/' was lost by OCR and put back$"),
        r"số văn bản chưa chắc chắn (\1): OCR làm mất dấu '/', đã thêm lại",
    ),
    (
        re.compile(rf"^document number unsure \((\S+)\): {re.escape(SYMBOL_MISREAD)}$"),
        rf"số văn bản chưa chắc chắn (\1): {SYMBOL_MISREAD_VI}",
    ),
    (
        re.compile(rf"^document number unsure \((\S+)\): {re.escape(DIGITS_DOUBTED)}$"),
        rf"số văn bản chưa chắc chắn (\1): {DIGITS_DOUBTED_VI}",
    ),
    (re.compile(r"^no date of issue found$"), "không tìm thấy ngày ban hành"),
    (re.compile(r"^date of issue doubtful \((\S+)\)$"), r"ngày ban hành đáng ngờ (\1)"),
    (
        re.compile(rf"^date of issue doubtful \((\S+)\): {re.escape(DIGITS_DOUBTED)}$"),
        rf"ngày ban hành đáng ngờ (\1): {DIGITS_DOUBTED_VI}",
    ),
    (re.compile(r"^no issuing body found$"), "không tìm thấy cơ quan ban hành"),
    (re.compile(r"^no subject \(trích yếu\) found$"), "không tìm thấy trích yếu"),
    (
        re.compile(r"^possibly archived before: (.*) \(same type, number and date of issue; another scan\)$"),
        # the records it names are "record ID (FOLDER)": said "hồ sơ ID (FOLDER)" (English inside the sentence, QA)
        lambda found: (
            "có thể đã lưu trước đây: "
            + _RECORD_NAMED.sub("hồ sơ ", found.group(1))
            + " (cùng loại, số và ngày ban hành; bản quét khác)"
        ),
    ),
    (
        re.compile(
            r"^possibly the same paper as (.*) in this batch \(same type, number and date of issue; another scan\)$"
        ),
        r"có thể cùng một văn bản với \1 trong lô này (cùng loại, số và ngày ban hành; bản quét khác)",
    ),
]
_WORDS_VI = (
    ("OCR confidence", "độ tin cậy OCR"),
    ("(read in another language)", "(đọc bằng ngôn ngữ khác)"),
    ("Vietnamese words", "từ tiếng Việt"),
    ("below the bar", "dưới ngưỡng"),
    ("print not read", "chữ in không đọc được"),
    (UNREAD_ADVICE, UNREAD_ADVICE_VI),
    ("print read in doubt", "chữ đọc không chắc"),
    (DOUBTFUL_WHY, DOUBTFUL_WHY_VI),
    (DOUBTFUL_ADVICE, DOUBTFUL_ADVICE_VI),
    (MIDDLING_WHY, MIDDLING_WHY_VI),
    (AMONG_SHOW_THROUGH, AMONG_SHOW_THROUGH_VI),
    (MIRRORED_WHY, MIRRORED_WHY_VI),
)


def _verdicts_vi(said: str) -> str:
    """``: INDETERMINATE NO_CERTIFICATE_CHAIN_FOUND`` with each code's words in Vietnamese after it (QA79: English
    codes alone in the Vietnamese half), and what to do for a chain that reaches no trusted root."""
    from signing.report import INDICATION_VI, SUB_INDICATION_VI

    words = [INDICATION_VI.get(code) or SUB_INDICATION_VI.get(code) for code in re.findall(r"[A-Z_]{4,}", said)]
    told = "; ".join(word.lower() for word in words if word)
    if "NO_CERTIFICATE_CHAIN_FOUND" in said:
        told += " — cấu hình SOHOA_TRUST_ROOTS với gốc của CA cấp chứng thư ký"
    return f"{said} ({told})" if told else said


def reason_in_vietnamese(reason: str) -> str:
    """A review reason (written in English by the pipeline) in Vietnamese; one it does not know, as it is."""
    for pattern, words in _REASONS_VI:
        if pattern.match(reason):
            said = pattern.sub(words, reason)
            for english, vietnamese in _WORDS_VI:
                said = said.replace(english, vietnamese)
            return said
    return reason


def officer_values(correction: Classification) -> dict[str, str]:
    """The values an officer gave a record besides its type (``correct``'s evidence names them), as text."""
    return {
        key: field.value
        for key in REMEMBERED_FIELDS
        if (field := correction.fields.get(key)) is not None and field.value and field.evidence.startswith(CORRECTED_BY)
    }


def reason_in_both(reason: str) -> str:
    """A review reason as the tables show it: ``Vietnamese / English``, once when there is no translation."""
    vietnamese = reason_in_vietnamese(reason)
    return reason if vietnamese == reason else f"{vietnamese} / {reason}"


def train_office_model(
    labelled: Path,
    out: Path,
    *,
    base_per_type: int = 15,
    office_weight: float = 3.0,
    corrections: Path | None = None,
) -> TypeModel:
    """Train on the office's examples (remembered verbatim too) plus ``base_per_type`` synthetic ones per type.
    ``corrections``: where ``review set`` keeps corrected classifications (ID.json, the example's file name): the
    number, date, issuer and subject an officer gave an example are remembered with it, and an identical document
    takes them over."""
    found = labelled_files(labelled) if labelled.is_dir() else []
    texts, labels = [text for _, text, _ in found], [code for _, _, code in found]
    office = list(zip(texts, labels, strict=True))
    remembered: list[tuple[str, dict[str, str]]] = []
    for file, text, _ in found:
        corrected = corrections / f"{file.stem}.json" if corrections is not None else None
        if corrected is not None and corrected.is_file():
            try:
                values = officer_values(Classification.model_validate_json(corrected.read_text(encoding="utf-8")))
            except ValueError as exc:
                log.warning(
                    "%s: không đọc được (%s); mẫu này chỉ được nhớ theo loại văn bản / not read (%s); its example is "
                    "remembered by type only",
                    corrected,
                    exc,
                    exc,
                )
                continue
            remembered.append((text, values))
    base = list(examples(base_per_type)) if base_per_type > 0 else []
    all_texts = [t for t, _ in base] + texts
    all_labels = [label for _, label in base] + labels
    weights = [1.0] * len(base) + [office_weight] * len(texts)
    model = train(
        all_texts, all_labels, name=f"office-{labelled.name}", exact=office, weights=weights, remembered=remembered
    )
    model.save(out)
    return model


def retrain_after_correction(settings: Any, base_per_type: int = 15) -> Path:
    out = Path(settings.classify_model) if settings.classify_model else office_model_path(Path(settings.data_dir))
    train_office_model(training_dir(settings), out, base_per_type=base_per_type, corrections=corrections_dir(settings))
    return out
