"""The parts of a scanned stack (QA52): blank backs of separator sheets fed duplex, blank pages inside a document,
a damaged part's reason, and how each output names the stack's pages a record came from."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageDraw
from typer.testing import CliRunner

from flows.cli import app
from flows.intake import BlankPart, only_separators, split_stack
from flows.pipeline import BatchReport, Outcome, process_many
from ocr.inputs import inspect_input
from ocr.quality import blank_image
from sohoa.errors import BadInputError, Problem
from tests.conftest import make_settings
from tests.test_operations_intake import CODE, page, separator, stack_pdf


def blank_back(seed: int = 0) -> Image.Image:
    """The back of a sheet as a scanner sees it: off-white paper, grey noise and a few specks of dust."""
    noise = np.random.default_rng(seed).integers(-6, 6, size=(600, 1240), endpoint=True)  # NumPy: 744,000 draws
    image = Image.fromarray((242 + noise).astype(np.uint8), "L")
    rng = random.Random(seed)
    draw = ImageDraw.Draw(image)
    for _ in range(30):
        x, y, r = rng.randrange(40, 1200), rng.randrange(40, 560), rng.choice((1, 1, 2))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=rng.randint(90, 190))
    return image


def test_a_blank_page_is_told_by_its_image_from_a_page_with_the_least_ink() -> None:
    for seed in range(3):
        assert blank_image(blank_back(seed), 300)
    digit = blank_back()
    ImageDraw.Draw(digit).text((600, 500), "2", fill=30, font_size=46)  # an 11 pt page number at 300 dpi
    assert not blank_image(digit, 300)
    assert not blank_image(page("Văn bản"), 300)


def test_a_blank_part_is_dropped_as_a_separators_back_and_the_others_keep_their_numbers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    a, b = page("Văn bản A"), page("Văn bản B")
    stack = stack_pdf(tmp_path / "hai mặt.pdf", [a, separator(), blank_back(1), separator(), b, blank_back(2)])
    dropped: list[BlankPart] = []
    with caplog.at_level("INFO", logger="sohoa"):
        parts = split_stack(stack, tmp_path / "work", CODE, shown="STACK", dropped=dropped)
    assert [p.name for p in parts] == ["hai mặt.pdf#1.pdf", "hai mặt.pdf#3.pdf"]  # the blank back at the end kept
    # the documents kept are counted, the blank part said apart (QA93 F6: "split into 3 document(s)", 2 made)
    (split,) = [r.getMessage() for r in caplog.records if "split into" in r.getMessage()]
    assert split == (
        "STACK: đã tách thành 2 văn bản tại 2 tờ phân cách; bỏ 1 phần trắng giữa các tờ phân cách (dưới đây) / split "
        "into 2 document(s) at 2 separator page(s); 1 blank part(s) between separators dropped (below)"
    ), split
    assert dropped == [BlankPart(stack="STACK", part=2, pages=[3])]
    assert "page 3 dropped: blank" in dropped[0].english() and "bỏ trang 3" in dropped[0].vietnamese()
    with pikepdf.open(parts[1]) as pdf:
        assert len(pdf.pages) == 2  # a blank page inside a document stays: the record mirrors the paper


def faint_note() -> Image.Image:
    """A note in light grey ink (a faded or pencil one) that a person reads: no ink the blank test sees."""
    from PIL import ImageFont

    from tests.test_operations_intake import FONT

    note = Image.new("L", (2480, 1200), 255)
    draw = ImageDraw.Draw(note)
    for row, line in enumerate(("Đã nhận bản chính ngày 15 tháng 3 năm 2025", "Người nhận ký và ghi rõ họ tên")):
        draw.text((350, 300 + row * 120), line, font=ImageFont.truetype(FONT, 58), fill=175)
    return note


A4 = (2480, 3508)  # pixels at 300 dpi


def faint_note_page() -> Image.Image:
    note = Image.new("L", A4, 255)
    note.paste(faint_note(), (0, 0))
    return note


def flatbed(page: Image.Image | tuple[int, int], seed: int) -> Image.Image:
    """``page`` (or a blank page of that size) as the samples' flatbed scans look: toner grey, dust specks, noise."""
    import sys

    from tests.conftest import SAMPLES

    sys.path.insert(0, str(SAMPLES))
    try:
        from make_samples import degrade
    finally:
        sys.path.remove(str(SAMPLES))
    clean = page if isinstance(page, Image.Image) else Image.new("L", page, 255)
    return degrade(clean, random.Random(seed), 0.0, 300, 2.0, 0.7)


def show_through(seed: int = 0) -> Image.Image:
    """The back of a printed sheet, its text showing through faintly, mirrored."""
    back = page("THÔNG BÁO\nVề lịch tiếp công dân tại trụ sở").transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return back.point(lambda v: 255 - (255 - v) * 45 // 255)  # black ink shows as grey 210


def note_over_show_through_a4() -> Image.Image:
    """A faint note on the back of a printed sheet whose text shows through (``tests.test_ocr_unread``), at 300 dpi."""
    from tests.test_ocr_unread import note_over_show_through

    return note_over_show_through().resize(A4, Image.Resampling.BICUBIC)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("note", "name"),
    [(faint_note, "ghi chú mờ"), (note_over_show_through_a4, "ghi chú")],
    ids=["faint-note", "note-over-show-through"],
)
def test_a_part_that_only_looks_blank_is_read_before_it_is_dropped(
    tmp_path: Path, note: Callable[[], Image.Image], name: str
) -> None:
    """QA: a faint note alone between two separators passed the ink test as blank and was dropped unread, none of it
    archived. A part that looks blank is read first: text read well is a document; show-through is still blank.
    A faint note on the back of a printed sheet reads well mirrored, as show-through does: it was dropped as a
    separator's back, the note with it. Its own lines, read as ocr.pipeline keeps them, make it a document."""
    page_of_note = note()
    assert blank_image(page_of_note, 300)  # what the ink test alone says
    stack = stack_pdf(
        tmp_path / f"{name}.pdf",
        [page("Văn bản A"), separator(), page_of_note, separator(), show_through(), separator(), page("Văn bản B")],
    )
    dropped: list[BlankPart] = []
    parts = split_stack(stack, tmp_path / "work", CODE, shown="STACK", dropped=dropped)
    assert [p.name for p in parts] == [f"{name}.pdf#1.pdf", f"{name}.pdf#2.pdf", f"{name}.pdf#4.pdf"]
    assert dropped == [BlankPart(stack="STACK", part=3, pages=[5])]


@pytest.mark.integration
def test_a_faded_receipt_alone_between_separators_is_a_document(tmp_path: Path) -> None:
    """QA110: read with its paper whitened, a faded thermal receipt on a sheet (no ink the blank test sees) was a
    grey block to Tesseract, read as nothing; alone between two separators, it would have been dropped. Upside down
    it reads as nothing either way, as it is and mirrored: kept. Show-through reads well mirrored: dropped."""
    from tests.test_ocr_unread import faded_receipt, letter_page

    receipt = faded_receipt().resize(A4, Image.Resampling.BICUBIC)  # at 300 dpi
    assert blank_image(receipt, 300)
    upside_down = receipt.rotate(180)  # (QA111: read as nonsense, it was dropped as a separator's back)
    # a page of text showing through, faint print to the blank test: read darkened, as nonsense; mirrored, well
    mirrored = letter_page().transpose(Image.Transpose.FLIP_LEFT_RIGHT).point(lambda v: 255 - (255 - v) * 50 // 255)
    faint_show_through = mirrored.resize(A4, Image.Resampling.BICUBIC)
    stack = stack_pdf(
        tmp_path / "biên lai.pdf",
        [page("Văn bản A"), separator(), receipt, separator(), upside_down, separator(), faint_show_through],
    )
    dropped: list[BlankPart] = []
    parts = split_stack(stack, tmp_path / "work", CODE, shown="STACK", dropped=dropped)
    assert len(parts) == 3 and dropped == [BlankPart(stack="STACK", part=4, pages=[7])]


@pytest.mark.integration
def test_a_page_with_only_its_number_alone_between_separators_is_not_dropped(tmp_path: Path) -> None:
    """QA156 F6: a page with nothing on it but "Trang 1" in grey (no ink the blank test sees), alone between two
    separators, read as a word or two — too few to be text — was dropped as the back of a separator sheet, though
    no separator's back has a page number. It is a part, for the pipeline to say what was read on it; show-through,
    read as many words, some of them sure, is still dropped."""
    from PIL import ImageFont

    from tests.test_operations_intake import FONT

    number = Image.new("L", A4, 250)
    ImageDraw.Draw(number).text((1150, 3300), "Trang 1", font=ImageFont.truetype(FONT, 46), fill=170)
    assert blank_image(number, 300)
    stack = stack_pdf(
        tmp_path / "số trang.pdf",
        [page("Văn bản A"), separator(), number, separator(), show_through(), separator(), page("Văn bản B")],
    )
    dropped: list[BlankPart] = []
    parts = split_stack(stack, tmp_path / "work", CODE, shown="STACK", dropped=dropped)
    assert [p.name for p in parts] == ["số trang.pdf#1.pdf", "số trang.pdf#2.pdf", "số trang.pdf#4.pdf"]
    assert dropped == [BlankPart(stack="STACK", part=3, pages=[5])]


def test_a_page_number_is_told_from_show_through_junk_with_a_digit_in_it() -> None:
    """What Tesseract read on pages that look blank (QA156's stack, QA158's separator backs): a page number is
    kept; a separator's title "PHÂN CÁCH 01" showing through its back, read as a few junk words with a digit in
    them, sure, is not (QA158 F1: a first version kept two such backs, archived as documents)."""
    from flows.intake import _page_number_read

    assert _page_number_read([("-trang", 53), ("1", 96)])
    assert _page_number_read([("-", 0), ("_", 36), ("page", 76), ("2", 76)])  # specks left out
    assert _page_number_read([("-2-", 90)]) and _page_number_read([("Trang", 90), ("2/15", 85)])
    assert not _page_number_read([("T†0", 55), ("HĐÀ2", 81), ("I4ÂH3", 29), ("II", 40)])
    assert not _page_number_read([("†0", 89), ("HÀ", 0), ("MWÂH3", 40), ("[IlWlÌ", 3)])
    assert not _page_number_read([("Trang", 90), ("2", 60)])  # its number not read surely
    assert not _page_number_read([("IỘH", 88), ("2", 90)])


@pytest.mark.integration
def test_show_through_inside_a_document_is_a_blank_page_without_text(tmp_path: Path) -> None:
    """QA: the back of a page showing its text through, mirrored (no ink the blank test sees), was read as 314 words
    of nonsense at confidence 37: the record went to review, the nonsense into its text and every search."""
    from ocr import ocr_document

    scan = tmp_path / "hai mặt.pdf"
    stack_pdf(scan, [page("THÔNG BÁO\nVề lịch tiếp công dân"), show_through()])
    result = ocr_document(scan, tmp_path / "out.pdf", workers=1)
    assert [p.quality for p in result.pages] == ["good", "blank"], result.pages
    assert result.layout is None or all(not page.words for page in result.layout if page.number == 2)
    assert "THÔNG BÁO" in result.text and len(result.text.split()) < 15, result.text


def test_separators_fed_duplex_are_only_separators(tmp_path: Path) -> None:
    duplex = stack_pdf(tmp_path / "tờ phân cách.pdf", [separator(), blank_back(1), separator(), blank_back(2)])
    assert split_stack(duplex, tmp_path / "work", CODE) == [duplex]  # nothing to split: judged whole
    assert only_separators(duplex, CODE)
    blank = stack_pdf(tmp_path / "trắng.pdf", [blank_back(1), blank_back(2)])
    assert not only_separators(blank, CODE)  # a blank scan without separators is not this case


def broken_xobject(source: Path, target: Path, index: int) -> Path:
    """``source`` with page ``index``'s image made a dictionary without data (QA's s10b)."""
    with pikepdf.open(source) as pdf:
        resources = pdf.pages[index].Resources
        name = next(iter(resources.XObject.keys()))
        resources.XObject[name] = pikepdf.Dictionary(Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
        pdf.save(target)
    return target


def test_a_page_whose_image_is_no_stream_is_damaged(tmp_path: Path) -> None:
    plain = stack_pdf(tmp_path / "plain.pdf", [page("Văn bản A"), page("Văn bản B")])
    broken = broken_xobject(plain, tmp_path / "broken.pdf", 1)
    with pytest.raises(BadInputError) as caught:
        inspect_input(broken)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE
    assert 'page 2, image "' in caught.value.english() and "trang 2" in caught.value.vietnamese()
    assert "image image" not in caught.value.english()
    inspect_input(plain)  # the same file unbroken is fine


@pytest.mark.integration
def test_a_duplex_stack_archives_its_documents_without_blank_pages_to_review(tmp_path: Path) -> None:
    """QA52: every record of a duplex scan needed review for its blank backs ("page N: no words found"), and a
    separator's back between two separators was archived and signed as an 'unknown' record. A damaged part is
    quarantined naming the stack, the part and the stack's page (it named a scratch file and the part's page)."""
    notice = page("THÔNG BÁO\nVề lịch tiếp công dân tháng Năm")
    invite = page("GIẤY MỜI\nHọp tổ dân phố số 3 ngày 5")
    stack = stack_pdf(
        tmp_path / "hai mặt.pdf",
        [notice, blank_back(1), separator(), blank_back(2), separator(), blank_back(3), invite, blank_back(4)],
    )
    good = stack_pdf(tmp_path / "good.pdf", [page("Văn bản A"), separator(), page("Văn bản C hỏng")])
    bad = broken_xobject(good, tmp_path / "hỏng.pdf", 2)
    settings = make_settings(tmp_path / "var", ocr_workers=1)
    report = BatchReport()
    report.results = list(process_many([stack, bad], settings, dropped=report.dropped))
    got = {r.source.rsplit("/", 1)[-1]: r for r in report.results}
    assert set(got) == {"hai mặt.pdf#1", "hai mặt.pdf#3", "hỏng.pdf#1", "hỏng.pdf#2"}
    for name in ("hai mặt.pdf#1", "hai mặt.pdf#3"):
        result = got[name]
        assert result.outcome == Outcome.ARCHIVED, result.reason_en
        assert result.record is not None and result.record.ocr is not None
        assert [p.quality for p in result.record.ocr.pages] == ["good", "blank"] if name.endswith("#1") else True
        assert not any("no words found" in reason for reason in result.record.review_reasons), name
    assert got["hai mặt.pdf#3"].record is not None and got["hai mặt.pdf#3"].record.ocr is not None
    # the back of the separator before it is no page of it (QA77: it was page 1 of the document, signed and
    # archived); the document's own back stays, as the paper is
    assert [p.quality for p in got["hai mặt.pdf#3"].record.ocr.pages] == ["good", "blank"]
    assert got["hai mặt.pdf#3"].label == "hai mặt.pdf — văn bản 3 / document 3, tr. / p. 7–8"
    # its record names the stack and its number, not the scratch file "hai mặt.pdf#3.pdf" nobody dropped (QA77)
    assert got["hai mặt.pdf#3"].record.source.name == "hai mặt.pdf#3"
    payload = report.to_json_dict()
    assert [(d["stack"], d["part"], d["pages"]) for d in payload["dropped_pages"]] == [
        (str(stack), 2, [4]),
        (str(stack), 3, [6]),
    ]

    damaged = got["hỏng.pdf#2"]
    assert damaged.outcome == Outcome.QUARANTINED and damaged.quarantined_as is not None
    assert damaged.reason_en is not None and damaged.reason_vi is not None
    assert damaged.reason_en.startswith("hỏng.pdf, document 2 (p. 3): ") and "(page 3, image" in damaged.reason_en
    assert damaged.reason_vi.startswith("hỏng.pdf, văn bản 2 (tr. 3): ") and "(trang 3)" in damaged.reason_vi
    reason_file = damaged.quarantined_as.with_name(damaged.quarantined_as.name + ".reason.txt")
    text = reason_file.read_text(encoding="utf-8")
    assert text.startswith(f"Tệp / File: {bad.resolve()} — văn bản 2 / document 2, tr. / p. 3\n")
    assert "#2.pdf" not in text and "page 1" not in text

    env = {"SOHOA_DATA_DIR": str(settings.data_dir)}
    listed = CliRunner().invoke(app, ["list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    rows = {r["source"]: r for r in json.loads(listed.stdout)["records"]}
    assert {"hai mặt.pdf#1", "hai mặt.pdf#3", "hỏng.pdf#1"} <= set(rows)  # not the scratch name hai mặt.pdf#3.pdf
    record_id = rows["hai mặt.pdf#3"]["id"]
    shown = CliRunner().invoke(app, ["get", record_id], env=env)
    assert shown.exit_code == 0, shown.output
    assert "hai mặt.pdf — văn bản 3 / document 3, tr. / p. 7–8" in shown.stdout
    assert "#3.pdf" not in shown.stdout and "trang trắng / blank page" in shown.stdout


@pytest.mark.integration
def test_separators_fed_duplex_are_quarantined_as_only_separators(tmp_path: Path) -> None:
    duplex = stack_pdf(tmp_path / "tờ phân cách.pdf", [separator(), blank_back(1), separator(), blank_back(2)])
    (result,) = process_many([duplex], make_settings(tmp_path / "var", ocr_workers=1))
    assert result.outcome == Outcome.QUARANTINED, result.reason_en
    assert "only separator sheets" in (result.reason_en or "")


@pytest.mark.integration
def test_a_page_with_no_ink_the_blank_test_sees_is_not_straightened(tmp_path: Path) -> None:
    """QA: the skew measured on a blank back's specks, or on an upright faint note, is noise: "straightened 1.8°"
    on blank backs, 5° on the note, whose text layer then lay tilted across its level lines."""
    from ocr import ocr_document

    scan = stack_pdf(tmp_path / "mờ.pdf", [flatbed(faint_note_page(), 14), flatbed(A4, 21)])
    result = ocr_document(scan, tmp_path / "out.pdf", workers=1)
    assert [(p.skew, p.quality) for p in result.pages] == [(0.0, "good"), (0.0, "blank")], result.pages


def test_a_page_with_no_ink_the_blank_test_sees_is_read_with_its_paper_white_or_its_faint_print_darkened(
    tmp_path: Path,
) -> None:
    """Tesseract's Otsu threshold on paper alone falls inside the paper's grain: the blank back of a duplex scan,
    read as scanned, took 7–12 s of Tesseract (half its pixels "ink"); with the paper whitened, 0.6 s. A page
    with faint print on it is read with that print darkened (whitened, a faded receipt on its own grey paper
    turned into a grey block: ocr.quality.FAINT_PAGE_PRINT_INCH2)."""
    from ocr.pipeline import _prepared

    back = flatbed(A4, 21)
    plan = _prepared(back, 1, 300, tmp_path, bands=1)
    assert plan.blank and not plan.darkened and plan.image_path is not None
    with Image.open(plan.image_path) as read:
        assert (np.asarray(read) == 255).mean() > 0.999  # paper white: only the dust specks are left on it
    note = faint_note_page()
    plan = _prepared(flatbed(note, 14), 2, 300, tmp_path, bands=1)
    assert plan.blank and plan.darkened and plan.image_path is not None
    with Image.open(plan.image_path) as read:
        seen = np.asarray(read)
    strokes = np.asarray(note) < 200
    assert np.median(seen[strokes]) < 60  # the note's grey strokes dark
    assert np.percentile(seen[~strokes], 5) > 200  # its paper light


@pytest.mark.integration
def test_a_word_alone_on_a_page_is_read(tmp_path: Path) -> None:
    """A page with a word or two on it (ocr.quality.LITTLE_INK_SHARE): as scanned, Otsu's threshold fell inside the
    paper's grain, Tesseract spent 6–8 s on specks and read nothing of "Lưu" or "12"; read whitened, it reads them —
    near the edge too (QA87: the whole outer margin whitened, "Lưu" 4 mm from the left was read "„ưu", "12" 6 mm from
    the bottom "47")."""
    from PIL import ImageFont

    from ocr import ocr_document
    from tests.test_operations_intake import FONT

    pages = []
    for word, where in (("Lưu", (47, 1700)), ("12", (1220, 3508 - 71 - 50))):  # 4 mm from the left, 6 from the foot
        clean = Image.new("L", A4, 255)
        ImageDraw.Draw(clean).text(where, word, font=ImageFont.truetype(FONT, 50), fill=0)
        pages.append(flatbed(clean, 5))
    result = ocr_document(stack_pdf(tmp_path / "ít chữ.pdf", pages), tmp_path / "out.pdf", workers=2)
    assert [p.quality != "blank" for p in result.pages] == [True, True], result.pages
    assert result.text.split() == ["Lưu", "12"], result.text


def test_the_papers_grain_is_measured_on_its_bright_side_so_ink_never_passes_for_paper() -> None:
    """A dark edge, or a faint note filling the page, spread the dark side of the page's pixels: were the grain
    measured there, everything would be whitened, the note too."""
    from ocr.preprocess import paper_whitened

    noise = np.random.default_rng(3).normal(239, 2.6, size=(1754, 1240))  # A4 at 150 dpi, the samples' paper
    scan = noise.clip(0, 255).astype(np.uint8)
    scan[100:1650, 40:80] = 20  # a dark band inside the page
    scan[200:1600:20, 100:1100] = 175  # lines of grey-175 ink: 5 % of the page
    scan[201:1600:20, 100:1100] = 180
    ink = scan < 200
    seen = np.asarray(paper_whitened(Image.fromarray(scan)))
    assert (seen[~ink] == 255).all()
    assert np.array_equal(seen[ink], scan[ink])


@pytest.mark.integration
def test_a_faint_note_beside_a_scanners_dark_edges_is_read(tmp_path: Path) -> None:
    """QA86: a grey-175 note on a page with dark bands down its edges was "blank", its words lost: Otsu's threshold
    fell between the edges and the paper, and the note turned white. The margin the blank test leaves out, where
    the edges lie, is whitened with the paper: the note is read."""
    from ocr import ocr_document

    scan = np.asarray(flatbed(faint_note_page(), 14)).copy()
    scan[:, :45] = 30  # the edges, inside the blank test's margin (ocr.quality.BLANK_MARGIN)
    scan[:, -45:] = 35
    scan[-60:, :] = 30
    result = ocr_document(stack_pdf(tmp_path / "mép tối.pdf", [Image.fromarray(scan)]), tmp_path / "o.pdf", workers=1)
    assert "Đã nhận bản chính ngày 15 tháng 3 năm 2025" in result.text, result.pages
    assert result.pages[0].quality == "good"


def test_a_stack_in_units_larger_than_a_point_keeps_every_document(tmp_path: Path) -> None:
    """QA132: in a stack whose pages' box units are 10 pt (/UserUnit 10), a document's page was rendered at 100 dpi
    per unit inch — 10 dpi as printed — for the blank test, and dropped as the blank back of a separator sheet."""
    stack = stack_pdf(tmp_path / "img2pdf.pdf", [page("Văn bản A"), separator(), page("Văn bản B")])
    with pikepdf.open(stack) as pdf:
        for shown in pdf.pages:
            shown.mediabox = [float(v) / 10 for v in shown.mediabox]
            shown.obj.UserUnit = 10
            shown.contents_add(pdf.make_stream(b"q 0.1 0 0 0.1 0 0 cm"), prepend=True)
            shown.contents_add(pdf.make_stream(b"Q"))
        pdf.save(tmp_path / "đơn vị 10.pdf")
    dropped: list[BlankPart] = []
    parts = split_stack(tmp_path / "đơn vị 10.pdf", tmp_path / "work", CODE, shown="STACK", dropped=dropped)
    assert [p.name for p in parts] == ["đơn vị 10.pdf#1.pdf", "đơn vị 10.pdf#2.pdf"] and dropped == []
