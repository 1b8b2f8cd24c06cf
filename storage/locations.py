"""Where an archive is: ``s3://bucket/prefix`` parsed and checked without the S3 SDK, so that the commands that
check a location first (every batch, `list`, `audit`…) do not load ``minio`` for a local archive (~0.4 s of each
command's start, 2026-12-03); they lived in ``storage.s3`` until then."""

from __future__ import annotations

import re
from urllib.parse import urlparse

from sohoa.errors import SohoaError

# The S3 bucket naming rules (AWS "Bucket naming rules"; MinIO and SeaweedFS apply the same): 3–63 characters of
# lowercase letters, digits, dots and hyphens, beginning and ending with a letter or digit.
_BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_IPV4 = re.compile(r"\d{1,3}(\.\d{1,3}){3}")
BUCKET_RULE = (
    "tên bucket S3 dài 3–63 ký tự, chỉ gồm chữ thường, chữ số, dấu chấm và gạch nối, bắt đầu và kết thúc bằng chữ "
    "hoặc số / an S3 bucket name is 3–63 characters of lowercase letters, digits, dots and hyphens, beginning and "
    "ending with a letter or digit (not an IP address, no '..')"
)


class S3LocationError(SohoaError, ValueError):
    """An ``s3://`` location no S3 server can hold (no bucket, a bucket name S3 forbids): a usage error that no
    rerun fixes."""


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix without slashes); ``S3LocationError`` for a URL without a bucket or
    with a bucket name S3 forbids (it used to fail every document as "S3 server unreachable", to be retried)."""
    parsed = urlparse(url)
    if parsed.scheme != "s3" or not parsed.netloc:
        raise S3LocationError(f"{url}: not an s3://bucket/prefix URL")
    bucket = parsed.netloc
    if not _BUCKET_NAME.fullmatch(bucket) or _IPV4.fullmatch(bucket) or ".." in bucket:
        raise S3LocationError(f"{url}: tên bucket không hợp lệ / invalid bucket name {bucket!r}: {BUCKET_RULE}")
    return bucket, parsed.path.strip("/")
