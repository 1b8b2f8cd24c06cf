"""The S3 backend (MinIO, SeaweedFS, Ceph RGW… through the ``minio`` SDK): ``s3://bucket/prefix``.

Same layout and semantics as the local folder (storage.base), under ``prefix/`` in the bucket. The bucket is
created by the first write when missing, **with object lock (and therefore versioning)** — never by a read: a
mistyped bucket given to `sohoa list` or `sohoa audit` used to be created and reported as an empty archive that
passed; every record object is written with
COMPLIANCE retention until the date of its record class, so the server itself refuses to delete the version or
shorten its retention. Writing a key that exists with other content is refused by the archive; a client that
writes it anyway only adds a newer version (the retained one stays and reads flag the mismatch).

Each write is verified twice. A single-part PUT carries ``x-amz-checksum-sha256`` (base64 of the SHA-256 we
computed; the SDK passes ``x-amz-*`` entries of ``metadata`` on as headers): the server refuses a body that does
not match (SeaweedFS answers ``BadDigest``; tests/test_storage.py checks it). A multipart upload carries no
whole-object checksum (SeaweedFS refuses that header on CreateMultipartUpload, and the SDK cannot add per-part
checksum headers). Then, for both, the object is read back and re-hashed; the SHA-256 is also kept as metadata.
Objects larger than ``part_size`` go up as a multipart upload; an interrupted upload leaves no visible object,
and the next run writes it again.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import io
import os
import socket
import ssl
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import certifi
import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE
from minio.error import S3Error
from minio.retention import Retention

from storage.base import (
    _RECORD_FOLDER,
    ArchiveConfigError,
    ArchiveIntegrityError,
    ArchiveUnavailableError,
    BaseArchive,
    ObjectInfo,
    ObjectTaken,
    RetentionError,
    sha256_bytes,
)

PART_SIZE = 16 * 1024 * 1024
# archive location → whether its server honours If-None-Match (S3Archive.honours_conditional_writes)
_CONDITIONAL_WRITES: dict[str, bool] = {}
SHA_META = "sha256"
CHECKSUM_HEADER = "x-amz-checksum-sha256"
# The error codes with which a server refuses the request's signature or key: the credentials, not the server,
# are wrong (a rerun does not help until SOHOA_S3_ACCESS_KEY / SOHOA_S3_SECRET_KEY are put right). SeaweedFS
# answers a wrong secret key SignatureDoesNotMatch, an unknown access key InvalidAccessKeyId, and a known key
# without the right on the bucket (or no key at all: anonymous) AccessDenied, all with HTTP 403.
CREDENTIAL_CODES = ("SignatureDoesNotMatch", "InvalidAccessKeyId", "InvalidSecretKey")
DENIED_CODES = ("AccessDenied",)
MISSING_CODES = ("NoSuchKey", "NoSuchVersion", "ResourceNotFound", "NoSuchBucket")


def _lock_unreadable(exc: Exception) -> str | None:
    """Why an object's retention or hold could not be read, or None when the server says it has none (minio raises
    for "no retention configured"): a key without the right to read an object lock is no object without one (QA79:
    every object was called tampered with)."""
    code = getattr(exc, "code", "")
    if code in ("NoSuchObjectLockConfiguration", "ObjectLockConfigurationNotFoundError", "NoSuchObjectLegalHold"):
        return None
    if code in DENIED_CODES:
        return f"the server refused to show it ({code}): the key needs s3:GetObjectRetention and s3:GetObjectLegalHold"
    return f"the server answered {code or type(exc).__name__}"


# an object's retention and legal hold, as a HEAD request answers them (``S3Archive._info``)
_LOCK_MODE_HEADER = "x-amz-object-lock-mode"
_RETAIN_UNTIL_HEADER = "x-amz-object-lock-retain-until-date"
_LEGAL_HOLD_HEADER = "x-amz-object-lock-legal-hold"


class S3CredentialsError(ArchiveConfigError):
    """The S3 server refused the credentials (a wrong secret key, an unknown access key) or denied the key access to
    the bucket: a configuration fault that no retry fixes — refused before the first document of a batch, and never
    retried by the archive stage or the duplicate look-up (it was retried like a server outage, ~25 s a document)."""


def _causes(exc: BaseException) -> list[BaseException]:
    """``exc`` and what it wraps: urllib3's ``reason``, ``__cause__``, ``__context__``."""
    seen: list[BaseException] = []
    todo: list[object] = [exc]
    while todo:
        item = todo.pop()
        if not isinstance(item, BaseException) or any(item is s for s in seen):
            continue
        seen.append(item)
        todo += [getattr(item, "reason", None), item.__cause__, item.__context__]
    return seen


def connection_problem(exc: BaseException) -> tuple[str, str]:
    """Why a request never got an answer, short, (English, Vietnamese): instead of urllib3's "HTTPConnectionPool(
    host=…, port=…): Max retries exceeded with url: … (Caused by NewConnectionError(…))"."""
    causes = _causes(exc)

    def found(*kinds: type[BaseException]) -> bool:
        return any(isinstance(c, kinds) for c in causes)

    if found(ConnectionRefusedError):
        return "connection refused", "từ chối kết nối"
    if found(urllib3.exceptions.NameResolutionError, socket.gaierror):
        return "host name not found", "không tìm thấy tên máy"
    if found(urllib3.exceptions.SSLError, ssl.SSLError):
        return "TLS failed", "lỗi TLS"
    if found(urllib3.exceptions.ConnectTimeoutError, TimeoutError):
        return "no answer in time", "quá thời gian chờ"
    if found(ConnectionResetError, urllib3.exceptions.ProtocolError):
        return "connection dropped", "kết nối bị ngắt"
    detail = str(causes[-1]).splitlines()[0][:160] if str(causes[-1]) else type(causes[-1]).__name__
    return detail, detail


# what an S3 request was doing, as ``S3Archive._fail`` is told it in English ("cannot read KEY"), in Vietnamese
_WHAT_VI = (
    ("cannot create bucket ", "không tạo được bucket "),
    ("cannot look for the archive", "không tìm được kho lưu trữ"),
    ("cannot read the bucket's object lock", "không đọc được khóa đối tượng (object lock) của bucket"),
    ("cannot list the versions under ", "không liệt kê được các phiên bản dưới "),
    ("cannot set legal hold on ", "không đặt được giữ theo pháp lý (legal hold) cho "),
    ("cannot set retention on ", "không đặt được thời hạn lưu giữ cho "),
    ("cannot stat ", "không xem được "),
    ("cannot write ", "không ghi được "),
    ("cannot read ", "không đọc được "),
    ("cannot list ", "không liệt kê được "),
    ("cannot delete ", "không xóa được "),
)


def what_in_vietnamese(what: str) -> str:
    """``what`` (``cannot read index/2025.json``) in Vietnamese, its object's name as it is; one not known, as is."""
    for english, vietnamese in _WHAT_VI:
        if what.startswith(english):
            return vietnamese + what[len(english) :]
    return what


def credentials_refused(exc: BaseException) -> bool:
    """The server refused the request's credentials, or the key's access (``AccessDenied``)."""
    return isinstance(exc, S3Error) and exc.code in (*CREDENTIAL_CODES, *DENIED_CODES)


# Retries of one S3 request by urllib3, kept few because sohoa retries the whole archive write itself
# (flows/pipeline.py ARCHIVE_RETRY_DELAYS: 4 attempts, 1, 5 and 30 s apart ±50 %): the two multiply. With the
# server refusing connections, one request now gives up after 2 retries and 1 s of backoff (0 then 0.5·2 s), so a
# document waits ≈ 4 × 1 + 36 ≈ 40 s (20–58 s with the jitter) before it is reported failed; with 5 retries and
# backoff 0.2 it was 0 + 0.4 + 0.8 + 1.6 + 3.2 = 6 s per request, ≈ 60 s per document, each retry logging a
# urllib3 warning. A host that drops packets costs the connect timeout per try: 3 × 10 s × 4 + 36 ≈ 2.6 min (was
# 6 × 30 s × 4 + 36 ≈ 12.6 min). The read commands (list, get, audit) have only these retries.
S3_RETRIES = 2
S3_BACKOFF = 0.5
S3_CONNECT_TIMEOUT = 10.0


def make_client(
    endpoint: str, access_key: str, secret_key: str, region: str | None = None, retries: int = S3_RETRIES
) -> Minio:
    """A client for ``endpoint`` (http[s]://host:port); ``retries`` on connection errors and 5xx, with backoff."""
    parsed = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
    secure = parsed.scheme == "https"
    http = urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=S3_CONNECT_TIMEOUT, read=300),
        maxsize=10,
        cert_reqs="CERT_REQUIRED" if secure else "CERT_NONE",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=urllib3.Retry(total=retries, backoff_factor=S3_BACKOFF, status_forcelist=[500, 502, 503, 504]),
    )
    return Minio(
        parsed.netloc,
        access_key=access_key,
        secret_key=secret_key,
        secure=secure,
        region=region,
        http_client=http,
    )


class S3Archive(BaseArchive):
    def __init__(
        self,
        client: Minio,
        bucket: str,
        prefix: str = "",
        retention: Mapping[str, int] | None = None,
        part_size: int = PART_SIZE,
    ) -> None:
        super().__init__(retention)
        self.client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.part_size = part_size
        self._bucket_ready = False  # created by the first write (ensure_bucket), never by a read

    def __repr__(self) -> str:
        return f"S3Archive({self.location!r})"

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}" if self.prefix else f"s3://{self.bucket}"

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, what: str, exc: Exception) -> ArchiveUnavailableError | S3CredentialsError:
        """The error to raise for ``exc``: ``S3CredentialsError`` (a configuration fault, not retried) when the server
        refused the credentials or denied access, else ``ArchiveUnavailableError`` (retried by the archive stage)."""
        if credentials_refused(exc):
            assert isinstance(exc, S3Error)
            settings = "SOHOA_S3_ACCESS_KEY và SOHOA_S3_SECRET_KEY / SOHOA_S3_ACCESS_KEY and SOHOA_S3_SECRET_KEY"
            if exc.code in DENIED_CODES:
                return S3CredentialsError(
                    f"{self.location}: máy chủ S3 từ chối quyền truy cập bucket {self.bucket} (khóa truy cập sai, "
                    f"trống, hoặc không có quyền với bucket) / the S3 server denied access to bucket {self.bucket} "
                    f"({exc.code}): a wrong or empty access key, or one without the right to it: cấu hình sai, kiểm "
                    f"tra / configuration error, check {settings} and the key's rights on the server ({what})"
                )
            return S3CredentialsError(
                f"{self.location}: máy chủ S3 từ chối thông tin đăng nhập / the S3 server refused the credentials "
                f"({exc.code}): cấu hình sai, kiểm tra / configuration error, check {settings} ({what})"
            )
        if not isinstance(exc, S3Error):  # connection refused, DNS, TLS, timeouts
            english, vietnamese = connection_problem(exc)
            url = getattr(getattr(self.client, "_base_url", None), "_url", None)
            server = f"{url.scheme}://{url.netloc}" if url is not None else "?"
            return ArchiveUnavailableError(
                f"{self.location}: {what_in_vietnamese(what)}: máy chủ S3 tại {server} không trả lời ({vietnamese}) / "
                f"{what}: S3 server at {server} does not answer ({english})"
            )
        # an error the server answered (InternalError, SlowDown…): it was said in English alone
        return ArchiveUnavailableError(
            f"{self.location}: {what_in_vietnamese(what)}: máy chủ S3 báo lỗi {exc.code} / {what}: {exc}"
        )

    def ensure_bucket(self) -> None:
        """Create the bucket (with object lock) when it does not exist; called by writes only."""
        if self._bucket_ready:
            return
        try:
            if not self.client.bucket_exists(self.bucket):
                self.client.make_bucket(self.bucket, object_lock=True)
            else:
                self.check_object_lock()
        except S3Error as exc:
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._fail(f"cannot create bucket {self.bucket}", exc) from exc
        except (ArchiveConfigError, ArchiveUnavailableError):
            raise
        except Exception as exc:
            raise self._fail(f"cannot create bucket {self.bucket}", exc) from exc
        self._bucket_ready = True

    def has_archive_folders(self) -> bool:
        """Whether the prefix holds a version of an object (or a delete marker) under ``.ledger/`` or
        ``.by-sha256/``: ``exists`` without its listing of the record folders, for telling whether a prefix lies
        inside an archive (a listing of one object per folder)."""
        try:
            return self.client.bucket_exists(self.bucket) and self._lists_archive_folders()
        except Exception:  # cannot tell: no hint
            return False

    def _lists_archive_folders(self) -> bool:
        """A version of an object (or a delete marker) lies under ``.ledger/`` or ``.by-sha256/`` of the prefix, in
        a bucket that exists; the client's errors raised."""
        for folder in (".ledger/", ".by-sha256/"):
            listed = self.client.list_objects(
                self.bucket, prefix=self._name(folder), recursive=True, include_version=True
            )
            if next(iter(listed), None) is not None:
                return True
        return False

    def exists(self) -> bool:
        """Whether an archive was ever written here: the bucket exists and its prefix holds a version of an object
        (or a delete marker) under ``.ledger/`` or ``.by-sha256/`` — every archived record has both — or an object in
        a record's folder (a first put killed before its ledger entries: an interrupted write). Delete markers
        count, so an archive whose ledger or index someone deleted is still audited (and the removal reported), not
        refused as "no archive". Reads only; creates nothing."""
        try:
            if not self.client.bucket_exists(self.bucket):
                return False
            if self._lists_archive_folders():
                return True
            # the first record ever archived here, its put killed before its first ledger entry: its folder is all
            # there is (the audit and `sohoa ledger finish` must name it, not say "no archive")
            strip = len(self.prefix) + 1 if self.prefix else 0
            for obj in self.client.list_objects(self.bucket, prefix=self._name(""), recursive=True):
                if _RECORD_FOLDER.fullmatch((obj.object_name or "")[strip:].rpartition("/")[0]):
                    return True
        except Exception as exc:
            raise self._fail("cannot look for the archive", exc) from exc
        return False

    def object_lock_enabled(self) -> bool:
        try:
            self.client.get_object_lock_config(self.bucket)
            return True
        except S3Error:
            return False

    def check_object_lock(self) -> str | None:
        """Refuse a bucket that exists without object lock (``ArchiveConfigError``): no object could be retained
        there — every write used to fail on "cannot set retention: InvalidRequest", retried for ~40 s, leaving
        unretained objects. A missing bucket passes (the first write creates it with object lock); a server that
        cannot be reached raises ``ArchiveUnavailableError``. Returns the bucket's default retention rule
        ("COMPLIANCE 1 Days"), or None: with one, every object is retained as it is written — also what sohoa
        writes unretained until a record is whole (a claim on a scan, the files of a put a crash cuts short), which
        then can never be deleted nor replaced (QA73)."""
        try:
            config = self.client.get_object_lock_config(self.bucket)
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return None
            if exc.code in ("ObjectLockConfigurationNotFoundError", "ObjectLockConfigurationNotFound"):
                raise ArchiveConfigError(
                    f"{self.location}: bucket {self.bucket} không bật khóa đối tượng (object lock): sohoa không lưu "
                    f"giữ hồ sơ ở đó được; hãy tạo bucket có object lock (sohoa tự tạo bucket như vậy) hoặc dùng "
                    f"bucket khác / bucket {self.bucket} has no object lock: sohoa cannot retain records there; "
                    f"create it with object lock (sohoa makes its own bucket so) or use another"
                ) from None
            raise self._fail("cannot read the bucket's object lock", exc) from exc
        except Exception as exc:
            raise self._fail("cannot read the bucket's object lock", exc) from exc
        return None if config.mode is None else f"{config.mode} {config.duration} {config.duration_unit}"

    def honours_conditional_writes(self) -> bool:
        """Whether the server refuses a write with ``If-None-Match: *`` to a name that exists, as ``_create`` needs
        for hosts sharing the archive (a ledger entry's number, a record's claim): a claim on no scan made twice
        (a random name, of the claims' shape, so one a failed delete leaves is an abandoned claim), then deleted.
        A bucket not made yet is made. ArchiveUnavailableError when the server cannot be asked."""
        from storage.claims import THIS_MACHINE, Claim

        known = _CONDITIONAL_WRITES.get(self.location)
        if known is not None:  # asked once per process (the watcher checks its locations every pass)
            return known
        probe = Claim(os.urandom(32).hex(), 0, self.host_id, os.getpid(), datetime.now(UTC), "", THIS_MACHINE)
        first, second = probe.body(), dataclasses.replace(probe, batch="conditional-write probe").body()
        try:
            self._create(probe.key, first, sha256_bytes(first), None)
            try:
                self._create(probe.key, second, sha256_bytes(second), None)
                honoured = False
            except ObjectTaken:
                honoured = True
        finally:
            with contextlib.suppress(Exception):
                self._delete(probe.key)
        _CONDITIONAL_WRITES[self.location] = honoured
        return honoured

    # ---- primitives ---------------------------------------------------------------------------------
    def _stat(self, key: str) -> Any:
        try:
            return self.client.stat_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in MISSING_CODES:  # NoSuchBucket: nothing written yet (the first write creates it)
                return None
            raise self._fail(f"cannot stat {key}", exc) from exc
        except Exception as exc:
            raise self._fail(f"cannot stat {key}", exc) from exc

    def _write(self, key: str, source: Path | bytes, sha256: str, retain: datetime | None) -> None:
        self.ensure_bucket()
        existing = self._stat(key)
        if existing is not None:
            if self._stored_sha256(key) == sha256:
                return  # same content already there (idempotent; also resumes an interrupted record)
            info = self._info(key)
            if info is not None and (info.legal_hold or info.retain_until):
                raise RetentionError(f"{self.location}/{key}: refusing to overwrite a retained object")
        data = source if isinstance(source, bytes) else source.read_bytes()
        multipart = len(data) > self.part_size
        metadata: dict[str, str | list[str] | tuple[str]] = {SHA_META: sha256}
        if not multipart:  # the server checks the body against it and refuses a mismatch
            metadata[CHECKSUM_HEADER] = base64.b64encode(bytes.fromhex(sha256)).decode("ascii")
        try:
            self.client.put_object(
                self.bucket,
                self._name(key),
                io.BytesIO(data),
                len(data),
                metadata=metadata,
                part_size=self.part_size if multipart else 0,
                retention=Retention(COMPLIANCE, retain) if retain is not None else None,
            )
        except Exception as exc:
            raise self._upload_failure(key, exc) from exc
        self._check_written(key, sha256)

    def _upload_failure(
        self, key: str, exc: Exception
    ) -> ArchiveIntegrityError | ArchiveUnavailableError | S3CredentialsError:
        """The error for an upload of ``key`` that failed: the server refusing a body that does not match the SHA-256
        sent with it is the archive's integrity; anything else ``_fail``'s (unavailable, or the credentials)."""
        if isinstance(exc, S3Error) and exc.code in ("BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest"):
            return ArchiveIntegrityError(
                f"{self.location}/{key}: the server refused the upload: its content does not match the SHA-256 "
                f"sent with it ({exc.code})"
            )
        return self._fail(f"cannot write {key}", exc)

    def _check_written(self, key: str, sha256: str) -> None:
        """Read ``key`` back: the bytes stored are those written."""
        if self._stored_sha256(key) != sha256:
            raise ArchiveIntegrityError(f"{self.location}/{key}: read-back SHA-256 differs from the one written")

    def _create(self, key: str, data: bytes, sha256: str, retain: datetime | None) -> None:
        """One conditional PUT (``If-None-Match: *``): the server writes the entry only if no object has its name —
        two hosts on one bucket (each with its own write lock) both wrote sequence number N, and the later entry
        became the object's current version, the other hidden as an older one (QA71: 4 of 35 entries lost from
        the ledger while `ledger verify` said intact). AWS S3, MinIO and SeaweedFS honour it; a server that ignores
        the header lets the race through as before (README: the S3 server must support conditional writes)."""
        from minio.helpers import genheaders

        self.ensure_bucket()
        metadata: dict[str, str | list[str] | tuple[str]] = {
            SHA_META: sha256,
            CHECKSUM_HEADER: base64.b64encode(bytes.fromhex(sha256)).decode("ascii"),
        }
        headers = genheaders(metadata, None, None, Retention(COMPLIANCE, retain) if retain else None, False)
        headers |= {"Content-Type": "application/json", "If-None-Match": "*"}
        try:
            # minio's put_object cannot send If-None-Match (it makes any other header user metadata): its request
            # method, pinned by pyproject's minio <8
            self.client._put_object(self.bucket, self._name(key), data, headers)
        except S3Error as exc:
            if exc.code == "PreconditionFailed":
                if self._stored_sha256(key) == sha256:
                    return  # this very entry, written by an attempt whose answer was lost
                raise ObjectTaken(f"{self.location}/{key}: written meanwhile by another writer") from exc
            raise self._upload_failure(key, exc) from exc
        except Exception as exc:
            raise self._upload_failure(key, exc) from exc
        self._check_written(key, sha256)

    def _read(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(self.bucket, self._name(key))
        except S3Error as exc:
            if exc.code in MISSING_CODES:
                return None
            raise self._fail(f"cannot read {key}", exc) from exc
        except Exception as exc:
            raise self._fail(f"cannot read {key}", exc) from exc
        try:
            return bytes(response.read())
        finally:
            response.close()
            response.release_conn()

    def _stored_sha256(self, key: str) -> str | None:
        data = self._read(key)
        return None if data is None else sha256_bytes(data)

    def _keys(self, prefix: str) -> Iterator[str]:
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            names = sorted(
                obj.object_name
                for obj in self.client.list_objects(self.bucket, prefix=self._name(prefix), recursive=True)
                if obj.object_name
            )
        except S3Error as exc:
            if exc.code != "NoSuchBucket":
                raise self._fail(f"cannot list {prefix}", exc) from exc
            names = []  # nothing written yet
        except Exception as exc:
            raise self._fail(f"cannot list {prefix}", exc) from exc
        for name in names:
            yield name[strip:]

    def _vanished_keys(self, prefix: str) -> list[str]:
        """Keys under ``prefix`` whose latest version is a delete marker: a plain delete in a versioned bucket
        hides the object (the retained versions stay, object lock forbids removing them)."""
        strip = len(self.prefix) + 1 if self.prefix else 0
        try:
            listed = self.client.list_objects(
                self.bucket, prefix=self._name(prefix), recursive=True, include_version=True
            )
            return sorted(  # minio gives IsLatest as the XML's text, "true" or "false"
                obj.object_name[strip:]
                for obj in listed
                if obj.object_name and obj.is_delete_marker and str(obj.is_latest).lower() == "true"
            )
        except S3Error as exc:
            if exc.code == "NoSuchBucket":
                return []
            raise self._fail(f"cannot list the versions under {prefix}", exc) from exc
        except Exception as exc:
            raise self._fail(f"cannot list the versions under {prefix}", exc) from exc

    def _age(self, key: str) -> float | None:
        """The server's clock: its Date header, less the object's Last-Modified (hosts' clocks differ)."""
        stat = self._stat(key)
        if stat is None or stat.last_modified is None:
            return None
        try:
            now = parsedate_to_datetime(str(stat.metadata.get("date")))
        except (TypeError, ValueError):
            return None
        return (now - stat.last_modified).total_seconds()

    def _info(self, key: str) -> ObjectInfo | None:
        stat = self._stat(key)
        if stat is None:
            return None
        info = ObjectInfo(key=key, size=stat.size or 0)
        # HEAD says both when the caller may read them (AWS: s3:GetObjectRetention, s3:GetObjectLegalHold;
        # SeaweedFS, MinIO): one request per object, not three — the audit asks it of every object. Without
        # them, the two requests that answer for certain.
        headers = {name.lower(): value for name, value in (stat.metadata or {}).items()}
        until, hold = headers.get(_RETAIN_UNTIL_HEADER), headers.get(_LEGAL_HOLD_HEADER)
        try:
            if until is not None and headers.get(_LOCK_MODE_HEADER):
                info.retain_until = datetime.fromisoformat(until.replace("Z", "+00:00"))
            else:
                retention = self.client.get_object_retention(self.bucket, self._name(key), version_id=stat.version_id)
                info.retain_until = retention.retain_until_date if retention else None
        except (S3Error, ValueError) as exc:
            info.retain_until = None
            info.unreadable = _lock_unreadable(exc)
        try:
            if hold is not None:
                info.legal_hold = hold.upper() == "ON"
            else:
                info.legal_hold = self.client.is_object_legal_hold_enabled(
                    self.bucket, self._name(key), version_id=stat.version_id
                )
        except S3Error as exc:
            info.legal_hold = False
            info.unreadable = info.unreadable or _lock_unreadable(exc)
        return info

    def _delete(self, key: str) -> None:
        """Delete every version of the object; the server refuses retained or held versions."""
        name = self._name(key)
        try:
            versions = [
                o.version_id
                for o in self.client.list_objects(self.bucket, prefix=name, include_version=True)
                if o.object_name == name
            ]
            for version in versions:
                self.client.remove_object(self.bucket, name, version_id=version)
        except S3Error as exc:
            if exc.code == "AccessDenied":
                raise RetentionError(
                    f"{self.location}/{key}: the server refused to delete it ({exc.code}): retained or under legal hold"
                ) from exc
            raise self._fail(f"cannot delete {key}", exc) from exc

    def _set_legal_hold(self, key: str, on: bool) -> None:
        stat = self._stat(key)
        if stat is None:
            raise ArchiveIntegrityError(f"{self.location}/{key}: missing, cannot set legal hold")
        try:
            if on:
                self.client.enable_object_legal_hold(self.bucket, self._name(key), version_id=stat.version_id)
            else:
                self.client.disable_object_legal_hold(self.bucket, self._name(key), version_id=stat.version_id)
        except Exception as exc:
            raise self._fail(f"cannot set legal hold on {key}", exc) from exc

    def _set_retention(self, key: str, retain: datetime) -> None:
        stat = self._stat(key)
        if stat is None:
            raise ArchiveIntegrityError(f"{self.location}/{key}: missing, cannot set retention")
        info = self._info(key)
        if info is not None and info.retain_until is not None and info.retain_until >= retain:
            return  # already retained at least that long (COMPLIANCE retention cannot be shortened)
        try:
            self.client.set_object_retention(
                self.bucket, self._name(key), Retention(COMPLIANCE, retain), version_id=stat.version_id
            )
        except Exception as exc:
            raise self._fail(f"cannot set retention on {key}", exc) from exc
