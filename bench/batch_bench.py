"""Batch throughput, memory and orchestration cost: ``sohoa process`` over a backlog of 1–3-page documents.

  python bench/batch_bench.py [--pages 200] [--runs direct1,direct2,prefect,rerun,server] [--rounds N]
                              [--memory-pages 1000] [--json]

The backlog: pages of Vietnamese legal text (the court precedents in ../shared/corpora/vi-text/legal-docs/an_le/,
their ground-truth text laid out on A4 at 300 dpi, 11 pt), grouped into PDFs of 1–3 pages as a scanner makes
them (img2pdf, lossless). Runs, each with a fresh data folder, one after the other on this machine:

- ``direct1``: ``--no-prefect --workers 1``, one document at a time (the stages' own cost);
- ``direct2``: ``--no-prefect --workers 2``, two documents in flight (Tesseract slots = cores);
- ``prefect``: ``--workers 2`` through Prefect without a configured server (the temporary Prefect server that
  ``sohoa process`` starts for itself starts inside the timed run, on a Prefect database that already exists, as
  on every run after an installation's first: an untimed run on one file creates it first);
- ``rerun``: the same Prefect command again over the same inbox: everything is already archived;
- ``server``: ``--workers 2`` against a Prefect server that is already running on this machine (started, untimed,
  before the run; SQLite; all its services on, as a deployed server runs them), as the ``nightly-batch``
  deployment runs — here on the same two cores as the batch;
- with ``--memory-pages``: ``prefect`` over a backlog that many pages long, to compare peak memory with ``prefect``
  (the default way ``sohoa process`` runs).

Reported per run: wall seconds, pages/s, peak memory (sum of the resident memory of sohoa and every process it
started — Tesseract, Prefect's temporary server — plus the Prefect server of the ``server`` run, sampled every
0.2 s), and CPU seconds: all of them, and Tesseract's (a wrapper first on PATH records each ``tesseract``
command's; sohoa's libtesseract workers report theirs per page to the same log). Orchestration, for ``prefect``
and for ``server``, two ways:

- share of wall = (Prefect run − direct2) / Prefect run: what the issue asks, but the difference of two walls
  that each vary by ±5 % on this machine;
- CPU share = (CPU outside Tesseract in the Prefect run − the same in direct2) / (cores × Prefect wall): what
  orchestration took from the cores Tesseract keeps busy. Steadier, but blind to time a core sits idle waiting
  for Prefect (the server's start-up), which only the wall shows.

``--rounds N`` repeats the chosen runs N times, alternating (direct2, prefect, direct2, prefect, …), so that a
drift of the machine's speed falls on both; both shares are reported per round and as a mean.
Needs psutil (bench extra).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import img2pdf
import psutil
from PIL import Image, ImageDraw, ImageFont

from flows.prefect_server import TemporaryPrefectServer

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
    cpu_seconds: float = 0.0  # user+system of sohoa and every process it started and waited for
    tesseract_cpu_seconds: float = 0.0  # of those, the tesseract processes'

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.seconds if self.seconds else 0.0

    @property
    def cpu_outside_tesseract(self) -> float:
        return self.cpu_seconds - self.tesseract_cpu_seconds


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
def tree_rss(processes: list[psutil.Process]) -> int:
    total = 0
    for process in processes:
        try:
            family = [process, *process.children(recursive=True)]
        except psutil.Error:
            continue
        for member in family:
            with contextlib.suppress(psutil.Error):
                total += member.memory_info().rss
    return total


# Runs the real tesseract, then appends bash's ``times`` to $SOHOA_BENCH_TESS_LOG: two lines, the shell's own
# user/system time and its children's (Tesseract's). Not through a pipe: a subshell would report its own.
TESSERACT_WRAPPER = """#!/bin/bash
{real} "$@"
status=$?
times >> "$SOHOA_BENCH_TESS_LOG"
exit $status
"""


def tesseract_wrapper(folder: Path) -> tuple[Path, Path]:
    """(a folder to put first on PATH, the log its ``tesseract`` writes each run's CPU time to)."""
    real = shutil.which("tesseract")
    if real is None:
        raise SystemExit("tesseract is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    wrapper = folder / "tesseract"
    wrapper.write_text(TESSERACT_WRAPPER.format(real=real), encoding="utf-8")
    wrapper.chmod(0o755)
    log = folder / "cpu.log"
    log.write_text("", encoding="utf-8")
    return folder, log


def _minutes_seconds(text: str) -> float:
    minutes, _, seconds = text.rstrip("s").partition("m")
    return float(minutes) * 60 + float(seconds)


def tesseract_cpu(log: Path) -> tuple[float, int]:
    """(CPU seconds, pages or runs) from the log: per ``tesseract`` command run, the wrapper's two lines (the
    shell's, then its children's); per page read by one of sohoa's libtesseract workers, a line ``library S``
    (``ocr/tess_worker.py``: that worker's CPU since its previous page, its start-up included)."""
    total, runs = 0.0, 0
    lines = log.read_text(encoding="utf-8").splitlines()
    for line in lines:
        if line.startswith("library "):
            total += float(line.split()[1])
            runs += 1
    for line in [line for line in lines if not line.startswith("library ")][1::2]:
        user, system = line.split()
        total += _minutes_seconds(user) + _minutes_seconds(system)
        runs += 1
    return total, runs


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(processes: list[psutil.Process]) -> float:
    """User+system seconds of these processes and their live children (a running Prefect server's)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            for member in [process, *process.children(recursive=True)]:
                with contextlib.suppress(psutil.Error):
                    times = member.cpu_times()
                    total += times.user + times.system
    return total


def clean_env(data: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOHOA_", "PREFECT_"))}
    env["SOHOA_DATA_DIR"] = str(data)
    env.update(extra)
    return env


def run(
    name: str,
    args: list[str],
    inbox: Path,
    env: dict[str, str],
    pages: int,
    documents: int,
    also_watch: list[psutil.Process] | None = None,
) -> Run:
    command = [sys.executable, "-m", "flows.cli", "process", str(inbox), "--json", *args]
    scratch = Path(env["SOHOA_DATA_DIR"]).parent
    scratch.mkdir(parents=True, exist_ok=True)
    wrapper_dir, tesseract_log = tesseract_wrapper(Path(tempfile.mkdtemp(prefix="tesseract-", dir=scratch)))
    env = {**env, "PATH": f"{wrapper_dir}:{env.get('PATH', '')}", "SOHOA_BENCH_TESS_LOG": str(tesseract_log)}
    peak = 0
    cpu_before = children_cpu() + tree_cpu(also_watch or [])
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
        watched = [psutil.Process(proc.pid), *(also_watch or [])]
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
        # sohoa's tree (its children count once sohoa has waited for them) and the watched server's
        cpu = children_cpu() + tree_cpu(also_watch or []) - cpu_before
        stop.set()
        sampler.join()
        data = env["SOHOA_DATA_DIR"]
        with_server = [p for p in psutil.process_iter(["cmdline"]) if data in " ".join(p.info["cmdline"] or [])]
        for leftover in with_server:  # Prefect's temporary server, if it outlived the run
            leftover.kill()
        if code not in (0, 1):
            err.seek(0)
            raise SystemExit(f"{name}: exit {code}\n{err.read().decode()[-3000:]}")
    tesseract, _ = tesseract_cpu(tesseract_log)
    return Run(
        name, pages, documents, round(seconds, 2), round(peak / 2**20, 1), code, round(cpu, 1), round(tesseract, 1)
    )


def warm_prefect_home(home: Path, scratch: Path) -> None:
    """Create and migrate a Prefect database (what the first run of an installation does), untimed."""
    inbox = scratch / "warm-inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    (inbox / "not-a-scan.pdf").write_bytes(b"not a PDF")  # quarantined at once: only Prefect's start-up is paid
    env = clean_env(scratch / "warm-data", PREFECT_HOME=str(home))
    command = [sys.executable, "-m", "flows.cli", "process", str(inbox), "--json"]
    subprocess.run(command, cwd=ROOT, env=env, capture_output=True, check=False, timeout=600)


@contextlib.contextmanager
def prefect_server(home: Path) -> Iterator[tuple[str, psutil.Process]]:
    """A Prefect server on a free loopback port (its own PREFECT_HOME, SQLite, all its services on), up before the
    timed run: the same start-up as sohoa's temporary server, with a deployed server's services."""
    server = TemporaryPrefectServer(
        home, environment=clean_env(home / "unused", PREFECT_SERVER_ANALYTICS_ENABLED="false")
    )
    url = server.start()
    try:
        try:
            server.wait_ready()
        except RuntimeError as exc:
            raise SystemExit(f"{exc}; see {server.log_path}") from exc
        assert server.process is not None
        yield url, psutil.Process(server.process.pid)
    finally:
        server.stop()


RUNS = ("direct1", "direct2", "prefect", "rerun", "server")


def one_round(chosen: list[str], base: Path, inbox: Path, home: Path, pages: int, documents: int) -> dict[str, Run]:
    """The chosen runs, one after the other, each with a fresh data folder under ``base``."""
    runs: dict[str, Run] = {}
    for key in chosen:
        print(f"run: {key}", file=sys.stderr)
        if key == "direct1":
            env = clean_env(base / "d1")
            runs[key] = run(
                "direct, 1 document at a time", ["--no-prefect", "--workers", "1"], inbox, env, pages, documents
            )
        elif key == "direct2":
            env = clean_env(base / "d2")
            runs[key] = run(
                "direct, 2 documents in flight", ["--no-prefect", "--workers", "2"], inbox, env, pages, documents
            )
        elif key == "prefect":
            env = clean_env(base / "p2", PREFECT_HOME=str(home))
            runs[key] = run("Prefect (no server), 2 in flight", ["--workers", "2"], inbox, env, pages, documents)
        elif key == "rerun":
            env = clean_env(base / "p2", PREFECT_HOME=str(home))
            runs[key] = run("same again (all already archived)", ["--workers", "2"], inbox, env, pages, documents)
        elif key == "server":
            with prefect_server(base / "server-home") as (url, server):
                env = clean_env(base / "s2", PREFECT_API_URL=url)
                runs[key] = run(
                    "Prefect server running, 2 in flight",
                    ["--workers", "2"],
                    inbox,
                    env,
                    pages,
                    documents,
                    also_watch=[server],
                )
    return runs


def orchestration(runs: dict[str, Run], cores: int) -> dict[str, float]:
    """Orchestration's share of one round, measured two ways against the direct run of the same round."""
    shares: dict[str, float] = {}
    direct = runs.get("direct2")
    for key in ("prefect", "server"):
        if direct and key in runs:
            shares[f"orchestration_share_{key}"] = round((runs[key].seconds - direct.seconds) / runs[key].seconds, 3)
            # The CPU the Prefect run spent outside Tesseract beyond what the direct run spent there, as a share of
            # the cores' time over the Prefect run: on cores that Tesseract keeps busy, what orchestration took
            # from the stages. Far steadier from run to run than the difference of two walls (each ±5 % here).
            extra_cpu = runs[key].cpu_outside_tesseract - direct.cpu_outside_tesseract
            shares[f"orchestration_cpu_{key}"] = round(extra_cpu, 1)
            shares[f"orchestration_cpu_share_{key}"] = round(extra_cpu / (cores * runs[key].seconds), 3)
    return shares


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"which runs, comma-separated: {', '.join(RUNS)}")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat the chosen runs this many times, alternating (default 1)"
    )
    parser.add_argument("--memory-pages", type=int, default=0, help="also run a backlog this long (e.g. 1000)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    chosen = [name.strip() for name in args.runs.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(RUNS))
    if unknown:
        parser.error(f"unknown runs: {', '.join(unknown)}")
    if "rerun" in chosen and "prefect" not in chosen:
        parser.error("rerun needs the prefect run before it")

    cores = os.cpu_count() or 1
    rounds: list[dict[str, Run]] = []
    memory: Run | None = None
    with tempfile.TemporaryDirectory(prefix="sohoa-batch-bench-") as scratch:
        base = Path(scratch)
        inbox = base / "backlog"
        documents, pages = make_backlog(inbox, args.pages)
        print(f"backlog: {documents} documents, {pages} pages (A4, {DPI} dpi)", file=sys.stderr)
        home = base / "prefect-home"
        if "prefect" in chosen:
            warm_prefect_home(home, base)
        for number in range(1, args.rounds + 1):
            rounds.append(one_round(chosen, base / f"round-{number}", inbox, home, pages, documents))
        if args.memory_pages:
            big = base / "big-backlog"
            big_docs, big_pages = make_backlog(big, args.memory_pages, seed=11)
            print(f"run: prefect over {big_pages} pages", file=sys.stderr)
            if not home.exists():
                warm_prefect_home(home, base)
            memory = run(
                f"Prefect (no server), 2 in flight, {big_pages} p.",
                ["--workers", "2"],
                big,
                clean_env(base / "big", PREFECT_HOME=str(home)),
                big_pages,
                big_docs,
            )

    def as_json(r: Run) -> dict[str, Any]:
        return asdict(r) | {"pages_per_second": round(r.pages_per_second, 3)}

    summary: dict[str, Any] = {
        "cores": cores,
        "rounds": [
            {"runs": {key: as_json(r) for key, r in runs.items()}} | orchestration(runs, cores) for runs in rounds
        ],
    }
    if memory is not None:
        summary["memory"] = as_json(memory)
    for runs in rounds:
        if "direct1" in runs and "direct2" in runs:
            summary.setdefault("speedup_2_vs_1", []).append(round(runs["direct1"].seconds / runs["direct2"].seconds, 2))
    # each orchestration measure over the rounds, for the mean and the printed line
    series: dict[str, list[float]] = {}
    for measure in ("orchestration_share", "orchestration_cpu_share"):
        for key in ("prefect", "server"):
            values = [one[f"{measure}_{key}"] for one in summary["rounds"] if f"{measure}_{key}" in one]
            if values:
                series[f"{measure}_{key}"] = values
                summary[f"{measure}_{key}_mean"] = round(sum(values) / len(values), 3)
    if args.json:
        print(json.dumps(summary, ensure_ascii=False, indent=2))
        return 0
    print(
        f"\n{'round':>5} {'run':42} {'docs':>5} {'pages':>6} {'wall s':>8} {'pages/s':>8} {'peak MB':>8} "
        f"{'CPU s':>8} {'Tess. CPU s':>12} {'other CPU s':>12}"
    )
    listed = [(str(n), r) for n, runs in enumerate(rounds, start=1) for r in runs.values()]
    for round_label, r in listed + ([("", memory)] if memory else []):
        print(
            f"{round_label:>5} {r.name:42} {r.documents:>5} {r.pages:>6} {r.seconds:>8.1f} {r.pages_per_second:>8.2f} "
            f"{r.peak_mb:>8.0f} {r.cpu_seconds:>8.1f} {r.tesseract_cpu_seconds:>12.1f} {r.cpu_outside_tesseract:>12.1f}"
        )
    if "speedup_2_vs_1" in summary:
        print(f"\n2 documents in flight vs 1: {', '.join(f'{x}×' for x in summary['speedup_2_vs_1'])}")
    for key, label in (("prefect", "Prefect without a server"), ("server", "Prefect server running")):
        for measure, what in (
            ("orchestration_share", "share of wall"),
            ("orchestration_cpu_share", "CPU outside Tesseract, share of the cores' time"),
        ):
            if f"{measure}_{key}" in series:
                each = ", ".join(f"{v:.1%}" for v in series[f"{measure}_{key}"])
                print(f"orchestration {what}, {label}: {each} (mean {summary[f'{measure}_{key}_mean']:.1%})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
