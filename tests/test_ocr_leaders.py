"""A form's leader dots, made paper on Tesseract's copy (ocr.preprocess.leaders_dropped, QA122)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from ocr import ocr_document
from ocr.preprocess import leaders_dropped
from tests.test_ocr_unread import FONT, MONO

PAPER = 250
# a khai sinh form's labels, each followed by leader dots to the right margin
LABELS = [
    "Họ, chữ đệm, tên người yêu cầu:",
    "Nơi cư trú:",
    "Giấy tờ tùy thân:",
    "Quan hệ với người được khai sinh:",
    "Họ, chữ đệm, tên người được khai sinh:",
    "Ngày, tháng, năm sinh:",
    "Nơi sinh:",
    "Dân tộc:",
    "Quốc tịch:",
    "Quê quán:",
]


def form_page(*, leaders: bool = True) -> Image.Image:
    """LABELS on an A4 page at 300 dpi, 13 pt, each followed by a word processor's leader dots (or not)."""
    page = Image.new("L", (2480, 3508), PAPER)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 54)
    for index, label in enumerate(LABELS):
        top = 400 + index * 110
        draw.text((200, top), label, font=font, fill=15)
        if leaders:
            start = draw.textbbox((200, top), label + " ", font=font)[2]
            dots = "." * 200
            while draw.textbbox((start, top), dots, font=font)[2] > 2280:
                dots = dots[:-1]
            draw.text((start, top), dots, font=font, fill=15)
    return page


def test_leader_dots_become_paper_and_everything_else_stays() -> None:
    page = form_page()
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, 54)
    # what is no leader: an ellipsis, a date and a time in small type, a line typed in a typewriter's face
    draw.text((200, 1700), "Xét đề nghị... của công chức Tư pháp - Hộ tịch.", font=font, fill=15)
    draw.text((200, 1820), "Thời gian ký: 06.01.2016 10:37:22 +07:00", font=ImageFont.truetype(FONT, 30), fill=15)
    draw.text((200, 1900), "4 ons linzen, 3 liter water, 3 uien", font=ImageFont.truetype(MONO, 42), fill=15)
    dropped = np.asarray(leaders_dropped(page, 300))
    before = np.asarray(page)
    changed = dropped != before
    assert changed.any()
    assert not changed[1650:].any()  # the ellipsis, the date, the typed line: as they were
    for index, label in enumerate(LABELS):
        top = 400 + index * 110
        end = draw.textbbox((200, top), label, font=font)[2]
        assert not changed[top - 20 : top + 80, :end].any()  # the label
        assert (dropped[top - 20 : top + 80, end + 40 : 2280] > 200).all()  # its leader: paper
    plain = form_page(leaders=False)
    assert leaders_dropped(plain, 300) is plain  # a page with none is passed as it is


@pytest.mark.integration
def test_a_forms_labels_are_read_among_its_leader_dots(tmp_path: Path) -> None:
    """QA122: a blank khai sinh form's leader dots were read as letters and lost the labels beside them (98 of its
    167 printed words, confidence 38, `low`); typed in and scanned, 31 of its 102 entries."""
    scan = tmp_path / "to-khai.png"
    form_page().save(scan, dpi=(300, 300))
    result = ocr_document(scan, tmp_path / "out.pdf", workers=2)
    read = " ".join(result.text.split())
    found = [label for label in LABELS if label in read]
    assert len(found) >= len(LABELS) - 1, read
    assert result.pages[0].quality == "good", result.pages[0]
