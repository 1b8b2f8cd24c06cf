"""Classification of the bundled samples as Tesseract 5 (vie) actually read them: the OCR text was captured
once from `ocr.ocr_document` on the files `samples/make_samples.py` renders (so these tests run in milliseconds;
test_pipeline.py covers the same samples end to end with real OCR). Expectations are samples/expected.json's."""

from __future__ import annotations

from datetime import date

import pytest

from classify import classify_text

OCR_TEXT: dict[str, str] = {
    "bb-03-bb-ubnd.tiff": (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "\n"
        "XÃ TÂN LẬP Độc lập - Tự do - Hạnh phúc\n"
        "Số: 03/BB-UBND : Tân Lập, ngày 27 tháng 02 năm 2025\n"
        "BIẾN BẢN\n"
        "\n"
        "Bàn giao sổ hộ tịch và tài liệu lưu trữ để số hóa\n"
        "\n"
        "Thời gian bắt đầu: 08 giờ 00 phút ngày 27 tháng 02 năm 2025.\n"
        "Địa điểm: Kho lưu trữ, trụ sở Ủy ban nhân dân xã Tân Lập.\n"
        "Thành phần tham dự:\n"
        "1. Bên giao: ông Nguyễn Văn Khải, công chức Tư pháp - Hộ tịch xã Tân Lập.\n"
        "\n"
        "2. Bên nhận: bà Trần Thị Bích Ngọc, viên chức Trung tâm Lưu trữ, đại diện đơn vị\n"
        "thực hiện số hóa.\n"
        "\n"
        "3. Chứng kiến: bà Hà Thị Lụa, công chức Văn phòng - Thống kê xã Tân Lập.\n"
        "Chủ trì: ông Lương Văn Tiến, Phó Chủ tịch Ủy ban nhân dân xã.\n"
        "Thư ký (người ghi biên bản): bà Hà Thị Lụa.\n"
        "Nội dung: Hai bên tiến hành kiểm đếm, đối chiếu và bàn giao các tài liệu sau để số\n"
        "hóa:\n"
        "a) Sổ đăng ký khai sinh: 12 quyển, từ năm 2003 đến năm 2014;\n"
        "b) Sổ đăng ký kết hôn: 08 quyển, từ năm 2003 đến năm 2014;\n"
        "c) Sổ đăng ký khai tử: 06 quyến, từ năm 2003 đến năm 2014;\n"
        "đd) Hồ sơ chứng thực bản sao: 25 hộp, từ năm 2010 đến năm 2014.\n"
        "\n"
        "Tình trạng tài liệu: phần lớn sổ còn nguyên vẹn, chữ viết rõ; 03 quyển Sổ đăng ký.\n"
        "khai sinh năm 2003 và 2004 bị ố vàng, bong gáy. Bên nhận có trách nhiệm bảo quản an\n"
        "toàn tài liệu trong thời gian số hóa, không tháo rời gáy số, không làm mất, hư hỏng tài\n"
        "liệu. ,\n"
        "Thời hạn hoàn trả: chậm nhất ngày 30 tháng 4 năm 2025, kèm theo dữ liệu số hóa\n"
        "và danh mục tài liệu đã quét. Khi hoàn trả, hai bên kiểm đếm lại và lập biên bản giao\n"
        "nhận.\n"
        "\n"
        "Ý kiến của bên nhận: thống nhất số lượng, tình trạng tài liệu như trên; đề nghị xã\n"
        "cử công chức Tư pháp - Hộ tịch phối hợp kiểm tra chất lượng bản quét hằng tuần.\n"
        "Ý kiến của bên giao: nhất trí; đề nghị bên nhận ưu tiên số hóa các quyển số bị ố\n"
        "vàng, bong gáy để hạn chế hư hỏng thêm.\n"
        "Kết luận của chủ trì: giao công chức Tư pháp - Hộ tịch theo dõi tiến độ, báo cáo\n"
        "Ủy ban nhân dân xã kết quả số hóa trước ngày 15 tháng 5 năm 2025.\n"
        "Biên bản được lập thành 03 bản có giá trị như nhau, bên giao giữ 01 bản, bên nhận\n"
        "giữ 01 bản, lưu Văn phòng Ủy ban nhân dân xã 01 bản.\x0c"
        "Cuộc họp kết thúc vào 10 giờ 30 phút cùng ngày, nội dung cuộc họp đã được các\n"
        "thành viên dự họp thông qua và cùng ký vào biên bản./.\n"
        "\n"
        "THƯ KÝ CHỦ TỌA\n"
        "Hà Thị Lụa Lương Văn Tiến\n"
        "\n"
        "Nơi nhận:\n"
        "- Bên giao, bên nhận;\n"
        "- Lưu: VI, VP."
    ),
    "cv-118-ubnd-vp.jpg": (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "\n"
        "XÃ PHÚ HƯNG Độc lập - Tự do - Hạnh phúc\n"
        "Số: 118/UBND-VP Phú Hưng, ngày 21 tháng 10 năm 2025\n"
        "\n"
        "V/v bàn giao sổ hộ tịch để số hóa\n"
        "\n"
        "Kính gửi: Sở Tư pháp.\n"
        "\n"
        "Thực hiện Kế hoạch số 45/KH-STP ngày 02 tháng 10 năm 2025 của Sở Tư pháp về\n"
        "số hóa Sổ hộ tịch và xây dựng cơ sở dữ liệu hộ tịch điện tử, Ủy ban nhân dân xã Phú\n"
        "Hưng báo cáo như sau:\n"
        "1. Xã đã rà soát, thống kê toàn bộ Số đăng ký khai sinh, Số đăng ký kết hôn và Sổ\n"
        "đăng ký khai tử đang lưu giữ tại bộ phận Tư pháp - Hộ tịch, gồm 42 quyển từ năm 1998\n"
        "đến năm 2015. Một số quyển bị ẩm mốc, rách mép, cần được tu bổ trước khi quét.\n"
        "2. Ủy ban nhân dân xã đề nghị Sở Tư pháp bố trí thời gian tiếp nhận bàn giao sổ hộ\n"
        "tịch để số hóa trong tháng 11 năm 2025; đồng thời hướng dẫn việc đối chiếu dữ liệu sau\n"
        "khi số hóa và hoàn trả sổ cho địa phương.\n"
        "\n"
        "Ủy ban nhân dân xã Phú Hưng kính đề nghị Sở Tư pháp quan tâm, hướng dẫn./.\n"
        "\n"
        "Nơi nhận: TM. ỦY BAN NHÂN DÂN\n"
        "\n"
        "- Như trên; KT. CHỦ TỊCH\n"
        "- Chủ tịch, các PCT UBND Xã; PHÓ CHỦ TỊCH\n"
        "- Công chức Tư pháp - Hộ tịch;\n"
        "- Lưu: VT, VP.\n"
        "\n"
        "3®\n"
        "\n"
        "Vi Thị Phượng"
    ),
    "qd-15-ubnd.pdf": (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "\n"
        "XÃ HỢP TIẾN Độc lập - Tự do - Hạnh phúc\n"
        "Số: 15/QĐ-UBND Hợp Tiến, ngày 19 tháng 11 năm 2025\n"
        "QUYẾT ĐỊNH .\n"
        "\n"
        "Về việc phê duyệt Danh mục hồ sơ năm 2026\n"
        "của Ủy ban nhân dân xã Hợp Tiến\n"
        "\n"
        "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN\n"
        "\n"
        "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;\n"
        "Căn cứ Luật Lưu trữ năm 2024;\n"
        "\n"
        "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về\n"
        "công tác văn thư;\n"
        "\n"
        "Căn cứ Thông tư số 02/2019/TT-BNV ngày 24 tháng 01 năm 2019 của Bộ trưởng\n"
        "Bộ Nội vụ quy định tiêu chuẩn dữ liệu thông tin đầu vào và yêu cầu bảo quản tài liệu lưu\n"
        "trữ điện tử;\n"
        "Theo đề nghị của Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã.\n"
        "QUYẾT ĐỊNH:\n"
        "Điều 1. Phê duyệt kèm theo Quyết định này Danh mục hồ sơ năm 2026 của Ủy ban\n"
        "nhân dân xã Hợp Tiến, gồm các nhóm hồ sơ sau:\n"
        "a) Hồ sơ tổng hợp: chương trình, kế hoạch, báo cáo công tác năm của Ủy ban nhân\n"
        "dần xã;\n"
        "b) Hồ sơ văn thư, lưu trữ: sổ đăng ký văn bản đi, văn bản đến; hồ sơ số hóa tài liệu\n"
        "lưu trữ;\n"
        "c) Hồ sơ tư pháp, hộ tịch: sổ đăng ký khai sinh, kết hôn, khai tử; hồ sơ chứng thực;\n"
        "d) Hồ sơ địa chính, xây dựng, đô thị và môi trường;\n"
        "đ) Hồ sơ văn hóa, giáo dục, y tế và chính sách xã hội;\n"
        "e) Hồ sơ tài chính, ngân sách và quản lý tài sản công.\n"
        "\n"
        "Danh mục hồ sơ là căn cứ để công chức, người làm công tác văn thư lập hồ sơ công\n"
        "việc, xác định thời hạn bảo quản và giao nộp hồ sơ, tài liệu vào Lưu trữ cơ quan theo quy\n"
        "định.\n"
        "\n"
        "Điều 2. Giao Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã chủ trì, hướng\n"
        "dẫn, đôn đốc các bộ phận chuyên môn lập hồ sơ theo Danh mục; chỉ đạo bộ phận văn\n"
        "thư, lưu trữ thực hiện số hóa tài liệu hộ tịch và cập nhật vào cơ sở dữ liệu theo quy định.\n"
        "Trong quá trình thực hiện, nếu phát sinh hồ sơ mới chưa có trong Danh mục, các bộ\n"
        "phận chuyên môn kịp thời báo cáo qua Văn phòng để trình Chủ tịch Ủy ban nhân dân xã\n"
        "xem xét, bổ sung.\x0c2\n"
        "\n"
        "Điều 3. Quyết định này có hiệu lực kể từ ngày 01 tháng 01 năm 2026. Chánh Văn\n"
        "phòng Hội đồng nhân dân và Ủy ban nhân dân xã, công chức Tư pháp - Hộ tịch, công\n"
        "chức Văn phòng - Thống kê và các cá nhân có liên quan chịu trách nhiệm thi hành Quyết\n"
        "định này./.\n"
        "\n"
        "Nơi nhận: TM. ỦY BAN NHÂN DÂN\n"
        "\n"
        "- Như Điều 3; CHỦ TICH\n"
        "- Thường trực Đảng ủy xã; :\n"
        "- Chủ tịch, các PCT UBND xã;\n"
        "- Lưu: VT, VP.\n"
        "\n"
        "Lò Văn Thắm"
    ),
    "thông-báo-08-ubnd.png": (
        "UBND XÃ ĐỒNG TÂM CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "\n"
        "TRUNG TÂM PHỤC VỤ Độc lập - Tự do - Hạnh phúc\n"
        "HÀNH CHÍNH CÔNG\n"
        "Số: 08/TB-UBND Đồng Tâm, ngày 05 tháng 9 năm 2025\n"
        "THÔNG BÁO\n"
        "\n"
        "Lịch tiếp nhận hồ sơ thủ tục hành chính lĩnh vực hộ tịch\n"
        "trong thời gian số hóa sổ hộ tịch\n"
        "\n"
        "Thực hiện kế hoạch số hóa sổ hộ tịch của Ủy ban nhân dân xã Đồng Tâm, Trung\n"
        "tâm Phục vụ hành chính công xã thông báo lịch tiếp nhận và trả kết quả hồ sơ thủ tục\n"
        "hành chính lĩnh vực hộ tịch từ ngày 08 tháng 9 năm 2025 đến hết ngày 31 tháng 10 năm\n"
        "2025 như sau:\n"
        "1. Thời gian tiếp nhận: từ thứ Hai đến thứ Sáu hằng tuần; buổi sáng từ 07 giờ 30\n"
        "phút đến 11 giờ 30 phút, buổi chiều từ 13 giờ 30 phút đến 17 giờ 00 phút. Sáng thứ Bảy\n"
        "chỉ tiếp nhận hồ sơ đăng ký khai sinh, khai tử.\n"
        "\n"
        "2. Địa điểm: Quầy số 3, Trung tâm Phục vụ hành chính công xã Đồng Tâm.\n"
        "\n"
        "3. Hình thức: người dân có thể nộp hồ sơ trực tiếp hoặc nộp trực tuyến trên Cổng\n"
        "Dịch vụ công quốc gia. Các yêu cầu cấp bản sao trích lục hộ tịch từ sổ đang được số hóa\n"
        "sẽ được trả kết quả chậm nhất 03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.\n"
        "\n"
        "Trung tâm Phục vụ hành chính công xã Đồng Tâm thông báo để tổ chức, công dân\n"
        "biết và thực hiện./.\n"
        "\n"
        "Nơi nhận: GIÁM ĐỐC\n"
        "- UBND xã (để b/c);\n"
        "- Các thôn, tổ dân phố;\n"
        "- Cổng thông tin điện tử xã;\n"
        "- Lưu: VT.\n"
        "\n"
        "Định Thị Hồng Nhung"
    ),
    "trich-luc-khai-tu-31.png": (
        "ỦY BAN NHÂN DÂN CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\n"
        "\n"
        "XÃ BÌNH AN Độc lập - Tự do - Hạnh phúc\n"
        "Số: 31/TLKT-BS Bình An, ngày 14 tháng 8 năm 2025\n"
        "\n"
        "TRÍCH LỤC KHAI TỬ.\n"
        "(BẢN SAO)\n"
        "\n"
        "Họ, chữ đệm, tên: HOÀNG THỊ MẬN\n"
        "Ngày, tháng, năm sinh: 02/11/1941\n"
        "Giới tính: Nữ Dân tộc: Tày Quốc tịch: Việt Nam\n"
        "Số định danh cá nhân: 020141009931\n"
        "Nơi cư trú cuối cùng: thôn Nà Lầu, xã Bình An\n"
        "Đã chết vào lúc: 04 giờ 20 phút, ngày 10/8/2025\n"
        "Nơi chết: tại nhà, thôn Nà Lầu, xã Bình An\n"
        "Nguyên nhân chết: Già yếu\n"
        "Họ, chữ đệm, tên người đi khai tử: NÔNG VĂN DŨNG\n"
        "Quan hệ với người đã chết: Con trai\n"
        "Đã được đăng ký khai tử tại: Ủy ban nhân dân xã Bình An\n"
        "Số: 31 Quyển số: 01/2025 Ngày đăng ký: 12/8/2025\n"
        "\n"
        "Sao từ Sổ đăng ký khai tử; bản sao trích lục có giá trị như bản chính.\n"
        "\n"
        "KT. CHỦ TỊCH\n"
        "PHÓ CHỦ TỊCH\n"
        "\n"
        "Hoàng Văn Thụ"
    ),
}
EXPECTED = {
    "qd-15-ubnd.pdf": ("QĐ", "15/QĐ-UBND", "2025-11-19", "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN"),
    "thông-báo-08-ubnd.png": ("TB", "08/TB-UBND", "2025-09-05", "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG"),
    "cv-118-ubnd-vp.jpg": ("CV", "118/UBND-VP", "2025-10-21", "ỦY BAN NHÂN DÂN XÃ PHÚ HƯNG"),
    "bb-03-bb-ubnd.tiff": ("BB", "03/BB-UBND", "2025-02-27", "ỦY BAN NHÂN DÂN XÃ TÂN LẬP"),
    "trich-luc-khai-tu-31.png": ("HT-TLKT", "31/TLKT-BS", "2025-08-14", "ỦY BAN NHÂN DÂN XÃ BÌNH AN"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_ocr_sample_matches_expected(name: str) -> None:
    doc_type, number, issued_on, issuer = EXPECTED[name]
    result = classify_text(OCR_TEXT[name])
    assert (result.doc_type, result.number, result.issued_on, result.issuer) == (
        doc_type,
        number,
        date.fromisoformat(issued_on),
        issuer,
    )
    assert result.confidence >= 0.9  # none of them goes to review
    for key in ("doc_type", "number", "symbol", "issued_on", "place", "issuer", "signer_name", "signer_title"):
        assert result.fields[key].evidence, key


@pytest.mark.parametrize(
    ("name", "signer_name", "signer_title", "authority"),
    [
        ("qd-15-ubnd.pdf", "Lò Văn Thắm", "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH", "TM"),
        (
            "cv-118-ubnd-vp.jpg",
            "Vi Thị Phượng",
            "TM. ỦY BAN NHÂN DÂN KT. CHỦ TỊCH PHÓ CHỦ TỊCH",
            "KT",
        ),  # the deputy signs KT. (QA81 L1)
        ("thông-báo-08-ubnd.png", "Đinh Thị Hồng Nhung", "GIÁM ĐỐC", None),  # OCR: "Định"
        ("bb-03-bb-ubnd.tiff", "Lương Văn Tiến", "CHỦ TỌA", None),
        ("trich-luc-khai-tu-31.png", "Hoàng Văn Thụ", "KT. CHỦ TỊCH PHÓ CHỦ TỊCH", "KT"),
    ],
)
def test_ocr_sample_signer(name: str, signer_name: str, signer_title: str, authority: str | None) -> None:
    result = classify_text(OCR_TEXT[name])
    assert (result.signer_name, result.signer_title, result.signing_authority) == (signer_name, signer_title, authority)


@pytest.mark.parametrize(
    ("name", "recipients"),
    [
        ("qd-15-ubnd.pdf", ["Như Điều 3", "Thường trực Đảng ủy xã", "Chủ tịch, các PCT UBND xã", "Lưu: VT, VP"]),
        (
            "cv-118-ubnd-vp.jpg",
            ["Sở Tư pháp", "Như trên", "Chủ tịch, các PCT UBND Xã", "Công chức Tư pháp - Hộ tịch", "Lưu: VT, VP"],
        ),
        ("thông-báo-08-ubnd.png", ["UBND xã (để b/c)", "Các thôn, tổ dân phố", "Cổng thông tin điện tử xã", "Lưu: VT"]),
    ],
)
def test_ocr_sample_recipients(name: str, recipients: list[str]) -> None:
    assert classify_text(OCR_TEXT[name]).recipients == recipients


def test_ocr_sample_parent_body_and_place() -> None:
    result = classify_text(OCR_TEXT["thông-báo-08-ubnd.png"])
    assert (result.issuer_parent, result.place) == ("UBND XÃ ĐỒNG TÂM", "Đồng Tâm")
    assert result.fields["admin_unit"].value == "xã Đồng Tâm"


def test_ocr_sample_civil_status_registration() -> None:
    result = classify_text(OCR_TEXT["trich-luc-khai-tu-31.png"])
    assert result.registration_number == "31"
    assert result.book_number == "01/2025"
    assert result.registration_date == date(2025, 8, 12)
    assert result.registration_place == "Ủy ban nhân dân xã Bình An"
    assert result.persons == ["HOÀNG THỊ MẬN", "NÔNG VĂN DŨNG"]
    assert result.archive_metadata["ConfidenceLevel"] == "Bản sao"


def test_ocr_sample_archive_metadata() -> None:
    meta = classify_text(OCR_TEXT["qd-15-ubnd.pdf"]).archive_metadata
    assert meta == {
        "TypeName": "Quyết định (cá biệt)",
        "CodeNumber": "15",
        "CodeNotation": "QĐ-UBND",
        "IssuedDate": "19/11/2025",
        "OrganName": "ỦY BAN NHÂN DÂN XÃ HỢP TIẾN",
        "Subject": "Về việc phê duyệt Danh mục hồ sơ năm 2026 của Ủy ban nhân dân xã Hợp Tiến",
        "Language": "Tiếng Việt",
        "PageAmount": 2,
        "SignerInfo": "TM. ỦY BAN NHÂN DÂN CHỦ TỊCH - Lò Văn Thắm",
        "ConfidenceLevel": "Bản chính",
        "Autograph": "có chữ ký",
        "Description": None,
    }
