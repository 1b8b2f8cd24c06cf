"""OCR stage: any scan (PDF, TIFF, JPEG, PNG) → searchable PDF with Tesseract's Vietnamese text."""

from ocr.inputs import InputInfo, inspect_input
from ocr.pipeline import ocr_document
from ocr.tesseract import tesseract_version

__all__ = ["InputInfo", "inspect_input", "ocr_document", "tesseract_version"]
