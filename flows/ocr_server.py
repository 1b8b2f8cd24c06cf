"""A warm start for `sohoa ocr`: a server process that has already imported the OCR stage forks a child per
command, and the command hands it its arguments, environment, working folder and terminal.

Why: a one-page `sohoa ocr` spends ~1.2 s before its first Tesseract read starting Python, importing typer,
pydantic and the OCR stage (numpy, pikepdf, PDFium, Pillow) and building the command line — a third of the
command. The server does that once; each command is then a fork of it (milliseconds), run exactly as a local
command would run: the child takes the caller's standard input, output and error (passed as file descriptors),
its current folder, environment and umask, and its exit code travels back. Settings are read in the child.
Between commands the server keeps two Tesseract workers loaded (for its own settings' language) and lends them
with the next command (their pipes' descriptors go along with the request); the child hands its idle workers
back as it ends, so a command in a series neither loads a model nor has the next one's loaded beside it (~0.3 s
of a one-page command). A child whose command fails or is stopped keeps them, and they end with it; the server
then loads others, one at a time. The server is a child subreaper, so the workers of a child that has ended are
its to reap.

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
import ctypes
import dataclasses
import json
import os
import select
import shlex
import signal
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flows.launch import (
    HEADER,
    LOCK_FD_ENV,
    MAX_REQUEST,
    ROOT,
    STOP_BYTES,
    frame,
    lock_path,
    peer_uid,
    record_pid,
    take_server_lock,
)
from ocr import tesseract_library
from ocr.tesseract_library import WorkerHandle, pool_key, worker_command

PACKAGES = ("flows", "ocr", "classify", "signing", "storage", "sohoa")
# Variables that change which Tesseract a worker loads: workers lent with a command are used (and handed back)
# only if the caller's agree with the server's.
WORKER_ENVIRONMENT = ("TESSDATA_PREFIX", "LD_LIBRARY_PATH")
MAX_LENT = 8  # workers handed with a command, or back
PR_SET_CHILD_SUBREAPER = 36  # linux/prctl.h


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
        # the socket named in the command that stops it: `--stop` alone stopped the default one (QA85)
        stop = f"sohoa ocr-server --socket {shlex.quote(str(path))} --stop"
        super().__init__(
            f"{path}: một máy chủ OCR khác đang phục vụ tại đây (pid {pid or '?'}; dừng nó: `{stop}`) "
            f"/ an OCR server already serves it (pid {pid or '?'}; `{stop}`)"
        )
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
        taken = take_server_lock(str(path))
        if taken is None:
            raise AlreadyServing(path, _server_pid(path))
        lock = taken
    record_pid(lock, os.getpid())
    return lock


def stop_server(path: Path, timeout: float = 60) -> int | None:
    """Stop the server serving ``path`` (SIGTERM; it finishes the commands it runs) and wait until it has ended;
    its pid, or None if none was running."""
    if not os.path.exists(lock_path(str(path))):
        return None
    lock = take_server_lock(str(path))
    if lock is not None:
        os.close(lock)
        return None  # nobody holds it
    pid = _server_pid(path)
    for _ in range(100):  # taken a moment ago, its pid not yet written
        if pid is not None:
            break
        time.sleep(0.01)
        pid = _server_pid(path)
    if pid is None:
        raise OSError(f"{lock_path(str(path))} names no process")
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while True:
        lock = take_server_lock(str(path))
        if lock is not None:
            os.close(lock)
            if not alive(pid):  # it lets go of the lock a moment before its process ends
                return pid
        if time.monotonic() > deadline:
            raise TimeoutError(pid, timeout)  # (still finishing its commands: flows.cli says so)
        time.sleep(0.05)


def alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (a server that `sohoa ocr` started is reaped by whoever adopted it)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except (FileNotFoundError, IndexError):
        return False


def _server_pid(path: Path) -> int | None:
    """The pid written in the socket's lock file (see ``flows.launch.record_pid``)."""
    try:
        text = Path(lock_path(str(path))).read_text(encoding="ascii", errors="replace").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


@dataclass
class _ReadyChild:
    """A fork of the server waiting for its command."""

    pid: int
    channel: socket.socket  # the server's end of a socket pair: the request, the caller's descriptors, the workers


@dataclass
class _LoadingWorker:
    """A Tesseract worker the server started, loading its model (its first line says it is done)."""

    pid: int
    stdin: int
    stdout: int
    started: float  # time.monotonic()
    said: bytes = b""


class _Server:
    def __init__(self, path: Path, say: Callable[[str], None], lock: int) -> None:
        # The children must be forks of a process with one thread (a fork copies only the calling thread, and a
        # lock some other thread held would stay locked in the child): no library may start one while importing.
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
        import typer

        import flows.cli
        import flows.pipeline  # noqa: F401  (imported here so that the children need not)
        import ocr.pipeline
        from ocr.diacritics import load_tables
        from ocr.tesseract import check_language
        from sohoa.errors import StageError
        from sohoa.settings import load_settings

        self.path, self.say, self.lock = path, say, lock
        self.command = typer.main.get_command(flows.cli.app)  # built once; each child runs it
        load_tables()  # the diacritic fix's tables (~0.05 s): read once here, not by every command
        ocr.pipeline.import_deferred()  # what every command's first page imports (~0.3 s of each, until 2026-12-04)
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
        # Loaded Tesseract workers kept between commands: lent to the child that runs the next command, handed
        # back when it ends, so a command neither loads a model nor has one loaded beside it.
        self.spares: list[WorkerHandle] = []
        self.loading: _LoadingWorker | None = None
        # how many, for which language data (0: none, e.g. no libtesseract here: each child starts what it needs)
        self.spare_count = self.settings.workers_to_start_ahead if self.settings is not None else 0
        self.spare_key = pool_key(self.settings.ocr_language, self.settings.tessdata_dir) if self.settings else ("", "")
        self.channels: dict[int, socket.socket] = {}  # children running a command: their workers come back here
        self.on_loan: dict[int, int] = {}  # how many workers each of them was lent (expected back: none loaded)
        with contextlib.suppress(OSError, AttributeError):
            # orphans (the workers of a child that has ended) become the server's to reap, not init's
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)

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
        self.handlers = {
            s: signal.signal(s, lambda _s, _f: self.stopping.set()) for s in (signal.SIGTERM, signal.SIGINT)
        }
        last_activity = time.monotonic()
        self.say(f"sohoa ocr-server: listening on {self.path} (pid {os.getpid()}, threads {threading.active_count()})")
        try:
            while not self.stopping.is_set():
                self._reap()
                if self.ready is None:  # forked here, with no caller's connection open to be inherited
                    self.ready = self._fork_ready_child()
                self._give_up_a_stuck_load()
                self._load_a_spare()
                if self.children:
                    last_activity = time.monotonic()
                elif idle_seconds and time.monotonic() - last_activity > idle_seconds:
                    self.say(f"sohoa ocr-server: idle for {idle_seconds:g} s, stopping")
                    break
                watched: list[Any] = [self.listener, *self.channels.values()]
                if self.loading is not None:
                    watched.append(self.loading.stdout)
                try:
                    readable, _, _ = select.select(watched, [], [], 0.5)
                except InterruptedError:
                    continue
                if self.loading is not None and self.loading.stdout in readable:
                    self._loaded()
                for pid, channel in list(self.channels.items()):
                    if channel in readable:
                        self._take_back(pid, channel)
                if self.listener not in readable:
                    continue
                connection, _ = self.listener.accept()
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
                self.ready.channel.close()  # it ends when its channel closes
                self.children.add(self.ready.pid)
            for channel in self.channels.values():
                channel.close()
            for child in self.children:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(child, 0)
            # killed, not just cut off as _drop_spares does: a worker notices its input closed only once loaded
            self._end_loading()
            self._drop_spares()
            self._reap(wait=2.0)
            self.say("sohoa ocr-server: stopped")

    def _reap(self, wait: float = 0.0) -> None:
        """Collect every child that has ended (commands, the ready child, workers, adopted orphans)."""
        deadline = time.monotonic() + wait
        while True:
            try:
                pid, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                if time.monotonic() >= deadline:
                    return
                time.sleep(0.02)
                continue
            self.children.discard(pid)
            if self.ready is not None and pid == self.ready.pid:  # died waiting: killed, out of memory
                self.ready.channel.close()
                self.ready = None
            for spare in [spare for spare in self.spares if spare.pid == pid]:
                self.spares.remove(spare)
                _close(spare.stdin, spare.stdout)

    def _load_a_spare(self) -> None:
        """Start a worker for the server's language while fewer than a command needs are idle or loading (one
        at a time: the other core may be running a command)."""
        if self.loading is not None or len(self.spares) + sum(self.on_loan.values()) >= self.spare_count:
            return
        command, env = worker_command(*self.spare_key)
        worker_stdin, server_writes = os.pipe()  # (read end, write end)
        server_reads, worker_stdout = os.pipe()
        try:
            pid = os.posix_spawn(
                command[0],
                command,
                env,
                file_actions=[
                    (os.POSIX_SPAWN_DUP2, worker_stdin, 0),
                    (os.POSIX_SPAWN_DUP2, worker_stdout, 1),
                    (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
                ],
            )
        except OSError as exc:
            self.say(f"sohoa ocr-server: cannot start a Tesseract worker: {exc}")
            self.spare_count = 0
            _close(worker_stdin, server_writes, server_reads, worker_stdout)
            return
        _close(worker_stdin, worker_stdout)  # the worker's ends
        self.loading = _LoadingWorker(pid, stdin=server_writes, stdout=server_reads, started=time.monotonic())

    def _give_up_a_stuck_load(self) -> None:
        """End a worker that has not said it loaded within the time a command would wait for one (its language
        data on a hung network share, say) and keep none from then on: the children start what they need."""
        limit = tesseract_library.START_TIMEOUT  # read here, not imported: the test shortens it
        if self.loading is None or time.monotonic() - self.loading.started < limit:
            return
        pid = self._end_loading()
        self.spare_count = 0
        self.say(
            f"sohoa ocr-server: Tesseract worker {pid} did not load in {limit:g} s; ended it, "
            "keeping no workers (each command starts its own)"
        )

    def _end_loading(self) -> int | None:
        """Kill the worker being loaded, if any (``_reap`` collects it); its pid."""
        loading, self.loading = self.loading, None
        if loading is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(loading.pid, signal.SIGKILL)
        _close(loading.stdin, loading.stdout)
        return loading.pid

    def _loaded(self) -> None:
        loading = self.loading
        assert loading is not None
        chunk = os.read(loading.stdout, 4096)
        loading.said += chunk
        if chunk and not loading.said.endswith(b"\n"):
            return
        self.loading = None
        try:
            hello = json.loads(loading.said) if chunk else {"error": "ended while loading"}
        except ValueError:
            hello = {"error": loading.said[:200].decode(errors="replace")}
        if "error" in hello:  # no library here: the children start what they need (the `tesseract` command)
            self.say(f"sohoa ocr-server: no Tesseract worker: {hello['error']}")
            self.spare_count = 0
            _close(loading.stdin, loading.stdout)
            return
        version = str(hello.get("version", ""))
        handle = WorkerHandle(loading.pid, loading.stdin, loading.stdout, version, 0, *self.spare_key)
        self.spares.append(handle)
        self.say(f"sohoa ocr-server: Tesseract worker {loading.pid} loaded ({handle.language})")

    def _take_back(self, pid: int, channel: socket.socket) -> None:
        """The idle workers of a child whose command has ended (or nothing, if it ended otherwise)."""
        descriptors: list[int] = []
        try:
            data = _receive_request(channel, descriptors, 2 * MAX_LENT)
            for handle in _handles(json.loads(data[HEADER.size :])["workers"], descriptors):
                if handle.key == self.spare_key and len(self.spares) < self.spare_count:
                    self.spares.append(handle)
                    descriptors.remove(handle.stdin)
                    descriptors.remove(handle.stdout)
        except (OSError, EOFError, ValueError, KeyError, TypeError):
            pass  # the child ended without handing any back (a failed command, Ctrl-C): its workers end with it
        finally:
            _close(*descriptors)  # a worker whose input closes ends
            channel.close()
            del self.channels[pid]
            self.on_loan.pop(pid, None)

    def _drop_spares(self) -> None:
        for spare in self.spares:
            _close(spare.stdin, spare.stdout)  # it ends at the end of its input
        self.spares = []
        if self.loading is not None:
            _close(self.loading.stdin, self.loading.stdout)
            self.loading = None

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
                pid, lent = self._hand_over(request, [*descriptors, connection.fileno()])
            except OSError as exc:
                os.write(descriptors[2], f"sohoa: the OCR server could not run the command: {exc}\n".encode())
                connection.sendall(json.dumps({"exit": 3}).encode() + b"\n")
                raise
            workers = f" with workers {', '.join(map(str, lent))}" if lent else ""
            self.say(
                f"sohoa ocr-server: pid {pid} runs `sohoa {' '.join(request['argv'])}` in {request['cwd']}{workers}"
            )
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as exc:
            self.say(f"sohoa ocr-server: a request failed: {exc!r}")
        finally:
            _close(*descriptors)
        return True

    def _hand_over(self, request: dict[str, Any], descriptors: list[int]) -> tuple[int, list[int]]:
        """Give the request, the caller's descriptors and the idle workers to the ready child (the loop forks
        the next one); its pid and the workers' pids."""
        spares = self.spares[:MAX_LENT]
        for _ in range(2):  # a ready child that has died (killed, out of memory) is replaced once
            ready = self.ready or self._fork_ready_child()
            self.ready = None
            self.children.add(ready.pid)  # reaped once it ends, whether it took the command or had died
            try:
                _send_with_workers(ready.channel, {"request": request}, spares, descriptors)
            except OSError:
                ready.channel.close()
                continue
            self.channels[ready.pid] = ready.channel
            self.on_loan[ready.pid] = len(spares)
            for spare in spares:
                self.spares.remove(spare)
                _close(spare.stdin, spare.stdout)  # the child's now
            return ready.pid, [spare.pid for spare in spares]
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
            for channel in self.channels.values():
                channel.close()
            self._drop_spares()  # copies of the server's descriptors: the workers are lent with a command only
            _wait_and_run(child_end, self.command, self.handlers)
        child_end.close()
        return _ReadyChild(pid, server_end)


def _wait_and_run(channel: socket.socket, command: Any, handlers: dict[int, Any]) -> None:
    """The ready child: wait for a command (and the workers lent with it), become it, hand the workers back."""
    code = 0
    connection: socket.socket | None = None
    give_back = False
    try:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
        # SIGINT is how the command stops when its caller goes away (_watch_the_caller), even where the server was
        # started with it ignored (`sohoa ocr-server &` in a script, or by such a `sohoa ocr`); SIGTERM, passed on
        # by a caller stopped so, raises too before the command takes it (flows.stopping), never ending the child
        # without its exit code
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, _raise_stopped_by_sigterm)
        from ocr.tesseract_library import adopt_workers, stop_idle_workers

        descriptors: list[int] = []
        data = _receive_request(channel, descriptors, 4 + 2 * MAX_LENT)  # EOFError: the server is stopping
        if len(descriptors) < 4:
            raise EOFError
        message = json.loads(data[HEADER.size :])
        request = message["request"]
        adopt_workers(_handles(message["workers"], descriptors[4:]))
        connection = socket.socket(fileno=descriptors[3])
        connection.setblocking(True)  # the server read the request with a timeout, which made it non-blocking
        give_back = all(request["env"].get(name) == os.environ.get(name) for name in WORKER_ENVIRONMENT)
        if not give_back:
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
    except KeyboardInterrupt as stopped:
        from flows.stopping import exit_code_of

        code = exit_code_of(stopped)
    except BaseException:  # noqa: BLE001 — as a lone command would end on a bug: its traceback, exit code 1
        code = 1
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    finally:
        # From here on nothing may raise: an exception escaping this frame would return into the server's loop.
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the watcher's Ctrl-C, once the caller has its code
        try:
            import atexit

            if give_back and code not in (130, 143):
                with contextlib.suppress(BaseException):
                    _give_workers_back(channel)
            channel.close()
            atexit._run_exitfuncs()  # the child's own: its Tesseract workers, logging
            sys.stdout.flush()
            sys.stderr.flush()
            if connection is not None:
                connection.sendall(json.dumps({"exit": code}).encode() + b"\n")
        finally:
            os._exit(code)


def _raise_stopped_by_sigterm(signum: int, frame: object) -> None:
    from flows.stopping import Stopped

    raise Stopped(signum)


def _give_workers_back(channel: socket.socket) -> None:
    """Hand this child's idle workers to the server for the next command (which then loads no model)."""
    from ocr.tesseract_library import surrender_idle_workers

    handles = surrender_idle_workers()
    try:
        _send_with_workers(channel, {}, handles[:MAX_LENT])
    finally:
        _close(*(fd for h in handles for fd in (h.stdin, h.stdout)))  # the server has its own copies; extra end


def _send_with_workers(
    channel: socket.socket, payload: dict[str, Any], workers: list[WorkerHandle], descriptors: Sequence[int] = ()
) -> None:
    """A frame on a server-child channel: ``payload`` and the workers (described in the JSON, their pipes'
    descriptors after ``descriptors`` in the same message)."""
    described = [{k: v for k, v in dataclasses.asdict(w).items() if k not in ("stdin", "stdout")} for w in workers]
    pipes = [descriptor for w in workers for descriptor in (w.stdin, w.stdout)]
    socket.send_fds(channel, [frame({**payload, "workers": described})], [*descriptors, *pipes])


def _handles(described: list[dict[str, Any]], pipes: list[int]) -> list[WorkerHandle]:
    """The workers a frame describes, with their pipes' descriptors (received in that order)."""
    return [WorkerHandle(stdin=i, stdout=o, **w) for w, i, o in zip(described, pipes[0::2], pipes[1::2], strict=False)]


def _close(*descriptors: int) -> None:
    for descriptor in descriptors:
        with contextlib.suppress(OSError):
            os.close(descriptor)


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
    """Stop the command as its caller was stopped: by the signal the calling `sohoa ocr` passes on (Ctrl-C, SIGTERM:
    ``flows.launch.STOP_BYTES``), and as Ctrl-C would when it goes away (it closes the connection)."""
    signals = {asked: signum for signum, asked in STOP_BYTES.items()}

    def watch() -> None:
        with contextlib.suppress(OSError):
            while asked := connection.recv(1):
                if asked in signals:
                    os.kill(os.getpid(), signals[asked])
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=watch, name="caller-watch", daemon=True).start()
