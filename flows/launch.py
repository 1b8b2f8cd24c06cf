"""The `sohoa` command's entry point: `sohoa ocr` goes to a running OCR server when one answers
(``flows.ocr_server``), everything else — and `sohoa ocr` when none does — to the command line in this process.

Only the standard library is imported before that choice: it is the start-up the server saves.
"""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:2] == ["ocr"]:
        from flows.ocr_server import forward

        code = forward(sys.argv[1:])
        if code is not None:
            sys.exit(code)
    from flows.cli import main as run_here

    run_here()


if __name__ == "__main__":
    main()
