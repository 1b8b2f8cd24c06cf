"""A stop asked by a signal, for the commands that run long (``sohoa process``, ``sohoa watch``).

SIGTERM (``systemctl stop``, ``kill``, a container's stop) is raised in the main thread as Ctrl-C (SIGINT) is, a
``KeyboardInterrupt`` — ``Stopped``, which knows its signal — so that both end the same way: the documents in
flight on other threads finish (``flows.pipeline.process_many`` waits for them), the one on the main thread is
abandoned as a kill would abandon it (a rerun does it again: README, "Exactly once under crashes"), and the
command says what it did and what is left. Until 2026-12-02 SIGTERM ended the process on the spot, without a
word (exit 143). A SIGKILL still cannot be caught, and still loses nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

from sohoa.errors import SohoaError

STOP_SIGNALS: tuple[int, ...] = (signal.SIGINT, signal.SIGTERM)


class Stopped(KeyboardInterrupt):
    """A stop asked by ``signum`` (SIGINT or SIGTERM)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def signal_of(stop: KeyboardInterrupt) -> int:
    """The signal behind a stop: SIGINT for a plain KeyboardInterrupt (Python's own handler raised it)."""
    return stop.signum if isinstance(stop, Stopped) else signal.SIGINT


def exit_code_of(stop: KeyboardInterrupt) -> int:
    """128 + the signal, as a shell reports a command its signal ended: 130 for Ctrl-C, 143 for SIGTERM."""
    return 128 + signal_of(stop)


def said_signal(stop: KeyboardInterrupt) -> str:
    """How an operator knows the signal: ``Ctrl-C`` (SIGINT), ``SIGTERM``."""
    return "SIGTERM" if signal_of(stop) == signal.SIGTERM else "Ctrl-C"


# the stop asked, kept as well as raised: an exception raised by a signal handler inside a finaliser or a callback
# is printed ("Exception ignored in …") and lost, and a watcher stopped so ran on until systemd killed it (seen once
# under a loaded test suite). The long loops look at it (``raise_if_stopped``), so a lost one is not the end of it.
_requested: int | None = None
# whether a ``stops_on_signals`` block runs (its handlers set); the lock orders a stop asked again (below) with the
# block's end, after which the signal would reach the handler before it (SIG_DFL: the process killed)
_active = False
_active_lock = threading.Lock()
ASK_AGAIN_AFTER = 0.05  # seconds: a stop kept during an import is asked again so, until no import is under way


def raise_if_stopped() -> None:
    """Raise ``Stopped`` when a stop was asked in this block of ``stops_on_signals`` and its exception was lost."""
    if _requested is not None:
        raise Stopped(_requested)


def stop_asked() -> bool:
    """Whether a stop was asked in this block of ``stops_on_signals`` (raised or only kept)."""
    return _requested is not None


def stop_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The stop ``exc`` is or hides, or None: ``exc`` itself when it is one; a ``Stopped`` for an error raised after
    a stop was asked in this block of ``stops_on_signals`` — the stop's exception, raised inside a library that
    wrapped it in an error of its own (pydantic-core does, serialising the settings: a watcher stopped so said
    "internal error", exit 3, under a loaded test suite). sohoa's own errors are what they say."""
    if isinstance(exc, KeyboardInterrupt):
        return exc
    if _requested is None or not isinstance(exc, Exception) or isinstance(exc, SohoaError):
        return None
    return Stopped(_requested)


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    global _requested
    _requested = signum
    if _importing(frame):
        # an import under way (pikepdf's, say, loaded for a stack's first split): an exception raised inside a C
        # extension's module init aborts the interpreter (SIGABRT, found by stopping a watcher at random moments),
        # so the stop is kept — the watcher's loop and the batch's, between documents, raise it
        # (``raise_if_stopped``) — and asked again shortly, to be raised once the import is done: `sohoa ocr`, which
        # has no such loop, went on to the end of a 12-page scan and exit 0 (a loaded test suite's SIGTERM)
        _ask_again_soon(signum)
        return
    raise Stopped(signum)


def stopped_before_the_commands_stop(signum: int, frame: FrameType | None) -> None:
    """A SIGTERM that comes before a command sets its own stop (``flows.launch.started`` to ``stops_on_signals``;
    or in a command without one, `sohoa verify`): raised as a Ctrl-C is there, ``Stopped``, and said by the command
    line (``flows.cli``) — until 2026-12-07 it ended the command unsaid, 143 (QA161 N5). Inside an import, where an
    exception could abort the interpreter (``_raise_stopped``), it is sent again shortly, to whichever handler is
    set then (the command's own stop, or this one once the import is done)."""
    if _importing(frame):
        timer = threading.Timer(ASK_AGAIN_AFTER, os.kill, (os.getpid(), signum))
        timer.daemon = True
        timer.start()
        return
    raise Stopped(signum)


def _ask_again_soon(signum: int) -> None:
    def again() -> None:
        with _active_lock:
            if _active and _requested == signum:
                os.kill(os.getpid(), signum)

    timer = threading.Timer(ASK_AGAIN_AFTER, again)
    timer.daemon = True
    timer.start()


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` runs inside an import (a frame of importlib's machinery below it)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def stops_on_signals() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Stopped`` in the main thread for the block (elsewhere: nothing changes, as a
    handler can only be set there); the handlers before it are put back after."""
    global _requested, _active
    _requested = None
    previous: dict[int, Any] = {}
    try:
        for signum in STOP_SIGNALS:
            if signal.getsignal(signum) != signal.SIG_IGN:  # ignored (nohup, a shell's background job): it stays so
                previous[signum] = signal.signal(signum, _raise_stopped)
    except ValueError:  # not the main thread (a Prefect flow run in a worker's thread): its own handling stays
        yield
        return
    _active = True
    try:
        yield
    except Exception as exc:
        if (stop := stop_behind(exc)) is None:
            raise
        raise stop from exc
    finally:
        with _active_lock:
            _active = False  # no stop asked again from here: the handlers before are put back
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _requested = None  # said by the exception on its way out; a later batch of this process is no stopped one
