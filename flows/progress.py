"""Where the CLI puts its progress callback for a Prefect batch (a flow parameter cannot carry a callable)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flows.pipeline import ProgressListener

listener: ProgressListener | None = None
