"""Text normalisation for matching Vietnamese OCR output against the Decree 30 vocabulary.

Everything is NFC. Old-style tone placement (``hoà``, ``uỷ``) is moved to the modern place (``hòa``, ``ủy``)
so one spelling matches both, and the OCR confusions seen on Vietnamese official documents are undone
(``Ð`` (eth) for ``Đ``, ``QD`` for ``QĐ``, ``Sô:``/``S6:`` for ``Số:``).
"""

from __future__ import annotations

import re

from sohoa.vietnamese import fold, spelling_key


def normalize_text(text: str) -> str:
    """NFC, modern tone placement and common OCR confusions fixed; line structure kept."""
    text = spelling_key(text)  # NFC, eth / African D read for Đ, modern tone placement
    text = text.replace("\u00a0", " ").replace("\u2013", "-").replace("\u2014", "-")
    # "Sô:", "S6:", "Sö:", "Sỗ:" at the start of a number line → "Số:"
    text = re.sub(r"(?m)(^|\s)S[ôo6öỗồổóòọ0]\s*[:;]", r"\1Số:", text)
    text = re.sub(r"(?m)^Số\s+(?=\d{1,5}\s*/)", "Số: ", text)  # the colon lost
    return "\n".join(restore_phrases(collapse_doubled_vowels(line)) for line in text.split("\n"))


# Vietnamese never writes these vowels twice in a row ('oo' in XOONG and 'ưu' in HƯU fold to doubles, so they
# are not here)
_NEVER_DOUBLED = frozenset("aeiy")


def collapse_doubled_vowels(line: str) -> str:
    """One accented capital that Tesseract read twice ('HÀÃNH' → 'HÀNH', 'LÂẦM' → 'LÂM'): the first is kept.
    Only in upper-case words and only when a diacritic is involved (a Roman numeral 'XIII' stays)."""

    def collapse(match: re.Match[str]) -> str:
        word = match.group(0)
        if not word.isupper():
            return word
        kept: list[str] = []
        for ch in word:
            previous = kept[-1] if kept else ""
            base = fold(ch)
            if (
                previous
                and base in _NEVER_DOUBLED
                and fold(previous) == base
                and (ch != base.upper() or previous != base.upper())
            ):
                continue
            kept.append(ch)
        return "".join(kept)

    return re.sub(r"\w{2,}", collapse, line)


# Upper-case phrases of the header, title and signature blocks. An upper-case run of text that folds to one of
# them (same letters, other diacritics: 'BIẾN BẢN', 'CHỦ TICH', 'ỦY BAN NHÂN DẦN') is an OCR slip: restore it.
HEADER_PHRASES = (
    "ỦY BAN NHÂN DÂN",
    "HỘI ĐỒNG NHÂN DÂN",
    "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
    "TRUNG TÂM PHỤC VỤ HÀNH CHÍNH CÔNG",
    "TRUNG TÂM PHỤC VỤ",
    "HÀNH CHÍNH CÔNG",
    "ĐẶC KHU",
    "CHỦ TỊCH",
    "PHÓ CHỦ TỊCH",
    "GIÁM ĐỐC",
    "PHÓ GIÁM ĐỐC",
    "CHÁNH VĂN PHÒNG",
    "TRƯỞNG PHÒNG",
    "NGƯỜI KÝ",
    "THƯ KÝ",
    "CHỦ TỌA",
    "BẢN SAO",
    "SAO Y",
    "TRÍCH SAO",
    "SAO LỤC",
    "NGHỊ QUYẾT",
    "QUYẾT ĐỊNH",
    "CHỈ THỊ",
    "QUY CHẾ",
    "QUY ĐỊNH",
    "THÔNG CÁO",
    "THÔNG BÁO",
    "HƯỚNG DẪN",
    "CHƯƠNG TRÌNH",
    "KẾ HOẠCH",
    "PHƯƠNG ÁN",
    "ĐỀ ÁN",
    "DỰ ÁN",
    "BÁO CÁO",
    "BIÊN BẢN",
    "TỜ TRÌNH",
    "HỢP ĐỒNG",
    "CÔNG ĐIỆN",
    "BẢN GHI NHỚ",
    "BẢN THỎA THUẬN",
    "GIẤY ỦY QUYỀN",
    "GIẤY MỜI",
    "GIẤY GIỚI THIỆU",
    "GIẤY NGHỈ PHÉP",
    "PHIẾU GỬI",
    "PHIẾU CHUYỂN",
    "PHIẾU BÁO",
    "GIẤY KHAI SINH",
    "TRÍCH LỤC",
    "KHAI SINH",
    "KHAI TỬ",
    "KẾT HÔN",
    "GIẤY CHỨNG NHẬN KẾT HÔN",
    "GIẤY XÁC NHẬN TÌNH TRẠNG HÔN NHÂN",
)


def _phrase_index() -> tuple[re.Pattern[str], dict[str, str]]:
    table = {fold(p): p for p in HEADER_PHRASES}
    alternation = "|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))
    return re.compile(r"(?<![a-z0-9])(?:" + alternation + r")(?![a-z0-9])"), table


def restore_phrases(line: str) -> str:
    """Upper-case OCR slips of known header phrases restored ('BIẾN BẢN' → 'BIÊN BẢN'); other text unchanged."""
    folded = fold(line)
    if len(folded) != len(line):
        return line
    pattern, table = _PHRASES
    for match in reversed(list(pattern.finditer(folded))):
        original = line[match.start() : match.end()]
        letters = [ch for ch in original if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters):
            line = line[: match.start()] + table[match.group(0)] + line[match.end() :]
    return line


_PHRASES = _phrase_index()
