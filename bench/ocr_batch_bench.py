"""OCR over a backlog: sohoa's OCR stage next to OCRmyPDF, and how much of the machine Tesseract gets.

  python bench/ocr_batch_bench.py [--pages 200] [--tools sohoa,sohoa-command,ocrmypdf] [--json]

The backlog is bench/batch_bench.py's (A4 pages of Vietnamese court-precedent text at 300 dpi in image-only PDFs
of 1–3 pages, as a scanner makes them). Both tools OCR every file with two documents in flight on this machine's
cores, in a fresh process each run:

- ``sohoa``: the OCR stage alone (``flows.pipeline.run_ocr`` with default settings: pages of a document in
  parallel, Tesseract calls bounded by the host-wide slots, one per core, pages read by long-lived libtesseract
  workers) for two files at a time;
- ``sohoa-command``: the same with ``SOHOA_TESSERACT_ENGINE=command`` (one ``tesseract`` run per page);
- ``ocrmypdf``: ``ocrmypdf -l vie --output-type pdfa -j 1`` for two files at a time (the same shape: at most two
  Tesseract processes, one per core; OCRmyPDF's own ``-j 2`` per file leaves a core idle on one-page files).

Reported per tool: wall seconds, pages/s, output size, and Tesseract's CPU time (a wrapper put first on PATH
records each ``tesseract`` process's user+system time with bash's ``times``; sohoa's libtesseract workers report
their own CPU per page, start-up included, to the same log): the share of the cores' time
*outside* Tesseract = 1 − Tesseract CPU / (wall × cores) — rendering, deskewing, writing PDFs, start-up, idle.
Needs the bench extra (ocrmypdf).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import make_backlog, tesseract_cpu, tesseract_wrapper  # noqa: E402 (bench scripts are run as files, not as a package)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
IN_FLIGHT = 2

# The OCR stage over every file of the inbox, IN_FLIGHT documents at a time (run in a subprocess of its own).
SOHOA_DRIVER = """
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from flows.pipeline import run_ocr
from sohoa.settings import load_settings
inbox, out = Path(sys.argv[1]), Path(sys.argv[2])
settings = load_settings()
files = sorted(inbox.glob("*.pdf"))
with ThreadPoolExecutor(int(sys.argv[3])) as pool:
    list(pool.map(lambda f: run_ocr(f, out / f.name, settings), files))
"""


@dataclass
class ToolRun:
    tool: str
    pages: int
    seconds: float
    tesseract_cpu_seconds: float
    tesseract_runs: int
    output_bytes: int
    cores: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def outside_tesseract(self) -> float:
        return 1 - self.tesseract_cpu_seconds / (self.seconds * self.cores) if self.seconds else 0.0


def run_tool(tool: str, inbox: Path, out: Path, scratch: Path, pages: int) -> ToolRun:
    out.mkdir(parents=True)
    wrapper_dir, log = tesseract_wrapper(scratch / f"wrapper-{tool}")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "PREFECT_"))}
    env.update(
        PATH=f"{wrapper_dir}:{env.get('PATH', '')}",
        SOHOA_BENCH_TESS_LOG=str(log),
        SOHOA_DATA_DIR=str(scratch / f"data-{tool}"),
        PYTHONPATH=str(ROOT),
    )
    started = time.perf_counter()
    if tool.startswith("sohoa"):
        if tool == "sohoa-command":
            env["SOHOA_TESSERACT_ENGINE"] = "command"
        command = [sys.executable, "-c", SOHOA_DRIVER, str(inbox), str(out), str(IN_FLIGHT)]
        done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise SystemExit(f"sohoa: {done.stderr[-2000:]}")
    else:

        def one(source: Path) -> None:
            command = [str(BIN / "ocrmypdf"), "-l", "vie", "--output-type", "pdfa", "-j", "1", "-q"]
            done = subprocess.run([*command, str(source), str(out / source.name)], env=env, capture_output=True)
            if done.returncode != 0:
                raise SystemExit(f"ocrmypdf {source.name}: {done.stderr.decode()[-2000:]}")

        with ThreadPoolExecutor(IN_FLIGHT) as pool:
            list(pool.map(one, sorted(inbox.glob("*.pdf"))))
    seconds = time.perf_counter() - started
    cpu, runs = tesseract_cpu(log)
    size = sum(path.stat().st_size for path in out.glob("*.pdf"))
    return ToolRun(tool, pages, round(seconds, 1), round(cpu, 1), runs, size, os.cpu_count() or 1)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--tools", default="sohoa,ocrmypdf")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs: list[ToolRun] = []
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-batch-") as scratch_name:
        scratch = Path(scratch_name)
        inbox = scratch / "backlog"
        documents, pages = make_backlog(inbox, args.pages)
        print(f"backlog: {documents} documents, {pages} pages", file=sys.stderr)
        for tool in [t.strip() for t in args.tools.split(",") if t.strip()]:
            print(f"run: {tool}", file=sys.stderr)
            runs.append(run_tool(tool, inbox, scratch / f"out-{tool}", scratch, pages))
    by_tool = {r.tool: r for r in runs}
    summary = {
        "documents": documents,
        "runs": [
            asdict(r)
            | {"pages_per_second": round(r.pages_per_second, 3), "outside_tesseract": round(r.outside_tesseract, 3)}
            for r in runs
        ],
    }
    if "sohoa" in by_tool and "ocrmypdf" in by_tool:
        summary["speed_ratio"] = round(by_tool["ocrmypdf"].seconds / by_tool["sohoa"].seconds, 2)
    if "sohoa-command" in by_tool and "ocrmypdf" in by_tool:
        summary["speed_ratio_command"] = round(by_tool["ocrmypdf"].seconds / by_tool["sohoa-command"].seconds, 2)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(
        f"\n{'tool':13} {'pages':>6} {'wall s':>8} {'pages/s':>8} {'Tess. CPU s':>12} {'outside Tess.':>14} {'KB':>8}"
    )
    for r in runs:
        print(
            f"{r.tool:13} {r.pages:>6} {r.seconds:>8.1f} {r.pages_per_second:>8.2f} {r.tesseract_cpu_seconds:>12.1f} "
            f"{r.outside_tesseract:>14.1%} {r.output_bytes // 1024:>8}"
        )
    if "speed_ratio" in summary:
        print(f"\nsohoa's rate / OCRmyPDF's: {summary['speed_ratio']}×")
    if "speed_ratio_command" in summary:
        print(f"sohoa-command's rate / OCRmyPDF's: {summary['speed_ratio_command']}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
