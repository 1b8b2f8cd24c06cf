"""OCR stage: any scan (PDF, TIFF, JPEG, PNG, BMP, GIF) → searchable PDF with Tesseract's Vietnamese text.

The names below load on first use, so that ``ocr.tesseract_library`` can start its workers before the rest of
the stage (pdfplumber, pikepdf, numpy: ~0.5 s) has been imported."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ocr.inputs import InputInfo, inspect_input
    from ocr.pipeline import ocr_document
    from ocr.tesseract import tesseract_version

__all__ = ["InputInfo", "inspect_input", "ocr_document", "tesseract_version"]
_HOMES = {
    "InputInfo": "ocr.inputs",
    "inspect_input": "ocr.inputs",
    "ocr_document": "ocr.pipeline",
    "tesseract_version": "ocr.tesseract",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'ocr' has no attribute {name!r}")
