"""OCR accuracy and speed: ``sohoa ocr`` next to ``ocrmypdf -l vie --output-type pdfa`` on the same inputs.

  python bench/ocr_bench.py [--docs N] [--conditions clean,scan,poor,tesseract] [--tools sohoa,ocrmypdf] [--json]

Tools: ``sohoa`` (default settings), ``sohoa-whole`` (pages read whole, ``SOHOA_OCR_BANDS=1``), ``ocrmypdf``;
every ``sohoa ocr`` in its own process (``SOHOA_OCR_SERVER=off``: bench/ocr_perfile_bench.py measures the warm
start).

Inputs (read in place from ../shared/corpora):
- the born-digital court precedents in vi-text/legal-docs/an_le/ rendered to image-only PDFs (one per document)
  in three conditions: ``clean`` 300 dpi; ``scan`` 300 dpi with 1–2° skew, blur, noise and JPEG; ``poor`` 200 dpi
  with blur and noise; scored against gt_pdftotext_per_page/;
- ``tesseract``: Tesseract's own test pages that come with ground truth (ocr/tesseract-test/testing/*.txt).

For each tool and condition: CER and WER against the ground truth (NFC, whitespace collapsed; each tool's own text
output: sohoa's --json text, OCRmyPDF's --sidecar), pages per second (wall, both tools with all cores) and output
size. Needs the bench extra (ocrmypdf, rapidfuzz): ``make bench`` installs it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ROOT.parent / "shared" / "corpora"
AN_LE = CORPORA / "vi-text" / "legal-docs" / "an_le"
TESS_TEST = CORPORA / "ocr" / "tesseract-test" / "testing"
BIN = Path(sys.executable).parent


@dataclass
class Case:
    """One input file and the ground truth of each of its pages."""

    name: str
    pdf: Path
    truth: list[str]


@dataclass
class ErrorCounts:
    """Character and word edit distances against the ground truth, summed over pages (NFC, whitespace
    collapsed: ``normalise``); also bench/diacritics_bench.py's."""

    char_errors: int = 0
    chars: int = 0
    word_errors: int = 0
    words: int = 0

    def add(self, truth: str, read: str) -> None:
        """Count one page: what was ``read`` against its ``truth``."""
        from rapidfuzz.distance import Levenshtein

        reference, hypothesis = normalise(truth), normalise(read)
        self.char_errors += Levenshtein.distance(reference, hypothesis)
        self.chars += len(reference)
        self.word_errors += Levenshtein.distance(reference.split(), hypothesis.split())
        self.words += len(reference.split())

    @property
    def cer(self) -> float:
        return self.char_errors / self.chars if self.chars else 0.0

    @property
    def wer(self) -> float:
        return self.word_errors / self.words if self.words else 0.0


@dataclass(kw_only=True)
class Score(ErrorCounts):
    condition: str
    tool: str
    pages: int = 0
    seconds: float = 0.0
    output_bytes: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()


def degrade(image: Image.Image, condition: str, rng: random.Random) -> Image.Image:
    image = image.convert("L")
    if condition == "scan":
        angle = rng.choice([-1, 1]) * rng.uniform(1.0, 2.0)
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=250)
        image = image.filter(ImageFilter.GaussianBlur(0.8))
        noise = Image.effect_noise(image.size, 18).point(lambda v: v - 128)
        image = Image.blend(image, noise.convert("L"), 0.08)
    elif condition == "poor":
        image = image.filter(ImageFilter.GaussianBlur(0.7))
        noise = Image.effect_noise(image.size, 24)
        image = Image.blend(image, noise.convert("L"), 0.10)
    return image


def build_an_le_cases(condition: str, docs: int, scratch: Path) -> list[Case]:
    import pypdfium2 as pdfium

    dpi = 200 if condition == "poor" else 300
    rng = random.Random(20251119)
    cases: list[Case] = []
    for source in sorted(AN_LE.glob("*.pdf"))[:docs]:
        document = pdfium.PdfDocument(source)
        pages = []
        truth = []
        for index in range(len(document)):
            gt = AN_LE / "gt_pdftotext_per_page" / f"{source.stem}.p{index + 1}.txt"
            if not gt.exists():
                continue
            bitmap = document[index].render(scale=dpi / 72, grayscale=True)
            pages.append(degrade(bitmap.to_pil(), condition, rng))
            truth.append(gt.read_text(encoding="utf-8"))
        document.close()
        pdf = scratch / f"{condition}-{source.stem}.pdf"
        quality = 75 if condition in ("scan", "poor") else 92
        pages[0].save(pdf, save_all=True, append_images=pages[1:], resolution=dpi, quality=quality)
        cases.append(Case(name=source.stem, pdf=pdf, truth=truth))
    return cases


def build_tesseract_cases(scratch: Path) -> list[Case]:
    cases = []
    for truth_file in sorted(TESS_TEST.glob("*.txt")):
        if truth_file.name.lower() == "readme.txt":
            continue
        image = next((p for p in TESS_TEST.glob(truth_file.stem + ".*") if p.suffix in (".tif", ".png", ".jpg")), None)
        if image is None or image.stat().st_size < 2048:  # Git LFS pointers are not images
            continue
        with Image.open(image) as opened:
            dpi = round(float(opened.info.get("dpi", (300, 300))[0])) or 300
            pdf = scratch / f"tesseract-{truth_file.stem}.pdf"
            opened.convert("L").save(pdf, resolution=dpi if dpi >= 70 else 300, quality=92)
        cases.append(Case(name=truth_file.stem, pdf=pdf, truth=[truth_file.read_text(encoding="utf-8")]))
    return cases


def run_tool(tool: str, case: Case, out_dir: Path) -> tuple[list[str], Path]:
    output = out_dir / f"{tool}-{case.pdf.stem}.pdf"
    if tool.startswith("sohoa"):
        env = os.environ | {"SOHOA_OCR_SERVER": "off"} | ({"SOHOA_OCR_BANDS": "1"} if tool == "sohoa-whole" else {})
        proc = subprocess.run(
            [str(BIN / "sohoa"), "ocr", str(case.pdf), str(output), "--json"], capture_output=True, text=True, env=env
        )
        if proc.returncode != 0:
            raise RuntimeError(proc.stderr[-500:])
        return json.loads(proc.stdout)["text"].split("\f"), output
    sidecar = out_dir / f"{case.pdf.stem}.txt"
    cores = str(os.cpu_count() or 1)
    cmd = [str(BIN / "ocrmypdf"), "-l", "vie", "--output-type", "pdfa", "-j", cores, "--sidecar", str(sidecar)]
    proc = subprocess.run([*cmd, str(case.pdf), str(output)], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-500:])
    return sidecar.read_text(encoding="utf-8").split("\f"), output


def score(scores: Score, case: Case, pages: list[str]) -> None:
    for index, truth in enumerate(case.truth):
        scores.add(truth, pages[index] if index < len(pages) else "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=5, help="an_le documents per condition (default all 5)")
    parser.add_argument("--conditions", default="clean,scan,poor,tesseract")
    parser.add_argument("--tools", default="sohoa,ocrmypdf", help="sohoa, sohoa-whole (SOHOA_OCR_BANDS=1), ocrmypdf")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not AN_LE.exists():
        raise SystemExit(f"corpus not found: {AN_LE}")
    results: list[Score] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-bench-") as name:
        scratch = Path(name)
        os.environ.setdefault("SOHOA_DATA_DIR", str(scratch / "var"))
        for condition in args.conditions.split(","):
            cases = (
                build_tesseract_cases(scratch)
                if condition == "tesseract"
                else build_an_le_cases(condition, args.docs, scratch)
            )
            for tool in args.tools.split(","):
                result = Score(condition=condition, tool=tool)
                for case in cases:
                    started = time.perf_counter()
                    try:
                        pages, output = run_tool(tool, case, scratch)
                    except RuntimeError as exc:
                        result.failures.append(f"{case.name}: {exc}")
                        continue
                    result.seconds += time.perf_counter() - started
                    result.pages += len(case.truth)
                    result.output_bytes += output.stat().st_size
                    score(result, case, pages)
                results.append(result)
                print(
                    f"{condition:<10} {tool:<11} CER {result.cer:6.2%}  WER {result.wer:6.2%}  "
                    f"{result.pages_per_second:5.2f} pages/s  {result.output_bytes / 1024:8.0f} KB"
                    + (f"  failures: {len(result.failures)}" if result.failures else ""),
                    file=sys.stderr,
                    flush=True,
                )
    if args.json:
        print(json.dumps([asdict(r) | {"cer": r.cer, "wer": r.wer} for r in results], indent=2, ensure_ascii=False))
        return
    print(f"\nmachine: {os.cpu_count()} cores\n")
    print("| condition | tool | pages | CER | WER | pages/s | output KB |")
    print("|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r.condition} | {r.tool} | {r.pages} | {r.cer:.2%} | {r.wer:.2%} | {r.pages_per_second:.2f} "
            f"| {r.output_bytes / 1024:.0f} |"
        )


if __name__ == "__main__":
    main()
