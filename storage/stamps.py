"""RFC 3161 timestamps of the custody ledger's daily head.

The hash chain shows that no entry was changed *relative to the others*; whoever can write the archive could
still rewrite the whole chain from some entry on. A timestamp token from an outside TSA over the head hash of
each day pins the chain as it was then: a rewritten chain no longer has the stamped hash at the stamped place.

The head of a UTC day is the ledger's last entry of that day (dates are the entries' ``at`` in UTC). Each day is
stamped at most once, when it is over, by either of:

- the archive itself, when a TSA is configured (``SOHOA_TSA_URL``): the first ledger entry of a later day stamps
  the head of the day before (``Ledger.append``); a TSA that does not answer is logged, never fatal;
- ``sohoa ledger stamp`` (``stamp_closed_days``): stamps every finished day that has no stamp yet (catch-up, or
  run it daily from cron shortly after 00:00 UTC = 07:00 in Việt Nam so that a day is stamped at once).

Stored beside the ledger, retained like it: ``.ledger-heads/YYYY-MM-DD.tsr`` the DER token (``openssl ts -reply
-in … -token_in -text`` reads it) and ``.ledger-heads/YYYY-MM-DD.json`` ({day, seq, head_hash, entries, tsa,
stamped_at}), written after the token, so a day counts as stamped only with both. The token's message imprint
is the head hash itself: the head hash *is* the SHA-256 of the head entry's canonical JSON.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import logging
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from asn1crypto import cms, tsp
from asn1crypto import x509 as asn1_x509

from sohoa.errors import SohoaError
from storage.base import HEADS_DIR, permanent_retention, sha256_bytes

if TYPE_CHECKING:
    from storage.base import BaseArchive

TSA_TIMEOUT = 10  # seconds: an archive write waits for this at most once a day when the TSA is down

log = logging.getLogger(__name__)


class StampError(SohoaError):
    """A ledger head could not be timestamped (TSA unreachable or refusing, or a conflicting stored token)."""


@dataclass(frozen=True)
class DayHead:
    day: str  # YYYY-MM-DD (UTC)
    seq: int
    hash: str


def entry_day(entry: dict[str, Any]) -> str:
    """The UTC date of a ledger entry's ``at``."""
    at = datetime.fromisoformat(str(entry["at"]))
    return (at.astimezone(UTC) if at.tzinfo else at).date().isoformat()


def closed_day_heads(entries: Iterable[dict[str, Any] | None], today: date) -> list[DayHead]:
    """The head of every finished UTC day (before ``today``), entries given in sequence order: the last entry
    before the first entry of a later day. A day seen again later (event times are not strictly ordered) keeps
    its first head: one stamp per day."""
    heads: dict[str, DayHead] = {}
    prev: dict[str, Any] | None = None
    for entry in entries:
        if entry is None or not isinstance(entry.get("seq"), int):
            continue
        if prev is not None and entry_day(entry) > entry_day(prev):
            heads.setdefault(entry_day(prev), DayHead(entry_day(prev), prev["seq"], str(prev["hash"])))
        prev = entry
    if prev is not None and entry_day(prev) < today.isoformat():
        heads.setdefault(entry_day(prev), DayHead(entry_day(prev), prev["seq"], str(prev["hash"])))
    return sorted(heads.values(), key=lambda h: h.day)


def _run(coro: Coroutine[Any, Any, Any]) -> Any:
    """Run a coroutine to completion, also from code that already runs inside an event loop (a Prefect flow)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coro).result()


def request_token(tsa_url: str, head_hash: str, timeout: int = TSA_TIMEOUT) -> bytes:
    """An RFC 3161 token (DER ``ContentInfo``) whose message imprint is the SHA-256 ``head_hash``."""
    # the signing stage's TSA client: it says which TSA failed and how (down, an HTTP error, an HTML page, a
    # refusal with its status text) instead of pyHanko's "Error while contacting timestamp service" or
    # asn1crypto's parser text
    from signing.services import TsaClient, TsaError

    try:
        token = _run(TsaClient(tsa_url, timeout=timeout).async_timestamp(bytes.fromhex(head_hash), "sha256"))
    except TsaError as exc:
        raise StampError(f"không đóng được dấu thời gian cho sổ nhật ký / ledger head not timestamped: {exc}") from exc
    except Exception as exc:  # anything else still names the TSA
        raise StampError(f"TSA {tsa_url}: no timestamp for the ledger head: {type(exc).__name__}: {exc}") from exc
    return bytes(token.dump())


def _tst_info(token: bytes) -> tuple[cms.SignedData, tsp.TSTInfo]:
    signed = cms.ContentInfo.load(token)["content"]
    info = signed["encap_content_info"]["content"].parsed
    if not isinstance(info, tsp.TSTInfo):
        raise ValueError("not a timestamp token (no TSTInfo)")
    return signed, info


def token_time(token: bytes) -> datetime:
    """The time a token's TSA attests (its TSTInfo's genTime)."""
    when: datetime = _tst_info(token)[1]["gen_time"].native
    return when


def token_imprint(token: bytes) -> tuple[str, bytes]:
    """(hash algorithm, hashed message) of a token's message imprint."""
    _, info = _tst_info(token)
    imprint = info["message_imprint"]
    return str(imprint["hash_algorithm"]["algorithm"].native), bytes(imprint["hashed_message"].native)


def _keys(day: str) -> tuple[str, str]:
    return f"{HEADS_DIR}/{day}.tsr", f"{HEADS_DIR}/{day}.json"


def removed_stamp_days(archive: BaseArchive) -> dict[str, list[str]]:
    """The days whose stamp (its token or its record) was written and is gone, by day: the keys the archive shows
    were written (a folder's retention record outlives a hand-deleted file; a versioned bucket keeps a delete
    marker) and no longer holds (``BaseArchive._vanished_keys``)."""
    removed: dict[str, list[str]] = {}
    for key in archive._vanished_keys(f"{HEADS_DIR}/"):
        name = key.rsplit("/", 1)[-1]
        day = name.removesuffix(".tsr").removesuffix(".json")
        if day != name:
            removed.setdefault(day, []).append(key)
    return removed


def _stamp_removed_error(day: str, keys: list[str]) -> StampError:
    said = ", ".join(sorted(keys))
    return StampError(
        f"dấu thời gian ngày {day} đã được ghi rồi bị xóa ngoài phần mềm ({said}): không đóng dấu lại — một dấu mới "
        f"sẽ che việc sổ bị viết lại; hãy khôi phục từ bản sao lưu và chạy sohoa audit / the stamp of {day} was "
        f"written and is gone, removed behind the archive's back ({said}): not stamped again — a new stamp would "
        "cover a rewritten ledger; restore it from a backup and run sohoa audit"
    )


def stamp_head(
    archive: BaseArchive, head: DayHead, tsa_url: str, removed: Mapping[str, list[str]] | None = None
) -> dict[str, Any]:
    """Timestamp one day's head and store the token and its record; returns the record. A day already stamped
    keeps its stamp (at most one per day); a token left without its record by an interrupted stamp is adopted.
    A day whose stamp was written and removed is not stamped again (StampError): stamped anew, a ledger rewritten
    after the first stamp passed every check (QA134 F1). ``removed``: ``removed_stamp_days``, when the caller has
    looked already (a catch-up over many days looked once a day stamped)."""
    tsr_key, json_key = _keys(head.day)
    raw = archive._read(json_key)
    if raw is not None:
        _finish_retention(archive, head.day)
        stored: dict[str, Any] = json.loads(raw)
        return stored
    if (keys := (removed if removed is not None else removed_stamp_days(archive)).get(head.day)) is not None:
        raise _stamp_removed_error(head.day, keys)
    retain = permanent_retention()  # like the ledger entries it vouches for
    token = archive._read(tsr_key)
    if token is not None and token_imprint(token) != ("sha256", bytes.fromhex(head.hash)):
        raise StampError(f"{tsr_key}: a stored token for another head hash; the ledger changed after it was made")
    # each object written before its retention record (``_create``, as a ledger entry is): a crash in between leaves
    # an object not yet retained, which the next stamp retains (``_finish_retention``) — written after it, a crash
    # left a retention record with no object, which the check takes for a stamp removed (QA135 F1)
    if token is None:
        token = request_token(tsa_url, head.hash)
        archive._create(tsr_key, token, sha256_bytes(token), retain)
    else:
        _finish_retention(archive, head.day)
    _, info = _tst_info(token)
    record = {
        "day": head.day,
        "seq": head.seq,
        "head_hash": head.hash,
        "entries": head.seq,  # sequence numbers start at 1 with no gaps: the head's is the entry count
        "tsa": tsa_url,
        "stamped_at": info["gen_time"].native.isoformat(),
        "token": tsr_key.rsplit("/", 1)[-1],
        "token_sha256": sha256_bytes(token),
    }
    body = json.dumps(record, ensure_ascii=False, indent=1).encode("utf-8")
    archive._create(json_key, body, sha256_bytes(body), retain)
    log.info("ledger head of %s (entry %d) timestamped by %s", head.day, head.seq, tsa_url)
    return record


def stamp_closed_days(archive: BaseArchive, tsa_url: str, today: date | None = None) -> list[dict[str, Any]]:
    """Stamp every finished UTC day of the ledger that has no stamp yet; returns the new stamps' records. A stamp a
    crash left without its retention record is retained."""
    from storage.ledger import Ledger

    today = today or datetime.now(UTC).date()
    stamped = set(stamp_days(archive))
    for day in stamped:
        _finish_retention(archive, day)
    removed = removed_stamp_days(archive)
    heads = closed_day_heads((e for _, e in Ledger(archive).entries()), today)
    made = [
        stamp_head(archive, head, tsa_url, removed)
        for head in heads
        if head.day not in stamped and head.day not in removed
    ]
    for day in sorted(removed):
        # the other days are stamped all the same; this one never again (`ledger verify` and the audit name it)
        log.error("%s", _stamp_removed_error(day, removed[day]))
    return made


def _finish_retention(archive: BaseArchive, day: str) -> None:
    """Retain a day's stamp objects that a crash left without a retention record (one holding no date, or an
    unreadable one, was edited: left for the check to name). Only where retention is kept in files: a bucket
    writes an object and its retention in one request (and a look would cost a request per day)."""
    if not archive.retention_in_files:
        return
    for key in _keys(day):
        info = archive._info(key)
        if info is not None and info.no_retention_record:
            archive._finish_ledger_head(key, permanent_retention())


def stamp_days(archive: BaseArchive) -> list[str]:
    """The days that have a stamp record, in order."""
    return [k.rsplit("/", 1)[-1].removesuffix(".json") for k in archive._keys(f"{HEADS_DIR}/") if k.endswith(".json")]


def maybe_stamp_previous_day(archive: BaseArchive, head: DayHead, new_day: str) -> None:
    """Called before a ledger entry dated ``new_day`` is appended after ``head``: when that starts a new UTC day,
    stamp the head of the day before (when a TSA is configured and it has no stamp yet). Never raises: a TSA
    outage must not stop archiving; ``sohoa ledger stamp`` catches up."""
    if not archive.tsa_url or head.day >= new_day:
        return
    try:
        stamp_head(archive, head, archive.tsa_url)
    except Exception as exc:
        log.warning(
            "chưa gắn dấu thời gian cho đầu sổ nhật ký ngày %s (chạy `sohoa ledger stamp` sau): %s / ledger head of %s "
            "not timestamped (run `sohoa ledger stamp` later): %s",
            head.day,
            exc,
            head.day,
            exc,
        )


def _same(value: bytes, _algorithm: str) -> bytes:
    return value


def verify_stamps(
    archive: BaseArchive, chain: dict[int, str], trust_roots: list[asn1_x509.Certificate] | None = None
) -> list[str]:
    """Problems with the stored stamps, given ``chain`` (seq → hash of every entry whose own hash checks out):
    each token must cover the recorded head hash, its signature must verify (and chain to ``trust_roots`` when
    given), and the entry at the recorded position must still have that hash."""
    days = stamp_days(archive)
    # a stamp written and then deleted (its retention record, or a bucket's delete marker, outlives it): stamped
    # again, or not at all, a rewritten ledger passed every check (QA134 F1)
    problems = [
        f"stamp {day}: {', '.join(sorted(keys))} written and gone — the day's timestamp was removed behind the "
        "archive's back"
        for day, keys in sorted(removed_stamp_days(archive).items())
    ]
    if not days:
        return problems  # and pyHanko's validation not imported (~0.5 s) for a ledger never stamped
    from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
    from pyhanko_certvalidator import ValidationContext

    for day in days:
        tsr_key, json_key = _keys(day)
        try:
            stamped_from: datetime | None = datetime.fromisoformat(day).replace(tzinfo=UTC)
        except ValueError:
            stamped_from = None  # a name that is no day: only whether it is retained at all
        for key in (json_key, tsr_key):  # kept for ever, as the entries they stamp (QA79)
            if (problem := archive.kept_for_ever_problem(key, stamped_from)) is not None:
                problems.append(f"stamp {day}: {key}: {problem}")
        try:
            stored = json.loads(archive._read(json_key) or b"")
            seq, head_hash = int(stored["seq"]), str(stored["head_hash"])
            expected = bytes.fromhex(head_hash)
        except (ValueError, KeyError, TypeError):
            problems.append(f"stamp {day}: its record {json_key} is unreadable — edited")
            continue
        token = archive._read(tsr_key)
        if token is None:
            problems.append(f"stamp {day}: the token {tsr_key} is missing")
            continue
        try:
            signed, _ = _tst_info(token)
            algorithm, imprint = token_imprint(token)
        except (ValueError, KeyError, TypeError) as exc:
            problems.append(f"stamp {day}: the token is unreadable ({exc}) — edited")
            continue
        if algorithm != "sha256" or imprint != expected:
            problems.append(f"stamp {day}: the token does not cover the recorded head hash (token or record edited)")
        else:
            context = ValidationContext(trust_roots=trust_roots or [], allow_fetching=False)
            try:
                status = _run(validate_tst_signed_data(signed, context, functools.partial(_same, expected)))
            except Exception as exc:  # a malformed SignedData
                status = {"intact": False, "valid": False}
                log.debug("stamp %s: token validation failed: %s", day, exc)
            if not (status.get("intact") and status.get("valid")):
                problems.append(f"stamp {day}: the token's signature does not verify — token edited")
            elif trust_roots and (status.get("validation_path") is None or status.get("trust_problem_indic")):
                problems.append(f"stamp {day}: the token's TSA does not chain to a configured trust root")
        if seq not in chain:
            problems.append(
                f"stamp {day}: entry {seq} (the stamped head) is missing or edited — the ledger was changed after "
                "it was timestamped"
            )
        elif chain[seq] != head_hash:
            problems.append(
                f"stamp {day}: entry {seq} no longer has the stamped hash — the ledger was rewritten after it was "
                "timestamped"
            )
    return problems


def anchor_warning(archive: BaseArchive, tsa_configured: bool, today: date | None = None) -> str | None:
    """A warning, Vietnamese then English, when part of the ledger has no outside anchor: no day stamped at all, or
    finished days after the newest stamp not stamped. Without a stamp a consistent rewrite (a record's files and
    record.json, its ledger entry, the chain after it) passes every check, and `ledger verify` said "0 daily
    timestamp(s): intact" without a word (QA58). None when every finished day up to the newest is stamped (today's
    entries are stamped once the day is over) or the ledger is empty. Reads the ledger from its end back to the
    last finished day only."""
    from storage.base import LEDGER_DIR

    today = today or datetime.now(UTC).date()
    keys = [k for k in archive._keys(f"{LEDGER_DIR}/") if k.endswith(".json")]
    if not keys:
        return None
    last_closed: str | None = None  # the newest finished UTC day with entries
    for key in reversed(keys):
        try:
            day = entry_day(json.loads(archive._read(key) or b""))
        except (ValueError, KeyError, TypeError):
            continue  # an unreadable entry: the chain check names it
        if day < today.isoformat():
            last_closed = day
            break
    stamped = stamp_days(archive)
    if tsa_configured:
        do_vi, do_en = "hãy chạy `sohoa ledger stamp` hằng ngày", "run `sohoa ledger stamp` daily (cron)"
    else:
        do_vi = "hãy cấu hình SOHOA_TSA_URL và chạy `sohoa ledger stamp` hằng ngày để có mốc neo bên ngoài"
        do_en = "configure SOHOA_TSA_URL and run `sohoa ledger stamp` daily for an outside anchor"
    meaning_vi = (
        "sổ chỉ chứng minh thứ tự và sự toàn vẹn trước những sửa đổi không viết lại nó: ai ghi được vào kho có thể "
        "viết lại nhất quán một hồ sơ, mục sổ của nó và chuỗi sau đó mà mọi kiểm tra vẫn đạt"
    )
    meaning_en = (
        "the ledger proves order and integrity only against edits that don't rewrite it: whoever can write the "
        "archive can rewrite a record, its ledger entry and the chain after it consistently, and every check passes"
    )
    if not stamped:
        if tsa_configured and last_closed is None:
            return None  # every entry is today's: stamped once the day is over
        why_vi = "" if tsa_configured else " (chưa cấu hình SOHOA_TSA_URL)"
        why_en = "" if tsa_configured else " (no SOHOA_TSA_URL configured)"
        return (
            f"cảnh báo: sổ nhật ký không có dấu thời gian ngày nào{why_vi}, nên không có mốc neo bên ngoài — "
            f"{meaning_vi}; {do_vi} / warning: the ledger has no daily timestamp{why_en}, so no outside anchor — "
            f"{meaning_en}; {do_en}"
        )
    newest = stamped[-1]
    if last_closed is None or last_closed <= newest:
        return None
    return (
        f"cảnh báo: các ngày sau {newest} (đến {last_closed}) chưa có dấu thời gian, các mục ghi sau đó không có mốc "
        f"neo bên ngoài — {meaning_vi}; {do_vi} / warning: the finished days after the newest daily timestamp "
        f"({newest}), up to {last_closed}, are not timestamped, so the entries since have no outside anchor — "
        f"{meaning_en}; {do_en}"
    )
