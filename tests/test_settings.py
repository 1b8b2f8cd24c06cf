import json
import re
from pathlib import Path

import pytest

from sohoa.settings import Settings, load_settings


def test_embedded_defaults_need_no_configuration(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.archive_dir == Path("var/archive")
    assert settings.quarantine_path == Path("var/quarantine")
    assert settings.signing_identity == "dev"
    assert settings.ocr_language == "vie"  # vie+eng loses diacritics (MEASURED.md)


def test_environment_overrides_toml_overrides_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sohoa.toml").write_text(
        'data_dir = "/srv/sohoa"\nocr_workers = 3\nreview_threshold = 0.8\n', encoding="utf-8"
    )
    assert load_settings().data_dir == Path("/srv/sohoa")
    assert load_settings().ocr_workers == 3
    monkeypatch.setenv("SOHOA_OCR_WORKERS", "1")
    monkeypatch.setenv("SOHOA_ARCHIVE", "/mnt/lưu trữ")
    settings = load_settings()
    assert settings.ocr_workers == 1
    assert settings.review_threshold == 0.8
    assert settings.archive_dir == Path("/mnt/lưu trữ")


def test_config_file_named_by_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('signing_identity = "pkcs12"\n', encoding="utf-8")
    monkeypatch.setenv("SOHOA_CONFIG", str(config))
    assert Settings().signing_identity == "pkcs12"


def test_pkcs12_password_from_file_is_secret(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("mật-khẩu\n", encoding="utf-8")
    settings = Settings(pkcs12_password_file=secret)
    assert settings.pkcs12_passphrase() == "mật-khẩu".encode()
    assert "mật-khẩu" not in repr(Settings(pkcs12_password="mật-khẩu"))  # type: ignore[arg-type]


def test_a_missing_config_file_or_a_misspelt_key_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # both used to be ignored without a word: `trust_dev_caa = false` left the development CA trusted
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ValueError, match="no such file"):
        load_settings()
    config = tmp_path / "sohoa.toml"
    config.write_text('trust_dev_caa = false\ndata_dir = "x"\n', encoding="utf-8")
    monkeypatch.setenv("SOHOA_CONFIG", str(config))
    with pytest.raises(ValueError, match="unknown setting.*trust_dev_caa"):
        load_settings()
    config.write_text('trust_dev_ca = false\ndata_dir = "x"\n', encoding="utf-8")
    assert load_settings().trust_dev_ca is False
    monkeypatch.setenv("SOHOA_CONFIG", "")  # no configuration file at all, even with a sohoa.toml here
    (tmp_path / "sohoa.toml").write_text('data_dir = "y"\n', encoding="utf-8")
    assert load_settings().data_dir == Path("var")


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("notaurl", "no http:// or https:// prefix"),
        ("ftp://tsa.example.vn/tsr", "its scheme is 'ftp'"),
        ("http://", "names no host"),
        ("https:///tsr", "names no host"),
        ("http://tsa.example.vn:port/tsr", "cannot be read as a URL"),
    ],
)
def test_a_tsa_url_that_is_not_an_http_url_is_a_configuration_error(
    url: str, problem: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it used to be accepted, and every document then failed at signing with "a service could not be reached"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_TSA_URL", url)
    # the setting named by the error's frame (the CLI says SOHOA_TSA_URL / tsa_url), not twice (QA67)
    with pytest.raises(ValueError, match=rf"(?s)tsa_url.*{re.escape(problem)}.*expected the http:// or https://"):
        load_settings()


def test_an_empty_tsa_url_means_no_tsa_and_a_good_one_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_TSA_URL", "")
    assert load_settings().tsa_url == ""
    monkeypatch.setenv("SOHOA_TSA_URL", " https://tsa.example.vn:8443/tsr\n")  # an edited env file's stray blanks
    assert load_settings().tsa_url == "https://tsa.example.vn:8443/tsr"
    (tmp_path / "sohoa.toml").write_text('tsa_url = "ftp://tsa.example.vn"\n', encoding="utf-8")
    monkeypatch.delenv("SOHOA_TSA_URL")
    with pytest.raises(ValueError, match="its scheme is 'ftp'"):
        load_settings()


def test_the_command_line_reports_a_bad_tsa_url_as_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like any other setting the CLI refuses: exit 2 (usage), the setting named, no traceback."""
    assert "SOHOA_TSA_URL" in _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_TSA_URL="notaurl")


def test_a_bad_setting_is_named_as_the_operator_sets_it_without_pydantic_codes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pydantic's text gave "[type=int_parsing, input_value='abc', input_type=str]" and a web address on each line
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_BATCH_WORKERS="abc")
    assert "SOHOA_BATCH_WORKERS / batch_workers" in said and "(given: 'abc')" in said
    assert "errors.pydantic.dev" not in said and "type=" not in said


def _cli_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], **env: str) -> str:
    """Run the CLI with these SOHOA_* variables; it must refuse them as a configuration error (exit 2), before
    any document is read, without a traceback. Its words, on one line."""
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    full = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off", **env}
    result = CliRunner().invoke(app, args, env=full)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "configuration error" in said and "Traceback" not in said, said
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return said


@pytest.mark.parametrize("dpi", ["0", "-300", "5000"])
def test_an_ocr_dpi_out_of_range_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dpi: str
) -> None:
    # 0 and negative values ended `sohoa ocr --mode force` on a vector PDF with pypdfium2's "Crop exceeds page
    # dimensions" traceback and quarantined good PDFs in `process`; 5000 blamed the input (a decompression bomb)
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    said = _cli_config_error(
        tmp_path, monkeypatch, ["ocr", str(pdf), str(tmp_path / "out.pdf"), "--mode", "force"], SOHOA_OCR_DPI=dpi
    )
    assert "SOHOA_OCR_DPI / ocr_dpi" in said and f"(given: '{dpi}')" in said
    assert not (tmp_path / "out.pdf").exists()
    assert load_settings(ocr_dpi=72).ocr_dpi == 72 and load_settings(ocr_dpi=1200).ocr_dpi == 1200


def test_an_unknown_signature_level_or_identity_kind_is_refused_when_the_settings_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both were checked only at signing: `keys list` said "level unknown" and exited 0, `process` read every
    # document and then failed each at signing (exit 3)
    from sohoa.signing_names import IDENTITY_KINDS, LEVELS

    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNATURE_LEVEL="B-X")
    assert "SOHOA_SIGNATURE_LEVEL / signature_level" in said and ", ".join(LEVELS) in said
    assert "không có mức ký này / unknown PAdES level" in said, said  # QA66: English only after the prefix
    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_TSA_URL="ftp://tsa.example.vn")
    assert "không bắt đầu bằng http:// hoặc https://: cần địa chỉ" in said and "/ its scheme is 'ftp'" in said, said
    assert said.count("SOHOA_TSA_URL (tsa_url) =") == 0, said  # named once, by the frame (QA67)
    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNING_IDENTITY="foo")
    assert "SOHOA_SIGNING_IDENTITY / signing_identity" in said and ", ".join(IDENTITY_KINDS) in said
    assert "Value error" not in said
    for kind in IDENTITY_KINDS:
        assert load_settings(signing_identity=kind).signing_identity == kind
    tsa = "http://127.0.0.1:1/tsa"
    assert load_settings(signature_level="b-lt", tsa_url=tsa).signature_level == "B-LT"
    assert load_settings(signature_level="").signature_level == ""


def test_a_level_that_needs_a_timestamping_authority_without_one_is_refused_by_what_signs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA64: SOHOA_SIGNATURE_LEVEL=B-T without SOHOA_TSA_URL: `process` read each scan, then failed it at signing
    (exit 3, its Vietnamese reason "Ký số thất bại…: level B-T needs a timestamping authority…" half English). Now
    `process` and `watch` refuse it before any work (exit 2); what does not sign — `list`, `verify`, `audit` — runs
    (QA66: refused when the settings loaded, it locked the auditor out)."""
    inbox = tmp_path / "hộp thư"
    inbox.mkdir()
    scan = inbox / "quét.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n")
    for level in ("B-T", "B-LT", "b-lta"):
        for command in (["process", str(scan), "--no-prefect"], ["watch", str(inbox), "--once"]):
            said = _cli_config_error(tmp_path, monkeypatch, command, SOHOA_SIGNATURE_LEVEL=level)
            assert f"signature_level = '{level.upper()}' cần máy chủ cấp dấu thời gian" in said, said
            assert "needs a timestamping authority: set SOHOA_TSA_URL" in said, said
    assert not (tmp_path / "var" / "archive").exists()
    assert load_settings(signature_level="B-T").level_problem() is not None
    assert load_settings(signature_level="B-B").level_problem() is None
    from typer.testing import CliRunner

    from flows.cli import app

    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_SIGNATURE_LEVEL": "B-T"}
    listed = CliRunner().invoke(app, ["keys", "list", "--json"], env=env)
    assert listed.exit_code == 0 and "needs a timestamping authority" in json.loads(listed.stdout)["level_problem"]
    # and `sohoa sign --level B-T` with none: how the command was used (exit 2), in both languages (was exit 3)
    import pikepdf
    from typer.testing import CliRunner

    from flows.cli import app

    pdf = tmp_path / "đơn.pdf"
    with pikepdf.new() as blank:
        blank.add_blank_page()
        blank.save(pdf)
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    result = CliRunner().invoke(app, ["sign", str(pdf), str(tmp_path / "ký.pdf"), "--level", "B-T"], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "mức B-T cần máy chủ cấp dấu thời gian (SOHOA_TSA_URL), chưa đặt; hãy đặt nó, hoặc ký ở mức B-B" in said
    assert "/ level B-T needs a timestamping authority" in said, said
    assert not (tmp_path / "ký.pdf").exists()


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("SOHOA_BATCH_WORKERS", "0"),
        ("SOHOA_BATCH_WORKERS", "-1"),
        ("SOHOA_TESSERACT_SLOTS", "-1"),
        ("SOHOA_OCR_WORKERS", "-3"),
    ],
)
def test_a_count_out_of_range_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # 0 and -1 batch workers ran one document at a time, -1 Tesseract slots meant the number of cores: without a
    # word. 0 (= automatic) is defined only for OCR_WORKERS and TESSERACT_SLOTS
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], **{variable: value})
    assert variable in said and f"(given: '{value}')" in said
    assert ": nhỏ quá / Input should be greater than" in said, said  # pydantic's words were English only (QA64)
    assert load_settings(ocr_workers=0, tesseract_slots=0).effective_ocr_workers >= 1


def test_the_workers_options_refuse_counts_out_of_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    for args in (
        ["ocr", str(pdf), str(tmp_path / "out.pdf"), "--workers", "-3"],
        ["process", "--no-prefect", "--workers", "0", str(pdf)],
        ["process", "--no-prefect", "--workers", "-1", str(pdf)],
    ):
        result = CliRunner().invoke(app, args, env=env)
        said = " ".join(result.output.split())
        assert result.exit_code == 2, (args, said)
        assert "workers" in said.lower(), said
    assert not (tmp_path / "var" / "archive").exists()


def test_an_empty_ocr_language_is_a_configuration_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_OCR_LANGUAGE="")
    assert "SOHOA_OCR_LANGUAGE / ocr_language" in said and "(given: '')" in said
    assert "liệt kê các ngôn ngữ đã cài / expected Tesseract language code(s)" in said, said  # (QA101)
    # not the combination the README advises against, and spaces are no joiner (QA175 D9)
    assert "vie+eng loses Vietnamese diacritics: not recommended" in said, said
    for bad in ("vie+", "vie eng"):
        with pytest.raises(ValueError, match="ocr_language"):
            load_settings(ocr_language=bad)


def test_a_configured_type_model_that_is_not_there_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was passed over without a word: every record classified by the rules alone, exit 0
    text = tmp_path / "doc.txt"
    text.write_text("QUYẾT ĐỊNH Về việc phê duyệt", encoding="utf-8")
    missing = tmp_path / "models" / "nope.joblib"
    for args in (["classify", str(text)], ["process", "--no-prefect", str(text)]):
        said = _cli_config_error(tmp_path, monkeypatch, args, SOHOA_CLASSIFY_MODEL=str(missing))
        assert "SOHOA_CLASSIFY_MODEL / classify_model" in said and "no such file" in said
        assert str(missing) in said.replace(" ", "")  # the path, which the console may have folded
    assert not (tmp_path / "var" / "archive").exists()


def test_an_unknown_sohoa_variable_is_warned_about_with_the_setting_it_probably_means(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    # SOHOA_TRUST_DEV_CAA=false was ignored without a word, leaving the development CA trusted
    import sohoa.settings as settings_module

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(settings_module, "_warned_variables", set())
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_TRUST_DEV_CAA", "false")
    monkeypatch.setenv("SOHOA_SOMETHING_ELSE", "1")
    monkeypatch.setenv("SOHOA_OCR_SERVER", "off")  # read by sohoa itself, outside the settings
    monkeypatch.setenv("SOHOA_TRUST_DEV_CA", "true")
    with caplog.at_level("WARNING", logger="sohoa.settings"):
        assert load_settings().trust_dev_ca is True
        load_settings()  # once per variable, not at every load
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 2, warned
    assert any("SOHOA_TRUST_DEV_CAA" in w and "did you mean SOHOA_TRUST_DEV_CA?" in w for w in warned)
    assert any("SOHOA_SOMETHING_ELSE" in w and "did you mean" not in w for w in warned)
    assert not any("SOHOA_OCR_SERVER" in w or "SOHOA_CONFIG" in w for w in warned)


def test_every_sohoa_variable_the_code_reads_is_a_setting_or_known_to_be_read_elsewhere() -> None:
    """So that no variable sohoa reads itself is warned about as unknown."""
    from sohoa.settings import OTHER_VARIABLES

    root = Path(__file__).resolve().parent.parent
    names: set[str] = set()
    for folder in ("flows", "ocr", "classify", "signing", "storage", "sohoa"):
        for file in (root / folder).rglob("*.py"):
            names |= set(re.findall(r"\bSOHOA_[A-Z0-9_]*[A-Z0-9]\b", file.read_text(encoding="utf-8")))
    names |= set(re.findall(r"\bSOHOA_[A-Z0-9_]*[A-Z0-9]\b", (root / "prefect.yaml").read_text(encoding="utf-8")))
    settings = {f"SOHOA_{name.upper()}" for name in Settings.model_fields}
    # SOHOA_X: the placeholder in messages; SOHOA_TRUST_DEV_CAA: the misspelling in a docstring
    assert names - settings - OTHER_VARIABLES <= {"SOHOA_X", "SOHOA_TRUST_DEV_CAA"}


def test_trust_roots_from_the_environment_take_one_path_or_a_json_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SOHOA_TRUST_ROOTS=/etc/ssl was refused with "error parsing value for field "trust_roots" from source
    # "EnvSettingsSource"", which did not say a JSON list was expected
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", "/etc/ssl")
    assert load_settings().trust_roots == [Path("/etc/ssl")]
    monkeypatch.setenv("SOHOA_TRUST_ROOTS", '["/etc/ssl/certs/ca.pem", "/srv/trust"]')
    assert load_settings().trust_roots == [Path("/etc/ssl/certs/ca.pem"), Path("/srv/trust")]
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_TRUST_ROOTS='["/etc/ssl"')
    assert "SOHOA_TRUST_ROOTS / trust_roots" in said and "JSON list" in said and "EnvSettingsSource" not in said


def test_a_language_not_installed_is_a_usage_error_naming_its_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `ocr --language xyz` said "install tesseract-ocr-vie", exit 3 (a fault of the machine)
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    scan = Path(__file__).resolve().parent.parent / "samples" / "cv-118-ubnd-vp.jpg"
    result = CliRunner().invoke(app, ["ocr", str(scan), str(tmp_path / "o.pdf"), "--language", "chi_sim"], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "language data missing: chi_sim" in said and "tesseract-ocr-chi-sim" in said
    assert "tesseract-ocr-vie" not in said and not (tmp_path / "o.pdf").exists()


def test_a_tessdata_folder_that_is_not_there_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it came out as "language data missing: vie (have: )", exit 3, at the first document
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_TESSDATA_DIR=str(tmp_path / "nonexistent"))
    assert "SOHOA_TESSDATA_DIR / tessdata_dir" in said and "no such folder" in said


@pytest.mark.parametrize(
    ("variable", "value", "accepted"),
    [
        ("SOHOA_WATCH_INTERVAL", "0", "more than 0"),
        ("SOHOA_WATCH_INTERVAL", "-1", "more than 0"),
        ("SOHOA_WATCH_STABLE_SECONDS", "-1", "0 or more"),
        ("SOHOA_AUDIT_RENEW_WITHIN_DAYS", "-5", "0 or more"),
        ("SOHOA_REVIEW_THRESHOLD", "5", "0 to 1"),
        ("SOHOA_REVIEW_THRESHOLD", "-1", "0 to 1"),
    ],
)
def test_a_number_setting_out_of_its_range_is_a_configuration_error_saying_the_range(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, accepted: str
) -> None:
    # QA: all accepted — a watch interval of 0 rescanned the inbox without sleeping (88 % CPU), a renewal window of
    # -5 days while `audit --renew-within -1` is refused, a review threshold of 5 sent every record to review
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], **{variable: value})
    name = variable.removeprefix("SOHOA_").lower()
    assert f"{variable} / {name}" in said and f"accepted: {accepted}" in said and f"(given: '{value}')" in said
    assert load_settings(watch_interval=0.5, review_threshold=0, audit_renew_within_days=0).review_threshold == 0


def test_retention_years_must_be_0_for_permanent_or_a_positive_number_of_years(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # {"TB": -5} was taken, and a record archived "retained until 2021-12-01", a date already past
    for table in ('{"TB": -5}', '{"TB": 10, "*": 501}'):
        said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_RETENTION_YEARS=table)
        assert "SOHOA_RETENTION_YEARS / retention_years" in said and "1 to 500 years, or 0 for permanent" in said
    assert load_settings(retention_years={"HT*": 0, "*": 500}).retention_years == {"HT*": 0, "*": 500}


def test_a_sohoa_toml_saved_with_a_byte_order_mark_is_read_and_one_not_utf8_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA80 L1: a sohoa.toml saved by a Windows editor with a UTF-8 byte-order mark was refused as "Invalid
    statement (at line 1, column 1)", which did not say why; one saved in a Vietnamese code page said only
    "'utf-8' codec can't decode byte 0xe3", in English."""
    config = tmp_path / "sohoa.toml"
    config.write_bytes(b"\xef\xbb\xbf" + 'signer_location = "Xã Tân Hoà"\n'.encode())
    monkeypatch.setenv("SOHOA_CONFIG", str(config))
    assert load_settings().signer_location == "Xã Tân Hoà"
    config.write_bytes(b'signer_location = "X\xe3 T\xe2n"\n')  # Latin-1, as a code page writes it
    monkeypatch.delenv("SOHOA_CONFIG")
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_CONFIG=str(config))
    assert "tệp không phải UTF-8, hãy lưu lại dưới dạng UTF-8 / not UTF-8 text: save it as UTF-8" in said, said


def test_retention_classes_are_read_as_type_codes_are_typed_and_one_naming_no_type_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA80 H1: the classes were matched byte for byte: `{"QD": 70}` (typed on a server without a Vietnamese
    keyboard) matched no record, and every decision was retained 10 years (`*`), the date written into the archive
    as COMPLIANCE retention, silently. Read as `--type` reads a code; one naming no type, or two spellings of one
    class with different years, is a configuration error naming them."""
    from storage.base import retention_years

    table = load_settings(retention_years={"QD": 70, "qđ": 70, "ht*": 0, "ht-tl*": 5, "*": 10, "UNKNOWN": 1})
    assert table.retention_years == {"QĐ": 70, "HT*": 0, "HT-TL*": 5, "*": 10, "unknown": 1}
    assert retention_years("QĐ", table.retention_years) == 70
    # the eth some keyboards and fonts give for Đ, at the start of a class too (QA82: `ÐA` was refused)
    assert load_settings(retention_years={"ÐA": 5, "Ð*": 3}).retention_years == {"ĐA": 5, "Đ*": 3}
    assert (
        retention_years("HT-TLKT", table.retention_years) == 5 and retention_years("HT-GKS", table.retention_years) == 0
    )
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_RETENTION_YEARS='{"QDX": 70, "QD": 70, "QĐ": 50}')
    assert "SOHOA_RETENTION_YEARS / retention_years" in said, said
    assert "record class(es) naming no document type: 'QDX'" in said, said
    assert "'QD' and 'QĐ' both name QĐ, with different years" in said, said


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SOHOA_TRUST_STORES", '["vn"', "expected a JSON list of trust store names"),
        ("SOHOA_RETENTION_YEARS", "abc", "expected a JSON object of record class"),
        ("SOHOA_RETENTION_YEARS", '["QĐ", 70]', "a JSON list, not an object"),
    ],
)
def test_a_list_or_table_setting_that_cannot_be_read_says_what_is_expected_with_an_example(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    # pydantic's "error parsing value for field "retention_years" from source "EnvSettingsSource"" said neither
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], **{variable: value})
    assert variable in said and expected in said and "e.g." in said and "EnvSettingsSource" not in said


def test_trust_stores_from_the_environment_take_a_json_list_or_names_separated_by_commas(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SOHOA_TRUST_STORES=vn was refused (a JSON list only), where SOHOA_TRUST_ROOTS takes one path
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_CONFIG", "")
    for given, stores in (("vn", ["vn"]), (" vn, bcy ", ["vn", "bcy"]), ('["vn"]', ["vn"]), ("", [])):
        monkeypatch.setenv("SOHOA_TRUST_STORES", given)
        assert load_settings().trust_stores == stores, given
    monkeypatch.setenv("SOHOA_RETENTION_YEARS", '{"QĐ": 70, "*": 10}')
    assert load_settings().retention_years == {"QĐ": 70, "*": 10}


def test_a_signature_appearance_and_its_images_are_checked_when_the_settings_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `sign` said exit 3 "unknown signature appearance 'bogus'" and "appearance image unreadable: … '/nope2.png'",
    # neither naming the setting; `process` failed every document at signing
    from PIL import Image

    from sohoa.signing_names import APPEARANCES

    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNATURE_APPEARANCE="bogus")
    assert "SOHOA_SIGNATURE_APPEARANCE / signature_appearance" in said and ", ".join(APPEARANCES) in said
    for variable in ("SOHOA_SIGNATURE_IMAGE", "SOHOA_SEAL_IMAGE"):
        said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], **{variable: str(tmp_path / "nope2.png")})
        assert f"{variable} / " in said and "no such file" in said and "nope2.png" in said
    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNATURE_APPEARANCE="decree30")
    assert "SOHOA_SEAL_IMAGE" in said and "SOHOA_SIGNATURE_IMAGE" in said
    assert load_settings(signature_appearance="copy", seal_image="").seal_image is None
    # the seal without its image: the choices are the others, and a batch of scans is told 'copy' or 'none' at once,
    # not after the image is set (QA84: "or choose another appearance (none, signer, seal, …)", then refused again)
    said = " ".join(
        _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNATURE_APPEARANCE="seal").split()
    )
    # … those these settings can draw: not 'decree30', which needs the same seal image, nor 'signer' without its own
    # image (QA85 L8: "(none, signer, decree30, copy)")
    assert "choose another appearance (none, copy)" in said, said
    assert "never on a batch of scans (process, watch: 'copy' there)" in said, said
    signature = tmp_path / "chữ ký.png"
    Image.new("RGBA", (40, 20), (0, 0, 255, 255)).save(signature)
    said = " ".join(
        _cli_config_error(
            tmp_path,
            monkeypatch,
            ["keys", "list"],
            SOHOA_SIGNATURE_APPEARANCE="decree30",
            SOHOA_SIGNATURE_IMAGE=str(signature),
        ).split()
    )
    assert "needs SOHOA_SEAL_IMAGE / seal_image (a PNG" in said and "another appearance (none, signer, copy)" in said


def test_the_appearance_font_is_checked_when_the_settings_load(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a font that is not there was found only at signing: `sohoa process` failed every document ("appearance font
    # not found"), naming no setting; now refused as the images are, exit 2, before any work
    from PIL import Image

    folder = tmp_path / "phông"
    folder.mkdir()
    text = tmp_path / "không phải phông.ttf"
    text.write_text("đây không phải phông chữ\n", encoding="utf-8")
    png = tmp_path / "ảnh.ttf"
    Image.new("RGB", (8, 8), "white").save(png, format="PNG")
    refused = {
        tmp_path / "nope.ttf": "không có tệp này / no such file",
        folder: "là một thư mục / is a folder",
        text: "không phải phông TrueType/OpenType dùng được / not a usable TrueType or OpenType font",
        png: "không phải phông TrueType/OpenType dùng được / not a usable TrueType or OpenType font",
    }
    for font, words in refused.items():
        for command in (["keys", "list"], ["process", str(text)]):
            said = _cli_config_error(tmp_path, monkeypatch, command, SOHOA_APPEARANCE_FONT=str(font))
            assert "SOHOA_APPEARANCE_FONT / appearance_font" in said and f"{font}: {words}" in said, said
            assert "fonts-liberation2" in said, said
    # also when the configured appearance draws text with the font it was given
    said = _cli_config_error(
        tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNATURE_APPEARANCE="copy", SOHOA_APPEARANCE_FONT=str(text)
    )
    assert "SOHOA_APPEARANCE_FONT / appearance_font" in said, said
    monkeypatch.setenv("SOHOA_CONFIG", "")
    default = Settings.model_fields["appearance_font"].default
    assert load_settings(signature_appearance="copy").appearance_font == default  # installed here
    dejavu = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf")
    if dejavu.is_file():  # another real font is taken
        assert load_settings(appearance_font=str(dejavu)).appearance_font == dejavu
    # QA: a real font without Vietnamese letters was taken, and the stamp's text came out as nothing (Noto Sans
    # Thai: no Latin at all; DejaVu Sans Mono: no "ễ", "ầ", … — a signer named Nguyễn lost a letter)
    for lacking, shown in (
        (Path("/usr/share/fonts/truetype/noto/NotoSansThai-Regular.ttf"), "a, ă, â"),
        (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"), "ễ"),
    ):
        assert lacking.is_file(), f"{lacking}: installed by the Makefile (fonts-noto-core, fonts-dejavu-core)"
        said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_APPEARANCE_FONT=str(lacking))
        assert f"{lacking}: thiếu chữ tiếng Việt / lacks Vietnamese letters: " in said and shown in said, said


def test_the_sign_command_names_the_appearance_option_whose_image_is_not_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was exit 3 ("fix the machine") after the signing identity was loaded
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    result = CliRunner().invoke(app, ["sign", str(pdf), str(tmp_path / "o.pdf"), "--appearance", "signer"], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "--appearance signer needs SOHOA_SIGNATURE_IMAGE" in said and not (tmp_path / "o.pdf").exists()
    assert "--appearance signer: cần đặt SOHOA_SIGNATURE_IMAGE (một tệp ảnh PNG)" in said, said  # QA64: English only


@pytest.mark.parametrize(
    ("args", "option", "setting"),
    [
        (["ocr", "in.pdf", "out.pdf", "--workers", "-1"], "--workers", "SOHOA_OCR_WORKERS"),
        (["ocr", "in.pdf", "out.pdf", "--mode", "bogus"], "--mode", "SOHOA_OCR_MODE"),
        (["watch", "inbox", "--once", "--stable-seconds", "-1"], "--stable-seconds", "SOHOA_WATCH_STABLE_SECONDS"),
        (["process", "--dask", "notanaddr", "in.pdf"], "--dask", "SOHOA_DASK_ADDRESS"),
    ],
)
def test_a_bad_option_value_is_said_as_the_option_not_as_a_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], option: str, setting: str
) -> None:
    # `ocr --workers -1` said "configuration error: SOHOA_OCR_WORKERS / ocr_workers", a variable nobody had set
    from typer.testing import CliRunner

    from flows.cli import app

    monkeypatch.chdir(tmp_path)
    (tmp_path / "in.pdf").write_bytes(b"%PDF-1.4\n")
    (tmp_path / "inbox").mkdir()
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    result = CliRunner().invoke(app, args, env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"bad option: {option}:" in said and setting not in said and "configuration error" not in said
    assert not (tmp_path / "out.pdf").exists()


def test_a_dask_address_that_is_no_host_and_port_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # it was exit 3, a fault outside the input, as if a well-formed scheduler did not answer
    for address in ("notanaddr", "tcp://host-without-port", "tcp://10.0.0.5:port"):
        said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_DASK_ADDRESS=address)
        assert "SOHOA_DASK_ADDRESS / dask_address" in said and "not a host:port address" in said
    for address in ("", "tcp://10.0.0.5:8786", "10.0.0.5:8786", "inproc://x"):
        assert load_settings(dask_address=address).dask_address == address


def test_a_configured_trust_source_that_is_not_there_is_a_configuration_error_where_it_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # both were passed over without a word: `verify` exit 0, trusting less than configured, while
    # `verify --trust-store nostore` is a usage error
    from typer.testing import CliRunner

    from flows.cli import app

    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    said = _cli_config_error(tmp_path, monkeypatch, ["verify", str(pdf)], SOHOA_TRUST_STORES='["nostore"]')
    assert "SOHOA_TRUST_STORES / trust_stores" in said and "'nostore' is not installed" in said
    assert "sohoa keys install-trust-store nostore FOLDER" in said
    missing = tmp_path / "nonexistent"
    said = _cli_config_error(tmp_path, monkeypatch, ["verify", str(pdf)], SOHOA_TRUST_ROOTS=str(missing))
    assert "SOHOA_TRUST_ROOTS / trust_roots" in said and "no such file or folder" in said
    said = _cli_config_error(tmp_path, monkeypatch, ["process", "--no-prefect", str(pdf)], SOHOA_TRUST_STORES="x")
    assert "'x' is not installed" in said and not (tmp_path / "var" / "archive").exists()
    # not when the settings load: the store can then still be installed, and commands that trust nothing run
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_TRUST_STORES": "nostore"}
    listed = CliRunner().invoke(app, ["keys", "list"], env=env)  # where an operator looks: said, not refused
    assert listed.exit_code == 0 and "'nostore' is not installed" in " ".join(listed.output.split())


def test_every_setting_is_in_the_readme_configuration_table() -> None:
    """The unknown-key error sends the operator to README.md, Configuration: SIGNER_LOCATION and some twenty other
    settings (WATCH_*, PKCS11_*, TRUST_STORES, SIGNATURE_APPEARANCE, …) were in no row of its table."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    named = {name for row in rows for name in re.findall(r"`([A-Z0-9_]+)`", row.split(" | ", 1)[0])}
    missing = sorted(name.upper() for name in Settings.model_fields if name.upper() not in named)
    assert not missing, f"settings missing from README.md, Configuration: {missing}"


def test_an_absurd_ocr_workers_count_is_a_usage_error_not_a_thousand_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # QA68: `sohoa ocr x.pdf out.pdf --workers 1000` started 1000 Tesseract workers (3.4 GB, load ~130), printed
    # 642 tracebacks and hung; the setting had no upper bound either
    from typer.testing import CliRunner

    from flows.cli import app
    from sohoa.settings import MAX_OCR_WORKERS

    monkeypatch.chdir(tmp_path)
    pdf = tmp_path / "in.pdf"
    pdf.write_bytes(b"%PDF-1.4\n")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"}
    result = CliRunner().invoke(app, ["ocr", str(pdf), str(tmp_path / "out.pdf"), "--workers", "1000"], env=env)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert "--workers: lớn quá" in said and "accepted: 0 to 256 (given: 1000)" in said, said
    assert "Traceback" not in said and not (tmp_path / "out.pdf").exists()
    said = _cli_config_error(tmp_path, monkeypatch, ["list"], SOHOA_OCR_WORKERS="1000")
    assert "SOHOA_OCR_WORKERS" in said and "(given: '1000')" in said
    assert load_settings(ocr_workers=MAX_OCR_WORKERS).ocr_workers == MAX_OCR_WORKERS


def test_a_batch_with_the_signers_appearance_is_warned_and_the_seals_refusal_advises_the_copy_mark(
    tmp_path: Path,
) -> None:
    """QA78: `signer` and `decree30` stamp "Ký bởi: <certificate holder>" on every scan of a batch, as if that person
    had signed the paper, and the seal's refusal advised them; a digitised copy's mark is `copy` (or none)."""
    from flows.pipeline import batch_appearance_warning, batch_settings_problem

    def settings(appearance: str) -> Settings:  # the images it needs are beside the point here
        return Settings.model_construct(data_dir=tmp_path, signature_appearance=appearance)

    for appearance in ("signer", "decree30"):
        warning = batch_appearance_warning(settings(appearance))
        assert warning is not None and "for digitised copies use 'copy' (the copy mark) or 'none'" in warning
        assert "với bản số hóa nên dùng 'copy'" in warning
    assert batch_appearance_warning(settings("copy")) is None and batch_appearance_warning(settings("none")) is None
    refusal = batch_settings_problem(settings("seal"))
    assert refusal is not None and "for digitised copies use 'copy'" in refusal and "use 'decree30'" not in refusal


def test_make_clean_never_removes_the_default_data_folder() -> None:
    """QA84 H1: `make clean`, listed as a developer's target, ran `rm -rf … var …`: var/ is the default data folder,
    with the archive, the custody ledger and the signing keys."""
    import subprocess

    from tests.conftest import ROOT

    default = str(Settings.model_fields["data_dir"].default)
    said = subprocess.run(["make", "-n", "clean"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert "rm -rf" in said and default not in said.split(), said


def test_a_batch_without_a_data_folder_configured_says_where_it_writes(tmp_path: Path) -> None:
    """QA84 M1: with SOHOA_DATA_DIR unset the data folder is var/ under the folder the command runs in, and a cron
    job run from $HOME made a second archive, keys and ledger there without a word."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    (tmp_path / "hỏng.pdf").write_bytes(b"not a pdf")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(PYTHONPATH=str(ROOT), SOHOA_CONFIG="", SOHOA_OCR_SERVER="off")
    run = [sys.executable, "-m", "flows.cli", "process", "--no-prefect", "hỏng.pdf"]
    unset = subprocess.run(run, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    said = " ".join(unset.stderr.split())
    assert unset.returncode == 1 and f"SOHOA_DATA_DIR is not set: the data folder is {tmp_path / 'var'}," in said
    assert (tmp_path / "var" / "quarantine").is_dir()
    configured = subprocess.run(
        run, cwd=tmp_path, env={**env, "SOHOA_DATA_DIR": str(tmp_path / "data")}, capture_output=True, text=True
    )
    assert configured.returncode == 1 and "SOHOA_DATA_DIR" not in configured.stderr, configured.stderr
    # a relative folder configured is the same trap (QA85)
    relative = subprocess.run(
        run, cwd=tmp_path, env={**env, "SOHOA_DATA_DIR": "dữ liệu"}, capture_output=True, text=True
    )
    said = " ".join(relative.stderr.split())
    assert f"SOHOA_DATA_DIR = dữ liệu is relative: the data folder is {tmp_path / 'dữ liệu'}," in said, said
    # an empty one is refused: read as a path it was ".", the folder the command ran in (QA85)
    empty = subprocess.run(run, cwd=tmp_path, env={**env, "SOHOA_DATA_DIR": ""}, capture_output=True, text=True)
    said = " ".join(empty.stderr.split())
    assert empty.returncode == 2 and "SOHOA_DATA_DIR / data_dir" in said and "empty: unset it for var/" in said, said
    assert not (tmp_path / "work").exists()
    # the archive given elsewhere, the data folder unset: the keys, quarantine and work files went to ./var of the
    # folder the command ran in without a word (QA85 L6); said on the first batch there, as for the archive
    elsewhere = tmp_path / "cron job's folder"
    elsewhere.mkdir()
    given = [*run[:-1], "--archive", str(tmp_path / "kho"), str(tmp_path / "hỏng.pdf")]
    for attempt in ("first", "again"):
        archived_elsewhere = subprocess.run(given, cwd=elsewhere, env=env, capture_output=True, text=True)
        said = " ".join(archived_elsewhere.stderr.split())
        assert archived_elsewhere.returncode == 1, said
        warned = f"SOHOA_DATA_DIR is not set: the data folder is {elsewhere / 'var'}," in said
        assert warned == (attempt == "first"), (attempt, said)
        assert ("other signing keys, quarantine and work files" in said) == (attempt == "first"), said
    assert (elsewhere / "var" / "quarantine").is_dir()


def test_an_archive_given_that_is_not_the_configured_one_has_a_search_index_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA94 F4: `process --archive OTHER` indexed its records in DATA_DIR's search index, the configured archive's:
    `search` found records `get` said were not in the archive, and the earlier-copy check named another archive's."""
    from storage import index_archived, search_index_path
    from storage.search import SearchIndex
    from tests.storage_helpers import make_record

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.delenv("SOHOA_SEARCH_INDEX", raising=False)
    configured = load_settings()
    other = load_settings(archive=str(tmp_path / "kho khác"))
    assert search_index_path(configured) == tmp_path / "var" / "search.sqlite"
    assert search_index_path(other).parent == tmp_path / "var" and search_index_path(other) != search_index_path(
        configured
    )
    assert search_index_path(load_settings(archive=str(tmp_path / "kho khác"))) == search_index_path(other)
    # the configured archive given by name, however written, is the configured archive: its index
    assert search_index_path(load_settings(archive="var/archive")) == search_index_path(configured)
    record, _ = make_record(tmp_path / "in", "other-archive")
    assert index_archived(record, other)
    with SearchIndex(search_index_path(other)) as index:
        assert index.contains(record.id)
    assert not search_index_path(configured).exists()
    monkeypatch.setenv("SOHOA_SEARCH_INDEX", str(tmp_path / "chosen.sqlite"))  # one configured is kept
    assert search_index_path(load_settings(archive=str(tmp_path / "kho khác"))) == tmp_path / "chosen.sqlite"


def test_a_changed_archive_setting_is_searched_in_that_archives_own_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """QA97 F1: with SOHOA_ARCHIVE changed (a host moved from a folder archive to S3), `search` went on answering
    from DATA_DIR/search.sqlite, the earlier archive's index, exit 0, while `get` said the record was in no archive.
    The index records the archive it is of, and any other archive is searched in its own."""
    from typer.testing import CliRunner

    from flows.cli import app
    from storage import index_archived, open_archive, search_index_path
    from storage.search import indexed_archive
    from tests.storage_helpers import make_record

    monkeypatch.setenv("SOHOA_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("SOHOA_CONFIG", "")
    monkeypatch.delenv("SOHOA_SEARCH_INDEX", raising=False)
    monkeypatch.setenv("SOHOA_ARCHIVE", str(tmp_path / "kho cũ"))
    earlier = load_settings()
    record, files = make_record(tmp_path / "in", "earlier-archive", number="31/QĐ-UBND")
    open_archive(earlier.archive_location).put(record, files)
    assert index_archived(record, earlier)
    assert search_index_path(earlier) == tmp_path / "var" / "search.sqlite"
    assert indexed_archive(search_index_path(earlier)) == str(tmp_path / "kho cũ")
    runner = CliRunner()
    assert record.id in runner.invoke(app, ["search", "31/QĐ-UBND"]).output

    monkeypatch.setenv("SOHOA_ARCHIVE", str(tmp_path / "kho mới"))  # nothing archived there yet
    now = load_settings()
    assert search_index_path(now) not in (search_index_path(earlier), None)
    searched = runner.invoke(app, ["search", "31/QĐ-UBND"])
    said = " ".join(searched.output.split())
    assert searched.exit_code == 2 and record.id not in said, said
    assert f"no archive at {tmp_path / 'kho mới'}" in said, said
    # the earlier archive, given again, is searched in its index as before
    again = runner.invoke(app, ["search", "31/QĐ-UBND", "--archive", str(tmp_path / "kho cũ")])
    assert again.exit_code == 0 and record.id in again.output, again.output
