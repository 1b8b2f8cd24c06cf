"""The layout reading (classify/layout.py): Decree 30's two-column header and closing told apart by word
positions, on pages laid out word by word here (an A4 page at 300 dpi: 2480 px wide, text from x=350 to 2300,
50 px rows) and on the word boxes Tesseract gave for the bundled samples (tests/fixtures/layout/)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from classify import classify_text
from classify.layout import Side, column_bands, page_text, read_rows, text_with_layout
from sohoa.record import PageWords, PlacedWord
from tests.conftest import SHARED, needs_shared

CHAR = 22  # px per character at ~13 pt, 300 dpi
ROW = 60
LEFT_MARGIN, RIGHT_EDGE = 350, 2300
FIXTURES = Path(__file__).parent / "fixtures" / "layout"


def placed(text: str, x0: float, row: int) -> list[PlacedWord]:
    """The words of ``text`` set from ``x0`` on row ``row``."""
    words: list[PlacedWord] = []
    x = x0
    for word in text.split():
        width = CHAR * len(word)
        words.append(PlacedWord(text=word, x0=x, top=row * ROW, x1=x + width, bottom=row * ROW + 40))
        x += width + CHAR
    return words


def centred(text: str, centre: float, row: int) -> list[PlacedWord]:
    width = CHAR * (len(text) + 1)
    return placed(text, centre - width / 2, row)


LEFT_CENTRE, RIGHT_CENTRE, MIDDLE = 750, 1750, (LEFT_MARGIN + RIGHT_EDGE) / 2


def body(row: int) -> list[PlacedWord]:
    """A body line across the text area."""
    return placed(
        "Căn cứ Luật Tổ chức chính quyền địa phương ngày 16 tháng 6 năm 2025 và các văn bản hướng", LEFT_MARGIN, row
    )


def decision_page() -> PageWords:
    words = [
        *centred("ỦY BAN NHÂN DÂN", LEFT_CENTRE, 0),
        *centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_CENTRE, 0),
        *centred("XÃ TÂN LẬP", LEFT_CENTRE, 1),
        *centred("Độc lập - Tự do - Hạnh phúc", RIGHT_CENTRE, 1),
        *centred("Số: 03/QĐ-UBND", LEFT_CENTRE, 3),
        *centred("Tân Lập, ngày 27 tháng 02 năm 2025", RIGHT_CENTRE, 3),
        *centred("QUYẾT ĐỊNH", MIDDLE, 5),
        *centred("Về việc giao nhiệm vụ số hóa hồ sơ hộ tịch", MIDDLE, 6),
        *centred("CHỦ TỊCH ỦY BAN NHÂN DÂN XÃ TÂN LẬP", MIDDLE, 8),
        *body(9),
        *placed("Quyết định này có hiệu lực kể từ ngày ký./.", LEFT_MARGIN + 100, 10),
        *placed("Nơi nhận:", LEFT_MARGIN, 12),
        *centred("TM. ỦY BAN NHÂN DÂN", RIGHT_CENTRE, 12),
        *placed("- Như Điều 3;", LEFT_MARGIN, 13),
        *centred("CHỦ TỊCH", RIGHT_CENTRE, 13),
        *placed("- Lưu: VT, VP.", LEFT_MARGIN, 14),
        *centred("Lò Văn Thắm", RIGHT_CENTRE, 17),
    ]
    return PageWords(number=1, words=words)


def test_rows_are_cut_at_the_column_gap_and_sided() -> None:
    rows = read_rows(decision_page().words)
    assert [s.side for s in rows[0].segments] == [Side.LEFT, Side.RIGHT]
    assert rows[0].segments[1].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    title = next(row for row in rows if row.text == "QUYẾT ĐỊNH")
    assert [s.side for s in title.segments] == [Side.FULL]  # centred, not a column
    assert all(s.side is Side.FULL for s in next(r for r in rows if r.text.startswith("Căn cứ")).segments)


def test_header_and_closing_are_read_column_by_column() -> None:
    lines = page_text(decision_page()).splitlines()
    assert lines[:2] == ["ỦY BAN NHÂN DÂN", "XÃ TÂN LẬP"]
    assert lines.index("Số: 03/QĐ-UBND") < lines.index("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    assert lines.index("Tân Lập, ngày 27 tháng 02 năm 2025") < lines.index("QUYẾT ĐỊNH")
    closing = lines[lines.index("Nơi nhận:") :]
    assert closing[:3] == ["Nơi nhận:", "- Như Điều 3;", "- Lưu: VT, VP."]
    assert closing[-3:] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Lò Văn Thắm"]


def test_classification_from_positions_gives_each_column_its_field() -> None:
    page = decision_page()
    # what Tesseract's reading order makes of the same page: the columns merged row by row
    merged = "\n".join(row.text for row in read_rows(page.words))
    assert "ỦY BAN NHÂN DÂN CỘNG HÒA" in merged
    result = classify_text(merged, layout=[page])
    assert result.columns == "word positions"
    assert (result.doc_type, result.number, result.issued_on) == ("QĐ", "03/QĐ-UBND", date(2025, 2, 27))
    assert result.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN LẬP"
    assert (result.signer_name, result.signer_title, result.signing_authority) == (
        "Lò Văn Thắm",
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH",
        "TM",
    )
    assert result.recipients == ["Như Điều 3", "Lưu: VT, VP"]
    assert "word positions" in result.fields["issuer"].evidence
    assert classify_text(merged).columns == "reading order"


def test_two_signers_side_by_side_the_right_one_signs() -> None:
    words = [
        *body(0),
        *centred("THƯ KÝ", LEFT_CENTRE, 2),
        *centred("CHỦ TỌA", RIGHT_CENTRE, 2),
        *centred("Hà Thị Lụa", LEFT_CENTRE, 5),
        *centred("Lương Văn Tiến", RIGHT_CENTRE, 5),
    ]
    lines = page_text(PageWords(number=1, words=words)).splitlines()
    assert lines[1:] == ["THƯ KÝ", "Hà Thị Lụa", "", "CHỦ TỌA", "Lương Văn Tiến"]


@pytest.mark.parametrize(
    ("form", "number", "read"),
    [
        ("SAO Y", "Số: 14/SY", ("SAO Y", "14/SY")),
        ("SAOY", "Số: 14/SY", ("SAO Y", "14/SY")),  # QA86: Tesseract joins the bold form's words
        ("TRÍCH SAO", "Số: 14/IrS", ("TRÍCH SAO", "14/TrS")),  # QA86: 'T' read 'I' at 200 dpi, the form beside it
        ("SAO LỤC", "Số: 14/SL-UBND", ("SAO LỤC", "14/SL-UBND")),
    ],
)
def test_a_copys_own_block_is_read_apart_from_the_document_it_copies(
    form: str, number: str, read: tuple[str, str]
) -> None:
    """QA81 L3: a copy's block under the copied decision (Decree 30's Mẫu 3.1: the copying body and 'Số: 14/SY' on
    the left, 'SAO Y' and the copy's date on the right, its signer and its 'Nơi nhận') was read as the decision's
    own: its signer was taken for the decision's ('Nguyễn Văn An, TL. CHỦ TỊCH CHÁNH VĂN PHÒNG'), its recipients
    joined the decision's, and the copy's number and date were recorded nowhere. The full-width rule over the block
    is not read by Tesseract: by word positions the two closings were one band, read column by column, the copy's
    left column between the decision's recipients and its signer."""
    copy_block = [
        *centred("ỦY BAN NHÂN DÂN", LEFT_CENTRE, 20),
        *centred(form, RIGHT_CENTRE, 20),
        *centred("XÃ TÂN LẬP", LEFT_CENTRE, 21),
        *centred("Tân Lập, ngày 11 tháng 3 năm 2025", RIGHT_CENTRE, 21),
        *centred(number, LEFT_CENTRE, 22),
        *centred("TL. CHỦ TỊCH", RIGHT_CENTRE, 24),
        *placed("Nơi nhận:", LEFT_MARGIN, 25),
        *centred("CHÁNH VĂN PHÒNG", RIGHT_CENTRE, 25),
        *placed("- Thôn Đông;", LEFT_MARGIN, 26),
        *centred("Nguyễn Văn An", RIGHT_CENTRE, 29),
    ]
    results = []
    for rule in ([], placed("_" * 80, LEFT_MARGIN, 19)):  # the rule unread (Tesseract's way), or read as a row
        page = PageWords(number=1, words=[*decision_page().words, *rule, *copy_block])
        merged = "\n".join(row.text for row in read_rows(page.words))  # Tesseract's reading order: columns merged
        results += [classify_text(merged, layout=[page]), classify_text(merged)]
    for result in results:
        assert (result.doc_type, result.number, result.issued_on) == ("QĐ", "03/QĐ-UBND", date(2025, 2, 27))
        assert (result.signer_name, result.signer_title) == ("Lò Văn Thắm", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH")
        assert result.recipients == ["Như Điều 3", "Lưu: VT, VP"]
        copy = result.copy_block
        assert copy is not None, result.columns
        assert (copy.form, copy.number, copy.issued_on, copy.place) == (*read, date(2025, 3, 11), "Tân Lập")
        assert (copy.issuer, copy.signer_name) == ("ỦY BAN NHÂN DÂN XÃ TÂN LẬP", "Nguyễn Văn An")
        assert copy.signer_title == "TL. CHỦ TỊCH CHÁNH VĂN PHÒNG"
        assert result.archive_metadata["ConfidenceLevel"] == "Bản sao"
        assert result.archive_metadata["SignerInfo"] == "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH - Lò Văn Thắm"
        assert result.archive_metadata["Description"] == (
            f"Bản sao: {' '.join(read)}, 11/03/2025, ỦY BAN NHÂN DÂN XÃ TÂN LẬP, TL. CHỦ TỊCH CHÁNH VĂN PHÒNG - "
            "Nguyễn Văn An"
        )
    # a copy laid out as a document of its own, 'Số: 14/SY' in its header: the number is the document's
    own = classify_text(
        "ỦY BAN NHÂN DÂN\nXÃ TÂN LẬP\nSố: 14/SY Tân Lập, ngày 11 tháng 3 năm 2025\nSAO Y\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương;\nNơi nhận: CHỦ TỊCH\n- Thôn Đông;\nLò Văn Thắm"
    )
    assert (own.doc_type, own.number, own.signer_name, own.copy_block) == ("SY", "14/SY", "Lò Văn Thắm", None)


def test_a_sentence_citing_a_copys_number_is_no_copy_block() -> None:
    """QA86: a decision's article wrapped onto a line beginning 'Số: 14/SY ngày 11/3/2025 của Văn phòng.' was taken
    for a copy's block: the decision lost its signer and recipients to it. A copy's number stands alone on its line
    (or beside its place and date), under the copied document's closing or by the copy's form."""
    for citing in (
        "Điều 2. Giao Văn phòng gửi văn bản theo\nSố: 14/SY ngày 11/3/2025 của Văn phòng.",
        "Điều 2. Văn phòng thực hiện việc\nSAO Y\nSố: 14/SY để gửi các thôn.",
    ):
        text = (
            "ỦY BAN NHÂN DÂN\nXÃ TÂN LẬP\nSố: 15/QĐ-UBND Tân Lập, ngày 05 tháng 3 năm 2025\nQUYẾT ĐỊNH\n"
            f"Về việc công nhận tổ hòa giải ở cơ sở\n{citing}\nĐiều 3. Quyết định này có hiệu lực từ ngày ký.\n"
            "Nơi nhận: CHỦ TỊCH\n- Như Điều 2;\n- Lưu: VT.\nLò Văn Thắm"
        )
        result = classify_text(text, model=None)
        assert (result.signer_name, result.signer_title, result.copy_block) == ("Lò Văn Thắm", "CHỦ TỊCH", None)
        assert result.recipients == ["Như Điều 2", "Lưu: VT"]


def test_a_copy_as_tesseract_read_it_gives_the_decision_its_signer_and_the_copy_its_block() -> None:
    """The same on Tesseract's own boxes (a decision with its copy block in Mẫu 3.1's layout, rendered at 300 dpi
    in Liberation Serif by fixtures/layout/render_sao_y.py and read by ``ocr.ocr_document``; QA81 L3): the rule over
    the block was not read."""
    text, layout = _sample("qa-qd-15-sao-y.png")
    result = classify_text(text, layout=layout)
    assert (result.number, result.signer_name, result.signer_title) == ("15/QĐ-UBND", "Lò Văn Thắm", "CHỦ TỊCH")
    assert result.recipients == ["Như Điều 2", "Lưu: VT"]
    assert result.copy_block is not None
    assert (result.copy_block.number, result.copy_block.issued_on) == ("14/SY", date(2025, 3, 11))
    assert (result.copy_block.signer_name, result.copy_block.issuer) == ("Nguyễn Văn An", "ỦY BAN NHÂN DÂN XÃ TÂN LẬP")


def test_form_rows_in_the_middle_keep_their_order() -> None:
    # a hộ tịch form: label/value pairs side by side between full-width lines stay row by row
    words = [
        *centred("ỦY BAN NHÂN DÂN", LEFT_CENTRE, 0),
        *centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_CENTRE, 0),
        *centred("TRÍCH LỤC KHAI TỬ", MIDDLE, 2),
        *body(3),
        *placed("Giới tính: Nữ", LEFT_MARGIN, 4),
        *placed("Dân tộc: Tày", 1500, 4),
        *placed("Quốc tịch: Việt Nam", LEFT_MARGIN, 5),
        *placed("Số định danh: 020141009931", 1500, 5),
        *body(6),
        *centred("KT. CHỦ TỊCH", RIGHT_CENTRE, 8),
        *centred("Hoàng Văn Thụ", RIGHT_CENTRE, 10),
    ]
    rows = read_rows(words)
    bands = column_bands(rows)
    assert len(bands) == 1  # the header; the form rows are neither the header nor the closing
    lines = page_text(PageWords(number=1, words=words)).splitlines()
    assert "Giới tính: Nữ Dân tộc: Tày" in lines
    assert lines.index("Giới tính: Nữ Dân tộc: Tày") < lines.index("Quốc tịch: Việt Nam Số định danh: 020141009931")


def test_a_forms_label_and_its_value_at_a_tab_stop_stay_one_line_before_the_closing() -> None:
    """QA81 M4: a birth certificate printing each value at a tab stop right of the middle, with its closing after
    the form, was read as one band column by column: the labels, then the values — persons and registration facts
    lost, archived unreviewed. A label's value stays on its line; "Nơi nhận:" beside the signing block does not."""
    words = [
        *centred("ỦY BAN NHÂN DÂN", LEFT_CENTRE, 0),
        *centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_CENTRE, 0),
        *centred("Số: 112", LEFT_CENTRE, 1),
        *centred("GIẤY KHAI SINH", MIDDLE, 3),
        *placed("Họ, chữ đệm, tên:", LEFT_MARGIN, 4),
        *placed("NGUYỄN THỊ THUỶ HOÀ", 1400, 4),
        *placed("Ngày, tháng, năm đăng ký:", LEFT_MARGIN, 5),
        *placed("14/8/2025", 1400, 5),
        *placed("Nơi nhận:", LEFT_MARGIN, 7),
        *centred("CHỦ TỊCH", RIGHT_CENTRE, 7),
        *centred("Lò Văn Thắm", RIGHT_CENTRE, 9),
    ]
    lines = page_text(PageWords(number=1, words=words)).splitlines()
    assert "Họ, chữ đệm, tên: NGUYỄN THỊ THUỶ HOÀ" in lines and "Ngày, tháng, năm đăng ký: 14/8/2025" in lines, lines
    assert "Nơi nhận:" in lines and lines[-2:] == ["CHỦ TỊCH", "Lò Văn Thắm"], lines


def test_pages_without_boxes_keep_their_text() -> None:
    assert text_with_layout("trang một\ftrang hai", [PageWords(number=2, words=[])]) == "trang một\ftrang hai"
    replaced = text_with_layout("x\fy", [PageWords(number=2, words=placed("Trang hai", LEFT_MARGIN, 0))])
    assert replaced == "x\fTrang hai"


def _sample(name: str) -> tuple[str, list[PageWords]]:
    data = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    return data["text"], [PageWords.model_validate(page) for page in data["layout"]]


SAMPLES = {
    # name: doc_type, number, issued_on, issuer, signer_name, signer_title
    "qd-15-ubnd.pdf": (
        "QĐ",
        "15/QĐ-UBND",
        "2025-11-19",
        "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN",
        "Lò Văn Thắm",
        "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH",
    ),
    "bb-03-bb-ubnd.tiff": ("BB", "03/BB-UBND", "2025-02-27", "ỦY BAN NHÂN DÂN XÃ TÂN LẬP", "Lương Văn Tiến", "CHỦ TỌA"),
    "thông-báo-08-ubnd.png": (
        "TB",
        "08/TB-UBND",
        "2025-09-05",
        "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
        "Đinh Thị Hồng Nhung",
        "GIÁM ĐỐC",
    ),
    "trich-luc-khai-tu-31.png": (
        "HT-TLKT",
        "31/TLKT-BS",
        "2025-08-14",
        "ỦY BAN NHÂN DÂN XÃ BÌNH AN",
        "Hoàng Văn Thụ",
        "KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
    ),
    "cv-118-ubnd-vp.jpg": (
        "CV",
        "118/UBND-VP",
        "2025-10-21",
        "ỦY BAN NHÂN DÂN XÃ PHÚ HƯNG",
        "Vi Thị Phượng",
        "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
    ),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_bundled_samples_classified_from_tesseract_boxes(name: str) -> None:
    text, layout = _sample(name)
    doc_type, number, issued_on, issuer, signer_name, signer_title = SAMPLES[name]
    result = classify_text(text, layout=layout)
    assert result.columns == "word positions"
    assert (result.doc_type, result.number, result.issued_on, result.issuer) == (
        doc_type,
        number,
        date.fromisoformat(issued_on),
        issuer,
    )
    assert (result.signer_name, result.signer_title) == (signer_name, signer_title)
    assert result.confidence >= 0.9


def test_bundled_samples_closing_and_civil_status_from_boxes() -> None:
    text, layout = _sample("qd-15-ubnd.pdf")
    assert classify_text(text, layout=layout).recipients == [
        "Như Điều 3",
        "Thường trực Đảng ủy xã",
        "Chủ tịch, các PCT UBND xã",
        "Lưu: VT, VP",
    ]
    text, layout = _sample("thông-báo-08-ubnd.png")
    assert classify_text(text, layout=layout).issuer_parent == "UBND XÃ ĐỒNG TÂM"
    text, layout = _sample("trich-luc-khai-tu-31.png")
    civil = classify_text(text, layout=layout)
    assert (civil.registration_number, civil.book_number, civil.registration_date) == (
        "31",
        "01/2025",
        date(2025, 8, 12),
    )
    assert civil.persons == ["HOÀNG THỊ MẬN", "NÔNG VĂN DŨNG"]


def test_a_wider_gap_starts_a_paragraph_so_the_subject_stops_there() -> None:
    # found by exploratory testing: on every scan the trích yếu ran on into the body ("Lịch tiếp công dân tháng 7
    # … Ủy ban nhân dân xã … thông báo …") — OCR gives rows, not the blank lines a text file has
    def at(text: str, x0: float, top: float) -> list[PlacedWord]:
        return [w.model_copy(update={"top": top, "bottom": top + 40}) for w in placed(text, x0, 0)]

    words = [
        *centred("ỦY BAN NHÂN DÂN", LEFT_CENTRE, 0),
        *centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_CENTRE, 0),
        *centred("Số: 21/TB-UBND", LEFT_CENTRE, 1),
        *centred("Mỹ Hòa, ngày 20 tháng 6 năm 2025", RIGHT_CENTRE, 1),
        *at("THÔNG BÁO", 1150, 240),
        *at("Lịch tiếp công dân tháng 7 năm 2025", 950, 320),  # 40 px under the title: the trích yếu
        *at("Ủy ban nhân dân xã Mỹ Hòa thông báo lịch tiếp công dân định kỳ tháng 7 năm 2025", LEFT_MARGIN, 450),
        *at("như sau: Chủ tịch tiếp công dân vào sáng thứ Năm hằng tuần tại trụ sở.", LEFT_MARGIN, 530),
    ]
    text = page_text(PageWords(number=1, words=words))
    assert "Lịch tiếp công dân tháng 7 năm 2025\n\nỦy ban nhân dân xã" in text
    assert "tháng 7 năm 2025\nnhư sau:" in text  # the lines of one paragraph stay together
    assert classify_text(text).subject == "Lịch tiếp công dân tháng 7 năm 2025"


def test_text_layer_boxes_that_overlap_still_end_the_subject_at_the_body() -> None:
    """QA57: `sohoa classify` on sohoa's own output (the words of its text layer, through pdfplumber) ran the
    trích yếu on into the body. A text layer's boxes are a font's height, taller than the ink: the rows of a
    paragraph overlap, so the only gaps left were the paragraph breaks, and they were "the usual gap". The rows as
    pdfplumber gave them for that notice (pt): pitch ~16 in a paragraph, 22.5 between paragraphs, 29 under the
    subject."""

    def at(text: str, x0: float, top: float, height: float = 18) -> list[PlacedWord]:
        return [w.model_copy(update={"top": top, "bottom": top + height}) for w in placed(text, x0, 0)]

    words = [
        *centred("UBND XÃ ĐỒNG TÂM", LEFT_CENTRE, 0),
        *centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", RIGHT_CENTRE, 0),
        *centred("Số: 08/TB-UBND", LEFT_CENTRE, 1),
        *centred("Đồng Tâm, ngày 05 tháng 9 năm 2025", RIGHT_CENTRE, 1),
        *at("THÔNG BÁO", 1150, 143.3),
        *at("Lịch tiếp nhận hồ sơ thủ tục hành chính lĩnh vực hộ tịch", 700, 163.2),
        *at("trong thời gian số hóa sổ hộ tịch", 900, 181.6),
        *at("Thực hiện kế hoạch số hóa sổ hộ tịch của Ủy ban nhân dân xã Đồng Tâm, Trung", LEFT_MARGIN, 210.7),
        *at("tâm Phục vụ hành chính công xã thông báo lịch tiếp nhận và trả kết quả", LEFT_MARGIN, 226.3),
        *at("hành chính lĩnh vực hộ tịch từ ngày 08 tháng 9 năm 2025 đến hết ngày 31", LEFT_MARGIN, 242.6),
        *at("2025 như sau:", LEFT_MARGIN, 259.5, 10),
        *at("1. Thời gian tiếp nhận: từ thứ Hai đến thứ Sáu hằng tuần", LEFT_MARGIN, 282.0),
        *at("phút đến 11 giờ 30 phút, buổi chiều từ 13 giờ 30 phút", LEFT_MARGIN, 297.6),
        *at("chỉ tiếp nhận hồ sơ đăng ký khai sinh, khai tử.", LEFT_MARGIN, 313.6),
        *at("2. Địa điểm: Quầy số 3, Trung tâm Phục vụ hành chính công xã Đồng Tâm.", LEFT_MARGIN, 336.9),
        *at("3. Hình thức: người dân có thể nộp hồ sơ trực tiếp hoặc nộp trực tuyến", LEFT_MARGIN, 359.2),
        *at("Dịch vụ công quốc gia. Các yêu cầu cấp bản sao trích lục hộ tịch từ sổ", LEFT_MARGIN, 375.4),
    ]
    text = page_text(PageWords(number=1, words=words))
    assert "trong thời gian số hóa sổ hộ tịch\n\nThực hiện" in text
    assert "đến hết ngày 31\n2025 như sau:\n\n1. Thời gian" in text  # one paragraph together, then a break
    assert (
        classify_text(text).subject
        == "Lịch tiếp nhận hồ sơ thủ tục hành chính lĩnh vực hộ tịch trong thời gian số hóa sổ hộ tịch"
    )


def test_a_sentence_case_header_from_word_positions() -> None:
    # found by exploratory testing: a header typed in sentence case gave no issuer, number, type or subject
    words = [
        *centred("Ủy ban nhân dân", LEFT_CENTRE, 0),
        *centred("Cộng hòa xã hội chủ nghĩa Việt Nam", RIGHT_CENTRE, 0),
        *centred("xã Tân Hòa", LEFT_CENTRE, 1),
        *centred("Độc lập - Tự do - Hạnh phúc", RIGHT_CENTRE, 1),
        *centred("số: 12/QĐ-UBND", LEFT_CENTRE, 3),
        *centred("Tân Hòa, ngày 05 tháng 3 năm 2025", RIGHT_CENTRE, 3),
        *centred("Quyết định", MIDDLE, 5),
        *centred("Về việc giao nhiệm vụ số hóa hồ sơ hộ tịch", MIDDLE, 6),
        *centred("Chủ tịch Ủy ban nhân dân xã Tân Hòa", MIDDLE, 7),
        *body(8),
        *placed("Nơi nhận:", LEFT_MARGIN, 10),
        *centred("TM. ỦY BAN NHÂN DÂN", RIGHT_CENTRE, 10),
        *placed("- Như Điều 3;", LEFT_MARGIN, 11),
        *centred("CHỦ TỊCH", RIGHT_CENTRE, 11),
        *centred("Lò Văn Thắm", RIGHT_CENTRE, 14),
    ]
    page = PageWords(number=1, words=words)
    merged = "\n".join(row.text for row in read_rows(page.words))  # Tesseract's reading order: columns merged
    assert merged.startswith("Ủy ban nhân dân Cộng hòa xã hội chủ nghĩa Việt Nam\nxã Tân Hòa Độc lập")
    for layout in ([page], []):
        result = classify_text(merged, layout=layout, model=None)
        assert (result.doc_type, result.number, result.issued_on) == ("QĐ", "12/QĐ-UBND", date(2025, 3, 5))
        assert result.issuer == "ỦY BAN NHÂN DÂN XÃ TÂN HÒA"
        assert result.subject == "Về việc giao nhiệm vụ số hóa hồ sơ hộ tịch"
        assert result.signer_name == "Lò Văn Thắm"
        assert result.confidence == 0.85


# --------------------------------------------------------------------------- a blank page before the header
def test_a_blank_first_page_is_passed_over_for_the_header() -> None:
    """QA: a duplex scan whose first page is blank (its text follows a leading form feed) was 'unknown' with no
    number, date or issuer; the header is read on the first page with text, and says which page that is. The
    capture is Tesseract's reading of the QA's two-page PDF (blank, then a công văn whose 'Số:' line lost its
    slash): its word boxes are those of page 2."""
    text, layout = _sample("qa-blank-cv.pdf")
    assert text.startswith("\f") and [page.number for page in layout] == [2]
    for boxes in (layout, []):
        result = classify_text(text, layout=boxes, model=None)
        assert result.doc_type == "CV"
        assert result.issued_on == date(2025, 11, 2)
        assert result.issuer == "ỦY BAN NHÂN DÂN XÃ PHÚ HƯNG"
        assert result.number == "130/UBND-VP"
        assert "header on page 2 (page 1 blank)" in result.fields["issued_on"].evidence
    # the same page first: the same reading, and no page said
    alone = classify_text(text.lstrip("\f"), layout=[PageWords(number=1, words=layout[0].words)], model=None)
    assert (alone.doc_type, alone.number, alone.issued_on, alone.issuer) == (
        "CV",
        "130/UBND-VP",
        date(2025, 11, 2),
        result.issuer,
    )
    assert "page" not in alone.fields["issued_on"].evidence


def test_pages_of_specks_before_the_header_are_blank() -> None:
    """A blank sheet's OCR is seldom empty: a few specks read as marks or single letters, a page number."""
    from classify.rules import first_page, first_text_page

    text, layout = _sample("qa-blank-cv.pdf")
    specks = " . ˆ\ni ,\n\n- 2 -\n"
    result = classify_text(
        specks + "\f" + specks + text, layout=[PageWords(number=3, words=layout[0].words)], model=None
    )
    assert (result.doc_type, result.number, result.issuer) == ("CV", "130/UBND-VP", "ỦY BAN NHÂN DÂN XÃ PHÚ HƯNG")
    assert "header on page 3 (pages 1-2 blank)" in result.fields["number"].evidence
    assert first_text_page("\f\fQUYẾT ĐỊNH Về việc") == 2
    assert first_page("Số: 12\fỦY BAN NHÂN DÂN") == "ỦY BAN NHÂN DÂN"  # two words of two letters: blank
    assert first_text_page("\f") == 0  # no page with text: the first, as before


def test_a_blank_page_before_a_civil_status_record() -> None:
    """The register facts of a hộ tịch record are found through the whole text: the header's line on a later
    page is still told from the registration block's 'Số:' (the same as without the blank page)."""
    text, layout = _sample("qa-gks-112.png")
    plain = classify_text(text, layout=layout, model=None)
    shifted = [PageWords(number=page.number + 1, words=page.words) for page in layout]
    after_blank = classify_text("\f" + text, layout=shifted, model=None)
    keys = ("doc_type", "number", "registration_number", "book_number", "registration_date", "persons", "issuer")
    assert {k: getattr(after_blank, k) for k in keys} == {k: getattr(plain, k) for k in keys}
    assert plain.doc_type == "HT-GKS"


def test_page_layouts_are_those_of_the_first_and_last_page_with_words() -> None:
    """ocr.pipeline.page_layouts gave the classifier page 1's boxes (none on a blank page) and the last page's
    (none either, for a stack's trailing blank sheet); it now gives the first and last page with words, each
    under its own page number."""
    from ocr.pipeline import PagePlan, page_layouts
    from ocr.tesseract import PageReading, Word

    def reading(*texts: str) -> PageReading:
        words = [Word(t, 90.0, 100 + 80 * i, 100, 60, 30, 1, 1, 1) for i, t in enumerate(texts)]
        return PageReading(width=2480, height=3508, words=words)

    plans = [PagePlan(number=n) for n in range(1, 6)]
    readings = {
        1: reading(),
        2: reading("ỦY", "BAN", "NHÂN", "DÂN"),
        3: reading("Căn", "cứ", "Luật"),
        4: reading("Nơi", "nhận:", "Lưu"),
        5: reading(".", "ˆ", "i"),
    }
    layouts = page_layouts(Path("/nonexistent.pdf"), plans, readings)
    assert [(page.number, [w.text for w in page.words]) for page in layouts] == [
        (2, ["ỦY", "BAN", "NHÂN", "DÂN"]),
        (4, ["Nơi", "nhận:", "Lưu"]),
    ]
    blank = page_layouts(Path("/nonexistent.pdf"), plans[:2], {1: reading(), 2: reading("-")})
    assert [page.number for page in blank] == [1, 2]


def _read_at(words: list[PlacedWord], confidences: dict[str, float], printed: float = 96.0) -> list[PlacedWord]:
    """``words`` as Tesseract gives them: each with its confidence, ``printed`` but for those ``confidences`` names."""
    return [word.model_copy(update={"confidence": confidences.get(word.text, printed)}) for word in words]


def _handwritten_page(number_word: str, day_word: str, confidences: dict[str, float]) -> PageWords:
    """``decision_page`` as a commune prints it, its number and day written by hand into the blanks."""
    page = decision_page()
    header = [w for w in page.words if w.top != 3 * ROW]  # all but the number's and the date's row
    filled = [
        *placed(f"Số: {number_word} /QĐ-UBND", LEFT_CENTRE - 200, 3),
        *centred(f"Tân Lập, ngày {day_word} tháng 02 năm 2025", RIGHT_CENTRE, 3),
    ]
    return PageWords(number=1, words=_read_at(header + filled, confidences))


def test_a_number_and_a_date_written_by_hand_and_doubted_by_ocr_go_to_review() -> None:
    """QA81 M3: the real NĐ 155/2020, its number and day written by hand, was archived as 465/2020 at 0.95 and
    dated the 3rd for the 31st at 0.85: Tesseract had read the ink at 20 (``Số:465``) and 71 (``3{_``), printed
    digits at 93–97. A commune numbers and dates its paper by hand: those go to review, saying why."""
    from classify.review import reason_in_vietnamese, weak_fields

    page = _handwritten_page("465", "3{_", {"465": 20.0, "3{_": 71.0})
    merged = "\n".join(row.text for row in read_rows(page.words))
    result = classify_text(merged, layout=[page], model=None)
    assert (result.number, result.issued_on) == ("465/QĐ-UBND", date(2025, 2, 3))
    assert (result.fields["number"].confidence, result.fields["issued_on"].confidence) == (0.5, 0.5)
    assert "handwritten perhaps: '465' at 20" in result.fields["number"].evidence
    assert "handwritten perhaps: '3{_' at 71" in result.fields["issued_on"].evidence
    assert result.fields["symbol"].confidence == 0.95  # printed
    assert result.confidence <= 0.5
    reasons = weak_fields(result, 0.6)
    assert reasons == [
        "document number unsure (0.5): OCR could hardly read its digits (handwritten?); check them on the paper",
        "date of issue doubtful (0.5): OCR could hardly read its digits (handwritten?); check them on the paper",
    ]
    assert [reason_in_vietnamese(r) for r in reasons] == [
        "số văn bản chưa chắc chắn (0.5): OCR khó đọc các chữ số (viết tay?); hãy đối chiếu với bản giấy",
        "ngày ban hành đáng ngờ (0.5): OCR khó đọc các chữ số (viết tay?); hãy đối chiếu với bản giấy",
    ]


@pytest.mark.parametrize(
    ("number_word", "confidences", "number_doubted", "date_doubted"),
    [
        ("465", {}, False, False),  # read as surely as print: kept
        ("465", {"465": 79.0}, True, False),
        ("Số:465", {"Số:465": 20.0}, True, False),  # Tesseract joins the ink to the printed 'Số:'
        ("465", {"27": 60.0}, False, True),
        ("465", {"02": 60.0}, False, True),  # the month
        ("465", {"2024": 10.0, "Tân": 10.0, "QUYẾT": 10.0}, False, False),  # others' doubts are not the digits'
    ],
)
def test_only_the_number_and_the_day_and_month_words_are_asked(
    number_word: str, confidences: dict[str, float], number_doubted: bool, date_doubted: bool
) -> None:
    words = _handwritten_page(number_word, "27", confidences).words
    if number_word.startswith("Số:"):
        words = [w for w in words if w.text != "Số:"]
    page = PageWords(number=1, words=words)
    result = classify_text("\n".join(row.text for row in read_rows(page.words)), layout=[page], model=None)
    assert (result.number, result.issued_on) == ("465/QĐ-UBND", date(2025, 2, 27))
    assert (result.fields["number"].confidence < 0.6, result.fields["issued_on"].confidence < 0.6) == (
        number_doubted,
        date_doubted,
    )


def test_a_number_word_holding_its_printed_symbol_or_a_text_layers_words_are_not_doubted() -> None:
    """A word of digits and symbol (``02/CĐ-UBND`` read at 25 on a poor scan of print) says as much of the symbol
    as of the digits; a text layer's words carry no confidence."""
    from classify.handwriting import doubted_date, doubted_serial

    page = _handwritten_page("465", "27", {})
    joined = PageWords(number=1, words=_read_at(placed("Số: 02/CĐ-UBND", 500, 3), {"02/CĐ-UBND": 25.0}))
    assert doubted_serial(joined, "02/CĐ-UBND") is None
    layer = PageWords(number=1, words=[w.model_copy(update={"confidence": None}) for w in page.words])
    assert doubted_serial(layer, "465/QĐ-UBND") is None
    assert doubted_date(layer, date(2025, 2, 27)) is None
    # a row dated in another year is not the one that dated the page
    assert doubted_date(_handwritten_page("465", "27", {"27": 5.0}), date(2024, 2, 27)) is None


def test_a_day_word_holding_more_than_digits_is_doubted_however_sure_ocr_was() -> None:
    """QA83 H4, M1: the same NĐ 155 page in a PDF read the handwritten day as "3{" at 83 (above the bar), and in
    `sohoa ocr`'s own output, a text layer, "3{_" with no confidence at all: dated the 3rd at 0.85. Ink read as
    digits and specks is doubted whatever the confidence; a form's leader dots are not (QA83 M2)."""
    from classify.handwriting import doubted_date

    day = date(2025, 2, 3)
    sure = doubted_date(_handwritten_page("465", "3{", {"3{": 83.0}), day)
    assert sure is not None and sure.said() == "'3{' at 83"
    layer = PageWords(
        number=1,
        words=[w.model_copy(update={"confidence": None}) for w in _handwritten_page("465", "3{_", {}).words],
    )
    in_layer = doubted_date(layer, day)
    assert in_layer is not None and in_layer.said() == "'3{_' in a text layer"
    leaders = _handwritten_page("465", ".... 03 ....", {"....": 40.0})
    assert doubted_date(leaders, day) is None
    # printed days in words, or with a slip of punctuation, in a text layer too: none of them ink (QA85 M2)
    for printed in ("mười lăm", "03;", "3.", "03,"):
        page = _handwritten_page("465", printed, {})
        layer = PageWords(number=1, words=[w.model_copy(update={"confidence": None}) for w in page.words])
        assert doubted_date(page, day) is None and doubted_date(layer, day) is None, printed


def test_a_short_pages_date_row_below_the_headers_share_is_asked() -> None:
    """QA85 M1: on a page of a header, a title and one line, the date row lay under the top 40 % of the text and a
    handwritten day read at 71 was no longer asked."""
    from classify.handwriting import doubted_date

    words = [w for w in _handwritten_page("465", "25", {"25": 71.0}).words if w.top <= 6 * ROW]
    doubt = doubted_date(PageWords(number=1, words=words), date(2025, 2, 25))
    assert doubt is not None and doubt.said() == "'25' at 71"


def test_a_short_date_is_asked_and_a_body_date_is_not() -> None:
    """QA83 L6: "Tân Lập, 05/3/2025" was never asked; and with the header's row not matched, a sentence's date in
    the body ("Ngày 19 tháng 3 năm …") was the one asked."""
    from classify.handwriting import doubted_date

    page = decision_page()
    header = [w for w in page.words if w.top != 3 * ROW]
    short = PageWords(
        number=1, words=_read_at([*header, *centred("Tân Lập, 05/3/2025", RIGHT_CENTRE, 3)], {"05/3/2025": 50.0})
    )
    doubt = doubted_date(short, date(2025, 3, 5))
    assert doubt is not None and doubt.said() == "'05/3/2025' at 50"
    # no date in the header; the body's sentence at row 9 of 17 (below the header's share of the page) is not asked
    body_only = PageWords(number=1, words=_read_at(header, {"16": 10.0}))
    assert doubted_date(body_only, date(2025, 6, 16)) is None


def test_a_received_stamps_date_above_the_date_row_is_not_the_date_of_issue() -> None:
    """QA85 L1: a received stamp's handwritten "ĐẾN Ngày: 12/3/2025" (read at 40) above the printed "ngày 05 tháng 3
    năm 2025" (96) was the header's first short date of the year, and its digits sent the printed date to review. A
    short date is the date of issue's only when it says that day."""
    from classify.handwriting import doubted_date

    page = decision_page()  # dated "Tân Lập, ngày 27 tháng 02 năm 2025", printed (96)
    stamp = centred("ĐẾN Ngày: 12/3/2025", RIGHT_CENTRE, 2)
    words = _read_at([*page.words, *stamp], {"12/3/2025": 40.0})
    assert doubted_date(PageWords(number=1, words=words), date(2025, 2, 27)) is None
    handwritten_day = _read_at([*page.words, *stamp], {"12/3/2025": 40.0, "27": 40.0})
    doubt = doubted_date(PageWords(number=1, words=handwritten_day), date(2025, 2, 27))
    assert doubt is not None and doubt.said() == "'27' at 40"
    # the date of issue's own short date, read as unsurely, still is
    doubt = doubted_date(PageWords(number=1, words=words), date(2025, 3, 12))
    assert doubt is not None and doubt.said() == "'12/3/2025' at 40"


def test_a_word_cached_before_it_had_a_confidence_is_not_asked() -> None:
    """QA83 M5: an OCR result Prefect cached (pickled) before the upgrade holds words without the attribute at all:
    AttributeError in classify on a rerun."""
    import pickle

    from classify.handwriting import doubted_serial

    page = _handwritten_page("465", "27", {"465": 20.0})
    for word in page.words:
        del word.__dict__["confidence"]  # as a word pickled by the sohoa before has it
    assert doubted_serial(pickle.loads(pickle.dumps(page)), "465/QĐ-UBND") is None


@needs_shared
@pytest.mark.integration
def test_the_real_decree_numbered_and_dated_by_hand_is_doubted(tmp_path: Path) -> None:
    """QA81 M3 on the page itself: NĐ 155/2020's number and day, written by hand, read as 465 and 3."""
    from ocr import ocr_document

    scan = SHARED / "corpora" / "ocr" / "vi-real-scans" / "ND-155-2020-NDCP_p1.jpg"
    read = ocr_document(scan, tmp_path / "nd-155.pdf", workers=1)
    result = classify_text(read.text, layout=read.layout, model=None)
    assert result.symbol == "NĐ-CP" and result.fields["symbol"].confidence == 0.95
    assert result.fields["number"].confidence == 0.5, result.fields["number"]
    assert result.fields["issued_on"].confidence == 0.5, result.fields["issued_on"]
