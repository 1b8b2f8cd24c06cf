"""Undo Tesseract's Vietnamese diacritic slips where the context leaves no doubt.

Over half of what Tesseract's ``vie`` model gets wrong on Vietnamese state documents is one mark on one letter:
the tone mark over a circumflex lost or changed (``thẩm→thâm``, ``quyền→quyên``, ``chuyển→chuyền``,
``cấp→câp``), the hook above ô/ê read as an acute (``Sổ→Số``, ``kiểm→kiếm``; VN_DOMAIN.md §4), and ``Đ`` read
as the Icelandic eth ``Ð`` (§4.3). Every fix here changes one letter for another single code point, so a word
keeps its length and its place in the PDF text layer — but the first, which takes a letter out. In order:

0. a vowel read twice under two marks, in a word that is no syllable, read once where only one of them makes a
   syllable ("BĨÌNH" → "BÌNH": ``undouble_vowels``);
1. look-alikes: ``Ð``/``ð`` (eth) and ``Ɖ``/``ɖ`` (African D) are ``Đ``/``đ`` in Vietnamese text, and the fraction
   slash ``⁄`` is the ``/`` of numbers like ``15/QĐ-UBND``; a code's Đ read twice (``12/QĐĐ-UBND``) is read once;
2. a few phrases known from civil-status and administrative papers (``_FIXES``), with "số đăng ký" / "sổ đăng
   ký" and "số hộ" (nghèo) / "sổ hộ" (tịch, khẩu) decided by the words after them, and the header's "Số:" read
   "Só:" when a number follows it (``_NUMBER_HEADING``) — those real as read too and with no weight in the corpora
   (``_DOUBTED_ONLY``: "số sách", "kiếm điểm") only where Tesseract doubted the word;
3. the hook/acute pass: a word Tesseract doubted (confidence below ``DOUBTED_BELOW``) is turned into its other
   reading (ố↔ổ, ế↔ể) only when, with the word before and the word after, the word as read occurs in no known
   pair and the other reading occurs in at least ``MIN_EVIDENCE`` (beside each neighbour, for a real word read with
   the hook: the slip Tesseract rarely makes) — pairs of neighbouring syllables counted in
   real state documents (``data/syllable_pairs.txt``, made by ``scripts/make_syllable_pairs.py``). Ungated, it
   turned the bundled samples' confidently read "bàn giao sổ hộ tịch" into "số hộ tịch" (the decrees never
   write "sổ hộ tịch", and "số hộ" is common in them);
4. the tone pass, for any one-letter diacritic slip, against the same pairs: a word that is no Vietnamese
   syllable at all (``câp``, ``QUYÉT``) takes the one reading its neighbours support — or its one syllable a mark
   away whatever the neighbours, where that is its ố/ế with the hook (``TUỐI``: the pairs know no "cao tuổi"); a
   word that is a real syllable (``thâm``, ``quyên``) is changed only when Tesseract itself doubted it (confidence below
   ``DOUBTED_BELOW``), the word as read never occurs beside its neighbours, and the other reading occurs at
   least ``MIN_EVIDENCE`` times beside *each* of them.

Measured on the 34 ground-truth pages of the OCR benchmark, which the table has not seen: the hook pass changes
no correct word and undoes 235 of 285 ố/ế slips planted on purpose (the phrases alone: 32); the whole fix leaves
every word Tesseract is sure of alone, changes 3 of 19,435 correct words even with every word treated as doubted,
undoes 1,383 of 4,520 tone marks dropped from â/ê/ô on purpose without changing another word
(``tests/test_ocr.py``), and took a plain ``tesseract`` reading of those pages from 1.37 to 1.11 % CER (clean
300 dpi) and from 1.44 to 1.19 % (poor 200 dpi) beside the hook pass alone; of its changes there, none turned a
correct word wrong. The thresholds were chosen on those readings; on text neither they nor the table had seen
(``bench/diacritics_bench.py``: three resolutions left out of the table, 60 rendered pages) it put 40 words right
and made no correct word wrong.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

from ocr.quality import vietnamese_syllables
from sohoa.vietnamese import D_LOOKALIKES, FAMILY_NAMES, MORE_FAMILY_NAMES

# (misread word, the word that must follow it, the intended word); all lower case, NFC
_FIXES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("kiếm", ("tra", "soát", "đếm", "điểm", "định", "toán", "kê", "duyệt", "nghiệm"), "kiểm"),
    ("kế", ("từ",), "kể"),
    ("tố", ("chức", "trưởng", "dân", "công", "tác", "giúp"), "tổ"),
    ("tống", ("hợp", "số", "cộng", "kết"), "tổng"),
    ("bố", ("sung", "nhiệm"), "bổ"),
    ("phố", ("biến", "thông"), "phổ"),
    ("quyến", ("số", "sổ"), "quyển"),
    ("thế", ("hiện", "thức", "chế", "lệ"), "thể"),
    ("số", ("hộ", "sách", "tay", "đăng"), "sổ"),
    ("hố", ("trợ",), "hỗ"),
    # "Sở Tư pháp", "Sở Nội vụ"…: the departments of a province, whose first syllables never follow "sớ" (a
    # memorial to the throne)
    ("sớ", ("tư", "nội", "tài", "kế", "xây", "giao", "y", "công", "lao", "giáo", "văn", "khoa", "thông",
            "ngoại", "nông"), "sở"),
    # the hook lost from "thẩm" before what only "thẩm" begins (QA133 F4: read confidently in court precedents);
    # "thâm" (deep) goes on otherwise: "thâm niên", "thâm nhập", "thâm hụt"
    ("thâm", ("quyền", "phán", "định", "tra"), "thẩm"),
    # the hook lost from "chuyển" (to move) before what only it begins; "chuyên" (special) goes on otherwise, "chuyên
    # giao nhận", "chuyên đổi ngoại tệ" too (QA135 F2)
    ("chuyên", ("nhượng",), "chuyển"),
)  # fmt: skip
# Words before a phrase's first word that make a word with it as read: "lợi thế hiện có", "tình thế hiện nay", "vì
# thế hiện nay", "thay thế hiện trạng", "thừa kế từ cha mẹ", "thiết kế từ", "tổng số sách", "tuyến phố thông
# thoáng", "thành phố thông qua", "công bố nhiệm vụ quy hoạch", "bị tố dân" are right as read; the phrases made
# them "thể hiện", "kể từ", "sổ sách", "phổ thông", "bổ nhiệm", "tổ dân" however sure Tesseract was (QA149 F1: 11 of
# 11 changes on a clean page wrong). The pair table cannot tell: the decrees write "tình thế" 17 times and "thừa
# kế" 205, but "lợi thế", "vì thế", "ưu thế", "tuyến phố" never, and "để thế" (chấp) 8 times beside "để thể hiện"
_READ_RIGHT_AFTER = {
    "thế": ("lợi", "ưu", "vì", "bởi", "nhờ", "như", "tình", "thay", "địa", "thời", "xu", "thất", "đắc", "tư", "trần",
            "vị", "thủ", "yếu", "hậu", "cường", "uy", "khí", "thắng"),
    "kế": ("thừa", "thiết", "mưu"),
    "số": ("tổng", "con", "chỉ", "đa", "thiểu", "hệ", "mã", "điểm", "tần", "dân", "hằng", "biến", "cơ", "đại", "ẩn",
           "phân", "chữ"),
    # not "tổ": "Tổ phổ biến giáo dục pháp luật" (QA150 F3)
    "phố": ("thành", "tuyến", "đường", "khu", "dãy", "góc", "con", "ngõ", "dạo", "phường", "các", "mặt"),
    # not "nhân", "công", "nguyên", "sắc": "cá nhân tổ chức", "phân công tổ chức", "giữ nguyên tổ chức", "chức sắc"
    "tố": ("bị", "yếu", "khởi", "cáo", "độc"),
    "bố": ("công", "ban", "tuyên"),
    "kiếm": ("tìm", "thanh", "đao", "mũi", "lưỡi"),
    "quyến": ("gia", "thân"),
}  # fmt: skip
# ... unless that word is the second syllable of a word with the one before it: "đơn vị thế hiện", "đồng thời thế
# hiện", "quyền lợi thế hiện", "trở thành phố biến", "Trưởng ban bố sung", "phân công bố sung" are slips, put right
# (QA150 F3: left as read)
_SECOND_SYLLABLE_OF = {
    "vị": ("đơn", "địa", "học", "thứ"),
    "thời": ("đồng", "kịp", "tạm", "lâm", "đương", "cùng"),
    "thành": ("trở", "hoàn", "tán", "cấu", "hình", "chân"),
    "lợi": ("quyền", "thuận", "phúc", "ích", "lãi", "tiện"),
    "ban": ("trưởng", "phó", "ủy", "các"),
    "công": ("nhân", "phân", "thi", "chấm"),
}
# Misreadings known by the word before them, read confidently (real syllables both, so only a phrase tells): "thay
# đỗi", "điều chính" in real decrees' trích yếu (QA81: 188/QĐ-VPCP, 28/2023/QĐ-UBND — "điều chính giá đất" says
# another thing). None of the corpus's 359 "thay đổi", 26 "điều chỉnh" is written so. Not where the word after goes
# on with the word as read ("điều chính đáng", "điều chính xác", "điều chính yếu": QA85), nor "kiên nghị", a word
# of its own (resolute) beside "kiến nghị".
_FIXES_AFTER: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("đỗi", ("thay", "biến"), "đổi"),
    ("chính", ("điều",), "chỉnh"),
    # a court's instances, "phúc thẩm", "sơ thẩm", and "thẩm quyền" (QA133 F4: "phúc thâm" 12 times in 3 pages)
    ("thâm", ("phúc", "sơ"), "thẩm"),
    ("quyên", ("thẩm",), "quyền"),
)
# each (misread word, the word after it) `_FIXES` puts right, and (misread word, the word before it) of `_FIXES_AFTER`
_FIXES_PAIRS = frozenset((misread, following) for misread, contexts, _ in _FIXES for following in contexts)
_FIXES_AFTER_PAIRS = frozenset((misread, before) for misread, contexts, _ in _FIXES_AFTER for before in contexts)
# (the pair table cannot tell: it holds "chính quy" — "điều chỉnh quy hoạch" is the common one — and no "chỉnh")
_READ_RIGHT_BEFORE = {
    # "điều chính quyền xã cần làm", "điều chính sách quy định" (QA149 F1); "điều chỉnh quy hoạch" is the common one
    "chính": ("đáng", "xác", "yếu", "quyền", "sách", "phủ", "trị", "thức", "nghĩa", "danh", "khách", "thể", "đảng",
              "trực"),
    # "thâm" (deep) with what it makes words of: "hồ sơ thâm niên" is a seniority file, not "sơ thẩm" (QA135 F2)
    "thâm": ("niên", "nhập", "hụt", "canh", "thúy", "độc", "tím", "quầng", "trầm", "cung", "căn", "nghiêm", "sâu",
             "tình", "giao", "ý", "thù", "hiểm", "u"),
}  # fmt: skip
# the words before "sơ" that make it another word's syllable: "hồ sơ thâm …" is no "sơ thẩm"
_NOT_ITS_SYLLABLE = {"sơ": ("hồ",)}
_REGISTER_KINDS = ("khai", "kết", "văn", "hộ", "chứng", "nhận", "giám", "thay")
# Pairs that are real Vietnamese too, fixed only with the words after them: "số đăng ký" (a registration number)
# unless a register's kind follows ("sổ đăng ký khai sinh"); "số hộ" (a number of households: "số hộ nghèo")
# unless it is "sổ hộ tịch" / "sổ hộ khẩu". (third words allowed, fourth words allowed or None for any)
_MORE_WORDS_NEEDED: dict[tuple[str, str], tuple[tuple[str, ...], tuple[str, ...] | None]] = {
    ("số", "đăng"): (("ký",), _REGISTER_KINDS),
    ("số", "hộ"): (("tịch", "khẩu"), None),
}

# Phrases whose misread form is a phrase of its own, seldom written but real, and whose intended form the corpora
# give no weight to either ("số sách giáo khoa", the number of textbooks, beside "sổ sách", ledgers: 0 and 1 in
# ../shared/corpora/vi-text; "kiếm điểm", to earn points, beside "kiểm điểm": 0 and 1; "số tay" and "tố công" the
# same): put right only where Tesseract doubted the word (DOUBTED_BELOW), as the hook pass does — read confidently,
# both were made wrong (QA160 F1). The others stay ungated: their intended forms are what the state's papers write
# ("điều chỉnh" 27 times and "điều chính" never, "phổ biến" 15 and "phố biến" never, "bổ sung" 146, "thể hiện" 190),
# and Tesseract misreads them confidently (QA81: "điều chính" in two real decrees' trích yếu)
_DOUBTED_ONLY = frozenset({("số", "sách"), ("số", "tay"), ("kiếm", "điểm"), ("tố", "công")})
# ... and with a third word: "Số hộ khẩu thường trú … là 1.250" (the number of households registered) is a count as
# often as "sổ hộ khẩu" is the book; read confidently, it was made the book (QA171 N2). "số hộ tịch" is no phrase.
_DOUBTED_ONLY_WITH = frozenset({("số", "hộ", "khẩu")})
# ... where a number follows in its clause, within this many words: "… trên địa bàn xã là 1.250 hộ"; not the book
# itself, "bản sao sổ hộ khẩu,", "Mất sổ hộ khẩu gia đình" (QA173 F3: left misread when confidently so)
COUNTED_WITHIN = 10


def _counted(words: list[str], start: int) -> bool:
    """Whether a number follows ``words[start:]`` before its clause ends (punctuation), within COUNTED_WITHIN words."""
    for word in words[start : start + COUNTED_WITHIN]:
        if any(ch.isdigit() for ch in word):
            return True
        if word != word.rstrip(",;:.!?()"):
            return False
    return False


_PUNCTUATION = ".,;:!?()[]\"'“”‘’"


@functools.lru_cache(maxsize=8192)  # asked ~35 times a word on a page (~6 ms a page of 600 words, uncached)
def _core(word: str) -> str:
    return unicodedata.normalize("NFC", word).strip(_PUNCTUATION).lower()


# A name's syllables are left as read: a name is any syllables ("Nguyễn Thế Hiện", "Lê Thị Tố Công"), and what the
# decrees say of their words says nothing of it — the phrase "thế hiện" → "thể hiện" made a birth certificate's
# confidently read NGUYỄN THẾ HIỆN into NGUYỄN THỂ HIỆN, in its text, its text layer and its fields (2026-12-06).
_FAMILY_NAMES = frozenset(name.lower() for name in (*FAMILY_NAMES, *MORE_FAMILY_NAMES))
# words after which a name begins (``_introduced``): "Ông", "Bà"… say a person is named, whatever the first word
# ("Ông Phùng …"; that word is then left as read too: "Ông Tống Hợp"); the others — "CHỦ TỊCH / NGUYỄN …" (the page's
# words run on from the line above), "người ký", "HỌ VÀ TÊN NGUYỄN…", "Chồng Nguyễn…", and "đồng chí" (not the "Chí"
# of "Hồ Chí Minh") and a label's colon — only where the first word is a family name ("Kính gửi: Sớ Tư pháp")
_TITLES = frozenset({"ông", "bà", "anh", "chị", "em", "cháu", "cô", "chú", "bác", "cụ"})
# the first words of titles of two words: "trưởng đoàn", "phó thôn" (``_introduced``)
_HEADS = frozenset({"trưởng", "phó"})
_BEFORE_A_NAME = _TITLES | {"tịch", "đốc", "trưởng", "ký", "tên", "khai", "chồng", "vợ", "cha", "mẹ", "con"}
# words before a place named like a person: "tỉnh Hà Nam", "thành phố Hà Nội", "tỉnh Thái Bình"
_BEFORE_A_PLACE = frozenset(
    {"tỉnh", "huyện", "xã", "phường", "quận", "thị", "trấn", "thôn", "xóm", "ấp", "bản", "làng", "khu", "phố", "thành"}
)


def _named_after_a_title(words: list[str], index: int) -> bool:
    """Whether ``words[index]``, in title case right after "Ông", "bà"… (``_TITLES``), is a name of its own: "Ông Kế
    từ chức", "bà Tố chức năng là kế toán" name a person already named (QA171 N9: made "Kể", "Tổ")."""
    following = _core(words[index + 1]) if index + 1 < len(words) else ""
    # ("ông Tố trưởng" is "ông Tổ trưởng", QA173 F6; "ông Thâm phán")
    return _in_title_case_after(words, index, _TITLES) and following not in _OFFICES_ENDING


# the second syllables of offices a title may come before, in title case: "ông Tổ trưởng", "ông Thẩm phán", "bà Kiểm
# soát viên" — no name (``_named_after_a_title``)
_OFFICES_ENDING = frozenset({"trưởng", "phó", "phán", "soát", "sát"})


# words of kinship, after which a word in title case is a person's name ("bố Sung", "mẹ Mai", "con Tố")
_KIN = frozenset({"bố", "mẹ", "cha", "con", "vợ", "chồng", "anh", "chị", "em", "cháu", "cô", "chú", "bác", "dì", "cậu"})


def _begins_a_proper_name(words: list[str], index: int) -> bool:
    """Whether ``words[index]``, in title case after a word of kinship in lower case, begins a name: "cùng bố Sung",
    "bố Nhiệm làm nghề nông" are no "bổ sung", "bổ nhiệm" (QA171 N2). Not after any lower-case word: an
    organisation's or a register's name is in title case there too — "sổ Hộ tịch", "sớ Tư pháp", "tố Giúp việc"
    were left misread so (QA173 F2)."""
    return _in_title_case_after(words, index, _KIN) and not _capitalised(words[index - 1])


def _in_title_case_after(words: list[str], index: int, before: frozenset[str]) -> bool:
    """Whether ``words[index]`` is in title case right after one of ``before``, nothing between them."""
    if index == 0:
        return False
    previous, word = words[index - 1], words[index]
    return (
        _core(previous) in before
        and previous == previous.rstrip(_PUNCTUATION)
        and _capitalised(word)
        and not _in_capitals(word)
    )


def _capitalised(word: str) -> bool:
    return word.strip(_PUNCTUATION)[:1].isupper()


def _in_capitals(word: str) -> bool:
    return word.strip(_PUNCTUATION).isupper()


@dataclass(frozen=True)
class Breaks:
    """Where a page's words break more than a word space does (``ocr.tesseract.page_breaks``): ``columns``, the
    indexes of the words that begin another column on their line — Tesseract reads two signers side by side as one
    line, "NGUYỄN VĂN AN   TRẦN THẾ HIỆN" —; ``lines``, of those that begin a line. The fixes still weigh words
    across them as neighbours (a header's "Só:   15/QĐ-UBND", a stretched justified line's "kiếm   tra": QA145
    F2, F5); only where a name begins and ends is told by them."""

    columns: frozenset[int] = frozenset()
    lines: frozenset[int] = frozenset()

    def at(self, index: int) -> bool:
        """Whether ``words[index]`` begins a line or a column: the word before it is no neighbour of its name."""
        return index in self.lines or index in self.columns


NO_BREAKS = Breaks()


def in_a_name(words: list[str], index: int, breaks: Breaks = NO_BREAKS) -> bool:
    """Whether ``words[index]`` is a syllable of a person's name: capitalised, as the words back to where the name
    begins (``_begins_a_name``) at most three words before it, in the same case and with no punctuation between;
    or its first syllable, where the words before say a name begins (``_introduced``) and the next is capitalised
    alike. No name runs across a column's gap or onto the next line (``breaks``)."""
    return _name_start(words, index, breaks) is not None


def _name_start(words: list[str], index: int, breaks: Breaks = NO_BREAKS) -> int | None:
    """Where the name ``words[index]`` is a syllable of begins (``in_a_name``), or None where it is in none."""
    if not _capitalised(words[index]):
        return None
    capitals = _in_capitals(words[index])
    if index + 1 < len(words) and _introduced(words, index):
        following = words[index + 1]
        if _capitalised(following) and _in_capitals(following) == capitals:
            return index  # a name's first syllable, after "Ông", "Họ và tên:"…: "Ông Tống Hợp"
    for start in range(index - 1, max(-1, index - 4), -1):
        word = words[start]
        if breaks.at(start + 1):
            # the word before lies in another column ("NGUYỄN VĂN AN ‖ TRẦN THẾ HIỆN"), or on the line above: a name
            # whose end the line's end made ("THÀNH PHỐ HỒ CHÍ MINH" / "SỚ TƯ PHÁP": QA146 F1)
            return None
        if not _capitalised(word) or word != word.rstrip(_PUNCTUATION) or _in_capitals(word) != capitals:
            return None  # a lower-case word, a name ended by punctuation ("Nam; Sớ Tư pháp"), a change of case
        if _begins_a_name(words, start, breaks):
            return start
    return None


def _in_a_titled_name(words: list[str], index: int, breaks: Breaks) -> bool:
    """Whether ``words[index]`` is a syllable, past the first, of a name a title introduces ("Bà Nguyễn Thị Thế
    hiện cư trú tại…", "Ông Trần Văn Kế từ năm 2015"): its last syllable before a word its phrase takes is the
    sentence going on, no slip (QA173 F1: made "Thể", "Kể"). Without a title, "Đoàn Kiếm tra" is no name."""
    start = _name_start(words, index, breaks)
    return start is not None and start < index and _introduced(words, start)


def _begins_a_name(words: list[str], start: int, breaks: Breaks = NO_BREAKS) -> bool:
    """Whether a name begins at ``words[start]`` (capitalised): where the words before say so (``_introduced``:
    "Ông", "CHỦ TỊCH", a label's colon…); or at a family name where the words before it are not capitalised
    alike — in a heading's "THÀNH LẬP ĐOÀN KIẾM TRA" the family name Đoàn is the word "đoàn" (a team), and KIẾM is
    put right — and which is no place ("tỉnh Hà Nam / Sớ Tư pháp", "Bình Dương", "Sơn La": ``_BEFORE_A_PLACE``);
    or at a family name that begins a column on its line (``breaks``) after capitals alike, or a line that holds
    nothing but its name (``_alone_on_its_line``): a second signer's beside the first, a signer's under a row of
    titles (QA146 F3). Never, but after a title, at a family name that makes a word with the next one
    (``_makes_a_word``: a heading's, "ĐẠI DIỆN CƠ SỞ ‖ ĐOÀN KIẾM TRA", "HỒ SƠ LƯU ‖ HỒ SƠ BỐ SUNG": QA145 F1; a
    page's first words alike)."""
    before = words[start - 1] if start > 0 else ""
    if _introduced(words, start):
        return True
    if not _family_name(words[start]) and _misread_family_name(words, start, breaks) is None:
        return False
    if _makes_a_word(words, start):
        return False  # a heading's word: "ĐOÀN KIẾM TRA", "HỒ SƠ BỐ SUNG"
    unpunctuated = before == before.rstrip(_PUNCTUATION)
    if _core(before) in _STREETS and unpunctuated and _names_a_street(words, start, breaks):
        return True
    if start in breaks.columns:
        return True  # after a gap: the word before is another column's ("NGUYỄN VĂN THÀNH ‖ TRẦN THẾ HIỆN": QA147 F4)
    if _core(before) in _BEFORE_A_PLACE:
        return False  # a place: "tỉnh Hà Nam", "UBND TỈNH / HÀ NAM" on the next line too
    if start in breaks.lines and _alone_on_its_line(words, start, breaks):
        return True  # a name on a line of its own, under a row of titles: "NGƯỜI LẬP BIỂU / LÊ TỐ CÔNG"
    if before and _capitalised(before) and unpunctuated:
        return _in_capitals(before) != _in_capitals(words[start])  # "UBND Nguyễn Thế Hiện", not "Bình Dương"
    return True


# A street is often named after a person ("Số 5, phố Trần Hưng Đạo,", "ĐƯỜNG LÊ THẾ HIẾU,"): after "phố" or
# "đường", in any case, a family name begins a name when the capitalised words from it end a clause — 2 to 4 of
# them, the last followed by a comma, a semicolon or a stop, a dash or a bracket, a word such as "thuộc" or "và"
# (``_CLAUSE_WORDS``), or by the end of its line or column ("Nơi cư trú: số 5 phố Trần Thế Hiện" / "Điện thoại…":
# QA145 F4). Words that run on do not ("thành phố Hà Nội Sớ Tư pháp", "đường phố Hà Nam Sớ Tư pháp": the Sở of a
# province; QA143 F2)
_STREETS = frozenset({"phố", "đường"})


def _names_a_street(words: list[str], start: int, breaks: Breaks) -> bool:
    capitals = _in_capitals(words[start])
    for end in range(start, min(len(words), start + 4)):
        word = words[end]
        if not _capitalised(word) or _in_capitals(word) != capitals:
            return False
        ended = word != word.rstrip(_PUNCTUATION) or end + 1 == len(words) or breaks.at(end + 1)
        following = words[end + 1] if not ended else ""
        if ended or following in _DASHES or following.startswith("(") or following in _CLAUSE_WORDS:
            return end > start
    return False


def _alone_on_its_line(words: list[str], start: int, breaks: Breaks) -> bool:
    """Whether the words from ``words[start]`` to the end of its line (or column) are 2–4 capitalised words in one
    case, as a name on a line of its own is. A heading wrapped onto the line runs on ("… CỦA / ĐOÀN CÔNG TÁC KIẾM TRA",
    "ĐOÀN THANH NIÊN TỐ CHỨC": QA147 F1)."""
    capitals = _in_capitals(words[start])
    for end in range(start, min(len(words), start + 4)):
        word = words[end]
        if not _capitalised(word) or _in_capitals(word) != capitals:
            return False
        if end + 1 == len(words) or breaks.at(end + 1):
            return end > start
        if word != word.rstrip(_PUNCTUATION):
            return False
    return False


_DASHES = frozenset({"-", "–", "—"})
# lower-case words that end a street's name in a sentence: "phố Mai Thế Hiện thuộc phường…", "phố Trần Thế Hiện và
# phố Lê Tố Công" (QA146 F5); none of them ends "thành phố Hà Nội Sớ Tư pháp"
_CLAUSE_WORDS = frozenset({"thuộc", "và", "của", "tại", "ở", "là", "có", "đã", "được", "nay", "cũ"})


def _makes_a_word(words: list[str], start: int) -> bool:
    """Whether ``words[start]`` (a family name) and the next word, as read or with its hook put right (ố/ổ, ế/ể),
    are a pair the table knows, the next no middle name: "ĐOÀN KIỂM", "HỒ SƠ", "QUAN HỆ" — not "TRẦN THẾ", "LÊ THỂ",
    "NGUYỄN VĂN" (once in the table)."""
    if start + 1 >= len(words) or words[start] != words[start].rstrip(_PUNCTUATION):
        return False
    first, second = _core(words[start]), _core(words[start + 1])
    if second in _MIDDLE_NAMES:
        return False
    return _pair(first, second) > 0 or _pair(first, second.translate(_OTHER_READING)) > 0


def _family_name(word: str) -> bool:
    """Whether ``word`` is a family name; not a Roman numeral in capitals ("Chương VI TỐ CHỨC": QA141 F3)."""
    return _core(word) in _FAMILY_NAMES and not _ROMAN.fullmatch(word.strip(_PUNCTUATION))


_ROMAN = re.compile(r"[IVXLCDM]+")


def _introduced(words: list[str], start: int) -> bool:
    """Whether the words before ``words[start]`` say a name begins there: "Ông", "Bà"… (``_TITLES``), whatever the
    word; a title (``CHỦ TỊCH``, ``NGƯỜI KÝ``: ``_BEFORE_A_NAME``), "đồng chí" or a label's colon, where the word is a
    family name — in a heading those come before words ("ĐĂNG KÝ THAY ĐỖI", "PHÓ GIÁM ĐỐC SỚ TƯ PHÁP", "Mục 2:
    CÔNG TÁC KIẾM TRA" are put right: QA141 F1, F2)."""
    if start == 0:
        return False
    before = words[start - 1]
    if _core(before) in _TITLES:
        return True
    titled = before.endswith(":") or _core(before) in _BEFORE_A_NAME
    titled = titled or (_core(before) == "chí" and start > 1 and _core(words[start - 2]) == "đồng")
    # a title of two words, "TRƯỞNG ĐOÀN", "PHÓ ĐOÀN", "TRƯỞNG THÔN": a name after it on its line (QA171 N1: "TRƯỞNG
    # ĐOÀN NGUYỄN THẾ HIỆN" became "THỂ"), unless its words make a word ("TRƯỞNG PHÒNG HỒ SƠ", a heading)
    two_words = start > 1 and _core(words[start - 2]) in _HEADS and words[start - 2] == words[start - 2].rstrip(",;:.")
    if two_words and before == before.rstrip(_PUNCTUATION) and not _makes_a_word(words, start):
        titled = True
    if _core(before) == "trưởng" and _core(words[start]) == "đoàn":
        return False  # "TRƯỞNG ĐOÀN KIẾM TRA": the head of the team, not Mr Đoàn
    return titled and _family_name(words[start])


def _recase(original: str, fixed_lower: str) -> str:
    stripped = original.strip(_PUNCTUATION)
    if stripped.isupper():
        fixed = fixed_lower.upper()
    elif stripped[:1].isupper():
        fixed = fixed_lower[:1].upper() + fixed_lower[1:]
    else:
        fixed = fixed_lower
    start = original.find(stripped)
    return original[:start] + fixed + original[start + len(stripped) :]


MIN_EVIDENCE = 2  # occurrences of the other reading beside these neighbours (1 changed 2 correct words)
# A real syllable that Tesseract read with at least this confidence is left as read. On the benchmark's pages the
# misread words the context would put right had a median confidence of 92.5; the correctly read words it would
# have changed wrongly, 96.8 (ocr/README.md)
DOUBTED_BELOW = 93.0
_OTHER_READING = str.maketrans({"ố": "ổ", "ổ": "ố", "ế": "ể", "ể": "ế"})
# Tesseract reads the hook above ô/ê as an acute far more often than the other way round (VN_DOMAIN.md §4), so a
# real word with a hook as read ("sổ"; not "thổng") becomes the acute only when the words on both sides know that
# reading: one side was enough to make a bilevel scan's correctly read "từ sổ đang được số hóa" into "từ số" ("từ
# số" occurs in the decrees, "số đang" does not; QA101). Of ố→ổ slips planted in the benchmark's text, 572 of 854
# were undone before and 418 after; of the usual ones (ổ read as ố), 235 of 285 still
_HOOKED = frozenset("ổể")


@functools.cache
def neighbour_pairs() -> dict[str, int]:
    """How often each pair of neighbouring syllables occurs, keyed "first second" (one string: the table loads in
    half the time of tuple keys)."""
    text = resources.files("ocr").joinpath("data/syllable_pairs.txt").read_text(encoding="utf-8")
    pairs: dict[str, int] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            pair, _, count = line.partition("\t")
            pairs[pair] = int(count)
    return pairs


def _pair(first: str, second: str) -> int:
    return neighbour_pairs().get(f"{first} {second}", 0)


def _support(before: str, word: str, after: str) -> int:
    return _pair(before, word) + _pair(word, after)


def load_tables() -> None:
    """Load what the fix reads, now: a server that forks per command (``sohoa ocr-server``) does it once."""
    neighbour_pairs()
    _readings_by_bare_letters()
    vietnamese_syllables()


def fix_hook_tones(words: list[str], confidences: list[float], breaks: Breaks = NO_BREAKS) -> list[str]:
    """The same words with the unambiguous hook/acute slips corrected (same length each). Both readings are real
    syllables, so the pair table only overrules a word Tesseract doubted (``DOUBTED_BELOW``): the table, made from
    decrees, has never seen "sổ hộ tịch" and would otherwise turn a confidently read one into "số"."""
    fixed = _fix_known_phrases(words, breaks, confidences)
    cores = [_core(word) for word in words]
    syllables = vietnamese_syllables()
    for index, core in enumerate(cores):
        other = core.translate(_OTHER_READING)
        if other == core or fixed[index] != words[index] or confidences[index] >= DOUBTED_BELOW:
            continue
        if in_a_name(words, index, breaks) or _named_after_a_title(words, index):
            continue
        before = cores[index - 1] if index > 0 else ""
        after = cores[index + 1] if index + 1 < len(cores) and not _begins_a_proper_name(words, index + 1) else ""
        if _support(before, core, after) != 0 or _support(before, other, after) < MIN_EVIDENCE:
            continue
        if _HOOKED.intersection(core) and core in syllables and (_pair(before, other) == 0 or _pair(other, after) == 0):
            continue  # a real word against the grain of Tesseract's slip: both neighbours must know the acute
        fixed[index] = _recase(words[index], other)
    # the phrases have the last word: a doubted "sổ hộ tịch" the table turned into "số" goes back
    return _fix_known_phrases(fixed, breaks, confidences)


_NUMBER_HEADING = {"só": "số"}  # "Só: 15/QĐ-UBND", "Só:465 /2020/NĐ-CP": the "Số:" before a document's number


def _number_heading(word: str, following: str) -> str | None:
    """``word`` put right when it is a misread "Số" heading a number — the number after it, or glued to it
    after a colon ("Só:465") — else None."""
    head, colon, rest = unicodedata.normalize("NFC", word).partition(":")
    intended = _NUMBER_HEADING.get(head.lower())
    number = rest if colon and rest else following.lstrip(_PUNCTUATION)
    if intended is None or not number[:1].isdigit():
        return None
    return _recase(head, intended) + colon + rest


def _names_a_street_after(words: list[str], index: int) -> bool:
    """Whether ``words[index]`` ("phố") is a street's, its name after it: before a capitalised word where it is
    not capitalised, or both in title case ("Phố Thông Phong": "Phổ thông" begins a sentence), or after a house's
    number ("số 5 phố", "SỐ 5 PHỐ")."""
    word, following = words[index], words[index + 1]
    if _capitalised(following) and (word.islower() or not (_in_capitals(word) or _in_capitals(following))):
        return True
    return index > 1 and _core(words[index - 1]).isdigit() and _core(words[index - 2]) in ("số", "nhà")


def _makes_a_word_with_the_one_before(words: list[str], index: int) -> bool:
    """Whether the word before ``words[index]`` makes a word with it as read (``_READ_RIGHT_AFTER``), not being the
    second syllable of one with the word before it (``_SECOND_SYLLABLE_OF``), nor ending a clause."""
    if index == 0:
        return False
    before = words[index - 1]
    if before != before.rstrip(_PUNCTUATION) or _core(before) not in _READ_RIGHT_AFTER.get(_core(words[index]), ()):
        return False
    return index < 2 or _core(words[index - 2]) not in _SECOND_SYLLABLE_OF.get(_core(before), ())


def _fix_known_phrases(
    words: list[str], breaks: Breaks = NO_BREAKS, confidences: list[float] | None = None
) -> list[str]:
    """``words`` with the known phrases' slips put right (``_FIXES``, ``_FIXES_AFTER``, ``_NUMBER_HEADING``); those of
    ``_DOUBTED_ONLY`` only where ``confidences`` (Tesseract's, one per word) doubt the word, or none are given."""
    fixed = list(words)
    for index, word in enumerate(words):
        heading = _number_heading(word, words[index + 1] if index + 1 < len(words) else "")
        if heading is not None:
            fixed[index] = heading
    for index, word in enumerate(words[:-1]):
        core = _core(word)
        following = _core(words[index + 1])
        if (core, following) not in _FIXES_PAIRS:
            continue  # no phrase to put right here: the tests of names and words below are not asked (~2/3 of the time)
        if word != word.rstrip(_PUNCTUATION):
            continue  # "Vì thế, hiện nay", "thừa kế, từ bỏ": the words do not go together (QA141 F8)
        if in_a_name(words, index, breaks) and _capitalised(words[index + 1]):
            continue  # a name's syllables are all capitalised: "Đoàn Kiếm tra", "Lê Văn Tám Tống hợp" are no names
        if _in_a_titled_name(words, index, breaks):
            continue  # "Bà Nguyễn Thị Thế hiện cư trú", "Ông Trần Văn Kế từ năm 2015"
        if _named_after_a_title(words, index):
            continue  # "Ông Kế từ chức"
        if _begins_a_proper_name(words, index + 1):
            continue  # a name after the word: "sống cùng bố Sung", "bố Nhiệm làm nghề nông" (QA171 N2: "bổ Sung")
        if core == "phố" and _names_a_street_after(words, index):
            continue  # "số 5 phố Thông Phong", "Địa chỉ: Phố Thông Phong", "SỐ 5 PHỐ THÔNG PHONG" (QA149 F1, QA150 F3)
        if _makes_a_word_with_the_one_before(words, index):
            continue  # "lợi thế hiện có", "thừa kế từ"
        for misread, contexts, intended in _FIXES:
            if core != misread or following not in contexts:
                continue
            doubted_only = (misread, following) in _DOUBTED_ONLY
            if doubted_only and confidences is not None and confidences[index] >= DOUBTED_BELOW:
                break  # read confidently, and right as read as often as not
            if (misread, following) in _MORE_WORDS_NEEDED:
                thirds, fourths = _MORE_WORDS_NEEDED[(misread, following)]
                third = _core(words[index + 2]) if index + 2 < len(words) else ""
                fourth = _core(words[index + 3]) if index + 3 < len(words) else ""
                if third not in thirds or (fourths is not None and fourth not in fourths):
                    continue
                sure = confidences is not None and confidences[index] >= DOUBTED_BELOW
                if sure and (misread, following, third) in _DOUBTED_ONLY_WITH and _counted(words, index + 3):
                    break  # "Số hộ khẩu … là 1.250": a count, read confidently
            fixed[index] = _recase(word, intended)
            break
    for index in range(1, len(words)):
        core, before = _core(words[index]), _core(words[index - 1])
        after = _core(words[index + 1]) if index + 1 < len(words) else ""
        if (core, before) not in _FIXES_AFTER_PAIRS:
            continue
        for misread, contexts, intended in _FIXES_AFTER:
            if core != misread or before not in contexts or in_a_name(words, index, breaks):
                continue
            if words[index - 1] != words[index - 1].rstrip(_PUNCTUATION):
                break  # "thay, đỗi": the words do not go together
            if after in _READ_RIGHT_BEFORE.get(core, ()):
                break  # the word after goes on with it as read: "điều chính đáng"
            if index > 1 and _core(words[index - 2]) in _NOT_ITS_SYLLABLE.get(before, ()):
                break  # "hồ sơ thâm …": its "sơ" is the file's
            fixed[index] = _recase(words[index], intended)
            break
    return fixed


# Tesseract's vie model answers the Icelandic eth (and, rarely, the African D) for Đ, which no Vietnamese word
# has, and the fraction slash for the slash of "1/2" or "15/QĐ-UBND", which a search for the number would miss
_LOOKALIKES = str.maketrans({**D_LOOKALIKES, "⁄": "/"})


def restore_diacritics(words: list[str], confidences: list[float], breaks: Breaks = NO_BREAKS) -> list[str]:
    """The same words (Vietnamese, NFC, reading order) with the slips the context decides undone; each word keeps
    its length but for a vowel or a code's Đ read twice (``undouble_vowels``, ``_single_d_code``). ``confidences``
    are Tesseract's, one per word (0–100); ``breaks``, where its columns and lines begin (``Breaks``)."""
    read = [_single_d_code(undouble_vowels(word.translate(_LOOKALIKES))) for word in words]
    read = _fix_family_names(read, confidences, breaks)  # first: the rest of the name is then left as read
    fixed = fix_hook_tones(read, confidences, breaks)
    # the phrases have the last word here too
    return _fix_known_phrases(_fix_tone_slips(fixed, confidences, breaks), breaks, confidences)


# A family name Tesseract read with another mark, in capitals — NGUYỄN, the family name of nearly two in five, as
# NGUYÊN on 12 of 88 rendered lines of names (4 fonts, 2 sizes, 2026-12-06), ĐẶNG as ĐĂNG on 2 of 8, KHỔNG as KHỐNG
# on 3 of 8, TRẦN as TRẤN on 16 of 42 lines in one bold face's small capitals, each doubted (confidence 8–82); in
# title case never. Where such a word begins a name — a middle name after it, a capitalised word after that, all in
# one case ("NGUYÊN VĂN AN", "Nguyên Thị Mai") — it is the family name: "nguyên" goes before no middle name in the
# corpora ("nguyên tắc", "nguyên đơn", "NGUYÊN CHỦ TỊCH" do not change), and a pair the table knows, with the word
# before or after, keeps the word ("THỊ TRẤN MINH ĐỨC", a township; "ĐĂNG CÔNG KHAI"). PHẠM read PHAM (2 of 32 in
# one face), no syllable: a name written without marks ("PHAM MINH TAM", a foreign document's) is left as it is
_FAMILY_NAME_MISREADS = {"nguyên": "nguyễn", "trấn": "trần", "đăng": "đặng", "khống": "khổng", "pham": "phạm"}
_MIDDLE_NAMES = frozenset(
    {"văn", "thị", "hữu", "đức", "đình", "công", "minh", "quang", "xuân", "ngọc", "thanh", "thế", "trọng", "tiến",
     "quốc", "duy", "mạnh", "hồng", "kim", "anh", "phương", "thu", "hoàng", "huy", "tuấn", "bá", "khắc", "như",
     "phú", "trung", "tấn", "hải", "viết", "thành", "chí", "bảo", "gia", "khánh", "thúy", "thùy", "mỹ", "diệu"}
)  # fmt: skip


# More doubt than a hook's fix needs: the misread family names measured were read at 8–82, a real "NGUYÊN VĂN BẢN"
# (verbatim) at 93.3 (QA146 F2)
FAMILY_NAME_DOUBTED_BELOW = 88.0
# Words that end an office, not a name, after "nguyên" (former): "NGUYÊN THỊ TRƯỞNG", "NGUYÊN QUỐC VỤ KHANH",
# "NGUYÊN TRUNG ĐOÀN TRƯỞNG", "NGUYÊN THÀNH VIÊN", "NGUYÊN CÔNG CHỨC" — pairs the decrees' table lacks (QA146 F2)
_NO_GIVEN_NAMES = frozenset(
    {"trưởng", "vụ", "đoàn", "viên", "chức", "tá", "úy", "khanh", "biểu", "bản", "phòng", "bộ", "xã", "ủy", "kết", "sự"}
)


def _fix_family_names(words: list[str], confidences: list[float], breaks: Breaks) -> list[str]:
    return [
        _recase(word, family)
        if confidence < FAMILY_NAME_DOUBTED_BELOW and (family := _misread_family_name(words, index, breaks)) is not None
        else word
        for index, (word, confidence) in enumerate(zip(words, confidences, strict=True))
    ]


def _misread_family_name(words: list[str], index: int, breaks: Breaks = NO_BREAKS) -> str | None:
    """The family name ``words[index]`` is a misreading of (``_FAMILY_NAME_MISREADS``) where a name begins there —
    a middle name after it, a capitalised word after that, all in one case —, else None. Read surely, the word is
    left as read, but still begins a name: "NGUYÊN THẾ HIỆN" keeps its THẾ. Not after a word it makes a pair with,
    across a line too ("THỊ / TRẤN"), but not across a column's gap ("VÕ MINH TÂM ‖ ĐĂNG ĐỨC MẠNH" is no "trung tâm
    đăng ký"); not after capitals alike on its line but a title's ("TRÍCH NGUYÊN VĂN …"; "CHỦ TỊCH NGUYÊN VĂN AN")."""
    family = _FAMILY_NAME_MISREADS.get(_core(words[index]))
    if family is None or index + 2 >= len(words):
        return None
    word, middle, given = words[index : index + 3]
    if word != word.rstrip(_PUNCTUATION) or middle != middle.rstrip(_PUNCTUATION):
        return None
    if breaks.at(index + 1) or breaks.at(index + 2):
        return None  # "Trần Văn Nguyên" / "Văn phòng…" on the next line (QA146 F2)
    if _pair(_core(middle), _core(given)) > 0 or _core(given) in _NO_GIVEN_NAMES:
        return None  # "NGUYÊN VĂN BẢN", "NGUYÊN THÀNH VIÊN", "NGUYÊN THỊ TRƯỞNG": words, not a name (QA146 F2)
    capitals = _in_capitals(word)
    if not all(_capitalised(w) and _in_capitals(w) == capitals for w in (word, middle, given)):
        return None
    if _core(middle) not in _MIDDLE_NAMES or _pair(_core(word), _core(middle)) > 0:
        return None
    if (word + middle + given).isascii():
        return None  # a name written without marks
    before = words[index - 1] if index > 0 and index not in breaks.columns else ""
    if before == before.rstrip(_PUNCTUATION) and _pair(_core(before), _core(word)) > 0:
        return None  # "THỊ TRẤN MINH ĐỨC", "UBND THỊ / TRẤN MINH ĐỨC" on two lines (QA147 F2)
    alike = bool(before) and _capitalised(before) and _in_capitals(before) == capitals
    if (
        alike
        and index not in breaks.lines
        and before == before.rstrip(_PUNCTUATION)
        and _core(before) not in _BEFORE_A_NAME
    ):
        return None  # a heading's words run on: "TRÍCH NGUYÊN VĂN KẾT LUẬN" (QA147 F3)
    return family


def corrections_made(read: list[str], restored: list[str]) -> tuple[tuple[str, str], ...]:
    """Each word of ``read`` that ``restore_diacritics`` put right (``restored``), as (read, put right) — not one
    whose only change is a look-alike's code point (an eth for Đ, a fraction slash for /): the same letter on the
    page, nothing for a person to check; listed as "diacritics put right by their neighbouring words", a form's
    junk ("tộc:.....K#/1⁄" → "…/1/") and "Ð2.." filled the list (QA122 F7)."""
    return tuple(
        (word, text)
        for word, text in zip(read, restored, strict=True)
        if word != text and word.translate(_LOOKALIKES) != text
    )


# "12/QĐĐ-UBND": Tesseract read the Đ of a decision's (QĐ) or a decree's (NĐ) code twice (QA108: 9 of 25 decree
# pages rendered with the line; the classifier's number was right, the text and a search for it were not). Only
# after the number's slash and before the code's hyphen: "ĐĐBQH" (Đoàn đại biểu Quốc hội) is a real code.
_DOUBLED_D_CODE = re.compile(r"(?<=/)([QN])ĐĐ(?=[-–])")  # the code's hyphen, or an en dash read for it
# ... and "15QĐÐ-UBND" for "15/QĐ-UBND" on a clean 300 dpi page (QA124 F6; plain Tesseract the same): the slash
# lost, a Đ more. Read "15/QĐ-UBND", as long as it was read
_SLASH_READ_AS_D = re.compile(r"(?<=\d)([QN])ĐĐ(?=[-–])")


# ... and the code standing alone, "Căn cứ QĐ 15/…" read "QĐĐ 15/…" (QA160 F3): no word of its own either
_DOUBLED_D_ALONE = re.compile(r"^([(\[\"“]*[QN])ĐĐ(?=[.,;:)\]\"”]*$)")


def _single_d_code(word: str) -> str:
    word = _DOUBLED_D_ALONE.sub(r"\1Đ", word)
    return _SLASH_READ_AS_D.sub(r"/\1Đ", _DOUBLED_D_CODE.sub(r"\1Đ", word))


def undouble_vowels(word: str) -> str:
    """``word`` with a vowel Tesseract read twice, under two different marks, read once — where the word is no
    Vietnamese syllable and exactly one of the two letters, left out, makes it one: "BĨÌNH" → "BÌNH" (a header's
    "XÃ BÌNH AN", QA107: the mark over the I taken for a letter of its own), "mèềm" → "mềm". Both marks making a
    syllable ("thấầm": "thầm", "thấm") is a doubt the word alone cannot settle; it stays as read. A vowel twice
    with one of them bare is left alone: the loanwords "goòng", "voọc", "coóc" and the surname "Vưu" are real
    words the syllable list lacks (of the vi-text corpora's 446,877 words, 13 were changed without that rule; with
    it 4, each a slip in the corpus's own text: "mèềm", "sắác", "sặạt", "sẽê")."""
    core = _core(word)
    if len(core) < 2 or not core.isalpha() or core in vietnamese_syllables():
        return word
    readings: set[str] = set()
    for index, (first, second) in enumerate(itertools.pairwise(core)):
        if first != second and _bare(first) == _bare(second) in _VOWELS and _marked(first) and _marked(second):
            readings |= {core[:index] + core[index + 1 :], core[: index + 1] + core[index + 2 :]}
    syllables = [reading for reading in readings if reading in vietnamese_syllables()]
    return _recase(word, syllables[0]) if len(syllables) == 1 else word


_VOWELS = frozenset("aeiouy")


def _marked(letter: str) -> bool:
    return letter != _bare(letter)


def _fix_tone_slips(words: list[str], confidences: list[float], breaks: Breaks) -> list[str]:
    syllables = vietnamese_syllables()
    cores = [_core(word) for word in words]
    fixed = list(words)
    for index, core in enumerate(cores):
        if not core.isalpha():
            continue
        before = cores[index - 1] if index > 0 else ""  # already fixed: "sơ thâm quyên" → "sơ thẩm" → "thẩm quyền"
        after = cores[index + 1] if index + 1 < len(cores) else ""
        real = core in syllables
        if (real and confidences[index] >= DOUBTED_BELOW) or _support(before, core, after) > 0:
            continue
        if real and in_a_name(words, index, breaks):
            continue  # a name's syllable, as read (a word that is no syllable is put right: "NGUYÊN VĂN HIÊU")
        scored = sorted(((_support(before, other, after), other) for other in _other_readings(core)), reverse=True)
        if not real and len(scored) == 1 and _hook_for_acute(core, scored[0][1]):
            # no syllable, and its one syllable a mark away is its ố/ế with the hook, Tesseract's commonest slip
            # (VN_DOMAIN.md §4): that one, whatever the neighbours ("NGƯỜI CAO TUỐI": the pairs know no "cao
            # tuổi", and it was left as read, QA160 F2). Only that slip: the syllable list lacks everyday words
            # ("khèn", "gùi", "giũ", "hến", "cáng"), and any one-mark-away syllable made 31 of 31 such words on a
            # clean page wrong (QA161 N1); of 640 such words of Viet74K and Tesseract's word list, 2 are this slip,
            # and are made wrong: "kiếu" (to take one's leave) and the dialect "triến" (QA162 F4: known, left)
            fixed[index] = _recase(words[index], scored[0][1])
            cores[index] = scored[0][1]
            continue
        if not scored or scored[0][0] < MIN_EVIDENCE or (len(scored) > 1 and 2 * scored[1][0] > scored[0][0]):
            continue  # no reading the neighbours support, or two they support alike
        best = scored[0][1]
        if real and (_pair(before, best) < MIN_EVIDENCE or _pair(best, after) < MIN_EVIDENCE):
            continue  # a real word is only overruled by both its neighbours
        fixed[index] = _recase(words[index], best)
        cores[index] = best
    return fixed


def _hook_for_acute(word: str, other: str) -> bool:
    """Whether ``other`` is ``word`` (both lower case) with one ố or ế read with the hook instead: ổ, ể."""
    changed = [(a, b) for a, b in zip(word, other, strict=True) if a != b]
    return len(changed) == 1 and changed[0] in (("ố", "ổ"), ("ế", "ể"))


def _bare(letter: str) -> str:
    return unicodedata.normalize("NFD", letter)[0]  # "ẩ" → "a"; "đ" has no decomposition and stays itself


@functools.cache
def _readings_by_bare_letters() -> dict[str, tuple[str, ...]]:
    """Every syllable of the pair table, by its letters without marks."""
    syllables = {syllable for pair in neighbour_pairs() for syllable in pair.split(" ")}
    grouped: dict[str, list[str]] = {}
    for syllable in sorted(syllables):
        grouped.setdefault("".join(map(_bare, syllable)), []).append(syllable)
    return {bare: tuple(found) for bare, found in grouped.items()}


def _other_readings(word: str) -> list[str]:
    """Known syllables that differ from ``word`` in the marks of exactly one letter."""
    bare = "".join(map(_bare, word))
    return [
        other
        for other in _readings_by_bare_letters().get(bare, ())
        if len(other) == len(word) and sum(a != b for a, b in zip(other, word, strict=True)) == 1
    ]
