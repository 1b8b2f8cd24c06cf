"""The network services a signature needs — the timestamping authority (TSA), OCSP responders and CRL servers —
and what to tell an operator when one of them fails: which service, at which URL, and what went wrong, in words.

What pyHanko says on its own does not let anyone act: "Error while contacting timestamp service" alike for a TSA
that is down, one that answers HTTP 500 and one that sends back an HTML error page; asn1crypto's parser text
("method should have been constructed, but primitive was found") for an answer that is not a timestamp; and
'Field "time_stamp_token" is missing from structure' for an RFC 3161 refusal, whose response carries no token
(asn1crypto's ``TimeStampResp`` declares the token mandatory, so pyHanko cannot even read the refusal). An OCSP
responder or CRL server that is down during B-LT/B-LTA signing comes out as "no revocation information could be
found for …", naming neither the service nor its URL.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from asn1crypto import cms, core, tsp
from pyhanko.sign.timestamps import HTTPTimeStamper, TimestampRequestError
from pyhanko_certvalidator.errors import CRLFetchError, OCSPFetchError
from pyhanko_certvalidator.fetchers.aiohttp_fetchers import AIOHttpFetcherBackend
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.cert_fetch_client import AIOHttpCertificateFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.crl_client import AIOHttpCRLFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.ocsp_client import AIOHttpOCSPFetcher
from pyhanko_certvalidator.fetchers.aiohttp_fetchers.util import LazySession
from pyhanko_certvalidator.fetchers.api import Fetchers, OwnedFetcherBackend
from pyhanko_certvalidator.fetchers.common_utils import FetchBudget

from signing.revinfo import common_name, crl_urls, ocsp_urls

TIMESTAMP_REPLY = "application/timestamp-reply"


def http_failure_words(exc: BaseException, timeout: float | None = None) -> tuple[str, str]:
    """Why an HTTP request got no answer at all, in words, (English, Vietnamese) — the exception's own text where
    there is nothing better to say. The Vietnamese half of a TSA's or an OCSP/CRL server's fault carried the
    English words ("connection refused: …") until 2026-12-02."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return (
            f"the host name {exc.host} was not found (DNS)",
            f"không tìm thấy tên máy {exc.host} (DNS)",
        )
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        return (
            f"its TLS certificate was not accepted ({exc.certificate_error})",
            f"chứng thư TLS của máy chủ không được chấp nhận ({exc.certificate_error})",
        )
    if isinstance(exc, aiohttp.ClientSSLError):
        return f"the TLS connection failed ({exc})", f"kết nối TLS thất bại ({exc})"
    if isinstance(exc, aiohttp.ClientConnectorError):
        code = exc.os_error.errno
        if code == errno.ECONNREFUSED:
            return (
                f"connection refused: nothing answers at {exc.host} port {exc.port}",
                f"bị từ chối kết nối: không có gì trả lời ở {exc.host} cổng {exc.port}",
            )
        if code in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return (
                f"{exc.host} cannot be reached from this machine (no route)",
                f"máy này không tới được {exc.host} (không có đường mạng)",
            )
        why = exc.os_error.strerror or exc.os_error
        return (
            f"cannot connect to {exc.host} port {exc.port} ({why})",
            f"không kết nối được {exc.host} cổng {exc.port} ({why})",
        )
    if isinstance(exc, (aiohttp.ServerTimeoutError, TimeoutError)):
        if timeout:
            return f"no answer within {timeout:g} s", f"không trả lời trong {timeout:g} giây"
        return "no answer in time", "không trả lời kịp"
    if isinstance(exc, aiohttp.ServerDisconnectedError):
        return (
            "the server closed the connection without answering",
            "máy chủ đóng kết nối mà không trả lời",
        )
    if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
        return "it is not an http:// or https:// URL", "đây không phải địa chỉ http:// hay https://"
    if isinstance(exc, aiohttp.ClientResponseError):
        status = f"HTTP status {exc.status} {exc.message}".rstrip()
        return status, f"mã trạng thái HTTP {exc.status} {exc.message}".rstrip()
    said = str(exc) or type(exc).__name__
    return said, said


class TsaError(TimestampRequestError):
    """The timestamping authority gave no timestamp; ``str()`` says which TSA and why.

    A ``TimestampRequestError`` (an ``OSError``), what pyHanko's own client raises, so that pyHanko passes it on
    unchanged. ``reached``: whether the TSA answered at all (down, or answering wrongly).
    """

    def __init__(self, url: str, problem: str, reached: bool = True, problem_vi: str | None = None) -> None:
        super().__init__(url, problem, reached, problem_vi)  # all of them, so that the exception pickles (Dask)
        self.url = url
        self.problem = problem
        self.reached = reached
        self.problem_vi = problem_vi or problem  # sohoa's words where it has them, else the TSA's or the library's

    def __str__(self) -> str:
        if not self.reached:
            return f"the timestamping authority at {self.url} could not be reached ({self.problem})"
        return f"the timestamping authority at {self.url} did not return a timestamp ({self.problem})"

    def vietnamese(self) -> str:
        if not self.reached:
            return f"không kết nối được máy chủ cấp dấu thời gian (TSA) {self.url} ({self.problem_vi})"
        return f"máy chủ cấp dấu thời gian (TSA) {self.url} không trả về dấu thời gian ({self.problem_vi})"


class _TimeStampResp(core.Sequence):
    """RFC 3161 ``TimeStampResp`` with the token OPTIONAL, as in the RFC: a refusal carries none."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _title(body: bytes) -> str:
    """The title of an HTML error page (what a proxy or a web server's error handler sends), else ''."""
    found = re.search(rb"<title[^>]*>(.*?)</title>", body[:4096], re.IGNORECASE | re.DOTALL)
    if not found:
        return ""
    text = " ".join(found.group(1).decode("utf-8", "replace").split())
    return f": {text[:100]!r}" if text else ""


def read_tsa_response(url: str, body: bytes) -> tsp.TimeStampResp:
    """The TSA's answer as pyHanko takes it, once it is known to be a granted RFC 3161 response with a token;
    otherwise a ``TsaError`` that says what it is instead (a refusal with the TSA's own status text)."""
    not_one = f"its answer, {len(body)} bytes, is not an RFC 3161 timestamp response"
    try:
        response = _TimeStampResp.load(body)
        status_info = response["status"]
        status = status_info["status"].native
        texts = status_info["status_string"].native or []
        failures = status_info["fail_info"].native or []
    except (ValueError, KeyError, TypeError) as exc:
        raise TsaError(
            url, not_one, problem_vi=f"câu trả lời, {len(body)} byte, không phải phản hồi dấu thời gian RFC 3161"
        ) from exc
    if status not in ("granted", "granted_with_mods"):
        said = "; ".join(str(t) for t in texts)  # the TSA's own words, when it gives any
        why = ", ".join(sorted(str(f) for f in failures))
        details = (f": {said!r}" if said else "") + (f"; {why}" if why else "")  # the TSA's words, as it gave them
        raise TsaError(
            url,
            f"it refused the request: status {status!r}{details}",
            problem_vi=f"máy chủ từ chối yêu cầu: trạng thái {status!r}{details}",
        )
    try:
        token = response["time_stamp_token"]
        if not isinstance(token, cms.ContentInfo) or token["content_type"].native != "signed_data":
            raise ValueError("no signed timestamp token")
        if not isinstance(token["content"]["encap_content_info"]["content"].parsed, tsp.TSTInfo):
            raise ValueError("no TSTInfo in the token")
    except (ValueError, KeyError, TypeError) as exc:
        raise TsaError(
            url,
            f"not a timestamp response: status {status!r} but {exc}",
            problem_vi=f"không phải phản hồi dấu thời gian: trạng thái {status!r} nhưng {exc}",
        ) from exc
    return tsp.TimeStampResp.load(body)


class TsaClient(HTTPTimeStamper):
    """pyHanko's HTTP timestamp client, saying which TSA failed and how (see the module's docstring).

    The request is made here rather than by pyHanko's client, which reads neither the status of an HTTP error
    nor the body of a wrong answer before it gives up; what is sent is the same (pyHanko's request, headers and
    Basic auth).
    """

    async def async_request_tsa_response(self, req: tsp.TimeStampReq) -> tsp.TimeStampResp:
        holder = LazySession()  # the certifi-backed session pyHanko uses; one per request, as pyHanko does
        try:
            async with holder.get_session().post(
                url=self.url,
                headers=await self.async_request_headers(),
                data=req.dump(),
                auth=self.auth,
                timeout=aiohttp.ClientTimeout(total=self.timeout),
            ) as response:
                body = await response.read()
                status, reason, content_type = response.status, response.reason or "", response.content_type
        except (aiohttp.ClientError, OSError) as exc:  # OSError: TimeoutError (asyncio's too) among them
            en, vi = http_failure_words(exc, self.timeout)
            raise TsaError(self.url, en, reached=False, problem_vi=vi) from exc
        finally:
            await holder.close()
        if not 200 <= status < 300:
            raise TsaError(
                self.url,
                f"HTTP status {status} {reason}".rstrip() + _title(body),
                problem_vi=f"mã trạng thái HTTP {status} {reason}".rstrip() + _title(body),
            )
        if content_type != TIMESTAMP_REPLY:
            raise TsaError(
                self.url,
                f"HTTP status {status}, but {content_type or 'no content type'} instead of a timestamp response, "
                f"{TIMESTAMP_REPLY}{_title(body)}",
                problem_vi=f"mã trạng thái HTTP {status}, nhưng là {content_type or 'không rõ loại nội dung'} thay "
                f"vì phản hồi dấu thời gian, {TIMESTAMP_REPLY}{_title(body)}",
            )
        return read_tsa_response(self.url, body)

    async def async_timestamp(self, message_digest: bytes, md_algorithm: str) -> cms.ContentInfo:
        try:
            token: cms.ContentInfo = await super().async_timestamp(message_digest, md_algorithm)
        except TsaError:
            raise
        except TimestampRequestError as exc:  # pyHanko's own checks of a granted answer (its nonce, its status)
            raise TsaError(
                self.url, f"its answer was not accepted: {exc}", problem_vi=f"câu trả lời không được chấp nhận: {exc}"
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:
            raise TsaError(
                self.url, f"not a timestamp response ({exc})", problem_vi=f"không phải phản hồi dấu thời gian ({exc})"
            ) from exc
        return token


def tsa_error_in(exc: BaseException) -> TsaError | None:
    """The ``TsaError`` that caused ``exc`` (itself, or up its chain of causes), if any."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, TsaError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


# -- OCSP responders and CRL servers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class FetchFailure:
    """An OCSP responder or CRL server (the URLs a certificate names) that gave no usable answer."""

    service: str  # "OCSP responder" | "CRL server"
    urls: tuple[str, ...]
    certificate: str  # the certificate whose revocation status was asked, by its common name
    problem: str
    reached: bool
    problem_vi: str = ""  # in Vietnamese where sohoa has the words (``http_failure_words``), else ``problem``

    def __str__(self) -> str:
        where = " / ".join(self.urls)
        what = "could not be reached" if not self.reached else "gave no usable answer"
        return f"the {self.service} at {where} (named in the certificate {self.certificate!r}) {what} ({self.problem})"

    def vietnamese(self) -> str:
        where = " / ".join(self.urls)
        service = "máy chủ OCSP" if self.service.startswith("OCSP") else "máy chủ CRL"
        what = "không kết nối được" if not self.reached else "không trả lời dùng được"
        return (
            f"{service} {where} (ghi trong chứng thư {self.certificate!r}) {what} ({self.problem_vi or self.problem})"
        )


@dataclass
class FetchFailures:
    """What the revocation fetchers of one validation context failed to get, for the error message."""

    items: list[FetchFailure] = field(default_factory=list)

    def add(self, failure: FetchFailure) -> None:
        if failure not in self.items:  # a failed fetch is cached and raised again at each later ask
            self.items.append(failure)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __str__(self) -> str:
        return "; ".join(str(f) for f in self.items)

    def vietnamese(self) -> str:
        return "; ".join(f.vietnamese() for f in self.items)


def _failure(
    service: str, urls: Iterable[str], cert: Any, exc: BaseException, timeout: float | None
) -> FetchFailure | None:
    """A ``FetchFailure`` from pyHanko's fetch error (whose cause is the aiohttp error, or the check of the answer
    that failed); None when the certificate names no such service (nothing was asked, nothing is down)."""
    urls = tuple(urls)
    if not urls:
        return None
    cause = exc.__cause__
    if isinstance(cause, aiohttp.ClientResponseError):
        en, vi = http_failure_words(cause)
        return FetchFailure(service, urls, common_name(cert), en, reached=True, problem_vi=vi)
    if isinstance(cause, (aiohttp.ClientError, OSError)):
        en, vi = http_failure_words(cause, timeout)
        return FetchFailure(service, urls, common_name(cert), en, reached=False, problem_vi=vi)
    detail = str(cause) if cause is not None else str(exc)
    return FetchFailure(service, urls, common_name(cert), detail or type(exc).__name__, reached=True)


class _OCSPFetcher(AIOHttpOCSPFetcher):
    def __init__(self, *args: Any, failures: FetchFailures, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    async def fetch(self, cert: Any, authority: Any) -> Any:
        try:
            return await super().fetch(cert, authority)
        except OCSPFetchError as exc:
            # every responder the certificate names failed (pyHanko raises the last one's error)
            found = _failure("OCSP responder", ocsp_urls(cert), cert, exc, self.per_request_timeout)
            if found is not None:
                self.failures.add(found)
            raise


class _CRLFetcher(AIOHttpCRLFetcher):
    def __init__(self, *args: Any, failures: FetchFailures, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.failures = failures

    async def fetch(self, cert: Any, *, use_deltas: bool = True) -> Any:
        try:
            return await super().fetch(cert, use_deltas=use_deltas)
        except CRLFetchError as exc:
            # every distribution point the certificate names failed (pyHanko raises the last one's error)
            found = _failure("CRL server", crl_urls(cert), cert, exc, self.per_request_timeout)
            if found is not None:
                self.failures.add(found)
            raise


class _RecordingBackend(AIOHttpFetcherBackend):
    """pyHanko's default fetchers (aiohttp, one session, its timeout and fetch limits), whose OCSP and CRL
    fetchers also note what they failed to fetch: pyHanko's "no revocation information could be found" does
    not say that a service was down, nor which."""

    def __init__(self, failures: FetchFailures) -> None:
        super().__init__()
        self.failures = failures

    def get_fetchers(self) -> Fetchers:
        # as AIOHttpFetcherBackend.get_fetchers, with the two recording fetchers
        timeout, budget = self.per_request_timeout, FetchBudget(self.limits)
        return Fetchers(
            ocsp_fetcher=_OCSPFetcher(self.session, per_request_timeout=timeout, budget=budget, failures=self.failures),
            crl_fetcher=_CRLFetcher(self.session, per_request_timeout=timeout, budget=budget, failures=self.failures),
            cert_fetcher=AIOHttpCertificateFetcher(self.session, per_request_timeout=timeout, budget=budget),
        )


def recording_fetcher_backend(failures: FetchFailures) -> OwnedFetcherBackend:
    """A fetcher backend for a ``ValidationContext`` that notes its failed OCSP/CRL fetches in ``failures``.
    Owned by the context, so that pyHanko closes its HTTP session at the end of the signing as with its own."""
    return OwnedFetcherBackend(_RecordingBackend(failures))
