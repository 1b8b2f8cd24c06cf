"""The ``sohoa`` command line.

Exit codes (every command):
  0  success: everything archived / read / signed / verified and trusted
  1  done, but something is not right: a file quarantined, a signature not valid or not trusted
  2  usage error: bad option, missing file (the file is named)
  3  a fault outside the input (Tesseract missing, archive not writable): fix the machine and rerun
"""

from __future__ import annotations

import codecs
import contextlib
import errno
import gc
import io
import json
import logging
import os
import select
import shlex
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.cells import cell_len
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.table import Table
from typer._click import exceptions as click_exceptions  # typer ships its own Click; its errors are these
from typer.core import TyperGroup

from flows.commands_storage import ARCHIVE_HELP
from sohoa.errors import (
    BadInputError,
    InputChangedError,
    SohoaError,
    StageError,
    machine_fault,
    machine_fault_words,
)
from sohoa.fsutil import (
    OneLineRecords,
    escaped,
    existing_spelling,
    file_identity,
    one_line,
    printable,
    spelled_output,
)
from sohoa.settings import Settings, load_settings
from sohoa.settings_problem import configuration_problem

if TYPE_CHECKING:  # imported where used: ~0.05 s (urllib, http.client) that `sohoa ocr` and `sohoa sign` never need
    from collections.abc import Iterable

    from rich.progress import Progress
    from rich.segment import Segment
    from rich.text import Text

    from flows.pipeline import BatchReport, DocumentResult
    from flows.prefect_server import TemporaryPrefectServer
    from sohoa.record import OcrResult, PageOcr

EXIT_OK, EXIT_NOT_RIGHT, EXIT_USAGE, EXIT_FAULT = 0, 1, 2, 3
EXIT_PIPE_CLOSED = 128 + 13  # stdout's reader went away: what a shell says of a command SIGPIPE ended


class VerboseAnywhereGroup(TyperGroup):
    """The `sohoa` group: -v/--verbose is taken after the command too (`sohoa process -v x.pdf`, `sohoa review list
    -v`), not only before it (`sohoa -v process x.pdf`), where people put it as often. It is moved in front of the
    command before parsing, up to a `--` (after which everything is an argument)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        end = args.index("--") if "--" in args else len(args)
        flags = [a for a in args[:end] if a in VERBOSE_FLAGS]
        if flags:
            args = ["--verbose", *(a for a in args[:end] if a not in VERBOSE_FLAGS), *args[end:]]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: Any) -> Any:
        """Run the command; a Ctrl-C it does not handle itself (`sohoa verify` of a whole archive, `sohoa list`, any
        command before its own stop takes over) is said, with 130: typer ended such a command with 130 and not a
        word. (`process`, `ocr` and `watch` say more: what they did and what is left.)"""
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt as stop:
            from flows.stopping import exit_code_of, said_signal

            raise _fail(f"đã dừng ({said_signal(stop)}) / stopped ({said_signal(stop)})", exit_code_of(stop)) from None


VERBOSE_FLAGS = ("-v", "--verbose")


app = typer.Typer(
    cls=VerboseAnywhereGroup,
    name="sohoa",
    help=(
        "Số hóa: scanned Vietnamese commune records → OCR'd (Tesseract vie), classified (Decree 30/2020), "
        "signed (PAdES) and archived PDFs.\n\n"
        "Examples:\n\n"
        "  sohoa process samples/            # the whole pipeline on a folder\n\n"
        "  sohoa verify var/archive/2025/QĐ/*/document.pdf\n\n"
        "Exit codes: 0 ok; 1 something quarantined / not valid; 2 usage error; 3 fault outside the input."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
err: Console
out: Console
# Set by a command given --json (`_errors_as_json`): its errors then go to stdout too, as the JSON object
# {"path", "error", "exit_code"} — the form of a file's error in `sohoa verify --json` — so that a script reading
# stdout always gets JSON, also when the input is bad. Reset for each command by the app's callback.
errors_as_json = False


def reopen_consoles() -> None:
    """Rich's consoles, measured against this process's standard output and error (again in a child of
    `sohoa ocr-server`, whose descriptors are its caller's)."""
    global err, out
    err = _LineConsole(stderr=True)
    # when piped (CI logs, files) rich would wrap tables at 80 columns: give them room instead
    out = _LineConsole(width=None if sys.stdout.isatty() else 200)


class _LineConsole(Console):
    """A console whose lines of text are never cut by a newline at its width (tables still are laid out to it):
    rich cut a path in two, mid-word, wherever the width fell — 80 columns on stderr into a log file, 200 on stdout
    into a pipe — and a path copied back, or a list of written files read by a script, was wrong (QA). The
    terminal wraps a long line on screen; copied, it is one line."""

    def print(self, *objects: Any, **kwargs: Any) -> None:
        if "soft_wrap" not in kwargs and all(isinstance(o, str) for o in objects):
            kwargs["soft_wrap"] = True
        super().print(*objects, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """``text`` as the stream will write it: on one that cannot hold Vietnamese (PYTHONIOENCODING=ascii,
        latin-1, cp1258) a letter it lacks is written ``\\u1ebf``; escaped here, before a table is laid out, the
        table is measured with the width it is written in (QA80: each escaped letter pushed its row out of line)."""
        return super().render_str(written_as(text, self.encoding), **kwargs)

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        """The text to write; where the stream cannot hold "…", the one Rich puts at the end of a cell it cut is
        written ".": escaped after the table was laid out (``\\u2026``), it pushed its row five columns out of line
        (QA83: `audit` under PYTHONIOENCODING=ascii)."""
        text = super()._render_buffer(buffer)
        if "…" in text and not _holds("…", self.encoding):
            text = text.replace("…", ".")
        return text

    def on_broken_pipe(self) -> None:
        """As Rich does (quiet, the rest of the output into /dev/null), but not with exit 1, the code of audit,
        verify and ledger verify for "problems found": `sohoa audit | head -1` failed a clean audit (QA80)."""
        self.quiet = True
        if self.stderr:  # only the messages' reader went away: the command goes on, its output and exit code its own
            return
        _output_to_devnull()
        raise SystemExit(EXIT_PIPE_CLOSED)


def written_as(text: str, encoding: str) -> str:
    """``text`` as a stream in ``encoding`` that escapes what it cannot encode (``backslashreplace``) writes it —
    but for "…", written "..." where the stream cannot hold it (a search snippet's leading `…năm` read `\\u2026năm`)."""
    try:
        if codecs.lookup(encoding).name.startswith("utf"):
            return text
    except LookupError:  # a name Python does not know: the stream will say so itself
        return text
    if "…" in text and not _holds("…", encoding):
        text = text.replace("…", "...")
    return text.encode(encoding, "backslashreplace").decode(encoding)


def _holds(text: str, encoding: str) -> bool:
    """Whether a stream in ``encoding`` writes ``text`` as it is."""
    try:
        text.encode(encoding)
    except UnicodeEncodeError:
        return False
    return True


def shown_text(plain: str) -> Text:
    """A ``Text`` of ``plain`` for ``out`` to lay out, written as its stream writes it (``written_as``): the console
    escapes the strings it is given before a table is laid out, not a ``Text`` built by hand (QA85 L10: `search`'s
    snippets pushed their rows 5–15 columns out of line under PYTHONIOENCODING=ascii)."""
    from rich.text import Text

    return Text(written_as(plain, out.encoding))


def _output_to_devnull() -> None:
    """Standard output's reader went away: what is still written goes nowhere (Python's flush at exit would
    otherwise say "Exception ignored … BrokenPipeError" on stderr)."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.__stdout__.fileno())  # type: ignore[union-attr]


def _stdout_reader_gone() -> bool:
    """Whether standard output is a pipe whose reader has closed it (the write end then polls as an error): a
    BrokenPipeError from anything else — a child process, a socket — is no reason to end quietly."""
    try:
        poller = select.poll()
        poller.register(sys.__stdout__.fileno(), select.POLLOUT)  # type: ignore[union-attr]
        return any(events & select.POLLERR for _, events in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _closed_streams_to_devnull() -> None:
    """A standard stream closed by its caller (`sohoa list >&-`, a service started without one) is None in Python:
    the consoles failed on it with an AttributeError and a traceback (QA82). What would go there goes nowhere."""
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, open(os.devnull, "w", encoding="utf-8"))  # noqa: SIM115  (for the process's life)


_closed_streams_to_devnull()
reopen_consoles()


def _version(value: bool) -> None:
    if value:
        from sohoa import version_said

        print(version_said())
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every stage.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    global errors_as_json
    errors_as_json = False
    _configure_logging(verbose)


def _configure_logging(verbose: bool) -> None:
    level = logging.INFO if verbose else logging.WARNING
    handler: logging.Handler
    if sys.stderr.isatty():
        # times as officers write days (the default "[12/01/26 …]" read month first)
        handler = RichHandler(console=err, show_path=False, show_time=verbose, log_time_format=_log_time_on_screen)
        # RichHandler shows the level and time in its own columns; without a formatter of its own basicConfig
        # gave it Python's "%(levelname)s:%(name)s:" one, and a terminal read "INFO     INFO:sohoa:…" (QA)
        handler.setFormatter(logging.Formatter("%(message)s"))
    else:
        # into a file or a journal (a watcher as a service): one line per message, as RichHandler lays it out on
        # a terminal but never wrapped — RichHandler cut each line at 80 columns, mid-path (QA)
        handler = _StderrHandler()
        handler.setFormatter(
            _VietnamTimeFormatter(("[%(asctime)s] " if verbose else "") + "%(levelname)-8s %(message)s")
        )
    handler.addFilter(OneLineRecords())  # a file name with a newline in it made one record two lines
    logging.basicConfig(level=level, handlers=[handler], force=True)
    logging.getLogger("sohoa").setLevel(logging.INFO)
    # a line per stage of each document (flows.pipeline.stage_log) with -v only; the per-file lines always
    logging.getLogger("sohoa.stages").setLevel(logging.INFO if verbose else logging.WARNING)
    # pyHanko and pdfminer are chatty at INFO about things an officer cannot act on; urllib3 (the S3 client) warns
    # "Retrying (Retry(total=…))" at every retry of a request while the S3 server is down: sohoa says so itself
    # once per archive attempt (flows.pipeline.retry_transient), and -v shows urllib3's lines too
    # Python warnings of the libraries (cryptography about a certificate it parsed, …) are log lines, not raw text
    # with a source line on stderr; `sohoa verify` turns those about the file into words on its result
    logging.captureWarnings(True)
    # pikepdf says at INFO that its C++ logger bridge is up (QA72: an English line an officer read)
    for noisy in ("pyhanko", "pyhanko_certvalidator", "pdfminer", "urllib3", "py.warnings", "pikepdf"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)
    # fontTools says at INFO each table it cut from a twin font (sohoa.font_twins): 14 lines a font with -v ("maxp
    # pruned"), nothing an officer or operator can act on
    logging.getLogger("fontTools").setLevel(logging.WARNING)
    # httpx says every request to the Prefect server at INFO: with -v, 12 of 22 lines for one document (QA84)
    logging.getLogger("httpx").setLevel(logging.WARNING if verbose else logging.ERROR)
    # Prefect's queue services (named by their class) send this process's events and run logs to its server and,
    # as the process exits, say "Still processing items: 1 items remaining..." as a WARNING — after the summary,
    # where it read like a document left unprocessed (QA). Said in words with -v, else not at all.
    for service in ("EventsWorker", "APILogWorker"):
        service_logger = logging.getLogger(service)
        for old in [f for f in service_logger.filters if isinstance(f, _PrefectDrainNote)]:
            service_logger.removeFilter(old)
        service_logger.addFilter(_PrefectDrainNote(verbose))


# The log's times in Vietnam time, the zone said: a server runs in UTC, and its log said "02/12/2026 20:49" beside
# reports of the same batch saying "03/12/2026 03:49" (Vietnam time, as officers read them): another day (QA80)
LOG_TIME_FORMAT = "%d/%m/%Y %H:%M:%S +07"


def log_time(created: float) -> str:
    """A log record's time (``record.created``) as the log says it."""
    from sohoa.vietnamese import VN_TZ

    return datetime.fromtimestamp(created, VN_TZ).strftime(LOG_TIME_FORMAT)


def _log_time_on_screen(when: datetime) -> Text:
    """RichHandler's column of times (it gives the machine's local time, without its zone)."""
    from rich.text import Text

    return Text(f"[{log_time(when.timestamp())}]")


class _VietnamTimeFormatter(logging.Formatter):
    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 (logging's)
        return log_time(record.created)


class _StderrHandler(logging.StreamHandler):
    """A handler writing to ``sys.stderr`` as it is when a record is emitted, not as it was when logging was set up:
    a thread still at work after a command ended (a Tesseract worker starting, a Prefect service draining) logged
    into the stream the command had, already closed — "--- Logging error --- ValueError: I/O operation on closed
    file" and a traceback on the next command's stderr (seen under the test suite, where each command's stderr is
    captured and closed)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass  # always the current sys.stderr


class _PrefectDrainNote(logging.Filter):
    """Prefect's "Still processing items: N items remaining..." at exit: its events and run logs still being sent to
    the Prefect server, nothing of sohoa's. Dropped; with -v, said as what it is, at INFO."""

    def __init__(self, verbose: bool) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if not message.startswith("Still processing items"):
            return True
        if not self.verbose:
            return False
        count = "".join(ch for ch in message.split(":", 1)[-1].split("items")[0] if ch.isdigit()) or "some"
        record.msg, record.args = f"Prefect: sending {count} last event(s)/log line(s) to its server before exiting", ()
        record.levelno, record.levelname = logging.INFO, "INFO"
        return True


def _fail(message: str, code: int = EXIT_USAGE, path: Path | None = None) -> typer.Exit:
    """Say what went wrong on stderr (and as JSON on stdout under --json) and the exit code to end with; ``path``,
    the file it is about, goes in the JSON."""
    # file names may hold [brackets]: never markup (a long path stays one line: _LineConsole)
    err.print(f"[bold red]sohoa: {escape(one_line(message))}[/]")  # one line, whatever the names it quotes
    if errors_as_json:
        # as the filesystem spells it, a name that is not UTF-8 with its bytes as \xNN: JSON is text
        with contextlib.suppress(OSError):  # stdout itself the fault (full, gone): said on stderr, once (QA82)
            _print_json({"path": escaped(str(path)) if path is not None else None, "error": message, "exit_code": code})
    return typer.Exit(code)


def _errors_as_json(enabled: bool) -> None:
    """Called first by a command with --json: its errors are printed as JSON on stdout as well (see _fail)."""
    global errors_as_json
    errors_as_json = enabled


def _settings(**overrides: Any) -> Settings:
    """The settings, with the command's options (``overrides``, by setting name; None: not given) over them. A bad
    value is a usage error (exit 2) naming the option when it came from one, else the setting."""
    try:
        return load_settings(**overrides)
    except Exception as exc:
        given = {
            name: OPTION_OF_SETTING[name]
            for name, value in overrides.items()
            if value is not None and name in OPTION_OF_SETTING
        }
        raise _fail(configuration_problem(exc, given)) from exc


# The command-line option that sets each setting, where one does (`_settings`'s overrides): its bad value is said
# as the option the user typed — `ocr --workers -1` was "configuration error: SOHOA_OCR_WORKERS / ocr_workers"
OPTION_OF_SETTING = {
    "archive": "--archive",
    "batch_workers": "--workers",  # process
    "dask_address": "--dask",
    "ocr_language": "--language",
    "ocr_workers": "--workers",  # ocr
    "ocr_mode": "--mode",
    "watch_stable_seconds": "--stable-seconds",
}


def command_group(help_text: str) -> typer.Typer:
    """A group of subcommands (`sohoa ledger …`, `sohoa review …`): its help (with examples), shown when it is
    called with no subcommand, as plain text."""
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


def _print_json(payload: Any) -> None:
    # where stdout cannot hold Vietnamese (PYTHONIOENCODING=ascii, a Latin-1 or C locale) the JSON is pure ASCII,
    # each other character a \uXXXX escape: the same data to any JSON reader, and nothing for the stream to refuse
    ascii_only = not _holds_unicode(sys.stdout)
    sys.stdout.write(json.dumps(payload, ensure_ascii=ascii_only, indent=2, default=str) + "\n")


def _holds_unicode(stream: Any) -> bool:
    """Whether ``stream`` encodes every character (UTF-8, -16, -32)."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name.startswith("utf")
    except LookupError:
        return False


def _streams_never_fail() -> None:
    """Standard output and error write a character their encoding cannot hold as an escape (``\\u1ebf``) instead of
    failing: under PYTHONIOENCODING=ascii or latin-1, or a C or ISO-8859-1 locale, every command printing Vietnamese
    (`list`, `get`, `search định`, `verify`, `process` after archiving) ended in a UnicodeEncodeError and a traceback
    — `verify`'s exit 1 then read as "not valid" by a script (QA). Rich's consoles write to these streams, and lay
    their tables out in ASCII where the encoding is not UTF."""
    for stream in (sys.stdout, sys.stderr):
        if (
            stream is None
            or _holds_unicode(stream)
            or getattr(stream, "errors", None) not in ("strict", "surrogateescape")
        ):
            continue
        if isinstance(stream, io.TextIOWrapper):  # not a test's capture
            with contextlib.suppress(ValueError, OSError):
                stream.reconfigure(errors="backslashreplace")


def _input_path(path: Path) -> Path:
    """A path given on the command line, as the file system spells it (``sohoa.fsutil.existing_spelling``): a name
    stored decomposed (NFD, from a Mac) and typed or pasted composed (NFC, from a receipt or a report) was "no such
    file", exit 2 (QA)."""
    return existing_spelling(path)


# What a command says of a path given that is not there, Vietnamese / English, by what it takes there: every
# command says it so (process, ocr, classify and sign said it in English only, verify in both; QA)
NO_SUCH = {
    "file": "không có tệp này / no such file",
    "file or folder": "không có tệp hoặc thư mục này / no such file or folder",
    "folder": "không có thư mục này / no such folder",
}


def no_such(path: object, what: str = "file") -> str:
    """``PATH: không có tệp này / no such file`` (``what``: a key of NO_SUCH)."""
    return f"{path}: {NO_SUCH[what]}"


def _require_file(path: Path) -> Path:
    """The input file ``path`` names (``_input_path``); a usage error when there is none, or it is a folder."""
    path = _input_path(path)
    if not path.exists():
        raise _fail(no_such(path), path=path)
    if path.is_dir():
        raise _fail(f"{path}: là thư mục, cần một tệp / is a folder, expected a file", path=path)
    return path


def _day_option(option: str, given: str) -> date:
    """The day an option gives (``--date``, ``--from``, ``--to``) as officers write it — DD/MM/YYYY (day first,
    ``3/5/2025`` and ``3/5/25`` too), ``ngày 3 tháng 5 năm 2025`` — or YYYY-MM-DD (sohoa.vietnamese.parse_day);
    anything else a usage error saying so in Vietnamese and English (Python's own was "Invalid isoformat string", in
    English only; `review set --date` refused 21/10/2025, which `search --from` took)."""
    from sohoa.vietnamese import no_such_day, parse_day

    day = parse_day(given)
    if day is None and (why := no_such_day(given)) is not None:  # 31/02/2025: said as `search --from` says it
        raise _fail(f"{option} {given!r}: không có ngày này, {why[0]} / no such day: {why[1]}")
    if day is None:
        raise _fail(
            f"{option} {given!r}: ngày không hợp lệ, hãy viết DD/MM/YYYY (03/05/2025) hoặc YYYY-MM-DD / "
            "not a date: write DD/MM/YYYY (day first: 03/05/2025) or YYYY-MM-DD"
        )
    return day


def _input_changed_message(input_file: Path, output: Path | None = None) -> str:
    """What a command says of its input rewritten, replaced or deleted while it was read (``InputChangedError``)."""
    written_vi, written_en = (f": chưa ghi {output}", f": {output} was not written") if output else ("", "")
    return (
        f"{input_file}: tệp đã thay đổi trong khi đang đọc (bị chép đè, thay hoặc xóa?){written_vi}; chạy lại khi "
        f"tệp đã yên / the file changed while it was being read (copied over, replaced or deleted?){written_en}; "
        "rerun once the file is still"
    )


def _bad_input_message(input_file: Path, exc: BadInputError) -> str:
    """``INPUT: Vietnamese / English``: the file named once, as the user gave it (each text of the error names it)."""
    own_name = f"{exc.path.name}: "
    return f"{input_file}: {exc.vietnamese().removeprefix(own_name)} / {exc.english().removeprefix(own_name)}"


def _refuse_output_over_input(input_file: Path, output: Path) -> None:
    """A usage error when OUTPUT is INPUT itself (same path, or another name for the same file: a symlink, a hard
    link): writing the output there would destroy the original scan or PDF."""
    same = output.resolve() == input_file.resolve()
    if not same and output.exists():
        try:
            same = os.path.samefile(input_file, output)
        except OSError:  # unreadable: the command itself names the problem
            same = False
    if same:
        raise _fail(
            f"{output}: tệp ra trùng với tệp vào, sẽ ghi đè bản gốc; hãy chọn tên khác / "
            f"the output is the input file itself and would overwrite the original; choose another name",
            path=output,
        )


def _check_output_pdf(input_file: Path, output: Path) -> None:
    """A usage error, said before any work, for an OUTPUT.pdf that cannot or must not be written: the input itself,
    a folder (it ended in a traceback after the whole OCR), a path through a file, or an existing file that is no
    PDF (an officer's notes were replaced by the output, QA). An existing PDF is replaced, as OCRmyPDF does."""
    _refuse_output_over_input(input_file, output)
    problem = None
    if output.is_dir():
        problem = "là thư mục, hãy cho tên tệp / is a folder: give the output file's name"
    elif any(parent.exists() and not parent.is_dir() for parent in output.parents):
        problem = "một phần đường dẫn là tệp, không phải thư mục / part of the path is a file, not a folder"
    elif any(parent.is_symlink() and not parent.exists() for parent in output.parents):
        # a folder named by a link to nothing: making it failed after the whole OCR, "internal error" (QA82)
        problem = "một phần đường dẫn là liên kết đến chỗ không có / part of the path is a link to nothing"
    elif output.exists():
        with contextlib.suppress(OSError), output.open("rb") as existing:
            if existing.read(1024).find(b"%PDF-") < 0:
                problem = "đã có tệp khác (không phải PDF), không ghi đè / exists and is not a PDF: not overwritten"
    if problem is None and (refused := _refused_output_folder(output)) is not None:
        problem = f"không ghi được tệp ra ở đây ({refused[0]}) / the output cannot be written there ({refused[1]})"
    if problem is not None:
        raise _fail(f"{output}: {problem}", path=output)
    if output.suffix.lower() != ".pdf":
        # `sohoa ocr scan.pdf scan.jpg` wrote a PDF named .jpg without a word (QA159 F6): said, and written all the
        # same — the name is the user's to choose
        logging.getLogger("sohoa").warning(
            "%s: tên tệp ra không có đuôi .pdf, vẫn ghi dạng PDF / the output's name does not end in .pdf: it is "
            "written as a PDF all the same",
            escaped(str(output)),
        )


def _refused_output_folder(output: Path) -> tuple[str, str] | None:
    """Why no file can be written where ``output`` is named, (Vietnamese, English), found by making one there and
    removing it — in the nearest folder that exists, as a folder, when the output's own is still to be made; None
    when it can. Permissions cannot tell it: root may write anywhere by them, and /proc refuses it all the same
    (QA68: `sohoa ocr scan.jpg /proc/o.pdf` read the scan, then failed on its `.part` file with an "internal
    error" and a crash report)."""
    import tempfile

    from sohoa.errors import os_error_words

    folder = output.parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    try:
        if folder == output.parent:
            handle, name = tempfile.mkstemp(prefix=f".{output.name[:80]}.probe-", dir=folder)
            os.close(handle)
            os.unlink(name)
        else:  # the output's folders are made when it is written (sohoa.fsutil.atomic_path)
            os.rmdir(tempfile.mkdtemp(prefix=".sohoa-probe-", dir=folder))
    except OSError as exc:
        vietnamese, english = os_error_words(exc)
        if exc.errno == errno.ENOENT:  # an existing folder that takes no new file (/proc): "no such file" misleads
            vietnamese = "thư mục này không nhận tệp mới"
            english = f"this folder takes no new file: {english}"
        return f"{folder}: {vietnamese}", f"{folder}: {english}"
    return None


# ------------------------------------------------------------------------------------------- process
def _configure_prefect(settings: Settings) -> TemporaryPrefectServer | None:
    """Prefect without a server by default: a temporary one is started at once, in the background (see
    flows.prefect_server), unless PREFECT_API_URL names a real server, which then wins. Call before Prefect is
    imported: it reads these variables once."""
    setting = "PREFECT_HOME" if os.environ.get("PREFECT_HOME") else "SOHOA_DATA_DIR"
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str((settings.data_dir / "prefect").resolve())))
    try:
        prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect does not create missing parents
    except OSError as exc:  # a data folder that is a file, no permission: said as `--no-prefect` says it (QA145)
        from sohoa.errors import os_error_words

        vietnamese, english = os_error_words(exc)
        raise _fail(
            f"không dùng được thư mục trạng thái của Prefect {prefect_home}: {vietnamese} (xem {setting}) / "
            f"Prefect's state folder {prefect_home} cannot be used: {english} (check {setting})",
            EXIT_FAULT,
        ) from exc
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")
    if os.environ.get("PREFECT_API_URL"):
        return None
    for name in TEMPORARY_SERVER_IDLE_SERVICES:
        os.environ.setdefault(f"PREFECT_SERVER_SERVICES_{name}_ENABLED", "false")
    from flows.prefect_server import TemporaryPrefectServer

    server = TemporaryPrefectServer(prefect_home, max_restarts=settings.prefect_server_restarts)
    os.environ["PREFECT_API_URL"] = server.start()
    return server


# The background services of Prefect's temporary API server, switched off when sohoa starts one (a configured
# PREFECT_API_URL is left alone; each variable can be set to "true" to keep a service). The temporary server lives
# for one command, shares the cores with Tesseract and nobody schedules, automates or cancels through it; its task
# run recorder, which writes every task state change into DATA_DIR/prefect/prefect.db, cost ~60 ms of server CPU
# per task run and was most of Prefect's overhead in a batch (bench/batch_bench.py; README, "Batch throughput").
# The flow runs, their states and their artifacts are still recorded (they go through the API, not the services).
TEMPORARY_SERVER_IDLE_SERVICES = (
    "CANCELLATION_CLEANUP",
    "CLEANUP_RECONCILER",
    "EVENT_PERSISTER",
    "FOREMAN",
    "LATE_RUNS",
    "PAUSE_EXPIRATIONS",
    "REPOSSESSOR",
    "SCHEDULER",
    "TASK_RUN_RECORDER",
    "TRIGGERS",
)


@app.command(
    epilog=(
        "Examples:\n\n  sohoa process samples/\n\n  sohoa process inbox/ scan.pdf --archive /srv/archive --json\n\n"
        "  sohoa process /srv/backlog --workers 4 --dask tcp://10.0.0.5:8786\n\n"
        "Exit codes: 0 all archived (or already archived), including records whose type is unknown or doubtful: "
        "they are archived with needs review (sohoa review list); 1 some quarantined; 2 usage (a path not found); "
        "3 some failed for a reason outside the input (rerun after fixing)."
    )
)
def process(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders of scans (PDF, TIFF, JPEG, PNG, BMP, GIF).")],
    archive: Annotated[
        str | None,
        typer.Option(help=ARCHIVE_HELP),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
    no_prefect: Annotated[
        bool, typer.Option("--no-prefect", help="Run the stages directly, without Prefect (same results).")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Documents in flight at once (default SOHOA_BATCH_WORKERS, 2); Tesseract "
            "processes stay bounded by SOHOA_TESSERACT_SLOTS (default: the cores).",
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="ADDRESS",
            help="Run the documents on this Dask scheduler (tcp://host:8786) via prefect-dask.",
        ),
    ] = None,
) -> None:
    """The whole pipeline: OCR, classify, sign and archive every file; bad files go to quarantine."""
    _errors_as_json(as_json)
    if dask and no_prefect:
        raise _fail("--dask runs through Prefect (prefect-dask); drop --no-prefect")
    settings = _settings(archive=str(archive) if archive else None, batch_workers=workers, dask_address=dask)
    paths = [_input_path(p) for p in paths]
    missing = [p for p in paths if not p.exists()]
    if missing:
        # --json's "path": the file it is about (the first, when several are missing; the error names them all)
        raise _fail(", ".join(no_such(escaped(str(p)), "file or folder") for p in missing), path=missing[0])
    _check_batch_settings(settings)
    if settings.dask_address:
        from flows.pipeline import dask_scheduler_problem

        # before Prefect starts: the Dask client waited 30 s, then Prefect was blamed in a long traceback
        if (problem := dask_scheduler_problem(settings.dask_address)) is not None:
            raise _fail(problem, EXIT_FAULT)

    # started first, so that it comes up while the inputs are inspected and the pipeline imported
    server = None if no_prefect else _configure_prefect(settings)
    try:
        _process(paths, settings, as_json, no_prefect, server)
    finally:
        if server is not None:
            server.stop()


def _check_archive_location(settings: Settings) -> None:
    """An archive location no rerun can fix (an s3:// bucket name S3 forbids, no S3 endpoint) is a usage error,
    refused before the first document: every document used to fail with "S3 server unreachable" and exit 3."""
    from storage import archive_location, check_archive_location
    from storage.locations import S3LocationError

    try:
        check_archive_location(archive_location(settings), settings)
    except S3LocationError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc


def _check_classify_model(settings: Settings) -> None:
    """A configured type model that is not there is a configuration error, before any document: it used to be
    passed over without a word, every record classified by the rules alone. Only where a model is read (process,
    watch, classify): `classify train` and `review set` write the file it names, which may not exist yet."""
    model = settings.classify_model
    if model is not None and not Path(model).is_file():
        what = "it is a folder" if Path(model).is_dir() else "no such file"
        raise _fail(
            f"cấu hình sai / configuration error: SOHOA_CLASSIFY_MODEL / classify_model: {model}: {what} (không có "
            "mô hình phân loại / no type model there); train one with `sohoa classify train`, or leave the setting "
            "unset to use DATA_DIR/models/classify-model.joblib, else the shipped model"
        )


def _check_trust_sources(settings: Settings) -> None:
    """A configured trust root or store that is not there is a configuration error (exit 2), before any work, in
    the commands that trust through them (flows.pipeline.trust_source_problem)."""
    from flows.pipeline import trust_source_problem

    if (problem := trust_source_problem(settings)) is not None:
        raise _fail(problem)


def _check_batch_settings(settings: Settings) -> None:
    """What `process` and `watch` refuse before any work (before Prefect starts, before a file is claimed), each a
    usage or configuration error (exit 2): an archive location no rerun fixes, a configured type model or trust
    source that is not there, and a configuration no batch can run with (flows.pipeline.batch_settings_problem:
    SOHOA_SIGNATURE_APPEARANCE=seal)."""
    from flows.pipeline import batch_appearance_warning, batch_settings_problem

    _check_archive_location(settings)
    _check_classify_model(settings)
    _check_trust_sources(settings)
    if (problem := batch_settings_problem(settings)) is not None:
        raise _fail(problem)
    if (warning := batch_appearance_warning(settings)) is not None:
        logging.getLogger("sohoa").warning("%s", warning)


def _process(
    paths: list[Path], settings: Settings, as_json: bool, no_prefect: bool, server: TemporaryPrefectServer | None
) -> None:
    """The batch, and what it did when it is stopped (Ctrl-C, SIGTERM): until 2026-12-02 a Ctrl-C ended it with
    exit 130 and not a word of what was archived or what to do next."""
    from flows.stopping import exit_code_of, said_signal, stops_on_signals

    finished: list[DocumentResult] = []  # what the batch has done so far (the flow's or the direct run's)
    try:
        with stops_on_signals():
            _run_batch(paths, settings, as_json, no_prefect, server, finished)
    except KeyboardInterrupt as stopped:
        raise _fail(stopped_summary(said_signal(stopped), finished), exit_code_of(stopped)) from None


def stopped_summary(how: str, finished: list[DocumentResult]) -> str:
    """A batch stopped by ``how`` (``Ctrl-C``, ``SIGTERM``): what it did so far, and how to do the rest."""
    from flows.pipeline import Outcome

    counts = {outcome: sum(r.outcome == outcome for r in finished) for outcome in Outcome}
    failed = counts[Outcome.FAILED]
    return (
        f"đã dừng ({how}) khi lô chưa xong: đến lúc này {counts[Outcome.ARCHIVED]} văn bản đã lưu trữ, "
        f"{counts[Outcome.ALREADY_ARCHIVED]} đã lưu từ trước, {counts[Outcome.QUARANTINED]} đã cách ly"
        + (f", {failed} chưa xong" if failed else "")
        + "; chạy lại đúng lệnh này để làm nốt phần còn lại (văn bản đã lưu được bỏ qua theo SHA-256) / "
        f"stopped ({how}) before the batch was done: so far {counts[Outcome.ARCHIVED]} archived, "
        f"{counts[Outcome.ALREADY_ARCHIVED]} already archived, {counts[Outcome.QUARANTINED]} quarantined"
        + (f", {failed} not finished" if failed else "")
        + "; run the same command again for the rest (archived files are skipped by their SHA-256)"
    )


def _run_batch(
    paths: list[Path],
    settings: Settings,
    as_json: bool,
    no_prefect: bool,
    server: TemporaryPrefectServer | None,
    finished: list[DocumentResult],
) -> None:
    from flows.pipeline import (
        OUTCOME_WORDS,
        BatchReport,
        MisplacedArchiveError,
        Skipped,
        check_locations,
        checked_locations,
        expand_inputs,
        no_scans_message,
        not_taken,
        own_folders,
        process_many,
        skipped_folder,
        unreadable_entry,
        warm_up,
    )
    from sohoa.fsutil import path_parameter

    passed: list[Skipped] = []  # in the warnings, in --json's "skipped", and in the message when nothing is left

    def skip(entry: Skipped) -> None:
        passed.append(entry)
        logging.getLogger("sohoa").log(logging.INFO if entry.quiet else logging.WARNING, "%s", entry.said())

    inputs = expand_inputs(
        paths,
        unreadable=lambda path: skip(unreadable_entry(path)),
        skip=own_folders(settings),
        skipped=lambda path, why: skip(skipped_folder(path, why)),
        not_taken=lambda path: skip(not_taken(path)),
    )
    if not inputs:
        raise _fail(no_scans_message([escaped(str(entry.path)) for entry in passed]))
    try:
        check_locations(settings)  # before Prefect starts, whose failure message would mislead; once: see below
    except MisplacedArchiveError as exc:  # --archive inside an archive, a data folder, a deleted archive: usage
        raise _fail(str(exc)) from exc
    except StageError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc
    from storage import archive_display

    report = BatchReport(
        archive=archive_display(settings), quarantine=str(settings.quarantine_path.resolve()), skipped=passed
    )
    show_progress = not as_json and err.is_terminal
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from flows import progress as listeners

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not show_progress,
    )
    started = time.monotonic()

    with progress, checked_locations(settings):  # checked just above: the batch does not check them again
        bar = progress.add_task("Văn bản / documents", total=len(inputs), rate="")
        pages_bar = progress.add_task("Trang / pages", total=_page_total(inputs) if show_progress else None, rate="")
        page_lock = threading.Lock()

        def page_read() -> None:  # called from the threads that read pages
            with page_lock:
                progress.advance(pages_bar)
                done = progress.tasks[pages_bar].completed
                progress.update(pages_bar, rate=f"{done / max(time.monotonic() - started, 1e-6):.2f} trang/s")

        def advance(result: DocumentResult, index: int, total: int) -> None:
            finished.append(result)
            progress.update(
                bar,
                completed=index,
                total=total,
                description=escape(f"{printable(result.label)}: {OUTCOME_WORDS[result.outcome]}"),
            )

        listeners.page_listener = page_read if show_progress else None

        if no_prefect:
            report.results.extend(
                process_many(inputs, settings, on_result=advance, batch_id=report.batch_id, dropped=report.dropped)
            )
            # separator sheets and pages that kept their own text were counted but not read
            progress.update(pages_bar, total=progress.tasks[pages_bar].completed)
        else:
            # With a temporary server, what the run needs loads while the server starts: Prefect, and the stages' code,
            # type model and identity, the server's start-up keeping one core and this the other. It stays for the
            # whole run, so it loads with the cycle collector paused (~0.9 s of CPU here; flows.prefect_server).
            from flows.prefect_server import collector_paused

            with collector_paused() if server is not None else contextlib.nullcontext():
                from flows import prefect_flows

                if server is not None:
                    if not as_json:
                        err.print(
                            "[dim]đang chờ Prefect (máy chủ tạm trên máy này)… / waiting for Prefect (temporary "
                            "local server)…[/]"
                        )
                    if not settings.dask_address:  # on Dask the stages run in the workers, not here
                        warm_up(settings)
                    prefect_flows.warm_up_engine()
            prefect_flows.set_progress_listener(advance)
            # the server's supervisor ends the command if the server is lost for good, unless the batch is over
            batch_over = False
            ending = threading.Lock()

            def server_lost(reason: str) -> None:
                with ending:
                    if not batch_over:
                        _end_without_server(reason, inputs, list(finished), report, as_json, progress)

            if server is not None:
                server.on_lost = server_lost
            # the server's restarts before the batch: it may have been started again before it first answered
            # (wait_ready), which is no reason to end a failed flow run as one whose server stopped mid-batch
            restarts_at_ready: int | None = None
            try:
                if server is not None:
                    server.wait_ready()  # raises when it never answered, its restarts used up: no batch, exit 3
                    restarts_at_ready = server.restarts
                overrides = _flow_overrides(settings)
                quiet = prefect_flows.without_flow_heartbeats() if server is not None else contextlib.nullcontext()
                with quiet:
                    state = prefect_flows.process_batch(
                        [path_parameter(p) for p in inputs], overrides, return_state=True
                    )
                # the flow run ends Failed when a file failed, or Completed ("Quarantined"): its result is the
                # batch's report either way (flows.prefect_run); a flow run that raised has its exception there
                payload = state.result(raise_on_failure=False)
                if isinstance(payload, BaseException):
                    raise payload
                if not isinstance(payload, dict):
                    raise RuntimeError(f"the flow run ended {state.name}: {state.message}")
                with ending:
                    batch_over = True
            except Exception as exc:  # Prefect itself failed (API server, database): say so, no traceback
                with ending:
                    batch_over = True
                if server is not None and restarts_at_ready is not None and server.restarts > restarts_at_ready:
                    # what it did, and no wait for events at exit
                    _end_without_server(
                        f"the flow run failed after its temporary Prefect server had stopped mid-batch "
                        f"({type(exc).__name__}: {exc}); the server's log: {server.log_path}",
                        inputs,
                        list(finished),
                        report,
                        as_json,
                        progress,
                    )
                # what became of the files (QA: the message did not say whether any was touched)
                done = (
                    "chưa xử lý tệp nào / no file was processed"
                    if not finished
                    else f"{len(finished)} tệp đã xong trước đó, chạy lại để làm nốt / {len(finished)} document(s) "
                    "were finished before it stopped; rerun the same command for the rest"
                )
                raise _fail(
                    f"Prefect không chạy được lô / Prefect could not run the batch: {type(exc).__name__}: {exc}. "
                    f"{done}. Kiểm tra PREFECT_API_URL / PREFECT_HOME (máy chủ Prefect có đang chạy?), hoặc chạy với "
                    "--no-prefect / check PREFECT_API_URL / PREFECT_HOME (is the Prefect server up?), or run with "
                    "--no-prefect.",
                    EXIT_FAULT,
                ) from exc
            finally:
                prefect_flows.set_progress_listener(None)
                listeners.page_listener = None
            # what this command passed by in the folders it was given (the flow run is given the files taken)
            payload["skipped"] = [entry.summary() for entry in passed] + payload.get("skipped", [])
            _print_or_table(payload, as_json)
            raise typer.Exit(_exit_code(payload))
    listeners.page_listener = None
    _print_or_table(report.to_json_dict(), as_json)
    raise typer.Exit(report.exit_code)


def _flow_overrides(settings: Settings) -> dict[str, Any]:
    """What `sohoa process` hands its ``process-batch`` flow run of the settings it loaded: those its options set
    (the flow loads the others from the same environment and sohoa.toml)."""
    from storage import archive_location

    return {
        "archive": archive_location(settings),
        "batch_workers": settings.batch_workers,
        "dask_address": settings.dask_address,
    }


def _end_without_server(
    reason: str,
    inputs: list[Path],
    finished: list[DocumentResult],
    report: BatchReport,
    as_json: bool,
    progress: Progress,
) -> NoReturn:
    """The temporary Prefect server died and could not be brought back (flows.prefect_server), or the flow run
    failed after the server had died and come back: end the command now, with what the batch did, instead of
    letting the Prefect client retry every call and event for ~10 minutes.

    Called from the server's supervising thread while the flow still runs in others, the documents in flight are cut
    off as by a kill, which the pipeline is built to survive (README, "Exactly once under crashes"): what was archived
    stays, and a rerun skips it by content hash and does the rest. Every input is reported: those the flow finished
    with their outcome, the others as failed (exit code 3)."""
    from flows.pipeline import DocumentResult, Outcome

    with contextlib.suppress(Exception):
        progress.stop()
    by_input: dict[Path, list[DocumentResult]] = {}
    for result in finished:  # a document split from a stack counts for the stack
        by_input.setdefault(Path(result.origin.path if result.origin else result.path).resolve(), []).append(result)
    report.results, unfinished = [], 0
    for path in inputs:
        results = by_input.get(path.resolve())
        if not results:
            unfinished += 1
            results = [
                DocumentResult(
                    path,
                    Outcome.FAILED,
                    reason_en="not finished: the temporary Prefect server is gone; rerun the batch",
                    reason_vi="chưa xử lý xong: Prefect server tạm thời đã dừng; hãy chạy lại lô",
                )
            ]
        report.results += results
    archived = [r.record for r in finished if r.outcome == Outcome.ARCHIVED and r.record is not None]
    batch_ids = {record.batch_id for record in archived if record.batch_id}
    message = (
        "Prefect server tạm thời đã dừng giữa chừng; lô dừng lại. Các văn bản đã lưu trữ vẫn còn "
        "trong kho; chạy lại cùng lệnh để xử lý nốt (văn bản đã lưu được bỏ qua theo SHA-256) / "
        f"{reason}. The batch stops here: {len(inputs) - unfinished} of {len(inputs)} file(s) done; what was "
        "archived stays in the archive, and running the same command again does the rest (archived files are "
        "skipped by their SHA-256). Or run with --no-prefect."
    )
    payload = report.to_json_dict()
    payload["batch_id"] = batch_ids.pop() if len(batch_ids) == 1 else None  # the flow's, known from its records
    if as_json:
        payload["error"] = message
    try:
        _print_or_table(payload, as_json)
        err.print(f"[bold red]sohoa: {escape(message)}[/]")
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        # Not sys.exit: Prefect's threads would go on retrying, and at exit it waits for every pending event
        # without a time limit. The documents in flight stop as if killed, which a rerun completes.
        os._exit(EXIT_FAULT)


def _in_scratch(fault: OSError, work: Path, output: Path) -> bool:
    """Whether the machine's ``fault`` met the scratch folder ``work`` rather than ``output``'s folder: the file it
    names lies in it, or, naming none (Pillow's writes do not), the scratch folder's disk is the full one."""
    named = fault.filename if isinstance(fault.filename, str | bytes | os.PathLike) else None
    if named:
        try:
            return Path(os.fsdecode(named)).resolve().is_relative_to(work.resolve())
        except (OSError, ValueError):
            return False
    if fault.errno not in (errno.ENOSPC, errno.EDQUOT):
        return False
    try:
        scratch, target = os.statvfs(work), os.statvfs(output.resolve().parent)
    except OSError:
        return False
    return (scratch.f_fsid != target.f_fsid) and scratch.f_bavail * scratch.f_frsize < target.f_bavail * target.f_frsize


@contextlib.contextmanager
def _pages_bar(input_file: Path, *, shown: bool) -> Iterator[None]:
    """A bar of the pages read on the terminal while ``sohoa ocr`` runs, gone when it ends (QA170 F10: a 200-page
    scan ran 3 minutes in silence); nothing where ``shown`` is false (--json, not a terminal)."""
    if not shown:
        yield
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows import progress as listeners

    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    )
    lock = threading.Lock()
    with bar:
        task = bar.add_task(escape(f"{printable(input_file.name)}: trang / pages"), total=_quick_page_count(input_file))

        def page_read() -> None:  # called from the threads that read pages
            with lock:
                bar.advance(task)

        listeners.page_listener = page_read
        try:
            yield
        finally:
            listeners.page_listener = None


def _quick_page_count(path: Path) -> int | None:
    """How many pages ``path`` has, as cheaply as can be told (for a bar: None where it cannot)."""
    import pikepdf
    from PIL import Image

    try:
        with pikepdf.open(path) as pdf:
            return len(pdf.pages)
    except Exception:  # noqa: BLE001 — not a PDF, or one the OCR will say is damaged: an image, or no count
        pass
    try:
        with Image.open(path) as image:
            return int(getattr(image, "n_frames", 1))
    except Exception:  # noqa: BLE001 — the OCR says what is wrong with it
        return None


def _page_total(inputs: list[Path]) -> int | None:
    """Pages in the batch, for the pages bar's ETA (unreadable files count as none: they go to quarantine)."""
    from ocr import inspect_input

    total = 0
    for path in inputs:
        try:
            total += inspect_input(path).page_count
        except Exception:  # quarantined later with its reason
            continue
    return total or None


def _exit_code(payload: dict[str, Any]) -> int:
    counts = payload["counts"]
    if counts["failed"]:
        return EXIT_FAULT
    return EXIT_NOT_RIGHT if counts["quarantined"] else EXIT_OK


def _print_or_table(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(payload)
        return
    from flows.intake import dropped_line
    from flows.pipeline import OUTCOME_WORDS, Outcome, line_names, review_reasons_said
    from sohoa.vietnamese import vn_date

    table = Table(title="sohoa: kết quả / results", show_lines=False)
    styles = {"archived": "green", "already_archived": "cyan", "quarantined": "yellow", "failed": "red"}
    rows: list[tuple[str, ...]] = []
    for line in payload["files"]:
        # a document split from a stack named by the stack, its number and pages (StackOrigin.label); the reason
        # in both languages, under the bilingual title (it was English only), without the name the first column shows
        name, reason = line_names(line)
        # an archived file's record by its id, what `sohoa get` takes: its archive path (--json's archive_path),
        # `2025/BB/03-BB-UBND--51844b0a168b537a`, repeats the year, type and number beside it, and was cut, its id
        # with it, when the file column was wide (QA69: `2025/BB/03-BB-UBND--51844b0a168…`)
        note = reason or (f"mã / id {line['record_id']}" if line.get("record_id") else "")
        if line.get("needs_review"):
            note = "cần xem lại / needs review; " + note
        rows.append(  # what comes from the files (names, numbers, reasons) escaped: `[bản sao] x.pdf` is no markup
            (
                escape(printable(name)),
                f"[{styles[line['outcome']]}]{OUTCOME_WORDS[Outcome(line['outcome'])]}[/]",
                escape(line["doc_type"] or ""),
                escape(line["number"] or ""),
                vn_date(line["issued_on"]),
                str(line["pages"] or ""),
                f"{line['confidence']:.2f}" if line["confidence"] is not None else "",
                "có / yes" if line["signed"] else "",
                escape(note),
            )
        )
    # Vietnamese / English, as every table an officer reads (`review list`, `audit`); the day as officers write it
    layout = _process_layout(rows, out.width)
    if layout is None:
        _process_lines(rows)
    else:
        shown, widths = layout
        if len(shown) < len(PROCESS_COLUMNS):  # a narrow terminal: without its outer frame, 4 more characters
            table.show_edge = table.pad_edge = False
        for index, width in zip(shown, widths, strict=True):
            column = PROCESS_COLUMNS[index]
            if widths == [None] * len(widths):  # room for every column whole, its title on one line
                table.add_column(column, no_wrap=column in WHOLE_PROCESS_COLUMNS, overflow="fold")
            else:
                table.add_column(column, width=width, overflow="fold")
        for row in rows:
            table.add_row(*(row[index] for index in shown))
        out.print(table)
    for blank in payload.get("dropped_pages", []):  # a stack's blank part (a separator's back): no document
        out.print(dropped_line(blank), markup=False)  # the stack once (it was said in each language's half)
    for line in payload["files"]:
        # why a record waits for an officer, under the table as `review list` says it: the table's note said only
        # "cần xem lại / needs review", and the officer had to run another command to learn what to check (QA83)
        if why := review_reasons_said(line):
            out.print(f"cần xem lại / needs review: {printable(line_names(line)[0])}: {why}", markup=False)
        if line["outcome"] == Outcome.ARCHIVED.value:
            # what the archived copy changed of the scan (a page shown straightened, a mirrored photo shown as
            # stored): said in --json and the log's INFO lines only, so without -v not at all (QA132 F7)
            for notice in line.get("notices") or []:
                out.print(f"ghi chú / notice: {printable(line_names(line)[0])}: {printable(notice)}", markup=False)
    counts = payload["counts"]
    # the export hint only when the batch archived something: a rerun's records belong to their first batches, and
    # `export --batch` of this one said "no archived record" (QA61)
    # and records a killed run left unfinished, finished by this one, are in their own batches: named with theirs
    # (QA69: `export --batch` of this run's id left such a record out without a word)
    earlier = {b: n for b, n in (payload.get("earlier_batches") or {}).items() if b != payload.get("batch_id")}
    here = counts[Outcome.ARCHIVED.value] - sum(earlier.values())
    export_hint = " (sohoa export --batch ID OUT)" if here else ""
    finished = "".join(
        f"Lô bị gián đoạn / interrupted batch {b}: {n} hồ sơ lưu xong trong lần chạy này / record(s) finished by "
        f"this run (sohoa export --batch {b} OUT)\n"
        for b, n in sorted(earlier.items())
    )
    out.print(
        f"Kho lưu trữ / archive: {payload['archive']}\nKhu cách ly / quarantine: {payload['quarantine']}\n"
        f"Lô / batch: {payload.get('batch_id', '')}{export_hint}\n{finished}"
        f"Tổng / total {counts['total']}: "
        + ", ".join(f"{OUTCOME_WORDS[outcome]} {counts[outcome.value]}" for outcome in Outcome)
        + (
            f"\nBỏ qua / skipped {len(payload['skipped'])}, không nhận / not taken (mỗi tệp có nêu trong nhật ký ở "
            "trên / each named in the log above; --json lists them)"
            if payload.get("skipped")
            else ""
        ),
        markup=False,  # the archive and quarantine paths are the user's
    )
    if development := sum(bool(line.get("development_identity")) for line in payload["files"]):
        out.print(
            f"cảnh báo: {development} hồ sơ ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý; khi dùng thật hãy cấu "
            f"hình khóa PKCS#12 hoặc PKCS#11 / warning: {development} record(s) signed with the DEVELOPMENT ONLY "
            "identity: no legal value; configure a PKCS#12 or PKCS#11 identity for real use",
            style="bold yellow",
            markup=False,
        )


def _process_lines(rows: list[tuple[str, ...]]) -> None:
    """The process table's rows on a terminal too narrow for a table (below ~70 columns, a phone's SSH client or a
    split pane): each file on its own line, then what became of it on the next ones, indented — the table left the
    file's name out there, and folded the outcome one letter a line."""
    from rich.padding import Padding
    from rich.text import Text

    out.print("sohoa: kết quả / results", style="bold")
    for name, outcome, doc_type, number, day, pages, confidence, signed, note in rows:
        facts = [
            outcome,
            f"{doc_type} {number}".strip(),
            day,
            f"{pages} trang / page(s)" if pages else "",
            f"tin cậy / conf. {confidence}" if confidence else "",
            "đã ký / signed" if signed else "",
        ]
        out.print(f"[bold]{name}[/]")
        line = ""
        for fact in filter(None, facts):  # as many to a line as fit (the terminal would break one mid-word)
            joined = f"{line} · {fact}" if line else f"  {fact}"
            if line and cell_len(Text.from_markup(joined).plain) > out.width:
                out.print(line)
                joined = f"  {fact}"
            line = joined
        out.print(line)
        if note:  # a reason runs long: wrapped at the width, indented under its file (QA76: from column 0)
            out.print(Padding(Text.from_markup(note), (0, 0, 0, 2), expand=False))


PROCESS_COLUMNS = (
    "tệp / file",
    "kết quả / outcome",
    "loại / type",
    "số / number",
    "ngày / date",
    "trang / pages",
    "tin cậy / conf.",
    "đã ký / signed",
    "ghi chú / note",
)
# never broken: a type, number, day or figure on two lines is misread
WHOLE_PROCESS_COLUMNS = frozenset(PROCESS_COLUMNS[2:8])
# a record id, in the note: one line
RECORD_ID_WIDTH = 16
# left out when the file and outcome columns would have no room beside them (80–110 columns): the least needed in
# a look at what a batch did, each in --json. At 80 and 90 columns they left the file and outcome columns 0–1
# characters wide, the outcome one letter a line (QA70)
SPARE_PROCESS_COLUMNS = frozenset(PROCESS_COLUMNS[5:8])
# the file column at least (folded), beside the outcome's `đã lưu trước đó /` (17) or its longest word
FILE_COLUMN_LEAST = 12
OUTCOME_COLUMN_WANTED = 17


def _process_layout(rows: list[tuple[str, ...]], width: int) -> tuple[list[int], list[int | None]] | None:
    """The process table's columns on a terminal ``width`` wide — the indexes of ``PROCESS_COLUMNS`` shown — and
    their widths: every column, all None, when each fits whole with its title on one line; else every column as
    ``_process_column_widths`` lays them out, when that leaves the file column ``FILE_COLUMN_LEAST`` beside an
    outcome column of ``OUTCOME_COLUMN_WANTED``; else (below ~115 columns) without the ``SPARE_PROCESS_COLUMNS``,
    in a table without its outer frame (3 characters a column but the last, instead of 3 and 1); None when even
    that leaves the file column less than ``FILE_COLUMN_LEAST`` (``_process_lines`` then)."""
    from rich.text import Text

    every = list(range(len(PROCESS_COLUMNS)))
    widths = _process_column_widths(rows, width)
    if widths == [None] * len(PROCESS_COLUMNS):
        return every, widths
    names = [Text.from_markup(row[0]).plain for row in rows] + [PROCESS_COLUMNS[0]]
    outcomes = [Text.from_markup(row[1]).plain for row in rows] + [PROCESS_COLUMNS[1]]
    # what the outcome column needs at the least: its longest word (`quarantined`), its lines broken at spaces
    outcome_least = max(cell_len(word) for text in outcomes for word in text.split())
    outcome_natural = max(map(cell_len, outcomes))
    room = width - (3 * len(PROCESS_COLUMNS) + 1)
    rest = room - sum(w for w in widths if w is not None)
    if rest >= min(max(map(cell_len, names)), FILE_COLUMN_LEAST) + min(outcome_natural, OUTCOME_COLUMN_WANTED):
        return every, widths
    shown = [i for i in every if PROCESS_COLUMNS[i] not in SPARE_PROCESS_COLUMNS]
    narrow = _process_column_widths([tuple(row[i] for i in shown) for row in rows], width, shown, framed=False)
    if narrow == [None] * len(shown):  # the six whole, their titles on one line
        return shown, narrow
    room = width - 3 * (len(shown) - 1)
    rest = room - sum(w for w in narrow if w is not None)
    wanted = min(outcome_natural, OUTCOME_COLUMN_WANTED)
    # the whole Vietnamese half on a line when the file column keeps its least; else as wide as its longest word
    narrow[1] = outcome_width = wanted if rest - wanted >= FILE_COLUMN_LEAST else min(outcome_natural, outcome_least)
    if rest - outcome_width < FILE_COLUMN_LEAST:
        return None  # below ~70 columns: no room for the file's name (it was left out, the outcome one letter wide)
    return shown, narrow  # the file column's None: Rich gives it what is left


def _process_column_widths(
    rows: list[tuple[str, ...]], width: int, columns: list[int] | None = None, framed: bool = True
) -> list[int | None]:
    """The widths of the process table's ``columns`` (indexes of ``PROCESS_COLUMNS``, default all; ``rows``: their
    cells) on a terminal ``width`` wide, in a table with its outer frame or without: all None when every column fits
    whole with its title on one line; else the ``WHOLE_PROCESS_COLUMNS`` and the note fixed (their titles wrapped at
    spaces when there is no room for them on one line; the note at least a record id wide) and the file and
    outcome columns None, for Rich to fit in what is left. Rich alone, with these columns no_wrap (titles too), left
    the file and note columns no width at all at 120 columns (~110 taken by the others' titles), and cut the note's
    record id at 200."""
    from rich.text import Text

    columns = list(range(len(PROCESS_COLUMNS))) if columns is None else columns
    titles = [PROCESS_COLUMNS[i] for i in columns]

    def widest(index: int) -> int:
        return max((cell_len(Text.from_markup(row[index]).plain) for row in rows), default=0)

    natural = [max(cell_len(title), widest(index)) for index, title in enumerate(titles)]
    # a border before each column and after the last, padding 1 + 1; without the frame, none outside
    room = width - (3 * len(titles) + 1 if framed else 3 * (len(titles) - 1))
    if sum(natural) <= room:
        return [None] * len(titles)
    note = len(titles) - 1
    fixed = [*(i for i, c in enumerate(titles) if c in WHOLE_PROCESS_COLUMNS), note]
    least = {i: max(widest(i), *map(cell_len, titles[i].split())) for i in fixed}
    least[note] = max(RECORD_ID_WIDTH, *map(cell_len, titles[note].split()))
    widths: list[int | None] = [None] * len(titles)
    for i in fixed:
        widths[i] = least[i]
    # what the file and outcome columns get at least (a name's 20 characters, `đã lưu trước đó /`); what is left to
    # the titles on one line, then half of the rest at most to the note (its review flag and id on one line), the
    # other half to the file and outcome columns
    spare = room - sum(least.values()) - min(natural[0], 20) - min(natural[1], 17)
    for i in fixed:
        grow = max(0, min(natural[i] - least[i], spare // 2 if i == note else spare))
        widths[i] = least[i] + grow
        spare -= grow
    return widths


# ------------------------------------------------------------------------------------------- ocr
@app.command(
    epilog="Example:\n\n  sohoa ocr scan.tiff searchable.pdf --json\n\n"
    "Warm start: with no `sohoa ocr-server` running, one is started in the background and serves the next\n"
    "commands (~1 s sooner each); it stops after SOHOA_OCR_SERVER_IDLE seconds (600) without one.\n"
    "SOHOA_OCR_SERVER=off never uses or starts one; =use uses a running one only.\n\n"
    "Exit codes: 0 written, PDF/A-2b; 1 written but not PDF/A (why printed), or the input is unusable (reason\n"
    "printed); 2 usage (OUTPUT.pdf cannot be written there: a folder, no permission, a folder that takes no\n"
    "file); 3 Tesseract unavailable, a fault of this machine (the disk full while writing), or INPUT changed\n"
    "while it was read (OUTPUT.pdf not written: rerun once it is still); 130/143 stopped (Ctrl-C/SIGTERM)."
)
def ocr(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="A scan: PDF, TIFF, JPEG, PNG, BMP or GIF.")],
    output: Annotated[
        Path,
        typer.Argument(metavar="OUTPUT.pdf", help="Where to write the searchable PDF.", callback=spelled_output),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print pages, confidence and text as JSON.")] = False,
    language: Annotated[str | None, typer.Option(help="Tesseract language (default vie).")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            help="Parallel Tesseract processes, 0 to 256 (default 0: the cores); never more start than the host's "
            "Tesseract slots (SOHOA_TESSERACT_SLOTS, default the cores) or the pages can use."
        ),
    ] = None,
    mode: Annotated[
        str | None,
        typer.Option(
            help="Pages that already have text: skip-text (keep, default), redo (replace an old OCR layer), force "
            "(read every page, its text turned into an image)."
        ),
    ] = None,
) -> None:
    """OCR only: write a searchable PDF (scan pixels + invisible Vietnamese text layer)."""
    _errors_as_json(as_json)
    settings = _settings(ocr_language=language, ocr_workers=workers, ocr_mode=mode)
    input_file = _require_file(input_file)
    _check_output_pdf(input_file, output)
    if settings.workers_to_start_ahead:
        from ocr.tesseract_library import start_workers_ahead

        # their models load while the OCR stage is imported (~0.5 s) and the first page rendered
        start_workers_ahead(settings.ocr_language, settings.tessdata_dir, count=settings.workers_to_start_ahead)
    from flows.pipeline import run_ocr
    from flows.stopping import exit_code_of, said_signal, stops_on_signals

    before = file_identity(output)
    try:
        # SIGTERM as Ctrl-C: the scratch folder and the Tesseract workers go with it (until 2026-12-06 a SIGTERM
        # ended the command on the spot, its scratch left in WORK: QA140 F5)
        with stops_on_signals(), _pages_bar(input_file, shown=not as_json and err.is_terminal):
            result = run_ocr(input_file, output, settings)
    except KeyboardInterrupt as stopped:
        how = said_signal(stopped)
        if file_identity(output) not in (before, None):
            # stopped once the copy had taken its place (QA170 F9: "was not written" of a file written in full)
            said = f"đã dừng ({how}) sau khi đã ghi xong {output} / stopped ({how}) after {output} was written in full"
        else:
            said = f"đã dừng ({how}): chưa ghi {output} / stopped ({how}): {output} was not written"
        raise _fail(said, exit_code_of(stopped), input_file) from None
    except BadInputError as exc:
        raise _fail(_bad_input_message(input_file, exc), EXIT_NOT_RIGHT, input_file) from exc
    except InputChangedError as exc:
        # not the file's fault, nor sohoa's (QA170 F0, F0b: a copy of two files, exit 0; "an internal error")
        raise _fail(_input_changed_message(input_file, output), EXIT_FAULT, input_file) from exc
    except OSError as exc:
        if (fault := machine_fault(exc)) is None:
            raise
        # a disk that filled up (or went read-only) while the pages were read: the machine's, said as such — and
        # where: the scratch folder's disk, not the output's, was the full one, and an operator freed space on the
        # output's and met the same error (QA170 F7)
        vietnamese, english = machine_fault_words(fault)
        work = settings.work_path
        if _in_scratch(fault, work, output):
            raise _fail(
                f"{work}: không ghi được vào thư mục tạm (SOHOA_WORK_DIR), chưa ghi {output}: {vietnamese} / the "
                f"scratch folder (SOHOA_WORK_DIR) could not be written, {output} was not written: {english}",
                EXIT_FAULT,
                input_file,
            ) from exc
        raise _fail(
            f"{output}: không ghi được tệp ra: {vietnamese} / the output could not be written: {english}",
            EXIT_FAULT,
            output,
        ) from exc
    except StageError as exc:
        from ocr.tesseract import MissingLanguageError

        # a language given with --language that is not installed is a usage error, not a fault of the machine
        usage = language is not None and isinstance(exc, MissingLanguageError)
        raise _fail(str(exc), EXIT_USAGE if usage else EXIT_FAULT, input_file) from exc
    if as_json:
        payload = result.model_dump(mode="json")
        payload["mean_confidence"] = result.mean_confidence
        # each page's line of the plain output (why it is low, blank, too small), or null: a script was left to
        # work out from the bars why a page was `low` (QA165 F7)
        for page_json, page_said in zip(payload["pages"], _pages_said(result), strict=True):
            page_json["quality_note"] = page_said
        _print_json(payload)
    else:
        _say_ocr_result(output, result)
    if not result.pdfa:
        # written, searchable and usable, but not the archival copy the command promises: "done but not all right",
        # as a script checking the exit code must be told (QA96: exit 0, and stdout alone said it)
        # on stderr with --json too (QA116 F6: the JSON alone said it), stdout keeping the JSON alone
        where = ("`pdfa_problems` trong JSON", "`pdfa_problems` in the JSON") if as_json else ("ở trên", "above")
        err.print(
            f"sohoa: {output}: không đạt chuẩn PDF/A (xem lý do {where[0]}) / not PDF/A (the reasons {where[1]})",
            markup=False,
        )
        raise typer.Exit(EXIT_NOT_RIGHT)


def _say_ocr_result(output: Path, result: OcrResult) -> None:
    """`sohoa ocr`'s plain output: pages, corrections, pages of note, PDF/A or why not."""
    ocred = sum(1 for p in result.pages if p.ocr)
    mean = result.mean_confidence
    confidence = "" if mean is None else f", độ tin cậy trung bình / mean confidence {mean}"
    out.print(f"{output}: {len(result.pages)} trang / page(s), nhận dạng / OCR'd {ocred}{confidence}", markup=False)
    if corrected := result.corrected_words:
        # this file's own corrections, as a reviewer checks them (QA96: the example was one fixed string, the
        # same for a file of English pages); every one of them is in --json, each page's `corrections`
        seen = list(dict.fromkeys(f"{read} → {right}" for page in result.pages for read, right in page.corrections))
        more = ", …" if len(seen) > 3 else ""
        out.print(
            f"  {corrected} từ được sửa dấu theo các từ bên cạnh / {corrected} word(s) with diacritics put right "
            f"by their neighbouring words: {', '.join(seen[:3])}{more}",
            markup=False,
        )
    from sohoa.record import page_run

    kept = [page.number for page in result.pages if not page.ocr and page.too_small is None]
    if kept:  # (every page of a born-digital file too: "OCR'd 0" alone did not say why, QA168 F4)
        out.print(f"  giữ lớp chữ / text layer kept: tr. / p. {page_run(kept)}", markup=False)
    for page, said in zip(result.pages, _pages_said(result), strict=True):
        if said is not None:
            out.print(f"  {said}", markup=False)
        if page.dpi_assumed:
            out.print(
                f"  trang {page.number}: ảnh không ghi độ phân giải; đã coi là {page.dpi} dpi, kích thước trang "
                f"có thể sai / page {page.number}: the image states no resolution; taken as {page.dpi} dpi, the "
                "page size may be wrong",
                markup=False,
            )
        if page.text_layer_note:
            from ocr.pipeline import OWN_TEXT_KEPT

            old_layer = "giữ lớp chữ cũ" if page.text_layer_note.endswith(OWN_TEXT_KEPT) else "bỏ lớp chữ ẩn cũ"
            out.print(
                f"  trang {page.number}: {_text_layer_note_vi(page.text_layer_note)}, đã nhận dạng như bản quét "
                f"({old_layer}) / page {page.number}: {page.text_layer_note}",
                markup=False,
            )
    for notice in result.notices:  # what the copy changed of the input (QA96: done without a word)
        out.print(f"  {notice}", markup=False)
    if result.pdfa:
        out.print(f"  PDF/A-{result.pdfa.lower()}")
    else:  # the output is still written, searchable and usable: only the archival claim is withheld
        from classify.review import reason_in_both
        from ocr.quality import cmyk_reason, unembedded_font_reason

        # Vietnamese first, as every line an officer reads (QA101: English first, the rules in English only); the
        # reasons a record goes to review for are said in Vietnamese too
        out.print("  không đạt chuẩn PDF/A (PDF thường) / not PDF/A (plain PDF):", markup=False)
        for reason in (unembedded_font_reason(result.pdfa_problems), cmyk_reason(result.pdfa_problems)):
            if reason is not None:  # in both languages, as every other line (QA133 F5: Vietnamese only)
                out.print(f"  {reason_in_both(reason)}", markup=False)
        from sohoa.pdfa import problem_topic_vi

        for problem in result.pdfa_problems:
            topic = problem_topic_vi(problem)
            out.print(f"  - {f'[{topic}] ' if topic else ''}{problem}", markup=False)
    if result.input_signatures:
        out.print(
            f"  {result.input_signatures} chữ ký số của tệp gốc không có trong bản này (ghi lại tệp sẽ làm hỏng chữ "
            f"ký); tệp gốc vẫn giữ nguyên / the input's {result.input_signatures} digital signature(s) are not in "
            "this copy (rewriting the file breaks them); the input keeps them",
            markup=False,
        )


def _text_layer_note_vi(note: str) -> str:
    """Why a page's own text layer was read as a scan all the same, in Vietnamese (the record's note is English)."""
    from ocr.pipeline import LEGACY_FONT_NOTE, MARKS_LOST_NOTE, NOT_TEXT_NOTE

    if note.startswith(NOT_TEXT_NOTE):
        return "lớp chữ sẵn có không phải chữ đọc được (mã ký tự sai)"
    if note.startswith(MARKS_LOST_NOTE):
        return "lớp chữ sẵn có là chữ Việt bị mất dấu (không dấu, hoặc dấu thành '?')"
    if note.startswith(LEGACY_FONT_NOTE):
        return "lớp chữ sẵn có là chữ Việt theo bảng mã cũ (TCVN3/VNI), không phải Unicode"
    return "lớp chữ sẵn có quá ít so với ảnh quét phủ trang"


def _pages_said(result: OcrResult) -> list[str | None]:
    """Each page's ``_page_quality_said``, in order."""
    page_texts = result.text.split("\f")  # (one part a page, in order: ocr.pipeline joins them so)
    return [
        _page_quality_said(page, page_texts[page.number - 1] if len(page_texts) == len(result.pages) else "")
        for page in result.pages
    ]


def _page_quality_said(page: PageOcr, read: str = "") -> str | None:
    """A page `sohoa ocr` names in its plain output, Vietnamese / English (until 2026-12-01 in --json only, QA56):
    one of low quality (it sends a record to review), a blank one (with ``read``, the words read on it, quoted
    where there are some), one too small to be a scan (kept as it is, not read); None for a page read well or
    whose text layer was kept."""
    from ocr.quality import (
        AMONG_SHOW_THROUGH,
        AMONG_SHOW_THROUGH_VI,
        BLANK,
        DOUBTFUL_ADVICE,
        DOUBTFUL_ADVICE_VI,
        DOUBTFUL_WHY,
        DOUBTFUL_WHY_VI,
        LOW,
        MAX_UNREAD_PRINT,
        MIDDLING_WHY,
        MIDDLING_WHY_VI,
        MIN_LEXICON_SHARE,
        UNREAD_ADVICE,
        UNREAD_ADVICE_VI,
        confidence_bar,
        middling_bars,
        too_doubtful,
    )
    from ocr.tesseract import reads_vietnamese
    from sohoa.record import FAINT_MARKS_SAID, INK_MARKS_SAID, few_words_read, size_in_vietnamese

    said = f"trang / page {page.number}: "
    if page.too_small is not None:
        return (
            f"{said}quá nhỏ để là bản quét / too small to be a scan ({size_in_vietnamese(page.too_small)} / "
            f"{page.too_small}), giữ nguyên, không nhận dạng / kept as it is, not read"
        )
    if page.quality == BLANK and page.faint_marks:
        return f"{said}{FAINT_MARKS_SAID}"
    if page.quality == BLANK and (words := few_words_read(read)):  # "Trang 2" read on it (QA155 F2): not nothing
        return f"{said}trang trắng, chỉ đọc được {words} / blank but for {words} read"
    if page.quality == BLANK and page.ink_marks:  # "- 2 -" in black, unread (QA156 F3)
        return f"{said}{INK_MARKS_SAID}"
    if page.quality == BLANK:
        return f"{said}trang trắng / blank"
    if page.quality != LOW:
        return None
    if page.confidence is None:
        return f"{said}không đọc được chữ nào / no words read"
    signals = [f"độ tin cậy / confidence {page.confidence:.1f}"]
    vietnamese = reads_vietnamese(page.language)
    if not vietnamese and page.confidence < confidence_bar(vietnamese):
        # its bar is higher than a Vietnamese page's: said, or "confidence 76.0" reads as good enough
        signals[0] += f" < {confidence_bar(vietnamese):.0f} (đọc bằng {page.language} / read in {page.language})"
    unread = page.unread_print is not None and page.unread_print > MAX_UNREAD_PRINT
    doubtful = too_doubtful(page.doubtful_print)
    if page.lexicon_share is not None and page.lexicon_share < MIN_LEXICON_SHARE:
        signals.append(f"từ tiếng Việt / Vietnamese words {page.lexicon_share:.0%}")
    elif page.confidence >= confidence_bar(vietnamese) and not (unread or doubtful or page.among_show_through):
        if vietnamese and (bars := middling_bars(page.confidence, page.lexicon_share)) is not None:
            signals[0] += f" < {bars[0]:.0f}"
            signals.append(
                f"từ tiếng Việt / Vietnamese words {page.lexicon_share:.1%} < {bars[1]:.0%}:"
                f" {MIDDLING_WHY_VI} / {MIDDLING_WHY}: {DOUBTFUL_ADVICE_VI} / {DOUBTFUL_ADVICE}"
            )
        else:
            signals.append("dưới ngưỡng / below the bar")
    if unread:
        signals.append(
            f"chữ in không đọc được / print not read {page.unread_print:.0%}: {UNREAD_ADVICE_VI} / {UNREAD_ADVICE}"
        )
    if doubtful:
        signals.append(
            f"chữ đọc không chắc / print read in doubt {page.doubtful_print:.0%} ({DOUBTFUL_WHY_VI} / {DOUBTFUL_WHY}):"
            f" {DOUBTFUL_ADVICE_VI} / {DOUBTFUL_ADVICE}"
        )
    if page.among_show_through:
        signals.append(f"{AMONG_SHOW_THROUGH_VI} / {AMONG_SHOW_THROUGH}")
    return f"{said}chất lượng thấp / low quality ({'; '.join(signals)})"


@app.command(
    name="ocr-server",
    epilog=(
        "Examples:\n\n  sohoa ocr-server &                 # then: sohoa ocr scan.pdf out.pdf\n\n"
        "  sohoa ocr-server --idle 600        # stops after 10 idle minutes\n\n"
        "  sohoa ocr-server --stop            # stops the one running\n\n"
        "Exit codes: 0 stopped (SIGTERM, Ctrl-C, idle, or sohoa's code changed), or --stop done (or none ran);\n"
        "1 --stop waited 60 s and the server is still finishing its commands (it stops once they end);\n"
        "2 the socket is not usable, or another server serves it."
    ),
)
def ocr_server(
    socket: Annotated[
        Path | None,
        typer.Option(help="Socket to listen on (default SOHOA_OCR_SERVER_SOCKET, else a private folder of yours)."),
    ] = None,
    idle: Annotated[float, typer.Option(help="Stop after this many seconds without a command (0: never).")] = 0,
    stop: Annotated[bool, typer.Option("--stop", help="Stop this socket's server, and wait until it has.")] = False,
) -> None:
    """Serve `sohoa ocr` warm: a process with the OCR stage already imported forks a child for each
    `sohoa ocr` command of this user, which then starts in milliseconds instead of ~1 s. The commands run as they
    would on their own (their folder, environment, output and exit code); without a server they just do.
    `sohoa ocr` starts one itself when none runs (SOHOA_OCR_SERVER=start, the default), which stops after
    SOHOA_OCR_SERVER_IDLE seconds (600) without a command."""
    from flows.launch import idle_seconds, socket_path
    from flows.ocr_server import AlreadyServing, serve, stop_server

    if idle_seconds(str(idle)) is None:  # (QA170 F6: -5 stopped at once, nan never)
        raise _fail(
            f"--idle phải là một số giây từ 0 trở lên, không phải {idle:g} / --idle must be a number of seconds, 0 or "
            f"more, not {idle:g}"
        )
    path = socket or Path(socket_path())
    if stop:
        try:
            pid = stop_server(path)
        except TimeoutError as exc:
            # it stops once its commands end, and takes no new one: not done, but under way (QA170 F8: English,
            # exit 2, as if the socket were not usable)
            raise _fail(
                f"{path}: máy chủ OCR (pid {exc.args[0]}) vẫn đang làm nốt lệnh đang chạy sau {exc.args[1]:g} s: nó sẽ "
                f"dừng khi xong, không nhận lệnh mới / the OCR server (pid {exc.args[0]}) is still finishing the "
                f"command(s) it runs after {exc.args[1]:g} s: it stops once they end, and takes no new one",
                EXIT_NOT_RIGHT,
            ) from exc
        except OSError as exc:
            raise _fail(f"{path}: {exc}") from exc
        err.print(
            f"{path}: đã dừng máy chủ OCR (pid {pid}) / stopped the OCR server (pid {pid})"
            if pid
            else f"{path}: không có máy chủ OCR nào đang chạy / no OCR server was running",
            markup=False,
        )
        return
    try:
        serve(path, idle_seconds=idle)
    except AlreadyServing as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"{path}: không nghe được ở đó / cannot listen there: {exc}") from exc


# ------------------------------------------------------------------------------------------- watch
@app.command(
    epilog=(
        "Examples:\n\n  sohoa watch /srv/inbox\n\n  sohoa watch /srv/inbox --archive /srv/archive --once --json\n\n"
        "Exit codes: 0 stopped (SIGTERM, Ctrl-C); with --once: 0 all archived; 1 some quarantined; 3 some failed "
        "(left claimed for a retry) or could not be taken (left in the inbox); 130 / 143 stopped by Ctrl-C / SIGTERM."
    )
)
def watch(
    inbox: Annotated[Path, typer.Argument(help="The folder officers drop scans into (subfolders too).")],
    archive: Annotated[
        str | None,
        typer.Option(help=ARCHIVE_HELP),
    ] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass over the inbox, then exit.")] = False,
    stable_seconds: Annotated[
        float | None, typer.Option(help="A file unchanged this long is complete (default SOHOA_WATCH_STABLE_SECONDS).")
    ] = None,
    as_json: Annotated[
        bool,
        typer.Option("--json", help="With --once: print the receipts (and the stacks' dropped blank pages) as JSON."),
    ] = False,
) -> None:
    """Watch an inbox folder (filesystem events, plus a full rescan every SOHOA_WATCH_INTERVAL seconds): claim each
    complete file, process it (its first-level subfolder becomes a tag), write a receipt to DATA_DIR/outbox/ and
    beside the archived record."""
    _errors_as_json(as_json)
    if as_json and not once:  # it was ignored without a word: a watcher that runs on has no report to print (QA)
        raise _fail("--json đi cùng --once / --json goes with --once (a running watcher writes receipts instead)")
    settings = _settings(archive=str(archive) if archive else None, watch_stable_seconds=stable_seconds)
    inbox = _input_path(inbox)
    if not inbox.exists():
        raise _fail(no_such(inbox, "folder"), path=inbox)
    if not inbox.is_dir():
        raise _fail(f"{inbox}: là một tệp, không phải thư mục / is a file, not a folder", path=inbox)
    from flows.watch import dropped_pages, inbox_problem
    from flows.watch import watch as run_watch

    if (problem := inbox_problem(inbox, settings)) is not None:
        raise _fail(problem, path=inbox)
    _check_batch_settings(settings)
    from flows.pipeline import MisplacedArchiveError, check_locations

    try:  # before the first file is claimed (the watcher checks again before each claim)
        check_locations(settings)
    except MisplacedArchiveError as exc:  # as `process`: a usage error
        raise _fail(str(exc)) from exc
    except StageError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc  # said in both languages where it is found (a bucket too)

    from flows.stopping import exit_code_of, said_signal, stops_on_signals
    from flows.watch import FilesNotTaken, stopped_message

    not_taken: FilesNotTaken | None = None
    try:
        with stops_on_signals():  # SIGTERM (systemctl stop) as Ctrl-C: a watcher stopped says what it leaves
            receipts = run_watch(inbox, settings, once=once)
    except FilesNotTaken as exc:  # the files it took are done; the others stay in the inbox
        not_taken, receipts = exc, exc.receipts
    except KeyboardInterrupt as stopped:  # --once stopped mid-pass (a running watcher says it and returns)
        raise _fail(stopped_message(inbox, settings, said_signal(stopped)), exit_code_of(stopped)) from None
    if as_json:
        # the stacks' blank parts (a separator's back, fed duplex), as process --json lists them
        payload: dict[str, Any] = {"receipts": receipts, "dropped_pages": dropped_pages(receipts)}
        if not_taken is not None:
            payload |= {"not_taken": not_taken.problems, "error": str(not_taken), "exit_code": EXIT_FAULT}
        _print_json(payload)
    if not_taken is not None:
        err.print(f"[bold red]sohoa: {escape(one_line(str(not_taken)))}[/]")
        raise typer.Exit(EXIT_FAULT)
    outcomes = {r["outcome"] for r in receipts}
    raise typer.Exit(EXIT_FAULT if "failed" in outcomes else EXIT_NOT_RIGHT if "quarantined" in outcomes else EXIT_OK)


# `sohoa classify` (with `classify train`) and `sohoa review` live in flows/commands_classify.py.

# `sohoa sign`, `verify` and `keys` live in flows/commands_signing.py with the other signing commands.

# `sohoa list` lives in flows/commands_storage.py with the other archive commands.


# Commands of each stage's later work live in their own modules, each with register(app).
for _module in ("flows.commands_classify", "flows.commands_signing", "flows.commands_storage"):
    __import__(_module, fromlist=["register"]).register(app)


def _internal_error(exc: Exception, *, verbose: bool) -> None:
    """Say a bug of sohoa's as one: in both languages, not the input's fault, the traceback kept in a file to send
    with a report (and printed too with -v). It was a bare traceback — QA57: a PNG img2pdf could not parse gave
    `sohoa ocr` nothing but Python's traceback, naming no file, exit 1 (which `verify` uses for "not valid")."""
    import tempfile
    import traceback

    details = "".join(traceback.format_exception(exc))
    kept: Path | None = None
    with contextlib.suppress(Exception):  # the settings may be what failed: then the system's temporary folder
        folder = Path(tempfile.gettempdir())
        with contextlib.suppress(Exception):
            folder = load_settings().data_dir / "crashes"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kept = folder / f"sohoa-{stamp}-{os.getpid()}.txt"
        kept.write_text(f"sohoa {' '.join(sys.argv[1:])}\n\n{details}", encoding="utf-8")
    what = one_line(f"{type(exc).__name__}: {exc}")[:300]
    where_vi = f"; chi tiết trong {kept}" if kept else ""
    where_en = f"; details in {kept}" if kept else ""
    if verbose or kept is None:
        err.print(escape(details), end="", soft_wrap=True, highlight=False)
    _fail(
        f"lỗi nội bộ của sohoa, không phải do tệp đầu vào ({what}){where_vi} — xin báo lại kèm tệp này / internal "
        f"error in sohoa, not the input's fault ({what}){where_en} — please report it with that file",
        EXIT_FAULT,
    )


def _usage_in_vietnamese(exc: click_exceptions.ClickException, argv: list[str] = []) -> None:  # noqa: B006
    """Click's own messages (a usage error it finds before the command runs: ``Invalid value for '--renew-within':
    'abc' is not a valid integer.``) were English only (QA58): they are said ``tiếng Việt / English`` by the kind of
    error, Click's words kept as they are (they name the option and the value). A word of ``argv`` (the command
    line) starting with "-" that Click took for options (``sohoa search '-quyet'``: "No such option: -q") is told
    how to give it: ``sohoa search -- '-quyet'``."""
    english = exc.format_message()
    if isinstance(exc, click_exceptions.NoSuchOption):
        vietnamese = "không có tùy chọn này"
    elif isinstance(exc, click_exceptions.MissingParameter):
        vietnamese = "thiếu tham số bắt buộc"
    elif isinstance(exc, (click_exceptions.BadParameter, click_exceptions.BadOptionUsage)):
        vietnamese = "giá trị không hợp lệ"
    elif "No such command" in english:
        vietnamese = "không có lệnh này"
    elif "unexpected extra argument" in english:
        vietnamese = "thừa đối số"
    elif isinstance(exc, click_exceptions.UsageError):
        vietnamese = "sai cách dùng lệnh"
    else:
        vietnamese = "lỗi"
    bilingual = f"{vietnamese} (xem --help) / {english}"
    if isinstance(exc, click_exceptions.NoSuchOption) and exc.ctx is not None:
        # `sohoa search '-quyet'` said "No such option: -q": a word starting with "-" is read as options
        word = next((a for a in argv if a.startswith(exc.option_name) and not a.startswith("--")), None)
        if word is not None and len(word) > 2:
            names: list[str] = []
            ctx = exc.ctx
            while ctx.parent is not None:  # the (sub)command's names, the program's own said as sohoa
                names.insert(0, ctx.info_name or "")
                ctx = ctx.parent
            again = " ".join(["sohoa", *names, "--", shlex.quote(word)])
            bilingual += (
                f"; {word!r} bắt đầu bằng '-' nên bị đọc như tùy chọn, hãy đặt -- trước nó / {word!r} starts with '-', "
                f"so it was read as options: put -- before it: {again}"
            )
    exc.format_message = lambda: bilingual  # type: ignore[method-assign]


def main(args: list[str] | None = None, command: TyperGroup | None = None) -> None:
    """Run the command line on ``args`` (default: this process's arguments); ``command`` is the app already
    built into a click command (`sohoa ocr-server` builds it once for all its children)."""
    argv = sys.argv[1:] if args is None else args
    _streams_never_fail()
    try:
        # not standalone: a usage error Click finds before the command runs (`audit --renew-within abc --json`)
        # comes back here, to be said as JSON too under --json, as the commands' own errors are (stdout was empty)
        try:
            if command is None:
                code = app(args=args, standalone_mode=False)
            else:
                code = command.main(args=args, prog_name="sohoa", standalone_mode=False)
        except click_exceptions.NoArgsIsHelpError as exc:
            # `sohoa`, `sohoa ledger` alone: the help, as Click shows it when it runs standalone (not standalone, it
            # came back here, and was said as nothing at all, exit 2)
            exc.show()
            sys.exit(exc.exit_code)
        except click_exceptions.ClickException as exc:
            _usage_in_vietnamese(exc, argv)
            if "--json" in argv:
                _print_json({"path": None, "error": exc.format_message(), "exit_code": exc.exit_code})
            # escaped before the box is laid out, as the stream will write it (QA80: the box's edge out of line)
            boxed = written_as(exc.format_message(), getattr(sys.stderr, "encoding", None) or "utf-8")
            exc.format_message = lambda: boxed  # type: ignore[method-assign]
            # imported here, ~0.15 s (rich's markdown and more) for an error only; `from`: an `import typer.…` would
            # make `typer` a name local to this whole function, unbound where it is used before
            from typer import rich_utils

            rich_utils.rich_format_error(exc)
            sys.exit(exc.exit_code)
        except typer.Abort:
            from typer import rich_utils

            rich_utils.rich_abort_error()
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else EXIT_OK)
    except KeyboardInterrupt as stopped:
        # any command stopped in its first half second, while typer builds the command line (QA140 F8: a 40-line
        # traceback): said, and 130, as a shell reports Ctrl-C (once the command runs, typer ends it with 130 itself)
        from flows.stopping import exit_code_of, said_signal

        _fail(f"đã dừng ({said_signal(stopped)}) / stopped ({said_signal(stopped)})", exit_code_of(stopped))
        sys.exit(exit_code_of(stopped))
    except SystemExit as exc:
        if exc.code == 1 and type(sys.stdout).__name__.lstrip("_") == "PacifyFlushWrapper":
            # The reader of stdout went away (`sohoa --help | head -1`): Click then says nothing and exits 1, the
            # code of audit, verify and ledger verify for "problems found" (QA80). A shell's code for a command a
            # closed pipe ended, as `yes | head` gives.
            sys.exit(EXIT_PIPE_CLOSED)
        raise
    except SohoaError as exc:  # a last line of defence: never a bare traceback for our own errors
        _fail(str(exc), EXIT_FAULT)
        sys.exit(EXIT_FAULT)
    except Exception as exc:
        if isinstance(exc, BrokenPipeError) and _stdout_reader_gone():
            _output_to_devnull()  # written by print() (the JSON): as the consoles' own writes (_LineConsole)
            sys.exit(EXIT_PIPE_CLOSED)
        # a full, read-only or failing disk met by any command (`sohoa ocr` into a full folder printed pikepdf's
        # traceback): the machine's fault, said in both languages, exit 3
        if (fault := machine_fault(exc)) is not None:
            vietnamese, english = machine_fault_words(fault)
            _fail(f"{vietnamese} / {english}", EXIT_FAULT)
            sys.exit(EXIT_FAULT)
        _internal_error(exc, verbose=any(flag in argv for flag in VERBOSE_FLAGS))
        sys.exit(EXIT_FAULT)
    finally:
        # Everything is written and closed by now. At exit Python's cycle collector walks every object still alive,
        # several times (Prefect, pyHanko, scikit-learn: millions of objects): ~1.2 s of a `sohoa process` run here,
        # ~0.1 s frozen. atexit handlers still run, objects are still freed as their modules are cleared; only
        # garbage in reference cycles is left to the operating system, as the process ends anyway.
        gc.freeze()


if __name__ == "__main__":
    from flows.launch import utf8_file_names

    utf8_file_names()  # as the `sohoa` command does first
    main()
