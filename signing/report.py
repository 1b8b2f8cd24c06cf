"""Verification reports an auditor can read and file: plain text and one self-contained printable HTML page,
each in Vietnamese and English."""

from __future__ import annotations

import functools
import getpass
import hashlib
import html
import importlib.metadata
import os
import re
import socket
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from signing.identity import cert_names
from signing.verify import (
    ANNOTATIONS_NOT_JUDGED,
    LOOK_ALIKE_ROOT,
    NOT_PERMITTED,
    ONLY_DOCUMENT_TIMESTAMPS,
    REPLACED_PLACES,
    SELF_SIGNED,
    FileVerification,
    ReportHeader,
    ReportScope,
    SignatureVerdict,
    TrustAnchor,
    load_trust_root_files,
    pdfa_broken,
)
from signing.verify import SCHEMA_VERSION as SCHEMA_VERSION  # the header's models: with FileVerification's
from sohoa.vietnamese import iso_vn, size_said

INDICATION_VI = {
    "TOTAL_PASSED": "Hợp lệ",
    "INDETERMINATE": "Chưa xác định được",
    "TOTAL_FAILED": "Không hợp lệ",
}
REVOCATION_VI = {
    "good": "chưa bị thu hồi / not revoked",
    "revoked": "ĐÃ BỊ THU HỒI / REVOKED",
    "unknown": "không xác định / unknown",
    "not_checked": "chưa kiểm tra / not checked",
}
# RFC 5280 CRLReason (asn1crypto's names, the JSON's `reason`), in words
REVOCATION_REASON_VI = {
    "unspecified": ("không nêu lý do", "unspecified"),
    "key_compromise": ("khóa bị lộ", "key compromise"),
    "ca_compromise": ("khóa của CA bị lộ", "CA compromise"),
    "affiliation_changed": ("thay đổi đơn vị", "affiliation changed"),
    "superseded": ("đã được thay thế", "superseded"),
    "cessation_of_operation": ("ngừng hoạt động", "cessation of operation"),
    "certificate_hold": ("tạm dừng", "certificate hold"),
    "remove_from_crl": ("gỡ khỏi CRL", "removed from CRL"),
    "privilege_withdrawn": ("rút quyền", "privilege withdrawn"),
    "aa_compromise": ("khóa của AA bị lộ", "AA compromise"),
}
SOURCE_VI = {"timestamp": "dấu thời gian / timestamp", "claimed": "máy ký tự khai / claimed by the signer"}
UNTRUSTED_TIMESTAMP_VI = "dấu thời gian của đơn vị chưa được tin cậy / timestamp by an authority that is not trusted"
LEVEL_VI = {
    "PKCS7": "PKCS#7 (adbe.pkcs7.detached) — không phải PAdES / not PAdES",
    "DOC-TS": "dấu thời gian tài liệu / document timestamp",
}
# ETSI EN 319 102-1 sub-indications (those pyHanko reports), in words
SUB_INDICATION_VI = {
    "HASH_FAILURE": "nội dung đã bị thay đổi sau khi ký",
    "SIG_CRYPTO_FAILURE": "giá trị chữ ký không khớp",
    "REVOKED": "chứng thư đã bị thu hồi",
    "FORMAT_FAILURE": "sai định dạng hoặc bị sửa đổi không được phép",
    "NO_CERTIFICATE_CHAIN_FOUND": "không có chuỗi chứng thư đến gốc tin cậy",
    "CERTIFICATE_CHAIN_GENERAL_FAILURE": "lỗi chuỗi chứng thư",
    "TRY_LATER": "thiếu dữ liệu thu hồi còn hiệu lực, cần kiểm tra trực tuyến",
    "OUT_OF_BOUNDS_NO_POE": "chứng thư đã hết hạn, không có bằng chứng chữ ký có trước",
    "OUT_OF_BOUNDS_NOT_REVOKED": "chứng thư đã hết hạn (không bị thu hồi), không có bằng chứng chữ ký có trước",
    "REVOKED_NO_POE": "chứng thư đã bị thu hồi, không có bằng chứng chữ ký có trước",
    "EXPIRED": "chứng thư đã hết hạn",
    "NOT_YET_VALID": "chứng thư chưa có hiệu lực",
    "CHAIN_CONSTRAINTS_FAILURE": "chuỗi chứng thư vi phạm ràng buộc",
    "CRYPTO_CONSTRAINTS_FAILURE": "thuật toán không còn được chấp nhận",
    "SIG_CONSTRAINTS_FAILURE": "chữ ký vi phạm ràng buộc",
    "TIMESTAMP_ORDER_FAILURE": "thứ tự dấu thời gian không hợp lệ",
    "NO_POE": "không có bằng chứng chữ ký đã có vào thời điểm đó",
    "GENERIC": "không xác định được",
}
# A sub-indication about the signature timestamp rather than the signer (the VN files: the signer chains to VGCA,
# the first-generation TSA does not): said so, or it read as if the signer had no chain
TIMESTAMP_SUB_INDICATION = {
    "NO_CERTIFICATE_CHAIN_FOUND": (
        "chứng thư của đơn vị cấp dấu thời gian (TSA) không có chuỗi đến gốc tin cậy",
        "the TSA's certificate has no chain to a trusted root",
    ),
}
COVERAGE_VI = {
    "ENTIRE_FILE": "toàn bộ tệp / entire file",
    "ENTIRE_REVISION": "toàn bộ phiên bản đã ký, có phần thêm sau / the signed revision; more was added after",
    "CONTIGUOUS_BLOCK_FROM_START": "một phần đầu tệp / a block from the start of the file",
    "UNCLEAR": "KHÔNG RÕ / UNCLEAR",
}
MODIFICATION_VI = {
    "NONE": "không thay đổi sau khi ký / no change after signing",
    "LTA_UPDATES": "chỉ thêm dữ liệu kiểm tra dài hạn / only long-term validation data added",
    "FORM_FILLING": "điền biểu mẫu hoặc ký thêm / form filling or further signatures",
    "ANNOTATIONS": "thêm chú thích / annotations added",
    "OTHER": "THAY ĐỔI KHÁC / OTHER CHANGES",
}
REVOCATION_SOURCE_VI = {
    "DSS": "dữ liệu kèm trong tệp (DSS) / embedded in the file (DSS)",
    "online": "hỏi trực tuyến (OCSP/CRL) / fetched online (OCSP/CRL)",
    "none": "không có / none",
}
# DocMDP permissions (ISO 32000-1 12.8.2.2, /P 1–3) in words: the code alone told an auditor nothing
CERTIFICATION_VI = {
    "NO_CHANGES": ("không cho phép bất kỳ thay đổi nào sau khi ký", "no change at all allowed after signing"),
    "FILL_FORMS": (
        "chỉ cho phép điền biểu mẫu và ký thêm",
        "only form filling and further signatures allowed",
    ),
    "ANNOTATE": (
        "chỉ cho phép điền biểu mẫu, ký thêm và thêm chú thích",
        "only form filling, further signatures and annotations allowed",
    ),
}


def _not_permitted_vi(match: re.Match[str]) -> str:
    """The Vietnamese of a change after signing the signature does not permit (verify's ``_modification_words``)."""
    what = match["what"]
    said = "tài liệu bị sửa đổi sau khi ký theo cách chữ ký không cho phép"
    unexplained = "mà không thay đổi được phép nào giải thích được"
    allowed = re.search(r"which the signature's DocMDP permission \((?P<permission>\w+)\) does not allow$", what)
    forbids = (
        f"điều quyền DocMDP của chữ ký ({allowed['permission']}) không cho phép"
        if allowed
        else "điều chữ ký không cho phép"
    )
    if m := re.match(r"revision (?P<rev>\S+) replaced parts of the signed document \((?P<places>.*)\) that", what):
        places = "; ".join(REPLACED_PLACES.get(place, place) for place in m["places"].split("; "))
        return f"{said}: phiên bản {m['rev']} thay thế các phần của tài liệu đã ký ({places}) {unexplained}"
    if m := re.match(r"revision (?P<rev>\S+) added or changed (?P<count>\d+) object", what):
        return f"{said}: phiên bản {m['rev']} thêm hoặc sửa {m['count']} đối tượng {unexplained}"
    if m := re.match(r"form field\(s\) (?P<fields>.+) were filled or signed after it", what):
        return f"{said}: trường biểu mẫu {m['fields']} đã được điền hoặc ký sau khi ký, {forbids}"
    if what.startswith("form fields were filled"):
        return f"{said}: trường biểu mẫu đã được điền hoặc ký sau khi ký, {forbids}"
    if what.startswith("annotations were added"):
        return f"{said}: chú thích đã được thêm hoặc sửa sau khi ký, {forbids}"
    if what.startswith("the signature does not cover the whole file"):
        return f"{said}: chữ ký không bao phủ toàn bộ tệp và không phân tích được các thay đổi sau đó"
    return f"{said}: một phiên bản sau đó đã thay đổi tài liệu theo cách {unexplained.removeprefix('mà ')}"


# Warnings said whole in Vietnamese (their numbers and names kept): matched first; a function makes the words of
# a warning whose parts are themselves said in words
_WARNING_PATTERNS: tuple[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]], ...] = (
    (  # the count, the modification level and the revisions, as the English gives them (QA134 F5: the kind alone)
        re.compile(
            r"^(?P<count>\d+) revision\(s\) without a signature were added after this signature \(modification level "
            r"(?P<level>[^)]*)\): (?P<revisions>.*)$"
        ),
        lambda m: (
            f"{m['count']} phiên bản không có chữ ký được thêm sau chữ ký này (mức thay đổi {m['level']}): "
            + m["revisions"].replace("revision ", "phiên bản ")
        ),
    ),
    (re.compile(rf"^{re.escape(NOT_PERMITTED)}: (?P<what>.*)$"), _not_permitted_vi),
    (
        re.compile(rf"^the certificate (?P<cert>.+) {re.escape(LOOK_ALIKE_ROOT)} \((?P<root>.+)\): not issued by it$"),
        "chứng thư {cert} ghi một gốc tin cậy ({root}) là tổ chức cấp, nhưng khóa của gốc đó không xác minh được nó: "
        "không do gốc đó cấp (một CA mang tên giống gốc tin cậy)",
    ),
    (
        re.compile(rf"^{re.escape(ANNOTATIONS_NOT_JUDGED)}:"),
        "không đánh giá được thay đổi sau chữ ký chứng nhận này, loại cho phép thêm chú thích (DocMDP mức 3): "
        "phần phân tích thay đổi của pyHanko không được thiết kế cho mức đó",
    ),
    (
        re.compile(r"^PDF/A rule 6\.1\.2: the catalogue says PDF 2\.0 only because a signature declared"),
        "quy tắc PDF/A 6.1.2: tệp ghi PDF 2.0 chỉ vì chữ ký khai báo phần mở rộng ISO/TS 32002 (pyHanko làm vậy với "
        "khóa ECDSA; chức năng ký của sohoa làm vậy đến 30/11/2026): các trang vẫn như khi lưu trữ, chữ ký không bị "
        "ảnh hưởng; không thể sửa tệp đã ký mà không làm hỏng chữ ký",
    ),
    (
        re.compile(r"^revocation not checked: the signer's certificate names revocation services \((?P<services>.*)\)"),
        "chưa kiểm tra thu hồi: chứng thư người ký nêu dịch vụ thu hồi ({services}) nhưng tệp không kèm câu trả lời "
        "của chúng; hãy xác minh với --online, hoặc ký ở mức B-LT/B-LTA",
    ),
    (
        re.compile(
            r"^the revocation data this file embeds for (?P<by>.+) was current until "
            r"(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})"
        ),
        "dữ liệu thu hồi kèm trong tệp cho {by} chỉ còn hiệu lực đến {d}/{m}/{y}; khi kiểm tra ngoại tuyến không loại "
        "trừ được việc thu hồi sau ngày đó: hãy xác minh với --online (hỏi dịch vụ OCSP/CRL của CA ngay lúc đó)",
    ),
    (
        re.compile(
            r"^certificate problem: CHAIN_CONSTRAINTS_FAILURE — the signer's certificate's key usage \((?P<has>.*)\) "
            r"does not allow signing documents \((?P<needs>.*) needed\)"
        ),
        "vấn đề chứng thư: mục đích sử dụng khóa của chứng thư người ký ({has}) không cho phép ký tài liệu (cần "
        "{needs})",
    ),
    (
        re.compile(rf"^certificate problem: (?P<code>\w+) — {re.escape(SELF_SIGNED)}"),
        "vấn đề chứng thư: chứng thư của người ký là chứng thư tự ký (không do CA nào cấp): chỉ có thể tin cậy khi "
        "chính chứng thư đó được chỉ định làm gốc tin cậy (--trust)",
    ),
    (
        re.compile(
            r"^certificate problem: (?P<code>\w+) — the signer's certificate had expired when it signed: it expired "
            r"at (?P<expired>\S+), and the trusted signature timestamp proves the signature was made at "
            r"(?P<signed>\S+), (?P<days>\d+) day"
        ),
        "vấn đề chứng thư: chứng thư của người ký đã hết hạn khi ký: hết hạn lúc {expired}, và dấu thời gian tin cậy "
        "của chữ ký chứng minh chữ ký được tạo lúc {signed}, {days} ngày sau đó",
    ),
    (
        re.compile(r"^--at (?P<at>\S+) is before the signing time (?P<signed>\S+):"),
        "thời điểm kiểm tra --at {at} trước thời điểm ký {signed}: khi đó chữ ký chưa tồn tại, nên không thể coi là "
        "hợp lệ vào lúc đó",
    ),
    (
        re.compile(rf"^{re.escape(ONLY_DOCUMENT_TIMESTAMPS)} \((?P<count>\d+)\)"),
        "không có chữ ký nào, chỉ có {count} dấu thời gian tài liệu: dấu thời gian tài liệu chỉ chứng minh được nội "
        "dung đã tồn tại vào thời điểm nó ghi, và không phê duyệt điều gì (tệp không đạt)",
    ),
    (
        re.compile(r"^no trust roots configured"),
        "chưa cấu hình gốc tin cậy nào: không người ký nào có thể được tin cậy",
    ),
    (re.compile(r"^trust root (?P<path>.+) does not exist$"), "gốc tin cậy {path} không tồn tại"),
    (
        re.compile(r"^trust root (?P<path>.+) skipped: not a readable certificate"),
        "bỏ qua gốc tin cậy {path}: không đọc được chứng thư",
    ),
    (
        re.compile(r"^(?P<count>\d+) content stream\(s\) are in the file but not shown by it"),
        "tệp chứa {count} luồng nội dung không được hiển thị: nội dung ẩn mà một thay đổi về sau có thể làm hiện ra "
        "(chuẩn bị tấn công shadow?)",
    ),
)
# The warnings verify_pdf gives, by the words they start with or contain: (words, meaning in Vietnamese)
_WARNING_WORDS: tuple[tuple[str, str], ...] = (
    ("certificate problem:", "vấn đề chứng thư"),
    ("the signature timestamp could not be validated", "không xác minh được dấu thời gian của chữ ký"),
    ("the signer does not chain", "người ký không thuộc gốc tin cậy nào đã cấu hình"),
    ("the signed content was changed", "nội dung đã bị thay đổi sau khi ký"),
    ("the signature value does not verify", "giá trị chữ ký không khớp"),
    ("the signer certificate is revoked", "chứng thư người ký đã bị thu hồi"),
    ("the document was modified after signing", "tài liệu bị sửa đổi sau khi ký theo cách chữ ký không cho phép"),
    ("revocation not checked", "chưa kiểm tra thu hồi: tệp không kèm câu trả lời OCSP/CRL"),
    ("the revocation data this file embeds", "dữ liệu thu hồi kèm trong tệp đã hết hiệu lực"),
    ("signed with the DEVELOPMENT ONLY identity", "ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý"),
    ("is before the signing time", "thời điểm kiểm tra trước thời điểm ký"),
    ("the signed attributes are not in DER order", "thuộc tính ký không theo thứ tự DER"),
    ("encrypted with an empty user password", "tệp được mã hóa với mật khẩu người dùng rỗng, đã mở không cần mật khẩu"),
    ("name attribute whose length breaks", "chứng thư có thuộc tính tên dài hoặc ngắn sai giới hạn RFC 5280"),
    ("serial number that is not positive", "chứng thư có số sê-ri không dương, RFC 5280 không cho phép"),
    ("could not be analysed", "không phân tích được các thay đổi sau khi ký"),
    ("signature could not be validated", "không xác minh được chữ ký"),
    ("revision(s) without a signature were added", "có phiên bản thêm sau chữ ký mà không có chữ ký"),
    (
        "a document timestamp after it proving its time only",
        "có nội dung thêm sau chữ ký cuối, không chữ ký nào bảo vệ; dấu thời gian tài liệu sau đó chỉ chứng minh thời "
        "điểm, không chấp thuận nội dung (tệp không đạt)",
    ),
    (
        "revision(s) after the last signature",
        "có nội dung thêm sau chữ ký cuối, không chữ ký nào bảo vệ (tệp không đạt)",
    ),
    (
        "bytes beyond the end of its last revision",
        "có dữ liệu thêm sau chữ ký hoặc dấu thời gian cuối, không chữ ký nào bảo vệ (tệp không đạt)",
    ),
    ("nothing references", "có nội dung ẩn trong tệp (chuẩn bị tấn công shadow)"),
    ("structural errors", "tệp PDF có lỗi cấu trúc, đã đọc ở chế độ dung thứ"),
    ("PDF/A", "vi phạm quy tắc PDF/A"),
)


def warning_in_vietnamese(warning: str) -> str:
    """``vi / en`` for a verification warning: what kind it is in Vietnamese, then the English line itself (which
    names the certificate, revision or rule exactly); on one line, whatever a library's message in it holds."""
    return _one_line(_warning_in_vietnamese(warning))


def _one_line(text: str) -> str:
    """``text`` with its line breaks as spaces: a report's lines are its own (QA92: a library's message over three
    lines put its continuation lines at the text report's first column, where a file's heading is)."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text)


def _warning_in_vietnamese(warning: str) -> str:
    for pattern, vietnamese in _WARNING_PATTERNS:
        if match := pattern.search(warning):
            said = vietnamese(match) if callable(vietnamese) else vietnamese.format(**match.groupdict())
            return f"{said} / {warning}"
    for words, meaning in _WARNING_WORDS:
        if words in warning:
            if words == "certificate problem:":
                code = warning.split(":", 1)[1].strip()
                meaning = f"{meaning}: {SUB_INDICATION_VI.get(code, code)}"
            return f"{meaning} / {warning}"
    return warning


KIND_VI = {
    "signature": "chữ ký / signature",
    "document_timestamp": "dấu thời gian tài liệu / document timestamp",
    "dss": "dữ liệu kiểm tra dài hạn (DSS) / long-term validation data (DSS)",
    "other": "THAY ĐỔI KHÁC / OTHER CHANGE",
}


def _when(value: datetime | None) -> str:
    return iso_vn(value) if value is not None else "—"


def indication_words(sig: SignatureVerdict) -> str:
    """``Không hợp lệ / TOTAL_FAILED (nội dung đã bị thay đổi sau khi ký / HASH_FAILURE)``; a sub-indication about
    the signature timestamp says so (``dấu thời gian của chữ ký: … / signature timestamp: … — CODE``)."""
    sub = sig.sub_indication
    words = f"{INDICATION_VI[sig.indication]} / {sig.indication}"
    if not sub:
        return words
    if sig.sub_indication_of == "signature_timestamp":
        vi, en = TIMESTAMP_SUB_INDICATION.get(sub, (SUB_INDICATION_VI.get(sub, sub), sub))
        detail = f" — {sub}" if en != sub else ""
        return f"{words} (dấu thời gian của chữ ký: {vi} / signature timestamp: {en}{detail})"
    if sig.sub_indication_of == "signer":
        return f"{words} (người ký: {SUB_INDICATION_VI.get(sub, sub)} / signer: {sub})"
    return f"{words} ({SUB_INDICATION_VI.get(sub, sub)} / {sub})"


def _byte_range_words(sig: SignatureVerdict) -> str:
    words = f"{sig.byte_range} — {COVERAGE_VI.get(sig.coverage, sig.coverage)}"
    if not sig.intact and sig.sub_indication == "HASH_FAILURE":
        # the range may well cover the whole file: what it covers no longer hashes to what was signed
        return words + "; NỘI DUNG ĐÃ KÝ ĐÃ BỊ THAY ĐỔI / THE SIGNED BYTES WERE CHANGED (digest mismatch)"
    if sig.modification_level:
        return words + f"; {MODIFICATION_VI.get(sig.modification_level, sig.modification_level)}"
    return words


def error_label(result: FileVerification, heading: bool = False) -> str:
    """What a report calls ``error_words``: why the file has no verdict, or, for a file that failed without a
    signature verdict (an archived file whose record does not hold: ``damaged_record``), why it failed.
    ``heading``: capitalised."""
    if result.damaged_record:
        return "Lý do không đạt / Why it failed" if heading else "lý do không đạt / why it failed"
    return "Lỗi / Error" if heading else "lỗi / error"


def error_words(result: FileVerification) -> str:
    """``vi / en`` for why a file has no verdict, with what the PDF library said in parentheses."""
    if not result.error:
        return ""
    words = f"{result.error_vi} / {result.error}" if result.error_vi else result.error
    return _one_line(words + (f" (chi tiết / detail: {result.error_detail})" if result.error_detail else ""))


def certification_words(code: str) -> str:
    """``chỉ cho phép điền biểu mẫu và ký thêm / only form filling and further signatures allowed (FILL_FORMS)``."""
    vi, en = CERTIFICATION_VI.get(code, (code, code))
    return f"{vi} / {en} ({code})" if en != code else code


def _yes(value: bool) -> str:
    return "có / yes" if value else "KHÔNG / NO"


def checks_words(sig: SignatureVerdict) -> str:
    """The three checks behind an indication, each said (the JSON's ``intact``, ``valid``, ``trusted``; QA58: the
    text and HTML reports gave only the indication): ``nội dung nguyên vẹn / intact: có / yes; …``."""
    # pyHanko calls no signer trusted whose signed bytes changed or whose signature value does not verify, whatever
    # its chain (``trusted`` needs intact and valid; the JSON's ``trust_judged`` false): "signer trusted: NO" beside
    # a changed file read as a second fault, an untrusted signer (QA65)
    if sig.trust_judged:
        trusted = _yes(sig.trusted)
    elif sig.intact:
        trusted = "không xét vì giá trị chữ ký không đúng / not judged: the signature value does not verify"
    elif not sig.valid and sig.sub_indication == "FORMAT_FAILURE":  # not validated at all: its warning says why
        trusted = "không xét vì không kiểm tra được chữ ký / not judged: the signature could not be checked"
    else:
        trusted = "không xét vì nội dung đã bị thay đổi / not judged: the signed content was changed"
    return (
        f"nội dung nguyên vẹn / intact: {_yes(sig.intact)}; "
        f"giá trị chữ ký đúng / signature valid: {_yes(sig.valid)}; "
        f"người ký được tin cậy / signer trusted: {trusted}"
    )


def revocation_reason_words(reason: str) -> str:
    """``khóa bị lộ / key compromise (key_compromise)``: a CRLReason in words, the code kept."""
    vi, en = REVOCATION_REASON_VI.get(reason, (reason, reason))
    return f"{vi} / {en} ({reason})" if en != reason else reason


def revocation_words(sig: SignatureVerdict) -> str:
    """The revocation row: status, source, when the evidence was produced, and for a revoked certificate when and
    why (QA65: a revoked signer checked online said "checked at —" and no reason, which the JSON had)."""
    revocation = sig.revocation
    words = (
        f"{REVOCATION_VI[revocation.status]}; "
        f"nguồn / source: {REVOCATION_SOURCE_VI.get(revocation.source, revocation.source)}; "
        f"kiểm tra lúc / checked at {_when(revocation.checked_at)}"
    )
    if revocation.revoked_at:
        words += f"; thu hồi lúc / revoked at {_when(revocation.revoked_at)}"
    if revocation.reason:
        words += f"; lý do / reason: {revocation_reason_words(revocation.reason)}"
    return words


def _now_words(generated_at: datetime | None) -> str:
    """ "Validated as of" now: the report's time, not the bare word (QA65), when there is a report header."""
    if generated_at is None:
        return "bây giờ / now"
    return f"{iso_vn(generated_at)} (bây giờ, lúc lập báo cáo / now, when the report was made)"


def _sig_rows(sig: SignatureVerdict, generated_at: datetime | None = None) -> list[tuple[str, str]]:
    source = SOURCE_VI[sig.signing_time_source]
    if sig.signing_time_source == "timestamp" and sig.timestamp_trusted is False:
        source = UNTRUSTED_TIMESTAMP_VI
    rows = [
        ("Kết quả / Indication", indication_words(sig)),
        ("Toàn vẹn, hợp lệ, tin cậy / Intact, valid, trusted", checks_words(sig)),
        ("Người ký / Signer", sig.signer or "—"),
        ("Tổ chức cấp / Issuer", sig.issuer or "—"),
        ("Thời điểm ký / Signing time", f"{_when(sig.signing_time)} ({source})"),
        ("Mức PAdES / PAdES level", LEVEL_VI.get(sig.level, sig.level)),
        ("Dấu thời gian bởi / Timestamp authority", sig.timestamp_authority or "—"),
        ("Tình trạng thu hồi / Revocation", revocation_words(sig)),
        ("Gốc tin cậy / Trust anchor", sig.trust_anchor or "—"),
        (
            "Xác minh tại thời điểm / Validated as of",
            _when(sig.validation_time) if sig.validation_time else _now_words(generated_at),
        ),
        ("Phạm vi ký / Byte range", _byte_range_words(sig)),
    ]
    if sig.certification:
        rows.append(("Chữ ký chứng thực / Certification (DocMDP)", certification_words(sig.certification)))
    if sig.changed_form_fields:
        rows.append(("Trường biểu mẫu bị thay đổi / Form fields changed", ", ".join(sig.changed_form_fields)))
    if sig.revisions_after:
        rows.append(
            (
                "Phiên bản thêm sau / Revisions added after",
                "; ".join(f"#{r.revision} {KIND_VI[r.kind]}: {_changes_words(r.changes)}" for r in sig.revisions_after),
            )
        )
    return rows


# what a revision added, in Vietnamese beside the English (QA65: "2 object, 7 stream" in English only); the PDF's own
# type names (Catalog, Annot, DSS …) are the same in both
_CHANGE_WORDS_VI = {"no objects": "không có đối tượng", "object": "đối tượng", "stream": "luồng dữ liệu"}


def _changes_words(changes: str) -> str:
    said = re.sub(r"\b(no objects|object|stream)\b", lambda m: _CHANGE_WORDS_VI[m.group(1)], changes)
    return changes if said == changes else f"{said} / {changes}"


def pdfa_summary(result: FileVerification) -> str | None:
    """One line on the PDF/A claim of the signed file, in Vietnamese and English (None when nothing is claimed)."""
    if result.pdfa is None:
        return None
    if not result.pdfa.startswith(("2", "3")):
        return f"PDF/A-{result.pdfa}: không kiểm tra / not checked (only PDF/A-2 and -3 rules are)"
    if broken := len(pdfa_broken(result)):
        return f"PDF/A-{result.pdfa}: vi phạm {broken} quy tắc / {broken} rule(s) broken"
    if result.pdfa_problems:  # only the signature's PDF 2.0 declaration, which the warning says for what it is
        return (
            f"PDF/A-{result.pdfa}: đạt các quy tắc đã kiểm tra, trừ khai báo PDF 2.0 của chữ ký (xem cảnh báo) / "
            "passes the rules checked except the signature's PDF 2.0 declaration (see the warning)"
        )
    return f"PDF/A-{result.pdfa}: đạt các quy tắc đã kiểm tra / passes the rules checked"


FileClass = Literal["passed", "failed", "indeterminate", "error"]
CLASSES: tuple[FileClass, ...] = ("passed", "failed", "indeterminate", "error")
CLASS_WORDS: dict[FileClass, str] = {
    "passed": "đạt / passed",
    "failed": "không đạt / failed",
    "indeterminate": "chưa xác định được / indeterminate",
    "error": "lỗi, không có kết quả / error, no verdict",
}


def file_class(result: FileVerification) -> FileClass:
    """``error`` (no verdict), ``passed`` (every signature TOTAL_PASSED), ``failed`` (a signature TOTAL_FAILED,
    bytes after the last revision, or an archived file whose record does not hold), else ``indeterminate``."""
    if result.damaged_record:  # the archive is not intact: for an auditor that is a verdict, not a missing one
        return "failed"
    if result.error is not None:
        return "error"
    if result.passed:
        return "passed"
    if any(s.indication == "TOTAL_FAILED" for s in [*result.signatures, *result.document_timestamps]):
        return "failed"
    if result.content_after_last_revision:  # bytes no signature covers: the file is not the signed one
        return "failed"
    return "indeterminate"


def display_path(path: str) -> str:
    """A path as a report shows it: NFC. Names written decomposed (NFD: macOS, some scanners' shares) were shown
    so, and a name typed composed was not found by searching the HTML; the JSON keeps the file system's spelling."""
    return unicodedata.normalize("NFC", path)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportCounts(_Model):
    total: int
    passed: int
    failed: int
    indeterminate: int
    error: int


def scope_words(scope: ReportScope) -> str:
    """``toàn bộ kho lưu trữ / the whole archive /srv/sohoa/archive``, ``tệp đã lưu trữ / the archived file
    2025/CV/…/document.pdf (kho / archive /srv/sohoa/archive)``, …"""
    if scope.kind == "archive":
        return f"toàn bộ kho lưu trữ / the whole archive {display_path(scope.archive or '')}"
    if scope.kind == "archive_part":
        return (
            f"các hồ sơ trong / the records under {display_path(scope.under or '')} "
            f"(kho / archive {display_path(scope.archive or '')})"
        )
    if scope.kind == "archive_file":  # a record's document.pdf: a file, not a folder of records (QA66)
        return (
            f"tệp đã lưu trữ / the archived file {display_path(scope.key or '')} "
            f"(kho / archive {display_path(scope.archive or '')})"
        )
    return f"{scope.files} tệp đã cho / file(s) given"


def trust_anchors(sources: list[Path]) -> tuple[list[TrustAnchor], list[str]]:
    """The certificates ``sources`` hold (each once, by fingerprint) and the warnings for those that hold none."""
    loaded, warnings = load_trust_root_files(sources)
    anchors: dict[str, TrustAnchor] = {}
    for file, cert in loaded:
        fingerprint = hashlib.sha256(cert.dump()).hexdigest()
        if fingerprint not in anchors:
            anchors[fingerprint] = TrustAnchor(subject=cert_names(cert)[0], sha256=fingerprint, file=str(file))
    return list(anchors.values()), warnings


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name and no passwd entry (a container's arbitrary uid)
        return f"uid {os.getuid()}"


@functools.cache
def _build() -> str:
    """``sohoa --version``'s words (one git call per process: the pipeline makes a header per document)."""
    from sohoa import version_said

    return version_said()


def report_header(
    sources: list[Path],
    *,
    online: bool = False,
    as_of: datetime | None = None,
    now: datetime | None = None,
    scope: list[ReportScope] | None = None,
    checked: str | None = None,
) -> ReportHeader:
    """The header of a report verified against the roots in ``sources``, made now."""
    from sohoa import __version__

    anchors, warnings = trust_anchors(sources)
    return ReportHeader(
        generated_at=now or datetime.now(UTC),
        version=__version__,
        build=_build(),
        pyhanko_version=importlib.metadata.version("pyhanko"),
        operator=_operator(),
        host=socket.gethostname(),
        online=online,
        as_of=as_of,
        trust_anchors=anchors,
        trust_warnings=warnings,
        scope=scope or [],
        checked=checked,
    )


def report_counts(results: list[FileVerification]) -> ReportCounts:
    classes = [file_class(r) for r in results]
    return ReportCounts(
        total=len(results),
        passed=classes.count("passed"),
        failed=classes.count("failed"),
        indeterminate=classes.count("indeterminate"),
        error=classes.count("error"),
    )


def counts_words(counts: ReportCounts) -> str:
    """``đạt / passed 298; không đạt / failed 1; …``: the totals by class."""
    return "; ".join(f"{CLASS_WORDS[c]} {getattr(counts, c)}" for c in CLASSES)


def fingerprint_words(sha256: str) -> str:
    """``AB:CD:…``: how `openssl x509 -fingerprint -sha256` and certificate viewers show it, to compare."""
    return ":".join(sha256[i : i + 2] for i in range(0, len(sha256), 2)).upper()


def _file_facts(result: FileVerification) -> str:
    if result.sha256 is None and (result.error or "").startswith("cannot read"):
        return "SHA-256: — (không đọc được tệp / the file could not be read)"
    if result.sha256 is None:
        # an archived file not verified (missing, its record not to be relied on, part of no record): QA58, "could
        # not be read" was said of files that were there and readable
        return "SHA-256: — (tệp không được xác minh / the file was not verified)"
    size = size_said(result.size) if result.size is not None else "—"
    return f"SHA-256: {result.sha256}; kích thước / size: {size}"


def header_lines(header: ReportHeader) -> list[tuple[str, str]]:
    """The filing facts as (label, value), each label in Vietnamese and English: the text, HTML and markdown
    reports of `verify` and of the audit."""
    lines = [
        ("Lập lúc / Generated at", iso_vn(header.generated_at)),
        ("Công cụ / Tool", f"{header.build or 'sohoa ' + header.version} (pyHanko {header.pyhanko_version})"),
        ("Người thực hiện / Run by", f"{header.operator}@{header.host}"),
    ]
    if header.scope:  # QA65: a report of `verify --archive` named neither the archive nor what was asked
        lines.append(("Phạm vi / Scope", "; ".join(map(scope_words, header.scope))))
    if header.checked:
        lines.append(("Đã kiểm tra / Checked", header.checked))
    lines += [
        (
            "Xác minh tại thời điểm / Validated as of",
            iso_vn(header.as_of) if header.as_of else _now_words(header.generated_at),
        ),
        (
            "Kiểm tra thu hồi / Revocation checked",
            "trực tuyến (OCSP/CRL) / online (OCSP/CRL)"
            if header.online
            else "chỉ từ dữ liệu kèm trong tệp / only from the data the files embed",
        ),
    ]
    return lines


# what to configure when no trust anchor was loaded: said where the reports say "none"
NO_ANCHOR_HINT = (
    "không có gốc tin cậy nào: không người ký nào được tin cậy, mọi chữ ký chỉ 'chưa xác định được'; hãy cấu hình "
    "SOHOA_TRUST_ROOTS (tệp/thư mục chứng thư gốc) hoặc SOHOA_TRUST_STORES (sohoa keys install-trust-store) / "
    "none: no signer can be trusted, every signature is at best INDETERMINATE; configure SOHOA_TRUST_ROOTS (root "
    "certificate files or folders) or SOHOA_TRUST_STORES (sohoa keys install-trust-store)"
)


def header_text(header: ReportHeader, title: str) -> list[str]:
    """The filing facts and the trust anchors as text lines, under ``title`` (`verify --text`, the audit)."""
    lines = [title]
    lines.extend(f"{label}: {value}" for label, value in header_lines(header))
    lines.append(f"Gốc tin cậy đã nạp / Trust anchors loaded: {len(header.trust_anchors) or NO_ANCHOR_HINT}")
    for anchor in header.trust_anchors:
        lines.append(f"  {anchor.subject}")
        lines.append(f"    SHA-256 {fingerprint_words(anchor.sha256)}")
        lines.append(f"    tệp / file: {display_path(anchor.file)}")
    lines.extend(f"  cảnh báo / warning: {warning_in_vietnamese(w)}" for w in header.trust_warnings)
    return lines


def header_html(header: ReportHeader) -> list[str]:
    """The filing facts as HTML table rows (`verify --html`, `audit --html`)."""
    e = html.escape
    return [f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>" for label, value in header_lines(header)]


def anchors_html(header: ReportHeader) -> list[str]:
    """The trust anchors' section, HTML: each by subject, fingerprint and file, or none said plainly."""
    e = html.escape
    parts = [f"<h2>Gốc tin cậy đã nạp / Trust anchors loaded ({len(header.trust_anchors)})</h2>"]
    if header.trust_anchors:
        parts.append("<table class='list'><tr><th>Chủ thể / Subject</th><th>SHA-256</th><th>Tệp / File</th></tr>")
        for anchor in header.trust_anchors:
            parts.append(
                f"<tr><td>{e(anchor.subject)}</td><td class='hash'>{e(fingerprint_words(anchor.sha256))}</td>"
                f"<td>{e(display_path(anchor.file))}</td></tr>"
            )
        parts.append("</table>")
    else:
        parts.append(f"<p class='bad'>{e(NO_ANCHOR_HINT)}</p>")
    for w in header.trust_warnings:
        parts.append(f"<p class='warn'>Cảnh báo / Warning: {e(warning_in_vietnamese(w))}</p>")
    return parts


def render_text(results: list[FileVerification], header: ReportHeader | None = None) -> str:
    """The plain-text report; with ``header``, the filing facts first (time, tool, operator, trust anchors)."""
    lines: list[str] = []
    generated_at = header.generated_at if header is not None else None
    if header is not None:
        lines += header_text(header, "Báo cáo kiểm tra chữ ký số / Digital signature verification report")
        lines.append("")
    for result in results:
        mark = passed_mark(result) if result.passed else "KHÔNG ĐẠT / NOT PASSED"
        kind = file_class(result)
        lines.append(f"{display_path(result.path)}: {mark}" + (f" — {CLASS_WORDS[kind]}" if kind != "passed" else ""))
        if result.sha256 is not None or header is not None:
            lines.append(f"  {_file_facts(result)}")
        if result.error:
            lines.append(f"  {error_label(result)}: {error_words(result)}")
        for sig in [*result.signatures, *result.document_timestamps]:
            lines.append(f"  [{sig.field_name}]")
            lines.extend(f"    {label}: {value}" for label, value in _sig_rows(sig, generated_at))
            lines.extend(f"    cảnh báo / warning: {warning_in_vietnamese(w)}" for w in sig.warnings)
            lines.extend(f"    ghi chú / note: {note}" for note in sig.notes)
        if (pdfa := pdfa_summary(result)) is not None:
            lines.append(f"  {pdfa}")
        lines.extend(f"  cảnh báo / warning: {warning_in_vietnamese(w)}" for w in result.warnings)
    passed = sum(r.passed for r in results)
    lines.append(f"Tổng / Total: {passed}/{len(results)} tệp đạt / files passed")
    lines.append(f"Theo loại / By class: {counts_words(report_counts(results))}")
    if said := development_identity_said(results):
        lines.append(said)
    return "\n".join(lines) + "\n"


# a file that passes signed with the development identity: passed, as its signatures are valid, but said so on its
# verdict's line (QA134 F4: "ĐẠT / PASSED", the warning only in each signature's details)
PASSED_DEVELOPMENT = (
    "ĐẠT, nhưng ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý / PASSED, but signed with the DEVELOPMENT ONLY "
    "identity: no legal value"
)


def passed_mark(result: FileVerification) -> str:
    """The verdict's words for a file that passes."""
    return PASSED_DEVELOPMENT if result.development_identity else "ĐẠT / PASSED"


def development_identity_said(results: list[FileVerification]) -> str | None:
    """The reports' line under their totals when files were signed with the development identity, or None."""
    count = sum(r.development_identity for r in results)
    if not count:
        return None
    return (
        f"Cảnh báo / Warning: {count}/{len(results)} tệp ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý; khi dùng "
        f"thật hãy ký bằng khóa PKCS#12 hoặc PKCS#11 / file(s) signed with the DEVELOPMENT ONLY identity: no legal "
        "value; sign with a PKCS#12 or PKCS#11 identity for real use"
    )


_CSS = """
body{font-family:"Liberation Serif","Times New Roman",serif;font-size:11pt;margin:2cm;color:#000}
h1{font-size:16pt} h2{font-size:13pt;margin-top:1.4em;border-bottom:1px solid #444}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em} td,th{border:1px solid #888;padding:3px 6px;
vertical-align:top;text-align:left} th{width:32%;background:#f0f0f0}
table.list th{width:auto} .hash{font-family:"Liberation Mono",monospace;font-size:8pt;word-break:break-all}
td.n{text-align:right}
.ok{color:#060;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850}
caption{text-align:left;font-weight:bold}
@media print{body{margin:1cm} a{color:#000;text-decoration:none}
div.head{break-inside:avoid;page-break-inside:avoid}
div.head,h2,p.hash,caption{break-after:avoid;page-break-after:avoid} table{break-inside:avoid;page-break-inside:avoid}
table.list{break-inside:auto;page-break-inside:auto} tr{break-inside:avoid;page-break-inside:avoid}}
"""
# print (a browser's "Save as PDF", WeasyPrint): a file's heading with its SHA-256 line and error (one block,
# div.head, never split) and a signature's caption stay with what follows them (QA58: the heading and "Signature1"
# were left at the foot of a page, their table on the next); a signature's table is not split when it fits a
# page, and none of its rows ever is

# What makes an HTML page one of sohoa's reports, the only kind `verify --html` and `audit --html` write over
# (QA66: any page beginning <!DOCTYPE html> was replaced, an auditor's notes included): a generator <meta> in its
# head, written into every report since 2026-12-02 …
GENERATOR_META = "<meta name='generator' content='sohoa {version}'>"
_GENERATOR = re.compile(rb"""<meta\s+name\s*=\s*(["'])generator\1\s+content\s*=\s*(["'])sohoa[\s"']""", re.I)
# … and, before that, the exact opening both reports had from their first version (2026-11-28, the audit's
# 2026-12-02), so that a job writing to the same name each night still replaces the report it wrote the night
# before an upgrade
_EARLIER_OPENINGS = tuple(
    f"<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'><title>{title}</title>".encode()
    for title in (
        "Báo cáo kiểm tra chữ ký số / Digital signature verification report",
        "Báo cáo kiểm tra kho lưu trữ / Archive audit report",
    )
)


def html_head(title: str, css: str) -> str:
    """The opening of an HTML report of sohoa's, up to ``<body>``: its charset, its generator mark (what lets a
    later run tell it from a page that is not a report), its title and its stylesheet."""
    from sohoa import __version__

    return (
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>"
        + GENERATOR_META.format(version=html.escape(__version__, quote=True))
        + f"<title>{title}</title><style>{css}</style></head><body>"
    )


def is_sohoa_report(head: bytes) -> bool:
    """Whether a file beginning with ``head`` (its first few KiB) is an HTML report sohoa wrote: the generator mark
    in its ``<head>``, or the exact opening of the reports written before the mark was."""
    if head.startswith(_EARLIER_OPENINGS):
        return True
    if not head.lstrip().lower().startswith(b"<!doctype html"):
        return False
    end = head.lower().find(b"</head>")
    return _GENERATOR.search(head if end < 0 else head[:end]) is not None


_CLASS_CSS: dict[FileClass, str] = {"passed": "ok", "failed": "bad", "indeterminate": "warn", "error": "bad"}


def render_html(results: list[FileVerification], header: ReportHeader) -> str:
    """One self-contained printable page: the filing facts, the trust anchors, a summary table of the files with
    the totals by class (each row links to the file's section), then each file's signatures."""
    e = html.escape
    counts = report_counts(results)
    parts = [
        html_head("Báo cáo kiểm tra chữ ký số / Digital signature verification report", _CSS),
        "<h1>Báo cáo kiểm tra chữ ký số<br>Digital signature verification report</h1>",
        "<table>",
        *header_html(header),
        f"<tr><th>Kết quả / Result</th><td>{sum(r.passed for r in results)}/{len(results)} tệp đạt / files passed"
        f"<br>{e(counts_words(counts))}"
        + (f"<br><span class='warn'>{e(said)}</span>" if (said := development_identity_said(results)) else "")
        + "</td></tr>",
        "</table>",
        *anchors_html(header),
    ]
    parts.append("<h2>Tóm tắt / Summary</h2><table class='list'><tr><th>Loại / Class</th><th>Số tệp / Files</th></tr>")
    for kind in CLASSES:
        count = getattr(counts, kind)
        parts.append(f"<tr><td class='{_CLASS_CSS[kind]}'>{CLASS_WORDS[kind]}</td><td class='n'>{count}</td></tr>")
    parts.append(f"<tr><th>Tổng / Total</th><th class='n'>{counts.total}</th></tr></table>")
    parts.append(
        "<table class='list'><tr><th>#</th><th>Tệp / File</th><th>Kết quả / Result</th>"
        "<th>Chữ ký / Signatures</th><th>Kích thước / Size (byte)</th><th>SHA-256</th></tr>"
    )
    for number, result in enumerate(results, 1):
        kind = file_class(result)
        stamps = f" + {len(result.document_timestamps)} DTS" if result.document_timestamps else ""
        size = "—" if result.size is None else result.size
        parts.append(
            f"<tr><td class='n'>{number}</td><td><a href='#f{number}'>{e(display_path(result.path))}</a></td>"
            f"<td class='{_CLASS_CSS[kind]}'>{CLASS_WORDS[kind]}</td>"
            f"<td class='n'>{len(result.signatures)}{stamps}</td><td class='n'>{size}</td>"
            f"<td class='hash'>{e(result.sha256 or '—')}</td></tr>"
        )
    parts.append("</table>")
    for number, result in enumerate(results, 1):
        kind = file_class(result)
        mark = passed_mark(result) if result.passed else f"KHÔNG ĐẠT / NOT PASSED — {CLASS_WORDS[kind]}"
        parts.append(
            f"<div class='head'><h2 id='f{number}'>{number}. {e(display_path(result.path))} — "
            f"<span class='{_CLASS_CSS[kind]}'>{mark}</span></h2>"
        )
        parts.append(f"<p class='hash'>{e(_file_facts(result))}</p>")
        if result.error:
            parts.append(f"<p class='bad'>{e(error_label(result, heading=True))}: {e(error_words(result))}</p>")
        parts.append("</div>")
        for sig in [*result.signatures, *result.document_timestamps]:
            parts.append(f"<table><caption>{e(sig.field_name)}</caption>")
            for label, value in _sig_rows(sig, header.generated_at):
                parts.append(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>")
            for w in map(warning_in_vietnamese, sig.warnings):
                parts.append(f"<tr><th class='warn'>Cảnh báo / Warning</th><td class='warn'>{e(w)}</td></tr>")
            for note in sig.notes:
                parts.append(f"<tr><th>Ghi chú / Note</th><td>{e(note)}</td></tr>")
            parts.append("</table>")
        if (pdfa := pdfa_summary(result)) is not None:
            parts.append(f"<p class='{'warn' if pdfa_broken(result) else 'ok'}'>{e(pdfa)}</p>")
        for w in result.warnings:
            parts.append(f"<p class='warn'>Cảnh báo / Warning: {e(warning_in_vietnamese(w))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def as_json(results: list[FileVerification], header: ReportHeader | None = None) -> dict[str, Any]:
    """``{"files", "passed"}`` as before, each file with its ``class`` and NFC ``display_path`` (``path`` stays as
    the file system spells it), and with ``header`` the filing facts and ``counts``."""
    files = []
    for r in results:
        item = r.model_dump(mode="json")
        if item.get("verified_by") is None:  # verification.json's: a report's header says it for every file
            item.pop("verified_by", None)
        item["passed"] = r.passed
        item["development_identity"] = r.development_identity
        item["class"] = file_class(r)
        item["display_path"] = display_path(r.path)
        files.append(item)
    report: dict[str, Any] = {}
    if header is not None:
        report.update(header.model_dump(mode="json"))  # its times in Vietnam time (ReportHeader's serialiser)
        report["counts"] = report_counts(results).model_dump()
    report.update(files=files, passed=all(r.passed for r in results))
    # how many files were signed with the development identity (as `process` and `audit` count them): no legal value
    report["development_identity"] = sum(r.development_identity for r in results)
    return report
