"""Verification reports an auditor can read and file: plain text and one self-contained printable HTML page,
each in Vietnamese and English."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from signing.appearance import iso_vn
from signing.verify import FileVerification, SignatureVerdict

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
    ("revision(s) after the last signature", "có nội dung thêm sau chữ ký cuối, không chữ ký nào bảo vệ"),
    ("bytes after the last signature", "có dữ liệu thêm sau chữ ký cuối, không chữ ký nào bảo vệ (tệp không đạt)"),
    ("nothing references", "có nội dung ẩn trong tệp (chuẩn bị tấn công shadow)"),
    ("structural errors", "tệp PDF có lỗi cấu trúc, đã đọc ở chế độ dung thứ"),
    ("PDF/A", "vi phạm quy tắc PDF/A"),
)


def warning_in_vietnamese(warning: str) -> str:
    """``vi / en`` for a verification warning: what kind it is in Vietnamese, then the English line itself (which
    names the certificate, revision or rule exactly)."""
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


def error_words(result: FileVerification) -> str:
    """``vi / en`` for why a file has no verdict, with what the PDF library said in parentheses."""
    if not result.error:
        return ""
    words = f"{result.error_vi} / {result.error}" if result.error_vi else result.error
    return words + (f" (chi tiết / detail: {result.error_detail})" if result.error_detail else "")


def _sig_rows(sig: SignatureVerdict) -> list[tuple[str, str]]:
    source = SOURCE_VI[sig.signing_time_source]
    if sig.signing_time_source == "timestamp" and sig.timestamp_trusted is False:
        source = UNTRUSTED_TIMESTAMP_VI
    rows = [
        ("Kết quả / Indication", indication_words(sig)),
        ("Người ký / Signer", sig.signer or "—"),
        ("Tổ chức cấp / Issuer", sig.issuer or "—"),
        ("Thời điểm ký / Signing time", f"{_when(sig.signing_time)} ({source})"),
        ("Mức PAdES / PAdES level", LEVEL_VI.get(sig.level, sig.level)),
        ("Dấu thời gian bởi / Timestamp authority", sig.timestamp_authority or "—"),
        (
            "Tình trạng thu hồi / Revocation",
            f"{REVOCATION_VI[sig.revocation.status]}; nguồn / source {sig.revocation.source}; "
            f"kiểm tra lúc / checked at {_when(sig.revocation.checked_at)}"
            + (f"; thu hồi lúc / revoked at {_when(sig.revocation.revoked_at)}" if sig.revocation.revoked_at else ""),
        ),
        ("Gốc tin cậy / Trust anchor", sig.trust_anchor or "—"),
        (
            "Xác minh tại thời điểm / Validated as of",
            _when(sig.validation_time) if sig.validation_time else "bây giờ / now",
        ),
        ("Phạm vi ký / Byte range", _byte_range_words(sig)),
    ]
    if sig.certification:
        rows.append(("Chữ ký chứng thực / Certification (DocMDP)", sig.certification))
    if sig.changed_form_fields:
        rows.append(("Trường biểu mẫu bị thay đổi / Form fields changed", ", ".join(sig.changed_form_fields)))
    if sig.revisions_after:
        rows.append(
            (
                "Phiên bản thêm sau / Revisions added after",
                "; ".join(f"#{r.revision} {KIND_VI[r.kind]}: {r.changes}" for r in sig.revisions_after),
            )
        )
    return rows


def pdfa_summary(result: FileVerification) -> str | None:
    """One line on the PDF/A claim of the signed file, in Vietnamese and English (None when nothing is claimed)."""
    if result.pdfa is None:
        return None
    if not result.pdfa.startswith(("2", "3")):
        return f"PDF/A-{result.pdfa}: không kiểm tra / not checked (only PDF/A-2 and -3 rules are)"
    if broken := len(result.pdfa_problems):
        return f"PDF/A-{result.pdfa}: vi phạm {broken} quy tắc / {broken} rule(s) broken"
    return f"PDF/A-{result.pdfa}: đạt các quy tắc đã kiểm tra / passes the rules checked"


def render_text(results: list[FileVerification]) -> str:
    lines: list[str] = []
    for result in results:
        mark = "ĐẠT / PASSED" if result.passed else "KHÔNG ĐẠT / NOT PASSED"
        lines.append(f"{result.path}: {mark}")
        if result.error:
            lines.append(f"  lỗi / error: {error_words(result)}")
        for sig in [*result.signatures, *result.document_timestamps]:
            lines.append(f"  [{sig.field_name}]")
            lines.extend(f"    {label}: {value}" for label, value in _sig_rows(sig))
            lines.extend(f"    cảnh báo / warning: {warning_in_vietnamese(w)}" for w in sig.warnings)
        if (pdfa := pdfa_summary(result)) is not None:
            lines.append(f"  {pdfa}")
        lines.extend(f"  cảnh báo / warning: {warning_in_vietnamese(w)}" for w in result.warnings)
    passed = sum(r.passed for r in results)
    lines.append(f"Tổng / Total: {passed}/{len(results)} tệp đạt / files passed")
    return "\n".join(lines) + "\n"


_CSS = """
body{font-family:"Liberation Serif","Times New Roman",serif;font-size:11pt;margin:2cm;color:#000}
h1{font-size:16pt} h2{font-size:13pt;margin-top:1.4em;border-bottom:1px solid #444}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em} td,th{border:1px solid #888;padding:3px 6px;
vertical-align:top;text-align:left} th{width:32%;background:#f0f0f0}
.ok{color:#060;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850}
@media print{body{margin:1cm} h2{page-break-after:avoid} table{page-break-inside:avoid}}
"""


def render_html(results: list[FileVerification], generated_at: datetime, trust: list[str]) -> str:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html lang='vi'><head><meta charset='utf-8'>",
        "<title>Báo cáo kiểm tra chữ ký số / Digital signature verification report</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Báo cáo kiểm tra chữ ký số<br>Digital signature verification report</h1>",
        f"<p>Lập lúc / Generated at: {e(iso_vn(generated_at))}<br>",
        f"Gốc tin cậy đã dùng / Trust roots used: {e(', '.join(trust) or '—')}<br>",
        f"Kết quả / Result: {sum(r.passed for r in results)}/{len(results)} tệp đạt / files passed</p>",
    ]
    for result in results:
        cls, mark = ("ok", "ĐẠT / PASSED") if result.passed else ("bad", "KHÔNG ĐẠT / NOT PASSED")
        parts.append(f"<h2>{e(result.path)} — <span class='{cls}'>{mark}</span></h2>")
        if result.error:
            parts.append(f"<p class='bad'>Lỗi / Error: {e(error_words(result))}</p>")
        for sig in [*result.signatures, *result.document_timestamps]:
            parts.append(f"<table><caption>{e(sig.field_name)}</caption>")
            for label, value in _sig_rows(sig):
                parts.append(f"<tr><th>{e(label)}</th><td>{e(value)}</td></tr>")
            for w in map(warning_in_vietnamese, sig.warnings):
                parts.append(f"<tr><th class='warn'>Cảnh báo / Warning</th><td class='warn'>{e(w)}</td></tr>")
            parts.append("</table>")
        if (pdfa := pdfa_summary(result)) is not None:
            parts.append(f"<p class='{'warn' if result.pdfa_problems else 'ok'}'>{e(pdfa)}</p>")
        for w in result.warnings:
            parts.append(f"<p class='warn'>Cảnh báo / Warning: {e(warning_in_vietnamese(w))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def as_json(results: list[FileVerification]) -> dict[str, Any]:
    files = []
    for r in results:
        item = r.model_dump(mode="json")
        item["passed"] = r.passed
        files.append(item)
    return {"files": files, "passed": all(r.passed for r in results)}
