"""A page in another language (an English letter or form in a civil-status file) is read in that language too."""

from __future__ import annotations

import collections
import html
import re
import unicodedata
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from classify.review import reason_in_vietnamese
from ocr import ocr_document
from ocr.pipeline import _other_language, _vietnamese_phrases_kept
from ocr.quality import (
    LOW,
    in_another_language,
    low_quality_reason,
    marked_share,
    page_quality,
    reads_as_vietnamese_unmarked,
)
from ocr.tesseract import PageReading, Word
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
    # a Vietnamese page typed without its marks is not told apart from English by its marks, and is read in both;
    # the reading in English is not kept: it is Vietnamese without its marks (QA118: it was labelled English)
    unaccented = unicodedata.normalize("NFD", VIETNAMESE).encode("ascii", "ignore").decode().replace("đ", "d") * 2
    assert in_another_language(unaccented) and reads_as_vietnamese_unmarked(unaccented)
    assert not reads_as_vietnamese_unmarked(ENGLISH_READ_IN_VIETNAMESE * 2)


def test_an_english_page_of_poor_print_with_more_stray_marks_is_told_and_a_french_one_read_well_is_not() -> None:
    # QA118: the Vietnamese model put marks on 11.9 % of a poorly printed English letter's words: more than a page
    # read well has, fewer than Vietnamese (60–80 %); a French letter read well bears 15 % of its own
    poor = ENGLISH_READ_IN_VIETNAMESE + " Thé ẹntire lẹtter wás réad poorly"
    share = marked_share(poor)
    assert share is not None and 0.06 < share < 0.2
    assert in_another_language(poor, 51.2) and not in_another_language(poor, 90.6)
    # QA149 F4: slightly soft print read with confidence 82, 8 % of its words with stray marks: between the rules
    # (over 6 %, and not under 70), it was `low` and never read in English
    soft = ENGLISH_READ_IN_VIETNAMESE + " To whom Ít may concern, Thís is to certify the soÍtware"
    soft_share = marked_share(soft)
    assert soft_share is not None and 0.06 < soft_share < 0.1
    assert in_another_language(soft, 81.8)
    # QA119 F3: with a Vietnamese family's names in it too, a letter of poor print read 22.6 % marked (until then
    # the bar was 20 %: not tried in English, 322 of 515 words right; read in English, 483)
    with_names = poor + " Nguyễn Thị Hồng, Lê Văn Tám and Võ Thị Sáu of Huế, for Trần Đức Lợi"
    named_share = marked_share(with_names)
    assert named_share is not None and 0.2 < named_share < 0.3
    assert in_another_language(with_names, 66.5) and not in_another_language(with_names, 90.6)


def test_a_page_read_in_another_language_is_not_weighed_by_the_vietnamese_lexicon() -> None:
    assert page_quality(92.0, ENGLISH_READ_IN_VIETNAMESE)[0] == LOW  # "Vietnamese words 65 % < 75 %"
    assert page_quality(92.0, ENGLISH_READ_IN_VIETNAMESE, vietnamese=False) == ("good", None)
    # no lexicon weighs it, so its confidence bar is higher (QA118: 116 words right of 210 at confidence 76)
    assert page_quality(76.0, ENGLISH_READ_IN_VIETNAMESE, vietnamese=False)[0] == LOW
    assert page_quality(76.0, VIETNAMESE)[0] == "good"
    reason = low_quality_reason(1, 76.0, None, vietnamese=False)
    assert reason == "page 1: low OCR quality (OCR confidence 76 < 80 (read in another language))"
    # QA119 F5: its Vietnamese half said it in English
    assert reason_in_vietnamese(reason) == (
        "trang 1: chất lượng nhận dạng chữ thấp (độ tin cậy OCR 76 < 80 (đọc bằng ngôn ngữ khác))"
    )


def test_a_low_page_read_in_another_language_says_its_bar() -> None:
    from flows.cli import _page_quality_said
    from sohoa.record import PageOcr

    page = PageOcr(number=1, ocr=True, confidence=76.0, quality=LOW, language="eng")
    # "confidence 76.0" alone reads as good enough beside a Vietnamese page's bar of 70
    assert _page_quality_said(page) == (
        "trang / page 1: chất lượng thấp / low quality (độ tin cậy / confidence 76.0 < 80 (đọc bằng eng / read in eng))"
    )


def _word(text: str, left: int, confidence: float = 95.0, line: int = 1) -> Word:
    return Word(text, confidence, left, 100 * line, 20 * len(text), 30, 1, 1, line)


def test_the_vietnamese_phrases_of_a_page_read_in_english_are_kept_as_read_in_vietnamese() -> None:
    """QA118: an English letter's "Mr Nguyễn Văn Hùng, of Hà Nội" read in English came out "Mr Nguyén Van Hung, of
    Ha N6i", and a certified-copy stamp's "Ngày 20 tháng 3 năm 2025" lost every mark."""
    line_one = ["Mr", "Nguyễn", "Văn", "Hùng,", "of", "Hà", "Nội,", "to", "tô"]
    line_two = ["Ngày", "20", "tháng", "3", "năm", "2025", "said", "bịg"]
    line_three = ["couldn't", "say", "ít", "wrote", "ít", "in", "a", "letter,"]  # tesseract-test's 8071_093.3B
    # QA119: names beside short English words that are syllables too; an address's number
    line_four = ["Lê", "Văn", "Tám", "in", "Huế", "met", "Võ", "Thị", "Sáu", "at", "ten", "to", "nine"]
    line_four += ["in", "Hà", "Nội"]
    line_five = ["Số", "12,", "Quận", "1"]
    english_one = ["Mr", "Nguyén", "Van", "Hung,", "of", "Ha", "N6i,", "to", "to"]
    english_two = ["Ngay", "20", "thang", "3", "nam", "2025", "said", "big"]
    english_three = ["couldn't", "say", "it", "wrote", "it", "in", "a", "letter,"]
    english_four = ["Lé", "Van", "Tam", "in", "Hué", "met", "V6", "Thi", "Sau", "at", "ten", "to", "nine"]
    english_four += ["in", "Ha", "Ndi"]
    english_five = ["S6", "12,", "Quan", "1"]

    def reading(lines: list[list[str]], confidence: float = 95.0) -> PageReading:
        words = [
            _word(text, 200 * index, confidence, number)
            for number, line in enumerate(lines, 1)
            for index, text in enumerate(line)
        ]
        return PageReading(width=2000, height=400, words=words)

    vietnamese = reading([line_one, line_two, line_three, line_four, line_five])
    english = reading([english_one, english_two, english_three, english_four, english_five])
    kept = _vietnamese_phrases_kept(vietnamese, english).text().split()
    # marked words side by side (numbers between them), or one the other language read as no plain word ("Hué");
    # a marked word alone over a plain word is the Vietnamese model's slip ("tô", "ít"), "bịg" no syllable
    assert kept == [
        *["Mr", "Nguyễn", "Văn", "Hùng,", "of", "Hà", "Nội,", "to", "to"],
        *["Ngày", "20", "tháng", "3", "năm", "2025", "said", "big"],
        *english_three,
        *line_four,
        *["Số", "12,", "Quận", "1"],
    ]
    # read unsurely in Vietnamese, a phrase is English's
    unsure = reading([line_one, line_two, line_three, line_four, line_five], confidence=60.0)
    assert _vietnamese_phrases_kept(unsure, english).text() == english.text()
    # QA150 F4: a register of unaccented names read in English lost each lone "Ông" before one ("Ong"); an
    # honorific read as its own letters without marks is kept, another lone word is not
    register = reading([["1", "Ông", "NGUYEN", "VAN", "AN", "Thua", "101"], ["2", "Bà", "LE", "THI", "HA", "Cần"]])
    english_register = reading(
        [["1", "Ong", "NGUYEN", "VAN", "AN", "Thua", "101"], ["2", "Ba", "LE", "THI", "HA", "Can"]]
    )
    assert _vietnamese_phrases_kept(register, english_register).text().split() == [
        *["1", "Ông", "NGUYEN", "VAN", "AN", "Thua", "101"],
        *["2", "Bà", "LE", "THI", "HA", "Can"],
    ]


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


def _letter(lines: list[str], path: Path) -> Path:
    """A page of ``lines`` at 300 dpi, as a scan of a typed letter."""
    image = Image.new("L", (2480, 1400), 248)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf", 40)
    for index, line in enumerate(lines):
        draw.text((200, 150 + 70 * index), line, font=font, fill=20)
    image.save(path, dpi=(300, 300))
    return path


def test_an_english_letter_keeps_its_vietnamese_name_and_an_unaccented_vietnamese_page_stays_vietnamese(
    tmp_path: Path,
) -> None:
    english = _letter(
        [
            "Dear Sir or Madam,",
            "I write on behalf of my client, Mr Nguyễn Văn Hùng, of Hà Nội, concerning",
            "the renewal of his residence permit, which expires at the end of this month.",
            "Please find enclosed a certified copy of his passport and of his marriage",
            "certificate, together with the form you sent us, completed and signed.",
            "We should be grateful if you would confirm receipt of these documents,",
            "and let us know whether any further papers are needed for the application.",
            "Our client has lived at the same address for the past six years and works",
            "as an engineer for a local company, whose letter of support is also enclosed.",
            "Should you have any questions, please do not hesitate to contact this office.",
            "Yours faithfully, Jane Smith, Solicitor",
        ],
        tmp_path / "letter.png",
    )
    result = ocr_document(english, tmp_path / "letter.pdf", workers=2, other_language="eng")
    [page] = result.pages
    assert page.language == "eng" and page.quality == "good"
    assert "Nguyễn Văn Hùng" in result.text and "Hà Nội" in result.text and "residence permit" in result.text
    unaccented = _letter(
        [
            "CONG HOA XA HOI CHU NGHIA VIET NAM",
            "Doc lap - Tu do - Hanh phuc",
            "Uy ban nhan dan xa Dong Tam bao cao ket qua thuc hien nhiem vu nam 2025:",
            "cong tac cai cach hanh chinh tiep tuc duoc day manh, so ho so giai quyet",
            "dung han tang so voi cung ky nam truoc. Cong tac ho tich, chung thuc duoc",
            "thuc hien theo dung quy dinh cua phap luat, khong de xay ra sai sot.",
        ],
        tmp_path / "khong-dau.png",
    )
    [page] = ocr_document(unaccented, tmp_path / "khong-dau.pdf", workers=2, other_language="eng").pages
    assert page.language == "vie" and page.lexicon_share is not None


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
