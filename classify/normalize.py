"""Text normalisation for matching Vietnamese OCR output against the Decree 30 vocabulary.

Everything is NFC. Old-style tone placement (``hoà``, ``uỷ``) is moved to the modern place (``hòa``, ``ủy``)
so one spelling matches both, and the OCR confusions seen on Vietnamese official documents are undone
(``Ð`` (eth) for ``Đ``, ``QD`` for ``QĐ``, ``Sô:``/``S6:`` for ``Số:``).
"""

from __future__ import annotations

import re
import unicodedata

# Open syllables only: "hoà" → "hòa", but "hoàn" keeps its tone on the "a". "qu" + vowel is left alone
# ("quý" is already modern).
_TONED = "àáảãạèéẻẽẹỳýỷỹỵ"
_TONE_MARKS = {"\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
_OLD_STYLE_RE = re.compile(r"(?<![qQ])([oOuU])([" + _TONED + _TONED.upper() + r"])(?!\w)")


def _move_tone(match: re.Match[str]) -> str:
    first, second = match.group(1), match.group(2)
    if first in "uU" and second.lower() not in "ỳýỷỹỵ":
        return match.group(0)
    if first in "oO" and second.lower() not in "àáảãạèéẻẽẹ":
        return match.group(0)
    parts = unicodedata.normalize("NFD", second)
    base = "".join(ch for ch in parts if ch not in _TONE_MARKS)
    tone = "".join(ch for ch in parts if ch in _TONE_MARKS)
    return unicodedata.normalize("NFC", first + tone) + unicodedata.normalize("NFC", base)


def canonical_tones(text: str) -> str:
    """Move old-style tone marks to the modern place: hoà→hòa, HOÀ→HÒA, uỷ→ủy, thuỷ→thủy."""
    return _OLD_STYLE_RE.sub(_move_tone, unicodedata.normalize("NFC", text))


def normalize_text(text: str) -> str:
    """NFC, modern tone placement and common OCR confusions fixed; line structure kept."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\u00d0", "Đ").replace("\u0189", "Đ")  # eth / African D read for Đ
    text = text.replace("\u00a0", " ").replace("\u2013", "-").replace("\u2014", "-")
    text = canonical_tones(text)
    # "Sô:", "S6:", "Sö:", "Sỗ:" at the start of a number line → "Số:"
    text = re.sub(r"(?m)(^|\s)S[ôo6öỗồổóòọ0]\s*[:;]", r"\1Số:", text)
    return text


def fold(text: str) -> str:
    """Lower-case, diacritics removed, Đ→d: for tolerant comparisons only, never for stored values."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))
