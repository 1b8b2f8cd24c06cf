"""Batch throughput, memory and orchestration cost: ``sohoa process`` over a backlog of 1–3-page documents.

  python bench/batch_bench.py [--pages 200] [--memory-pages 1000] [--json]

The backlog: pages of Vietnamese legal text (the court precedents in ../shared/corpora/vi-text/legal-docs/an_le/,
their ground-truth text laid out on A4 at 300 dpi, 11 pt), grouped into PDFs of 1–3 pages as a scanner makes
them (img2pdf, lossless). Runs, each with a fresh data folder, one after the other on this machine:

1. ``--no-prefect --workers 1``: one document at a time (the stages' own cost);
2. ``--no-prefect --workers 2``: two documents in flight (Tesseract slots = cores);
3. ``--workers 2`` through Prefect (no server: its temporary API starts inside the run);
4. the same Prefect command again over the same inbox: everything is already archived, so this is Prefect's
   start-up plus hashing — subtracted to show the per-document orchestration cost apart from the start-up;
5. with ``--memory-pages``: run 2 over a backlog that many pages long, to compare peak memory with run 2.

Reported per run: wall seconds, pages/s, peak memory (sum of the resident memory of sohoa and every process it
started — Tesseract, Prefect's server — sampled every 0.2 s). Orchestration share = (run 3 − run 2) / run 3.
Needs psutil (bench extra).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

import img2pdf
import psutil
from PIL import Image, ImageDraw, ImageFont

ROOT = Path(__file__).resolve().parent.parent
AN_LE = ROOT.parent / "shared" / "corpora" / "vi-text" / "legal-docs" / "an_le"
FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
DPI = 300
LINES_PER_PAGE = 38


@dataclass
class Run:
    name: str
    pages: int
    documents: int
    seconds: float
    peak_mb: float
    exit_code: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


# ------------------------------------------------------------------------------------------ the backlog
def corpus_lines() -> list[str]:
    lines: list[str] = []
    for path in sorted(AN_LE.rglob("*.txt")):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            line = unicodedata.normalize("NFC", " ".join(line.split()))
            if len(line) > 20:
                lines.append(line)
    if not lines:
        raise SystemExit(f"no text under {AN_LE}: the shared corpora are needed")
    return lines


def wrap(text: str, draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    out: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) > width and current:
            out.append(current)
            current = word
        else:
            current = candidate
    if current:
        out.append(current)
    return out


def render_page(lines: list[str]) -> Image.Image:
    width, height = round(8.27 * DPI), round(11.69 * DPI)
    page = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(page)
    font = ImageFont.truetype(FONT, round(11 / 72 * DPI))
    y = round(0.8 * DPI)
    for line in lines:
        draw.text((round(0.9 * DPI), y), line, font=font, fill=0)
        y += round(11 / 72 * DPI * 1.5)
    return page


def make_backlog(folder: Path, pages: int, seed: int = 7) -> tuple[int, int]:
    """``pages`` pages in PDFs of 1–3 pages; returns (documents, pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    source = corpus_lines()
    probe = ImageDraw.Draw(Image.new("L", (10, 10)))
    font = ImageFont.truetype(FONT, round(11 / 72 * DPI))
    text_width = round((8.27 - 1.8) * DPI)
    made = documents = 0
    while made < pages:
        count = min(rng.choice((1, 1, 2, 3)), pages - made)
        images = []
        for _ in range(count):
            start = rng.randrange(len(source))
            wrapped: list[str] = []
            for line in source[start:] + source[:start]:
                wrapped.extend(wrap(line, probe, font, text_width))
                if len(wrapped) >= LINES_PER_PAGE:
                    break
            png = folder / f".page-{made}.png"
            render_page(wrapped[:LINES_PER_PAGE]).save(png, dpi=(DPI, DPI))
            images.append(png)
            made += 1
        documents += 1
        (folder / f"hồ sơ {documents:04d}.pdf").write_bytes(img2pdf.convert([str(p) for p in images]))
        for png in images:
            png.unlink()
    return documents, made


# ------------------------------------------------------------------------------------------ measuring
def tree_rss(process: psutil.Process) -> int:
    total = 0
    try:
        family = [process, *process.children(recursive=True)]
    except psutil.Error:
        return 0
    for member in family:
        with contextlib.suppress(psutil.Error):
            total += member.memory_info().rss
    return total


def run(name: str, args: list[str], inbox: Path, data: Path, pages: int, documents: int) -> Run:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env["SOHOA_DATA_DIR"] = str(data)
    command = [sys.executable, "-m", "flows.cli", "process", str(inbox), "--json", *args]
    peak = 0
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
        watched = psutil.Process(proc.pid)
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not stop.is_set():
                peak = max(peak, tree_rss(watched))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        code = proc.wait()
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        with_server = [p for p in psutil.process_iter(["cmdline"]) if str(data) in " ".join(p.info["cmdline"] or [])]
        for leftover in with_server:  # Prefect's temporary server, if it outlived the run
            leftover.kill()
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{name}: exit {code}\n{err.read().decode()[-3000:]}")
    return Run(name, pages, documents, round(seconds, 2), round(peak / 2**20, 1), code)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--memory-pages", type=int, default=0, help="also run a backlog this long (e.g. 1000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-batch-bench-") as scratch:
        base = Path(scratch)
        inbox = base / "backlog"
        documents, pages = make_backlog(inbox, args.pages)
        print(f"backlog: {documents} documents, {pages} pages (A4, {DPI} dpi)", file=sys.stderr)
        runs.append(
            run(
                "direct, 1 document at a time", ["--no-prefect", "--workers", "1"], inbox, base / "d1", pages, documents
            )
        )
        runs.append(
            run(
                "direct, 2 documents in flight",
                ["--no-prefect", "--workers", "2"],
                inbox,
                base / "d2",
                pages,
                documents,
            )
        )
        runs.append(run("Prefect, 2 documents in flight", ["--workers", "2"], inbox, base / "p2", pages, documents))
        runs.append(
            run("Prefect again (all already archived)", ["--workers", "2"], inbox, base / "p2", pages, documents)
        )
        if args.memory_pages:
            big = base / "big-backlog"
            big_docs, big_pages = make_backlog(big, args.memory_pages, seed=11)
            runs.append(
                run(
                    f"direct, 2 in flight, {big_pages} pages",
                    ["--no-prefect", "--workers", "2"],
                    big,
                    base / "big",
                    big_pages,
                    big_docs,
                )
            )

    direct, prefect, idle = runs[1], runs[2], runs[3]
    share = (prefect.seconds - direct.seconds) / prefect.seconds
    share_after_start = (prefect.seconds - idle.seconds - direct.seconds) / prefect.seconds
    summary = {
        "cores": os.cpu_count(),
        "runs": [asdict(r) | {"pages_per_second": round(r.pages_per_second, 3)} for r in runs],
        "speedup_2_vs_1": round(runs[0].seconds / direct.seconds, 2),
        "orchestration_share": round(share, 3),
        "orchestration_share_without_prefect_start": round(share_after_start, 3),
        "prefect_start_seconds": idle.seconds,
    }
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(f"\n{'run':42} {'docs':>5} {'pages':>6} {'wall s':>8} {'pages/s':>8} {'peak MB':>8}")
    for r in runs:
        print(
            f"{r.name:42} {r.documents:>5} {r.pages:>6} {r.seconds:>8.1f} {r.pages_per_second:>8.2f} {r.peak_mb:>8.0f}"
        )
    print(f"\n2 documents in flight vs 1: {summary['speedup_2_vs_1']}×")
    print(f"orchestration share of wall (Prefect run vs direct run): {share:.1%}")
    print(f"  without Prefect's start-up ({idle.seconds:.1f} s, run 4): {share_after_start:.1%}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
