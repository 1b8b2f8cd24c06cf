"""sohoa: shared record model, settings, errors and file utilities used by every stage."""

from __future__ import annotations

from pathlib import Path

__version__ = "0.1.0"


def version_said(checkout: Path | None = None) -> str:
    """``sohoa 0.1.0``, and when sohoa runs from a git checkout (as `make deps` installs it) the commit and its day:
    ``sohoa 0.1.0 (commit 96ee1d1, 2026-12-01)`` — the version number alone never changed between upgrades, so an
    office could not tell which upgrade notes apply (QA61). Tracked files changed since that commit are said:
    ``(commit 96ee1d1+, 2026-12-01, local changes)``. ``checkout``: the checkout to name (default: this one).

    git runs with ``safe.directory`` set to the checkout: run as another user than the checkout's owner (the
    systemd unit's ``User=sohoa`` over a root-owned checkout), git refused ("detected dubious ownership") and the
    commit went unsaid (QA62). sohoa only reads the commit; git's hooks and config are not run by these commands."""
    import subprocess

    checkout = checkout or Path(__file__).resolve().parent.parent
    plain = f"sohoa {__version__}"
    if not (checkout / ".git").exists():
        return plain

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "--no-optional-locks", "-c", f"safe.directory={checkout}", "-C", str(checkout), *args],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout

    try:
        said = git("log", "-1", "--format=%h %cs").split()
    except (OSError, subprocess.SubprocessError):
        return plain
    if len(said) != 2:
        return plain
    try:
        changed = bool(git("status", "--porcelain", "--untracked-files=no").strip())
    except (OSError, subprocess.SubprocessError):
        changed = False  # the commit is known; whether files changed since is not: said as the commit
    if changed:
        return f"{plain} (commit {said[0]}+, {said[1]}, local changes)"
    return f"{plain} (commit {said[0]}, {said[1]})"
