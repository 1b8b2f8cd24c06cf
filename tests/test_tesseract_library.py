"""Pages read by long-lived libtesseract workers (ocr.tesseract_library): the same words as the tesseract
command, and a worker's crash, hang or bad image costs one page, never the process that asked."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil
import pytest
from PIL import Image

from ocr import tesseract_library
from ocr.tesseract import PageReading, read_page
from ocr.tesseract_library import LibraryUnavailable, read_with_library
from sohoa.errors import BadInputError, Problem, StageError
from tests.test_ocr import scan_page

ROOT = Path(__file__).resolve().parent.parent


def tess_workers() -> list[psutil.Process]:
    """This process's live Tesseract workers."""
    return [
        child
        for child in psutil.Process().children()
        if child.is_running()
        and child.status() != psutil.STATUS_ZOMBIE
        and any("tess_worker.py" in part for part in child.cmdline())
    ]


@pytest.fixture(autouse=True)
def no_idle_workers() -> Iterator[None]:
    """Each test starts and ends without workers left idle by other tests in this process."""
    tesseract_library._pool.close()
    yield
    tesseract_library._pool.close()


@pytest.fixture
def page(tmp_path: Path) -> Path:
    folder = tmp_path / "hồ sơ xã Hợp Tiến"  # a Vietnamese path travels to the worker and back in errors
    folder.mkdir()
    path = folder / "trang.pgm"
    with Image.open(scan_page(folder / "trang.png")) as image:
        image.convert("L").save(path)
    return path


def read(path: Path, engine: str = "library", source: Path | None = None) -> PageReading:
    return read_page(path, path.with_name(f"tsv-{engine}"), dpi=300, engine=engine, source=source)


@pytest.mark.parametrize("mode", ["L", "1", "RGB"])  # PGM, PBM, PPM: what the OCR stage writes for Tesseract
def test_library_reads_exactly_the_words_of_the_tesseract_command(page: Path, mode: str) -> None:
    path = page.with_name(f"trang-{mode}" + {"L": ".pgm", "1": ".pbm", "RGB": ".ppm"}[mode])
    with Image.open(page) as image:
        image.convert(mode).save(path)
    by_library, by_command = read(path), read(path, "command")
    assert by_library == by_command  # words, boxes, confidences, block/paragraph/line numbers, page size
    # the record names what read the page (same Debian package: the same version)
    assert by_library.engine == "libtesseract " + by_command.engine.removeprefix("tesseract ")
    assert "THÔNG BÁO" in by_library.text()


def lines_on_paper(
    size: tuple[int, int], font_size: int, origin: tuple[int, int], pitch: int, copies: int
) -> Image.Image:
    """A page of ``size`` pixels, paper at 250: two lines of a civil-status decision ``copies`` times, in print at 20,
    Liberation Serif ``font_size`` pixels, from ``origin``, a line every ``pitch`` pixels."""
    from PIL import ImageDraw, ImageFont

    image = Image.new("L", size, 250)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf", font_size)
    lines = [
        "Điều 1. Cho phép cải chính nội dung trong sổ đăng ký khai sinh",
        "của ông Nguyễn Văn Thưởng, thôn Đông Xuyên.",
    ]
    for index, line in enumerate(lines * copies):
        draw.text((origin[0], origin[1] + pitch * index), line, font=font, fill=20)
    return image


@pytest.mark.parametrize("mode", ["L", "1", "RGB"])
def test_a_worker_reads_only_where_the_page_has_ink_its_boxes_on_the_whole_page(tmp_path: Path, mode: str) -> None:
    """The worker asks Tesseract to read only the rectangle where the page has ink (``ink_rectangle``): its
    thresholding and layout analysis ran over the margins too (~5 % of a page's CPU). The words and their boxes
    are the command's, which reads the whole image, in the whole image's pixels."""
    from ocr.tess_worker import ink_rectangle, read_pnm

    image = lines_on_paper((2480, 3508), 46, (700, 1500), 72, 3)
    path = tmp_path / ("trang" + {"L": ".pgm", "1": ".pbm", "RGB": ".ppm"}[mode])
    image.convert(mode, dither=Image.Dither.NONE).save(path)
    left, top, width, height = ink_rectangle(*read_pnm(str(path)), dpi=300) or (0, 0, 0, 0)
    assert 600 < left < 700 and 1400 < top < 1500 and width < 1800 and height < 600, (left, top, width, height)
    by_library, by_command = read(path), read(path, "command")
    assert by_library.text() == by_command.text() and "Nguyễn Văn Thưởng" in by_library.text()
    for ours, theirs in zip(by_library.words, by_command.words, strict=True):
        assert abs(ours.left - theirs.left) <= 2 and abs(ours.top - theirs.top) <= 2, (ours, theirs)
    Image.new("L", (100, 100), 255).save(blank := tmp_path / "blank.pgm")
    assert ink_rectangle(*read_pnm(str(blank)), dpi=300) is None  # no ink: read whole, as before


def test_a_page_with_ink_from_edge_to_edge_is_read_as_the_command_reads_it(tmp_path: Path) -> None:
    """QA157 F1: a rectangle as wide as the image but not as tall — a letterhead's rule drawn edge to edge, a
    tight-cropped scan, a scanner's dark top edge — made Tesseract read junk (156 words right → 8). Such a
    rectangle is one pixel narrower, and reads as the whole image does."""
    from PIL import ImageDraw

    from ocr.tess_worker import ink_rectangle, read_pnm

    image = lines_on_paper((1654, 2339), 33, (200, 300), 50, 4)
    ImageDraw.Draw(image).rectangle((0, 200, 1653, 203), fill=20)  # the rule, edge to edge
    path = tmp_path / "trang.pgm"
    image.save(path)
    rectangle = ink_rectangle(*read_pnm(str(path)), dpi=200)
    assert rectangle is not None and rectangle[0] == 0 and rectangle[2] == 1653, rectangle
    by_library = read_page(path, tmp_path / "tsv-library", dpi=200, engine="library")
    by_command = read_page(path, tmp_path / "tsv-command", dpi=200, engine="command")
    assert by_library.text() == by_command.text() and by_library.text().count("Nguyễn Văn Thưởng") == 4


def test_a_worker_reads_page_after_page_and_is_replaced_after_its_quota(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    read(page)
    (worker,) = tess_workers()
    read(page)
    assert [w.pid for w in tess_workers()] == [worker.pid]  # the same process, the model loaded once
    monkeypatch.setattr(tesseract_library, "PAGES_PER_WORKER", 1)
    read(page)
    worker.wait(10)  # retired after its quota
    read(page)
    assert [w.pid for w in tess_workers()] != [worker.pid]


def long_page_of(page: Path) -> Path:
    """Four times the text of ``page``: a few seconds inside Tesseract, time to kill its worker while it reads."""
    long_page = page.with_name("dài.pgm")
    with Image.open(page) as image:
        tall = Image.new("L", (image.width, image.height * 4), 250)
        for index in range(4):
            tall.paste(image, (0, index * image.height))
        tall.save(long_page)
    return long_page


def kill_workers_while_reading(monkeypatch: pytest.MonkeyPatch, sig: int, times: int) -> list[int]:
    """From now on, the first ``times`` workers handed a page are sent ``sig`` for real once they are well inside
    Tesseract with it (0.3 s of CPU after the request); returns the pids signalled, as they are."""
    signalled: list[int] = []
    send = tesseract_library._Worker.send

    def kill_when_busy(pid: int) -> None:
        worker = psutil.Process(pid)
        busy_before = sum(worker.cpu_times()[:2])
        deadline = time.monotonic() + 30
        with contextlib.suppress(psutil.NoSuchProcess):
            while sum(worker.cpu_times()[:2]) < busy_before + 0.3:
                if time.monotonic() > deadline:
                    return  # never that busy: not killed (the test's count of kills says so)
                time.sleep(0.02)
            worker.send_signal(sig)
            signalled.append(pid)

    def send_then_kill(self: tesseract_library._Worker, request: dict[str, object]) -> None:
        send(self, request)
        if len(killers) < times:
            killers.append(threading.Thread(target=kill_when_busy, args=(self.process.pid,), daemon=True))
            killers[-1].start()

    killers: list[threading.Thread] = []
    monkeypatch.setattr(tesseract_library._Worker, "send", send_then_kill)
    return signalled


def test_a_worker_killed_from_outside_is_replaced_and_the_page_read_again(
    page: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: the OOM killer's SIGKILL on a worker quarantined a good scan as "Tesseract could not read this page
    image (exit code -9)". A signal from outside says nothing about the page: a fresh worker reads it."""
    long_page = long_page_of(page)
    killed = kill_workers_while_reading(monkeypatch, signal.SIGKILL, 1)
    reading = read(long_page, source=Path("hồ sơ 7.pdf"))
    assert len(killed) == 1
    assert reading.text().count("THÔNG BÁO") == 4  # the whole page, read by the fresh worker
    assert "killed by SIGKILL" in caplog.text and "reading it again in a fresh one" in caplog.text
    assert [w.pid for w in tess_workers()] != killed  # the fresh one, idle for the next page


def test_a_worker_ended_by_a_terminals_ctrl_c_is_replaced_without_a_warning(
    page: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """QA141 F10: a Ctrl-C at a terminal goes to the whole job, its Tesseract workers too; each page they had was
    read again (a batch finishes its documents in flight), with a warning that a worker "ended while reading the
    page", two per Ctrl-C of `sohoa ocr`. The page is still read again, without the warning."""
    long_page = long_page_of(page)
    killed = kill_workers_while_reading(monkeypatch, signal.SIGINT, 1)
    reading = read(long_page, source=Path("hồ sơ 7.pdf"))
    assert len(killed) == 1
    assert reading.text().count("THÔNG BÁO") == 4  # read again, whole
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING and "fresh one" in r.getMessage()]


def test_a_page_sent_to_a_worker_already_dead_is_read_by_a_fresh_one(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under a loaded test suite, a watcher stopped by SIGTERM to its process group quarantined a good scan,
    "processing failed (BrokenPipeError)": the page was sent to a worker the signal had just ended, and putting
    the dead worker away flushed the request to its closed pipe again. A worker gone is the worker's end, not
    the scan's fault: the page goes to a fresh one (and a stop, when one was asked, ends the document)."""
    send = tesseract_library._Worker.send
    dead: list[int] = []

    def send_to_the_dead(self: tesseract_library._Worker, request: dict[str, object]) -> None:
        if not dead:  # the first worker dies just before its page reaches it
            self.process.kill()
            self.process.wait()
            dead.append(self.process.pid)
        send(self, request)

    monkeypatch.setattr(tesseract_library._Worker, "send", send_to_the_dead)
    assert "THÔNG BÁO" in read(page).text()
    assert dead and dead[0] not in [w.pid for w in tess_workers()]


def test_a_worker_killed_from_outside_twice_fails_the_page_for_the_rerun(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_page = long_page_of(page)
    killed = kill_workers_while_reading(monkeypatch, signal.SIGKILL, 2)
    with pytest.raises(StageError) as caught:
        read(long_page, source=Path("hồ sơ 7.pdf"))
    assert len(killed) == 2
    assert "hồ sơ 7.pdf" in str(caught.value) and "SIGKILL" in str(caught.value)
    assert "not because of the scan" in str(caught.value) and "OOM killer" in str(caught.value)
    monkeypatch.undo()
    assert "THÔNG BÁO" in read(page).text()  # and the next page is read


def test_workers_ended_twice_by_a_stop_say_so_not_the_oom_killer(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """QA143 F5: Ctrl-C pressed again and again at a terminal ends the workers each time; a document of a stopped
    batch then failed "out of memory? the OOM killer". It is the stop, and says so. Sent as SIGTERM, which a stop
    sends them too: a suite started in the background ignores SIGINT, and so do the workers it starts."""
    long_page = long_page_of(page)
    killed = kill_workers_while_reading(monkeypatch, signal.SIGTERM, 2)
    with pytest.raises(StageError) as caught:
        read(long_page, source=Path("hồ sơ 7.pdf"))
    assert len(killed) == 2
    assert "stopped with the job (Ctrl-C, SIGTERM)" in str(caught.value) and "OOM" not in str(caught.value)


def test_a_worker_crashing_once_on_a_page_is_retried(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_page = long_page_of(page)
    kill_workers_while_reading(monkeypatch, signal.SIGSEGV, 1)
    assert read(long_page).text().count("THÔNG BÁO") == 4


def test_a_page_that_crashes_tesseract_twice_is_the_scans_fault(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    long_page = long_page_of(page)
    killed = kill_workers_while_reading(monkeypatch, signal.SIGSEGV, 2)  # what a Tesseract bug on a hostile page does
    with pytest.raises(BadInputError) as caught:
        read(long_page, source=Path("hồ sơ 7.pdf"))
    assert len(killed) == 2
    assert caught.value.problem is Problem.OCR_FAILED
    assert caught.value.path == Path("hồ sơ 7.pdf")
    assert "stopped on this page twice (killed by SIGSEGV" in caught.value.detail
    monkeypatch.undo()
    assert "THÔNG BÁO" in read(page).text()  # a fresh worker reads the next page


def test_a_tesseract_command_killed_from_outside_is_run_again(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command engine (SOHOA_TESSERACT_ENGINE=command) the same way: a ``tesseract`` killed by SIGKILL once is
    run again; twice, a StageError; SIGSEGV twice, the page's fault."""
    import pytesseract.pytesseract as pt

    runs: list[int] = []
    popen = subprocess.Popen

    def killed_tesseract(times: int, sig: int) -> Any:
        def start(args: Any, **kwargs: Any) -> subprocess.Popen[bytes]:
            process = popen(args, **kwargs)
            if len(runs) < times:
                runs.append(process.pid)
                process.send_signal(sig)  # the real tesseract process, killed before it answers
            return process

        return start

    runs.clear()
    monkeypatch.setattr(pt.subprocess, "Popen", killed_tesseract(1, signal.SIGKILL))
    assert "THÔNG BÁO" in read(page, "command").text() and len(runs) == 1
    runs.clear()
    monkeypatch.setattr(pt.subprocess, "Popen", killed_tesseract(2, signal.SIGKILL))
    with pytest.raises(StageError, match="SIGKILL"):
        read(page, "command", source=Path("hồ sơ 7.pdf"))
    runs.clear()
    monkeypatch.setattr(pt.subprocess, "Popen", killed_tesseract(2, signal.SIGSEGV))
    with pytest.raises(BadInputError, match="twice"):
        read(page, "command", source=Path("hồ sơ 7.pdf"))


def test_a_hung_worker_times_out_and_is_killed(page: Path) -> None:
    read(page)
    (worker,) = tess_workers()
    with pytest.raises(StageError, match="timed out"):
        read_with_library(page, dpi=300, language="vie", psm=3, tessdata_dir=None, timeout=0.05, source=None)
    assert not worker.is_running()  # killed and reaped
    assert tess_workers() == []


def test_an_unreadable_page_image_is_refused_and_the_worker_goes_on(page: Path, tmp_path: Path) -> None:
    read(page)
    (worker,) = tess_workers()
    broken = tmp_path / "hỏng.pgm"
    broken.write_bytes(b"P5\n100 100\n255\n")  # no pixels
    with pytest.raises(BadInputError) as caught:
        read(broken)
    assert caught.value.problem is Problem.OCR_FAILED
    with pytest.raises(BadInputError):
        read(tmp_path / "missing.pgm")
    assert [w.pid for w in tess_workers()] == [worker.pid]


def test_without_the_library_pages_are_read_by_the_command(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A real failure to start a worker: language data that is not there (the pool then asks no more).
    pool = tesseract_library._Pool()
    monkeypatch.setattr(tesseract_library, "_pool", pool)
    with pytest.raises(LibraryUnavailable, match="language"):
        read_with_library(page, dpi=300, language="vie", psm=3, tessdata_dir=page.parent, timeout=60, source=None)
    assert tess_workers() == []
    # Simulated: libtesseract missing on this host (it is installed here); read_page must fall back.
    pool.unavailable[("vie", "")] = "libtesseract.so.5: cannot open shared object file"
    fallback = read(page)
    assert fallback == read(page, "command")
    assert fallback.engine.startswith("tesseract 5")
    assert tess_workers() == []


def test_a_library_that_cannot_start_is_said_once_by_workers_started_ahead_together(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA: `sohoa ocr --language xyz` logged "libtesseract unavailable" twice: both workers started ahead failed. A
    language without data is no longer said so (tests/test_ocr_small_pages.py): the library's own failure is, once."""
    failing = [sys.executable, "-c", 'print(\'{"error": "libtesseract.so.5: cannot open shared object file"}\')']
    monkeypatch.setattr(tesseract_library, "worker_command", lambda language, tessdata_dir: (failing, {}))
    pool = tesseract_library._Pool()
    with caplog.at_level(logging.WARNING, logger=tesseract_library.__name__):
        pool.start_ahead("vie", None, count=2)
        deadline = time.monotonic() + 60
        with pool.lock:
            while pool.starting.get(("vie", "")):
                assert time.monotonic() < deadline
                pool.lock.wait(1)
        with pytest.raises(LibraryUnavailable, match="cannot open shared object file"):
            pool.take("vie", None)
    said = [r.getMessage() for r in caplog.records if "libtesseract unavailable" in r.getMessage()]
    assert len(said) == 1 and "cannot open shared object file" in said[0], said
    assert tess_workers() == []


def test_workers_end_with_the_process_that_started_them(page: Path) -> None:
    program = textwrap.dedent(
        f"""
        import os, sys, time
        from pathlib import Path
        from ocr.tesseract import PageReading, read_page
        read_page(Path({str(page)!r}), Path({str(page)!r} + "-tsv"), dpi=300)
        print("read", flush=True)
        time.sleep(60)
        """
    )
    parent = subprocess.Popen([sys.executable, "-c", program], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "read"
        (worker,) = [c for c in psutil.Process(parent.pid).children() if "tess_worker.py" in " ".join(c.cmdline())]
        os.kill(parent.pid, signal.SIGKILL)  # no atexit, no cleanup: only the closed pipe tells the worker
        parent.wait(10)
        worker.wait(10)  # raises if the worker is still there after 10 s
        assert not worker.is_running()
    finally:
        parent.kill()
        parent.wait()
        if parent.stdout is not None:
            parent.stdout.close()


def test_a_forked_child_starts_its_own_worker(page: Path) -> None:
    read(page)
    (parents,) = tess_workers()
    child = os.fork()
    if child == 0:  # the child: its own worker, never the parent's (both would read one pipe)
        try:
            reading = read(page)
            (own,) = tess_workers()
            ok = own.pid != parents.pid and "THÔNG BÁO" in reading.text()
        except BaseException:
            ok = False
        os._exit(0 if ok else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert [w.pid for w in tess_workers()] == [parents.pid]  # the parent's worker is untouched and still its own
    assert "THÔNG BÁO" in read(page).text()


def test_a_worker_started_ahead_is_the_one_that_reads(page: Path) -> None:
    tesseract_library.start_workers_ahead("vie", None)
    reading = read(page)  # at once: waits for the worker being started rather than starting a second one
    (worker,) = tess_workers()
    assert "THÔNG BÁO" in reading.text()
    tesseract_library.start_workers_ahead("vie", None)  # one is idle: nothing more is started
    time.sleep(0.5)
    assert [w.pid for w in tess_workers()] == [worker.pid]
    tesseract_library.start_workers_ahead("vie", None, count=2)  # one idle, one more started
    time.sleep(0.5)
    pair = tess_workers()
    assert len(pair) == 2 and worker.pid in [w.pid for w in pair]
    with ThreadPoolExecutor(2) as both:  # two bands at once: each reads in one of them, none is started
        readings = list(both.map(read, [page, page]))
    assert all("THÔNG BÁO" in r.text() for r in readings)
    assert sorted(w.pid for w in tess_workers()) == sorted(w.pid for w in pair)


def test_an_idle_worker_handed_over_reads_on_for_its_new_owner(page: Path) -> None:
    """`sohoa ocr-server` lends loaded workers to the child running a command, which hands them back: the
    descriptors move, the worker (and its loaded model) stays; one past its quota is ended, not handed over."""
    first = read(page)
    (worker,) = tess_workers()
    (handle,) = tesseract_library.surrender_idle_workers()
    assert handle.pid == worker.pid and handle.pages == 1 and (handle.language, handle.tessdata_dir) == ("vie", "")
    assert not tesseract_library._pool.idle.get(tesseract_library.pool_key("vie", None))
    tesseract_library.adopt_workers([handle])  # here by this process, as by a child of the server
    assert read(page).words == first.words  # read by the same worker: none was started
    assert [w.pid for w in tess_workers()] == [worker.pid]
    (again,) = tesseract_library._pool.idle[tesseract_library.pool_key("vie", None)]
    assert again.pages == 2
    again.pages = tesseract_library.PAGES_PER_WORKER
    assert tesseract_library.surrender_idle_workers() == []  # past its quota: ended instead
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    os.waitpid(worker.pid, 0)  # it was this process's child all along


def test_a_worker_left_idle_is_ended_and_the_next_page_starts_another(
    page: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tesseract_library, "IDLE_SECONDS", 1.0)
    assert "THÔNG BÁO" in read(page).text()
    (worker,) = tess_workers()
    deadline = time.monotonic() + 10
    while tess_workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert tess_workers() == []  # ended after a second idle, not at the process's exit
    assert not worker.is_running() or worker.status() == psutil.STATUS_ZOMBIE
    assert "THÔNG BÁO" in read(page).text()  # a fresh worker reads the next page
    (fresh,) = tess_workers()
    assert fresh.pid != worker.pid


def test_a_busy_worker_is_not_ended_while_idle_ones_are(page: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tesseract_library, "IDLE_SECONDS", 1.5)
    read(page)
    (worker,) = tess_workers()
    for _ in range(4):  # a page every ~0.6 s: never idle for 1.5 s
        time.sleep(0.6)
        read(page)
    assert [w.pid for w in tess_workers()] == [worker.pid]


def test_no_more_workers_start_than_the_pages_and_the_slots_can_keep_busy(tmp_path: Path) -> None:
    """QA68: `sohoa ocr --workers 32` on a 2-page scan started 32 workers (1.3 GB), `--workers 1000` ran out of
    the descriptors select() watches and printed 642 tracebacks. A one-page scan read whole needs one worker,
    whatever ``workers`` says; and no host starts more than its Tesseract slots."""
    from ocr import ocr_document
    from sohoa.settings import load_settings

    result = ocr_document(scan_page(tmp_path / "trang.png"), tmp_path / "out.pdf", workers=8, bands=1)
    assert "THÔNG BÁO" in result.text
    assert len(tess_workers()) == 1
    settings = load_settings(ocr_workers=8, tesseract_slots=2)
    assert settings.workers_to_start_ahead == 2  # what `sohoa ocr` and the OCR server start before a document
