"""Text normalisation for matching Vietnamese OCR output against the Decree 30 vocabulary, in two steps.

``printed_text``: the text as the document prints it, with only OCR slips undone — NFC, ``Ð`` (eth) for ``Đ``,
``Sô:``/``S6:`` for ``Số:``, an accented capital read twice, a header phrase's diacritics. Field values are
taken from it: a name is kept as the register and the ID card spell it ("Đinh Thị Hoà", "THUỶ"), a place with
its own dash ("Phan Rang–Tháp Chàm").

``matching_text``: one spelling for matching (VN_DOMAIN.md §4.3) — old-style tone placement (``hoà``, ``uỷ``)
moved to the modern place (``hòa``, ``ủy``), en and em dashes as ``-``. It changes no length, line for line, so
a place in the matching text is the same place in the printed text (``as_printed``).
"""

from __future__ import annotations

import re
import unicodedata

from sohoa.vietnamese import D_LOOKALIKES, canonical_tones, fold, spelling_key

_D_TABLE = str.maketrans(D_LOOKALIKES)


def normalize_text(text: str) -> str:
    """NFC, modern tone placement and common OCR confusions fixed; line structure kept. For matching and keys
    (the type model, the rules' patterns), not for the values a document gives: see ``printed_text``."""
    return matching_text(printed_text(text))


def printed_text(text: str) -> str:
    """NFC with the OCR slips undone (``Đ`` look-alikes, ``Sô:`` for ``Số:``, a doubled capital, a header phrase's
    diacritics) and nothing else: the document's own tone placement and dashes are kept; line structure kept."""
    text = unicodedata.normalize("NFC", text).translate(_D_TABLE).replace("\u00a0", " ")
    # "Sô:", "S6:", "Sö:", "Sỗ:" at the start of a number line → "Số:"
    text = re.sub(r"(?m)(^|\s)S[ôo6öỗồổóòọ0]\s*[:;]", r"\1Số:", text)
    text = re.sub(r"(?m)^Số\s+(?=\d{1,5}\s*/)", "Số: ", text)  # the colon lost
    return "\n".join(restore_phrases(collapse_doubled_vowels(line)) for line in text.split("\n"))


def matching_text(printed: str) -> str:
    """The matching spelling of ``printed_text``'s output: modern tone placement, en/em dash as ``-``. Same length,
    line for line and character for character."""
    return canonical_tones(printed).replace("\u2013", "-").replace("\u2014", "-")


# Marks that OCR leaves standing alone (a speck read as a circumflex or an accent): spacing modifier letters
# (U+02B0–U+02FF: 'ˆ' U+02C6, '˜', 'ˇ' …; category Lm, so ``\w`` matches them and ``[^\w\s]`` keeps them), the
# spacing accents ´ ¨ ¯ ¸, and — only where no letter or digit touches them — ASCII ` ^ ~ and combining marks
# (U+0300–U+036F) with no base letter. Vietnamese text has none of them (its diacritics sit on their letters).
_STRAY_MARKS_RE = re.compile(
    r"[\u02b0-\u02ff\u00b4\u00a8\u00af\u00b8]+"
    r"|(?<![^\W_])[`^~]+|[`^~]+(?![^\W_])"
    r"|(?<![^\W_])[\u0300-\u036f]+"
)


def strip_stray_marks(text: str) -> str:
    """``text`` without stray marks with no letter to sit on ('ỦY BAN NHÂN DÂN XÃ TÂN HÒA ˆ' → '… TÂN HÒA ')."""
    return _STRAY_MARKS_RE.sub("", text)


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
    """Upper-case OCR slips of known header phrases restored ('BIẾN BẢN' → 'BIÊN BẢN'); other text unchanged, and
    a phrase in the other tone placement is no slip ('UỶ BAN NHÂN DÂN', 'CỘNG HOÀ' stay as printed)."""
    folded = fold(line)
    if len(folded) != len(line):
        return line
    pattern, table = _PHRASES
    for match in reversed(list(pattern.finditer(folded))):
        original = line[match.start() : match.end()]
        phrase = table[match.group(0)]
        letters = [ch for ch in original if ch.isalpha()]
        if letters and all(ch.isupper() for ch in letters) and spelling_key(original) != phrase:
            line = line[: match.start()] + phrase + line[match.end() :]
    return line


_PHRASES = _phrase_index()


def _in_case_of(value: str, printed: str) -> str:
    """``printed`` (as long as ``value``) with ``value``'s case, letter for letter: a name given in capitals stays
    in capitals ('TÂN HÒA' over 'Tân Hoà' → 'TÂN HOÀ')."""
    return "".join(
        p.upper() if v.isupper() else p.lower() if v.islower() else p for v, p in zip(value, printed, strict=True)
    )


class PrintedSpelling:
    """Values read from the matching text, given back in the document's own spelling.

    The rules match on ``matching_text`` (one tone placement, ``-`` for every dash); what they extract is put back
    as the document prints it, from ``printed_text`` at the same place (the two are aligned character for
    character): 'Đinh Thị Hòa' → 'Đinh Thị Hoà', 'Phan Rang-Tháp Chàm' → 'Phan Rang–Tháp Chàm'. A value the rules
    rewrote (a family name's diacritics put back, a body's name put in capitals) keeps those changes: only the
    letters the document spells otherwise are taken from it."""

    def __init__(self, printed_lines: list[str], matching_lines: list[str]) -> None:
        self._printed = "\n".join(printed_lines)
        self._matching = "\n".join(matching_lines)
        # nothing to give back when the two agree (most documents), or, defensively, when they are not aligned
        self._differs = self._printed != self._matching and len(self._printed) == len(self._matching)

    def __call__(self, value: str | None, *, last: bool = False) -> str | None:
        """``value`` as printed; ``last``: where the value occurs more than once, the last place counts (a
        signer's name, under the body that may name the same person)."""
        if not value or not self._differs:
            return value
        words = value.split(" ")
        whole = self._find(words, 0, last)
        if whole is not None:
            return self._given_back(value, whole)
        kept: list[str] = []
        cursor = 0
        for word in words:
            found = self._find([word], cursor, last=False) or self._find([word], 0, last=False)
            if found is None:
                kept.append(word)
                continue
            kept.append(self._given_back(word, found))
            cursor = found[1]
        return " ".join(kept)

    def _find(self, words: list[str], start: int, last: bool) -> tuple[int, int] | None:
        if not any(words):
            return None
        pattern = re.compile(r"(?<![^\W_])" + r"\s+".join(re.escape(w) for w in words) + r"(?![^\W_])", re.IGNORECASE)
        spans = [match.span() for match in pattern.finditer(self._matching, start)] if last else []
        if not last:
            found = pattern.search(self._matching, start)
            spans = [found.span()] if found else []
        return spans[-1] if spans else None

    def _given_back(self, value: str, span: tuple[int, int]) -> str:
        printed = re.sub(r"\s+", " ", self._printed[span[0] : span[1]])
        if len(printed) != len(value):
            return value
        return _in_case_of(value, printed)


def one_edit_apart(a: str, b: str) -> bool:
    """True when one letter inserted, dropped or changed turns ``a`` into ``b``."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))
