"""The document types of Decree 30/2020 (Phụ lục III) and the civil-status (hộ tịch) records."""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources

from sohoa.vietnamese import canonical_tones, fold, spelling_key


@dataclass(frozen=True)
class DocType:
    code: str  # QĐ, TB, … ; HT-… for civil status; CV for công văn
    name_vi: str
    name_en: str
    cues: tuple[str, ...]

    @property
    def title(self) -> str:
        """The type word(s) as printed in a title block: 'Quyết định (cá biệt)' → 'quyết định'."""
        return canonical_tones(re.sub(r"\s*\(.*?\)", "", self.name_vi)).lower()

    @property
    def symbol_codes(self) -> tuple[str, ...]:
        """How the type shows in the symbol after 'Số: n/': 'QĐ' for QĐ, 'TLKT' for HT-TLKT."""
        if self.code.startswith("HT-"):
            return (self.code[3:],)
        if self.code in ("CV", "ThC"):
            return ()  # no type code in the symbol
        return (self.code,)

    @property
    def folded_titles(self) -> tuple[str, ...]:
        names = {self.title, *(canonical_tones(c).lower() for c in self.cues)}
        return tuple(sorted({fold(n) for n in names if n != "v/v"}, key=len, reverse=True))


@functools.cache
def load_doc_types() -> tuple[DocType, ...]:
    raw = json.loads(resources.files("classify").joinpath("data/doc_types.json").read_text(encoding="utf-8"))
    return tuple(
        DocType(code=item["code"], name_vi=item["name_vi"], name_en=item["name_en"], cues=tuple(item["cues"]))
        for item in raw
    )


@functools.cache
def by_code() -> dict[str, DocType]:
    return {t.code: t for t in load_doc_types()}


def type_code_named(given: str) -> str | None:
    """The type code an officer typed, whatever its case or Unicode form (`tb` → TB, `qđ` → QĐ), or None. Typed
    without its Đ (a keyboard with no Vietnamese input: `qd`) it names the one code it can be; `hd` is HD, not HĐ
    (different types: an exact match wins, and an ambiguous one names none)."""
    wanted = spelling_key(given.strip()).casefold()  # NFC, and the eth Ð read as Đ (QA82: `ÐA` named no type)
    exact = next((code for code in by_code() if code.casefold() == wanted), None)
    if exact is not None:
        return exact
    candidates = [code for code in by_code() if fold(code) == fold(wanted)]
    return candidates[0] if len(candidates) == 1 else None


def codes_near(given: str, codes: Sequence[str]) -> list[str]:
    """The codes among ``codes`` a mistyped one may have meant (at most three, case-blind), for a "did you mean"."""
    near = difflib.get_close_matches(given.strip().casefold(), [code.casefold() for code in codes], n=3)
    return [code for code in codes if code.casefold() in near]


def type_for_symbol_code(code: str) -> DocType | None:
    """Symbol group → type. Exact first; then case/Đ-insensitive when that is unambiguous (OCR reads 'QD'
    for 'QĐ' and mixes case in 'QyĐ'; but 'HD'/'HĐ' and 'DA'/'ĐA' are different types)."""
    exact, folded = _symbol_indexes()
    if code in exact:
        return exact[code]
    candidates = folded.get(fold(code), [])
    return candidates[0] if len(candidates) == 1 else None


@functools.cache
def _symbol_indexes() -> tuple[dict[str, DocType], dict[str, list[DocType]]]:
    exact: dict[str, DocType] = {}
    folded: dict[str, list[DocType]] = {}
    for doc_type in load_doc_types():
        for code in doc_type.symbol_codes:
            exact[code] = doc_type
            folded.setdefault(fold(code), []).append(doc_type)
    return exact, folded
