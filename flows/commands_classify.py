"""`sohoa classify …` and `sohoa review …` (registered by flows/cli.py).

`classify` is a command group whose default command reads a document: `sohoa classify INPUT [--json]` is
`sohoa classify file INPUT [--json]`; `sohoa classify train DIR` trains the type model. (A document that is
literally named `train` or `file` is given as `./train`.)
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from flows.commands_storage import ArchiveOption, JsonOption, _check_unchanged, _open, not_in_archive
from sohoa.fsutil import ScratchFolder
from sohoa.vietnamese import vn_date

if TYPE_CHECKING:
    from sohoa.record import OcrResult
    from sohoa.settings import Settings


class DefaultCommandGroup(TyperGroup):
    """A group that runs its ``file`` command when the first argument is not one of its subcommands."""

    default_command = "file"

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = [self.default_command, *args]
        return super().parse_args(ctx, args)


# `sohoa classify`'s table names each field in Vietnamese beside its JSON key (QA64: the keys alone, in English)
_FIELD_WORDS = {
    "number": "số, ký hiệu",
    "symbol": "ký hiệu",
    "issued_on": "ngày ban hành",
    "place": "địa danh",
    "doc_type": "loại văn bản",
    "doc_type_name": "tên loại",
    "issuer": "cơ quan ban hành",
    "issuer_parent": "cơ quan chủ quản",
    "admin_unit": "đơn vị hành chính",
    "subject": "trích yếu",
    "recipients": "nơi nhận",
    "signer_name": "người ký",
    "signer_title": "chức vụ người ký",
    "signing_authority": "thẩm quyền ký",
    "registration_number": "số đăng ký",
    "book_number": "quyển số",
    "registration_place": "nơi đăng ký",
    "registration_date": "ngày đăng ký",
    "persons": "người trong hồ sơ",
}
_DAY_FIELDS = {"issued_on", "registration_date"}


def _read(input_file: Path, settings: Settings) -> OcrResult:
    """Text and word boxes of a file: its text layer where a page has one, OCR for the others (the searchable
    PDF goes to a temporary folder)."""
    import ocr as ocr_stage

    with ScratchFolder("sohoa-classify-") as scratch:
        result = ocr_stage.ocr_document(
            input_file,
            scratch / "ocr.pdf",
            language=settings.ocr_language,
            workers=settings.effective_ocr_workers,
            dpi=settings.ocr_dpi,
            tessdata_dir=settings.tessdata_dir,
            tesseract_engine=settings.tesseract_engine,
            bands=settings.ocr_bands,
            other_language=settings.ocr_other_language,
        )
    return result


# the fields `review set` corrects: (key, Vietnamese, English), as `get` labels them
_CORRECTED_FIELDS = (
    ("doc_type", "Loại", "type"),
    ("number", "Số, ký hiệu", "number"),
    ("issued_on", "Ngày ban hành", "issued on"),
    ("issuer", "Cơ quan ban hành", "issuer"),
    ("subject", "Trích yếu", "subject"),
    ("signer_name", "Người ký", "signer"),
    ("signer_title", "Chức danh người ký", "signer's title"),
)


def _changed_fields(before: Any, after: Any) -> list[tuple[str, str, str, str | None, str | None]]:
    """The fields ``after`` (a correction) changed from ``before`` (the classification as read, or as corrected
    earlier; None: none): ``(key, Vietnamese, English, old, new)``, a day in ISO (``said_value`` writes it as
    officers do)."""

    def value(classification: Any, key: str) -> str | None:
        given = getattr(classification, key, None) if classification is not None else None
        if isinstance(given, date):
            return given.isoformat()
        return str(given) if given not in (None, "") else None

    changed = []
    for key, vi, en in _CORRECTED_FIELDS:
        old, new = value(before, key), value(after, key)
        if old != new:
            changed.append((key, vi, en, old, new))
    return changed


def _said(value: str | None) -> str:
    """A field's value in `review set`'s lines: a day as officers write it, none as a dash."""
    from sohoa.vietnamese import vn_date

    if value is None:
        return "—"
    return vn_date(value) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) else value


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the `sohoa` app."""
    from rich.markup import escape
    from rich.table import Table

    from flows import cli
    from sohoa.errors import BadInputError, InputChangedError, StageError

    classify_app = typer.Typer(
        cls=DefaultCommandGroup,
        help=(
            "Document type (Decree 30/2020), number, date, place, issuer, subject, signer, recipients — each with "
            "a confidence and its evidence; or train the type model.\n\n"
            "Examples:\n\n  sohoa classify scan.pdf\n\n  sohoa classify quyết-định.png --json\n\n"
            "  sohoa classify train ho-so-da-gan-nhan/      # folders named by type code: QĐ/, TB/, CV/, HT-TLKT/\n\n"
            "Exit codes: 0 classified; 1 unusable input or type unknown; 2 usage; 3 Tesseract unavailable."
        ),
        no_args_is_help=True,
        rich_markup_mode=None,
    )

    @classify_app.command(
        "file",
        epilog="Examples:\n\n  sohoa classify scan.pdf\n\n  sohoa classify file quyết-định.png --json\n\n"
        "Exit codes: 0 classified; 1 unusable input or type unknown; 2 usage; 3 Tesseract unavailable.",
    )
    def classify_file(
        input_file: Annotated[Path, typer.Argument(metavar="INPUT", help="A scan, a PDF with text, or a .txt file.")],
        as_json: Annotated[bool, typer.Option("--json", help="Print the fields as JSON.")] = False,
    ) -> None:
        """Classify one document (the default: `sohoa classify INPUT`)."""
        cli._errors_as_json(as_json)
        import classify as classify_stage

        settings = cli._settings()
        cli._check_classify_model(settings)
        input_file = cli._require_file(input_file)
        try:
            if input_file.suffix.lower() == ".txt":
                text, layout = input_file.read_text(encoding="utf-8"), []
            else:
                read = _read(input_file, settings)
                text, layout = read.text, read.layout
        except BadInputError as exc:
            raise cli._fail(cli._bad_input_message(input_file, exc), cli.EXIT_NOT_RIGHT, input_file) from exc
        except InputChangedError as exc:
            raise cli._fail(cli._input_changed_message(input_file), cli.EXIT_FAULT, input_file) from exc
        except StageError as exc:
            raise cli._fail(str(exc), cli.EXIT_FAULT, input_file) from exc
        result = classify_stage.classify_text(text, layout=layout)
        if as_json:
            cli._print_json(result.model_dump(mode="json"))
        else:
            from classify.evidence_words import evidence_in_vietnamese

            table = Table(title=escape(input_file.name), show_header=True)
            for column in ("trường / field", "giá trị / value", "tin cậy / confidence", "căn cứ / evidence"):
                table.add_column(column)
            for name, value in result.fields.items():
                # read from the document: `[` in its text is no markup; days as officers write them (JSON: ISO)
                shown = value.value or ""
                if name in _DAY_FIELDS and re.fullmatch(r"\d{4}-\d{2}-\d{2}", shown):
                    shown = vn_date(shown)
                label = f"{_FIELD_WORDS[name]} / {name}" if name in _FIELD_WORDS else name
                # the evidence in Vietnamese for the officer, the classifier's English under it (as --json has it)
                vietnamese = evidence_in_vietnamese(value.evidence)
                evidence = escape(vietnamese) + (
                    f"\n[dim]{escape(value.evidence)}[/]" if vietnamese != value.evidence else ""
                )
                table.add_row(label, escape(shown), f"{value.confidence:.2f}", evidence)
            cli.out.print(table)
            from sohoa.record import DECIDED_BY_WORDS, in_words

            decided = in_words(DECIDED_BY_WORDS, result.decided_by)
            cli.out.print(f"độ tin cậy chung / overall confidence {result.confidence:.2f} ({decided})")
            if result.copy_block is not None:  # the signer and recipients above are the copied document's
                cli.out.print(f"bản sao / copy: {escape(result.copy_block.said())}")
            from classify.review import later_heading_reason, reason_in_both

            # a separator sheet left out: said, as the pipeline's review does; not a page after a separator sheet —
            # this command reads a stack whole, and there the next document begins (QA62)
            for heading in result.later_headings:
                if not heading.after_separator:
                    cli.out.print(escape(reason_in_both(later_heading_reason(heading))))
        raise typer.Exit(cli.EXIT_OK if result.doc_type != "unknown" else cli.EXIT_NOT_RIGHT)

    @classify_app.command(
        "train",
        epilog="Examples:\n\n  sohoa classify train var/training\n\n"
        "  sohoa classify train ho-so/ --output model.joblib --base 0\n\n"
        "LABELLED_DIR holds one folder per type code (QĐ/, TB/, CV/, HT-TLKT/ …) of .txt files (OCR text, NFC). "
        "The model goes to SOHOA_CLASSIFY_MODEL, else DATA_DIR/models/classify-model.joblib, and is used from "
        "the next run on.\n\nExit codes: 0 trained; 1 no labelled examples in LABELLED_DIR, or too few (nothing "
        "written); 2 usage.",
    )
    def classify_train(
        labelled_dir: Annotated[Path, typer.Argument(metavar="LABELLED_DIR", help="Folders named by type code.")],
        output: Annotated[Path | None, typer.Option("--output", "-o", help="Model file to write.")] = None,
        base: Annotated[
            int, typer.Option("--base", help="Synthetic examples per type added to yours (0: only yours).")
        ] = 15,
        as_json: Annotated[bool, typer.Option("--json", help="Print what was trained as JSON.")] = False,
    ) -> None:
        """Train the type model (scikit-learn, character + word n-grams) on folders of labelled text."""
        cli._errors_as_json(as_json)
        from classify.model import office_model_path, read_labelled_dir
        from classify.review import corrections_dir, train_office_model

        settings = cli._settings()
        labelled_dir = cli._input_path(labelled_dir)
        if not labelled_dir.is_dir():
            raise cli._fail(f"{labelled_dir}: không phải thư mục / not a folder", path=labelled_dir)
        if not read_labelled_dir(labelled_dir)[0]:
            # a model of the bundled examples alone would replace the one in use and learn nothing of the office's
            raise cli._fail(
                f"{labelled_dir}: không có văn bản mẫu nào (thư mục theo mã loại QĐ/, TB/ … chứa tệp .txt); chưa ghi "
                "mô hình / no labelled examples (folders named by type code, QĐ/, TB/ …, holding .txt files); "
                "no model written",
                cli.EXIT_NOT_RIGHT,
                labelled_dir,
            )
        out = output or (
            Path(settings.classify_model) if settings.classify_model else office_model_path(settings.data_dir)
        )
        try:
            model = train_office_model(labelled_dir, out, base_per_type=base, corrections=corrections_dir(settings))
        except ValueError as exc:
            raise cli._fail(f"{labelled_dir}: {exc}", cli.EXIT_NOT_RIGHT, labelled_dir) from exc
        summary = {
            "model": str(out),
            "examples": model.bundle["examples"],
            "office_examples": len(model.exact),
            "types": model.labels,
            "format": model.bundle["format"],
            "sklearn": model.bundle["sklearn"],
        }
        if as_json:
            cli._print_json(summary)
        else:
            cli.out.print(
                f"{out}: {summary['examples']} examples ({summary['office_examples']} yours), "
                f"{len(model.labels)} types",
                markup=False,
            )

    app.add_typer(classify_app, name="classify")

    review_app = cli.command_group(
        "The review queue: records archived with needs_review, and officers' corrections.\n\n"
        "Examples:\n\n  sohoa review list\n\n  sohoa review set 3f2a9c0d1e2b4a5c --type QĐ --number 15/QĐ-UBND"
    )

    @review_app.command(
        "list",
        epilog="Examples:\n\n  sohoa review list --json\n\n  sohoa review list --archive /srv/kho\n\n"
        "Exit codes: 0 listed (even when empty); 1 listed, but a record's record.json cannot be read or is not the one "
        "archived, or a record is stored but missing from the index (each named); 2 usage (no archive at the "
        "location given); 3 archive unavailable.",
    )
    def review_list(archive: ArchiveOption = None, as_json: JsonOption = False) -> None:
        """Records waiting for review (archived with needs_review and not corrected yet)."""
        cli._errors_as_json(as_json)
        from classify.review import pending, reason_in_both, reason_in_vietnamese
        from flows.commands_storage import _say_damaged, _say_on_stderr, not_indexed, print_records
        from storage import ArchiveUnavailableError, DamagedRecord
        from storage.ledger import unchanged_records

        settings, store = _open(archive)  # a location with no archive is refused (it used to say "0 record(s)")
        damaged: list[DamagedRecord] = []  # whether it waits for review cannot be read: named, the rest listed
        try:
            # as `list`: a record.json not the one its "archived" ledger entry recorded is no fact — one rewritten to
            # needs_review=false left the queue without a word, a rewritten number was shown as read (QA62)
            records, changed = unchanged_records(store, store.records_as_read(damaged, missing=damaged))
            waiting = list(pending(records, settings))
            # one left out of the index may be waiting too: named, as `list` names it
            unlisted = not_indexed(store, records, [*damaged, *changed])
        except ArchiveUnavailableError as exc:
            raise cli._fail(str(exc), cli.EXIT_FAULT) from exc
        damaged += changed
        _say_damaged(damaged)
        _say_on_stderr(unlisted)
        rows: list[dict[str, Any]] = [
            {
                "id": r.id,
                "file": r.source.name,
                "file_label": r.source.label(),
                "doc_type": r.classification.doc_type if r.classification else None,
                "number": r.classification.number if r.classification else None,
                "confidence": r.classification.confidence if r.classification else None,
                "reasons": still,
                "reasons_vi": [reason_in_vietnamese(reason) for reason in still],
            }
            for r, still in waiting  # its reasons still open, read once with whether it waits
        ]
        if as_json:
            cli._print_json(
                {
                    "archive": store.location,
                    "records": rows,
                    "count": len(rows),
                    "damaged": [lost.to_json_dict() for lost in damaged],
                    "not_indexed": unlisted,
                }
            )
            raise typer.Exit(cli.EXIT_NOT_RIGHT if damaged or unlisted else cli.EXIT_OK)
        table = Table(
            title=f"{len(rows)} hồ sơ cần xem lại / record(s) to review — {escape(store.location)}", show_header=True
        )
        columns = ("mã hồ sơ / id", "tệp / file", "loại / type", "số / number", "tin cậy / conf.", "lý do / reasons")
        cells: list[tuple[str, ...]] = [
            (
                row["id"],
                escape(row["file_label"]),  # the scan's own name: `[bản sao] x.pdf` is no markup
                escape(str(row["doc_type"])),
                escape(str(row["number"] or "")),
                f"{row['confidence']:.2f}" if row["confidence"] is not None else "",
                escape("; ".join(map(reason_in_both, row["reasons"]))),
            )
            for row in rows
        ]
        print_records(table, columns, cells)  # the id whole, the one handle `review set` takes (QA77)
        raise typer.Exit(cli.EXIT_NOT_RIGHT if damaged or unlisted else cli.EXIT_OK)

    @review_app.command(
        "set",
        epilog="Examples:\n\n  sohoa review set 3f2a9c0d1e2b4a5c --type QĐ --number 15/QĐ-UBND --date 19/11/2025\n\n"
        "  sohoa review set 3f2a9c0d1e2b4a5c --issuer 'Ủy ban nhân dân xã Tân Lập'\n\n"
        "  sohoa review set 3f2a9c0d1e2b4a5c --signer 'Lò Văn Thắm' --signer-title 'TM. ỦY BAN NHÂN DÂN CHỦ TỊCH'\n\n"
        "Give any of the options, at least one. A second correction starts from the first: options not given keep "
        "their corrected values; with no --type, the type is the one corrected before, else the one sohoa read "
        "(refused when sohoa read none). --number is "
        "kept without a leading 'số'/'Số:' (as sohoa reads numbers); an empty one is refused. A number whose "
        "symbol names another type (--type QĐ --number 12/KH-UBND) is kept, with a warning.\n\n"
        "The correction is kept in DATA_DIR/corrections/, its text becomes a training example in "
        "DATA_DIR/training/TYPE/, a 'corrected' entry goes to the custody ledger, and the office model is retrained "
        "(--no-retrain to skip). A correction settles the classification's review reasons only: the others (a "
        "page's OCR, CMYK colours, a possible merge at a separator, a possible earlier copy) stay on the review list "
        "and in `sohoa get` until --ack; a record that may be merged becomes no training example until then.\n\n"
        "Exit codes: 0 corrected; 1 no such record, or its record.json cannot be read; "
        "2 usage (a type code, date or number that cannot be, no archive at the location given); 3 archive "
        "unavailable.",
    )
    def review_set(
        record_id: Annotated[str, typer.Argument(metavar="RECORD_ID", help="The record id (16 hex digits).")],
        doc_type: Annotated[
            str | None,
            typer.Option("--type", help="Type code: QĐ, TB, CV, HT-TLKT … (any case); left out, the type is kept."),
        ] = None,
        number: Annotated[str | None, typer.Option("--number", help="Number and symbol, e.g. 15/QĐ-UBND.")] = None,
        issued_on: Annotated[
            str | None, typer.Option("--date", help="Issue date: DD/MM/YYYY (day first) or YYYY-MM-DD.")
        ] = None,
        issuer: Annotated[str | None, typer.Option("--issuer", help="Issuing body.")] = None,
        subject: Annotated[str | None, typer.Option("--subject", help="Trích yếu.")] = None,
        signer_name: Annotated[
            str | None, typer.Option("--signer", help="The signer's name (họ tên người ký).")
        ] = None,
        signer_title: Annotated[
            str | None,
            typer.Option(
                "--signer-title",
                help="The signer's title as printed, its authority first: 'KT. CHỦ TỊCH PHÓ CHỦ TỊCH'.",
            ),
        ] = None,
        ack: Annotated[
            bool,
            typer.Option(
                "--ack",
                help="Acknowledge the review reasons still open (a page's OCR, CMYK colours, a possible merge or "
                "earlier copy…): a correction settles only the classification's. Alone, or with a correction.",
            ),
        ] = False,
        retrain: Annotated[bool, typer.Option("--retrain/--no-retrain", help="Retrain the office model.")] = True,
        archive: ArchiveOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print the corrected classification.")] = False,
    ) -> None:
        """Correct a record's classification, and/or acknowledge its other review reasons (--ack); keep the
        correction as a training example and a ledger event."""
        cli._errors_as_json(as_json)
        from classify.review import (
            NOTHING_TO_CORRECT,
            CorrectionError,
            acknowledge,
            clean_number,
            clean_signer,
            correct,
            correction_of,
            in_brief,
            open_reasons,
            reason_in_both,
            retrain_after_correction,
            symbol_disagrees,
            type_code_or_error,
            waits_for_review,
        )
        from storage import AmbiguousRecordIdError, ArchiveUnavailableError, DamagedRecordError
        from storage.ledger import default_actor

        try:  # usage first: said before the archive is opened
            fields_given = doc_type is not None or any(
                v is not None for v in (number, issued_on, issuer, subject, signer_name, signer_title)
            )
            if not fields_given and not ack:
                raise CorrectionError(NOTHING_TO_CORRECT)
            code = type_code_or_error(doc_type) if doc_type is not None else None
            if number is not None:
                number = clean_number(number)
            if signer_name is not None:
                signer_name = clean_signer("--signer", signer_name)
            if signer_title is not None:
                signer_title = clean_signer("--signer-title", signer_title)
        except CorrectionError as exc:
            raise cli._fail(str(exc)) from exc
        when = cli._day_option("--date", issued_on) if issued_on is not None else None
        settings, archive_ = _open(archive)
        try:
            found = archive_.get_as_read(record_id)  # checked below as read: only its ledger entry is read for it
        except ArchiveUnavailableError as exc:
            raise cli._fail(str(exc), cli.EXIT_FAULT) from exc
        except DamagedRecordError as exc:  # its record.json not JSON: nothing to correct it from (as `get`)
            raise cli._fail(str(exc), cli.EXIT_NOT_RIGHT) from exc
        except AmbiguousRecordIdError as exc:  # which record was meant is not known: neither is corrected (QA98)
            raise cli._fail(str(exc)) from exc
        if found is None:  # said as `get` says it (QA67: in other words)
            raise cli._fail(not_in_archive(archive_, record_id), cli.EXIT_NOT_RIGHT)
        _check_unchanged(archive_, found)
        record = found.record
        actor = default_actor()
        fixed = None
        warning = None
        before = correction_of(settings, record.id) or record.classification  # as the office knew it until now
        if fields_given:
            try:
                fixed = correct(
                    record,
                    settings,
                    doc_type=code,
                    number=number,
                    issued_on=when,
                    issuer=issuer,
                    subject=subject,
                    signer_name=signer_name,
                    signer_title=signer_title,
                    actor=actor,
                )
            except CorrectionError as exc:
                raise cli._fail(str(exc)) from exc
            warning = symbol_disagrees(fixed.doc_type, fixed.number) if fixed.number else None
        if warning and fixed is not None:
            cli.err.print(
                f"cảnh báo / warning: số {fixed.number} mang ký hiệu loại {warning}, không phải {fixed.doc_type} / "
                f"the number's symbol names type {warning}, not {fixed.doc_type} (kept as given)",
                markup=False,
                highlight=False,
            )
        # an acknowledgement that settles nothing (nothing open, already settled) is no event for the ledger (QA59:
        # each `review set --ack` run again added an entry "no reason open")
        settles = ack and waits_for_review(record, settings)
        acknowledged = acknowledge(record, settings, actor) if ack else []
        from classify.review import as_corrected
        from flows.pipeline import archive_write_lock
        from storage import archive_location, index_archived
        from storage.ledger import Ledger

        with archive_write_lock(archive_location(settings)):  # the ledger has one writer at a time (a batch may run)
            if fixed is not None:
                Ledger(archive_).append(
                    "corrected",
                    record.id,
                    actor=actor,
                    tool="sohoa review",
                    detail=f"type {fixed.doc_type}"
                    + ("" if code else " (kept)")
                    + (f", number {number}" if number else "")
                    + (f", date {when.isoformat()}" if when else "")
                    + (", issuer" if issuer is not None else "")
                    + (", subject" if subject is not None else "")
                    + (", signer" if signer_name is not None else "")
                    + (", signer's title" if signer_title is not None else ""),
                )
            if settles:
                Ledger(archive_).append(
                    "acknowledged",
                    record.id,
                    actor=actor,
                    tool="sohoa review",
                    detail="; ".join(acknowledged) or "no reason open",
                )
            if fixed is not None:  # found by the number the officer gave it; under the lock, as an index rebuild
                # catches up what was written meanwhile (a damaged index: said, the correction stands)
                index_archived(as_corrected(record, settings), settings)
        model_path = None
        if fixed is not None and retrain:
            # said before it starts: it takes ~10 s, in which the officer saw nothing (QA77); on stderr, so that
            # --json stays JSON
            cli.err.print(
                "đang huấn luyện lại mô hình phân loại của cơ quan với bản sửa này (khoảng 10 giây; --no-retrain để "
                "bỏ qua) / retraining the office's classification model with this correction (about 10 s; "
                "--no-retrain to skip)…",
                markup=False,
            )
            model_path = retrain_after_correction(settings)
        still = open_reasons(record, settings)
        changes = _changed_fields(before, fixed) if fixed is not None else []
        if as_json:
            shown = fixed or correction_of(settings, record.id) or record.classification
            cli._print_json(
                {
                    **(shown.model_dump(mode="json") if shown else {}),
                    # each field this correction changed, as it was and as it is (QA93 F9)
                    "changed": {key: {"old": old, "new": new} for key, _, _, old, new in changes},
                    "model": str(model_path) if model_path else None,
                    "warning": f"number's symbol names type {warning}" if warning else None,
                    "acknowledged": acknowledged,
                    "open_reasons": still,
                }
            )
            return
        if fixed is not None:
            cli.out.print(
                f"{record.id}: đã sửa thành / now {in_brief(fixed)}"  # the date too (QA59: only type and number)
                + (f"; mô hình / model {model_path}" if model_path else ""),
                markup=False,
            )
            # every field changed, as it was and as it is: a subject or issuer corrected was not said (QA93 F9)
            for _, vi, en, old, new in changes:
                cli.out.print(f"  {vi} / {en}: {_said(old)} → {_said(new)}", markup=False, highlight=False)
            if not changes:
                cli.out.print("  không có gì thay đổi / nothing changed", markup=False, highlight=False)
        if ack:
            cli.out.print(
                f"{record.id}: đã xem / acknowledged: "
                + ("; ".join(map(reason_in_both, acknowledged)) or "không còn lý do nào / no reason open"),
                markup=False,
            )
        if still:
            cli.out.print(
                f"{record.id}: còn cần xem lại / still to review: {'; '.join(map(reason_in_both, still))} "
                f"(sohoa review set {record.id} --ack)",
                markup=False,
            )

    app.add_typer(review_app, name="review")
