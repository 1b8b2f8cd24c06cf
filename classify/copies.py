"""The marks of a copy (bản sao) under the last part of the document it copies (Decree 30's Mẫu 3.1; VN_DOMAIN.md
1.5): its form in capitals and its number in the copies' own series. Used by ``classify.layout`` (to read the copy's
block apart from the copied document's closing) and ``classify.rules.find_copy_block`` (to read it)."""

from __future__ import annotations

import re

from classify.normalize import one_edit_apart

COPY_FORMS = {"SY": "SAO Y", "SL": "SAO LỤC", "TrS": "TRÍCH SAO"}
# the form as printed or as OCR reads it ("SAOY": Tesseract joins the two words of the bold form at 200–300 dpi,
# QA86); not the stamp "SAO Y BẢN CHÍNH" on a certified photocopy, which is no copy's block
COPY_FORM_WORDS = r"SA[O0] ?Y|SA[O0] ?L[UỤ]C|TR[IÍ]CH ?SA[O0]"
COPY_FORM_RE = re.compile(rf"(?<!\w)({COPY_FORM_WORDS})(?!\w)(?!\s+BẢN\b)")
# "Số: 14/SY", "14/SY-UBND" (a body's initials after the symbol, as some offices write it), "05/TrS"
_COPY_NUMBER_RE = re.compile(
    r"^Số\s*:?\s*(?P<serial>\d+)\s*/\s*(?P<symbol>[A-Za-z0-9]{2,3})(?P<more>-[A-ZĐ0-9][A-ZĐ0-9-]*)?(?![\w/])"
)


def copy_number(line: str, *, form_near: bool) -> tuple[str, int] | None:
    """(the copy's number, where it ends in ``line``) when ``line`` begins with a copy's number; with ``form_near``
    (the copy's form printed beside or above it) an OCR slip one letter away from the symbol is read as it
    ('05/IrS' for '05/TrS', QA86), not otherwise: a symbol one letter from SY or SL can be another body's."""
    match = _COPY_NUMBER_RE.match(line)
    if match is None:
        return None
    symbol = match.group("symbol")
    if symbol not in COPY_FORMS:
        symbol = next((code for code in COPY_FORMS if form_near and one_edit_apart(symbol, code)), "")
        if not symbol:
            return None
    return f"{match.group('serial')}/{symbol}{match.group('more') or ''}", match.end()


def copy_form(words: str) -> str:
    """The form Decree 30 prints for what ``COPY_FORM_RE`` found ('SAOY' → 'SAO Y', 'SAO LUC' → 'SAO LỤC')."""
    folded = words.upper().replace(" ", "").replace("0", "O")
    return "TRÍCH SAO" if folded.startswith("TR") else "SAO LỤC" if "L" in folded else "SAO Y"
