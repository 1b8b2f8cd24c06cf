"""The one configuration object.

Sources, highest priority first: keyword arguments, ``SOHOA_*`` environment variables, ``sohoa.toml`` (in the
current directory, or the file named by ``SOHOA_CONFIG``), then the embedded defaults below. With nothing
configured sohoa runs on one machine: data under ``./var``, a local-folder archive, a generated development-only
signing identity, Prefect without a server.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import tomllib
import unicodedata
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from sohoa.fsutil import existing_spelling
from sohoa.signing_names import APPEARANCE_IMAGES, APPEARANCES, IDENTITY_KINDS, LEVELS

# The most Tesseract workers one `sohoa ocr` may be told to use: more cores than a commune office's server has; the
# workers a host starts are further bounded by its Tesseract slots and by the pages to read
MAX_OCR_WORKERS = 256
DEFAULT_APPEARANCE_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")


def font_problem(font: Path) -> str | None:
    """Why ``font`` cannot be the visible signatures' font — not there, a folder, unreadable, no TrueType/OpenType
    font fontTools (pyHanko's font library) loads —, in Vietnamese and English, or None."""
    if not font.exists():
        return f"{font}: không có tệp này / no such file"
    if font.is_dir():
        return f"{font}: là một thư mục / is a folder"
    try:
        stat = font.stat()
        with font.open("rb"):
            pass
    except OSError as exc:
        return f"{font}: không đọc được / cannot be read: {exc.strerror or exc}"
    return _unloadable_font(str(font), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=8)
def _unloadable_font(font: str, _mtime_ns: int, _size: int) -> str | None:
    """Whether fontTools loads ``font`` as pyHanko will (its header and character map); cached per file version:
    the settings load more than once per command."""
    from fontTools.ttLib import TTFont

    try:
        with TTFont(font, lazy=True) as loaded:
            loaded["head"]  # noqa: B018 (read for the error it raises)
            cmap = loaded.getBestCmap()
            if not cmap:
                raise ValueError("no Unicode character map")
    except Exception as exc:  # fontTools' TTLibError, or what a damaged table raises
        detail = " ".join(str(exc).split())[:200] or type(exc).__name__
        return (
            f"{font}: không phải phông TrueType/OpenType dùng được / not a usable TrueType or OpenType font ({detail})"
        )
    # a font without them drew the stamp's names and "Ký bởi" as nothing, without a word (QA: a Thai font)
    missing = [letter for letter in STAMP_LETTERS if ord(letter) not in cmap]
    if missing:
        shown = ", ".join(missing[:12]) + (f" (+{len(missing) - 12})" if len(missing) > 12 else "")
        return f"{font}: thiếu chữ tiếng Việt / lacks Vietnamese letters: {shown}"
    return None


def _vietnamese_letters() -> str:
    """Every letter of Vietnamese, upper and lower case, each vowel with each of the five tone marks (NFC)."""
    plain = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
    toned = [
        unicodedata.normalize("NFC", v + mark) for v in "aăâeêioôơuưy" for mark in "\u0300\u0301\u0303\u0309\u0323"
    ]
    letters = plain + "".join(toned)
    return letters + letters.upper()


# what a stamp writes: names, bodies and "Ký bởi / Thời gian ký" in Vietnamese, an ISO date and time
STAMP_LETTERS = _vietnamese_letters() + "0123456789:-+/.,() "


def _toml_file() -> Path | None:
    """``sohoa.toml`` in the working folder, or the file SOHOA_CONFIG names; none at all for ``SOHOA_CONFIG=``."""
    named = os.environ.get("SOHOA_CONFIG", "sohoa.toml")
    return Path(named) if named else None


def _check_config_file(settings_cls: type[BaseSettings], path: Path | None) -> None:
    """A configuration file named by SOHOA_CONFIG must exist, and every key of the file must be a setting: a
    missing file or a misspelt key (``trust_dev_caa = false``) used to be ignored without a word, leaving the
    default in force — for ``trust_dev_ca``, trusting the development CA in production."""
    if path is None:
        return
    if "SOHOA_CONFIG" in os.environ and not path.is_file():
        raise ValueError(
            f"SOHOA_CONFIG={path}: không có tệp này / no such file (SOHOA_CONFIG= with nothing after it: no file at "
            "all)"
        )
    if not path.is_file():
        return
    try:
        keys = set(_read_toml(path))
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"{path}: tệp không phải UTF-8, hãy lưu lại dưới dạng UTF-8 / not UTF-8 text: save it as UTF-8 ({exc})"
        ) from exc
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: không phải tệp TOML đọc được / not a readable TOML file: {exc}") from exc
    unknown = sorted(keys - set(settings_cls.model_fields))
    if unknown:
        raise ValueError(
            f"{path}: không có thiết lập {', '.join(unknown)} / unknown setting(s) {', '.join(unknown)} (the settings "
            "are listed in README.md, Configuration)"
        )


def _read_toml(path: Path) -> dict[str, Any]:
    """``sohoa.toml`` as UTF-8, with or without the byte-order mark Windows editors (Notepad before 2019, and many
    an office's) put first: TOML has none, and the file was refused as "Invalid statement (at line 1, column 1)",
    which did not say why (QA80)."""
    return tomllib.loads(path.read_text(encoding="utf-8-sig"))


class _TomlFile(TomlConfigSettingsSource):
    """pydantic-settings' TOML source, reading the file as ``_read_toml`` does."""

    def _read_file(self, file_path: Path | Traversable) -> dict[str, Any]:
        return _read_toml(Path(str(file_path)))


# SOHOA_* variables read outside the settings object: not warned about as unknown (tests/test_settings.py checks
# that every SOHOA_ name in the code is a setting or one of these)
OTHER_VARIABLES = frozenset(
    {
        "SOHOA_CONFIG",  # the configuration file (above)
        "SOHOA_OCR_SERVER",  # flows.launch: the warm-start server of `sohoa ocr`
        "SOHOA_OCR_SERVER_IDLE",
        "SOHOA_OCR_SERVER_SOCKET",
        "SOHOA_OCR_SERVER_LOCK_FD",
        "SOHOA_UTF8_NAMES",  # flows.launch: a command started again in UTF-8 mode
        "SOHOA_CHECKOUT",  # prefect.yaml: where a Prefect worker's checkout is
        "SOHOA_TEST_CRASH_AFTER",  # flows.pipeline: the crash tests
        "SOHOA_BENCH_TESS_LOG",  # ocr.tess_worker: the benchmarks
    }
)
_warned_variables: set[str] = set()


def _warn_unknown_variables(settings_cls: type[BaseSettings]) -> None:
    """A ``SOHOA_*`` environment variable that is no setting is warned about, once, with the setting it probably
    means: ``SOHOA_TRUST_DEV_CAA=false`` was ignored without a word (a misspelt key in sohoa.toml is an error;
    in the environment only a warning, other tools may share the prefix)."""
    import difflib
    import logging

    settings = {f"SOHOA_{name.upper()}" for name in settings_cls.model_fields}
    known = settings | OTHER_VARIABLES
    for variable in sorted(os.environ):
        name = variable.upper()
        if not name.startswith("SOHOA_") or name in known or name in _warned_variables:
            continue
        _warned_variables.add(name)
        close = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.8)
        hint = f" — did you mean {close[0]}?" if close else " (the settings are listed in README.md, Configuration)"
        logging.getLogger("sohoa.settings").warning(
            "biến môi trường %s không phải là một thiết lập của sohoa, bị bỏ qua / environment variable %s is no "
            "sohoa setting and is ignored%s",
            variable,
            variable,
            hint,
        )


def _default_retention() -> dict[str, int]:
    # one table, with its sources, in storage.base; imported here only when needed (settings load first)
    from storage.base import DEFAULT_RETENTION_YEARS

    return dict(DEFAULT_RETENTION_YEARS)


def dask_host_port(address: str) -> tuple[str, int] | tuple[None, None] | None:
    """(host, port) of a TCP/TLS Dask address; (None, None) when it is no host:port (``notanaddr``); None for
    another transport (inproc, ucx), which is left to Dask."""
    scheme, _, rest = address.rpartition("://")
    if scheme not in ("", "tcp", "tls"):
        return None
    try:
        parts = urlsplit(f"//{rest}")
        host, port = parts.hostname, parts.port
    except ValueError:
        return None, None
    return (host, port) if host and port is not None else (None, None)


def _record_classes_named(table: dict[str, int]) -> dict[str, int]:
    """The retention table with each record class as its type code is spelled (`QD`, `qđ` → `QĐ`; `ht*` → `HT*`),
    as `--type` reads them: the classes were matched byte for byte, so `{"QD": 70}` typed on a keyboard without
    Vietnamese matched no record and every decision was retained the `*` period, 10 years (QA80). A class that
    names no type, or two spellings of one class, is refused, naming the codes."""

    from classify.doctypes import by_code, codes_near, type_code_named
    from sohoa.vietnamese import fold, spelling_key

    codes = list(by_code())
    named: dict[str, int] = {}
    spelled: dict[str, str] = {}  # canonical class → the key that named it first
    unknown: list[str] = []
    twice: list[str] = []
    for given, years in table.items():
        key = spelling_key(given.strip())  # NFC, the eth Ð read as Đ
        if key == "*" or key.casefold() == "unknown":
            canonical: str | None = key.casefold()
        elif key.endswith("*"):
            stem = key[:-1]
            prefixes = {code[: len(stem)] for code in codes if code.casefold().startswith(stem.casefold())}
            if not prefixes:
                prefixes = {
                    code[: len(stem)] for code in codes if fold(code).casefold().startswith(fold(stem).casefold())
                }
            canonical = f"{prefixes.pop()}*" if len(prefixes) == 1 else None
        else:
            canonical = type_code_named(key)
        if canonical is None:
            meant = codes_near(key.rstrip("*"), codes)
            unknown.append(f"{given!r}" + (f" (did you mean {', '.join(meant)}?)" if meant else ""))
        elif canonical in named and named[canonical] != years:
            twice.append(f"{spelled[canonical]!r} and {given!r} both name {canonical}, with different years")
        else:
            named[canonical] = years
            spelled.setdefault(canonical, given)
    problems = ([f"record class(es) naming no document type: {'; '.join(unknown)}"] if unknown else []) + twice
    if problems:
        raise ValueError(
            f"{'; '.join(problems)}; a class is a type code ({', '.join(codes[:8])} …, or unknown), a prefix ending "
            "in * (HT*: every civil-status type) or * (any other)"
        )
    return named


# Settings that name something another system holds, matched byte for byte (a token's labels, an S3 access key):
# not normalised (``Settings._one_spelling``).
VERBATIM_SETTINGS = frozenset({"pkcs11_token_label", "pkcs11_key_label", "pkcs11_cert_label", "s3_access_key"})


def _nfc(value: Any) -> Any:
    """``value`` with its text in NFC, each path as the file system spells it (``existing_spelling``), within lists
    and mappings (``retention_years``' classes) too; anything else as it is."""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, Path):
        return existing_spelling(value)
    if isinstance(value, list):
        return [_nfc(item) for item in value]
    if isinstance(value, dict):
        return {_nfc(key): _nfc(item) for key, item in value.items()}
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SOHOA_", extra="ignore")

    # where things live
    data_dir: Path = Field(default=Path("var"), description="root for archive, quarantine, keys, work files")
    archive: str = Field(default="", description="archive location: a folder (default DATA_DIR/archive)")
    archive_settle_seconds: float = Field(
        default=0.0,
        ge=0,
        le=600,
        description="with several hosts writing one archive: how long an audit or ledger check waits for a record "
        "stored but not yet indexed to be indexed by another host's write under way before it calls the write "
        "interrupted (this host's own writes are waited for by their lock, another host's claimed ones up to 60 s); "
        "30 suits most, 0 on one host",
    )
    quarantine_dir: Path | None = Field(default=None, description="default DATA_DIR/quarantine")
    work_dir: Path | None = Field(default=None, description="scratch space; default DATA_DIR/work")

    # OCR
    ocr_language: str = Field(default="vie", description="Tesseract language(s); vie+eng loses diacritics")
    # at most MAX_OCR_WORKERS: more is a slip (`--workers 1000` started 1000 Tesseract processes, 3.4 GB, and ran out
    # of the descriptors select() can watch, QA68); below it a host starts no more than its Tesseract slots allow
    # (workers_to_start_ahead, ocr.pipeline.ocr_document): a worker beyond them only waits, holding ~50 MB
    ocr_workers: int = Field(
        default=0,
        ge=0,
        le=MAX_OCR_WORKERS,
        description="parallel Tesseract processes; 0 = number of cores (never more than SOHOA_TESSERACT_SLOTS allow)",
    )
    # 72–1200: below 72 dpi pypdfium2 failed on vector pages ("Crop exceeds page dimensions", 0 and negative
    # values) and Tesseract reads nothing; above 1200 an A4 page is a >100-megapixel image the input checks
    # refuse as a decompression bomb, blaming the document for the setting
    ocr_dpi: int = Field(
        default=300, ge=72, le=1200, description="rasterising resolution for PDF pages without a scan image"
    )
    tessdata_dir: Path | None = Field(default=None, description="folder with better models (tessdata_best)")
    ocr_mode: Literal["skip-text", "redo", "force"] = Field(
        default="skip-text", description="pages with text: keep them (skip-text), redo an old OCR layer, or force"
    )
    ocr_bands: int = Field(
        default=2,
        ge=1,
        le=4,
        description="cut each page image into up to this many bands at gaps between paragraphs, read by separate "
        "Tesseract workers at once (a one-page scan then uses two cores); 1 = read pages whole",
    )
    ocr_other_language: str = Field(
        default="eng",
        description="a page read in Vietnamese that bears almost no Vietnamese marks (an English letter or form in a "
        "civil-status file) is read in this Tesseract language too, and the surer reading kept; empty = never",
    )

    # classification (issue 4 adds its settings in this section)
    # a confidence is 0–1: 5 sent every record to review, -1 none, without a word
    review_threshold: float = Field(
        default=0.6, ge=0, le=1, description="below this confidence (0–1) a record is archived as needing review"
    )
    classify_model: Path | None = Field(
        default=None, description="type model file; default DATA_DIR/models/classify-model.joblib, else the shipped one"
    )
    training_dir: Path | None = Field(
        default=None,
        description="labelled examples kept by 'sohoa review set' (TYPE/ID.txt); default DATA_DIR/training",
    )
    # --- end classification ---

    # signing
    signing_identity: str = Field(default="dev", description="dev (DEVELOPMENT ONLY) | pkcs12 | pkcs11")
    pkcs12_file: Path | None = Field(default=None, description="the pkcs12 identity's .p12/.pfx file")
    pkcs12_password: SecretStr | None = Field(default=None, description="its password; never logged")
    pkcs12_password_file: Path | None = Field(default=None, description="file holding its password")
    # NoDecode: the environment's text is read by _path_list below (a JSON list, or one path), not as JSON only
    trust_roots: Annotated[list[Path], NoDecode] = Field(
        default_factory=list, description="extra folders/files of trusted root certificates (PEM/DER)"
    )
    trust_dev_ca: bool = Field(default=True, description="trust the generated development CA when verifying")
    signer_location: str = Field(default="Việt Nam", description="the place written in each signature (/Location)")
    signature_level: str = Field(
        default="", description="B-B | B-T | B-LT | B-LTA; empty = B-LTA when tsa_url is set, else B-B (warned)"
    )
    tsa_url: str = Field(default="", description="RFC 3161 timestamping authority URL (needed from B-T up)")
    # NoDecode: read by _name_list below (a JSON list, or names separated by commas)
    trust_stores: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="named trust stores under DATA_DIR/trust/NAME (e.g. 'vn', installed by `sohoa keys "
        "install-trust-store`) trusted like TRUST_ROOTS",
    )
    verify_online: bool = Field(default=False, description="let verify fetch OCSP/CRL data over the network")
    check_signer_revocation: bool = Field(
        default=True,
        description="before a batch, `sohoa sign` and `sohoa keys list`, ask the signing certificate's OCSP/CRL "
        "services whether it is revoked (not the development identity's): revoked is refused, no answer is warned of",
    )
    pkcs11_module: Path = Field(
        default=Path("/usr/lib/softhsm/libsofthsm2.so"), description="PKCS#11 library of the token"
    )
    pkcs11_token_label: str = Field(default="", description="token label (or use pkcs11_slot)")
    pkcs11_slot: int | None = Field(
        default=None,
        description="slot number as `sohoa keys list` shows it (the PKCS#11 slot ID, as softhsm2-util --show-slots and "
        "pkcs11-tool -L show it; not a position in the list); instead of the token label, or with it to check both",
    )
    pkcs11_key_label: str = Field(default="", description="label of the signing key (and its certificate)")
    pkcs11_cert_label: str = Field(default="", description="label of the certificate when it differs from the key's")
    pkcs11_pin: SecretStr | None = Field(default=None, description="user PIN; never logged")
    pkcs11_pin_file: Path | None = Field(default=None, description="file holding the user PIN")
    signature_appearance: str = Field(
        default="none",
        description="none | signer (signature image + name + time) | seal (the body's seal over the signer's "
        "image, a second signature) | decree30 (both in one signature) | copy",
    )
    seal_image: Path | None = Field(default=None, description="the body's seal image (PNG) for seal and decree30")
    signature_image: Path | None = Field(
        default=None, description="the signer's signature image (PNG) for signer and decree30"
    )
    appearance_font: Path = Field(
        default=DEFAULT_APPEARANCE_FONT,
        description="TrueType font with Vietnamese glyphs, embedded in visible signatures",
    )
    # --- end signing (issue 5 adds its settings above this line) ---

    # storage (issue 6 adds its settings in this section)
    s3_endpoint: str = Field(default="", description="S3 server for s3:// archives, e.g. http://minio:9000")
    s3_access_key: str = Field(default="", description="S3 access key")
    s3_secret_key: SecretStr | None = Field(default=None, description="S3 secret key; never logged")
    # NoDecode: read by _json_object below, which says what is expected when the text is no JSON object
    retention_years: Annotated[dict[str, int], NoDecode] = Field(
        default_factory=_default_retention,
        description="record class (doc_type, or prefix*) → years of COMPLIANCE retention: 1–500, 0 = permanent",
    )
    search_index: Path | None = Field(default=None, description="SQLite search index; default DATA_DIR/search.sqlite")
    organization: str = Field(
        default="",
        description="the office, e.g. 'UBND xã An Bình': Source-Organization of exported BagIt packages (left out "
        "when empty)",
    )
    # --- end storage ---

    # operations (issue 7)
    separator_code: str = Field(
        default="SOHOA-SEPARATOR",
        description="a page bearing a QR code/barcode with this text splits a scanned stack; empty = never split",
    )
    watch_stable_seconds: float = Field(
        default=5.0, ge=0, description="sohoa watch: a file unchanged this long is complete"
    )
    # more than 0: with 0 or less the watcher rescanned the inbox without ever sleeping (88 % of a core, QA)
    watch_interval: float = Field(
        default=10.0, gt=0, description="sohoa watch: seconds between full rescans of the inbox"
    )
    batch_workers: int = Field(
        default=2,
        ge=1,
        description="documents in flight at once in a batch (the Tesseract slots still bound the cores)",
    )
    tesseract_slots: int = Field(
        default=0,
        ge=0,
        description="Tesseract processes allowed at once on this host, across all sohoa processes; 0 = cores",
    )
    tesseract_engine: Literal["library", "command"] = Field(
        default="library",
        description="how pages reach Tesseract: 'library' = long-lived worker processes on libtesseract (~20 % "
        "less CPU per page; the tesseract command is used when the library cannot be loaded), 'command' = one "
        "tesseract run per page; both read the same words",
    )
    prefect_server_restarts: int = Field(
        default=3,
        ge=0,
        description="sohoa process: how many times the temporary Prefect server it starts is started again when it "
        "dies, during its start-up or mid-batch (0: never; the batch then ends with what it did)",
    )
    dask_address: str = Field(
        default="", description="Dask scheduler (tcp://host:8786): run document tasks on that cluster via prefect-dask"
    )
    ocr_concurrency_tag: str = Field(
        default="",
        description="Prefect tag on the OCR task, for a tag concurrency limit across hosts "
        "(`prefect concurrency-limit create TAG N`); empty = no tag: a tagged task asks the Prefect server for a "
        "slot every time, ~0.15 s per document on 2 cores (bench/batch_bench.py)",
    )
    # the bound of `sohoa audit --renew-within` (min=0, a usage error below it): -5 was taken from the settings
    audit_renew_within_days: int = Field(
        default=365,
        ge=0,
        description="sohoa audit: renew a record's B-LTA document timestamp when what protects it (the TSA "
        "certificate of its latest timestamp; the signer certificate when no document timestamp yet) expires "
        "within this many days",
    )

    @field_validator("*")
    @classmethod
    def _one_spelling(cls, value: Any, info: ValidationInfo) -> Any:
        """Text in NFC, as sohoa writes every other text: ``SOHOA_SIGNER_LOCATION`` or ``SOHOA_ORGANIZATION`` typed
        decomposed (NFD, as a Mac's editor or terminal may give it) was written NFD into each signature's
        ``/Location`` and each export's ``bag-info.txt`` (QA). A path is the file it names as the file system spells
        it (``sohoa.fsutil.existing_spelling``: an NFD folder named in NFC), not rewritten: an NFC copy of an NFD
        name names no file. Left as given: what must match another system byte for byte (``VERBATIM_SETTINGS``).
        Defined first, so the other checks of a field see its value so spelled."""
        if info.field_name in VERBATIM_SETTINGS:
            return value
        if info.field_name == "archive":  # a folder, or an s3:// URL: the folder's text as given when it is found so
            spelled = value if not value or value.startswith("s3:") else existing_spelling(Path(value))
            return value if spelled == value or spelled == Path(value) else str(spelled)
        return _nfc(value)

    @field_validator("trust_roots", mode="before")
    @classmethod
    def _path_list(cls, value: Any) -> Any:
        """``SOHOA_TRUST_ROOTS`` is a JSON list (``["/etc/sohoa/trust", "/etc/ssl/certs/ca.pem"]``) or one path
        (``/etc/sohoa/trust``): a plain path used to be refused with pydantic's "error parsing value for field
        'trust_roots' from source 'EnvSettingsSource'", which did not say a list was expected."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return []
        if text.startswith("["):
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"not a JSON list ({exc.msg}); expected a JSON list of certificate files/folders, e.g. "
                    "'[\"/etc/ssl/certs/ca.pem\"]', or one path"
                ) from exc
            return parsed
        return [text]

    @field_validator("trust_stores", mode="before")
    @classmethod
    def _name_list(cls, value: Any) -> Any:
        """``SOHOA_TRUST_STORES`` is a JSON list (``["vn"]``) or names separated by commas (``vn`` or ``vn,bcy``),
        as ``SOHOA_TRUST_ROOTS`` takes one path: ``vn`` used to be refused with pydantic's "error parsing value for
        field "trust_stores" from source "EnvSettingsSource"". A store name is a folder name: no comma in it."""
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ValueError(
                    f"not a JSON list ({exc.msg}); expected a JSON list of trust store names, e.g. '[\"vn\"]', or "
                    "names separated by commas, e.g. vn,bcy"
                ) from exc
        return [name.strip() for name in text.split(",") if name.strip()]

    @field_validator("retention_years", mode="before")
    @classmethod
    def _json_object(cls, value: Any) -> Any:
        """``SOHOA_RETENTION_YEARS`` is a JSON object; anything else was refused with pydantic's "error parsing
        value for field "retention_years" from source "EnvSettingsSource"", which did not say what was expected."""
        if not isinstance(value, str):
            return value
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            parsed, problem = None, f"not JSON ({exc.msg})"
        else:
            problem = f"a JSON {type(parsed).__name__}, not an object"
        if not isinstance(parsed, dict):
            raise ValueError(
                f"{problem}; expected a JSON object of record class (a type code, or a prefix ending in *) → years, "
                'e.g. \'{"QĐ": 70, "HT*": 0, "*": 10}\''
            )
        return parsed

    @field_validator("retention_years")
    @classmethod
    def _retention_in_range(cls, value: dict[str, int]) -> dict[str, int]:
        """Years are 1–500, or 0 for permanent (kept as 500 years): -5 was taken, and a record archived as
        "retained until" a date already past, which no S3 server and no local archive then held to."""
        from storage.base import PERMANENT_YEARS

        bad = {key: years for key, years in value.items() if not 0 <= years <= PERMANENT_YEARS}
        if bad:
            given = ", ".join(f"{key!r}: {years}" for key, years in bad.items())
            raise ValueError(
                f"years out of range ({given}); each record class takes 1 to {PERMANENT_YEARS} years, or 0 for "
                "permanent"
            )
        return _record_classes_named(value)

    @field_validator("tessdata_dir")
    @classmethod
    def _tessdata_dir_exists(cls, value: Path | None) -> Path | None:
        """A folder that is not there is said as such when the settings load (it came out as "language data
        missing: vie (have: )", exit 3, at the first document)."""
        if value is not None and not value.is_dir():
            raise ValueError(
                f"{value}: không có thư mục này / no such folder (a folder holding LANG.traineddata files; unset: "
                "Debian's tessdata)"
            )
        return value

    @field_validator("ocr_language")
    @classmethod
    def _ocr_language_given(cls, value: str) -> str:
        """An empty language (``SOHOA_OCR_LANGUAGE=``) or an empty part of one (``vie+``) is refused when the
        settings load, not handed to Tesseract."""
        value = value.strip()
        # (QA175 D9: "vie eng" was asked of Tesseract, and the advice was to install "tesseract-ocr-vie eng"; and
        # the example given was vie+eng, which loses Vietnamese marks)
        if not value or not all(part.strip() for part in value.split("+")) or any(ch.isspace() for ch in value):
            raise ValueError(
                "cần mã ngôn ngữ của Tesseract, ví dụ vie; nhiều ngôn ngữ thì nối bằng dấu +, không dấu cách (vie+eng "
                "làm mất dấu tiếng Việt: không nên dùng); tesseract --list-langs liệt kê các ngôn ngữ đã cài / "
                "expected Tesseract language code(s), e.g. vie; several are joined by +, not spaces (vie+eng loses "
                "Vietnamese diacritics: not recommended); tesseract --list-langs shows those installed"
            )
        return value

    @field_validator("ocr_other_language")
    @classmethod
    def _one_other_language(cls, value: str) -> str:
        """One Tesseract language, or empty: a combination would read the page with Vietnamese's marks lost or
        kept again."""
        value = value.strip()
        if "+" in value or any(ch.isspace() for ch in value):
            raise ValueError(
                "cần một mã ngôn ngữ của Tesseract, ví dụ eng, hoặc để trống / expected one Tesseract language code, "
                "e.g. eng, or empty to read every page in SOHOA_OCR_LANGUAGE only"
            )
        return value

    @field_validator("signature_level")
    @classmethod
    def _signature_level_known(cls, value: str) -> str:
        """Checked when the settings load: an unknown level (``B-X``) used to fail every document at signing,
        after its OCR, and `sohoa keys list` said only "level unknown"."""
        value = value.strip()
        if not value:
            return value  # B-LTA with a TSA, else B-B
        if value.upper() not in LEVELS:
            raise ValueError(
                f"không có mức ký này / unknown PAdES level; valid levels: {', '.join(LEVELS)} (empty: B-LTA with a "
                "TSA)"
            )
        return value.upper()

    @field_validator("signing_identity")
    @classmethod
    def _signing_identity_known(cls, value: str) -> str:
        """Checked when the settings load, like the level (``foo`` failed every document at signing)."""
        value = value.strip()
        if value == "dev":
            return value
        if value not in IDENTITY_KINDS:
            raise ValueError(
                f"không có loại khóa ký này / unknown signing identity kind; valid kinds: {', '.join(IDENTITY_KINDS)}"
            )
        return value

    @field_validator("signature_appearance")
    @classmethod
    def _signature_appearance_known(cls, value: str) -> str:
        """Checked when the settings load: ``bogus`` was found only by `sohoa sign`, exit 3 "unknown signature
        appearance 'bogus'" without the setting's name, and `sohoa process` failed every document at signing."""
        value = value.strip()
        if value not in APPEARANCES:
            raise ValueError(
                f"không có kiểu hình chữ ký này / unknown signature appearance; valid: {', '.join(APPEARANCES)}"
            )
        return value

    @field_validator("seal_image", "signature_image", mode="before")
    @classmethod
    def _empty_is_no_image(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value  # ``SOHOA_SEAL_IMAGE=``: none

    @field_validator("seal_image", "signature_image")
    @classmethod
    def _image_file_exists(cls, value: Path | None) -> Path | None:
        """An image that is not there is a configuration error when the settings load, as a missing tessdata folder
        is: it was found at signing, exit 3 "appearance image unreadable: … '/nope2.png'" naming no setting."""
        if value is not None and not value.is_file():
            what = "is a folder" if value.is_dir() else "no such file"
            raise ValueError(f"{value}: {what} (expected a PNG image file)")
        return value

    @field_validator("appearance_font")
    @classmethod
    def _font_usable(cls, value: Path, info: ValidationInfo) -> Path:
        """A font that is not there, cannot be read or is no TrueType/OpenType font is a configuration error when
        the settings load, as a missing image is: it was found at signing, each document failing ("appearance font
        not found"). Checked when set, or when the configured appearance draws text with it: the default font need
        not be installed where no visible signature is drawn."""
        draws = info.data.get("signature_appearance", "none") != "none"
        if (value != DEFAULT_APPEARANCE_FONT or draws) and (problem := font_problem(value)) is not None:
            raise ValueError(
                f"{problem} (expected a TrueType/OpenType font with Vietnamese glyphs, e.g. "
                f"{DEFAULT_APPEARANCE_FONT}: apt install fonts-liberation2)"
            )
        return value

    @model_validator(mode="after")
    def _appearance_has_its_images(self) -> Settings:
        if (problem := self.appearance_problem()) is not None:
            raise ValueError(problem)
        return self

    def level_problem(self) -> str | None:
        """Why the configured level cannot be signed at — from B-T up it needs a TSA — or None. A problem of what
        signs only (`process`, `watch`, the flows: ``flows.pipeline.batch_settings_problem``; `sign`): refused when
        the settings loaded, it locked an auditor out of `list`, `verify` and `audit` (QA66)."""
        if self.signature_level not in ("", "B-B") and not self.tsa_url:
            return (
                f"SOHOA_SIGNATURE_LEVEL / signature_level = {self.signature_level!r} cần máy chủ cấp dấu thời gian "
                "(SOHOA_TSA_URL), chưa đặt: hãy đặt SOHOA_TSA_URL, hoặc chọn B-B (để trống: B-LTA khi có máy chủ, "
                "không thì B-B) / needs a timestamping authority: set SOHOA_TSA_URL / tsa_url, or choose B-B (or leave "
                "the level empty: B-LTA with a TSA, else B-B)"
            )
        return None

    def _images_missing(self, kind: str) -> list[str]:
        """The settings naming an image the appearance ``kind`` draws that are not set."""
        return [name for name in APPEARANCE_IMAGES.get(kind, ()) if getattr(self, name) is None]

    def appearance_problem(self, kind: str | None = None, named_as: str = "") -> str | None:
        """Why the appearance ``kind`` (default: the configured one) cannot be drawn with these settings — an image
        it draws is not configured — or None. ``named_as``: how the caller names where the kind came from."""
        kind = kind or self.signature_appearance
        missing = self._images_missing(kind)
        if not missing:
            return None
        needs = " and ".join(f"SOHOA_{name.upper()} / {name}" for name in missing)
        where = named_as or f"SOHOA_SIGNATURE_APPEARANCE / signature_appearance = {kind!r}"
        # the others these settings can draw: 'decree30' offered for a missing seal image needs that very image (QA85)
        others = ", ".join(other for other in APPEARANCES if other != kind and not self._images_missing(other))
        names = " và ".join(f"SOHOA_{name.upper()}" for name in missing)
        said = (
            f"{where}: cần đặt {names} (một tệp ảnh PNG), hoặc chọn kiểu hình khác ({others}) / {where} needs {needs} "
            f"(a PNG image file) to be set; or choose another appearance ({others})"
        )
        if kind == "seal":  # set the image, and a batch was refused next for the seal itself (QA84)
            said += (
                " — dấu cơ quan đóng lên tệp người ký đã ký (`sohoa sign`), không dùng cho lô bản quét (process, "
                "watch: ở đó dùng 'copy') / the seal goes on a file a signer has signed (`sohoa sign`), never on a "
                "batch of scans (process, watch: 'copy' there)"
            )
        return said

    @field_validator("data_dir", mode="before")
    @classmethod
    def _data_dir_given(cls, value: object) -> object:
        """An empty data folder (`SOHOA_DATA_DIR=`) is a configuration error: read as a path it was ".", and the
        archive, quarantine and work folders were made in whatever folder the command ran in (QA85)."""
        if isinstance(value, str) and not value.strip():
            raise ValueError(
                "trống: bỏ biến này đi để dùng var/, hoặc cho một thư mục (đường dẫn tuyệt đối) / empty: unset it for "
                "var/, or give a folder (an absolute path)"
            )
        return value

    @field_validator("dask_address")
    @classmethod
    def _dask_address_form(cls, value: str) -> str:
        """A Dask address that is no host:port (``notanaddr``) is a configuration error when the settings load: it
        was said by the reachability check before a batch, as a fault outside the input (exit 3). A well-formed
        address that does not answer stays that fault (flows.pipeline.dask_scheduler_problem)."""
        value = value.strip()
        if value and dask_host_port(value) == (None, None):
            raise ValueError(
                "không phải địa chỉ máy:cổng / not a host:port address; expected the Dask scheduler's address, e.g. "
                "tcp://10.0.0.5:8786 (empty: no cluster, the documents run here)"
            )
        return value

    @field_validator("tsa_url")
    @classmethod
    def _tsa_url_is_http(cls, value: str) -> str:
        """A TSA URL is checked when the settings load: anything else (``notaurl``, ``ftp://…``, ``http://``)
        used to be taken, and then every document failed at signing with "a service could not be reached"."""
        value = value.strip()
        if not value:
            return value  # no TSA: B-B signatures, no ledger stamps
        try:
            parts = urlsplit(value)
            _ = parts.port  # a port that is not a number raises here
        except ValueError as exc:
            problem_vi, problem = "không đọc được thành địa chỉ URL", f"it cannot be read as a URL ({exc})"
        else:
            if parts.scheme.lower() not in ("http", "https"):
                problem_vi = "không bắt đầu bằng http:// hoặc https://"
                problem = f"its scheme is {parts.scheme!r}" if parts.scheme else "it has no http:// or https:// prefix"
            elif not parts.hostname:
                problem_vi, problem = "không nêu tên máy chủ", "it names no host"
            else:
                return value
        # the setting's name and the value given are the error's frame (sohoa.settings_problem), not said here again
        # (QA67: "SOHOA_TSA_URL / tsa_url: SOHOA_TSA_URL (tsa_url) = …")
        raise ValueError(
            f"{problem_vi}: cần địa chỉ http:// hoặc https:// của máy chủ cấp dấu thời gian RFC 3161, ví dụ "
            f"http://tsa.example.vn/tsr (để trống: không dùng) / {problem}; expected the http:// or https:// URL of an "
            "RFC 3161 timestamping authority, e.g. http://tsa.example.vn/tsr (empty: no timestamping authority)"
        )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        _check_config_file(settings_cls, _toml_file())
        _warn_unknown_variables(settings_cls)
        toml = _TomlFile(settings_cls, toml_file=_toml_file())
        return (init_settings, env_settings, toml, file_secret_settings)

    # derived locations -------------------------------------------------------------------------
    @property
    def archive_dir(self) -> Path:
        return Path(self.archive) if self.archive else self.data_dir / "archive"

    @property
    def archive_location(self) -> str:
        """The configured archive: ``SOHOA_ARCHIVE`` (a folder or s3:// URL), else DATA_DIR/archive."""
        return self.archive or str(self.archive_dir)

    @property
    def archive_identity(self) -> str:
        """``archive_location`` as one string whatever way it was written (a folder resolved): what tells two
        archives apart, and what a search index records as the archive it indexes."""
        location = self.archive_location
        return location if "://" in location else str(Path(location).resolve())

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

    @property
    def effective_tesseract_slots(self) -> int:
        """Tesseract processes allowed at once on this host (``ocr.slots``): the setting, or the cores."""
        return self.tesseract_slots if self.tesseract_slots > 0 else (os.cpu_count() or 1)

    @property
    def workers_to_start_ahead(self) -> int:
        """libtesseract workers worth starting before a document is looked at (`sohoa ocr`, a `sohoa ocr-server`
        child); 0 where pages go to the `tesseract` command or may go to a Dask cluster (``ocr_document`` still
        starts them itself when it reads the pages here)."""
        if self.tesseract_engine != "library" or self.dask_address:
            return 0
        # a worker beyond the host's slots would only wait for one (QA68: `--workers 32` started 32 for a 2-page scan)
        return min(self.effective_ocr_workers, self.effective_tesseract_slots)

    def with_absolute_paths(self) -> Settings:
        """A copy whose folders are absolute: work sent to other processes (Dask workers started elsewhere) must
        not resolve ``var/`` against their own working directory."""
        update: dict[str, Any] = {"data_dir": self.data_dir.resolve()}
        for name in ("quarantine_dir", "work_dir", "search_index", "classify_model", "training_dir", "pkcs12_file"):
            value = getattr(self, name)
            if value is not None:
                update[name] = Path(value).resolve()
        if self.archive and "://" not in self.archive and not self.archive.startswith("s3:"):
            update["archive"] = str(Path(self.archive).resolve())
        return self.model_copy(update=update)

    def pkcs12_passphrase(self) -> bytes | None:
        """The PKCS#12 password from SOHOA_PKCS12_PASSWORD or the file it names; never logged."""
        if self.pkcs12_password is not None:
            return self.pkcs12_password.get_secret_value().encode()
        if self.pkcs12_password_file is not None:
            return _read_secret(
                self.pkcs12_password_file, "mật khẩu PKCS#12", "PKCS#12 password", "SOHOA_PKCS12_PASSWORD_FILE"
            ).encode()
        return None

    def pkcs11_user_pin(self) -> str | None:
        """The token's user PIN from SOHOA_PKCS11_PIN or the file it names; never logged."""
        if self.pkcs11_pin is not None:
            return self.pkcs11_pin.get_secret_value()
        if self.pkcs11_pin_file is not None:
            return _read_secret(self.pkcs11_pin_file, "mã PIN PKCS#11", "PKCS#11 PIN", "SOHOA_PKCS11_PIN_FILE")
        return None

    def signing_secret_problem(self) -> str | None:
        """Why the configured identity's password or PIN file cannot be read (None: it can, or none is named):
        checked before a batch's first document, since it would fail every signature after its OCR."""
        from sohoa.errors import SecretFileError

        try:
            if self.signing_identity == "pkcs12":
                self.pkcs12_passphrase()
            elif self.signing_identity == "pkcs11":
                self.pkcs11_user_pin()
        except SecretFileError as exc:
            return str(exc)
        return None


def _read_secret(path: Path, what_vi: str, what_en: str, setting: str) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        from sohoa.errors import SecretFileError

        why = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise SecretFileError(
            f"{path}: không đọc được tệp {what_vi} / cannot read the {what_en} file ({setting}) ({why})"
        ) from None


def load_settings(**overrides: Any) -> Settings:
    """The settings, with ``overrides`` (by setting name; None: not given) over the configured ones. Unless a search
    index is configured, DATA_DIR/search.sqlite is the index of the archive it records (``storage.search``'s
    ``indexed_archive``; one from before sohoa recorded it, of the configured archive) and any other archive has
    an index of its own, DATA_DIR/search-{12 hex}.sqlite: a batch run into another archive (--archive) wrote its
    records into the configured archive's index, and `search` then found records `get` said were not in the
    archive, and the earlier-copy check named records of another archive (QA94); with SOHOA_ARCHIVE changed,
    `search` went on answering from the earlier archive's index (QA97)."""
    from storage.search import indexed_archive  # storage reads the settings: imported when called

    given = {k: v for k, v in overrides.items() if v is not None}
    settings = Settings(**given)
    if settings.search_index is not None:
        return settings
    owner = indexed_archive(settings.data_dir / "search.sqlite")
    if owner is None:  # no index yet, or one that does not say: the configured archive's
        configured = Settings(**{k: v for k, v in given.items() if k != "archive"}) if "archive" in given else settings
        owner = configured.archive_identity
    if owner == settings.archive_identity:
        return settings
    digest = hashlib.sha256(settings.archive_identity.encode()).hexdigest()[:12]
    return settings.model_copy(update={"search_index": settings.data_dir / f"search-{digest}.sqlite"})
