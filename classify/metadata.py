"""Document-level metadata of the digitised-archive standard (TT 02/2019/TT-BNV, 'Văn bản' fields; VN_DOMAIN.md
section 2.2), filled from what classification extracted. Keys are the standard's English tags; values are
cut to the standard's lengths. Fields the text cannot tell (FileCode, Identifier, OrganId, DocOrdinal, Mode,
Format) are left for the archive and the officer."""

from __future__ import annotations

import re

from classify.copies import COPY_FORM_WORDS
from sohoa.record import Classification

# tag → maximum length (characters) in the standard
LENGTHS = {"TypeName": 100, "CodeNumber": 11, "CodeNotation": 30, "OrganName": 200, "Subject": 500, "Description": 500}


def _cut(value: str | None, tag: str) -> str | None:
    if value is None:
        return None
    limit = LENGTHS.get(tag)
    return value[:limit] if limit else value


def archive_metadata(result: Classification, text: str) -> dict[str, str | int | None]:
    """TypeName, CodeNumber, CodeNotation, IssuedDate, OrganName, Subject, Language, PageAmount, SignerInfo,
    ConfidenceLevel, Autograph, Description — from a classification and the document text."""
    serial = result.number.split("/", 1)[0] if result.number else None
    notation = result.number.split("/", 1)[1] if result.number and "/" in result.number else result.symbol
    if result.number and not result.symbol and re.fullmatch(r"\d+(?:/(?:19|20)\d\d)?", result.number):
        # a hộ tịch record numbered by its register entry ('112', an old '63/2012'): the year is no ký hiệu
        serial, notation = result.number, None
    # the copy's stamp in capitals anywhere ("SAO Y BẢN CHÍNH", "(BẢN SAO)"); a copy's form in capitals starting a line,
    # alone or beside another column ("SAO Y   Tân Lập, ngày …", an e-copy's "SAO Y  Ủy ban nhân dân xã …") — not
    # going on in lower case, as a sentence does ("SAO Y gửi các thôn", QA86: an original was "Bản sao"); or in any
    # case as a line of its own ("(Bản sao)" under a trích lục's title); not "bản sao" in running text
    copy_words = (
        re.search(r"\b(?:BẢN SAO|SAO Y BẢN CHÍNH)\b", text)
        or re.search(rf"^\s*\(?(?:{COPY_FORM_WORDS})\)?(?:\s*$|\s+[A-ZĐÀ-Ỹ0-9])", text, re.MULTILINE)
        or re.search(
            r"^\s*\(?\s*(bản sao|sao y bản chính|trích sao|sao lục)\s*\)?\s*$", text, re.IGNORECASE | re.MULTILINE
        )
    )
    if result.doc_type in ("SY", "TrS", "SL") or copy_words or result.copy_block:
        confidence_level = "Bản sao"
    elif result.doc_type == "unknown":
        confidence_level = None
    else:
        confidence_level = "Bản chính"
    signer = " - ".join(part for part in (result.signer_title, result.signer_name) if part) or None
    organ = " - ".join(part for part in (result.issuer_parent, result.issuer) if part) or None
    description = None
    if result.doc_type.startswith("HT-"):
        facts = [
            f"Số đăng ký: {result.registration_number}" if result.registration_number else "",
            f"Quyển số: {result.book_number}" if result.book_number else "",
            f"Ngày đăng ký: {result.registration_date:%d/%m/%Y}" if result.registration_date else "",
            f"Nơi đăng ký: {result.registration_place}" if result.registration_place else "",
        ]
        description = "; ".join(f for f in facts if f) or None
    if result.copy_block is not None:  # the copy's own number and date, which no other field of the standard holds
        description = "; ".join(d for d in (f"Bản sao: {result.copy_block.said()}", description) if d)
    return {
        "TypeName": _cut(result.doc_type_name, "TypeName"),
        "CodeNumber": _cut(serial, "CodeNumber"),
        "CodeNotation": _cut(notation, "CodeNotation"),
        "IssuedDate": result.issued_on.strftime("%d/%m/%Y") if result.issued_on else None,
        "OrganName": _cut(organ, "OrganName"),
        "Subject": _cut(result.subject, "Subject"),
        "Language": "Tiếng Việt",
        "PageAmount": text.count("\f") + 1 if text.strip() else None,
        "SignerInfo": signer,
        "ConfidenceLevel": confidence_level,
        "Autograph": "có chữ ký" if result.signer_name else None,
        "Description": _cut(description, "Description"),
    }
