"""A warm start for `sohoa ocr`: a server process that has already imported the OCR stage forks a child per
command, and the command hands it its arguments, environment, working folder and terminal.

Why: a one-page `sohoa ocr` spends ~1.2 s before its first Tesseract read starting Python, importing typer,
pydantic and the OCR stage (numpy, pikepdf, PDFium, Pillow) and building the command line — a third of the
command. The server does that once; each command is then a fork of it (milliseconds), run exactly as a local
command would run: the child takes the caller's standard input, output and error (passed as file descriptors),
its current folder, environment and umask, and its exit code travels back. Nothing is shared between commands
but the imported code: settings are read in the child, Tesseract workers are the child's own.

`sohoa ocr-server` runs it (until stopped, or until idle for ``--idle`` seconds), and so does a `sohoa ocr`
that finds none (in the background, stopping after ``SOHOA_OCR_SERVER_IDLE`` seconds without a command; see
``flows.launch``). `sohoa ocr` uses it when its socket answers (``SOHOA_OCR_SERVER_SOCKET``, default
``$XDG_RUNTIME_DIR/sohoa/ocr-INSTALLATION.sock`` or ``/tmp/sohoa-UID/ocr-INSTALLATION.sock``) and otherwise
runs in its own process. One server per socket: it holds ``SOCKET.lock`` locked (``flock``, its pid inside)
while it lives. It serves only its own user (the socket's folder is private and each caller's uid is checked),
and refuses, then stops, once any of sohoa's source files has changed since it started, so an upgrade never runs
old code.

The client half is ``flows.launch.forward``, which the `sohoa` command runs before anything else.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.launch import HEADER, LOCK_FD_ENV, MAX_REQUEST, ROOT, lock_path, peer_uid

PACKAGES = ("flows", "ocr", "classify", "signing", "storage", "sohoa")
# Variables that change which Tesseract a worker loads: a ready child's workers are kept only if they agree.
WORKER_ENVIRONMENT = ("TESSDATA_PREFIX", "LD_LIBRARY_PATH")


def code_fingerprint(packages: Iterable[Path]) -> dict[str, tuple[int, int]]:
    """(modification time, size) of every Python file of the given package folders."""
    found: dict[str, tuple[int, int]] = {}
    for package in packages:
        for source in package.rglob("*.py"):
            with contextlib.suppress(OSError):
                status = source.stat()
                found[str(source)] = (status.st_mtime_ns, status.st_size)
    return found


class AlreadyServing(Exception):
    """Another server holds this socket's lock."""

    def __init__(self, path: Path, pid: int | None) -> None:
        super().__init__(f"{path}: an OCR server already serves it (pid {pid or '?'}; `sohoa ocr-server --stop`)")
        self.pid = pid


def serve(path: Path, idle_seconds: float = 0, log: Callable[[str], None] | None = None) -> None:
    """Listen on ``path`` and run each request in a forked child; until SIGTERM/SIGINT, or until nothing has
    been asked for ``idle_seconds`` (0: never). AlreadyServing if another server has it."""
    path = path.absolute()  # the server leaves the folder it was started in
    lock = hold_lock(path)
    try:
        _Server(path, log or (lambda message: print(message, file=sys.stderr, flush=True)), lock).run(idle_seconds)
    finally:
        os.close(lock)


def hold_lock(path: Path) -> int:
    """The socket's lock, held by this process from now on (inherited already locked from the `sohoa ocr` that
    started this server in the background, or taken here), with this process's pid written in it."""
    inherited = os.environ.pop(LOCK_FD_ENV, None)
    if inherited is not None:
        lock = int(inherited)
        os.set_inheritable(lock, False)
    else:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        lock = os.open(lock_path(str(path)), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pid = _pid_in(lock)
            os.close(lock)
            raise AlreadyServing(path, pid) from None
    os.ftruncate(lock, os.pwrite(lock, f"{os.getpid()}\n".encode(), 0))  # never empty for a reader
    return lock


def stop_server(path: Path, timeout: float = 60) -> int | None:
    """Stop the server serving ``path`` (SIGTERM; it finishes the commands it runs) and wait until it has ended;
    its pid, or None if none was running."""
    try:
        lock = os.open(lock_path(str(path)), os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return None
    try:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return None  # nobody holds it
        except BlockingIOError:
            pid = _pid_in(lock)
        for _ in range(100):  # taken a moment ago, its pid not yet written
            if pid is not None:
                break
            time.sleep(0.01)
            pid = _pid_in(lock)
        if pid is None:
            raise OSError(f"{lock_path(str(path))} names no process")
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                if not alive(pid):  # it lets go of the lock a moment before its process ends
                    return pid
            except BlockingIOError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the OCR server (pid {pid}) did not stop within {timeout:g} s")
            time.sleep(0.05)
    finally:
        os.close(lock)


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (a server that `sohoa ocr` started is reaped by whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (FileNotFoundError, IndexError):
        return False


def _pid_in(lock: int) -> int | None:
    text = os.pread(lock, 32, 0).decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


@dataclass
class _ReadyChild:
    """A fork of the server waiting for its command, its Tesseract workers already loaded."""

    pid: int
    channel: socket.socket  # the server's end of a socket pair: the request and the caller's descriptors


class _Server:
    def __init__(self, path: Path, say: Callable[[str], None], lock: int) -> None:
        # The children must be forks of a process with one thread (a fork copies only the calling thread, and a
        # lock some other thread held would stay locked in the child): no library may start one while importing.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        import typer

        import flows.cli
        import flows.pipeline  # noqa: F401  (imported here so that the children need not)
        import ocr.pipeline  # noqa: F401
        from ocr.tesseract import check_language
        from sohoa.errors import StageError
        from sohoa.settings import load_settings

        self.path, self.say, self.lock = path, say, lock
        self.command = typer.main.get_command(flows.cli.app)  # built once; each child runs it
        self.settings = None
        with contextlib.suppress(StageError, ValueError):
            self.settings = load_settings()
            # remembered (functools.cache) by every child reading in this language: a `tesseract` run less each
            check_language(self.settings.ocr_language, self.settings.tessdata_dir)
        os.chdir("/")  # each child goes to its caller's folder; the server keeps none busy (nor a deleted one)
        self.packages = [Path(ROOT) / name for name in PACKAGES]
        self.started_with = code_fingerprint(self.packages)
        self.children: set[int] = set()
        self.stopping = threading.Event()
        self.handlers: dict[int, Any] = {}
        self.ready: _ReadyChild | None = None

    def run(self, idle_seconds: float) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if self.path.parent.stat().st_uid != os.getuid():
            raise SystemExit(f"sohoa: {self.path.parent} belongs to another user; choose another socket")
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()  # left by a server that was killed (a live one would hold the lock)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        umask = os.umask(0o177)  # the socket is born readable and writable by this user only
        try:
            self.listener.bind(str(self.path))
        finally:
            os.umask(umask)
        self.listener.listen(16)
        self.listener.settimeout(0.5)
        self.handlers = {
            s: signal.signal(s, lambda _s, _f: self.stopping.set()) for s in (signal.SIGTERM, signal.SIGINT)
        }
        last_activity = time.monotonic()
        self.say(f"sohoa ocr-server: listening on {self.path} (pid {os.getpid()}, threads {threading.active_count()})")
        try:
            while not self.stopping.is_set():
                self._reap()
                if self.ready is None:  # forked here, with no caller's connection open to be inherited
                    # the next one loads its workers while the last command renders its first page, on the idle core
                    self.ready = self._fork_ready_child()
                if self.children:
                    last_activity = time.monotonic()
                elif idle_seconds and time.monotonic() - last_activity > idle_seconds:
                    self.say(f"sohoa ocr-server: idle for {idle_seconds:g} s, stopping")
                    break
                try:
                    connection, _ = self.listener.accept()
                except (TimeoutError, InterruptedError):
                    continue
                last_activity = time.monotonic()
                with connection:
                    serving = self._take(connection)
                if not serving:
                    break  # the code changed: a new server must be started
        finally:
            self.listener.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            for signum, handler in self.handlers.items():
                signal.signal(signum, handler)
            if self.ready is not None:
                self.ready.channel.close()  # it ends when its channel closes, and so do its workers
                self.children.add(self.ready.pid)
            for child in self.children:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child, 0)
            self.say("sohoa ocr-server: stopped")

    def _reap(self) -> None:
        if self.ready is not None and os.waitpid(self.ready.pid, os.WNOHANG)[0]:  # died waiting: killed, OOM
            self.ready.channel.close()
            self.ready = None
        for child in list(self.children):
            with contextlib.suppress(ChildProcessError):
                pid, _ = os.waitpid(child, os.WNOHANG)
                if pid == 0:
                    continue
            self.children.discard(child)

    def _take(self, connection: socket.socket) -> bool:
        """Read one request and hand it to the ready child; False to stop serving."""
        descriptors: list[int] = []
        try:
            connection.settimeout(5)
            data = _receive_request(connection, descriptors, 3)
            request = json.loads(data[HEADER.size :])
            uid = peer_uid(connection)
            why = None
            if uid != os.getuid():
                why = f"uid {uid} is not the server's"
            elif request.get("prefix") != sys.prefix or request.get("root") != ROOT:
                why = f"another installation of sohoa ({request.get('root')}, Python {request.get('prefix')})"
            elif code_fingerprint(self.packages) != self.started_with:
                why = "sohoa's code changed since the server started"
            elif len(descriptors) != 3:
                why = "standard input, output and error were not passed"
            if why:  # logged first: once answered, the caller may look at the log
                self.say(f"sohoa ocr-server: refused a command: {why}")
                connection.sendall(json.dumps({"accepted": False, "why": why}).encode() + b"\n")
                return not why.startswith("sohoa's code")
            # accepted before the child has it: the child's exit code must be the second line the caller reads
            connection.sendall(b'{"accepted": true}\n')
            try:
                pid = self._hand_over(data, [*descriptors, connection.fileno()])
            except OSError as exc:
                os.write(descriptors[2], f"sohoa: the OCR server could not run the command: {exc}\n".encode())
                connection.sendall(json.dumps({"exit": 3}).encode() + b"\n")
                raise
            self.say(f"sohoa ocr-server: pid {pid} runs `sohoa {' '.join(request['argv'])}` in {request['cwd']}")
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.say(f"sohoa ocr-server: a request failed: {exc!r}")
        finally:
            for descriptor in descriptors:
                with contextlib.suppress(OSError):
                    os.close(descriptor)
        return True

    def _hand_over(self, request: bytes, descriptors: list[int]) -> int:
        """Give the request and the caller's descriptors to the ready child (the loop forks the next one)."""
        for _ in range(2):  # a ready child that has died (killed, out of memory) is replaced once
            ready = self.ready or self._fork_ready_child()
            self.ready = None
            try:
                socket.send_fds(ready.channel, [request], descriptors)
                return ready.pid
            except OSError:
                continue
            finally:
                ready.channel.close()
                self.children.add(ready.pid)  # reaped once it ends, whether it took the command or had died
        raise OSError("no child could take the command")

    def _fork_ready_child(self) -> _ReadyChild:
        server_end, child_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # never returns
            server_end.close()
            self.listener.close()
            os.close(self.lock)  # the lock ends with the server, not with its last command
            if self.ready is not None:
                self.ready.channel.close()
            _wait_and_run(child_end, self.command, self.handlers, self.settings)
        child_end.close()
        return _ReadyChild(pid, server_end)


def _wait_and_run(channel: socket.socket, command: Any, handlers: dict[int, Any], settings: Any) -> None:
    """The ready child: load Tesseract workers for the server's settings, wait for a command, become it."""
    code = 0
    connection: socket.socket | None = None
    try:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        from ocr.tesseract_library import stop_idle_workers, warm_workers

        if settings is not None and settings.workers_to_start_ahead:
            # one at a time, beside the command that is starting on the other core (the one that forked us)
            warm = (settings.ocr_language, settings.tessdata_dir, settings.workers_to_start_ahead)
            threading.Thread(target=warm_workers, args=warm, name="warm-workers", daemon=True).start()
        descriptors: list[int] = []
        data = _receive_request(channel, descriptors, 4)  # EOFError: the server is stopping
        if len(descriptors) != 4:
            raise EOFError
        channel.close()
        request = json.loads(data[HEADER.size :])
        connection = socket.socket(fileno=descriptors[3])
        connection.setblocking(True)  # the server read the request with a timeout, which made it non-blocking
        if any(request["env"].get(name) != os.environ.get(name) for name in WORKER_ENVIRONMENT):
            stop_idle_workers()  # loaded where the caller would not load them
        for target, descriptor in enumerate(descriptors[:3]):
            os.dup2(descriptor, target)
            os.close(descriptor)
        os.chdir(request["cwd"])
        os.umask(int(request["umask"]))
        os.environ.clear()
        os.environ.update(request["env"])
        sys.argv = ["sohoa", *request["argv"]]
        _watch_the_caller(connection)
        import flows.cli

        flows.cli.reopen_consoles()  # they measured the server's terminal, not the caller's
        flows.cli.main(args=list(request["argv"]), command=command)
    except SystemExit as ending:
        code = ending.code if isinstance(ending.code, int) else (0 if ending.code is None else 1)
    except EOFError:
        code = 3 if connection is not None else 0  # without a caller: the server stopped, nothing to report
    except KeyboardInterrupt:
        code = 130
    except BaseException:  # noqa: BLE001 — as a lone command would end on a bug: its traceback, exit code 1
        code = 1
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        # From here on nothing may raise: an exception escaping this frame would return into the server's loop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the watcher's Ctrl-C, once the caller has its code
        try:
            import atexit

            atexit._run_exitfuncs()  # the child's own: its Tesseract workers, logging
            sys.stdout.flush()
            sys.stderr.flush()
            if connection is not None:
                connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
        finally:
            os._exit(code)


def _receive_request(source: socket.socket, descriptors: list[int], most: int) -> bytes:
    """One request as ``flows.launch`` frames it (HEADER, then JSON), with up to ``most`` descriptors sent along,
    appended to ``descriptors`` as they arrive (the caller closes them, whatever happens); EOFError if the sender
    stopped before the end."""
    data, received, _, _ = socket.recv_fds(source, HEADER.size + MAX_REQUEST, most)
    descriptors.extend(received)
    while len(data) < HEADER.size or len(data) < HEADER.size + HEADER.unpack(data[: HEADER.size])[0]:
        more = source.recv(65536)
        if not more:
            raise EOFError("the request was cut short")
        data += more
    return data


def _watch_the_caller(connection: socket.socket) -> None:
    """Stop the command, as Ctrl-C would, when the calling `sohoa ocr` goes away (it closes the connection)."""

    def watch() -> None:
        with contextlib.suppress(OSError):
            while connection.recv(1):
                pass
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="caller-watch", daemon=True).start()
