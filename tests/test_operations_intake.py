"""Operations: scanned stacks split at separator sheets (a page bearing a QR code with the configured value)."""

from __future__ import annotations

import hashlib
import io
import shutil
from pathlib import Path

import img2pdf
import pikepdf
import pytest
import segno
from PIL import Image, ImageChops, ImageDraw, ImageFont

from flows.intake import split_stack
from flows.pipeline import Outcome, expand_inputs, process_many
from tests.conftest import make_settings

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"
CODE = "SOHOA-SEPARATOR"


def page(text: str) -> Image.Image:
    image = Image.new("L", (1240, 600), 255)
    ImageDraw.Draw(image).multiline_text((60, 80), text, fill=0, font=ImageFont.truetype(FONT, 48), spacing=24)
    return image


def separator(value: str = CODE) -> Image.Image:
    image = page("TỜ PHÂN CÁCH / SEPARATOR")
    buffer = io.BytesIO()
    segno.make(value, error="m").save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    image.paste(qr, (700, 180))
    return image


def label(kind: str, width_mm: float, angle: float = 0.0) -> Image.Image:
    """A separator sheet with a small label: a Micro QR code (what segno.make gives for the separator text) or a
    Code 128 barcode 15 mm high, ``width_mm`` wide at 300 dpi, turned by ``angle`` degrees (a skewed scan)."""
    import numpy as np
    import zxingcpp

    if kind == "micro":
        buffer = io.BytesIO()
        segno.make(CODE, error="m").save(buffer, kind="png", scale=10, border=4)
        code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        size = (round(width_mm / 25.4 * 300),) * 2
    else:
        drawn = zxingcpp.create_barcode(CODE, zxingcpp.BarcodeFormat.Code128).to_image(scale=10, add_quiet_zones=True)
        code = Image.fromarray(np.asarray(drawn)).convert("L")
        size = (round(width_mm / 25.4 * 300), round(15 / 25.4 * 300))
    sheet = Image.new("L", (1240, 800), 255)
    ImageDraw.Draw(sheet).text((60, 80), "TỜ PHÂN CÁCH / SEPARATOR", fill=0, font=ImageFont.truetype(FONT, 48))
    sheet.paste(code.resize(size, Image.Resampling.NEAREST), (60, 780 - size[1]))
    return sheet.rotate(angle, fillcolor=255) if angle else sheet


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(300, 300))
    return buffer.getvalue()


def stack_pdf(path: Path, pages: list[Image.Image]) -> Path:
    path.write_bytes(img2pdf.convert([png(p) for p in pages]))
    return path


def first_image(pdf_path: Path, page_index: int = 0) -> Image.Image:
    with pikepdf.open(pdf_path) as pdf:
        (_, raw), *_ = pdf.pages[page_index].get_images().items()
        return pikepdf.PdfImage(raw).as_pil_image().convert("L")


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


def test_pdf_stack_is_split_at_separators_losslessly_and_reproducibly(tmp_path: Path) -> None:
    a, b1, b2, c = page("Văn bản A"), page("Văn bản B trang 1"), page("Văn bản B trang 2"), page("Văn bản C")
    stack = stack_pdf(
        tmp_path / "chồng hồ sơ.pdf",
        [a, separator(), b1, b2, separator(), separator(), separator("OTHER-QR"), c, separator()],
    )
    parts = split_stack(stack, tmp_path / "work", CODE)
    assert [p.name for p in parts] == [f"chồng hồ sơ.pdf#{n}.pdf" for n in (1, 2, 3)]
    counts = []
    for part in parts:
        with pikepdf.open(part) as pdf:
            counts.append(len(pdf.pages))
    assert counts == [1, 2, 2]  # a QR code with another value is a page like any other
    assert same_pixels(first_image(parts[0]), a) and same_pixels(first_image(parts[1], 1), b2)
    assert same_pixels(first_image(parts[2], 1), c)
    again = split_stack(stack, tmp_path / "work2", CODE)
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in parts]  # same SHA-256 on a rerun


def test_tiff_stack_is_split_and_files_without_separators_are_left_alone(tmp_path: Path) -> None:
    a, b = page("Biên bản A"), page("Biên bản B")
    tiff = tmp_path / "stack.tiff"
    a.save(tiff, save_all=True, append_images=[separator(), b], dpi=(300, 300), compression="tiff_lzw")
    parts = split_stack(tiff, tmp_path / "work", CODE)
    assert len(parts) == 2
    assert same_pixels(first_image(parts[0]), a) and same_pixels(first_image(parts[1]), b)
    with pikepdf.open(parts[1]) as pdf:
        assert "/CreationDate" not in pdf.docinfo
    plain = stack_pdf(tmp_path / "plain.pdf", [a, b])
    assert split_stack(plain, tmp_path / "work", CODE) == [plain]
    assert split_stack(tiff, tmp_path / "work", "") == [tiff]  # splitting turned off
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(plain.read_bytes()[:200])
    assert split_stack(broken, tmp_path / "work", CODE) == [broken]  # left for the pipeline to quarantine


def test_a_g4_tiff_stack_is_split_keeping_its_ccitt_data(tmp_path: Path) -> None:
    # QA: the parts of a G4 TIFF stack were its frames re-encoded through PNG as Flate images (43 KB of G4 made
    # 76 KB), while an unsplit G4 TIFF stays CCITT G4: now as an unsplit one, a frame in one strip byte for byte
    a, b = (page(text).point(lambda v: 255 if v > 128 else 0).convert("1") for text in ("Biên bản A", "Biên bản B"))
    pages = [separator().convert("1"), b]
    for strips, options in (("one", {"strip_size": 1 << 30}), ("many", {"strip_size": 8192})):
        tiff = tmp_path / f"stack G4 {strips}.tiff"
        a.save(tiff, save_all=True, append_images=pages, dpi=(300, 300), compression="group4", **options)
        frames = []
        with Image.open(tiff) as image:
            for index in (0, 2):
                image.seek(index)
                offsets, lengths = image.tag_v2[273], image.tag_v2[279]
                assert (len(offsets) == 1) == (strips == "one")
                frames.append(tiff.read_bytes()[offsets[0] : offsets[0] + lengths[0]])
        parts = split_stack(tiff, tmp_path / "work", CODE)
        assert len(parts) == 2
        for part, frame, original in zip(parts, frames, (a, b), strict=True):
            with pikepdf.open(part) as pdf:
                (pdf_page,) = pdf.pages
                (_, raw), *_ = pdf_page.get_images().items()
                filters = raw.Filter if isinstance(raw.Filter, pikepdf.Array) else [raw.Filter]
                assert [str(f) for f in filters] == ["/CCITTFaxDecode"], strips
                if strips == "one":
                    assert raw.read_raw_bytes() == frame  # the frame's own G4 data
                assert [round(float(v)) for v in pdf_page.mediabox[2:]] == [298, 144]  # 1240×600 px at 300 dpi
            assert same_pixels(first_image(part), original.convert("L"))
        again = split_stack(tiff, tmp_path / "work2", CODE)
        assert [p.read_bytes() for p in again] == [p.read_bytes() for p in parts]  # same SHA-256 on a rerun


def test_a_tiff_stack_frame_with_an_orientation_tag_is_shown_as_an_unsplit_tiff_shows_it(tmp_path: Path) -> None:
    # the split parts were made by img2pdf, which turned a frame with an Orientation tag by /Rotate once more
    # (Pillow decodes it turned already) and embedded a turned G4 frame's data under the turned size; the parts are
    # now made as the pipeline makes an unsplit TIFF's pages
    from ocr.inputs import inspect_input
    from ocr.pipeline import image_to_pdf

    document = page("Biên bản C").point(lambda v: 255 if v > 128 else 0).convert("1")
    turned = {274: 6}  # Orientation: the stored frame is shown turned a quarter clockwise
    tiff = tmp_path / "stack xoay.tiff"
    document.save(
        tiff,
        save_all=True,
        append_images=[separator().convert("1"), document],
        dpi=(300, 300),
        compression="group4",
        tiffinfo=turned,
    )
    alone = tmp_path / "một tờ.tiff"
    document.save(alone, dpi=(300, 300), compression="group4", tiffinfo=turned)
    image_to_pdf(inspect_input(alone), tmp_path / "một tờ.pdf")
    with pikepdf.open(tmp_path / "một tờ.pdf") as pdf:
        unsplit = (int(pdf.pages[0].obj.get("/Rotate", 0)), [round(float(v)) for v in pdf.pages[0].mediabox[2:]])
    parts = split_stack(tiff, tmp_path / "work", CODE)
    assert len(parts) == 2
    for part in parts:
        with pikepdf.open(part) as pdf:
            shown = (int(pdf.pages[0].obj.get("/Rotate", 0)), [round(float(v)) for v in pdf.pages[0].mediabox[2:]])
        assert shown == unsplit, (part.name, shown, unsplit)
        assert same_pixels(first_image(part), first_image(tmp_path / "một tờ.pdf"))


def test_a_file_of_nothing_but_separator_sheets_is_kept_not_dropped(tmp_path: Path) -> None:
    # splitting it would give no document at all, and the file would vanish from the batch without a word
    only = stack_pdf(tmp_path / "chỉ tờ phân cách.pdf", [separator(), separator()])
    assert split_stack(only, tmp_path / "work", CODE) == [only]
    single = stack_pdf(tmp_path / "một tờ.pdf", [separator()])
    assert split_stack(single, tmp_path / "work", CODE) == [single]
    tiff = tmp_path / "only.tiff"
    separator().save(tiff, save_all=True, append_images=[separator()], dpi=(300, 300))
    assert split_stack(tiff, tmp_path / "work", CODE) == [tiff]


@pytest.mark.integration
def test_pipeline_archives_each_document_of_a_stack_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / "hồ sơ").mkdir()
    stack = stack_pdf(
        tmp_path / "hồ sơ" / "stack.pdf",
        [page("THÔNG BÁO\nVề lịch tiếp công dân"), separator(), page("GIẤY MỜI\nHọp tổ dân phố số 3")],
    )
    settings = make_settings(tmp_path / "var", ocr_workers=1)
    monkeypatch.chdir(tmp_path)
    with caplog.at_level("INFO", logger="sohoa"):
        first = list(process_many([Path("hồ sơ/stack.pdf")], settings))
    # the log names each document by the stack as given, as it names the stack and every other file (QA63: the
    # stack's documents by its absolute path, "/…/hồ sơ/stack.pdf#1 (tr. / p. 1): ARCHIVED", beside "hồ sơ/…")
    said = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("hồ sơ/stack.pdf: đã tách thành 2 văn bản tại 1 tờ phân cách") for line in said), said
    assert any("/ split into 2 document(s) at 1 separator page(s)" in line for line in said), said
    for part in ("#1 (tr. / p. 1)", "#2 (tr. / p. 3)"):
        assert any(line.startswith(f"hồ sơ/stack.pdf{part}: ĐÃ LƯU / ARCHIVED as ") for line in said), said
    assert [r.outcome for r in first] == [Outcome.ARCHIVED, Outcome.ARCHIVED], [r.reason_en for r in first]
    assert [r.path.name for r in first] == ["stack.pdf#1.pdf", "stack.pdf#2.pdf"]
    assert all(r.record is not None and r.record.ocr is not None and len(r.record.ocr.pages) == 1 for r in first)
    assert "Họp" in (first[1].record.ocr.text if first[1].record and first[1].record.ocr else "")
    # each record and each line of the summary names the stack the officer dropped, not the scratch file
    whole = hashlib.sha256(stack.read_bytes()).hexdigest()
    for number, result in enumerate(first, start=1):
        assert result.record is not None and result.record.source.stack is not None
        assert result.record.source.path == f"{stack.resolve()}#{number}"
        origin = result.record.source.stack
        assert (origin.path, origin.sha256, origin.part) == (str(stack.resolve()), whole, number)
        assert origin.pages == [2 * number - 1]  # page 2 was the separator sheet
        # --json names it as given, as a single file is ("hồ sơ/stack.pdf#1"; QA93 F5: absolute beside "hồ sơ/x.pdf")
        assert result.summary()["path"] == f"hồ sơ/stack.pdf#{number}"
        assert result.summary()["stack"]["path"] == str(stack.resolve())  # the record's: absolute
        assert result.summary()["stack"]["sha256"] == whole
    second = list(process_many([stack], settings))
    assert [r.outcome for r in second] == [Outcome.ALREADY_ARCHIVED] * 2
    assert not any((settings.work_path / "stacks").glob("*/*"))  # the split parts are cleaned up


@pytest.mark.integration
def test_watch_once_claims_complete_files_and_writes_receipts(tmp_path: Path) -> None:
    import json
    import os
    import subprocess
    import sys
    import time

    root = Path(__file__).resolve().parent.parent
    inbox = tmp_path / "hộp thư đến"
    (inbox / "Tư pháp").mkdir(parents=True)
    long_name = "Thông báo lịch tiếp công dân của Ủy ban nhân dân xã " * 3 + ".png"
    (inbox / "Tư pháp" / long_name).write_bytes(png(page("THÔNG BÁO\nLịch tiếp công dân")))
    (inbox / "Tư pháp" / "ghi chú.pdf").write_text("đây không phải PDF\n", encoding="utf-8")
    old = time.time() - 60
    for path in inbox.rglob("*.*"):
        os.utime(path, (old, old))
    fresh = inbox / "đang quét.png"  # still being written: not complete yet
    fresh.write_bytes(png(page("GIẤY MỜI")))
    data_dir = tmp_path / "var"
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOHOA_")}
    env.update(SOHOA_DATA_DIR=str(data_dir), SOHOA_OCR_WORKERS="1", PYTHONPATH=str(root))
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "watch", str(inbox), "--once", "--json", "--stable-seconds", "30"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr[-3000:]  # the bad file is quarantined
    receipts = {r["file"]: r for r in json.loads(proc.stdout)["receipts"]}
    assert receipts[f"Tư pháp/{long_name}"]["outcome"] == "archived"
    assert receipts[f"Tư pháp/{long_name}"]["record_id"]
    bad = receipts["Tư pháp/ghi chú.pdf"]
    assert bad["outcome"] == "quarantined" and bad["reason"] and bad["sha256"]
    assert bad["tags"] == ["Tư pháp"]  # where it was dropped, as for an archived file
    assert fresh.exists() and "đang quét.png" not in receipts  # not claimed
    assert not (inbox / "Tư pháp" / long_name).exists()  # claimed (moved), then processed
    assert (data_dir / "processed" / "Tư pháp" / long_name).is_file()
    assert not any((data_dir / "claimed").rglob("*.*"))
    outbox = sorted((data_dir / "outbox").glob("*.receipt.json"))
    assert len(outbox) == 2
    assert {json.loads(p.read_text(encoding="utf-8"))["outcome"] for p in outbox} == {"archived", "quarantined"}


@pytest.mark.integration
def test_bundled_stack_splits_into_its_two_documents(tmp_path: Path) -> None:
    """samples/stack/ (processed by `make demo`): document, separator sheet, document in one scanned PDF."""
    import json

    stack_dir = Path(__file__).resolve().parent.parent / "samples" / "stack"
    expected = json.loads((stack_dir / "expected.json").read_text(encoding="utf-8"))
    inbox = tmp_path / "inbox"
    shutil.copytree(stack_dir, inbox)
    settings = make_settings(tmp_path / "var")
    results = list(process_many(expand_inputs([inbox]), settings))
    got = {r.path.name: r for r in results}
    assert set(got) == {e["file"] for e in expected}
    for item in expected:
        result = got[item["file"]]
        assert result.outcome == Outcome.ARCHIVED, result.reason_en
        assert result.record is not None and result.record.classification is not None
        assert result.record.classification.doc_type == item["doc_type"]
        assert result.record.classification.number == item["number"]
        assert str(result.record.classification.issued_on) == item["issued_on"]
        assert result.record.ocr is not None and len(result.record.ocr.pages) == item["pages"]


def test_a_file_of_nothing_but_separator_sheets_is_quarantined_as_no_document(tmp_path: Path) -> None:
    """QA: a file made only of separator sheets (the pile of separators fed by mistake) was archived and signed
    as an `unknown` record. It is refused with a reason an officer can act on; a one-page document that reads as
    a few words is still archived (only the separator check decides)."""
    (tmp_path / "in").mkdir()
    only = stack_pdf(tmp_path / "in" / "chỉ tờ phân cách.pdf", [separator(), separator()])
    tiff = tmp_path / "in" / "một tờ.tiff"
    separator().save(tiff, dpi=(300, 300))
    short = tmp_path / "in" / "giấy mời ngắn.png"
    page("GIẤY MỜI\nHọp tổ dân phố").save(short, dpi=(300, 300))
    settings = make_settings(tmp_path / "var")
    results = {r.path.name: r for r in process_many([only, tiff, short], settings)}
    for name in (only.name, tiff.name):
        refused = results[name]
        assert refused.outcome == Outcome.QUARANTINED, (name, refused.reason_en)
        assert "only separator sheets" in (refused.reason_en or "") and "tờ phân cách" in (refused.reason_vi or "")
    assert results[short.name].outcome == Outcome.ARCHIVED, results[short.name].reason_en


def test_small_separator_labels_are_found_on_pdf_pages(tmp_path: Path) -> None:
    """QA: pages were searched at 100 dpi, where a Code 128 label 40–80 mm wide and a skewed 15 mm Micro QR code
    (what segno.make gives, as make_samples.py prints it) were never read: the documents around them were merged
    into one record without a word. A page is now searched at its scan's resolution (300 dpi here)."""
    a, b, c = page("Văn bản A"), page("Văn bản B"), page("Văn bản C")
    for name, sheet in (
        ("micro-15mm-skew3", label("micro", 15, angle=3)),
        ("code128-60mm", label("code128", 60)),
        ("code128-40mm", label("code128", 40)),
    ):
        stack = stack_pdf(tmp_path / f"{name}.pdf", [a, sheet, b, sheet, c])
        parts = split_stack(stack, tmp_path / "work", CODE)
        assert len(parts) == 3, name


@pytest.mark.parametrize("kind", ["pdf", "tiff"])
def test_a_page_of_text_bearing_the_separator_code_is_kept_and_starts_a_document(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, kind: str
) -> None:
    """QA: a separator label stuck on page 1 of a decision made that page a separator sheet: it was dropped, its
    text gone from every record, the log saying only "split into 2 documents". A page bearing the code with more
    ink than a separator sheet's caption is kept, as the first page of a document, and the log names it."""
    notice = page("THÔNG BÁO\nVề lịch tiếp công dân")
    decision = Image.new("L", (1240, 1754), 255)
    body = "\n".join(f"Điều {n}. Quyết định này có hiệu lực kể từ ngày ký, các cơ quan thi hành." for n in range(20))
    ImageDraw.Draw(decision).multiline_text((60, 300), body, fill=0, font=ImageFont.truetype(FONT, 36), spacing=20)
    decision.paste(separator().crop((700, 180, 1240, 600)).resize((240, 187)), (960, 40))  # the label, top right
    following = page("QUYẾT ĐỊNH trang 2")
    sheets = [notice, decision, following, separator(), page("GIẤY MỜI")]
    if kind == "pdf":
        stack = stack_pdf(tmp_path / "nhãn trên trang.pdf", sheets)
    else:  # until the TIFF stacks' search was the PDF's, such a page of a TIFF was dropped
        stack = tmp_path / "nhãn trên trang.tiff"
        sheets[0].save(stack, save_all=True, append_images=sheets[1:], dpi=(150, 150), compression="tiff_lzw")
    with caplog.at_level("WARNING", logger="sohoa"):
        parts = split_stack(stack, tmp_path / "work", CODE, shown=stack.name)
    counts = []
    for part in parts:
        with pikepdf.open(part) as pdf:
            counts.append(len(pdf.pages))
    assert counts == [1, 2, 1]  # the decision keeps its first page; the separator sheet itself is still dropped
    assert same_pixels(first_image(parts[1]), decision)
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        f"{stack.name}: trang 2 có mã tờ phân cách" in m and "page 2 bears the separator code" in m and "kept" in m
        for m in warned
    ), warned


def test_the_default_separator_text_under_another_configured_code_is_said(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: after SOHOA_SEPARATOR_CODE was changed, a stack whose separator sheets still read SOHOA-SEPARATOR was
    archived as one merged record without a word. Not split there (the office chose another code), but the log
    and the record's review reasons name the page."""
    from classify.review import reason_in_vietnamese
    from flows.intake import default_code_pages
    from flows.pipeline import _note_default_code
    from sohoa.record import Record, SourceFile

    stack = stack_pdf(tmp_path / "mã cũ.pdf", [page("Văn bản A"), separator(), page("Văn bản B")])
    with caplog.at_level("WARNING", logger="sohoa"):
        assert split_stack(stack, tmp_path / "work", "PHONG-TU-PHAP", shown="mã cũ.pdf") == [stack]
    warned = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert any(
        "mã cũ.pdf: trang 2 có 'SOHOA-SEPARATOR', chữ phân cách mặc định" in m
        and "/ page 2 bears 'SOHOA-SEPARATOR', the default separator text" in m
        for m in warned
    ), warned
    assert default_code_pages(stack, "PHONG-TU-PHAP") == [2]
    assert default_code_pages(stack, CODE) == [] and default_code_pages(stack, "") == []
    single = stack_pdf(tmp_path / "một trang.pdf", [separator()])  # a one-page file is not split, still said
    assert default_code_pages(single, "PHONG-TU-PHAP") == [1]
    record = Record(
        id="x",
        source=SourceFile(name=stack.name, path=str(stack), sha256="0" * 64, size=1, media_type="application/pdf"),
    )
    _note_default_code(stack, record, make_settings(tmp_path / "var", separator_code="PHONG-TU-PHAP"), stack.name)
    assert record.needs_review and len(record.review_reasons) == 1
    reason = record.review_reasons[0]
    assert reason.startswith("page 2 bears a code reading 'SOHOA-SEPARATOR'") and "'PHONG-TU-PHAP'" in reason
    assert reason_in_vietnamese(reason).startswith("trang 2 mang mã 'SOHOA-SEPARATOR', mã tờ phân cách mặc định")
    assert "'PHONG-TU-PHAP'" in reason_in_vietnamese(reason)
