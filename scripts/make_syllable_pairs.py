"""Build ``ocr/data/syllable_pairs.txt``: how often each pair of neighbouring syllables occurs in real Vietnamese
state documents — the context ``ocr/diacritics.py`` uses to undo Tesseract's diacritic slips.

  python scripts/make_syllable_pairs.py [--corpus ../shared/corpora/vi-text/legal-docs]

Source: the decrees, resolutions and codes in ``legal-docs/{nghi_dinh,nghi_quyet,bo_luat}`` (state documents, not
copyrightable in Viet Nam). The court precedents in ``legal-docs/an_le/`` are left out on purpose: they are the
OCR benchmark's ground truth (bench/ocr_bench.py), and the table must not have seen them. The GPL-licensed
underthesea word list is not used, so the table can ship under this project's licence.
"""

from __future__ import annotations

import argparse
import collections
import re
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT.parent / "shared" / "corpora" / "vi-text" / "legal-docs"
TARGET = ROOT / "ocr" / "data" / "syllable_pairs.txt"
SOURCES = ("nghi_dinh", "nghi_quyet", "bo_luat")
SYLLABLE = re.compile(r"[^\W\d_]+")


def source_files(corpus: Path, sources: tuple[str, ...] = SOURCES) -> list[Path]:
    return sorted(p for source in sources for p in (corpus / source).rglob("*.txt"))


def count_pairs(files: list[Path]) -> collections.Counter[tuple[str, str]]:
    """How often each pair of neighbouring syllables (lower case, NFC) occurs in ``files``: runs of letters next
    to each other on one line, whatever digits or punctuation stand between them."""
    counts: collections.Counter[tuple[str, str]] = collections.Counter()
    for path in files:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            syllables = SYLLABLE.findall(unicodedata.normalize("NFC", line).lower())
            counts.update(zip(syllables, syllables[1:], strict=False))
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    files = source_files(args.corpus)
    if not files:
        raise SystemExit(f"no text under {args.corpus}/{{{','.join(SOURCES)}}}")
    counts = count_pairs(files)
    lines = [
        "# Neighbouring-syllable counts for undoing OCR diacritic slips (ocr/diacritics.py); made by",
        f"# scripts/make_syllable_pairs.py from {len(files)} Vietnamese state documents (decrees, resolutions, codes).",
    ]
    lines += [f"{a} {b}\t{n}" for (a, b), n in sorted(counts.items())]
    TARGET.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"{TARGET}: {len(counts)} pairs from {len(files)} files")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
