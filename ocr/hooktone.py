"""Undo Tesseract's commonest Vietnamese slip where the context leaves no doubt.

Tesseract's ``vie`` model reads the hook above on ô/ê as an acute (``Sổ``→``Số``, ``Tổ``→``Tố``,
``kiểm``→``kiếm``, ``kể``→``kế``; VN_DOMAIN.md §4). Both readings are real syllables, so a syllable list cannot
decide; the neighbouring words can: "kiếm tra" is not Vietnamese, "kiểm tra" is. Two passes, each changing only
the one mark, so the word keeps its length and position in the PDF text layer:

1. a few phrases known from civil-status and administrative papers (``_FIXES``), with the "số đăng ký" /
   "sổ đăng ký" case decided by the words after it;
2. a lexicon of neighbouring-syllable pairs counted in real state documents (``data/hook_bigrams.txt``, made by
   ``scripts/make_hook_bigrams.py``): a word is turned into its other reading (ố↔ổ, ế↔ể) only when, with the
   word before and the word after, the word as read occurs in no known pair and the other reading occurs in at
   least ``MIN_EVIDENCE``.

Measured on the 34 ground-truth pages of the OCR benchmark, which the table has not seen (every ổ/ể there turned
into ố/ế on purpose, then both passes run over the page's words): no correct word changed, 235 of 285 slips
undone (the phrases alone: 32).
"""

from __future__ import annotations

import functools
import unicodedata
from importlib import resources

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


MIN_EVIDENCE = 2  # occurrences of the other reading beside these neighbours (1 changed 2 correct words)
_OTHER_READING = str.maketrans({"ố": "ổ", "ổ": "ố", "ế": "ể", "ể": "ế"})


@functools.cache
def neighbour_pairs() -> dict[tuple[str, str], int]:
    text = resources.files("ocr").joinpath("data/hook_bigrams.txt").read_text(encoding="utf-8")
    pairs: dict[tuple[str, str], int] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        pair, _, count = line.partition("\t")
        first, _, second = pair.partition(" ")
        pairs[(first, second)] = int(count)
    return pairs


def _support(before: str, word: str, after: str) -> int:
    pairs = neighbour_pairs()
    return pairs.get((before, word), 0) + pairs.get((word, after), 0)


def fix_hook_tones(words: list[str]) -> list[str]:
    """The same words with the unambiguous hook/acute slips corrected (same length each)."""
    fixed = _fix_known_phrases(words)
    cores = [_core(word) for word in words]
    for index, core in enumerate(cores):
        other = core.translate(_OTHER_READING)
        if other == core or fixed[index] != words[index]:
            continue
        before = cores[index - 1] if index > 0 else ""
        after = cores[index + 1] if index + 1 < len(cores) else ""
        if _support(before, core, after) == 0 and _support(before, other, after) >= MIN_EVIDENCE:
            fixed[index] = _recase(words[index], other)
    return fixed


def _fix_known_phrases(words: list[str]) -> list[str]:
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
