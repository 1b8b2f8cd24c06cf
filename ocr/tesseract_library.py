"""Pages read by long-lived Tesseract worker processes (``ocr/tess_worker.py``: libtesseract's C API).

A worker loads the language model once and then reads page after page; it saves ~20 % of each page's Tesseract
CPU against one ``tesseract`` command per page and gives back exactly the same words (held by
``tests/test_tesseract_library.py``). Workers are started on demand, one per page being read at once in this
process, kept idle between pages, replaced after ``PAGES_PER_WORKER`` pages, and end with this process (they
exit when their input closes, even if this process is killed).

A worker that crashes or hangs on a page costs that page's document, never this process: the caller gets a
``BadInputError`` or a ``StageError`` naming the file, the worker is killed, and the next page gets a fresh one.
A worker that dies with a page (killed from outside, as the OOM killer does, or crashed) is replaced at once and
the page read again; only a second death gives the page up (``read_with_library``).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import select
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

from sohoa.errors import BadInputError, Problem, StageError

log = logging.getLogger(__name__)

WORKER_SCRIPT = Path(__file__).with_name("tess_worker.py")
# A fresh worker after this many pages bounds whatever Tesseract keeps between pages in a night-long batch;
# loading the model again costs ~0.2 s, under 0.1 % of 250 pages.
PAGES_PER_WORKER = 250
START_TIMEOUT = 60.0
# An idle worker holds ~45–60 MB: one left idle this long is ended (a `sohoa watch` between scans, a Prefect worker
# between flow runs), and the next page starts a fresh one for ~0.25 s.
IDLE_SECONDS = 120.0


class LibraryUnavailable(Exception):
    """libtesseract cannot be loaded here: read pages with the ``tesseract`` command instead."""


# text, confidence, left, top, width, height, block, paragraph, line — the TSV's columns for a word
WordRow = tuple[str, float, int, int, int, int, int, int, int]


@dataclass(frozen=True)
class LibraryReading:
    width: int
    height: int
    words: list[WordRow]
    engine: str  # "libtesseract 5.3.0": the record names the software that read the page


class _Process(Protocol):
    """What a worker needs of its process: a ``subprocess.Popen``, or a worker handed over by another process."""

    pid: int
    stdin: IO[bytes] | None
    stdout: IO[bytes] | None
    returncode: int | None

    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def wait(self) -> int: ...


@dataclass(frozen=True)
class WorkerHandle:
    """A loaded, idle worker as one process hands it to another (`sohoa ocr-server` and its children): its pid,
    the descriptors of its input and output pipes, and what it has read so far."""

    pid: int
    stdin: int
    stdout: int
    version: str
    pages: int
    language: str
    tessdata_dir: str  # "" for Tesseract's own

    @property
    def key(self) -> tuple[str, str]:
        return (self.language, self.tessdata_dir)


class _HandedOver:
    """A worker this process did not start (so cannot wait for): watched through a pidfd instead."""

    def __init__(self, handle: WorkerHandle) -> None:
        self.pid = handle.pid
        self.returncode: int | None = None
        self.pidfd = os.pidfd_open(handle.pid)
        self.stdin: IO[bytes] | None = os.fdopen(handle.stdin, "wb")
        self.stdout: IO[bytes] | None = os.fdopen(handle.stdout, "rb")

    def poll(self) -> int | None:
        if self.returncode is None and select.select([self.pidfd], [], [], 0)[0]:
            self.returncode = -1  # ended; its exit status is its parent's to collect
        return self.returncode

    def kill(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            signal.pidfd_send_signal(self.pidfd, signal.SIGKILL)

    def wait(self) -> int:
        if self.returncode is None:
            select.select([self.pidfd], [], [])
            self.returncode = -1
        self.release()
        return self.returncode

    def release(self) -> None:
        if self.pidfd >= 0:
            os.close(self.pidfd)
            self.pidfd = -1


@dataclass
class _Worker:
    process: _Process
    version: str = ""
    pages: int = 0
    idle_since: float = 0.0  # time.monotonic() when it was last put back in the pool

    def send(self, request: dict[str, object]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(request).encode("ascii") + b"\n")  # a Vietnamese path as \u escapes
        self.process.stdin.flush()

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The worker's next answer; None if it ended; TimeoutError if none came in time."""
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            raise TimeoutError
        line = self.process.stdout.readline()
        if not line:
            return None
        answer: dict[str, Any] = json.loads(line)
        return answer

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                # a request left in the buffer of a worker that died is flushed to its closed pipe again on close:
                # BrokenPipeError, which escaped as the scan's fault and quarantined it (a watcher stopped by SIGTERM
                # to its process group, under a loaded test suite). The worker is gone either way
                with contextlib.suppress(OSError):
                    stream.close()


def pool_key(language: str, tessdata_dir: Path | str | None) -> tuple[str, str]:
    """Workers are interchangeable only with the same language data."""
    return (language, str(tessdata_dir or ""))


@dataclass
class _Pool:
    """Idle workers per (language, tessdata folder)."""

    idle: dict[tuple[str, str], list[_Worker]] = field(default_factory=dict)
    starting: dict[tuple[str, str], int] = field(default_factory=dict)  # workers started ahead, loading their model
    lock: threading.Condition = field(default_factory=threading.Condition)
    unavailable: dict[tuple[str, str], str] = field(default_factory=dict)  # why a worker could not start
    reaper: threading.Thread | None = None  # ends workers idle for IDLE_SECONDS; runs while any is idle

    def take(self, language: str, tessdata_dir: Path | None) -> _Worker:
        key = pool_key(language, tessdata_dir)
        with self.lock:
            while True:
                if key in self.unavailable:
                    raise LibraryUnavailable(self.unavailable[key])
                workers = self.idle.setdefault(key, [])
                if workers:
                    return workers.pop()
                if not self.starting.get(key):
                    break
                self.lock.wait(START_TIMEOUT)  # one started ahead is nearly ready: cheaper than a second
        return self._start(language, tessdata_dir)

    def start_ahead(self, language: str, tessdata_dir: Path | None, count: int = 1) -> None:
        """Start workers in the background until ``count`` are idle or starting: their model loads while the
        document's first page is rendered (~0.25 s each, on the critical path of a one-page `sohoa ocr`)."""
        key = pool_key(language, tessdata_dir)
        with self.lock:
            if key in self.unavailable:
                return
            missing = count - len(self.idle.get(key, [])) - self.starting.get(key, 0)
            if missing <= 0:
                return
            self.starting[key] = self.starting.get(key, 0) + missing

        def start() -> None:
            worker = None
            try:
                worker = self._start(language, tessdata_dir)
            except LibraryUnavailable:
                pass  # recorded in self.unavailable: the pages go to the command
            finally:
                with self.lock:
                    self.starting[key] -= 1
                    if worker is not None:
                        self._park(key, worker)
                    self.lock.notify_all()

        for _ in range(missing):
            threading.Thread(target=start, name="tesseract-worker-start", daemon=True).start()

    def give_back(self, worker: _Worker, language: str, tessdata_dir: Path | None) -> None:
        if worker.pages >= PAGES_PER_WORKER:
            worker.stop()
            return
        with self.lock:
            self._park(pool_key(language, tessdata_dir), worker)

    def _park(self, key: tuple[str, str], worker: _Worker) -> None:
        """Put an idle worker in the pool (the lock held) and make sure the reaper watches it."""
        worker.idle_since = time.monotonic()
        self.idle.setdefault(key, []).append(worker)
        if self.reaper is None:
            self.reaper = threading.Thread(target=self._reap, name="tesseract-worker-reaper", daemon=True)
            self.reaper.start()
        self.lock.notify_all()

    def _reap(self) -> None:
        """End workers idle for IDLE_SECONDS, while any is idle; wakes when one is parked or the first is due."""
        with self.lock:
            while True:
                now = time.monotonic()
                for key, group in self.idle.items():
                    self.idle[key] = [w for w in group if now - w.idle_since < IDLE_SECONDS]
                    for worker in group:
                        if now - worker.idle_since >= IDLE_SECONDS:
                            worker.stop()  # SIGKILL and wait: a few ms, nothing to finish
                left = [w.idle_since for group in self.idle.values() for w in group]
                if not left:
                    self.reaper = None  # the next worker parked starts another
                    return
                self.lock.wait(max(0.05, min(left) + IDLE_SECONDS - now))

    def _start(self, language: str, tessdata_dir: Path | None) -> _Worker:
        command, env = worker_command(language, tessdata_dir)
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
        )
        worker = _Worker(process)
        try:
            hello = worker.receive(START_TIMEOUT)
        except TimeoutError:
            hello = {"error": f"no answer in {START_TIMEOUT:.0f} s"}
        if hello is None or "error" in hello:
            worker.stop()
            reason = (hello or {}).get("error") or f"the worker ended at start (exit code {process.returncode})"
            with self.lock:  # asked once per process, not once per page
                first = pool_key(language, tessdata_dir) not in self.unavailable
                self.unavailable[pool_key(language, tessdata_dir)] = str(reason)
            if first and _language_missing(language, tessdata_dir):
                # no data for the language: the language check says so, and ends the command (QA56: `sohoa ocr
                # --language xxx` warned first that it would read with the tesseract command, about the engine)
                log.debug("libtesseract worker not started (%s): the language has no data", reason)
            elif first:  # said once: workers started ahead together all fail (`--language xyz` said it twice)
                log.warning(
                    "không dùng được libtesseract (%s); đọc trang bằng lệnh tesseract / libtesseract unavailable (%s); "
                    "reading pages with the tesseract command",
                    reason,
                    reason,
                )
            raise LibraryUnavailable(str(reason))
        worker.version = str(hello.get("version", ""))
        return worker

    def close(self) -> None:
        with self.lock:
            workers = [worker for group in self.idle.values() for worker in group]
            self.idle.clear()
        for worker in workers:
            worker.stop()

    def adopt(self, handles: list[WorkerHandle]) -> None:
        with self.lock:
            for handle in handles:
                worker = _Worker(_HandedOver(handle), version=handle.version, pages=handle.pages)
                self._park(handle.key, worker)

    def surrender(self) -> list[WorkerHandle]:
        """Take every idle worker out of the pool, to be handed to another process (which owns their pipes)."""
        with self.lock:
            taken = [(key, worker) for key, group in self.idle.items() for worker in group]
            self.idle.clear()
        handles = []
        for (language, tessdata_dir), worker in taken:
            process = worker.process
            if process.poll() is not None or worker.pages >= PAGES_PER_WORKER:
                worker.stop()
                continue
            assert process.stdin is not None and process.stdout is not None
            handles.append(
                WorkerHandle(
                    process.pid,
                    os.dup(process.stdin.fileno()),
                    os.dup(process.stdout.fileno()),
                    worker.version,
                    worker.pages,
                    language,
                    tessdata_dir,
                )
            )
            for stream in (process.stdin, process.stdout):
                stream.close()  # the duplicates above are the other process's now
            if isinstance(process, _HandedOver):
                process.release()
        return handles


_pool = _Pool()


def worker_command(language: str, tessdata_dir: Path | str | None) -> tuple[list[str], dict[str, str]]:
    """The command line and environment of a worker."""
    # One Tesseract thread per worker (MEASURED.md): OpenMP reads this when the library loads.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    return [sys.executable, "-I", "-S", str(WORKER_SCRIPT), language, str(tessdata_dir or "")], env


def adopt_workers(handles: list[WorkerHandle]) -> None:
    """Take loaded workers another process started (their descriptors are this process's now) into the pool."""
    _pool.adopt(handles)


def surrender_idle_workers() -> list[WorkerHandle]:
    """This process's idle, healthy workers, out of its pool: the caller passes the descriptors on and closes
    them. Workers that have read ``PAGES_PER_WORKER`` pages are ended instead."""
    return _pool.surrender()


def stop_idle_workers() -> None:
    """End every idle worker of this process (pages being read keep theirs)."""
    _pool.close()  # this process's pool: a forked child's own, never its parent's (below)


def _forget_parents_workers() -> None:
    """A forked child must not talk to its parent's workers (both would read the same pipe): it starts its own."""
    global _pool
    _pool = _Pool()


atexit.register(stop_idle_workers)
os.register_at_fork(after_in_child=_forget_parents_workers)


def _language_missing(language: str, tessdata_dir: Path | None) -> bool:
    """Whether ``ocr.tesseract.check_language`` refuses ``language`` (no traineddata, or no such tessdata folder): asked
    only when a worker could not start, so that a language without data is not said as the library's failure."""
    from ocr.tesseract import check_language  # that module imports this one

    try:
        check_language(language, tessdata_dir)
    except StageError:
        return True
    except Exception:  # noqa: BLE001 — the tesseract command itself unusable: the library's failure is said
        return False
    return False


def start_workers_ahead(language: str, tessdata_dir: Path | None, count: int = 1) -> None:
    """Have ``count`` workers ready (or loading) for pages to come; a no-op where enough are."""
    _pool.start_ahead(language, tessdata_dir, count)


# Signals a page itself can cause: Tesseract crashing on a hostile image (a bad read or write, an assertion, a
# division by zero). Any other signal came from outside the process — the kernel's OOM killer (SIGKILL), an
# operator or a service manager (SIGTERM, SIGINT, SIGHUP) — and says nothing about the page.
CRASH_SIGNALS = frozenset({signal.SIGSEGV, signal.SIGABRT, signal.SIGBUS, signal.SIGFPE, signal.SIGILL, signal.SIGSYS})


def signal_name(code: int) -> str:
    """``SIGKILL`` for the exit code -9 (a process ended by a signal)."""
    try:
        return signal.Signals(-code).name
    except ValueError:
        return f"signal {-code}"


def killed_from_outside(code: int | None) -> bool:
    """Whether an exit code says the process was ended by a signal the page cannot have caused (None: unknown)."""
    return code is not None and code < 0 and -code not in CRASH_SIGNALS


class _WorkerDied(Exception):
    """The worker ended while it had the page: its exit code (None when it cannot be known: a worker handed over
    by another process) and how long it had had the page."""

    def __init__(self, code: int | None, seconds: float, detail: str = "") -> None:
        super().__init__(code, seconds, detail)
        self.code, self.seconds, self.detail = code, seconds, detail

    def said(self) -> str:
        how = f"killed by {signal_name(self.code)}" if self.code is not None and self.code < 0 else ""
        how = how or (f"exit code {self.code}" if self.code is not None else "it ended")
        return f"{how}, after {self.seconds:.1f} s" + (f": {self.detail}" if self.detail else "")


def read_with_library(
    image_path: Path,
    *,
    dpi: int,
    language: str,
    psm: int,
    tessdata_dir: Path | None,
    timeout: float,
    source: Path | None,
) -> LibraryReading:
    """Read one page image (binary PBM/PGM/PPM) in a worker; raises ``LibraryUnavailable`` when libtesseract
    cannot be used here, ``BadInputError`` when Tesseract fails on this page, ``StageError`` on a timeout.

    A worker that dies with the page is replaced by a fresh one, which reads the page once more: a worker killed
    from outside (the OOM killer's SIGKILL, a SIGTERM) says nothing about the page. Only when the fresh worker
    dies too is the page given up: ``BadInputError`` when it crashed (SIGSEGV, SIGABRT…: the page made Tesseract
    fail twice), ``StageError`` when it was killed from outside again (the machine's fault: the document fails and
    the rerun reads it)."""
    named = source or image_path
    worker = _pool.take(language, tessdata_dir)
    try:
        return _read_once(worker, image_path, dpi, psm, timeout, named, language, tessdata_dir)
    except _WorkerDied as died:
        first = died
        # a Ctrl-C to the whole job (a terminal's) ends the workers with the command: the page is read again, for a
        # batch finishes the documents in flight when stopped, but that is no news to warn of (QA141 F10: two
        # warnings on each Ctrl-C of `sohoa ocr`)
        log.log(
            logging.DEBUG if died.code == -signal.SIGINT else logging.WARNING,
            "%s: tiến trình Tesseract (pid %d) dừng khi đang đọc trang (%s); đọc lại bằng một tiến trình mới / the "
            "Tesseract worker (pid %d) ended while reading the page (%s); reading it again in a fresh one",
            named.name,
            worker.process.pid,
            first.said(),
            worker.process.pid,
            first.said(),
        )
    fresh = _pool._start(language, tessdata_dir)  # started here, so that its exit code can be known
    try:
        return _read_once(fresh, image_path, dpi, psm, timeout, named, language, tessdata_dir)
    except _WorkerDied as second:
        if killed_from_outside(second.code) or second.code is None:
            # Ctrl-C or SIGTERM sent to the whole job, again (QA143 F5: a stopped batch's document failed "out of
            # memory? the OOM killer"); SIGKILL is the OOM killer's
            if second.code in (-signal.SIGINT, -signal.SIGTERM):
                why = "stopped with the job (Ctrl-C, SIGTERM)"
            else:
                why = "ended from outside (out of memory? the OOM killer)"
            raise StageError(
                f"{named.name}: the Tesseract worker ended twice while reading a page ({second.said()}; the first "
                f"time {first.said()}): {why}, not because of the scan; rerun it"
            ) from None
        from ocr.tesseract import tesseract_broken  # that module imports this one

        broken = tesseract_broken(language, tessdata_dir)  # the same libtesseract: failing on a test page, the machine
        if broken is not None:
            raise StageError(broken) from None
        raise BadInputError(
            named,
            Problem.OCR_FAILED,
            f"Tesseract stopped on this page twice ({second.said()}; the first time {first.said()})",
        ) from None


def _read_once(
    worker: _Worker,
    image_path: Path,
    dpi: int,
    psm: int,
    timeout: float,
    named: Path,
    language: str,
    tessdata_dir: Path | None,
) -> LibraryReading:
    """One try at a page in ``worker``: ``_WorkerDied`` when the worker ends (or its pipe breaks) with the page."""
    started = time.monotonic()
    try:
        # absolute: a worker keeps the folder it was started in (a `sohoa ocr-server` child's began in the server's)
        worker.send({"image": os.path.abspath(image_path), "dpi": dpi, "psm": psm})
        worker.pages += 1
        answer = worker.receive(timeout)
    except TimeoutError:
        worker.stop()
        raise StageError(f"{named.name}: Tesseract timed out after {timeout:.0f}s") from None
    except (OSError, ValueError) as exc:  # a broken pipe, or a line that is not JSON: the worker is gone
        worker.stop()
        raise _WorkerDied(_exit_code(worker), time.monotonic() - started, f"{exc}"[:120]) from exc
    if answer is None:
        worker.stop()
        raise _WorkerDied(_exit_code(worker), time.monotonic() - started)
    _pool.give_back(worker, language, tessdata_dir)
    if "error" in answer:
        raise BadInputError(named, Problem.OCR_FAILED, str(answer["error"])[:200])
    return LibraryReading(
        width=int(answer["width"]),
        height=int(answer["height"]),
        words=[
            (
                str(text),
                float(confidence),
                int(left),
                int(top),
                int(width),
                int(height),
                int(block),
                int(par),
                int(line),
            )
            for text, confidence, left, top, width, height, block, par, line in answer["words"]
        ],
        engine=f"libtesseract {worker.version}".strip(),
    )


def _exit_code(worker: _Worker) -> int | None:
    """A stopped worker's exit code; None for one handed over by another process (its parent collects it)."""
    return None if isinstance(worker.process, _HandedOver) else worker.process.returncode
