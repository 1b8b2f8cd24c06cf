"""`sohoa` commands for the classify stage beyond the foundation (registered by flows/cli.py)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `sohoa` app."""
