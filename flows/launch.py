"""The `sohoa` command's entry point: `sohoa ocr` goes to a running OCR server when one answers
(``flows.ocr_server``), everything else — and `sohoa ocr` when none does — to the command line in this process.

When none answers, `sohoa ocr` also starts one in the background (``SOHOA_OCR_SERVER``: ``start``, the default;
``use`` only uses a running one; ``off`` never does), which stops after ``SOHOA_OCR_SERVER_IDLE`` seconds without
a command: the next command is then a fork of a process that has everything imported. Both variables are read
from the environment only, as the socket's path is: they are needed before any configuration is loaded.

Only what the hand-over needs of the standard library is imported before that choice: the start-up the server
saves (a command handed over costs ~0.05 s of Python before it reaches the server).
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import signal
import socket
import struct
import sys
import zlib

ROOT = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))  # the checkout a server must run from too
SOCKET_ENV = "SOHOA_OCR_SERVER_SOCKET"
POLICY_ENV = "SOHOA_OCR_SERVER"
POLICIES = ("start", "use", "off")
IDLE_ENV = "SOHOA_OCR_SERVER_IDLE"
DEFAULT_IDLE = 600.0
# The descriptor of the server's lock file, already locked, that `sohoa ocr` hands to the server it starts: one
# server per socket, and no second one started while the first is still importing (internal).
LOCK_FD_ENV = "SOHOA_OCR_SERVER_LOCK_FD"
HEADER = struct.Struct("!I")  # the length of the JSON request that follows
MAX_REQUEST = 1 << 20


UTF8_ENV = "SOHOA_UTF8_NAMES"  # internal: set in the process started again in UTF-8 mode (once, never a loop)


def main() -> None:
    starting = stop_while_starting()
    utf8_file_names()
    standard_streams_open()
    if sys.argv[1:2] == ["ocr"]:
        policy = os.environ.get(POLICY_ENV, "start") or "start"
        if policy not in POLICIES:
            said = (
                f"{POLICY_ENV} phải là một trong {', '.join(POLICIES)}, không phải {policy!r} / must be one of "
                f"{', '.join(POLICIES)}, not {policy!r}"
            )
            sys.exit(_said_and_ended(sys.argv[1:], said, 2))
        if policy != "off":
            code = forward(sys.argv[1:])
            if code is not None:
                sys.exit(code)
        if policy == "start" and not {"--help", "-h"} & set(sys.argv[2:]):
            start_server_in_background()
    from flows.cli import main as run_here

    started(starting)
    run_here()


def standard_streams_open() -> None:
    """Standard input, output and error, each open: one closed (``>&-`` on a cron line, a daemon's) is given
    /dev/null. Else the next file or socket opened took its number — the OCR server's connection, which the served
    command was then handed as its stdout, and every "I" or "T" it printed read as the caller's Ctrl-C or SIGTERM:
    exit 130 or 143 for a command that succeeded (QA170 F3)."""
    for number in (0, 1, 2):
        try:
            os.fstat(number)
        except OSError:
            opened = os.open(os.devnull, os.O_RDWR)
            if opened != number:  # (a lower one was closed too, and took this: given its own below)
                os.dup2(opened, number)
                os.close(opened)


def _said_and_ended(argv: list[str], said: str, code: int) -> int:
    """``said`` on stderr as ``sohoa: …`` (and on stdout as the JSON every command's errors are with ``--json``,
    naming the input), and ``code`` to end with."""
    sys.stderr.write(f"sohoa: {said}\n")
    if "--json" in argv:
        inputs = _positional(argv[1:])
        error = {"path": inputs[0] if inputs else None, "error": said, "exit_code": code}
        with contextlib.suppress(OSError):
            sys.stdout.write(json.dumps(error, ensure_ascii=False, indent=2) + "\n")
            sys.stdout.flush()
    return code


# the options of `sohoa ocr` that take a value (flows.cli.ocr), for its INPUT and OUTPUT to be told from them
_VALUED_OPTIONS = frozenset({"--language", "--workers", "--mode"})


def _positional(arguments: list[str]) -> list[str]:
    """The arguments of ``sohoa ocr`` that are no option nor an option's value: INPUT, OUTPUT."""
    found: list[str] = []
    skip = False
    for argument in arguments:
        if skip:
            skip = False
        elif argument in _VALUED_OPTIONS:
            skip = True
        elif not argument.startswith("-") or argument == "-":
            found.append(argument)
    return found


def stop_while_starting() -> dict[int, signal._HANDLER]:
    """Ctrl-C or SIGTERM before the command line is built (the ~0.2 s of imports of ``flows.cli``: typer, rich,
    pydantic) ends the command at once, said in a line, with 130 or 143 — until 2026-12-07 a Ctrl-C then printed
    a traceback of 12–37 lines from inside an import, and a SIGTERM ended it without a word (QA158 F6). Nothing is
    under way yet to finish or clean up (no file opened, no scratch folder made), so the process exits on the spot
    rather than raise inside an import (an exception raised inside a C extension's module init aborts Python: see
    ``flows.stopping``). A signal ignored (nohup, a shell's background job) stays ignored. The handlers before,
    returned, are put back by ``started``; the interpreter's own start (~0.03 s) comes before any of this."""
    previous: dict[int, signal._HANDLER] = {}
    for signum in (signal.SIGINT, signal.SIGTERM):
        if signal.getsignal(signum) != signal.SIG_IGN:
            previous[signum] = signal.signal(signum, _stopped_while_starting)
    return previous


def started(previous: dict[int, signal._HANDLER]) -> None:
    """The command line is built: a stop from here is the command's (``flows.cli.main``, ``flows.stopping``). The
    handlers before are put back, but a SIGTERM left to the system's default is raised as a Ctrl-C is, until the
    command sets its own stop: in the ~0.06 s between, it ended `sohoa ocr` without a word, 143 (QA161 N5), where
    a Ctrl-C was said. (The processes a command starts are commands of their own, exec'd: they start with the
    default again.)"""
    from flows.stopping import stopped_before_the_commands_stop

    for signum, handler in previous.items():
        if signum == signal.SIGTERM and handler == signal.SIG_DFL:
            handler = stopped_before_the_commands_stop
        signal.signal(signum, handler)


def _stopped_while_starting(signum: int, frame: object) -> None:
    how = "SIGTERM" if signum == signal.SIGTERM else "Ctrl-C"
    with contextlib.suppress(Exception):  # a stream closed or full: the exit code still says it
        sys.stderr.write(
            f"sohoa: đã dừng ({how}) khi đang khởi động, chưa làm gì / stopped ({how}) while starting: nothing done\n"
        )
        sys.stderr.flush()
    os._exit(128 + signum)


def utf8_file_names() -> None:
    """Start this command again in Python's UTF-8 mode when file names are not decoded as UTF-8 (an ASCII or Latin-1
    locale with ``PYTHONUTF8=0``: ``env -u LANG LC_ALL=C PYTHONUTF8=0 sohoa list``): Python could then name no file
    with a Vietnamese letter — the archive's ``2025/QĐ/…`` — and every such command ended in a UnicodeEncodeError
    (QA). Python's own choice for the C locale, which ``PYTHONUTF8=0`` had turned off. Standard output and error
    keep the locale's encoding (``PYTHONIOENCODING``, unless given), writing what it cannot hold as escapes
    (``flows.cli``); the Python processes the command starts inherit both."""
    import codecs

    if codecs.lookup(sys.getfilesystemencoding()).name == "utf-8" or os.environ.get(UTF8_ENV) or not sys.orig_argv:
        return
    env = dict(os.environ, PYTHONUTF8="1", **{UTF8_ENV: "1"})
    if "PYTHONIOENCODING" not in env and sys.stdout is not None:
        env["PYTHONIOENCODING"] = f"{sys.stdout.encoding}:backslashreplace"
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    os.execve(sys.executable, [sys.executable, *sys.orig_argv[1:]], env)


def socket_path() -> str:
    """Where the OCR server listens: ``SOHOA_OCR_SERVER_SOCKET``, or a private folder of this user's, one socket
    per installation (checkout and Python environment: a server runs only its own installation's code)."""
    configured = os.environ.get(SOCKET_ENV)
    if configured:
        return configured
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    folder = os.path.join(runtime, "sohoa") if runtime else f"/tmp/sohoa-{os.getuid()}"
    installation = zlib.crc32(f"{ROOT}\0{sys.prefix}".encode())
    return os.path.join(folder, f"ocr-{installation:08x}.sock")


def lock_path(socket_file: str) -> str:
    """The file a server holds locked (``flock``) while it lives, with its pid in it."""
    return socket_file + ".lock"


def take_server_lock(socket_file: str) -> int | None:
    """The socket's lock file, opened and locked by this process; None while another process holds it."""
    import fcntl

    lock = os.open(lock_path(socket_file), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(lock)
        return None
    return lock


def record_pid(lock: int, pid: int) -> None:
    """Write the server's pid in its lock file (for `sohoa ocr-server --stop`); never empty for a reader."""
    os.ftruncate(lock, os.pwrite(lock, f"{pid}\n".encode(), 0))


def frame(payload: dict[str, object]) -> bytes:
    """A request or answer on the server's sockets: its length (HEADER), then its JSON."""
    data = json.dumps(payload).encode()
    return HEADER.pack(len(data)) + data


# the longest path a Unix socket may have (sun_path holds 108 bytes, its last a NUL)
MAX_SOCKET_PATH = 107


def idle_seconds(value: str) -> float | None:
    """``value`` as seconds an OCR server waits for a command (``SOHOA_OCR_SERVER_IDLE``, ``--idle``): a finite
    number, 0 or more; None otherwise."""
    try:
        seconds = float(value)
    except ValueError:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def start_server_in_background() -> int | None:
    """Start ``sohoa ocr-server`` for this user's socket, detached, unless one is running or starting; its pid.

    The lock is taken here and handed to the server, so two commands started together start one server."""
    import subprocess

    idle = os.environ.get(IDLE_ENV) or str(DEFAULT_IDLE)
    seconds = idle_seconds(idle)
    if seconds is None:
        # (QA170 F6: -5 started a server that stopped at once, each command; nan one that never stopped)
        sys.stderr.write(
            f"sohoa: {IDLE_ENV} phải là một số giây từ 0 trở lên, không phải {idle!r}: không khởi động máy chủ OCR / "
            f"must be a number of seconds, 0 or more, not {idle!r}: no OCR server started\n"
        )
        return None
    path = socket_path()
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        # no server can listen there: each command started one that died at once, saying so only in its log (F6);
        # said wherever stderr goes, as a bad idle time is (QA175 D2: on a terminal only, a cron job heard nothing)
        sys.stderr.write(
            f"sohoa: {path}: đường dẫn socket dài quá {MAX_SOCKET_PATH} byte, không khởi động máy chủ OCR (đặt "
            f"{SOCKET_ENV} ngắn hơn) / the socket's path is over {MAX_SOCKET_PATH} bytes: no OCR server started "
            f"(set a shorter {SOCKET_ENV})\n"
        )
        return None
    folder = os.path.dirname(path) or "."
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if os.stat(folder).st_uid != os.getuid():
            return None  # another user's folder: the command runs alone
        lock = take_server_lock(path)
    except OSError:
        return None
    if lock is None:
        return None  # one is running (and refused this command) or still starting
    try:
        log_file = os.path.splitext(path)[0] + ".log"  # beside the socket, one per installation
        with open(log_file, "ab") as log:
            if log.tell() > 1 << 20:
                log.truncate(0)  # a line per command: kept short
            server = subprocess.Popen(
                [sys.executable, "-m", "flows.launch", "ocr-server", "--socket", path, "--idle", str(seconds)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                pass_fds=(lock,),
                env={**os.environ, LOCK_FD_ENV: str(lock)},
                start_new_session=True,  # not stopped by the Ctrl-C meant for this command
            )
        record_pid(lock, server.pid)  # for a --stop while it starts
    except OSError:
        return None
    finally:
        os.close(lock)  # the server holds it now
    if sys.stderr.isatty():
        # Vietnamese first, as every other line sohoa prints (QA175 D10), each line whole
        sys.stderr.write(
            f"sohoa: khởi động máy chủ OCR chạy nền (pid {server.pid}) để lệnh `sohoa ocr` sau nhanh hơn; "
            f"tự dừng sau {seconds:g} s không dùng ({POLICY_ENV}=off: không khởi động; nhật ký {log_file})\n"
            f"sohoa: starting an OCR server in the background (pid {server.pid}): the next `sohoa ocr` starts warm; "
            f"it stops after {seconds:g} s without one ({POLICY_ENV}=off: never start it; log {log_file})\n"
        )
    return server.pid


# what a `sohoa ocr` sends the command it handed to the server when it is stopped (flows.ocr_server reads it)
STOP_BYTES: dict[int, bytes] = {signal.SIGINT: b"I", signal.SIGTERM: b"T"}


def forward(argv: list[str]) -> int | None:
    """Run ``sohoa ARGV`` in the OCR server and return its exit code; None when no server takes it (none
    listening, another user's, or its code is stale): the caller then runs the command itself."""
    path = socket_path()
    if not os.path.exists(path):  # the common case costs one stat
        return None
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        connection.connect(path)
        if peer_uid(connection) != os.getuid():
            connection.close()  # never hand our environment (it may hold a password) to another user's process
            return None
        umask = os.umask(0o022)
        os.umask(umask)
        request = frame(
            {
                "argv": argv,
                "cwd": os.getcwd(),
                "env": dict(os.environ),
                "umask": umask,
                "prefix": sys.prefix,
                "root": ROOT,
            }
        )
        socket.send_fds(connection, [request], [0, 1, 2])
        reply = _read_line(connection)
        accepted = bool(reply) and json.loads(reply).get("accepted") is True
    except (OSError, ValueError):  # a socket file left by a killed server, a descriptor we cannot pass, ...
        accepted = False
    if not accepted:
        connection.close()
        return None

    def pass_on(signum: int, frame: object) -> None:
        """Ctrl-C or SIGTERM, told to the command in the server, which stops as it would here (it says so, removes
        its scratch) and sends its exit code, which this one goes on waiting for. Until 2026-12-06 this one died
        at once and the command stopped 3–4 s later, its words after the shell's prompt (QA141 F9)."""
        with contextlib.suppress(OSError):
            connection.sendall(STOP_BYTES[signum])

    previous = {
        signum: signal.signal(signum, pass_on)
        for signum in STOP_BYTES
        if signal.getsignal(signum) != signal.SIG_IGN  # ignored (a background job's Ctrl-C): it stays so
    }
    try:
        ending = _read_line(connection)  # the child's exit code, sent as it ends
    except KeyboardInterrupt:
        return 130  # the child sees the connection close (below) and stops as on Ctrl-C
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        connection.close()
    if not ending:
        # its process killed — the OOM killer's choice, a kill -9 —: said as any error, naming the files (QA170 F4:
        # English only, no file named, no JSON with --json)
        paths = _positional(argv[1:])
        output = paths[1] if len(paths) > 1 else "OUTPUT"
        said = (
            f"{paths[0] if paths else ''}: lệnh trong máy chủ OCR bị dừng giữa chừng (bị kill, hết bộ nhớ?): chưa "
            f"ghi {output}; hãy chạy lại / the OCR server's command was killed (out of memory?): {output} was not "
            "written; rerun it"
        ).lstrip(": ")
        return _said_and_ended(argv, said, 3)
    return int(json.loads(ending)["exit"])


def peer_uid(connection: socket.socket) -> int:
    credentials = connection.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return int(struct.unpack("3i", credentials)[1])


def _read_line(connection: socket.socket) -> bytes:
    data = b""
    while not data.endswith(b"\n"):
        chunk = connection.recv(4096)
        if not chunk:
            return b""
        data += chunk
    return data


if __name__ == "__main__":
    main()
