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
