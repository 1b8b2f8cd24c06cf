"""The Vietnamese half of an audit or ledger problem line carries the facts its English half gives (QA99 F3): the
ledger entry that recorded otherwise, the values each side holds, the days — not only the kind of problem."""

from __future__ import annotations

import pytest

from flows.ledger_check import problem_in_vietnamese

PREFIX = "2025/QĐ/15-QĐ-UBND--fd40309ad5c0d53d"


@pytest.mark.parametrize(
    ("english", "facts"),
    [
        (
            f"record fd40309ad5c0d53d ({PREFIX}): record.json changed since it was archived (its SHA-256 is not the "
            "one ledger entry 30 recorded): number 99/QĐ-UBND in record.json, 15/QĐ-UBND in ledger entry 27",
            "mã SHA-256 không phải mã mục sổ nhật ký 30 đã ghi; số 99/QĐ-UBND trong record.json, 15/QĐ-UBND ở mục "
            "sổ nhật ký 27",
        ),
        (
            f"record fd40309ad5c0d53d ({PREFIX}): record.json changed since it was archived (its SHA-256 is not the "
            "one ledger entry 30 recorded) — not the record archived: signer CN=Giả Mạo,O=X,C=VN in record.json, "
            "CN=Nguyễn Văn A,O=UBND,C=VN in ledger entry 28",
            "người ký CN=Giả Mạo,O=X,C=VN trong record.json, CN=Nguyễn Văn A,O=UBND,C=VN ở mục sổ nhật ký 28",
        ),
        (
            f"{PREFIX}/document.pdf: retained only until 2026-01-01 — ledger entry 30 retains its record until "
            "2096-12-04: its retention shortened or removed behind the archive's back",
            "tệp chỉ còn được lưu giữ đến 01/01/2026, mục sổ nhật ký 30 ghi lưu giữ hồ sơ đến 04/12/2096",
        ),
        (
            f"{PREFIX}/original.png: not under legal hold — ledger entry 31 put its record under one, never "
            "released: its legal hold lifted behind the archive's back",
            "mục sổ nhật ký 31 đã phong tỏa hồ sơ, chưa có mục nào gỡ",
        ),
        (
            "record 51844b0a168b537a: archived (ledger entry 24) but no longer in the archive — its record.json, its "
            "folder or its index entry is gone",
            "đã lưu theo mục sổ nhật ký 24",
        ),
        # QA134 F5: which record's record.json, what a cut ledger's end shows, what a stopped write left, a stamp
        (
            f"record fd40309ad5c0d53d ({PREFIX}): its record.json is that of record 6e367e633ddc0b03 (2025/TB/09-TB) "
            "— not this record's, so its files cannot be checked against it: replaced behind the archive's back",
            "record.json là của hồ sơ 6e367e633ddc0b03 (2025/TB/09-TB)",
        ),
        (
            "entry 42: removed from the end of the ledger (the archive shows they were written; the chain now ends "
            "at entry 41)",
            "kho cho thấy các mục đó đã được ghi; chuỗi nay dừng ở mục 41",
        ),
        (
            f"{PREFIX}: archive write interrupted before its record.json — 1 file(s) written, never retained "
            "(document.pdf); rerun the batch with its scan, or they were put there by hand",
            "1 tệp đã ghi, chưa được đặt thời hạn lưu giữ (document.pdf)",
        ),
        (
            "stamp 2026-12-05: entry 18 no longer has the stamped hash — the ledger was rewritten after it was "
            "timestamped",
            "sổ nhật ký bị viết lại sau khi được đóng dấu thời gian: mục đầu sổ của ngày không còn mã băm đã đóng dấu "
            "(dấu thời gian ngày 05/12/2026): mục sổ nhật ký 18",
        ),
    ],
)
def test_the_vietnamese_half_says_the_facts(english: str, facts: str) -> None:
    said = problem_in_vietnamese(english)
    vietnamese, _, rest = said.partition(" / ")
    assert facts in vietnamese, said
    assert said.endswith(english), said


def test_an_entry_already_named_as_the_subject_is_not_named_again() -> None:
    said = problem_in_vietnamese("entry 4: removed (sequence jumps 3 → 5)")
    assert said.startswith("mục sổ nhật ký đã bị xóa (mục 4) / entry 4"), said
