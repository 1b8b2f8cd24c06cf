"""Errors that name the file and the problem, in words an officer can act on.

``BadInputError`` means the input itself is unusable (quarantine it, no retry); anything else raised by a stage
is a fault of the machine or a service (retry may help).
"""

from __future__ import annotations

import errno
import os
import re
from collections.abc import Sequence
from enum import StrEnum
from pathlib import Path

from sohoa.fsutil import one_line


class Problem(StrEnum):
    EMPTY = "empty"
    NOT_A_PDF = "not_a_pdf"
    NOT_PDF_TO_SIGN = "not_pdf_to_sign"
    TRUNCATED_PDF = "truncated_pdf"
    DAMAGED_PDF = "damaged_pdf"
    ENCRYPTED_PDF = "encrypted_pdf"
    DYNAMIC_XFA = "dynamic_xfa"
    UNSUPPORTED_TYPE = "unsupported_type"
    UNREADABLE_IMAGE = "unreadable_image"
    UNSUPPORTED_SAMPLES = "unsupported_samples"
    ANIMATED_IMAGE = "animated_image"
    TOO_LARGE = "too_large"
    TOO_SMALL = "too_small"
    DAMAGED_PAGE_IMAGE = "damaged_page_image"
    NO_PAGES = "no_pages"
    OCR_FAILED = "ocr_failed"
    ONLY_SEPARATORS = "only_separators"
    ALL_BLANK = "all_blank"
    ALL_BLANK_FAINT_MARKS = "all_blank_faint_marks"
    ALL_BLANK_FEW_WORDS = "all_blank_few_words"
    ALL_BLANK_INK_MARKS = "all_blank_ink_marks"


# (Vietnamese, English); the Vietnamese text comes first in every report an officer reads.
PROBLEM_TEXT: dict[Problem, tuple[str, str]] = {
    Problem.ONLY_SEPARATORS: (
        "Tệp chỉ gồm tờ phân cách (mã QR), không có văn bản nào; hãy quét lại tập hồ sơ kèm văn bản.",
        "The file holds only separator sheets (their QR code), no document; scan the stack again with its documents.",
    ),
    Problem.EMPTY: ("Tệp rỗng (0 byte).", "The file is empty (0 bytes)."),
    Problem.NOT_A_PDF: (
        "Tệp có đuôi .pdf nhưng nội dung không phải PDF.",
        "The file is named .pdf but its content is not a PDF.",
    ),
    Problem.NOT_PDF_TO_SIGN: (
        "Tệp không phải PDF; chỉ ký được tệp PDF (ảnh quét: chạy sohoa ocr để có PDF trước).",
        "The file is not a PDF; only a PDF can be signed (a scan: make a PDF of it with sohoa ocr first).",
    ),
    Problem.TRUNCATED_PDF: (
        "Tệp PDF bị cắt cụt (thiếu phần cuối tệp), có thể do sao chép hoặc quét bị gián đoạn.",
        "The PDF is truncated (its end is missing), perhaps an interrupted copy or scan.",
    ),
    Problem.DAMAGED_PDF: ("Tệp PDF bị hỏng, không đọc được.", "The PDF is damaged and cannot be read."),
    Problem.ENCRYPTED_PDF: (
        "Tệp PDF được đặt mật khẩu để mở; hãy gỡ mật khẩu rồi nộp lại tệp.",
        "The PDF needs a password to open; remove the password and submit it again.",
    ),
    Problem.DYNAMIC_XFA: (
        "Tệp PDF là biểu mẫu XFA động (Adobe LiveCycle Designer): nội dung các trang không nằm trong tệp mà do "
        "phần mềm Adobe dựng lên khi mở; hãy mở bằng Adobe Reader, in ra PDF (hoặc quét bản giấy) rồi nộp lại.",
        "The PDF is a dynamic XFA form (Adobe LiveCycle Designer): its pages' content is not in the file but built by "
        "Adobe's software when it is opened; open it in Adobe Reader, print it to PDF (or scan the paper) and submit "
        "that.",
    ),
    Problem.UNSUPPORTED_TYPE: (
        "Định dạng tệp không được hỗ trợ (chỉ nhận PDF, TIFF, JPEG, PNG, BMP, GIF).",
        "Unsupported file type (only PDF, TIFF, JPEG, PNG, BMP and GIF are accepted).",
    ),
    Problem.UNREADABLE_IMAGE: ("Ảnh bị hỏng, không đọc được.", "The image is damaged and cannot be read."),
    Problem.UNSUPPORTED_SAMPLES: (
        "Ảnh dùng kiểu điểm ảnh không được hỗ trợ.",
        "The image's pixel format is not supported.",
    ),
    Problem.ANIMATED_IMAGE: (
        "Ảnh động (nhiều khung hình nối tiếp nhau), không phải ảnh quét.",
        "An animated image (frames shown one after another), not a scan.",
    ),
    Problem.TOO_LARGE: (
        "Trang quá lớn (nghi ngờ ảnh bất thường), đã từ chối xử lý.",
        "A page is absurdly large (possible decompression bomb); refused.",
    ),
    Problem.TOO_SMALL: (
        "Ảnh quá nhỏ để là một bản quét, đã từ chối xử lý.",
        "The image is too small to be a scan; refused.",
    ),
    Problem.DAMAGED_PAGE_IMAGE: (
        "Ảnh quét của một trang bị hỏng, không đọc được (trang sẽ hiện trắng, toàn bộ hay một phần).",
        "A page's image is damaged and cannot be decoded (the page would show blank, wholly or in part).",
    ),
    Problem.NO_PAGES: ("Tệp không có trang nào.", "The file has no pages."),
    Problem.OCR_FAILED: ("Không nhận dạng được chữ trên ảnh trang này.", "Tesseract could not read this page image."),
    Problem.ALL_BLANK: (  # the detail (how many pages) inside the sentence, not between two (QA79, QA82)
        "Mọi trang của tệp{detail} đều trắng (không có vết mực nào), không có gì để lưu.",
        "Every page of the file{detail} is blank (no ink at all): nothing to archive.",
    ),
    # blank, but with lines of faint marks that do not read as text (PageOcr.faint_marks): "no ink at all" was
    # untrue of them, and print too faint to read is among what they may be (QA152 F1)
    Problem.ALL_BLANK_FAINT_MARKS: (
        "Mọi trang của tệp{detail} đều trắng: không có chữ nào đọc được, chỉ có vết mờ (chữ in hằn từ mặt sau, "
        "logo hay hình in chìm nhạt, hoặc chữ quá mờ để đọc), không có gì để lưu.",
        "Every page of the file{detail} is blank: no text that can be read, only faint marks (show-through from the "
        "other side, a pale logo or watermark, or print too faint to read): nothing to archive.",
    ),
    # blank to the blank test, but with marks of ink on it from which no text was read (PageOcr.ink_marks): a page
    # number in black at 8 pt, "- 2 -", was quarantined as "no ink at all" (QA156 F3), as was a signature (F7)
    # (shadows too: a punched hole's, the sheet's edge past the margins — QA158 F4)
    Problem.ALL_BLANK_INK_MARKS: (
        "Mọi trang của tệp{detail} đều trắng: không đọc được chữ nào, chỉ có vài nét đậm nhỏ hoặc mảnh (số trang quá "
        "nhỏ, chữ ký, đường kẻ, sợi tóc, bóng lỗ đục hay mép giấy), không có văn bản nào để lưu.",
        "Every page of the file{detail} is blank: no text could be read, only a few small or thin dark marks (a page "
        "number too small to read, a signature, a ruled line, a hair, the shadow of a punched hole or of the sheet's "
        "edge): no text to archive.",
    ),
    # blank, but for a word or two read on it — a page number, "Trang 2" (QA155 F2): there is ink; what was read
    # is in the detail, quoted
    Problem.ALL_BLANK_FEW_WORDS: (
        "Mọi trang của tệp đều gần như trắng: chỉ đọc được vài chữ{detail}, không có văn bản nào để lưu.",
        "Every page of the file is all but blank: only a word or two was read{detail}, no text to archive.",
    ),
}

# What the officer can do about it, said after the problem and its detail: the reasons said what was wrong but not
# what to do, for the commonest bad inputs (QA77). The problems whose text says it already have none.
_SCAN_AGAIN = (
    "Hãy chép lại tệp từ máy quét, hoặc quét lại bản giấy.",
    "Copy the file from the scanner again, or scan the paper again.",
)
PROBLEM_ACTION: dict[Problem, tuple[str, str]] = {
    Problem.EMPTY: _SCAN_AGAIN,
    Problem.NOT_A_PDF: (
        "Hãy lưu tệp đúng định dạng của nó (PDF, TIFF, JPEG, PNG, BMP, GIF), hoặc quét lại bản giấy.",
        "Save the file in its real format (PDF, TIFF, JPEG, PNG, BMP, GIF), or scan the paper again.",
    ),
    Problem.TRUNCATED_PDF: _SCAN_AGAIN,
    Problem.DAMAGED_PDF: _SCAN_AGAIN,
    Problem.UNSUPPORTED_TYPE: (
        "Hãy lưu văn bản dưới dạng PDF (hoặc quét bản giấy) rồi nộp lại.",
        "Save the document as a PDF (or scan the paper) and submit that.",
    ),
    Problem.UNREADABLE_IMAGE: _SCAN_AGAIN,
    Problem.UNSUPPORTED_SAMPLES: (
        "Hãy lưu lại ảnh dạng TIFF hoặc PNG 8 hay 16 bit, hoặc quét lại bản giấy.",
        "Save the image again as an 8- or 16-bit TIFF or PNG, or scan the paper again.",
    ),
    Problem.ANIMATED_IMAGE: (
        "Hãy lưu khung hình chứa trang văn bản dạng PNG rồi nộp lại, hoặc quét bản giấy.",
        "Save the frame that shows the page as PNG and submit that, or scan the paper.",
    ),
    Problem.TOO_LARGE: ("Hãy quét lại ở 200–300 dpi.", "Scan it again at 200–300 dpi."),
    Problem.TOO_SMALL: (
        "Hãy quét lại ở 200–300 dpi, nộp ảnh gốc của máy quét (không phải ảnh thu nhỏ).",
        "Scan it again at 200–300 dpi and submit the scanner's own image (not a thumbnail).",
    ),
    Problem.DAMAGED_PAGE_IMAGE: ("Hãy quét lại trang đó.", "Scan that page again."),
    Problem.NO_PAGES: _SCAN_AGAIN,
    Problem.OCR_FAILED: ("Hãy quét lại trang đó rõ hơn (200–300 dpi).", "Scan that page again, clearer (200–300 dpi)."),
    Problem.ALL_BLANK: (
        "Có thể đã quét nhầm mặt giấy, hoặc máy quét có lỗi: hãy kiểm tra rồi quét lại.",
        "Perhaps the wrong side was scanned, or the scanner failed: check, then scan again.",
    ),
    Problem.ALL_BLANK_FAINT_MARKS: (
        "Nếu bản giấy có chữ, hãy quét lại đậm hơn (tăng độ tối hoặc độ tương phản của máy quét); nếu không, có thể "
        "đã quét nhầm mặt giấy.",
        "If the paper holds print, scan it again darker (the scanner's darkness or contrast up); if not, perhaps the "
        "wrong side was scanned.",
    ),
    Problem.ALL_BLANK_INK_MARKS: (
        "Nếu trang thuộc một văn bản (trang cuối có chữ ký, trang chỉ có số trang), hãy quét cùng văn bản đó; nếu "
        "không, có thể đã quét nhầm mặt giấy.",
        "If the page belongs to a document (a last page with a signature, a page with only its number), scan it with "
        "that document; if not, perhaps the wrong side was scanned.",
    ),
    Problem.ALL_BLANK_FEW_WORDS: (
        "Nếu trang thuộc một văn bản (trang cuối, trang chỉ có số trang), hãy quét cùng văn bản đó.",
        "If the page belongs to a document (a last page, a page with only its number), scan it with that document.",
    ),
}


class SohoaError(Exception):
    """Base class for errors this project raises on purpose."""


class InputChangedError(SohoaError):
    """The input file was rewritten, replaced, cut short or deleted while it was read: what was read is part of
    one file and part of another, or of none. Not the file's fault, nor sohoa's: read it again once it is still."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        super().__init__(f"{path}: the file changed while it was being read")

    def __reduce__(self) -> tuple[type[InputChangedError], tuple[Path]]:
        return (InputChangedError, (self.path,))


class BadInputError(SohoaError):
    """The input file cannot be processed; it belongs in quarantine with this reason."""

    def __init__(
        self, path: Path | str, problem: Problem, detail: str = "", detail_vi: str = "", advised: bool = False
    ) -> None:
        """``detail``: what exactly, in English (may quote a library); ``detail_vi``: the part an officer needs
        (which page, what size) in Vietnamese, when there is one. ``advised``: the detail says what to do itself
        (a WebP's "save it as PNG or JPEG"), so the problem's general action is not said after it (QA177: two
        different things to do, "… as PNG or JPEG and submit that) Save the document as a PDF …")."""
        self.path = Path(path)
        self.problem = problem
        self.detail = detail
        self.detail_vi = detail_vi
        self.advised = advised
        super().__init__(self.english())

    def __reduce__(self) -> tuple[type[BadInputError], tuple[Path, Problem, str, str, bool]]:
        # rebuilt from its fields, not from the message: it crosses processes (Dask workers, Prefect results)
        return (BadInputError, (self.path, self.problem, self.detail, self.detail_vi, self.advised))

    def vietnamese(self, name: str | None = None, pages: Sequence[int] = ()) -> str:
        """The reason in Vietnamese. ``name``: the file as the officer knows it (default: its name); ``pages``: for
        a document split from a scanned stack, the stack's page numbers of its pages — ``trang 1`` of the split
        document is said as the stack's page (``StackOrigin.said_vi`` names the document)."""
        extra = f" ({_stack_pages(self.detail_vi, pages)})" if self.detail_vi else ""
        return (
            f"{one_line(name or self.path.name)}: {_with_detail(PROBLEM_TEXT[self.problem][0], extra)}{self._action(0)}"
        )

    def english(self, name: str | None = None, pages: Sequence[int] = ()) -> str:
        """The reason in English; ``name`` and ``pages`` as for ``vietnamese``. The name on one line
        (``dòng1\\ndòng2.jpg``): a reason is one line of a log, a table, a reason file."""
        extra = f" ({_stack_pages(self.detail, pages)})" if self.detail else ""
        return (
            f"{one_line(name or self.path.name)}: {_with_detail(PROBLEM_TEXT[self.problem][1], extra)}{self._action(1)}"
        )

    def _action(self, language: int) -> str:
        action = None if self.advised else PROBLEM_ACTION.get(self.problem)
        return f" {action[language]}" if action else ""


def _with_detail(text: str, extra: str) -> str:
    """A problem's text with its detail: where the text has a place for it (``{detail}``), else after it."""
    return text.replace("{detail}", extra) if "{detail}" in text else f"{text}{extra}"


_PAGE_NUMBER = re.compile(r"\b(page|trang) (\d+)\b")


_QUOTED = re.compile(r"(“[^”]*”)")


def _stack_pages(detail: str, pages: Sequence[int]) -> str:
    """``detail`` with each ``page N`` / ``trang N`` of a split document said as the stack's page ``pages[N-1]`` —
    not inside “quotes”: what was read on a page (``trang 2`` read there is what it says)."""
    if not pages:
        return detail

    def stack_page(match: re.Match[str]) -> str:
        number = int(match.group(2))
        return f"{match.group(1)} {pages[number - 1]}" if 1 <= number <= len(pages) else match.group(0)

    return "".join(
        part if _QUOTED.fullmatch(part) else _PAGE_NUMBER.sub(stack_page, part) for part in _QUOTED.split(detail)
    )


class SecretFileError(SohoaError):
    """A file named to hold a password or PIN (SOHOA_PKCS12_PASSWORD_FILE) cannot be read: a configuration fault
    outside the input; the message names the setting and the path, never the secret."""


class SettingsError(SohoaError, ValueError):
    """A configuration no batch can run with (``flows.pipeline.batch_settings_problem``): the message names the
    setting, in Vietnamese and English. Not worth a retry: it holds until the configuration is changed."""


class StageError(SohoaError):
    """A stage failed on a usable input (tool missing, service down): worth a retry, not quarantine."""


# OS errors that are the machine's state, never the scan's: a full or read-only disk, a quota, a failing device, no
# memory or file handles left. Whatever stage meets one, the scan is left for the rerun.
MACHINE_FAULTS: dict[int, str] = {
    errno.ENOSPC: "hết dung lượng đĩa",
    errno.EDQUOT: "hết hạn mức dung lượng đĩa",
    errno.EROFS: "ổ đĩa chỉ cho đọc",
    errno.EIO: "lỗi đọc/ghi của thiết bị",
    errno.ENOMEM: "hết bộ nhớ",
    errno.EMFILE: "quá nhiều tệp đang mở",
    errno.ENFILE: "quá nhiều tệp đang mở trên máy",
    # a folder sohoa may not write to (the archive's, a record's): no retry changes it (QA94: 4 attempts, 22–38 s a
    # document of a nightly backlog)
    errno.EACCES: "không có quyền",
    errno.EPERM: "không được phép",
}


# What the OS says of a folder it refused, in Vietnamese (os.strerror is English only): a check that named its cause
# in English alone left the officer reading the Vietnamese half without it (QA69: "không dùng được thư mục kho lưu
# trữ … / … cannot be used: no write permission on …")
_OS_ERRORS_VI: dict[int, str] = {
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không được phép",
    errno.ENOTDIR: "một phần của đường dẫn là tệp, không phải thư mục",
    errno.EISDIR: "là một thư mục",
    errno.ENOENT: "không tồn tại",
    errno.EEXIST: "đã tồn tại",
    errno.ELOOP: "liên kết vòng (quá nhiều liên kết tượng trưng)",
    errno.ENAMETOOLONG: "tên quá dài",
    errno.ENODEV: "không có thiết bị",
    errno.ENXIO: "không có thiết bị",
    errno.ESTALE: "ổ mạng không còn truy cập được",
    errno.ENOTCONN: "ổ mạng mất kết nối",
    errno.ETIMEDOUT: "hết thời gian chờ",
}


def os_error_words(exc: OSError) -> tuple[str, str]:
    """(Vietnamese, English) for what the OS said of ``exc`` (without its file name: the caller names the path):
    a machine fault as ``MACHINE_FAULTS`` says it, the commoner others by ``_OS_ERRORS_VI``; one neither knows keeps
    the OS's English in the Vietnamese half, which is then never empty."""
    english = exc.strerror or str(exc)
    code = exc.errno or 0
    return MACHINE_FAULTS.get(code) or _OS_ERRORS_VI.get(code) or english, english


def machine_fault(exc: BaseException) -> OSError | None:
    """The OS error behind ``exc`` (itself, or a cause: a reader that made ENOSPC "the image is damaged") that is
    the machine's fault (``MACHINE_FAULTS``), if any. QA: a full work disk quarantined a good scan as "processing
    failed (OSError: [Errno 28] No space left on device)" and called others "damaged", with tracebacks."""
    seen: BaseException | None = exc
    for _ in range(8):  # a chain of causes is short; never loop on a cycle
        if seen is None:
            return None
        if isinstance(seen, OSError) and seen.errno in MACHINE_FAULTS:
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def machine_fault_words(fault: OSError) -> tuple[str, str]:
    """(Vietnamese, English) for a machine fault, with the file it met it on when the OS said."""
    code = fault.errno or 0
    named = fault.filename
    if named is not None and not isinstance(named, str | bytes | os.PathLike):
        named = getattr(named, "name", None)  # a file object: its name, not its repr
    if isinstance(named, str) and (shown := re.fullmatch(r"<_io\.\w+ name='(.*)'>", named)):
        named = shown.group(1)  # pikepdf names its writer by the repr of the file object
    if code in (errno.EACCES, errno.EPERM) and isinstance(named, str | bytes | os.PathLike) and named:
        refused = Path(os.fsdecode(named))
        if not refused.exists():  # a file it could not create (a temporary one): the folder is what to fix (QA95)
            named = os.fsencode(refused.parent)
    where = f" ({os.fsdecode(named)})" if isinstance(named, str | bytes | os.PathLike) and named else ""
    # what to do, by the fault (QA70: a disk gone read-only was told to "free space")
    fix_vi, fix_en = _MACHINE_FIXES.get(code, ("khắc phục", "fix it"))
    english = f"{os.strerror(code)}{where}: a fault of this machine, not of the scan; {fix_en} and rerun"
    vietnamese = (
        f"{MACHINE_FAULTS.get(code, os.strerror(code))}{where}: lỗi của máy, không do tệp quét; {fix_vi} rồi chạy lại"
    )
    return vietnamese, english


_MACHINE_FIXES: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("giải phóng dung lượng đĩa", "free some space"),
    errno.EDQUOT: ("giải phóng dung lượng hoặc nâng hạn mức", "free some space or raise the quota"),
    errno.EROFS: ("cho ổ đĩa ghi được trở lại (gắn lại ở chế độ ghi)", "make the disk writable again (remount it)"),
    errno.EIO: ("kiểm tra ổ đĩa", "check the disk"),
    errno.ENOMEM: ("giải phóng bộ nhớ", "free some memory"),
    errno.EMFILE: ("nâng giới hạn số tệp mở (ulimit -n)", "raise the open-file limit (ulimit -n)"),
    errno.ENFILE: ("đóng bớt chương trình đang mở nhiều tệp", "close programs holding many files"),
    errno.EACCES: ("sửa quyền của tệp hoặc thư mục", "fix the permissions of the file or folder"),
    errno.EPERM: (
        "sửa quyền hoặc thuộc tính của tệp hoặc thư mục",
        "fix the permissions or attributes of the file or folder",
    ),
}
