"""A classified field's evidence in Vietnamese for the officers (classify/evidence_words.py): `sohoa classify`'s table
said it in English only."""

from __future__ import annotations

import json
import re
from pathlib import Path

from typer.testing import CliRunner

from classify import classify_text
from classify.evidence_words import _PHRASES, evidence_in_vietnamese
from classify.review import CORRECTED_BY
from classify.rules import (
    DATE_IN_TEXT_NOTE,
    HANDWRITTEN_NOTE,
    LOST_SLASH_NOTE,
    OTHER_CASE_NOTE,
    REMEMBERED_NOTE,
)
from classify.training import examples
from classify.vndate import SHORT_DATE_RULE
from flows.cli import app
from sohoa.record import PageWords

LAYOUT_FIXTURES = Path(__file__).parent / "fixtures" / "layout"
# the English words of the phrases the classifier writes (none is a Vietnamese word written without marks)
ENGLISH = {word for english, _ in _PHRASES for word in re.findall(r"\b[a-z]{3,}\b", english)} - {"dd", "mm"}


def _english_left(said: str) -> set[str]:
    """The classifier's English words left in ``said``, outside what it quotes from the document ('…') and the type
    model's name (an office's is `office-…`)."""
    unquoted = re.sub(r"'[^']*'|(?<=mô hình )\S+", "", said)
    return ENGLISH & set(re.findall(r"\b[a-z]{3,}\b", unquoted))


def _evidence_written() -> set[str]:
    """Every evidence the classifier writes for the layout fixtures (real scans' words) and synthetic documents of
    every type."""
    written = set()
    for fixture in sorted(LAYOUT_FIXTURES.glob("*.json")):
        data = json.loads(fixture.read_text(encoding="utf-8"))
        layout = [PageWords.model_validate(page) for page in data["layout"]]
        written |= {field.evidence for field in classify_text(data["text"], layout=layout).fields.values()}
    for text, _ in examples(2):
        written |= {field.evidence for field in classify_text(text).fields.values()}
    return written


def test_every_evidence_the_classifier_writes_is_said_in_vietnamese() -> None:
    written = _evidence_written()
    assert len(written) > 100, len(written)
    untranslated = {evidence: left for evidence in written if (left := _english_left(evidence_in_vietnamese(evidence)))}
    assert not untranslated, untranslated


def test_the_rarer_evidence_is_said_in_vietnamese_too() -> None:
    """Phrases the documents above do not bring out: a doubted handwritten number, an officer's correction, the
    model's notes, a header after a blank page, a date in the text, the symbol's fixes."""
    rare = {
        f"'Số:' line 4 ({OTHER_CASE_NOTE}); {LOST_SLASH_NOTE}; {HANDWRITTEN_NOTE}: '465' at 20": (
            "dòng 'Số:' 4 (không đúng chữ hoa, chữ thường theo Nghị định 30 nên kém chắc hơn); dấu '/' bị OCR đọc "
            "mất, đã đặt lại giữa số và ký hiệu; OCR không chắc các chữ số, có thể viết tay: '465' độ tin cậy 20"
        ),
        f"'ngày … tháng … năm …' in digits on line 30; {DATE_IN_TEXT_NOTE}; in the future, so doubtful": (
            "'ngày … tháng … năm …' bằng số ở dòng 30; không ở dòng địa danh, ngày tháng của phần đầu: một ngày "
            "trong nội dung, đáng ngờ; ở tương lai, nên đáng ngờ"
        ),
        f"{SHORT_DATE_RULE} on line 3": "'Địa danh, dd/mm/yyyy' ở dòng 3",
        f"{REMEMBERED_NOTE}: TB": "cán bộ đã sửa chính văn bản này (mô hình của cơ quan nhớ nguyên văn): TB",
        f"{CORRECTED_BY} vanthu@xa at 2026-12-03T10:00:00+00:00": "cán bộ vanthu@xa sửa lúc 2026-12-03T10:00:00+00:00",
        "'Số:' line 4; header on page 3 (pages 1-2 blank), lines counted on that page": (
            "dòng 'Số:' 4; phần đầu ở trang 3 (trang 1-2 trắng), đếm dòng trên trang đó"
        ),
        "title block line 9: 'THÔNG BÁO'; symbol says QĐ: disagreement; model office v3 says TB (p=0.81): agrees": (
            "tên loại văn bản ở dòng 9: 'THÔNG BÁO'; ký hiệu ghi loại QĐ: không khớp; mô hình office v3 cho là TB "
            "(p=0.81): khớp"
        ),
    }
    for english, vietnamese in rare.items():
        assert evidence_in_vietnamese(english) == vietnamese, english
    for english in (
        "rules found nothing; model office v3 says GM (p=0.52)",
        "model office v3 says GM (p=0.99): identical to an officer-labelled example",
        "type code in symbol 'TB-UBND'; type code 'QD' read as 'QĐ', the code of the title's type",
        "ký hiệu group 'UBNO' read as 'UBND', the initials of the issuing body",
        "'3{_' in a text layer",
        "date on the registration line 12",
        "no place on the date line: the issuer's unit",
        "lines at the top above 'Số:', not in capitals (given in capitals, as Decree 30 prints them)",
        "its 'Về việc:' line",
        "signing block at line 40, no name found below it",
        "no signing title found; name-like line 41 at the end",
        "no signing block found",
        "'Kính gửi:' line 6; 'Nơi nhận:' list from line 30",
        "'V/v' line 5 and a symbol without type code",
    ):
        assert not _english_left(evidence_in_vietnamese(english)), (english, evidence_in_vietnamese(english))


def test_the_classify_table_gives_the_evidence_in_vietnamese_then_english(tmp_path: Path) -> None:
    text = tmp_path / "thông báo.txt"
    text.write_text(
        "ỦY BAN NHÂN DÂN\nXÃ AN BÌNH\nSố: 12/TB-UBND\nAn Bình, ngày 05 tháng 3 năm 2025\nTHÔNG BÁO\n"
        "Về lịch tiếp công dân\n",
        encoding="utf-8",
    )
    env = {"SOHOA_DATA_DIR": str(tmp_path), "SOHOA_CONFIG": "", "COLUMNS": "250"}  # no sohoa.toml of the checkout's
    result = CliRunner().invoke(app, ["classify", str(text)], env=env)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    vietnamese = next(i for i, line in enumerate(lines) if "dòng 'Số:' 3" in line)
    assert "'Số:' line 3" in lines[vietnamese + 1], lines[vietnamese : vietnamese + 2]
