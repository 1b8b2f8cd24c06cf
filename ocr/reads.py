"""The queue of a document's Tesseract reads (pages, bands of pages), ``workers`` at a time.

First come, first served while the document's pages are still being planned (rendered, straightened, cut): the
early pages are read first and free their place on disk for the next ones. Once every page is planned, the
largest read waiting goes first (longest processing time first): a read's size is its image's ink, and the
document is done when its last read is. A three-page scan's bands read in page order left one core idle for up to
~0.7 s at its end, waiting for a large band taken last (measured 2026-12-06 on the per-file bench's backlog).
"""

from __future__ import annotations

import itertools
import math
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from types import TracebackType
from typing import Any, TypeVar

import numpy as np
from PIL import Image

T = TypeVar("T")

# A read whose size is not known (a page read whole, a page read again) goes before those measured: its image is a
# whole page, larger than any band of one.
UNKNOWN_SIZE = math.inf


def ink_weight(image: Image.Image) -> float:
    """How much a read of ``image`` will take, relatively: its darkness summed, on a copy a quarter the size
    (~3 ms an A4 page at 300 dpi). Tesseract's time goes with the print it reads, not with the paper around it."""
    grey = image if image.mode == "L" else image.convert("L")
    small = grey.reduce(4) if min(grey.size) >= 4 else grey
    return float((255 - np.asarray(small, dtype=np.int64)).sum())


@dataclass
class _Read:
    weight: float
    order: int
    run: Callable[[], Any]
    future: Future[Any]


class ReadQueue:
    """``workers`` threads running the reads submitted: in order until ``all_planned``, then the largest first."""

    def __init__(self, workers: int) -> None:
        self._waiting: list[_Read] = []
        self._condition = threading.Condition()
        self._largest_first = False
        self._closed = False
        self._order = itertools.count()
        self._threads = [
            threading.Thread(target=self._work, name=f"sohoa-read-{index}") for index in range(max(1, workers))
        ]
        for thread in self._threads:
            thread.start()

    def submit(self, weight: float, fn: Callable[..., T], /, *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on a free thread; ``weight``: how large the read is (``ink_weight``, ``UNKNOWN_SIZE``)."""
        future: Future[T] = Future()
        with self._condition:
            if self._closed:
                raise RuntimeError("the read queue is shut down")
            self._waiting.append(_Read(weight, next(self._order), lambda: fn(*args), future))
            self._condition.notify()
        return future

    def all_planned(self) -> None:
        """Every page is planned: from now on the largest read waiting is taken first."""
        with self._condition:
            self._largest_first = True

    def shutdown(self) -> None:
        """Run what is waiting, then end the threads."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()
        for thread in self._threads:
            thread.join()

    def __enter__(self) -> ReadQueue:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.shutdown()

    def _next(self) -> _Read | None:
        with self._condition:
            while not self._waiting and not self._closed:
                self._condition.wait()
            if not self._waiting:
                return None
            if self._largest_first:
                chosen = max(self._waiting, key=lambda read: (read.weight, -read.order))
            else:
                chosen = min(self._waiting, key=lambda read: read.order)
            self._waiting.remove(chosen)
            return chosen

    def _work(self) -> None:
        while (read := self._next()) is not None:
            if not read.future.set_running_or_notify_cancel():
                continue
            try:
                result = read.run()
            except BaseException as exc:  # handed to whoever waits for the read, as an executor does
                read.future.set_exception(exc)
            else:
                read.future.set_result(result)
