"""The ``sohoa`` command line.

Exit codes (every command):
  0  success: everything archived / read / signed / verified and trusted
  1  done, but something is not right: a file quarantined, a signature not valid or not trusted
  2  usage error: bad option, missing file (the file is named)
  3  a fault outside the input (Tesseract missing, archive not writable): fix the machine and rerun
"""

from __future__ import annotations

import json
import logging
import os
import sys
import tempfile
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.table import Table

from sohoa import __version__
from sohoa.errors import BadInputError, SohoaError, StageError
from sohoa.settings import Settings, load_settings

EXIT_OK, EXIT_NOT_RIGHT, EXIT_USAGE, EXIT_FAULT = 0, 1, 2, 3

app = typer.Typer(
    name="sohoa",
    help=(
        "Số hóa: scanned Vietnamese commune records → OCR'd (Tesseract vie), classified (Decree 30/2020), "
        "signed (PAdES) and archived PDFs.\n\n"
        "Examples:\n\n"
        "  sohoa process samples/            # the whole pipeline on a folder\n\n"
        "  sohoa verify var/archive/2025/QĐ/*/document.pdf\n\n"
        "Exit codes: 0 ok; 1 something quarantined / not valid; 2 usage error; 3 fault outside the input."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)
# when piped (CI logs, files) rich would wrap tables at 80 columns: give them room instead
out = Console(width=None if sys.stdout.isatty() else 200)


def _version(value: bool) -> None:
    if value:
        print(f"sohoa {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log every stage.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    level = logging.INFO if verbose else logging.WARNING
    logging.basicConfig(
        level=level,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False, show_time=verbose)],
        force=True,
    )
    logging.getLogger("sohoa").setLevel(logging.INFO)
    # pyHanko and pdfminer are chatty at INFO about things an officer cannot act on
    for noisy in ("pyhanko", "pyhanko_certvalidator", "pdfminer", "httpx"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.ERROR)


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"[bold red]sohoa: {message}[/]")
    return typer.Exit(code)


def _settings(**overrides: Any) -> Settings:
    try:
        return load_settings(**overrides)
    except Exception as exc:  # pydantic's validation message names the setting
        raise _fail(f"configuration error: {exc}") from exc


def _print_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2, default=str) + "\n")


def _require_file(path: Path) -> None:
    if not path.exists():
        raise _fail(f"{path}: no such file")
    if path.is_dir():
        raise _fail(f"{path}: is a folder, expected a file")


# ------------------------------------------------------------------------------------------- process
def _configure_prefect(settings: Settings) -> None:
    """Prefect without a server by default; a configured PREFECT_API_URL (a real server) wins."""
    prefect_home = Path(os.environ.setdefault("PREFECT_HOME", str((settings.data_dir / "prefect").resolve())))
    prefect_home.mkdir(parents=True, exist_ok=True)  # Prefect does not create missing parents
    # the telemetry heartbeat logs "database is locked" errors on the embedded SQLite (MEASURED.md)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # the first start migrates a fresh SQLite database: ~12 s here, longer on a loaded machine
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_ENABLED", "false")


@app.command(
    epilog=(
        "Examples:\n\n  sohoa process samples/\n\n  sohoa process inbox/ scan.pdf --archive /srv/archive --json\n\n"
        "Exit codes: 0 all archived (or already archived); 1 some quarantined; 3 some failed for a reason "
        "outside the input (rerun after fixing)."
    )
)
def process(
    paths: Annotated[list[Path], typer.Argument(help="Files and folders of scans (PDF, TIFF, JPEG, PNG).")],
    archive: Annotated[
        Path | None, typer.Option(help="Archive folder (default: SOHOA_ARCHIVE or var/archive).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print a machine-readable report on stdout.")] = False,
    no_prefect: Annotated[
        bool, typer.Option("--no-prefect", help="Run the stages directly, without Prefect (same results).")
    ] = False,
) -> None:
    """The whole pipeline: OCR, classify, sign and archive every file; bad files go to quarantine."""
    settings = _settings(archive=str(archive) if archive else None)
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise _fail(", ".join(f"{p}: no such file or folder" for p in missing))

    from flows.pipeline import BatchReport, DocumentResult, expand_inputs, process_many

    inputs = expand_inputs(paths)
    if not inputs:
        raise _fail("no scans found (looked for .pdf .tif .tiff .jpg .jpeg .png)")
    report = BatchReport(
        archive=str(settings.archive_dir.resolve()), quarantine=str(settings.quarantine_path.resolve())
    )
    show_progress = not as_json and err.is_terminal
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=not show_progress,
    )

    with progress:
        bar = progress.add_task("Đang xử lý / processing", total=len(inputs))

        def advance(result: DocumentResult, index: int, total: int) -> None:
            progress.update(bar, completed=index, description=f"{result.path.name}: {result.outcome.value}")

        if no_prefect:
            report.results.extend(process_many(inputs, settings, on_result=advance))
        else:
            _configure_prefect(settings)
            if not as_json:
                err.print("[dim]starting Prefect (local, no server)…[/]")
            from flows import prefect_flows

            prefect_flows.set_progress_listener(advance)
            try:
                payload = prefect_flows.process_batch([str(p) for p in inputs], {"archive": str(settings.archive_dir)})
            except Exception as exc:  # Prefect itself failed (API server, database): say so, no traceback
                raise _fail(
                    f"Prefect could not run the batch: {type(exc).__name__}: {exc}. "
                    "Check PREFECT_API_URL / PREFECT_HOME, or run with --no-prefect.",
                    EXIT_FAULT,
                ) from exc
            finally:
                prefect_flows.set_progress_listener(None)
            _print_or_table(payload, as_json)
            raise typer.Exit(_exit_code(payload))
    _print_or_table(report.to_json_dict(), as_json)
    raise typer.Exit(report.exit_code)


def _exit_code(payload: dict[str, Any]) -> int:
    counts = payload["counts"]
    if counts["failed"]:
        return EXIT_FAULT
    return EXIT_NOT_RIGHT if counts["quarantined"] else EXIT_OK


def _print_or_table(payload: dict[str, Any], as_json: bool) -> None:
    if as_json:
        _print_json(payload)
        return
    table = Table(title="sohoa: kết quả / results", show_lines=False)
    for column in ("file", "outcome", "type", "number", "date", "pages", "conf.", "signed"):
        table.add_column(column, no_wrap=column != "file")
    table.add_column("note")
    styles = {"archived": "green", "already_archived": "cyan", "quarantined": "yellow", "failed": "red"}
    for line in payload["files"]:
        reason = line["reason"] or ""
        name = Path(line["path"]).name
        reason = reason[len(name) + 2 :] if reason.startswith(f"{name}: ") else reason
        note = reason or (line["archive_path"] or "")
        if line.get("needs_review"):
            note = "needs review; " + note
        table.add_row(
            Path(line["path"]).name,
            f"[{styles[line['outcome']]}]{line['outcome']}[/]",
            line["doc_type"] or "",
            line["number"] or "",
            line["issued_on"] or "",
            str(line["pages"] or ""),
            f"{line['confidence']:.2f}" if line["confidence"] is not None else "",
            "yes" if line["signed"] else "",
            note,
        )
    out.print(table)
    counts = payload["counts"]
    out.print(
        f"Archive: {payload['archive']}\nQuarantine: {payload['quarantine']}\n"
        f"Total {counts['total']}: archived {counts['archived']}, already archived {counts['already_archived']}, "
        f"quarantined {counts['quarantined']}, failed {counts['failed']}"
    )


# ------------------------------------------------------------------------------------------- ocr
@app.command(
    epilog="Example:\n\n  sohoa ocr scan.tiff searchable.pdf --json\n\n"
    "Exit codes: 0 written; 1 the input is unusable (reason printed); 2 usage; 3 Tesseract unavailable."
)
def ocr(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="A scan: PDF, TIFF, JPEG or PNG.")],
    output: Annotated[Path, typer.Argument(metavar="OUTPUT.pdf", help="Where to write the searchable PDF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print pages, confidence and text as JSON.")] = False,
    language: Annotated[str | None, typer.Option(help="Tesseract language (default vie).")] = None,
    workers: Annotated[int | None, typer.Option(help="Parallel Tesseract processes (default: cores).")] = None,
) -> None:
    """OCR only: write a searchable PDF (scan pixels + invisible Vietnamese text layer)."""
    import ocr as ocr_stage

    settings = _settings(ocr_language=language, ocr_workers=workers)
    _require_file(input_file)
    try:
        result = ocr_stage.ocr_document(
            input_file,
            output,
            language=settings.ocr_language,
            workers=settings.effective_ocr_workers,
            dpi=settings.ocr_dpi,
            tessdata_dir=settings.tessdata_dir,
        )
    except BadInputError as exc:
        raise _fail(f"{input_file}: {exc.english()} / {exc.vietnamese()}", EXIT_NOT_RIGHT) from exc
    except StageError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc
    if as_json:
        payload = result.model_dump(mode="json")
        payload["mean_confidence"] = result.mean_confidence
        _print_json(payload)
    else:
        ocred = sum(1 for p in result.pages if p.ocr)
        out.print(f"{output}: {len(result.pages)} page(s), {ocred} OCR'd, mean confidence {result.mean_confidence}")


# ------------------------------------------------------------------------------------------- classify
def _text_of(input_file: Path, settings: Settings) -> str:
    """Text of a file: its text layer when every page has one, otherwise OCR into a temporary PDF."""
    import ocr as ocr_stage

    with tempfile.TemporaryDirectory(prefix="sohoa-classify-") as scratch:
        result = ocr_stage.ocr_document(
            input_file,
            Path(scratch) / "ocr.pdf",
            language=settings.ocr_language,
            workers=settings.effective_ocr_workers,
            dpi=settings.ocr_dpi,
            tessdata_dir=settings.tessdata_dir,
        )
    return result.text


@app.command(
    epilog="Examples:\n\n  sohoa classify scan.pdf\n\n  sohoa classify quyết-định.png --json\n\n"
    "Exit codes: 0 classified; 1 unusable input or type unknown; 2 usage; 3 Tesseract unavailable."
)
def classify(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="A scan, a PDF with text, or a .txt file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the fields as JSON.")] = False,
) -> None:
    """Document type (Decree 30/2020), number, date, issuer and subject, each with a confidence."""
    import classify as classify_stage

    settings = _settings()
    _require_file(input_file)
    try:
        if input_file.suffix.lower() == ".txt":
            text = input_file.read_text(encoding="utf-8")
        else:
            text = _text_of(input_file, settings)
    except BadInputError as exc:
        raise _fail(f"{input_file}: {exc.english()} / {exc.vietnamese()}", EXIT_NOT_RIGHT) from exc
    except StageError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc
    result = classify_stage.classify_text(text)
    if as_json:
        _print_json(result.model_dump(mode="json"))
    else:
        table = Table(title=f"{input_file.name}", show_header=True)
        for column in ("field", "value", "confidence", "evidence"):
            table.add_column(column)
        for name, value in result.fields.items():
            table.add_row(name, value.value or "", f"{value.confidence:.2f}", value.evidence)
        out.print(table)
        out.print(f"overall confidence {result.confidence:.2f}")
    raise typer.Exit(EXIT_OK if result.doc_type != "unknown" else EXIT_NOT_RIGHT)


# ------------------------------------------------------------------------------------------- sign
@app.command(
    epilog="Example:\n\n  sohoa sign searchable.pdf signed.pdf --json\n\n"
    "With nothing configured the generated DEVELOPMENT ONLY identity signs; set SOHOA_SIGNING_IDENTITY=pkcs12, "
    "SOHOA_PKCS12_FILE and SOHOA_PKCS12_PASSWORD_FILE for a real one.\n\n"
    "Exit codes: 0 signed; 1 the input cannot be signed; 2 usage; 3 signing identity unusable."
)
def sign(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="The PDF to sign.")],
    output: Annotated[Path, typer.Argument(metavar="OUTPUT.pdf", help="Where to write the signed PDF.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the signature facts as JSON.")] = False,
) -> None:
    """Sign a PDF with a PAdES B-B signature (pyHanko) using the configured identity."""
    import signing
    from flows.pipeline import signing_identity

    settings = _settings()
    _require_file(input_file)
    try:
        identity = signing_identity(settings)
    except signing.SigningConfigError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc
    try:
        facts = signing.sign_pdf(input_file, output, identity, location=settings.signer_location)
    except signing.SigningError as exc:
        raise _fail(str(exc), EXIT_NOT_RIGHT) from exc
    if as_json:
        _print_json(facts.model_dump(mode="json"))
    else:
        warning = "  [bold yellow](DEVELOPMENT ONLY identity)[/]" if facts.development_identity else ""
        out.print(f"{output}: signed PAdES {facts.level} by {facts.signer_subject}{warning}")


# ------------------------------------------------------------------------------------------- verify
@app.command(
    epilog="Examples:\n\n  sohoa verify signed.pdf\n\n  sohoa verify var/archive/*/*/*/document.pdf --json\n\n"
    "Exit codes: 0 every signature of every file is valid and trusted; 1 otherwise; 2 usage."
)
def verify(
    pdfs: Annotated[list[Path], typer.Argument(metavar="PDF...", help="Signed PDFs to check.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
) -> None:
    """Verify every signature: integrity, validity, trust (configured roots; the dev CA by default)."""
    import signing
    from flows.pipeline import trust_roots

    settings = _settings()
    roots = trust_roots(settings)
    results = [signing.verify_pdf(path, roots) for path in pdfs]
    passed = all(r.passed for r in results)
    if as_json:
        _print_json({"files": [r.model_dump(mode="json") for r in results], "passed": passed})
    else:
        for result in results:
            mark = "[green]PASSED[/]" if result.passed else "[red]NOT PASSED[/]"
            out.print(f"{result.path}: {mark}")
            if result.error:
                out.print(f"  error: {result.error}")
            for sig in result.signatures:
                out.print(
                    f"  {sig.field_name}: {sig.indication}"
                    + (f"/{sig.sub_indication}" if sig.sub_indication else "")
                    + f" — {sig.signer}; level {sig.level}; signed {sig.signing_time} ({sig.signing_time_source})"
                )
                for warning in sig.warnings:
                    out.print(f"    [yellow]warning:[/] {warning}")
            for warning in result.warnings:
                out.print(f"  [yellow]warning:[/] {warning}")
    raise typer.Exit(EXIT_OK if passed else EXIT_NOT_RIGHT)


# ------------------------------------------------------------------------------------------- list
@app.command(name="list", epilog="Example:\n\n  sohoa list --json")
def list_records(
    archive: Annotated[
        Path | None, typer.Option(help="Archive folder (default: SOHOA_ARCHIVE or var/archive).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the records as JSON.")] = False,
) -> None:
    """List the archived records (id, source SHA-256, type, number, state)."""
    from storage import LocalArchive

    settings = _settings(archive=str(archive) if archive else None)
    rows: list[dict[str, Any]] = []
    for record in LocalArchive(settings.archive_dir).records():
        c = record.classification
        rows.append(
            {
                "id": record.id,
                "sha256": record.source.sha256,
                "source": record.source.name,
                "doc_type": c.doc_type if c else None,
                "number": c.number if c else None,
                "issued_on": c.issued_on.isoformat() if c and c.issued_on else None,
                "state": record.state.value,
                "needs_review": record.needs_review,
                "path": record.archive_prefix,
            }
        )
    if as_json:
        _print_json({"archive": str(settings.archive_dir), "records": rows})
        return
    table = Table(title=f"{settings.archive_dir}")
    for column in ("id", "source", "type", "number", "date", "state", "path"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["id"],
            row["source"],
            row["doc_type"] or "",
            row["number"] or "",
            row["issued_on"] or "",
            row["state"],
            row["path"] or "",
        )
    out.print(table)


# Commands of each stage's later work live in their own modules, each with register(app).
for _module in ("flows.commands_classify", "flows.commands_signing", "flows.commands_storage"):
    __import__(_module, fromlist=["register"]).register(app)


def main() -> None:
    try:
        app()
    except SohoaError as exc:  # a last line of defence: never a bare traceback for our own errors
        err.print(f"[bold red]sohoa: {exc}[/]")
        sys.exit(EXIT_FAULT)


if __name__ == "__main__":
    main()
