"""The archive audit as one self-contained printable HTML page (`sohoa audit --html FILE`), to file: the filing
facts and trust anchors as `sohoa verify --html` gives them, the verdict, a row per record, the archive's and the
ledger's lines, the warnings and every count — what the text, the markdown and the JSON say."""

from __future__ import annotations

import html

from flows.audit import (
    AUDIT_COLUMNS,
    COUNT_WORDS,
    OUTSIDE_RECORDS,
    ArchiveAuditReport,
    record_cells,
)
from flows.ledger_check import ledger_verdict, problem_in_vietnamese
from signing.report import anchors_html, header_html, html_head

_CSS = """
body{font-family:"Liberation Serif","Times New Roman",serif;font-size:11pt;margin:2cm;color:#000}
h1{font-size:16pt} h2{font-size:13pt;margin-top:1.4em;border-bottom:1px solid #444}
table{border-collapse:collapse;width:100%;margin:.4em 0 1em} td,th{border:1px solid #888;padding:3px 6px;
vertical-align:top;text-align:left} th{background:#f0f0f0}
.hash{font-family:"Liberation Mono",monospace;font-size:8pt;word-break:break-all} td.n{text-align:right}
.ok{color:#060;font-weight:bold}.bad{color:#a00;font-weight:bold}.warn{color:#850;font-weight:bold}
@media print{body{margin:1cm} tr{break-inside:avoid;page-break-inside:avoid} h2{break-after:avoid}}
"""

TITLE = "Báo cáo kiểm tra kho lưu trữ / Archive audit report"


def render_audit_html(report: ArchiveAuditReport) -> str:
    e = html.escape
    verdict = report.verdict()
    css = "bad" if not report.ok else "warn" if report.warnings else "ok"
    renewal = (
        f"gia hạn trước {report.renew_within_days} ngày / renew within {report.renew_within_days} days "
        f"({'bật / on' if report.renew else 'tắt / off'}; TSA {report.tsa_url or 'không có / none'})"
    )
    parts = [
        html_head(TITLE, _CSS),
        "<h1>Báo cáo kiểm tra kho lưu trữ<br>Archive audit report</h1>",
        "<table>",
        f"<tr><th>Kho lưu trữ / Archive</th><td>{e(report.archive)}</td></tr>",
        *(header_html(report.header) if report.header is not None else []),
        f"<tr><th>Gia hạn dấu thời gian / Timestamp renewal</th><td>{e(renewal)}</td></tr>",
        f"<tr><th>Kết quả / Result</th><td class='{css}'>{e(verdict)}</td></tr>",
        "</table>",
        *(anchors_html(report.header) if report.header is not None else []),
    ]
    for warning in report.warnings:
        parts.append(f"<p class='warn'>{e(warning)}</p>")
    parts.append(f"<h2>Hồ sơ / Records ({len(report.records)})</h2><table><tr>")
    parts += [f"<th>{e(column)}</th>" for column in AUDIT_COLUMNS]
    parts.append("</tr>")
    for record in report.records:
        row_css = " class='bad'" if record.failed or record.interrupted_write else ""
        parts.append(f"<tr{row_css}>" + "".join(f"<td>{e(cell)}</td>" for cell in record_cells(record)) + "</tr>")
    parts.append("</table>")
    ledger = f"{report.ledger_entries} mục / entries, {ledger_verdict(report.ledger_problems)}"
    parts.append(f"<h2>Sổ nhật ký / Ledger</h2><p>{e(ledger)}</p>")
    for problem in report.ledger_problems:
        parts.append(f"<p class='bad'>{e(problem_in_vietnamese(problem))}</p>")
    for warning in report.ledger_warnings:
        parts.append(f"<p class='warn'>{e(warning)}</p>")
    if report.archive_problems:  # not the ledger's (QA74: listed under it, beside a count that left them out)
        parts.append(f"<h2>{e(OUTSIDE_RECORDS)}</h2>")
        parts += [f"<p class='bad'>{e(problem_in_vietnamese(problem))}</p>" for problem in report.archive_problems]
    parts.append("<h2>Số đếm / Counts</h2><table><tr><th>số đếm / count</th><th>giá trị / value</th></tr>")
    for key, value in report.counts().items():
        parts.append(f"<tr><td>{e(COUNT_WORDS.get(key, key))} (<code>{key}</code>)</td><td class='n'>{value}</td></tr>")
    parts.append("</table></body></html>\n")
    return "".join(parts)
