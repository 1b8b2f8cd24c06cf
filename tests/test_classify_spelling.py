"""Values as the document prints them: the rules match on one spelling (modern tone placement, '-' for every
dash), but a person's name must match the register and the ID card and a place keeps its own dash (VN_DOMAIN.md
§4.3: unify only in search and classification keys). Stray OCR marks ('ˆ') stay out of the values. A hộ tịch
record numbered by its register entry ('Số: 112' on a Giấy khai sinh) is filed by that number.

The OCR fixtures (tests/fixtures/layout/qa-*.json) are what Tesseract read on pages a QA tester generated with
the samples' renderer (invented names): a thông báo signed 'Đinh Thị Hoà', a quyết định where a speck was read
as 'ˆ' beside the issuer, a Giấy khai sinh 'Số: 112'."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify import classify_text
from classify.normalize import matching_text, printed_text, strip_stray_marks
from sohoa.record import Classification, PageWords
from sohoa.vietnamese import spelling_key

FIXTURES = Path(__file__).parent / "fixtures" / "layout"

MARRIAGE_EXTRACT = """ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM
XÃ TÂN HÒA Độc lập - Tự do - Hạnh phúc
Số: 27/TLKH-BS Tân Hòa, ngày 15 tháng 10 năm 2025
TRÍCH LỤC KẾT HÔN
(BẢN SAO)
Họ, chữ đệm, tên vợ: NGUYỄN THỊ THUỶ HOÀ
Ngày, tháng, năm sinh: 12/3/1998
Họ, chữ đệm, tên chồng: PHẠM ĐỨC TRỌNG
Ngày, tháng, năm sinh: 01/9/1995
Đã đăng ký kết hôn tại: Ủy ban nhân dân xã Thuỷ Hoà
Ngày đăng ký: 20/4/2024
KT. CHỦ TỊCH
PHÓ CHỦ TỊCH
Đinh Thị Hoà
"""


def _ocr(name: str) -> Classification:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return classify_text(data["text"], layout=[PageWords.model_validate(p) for p in data["layout"]])


def test_a_civil_status_record_keeps_the_names_as_printed() -> None:
    result = classify_text(MARRIAGE_EXTRACT, model=None)
    assert (result.doc_type, result.number) == ("HT-TLKH", "27/TLKH-BS")  # matched as before
    assert result.persons == ["NGUYỄN THỊ THUỶ HOÀ", "PHẠM ĐỨC TRỌNG"]  # not 'THỦY HÒA'
    assert result.fields["persons"].value == "NGUYỄN THỊ THUỶ HOÀ; PHẠM ĐỨC TRỌNG"
    assert "NGUYỄN THỊ THUỶ HOÀ (vợ)" in result.fields["persons"].evidence
    assert result.registration_place == "Ủy ban nhân dân xã Thuỷ Hoà"
    assert result.signer_name == result.fields["signer_name"].value == "Đinh Thị Hoà"
    assert result.archive_metadata["SignerInfo"] == "KT. CHỦ TỊCH PHÓ CHỦ TỊCH - Đinh Thị Hoà"
    assert (
        result.archive_metadata["Description"] == "Ngày đăng ký: 20/04/2024; Nơi đăng ký: Ủy ban nhân dân xã Thuỷ Hoà"
    )
    # the header in the modern spelling stays so
    assert result.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA" and result.place == "Tân Hòa"


def test_every_free_text_field_keeps_the_old_tone_placement() -> None:
    text = (
        "UỶ BAN NHÂN DÂN CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "XÃ TÂN HOÀ Độc lập - Tự do - Hạnh phúc\n"
        "Số: 12/TB-UBND Tân Hoà, ngày 07 tháng 02 năm 2025\n"
        "THÔNG BÁO\n"
        "Về việc hoà giải ở cơ sở tại thôn Thuỷ Lợi\n"
        "\n"
        "Căn cứ Luật Hoà giải ở cơ sở;\n"
        "Nơi nhận: CHỦ TỊCH\n"
        "- Tổ hoà giải thôn Thuỷ Lợi;\n"
        "- Lưu: VT.\n"
        "Đinh Thị Hoà\n"
    )
    result = classify_text(text, model=None)
    assert (result.doc_type, result.number, result.confidence) == ("TB", "12/TB-UBND", 0.95)
    assert result.issuer == "UỶ BAN NHÂN DÂN XÃ TÂN HOÀ"
    assert result.fields["admin_unit"].value == "xã Tân Hoà"
    assert result.place == "Tân Hoà"
    assert result.subject == "Về việc hoà giải ở cơ sở tại thôn Thuỷ Lợi"
    assert result.recipients == ["Tổ hoà giải thôn Thuỷ Lợi", "Lưu: VT"]
    assert result.signer_name == "Đinh Thị Hoà"
    assert result.archive_metadata["OrganName"] == "UỶ BAN NHÂN DÂN XÃ TÂN HOÀ"
    for key in ("issuer", "place", "subject", "recipients", "signer_name"):
        assert "ỷ" in result.fields[key].value or "oà" in result.fields[key].value.lower(), key
    # the type model and the search index still see one spelling
    assert spelling_key(result.issuer) == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"


def test_a_name_spelled_both_ways_in_one_document_is_taken_where_it_signs() -> None:
    text = MARRIAGE_EXTRACT.replace("Ngày đăng ký: 20/4/2024", "Ngày đăng ký: 20/4/2024\nNgười ghi: bà Đinh Thị Hòa")
    assert classify_text(text, model=None).signer_name == "Đinh Thị Hoà"


def test_the_signer_of_a_scanned_notice_keeps_the_spelling_ocr_read() -> None:
    result = _ocr("qa-tb-hoa.pdf.json")  # 'Đinh Thị Hoà' in the OCR text; was 'Đinh Thị Hòa'
    assert result.signer_name == "Đinh Thị Hoà"
    assert result.archive_metadata["SignerInfo"] == "CHỦ TỊCH - Đinh Thị Hoà"
    assert (result.doc_type, result.number, result.issuer) == ("TB", "12/TB-UBND", "ỦY BAN NHÂN DÂN XÃ TÂN HÒA")


@pytest.mark.parametrize(
    ("dash", "unit"),
    [("–", "phường Phan Rang–Tháp Chàm"), (" – ", "phường Phan Rang – Tháp Chàm"), ("-", "phường Phan Rang-Tháp Chàm")],
)
def test_a_place_keeps_its_own_dash(dash: str, unit: str) -> None:
    text = (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        f"PHƯỜNG PHAN RANG{dash}THÁP CHÀM Độc lập - Tự do - Hạnh phúc\n"
        f"Số: 07/TTr-UBND Phan Rang{dash}Tháp Chàm, ngày 3 tháng 5 năm 2024\n"
        "TỜ TRÌNH\nVề việc đề nghị phê duyệt kinh phí số hóa\n\nKính gửi: Ủy ban nhân dân tỉnh Khánh Hòa.\n"
        "TM. ỦY BAN NHÂN DÂN\nCHỦ TỊCH\nNguyễn Thị Ngọc Ánh\n"
    )
    result = classify_text(text, model=None)
    assert result.place == f"Phan Rang{dash}Tháp Chàm"
    assert result.issuer == f"ỦY BAN NHÂN DÂN PHƯỜNG PHAN RANG{dash}THÁP CHÀM"
    # the unit is read from a name with its dash unspaced too (it was lost: no admin_unit)
    assert result.fields["admin_unit"].value == unit
    assert result.number == "07/TTr-UBND" and result.confidence == 0.95


def test_the_matching_text_is_the_printed_text_letter_for_letter() -> None:
    printed = printed_text("Uỷ ban nhân dân xã Tân Hoà\nPhan Rang–Tháp Chàm — Khánh Hoà\nSô: 12/QĐ-UBND")
    matching = matching_text(printed)
    assert matching == "Ủy ban nhân dân xã Tân Hòa\nPhan Rang-Tháp Chàm - Khánh Hòa\nSố: 12/QĐ-UBND"
    assert printed == "Uỷ ban nhân dân xã Tân Hoà\nPhan Rang–Tháp Chàm — Khánh Hoà\nSố: 12/QĐ-UBND"
    assert [len(line) for line in printed.split("\n")] == [len(line) for line in matching.split("\n")]


# ------------------------------------------------------------------------------------------ stray marks
def test_a_stray_mark_read_beside_the_issuer_stays_out_of_it() -> None:
    result = _ocr("qa-qd-07-stray-mark.png.json")  # Tesseract read a speck as 'ˆ' (U+02C6) under the header
    assert result.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"  # was '… TÂN HÒA ˆ'
    assert result.fields["issuer"].confidence == 0.8  # in capitals (it was 0.7, 'not in capitals')
    assert result.archive_metadata["OrganName"] == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"
    assert result.fields["admin_unit"].value == "xã Tân Hòa"


@pytest.mark.parametrize("mark", ["ˆ", "˜", "ˋ", "´", "`", "^", "~", "¨", "\u0301", "\u0303"])
def test_no_stray_mark_stays_in_a_field(mark: str) -> None:
    text = (
        f"ỦY BAN NHÂN DÂN {mark}\nXÃ TÂN HÒA {mark}\n{mark}\nSố: 07/QĐ-UBND\n"
        "Tân Hòa, ngày 03 tháng 5 năm 2025\nQUYẾT ĐỊNH\n"
        f"Về việc thành lập Tổ số hóa {mark}\n\nĐiều 1. Thành lập.\n"
        f"Nơi nhận:\n- Như Điều 1; {mark}\n- Lưu: VT.\nCHỦ TỊCH\n{mark} Trịnh Quốc Định {mark}\n"
    )
    result = classify_text(text, model=None)
    assert result.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"
    assert result.fields["issuer"].confidence == 0.8
    assert result.subject == "Về việc thành lập Tổ số hóa"
    assert result.signer_name == "Trịnh Quốc Định"
    assert result.recipients == ["Như Điều 1", "Lưu: VT"]
    values = [f.value or "" for f in result.fields.values()]
    assert not any(mark in value for value in values)


def test_stray_marks_are_only_the_ones_on_no_letter() -> None:
    assert strip_stray_marks("TÂN HÒA ˆ") == "TÂN HÒA "
    assert strip_stray_marks("HÒAˆ ´X") == "HÒA X"
    assert strip_stray_marks("Nguyễn Thị Thuỷ Hoà") == "Nguyễn Thị Thuỷ Hoà"  # diacritics on their letters
    assert strip_stray_marks("từ 5~10 ngày") == "từ 5~10 ngày"  # between two digits it is a sign
    assert strip_stray_marks("a \u0301b") == "a b"


# ------------------------------------------------------------------------------------------ register numbers
def test_a_birth_certificate_is_numbered_by_its_register_entry() -> None:
    result = _ocr("qa-gks-112.png.json")  # 'Số: 112' under the issuer: it went to review, 'no-number'
    assert (result.doc_type, result.number, result.registration_number) == ("HT-GKS", "112", "112")
    assert result.symbol is None
    assert result.fields["number"].confidence == 0.9 and "register" in result.fields["number"].evidence
    assert result.confidence == 0.85  # the type from its title alone; was 0.4 (no number)
    assert result.archive_metadata["CodeNumber"] == "112" and result.archive_metadata["CodeNotation"] is None
    assert result.persons == ["LƯƠNG THỊ QUỲNH ANH", "VI THỊ HƯỜNG", "LƯƠNG VĂN ĐÔNG"]


@pytest.mark.parametrize(
    ("title", "number_line", "number", "notation"),
    [
        ("GIẤY CHỨNG NHẬN KẾT HÔN", "Số: 45\nQuyển số: 01/2025", "45", None),
        ("GIẤY CHỨNG TỬ", "Số: 63/2012\nQuyển số: 01/2012", "63/2012", None),  # before 2016: the year in it
        ("TRÍCH LỤC KHAI TỬ", "Số: 31/TLKT-BS", "31/TLKT-BS", "TLKT-BS"),  # a Decree 30 style number as before
    ],
)
def test_other_civil_status_records_numbered_by_the_register(
    title: str, number_line: str, number: str, notation: str | None
) -> None:
    text = (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nXÃ BÌNH AN Độc lập - Tự do - Hạnh phúc\n"
        f"{number_line}\nBình An, ngày 14 tháng 8 năm 2025\n{title}\n"
        "Họ, chữ đệm, tên: HOÀNG THỊ MẬN\nSố: 31\nNgày đăng ký: 14/8/2025\nNGƯỜI KÝ\nLò Văn Thắm\n"
    )
    result = classify_text(text, model=None)
    assert result.number == number and result.confidence >= 0.85
    assert result.archive_metadata["CodeNotation"] == notation


def test_a_number_in_the_registration_block_is_not_the_documents() -> None:
    # under the title, 'Số: 31' is the registration block of a copy whose own number OCR lost: still no number
    text = (
        "ỦY BAN NHÂN DÂN\nXÃ BÌNH AN\nBình An, ngày 14 tháng 8 năm 2025\nTRÍCH LỤC KHAI TỬ\n"
        "Họ, chữ đệm, tên: HOÀNG THỊ MẬN\nĐã đăng ký khai tử tại: Ủy ban nhân dân xã Bình An\nSố: 31\n"
    )
    result = classify_text(text, model=None)
    assert (result.number, result.registration_number, result.confidence) == (None, "31", 0.4)
