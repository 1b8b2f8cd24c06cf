"""Undo Tesseract's commonest Vietnamese slip where the context leaves no doubt.

Tesseract's ``vie`` model reads the hook above on ô/ê as an acute (``Sổ``→``Số``, ``Tổ``→``Tố``,
``kiểm``→``kiếm``, ``kể``→``kế``; VN_DOMAIN.md §4). Both readings are real syllables, so a word list cannot
decide; the following word can: "kiếm tra" is not Vietnamese, "kiểm tra" is. Only the phrases below are
corrected, and only the one mark changes, so the word keeps its length and position in the PDF text layer.
"""

from __future__ import annotations

import unicodedata

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
    ("số", ("hộ", "sách", "tay", "bộ", "đăng"), "sổ"),
)
# "số đăng ký" (a registration number) is real Vietnamese too: only "sổ đăng ký" + the register's kind is fixed
_THIRD_WORD_NEEDED = {("số", "đăng"): ("ký",)}
_REGISTER_KINDS = ("khai", "kết", "văn", "hộ", "chứng", "nhận", "giám", "thay")

_PUNCTUATION = ".,;:!?()[]\"'“”‘’"


def _core(word: str) -> str:
    return unicodedata.normalize("NFC", word).strip(_PUNCTUATION).lower()


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


def fix_hook_tones(words: list[str]) -> list[str]:
    """The same words with the unambiguous hook/acute slips corrected (same length each)."""
    fixed = list(words)
    for index, word in enumerate(words[:-1]):
        core = _core(word)
        following = _core(words[index + 1])
        for misread, contexts, intended in _FIXES:
            if core != misread or following not in contexts:
                continue
            if (misread, following) in _THIRD_WORD_NEEDED:
                third = _core(words[index + 2]) if index + 2 < len(words) else ""
                fourth = _core(words[index + 3]) if index + 3 < len(words) else ""
                if third not in _THIRD_WORD_NEEDED[(misread, following)] or fourth not in _REGISTER_KINDS:
                    continue
            fixed[index] = _recase(word, intended)
            break
    return fixed
