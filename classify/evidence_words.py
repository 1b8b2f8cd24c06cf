"""The evidence of a classified field in Vietnamese, for the officers who read `sohoa classify`'s table.

The classifier writes each field's ``evidence`` in English (the rule that produced it, with line numbers and the
words it quotes: ``'Số:' line 4; columns told apart by word positions``); records and ``--json`` keep it so.
``evidence_in_vietnamese`` says the same in Vietnamese, phrase by phrase (the phrases are the classifier's own, in
classify/rules.py, civil.py, vndate.py, handwriting.py and review.py); what it quotes from the document — a title,
a type code, names — stays as it is. A phrase it does not know stays in English (tests/test_classify_evidence.py
holds every phrase the classifier writes on the bundled and synthetic documents to a translation).
"""

from __future__ import annotations

import re

# (English phrase, Vietnamese), in order: a longer phrase before one it begins with. ``\1``… are the numbers, codes
# and quotations the phrase carries.
_PHRASES: tuple[tuple[str, str], ...] = (
    # the type
    (
        r"title block line (\d+): '(.*?)' \(a type name on its own line, not in capitals\)",
        r"tên loại văn bản ở dòng \1: '\2' (tên loại đứng riêng một dòng, không viết hoa)",
    ),
    (r"title block line (\d+): ", r"tên loại văn bản ở dòng \1: "),
    (r"symbol code agrees", "mã loại trong ký hiệu khớp"),
    (r"symbol says (\S+): disagreement", r"ký hiệu ghi loại \1: không khớp"),
    (r"'V/v' line (\d+) and a symbol without type code", r"dòng 'V/v' \1 và ký hiệu không có mã loại"),
    (r"type code in symbol '(.*?)'", r"mã loại trong ký hiệu '\1'"),
    (
        r"no title block, no type code in the number, no 'V/v' line",
        "không có tên loại văn bản, không có mã loại trong số, không có dòng 'V/v'",
    ),
    (r"name of type (\S+)", r"tên của loại \1"),
    (r"rules found nothing", "quy tắc không tìm ra loại"),
    (r"model (\S+) v(\d+) says (\S+) \(p=([\d.]+)\)", r"mô hình \1 v\2 cho là \3 (p=\4)"),
    (r": identical to an officer-labelled example", ": trùng với một mẫu cán bộ đã gán loại"),
    (r": too unsure", ": chưa đủ chắc"),
    (r": agrees", ": khớp"),
    (r": disagrees", ": không khớp"),
    (
        r"an officer's correction of this very document \(remembered verbatim by the office model\)",
        "cán bộ đã sửa chính văn bản này (mô hình của cơ quan nhớ nguyên văn)",
    ),
    (r"corrected by (\S+) at (\S+)", r"cán bộ \1 sửa lúc \2"),
    # the number and symbol
    (
        r"'Số:' line (\d+) in the header, with no symbol: the entry number in the register \(số đăng ký\)",
        r"dòng 'Số:' \1 ở phần đầu, không có ký hiệu: số đăng ký trong sổ",
    ),
    (r"'Số:' in the registration block, line (\d+)", r"'Số:' trong phần đăng ký, dòng \1"),
    (r"after '/' in the 'Số:' line (\d+)", r"sau dấu '/' ở dòng 'Số:' \1"),
    (r"'Số:' line (\d+)", r"dòng 'Số:' \1"),
    (
        r"not in Decree 30's case, so a little less sure",
        "không đúng chữ hoa, chữ thường theo Nghị định 30 nên kém chắc hơn",
    ),
    (
        r"'/' lost by OCR, put back between the serial and the symbol",
        "dấu '/' bị OCR đọc mất, đã đặt lại giữa số và ký hiệu",
    ),
    (
        r"type code '(.*?)' read as '(.*?)', the code of the title's type",
        r"mã loại '\1' được đọc là '\2', mã của loại văn bản theo tên loại",
    ),
    (
        r"ký hiệu group '(.*?)' read as '(.*?)', the initials of the issuing body",
        r"nhóm ký hiệu '\1' được đọc là '\2', chữ viết tắt của cơ quan ban hành",
    ),
    (r"digits OCR doubted, handwritten perhaps", "OCR không chắc các chữ số, có thể viết tay"),
    (r"'([^']*)' in a text layer", r"'\1' trong lớp chữ"),
    (r"'([^']*)' at (\d+)", r"'\1' độ tin cậy \2"),
    # the date and place
    (r"date in words 'ngày … tháng … năm …' on line (\d+)", r"ngày tháng viết bằng chữ ở dòng \1"),
    (r"'ngày … tháng … năm …' in digits on line (\d+)", r"'ngày … tháng … năm …' bằng số ở dòng \1"),
    (r"'Place, dd/mm/yyyy' on line (\d+)", r"'Địa danh, dd/mm/yyyy' ở dòng \1"),
    (r"date on the registration line (\d+)", r"ngày tháng ở dòng đăng ký \1"),
    (
        r"not on the header's place-and-date line: a date in the text, doubtful",
        "không ở dòng địa danh, ngày tháng của phần đầu: một ngày trong nội dung, đáng ngờ",
    ),
    (r"in the future, so doubtful", "ở tương lai, nên đáng ngờ"),
    (r"words before ', ngày'", "các chữ trước ', ngày'"),
    (r"no place on the date line: the issuer's unit", "dòng ngày tháng không có địa danh: lấy đơn vị ban hành"),
    (r"'Ngày đăng ký:' on line (\d+)", r"'Ngày đăng ký:' ở dòng \1"),
    (r"'Quyển số:' on line (\d+)", r"'Quyển số:' ở dòng \1"),
    (r"'… tại:' on line (\d+)", r"'… tại:' ở dòng \1"),
    # the issuer
    (
        r"lines at the top above 'Số:', not in capitals \(given in capitals, as Decree 30 prints them\)",
        "các dòng đầu trang phía trên 'Số:', không viết hoa (ghi lại bằng chữ hoa như Nghị định 30 quy định)",
    ),
    (r"upper-case lines above 'Số:'", "các dòng chữ hoa phía trên 'Số:'"),
    (r"body line above the issuer", "dòng phía trên cơ quan ban hành"),
    (r"administrative unit at the end of the issuer", "đơn vị hành chính ở cuối tên cơ quan ban hành"),
    (r"unit name's diacritics from the place", "dấu của tên đơn vị theo địa danh"),
    # the subject, the signer, the recipients, the persons
    (r"its 'Về việc:' line", "dòng 'Về việc:'"),
    (r"'V/v' line (\d+)", r"dòng 'V/v' \1"),
    (r"lines under the title", "các dòng dưới tên loại văn bản"),
    (
        r"signing block at line (\d+), two names below it \((.*?)\): the right-hand one",
        r"khối chữ ký ở dòng \1, hai họ tên dưới đó (\2): lấy người bên phải",
    ),
    (r"signing block at line (\d+), name below it", r"khối chữ ký ở dòng \1, họ tên dưới đó"),
    (r"signing block at line (\d+), no name found below it", r"khối chữ ký ở dòng \1, không thấy họ tên dưới đó"),
    (
        r"no signing title found; name-like line (\d+) at the end",
        r"không thấy chức danh người ký; dòng \1 ở cuối giống họ tên",
    ),
    (r"no signing block found", "không thấy khối chữ ký"),
    (r"'Kính gửi:' line (\d+)", r"dòng 'Kính gửi:' \1"),
    (r"'Nơi nhận:' list from line (\d+)", r"danh sách 'Nơi nhận:' từ dòng \1"),
    (r"'Họ, chữ đệm, tên …:' lines: ", "các dòng 'Họ, chữ đệm, tên …:': "),
    # where the lines were counted
    (r"columns told apart by word positions", "tách cột theo vị trí các chữ"),
    (
        r"header on page (\d+) \(pages? (\S+) blank\), lines counted on that page",
        r"phần đầu ở trang \1 (trang \2 trắng), đếm dòng trên trang đó",
    ),
)
_COMPILED = tuple((re.compile(english), vietnamese) for english, vietnamese in _PHRASES)


def evidence_in_vietnamese(evidence: str) -> str:
    """``evidence`` (a field's, in English) said in Vietnamese, phrase by phrase; an unknown phrase as it is."""
    said = evidence
    for english, vietnamese in _COMPILED:
        said = english.sub(vietnamese, said)
    return said
