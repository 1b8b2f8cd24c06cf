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
    with pytest.raises(ValueError, match=rf"SOHOA_TSA_URL .*{re.escape(problem)}.*expected the http:// or https://"):
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
    said = _cli_config_error(tmp_path, monkeypatch, ["keys", "list"], SOHOA_SIGNING_IDENTITY="foo")
    assert "SOHOA_SIGNING_IDENTITY / signing_identity" in said and ", ".join(IDENTITY_KINDS) in said
    assert "Value error" not in said
    for kind in IDENTITY_KINDS:
        assert load_settings(signing_identity=kind).signing_identity == kind
    assert load_settings(signature_level="b-lt").signature_level == "B-LT"
    assert load_settings(signature_level="").signature_level == ""


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
    with pytest.raises(ValueError, match="ocr_language"):
        load_settings(ocr_language="vie+")


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
