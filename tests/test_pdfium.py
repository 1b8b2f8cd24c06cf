"""PDFium is not thread-safe: every call goes through sohoa.pdfium's lock."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PIL import ImageChops

from sohoa.pdfium import open_pdf

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "an-le-43-2021-p1.pdf"


def test_no_module_but_sohoa_pdfium_calls_pypdfium2() -> None:
    users = []
    for folder in ("ocr", "classify", "signing", "storage", "flows", "sohoa"):
        for source in (ROOT / folder).rglob("*.py"):
            if source.name == "pdfium.py" and source.parent.name == "sohoa":
                continue
            if re.search(r"^\s*(import|from)\s+pypdfium2", source.read_text(encoding="utf-8"), re.MULTILINE):
                users.append(str(source.relative_to(ROOT)))
    assert users == []


def test_threads_rendering_at_once_get_the_same_pixels() -> None:
    def render(_: int) -> bytes:
        with open_pdf(FIXTURE) as pdf:
            return pdf.render(0, scale=100 / 72, grayscale=True).tobytes()

    with open_pdf(FIXTURE) as pdf:
        expected = pdf.render(0, scale=100 / 72, grayscale=True)
    assert ImageChops.invert(expected).getbbox() is not None  # the page is not blank
    with ThreadPoolExecutor(max_workers=4) as pool:
        images = list(pool.map(render, range(12)))
    assert all(image == expected.tobytes() for image in images)
