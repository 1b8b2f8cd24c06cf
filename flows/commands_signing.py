"""`sohoa sign`, `sohoa verify` and `sohoa keys`: the signing stage's commands (registered by flows/cli.py)."""

from __future__ import annotations

import contextlib
import os
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from sohoa.fsutil import ScratchFolder, spelled_output

if TYPE_CHECKING:
    from rich.progress import Progress

keys_app = typer.Typer(
    help="Signing identities and trust stores.\n\n"
    "Examples:\n\n  sohoa keys list\n\n  sohoa keys install-trust-store vn /etc/sohoa/trust/vn",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `sohoa` app."""
    app.command(
        epilog="Examples:\n\n  sohoa sign searchable.pdf signed.pdf --json\n\n"
        "  SOHOA_TSA_URL=http://tsa.example/tsr sohoa sign in.pdf out.pdf --level B-LTA\n\n"
        "With nothing configured the generated DEVELOPMENT ONLY identity signs at B-B (warned); set "
        "SOHOA_SIGNING_IDENTITY=pkcs12 (SOHOA_PKCS12_FILE, SOHOA_PKCS12_PASSWORD_FILE) or pkcs11 "
        "(SOHOA_PKCS11_TOKEN_LABEL, SOHOA_PKCS11_KEY_LABEL, SOHOA_PKCS11_PIN_FILE) for a real one.\n\n"
        "Exit codes: 0 signed; 1 the input cannot be signed; 2 usage; 3 signing identity or TSA unusable (its "
        "certificate revoked too, as its CA's OCSP/CRL services say before signing)."
    )(sign)
    app.command(
        epilog="Examples:\n\n  sohoa verify signed.pdf\n\n  sohoa verify var/archive/*/*/*/document.pdf --json\n\n"
        "  sohoa verify --archive --html report.html --trust-store vn   # once installed: sohoa keys "
        "install-trust-store vn FOLDER\n\n"
        "  sohoa verify --archive-at s3://sohoa/xa --json\n\n  sohoa verify hoso/   # every PDF in the folder\n\n"
        "Exit codes: 0 every signature of every file is valid and trusted; 1 otherwise (an archived file missing, "
        "changed since archiving, part of no record or whose record cannot be read too); 2 usage (a file not "
        "found, no archive at the location); 3 the archive cannot be read (its folder, or its S3 server, unavailable)."
    )(verify)
    app.add_typer(keys_app, name="keys")


def _altered_since_signed(input_file: Path, settings: Any) -> list[str]:
    """``signing.verify.altered_since_signed`` of a PDF that has signatures (one look at its bytes first: a file
    without any is not verified, ~0.3 s of pyHanko's validation layer)."""
    from flows.pipeline import trust_roots
    from sohoa.fsutil import holds_bytes
    from sohoa.signing_names import SIGNATURE_MARK

    try:
        with input_file.open("rb") as fh:
            if not holds_bytes(fh, SIGNATURE_MARK):
                return []
    except OSError:
        return []  # signing names what is wrong with the file
    from signing.verify import altered_since_signed

    return altered_since_signed(input_file, trust_roots(settings))


def sign(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="The PDF to sign.")],
    output: Annotated[
        Path, typer.Argument(metavar="OUTPUT.pdf", help="Where to write the signed PDF.", callback=spelled_output)
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the signature facts as JSON.")] = False,
    level: Annotated[
        str | None,
        typer.Option("--level", help="B-B, B-T, B-LT or B-LTA (default: B-LTA with a TSA configured, else B-B)."),
    ] = None,
    appearance: Annotated[
        str | None,
        typer.Option(
            "--appearance",
            help="none; signer (the person's signature image), then seal (the body's seal over its left third, "
            "signed with the body's key); decree30 (both in one signature); copy (text mark).",
        ),
    ] = None,
    certify: Annotated[bool, typer.Option("--certify", help="A certification (DocMDP) signature.")] = False,
) -> None:
    """Sign a PDF with a PAdES signature (pyHanko) using the configured identity."""
    import signing
    from flows.cli import (
        EXIT_FAULT,
        EXIT_NOT_RIGHT,
        EXIT_USAGE,
        _bad_input_message,
        _check_output_pdf,
        _check_trust_sources,
        _errors_as_json,
        _fail,
        _print_json,
        _require_file,
        _settings,
        out,
    )
    from flows.pipeline import signer_revocation_refusal, signing_identity, trust_roots
    from signing.errors import AppearanceOrderError
    from sohoa.errors import machine_fault, machine_fault_words

    _errors_as_json(as_json)
    settings = _settings()
    input_file = _require_file(input_file)
    _check_output_pdf(input_file, output)
    # a mistyped option is a usage error (2), not a machine to fix (3): checked here, before the identity is loaded
    if level is not None and level.upper() not in signing.LEVELS:
        raise _fail(f"--level {level!r}: không có mức này / no such PAdES level; valid: {', '.join(signing.LEVELS)}")
    if appearance is not None:
        from sohoa.signing_names import APPEARANCES

        if appearance not in APPEARANCES:
            raise _fail(
                f"--appearance {appearance!r}: không có kiểu này / no such appearance; valid: {', '.join(APPEARANCES)}"
            )
        # an image it draws that is not configured: how the command was used, as a bad SOHOA_SIGNATURE_APPEARANCE
        # is a configuration error (it was exit 3, after the identity was loaded)
        if (problem := settings.appearance_problem(appearance, named_as=f"--appearance {appearance}")) is not None:
            raise _fail(problem)
    try:  # a level the command cannot sign at (--level B-T with no TSA): how it was used, exit 2, not the machine
        chosen = signing.resolve_level(level or settings.signature_level or None, settings.tsa_url or None)
    except signing.SigningConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    try:
        identity = signing_identity(settings)
    except signing.SigningConfigError as exc:
        raise _fail(str(exc), EXIT_FAULT) from exc
    if (refusal := signer_revocation_refusal(identity, settings)) is not None:  # the identity unusable: 3
        raise _fail(f"{input_file}: {refusal}", EXIT_FAULT, input_file)
    if chosen in ("B-LT", "B-LTA"):  # the levels whose validation data is gathered through the trust roots
        _check_trust_sources(settings)
    if altered := _altered_since_signed(input_file, settings):
        # a valid new signature over changed content would vouch for it: a seal over a signer's signature broken
        # by an edit after it was signed was added, exit 0, not a word (QA134 F3)
        said = "; ".join(altered)
        raise _fail(
            f"{input_file}: chữ ký đã có của tệp không còn hợp lệ, tệp đã bị thay đổi sau khi ký ({said}): không ký — "
            "chữ ký mới sẽ xác nhận nội dung đã bị đổi; hãy ký lại từ bản chưa bị sửa (sohoa verify cho biết chi "
            f"tiết) / the file's signature no longer holds, it was changed after it was signed ({said}): not signed "
            "— a new signature would vouch for the changed content; sign the unchanged file again (sohoa verify "
            "says what changed)",
            EXIT_NOT_RIGHT,
            input_file,
        )
    try:
        facts = signing.sign_with_settings(
            input_file,
            output,
            identity,
            settings,
            trust_roots(settings),
            level=chosen,
            appearance=appearance,
            certify=certify,
        )
    except AppearanceOrderError as exc:  # how the command was used (seal before signer), not the machine
        raise _fail(f"{input_file}: {exc}", EXIT_USAGE, input_file) from exc
    except (signing.SigningConfigError, signing.SigningServiceError) as exc:
        raise _fail(str(exc), EXIT_FAULT, input_file) from exc
    except signing.SigningInputError as exc:
        raise _fail(_bad_input_message(input_file, exc), EXIT_NOT_RIGHT, input_file) from exc
    except signing.SigningError as exc:
        if (fault := machine_fault(exc)) is not None:
            # the signed file's disk full or read-only: the machine's, said as `sohoa ocr` says it (QA70: English,
            # the raw errno, exit 1 as if the input could not be signed)
            vietnamese, english = machine_fault_words(fault)
            raise _fail(
                f"{output}: không ghi được tệp đã ký: {vietnamese} / the signed file could not be written: {english}",
                EXIT_FAULT,
                output,
            ) from exc
        raise _fail(str(exc), EXIT_NOT_RIGHT, input_file) from exc
    if as_json:
        _print_json(facts.model_dump(mode="json"))
    else:
        from rich.markup import escape

        warning = (
            "  [bold yellow](khóa THỬ NGHIỆM / DEVELOPMENT ONLY identity)[/]" if facts.development_identity else ""
        )
        out.print(
            f"{escape(str(output))}: đã ký PAdES {facts.level} / signed PAdES {facts.level} by "
            f"{escape(facts.signer_subject)}{warning}"
        )


def _folder_pdfs(folder: Path) -> list[Path]:
    """The PDFs in a folder given as an argument, its subfolders too (a folder used to be read as one PDF and
    fail: "cannot read the file: Is a directory"): by name, or by content (``%PDF-``) for a file named otherwise.
    The other files are said, on stderr, by count and kind (QA74: a PDF without its suffix, a scan, notes were
    skipped without a word, the report's scope "13 files given")."""
    from flows.cli import err
    from storage.documents import SIGNED_NAME

    found, skipped, originals = [], [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.stem == "original" and (path.parent / SIGNED_NAME).is_file() and not _carries_signature(path):
            # a sohoa record's unsigned scan beside its signed document.pdf (a bag's data/<id>/, a copy of a
            # record's folder): no signature to verify — a batch bag verified as a folder failed on it (QA99 F7)
            originals.append(path)
        elif path.suffix.lower() == ".pdf" or _starts_as_pdf(path):
            found.append(path)
        else:
            skipped.append(path)
    if originals:
        err.print(
            f"{folder}: bỏ qua {len(originals)} bản quét gốc chưa ký (original.*) nằm cạnh văn bản đã ký "
            f"{SIGNED_NAME} / skipped {len(originals)} unsigned original scan(s) (original.*) beside their signed "
            f"{SIGNED_NAME}",
            markup=False,
            highlight=False,
        )
    if skipped:
        kinds = ", ".join(sorted({path.suffix.lower() or "(không đuôi / no suffix)" for path in skipped}))
        err.print(
            f"{folder}: bỏ qua {len(skipped)} tệp không phải PDF / skipped {len(skipped)} file(s) that are no PDF "
            f"({kinds})",
            markup=False,
            highlight=False,
        )
    return found


def _carries_signature(path: Path) -> bool:
    """Whether a file holds a PDF signature's byte range (a scan received as a signed PDF): such an original is
    verified, not skipped as an unsigned scan (QA100: a tampered signed original.pdf was skipped, exit 0)."""
    try:
        return b"/ByteRange" in path.read_bytes()
    except OSError:
        return True  # cannot tell: verified, and its error said


def _starts_as_pdf(path: Path) -> bool:
    try:
        with path.open("rb") as fh:
            return fh.read(5) == b"%PDF-"
    except OSError:
        return False


# `keys list`'s identity states (its --json keeps them as they are) in Vietnamese / English (QA64: English only)
_STATE_WORDS = {
    "generated": "đã tạo / generated",
    "generated on first use": "tạo khi ký lần đầu / generated on first use",
    "not configured": "chưa cấu hình / not configured",
    "file present": "có tệp / file present",
    "file missing": "thiếu tệp / file missing",
    "module missing": "không có thư viện PKCS#11 / module missing",
}


def _state_words(state: str) -> str:
    if state in _STATE_WORDS:
        return _STATE_WORDS[state]
    if (tokens := re.fullmatch(r"(\d+) initialised token\(s\)(?:, (\d+) empty slot\(s\))?", state)) is not None:
        empty = f", {tokens.group(2)} khe trống" if tokens.group(2) else ""
        return f"{tokens.group(1)} thẻ đã khởi tạo{empty} / {state}"
    if state.startswith("module unusable: "):
        return f"thư viện PKCS#11 không dùng được / {state}"
    return state


def _html_report_refusal(target: Path, inputs: list[Path], archive_folders: list[Path]) -> str | None:
    """Why ``--html TARGET`` must not be written (a usage error, said before anything is verified), or None.

    Found by QA: the report was written over whatever was at the path — the PDF being verified, an archived
    document.pdf (a local archive's retention is the archive's own, not the file system's), with exit 0. An existing
    file is replaced only when it is a report sohoa wrote (``signing.report.is_sohoa_report``): QA66, a page of the
    auditor's own that began ``<!DOCTYPE html>`` was replaced."""
    if target.is_dir():
        return f"{target}: là thư mục, hãy cho tên tệp / is a folder: give a file name for the report"
    if any(parent.exists() and not parent.is_dir() for parent in target.parents):
        return f"{target}: một phần đường dẫn là tệp, không phải thư mục / part of the path is a file, not a folder"
    resolved = target.resolve()
    if any(resolved == folder or folder in resolved.parents for folder in archive_folders):
        return (
            f"{target}: nằm trong kho lưu trữ; hãy ghi báo cáo ra ngoài kho / is inside the archive, where only "
            "sohoa writes: write the report elsewhere"
        )
    if target.exists():
        if any(resolved == path.resolve() or _same_file(path, target) for path in inputs):
            return f"{target}: là tệp đang được xác minh / is a file being verified; choose another name"
        from signing.report import is_sohoa_report

        # only a report of sohoa's, by the generator mark it carries (QA66: any page beginning <!DOCTYPE html> was
        # replaced, exit 0); a file that cannot be read cannot be told to be one
        try:
            with target.open("rb") as existing:
                ours = is_sohoa_report(existing.read(8192))
        except OSError as exc:
            return (
                f"{target}: đã có tệp nhưng không đọc được để biết có phải báo cáo của sohoa không, không ghi đè "
                f"({exc.strerror or exc}) / exists and cannot be read to tell whether it is a sohoa report: not "
                "overwritten; choose another name"
            )
        if not ours:
            return (
                f"{target}: đã có tệp khác, không phải báo cáo HTML do sohoa lập, không ghi đè; hãy chọn tên khác, "
                "hoặc tự chuyển hay xóa tệp đó / exists and is not an HTML report written by sohoa: not overwritten; "
                "choose another name, or move or remove that file yourself"
            )
    return None


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _verify_archive(location: str | None, verify_one: Any, under: str | None = None) -> list[Any]:
    """Verify the signed ``document.pdf`` of every record of the archive at ``location`` (default: the configured
    one), refused as `sohoa list` refuses it when nothing was ever archived there. On either backend each file is
    read through its record (``storage.documents``): checked against the SHA-256 the record holds, then verified
    from a temporary copy of those bytes and reported under its path (a local archive) or its ``s3://`` address.
    A record whose file is missing or differs, or whose record.json cannot be relied on, and a ``document.pdf``
    that no record names, are failed entries saying why, not verified. Until 2026-12-01 a local archive was
    globbed for ``*/document.pdf`` and none of this was checked (QA).

    A signed file whose bytes are not the archived ones is verified too (QA58): its entry fails for the mismatch,
    and gives the SHA-256 of the bytes found and their signatures' verdict (it said "the file could not be read").
    ``under``: only the records in that folder of the archive (`sohoa verify` given a path inside one)."""
    import signing
    from flows.cli import EXIT_FAULT, _fail
    from flows.commands_storage import _open
    from storage import ArchiveUnavailableError, LocalArchive, no_archive_said
    from storage.documents import signed_documents

    settings, store = _open(location)

    def address(key: str) -> str:
        return str(store.root / key) if isinstance(store, LocalArchive) else f"{store.location}/{key}"

    results = []
    try:
        with ScratchFolder("sohoa-verify-") as scratch:
            for document in signed_documents(store, under):
                if document.data is None and document.found is not None:
                    changed = scratch / f"{document.record_id}.changed.pdf"
                    changed.write_bytes(document.found)
                    result = verify_one(changed)  # hashed here: the bytes found, not the record's
                    changed.unlink()
                    result.path, result.damaged_record = address(document.key), document.damaged
                    # the verdict on the bytes found stays; the file fails as not the one archived (and what
                    # stopped its verification, if anything, follows)
                    english, vietnamese = document.problem, document.problem_vi
                    if result.error:
                        english, vietnamese = f"{english}; {result.error}", f"{vietnamese}; {result.error_vi}"
                    results.append(result.fail(english, vietnamese, result.error_detail))
                    continue
                if document.data is None:
                    failed = signing.FileVerification(path=address(document.key), damaged_record=document.damaged)
                    results.append(failed.fail(document.problem, document.problem_vi, document.detail or None))
                    continue
                copy = Path(scratch) / f"{document.record_id}.pdf"
                copy.write_bytes(document.data)
                # its bytes were just hashed and found to be the record's: not hashed again for the report
                result = verify_one(copy, (document.sha256, len(document.data)))
                result.path = address(document.key)
                results.append(result)
                copy.unlink()
        if not results and next(iter(store._keys("")), None) is None:
            # an empty folder given as the archive: what `list` says where nothing was ever archived (this said
            # "nothing to verify: the archive holds no signed document.pdf", in English only)
            raise _fail(no_archive_said(store, settings))
    except ArchiveUnavailableError as exc:  # the folder or the S3 server failed mid-way: no file's fault
        raise _fail(f"không đọc được kho lưu trữ / the archive cannot be read: {exc}", EXIT_FAULT) from exc
    return sorted(results, key=lambda result: result.path)  # year, type, number: as the folders read


def _inside_archive(given: Path) -> tuple[Path, str] | None:
    """``(archive folder, key)`` when ``given`` is a folder inside a local archive or a record's signed file
    (``document.pdf``) there; None for any other path (an unsigned original, a PDF outside every archive). The
    archive's own folder is not inside it: it is refused, pointing to --archive-at."""
    from storage.base import INDEX_DIR
    from storage.documents import SIGNED_NAME

    path = given.absolute()  # `cd archive/2025; sohoa verify TB/…/document.pdf`: the archive is above the cwd
    if given.is_dir():
        candidates = list(path.parents)
    elif given.name == SIGNED_NAME:
        candidates = list(path.parents)[1:]  # the record's folder is not an archive
    else:
        return None
    for parent in candidates:
        if (parent / INDEX_DIR).is_dir():
            return parent, path.relative_to(parent).as_posix()
    return None


def _verify_in_archive(root: Path, key: str, shown: Path, verify_one: Any) -> list[Any]:
    """Verify what ``key`` names inside the local archive at ``root`` through its records, as --archive does:
    a folder's records' signed documents (not their unsigned originals, which were counted as failed files), or
    one record's signed document; a ``document.pdf`` no record names fails as such."""
    from storage.documents import SIGNED_NAME

    folder = key.rsplit("/", 1)[0] if key.endswith(f"/{SIGNED_NAME}") else key
    results = _verify_archive(str(root), verify_one, under=folder)
    if folder != key:
        results = [result for result in results if Path(result.path).as_posix().endswith(f"/{key}")]
        for result in results:
            result.path = str(shown)  # the file as the command line named it
    if not results:
        from flows.cli import _fail

        raise _fail(
            f"{root / key}: không có tài liệu đã ký nào của hồ sơ lưu trữ ở đây / no archived record's signed "
            "document here",
            path=root / key,
        )
    return results


def _trust_refusal(given: Path) -> str | None:
    """Why ``--trust GIVEN`` cannot be used (it does not exist, or holds no readable certificate), or None."""
    from flows.cli import no_such
    from signing.report import trust_anchors

    if not given.exists():
        return "--trust " + no_such(given, "file or folder")
    anchors, warnings = trust_anchors([given])
    if not anchors:
        why = (
            f"chi tiết / detail: {'; '.join(warnings)}"
            if warnings
            else "không có tệp .pem, .crt, .cer, .der / no .pem, .crt, .cer or .der file in it"
        )
        return f"--trust {given}: không có chứng thư nào đọc được / holds no readable certificate ({why})"
    return None


def _digest(path: Path) -> tuple[str | None, int | None]:
    """The SHA-256 and size of the file as verified, for the report (None when it cannot be read)."""
    import hashlib

    try:
        with path.open("rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest(), os.fstat(fh.fileno()).st_size
    except OSError:
        return None, None


def _verify_progress(show: bool = True) -> Progress:
    """A progress bar on stderr when it is a terminal (300 files took 27 s with nothing said), as `sohoa process`
    draws one; disabled (draws nothing) otherwise. With --json too (QA58: it drew none, as the README said it did):
    the JSON is on stdout, the bar on stderr and gone when done. `sohoa audit` draws the same."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.cli import err

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,  # the report follows on the terminal, not a finished bar
        disable=not (show and err.is_terminal),
    )


# what `verify` of an archive checks, in its report's header: QA74, a report of "the whole archive", 7/7 passed,
# exit 0, while the audit found an original changed, a file planted in a record's folder and the ledger broken
SIGNED_FILES_ONLY = (
    "chữ ký và mã SHA-256 của tệp document.pdf đã ký của từng hồ sơ, và các hồ sơ sổ nhật ký ghi là đã lưu; không "
    "kiểm tra tệp gốc, record.json, các tệp khác, tệp ngoài hồ sơ, chuỗi sổ nhật ký, thời hạn lưu giữ và phong tỏa "
    "pháp lý: sohoa audit kiểm tra tất cả / "
    "the signatures and SHA-256 of each record's signed document.pdf, and the records the ledger says were "
    "archived; not the originals, record.json, the other files, objects outside the records, the ledger's "
    "chain, retention or legal holds: sohoa audit checks everything"
)


def _report_scope(files: list[Path], in_archive: list[tuple[Path, str, Path]], archive: str | None) -> list[Any]:
    """What the report covers, as asked (QA65: a `verify --archive` report named no archive): the whole archive
    (``--archive``, ``--archive-at``), the records under a folder given inside one, a record's ``document.pdf``
    given there (said as the archived file it is: QA66, it was "the records under …/document.pdf"), and how many
    files were given."""
    from signing.report import ReportScope
    from storage.documents import SIGNED_NAME

    scope = []
    if archive is not None:
        shown = archive if archive.startswith("s3:") else str(Path(archive).absolute())
        scope.append(ReportScope(kind="archive", archive=shown))
    for root, key in dict.fromkeys((root, key) for root, key, _ in in_archive):
        if key.endswith(f"/{SIGNED_NAME}") and not (root / key).is_dir():
            scope.append(ReportScope(kind="archive_file", archive=str(root), key=key))
        else:
            scope.append(ReportScope(kind="archive_part", archive=str(root), under=key))
    if files:
        scope.append(ReportScope(kind="files", files=len(files)))
    return scope


def _html_summary(target: Path, results: list[Any]) -> str:
    from signing.report import counts_words, report_counts

    counts = report_counts(results)
    return (
        f"Báo cáo / Report: {target} — {counts.passed}/{counts.total} tệp đạt / files passed ({counts_words(counts)})"
    )


def verify(
    pdfs: Annotated[list[Path] | None, typer.Argument(metavar="PDF...", help="Signed PDFs to check.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
    archive: Annotated[
        bool,
        typer.Option("--archive", help="Verify every archived document.pdf of SOHOA_ARCHIVE (a folder or S3)."),
    ] = False,
    archive_at: Annotated[
        str | None,
        typer.Option(
            "--archive-at",
            metavar="LOCATION",
            help="Verify every archived document.pdf of this archive (a folder or s3://bucket/prefix).",
        ),
    ] = None,
    html_out: Annotated[
        Path | None,
        typer.Option(
            "--html",
            metavar="FILE",
            callback=spelled_output,
            readable=False,  # an existing file sohoa cannot read is refused by its own check, in both languages
            help="Write a printable, self-contained HTML report (vi + en) to FILE; never over a file that is not a "
            "report sohoa wrote.",
        ),
    ] = None,
    text: Annotated[bool, typer.Option("--text", help="Plain-text report (vi + en) on stdout.")] = False,
    trust_store: Annotated[
        list[str] | None, typer.Option("--trust-store", help="Also trust this installed named store (e.g. vn).")
    ] = None,
    trust: Annotated[
        list[Path] | None, typer.Option("--trust", help="Also trust the certificates in this file or folder.")
    ] = None,
    online: Annotated[
        bool, typer.Option("--online", help="Fetch OCSP/CRL data to check revocation (default: embedded only).")
    ] = False,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            help="Validate as of this time (ISO 8601 with its zone, e.g. 2031-01-01T00:00:00+07:00; a day alone, "
            "2031-01-01 or 01/01/2031, is its start in Vietnam time).",
        ),
    ] = None,
) -> None:
    """Verify every signature: integrity, validity, trust, revocation, level and changes after signing."""
    import signing
    from flows.cli import (
        EXIT_NOT_RIGHT,
        EXIT_OK,
        _check_trust_sources,
        _errors_as_json,
        _fail,
        _input_path,
        _print_json,
        _settings,
        err,
        no_such,
        out,
    )
    from flows.pipeline import trust_roots
    from signing.report import as_json as report_json
    from signing.report import render_html, render_text, report_header
    from sohoa.fsutil import atomic_write_text
    from storage import archive_location

    _errors_as_json(as_json)
    settings = _settings()
    as_of = None
    if at is not None:
        from classify.vndate import parse_short_date
        from sohoa.vietnamese import VN_TZ

        # a day alone (as an auditor asks "valid on 1 January 2031?"), ISO or as officers write it: its start in
        # Vietnam time (QA78: refused, "give the time zone")
        day = parse_short_date(at) if re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4}", at.strip()) else None
        if day is None and re.fullmatch(r"\d{4}-\d{2}-\d{2}", at.strip()):
            with contextlib.suppress(ValueError):
                day = date.fromisoformat(at.strip())
        try:
            as_of = datetime(day.year, day.month, day.day, tzinfo=VN_TZ) if day else datetime.fromisoformat(at)
        except ValueError:
            raise _fail(f"--at {at!r}: không phải ngày giờ ISO 8601 / not an ISO 8601 date-time") from None
        if as_of.tzinfo is None:
            raise _fail(f"--at {at!r}: hãy ghi cả múi giờ, ví dụ +07:00 / give the time zone, e.g. +07:00")
    if archive and archive_at:
        raise _fail("--archive hoặc / or --archive-at LOCATION, không cả hai / not both")
    files: list[Path] = []
    # paths inside a local archive (a record's folder, a folder of records, a record's document.pdf): checked
    # against their records as --archive checks them (QA58: another record's document.pdf copied over one passed)
    in_archive: list[tuple[Path, str, Path]] = []
    for given in pdfs or []:
        if str(given).startswith("s3:/"):  # typer made it a Path, which folds 's3://' into 's3:/'
            url = "s3://" + str(given)[4:].lstrip("/")
            raise _fail(f"{url}: là địa chỉ kho lưu trữ / an archive location, not a PDF: use --archive-at {url}")
        if given.is_dir() and (given / ".by-sha256").is_dir():
            # an archive's own originals (original.pdf, unsigned) were counted as failed files (QA)
            raise _fail(
                f"{given}: là một kho lưu trữ / is an archive: verify its signed documents with --archive-at {given}",
                path=given,
            )
        if (inside := _inside_archive(_input_path(given))) is not None:  # the key as the archive spells it
            in_archive.append((*inside, given))
            continue
        if given.is_dir():
            found = _folder_pdfs(given)
            if not found:
                raise _fail(f"{given}: không có tệp PDF nào trong thư mục / no PDF in this folder", path=given)
            files.extend(found)
        else:
            files.append(given)
    if as_json and text:  # both on stdout: --text was dropped without a word (QA74)
        raise _fail("--json và --text: chọn một / --json and --text: choose one (both print on stdout)")
    if not files and not in_archive and not (archive or archive_at):
        raise _fail(
            "không có gì để kiểm tra: hãy cho tệp PDF hoặc thư mục, --archive hoặc --archive-at LOCATION / "
            "nothing to verify: give PDF files or folders, --archive or --archive-at LOCATION"
        )
    for name in trust_store or []:
        if not signing.trust_store_path(settings.data_dir, name).is_dir():
            raise _fail(
                f"kho gốc tin cậy {name!r} chưa được cài / trust store {name!r} is not installed "
                f"(sohoa keys install-trust-store {name} FOLDER)"
            )
    _check_trust_sources(settings)  # the configured ones, as the options just above
    trust = [_input_path(given) for given in trust or []]
    for given_root in trust:
        # as --trust-store: a root named on the command line that gives no certificate is how the command was used
        # (it was a warning, exit 0, and the HTML listed the path under the roots used)
        if (refusal := _trust_refusal(given_root)) is not None:
            raise _fail(refusal, path=given_root)
    files = [_input_path(p) for p in files]
    missing = [p for p in files if not p.exists()]
    if missing:  # as `sohoa process` does: a file that is not there is a usage error, not a failed verification
        raise _fail(
            # PDFs and folders of them are taken: "no such file" of `hoso/` read as if a folder were refused (QA74)
            ", ".join(no_such(p, "file or folder") for p in missing),
            path=missing[0] if len(missing) == 1 else None,
        )
    if html_out is not None:
        # the configured archive, and the one verified: a report in either would be an object of no record
        archives = [archive_location(settings), *([archive_at] if archive_at else [])]
        folders = [Path(location).resolve() for location in archives if not location.startswith("s3:")]
        folders += [root.resolve() for root, _, _ in in_archive]  # an archive a path given lies in
        if (refusal := _html_report_refusal(html_out, files, folders)) is not None:
            raise _fail(refusal, path=html_out)
    roots = trust_roots(settings)
    roots.extend(signing.trust_store_path(settings.data_dir, n) for n in trust_store or [])
    roots.extend(trust or [])
    # read once for the run, not once per file (a large trust store made that a good part of each file's time)
    loaded_roots = signing.TrustRoots.load(roots)

    checked_online = online or settings.verify_online
    header = report_header(
        roots,
        online=checked_online,
        as_of=as_of,
        now=datetime.now(UTC),
        scope=_report_scope(
            files, in_archive, archive_at or archive_location(settings) if archive or archive_at else None
        ),
        checked=SIGNED_FILES_ONLY if archive or archive_at or in_archive else None,
    )
    progress = _verify_progress()
    # an archive's documents are counted as it is read: no total for the bar until then
    task = progress.add_task("Xác minh / verifying", total=None if archive or archive_at or in_archive else len(files))

    def verify_one(path: Path, digest: tuple[str | None, int | None] | None = None) -> signing.FileVerification:
        """``digest``: the file's SHA-256 and size, when the caller has them already (an archived document)."""
        result = signing.verify_pdf(path, loaded_roots, online=checked_online, at=as_of)
        result.sha256, result.size = digest if digest is not None else _digest(path)
        progress.advance(task)
        return result

    with progress:
        results = [verify_one(path) for path in files]
        for root, key, shown in in_archive:
            results.extend(_verify_in_archive(root, key, shown, verify_one))
        if archive or archive_at:
            archived = _verify_archive(archive_at, verify_one)
            if not archived:  # records all disposed of: something was archived, nothing is left to verify
                raise _fail(
                    "không có gì để xác minh: kho không còn hồ sơ nào / nothing to verify: the archive holds no record"
                )
            results.extend(archived)
    passed = all(r.passed for r in results)
    if html_out is not None:
        try:  # whole or not at all: a report cut short by a full disk must not pass for the auditor's copy
            html_out.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(html_out, render_html(results, header))
        except OSError as exc:
            raise _fail(f"{html_out}: không ghi được báo cáo / cannot write the report: {exc}", path=html_out) from exc
        # the report is the file: say where it went and what it says (nothing was printed, however long the run);
        # on stderr when stdout carries the JSON or the text report
        summary = _html_summary(html_out, results)
        (err if as_json or text else out).print(summary, markup=False, highlight=False, emoji=False)
    if as_json:
        _print_json(report_json(results, header))
    elif text or html_out is None:
        # lines as long as they are (_LineConsole: rich cut them at the console's width, mid-word, in a filed
        # report); emoji=False: rich turned ":CD:" of a colon-separated fingerprint into an emoji
        out.print(render_text(results, header), end="", markup=False, highlight=False, emoji=False)
    raise typer.Exit(EXIT_OK if passed else EXIT_NOT_RIGHT)


@keys_app.command(
    name="list",
    epilog="Example:\n\n  sohoa keys list --json\n\n"
    "Exit codes: 0 the signing identity is usable (or is the development one, not created yet); 2 a bad setting; "
    "3 the identity is not usable (the reason printed).",
)
def keys_list(as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False) -> None:
    """Show the configured signing identity (usable or why not), the TSA, the level and the trust stores."""
    import signing
    from flows.cli import EXIT_FAULT, EXIT_OK, _errors_as_json, _print_json, _settings, out
    from flows.pipeline import signing_identity, trust_roots, trust_source_problem

    _errors_as_json(as_json)
    settings = _settings()
    info: dict[str, Any] = {"identity_kind": settings.signing_identity, "usable": False}
    if settings.signing_identity == "dev" and signing.existing_dev_ca(settings.keys_dir) is None:
        # looking must not generate a private key: the first signature does
        info.update(
            usable=True,
            development=True,
            description=f"development identity, not created yet: the first signature generates it in "
            f"{settings.keys_dir} (DEVELOPMENT ONLY)",
        )
    else:
        try:
            identity = signing_identity(settings)
            info.update(usable=True, description=identity.description, development=identity.development)
        except signing.SigningConfigError as exc:
            info["problem"] = str(exc)
        else:
            if settings.check_signer_revocation and not identity.development:
                # asked now, as a batch asks before its first document: a revoked certificate is not usable
                from signing.policy import configured_roots
                from signing.standing import signer_revocation

                found = signer_revocation(identity, configured_roots(trust_roots(settings)), fresh=True)
                info["revocation"] = found.to_json_dict()
                if found.status == "revoked":
                    info.update(usable=False, problem=found.refusal())
    try:
        info["level"] = signing.resolve_level(settings.signature_level or None, settings.tsa_url or None)
    except signing.SigningConfigError as exc:
        info["level_problem"] = str(exc)
    info["tsa_url"] = settings.tsa_url or None
    if settings.tsa_url:
        # asked now, as the first signature and the ledger's daily stamp will ask it (QA78: shown, never asked — an
        # unreachable TSA was found only by each document of the next batch failing)
        info["tsa"] = _tsa_answer(settings.tsa_url)
        if not info["tsa"]["answered"] and info.get("level", "B-B") != "B-B":
            info.update(usable=False, problem=info["tsa"]["problem"])
    from signing.policy import available_identities

    info["available"] = available_identities(settings)
    info["trust_stores"] = signing.list_trust_stores(settings.data_dir)
    info["trust_stores_in_use"] = settings.trust_stores
    # shown, not refused: this is where an operator looks, and the command trusts nothing itself
    info["trust_problem"] = trust_source_problem(settings)
    if as_json:
        _print_json(info)
    else:
        from rich.markup import escape

        from sohoa.vietnamese import vn_date

        # the labels Vietnamese / English, as every officer-facing output (the values are the configuration's)
        state = (
            "[green]dùng được / usable[/]"
            if info["usable"]
            else f"[red]KHÔNG dùng được / NOT usable[/]: {escape(str(info.get('problem')))}"
        )
        out.print(f"danh tính ký / identity {settings.signing_identity}: {state}")
        if info.get("description"):
            out.print(f"  {info['description']}", markup=False)
        if (revocation := info.get("revocation")) is not None and revocation["status"] != "revoked":
            out.print(f"  thu hồi / revocation: {revocation['words']}", markup=False)
        for row in info["available"]:
            extra = "".join(
                f"; token {t['label']!r} (slot {t['slot']})" for t in row.get("tokens", []) if t["initialized"]
            )
            out.print(f"  có sẵn / available: {row['kind']} — {_state_words(row['state'])}{extra}", markup=False)
        out.print(
            (
                f"mức ký / level {info['level']}; "
                if "level" in info
                else f"mức ký / level: {info.get('level_problem')}; "
            )
            + f"máy chủ dấu thời gian / TSA {info['tsa_url'] or '—'}"
            + (f" — {info['tsa']['words']}" if info.get("tsa") else ""),
            markup=False,
        )
        if info["trust_problem"]:
            out.print(f"[bold yellow]{escape(info['trust_problem'])}[/]")
        for name, certs in info["trust_stores"].items():
            out.print(f"kho gốc tin cậy / trust store {name}: {len(certs)} chứng thư / certificate(s)", markup=False)
            for cert in certs:
                out.print(f"  {cert['subject']} (đến / until {vn_date(cert['not_after'][:10])})", markup=False)
    raise typer.Exit(EXIT_OK if info["usable"] else EXIT_FAULT)


def _tsa_answer(url: str) -> dict[str, Any]:
    """Whether the TSA at ``url`` answers a timestamp request now (for a fixed test digest, never a document's):
    ``answered``, its ``time`` (the TSA's, ISO) or the ``problem`` (Vietnamese / English), and ``words`` for the
    text output."""
    import hashlib

    from signing.services import TsaError
    from storage.stamps import StampError, request_token, token_time

    try:
        when = token_time(request_token(url, hashlib.sha256(b"sohoa keys list").hexdigest()))
    except StampError as exc:
        fault = exc.__cause__
        problem = f"{fault.vietnamese()} / {fault}" if isinstance(fault, TsaError) else str(exc)
        words = f"KHÔNG trả lời / NOT answering: {problem}"
        return {"answered": False, "time": None, "problem": problem, "words": words}
    return {
        "answered": True,
        "time": when.isoformat(),
        "problem": None,
        "words": f"đã trả lời / answered ({when.astimezone(UTC).isoformat(timespec='seconds')})",
    }


@keys_app.command(
    name="install-trust-store",
    epilog="Example:\n\n  sohoa keys install-trust-store vn /etc/sohoa/trust/vn\n\n"
    "then verify with --trust-store vn (or SOHOA_TRUST_STORES=vn).\n\n"
    "Exit codes: 0 installed; 2 usage (a name that is not letters, digits and _, a SOURCE not found or without "
    "a usable certificate); 3 the store cannot be written under DATA_DIR/trust.",
)
def keys_install_trust_store(
    name: Annotated[str, typer.Argument(metavar="NAME", help="Store name, e.g. vn.")],
    source: Annotated[
        Path, typer.Argument(metavar="SOURCE", help="Folder (or file) of PEM/DER roots (replaces the store).")
    ],
) -> None:
    """Install a folder of root certificates as a named trust store under DATA_DIR/trust/NAME (installed again, the
    store becomes the new source's certificates only)."""
    import signing
    from flows.cli import EXIT_USAGE, _fail, _input_path, _settings, out

    settings = _settings()
    source = _input_path(source)
    try:
        copied = signing.install_trust_store(settings.data_dir, name, source)
    except signing.SigningConfigError as exc:
        raise _fail(str(exc), EXIT_USAGE) from exc
    except OSError as exc:  # DATA_DIR/trust not writable, the disk full: the machine, not the command (a traceback)
        raise _fail(
            f"{signing.trust_store_path(settings.data_dir, name)}: cannot write the trust store: {exc}", 3
        ) from exc
    out.print(
        f"trust store {name}: {len(copied)} certificate file(s) in {signing.trust_store_path(settings.data_dir, name)}",
        markup=False,
    )
    if name not in settings.trust_stores:
        # installing does not make a store trusted (found by exploratory testing: installed, then verify said
        # "no chain"): say how it is used
        out.print(
            f"chỉ dùng khi kiểm tra với --trust-store {name}, hoặc luôn dùng khi đặt SOHOA_TRUST_STORES / "
            f"used only by `sohoa verify --trust-store {name}`, or always with SOHOA_TRUST_STORES='[\"{name}\"]'",
            markup=False,
        )
