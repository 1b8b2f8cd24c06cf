"""Synthetic labelled documents for the type model and the benchmark: Decree 30 layouts filled from templates
(invented communes, people and numbers — no real personal data) with body sentences drawn from a Vietnamese
text corpus (``../shared/corpora/vi-text/legal-docs``), and OCR-like noise (lost diacritics, merged columns,
confusable letters). Deterministic for a given seed."""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from classify.doctypes import DocType, load_doc_types
from classify.rules import CANONICAL_SURNAMES

UNITS = ("XÃ", "XÃ", "XÃ", "PHƯỜNG", "ĐẶC KHU")
SYLLABLES = [
    "Tân",
    "Lập",
    "Phú",
    "Hưng",
    "Hợp",
    "Tiến",
    "Bình",
    "An",
    "Đồng",
    "Tâm",
    "Thanh",
    "Sơn",
    "Hòa",
    "Bình",
    "Minh",
    "Đức",
    "Quang",
    "Trung",
    "Yên",
    "Thế",
    "Kim",
    "Long",
    "Mỹ",
    "Lộc",
    "Hưng",
    "Đạo",
    "Vĩnh",
    "Phúc",
    "Tiên",
    "Phong",
    "Thái",
    "Hòa",
    "Ngọc",
    "Lâm",
    "Hải",
    "Đông",
    "Nam",
    "Sơn",
    "Tây",
    "Hồ",
    "Cẩm",
    "Xuyên",
    "Lạc",
    "Dương",
    "Hoàng",
    "Mai",
]
# the same surnames the rules canonicalise, so generated names are ones the parser knows
FAMILY = list(CANONICAL_SURNAMES.values())
MIDDLE = ["Văn", "Thị", "Minh", "Đức", "Thanh", "Hồng", "Quốc", "Ngọc", "Xuân", "Thu", "Kim", "Hữu"]
GIVEN = [
    "An",
    "Bình",
    "Cường",
    "Dũng",
    "Hoa",
    "Lan",
    "Mận",
    "Nam",
    "Phượng",
    "Quân",
    "Sơn",
    "Thắm",
    "Tiến",
    "Uyên",
    "Vân",
    "Yến",
    "Khải",
    "Lụa",
    "Hùng",
    "Nhung",
]
OFFICES = ("UBND", "UBND", "TTPVHCC", "VP", "HĐND")
SUBJECTS = (
    "phê duyệt Danh mục hồ sơ năm {y}",
    "số hóa sổ hộ tịch và tài liệu lưu trữ",
    "tổ chức tiếp nhận hồ sơ thủ tục hành chính",
    "kiện toàn Tổ công tác chuyển đổi số",
    "thực hiện công tác văn thư, lưu trữ năm {y}",
    "phòng, chống thiên tai và tìm kiếm cứu nạn",
    "quản lý, sử dụng tài sản công tại Ủy ban nhân dân",
    "tổng kết công tác tư pháp - hộ tịch năm {y}",
    "giao chỉ tiêu thu ngân sách nhà nước",
    "bàn giao tài liệu lưu trữ để chỉnh lý",
)
# words an officer sees in the body of each type (beyond its title)
BODY_CUES: dict[str, tuple[str, ...]] = {
    "NQ": ("HỘI ĐỒNG NHÂN DÂN", "QUYẾT NGHỊ:", "Nghị quyết này đã được Hội đồng nhân dân xã thông qua"),
    "QĐ": ("Căn cứ Luật Tổ chức chính quyền địa phương;", "QUYẾT ĐỊNH:", "Điều 1.", "Quyết định này có hiệu lực"),
    "CT": ("Chủ tịch Ủy ban nhân dân xã yêu cầu", "nghiêm túc thực hiện Chỉ thị này"),
    "QC": ("Chương I QUY ĐỊNH CHUNG", "Quy chế này quy định", "phạm vi điều chỉnh"),
    "QyĐ": ("Quy định này áp dụng đối với", "đối tượng áp dụng"),
    "TC": ("thông cáo báo chí", "kết quả kỳ họp"),
    "TB": ("thông báo để các tổ chức, cá nhân biết và thực hiện", "Thông báo"),
    "HD": ("hướng dẫn thực hiện như sau", "trình tự, thủ tục"),
    "CTr": ("chương trình công tác", "nội dung trọng tâm"),
    "KH": ("I. MỤC ĐÍCH, YÊU CẦU", "II. NỘI DUNG", "III. TỔ CHỨC THỰC HIỆN", "kế hoạch"),
    "PA": ("phương án bố trí", "phương án xử lý"),
    "ĐA": ("sự cần thiết xây dựng đề án", "mục tiêu của đề án"),
    "DA": ("tổng mức đầu tư của dự án", "chủ đầu tư"),
    "BC": ("kết quả thực hiện", "I. TÌNH HÌNH", "đánh giá chung", "phương hướng, nhiệm vụ"),
    "BB": ("Hôm nay, vào lúc", "Thành phần tham dự", "Biên bản kết thúc vào", "THƯ KÝ", "CHỦ TỌA"),
    "TTr": ("Kính trình", "kính trình xem xét, phê duyệt", "tờ trình"),
    "HĐ": ("BÊN A", "BÊN B", "Điều 1. Nội dung hợp đồng", "ĐẠI DIỆN BÊN A", "ĐẠI DIỆN BÊN B"),
    "CV": ("Kính gửi:", "Ủy ban nhân dân xã đề nghị", "trân trọng đề nghị"),
    "CĐ": ("ĐIỆN:", "Chủ tịch Ủy ban nhân dân xã điện", "công điện"),
    "BGN": ("hai bên thống nhất ghi nhớ", "bản ghi nhớ"),
    "BTT": ("các bên thỏa thuận", "bản thỏa thuận"),
    "GUQ": ("Bên ủy quyền", "Bên được ủy quyền", "Nội dung ủy quyền", "Thời hạn ủy quyền"),
    "GM": ("Trân trọng kính mời", "Thời gian:", "Địa điểm:", "đến dự"),
    "GGT": ("Trân trọng giới thiệu", "được cử đến", "đề nghị Quý cơ quan tạo điều kiện"),
    "GNP": ("được nghỉ phép", "thời gian nghỉ", "nơi nghỉ phép"),
    "PG": ("phiếu gửi", "gửi kèm theo phiếu này", "nơi gửi"),
    "PC": ("phiếu chuyển", "chuyển đến", "để xem xét, giải quyết theo thẩm quyền"),
    "PB": ("phiếu báo", "báo để biết"),
    "ThC": ("thư công", "thư chúc mừng", "gửi lời thăm hỏi"),
    "SY": ("SAO Y", "sao y bản chính"),
    "TrS": ("TRÍCH SAO", "trích sao"),
    "SL": ("SAO LỤC", "sao lục"),
}
CIVIL_ROWS: dict[str, tuple[str, ...]] = {
    "HT-GKS": (
        "Họ, chữ đệm, tên: {P}",
        "Ngày, tháng, năm sinh: {d}",
        "Nơi sinh: Trạm y tế xã",
        "Họ, chữ đệm, tên người mẹ: {Q}",
        "NGƯỜI KÝ GIẤY KHAI SINH",
    ),
    "HT-TLKS": (
        "Họ, chữ đệm, tên: {P}",
        "Ngày, tháng, năm sinh: {d}",
        "Nơi đăng ký khai sinh: Ủy ban nhân dân xã",
        "(BẢN SAO)",
    ),
    "HT-GCNKH": (
        "Họ, chữ đệm, tên vợ: {P}",
        "Họ, chữ đệm, tên chồng: {Q}",
        "Nơi đăng ký kết hôn: Ủy ban nhân dân xã",
        "Chữ ký của vợ Chữ ký của chồng",
    ),
    "HT-TLKH": ("Họ, chữ đệm, tên vợ: {P}", "Họ, chữ đệm, tên chồng: {Q}", "(BẢN SAO)", "Đã đăng ký kết hôn tại"),
    "HT-TLKT": (
        "Họ, chữ đệm, tên: {P}",
        "Đã chết vào lúc: 04 giờ 20 phút, ngày {d}",
        "Nơi chết: tại nhà",
        "Đã được đăng ký khai tử tại: Ủy ban nhân dân xã",
    ),
    "HT-XNTTHN": (
        "Họ, chữ đệm, tên: {P}",
        "Tình trạng hôn nhân: chưa đăng ký kết hôn với ai",
        "Giấy này có giá trị sử dụng trong thời hạn 6 tháng",
        "được sử dụng để",
    ),
    "HT-TLNCMC": ("Họ, chữ đệm, tên người nhận: {P}", "Họ, chữ đệm, tên người được nhận: {Q}", "Quan hệ: cha - con"),
    "HT-TLGH": ("Họ, chữ đệm, tên người giám hộ: {P}", "Họ, chữ đệm, tên người được giám hộ: {Q}", "đăng ký giám hộ"),
    "HT-TLCDGH": ("Họ, chữ đệm, tên người giám hộ: {P}", "chấm dứt giám hộ", "Lý do chấm dứt"),
    "HT-TLTDCC": ("Họ, chữ đệm, tên: {P}", "Nội dung thay đổi, cải chính", "Căn cứ thay đổi, cải chính"),
    "HT-TLGC": ("Họ, chữ đệm, tên: {P}", "đã được ghi vào Sổ hộ tịch", "theo bản án, quyết định"),
    "HT-TKKS": (
        "Kính gửi: Ủy ban nhân dân xã",
        "Họ, chữ đệm, tên người yêu cầu: {Q}",
        "Đề nghị cơ quan đăng ký khai sinh cho người dưới đây",
        "Tôi cam đoan",
    ),
    "HT-TKKH": ("Kính gửi: Ủy ban nhân dân xã", "Thông tin Bên nữ Bên nam", "Chúng tôi cam đoan"),
    "HT-TKKT": (
        "Kính gửi: Ủy ban nhân dân xã",
        "Đề nghị cơ quan đăng ký khai tử cho người có tên dưới đây",
        "Tôi cam đoan",
    ),
    "HT-TKXN": ("Kính gửi: Ủy ban nhân dân xã", "Đề nghị cấp Giấy xác nhận tình trạng hôn nhân", "Mục đích sử dụng"),
    "HT-GCS": ("Họ và tên mẹ: {P}", "Đã sinh con vào lúc", "Cân nặng", "Người đỡ đẻ", "Trạm y tế"),
    "HT-GBT": ("Họ và tên người chết: {P}", "Đã chết vào lúc", "Nguyên nhân chết", "Trạm y tế"),
    "HT-SKS": ("Quyển số: 01", "Năm 2010", "Số thứ tự", "Ngày đăng ký", "Họ tên người được đăng ký"),
    "HT-SKH": ("Quyển số: 02", "Năm 2008", "Họ, chữ đệm, tên vợ", "Họ, chữ đệm, tên chồng"),
    "HT-SKT": ("Quyển số: 01", "Năm 2012", "Họ tên người chết", "Ngày chết", "Nơi chết"),
}
CONFUSIONS = (
    ("Đ", "D"),
    ("đ", "d"),
    ("ư", "u"),
    ("ơ", "o"),
    ("ị", "i"),
    ("ệ", "ê"),
    ("ấ", "á"),
    ("l", "1"),
    ("ỏ", "ó"),
)


def default_corpus_dir() -> Path:
    return Path(__file__).resolve().parents[2] / "shared" / "corpora" / "vi-text" / "legal-docs"


def load_sentences(corpus_dir: Path | None = None, limit: int = 4000) -> list[str]:
    """Body sentences (30–220 characters, NFC) from the corpus; a small built-in set when it is absent."""
    folder = corpus_dir or default_corpus_dir()
    sentences: list[str] = []
    if folder.is_dir():
        for file in sorted(folder.rglob("*.txt")):
            text = unicodedata.normalize("NFC", file.read_text(encoding="utf-8", errors="replace"))
            for piece in re.split(r"(?<=[.;:])\s+|\n+", text):
                piece = piece.strip()
                if 30 <= len(piece) <= 220 and not piece.isupper() and "Số:" not in piece:
                    sentences.append(piece)
    if not sentences:
        sentences = [
            "Cơ quan, tổ chức, cá nhân có liên quan chịu trách nhiệm thi hành.",
            "Việc tiếp nhận hồ sơ được thực hiện tại Trung tâm Phục vụ hành chính công.",
            "Các bộ phận chuyên môn phối hợp thực hiện theo quy định của pháp luật.",
        ]
    rng = random.Random(7)
    rng.shuffle(sentences)
    return sentences[:limit]


def person(rng: random.Random) -> str:
    return f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


NUMBER_WORDS = ("", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")


def _words(n: int) -> str:
    """Numbers 1–31 and years 2000–2099 in words ('hai mươi mốt', 'hai nghìn không trăm hai mươi lăm')."""
    if n >= 1000:
        rest = n % 100
        return "hai nghìn không trăm " + (_words(rest) if rest >= 10 else f"linh {NUMBER_WORDS[rest]}")
    if n < 10:
        return NUMBER_WORDS[n]
    tens, unit = divmod(n, 10)
    head = "mười" if tens == 1 else f"{NUMBER_WORDS[tens]} mươi"
    if unit == 0:
        return head
    tail = {1: "mốt" if tens > 1 else "một", 5: "lăm"}.get(unit, NUMBER_WORDS[unit])
    return f"{head} {tail}"


@dataclass
class SyntheticDoc:
    """One invented document: the parts the layout needs and the truth for the benchmark."""

    code: str
    issuer: tuple[str, ...]
    parent: tuple[str, ...]
    number: str
    place: str
    day: int
    month: int
    year: int
    date_in_words: bool
    title: str  # '' for công văn
    subject: str
    vv: str
    paragraphs: list[str]
    recipients: list[str]
    signer_titles: tuple[str, ...]
    signer_name: str
    civil_rows: list[str] = field(default_factory=list)

    @property
    def issued_on(self) -> str:
        return f"{self.year:04d}-{self.month:02d}-{self.day:02d}"

    @property
    def date_line(self) -> str:
        if self.date_in_words:
            return f"{self.place}, ngày {_words(self.day)} tháng {_words(self.month)} năm {_words(self.year)}"
        month = f"{self.month:02d}" if self.month <= 2 else str(self.month)
        return f"{self.place}, ngày {self.day:02d} tháng {month} năm {self.year}"

    def text(self) -> str:
        """Plain reading-order text, columns merged the way Tesseract reads a Decree 30 header."""
        lines = [
            *self.parent,
            f"{self.issuer[0]} CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            f"{' '.join(self.issuer[1:])} Độc lập - Tự do - Hạnh phúc",
            f"Số: {self.number} {self.date_line}",
        ]
        if self.vv:
            lines.append(f"V/v {self.vv}")
        if self.title:
            lines += [self.title, self.subject]
        lines += self.civil_rows + self.paragraphs
        left = ["Nơi nhận:", *(f"- {r};" for r in self.recipients)] if self.recipients else []
        right = list(self.signer_titles)
        for i in range(max(len(left), len(right))):
            lines.append(
                " ".join(
                    part for part in (left[i] if i < len(left) else "", right[i] if i < len(right) else "") if part
                )
            )
        lines.append(self.signer_name)
        return unicodedata.normalize("NFC", "\n".join(lines) + "\n")


def make_doc(doc_type: DocType, rng: random.Random, sentences: list[str]) -> SyntheticDoc:
    unit = rng.choice(UNITS)
    name = f"{rng.choice(SYLLABLES)} {rng.choice(SYLLABLES)}"
    issuer: tuple[str, ...] = ("ỦY BAN NHÂN DÂN", f"{unit} {name.upper()}")
    parent: tuple[str, ...] = ()
    office = rng.choice(OFFICES)
    if office == "TTPVHCC":
        parent, issuer = (f"UBND {unit} {name.upper()}",), ("TRUNG TÂM PHỤC VỤ", "HÀNH CHÍNH CÔNG")
    elif office == "HĐND":
        issuer = ("HỘI ĐỒNG NHÂN DÂN", f"{unit} {name.upper()}")
    code = doc_type.code
    serial = f"{rng.randint(1, 250):02d}"
    year = rng.choice((2024, 2025, 2025, 2026))
    if code == "CV":
        number = f"{serial}/{office if office != 'HĐND' else 'HĐND'}-{rng.choice(('VP', 'VX', 'TP', 'KT'))}"
    elif code.startswith("HT-"):
        number = f"{serial}/{code[3:]}" + rng.choice(("", "-BS", "-BC"))
    elif code in ("SY", "TrS", "SL"):
        number = f"{serial}/{code}"
    elif code == "ThC":
        number = f"{serial}/{office}-VP"
    else:
        number = f"{serial}/{code}-{office}"
    subject = rng.choice(SUBJECTS).format(y=year)
    cues = list(BODY_CUES.get(code, ()))
    paragraphs = [rng.choice(sentences) for _ in range(rng.randint(2, 6))]
    for cue in rng.sample(cues, k=min(len(cues), rng.randint(1, 3))):
        paragraphs.insert(rng.randrange(len(paragraphs) + 1), cue)
    who = person(rng)
    civil_rows = [
        row.format(
            P=person(rng).upper(),
            Q=person(rng).upper(),
            d=f"{rng.randint(1, 28):02d}/{rng.randint(1, 12)}/19{rng.randint(40, 99)}",
        )
        for row in CIVIL_ROWS.get(code, ())
    ]
    if code.startswith("HT-") and not code.startswith(("HT-TK", "HT-S", "HT-GC", "HT-GB")):
        civil_rows.append(
            f"Số: {int(serial)} Quyển số: 01/{year} Ngày đăng ký: {rng.randint(1, 28)}/{rng.randint(1, 12)}/{year}"
        )
    authority = rng.choice((("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"), ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"), ("CHỦ TỊCH",)))
    if office == "TTPVHCC":
        authority = rng.choice((("GIÁM ĐỐC",), ("KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC")))
    if code == "BB":
        authority = ("THƯ KÝ CHỦ TỌA",)
        who = f"{person(rng)} {who}"
    return SyntheticDoc(
        code=code,
        issuer=issuer,
        parent=parent,
        number=number,
        place=name,
        day=rng.randint(1, 28),
        month=rng.randint(1, 12),
        year=year,
        date_in_words=rng.random() < 0.1,
        title="" if code == "CV" else doc_type.title.upper(),
        subject="" if code == "CV" else f"Về việc {subject}",
        vv=subject if code == "CV" else "",
        paragraphs=paragraphs,
        recipients=["Như trên", f"Thường trực Đảng ủy {unit.lower()}", "Lưu: VT, VP"],
        signer_titles=authority,
        signer_name=who,
        civil_rows=civil_rows,
    )


def ocr_noise(text: str, rng: random.Random, level: float) -> str:
    """Slips of the kind Tesseract makes on poor scans: confusable letters, lost diacritics, broken lines."""
    words = text.split(" ")
    for i, word in enumerate(words):
        roll = rng.random()
        if roll < level * 0.3:
            decomposed = unicodedata.normalize("NFD", word)
            words[i] = unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))
        elif roll < level * 0.6:
            a, b = rng.choice(CONFUSIONS)
            words[i] = word.replace(a, b, 1)
    noisy = " ".join(words)
    if rng.random() < level:
        lines = noisy.split("\n")
        k = rng.randrange(len(lines))
        lines[k] = lines[k][: len(lines[k]) // 2]  # a line half lost
        noisy = "\n".join(lines)
    return noisy


def examples(per_type: int, seed: int = 2025, corpus_dir: Path | None = None) -> Iterator[tuple[str, str]]:
    """(text, type code) pairs: ``per_type`` for each type in doc_types.json. A third have no title block (the
    case where the rules are unsure and the model must read the body) and half carry OCR-like noise."""
    rng = random.Random(seed)
    sentences = load_sentences(corpus_dir)
    for doc_type in load_doc_types():
        for i in range(per_type):
            doc = make_doc(doc_type, rng, sentences)
            if i % 3 == 2:
                doc.title = ""
                doc.number = doc.number.split("/", 1)[0] + "/UBND-VP"
            text = doc.text()
            if i % 2 == 1:
                text = ocr_noise(text, rng, level=0.15)
            yield text, doc_type.code
