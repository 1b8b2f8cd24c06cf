"""The custody ledger checked against the archive's records, and its problems said in Vietnamese.

What ``sohoa ledger verify``, ``sohoa list`` and the archive audit (flows.audit) share. Apart from the audit because
the audit imports pyHanko's signing and validation for its signatures (~1 s at each command's start), which a
ledger check needs only to check the daily stamps' TSA against SOHOA_TRUST_ROOTS.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sohoa.record import Record
from sohoa.settings import Settings
from sohoa.vietnamese import vn_date
from storage.base import (
    HEADS_DIR,
    HOLD_REMOVED,
    HOLD_UNRECORDED,
    INTERRUPTED_WRITE,
    LEDGER_RETENTION_SHORTENED,
    RETENTION_SHORTENED,
    RETENTION_UNREADABLE,
    SIDECAR,
    BaseArchive,
    DamagedRecord,
    indexed_entries,
    record_of_problem,
)
from storage.ledger import Ledger

# The kinds of problem the audit and the ledger check name, in Vietnamese: (words in the English line, meaning).
# The first match wins: the renewal lines come first because they quote an exception's text, which may hold any
# of the words below ("… certificate missing" is no missing file).
_PROBLEM_WORDS: tuple[tuple[str, str], ...] = (
    ("timestamp renewal failed", "gia hạn dấu thời gian thất bại"),
    ("would not protect longer", "không gia hạn được: dấu thời gian mới không bảo vệ lâu hơn, TSA cần chứng thư mới"),
    # a day's stamp of the ledger's head (storage.stamps.verify_stamps: QA134 F5, English only)
    (
        "timestamp was removed behind the archive's back",
        "dấu thời gian của ngày đã bị xóa ngoài phần mềm (kho cho thấy nó đã được ghi): sổ nhật ký của ngày đó không "
        "còn mốc neo bên ngoài",
    ),
    (
        "no longer has the stamped hash",
        "sổ nhật ký bị viết lại sau khi được đóng dấu thời gian: mục đầu sổ của ngày không còn mã băm đã đóng dấu",
    ),
    (
        "(the stamped head) is missing or edited",
        "mục đầu sổ đã được đóng dấu thời gian bị xóa hoặc sửa: sổ bị thay đổi sau khi đóng dấu",
    ),
    ("does not cover the recorded head hash", "dấu thời gian không khớp mã băm đầu sổ đã ghi: dấu hoặc bản ghi bị sửa"),
    ("the token's signature does not verify", "chữ ký của dấu thời gian không hợp lệ: dấu bị sửa"),
    ("does not chain to a configured trust root", "TSA của dấu thời gian không thuộc gốc tin cậy đã cấu hình"),
    ("the token is unreadable", "không đọc được dấu thời gian: bị sửa"),
    (f"its record {HEADS_DIR}/", "không đọc được bản ghi dấu thời gian: bị sửa"),
    (f"the token {HEADS_DIR}/", "thiếu tệp dấu thời gian (token)"),
    (
        f"{SIDECAR} unreadable (",
        "record.json không đọc được (bị sửa hoặc hỏng ngoài phần mềm), không kiểm tra được tệp",
    ),
    (f"its {SIDECAR} is that of record", "record.json là của hồ sơ khác (bị thay ngoài phần mềm), không kiểm tra tệp"),
    (f"its {SIDECAR} is missing (removed", "record.json của hồ sơ bị mất (bị xóa ngoài phần mềm), không kiểm tra tệp"),
    (
        "which archived it, is gone or edited",
        "mục sổ nhật ký ghi việc lưu trữ hồ sơ này đã bị xóa hoặc sửa, không kiểm tra được record.json",
    ),
    (
        "which archived it, holds no SHA-256",
        "mục sổ nhật ký ghi việc lưu trữ hồ sơ này đã bị sửa, không kiểm tra được record.json",
    ),
    ("its folder is gone", "thư mục của hồ sơ đã mất cùng mọi tệp (bị xóa ngoài phần mềm)"),
    (
        LEDGER_RETENTION_SHORTENED,
        "sổ nhật ký được lưu giữ vĩnh viễn, nhưng thời hạn lưu giữ của mục này bị rút ngắn hoặc gỡ bỏ ngoài phần mềm",
    ),
    (RETENTION_SHORTENED, "thời hạn lưu giữ của tệp bị rút ngắn hoặc gỡ bỏ ngoài phần mềm (sổ nhật ký ghi dài hơn)"),
    (HOLD_REMOVED, "phong tỏa pháp lý của tệp bị gỡ ngoài phần mềm (sổ nhật ký chưa ghi gỡ)"),
    (
        HOLD_UNRECORDED,
        "tệp đang bị phong tỏa pháp lý mà sổ nhật ký không ghi: mục ghi phong tỏa đã bị xóa, hoặc phong tỏa được đặt "
        "ngoài phần mềm",
    ),
    (
        RETENTION_UNREADABLE,
        "không đọc được thời hạn lưu giữ và phong tỏa pháp lý của tệp (bản ghi bị sửa hỏng, hoặc khóa truy cập kho "
        "không có quyền đọc), nên không đối chiếu được với sổ nhật ký",
    ),
    ("timestamps unreadable", "không đọc được dấu thời gian của tệp"),
    (
        "the record's files disagree",
        "verification.json là kết quả xác minh của một tệp đã ký khác: các tệp của hồ sơ không khớp nhau (bị thay "
        "ngoài phần mềm)",
    ),
    ("index entry unreadable", "mục chỉ mục không đọc được (bị sửa hoặc hỏng ngoài phần mềm), không tìm được hồ sơ"),
    (
        f"{INTERRUPTED_WRITE} before its record.json",
        "lưu vào kho bị gián đoạn trước khi ghi record.json (tiến trình bị dừng, hoặc kho không trả lời, giữa "
        "chừng): chạy lại lô với bản quét đó, hoặc các tệp do người đặt vào",
    ),
    (
        INTERRUPTED_WRITE,
        "lưu vào kho bị gián đoạn (tiến trình bị dừng, hoặc kho không trả lời, giữa chừng): chạy sohoa ledger "
        "finish (hoặc chạy lại lô với bản quét đó) — record.json và các tệp đã lưu, mục chỉ mục chưa ghi (hoặc bị xóa "
        "bằng tay)",
    ),
    (
        "no disposal sohoa makes",
        "mục sổ nhật ký ghi hồ sơ đã hủy khi chưa được hủy (còn thời hạn lưu giữ, đang bị phong tỏa pháp lý, hoặc ghi "
        "ngày trong tương lai): mục đó được ghi và hồ sơ bị xóa ngoài phần mềm",
    ),
    ("whose record.json is missing", "tệp của hồ sơ đã mất record.json (bị xóa ngoài phần mềm)"),
    ("not in the archive's index, and its files", "hồ sơ bị gỡ khỏi chỉ mục và tệp đã bị thay đổi sau khi lưu"),
    ("SHA-256 differs from the one recorded", "nội dung đã bị thay đổi (mã SHA-256 khác bản ghi)"),
    ("not the scan the record describes", "bản quét lưu không phải bản quét mà hồ sơ mô tả (mã SHA-256 khác nguồn)"),
    ("changed since it was archived", "record.json đã bị sửa sau khi lưu trữ"),
    ("not part of the record", "tệp lạ bị thêm vào thư mục hồ sơ"),
    ("the same file in", "cùng một tệp nằm trong nhiều hồ sơ (tệp của hồ sơ này bị chép sang hồ sơ khác)"),
    ("part of no record", "tệp lạ trong kho, không thuộc hồ sơ nào"),
    ("no longer in the archive", "hồ sơ đã lưu nhưng không còn trong kho"),
    ("no 'archived' entry", "sổ nhật ký thiếu mục lưu trữ của hồ sơ này"),
    ("removed from the end of the ledger", "các mục cuối sổ nhật ký đã bị xóa"),
    ("removed (sequence jumps", "mục sổ nhật ký đã bị xóa"),
    ("content edited", "mục sổ nhật ký đã bị sửa"),
    ("unreadable (not JSON)", "mục sổ nhật ký đã bị sửa (không đọc được)"),
    ("reordered", "mục sổ nhật ký bị đổi thứ tự hoặc chèn thêm"),
    ("timestamp renewal needed", "cần gia hạn dấu thời gian"),
    ("missing", "thiếu tệp"),
)


LEDGER_INTACT = "nguyên vẹn / intact"
LEDGER_BROKEN = "bị phá vỡ / BROKEN"


def chain_intact(problems: list[str]) -> bool:
    """Whether the ledger's chain itself holds among the ledger check's ``problems``: those of records the archive
    holds otherwise than the ledger recorded them ("record …") and interrupted archive writes are no break in it."""
    return all(
        problem.startswith("record ") or INTERRUPTED_WRITE in problem or _unprotected(problem) for problem in problems
    )


def unprotected_count(problems: list[str]) -> int:
    """How many of the ledger check's problems are entries or stamps whose retention falls short or cannot be
    read (``--json``'s ``unprotected_entries``, as the text verdict counts them)."""
    return sum(_unprotected(problem) for problem in problems)


def _unprotected(problem: str) -> bool:
    """A ledger entry or stamp whose retention falls short or cannot be read: the chain holds, its protection
    does not (said in the verdict, not as a broken chain)."""
    return problem.startswith(("entry ", "stamp ")) and (
        LEDGER_RETENTION_SHORTENED in problem or RETENTION_UNREADABLE in problem
    )


def ledger_verdict(problems: list[str], red: Callable[[str], str] = str) -> str:
    """The ledger check's verdict on its problems: BROKEN when the chain itself is (an entry or a day's stamp
    edited, removed, reordered); intact when the only problems are records the archive holds otherwise than the
    ledger recorded them (a record.json changed, a record gone: the chain whole, said as such with their count —
    "BROKEN" for one changed record.json sent auditors looking for a tampered ledger, QA63) or archive writes a
    killed run left unfinished (a rerun finishes them). ``red`` marks the words that need attention."""
    interrupted = sum(INTERRUPTED_WRITE in problem for problem in problems)
    # records, not lines: a forged disposal is named, and its record as gone (QA76: "2 record(s)" of one)
    of_records = len(
        {
            record_of_problem(problem) or problem
            for problem in problems
            if problem.startswith("record ") and INTERRUPTED_WRITE not in problem
        }
    )
    if not chain_intact(problems):
        return red(LEDGER_BROKEN)
    said = LEDGER_INTACT
    if of_records:
        said = (
            "chuỗi "
            + said.replace(" / ", " / chain ")
            + "; "
            + red(f"{of_records} hồ sơ không khớp sổ / record(s) not as the ledger recorded them")
        )
    if unprotected := unprotected_count(problems):
        said += "; " + red(
            f"{unprotected} mục hoặc dấu thời gian có thời hạn lưu giữ bị rút ngắn, gỡ bỏ hoặc không đọc được / "
            "entries or stamps whose retention was shortened, removed or cannot be read"
        )
    if interrupted:
        said += (
            f"; {interrupted} lần lưu bị gián đoạn, chạy lại lô hoặc sohoa ledger finish / interrupted archive "
            "write(s), rerun the batch or sohoa ledger finish"
        )
    return said


def problem_in_vietnamese(problem: str) -> str:
    """``vi / en`` for an audit or ledger problem line: what kind of problem it is in Vietnamese, then the English
    line itself (which names the object, entry or record exactly). The record, entry or day it is about named in
    the Vietnamese half too, after its kind (QA66: "record.json đã bị sửa sau khi lưu trữ / record f8db… …": which,
    only in English)."""
    if (claimed := _CLAIMED_WRITE.search(problem)) is not None:
        return f"{_claimed_write_words(claimed)} / {problem}"
    for words, meaning in _PROBLEM_WORDS:
        if words in problem:
            subject = None
            if (about := _PROBLEM_SUBJECT.match(problem)) is not None:
                kind, name = (group for group in about.groups() if group is not None)  # the one that matched
                shown = _day(name) if kind == "stamp" else name  # a day as officers write it
                meaning = f"{meaning} ({_SUBJECT_WORDS[kind]} {shown})"
                subject = name if kind == "entry" else None
            if facts := _facts_in_vietnamese(problem, subject):
                meaning = f"{meaning}: {facts}"
            return f"{meaning} / {problem}"
    return problem


def _day(text: str) -> str:
    return vn_date(text) if _ISO_DAY.fullmatch(text) else text


_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TOLD_WORDS = {"type": "loại", "number": "số", "signature level": "mức chữ ký", "signer": "người ký"}
# the facts an English problem line gives after its kind, each as a (pattern, Vietnamese) pair: the entry that
# recorded otherwise, the values each side holds, the days (QA99 F3: the Vietnamese half gave only the kind —
# "record.json đã bị sửa" — and left the forged number, the dates and the entry to look at to the English)
_FACTS: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (
        re.compile(r"its SHA-256 is not the one ledger entry (\d+) recorded"),
        lambda m: f"mã SHA-256 không phải mã mục sổ nhật ký {m[1]} đã ghi",
    ),
    (
        re.compile(
            r"(?:^|: |; )(type|number|signature level|signer) (.+?) in record\.json, (.+?) in ledger entry (\d+)"
        ),
        lambda m: (
            f"{_TOLD_WORDS[m[1]]} {'không có' if m[2] == 'none' else m[2]} trong record.json, "
            f"{'không có' if m[3] == 'none' else m[3]} ở mục sổ nhật ký {m[4]}"
        ),
    ),
    (
        re.compile(r"(?:retained only until (\S+)|not retained) — ledger entry (\d+) retains its record until (\S+):"),
        lambda m: (
            (f"tệp chỉ còn được lưu giữ đến {_day(m[1])}" if m[1] else "tệp không còn được lưu giữ")
            + f", mục sổ nhật ký {m[2]} ghi lưu giữ hồ sơ đến {_day(m[3])}"
        ),
    ),
    (
        re.compile(r"retained only until (\S+) — the ledger is kept for ever"),
        lambda m: f"chỉ còn được lưu giữ đến {_day(m[1])}",
    ),
    (
        re.compile(r"ledger entry (\d+) put its record under one, never released"),
        lambda m: f"mục sổ nhật ký {m[1]} đã phong tỏa hồ sơ, chưa có mục nào gỡ",
    ),
    (re.compile(r"archived \(ledger entry (\d+)\)"), lambda m: f"đã lưu theo mục sổ nhật ký {m[1]}"),
    # which record's record.json a folder holds, what a cut ledger's end shows, what a stopped write left (QA134 F5:
    # said in English only)
    (re.compile(r"is that of record ([0-9a-f]{16}(?: \([^)]*\))?)"), lambda m: f"record.json là của hồ sơ {m[1]}"),
    (
        re.compile(r"the archive shows they were written; the chain now ends at entry (\d+)"),
        lambda m: f"kho cho thấy các mục đó đã được ghi; chuỗi nay dừng ở mục {m[1]}",
    ),
    (
        re.compile(r"the index names the entry that archived record (.+?); the chain now ends at entry (\d+)"),
        lambda m: f"chỉ mục ghi mục sổ đã lưu hồ sơ {m[1]}; chuỗi nay dừng ở mục {m[2]}",
    ),
    (
        re.compile(r"(\d+) file\(s\) written, never retained \(([^)]*)\)"),
        lambda m: f"{m[1]} tệp đã ghi, chưa được đặt thời hạn lưu giữ ({m[2]})",
    ),
)
_ENTRY_NAMED = re.compile(r"\b(?:ledger )?entr(?:y|ies) (\d+)")


def _facts_in_vietnamese(problem: str, subject: str | None) -> str:
    """The facts of an English ``problem`` line said in Vietnamese (``_FACTS``); any ledger entry it names that
    none of them says is named after them ("mục sổ nhật ký 7"), so the Vietnamese half points where the English
    does. ``subject``: the entry the line is about, already named."""
    said: list[str] = []
    covered: set[str] = {subject} if subject else set()
    for pattern, words in _FACTS:
        for match in pattern.finditer(problem):
            said.append(words(match))
            covered.update(_ENTRY_NAMED.findall(match[0]))
    left = [n for n in dict.fromkeys(_ENTRY_NAMED.findall(problem)) if n not in covered]
    if left:
        said.append(f"mục sổ nhật ký {', '.join(left)}")
    return "; ".join(said)


# UnfinishedWrite's line for a write whose scan another host's writer still claims (storage.claims)
_CLAIMED_WRITE = re.compile(
    r"^record (?P<record>[0-9a-f]{16}) \((?P<prefix>[^)]*)\): [^,]+, or still under way, on host (?P<host>\S+) "
    r"\(process (?P<pid>\d+), batch (?P<batch>[^)]*)\) since (?P<since>[^(]+) \(by its clock\) — (?P<stored>[^,]+), "
    r".*? (?P<finish>sohoa ledger finish|a rerun)[^;]*? finishes it after (?P<after>[^,]+),"
)


def _claimed_write_words(claimed: re.Match[str]) -> str:
    finish = "sohoa ledger finish (hoặc chạy lại lô với bản quét)" if claimed["finish"] != "a rerun" else "chạy lại lô"
    stored = "record.json và các tệp đã lưu" if claimed["stored"].startswith("record.json") else "một số tệp đã ghi"
    return (
        f"hồ sơ {claimed['record']} ({claimed['prefix']}): máy {claimed['host']} (tiến trình {claimed['pid']}, lô "
        f"{claimed['batch']}) đang lưu hồ sơ này vào kho từ {claimed['since']} (theo đồng hồ máy đó), hoặc đã bị dừng "
        f"giữa chừng — {stored}, mục chỉ mục chưa ghi; nếu tiến trình đó đã dừng, {finish} hoàn tất sau "
        f"{claimed['after']}, trên máy {claimed['host']} thì ngay"
    )


# what a problem line begins with, to name it in Vietnamese: "record 0123… (2025/QĐ/…)", "entry 12", "stamp 2026-…"
_PROBLEM_SUBJECT = re.compile(
    r"^(?:(record) ([0-9a-f]{16}(?: \([^)]*\))?)|(entry) (\d+(?:(?:–|, )\d+)*)|(stamp) (\d{4}-\d{2}-\d{2})"
    r"|()([^\s:]+/[^\s:]+)(?=: ))[: ]"  # or an object of the archive, by its key (QA67: named in English only)
)
_SUBJECT_WORDS = {"record": "hồ sơ", "entry": "mục", "stamp": "dấu thời gian ngày", "": "tệp"}


@dataclass
class LedgerCheck:
    """The custody ledger of an archive checked against its records (``check_ledger_of``)."""

    ledger: Ledger
    records: list[Record]  # the archive's records, read once for the check (and for what the caller does next)
    damaged: list[DamagedRecord]  # records whose record.json (or index entry) could not be read
    problems: list[str]  # the ledger's broken links and stamps, edited/removed/reordered entries (English)


def check_ledger_of(archive: BaseArchive, settings: Settings) -> LedgerCheck:
    """The hash chain and its daily timestamps, each "archived" entry held against its record: what
    ``sohoa ledger verify`` and the archive audit both report. The stamps' TSA is checked against
    SOHOA_TRUST_ROOTS only when they are set; without them only a token's own signature and its imprint are."""
    damaged: list[DamagedRecord] = []
    found = list(archive.records_as_read(damaged))
    records = [read.record for read in found]
    ledger = Ledger(archive)
    roots: list[Any] = []
    if settings.trust_roots:
        from signing.verify import load_trust_roots  # pyHanko's validation: only for stamps checked against roots

        roots = load_trust_roots(list(settings.trust_roots))[0]
    # the "archived" entry each index entry names: one past the chain's end was cut off it
    problems = ledger.verify(roots or None, records=records, damaged=damaged, indexed=indexed_entries(found))
    return LedgerCheck(ledger, records, damaged, problems)
