"""Classification stage: Decree 30/2020 document type and header metadata from OCR text."""

from classify.doctypes import DocType, by_code, load_doc_types
from classify.normalize import normalize_text
from classify.rules import classify_text
from sohoa.vietnamese import canonical_tones, fold

__all__ = [
    "DocType",
    "by_code",
    "canonical_tones",
    "classify_text",
    "fold",
    "load_doc_types",
    "normalize_text",
]
