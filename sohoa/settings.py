"""The one configuration object.

Sources, highest priority first: keyword arguments, ``SOHOA_*`` environment variables, ``sohoa.toml`` (in the
current directory, or the file named by ``SOHOA_CONFIG``), then the embedded defaults below. With nothing
configured sohoa runs on one machine: data under ``./var``, a local-folder archive, a generated development-only
signing identity, Prefect without a server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def _toml_file() -> Path:
    return Path(os.environ.get("SOHOA_CONFIG", "sohoa.toml"))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    # where things live
    data_dir: Path = Field(default=Path("var"), description="root for archive, quarantine, keys, work files")
    archive: str = Field(default="", description="archive location: a folder (default DATA_DIR/archive)")
    quarantine_dir: Path | None = Field(default=None, description="default DATA_DIR/quarantine")
    work_dir: Path | None = Field(default=None, description="scratch space; default DATA_DIR/work")

    # OCR
    ocr_language: str = Field(default="vie", description="Tesseract language(s); vie+eng loses diacritics")
    ocr_workers: int = Field(default=0, description="parallel Tesseract processes; 0 = number of cores")
    ocr_dpi: int = Field(default=300, description="rasterising resolution for PDF pages without a scan image")
    tessdata_dir: Path | None = Field(default=None, description="folder with better models (tessdata_best)")

    # classification (issue 4 adds its settings in this section)
    review_threshold: float = Field(default=0.6, description="below this confidence a record needs review")
    # --- end classification ---

    # signing
    signing_identity: str = Field(default="dev", description="dev | pkcs12")
    pkcs12_file: Path | None = None
    pkcs12_password: SecretStr | None = None
    pkcs12_password_file: Path | None = None
    trust_roots: list[Path] = Field(
        default_factory=list, description="extra folders/files of trusted root certificates (PEM/DER)"
    )
    trust_dev_ca: bool = Field(default=True, description="trust the generated development CA when verifying")
    signer_location: str = Field(default="Việt Nam")
    # --- end signing (issue 5 adds its settings above this line) ---

    # storage (issue 6 adds its settings in this section)
    # --- end storage ---

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml = TomlConfigSettingsSource(settings_cls, toml_file=_toml_file())
        return (init_settings, env_settings, toml, file_secret_settings)

    # derived locations -------------------------------------------------------------------------
    @property
    def archive_dir(self) -> Path:
        return Path(self.archive) if self.archive else self.data_dir / "archive"

    @property
    def quarantine_path(self) -> Path:
        return self.quarantine_dir or self.data_dir / "quarantine"

    @property
    def work_path(self) -> Path:
        return self.work_dir or self.data_dir / "work"

    @property
    def keys_dir(self) -> Path:
        return self.data_dir / "keys"

    @property
    def effective_ocr_workers(self) -> int:
        return self.ocr_workers if self.ocr_workers > 0 else (os.cpu_count() or 1)

    def pkcs12_passphrase(self) -> bytes | None:
        """The PKCS#12 password from SOHOA_PKCS12_PASSWORD or the file it names; never logged."""
        if self.pkcs12_password is not None:
            return self.pkcs12_password.get_secret_value().encode()
        if self.pkcs12_password_file is not None:
            return self.pkcs12_password_file.read_text(encoding="utf-8").strip().encode()
        return None


def load_settings(**overrides: Any) -> Settings:
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
