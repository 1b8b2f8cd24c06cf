"""Generate the bundled scan-like sample documents of sohoa.

Usage::

    python samples/make_samples.py [OUTDIR]

OUTDIR defaults to the folder holding this script. The script composes five invented Vietnamese commune
records in the layout of Decree 30/2020/NĐ-CP (Phụ lục I: issuer block top left, national motto top right,
"Số:" line and italic place/date line, centred type title and trích yếu, justified 13 pt body, signature
block bottom right, "Nơi nhận" bottom left), renders them on A4 at the file's dpi with Liberation Serif
(Times metrics) and degrades them like a good flatbed scan (slight rotation, light blur, paper tone,
mild noise, a few dust specks, a blue-ink signature and a red seal rendered in grey):

========================  =======  ===  ==========================================================
file                      type     dpi  container
========================  =======  ===  ==========================================================
qd-15-ubnd.pdf            QĐ       300  image-only PDF, 2 pages, greyscale JPEG q80, no text layer
thông-báo-08-ubnd.png     TB       300  greyscale PNG (NFC non-ASCII file name on purpose)
cv-118-ubnd-vp.jpg        CV       200  greyscale JPEG q85, dpi in JFIF
bb-03-bb-ubnd.tiff        BB       300  multi-page TIFF, 2 pages, 1-bit CCITT group 4
trich-luc-khai-tu-31.png  HT-TLKT  300  greyscale PNG, civil-status extract (TRÍCH LỤC KHAI TỬ)
========================  =======  ===  ==========================================================

Deviation from Decree 30: the "Số:" line is set in 14 pt instead of 13 pt (see NUMBER_PT).

It also writes ``expected.json`` (ground truth for tests: doc_type, number, issued_on, issuer, pages and a
few body words), derived from the same composed text so the two cannot drift apart.

Output is deterministic: every random choice comes from ``random.Random`` seeded per file, and the PDF
dates are fixed, so two runs with the same Pillow/FreeType produce byte-identical files. All people,
numbers and communes are invented; no real personal data. Only Pillow is required.
"""

from __future__ import annotations

import json
import math
import random
import statistics
import sys
import time
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

Style = Literal["r", "b", "i", "bi"]
Align = Literal["justify", "left", "center"]
Run = tuple[Style, str]

FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")
FONT_FILES: dict[Style, str] = {
    "r": "LiberationSerif-Regular.ttf",
    "b": "LiberationSerif-Bold.ttf",
    "i": "LiberationSerif-Italic.ttf",
    "bi": "LiberationSerif-BoldItalic.ttf",
}
A4_MM = (210.0, 297.0)
MARGIN_MM = {"top": 20.0, "bottom": 20.0, "left": 30.0, "right": 15.0}
LEFT_COL_MM = 72.0  # width of the issuer column (ô 2 / ô 3)
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
FIXED_DATE = time.gmtime(1764547200)  # 2025-12-01T00:00:00Z, used for the PDF info dates
BODY_PT = 13.0
# "Số: ..." line (ô 3). Decree 30 says 13 pt, but Tesseract 5.3 `vie` reads "QĐ" set in 13 pt Times-metric
# regular at 300 dpi as "QĐÐ" even on a clean render; 14 pt (common in practice) reads back exactly.
NUMBER_PT = 14.0
BW_THRESHOLD = 150  # grey level splitting ink from paper when a page is saved as 1-bit


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC (every string of the samples goes through here)."""
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------- composition
@dataclass(frozen=True)
class Para:
    """A paragraph of styled runs; runs are joined with single spaces and wrapped word by word."""

    runs: tuple[Run, ...]
    size: float = BODY_PT
    align: Align = "justify"
    indent_mm: float = 10.0
    before_pt: float = 0.0
    after_pt: float = 6.0
    spacing: float = 1.25

    @property
    def text(self) -> str:
        return " ".join(t for _, t in self.runs)


@dataclass(frozen=True)
class Row:
    """One line of label/value cells placed at fixed offsets (mm from the left margin), e.g. a form line."""

    cells: tuple[tuple[float, tuple[Run, ...]], ...]
    size: float = BODY_PT
    after_pt: float = 4.0

    @property
    def text(self) -> str:
        return " ".join(t for _, runs in self.cells for _, t in runs)


@dataclass(frozen=True)
class Rule:
    """A short centred horizontal rule (under the trích yếu)."""

    width_mm: float = 30.0
    after_pt: float = 14.0
    text: str = ""


@dataclass(frozen=True)
class Line:
    """One line of a closing column (signature block or Nơi nhận list)."""

    text: str
    style: Style = "b"
    size: float = BODY_PT
    align: Align = "center"


@dataclass(frozen=True)
class SignGap:
    """Blank space for the hand signature (drawn as an ink scribble) and, optionally, the seal."""

    height_mm: float = 30.0
    seal: bool = True


ColItem = Line | SignGap
Block = Para | Row | Rule


@dataclass(frozen=True)
class Closing:
    """Bottom of the document: a left column (Nơi nhận, or a second signer) and the right signature."""

    left: tuple[ColItem, ...]
    right: tuple[ColItem, ...]
    before_pt: float = 6.0


@dataclass(frozen=True)
class Header:
    """Ô 1-4 (and 5b for công văn) of Decree 30: issuer, national motto, number and place/date."""

    issuer: tuple[str, ...]
    number: str
    place: str
    day: int
    month: int
    year: int
    parent: tuple[str, ...] = ()  # cơ quan chủ quản, caps, not bold
    vv: str = ""  # trích yếu of a công văn ("V/v ..."), under the number

    @property
    def date_line(self) -> str:
        """Place and date as printed: day < 10 and months 1-2 with a leading zero (Phụ lục I II.4)."""
        month = f"{self.month:02d}" if self.month <= 2 else str(self.month)
        return nfc(f"{self.place}, ngày {self.day:02d} tháng {month} năm {self.year}")

    @property
    def issued_on(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"


@dataclass(frozen=True)
class DocSpec:
    """Everything needed to render one sample file and describe it in expected.json."""

    file: str
    doc_type: str
    dpi: int
    header: Header
    blocks: tuple[Block, ...]
    closing: Closing
    words: tuple[str, ...]
    angles: tuple[float, ...]  # rotation per page in degrees; its length is the expected page count
    fmt: Literal["pdf", "png", "jpeg", "tiff"]
    ink_signature: bool = True

    def body_text(self) -> str:
        return nfc("\n".join(b.text for b in self.blocks))

    def expected(self) -> dict[str, object]:
        return {
            "file": nfc(self.file),
            "doc_type": self.doc_type,
            "number": nfc(self.header.number),
            "issued_on": self.header.issued_on,
            "issuer": nfc(" ".join(self.header.issuer)),
            "pages": len(self.angles),
            "words": [nfc(w) for w in self.words],
        }


def p(*runs: Run | str, **kw: object) -> Para:
    """Build a paragraph; bare strings are regular runs."""
    norm = tuple((("r", nfc(r)) if isinstance(r, str) else (r[0], nfc(r[1]))) for r in runs)
    return Para(norm, **kw)  # type: ignore[arg-type]


def title(text: str, size: float = 14.0, after_pt: float = 0.0, style: Style = "b") -> Para:
    return Para(((style, nfc(text)),), size=size, align="center", indent_mm=0.0, after_pt=after_pt, spacing=1.2)


def noi_nhan(*items: str) -> tuple[ColItem, ...]:
    head: tuple[ColItem, ...] = (Line("Nơi nhận:", "bi", 12, "left"),)
    return head + tuple(Line(nfc(i), "r", 11, "left") for i in items)


def signer(*titles: str, name: str, seal: bool = True) -> tuple[ColItem, ...]:
    tops = tuple(Line(nfc(t)) for t in titles)
    return (*tops, SignGap(seal=seal), Line(nfc(name)))


# ------------------------------------------------------------------------------------------------ documents
def doc_qd() -> DocSpec:
    header = Header(("ỦY BAN NHÂN DÂN", "XÃ HỢP TIẾN"), "15/QĐ-UBND", "Hợp Tiến", 19, 11, 2025)
    cc: Style = "i"
    blocks: tuple[Block, ...] = (
        title("QUYẾT ĐỊNH", after_pt=3),
        title("Về việc phê duyệt Danh mục hồ sơ năm 2026"),
        title("của Ủy ban nhân dân xã Hợp Tiến"),
        Rule(),
        title("ỦY BAN NHÂN DÂN XÃ HỢP TIẾN", after_pt=12),
        p((cc, "Căn cứ Luật Tổ chức chính quyền địa phương năm 2025;")),
        p((cc, "Căn cứ Luật Lưu trữ năm 2024;")),
        p(
            (
                cc,
                "Căn cứ Nghị định số 30/2020/NĐ-CP ngày 05 tháng 3 năm 2020 của Chính phủ về công tác văn thư;",
            )
        ),
        p(
            (
                cc,
                "Căn cứ Thông tư số 02/2019/TT-BNV ngày 24 tháng 01 năm 2019 của Bộ trưởng Bộ Nội vụ quy "
                "định tiêu chuẩn dữ liệu thông tin đầu vào và yêu cầu bảo quản tài liệu lưu trữ điện tử;",
            )
        ),
        p((cc, "Theo đề nghị của Chánh Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã.")),
        title("QUYẾT ĐỊNH:", after_pt=8),
        p(
            ("b", "Điều 1."),
            "Phê duyệt kèm theo Quyết định này Danh mục hồ sơ năm 2026 của Ủy ban nhân dân "
            "xã Hợp Tiến, gồm các nhóm hồ sơ sau:",
        ),
        p("a) Hồ sơ tổng hợp: chương trình, kế hoạch, báo cáo công tác năm của Ủy ban nhân dân xã;"),
        p("b) Hồ sơ văn thư, lưu trữ: sổ đăng ký văn bản đi, văn bản đến; hồ sơ số hóa tài liệu lưu trữ;"),
        p("c) Hồ sơ tư pháp, hộ tịch: sổ đăng ký khai sinh, kết hôn, khai tử; hồ sơ chứng thực;"),
        p("d) Hồ sơ địa chính, xây dựng, đô thị và môi trường;"),
        p("đ) Hồ sơ văn hóa, giáo dục, y tế và chính sách xã hội;"),
        p("e) Hồ sơ tài chính, ngân sách và quản lý tài sản công."),
        p(
            "Danh mục hồ sơ là căn cứ để công chức, người làm công tác văn thư lập hồ sơ công việc, xác định "
            "thời hạn bảo quản và giao nộp hồ sơ, tài liệu vào Lưu trữ cơ quan theo quy định."
        ),
        p(
            ("b", "Điều 2."),
            "Giao Văn phòng Hội đồng nhân dân và Ủy ban nhân dân xã chủ trì, hướng dẫn, "
            "đôn đốc các bộ phận chuyên môn lập hồ sơ theo Danh mục; chỉ đạo bộ phận văn thư, lưu trữ thực "
            "hiện số hóa tài liệu hộ tịch và cập nhật vào cơ sở dữ liệu theo quy định.",
        ),
        p(
            "Trong quá trình thực hiện, nếu phát sinh hồ sơ mới chưa có trong Danh mục, các bộ phận "
            "chuyên môn "
            "kịp thời báo cáo qua Văn phòng để trình Chủ tịch Ủy ban nhân dân xã xem xét, bổ sung."
        ),
        p(
            ("b", "Điều 3."),
            "Quyết định này có hiệu lực kể từ ngày 01 tháng 01 năm 2026. Chánh Văn phòng Hội "
            "đồng nhân dân và Ủy ban nhân dân xã, công chức Tư pháp - Hộ tịch, công chức Văn phòng - "
            "Thống kê "
            "và các cá nhân có liên quan chịu trách nhiệm thi hành Quyết định này./.",
        ),
    )
    closing = Closing(
        left=noi_nhan("- Như Điều 3;", "- Thường trực Đảng ủy xã;", "- Chủ tịch, các PCT UBND xã;", "- Lưu: VT, VP."),
        right=signer("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", name="Lò Văn Thắm"),
    )
    return DocSpec(
        "qd-15-ubnd.pdf",
        "QĐ",
        300,
        header,
        blocks,
        closing,
        ("Danh mục", "lưu trữ", "hộ tịch", "số hóa", "bảo quản"),
        (0.45, -0.7),
        "pdf",
    )


def doc_tb() -> DocSpec:
    header = Header(
        ("TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG"),
        "08/TB-UBND",
        "Đồng Tâm",
        5,
        9,
        2025,
        parent=("UBND XÃ ĐỒNG TÂM",),
    )
    blocks: tuple[Block, ...] = (
        title("THÔNG BÁO", after_pt=3),
        title("Lịch tiếp nhận hồ sơ thủ tục hành chính lĩnh vực hộ tịch"),
        title("trong thời gian số hóa sổ hộ tịch"),
        Rule(),
        p(
            "Thực hiện kế hoạch số hóa sổ hộ tịch của Ủy ban nhân dân xã Đồng Tâm, Trung tâm Phục vụ hành "
            "chính công xã thông báo lịch tiếp nhận và trả kết quả hồ sơ thủ tục hành chính lĩnh vực hộ tịch "
            "từ ngày 08 tháng 9 năm 2025 đến hết ngày 31 tháng 10 năm 2025 như sau:"
        ),
        p(
            ("b", "1. Thời gian tiếp nhận:"),
            "từ thứ Hai đến thứ Sáu hằng tuần; buổi sáng từ 07 giờ 30 phút "
            "đến 11 giờ 30 phút, buổi chiều từ 13 giờ 30 phút đến 17 giờ 00 phút. Sáng thứ Bảy chỉ tiếp nhận "
            "hồ sơ đăng ký khai sinh, khai tử.",
        ),
        p(("b", "2. Địa điểm:"), "Quầy số 3, Trung tâm Phục vụ hành chính công xã Đồng Tâm."),
        p(
            ("b", "3. Hình thức:"),
            "người dân có thể nộp hồ sơ trực tiếp hoặc nộp trực tuyến trên Cổng Dịch "
            "vụ công quốc gia. Các yêu cầu cấp bản sao trích lục hộ tịch từ sổ đang được số hóa sẽ được trả "
            "kết quả chậm nhất 03 ngày làm việc kể từ ngày nhận đủ hồ sơ hợp lệ.",
        ),
        p("Trung tâm Phục vụ hành chính công xã Đồng Tâm thông báo để tổ chức, công dân biết và thực hiện./."),
    )
    closing = Closing(
        left=noi_nhan("- UBND xã (để b/c);", "- Các thôn, tổ dân phố;", "- Cổng thông tin điện tử xã;", "- Lưu: VT."),
        right=signer("GIÁM ĐỐC", name="Đinh Thị Hồng Nhung"),
    )
    return DocSpec(
        "thông-báo-08-ubnd.png",
        "TB",
        300,
        header,
        blocks,
        closing,
        ("tiếp nhận", "thủ tục", "trực tuyến", "hộ tịch"),
        (-0.8,),
        "png",
    )


def doc_cv() -> DocSpec:
    header = Header(
        ("ỦY BAN NHÂN DÂN", "XÃ PHÚ HƯNG"),
        "118/UBND-VP",
        "Phú Hưng",
        21,
        10,
        2025,
        vv="V/v bàn giao sổ hộ tịch để số hóa",
    )
    blocks: tuple[Block, ...] = (
        Para(
            (("r", nfc("Kính gửi: Sở Tư pháp.")),),
            size=14,
            align="center",
            indent_mm=0,
            before_pt=10,
            after_pt=14,
        ),
        p(
            "Thực hiện Kế hoạch số 45/KH-STP ngày 02 tháng 10 năm 2025 của Sở Tư pháp về số hóa Sổ hộ tịch "
            "và xây dựng cơ sở dữ liệu hộ tịch điện tử, Ủy ban nhân dân xã Phú Hưng báo cáo như sau:"
        ),
        p(
            "1. Xã đã rà soát, thống kê toàn bộ Sổ đăng ký khai sinh, Sổ đăng ký kết hôn và Sổ đăng ký "
            "khai tử "
            "đang lưu giữ tại bộ phận Tư pháp - Hộ tịch, gồm 42 quyển từ năm 1998 đến năm 2015. Một số quyển "
            "bị ẩm mốc, rách mép, cần được tu bổ trước khi quét."
        ),
        p(
            "2. Ủy ban nhân dân xã đề nghị Sở Tư pháp bố trí thời gian tiếp nhận bàn giao sổ hộ tịch để "
            "số hóa "
            "trong tháng 11 năm 2025; đồng thời hướng dẫn việc đối chiếu dữ liệu sau khi số hóa và hoàn "
            "trả sổ "
            "cho địa phương."
        ),
        p("Ủy ban nhân dân xã Phú Hưng kính đề nghị Sở Tư pháp quan tâm, hướng dẫn./."),
    )
    closing = Closing(
        left=noi_nhan(
            "- Như trên;", "- Chủ tịch, các PCT UBND xã;", "- Công chức Tư pháp - Hộ tịch;", "- Lưu: VT, VP."
        ),
        right=signer("TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", name="Vi Thị Phượng"),
    )
    return DocSpec(
        "cv-118-ubnd-vp.jpg",
        "CV",
        200,
        header,
        blocks,
        closing,
        ("bàn giao", "số hóa", "khai sinh", "đối chiếu"),
        (-0.95,),
        "jpeg",
    )


def doc_bb() -> DocSpec:
    header = Header(("ỦY BAN NHÂN DÂN", "XÃ TÂN LẬP"), "03/BB-UBND", "Tân Lập", 27, 2, 2025)
    blocks: tuple[Block, ...] = (
        title("BIÊN BẢN", after_pt=3),
        title("Bàn giao sổ hộ tịch và tài liệu lưu trữ để số hóa"),
        Rule(),
        p(("b", "Thời gian bắt đầu:"), "08 giờ 00 phút ngày 27 tháng 02 năm 2025."),
        p(("b", "Địa điểm:"), "Kho lưu trữ, trụ sở Ủy ban nhân dân xã Tân Lập."),
        p(("b", "Thành phần tham dự:")),
        p("1. Bên giao: ông Nguyễn Văn Khải, công chức Tư pháp - Hộ tịch xã Tân Lập."),
        p("2. Bên nhận: bà Trần Thị Bích Ngọc, viên chức Trung tâm Lưu trữ, đại diện đơn vị thực hiện số hóa."),
        p("3. Chứng kiến: bà Hà Thị Lụa, công chức Văn phòng - Thống kê xã Tân Lập."),
        p(("b", "Chủ trì:"), "ông Lương Văn Tiến, Phó Chủ tịch Ủy ban nhân dân xã."),
        p(("b", "Thư ký (người ghi biên bản):"), "bà Hà Thị Lụa."),
        p(
            ("b", "Nội dung:"),
            "Hai bên tiến hành kiểm đếm, đối chiếu và bàn giao các tài liệu sau để số hóa:",
        ),
        p("a) Sổ đăng ký khai sinh: 12 quyển, từ năm 2003 đến năm 2014;"),
        p("b) Sổ đăng ký kết hôn: 08 quyển, từ năm 2003 đến năm 2014;"),
        p("c) Sổ đăng ký khai tử: 06 quyển, từ năm 2003 đến năm 2014;"),
        p("d) Hồ sơ chứng thực bản sao: 25 hộp, từ năm 2010 đến năm 2014."),
        p(
            "Tình trạng tài liệu: phần lớn sổ còn nguyên vẹn, chữ viết rõ; 03 quyển Sổ đăng ký khai sinh năm "
            "2003 và 2004 bị ố vàng, bong gáy. Bên nhận có trách nhiệm bảo quản an toàn tài liệu trong thời "
            "gian số hóa, không tháo rời gáy sổ, không làm mất, hư hỏng tài liệu."
        ),
        p(
            "Thời hạn hoàn trả: chậm nhất ngày 30 tháng 4 năm 2025, kèm theo dữ liệu số hóa và danh mục tài "
            "liệu đã quét. Khi hoàn trả, hai bên kiểm đếm lại và lập biên bản giao nhận."
        ),
        p(
            ("b", "Ý kiến của bên nhận:"),
            "thống nhất số lượng, tình trạng tài liệu như trên; đề nghị xã "
            "cử công chức Tư pháp - Hộ tịch phối hợp kiểm tra chất lượng bản quét hằng tuần.",
        ),
        p(
            ("b", "Ý kiến của bên giao:"),
            "nhất trí; đề nghị bên nhận ưu tiên số hóa các quyển sổ bị ố vàng, bong gáy để hạn chế hư hỏng thêm.",
        ),
        p(
            ("b", "Kết luận của chủ trì:"),
            "giao công chức Tư pháp - Hộ tịch theo dõi tiến độ, báo cáo Ủy "
            "ban nhân dân xã kết quả số hóa trước ngày 15 tháng 5 năm 2025.",
        ),
        p(
            "Biên bản được lập thành 03 bản có giá trị như nhau, bên giao giữ 01 bản, bên nhận giữ 01 bản, "
            "lưu Văn phòng Ủy ban nhân dân xã 01 bản."
        ),
        p(
            "Cuộc họp kết thúc vào 10 giờ 30 phút cùng ngày, nội dung cuộc họp đã được các thành viên dự họp "
            "thông qua và cùng ký vào biên bản./."
        ),
    )
    closing = Closing(
        left=signer("THƯ KÝ", name="Hà Thị Lụa", seal=False)
        + (Line(""),)
        + noi_nhan("- Bên giao, bên nhận;", "- Lưu: VT, VP."),
        right=signer("CHỦ TỌA", name="Lương Văn Tiến", seal=False),
    )
    return DocSpec(
        "bb-03-bb-ubnd.tiff",
        "BB",
        300,
        header,
        blocks,
        closing,
        ("bàn giao", "Thành phần", "kiểm đếm", "Tình trạng"),
        (0.3, 0.55),
        "tiff",
    )


def doc_tlkt() -> DocSpec:
    header = Header(("ỦY BAN NHÂN DÂN", "XÃ BÌNH AN"), "31/TLKT-BS", "Bình An", 14, 8, 2025)
    b: Style = "b"

    def field_(label: str, value: str) -> Para:
        return p(label, (b, value), align="left", indent_mm=0, after_pt=5)

    blocks: tuple[Block, ...] = (
        title("TRÍCH LỤC KHAI TỬ"),
        title("(BẢN SAO)", size=13, after_pt=16),
        field_("Họ, chữ đệm, tên:", "HOÀNG THỊ MẬN"),
        field_("Ngày, tháng, năm sinh:", "02/11/1941"),
        Row(
            (
                (0, (("r", "Giới tính:"), (b, "Nữ"))),
                (55, (("r", "Dân tộc:"), (b, "Tày"))),
                (105, (("r", "Quốc tịch:"), (b, "Việt Nam"))),
            ),
            after_pt=5,
        ),
        field_("Số định danh cá nhân:", "020141009931"),
        field_("Nơi cư trú cuối cùng:", "thôn Nà Lầu, xã Bình An"),
        field_("Đã chết vào lúc:", "04 giờ 20 phút, ngày 10/8/2025"),
        field_("Nơi chết:", "tại nhà, thôn Nà Lầu, xã Bình An"),
        field_("Nguyên nhân chết:", "Già yếu"),
        field_("Họ, chữ đệm, tên người đi khai tử:", "NÔNG VĂN DŨNG"),
        field_("Quan hệ với người đã chết:", "Con trai"),
        field_("Đã được đăng ký khai tử tại:", "Ủy ban nhân dân xã Bình An"),
        Row(
            (
                (0, (("r", "Số:"), (b, "31"))),
                (55, (("r", "Quyển số:"), (b, "01/2025"))),
                (105, (("r", "Ngày đăng ký:"), (b, "12/8/2025"))),
            ),
            after_pt=12,
        ),
        p(("i", "Sao từ Sổ đăng ký khai tử; bản sao trích lục có giá trị như bản chính.")),
    )
    blocks = tuple(
        Row(tuple((x, tuple((s, nfc(t)) for s, t in runs)) for x, runs in blk.cells), blk.size, blk.after_pt)
        if isinstance(blk, Row)
        else blk
        for blk in blocks
    )
    closing = Closing(left=(), right=signer("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH", name="Hoàng Văn Thụ"))
    return DocSpec(
        "trich-luc-khai-tu-31.png",
        "HT-TLKT",
        300,
        header,
        blocks,
        closing,
        ("Dân tộc", "Quốc tịch", "Nơi chết", "khai tử"),
        (-0.5,),
        "png",
    )


# ---------------------------------------------------------------------------------------------- rendering
@lru_cache(maxsize=64)
def font(style: Style, size_px: int) -> ImageFont.FreeTypeFont:
    path = str(FONT_DIR / FONT_FILES[style])
    return ImageFont.truetype(path, size_px, layout_engine=ImageFont.Layout.BASIC)


class Renderer:
    """Lays out one DocSpec on A4 pages (white background, black text) at the spec's dpi."""

    def __init__(self, spec: DocSpec, rng: random.Random) -> None:
        self.spec = spec
        self.dpi = spec.dpi
        self.rng = rng
        self.w = round(A4_MM[0] / 25.4 * self.dpi)
        self.h = round(A4_MM[1] / 25.4 * self.dpi)
        self.x0 = self.mm(MARGIN_MM["left"])
        self.x1 = self.w - self.mm(MARGIN_MM["right"])
        self.y_top = self.mm(MARGIN_MM["top"])
        self.y_max = self.h - self.mm(MARGIN_MM["bottom"])
        self.pages: list[Image.Image] = []
        self.y = 0
        self.new_page()
        # Right column: the national motto ends at the right margin; ô 4 and ô 7 are centred under it.
        self.right_cx = self.x1 - self.width(nfc(QUOC_HIEU), "b", 12.5) // 2
        self.left_cx = self.x0 + self.mm(LEFT_COL_MM) // 2 - self.mm(6)

    # units
    def mm(self, v: float) -> int:
        return round(v / 25.4 * self.dpi)

    def px(self, pt: float) -> int:
        return round(pt * self.dpi / 72.0)

    def width(self, text: str, style: Style, size: float) -> int:
        return round(font(style, self.px(size)).getlength(text))

    # pages
    def new_page(self) -> None:
        img = Image.new("L", (self.w, self.h), 255)
        self.pages.append(img)
        self.draw = ImageDraw.Draw(img)
        self.y = self.y_top
        if len(self.pages) > 1:  # page number centred in the top margin, not on the first page
            num = str(len(self.pages))
            self.text_at(self.w // 2, self.mm(12), num, "r", 13, "center")

    def text_at(self, x: int, baseline: int, text: str, style: Style, size: float, align: Align) -> int:
        f = font(style, self.px(size))
        width = round(f.getlength(text))
        if align == "center":
            x -= width // 2
        self.draw.text((x, baseline), text, font=f, fill=0, anchor="ls")
        return width

    def line_box(self, size: float, spacing: float) -> tuple[int, int]:
        """Return (line height, baseline offset from the line top) for a font size and line spacing."""
        f = font("r", self.px(size))
        asc, desc = f.getmetrics()
        height = round(self.px(size) * spacing)
        return height, (height - asc - desc) // 2 + asc

    def rule(self, cx: int, y: int, length: int) -> None:
        thick = max(1, self.px(0.6))
        self.draw.rectangle((cx - length // 2, y, cx + length // 2, y + thick - 1), fill=0)

    # header (ô 1-4, 5b)
    def header(self) -> None:
        hd = self.spec.header
        size = 12.5
        lh, base = self.line_box(size, 1.15)
        y = self.y
        for line in hd.parent:
            self.text_at(self.left_cx, y + base, nfc(line), "r", size, "center")
            y += lh
        widest = 0
        for line in hd.issuer:
            widest = max(widest, self.text_at(self.left_cx, y + base, nfc(line), "b", size, "center"))
            y += lh
        self.rule(self.left_cx, y + self.px(2), max(widest * 2 // 5, self.mm(22)))
        left_bottom = y + self.px(3)

        y = self.y
        self.text_at(self.right_cx, y + base, nfc(QUOC_HIEU), "b", size, "center")
        y += lh
        lh13, base13 = self.line_box(13.5, 1.15)
        motto_w = self.text_at(self.right_cx, y + base13, nfc(TIEU_NGU), "b", 13.5, "center")
        y += lh13
        self.rule(self.right_cx, y + self.px(1), motto_w)
        right_bottom = y + self.px(2)

        y = max(left_bottom, right_bottom) + self.px(10)
        lh, base = self.line_box(13, 1.2)
        self.text_at(self.left_cx, y + base, nfc(f"Số: {hd.number}"), "r", NUMBER_PT, "center")
        self.text_at(self.right_cx, y + base, hd.date_line, "i", 13.5, "center")
        y += lh
        if hd.vv:
            y += self.px(4)
            vlh, vbase = self.line_box(12.5, 1.15)
            for vv_line in self.wrap([("r", w) for w in nfc(hd.vv).split()], 12.5, self.mm(LEFT_COL_MM - 4)):
                text = " ".join(t for _, t in vv_line)
                self.text_at(self.left_cx, y + vbase, text, "r", 12.5, "center")
                y += vlh
        self.y = y + self.px(14)

    # body
    def wrap(self, words: Sequence[Run], size: float, max_w: int, first_indent: int = 0) -> list[list[Run]]:
        lines: list[list[Run]] = []
        cur: list[Run] = []
        cur_w = first_indent
        space = self.width(" ", "r", size)
        for word in words:
            ww = self.width(word[1], word[0], size)
            if cur and cur_w + space + ww > max_w:
                lines.append(cur)
                cur, cur_w = [], 0
            cur_w += (space if cur else 0) + ww
            cur.append(word)
        if cur:
            lines.append(cur)
        return lines

    def para(self, para: Para) -> None:
        self.y += self.px(para.before_pt)
        words: list[Run] = [(s, w) for s, t in para.runs for w in t.split()]
        indent = self.mm(para.indent_mm)
        max_w = self.x1 - self.x0
        lines = self.wrap(words, para.size, max_w, indent)
        lh, base = self.line_box(para.size, para.spacing)
        space = self.width(" ", "r", para.size)
        for i, line in enumerate(lines):
            if self.y + lh > self.y_max:
                self.new_page()
            widths = [self.width(t, s, para.size) for s, t in line]
            x_start = self.x0 + (indent if i == 0 else 0)
            avail = self.x1 - x_start
            natural = sum(widths) + space * (len(line) - 1)
            gap = float(space)
            if para.align == "justify" and i < len(lines) - 1 and len(line) > 1:
                gap = (avail - sum(widths)) / (len(line) - 1)
            elif para.align == "center":
                x_start = (self.x0 + self.x1) // 2 - natural // 2
            x = float(x_start)
            for (style, text), w in zip(line, widths, strict=True):
                self.draw.text(
                    (round(x), self.y + base), text, font=font(style, self.px(para.size)), fill=0, anchor="ls"
                )
                x += w + gap
            self.y += lh
        self.y += self.px(para.after_pt)

    def row(self, row: Row) -> None:
        lh, base = self.line_box(row.size, 1.25)
        if self.y + lh > self.y_max:
            self.new_page()
        space = self.width(" ", "r", row.size)
        for x_mm, runs in row.cells:
            x = self.x0 + self.mm(x_mm)
            for style, text in runs:
                x += self.text_at(x, self.y + base, text, style, row.size, "left") + space
        self.y += lh + self.px(row.after_pt)

    # closing (ô 7, 9b)
    def column_height(self, items: Sequence[ColItem]) -> int:
        total = 0
        for it in items:
            total += self.mm(it.height_mm) if isinstance(it, SignGap) else self.line_box(it.size, 1.2)[0]
        return total

    def column(self, items: Sequence[ColItem], x_left: int, cx: int, y: int) -> None:
        for it in items:
            if isinstance(it, SignGap):
                self.signature(cx, y, self.mm(it.height_mm), it.seal)
                y += self.mm(it.height_mm)
                continue
            lh, base = self.line_box(it.size, 1.2)
            if it.text:
                x = cx if it.align == "center" else x_left
                self.text_at(x, y + base, it.text, it.style, it.size, it.align)
            y += lh

    def closing(self) -> None:
        cl = self.spec.closing
        self.y += self.px(cl.before_pt)
        height = max(self.column_height(cl.left), self.column_height(cl.right))
        if self.y + height > self.y_max:
            self.new_page()
        self.column(cl.left, self.x0, self.x0 + self.mm(30), self.y)
        self.column(cl.right, self.right_cx - self.mm(40), self.right_cx, self.y)
        self.y += height

    def signature(self, cx: int, y: int, height: int, seal: bool) -> None:
        """Draw an invented ink scribble (blue ink shows mid-grey) and, if asked, a seal ring (red: light)."""
        rng = self.rng
        if seal:
            r = self.mm(13)
            sx, sy = cx - self.mm(13), y + height // 2
            grey = 175
            for rr, wd in ((r, self.px(1.6)), (r - self.mm(4), self.px(0.8))):
                self.draw.ellipse((sx - rr, sy - rr, sx + rr, sy + rr), outline=grey, width=wd)
            star = [
                (
                    sx + round(self.mm(5) * (1 if k % 2 == 0 else 0.4) * math.sin(k * math.pi / 5)),
                    sy - round(self.mm(5) * (1 if k % 2 == 0 else 0.4) * math.cos(k * math.pi / 5)),
                )
                for k in range(10)
            ]
            self.draw.polygon(star, fill=grey)
        # scribble: a smooth curve from a sum of sines
        n = 240
        x0, span = cx - self.mm(18), self.mm(34)
        a1, a2 = rng.uniform(0.18, 0.26) * height, rng.uniform(0.06, 0.1) * height
        f1, f2, ph = rng.uniform(2.5, 4.0), rng.uniform(7, 11), rng.uniform(0, math.pi)
        pts = []
        for k in range(n):
            t = k / (n - 1)
            xx = x0 + span * t + self.mm(3) * math.sin(2 * math.pi * f2 * t + ph)
            yy = (
                y
                + height * 0.5
                + a1 * math.sin(2 * math.pi * f1 * t + ph) * (1 - t)
                + a2 * math.cos(2 * math.pi * f2 * t)
            )
            pts.append((round(xx), round(yy)))
        self.draw.line(pts, fill=70, width=max(2, self.px(0.9)), joint="curve")

    def render(self) -> list[Image.Image]:
        self.header()
        for blk in self.spec.blocks:
            if isinstance(blk, Para):
                self.para(blk)
            elif isinstance(blk, Row):
                self.row(blk)
            else:
                if self.y + self.px(blk.after_pt) > self.y_max:
                    self.new_page()
                self.rule((self.x0 + self.x1) // 2, self.y + self.px(5), self.mm(blk.width_mm))
                self.y += self.px(blk.after_pt)
        self.closing()
        return self.pages


# ------------------------------------------------------------------------------------------ scan emulation
def gauss_lut(sigma: float) -> list[int]:
    """Map uniform bytes to roughly Gaussian noise centred on 128 (used with ImageChops.add offset -128)."""
    nd = statistics.NormalDist(128.0, max(sigma, 1e-6))
    return [min(255, max(0, round(nd.inv_cdf((i + 0.5) / 256)))) for i in range(256)]


def degrade(
    page: Image.Image, rng: random.Random, angle: float, dpi: int, noise_sigma: float, blur: float
) -> Image.Image:
    """Make a clean rendered page look like a good flatbed scan (greyscale 'L')."""
    w, h = page.size
    clear = dpi // 20  # dust specks land on blank paper only, so they never change a glyph
    specks: list[tuple[int, int, int, int]] = []
    for _ in range(rng.randint(25, 45)):
        x, y = rng.randrange(clear, w - clear), rng.randrange(clear, h - clear)
        r, shade = max(1, rng.choice((1, 1, 1, 2, 2, 3)) * dpi // 300), rng.randint(90, 190)
        if page.crop((x - clear, y - clear, x + clear, y + clear)).getextrema() == (255, 255):
            specks.append((x, y, r, shade))
    ink = page.point([28 + round(v * (255 - 28) / 255) for v in range(256)])  # toner is not pure black
    rot = ink.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    soft = rot.filter(ImageFilter.GaussianBlur(radius=blur * dpi / 300))
    # paper: slightly off-white with low-frequency mottling
    sw, sh = w // 48 + 2, h // 48 + 2
    mottle = Image.frombytes("L", (sw, sh), rng.randbytes(sw * sh))
    base = rng.randint(238, 244)
    mottle = mottle.point([base - 3 + round(v * 6 / 255) for v in range(256)])
    paper = mottle.resize((w, h), Image.Resampling.BICUBIC)
    out = ImageChops.multiply(soft, paper)
    draw = ImageDraw.Draw(out)
    for x, y, r, shade in specks:  # specks are placed before rotation; close enough for dust
        draw.ellipse((x - r, y - r, x + r, y + r), fill=shade)
    if noise_sigma > 0:
        noise = Image.frombytes("L", (w, h), rng.randbytes(w * h)).point(gauss_lut(noise_sigma))
        out = ImageChops.add(out, noise, 1.0, -128)
    return out


def save(spec: DocSpec, pages: list[Image.Image], path: Path) -> None:
    dpi = (spec.dpi, spec.dpi)
    if spec.fmt == "pdf":
        pages[0].save(
            path,
            "PDF",
            save_all=True,
            append_images=pages[1:],
            resolution=float(spec.dpi),
            quality=80,
            title=nfc(spec.file),
            producer="sohoa samples/make_samples.py",
            creator="sohoa",
            creationDate=FIXED_DATE,
            modDate=FIXED_DATE,
        )
    elif spec.fmt == "png":
        pages[0].save(path, "PNG", dpi=dpi, optimize=True)
    elif spec.fmt == "jpeg":
        pages[0].save(path, "JPEG", dpi=dpi, quality=85, optimize=True)
    else:
        bw = [pg.point(lambda v: 255 if v > BW_THRESHOLD else 0, mode="1") for pg in pages]
        bw[0].save(path, "TIFF", save_all=True, append_images=bw[1:], compression="group4", dpi=dpi)


# Per container: Gaussian noise sigma (grey levels; none for PNG, where it would triple the file size) and
# blur radius in px at 300 dpi (less before 1-bit thresholding, which already thickens/erodes strokes).
NOISE: dict[str, float] = {"pdf": 2.0, "png": 0.0, "jpeg": 2.0, "tiff": 2.0}
BLUR: dict[str, float] = {"pdf": 0.7, "png": 0.7, "jpeg": 0.7, "tiff": 0.5}


def build(spec: DocSpec, outdir: Path) -> dict[str, object]:
    seed = zlib.crc32(spec.file.encode("utf-8"))
    rng = random.Random(seed)
    pages = Renderer(spec, rng).render()
    if len(pages) != len(spec.angles):
        raise RuntimeError(f"{spec.file}: laid out on {len(pages)} pages, expected {len(spec.angles)}")
    body = spec.body_text()
    missing = [w for w in spec.words if nfc(w) not in body]
    if missing:
        raise RuntimeError(f"{spec.file}: expected words not in the body: {missing}")
    scans = [
        degrade(pg, rng, a, spec.dpi, NOISE[spec.fmt], BLUR[spec.fmt]) for pg, a in zip(pages, spec.angles, strict=True)
    ]
    save(spec, scans, outdir / nfc(spec.file))
    return spec.expected()


STACK_FILE = "stack/ho-so-ghep-2-van-ban.pdf"
SEPARATOR_CODE = "SOHOA-SEPARATOR"  # sohoa's default separator_code


def separator_sheet(dpi: int) -> Image.Image:
    """An A4 separator sheet: the QR code a records officer prints once and puts between documents."""
    import io

    import segno  # test extra; only needed to regenerate the samples

    buffer = io.BytesIO()
    segno.make(SEPARATOR_CODE, error="m").save(buffer, kind="png", scale=24, border=4)  # 2 mm modules
    qr = Image.open(buffer).convert("L")
    sheet = Image.new("L", (round(210 / 25.4 * dpi), round(297 / 25.4 * dpi)), 255)
    sheet.paste(qr, ((sheet.width - qr.width) // 2, (sheet.height - qr.height) // 3))
    return sheet


def build_stack(outdir: Path) -> list[dict[str, object]]:
    """A scanned stack as a feeder makes it: document, separator sheet, document, in one PDF (make demo splits it).
    Two documents of their own (other numbers and dates than the single-file samples, so they archive apart)."""
    from dataclasses import replace

    tb = doc_tb()
    tb = replace(tb, file="stack#1", fmt="pdf", header=replace(tb.header, number="09/TB-UBND", day=12))
    tlkt = doc_tlkt()
    tlkt = replace(tlkt, file="stack#2", fmt="pdf", header=replace(tlkt.header, number="32/TLKT-BS", day=21))
    pages: list[Image.Image] = []
    expected: list[dict[str, object]] = []
    for index, spec in enumerate((tb, tlkt), start=1):
        rng = random.Random(zlib.crc32(spec.file.encode("utf-8")))
        rendered = Renderer(spec, rng).render()
        if pages:
            pages.append(separator_sheet(spec.dpi))
        pages.extend(
            degrade(pg, rng, a, spec.dpi, NOISE["pdf"], BLUR["pdf"])
            for pg, a in zip(rendered, spec.angles, strict=True)
        )
        expected.append(spec.expected() | {"file": f"{Path(STACK_FILE).name}#{index}.pdf"})
    path = outdir / STACK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    save(replace(tb, fmt="pdf"), pages, path)
    (path.parent / "expected.json").write_text(
        nfc(json.dumps(expected, ensure_ascii=False, indent=2) + "\n"), encoding="utf-8"
    )
    return expected


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    outdir = Path(args[0]) if args else Path(__file__).resolve().parent
    outdir.mkdir(parents=True, exist_ok=True)
    expected = [build(spec, outdir) for spec in (doc_qd(), doc_tb(), doc_cv(), doc_bb(), doc_tlkt())]
    text = json.dumps(expected, ensure_ascii=False, indent=2) + "\n"
    (outdir / "expected.json").write_text(nfc(text), encoding="utf-8")
    for item in expected:
        f = outdir / str(item["file"])
        print(f"{f.name}\t{f.stat().st_size:>9,d} B\t{item['pages']} page(s)")
    stack = build_stack(outdir)
    print(f"{STACK_FILE}\t{(outdir / STACK_FILE).stat().st_size:>9,d} B\t{len(stack)} documents + separator sheet")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
