"""A page in another language (an English letter or form in a civil-status file) is read in that language too."""

from __future__ import annotations

import collections
import html
import re
import unicodedata
from pathlib import Path

import pytest

from ocr import ocr_document
from ocr.pipeline import _other_language
from ocr.quality import LOW, in_another_language, marked_share, page_quality
from sohoa.settings import load_settings
from tests.conftest import FIXTURES, SHARED, needs_shared

VIETNAMESE = (
    "Căn cứ Luật Tổ chức chính quyền địa phương ngày 19 tháng 6 năm 2015; xét đề nghị của công chức Tư pháp - Hộ "
    "tịch, Ủy ban nhân dân xã quyết định cấp bản sao trích lục khai sinh cho công dân có tên dưới đây và giao văn "
    "phòng lưu hồ sơ theo quy định của pháp luật hiện hành"
)
# an English page as the Vietnamese model reads it: a few stray marks (tesseract-test's 8087_054.3B)
ENGLISH_READ_IN_VIETNAMESE = (
    "Today the city )s quiet confidence has been shaken by the reality of modern warfare. “Even Napoleon, whose army "
    "blew of the nose of the Sphinx, đid not touch Dubrovnik,” said Milo, a bịg, mustachioed Croatian and an "
    "unemployed tour guide. “The Saracens, Ottomans, Austrians. ... none of them harmed our city. But the Serbs, our "
    "neighbors, tried to destroy us, and we won't forget.” He was drunkenly attacking the Serbs when Ï entered the "
    "Troubador Café"
)
SCRIBE = SHARED / "corpora" / "ocr" / "scribeocr-benchmark"


def test_a_page_in_another_language_is_told_by_its_words_bearing_almost_no_marks() -> None:
    share = marked_share(VIETNAMESE)
    assert share is not None and share > 0.6
    assert not in_another_language(VIETNAMESE)
    english = marked_share(ENGLISH_READ_IN_VIETNAMESE)
    assert english is not None and 0 < english < 0.06
    assert in_another_language(ENGLISH_READ_IN_VIETNAMESE)
    # too few words to tell: a page number, a signature block's name, a table of figures
    assert marked_share("Trang 2 of 10 Page") is None
    assert not in_another_language("Received by John Smith on 12 March")
    # a Vietnamese page typed without its marks is not told apart from English, and is read in both: either way
    # its letters are ASCII ones, and the reading Tesseract is surer of is kept
    assert in_another_language(unicodedata.normalize("NFD", VIETNAMESE).encode("ascii", "ignore").decode() * 2)


def test_a_page_read_in_another_language_is_not_weighed_by_the_vietnamese_lexicon() -> None:
    assert page_quality(92.0, ENGLISH_READ_IN_VIETNAMESE)[0] == LOW  # "Vietnamese words 65 % < 75 %"
    assert page_quality(92.0, ENGLISH_READ_IN_VIETNAMESE, vietnamese=False) == ("good", None)
    assert page_quality(55.0, ENGLISH_READ_IN_VIETNAMESE, vietnamese=False)[0] == LOW  # confidence still counts


def test_the_other_language_is_used_only_when_it_can_be() -> None:
    assert _other_language("vie", "eng", None) == "eng"
    assert _other_language("vie", "", None) == ""  # SOHOA_OCR_OTHER_LANGUAGE= : never
    assert _other_language("eng", "eng", None) == ""  # the pages are read in it anyway
    assert _other_language("deu", "eng", None) == ""  # the marks test is Vietnamese's
    assert _other_language("vie", "xyz", None) == ""  # no data for it: every page read in Vietnamese, as before


def test_the_other_language_setting_is_one_language_or_none() -> None:
    assert load_settings().ocr_other_language == "eng"
    assert load_settings(ocr_other_language="").ocr_other_language == ""
    with pytest.raises(ValueError, match="ocr_other_language"):
        load_settings(ocr_other_language="eng+fra")


def _truth_words(name: str) -> collections.Counter[str]:
    hocr = (SCRIBE / "ground_truth" / f"{name}.truth.hocr").read_text(encoding="utf-8")
    spans = re.findall(r"<span class=['\"]ocrx_word['\"][^>]*>(.*?)</span>", hocr, re.S)
    return collections.Counter(html.unescape(re.sub("<[^>]+>", "", span)).strip() for span in spans)


@needs_shared
def test_an_english_page_is_read_in_english_and_a_vietnamese_one_in_vietnamese(tmp_path: Path) -> None:
    page = SCRIBE / "img" / "filing_01.png"  # an English court filing, 183 words
    truth = _truth_words("filing_01")
    english = ocr_document(page, tmp_path / "en.pdf", workers=2, other_language="eng")
    vietnamese_only = ocr_document(page, tmp_path / "vi.pdf", workers=2, other_language="")
    [read_in_english], [read_in_vietnamese] = english.pages, vietnamese_only.pages
    assert read_in_english.language == "eng" and read_in_vietnamese.language == "vie"
    # in Vietnamese: stray marks and "Vietnamese words 60 % < 75 %", sent to review; in English: good, no lexicon
    assert read_in_vietnamese.quality == LOW and read_in_english.quality == "good"
    assert read_in_english.lexicon_share is None and read_in_english.corrections == []
    got = {
        label: sum((truth & collections.Counter(result.text.split())).values())
        for label, result in (("en", english), ("vi", vietnamese_only))
    }
    assert got["en"] >= 170 > got["vi"], got
    assert marked_share(english.text) == 0.0
    # a Vietnamese decree's page bears its marks: read in Vietnamese alone, as before
    decree = ocr_document(FIXTURES / "nd-155-2020-p1.jpg", tmp_path / "nd.pdf", workers=2, other_language="eng")
    assert [p.language for p in decree.pages] == ["vie"] and decree.pages[0].quality == "good"
