"""Where the CLI puts its progress callbacks (a Prefect flow parameter cannot carry a callable).

``listener`` hears of each finished document; ``page_listener`` of each page Tesseract has read, from whichever
thread read it (documents and pages run in parallel). Pages read on Dask workers are not reported (other processes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.pipeline import ProgressListener

listener: ProgressListener | None = None
page_listener: Callable[[], None] | None = None
