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
