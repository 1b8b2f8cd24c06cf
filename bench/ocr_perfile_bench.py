"""One OCR command per file, as an officer runs it on a scan: ``sohoa ocr`` next to ``ocrmypdf``.

  python bench/ocr_perfile_bench.py [--pages 40] [--rounds 2] [--tools sohoa,sohoa-alone,ocrmypdf] [--json]

The files are bench/batch_bench.py's backlog (A4 pages of Vietnamese court-precedent text at 300 dpi in
image-only PDFs of 1–3 pages). Each round times, one file after the other, one command per file:

- ``sohoa``: ``sohoa ocr FILE OUT.pdf`` with default settings (pages read by libtesseract workers): the first
  command runs alone and starts an OCR server in the background, which serves the following ones (stopped after
  the round);
- ``sohoa-alone``: the same with ``SOHOA_OCR_SERVER=off`` (every command in its own process);
- ``sohoa-server``: the same commands with ``sohoa ocr-server`` running (started within the timed round), so
  each command is a fork of a process that has the OCR stage imported;
- ``sohoa-whole``: as ``sohoa-alone`` with ``SOHOA_OCR_BANDS=1`` (each page read whole, by one worker);
- ``sohoa-command``: as ``sohoa-alone`` with ``SOHOA_TESSERACT_ENGINE=command`` (one ``tesseract`` run per page);
- ``ocrmypdf``: ``ocrmypdf -l vie -j CORES --output-type pdfa FILE OUT.pdf``.

The tools alternate within each round, so a drift of the machine's speed falls on all of them. Reported: seconds
and pages/s per round, and each sohoa variant's rate over OCRmyPDF's. Needs the bench extra (ocrmypdf).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from batch_bench import make_backlog  # noqa: E402 (bench scripts are run as files, not as a package)

BIN = Path(sys.executable).parent
TOOLS = ("sohoa", "sohoa-alone", "sohoa-server", "sohoa-whole", "sohoa-command", "ocrmypdf")


def command(tool: str, source: Path, target: Path) -> list[str]:
    if tool.startswith("sohoa"):
        return [str(BIN / "sohoa"), "ocr", str(source), str(target)]
    cores = str(os.cpu_count() or 1)
    return [str(BIN / "ocrmypdf"), "-l", "vie", "-j", cores, "--output-type", "pdfa", "-q", str(source), str(target)]


def run_round(tool: str, files: list[Path], out: Path, data_dir: Path) -> float:
    socket = data_dir.parent / f"{tool}.sock"  # a server of the round's own, if it has one
    env = {**os.environ, "SOHOA_DATA_DIR": str(data_dir), "SOHOA_OCR_SERVER_SOCKET": str(socket)}
    env["SOHOA_OCR_SERVER"] = {"sohoa": "start", "sohoa-server": "use"}.get(tool, "off")
    if tool == "sohoa-command":
        env["SOHOA_TESSERACT_ENGINE"] = "command"
    if tool == "sohoa-whole":
        env["SOHOA_OCR_BANDS"] = "1"
    started = time.perf_counter()
    server = None
    if tool == "sohoa-server":  # started inside the timed round: its own start-up counts
        server = subprocess.Popen([str(BIN / "sohoa"), "ocr-server"], env=env, stderr=subprocess.DEVNULL)
        while not socket.exists():
            if server.poll() is not None:
                raise SystemExit("sohoa ocr-server did not start")
            time.sleep(0.01)
    try:
        for index, source in enumerate(files):
            done = subprocess.run(command(tool, source, out / f"{tool}-{index}.pdf"), env=env, capture_output=True)
            if done.returncode != 0:
                raise SystemExit(f"{tool} {source.name}: {done.stderr.decode()[-2000:]}")
        return time.perf_counter() - started
    finally:
        if server is not None:
            server.terminate()
            server.wait()
        if tool == "sohoa":  # the server its first command started
            stop = [str(BIN / "sohoa"), "ocr-server", "--socket", str(socket), "--stop"]
            subprocess.run(stop, env=env, capture_output=True, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=40, help="pages in the backlog (default 40)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--tools", default="sohoa,sohoa-alone,ocrmypdf", help=f"of {', '.join(TOOLS)}")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    tools = [tool for tool in TOOLS if tool in args.tools.split(",")]
    if "ocrmypdf" not in tools:
        raise SystemExit("--tools must include ocrmypdf, the anchor")
    seconds: dict[str, list[float]] = {tool: [] for tool in tools}
    with tempfile.TemporaryDirectory(prefix="sohoa-ocr-perfile-") as scratch_name:
        scratch = Path(scratch_name)
        documents, pages = make_backlog(scratch / "backlog", args.pages)
        files = sorted((scratch / "backlog").glob("*.pdf"))
        out = scratch / "out"
        out.mkdir()
        for round_number in range(args.rounds):
            for tool in tools:
                seconds[tool].append(round(run_round(tool, files, out, scratch / "var"), 1))
                print(f"round {round_number + 1}: {tool} {seconds[tool][-1]} s", file=sys.stderr)
    rates = {tool: [round(pages / s, 3) for s in runs] for tool, runs in seconds.items()}
    over_ocrmypdf = {
        tool: [round(o / s, 2) for s, o in zip(seconds[tool], seconds["ocrmypdf"], strict=True)]
        for tool in tools
        if tool != "ocrmypdf"
    }
    summary = {
        "documents": documents,
        "pages": pages,
        "seconds": seconds,
        "pages_per_second": rates,
        "rate_over_ocrmypdf": over_ocrmypdf,
    }
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"\n{documents} files, {pages} pages, one command per file, {args.rounds} round(s)\n")
    print(f"{'tool':14} {'seconds per round':>24} {'pages/s':>20} {'rate / OCRmyPDF':>18}")
    for tool in tools:
        ratio = ", ".join(f"{r}×" for r in over_ocrmypdf.get(tool, []))
        per_second = ", ".join(str(r) for r in rates[tool])
        print(f"{tool:14} {', '.join(map(str, seconds[tool])):>24} {per_second:>20} {ratio:>18}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
