"""Is this page's OCR good enough to archive without a person looking at it?

Two signals: Tesseract's mean word confidence, and the share of words that are real Vietnamese syllables
(a page read with the wrong orientation, or a photo, yields confident-looking nonsense).
"""

from __future__ import annotations

import functools
import re
import unicodedata
from importlib import resources

LOW_CONFIDENCE = 70.0
MIN_LEXICON_SHARE = 0.75
MIN_WORDS_FOR_LEXICON = 10
GOOD, LOW = "good", "low"

_WORD_RE = re.compile(r"[^\W\d_]+")


@functools.cache
def vietnamese_syllables() -> frozenset[str]:
    text = resources.files("ocr").joinpath("data/vie_syllables.txt").read_text(encoding="utf-8")
    return frozenset(line for line in text.splitlines() if line and not line.startswith("#"))


def lexicon_share(text: str) -> float | None:
    """Share of alphabetic words that are known Vietnamese syllables; None when there are too few words."""
    words = _WORD_RE.findall(unicodedata.normalize("NFC", text).lower())
    if len(words) < MIN_WORDS_FOR_LEXICON:
        return None
    known = vietnamese_syllables()
    return round(sum(1 for word in words if word in known) / len(words), 3)


def page_quality(confidence: float | None, text: str) -> tuple[str, float | None]:
    """(``good`` or ``low``, lexicon share) for an OCR'd page."""
    share = lexicon_share(text)
    low = (confidence is not None and confidence < LOW_CONFIDENCE) or (share is not None and share < MIN_LEXICON_SHARE)
    if confidence is None and share is None:
        low = True  # Tesseract found no words at all: blank, a photo, or upside down
    return (LOW if low else GOOD), share


def low_quality_reason(number: int, confidence: float | None, share: float | None) -> str:
    """Why page ``number`` needs a person (a review reason): the signal(s) below the bar, with the bar, or that no
    word was found at all — not "confidence None, Vietnamese words None"."""
    if confidence is None and share is None:
        return f"page {number}: no words found (a blank page, a photo, or upside down)"
    below = []
    if confidence is not None and confidence < LOW_CONFIDENCE:
        below.append(f"OCR confidence {confidence:.0f} < {LOW_CONFIDENCE:.0f}")
    if share is not None and share < MIN_LEXICON_SHARE:
        below.append(f"Vietnamese words {share:.0%} < {MIN_LEXICON_SHARE:.0%}")
    return f"page {number}: low OCR quality ({'; '.join(below) or 'below the bar'})"


def cmyk_reason(pdfa_problems: list[str]) -> str | None:
    """Why a searchable copy that is not PDF/A because a page paints in CMYK needs a person (a review reason), or
    None. A CMYK JPEG or TIFF is embedded as it came, and sohoa's output intent is sRGB: PDF/A-2 allows one intent
    profile, and a CMYK one would not hold once the signer's stamp (RGB) is added. QA: such scans were archived
    with ``pdfa: null`` and nothing in their review reasons."""
    pages = [match.group(1) for p in pdfa_problems if (match := _CMYK_PROBLEM.match(p))]
    if not pages:
        return None
    return f"not PDF/A: page {pages[0]} is in CMYK colours (scan it again in RGB colour or gray)"


_CMYK_PROBLEM = re.compile(r"^6\.2\.4\.3: page (\d+)\b.* paints in DeviceCMYK without a matching output intent$")
