"""Side-by-side benchmark against the anchors, in one run on one machine (ratios, not absolute numbers).

  python bench/pipeline_bench.py [--repeat N] [--json]

1. OCR: ``sohoa ocr`` vs ``ocrmypdf -l vie`` (same cores, both as commands) on every file in samples/:
   seconds, pages/s and output size.
2. Signing: ``sohoa sign`` vs the ``pyhanko sign addsig pemder`` command, same key and PDF, N signatures each.
3. Whole pipeline on samples/: ``sohoa process --no-prefect`` vs ``sohoa process`` (Prefect without a server),
   to show what the orchestration costs.

Needs the bench extra (``pip install -e '.[bench]'``, done by ``make bench``) for OCRmyPDF.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
BIN = Path(sys.executable).parent
SCANS = sorted(p for p in SAMPLES.iterdir() if p.suffix.lower() in {".pdf", ".png", ".jpg", ".tiff", ".tif"})


@dataclass
class Row:
    task: str
    tool: str
    seconds: float
    pages: int
    output_bytes: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0


def run(cmd: list[str], env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - started
    if proc.returncode not in (0, 1):  # sohoa process exits 1 when something is quarantined
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def page_count(path: Path) -> int:
    import pikepdf

    with pikepdf.open(path) as pdf:
        return len(pdf.pages)


def bench_ocr(scratch: Path) -> list[Row]:
    rows: list[Row] = []
    cores = str(os.cpu_count() or 1)
    for tool in ("sohoa", "ocrmypdf"):
        total, pages, size = 0.0, 0, 0
        for scan in SCANS:
            out = scratch / f"{tool}-{scan.stem}.pdf"
            if tool == "sohoa":
                cmd = [str(BIN / "sohoa"), "ocr", str(scan), str(out)]
            else:
                # OCRmyPDF's defaults, Vietnamese, all cores; --image-dpi for images that lack it
                cmd = [
                    str(BIN / "ocrmypdf"),
                    "-l",
                    "vie",
                    "-j",
                    cores,
                    "--image-dpi",
                    "300",
                    str(scan),
                    str(out),
                ]
            # each command in its own process (no warm start: bench/ocr_perfile_bench.py measures that)
            total += run(cmd, env={"SOHOA_DATA_DIR": str(scratch / "var"), "SOHOA_OCR_SERVER": "off"})
            pages += page_count(out)
            size += out.stat().st_size
        rows.append(Row("ocr samples/", tool, total, pages, size))
    return rows


def bench_sign(scratch: Path, repeat: int) -> list[Row]:
    data = scratch / "var"
    source = scratch / f"sohoa-{SCANS[0].stem}.pdf"  # the searchable PDF made by the OCR round
    env = {"SOHOA_DATA_DIR": str(data)}
    run([str(BIN / "sohoa"), "sign", str(source), str(scratch / "warmup.pdf")], env=env)  # creates dev keys
    keys = data / "keys"
    rows = []
    started = time.perf_counter()
    for index in range(repeat):
        run([str(BIN / "sohoa"), "sign", str(source), str(scratch / f"s-{index}.pdf")], env=env)
    rows.append(Row(f"sign B-B ×{repeat}", "sohoa sign", time.perf_counter() - started, repeat, 0))
    started = time.perf_counter()
    for index in range(repeat):
        run(
            [
                str(BIN / "pyhanko"),
                "sign",
                "addsig",
                "--field",
                "Sig1",
                "pemder",
                "--key",
                str(keys / "dev-signer.key.pem"),
                "--cert",
                str(keys / "dev-signer.pem"),
                "--chain",
                str(keys / "dev-ca.pem"),
                "--no-pass",
                str(source),
                str(scratch / f"p-{index}.pdf"),
            ]
        )
    rows.append(Row(f"sign B-B ×{repeat}", "pyhanko CLI", time.perf_counter() - started, repeat, 0))
    return rows


def bench_process(scratch: Path) -> list[Row]:
    rows = []
    pages = sum(page_count(scratch / f"sohoa-{scan.stem}.pdf") for scan in SCANS)
    for label, extra in (("sohoa process --no-prefect", ["--no-prefect"]), ("sohoa process (Prefect)", [])):
        data = scratch / f"proc-{len(extra)}"
        seconds = run(
            [str(BIN / "sohoa"), "process", str(SAMPLES), "--json", *extra],
            env={"SOHOA_DATA_DIR": str(data), "PREFECT_HOME": str(data / "prefect")},
        )
        rows.append(Row("pipeline samples/", label, seconds, pages, 0))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=10, help="signatures per signing tool (default 10)")
    parser.add_argument("--json", action="store_true", help="print rows as JSON")
    args = parser.parse_args()
    if shutil.which("ocrmypdf", path=str(BIN)) is None:
        raise SystemExit("ocrmypdf not installed in this venv: pip install -e '.[bench]' (make bench does it)")
    with tempfile.TemporaryDirectory(prefix="sohoa-bench-") as name:
        scratch = Path(name)
        rows = bench_ocr(scratch) + bench_sign(scratch, args.repeat) + bench_process(scratch)
    if args.json:
        print(json.dumps([asdict(r) | {"pages_per_second": r.pages_per_second} for r in rows], indent=2))
        return
    print(f"machine: {os.cpu_count()} cores; samples: {len(SCANS)} files")
    print(f"{'task':<22} {'tool':<28} {'seconds':>8} {'pages':>6} {'pages/s':>8} {'output KB':>10}")
    for row in rows:
        size = f"{row.output_bytes / 1024:.0f}" if row.output_bytes else ""
        print(
            f"{row.task:<22} {row.tool:<28} {row.seconds:>8.2f} {row.pages:>6} {row.pages_per_second:>8.2f} {size:>10}"
        )
    by_task: dict[str, list[Row]] = {}
    for row in rows:
        by_task.setdefault(row.task, []).append(row)
    for task, pair in by_task.items():
        if len(pair) == 2:
            print(
                f"ratio {task}: {pair[0].tool} takes {pair[0].seconds / pair[1].seconds:.2f}× "
                f"the time of {pair[1].tool}"
            )


if __name__ == "__main__":
    main()
