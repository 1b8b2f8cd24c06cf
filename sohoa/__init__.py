"""sohoa: shared record model, settings, errors and file utilities used by every stage."""

from __future__ import annotations

__version__ = "0.1.0"


def version_said() -> str:
    """``sohoa 0.1.0``, and when sohoa runs from a git checkout (as `make deps` installs it) the commit and its day:
    ``sohoa 0.1.0 (commit 96ee1d1, 2026-12-01)`` — the version number alone never changed between upgrades, so an
    office could not tell which upgrade notes apply (QA61)."""
    import subprocess
    from pathlib import Path

    checkout = Path(__file__).resolve().parent.parent
    if not (checkout / ".git").exists():
        return f"sohoa {__version__}"
    try:
        said = subprocess.run(
            ["git", "-C", str(checkout), "log", "-1", "--format=%h %cs"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.split()
    except (OSError, subprocess.SubprocessError):
        return f"sohoa {__version__}"
    return f"sohoa {__version__} (commit {said[0]}, {said[1]})" if len(said) == 2 else f"sohoa {__version__}"
