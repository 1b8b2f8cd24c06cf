"""What a stage's warnings name the document by, while the pipeline processes one.

A stage works on copies in the document's work folder (``DATA_DIR/work/<id>/ocr.pdf`` is what signing reads): a
warning naming that copy ("…/work/126bf4d6fadef7dd/ocr.pdf: no blank place on the page for the signer's
signature") does not tell an officer which scan it is about. The pipeline sets ``document_shown_as`` to the scan's
name as shown in its other log lines, for the thread that processes it (a Prefect stage task called from it runs
in that thread too); a stage names ``shown_as(path)``.
"""

from __future__ import annotations

import contextvars
from os import PathLike

document_shown_as: contextvars.ContextVar[str | None] = contextvars.ContextVar("sohoa_document_shown_as", default=None)


def shown_as(path: str | PathLike[str] | None) -> str | None:
    """The name the document being processed is shown by, else ``path`` itself (a command run on one file)."""
    shown = document_shown_as.get()
    return shown if shown is not None else (None if path is None else str(path))
