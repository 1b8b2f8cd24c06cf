"""What ``ocr/diacritics.py`` does to Tesseract's reading of text its pair table has never seen: a held-out check.

  python bench/diacritics_bench.py [--conditions clean,scan,poor] [--pages N] [--json]

The shipped table (``ocr/data/syllable_pairs.txt``) is counted over the decrees, resolutions and codes in
``legal-docs/{nghi_dinh,nghi_quyet,bo_luat}``, and the fix's two thresholds were chosen on the OCR benchmark's
readings of the court precedents (``an_le/``), so ``bench/ocr_bench.py``'s CER gain is not a held-out figure. Here
the table is counted again without the Supreme People's Court Council's resolutions (``nghi_quyet/``), whose text
is then rendered to pages (Liberation Serif 11 pt, 38 lines, as ``bench/batch_bench.py``'s backlog), degraded as
``bench/ocr_bench.py`` does (``clean`` 300 dpi, lossless; ``scan`` 300 dpi, 1–2° skew, blur, noise, JPEG;
``poor`` 200 dpi, blur, noise, JPEG) and read by Tesseract (``vie``, ``--psm 3``, one thread a process, every
core). Each reading is scored three ways against the rendered text (NFC, whitespace collapsed):

- ``as read``: Tesseract's words;
- ``held out``: corrected with the table that has not seen these pages' text — the figure to quote;
- ``shipped``: corrected with the shipped table, which has (an upper bound, not a claim).

and the words each correction changed are counted by what they were and became against the ground truth: wrong
made right, wrong made otherwise wrong, right made wrong. Needs the bench extra (rapidfuzz): ``make bench``.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sys
import tempfile
import unicodedata
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from unittest import mock

from PIL import Image, ImageDraw, ImageFont
from rapidfuzz.distance import Levenshtein

from bench.batch_bench import DPI, FONT, LINES_PER_PAGE, render_page, wrap
from bench.ocr_bench import ErrorCounts, degrade, normalise
from ocr import diacritics
from scripts.make_syllable_pairs import DEFAULT_CORPUS, SOURCES, count_pairs, source_files

HELD_OUT = "nghi_quyet"
CONDITIONS = ("clean", "scan", "poor")


@dataclass
class PageText:
    """One rendered page: its ground truth and what Tesseract read (words and their confidences)."""

    truth: str
    words: list[str]
    confidences: list[float]


@dataclass(kw_only=True)
class Score(ErrorCounts):
    condition: str
    variant: str
    pages: int = 0
    changed: int = 0
    wrong_to_right: int = 0
    wrong_to_wrong: int = 0
    right_to_wrong: int = 0
    unaligned: int = 0  # changed words with no ground-truth word beside them (merged or split by Tesseract)


# ------------------------------------------------------------------------------------------ the pages
def held_out_lines(corpus: Path) -> list[str]:
    lines: list[str] = []
    for path in source_files(corpus, (HELD_OUT,)):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = unicodedata.normalize("NFC", " ".join(line.split()))
            if line:
                lines.append(line)
    if not lines:
        raise SystemExit(f"no text under {corpus / HELD_OUT}: the shared corpora are needed")
    return lines


def paginate(lines: list[str]) -> list[list[str]]:
    """The text wrapped to the page's width and cut into pages of ``LINES_PER_PAGE`` lines."""
    probe = ImageDraw.Draw(Image.new("L", (10, 10)))
    font = ImageFont.truetype(FONT, round(11 / 72 * DPI))
    wrapped = [part for line in lines for part in wrap(line, probe, font, round((8.27 - 1.8) * DPI))]
    return [wrapped[i : i + LINES_PER_PAGE] for i in range(0, len(wrapped), LINES_PER_PAGE)]


def page_image(lines: list[str], condition: str, seed: int) -> tuple[bytes, int]:
    """The page as a JPEG (scan, poor) or PNG (clean) and its dpi."""
    image = render_page(lines)
    dpi = DPI
    if condition == "poor":
        dpi = 200
        image = image.resize((round(image.width * 2 / 3), round(image.height * 2 / 3)), Image.Resampling.LANCZOS)
    image = degrade(image, condition, random.Random(seed))
    out = io.BytesIO()
    if condition == "clean":
        image.save(out, format="PNG", dpi=(dpi, dpi))
    else:
        image.save(out, format="JPEG", quality=75, dpi=(dpi, dpi))
    return out.getvalue(), dpi


def read(job: tuple[list[str], str, int]) -> PageText:
    import pytesseract

    lines, condition, seed = job
    data, dpi = page_image(lines, condition, seed)
    with tempfile.NamedTemporaryFile(suffix=".img") as image_file:
        image_file.write(data)
        image_file.flush()
        table = pytesseract.image_to_data(
            image_file.name, lang="vie", config=f"--psm 3 --dpi {dpi}", output_type=pytesseract.Output.DICT
        )
    words: list[str] = []
    confidences: list[float] = []
    for text, confidence in zip(table["text"], table["conf"], strict=True):
        text = unicodedata.normalize("NFC", str(text)).strip()
        if text and float(confidence) >= 0:
            words.append(text)
            confidences.append(float(confidence))
    return PageText(truth=" ".join(lines), words=words, confidences=confidences)


# ------------------------------------------------------------------------------------------ scoring
@contextmanager
def pair_table(pairs: dict[str, int] | None) -> Iterator[None]:
    """The fix reading ``pairs`` instead of the shipped table (None: the shipped one). The fix keeps its table in
    a cached module function; this swaps that function for the bench's run and drops what was derived from it."""
    if pairs is None:
        yield
        return
    diacritics._readings_by_bare_letters.cache_clear()
    with mock.patch.object(diacritics, "neighbour_pairs", lambda: pairs):
        yield
    diacritics._readings_by_bare_letters.cache_clear()


def aligned(read_words: list[str], truth_words: list[str]) -> dict[int, str]:
    """For each read word that lines up with one ground-truth word (same place in an equal or one-for-one
    replaced stretch), that word."""
    found: dict[int, str] = {}
    for op in Levenshtein.opcodes(read_words, truth_words):
        length = op.src_end - op.src_start
        if op.tag == "equal" or (op.tag == "replace" and length == op.dest_end - op.dest_start):
            for offset in range(length):
                found[op.src_start + offset] = truth_words[op.dest_start + offset]
    return found


def score(scores: Score, page: PageText, words: list[str]) -> None:
    scores.pages += 1
    scores.add(page.truth, " ".join(words))
    if words == page.words:
        return
    expected = aligned(page.words, normalise(page.truth).split())
    for index, (before, after) in enumerate(zip(page.words, words, strict=True)):
        if before == after:
            continue
        scores.changed += 1
        if index not in expected:
            scores.unaligned += 1
        elif before == expected[index]:
            scores.right_to_wrong += 1
        elif after == expected[index]:
            scores.wrong_to_right += 1
        else:
            scores.wrong_to_wrong += 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--conditions", default=",".join(CONDITIONS))
    parser.add_argument("--pages", type=int, default=0, help="at most this many pages (0: all the held-out text)")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    conditions = [c for c in args.conditions.split(",") if c]
    if unknown := set(conditions) - set(CONDITIONS):
        parser.error(f"unknown condition(s): {', '.join(sorted(unknown))}")

    table_sources = tuple(s for s in SOURCES if s != HELD_OUT)
    held_out_table = {f"{a} {b}": n for (a, b), n in count_pairs(source_files(args.corpus, table_sources)).items()}
    pages = paginate(held_out_lines(args.corpus))
    if args.pages:
        pages = pages[: args.pages]
    print(
        f"held out: {HELD_OUT}/ ({len(pages)} pages); table without it: {len(held_out_table)} pairs from "
        f"{', '.join(table_sources)} (shipped: {len(diacritics.neighbour_pairs())})",
        file=sys.stderr,
    )

    os.environ["OMP_THREAD_LIMIT"] = "1"  # one Tesseract thread a process, a process a core (MEASURED.md)
    results: list[Score] = []
    with ProcessPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for condition in conditions:
            jobs = [(lines, condition, 1000 * CONDITIONS.index(condition) + i) for i, lines in enumerate(pages)]
            readings = list(pool.map(read, jobs))
            print(f"{condition}: read {len(readings)} pages", file=sys.stderr)
            variants: list[tuple[str, dict[str, int] | None]] = [("held out", held_out_table), ("shipped", None)]
            as_read = Score(condition=condition, variant="as read")
            for page in readings:
                score(as_read, page, page.words)
            results.append(as_read)
            for variant, pairs in variants:
                scores = Score(condition=condition, variant=variant)
                with pair_table(pairs):
                    for page in readings:
                        score(scores, page, diacritics.restore_diacritics(page.words, page.confidences))
                results.append(scores)

    if args.json:
        rows: list[dict[str, Any]] = [{**asdict(s), "cer": s.cer, "wer": s.wer} for s in results]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(
        "| condition | variant | pages | CER % | WER % "
        "| words changed | wrong→right | wrong→wrong | right→wrong | unaligned |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for s in results:
        if s.variant == "as read":
            changes = "– | – | – | – | –"
        else:
            changes = f"{s.changed} | {s.wrong_to_right} | {s.wrong_to_wrong} | {s.right_to_wrong} | {s.unaligned}"
        print(f"| {s.condition} | {s.variant} | {s.pages} | {100 * s.cer:.2f} | {100 * s.wer:.2f} | {changes} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
