"""Bad input: refused with a reason that names the file, quarantined, and the batch goes on."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import pickle
import signal
import socket
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import img2pdf
import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from flows.pipeline import Outcome, expand_inputs, process_many
from ocr.inputs import inspect_input
from sohoa.errors import PROBLEM_TEXT, BadInputError, Problem
from storage import open_configured_archive, quarantine_file
from storage.quarantine import QuarantineEntry
from tests.conftest import FIXTURES, SHARED, make_settings, needs_shared

FONT = "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf"


def small_pdf(path: Path, pages: int = 1) -> Path:
    pdf = pikepdf.new()
    for _ in range(pages):
        pdf.add_blank_page(page_size=(595, 842))
    pdf.save(path)
    return path


def small_scan_png(path: Path, text: str) -> Path:
    image = Image.new("L", (1240, 500), 255)
    draw = ImageDraw.Draw(image)
    draw.text((60, 80), text, fill=0, font=ImageFont.truetype(FONT, 54))
    image.save(path, dpi=(300, 300))
    return path


@pytest.fixture
def bad_files(tmp_path: Path) -> dict[Problem, Path]:
    folder = tmp_path / "bad"
    folder.mkdir()
    empty = folder / "rỗng.pdf"
    empty.write_bytes(b"")
    text = folder / "ghi chú.pdf"
    text.write_text("đây không phải PDF\n", encoding="utf-8")
    whole = small_pdf(tmp_path / "whole.pdf", pages=3).read_bytes()
    truncated = folder / "cắt-cụt.pdf"
    truncated.write_bytes(whole[: len(whole) // 2])
    encrypted = folder / "mật khẩu.pdf"
    with pikepdf.open(tmp_path / "whole.pdf") as pdf:
        pdf.save(encrypted, encryption=pikepdf.Encryption(owner="chủ", user="người-dùng"))
    # dynamic XFA (Adobe LiveCycle): the pages are built by Adobe's viewer, the PDF holds none of their content
    livecycle = folder / "biểu mẫu XFA.pdf"
    livecycle.write_bytes((SHARED / "corpora/ocr/ocrmypdf-resources/livecycle.pdf").read_bytes())
    unsupported = folder / "thư.docx"
    unsupported.write_bytes(b"PK\x03\x04" + b"\x00" * 200)
    return {
        Problem.EMPTY: empty,
        Problem.NOT_A_PDF: text,
        Problem.TRUNCATED_PDF: truncated,
        Problem.ENCRYPTED_PDF: encrypted,
        Problem.DYNAMIC_XFA: livecycle,
        Problem.UNSUPPORTED_TYPE: unsupported,
    }


@needs_shared
def test_each_bad_input_is_refused_with_its_problem(bad_files: dict[Problem, Path]) -> None:
    for problem, path in bad_files.items():
        with pytest.raises(BadInputError) as caught:
            inspect_input(path)
        assert caught.value.problem == problem, path.name
        assert path.name in caught.value.english()
        assert path.name in caught.value.vietnamese()
        assert "b'" not in caught.value.english()  # never Python's bytes notation in an officer's reason (QA)
    with pytest.raises(BadInputError) as caught:
        inspect_input(bad_files[Problem.NOT_A_PDF])
    assert "it is text: «đây không phải PDF…»" in caught.value.english()
    # and in the Vietnamese reason, which said none of it (QA64)
    assert "(đây là văn bản chữ: «đây không phải PDF…»)" in caught.value.vietnamese()
    with pytest.raises(BadInputError) as caught:
        inspect_input(bad_files[Problem.UNSUPPORTED_TYPE])
    assert "first bytes 50 4b 03 04 00 00 00 00" in caught.value.english()
    assert "(các byte đầu 50 4b 03 04 00 00 00 00)" in caught.value.vietnamese()


def _uncompressed_tiff(path: Path, pages: list[tuple[int, int, list[int], bytes]]) -> None:
    """An uncompressed little-endian TIFF of ``pages``, each (width, height, bits of each sample, pixel bytes): gray,
    and an alpha sample after it when there are two (as tifffile writes 16-bit gray + alpha, which Pillow cannot
    open)."""
    data = bytearray(b"II*\x00\x00\x00\x00\x00")
    previous_link = 4
    for width, height, bits, pixels in pages:
        if len(data) % 2:
            data += b"\x00"
        pixels_at = len(data)
        data += pixels
        if len(data) % 2:
            data += b"\x00"
        bits_at = len(data)
        data += b"".join(b.to_bytes(2, "little") for b in bits) + (b"\x00\x00" if len(bits) % 2 else b"")
        inline_bits = b"".join(b.to_bytes(2, "little") for b in bits).ljust(4, b"\x00")
        entries = [
            (256, 4, 1, width.to_bytes(4, "little")),
            (257, 4, 1, height.to_bytes(4, "little")),
            (258, 3, len(bits), inline_bits if len(bits) <= 2 else bits_at.to_bytes(4, "little")),
            (259, 3, 1, b"\x01\x00\x00\x00"),
            (262, 3, 1, b"\x01\x00\x00\x00"),
            (273, 4, 1, pixels_at.to_bytes(4, "little")),
            (277, 3, 1, len(bits).to_bytes(2, "little") + b"\x00\x00"),
            (278, 4, 1, height.to_bytes(4, "little")),
            (279, 4, 1, len(pixels).to_bytes(4, "little")),
        ]
        if len(bits) == 2:
            entries.append((338, 3, 1, b"\x02\x00\x00\x00"))  # ExtraSamples: unassociated alpha
        data[previous_link : previous_link + 4] = len(data).to_bytes(4, "little")
        data += len(entries).to_bytes(2, "little")
        for tag, kind, count, value in entries:
            data += tag.to_bytes(2, "little") + kind.to_bytes(2, "little") + count.to_bytes(4, "little") + value
        previous_link = len(data)
        data += b"\x00\x00\x00\x00"
    path.write_bytes(bytes(data))


def _gray_alpha_16_bit_tiff(path: Path, width: int = 600, height: int = 800) -> None:
    _uncompressed_tiff(path, [(width, height, [16, 16], (b"\x00\x80" + b"\xff\xff") * (width * height))])


def test_a_tiff_whose_next_page_pointer_leads_nowhere_is_damaged(tmp_path: Path) -> None:
    """QA105: a TIFF whose next-page pointer leads past its end made Pillow raise TypeError ("Missing dimensions"):
    "internal error in sohoa, not the input's fault"."""
    path = tmp_path / "con trỏ hỏng.tif"
    _uncompressed_tiff(path, [(600, 800, [8], b"\xc8" * (600 * 800))])
    data = bytearray(path.read_bytes())
    data[-4:] = (len(data) + 1000).to_bytes(4, "little")  # the IFD's last field: where the next one is
    path.write_bytes(bytes(data))
    with pytest.raises(BadInputError) as caught:
        inspect_input(path)
    # (the page it points to named, since 2026-12-07: QA165 F5; the file to be copied again: QA169 F5)
    assert caught.value.problem == Problem.UNREADABLE_IMAGE and caught.value.detail_vi == "trang 2", caught.value


def test_a_later_page_laid_out_as_pillow_reads_none_is_named_unsupported(tmp_path: Path) -> None:
    """QA104: a TIFF whose second page is 16-bit gray + alpha (or 16-bit float) — Pillow: "unknown pixel mode" on
    going to it — was "damaged … copy it from the scanner again"; its tags were read on the first page only."""
    path = tmp_path / "hai trang.tif"
    _uncompressed_tiff(
        path, [(600, 800, [8], b"\xc8" * (600 * 800)), (600, 800, [16, 16], (b"\x00\x80" + b"\xff\xff") * (600 * 800))]
    )
    with pytest.raises(BadInputError) as caught:
        inspect_input(path)
    assert caught.value.problem == Problem.UNSUPPORTED_SAMPLES, caught.value
    assert caught.value.detail == "page 2: 16+16 bits a pixel, 2 sample(s)", caught.value.detail
    assert caught.value.detail_vi == "trang 2: 16+16 bit mỗi điểm ảnh, 2 kênh"


@pytest.mark.parametrize("kind", ["float", "int32", "signed int8", "gray and alpha"])
def test_a_floating_point_tiff_is_refused_as_unsupported_not_damaged(tmp_path: Path, kind: str) -> None:
    """QA101 F9: an intact 32-bit floating-point TIFF was "damaged and cannot be read … copy the file from the
    scanner again" (img2pdf's "PIL is unable to preserve more than 8 bits per sample"). No PDF page holds such
    samples: refused before any page is read, saying what it is and what to do. QA102: a 32-bit integer one came
    out a white "blank" page (signed) or black noise called good; a 16-bit gray + alpha one, which Pillow cannot
    open, was "damaged"."""
    import numpy as np

    path = tmp_path / "số thực.tif"
    if kind == "float":
        Image.fromarray(np.full((800, 600), 0.5, dtype=np.float32)).save(path, dpi=(300, 300))
        said = ("32-bit floating-point samples", "điểm ảnh số thực 32 bit")
    elif kind == "int32":
        Image.fromarray(np.full((800, 600), 1 << 30, dtype=np.int32)).save(path, dpi=(300, 300))
        said = ("signed 32-bit integer samples", "điểm ảnh số nguyên có dấu 32 bit")
    elif kind == "signed int8":  # QA103: read as unsigned, gray noise called good
        Image.new("L", (600, 800), 200).save(path, dpi=(300, 300), tiffinfo={339: 2})
        said = ("signed 8-bit integer samples", "điểm ảnh số nguyên có dấu 8 bit")
    else:
        _gray_alpha_16_bit_tiff(path)
        said = ("16+16 bits a pixel, 2 sample(s)", "16+16 bit mỗi điểm ảnh, 2 kênh")
    with pytest.raises(BadInputError) as caught:
        inspect_input(path)
    assert caught.value.problem == Problem.UNSUPPORTED_SAMPLES
    english, vietnamese = caught.value.english(), caught.value.vietnamese()
    assert said[0] in english and "8- or 16-bit TIFF or PNG" in english, english
    assert said[1] in vietnamese and "damaged" not in english, vietnamese


def test_an_arithmetic_coded_jpeg_is_refused_as_unsupported_not_damaged(tmp_path: Path) -> None:
    """QA108 F7: an intact arithmetic-coded JPEG (libjpeg's `cjpeg -arithmetic`; `djpeg` reads it) was "damaged …
    scan the paper again" — Pillow's build does not decode it, nor do PDF viewers (OCRmyPDF wrote a PDF no viewer
    shows). It is refused saying what it is and what to do; a baseline JPEG of the same page is read."""
    import subprocess

    page = Image.new("L", (800, 1000), 240)
    ImageDraw.Draw(page).rectangle((100, 100, 700, 140), fill=20)
    page.save(tmp_path / "trang.pgm")
    for flags, name in ((["-arithmetic"], "số học.jpg"), ([], "thường.jpg")):
        coded = subprocess.run(["cjpeg", *flags, str(tmp_path / "trang.pgm")], capture_output=True, check=True)
        (tmp_path / name).write_bytes(coded.stdout)
    with pytest.raises(BadInputError) as caught:
        inspect_input(tmp_path / "số học.jpg")
    assert caught.value.problem == Problem.UNSUPPORTED_SAMPLES
    english, vietnamese = caught.value.english(), caught.value.vietnamese()
    assert "arithmetic-coded JPEG (SOF9)" in english and "TIFF or PNG" in english, english
    assert "mã hóa số học" in vietnamese and "damaged" not in english
    assert inspect_input(tmp_path / "thường.jpg").kind == "jpeg"
    # the same JPEG as a PDF page's image (QA127: "damaged … scan that page again")
    with pikepdf.new() as pdf:
        sheet = pdf.add_blank_page(page_size=(576, 720))
        coded = (tmp_path / "số học.jpg").read_bytes()
        image = pdf.make_stream(coded, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=800, Height=1000)
        image.ColorSpace, image.BitsPerComponent, image.Filter = pikepdf.Name.DeviceGray, 8, pikepdf.Name.DCTDecode
        sheet.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
        sheet.obj.Contents = pdf.make_stream(b"q 576 0 0 720 0 0 cm /Im0 Do Q")
        pdf.save(tmp_path / "số học.pdf")
    with pytest.raises(BadInputError) as caught:
        inspect_input(tmp_path / "số học.pdf")
    assert caught.value.problem == Problem.UNSUPPORTED_SAMPLES, caught.value.english()
    english, vietnamese = caught.value.english(), caught.value.vietnamese()
    assert 'page 1, image "Im0": an arithmetic-coded JPEG (SOF9)' in english, english
    assert "trang 1: ảnh JPEG mã hóa số học" in vietnamese and "damaged" not in english, vietnamese


def test_an_image_of_another_type_is_named_with_what_to_do(tmp_path: Path) -> None:
    # QA: a phone's HEIC photo or a WebP saved from a browser was "Unsupported file type … (first bytes 00 00 00 18
    # 66 74 79 70)", with no detail at all in Vietnamese: the reason says what it is and what to do, in both
    page = Image.new("RGB", (600, 800), "white")
    files = {
        "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic" + b"\x00" * 4000,
        "heif": b"\x00\x00\x00\x1cftypmif1\x00\x00\x00\x00mif1heicmiaf" + b"\x00" * 4000,
        "avif": b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1miaf" + b"\x00" * 4000,
        # QA101: a JPEG 2000 file was named by its first bytes alone
        "jp2": b"\x00\x00\x00\x0cjP  \r\n\x87\n\x00\x00\x00\x14ftypjp2 " + b"\x00" * 4000,
        "j2k": b"\xff\x4f\xff\x51\x00\x2f" + b"\x00" * 4000,
    }
    buffer = io.BytesIO()
    page.save(buffer, format="WEBP")
    files["webp"] = buffer.getvalue()
    # QA165 F3: a BigTIFF was "Unsupported file type" and told to be saved as a PDF, by its first bytes (its header
    # as `tiffcp -8` writes it)
    files["bigtiff"] = b"II+\x00\x08\x00\x00\x00\x10\x00\x00\x00\x00\x00\x00\x00" + b"\x00" * 4000
    said = {
        "heic": ("a HEIC/HEIF phone photo", "export it as JPEG", "ảnh HEIC/HEIF của điện thoại", "xuất sang JPEG"),
        "heif": ("a HEIC/HEIF phone photo", "export it as JPEG", "ảnh HEIC/HEIF của điện thoại", "xuất sang JPEG"),
        "avif": ("an AVIF image", "export it as JPEG or PNG", "ảnh AVIF", "xuất sang JPEG hoặc PNG"),
        "webp": ("a WebP image", "save it as PNG or JPEG", "ảnh WebP", "lưu lại dạng PNG hoặc JPEG"),
        "jp2": ("a JPEG 2000 image", "save it as TIFF or PNG", "ảnh JPEG 2000", "lưu lại dạng TIFF hoặc PNG"),
        "j2k": ("a JPEG 2000 image", "save it as TIFF or PNG", "ảnh JPEG 2000", "lưu lại dạng TIFF hoặc PNG"),
        "bigtiff": ("a BigTIFF", "save it as a standard TIFF", "ảnh BigTIFF", "lưu lại dạng TIFF thường"),
    }
    for kind, data in files.items():
        path = tmp_path / f"ảnh-{kind}.jpg"  # named as a JPEG: the content says what it is
        path.write_bytes(data)
        with pytest.raises(BadInputError) as caught:
            inspect_input(path)
        assert caught.value.problem == Problem.UNSUPPORTED_TYPE, kind
        what_en, do_en, what_vi, do_vi = said[kind]
        english, vietnamese = caught.value.english(), caught.value.vietnamese()
        assert what_en in english and do_en in english, english
        assert what_vi in vietnamese and do_vi in vietnamese, vietnamese
        assert "first bytes" not in english
        # one thing to do (QA177: the general "Save the document as a PDF" followed its own advice)
        assert "as a PDF" not in english and "dưới dạng PDF" not in vietnamese, english
        assert pickle.loads(pickle.dumps(caught.value)).english() == english  # (it crosses processes)
    # an ISO-BMFF file that is no image (an MP4 video) is still said by its first bytes
    video = tmp_path / "video.jpg"
    video.write_bytes(b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 100)
    with pytest.raises(BadInputError) as caught:
        inspect_input(video)
    assert "first bytes 00 00 00 18 66 74 79 70" in caught.value.english()


def test_good_inputs_pass_inspection(tmp_path: Path) -> None:
    info = inspect_input(small_pdf(tmp_path / "ok.pdf", pages=2))
    assert (info.kind, info.page_count) == ("pdf", 2)
    png = small_scan_png(tmp_path / "đúng.png", "Xin chào")
    jpeg_named_png = tmp_path / "thật-ra-là-jpeg.png"
    Image.open(png).convert("RGB").save(jpeg_named_png, format="JPEG")
    assert inspect_input(png).kind == "png"
    assert inspect_input(jpeg_named_png).kind == "jpeg"  # content decides, not the name


def test_a_pdf_encrypted_with_permissions_only_is_read_and_its_output_signs(tmp_path: Path) -> None:
    """QA: a PDF with an owner password and permissions but no password to open (many government PDFs) was
    refused as "password-protected". It opens with no password: it is read, and the searchable copy is written
    without encryption (PDF/A forbids it) and signs and verifies like any other."""
    from ocr import ocr_document
    from signing import ensure_dev_identity, load_identity, sign_pdf, verify_pdf

    plain = tmp_path / "plain.pdf"
    Image.open(small_scan_png(tmp_path / "p.png", "THÔNG BÁO Số: 08/TB-UBND")).save(plain, resolution=300)
    locked = tmp_path / "chỉ hạn chế quyền.pdf"
    no_copying = pikepdf.Permissions(extract=False, modify_other=False, modify_assembly=False)
    with pikepdf.open(plain) as pdf:
        pdf.save(locked, encryption=pikepdf.Encryption(owner="chủ", user="", R=6, allow=no_copying))
    with pikepdf.open(locked) as pdf:
        assert pdf.is_encrypted and not pdf.allow.extract
    assert inspect_input(locked).page_count == 1
    output = tmp_path / "out.pdf"
    result = ocr_document(locked, output, workers=1)
    assert [p.ocr for p in result.pages] == [True] and "THÔNG BÁO" in result.text and result.pdfa == "2B"
    with pikepdf.open(output) as pdf:
        assert not pdf.is_encrypted
    keys = tmp_path / "keys"
    signed = tmp_path / "signed.pdf"
    sign_pdf(output, signed, load_identity("dev", keys_dir=keys), location="Việt Nam")
    verdict = verify_pdf(signed, [ensure_dev_identity(keys).ca_cert])
    assert verdict.passed, verdict.model_dump_json(indent=2)


@needs_shared
def test_batch_quarantines_bad_files_and_goes_on(bad_files: dict[Problem, Path], tmp_path: Path) -> None:
    # named as a Mac's copy names it (NFD): the record's name is NFC, its path the one that opens the file
    good_name = unicodedata.normalize("NFD", "thông báo.png")
    good = small_scan_png(bad_files[Problem.EMPTY].parent / good_name, "THÔNG BÁO Số: 08/TB-UBND")
    settings = make_settings(tmp_path / "var")
    inputs = expand_inputs([*bad_files.values(), good])
    results = {r.path.name: r for r in process_many(inputs, settings)}

    assert results[good.name].outcome == Outcome.ARCHIVED
    archived = results[good.name].record
    assert archived is not None and archived.source.name == "thông báo.png"
    assert Path(archived.source.path).is_file()
    quarantine = settings.quarantine_path
    for problem, path in bad_files.items():
        result = results[path.name]
        assert result.outcome == Outcome.QUARANTINED, (problem, result.reason_en)
        assert result.quarantined_as == quarantine / path.name
        assert result.quarantined_as.read_bytes() == path.read_bytes()
        assert result.summary()["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        reason = (quarantine / f"{path.name}.reason.txt").read_text(encoding="utf-8")
        assert path.name in reason and "Lý do:" in reason and "Reason:" in reason
    xfa_reason = (quarantine / f"{bad_files[Problem.DYNAMIC_XFA].name}.reason.txt").read_text(encoding="utf-8")
    assert "biểu mẫu XFA động" in xfa_reason and "dynamic XFA form" in xfa_reason
    assert path.exists()  # the batch copies; it never deletes an officer's file


def test_files_of_one_name_quarantined_at_the_same_moment_are_all_kept(tmp_path: Path) -> None:
    # two folders' scan.pdf, and an NFC name beside its NFD twin (a Mac's copy): each parked with its own content
    # and its own reason, even when two threads of a batch park them at once (the name used to be checked, then
    # replaced: the later copy overwrote the earlier one, whose reason then described another file)
    nfc = "thông báo.pdf"
    pairs = [
        (tmp_path / "a" / "scan.pdf", tmp_path / "b" / "scan.pdf"),
        (tmp_path / "c" / nfc, tmp_path / "c" / unicodedata.normalize("NFD", nfc)),
    ]
    parked: list[QuarantineEntry] = []
    for round_number in range(15):
        for pair_number, (first, second) in enumerate(pairs):
            for number, path in enumerate((first, second)):
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(f"{round_number} {pair_number} {number} not a PDF".encode())
            quarantine = tmp_path / f"quarantine-{round_number}-{pair_number}"
            start = threading.Barrier(2)

            def park(path: Path, quarantine: Path = quarantine, start: threading.Barrier = start) -> QuarantineEntry:
                start.wait()
                return quarantine_file(path, quarantine, reason_vi="hỏng", reason_en="damaged")

            with ThreadPoolExecutor(2) as pool:
                entries = list(pool.map(park, (first, second)))
            assert entries[0].file != entries[1].file
            for path, entry in zip((first, second), entries, strict=True):
                assert entry.file.read_bytes() == path.read_bytes()
                assert f"Tệp / File: {path}\n" in entry.reason_file.read_text(encoding="utf-8")
            assert sorted(p.name for p in quarantine.iterdir() if not p.name.endswith(".reason.txt")) == sorted(
                entry.file.name for entry in entries
            )
            parked = entries
    again = quarantine_file(pairs[1][1], tmp_path / "quarantine-14-1", reason_vi="hỏng", reason_en="damaged")
    assert again.file == parked[1].file  # the same content quarantined again reuses its entry
    assert len(list((tmp_path / "quarantine-14-1").iterdir())) == 4


def test_the_same_scan_twice_in_one_batch_is_archived_once(tmp_path: Path) -> None:
    # two copies of one scan, two documents in flight: both used to find it not yet archived, then share one work
    # folder — one archived it, the other was quarantined ("Directory not empty") or archived it a second time
    (tmp_path / "in").mkdir()
    scan = small_scan_png(tmp_path / "in" / "bản chính.png", "THÔNG BÁO Số: 08/TB-UBND")
    (tmp_path / "in" / "bản sao.png").write_bytes(scan.read_bytes())
    settings = make_settings(tmp_path / "var", batch_workers=2)
    results = list(process_many(expand_inputs([tmp_path / "in"]), settings))
    assert sorted(r.outcome for r in results) == [Outcome.ALREADY_ARCHIVED, Outcome.ARCHIVED]
    assert len(list(open_configured_archive(settings).records())) == 1


def test_folder_expansion_skips_hidden_and_unsupported(tmp_path: Path) -> None:
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.TIFF").write_bytes(b"x")
    (tmp_path / ".hidden.pdf").write_bytes(b"x")
    (tmp_path / "notes.txt").write_text("x")
    names = [p.name for p in expand_inputs([tmp_path])]
    assert names == ["a.pdf", "b.TIFF"]
    # a file named explicitly is taken whatever its suffix, so that it is quarantined with a reason
    assert [p.name for p in expand_inputs([tmp_path / "notes.txt"])] == ["notes.txt"]


def test_folder_expansion_takes_every_scan_and_image_suffix_and_names_the_rest(tmp_path: Path) -> None:
    # QA: `sohoa process FOLDER` passed by a Windows "Save image as" JPEG (.jfif), a .jpe, a phone's .HEIC and a
    # .webp without a word: neither archived nor quarantined nor named, even with -v
    from flows.pipeline import not_taken as why_not

    names = ["a.pdf", "b.TIF", "c.JPG", "d.jfif", "e.JPE", "f.JPEG", "g.Png", "h.HEIC", "i.webp", "j.gif", "k.bmp"]
    others = ["notes.txt", "thư.docx", "không-đuôi", "Thumbs.db", "desktop.ini", "~$thư.docx", "x.pdf.crdownload"]
    others += ["search.sqlite"]  # sohoa's own index at the top of DATA_DIR: no advice to print it as PDF (QA)
    for name in [*names, *others, ".DS_Store", ".ẩn.jpg"]:
        (tmp_path / "sub" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "sub" / name).write_bytes(b"x")
    passed: list[Path] = []
    taken = expand_inputs([tmp_path], not_taken=passed.append)
    assert sorted(p.name for p in taken) == sorted(names)
    assert sorted(p.name for p in passed) == sorted(others)  # hidden files are not looked at
    reasons = {path.name: why_not(path) for path in passed}
    assert not reasons["notes.txt"].quiet and "a .txt file is not a scan" in reasons["notes.txt"].reason_en
    assert "tệp .txt, vì đó không phải tệp quét" in reasons["notes.txt"].reason_vi
    assert "no suffix" in reasons["không-đuôi"].reason_en
    quiet = ("Thumbs.db", "desktop.ini", "~$thư.docx", "x.pdf.crdownload", "search.sqlite")
    assert all(reasons[name].quiet for name in quiet)
    assert "print it as PDF" not in reasons["search.sqlite"].reason_en
    said = reasons["notes.txt"].summary()
    assert said["path"] == str(tmp_path / "sub" / "notes.txt") and said["reason"] == reasons["notes.txt"].reason_en


ODD_PDFS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "ocr" / "ocrmypdf-resources"


@pytest.mark.skipif(not ODD_PDFS.exists(), reason="shared corpora not present")
def test_absurd_page_is_refused_before_rendering(tmp_path: Path) -> None:
    from ocr import ocr_document

    with pytest.raises(BadInputError) as caught:
        ocr_document(ODD_PDFS / "hugemono.pdf", tmp_path / "out.pdf")  # 35000×35000 px
    assert caught.value.problem == Problem.TOO_LARGE
    assert "Mpx" in caught.value.detail
    with pytest.raises(BadInputError) as damaged:
        inspect_input(ODD_PDFS / "invalid.pdf")
    assert damaged.value.problem == Problem.DAMAGED_PDF


def test_an_image_file_too_large_is_refused_in_sohoas_words_naming_its_page(tmp_path: Path) -> None:
    """QA133 F6: a PNG of 30000×30000 px (a few KB of Deflate) was refused in Pillow's words — "Image size
    (900000000 pixels) exceeds limit of 178956970 pixels, could be decompression bomb DOS attack", a limit that is
    not sohoa's, English only — and a TIFF whose second page is such an image without naming the page."""
    from PIL import Image

    bomb = tmp_path / "bom.png"
    Image.new("1", (30000, 30000), 1).save(bomb)
    with pytest.raises(BadInputError) as caught:
        inspect_input(bomb)
    assert caught.value.problem == Problem.TOO_LARGE
    assert (caught.value.detail, caught.value.detail_vi) == ("900 Mpx > 180 Mpx", "900 Mpx > 180 Mpx")
    near = tmp_path / "gần giới hạn.png"  # just over the limit: not "180 Mpx > 180 Mpx" (QA135 F7)
    Image.new("1", (13500, 13400), 1).save(near)
    with pytest.raises(BadInputError) as just_over:
        inspect_input(near)
    assert just_over.value.detail == "180.9 Mpx > 180 Mpx", just_over.value.detail
    stack = tmp_path / "chồng.tif"
    Image.new("1", (2480, 3508), 1).save(
        stack, compression="group4", dpi=(300, 300), save_all=True, append_images=[Image.new("1", (30000, 30000), 1)]
    )
    with pytest.raises(BadInputError) as second:
        inspect_input(stack)
    assert second.value.problem == Problem.TOO_LARGE, second.value
    assert second.value.detail.startswith("page 2: ") and second.value.detail_vi.startswith("trang 2: ")
    assert "exceeds limit" not in second.value.english() and "trang 2" in second.value.vietnamese()


@pytest.mark.parametrize("inside_a_form", [False, True])
def test_an_image_bomb_on_an_a4_page_is_refused_before_anything_decodes_it(tmp_path: Path, inside_a_form: bool) -> None:
    """QA56: a 40000×40000 px gray image (1.5 MB of Deflate) drawn on an A4 page passed: the page box is what was
    checked, and PDFium rendered it with 2.3 GB of memory; the output kept it and claimed PDF/A. Refused now by what
    the image declares, in a form XObject too; an A4 page at 600 dpi (35 Mpx) is a scan."""
    import zlib

    def page_with(pdf: pikepdf.Pdf, width: int, height: int) -> None:
        rows = zlib.compressobj(9)
        data = b"".join(rows.compress(b"\xff" * width) for _ in range(min(height, 64))) + rows.flush()
        image = pdf.make_stream(
            data,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=width,
            Height=height,
            ColorSpace=pikepdf.Name.DeviceGray,
            BitsPerComponent=8,
            Filter=pikepdf.Name.FlateDecode,
        )
        page = pdf.add_blank_page(page_size=(595, 842))
        drawn: pikepdf.Object = image
        if inside_a_form:
            drawn = pdf.make_stream(
                b"595 0 0 842 0 0 cm /Im0 Do",
                Type=pikepdf.Name.XObject,
                Subtype=pikepdf.Name.Form,
                BBox=[0, 0, 1, 1],
                Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image)),
            )
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=drawn))
        page.obj.Contents = pdf.make_stream(b"q 595 0 0 842 0 0 cm /Im0 Do Q" if not inside_a_form else b"/Im0 Do")

    bomb, scan = tmp_path / "bom ảnh.pdf", tmp_path / "quét 600 dpi.pdf"
    with pikepdf.new() as pdf:
        page_with(pdf, 40000, 40000)
        pdf.save(bomb)
    with pikepdf.new() as pdf:
        page_with(pdf, 4960, 7016)
        pdf.save(scan)
    with pytest.raises(BadInputError) as caught:
        inspect_input(bomb)
    assert caught.value.problem == Problem.TOO_LARGE
    assert caught.value.detail == 'page 1: image "Im0" declares 40000×40000 px (1600 Mpx, more than 180)'
    assert inspect_input(scan).page_count == 1


@pytest.mark.parametrize("where", ["page", "form", "pattern"])
def test_a_content_stream_bomb_is_refused_before_anything_parses_or_renders_it(tmp_path: Path, where: str) -> None:
    """QA68: one small square filled 1.7 million times, 97 KB of Deflate that decode to 40 MB of drawing
    instructions on an A4 page, took 57 s and 1.37 GB, came out "blank" and claimed PDF/A. Refused now by the size
    its instructions decode to (counted while inflating), in the page's content, a form it draws or a tiling
    pattern; a page with 7.9 MB of them is still read."""
    import tracemalloc

    from ocr.inputs import MAX_PAGE_CONTENT_BYTES

    square = b"0 0 0 rg 10 10 5 5 re f\n"

    def pdf_drawing(path: Path, count: int) -> Path:
        with pikepdf.new() as pdf:
            page = pdf.add_blank_page(page_size=(595, 842))
            body = pdf.make_stream(square * count)  # stored with Deflate when saved
            if where == "page":
                page.obj.Contents = body
            elif where == "form":
                body.Type, body.Subtype, body.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 595, 842]
                page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm0=body))
                page.obj.Contents = pdf.make_stream(b"/Fm0 Do")
            else:
                body.PatternType, body.PaintType, body.TilingType = 1, 1, 1
                body.BBox, body.XStep, body.YStep = [0, 0, 595, 842], 595, 842
                page.obj.Resources = pikepdf.Dictionary(Pattern=pikepdf.Dictionary(P0=body))
                page.obj.Contents = pdf.make_stream(b"/Pattern cs /P0 scn 0 0 595 842 re f")
            pdf.save(path, compress_streams=True)
        return path

    bomb = pdf_drawing(tmp_path / "bom lệnh vẽ.pdf", 1_666_666)
    assert bomb.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(BadInputError) as caught:
            inspect_input(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    # inflated a chunk at a time and counted, never decoded whole (40 MB) nor parsed: measured, not timed (principle
    # 6: no test asserts a wall-clock time)
    assert peak < 16_000_000, peak
    assert caught.value.problem == Problem.TOO_LARGE
    assert caught.value.detail == "page 1: its drawing instructions decode to more than 8 MB"
    dense = pdf_drawing(tmp_path / "dày đặc.pdf", (MAX_PAGE_CONTENT_BYTES - 100) // len(square))
    assert inspect_input(dense).page_count == 1
    if where != "page":
        return
    said = _ocr_refuses(bomb, tmp_path)
    assert "Trang quá lớn" in said and "trang 1: lệnh vẽ của trang giải nén ra hơn 8 MB" in said, said
    assert "page 1: its drawing instructions decode to more than 8 MB" in said


def _ocr_refuses(bomb: Path, tmp_path: Path) -> str:
    """`sohoa ocr BOMB out.pdf` refused it (exit 1, no output written): what it said, on one line."""
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(
        app,
        ["ocr", str(bomb), str(tmp_path / "out.pdf")],
        env={"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "SOHOA_OCR_SERVER": "off"},
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 1, said
    assert not (tmp_path / "out.pdf").exists()
    return said


_DRAWN_TOO_OFTEN = (
    "page 1: the drawing instructions it runs, each form counted as many times as it is drawn, come to more than 8 MB"
)


def _pdf_of_forms(path: Path, shape: str) -> Path:
    """A one-page PDF whose forms (or pattern, or content stream) are small once and run many times: the shapes of
    QA70 and their kin; ``shape`` says which."""
    noop = b"q 1 0 0 1 0 0 cm Q\n"  # draws nothing, costs the renderer all the same

    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))

        def form(content: bytes, **xobjects: pikepdf.Object) -> pikepdf.Stream:
            stream = pdf.make_stream(content)  # stored with Deflate when saved
            stream.Type, stream.Subtype, stream.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 595, 842]
            if xobjects:
                stream.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(**xobjects))
            return stream

        drawn = b"q /F Do Q\n"
        if shape == "nested":  # QA70's bomb-nest.pdf: 100 KB drawn 10 × 10 × 2 times, 20 MB run
            f0 = form(noop * (100_000 // len(noop)))
            f1 = form(b"q /F0 Do Q\n" * 10, F0=f0)
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form(b"q /F1 Do Q\n" * 10, F1=f1)))
            page.obj.Contents = pdf.make_stream(drawn * 2)
        elif shape == "reused":  # QA70's bomb-reuse.pdf: a 1 MB form drawn 10 times
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=form(noop * (1_000_000 // len(noop)))))
            page.obj.Contents = pdf.make_stream(drawn * 10)
        elif shape == "pattern":  # a 1 MB tiling pattern filled with 10 times
            cell = pdf.make_stream(noop * (1_000_000 // len(noop)))
            cell.PatternType, cell.PaintType, cell.TilingType = 1, 1, 1
            cell.BBox, cell.XStep, cell.YStep = [0, 0, 595, 842], 595, 842
            page.obj.Resources = pikepdf.Dictionary(Pattern=pikepdf.Dictionary(P0=cell))
            page.obj.Contents = pdf.make_stream(b"/Pattern cs /P0 scn 0 0 595 842 re f\n" * 10)
        elif shape == "contents":  # one 1 MB content stream the page lists 10 times
            page.obj.Contents = pikepdf.Array([pdf.make_stream(noop * (1_000_000 // len(noop)))] * 10)
        else:  # an ordinary form: a 100 KB letterhead drawn on 5 spots, and a form that names itself (not redrawn)
            letterhead = form(noop * (100_000 // len(noop)))
            itself = form(b"q /Self Do Q\n" * 3)
            itself.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Self=itself))
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F=letterhead, Self=itself))
            page.obj.Contents = pdf.make_stream(drawn * 5 + b"/Self Do\n" * 3)
        pdf.save(path, compress_streams=True)
    return path


@pytest.mark.parametrize("shape", ["nested", "reused", "pattern", "contents"])
def test_content_drawn_many_times_is_weighed_as_often_as_it_is_drawn(tmp_path: Path, shape: str) -> None:
    """QA70: each stream was weighed once, however often the page draws it. 1.4 KB of PDF — a 100 KB form drawn 10
    times by a form drawn 10 times by a form the page drew twice — took 68 s to render blank (a blank page: 1.3 s);
    one 1 MB form drawn 10 times, 38.6 s. Each is weighed now as many times as it is run, through nested forms:
    refused at once, and a form drawn a few times is still read."""
    bomb = _pdf_of_forms(tmp_path / f"vẽ lặp {shape}.pdf", shape)
    assert bomb.stat().st_size < 20_000
    with pytest.raises(BadInputError) as caught:
        inspect_input(bomb)  # counted: inspect_input renders nothing
    assert caught.value.problem == Problem.TOO_LARGE
    assert caught.value.detail == _DRAWN_TOO_OFTEN
    assert inspect_input(_pdf_of_forms(tmp_path / "bình thường.pdf", "ordinary")).page_count == 1
    if shape != "nested":
        return
    said = _ocr_refuses(bomb, tmp_path)
    assert "trang 1: lệnh vẽ trang phải chạy, mỗi khối vẽ (form) tính bằng số lần được vẽ, lên tới hơn 8 MB" in said
    assert _DRAWN_TOO_OFTEN in said, said


def _pdf_running_hidden_content(path: Path, route: str, content: bytes, times: int) -> Path:
    """A one-page PDF whose page content draws nothing itself but makes the renderer run ``content``: as the normal
    appearance of an annotation (``times`` forms of it drawn by the appearance), as the glyph of a Type 3 font shown
    ``times`` times, or as the group of a soft mask set once with ``times`` rectangles filled under it."""
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))
        body = pdf.make_stream(content)  # stored with Deflate when saved
        if route == "annotation":
            body.Type, body.Subtype, body.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 595, 842]
            appearance = pdf.make_stream(b"q /F Do Q\n" * times)
            appearance.Type, appearance.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
            appearance.BBox, appearance.Resources = [0, 0, 595, 842], pikepdf.Dictionary(XObject={"/F": body})
            square = pikepdf.Dictionary(
                Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, 0, 595, 842], AP={"/N": appearance}
            )
            page.obj.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(square)]))
        elif route == "type3":
            font = pikepdf.Dictionary(
                Type=pikepdf.Name.Font,
                Subtype=pikepdf.Name.Type3,
                FontBBox=[0, 0, 1000, 1000],
                FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
                CharProcs={"/a": pdf.make_stream(b"1000 0 d0\n" + content)},
                Encoding=pikepdf.Dictionary(Type=pikepdf.Name.Encoding, Differences=[97, pikepdf.Name.a]),
                FirstChar=97,
                LastChar=97,
                Widths=[1000],
            )
            page.obj.Resources = pikepdf.Dictionary(Font={"/T3": pdf.make_indirect(font)})
            page.obj.Contents = pdf.make_stream(b"BT /T3 12 Tf 10 10 Td (" + b"a" * times + b") Tj ET")
        else:
            body.Type, body.Subtype, body.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 595, 842]
            body.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceGray)
            mask = pikepdf.Dictionary(Type=pikepdf.Name.Mask, S=pikepdf.Name.Luminosity, G=body)
            page.obj.Resources = pikepdf.Dictionary(ExtGState={"/GS0": pikepdf.Dictionary(SMask=mask)})
            page.obj.Contents = pdf.make_stream(b"/GS0 gs\n" + b"0 0 0 rg 10 10 500 500 re f\n" * times)
        pdf.save(path, compress_streams=True)
    return path


@pytest.mark.parametrize("shape", ["large", "repeated"])
@pytest.mark.parametrize("route", ["annotation", "type3", "soft mask"])
def test_content_the_renderer_runs_outside_the_page_content_is_weighed(tmp_path: Path, route: str, shape: str) -> None:
    """An annotation's appearance, a Type 3 font's glyphs and a soft mask's group are content the renderer runs
    too, and were not weighed: 98 KB of PDF whose annotation appearance decodes to 40 MB took 33 s and 3.3 GB in
    ``sohoa ocr`` (a glyph or a mask of 40 MB, 10 s and 8 s), and came out "blank". Refused now both when the
    stream is large once and when a small one is run many times (a glyph shown 400 times, a mask applied to 20
    marks, an appearance drawing a form 40 times)."""
    noop = b"q 1 0 0 1 0 0 cm Q\n"
    if shape == "large":
        content, times = b"0 0 0 rg 10 10 5 5 re f\n" * 1_666_666, 1
    else:
        content, times = noop * (1_000_000 // len(noop)), {"annotation": 40, "type3": 400, "soft mask": 20}[route]
    bomb = _pdf_running_hidden_content(tmp_path / f"bom {route}.pdf", route, content, times)
    assert bomb.stat().st_size < 200_000
    with pytest.raises(BadInputError) as caught:
        inspect_input(bomb)  # counted: inspect_input renders nothing
    assert caught.value.problem == Problem.TOO_LARGE
    assert caught.value.detail == (
        "page 1: its drawing instructions decode to more than 8 MB" if shape == "large" else _DRAWN_TOO_OFTEN
    )


def test_a_page_with_a_modest_annotation_type3_font_and_soft_mask_is_read(tmp_path: Path) -> None:
    # what born-digital PDFs hold: a stamp's appearance drawing its 100 KB form 5 times, a 2 KB glyph shown 1000
    # times, a 50 KB soft mask over 50 marks — a few MB run, well under the limit
    noop = b"q 1 0 0 1 0 0 cm Q\n"
    for route, content, times in [
        ("annotation", noop * (100_000 // len(noop)), 5),
        ("type3", noop * (2_000 // len(noop)), 1000),
        ("soft mask", noop * (50_000 // len(noop)), 50),
    ]:
        modest = _pdf_running_hidden_content(tmp_path / f"{route}.pdf", route, content, times)
        assert inspect_input(modest).page_count == 1, route


def test_an_unusable_archive_or_data_folder_fails_the_batch_and_quarantines_nothing(tmp_path: Path) -> None:
    # a fault of the machine, not of the scans: exit 3 with the folder named, no scan quarantined, no traceback
    from typer.testing import CliRunner

    from flows.cli import app

    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    not_a_folder = tmp_path / "a file"
    not_a_folder.write_text("x")
    runner = CliRunner()
    archive_is_a_file = runner.invoke(
        app,
        ["process", "--no-prefect", "--json", str(scan), "--archive", str(not_a_folder)],
        env={"SOHOA_DATA_DIR": str(tmp_path / "var")},
    )
    assert archive_is_a_file.exit_code == 3, archive_is_a_file.output
    said = " ".join(archive_is_a_file.output.split())  # Rich wraps long lines
    assert f"the archive folder {not_a_folder} cannot be used: it is a file" in said
    assert not (tmp_path / "var" / "quarantine").exists() or not any((tmp_path / "var" / "quarantine").iterdir())
    data_is_a_file = runner.invoke(
        app, ["process", "--no-prefect", str(scan)], env={"SOHOA_DATA_DIR": str(not_a_folder)}
    )
    assert data_is_a_file.exit_code == 3, data_is_a_file.output
    assert "work folder" in data_is_a_file.output and "Not a directory" in " ".join(data_is_a_file.output.split())
    assert data_is_a_file.exception is None or isinstance(data_is_a_file.exception, SystemExit)
    # the setting to change is named (QA: a quarantine folder set to a file said "check SOHOA_DATA_DIR / --archive")
    quarantine_is_a_file = runner.invoke(
        app,
        ["process", "--no-prefect", str(scan)],
        env={"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_QUARANTINE_DIR": str(not_a_folder)},
    )
    said = " ".join(quarantine_is_a_file.output.split())
    assert quarantine_is_a_file.exit_code == 3 and "it is a file (check SOHOA_QUARANTINE_DIR)" in said, said


def test_a_tiny_image_is_too_small_to_be_a_scan_not_damaged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A 1×1 PNG was quarantined as 'The image is damaged … (Page size must be between 3 and 14400 PDF units)'; a bad
    file's failed split into a stack was logged at INFO though its quarantine reason already tells the officer."""
    tiny = tmp_path / "một điểm.png"
    Image.new("L", (1, 1), 255).save(tiny)
    empty = tmp_path / "rỗng.pdf"
    empty.write_bytes(b"")
    with caplog.at_level("INFO"):
        results = {r.path.name: r for r in process_many([tiny, empty], make_settings(tmp_path / "var"))}
    assert results[tiny.name].outcome == Outcome.QUARANTINED
    assert "too small to be a scan" in (results[tiny.name].reason_en or "")
    assert "damaged" not in (results[tiny.name].reason_en or "")
    assert "quá nhỏ" in (results[tiny.name].reason_vi or "")
    assert results[empty.name].outcome == Outcome.QUARANTINED
    assert not [r for r in caplog.records if "not split" in r.getMessage() and r.levelno >= logging.INFO]


def test_encrypted_pdf_reason_asks_the_same_in_both_languages() -> None:
    """The Vietnamese said 'remove the password and scan again', the English 'remove the password and submit it
    again': an officer reading either does the same now."""
    vietnamese, english = PROBLEM_TEXT[Problem.ENCRYPTED_PDF]
    assert "gỡ mật khẩu rồi nộp lại" in vietnamese and "quét lại" not in vietnamese
    assert "remove the password and submit it again" in english


def test_a_page_without_words_goes_to_review_with_a_reason_an_officer_can_read(tmp_path: Path) -> None:
    # the review list said "low OCR quality (confidence None, Vietnamese words None)" for a page with no words
    from PIL import ImageDraw

    drawing = tmp_path / "sơ đồ.png"  # ink, but no word: a sketch, a photo
    image = Image.new("L", (1240, 1754), 255)
    ImageDraw.Draw(image).ellipse((300, 400, 900, 1200), outline=0, width=12)
    image.save(drawing, dpi=(150, 150))
    (result,) = process_many([drawing], make_settings(tmp_path / "var"))
    assert result.outcome == Outcome.ARCHIVED and result.record is not None and result.record.needs_review
    assert (
        "page 1: no words found (a photo, a drawing, handwriting, or print too faint to read)"
        in result.record.review_reasons
    )
    assert not any("None" in reason for reason in result.record.review_reasons)


def test_a_file_whose_every_page_is_blank_is_quarantined_with_what_to_do(tmp_path: Path) -> None:
    """QA77: a blank page scanned alone was archived, signed and retained ten years as an "unknown" record, which
    `sohoa dispose` then refused to remove: no ink on any page, it is no document."""
    blank = tmp_path / "trang trắng.png"
    Image.new("L", (1240, 1754), 255).save(blank, dpi=(150, 150))
    settings = make_settings(tmp_path / "var")
    (result,) = process_many([blank], settings)
    assert result.outcome == Outcome.QUARANTINED, (result.outcome, result.reason_en)
    assert result.reason_vi == (
        "trang trắng.png: Mọi trang của tệp đều trắng (không có vết mực nào), không có gì để lưu. Có thể đã quét "
        "nhầm mặt giấy, hoặc máy quét có lỗi: hãy kiểm tra rồi quét lại."
    ), result.reason_vi
    assert (result.reason_en or "").endswith(
        "nothing to archive. Perhaps the wrong side was scanned, or the scanner failed: check, then scan again."
    ), result.reason_en
    assert not settings.archive_dir.exists() or not any(settings.archive_dir.rglob("record.json"))


def test_the_commonest_bad_inputs_say_what_to_do(tmp_path: Path) -> None:
    """QA77: an empty file, a truncated PDF, a text named .pdf, a damaged image were quarantined with what was
    wrong and nothing an officer could do about it."""
    empty = tmp_path / "trống.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "bao-cao.pdf"
    text.write_text("Báo cáo tháng 11", encoding="utf-8")
    damaged = tmp_path / "hỏng.png"
    damaged.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    results = {r.path.name: r for r in process_many([empty, text, damaged], make_settings(tmp_path / "var"))}
    for name, action_vi, action_en in (
        ("trống.pdf", "Hãy chép lại tệp từ máy quét, hoặc quét lại bản giấy.", "Copy the file from the scanner again"),
        ("bao-cao.pdf", "Hãy lưu tệp đúng định dạng của nó", "Save the file in its real format"),
        ("hỏng.png", "Hãy chép lại tệp từ máy quét, hoặc quét lại bản giấy.", "or scan the paper again."),
    ):
        result = results[name]
        assert result.outcome == Outcome.QUARANTINED, (name, result.reason_en)
        assert action_vi in (result.reason_vi or "") and action_en in (result.reason_en or ""), result


def test_a_scan_the_damaged_archive_refuses_fails_and_is_not_quarantined(tmp_path: Path) -> None:
    # its record.json deleted behind the archive's back, the retained document.pdf stays: reprocessing the scan
    # used to quarantine it as "processing failed (RetentionError …)", as if the scan were at fault
    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    settings = make_settings(tmp_path / "var")
    (first,) = process_many([scan], settings)
    assert first.outcome == Outcome.ARCHIVED and first.record is not None
    (settings.archive_dir / str(first.record.archive_prefix) / "record.json").unlink()
    (again,) = process_many([scan], settings)
    assert again.outcome == Outcome.FAILED, again.reason_en
    assert "the archive refused it" in (again.reason_en or "") and "sohoa audit" in (again.reason_en or "")
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())


def test_a_timestamping_service_that_is_down_fails_the_scan_and_quarantines_nothing(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the TSA is a service outside the scan: its outage used to quarantine good scans ("SigningServiceError …")
    import socket

    with socket.socket() as closed:  # a loopback port nobody listens on: connections are refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    settings = make_settings(tmp_path / "var", tsa_url=f"http://127.0.0.1:{port}/tsa", signature_level="B-T")
    (result,) = process_many([scan], settings)
    assert result.outcome == Outcome.FAILED, (result.outcome, result.reason_en)
    assert "signing failed, not because of the scan" in (result.reason_en or "")
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())
    assert f"the timestamping authority at http://127.0.0.1:{port}/tsa could not be reached" in (result.reason_en or "")
    # in Vietnamese too, for the officer (it used to be the English text inside the Vietnamese sentence)
    assert (result.reason_vi or "").startswith(
        f"Ký số thất bại, không do tệp quét: ký ở mức B-T cần dấu thời gian, nhưng không kết nối được máy chủ cấp "
        f"dấu thời gian (TSA) http://127.0.0.1:{port}/tsa ("
    ), result.reason_vi
    # why, in Vietnamese too (until 2026-12-02 "connection refused: nothing answers at …" in the Vietnamese half)
    assert f"bị từ chối kết nối: không có gì trả lời ở 127.0.0.1 cổng {port}" in (result.reason_vi or "")
    assert "connection refused" not in (result.reason_vi or ""), result.reason_vi
    # its log line in both languages too, as a quarantine's is (until 2026-12-02: `FAILED (will retry on the next
    # run): signing: …`, English only)
    (line,) = [r.getMessage() for r in caplog.records if "FAILED" in r.getMessage()]
    assert line == (
        f"{scan}: LỖI / FAILED (lần chạy sau sẽ thử lại / will retry on the next run): {result.reason_vi} / "
        f"{result.reason_en}"
    ), line


def test_a_timestamping_service_answering_garbage_fails_the_scan_naming_the_service(
    tmp_path: Path, broken_service_url: str
) -> None:
    # a TSA answering something that is not a timestamp used to say asn1crypto's parser text
    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 09/TB-UBND")
    url = broken_service_url + "/garbage"
    settings = make_settings(tmp_path / "var", tsa_url=url, signature_level="B-T")
    (result,) = process_many([scan], settings)
    assert result.outcome == Outcome.FAILED, (result.outcome, result.reason_en)
    reason = result.reason_en or ""
    # the service and its answer, not the work copy's path (the result names the scan)
    assert reason == (
        f"signing failed, not because of the scan: the timestamping authority at {url} did not return a timestamp "
        "(its answer, 20 bytes, is not an RFC 3161 timestamp response); signing at B-T needs a timestamp"
    ), reason
    # in Vietnamese too (until 2026-12-02 the English words inside the Vietnamese half)
    assert "(câu trả lời, 20 byte, không phải phản hồi dấu thời gian RFC 3161)" in (result.reason_vi or ""), result
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())


def test_a_signing_error_in_both_languages_gives_each_its_half_uncut(tmp_path: Path) -> None:
    """QA: only a service's fault (SigningServiceError) was split into its languages and kept whole; any other
    signing configuration error was cut at 300 characters, in the middle of its English half, and reason_en held
    the Vietnamese text (AppearanceOrderError: a seal before the signer's signature, what a library calling
    process_document with SOHOA_SIGNATURE_APPEARANCE=seal meets — a batch refuses it before it starts)."""
    from flows.pipeline import direct_runner, process_document
    from signing.appearance import Appearance
    from signing.errors import AppearanceOrderError, SigningConfigError
    from tests.signing_images import make_seal

    seal = make_seal(tmp_path / "seal.png")
    settings = make_settings(tmp_path / "var", signature_appearance="seal", seal_image=seal)
    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    result = process_document(scan, settings)
    assert result.outcome == Outcome.FAILED, (result.outcome, result.reason_en)
    english = (
        "signing failed, not because of the scan: the seal goes over the signer's signature (Decree 30): the last "
        "page has no signer's signature yet; sign with --appearance signer first, then sign that signed file with "
        "--appearance seal (or --appearance decree30: both in one signature)"
    )
    assert result.reason_en == english, result.reason_en
    vietnamese = (
        "Ký số thất bại, không do tệp quét: dấu của cơ quan đóng lên chữ ký của người ký (Nghị định 30): trang cuối "
        "chưa có chữ ký của người ký; hãy ký trước với --appearance signer, rồi ký đóng dấu tệp đã ký với "
        "--appearance seal (hoặc --appearance decree30: cả hai trong một chữ ký)"
    )
    assert result.reason_vi == vietnamese, result.reason_vi
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())
    # `sohoa sign` still prints both, Vietnamese first
    body = Appearance(kind="seal", signer="", organisation="UBND", font=Path(FONT), seal_image=seal)
    with pytest.raises(AppearanceOrderError) as raised:
        from signing import load_identity, sign_pdf

        identity = load_identity("dev", keys_dir=tmp_path / "keys")
        sign_pdf(small_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", identity, appearance=body)
    assert str(raised.value) == vietnamese.split(": ", 1)[1] + " / " + english.split(": ", 1)[1]

    # a signing error of one text, sohoa's own words: whole, not cut as another library's exception text is
    long = "SOHOA_PKCS11_KEY_LABEL / pkcs11_key_label: " + "nhãn khoá không có trên thẻ / no such key label; " * 12

    def refusing(stage: str, function: Any, *args: Any) -> Any:
        if stage == "ingest":
            raise SigningConfigError(long)
        return direct_runner(stage, function, *args)

    failed = process_document(scan, make_settings(tmp_path / "var2"), refusing)
    assert len(long) > 300 and failed.outcome == Outcome.FAILED
    assert failed.reason_en == f"signing failed, not because of the scan: {long}", failed.reason_en
    assert failed.reason_vi == f"Ký số thất bại, không do tệp quét: {long}", failed.reason_vi


def test_a_file_gone_before_it_is_read_fails_with_a_reason_in_each_language(tmp_path: Path) -> None:
    # found by QA: reason_vi was "Không tìm thấy tệp: in7/z-biến-mất.jpg: no such file", English inside Vietnamese
    settings = make_settings(tmp_path / "var")
    gone = tmp_path / "z-biến-mất.jpg"
    (result,) = process_many([gone], settings)
    assert result.outcome == Outcome.FAILED
    assert "no such file" not in result.reason_vi and "không tìm thấy tệp" in result.reason_vi
    assert "z-biến-mất.jpg" in result.reason_vi and "moved or deleted" in result.reason_en
    # where it was looked for: a deployment's run on a worker that has no such path (QA136: mistyped, not mounted)
    host = socket.gethostname()
    assert f"on this host ({host})" in result.reason_en and f"trên máy này ({host})" in result.reason_vi


def test_the_results_table_gives_a_quarantine_reason_in_both_languages(tmp_path: Path) -> None:
    # found by QA: the "note" of a quarantined file was English only, under the title "kết quả / results"
    from typer.testing import CliRunner

    from flows.cli import app

    empty = tmp_path / "rỗng.pdf"
    empty.write_bytes(b"")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "COLUMNS": "400"}
    done = CliRunner().invoke(app, ["process", str(empty), "--no-prefect"], env=env)
    assert done.exit_code == 1, done.output
    assert any("rỗng.pdf" in line and "quarantined" in line for line in done.stdout.splitlines()), done.stdout
    vietnamese, english = PROBLEM_TEXT[Problem.EMPTY]
    # the reason, what to do after it, wraps in its cell
    cells = " ".join(part.strip() for line in done.stdout.splitlines() for part in line.split("│")[-2:-1])
    assert vietnamese.split("(")[0].strip() in cells and english.split("(")[0].strip() in cells, done.stdout


def test_a_batch_signed_with_the_development_identity_says_so_under_its_table(tmp_path: Path) -> None:
    """QA78: only the first lines of the log said the batch was signed with the DEVELOPMENT ONLY identity (a long
    batch scrolls them away); the table said "signed: yes" and the summary nothing."""
    from typer.testing import CliRunner

    from flows.cli import app

    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "COLUMNS": "200"}
    done = CliRunner().invoke(app, ["process", str(scan), "--no-prefect"], env=env)
    assert done.exit_code == 0, done.output
    said = " ".join(done.stdout.split())
    assert "cảnh báo: 1 hồ sơ ký bằng khóa THỬ NGHIỆM, không có giá trị pháp lý" in said, said
    assert "warning: 1 record(s) signed with the DEVELOPMENT ONLY identity: no legal value" in said, said
    again = CliRunner().invoke(app, ["process", str(scan), "--no-prefect", "--json"], env=env)
    (file,) = json.loads(again.stdout)["files"]
    assert file["outcome"] == "already_archived" and file["development_identity"] is True, file


def test_the_quarantine_is_listed_and_an_entry_dealt_with_removed(tmp_path: Path) -> None:
    """QA77: an input fixed and given again as other bytes (a password removed) left its entry in the quarantine
    for ever, and no command listed or cleared it: the officer deleted by hand and could not tell what was done."""
    from typer.testing import CliRunner

    from flows.cli import app

    empty, text = tmp_path / "trống.pdf", tmp_path / "báo cáo.pdf"
    empty.write_bytes(b"")
    text.write_text("Báo cáo tháng 11", encoding="utf-8")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_CONFIG": "", "COLUMNS": "200"}
    runner = CliRunner()
    assert runner.invoke(app, ["process", str(empty), str(text), "--no-prefect"], env=env).exit_code == 1
    listed = runner.invoke(app, ["quarantine", "list", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    entries = {Path(e["file"]).name: e for e in json.loads(listed.stdout)["entries"]}
    assert set(entries) == {"trống.pdf", "báo cáo.pdf"}, entries
    assert entries["trống.pdf"]["reason_vi"].startswith("trống.pdf: Tệp rỗng (0 byte).")
    assert entries["trống.pdf"]["source"].endswith("trống.pdf") and len(entries["trống.pdf"]["sha256"]) == 64
    shown = " ".join(runner.invoke(app, ["quarantine", "list"], env=env).stdout.split())
    assert "2 tệp trong khu cách ly / file(s) in the quarantine" in shown and "Tệp rỗng (0 byte)." in shown, shown
    removed = runner.invoke(app, ["quarantine", "remove", "trống.pdf", "không có.pdf"], env=env)
    assert removed.exit_code == 1, removed.output  # one name is in no entry: said, the other removed
    said = " ".join(removed.output.split())
    assert "đã xóa / removed:" in said and "not in the quarantine: không có.pdf" in said, said
    left = json.loads(runner.invoke(app, ["quarantine", "list", "--json"], env=env).stdout)
    assert [Path(e["file"]).name for e in left["entries"]] == ["báo cáo.pdf"], left
    assert not (tmp_path / "var" / "quarantine" / "trống.pdf.reason.txt").exists() and empty.exists()
    # a copy whose bytes changed since: listed as changed (it was "gone"), and removed whole (QA79: the reason file
    # went, the copy stayed, unlisted for ever)
    copy = tmp_path / "var" / "quarantine" / "báo cáo.pdf"
    copy.write_bytes(copy.read_bytes() + b"!")
    (entry,) = json.loads(runner.invoke(app, ["quarantine", "list", "--json"], env=env).stdout)["entries"]
    assert entry["file"] == str(copy) and entry["changed"] is True, entry
    assert runner.invoke(app, ["quarantine", "remove", "báo cáo.pdf"], env=env).exit_code == 0
    quarantine = tmp_path / "var" / "quarantine"
    assert not copy.exists() and [p.name for p in quarantine.iterdir()] == [".removed.jsonl"]
    # each removal noted: who, when, what, and why it had been parked (QA98 F10: no trace of who discarded an input)
    from storage.ledger import default_actor

    noted = [json.loads(line) for line in (quarantine / ".removed.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [n["file"] for n in noted] == ["trống.pdf", "báo cáo.pdf"], noted
    assert noted[0]["actor"] == default_actor() and noted[0]["reason_vi"].startswith("trống.pdf: Tệp rỗng"), noted
    assert noted[0]["from"].endswith("trống.pdf") and noted[0]["at"] and len(noted[0]["sha256"]) == 64
    assert json.loads(runner.invoke(app, ["quarantine", "list", "--json"], env=env).stdout)["entries"] == []
    blank = runner.invoke(app, ["quarantine", "remove", ""], env=env)
    assert blank.exit_code == 2 and "an empty name" in blank.output, blank.output  # was exit 1, "not in it: "


def two_page_scan_pdf(path: Path) -> Path:
    """A scanner's PDF: each page one JPEG, embedded as it is."""
    pages = []
    for number in (1, 2):
        page = path.parent / f"trang-{number}.jpg"
        small_scan_png(page.with_suffix(".png"), f"THÔNG BÁO trang {number}")
        Image.open(page.with_suffix(".png")).save(page, "JPEG", quality=80, dpi=(300, 300))
        pages.append(str(page))
    path.write_bytes(img2pdf.convert(pages))
    return path


def damage_page_image(source: Path, target: Path, page: int, data: bytes | None = None) -> None:
    with pikepdf.open(source) as pdf:
        for image in pdf.pages[page - 1].get_images().values():
            raw = image.read_raw_bytes()
            image.write(data if data is not None else raw, filter=image.Filter)
        pdf.save(target)


def test_a_pdf_page_whose_image_is_damaged_is_quarantined_naming_the_page(tmp_path: Path) -> None:
    """Page 2's JPEG replaced by garbage: PDFium drew it as nothing, and the PDF was archived and signed as
    'page 2: no words found (a blank page …)' — the scan lost without a word. It is quarantined now, the page named."""
    whole = two_page_scan_pdf(tmp_path / "nguyên.pdf")
    damaged = tmp_path / "vào" / "trang-hỏng.pdf"
    damaged.parent.mkdir()
    damage_page_image(whole, damaged, 2, b"\xff\xd8\xff garbage" * 10)
    original = damaged.read_bytes()
    settings = make_settings(tmp_path / "var")
    (result,) = process_many([damaged], settings)
    assert result.outcome == Outcome.QUARANTINED, (result.outcome, result.reason_en)
    assert "image is damaged and cannot be decoded" in (result.reason_en or "")
    assert "page 2" in (result.reason_en or "") and "page 1" not in (result.reason_en or "")
    assert "ảnh quét của một trang bị hỏng" in (result.reason_vi or "").lower() and "trang 2" in (
        result.reason_vi or ""
    )
    assert "BytesIO" not in (result.reason_en or "")
    kept = settings.quarantine_path / damaged.name
    assert kept.read_bytes() == original  # the original, as it came, for the officer to look at
    assert "trang 2" in (settings.quarantine_path / f"{damaged.name}.reason.txt").read_text(encoding="utf-8")
    assert not list(settings.archive_dir.rglob("record.json")) if settings.archive_dir.exists() else True


def test_a_cut_off_or_garbled_page_image_is_damaged_an_intact_one_is_not(tmp_path: Path) -> None:
    whole = two_page_scan_pdf(tmp_path / "nguyên.pdf")
    assert inspect_input(whole).page_count == 2
    with pikepdf.open(whole) as pdf:
        jpeg = next(iter(pdf.pages[0].get_images().values())).read_raw_bytes()
    cut = tmp_path / "cắt.pdf"
    damage_page_image(whole, cut, 1, jpeg[: len(jpeg) // 2])
    with pytest.raises(BadInputError) as cut_off:
        inspect_input(cut)
    assert cut_off.value.problem == Problem.DAMAGED_PAGE_IMAGE and "page 1" in cut_off.value.detail
    # a Deflate image whose data do not inflate
    flate = tmp_path / "flate.pdf"
    with pikepdf.open(whole) as pdf:
        page = pdf.pages[1]
        name = next(iter(page.get_images()))
        image = page.get_images()[name]
        image.write(b"x\x9c" + b"\x00garbled" * 50, filter=pikepdf.Name.FlateDecode)
        image.ColorSpace = pikepdf.Name.DeviceGray
        pdf.save(flate)
    with pytest.raises(BadInputError) as garbled:
        inspect_input(flate)
    assert garbled.value.problem == Problem.DAMAGED_PAGE_IMAGE and garbled.value.detail_vi == "trang 2"


def _cut_short(image: pikepdf.Stream, kept: float) -> None:
    """An image's stored data cut to ``kept`` of their length (a copy interrupted), its filters and their
    parameters kept."""
    data = image.read_raw_bytes()
    image.write(data[: int(len(data) * kept)], filter=image.Filter, decode_parms=image.get("/DecodeParms"))


def _g4_page_pdf(target: Path) -> Path:
    """A two-page PDF of black-and-white scans stored as CCITT G4 (what an office scanner writes in "text" mode)."""
    page = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(page)
    for row in range(20):
        draw.rectangle([100, 100 + row * 80, 100 + 50 * (row % 7 + 5), 140 + row * 80], fill=0)
    frames = []
    for index in range(2):
        buffer = io.BytesIO()
        page.rotate(index * 180).convert("1").save(buffer, format="TIFF", compression="group4", dpi=(150, 150))
        frames.append(buffer.getvalue())
    target.write_bytes(img2pdf.convert(frames))
    return target


@pytest.mark.parametrize("kept", [0.3, 0.5, 0.7, 0.9])
def test_a_cut_off_g4_page_image_is_damaged_an_intact_one_is_not(tmp_path: Path, kept: float) -> None:
    """QA101 F3: a G4 scan image cut short was read from the part that decodes — Pillow's libtiff gives no error,
    poppler draws the rest white — called `good` and archived as the whole page. libtiff's fax decoder, asked
    with its warnings heard, names every cut (poppler alone named one of these four); the page is named."""
    whole = _g4_page_pdf(tmp_path / "g4.pdf")
    assert inspect_input(whole).page_count == 2
    cut = tmp_path / "g4 cắt.pdf"
    with pikepdf.open(whole) as pdf:
        (image,) = pdf.pages[1].get_images().values()
        assert list(image.Filter.wrap_in_array()) == ["/CCITTFaxDecode"]
        _cut_short(image, kept)
        pdf.save(cut)
    with pytest.raises(BadInputError) as caught:
        inspect_input(cut)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and caught.value.detail_vi == "trang 2"
    assert "page 2" in caught.value.detail and "(Fax4Decode, libtiff)" in caught.value.detail, caught.value.detail


def test_a_g4_tiff_page_garbled_part_way_is_damaged(tmp_path: Path) -> None:
    """QA101 F3, a TIFF input: Pillow decodes a G4 strip whose second half is zeros (a copy cut off and padded)
    without an error; libtiff's fax decoder says "Premature EOL at line …". A multi-page TIFF names the page."""
    sheet = Image.new("L", (1240, 1754), 255)
    draw = ImageDraw.Draw(sheet)
    for row in range(20):
        draw.rectangle([100, 100 + row * 80, 100 + 50 * (row % 7 + 5), 140 + row * 80], fill=0)
    bilevel = sheet.convert("1")
    for pages in (1, 2):
        path = tmp_path / f"fax {pages}.tif"
        bilevel.save(path, compression="group4", dpi=(150, 150), save_all=True, append_images=[bilevel] * (pages - 1))
        assert inspect_input(path).page_count == pages
        with Image.open(path) as written:
            written.seek(pages - 1)
            offsets, counts = written.tag_v2[273], written.tag_v2[279]  # type: ignore[attr-defined]
        data = bytearray(path.read_bytes())
        start, end = offsets[0] + counts[0] // 2, offsets[0] + counts[0]
        data[start:end] = bytes(end - start)
        path.write_bytes(bytes(data))
        with pytest.raises(BadInputError) as caught:
            inspect_input(path)
        assert "(Fax4Decode, libtiff)" in caught.value.detail, caught.value.detail
        if pages == 1:
            assert caught.value.problem == Problem.UNREADABLE_IMAGE
        else:
            assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and caught.value.detail_vi == "trang 2"


def test_a_jpeg_cut_short_is_said_to_be(tmp_path: Path) -> None:
    """QA165 F6: a JPEG that lacked only its 2-byte end marker was "damaged … (image file is truncated (2 bytes not
    processed))", Pillow's words; a JPEG cut short, by its marker or by half, is said to be cut short."""
    page = Image.new("L", (900, 1200), 250)
    ImageDraw.Draw(page).rectangle([100, 100, 800, 140], fill=20)
    whole = io.BytesIO()
    page.save(whole, format="JPEG", dpi=(150, 150), quality=85)
    data = whole.getvalue()
    for name, kept in (("không dấu kết thúc.jpg", len(data) - 2), ("nửa.jpg", len(data) // 2)):
        path = tmp_path / name
        path.write_bytes(data[:kept])
        with pytest.raises(BadInputError) as caught:
            inspect_input(path)
        assert caught.value.problem == Problem.UNREADABLE_IMAGE
        assert "stops before its end marker: the file was cut short" in caught.value.detail, caught.value.detail
        assert "tệp bị cắt ngắn" in caught.value.detail_vi
    (tmp_path / "whole.jpg").write_bytes(data)
    assert inspect_input(tmp_path / "whole.jpg").page_count == 1


def test_a_tiff_cut_short_inside_a_pages_description_names_the_page(tmp_path: Path) -> None:
    """QA165 F5: a three-page TIFF cut off inside its last page's description (its IFD) said only Pillow's "(Missing
    dimensions)" and "The image is damaged", naming no page, where a damaged page's data names it."""
    sheet = Image.new("L", (600, 800), 255)
    draw = ImageDraw.Draw(sheet)
    for row in range(10):
        draw.rectangle([50, 50 + row * 60, 300, 80 + row * 60], fill=0)
    path = tmp_path / "ba trang.tif"
    sheet.save(path, compression="tiff_lzw", dpi=(150, 150), save_all=True, append_images=[sheet, sheet])
    data = path.read_bytes()
    at, directories = int.from_bytes(data[4:8], "little"), []
    while at:  # the chain of page descriptions: each its entries' count, 12 bytes an entry, the next one's place
        directories.append(at)
        count = int.from_bytes(data[at : at + 2], "little")
        at = int.from_bytes(data[at + 2 + 12 * count : at + 6 + 12 * count], "little")
    assert len(directories) == 3
    path.write_bytes(data[: directories[2] + 20])
    with pytest.raises(BadInputError) as caught:
        inspect_input(path)
    # (the file to be copied again, not its page scanned again: QA169 F5)
    assert caught.value.problem == Problem.UNREADABLE_IMAGE and caught.value.detail_vi == "trang 3"
    assert caught.value.detail.startswith("page 3: the file ends inside its description"), caught.value.detail
    assert "Copy the file from the scanner again" in caught.value.english()


def test_fax_coded_images_libtiff_cannot_judge_truly_are_not_refused() -> None:
    """QA103: a G4 image with /EncodedByteAlign (some fax converters write it) was "internal error in sohoa" —
    pikepdf cannot wrap it as a TIFF — and an intact G3 image without end-of-line codes (/K 0, /EndOfLine false,
    PDF's default) was refused as damaged: pikepdf wraps it as T.4, which has them, and libtiff said "Premature
    EOL at line 0". Both are left unchecked (poppler draws them whole); a tiled G4 TIFF is checked tile by tile."""
    ccitt = FIXTURES / "ccitt"
    assert inspect_input(ccitt / "g4-encoded-byte-align.pdf").page_count == 1
    assert inspect_input(ccitt / "g3-k0-no-eol.pdf").page_count == 1
    assert inspect_input(ccitt / "g4-tiled.tif").page_count == 1
    with pytest.raises(BadInputError) as caught:
        inspect_input(ccitt / "g4-tiled-damaged.tif")
    assert "of tile" in caught.value.detail and "(Fax4Decode, libtiff)" in caught.value.detail, caught.value.detail


def test_pillows_libtiff_prints_nothing_of_a_damaged_fax_page() -> None:
    """QA103/QA104: Pillow's libtiff printed "Fax4Decode: Bad code word at line 182 of tile 31 (x 75)." six times on
    stderr — English, no file name — while `process` split a stack with Pillow, before the input check refused the
    file in words. Its handlers are silenced where sohoa decodes with Pillow (a fault still raises)."""
    import subprocess
    import sys

    damaged = FIXTURES / "ccitt" / "g4-tiled-damaged.tif"
    code = "import sys, flows.intake; from PIL import Image; Image.open(sys.argv[1]).load()"
    done = subprocess.run([sys.executable, "-c", code, str(damaged)], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and "Fax4Decode" not in done.stderr, done.stderr


def test_a_cut_off_byte_aligned_g4_is_judged_by_poppler(tmp_path: Path) -> None:
    """QA104: a byte-aligned G4 image cut short was archived half blank as `good`: libtiff is not given it (pikepdf
    cannot wrap it), and poppler, which reports its damage, was not asked."""
    cut = tmp_path / "g4 căn byte cắt.pdf"
    with pikepdf.open(FIXTURES / "ccitt" / "g4-encoded-byte-align.pdf") as pdf:
        (image,) = pdf.pages[0].get_images().values()
        _cut_short(image, 1 / 2)
        pdf.save(cut)
    with pytest.raises(BadInputError) as caught:
        inspect_input(cut)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and "CCITTFax" in caught.value.detail


def test_a_cut_off_g4_stencil_mask_is_damaged(tmp_path: Path) -> None:
    """QA103: an image drawn as a stencil (/ImageMask true: the ink of an MRC scan's text layer) is no image to
    ``get_images``, and a G4 one cut short was archived `good` with 118 of 297 words. The page's stencils, and its
    images' /Mask streams, are checked as its images are."""
    whole = _g4_page_pdf(tmp_path / "g4.pdf")
    cut = tmp_path / "mặt nạ cắt.pdf"
    with pikepdf.open(whole) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        _cut_short(image, 1 / 2)
        image.ImageMask = True
        del image.ColorSpace
        del image.BitsPerComponent
        assert not pdf.pages[0].get_images()  # what was checked: a stencil is no image to pikepdf
        pdf.save(cut)
    with pytest.raises(BadInputError) as caught:
        inspect_input(cut)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and caught.value.detail_vi == "trang 1"


def test_a_cut_off_g4_drawn_through_forms_is_damaged(tmp_path: Path) -> None:
    """QA104: a damaged G4 scan drawn through a form XObject (two levels down here) was archived `good` with 111 of
    297 words once the check looked at the page's own images only; the forms a page draws are walked."""
    whole = _g4_page_pdf(tmp_path / "g4.pdf")
    nested = tmp_path / "trong form.pdf"
    with pikepdf.open(whole) as pdf:
        page = pdf.pages[0]
        (image,) = page.get_images().values()
        _cut_short(image, 1 / 2)
        inner = page.as_form_xobject()
        outer = pdf.make_stream(b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
        outer.BBox = inner.BBox
        outer.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner))
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Outer=outer))
        page.obj.Contents = pdf.make_stream(b"/Outer Do")
        del pdf.pages[1]
        pdf.save(nested)
    with pytest.raises(BadInputError) as caught:
        inspect_input(nested)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and caught.value.detail_vi == "trang 1"


def test_forms_nested_deep_or_drawn_many_times_are_walked_once_each(tmp_path: Path) -> None:
    """QA105: the walk into forms was recursive and remembered forms along its path only: a chain of 1,500 nested
    forms was "internal error" (Python's recursion limit), and forms each listing the next twice took minutes at 22
    levels (2^22 paths). Each form is walked once, by a stack: the damaged scan at the bottom is found at once."""
    whole = _g4_page_pdf(tmp_path / "g4.pdf")
    for shape in ("chain", "doubled"):
        target = tmp_path / f"{shape}.pdf"
        with pikepdf.open(whole) as pdf:
            page = pdf.pages[0]
            (image,) = page.get_images().values()
            _cut_short(image, 1 / 2)
            below = page.as_form_xobject()
            for _level in range(1500 if shape == "chain" else 40):
                names = {"/A": below} if shape == "chain" else {"/A": below, "/B": below}
                form = pdf.make_stream(b"/A Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
                form.BBox = below.BBox
                form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(names))
                below = form
            page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Top=below))
            page.obj.Contents = pdf.make_stream(b"")  # drawn by nothing: the content-size check lets it pass
            del pdf.pages[1]
            pdf.save(target)
        with pytest.raises(BadInputError) as caught:
            inspect_input(target)
        assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE, (shape, caught.value)


@needs_shared
def test_a_cut_off_jbig2_page_image_is_damaged(tmp_path: Path) -> None:
    """QA101 F3, JBIG2 (OCRmyPDF's jbig2.pdf, its image's data cut to a third): pikepdf cannot decode JBIG2 without
    jbig2dec; poppler can, and complains."""
    source = SHARED / "corpora/ocr/ocrmypdf-resources/jbig2.pdf"
    assert inspect_input(source).page_count == 1
    cut = tmp_path / "jbig2 cắt.pdf"
    with pikepdf.open(source) as pdf:
        (image,) = pdf.pages[0].get_images().values()
        assert list(image.Filter.wrap_in_array()) == ["/JBIG2Decode"]
        _cut_short(image, 1 / 3)
        pdf.save(cut)
    with pytest.raises(BadInputError) as caught:
        inspect_input(cut)
    assert caught.value.problem == Problem.DAMAGED_PAGE_IMAGE and caught.value.detail_vi == "trang 1"


def test_an_image_too_small_to_be_a_scan_is_quarantined_with_its_size(tmp_path: Path) -> None:
    """A 20×20 px PNG (no resolution: 1.7 mm at 300 dpi) was archived and signed as a record: the only floor was
    the PDF format's 1 mm. A scan is at least a receipt or an ID card, ~50 mm: hundreds of pixels."""
    tiny = tmp_path / "nhỏ.png"
    Image.new("L", (20, 20), 255).save(tiny)
    settings = make_settings(tmp_path / "var")
    (result,) = process_many([tiny], settings)
    assert result.outcome == Outcome.QUARANTINED, (result.outcome, result.reason_en)
    assert "too small to be a scan" in (result.reason_en or "") and "20×20 px" in (result.reason_en or "")
    assert "quá nhỏ để là một bản quét" in (result.reason_vi or "") and "20×20 điểm ảnh" in (result.reason_vi or "")
    assert (settings.quarantine_path / tiny.name).read_bytes() == tiny.read_bytes()


@pytest.mark.parametrize(
    ("size", "dpi", "refused"),
    [
        ((99, 1754), (150, 150), True),  # a sliver, whatever it claims
        ((400, 50), None, True),  # a strip of one line: 4 mm at 300 dpi
        ((150, 150), (600, 600), True),  # 6 mm
        ((400, 200), None, False),  # 34×17 mm at 300 dpi: a small cropped scan (Tesseract's HelloGoogle.tif)
        ((238, 171), (72, 72), False),  # Tesseract's deslant.tif
        ((600, 800), (200, 200), False),
        ((591, 372), (300, 300), False),  # an ID card, 50×31.5 mm at 300 dpi
    ],
)
def test_the_smallest_scan_size(
    tmp_path: Path, size: tuple[int, int], dpi: tuple[int, int] | None, refused: bool
) -> None:
    image = tmp_path / "ảnh.png"
    Image.new("L", size, 255).save(image, **({"dpi": dpi} if dpi else {}))
    if refused:
        with pytest.raises(BadInputError) as small:
            inspect_input(image)
        assert small.value.problem == Problem.TOO_SMALL and f"{size[0]}×{size[1]} px" in small.value.detail
    else:
        assert inspect_input(image).page_count == 1


def test_a_small_page_of_a_tiff_is_named(tmp_path: Path) -> None:
    tiff = tmp_path / "hồ sơ.tif"
    pages = [Image.new("L", (1240, 1754), 255), Image.new("L", (30, 30), 255)]
    pages[0].save(tiff, save_all=True, append_images=pages[1:], dpi=(150, 150))
    # beside a page of a usable size it is kept, unread, since QA56 (tests/test_ocr_small_pages.py)
    (kept,) = inspect_input(tiff).small_pages
    assert (kept.number, kept.size, kept.size_vi) == (
        2,
        "30×30 px, 5.1×5.1 mm at 150 dpi",
        "30×30 điểm ảnh, 5,1×5,1 mm ở 150 dpi",
    )
    pages[1].save(tiff, save_all=True, append_images=pages[1:], dpi=(150, 150))  # every page too small
    with pytest.raises(BadInputError) as small:
        inspect_input(tiff)
    assert small.value.detail.startswith("page 1: 30×30 px") and small.value.detail_vi.startswith("trang 1: 30×30")


def pdf_of_images(path: Path, pages: list[tuple[tuple[int, int], int]]) -> Path:
    """A scanner's PDF: each page one image of (width, height) px laid out at its dpi, as img2pdf does."""
    images = []
    for index, (size, dpi) in enumerate(pages):
        image = path.parent / f"{path.stem}-{index}.png"
        Image.new("L", size, 255).save(image, dpi=(dpi, dpi))
        images.append(str(image))
    layout = img2pdf.get_layout_fun(None, None, None, None, None)
    path.write_bytes(img2pdf.convert(images, layout_fun=layout))
    return path


def test_a_tiny_pdf_page_is_too_small_to_be_a_scan_naming_the_page(tmp_path: Path) -> None:
    """QA: a 60×60 px image was quarantined as a PNG ("too small to be a scan") but signed and archived as an
    `unknown` record as a PDF, alone or as a page of a stack. The same rule holds for a PDF page — one of a
    document whose other pages are of a usable size is kept, unread, since QA56 (tests/test_ocr_small_pages.py)."""
    tiny = pdf_of_images(tmp_path / "nhỏ.pdf", [((60, 60), 300)])  # a 5 mm page
    stack = pdf_of_images(tmp_path / "chồng.pdf", [((1240, 1754), 150), ((60, 60), 300), ((1240, 1754), 150)])
    assert [page.number for page in inspect_input(stack).small_pages] == [2]
    with pytest.raises(BadInputError) as small:
        inspect_input(tiny)
    assert small.value.problem == Problem.TOO_SMALL
    assert small.value.detail == "page 1: the page is 5.1×5.1 mm" and small.value.detail_vi.startswith("trang 1: ")
    # an image-only page of A4 whose whole scan is 60×60 px: refused for its pixels
    with pikepdf.open(tiny) as pdf:
        pdf.pages[0].mediabox = pikepdf.Array([0, 0, 595, 842])
        pdf.save(tmp_path / "nhỏ-a4.pdf")
    with pytest.raises(BadInputError) as small:
        inspect_input(tmp_path / "nhỏ-a4.pdf")
    assert small.value.detail == "page 1: its scan image is 60×60 px"
    settings = make_settings(tmp_path / "var")
    (result,) = process_many([tiny], settings)
    assert result.outcome == Outcome.QUARANTINED, (result.outcome, result.reason_en)
    assert "too small to be a scan" in (result.reason_en or "") and "page 1" in (result.reason_en or "")
    assert "quá nhỏ để là một bản quét" in (result.reason_vi or "") and "trang 1" in (result.reason_vi or "")
    # scans of ordinary size and a page with no image at all pass
    assert inspect_input(two_page_scan_pdf(tmp_path / "hai trang.pdf")).page_count == 2
    small_pdf(tmp_path / "trắng.pdf")
    assert inspect_input(tmp_path / "trắng.pdf").page_count == 1


def test_every_sample_still_passes_the_input_checks() -> None:
    samples = Path(__file__).resolve().parents[1] / "samples"
    scans = [p for p in samples.rglob("*") if p.suffix.lower() in {".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff"}]
    assert scans
    for scan in scans:
        inspect_input(scan)


def test_a_bad_input_error_keeps_its_vietnamese_detail_across_processes() -> None:
    import pickle

    error = BadInputError("a.pdf", Problem.DAMAGED_PAGE_IMAGE, "page 2, image Im0: bad", "trang 2")
    again = pickle.loads(pickle.dumps(error))
    assert again.vietnamese() == error.vietnamese() and again.english() == error.english()


def test_a_missing_file_other_than_the_scan_fails_the_document_without_blaming_the_scan(tmp_path: Path) -> None:
    """QA: any FileNotFoundError in a stage (a missing password file) was reported as the scan "moved or deleted
    before it could be read". Only the scan missing is that; another missing file is a fault outside the input."""
    from flows.pipeline import process_document

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    needed = tmp_path / "a file the stage needs"

    def stage_needing_a_missing_file(stage: str, function: Any, *args: Any) -> Any:
        needed.read_bytes()  # a real FileNotFoundError for a file other than the scan
        return function(*args)

    settings = make_settings(tmp_path / "var")
    result = process_document(scan, settings, stage_needing_a_missing_file)
    assert result.outcome == Outcome.FAILED
    assert str(needed) in result.reason_en and "not the scan" in result.reason_en, result.reason_en
    assert "moved or deleted" not in result.reason_en and "không tìm thấy tệp" not in result.reason_vi
    assert scan.exists()
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())

    gone = tmp_path / "gone.png"
    scan.rename(gone)
    result = process_document(scan, settings)  # the scan itself missing: still "moved or deleted"
    assert result.outcome == Outcome.FAILED and "moved or deleted" in result.reason_en, result.reason_en


def test_a_page_lost_by_the_dask_cluster_fails_the_document_without_blaming_the_scan(tmp_path: Path) -> None:
    """A page sent to a Dask worker that died raises KilledWorker in the document's OCR stage: the scan was
    quarantined as "processing failed (KilledWorker …)", lost from the rerun. Raised here by the stage runner
    (a stand-in, said so: making a page task's worker die while its document's task lives on needs the two
    pinned to different workers; tests/test_operations_scale.py kills a real worker under a whole document)."""
    from types import SimpleNamespace

    from distributed.scheduler import KilledWorker

    from flows.pipeline import process_document

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")

    def page_worker_died(stage: str, function: Any, *args: Any) -> Any:
        if stage == "ocr":
            worker = SimpleNamespace(address="tcp://127.0.0.1:40123")  # the WorkerState fields its message reads
            raise KilledWorker("read_page_job-5f1c", worker, allowed_failures=3)  # type: ignore[arg-type]
        return function(*args)

    settings = make_settings(tmp_path / "var")
    result = process_document(scan, settings, page_worker_died)
    assert result.outcome == Outcome.FAILED, result.reason_en
    assert "Dask cluster lost work" in result.reason_en and "rerun the batch" in result.reason_en
    assert "KilledWorker" in result.reason_en and "Cụm Dask" in result.reason_vi
    assert scan.exists()
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())


def test_a_language_without_data_stops_the_batch_before_any_document(tmp_path: Path) -> None:
    # found by QA: SOHOA_OCR_LANGUAGE=xyz failed every document at its OCR, one after another
    from typer.testing import CliRunner

    from flows.cli import app

    scan = small_scan_png(tmp_path / "thông báo.png", "THÔNG BÁO Số: 08/TB-UBND")
    env = {"SOHOA_DATA_DIR": str(tmp_path / "var"), "SOHOA_OCR_LANGUAGE": "xyz", "SOHOA_CONFIG": ""}
    result = CliRunner().invoke(app, ["process", "--no-prefect", "--json", str(scan)], env=env)
    assert result.exit_code == 3
    said = json.loads(result.stdout)
    assert "language data missing: xyz" in said["error"] and "tesseract-ocr-xyz" in said["error"]
    assert not (tmp_path / "var" / "work").exists() or not any((tmp_path / "var" / "work").glob("*/ocr*"))


def tall_scan_png(path: Path) -> Path:
    """A page of four times the usual text: seconds inside Tesseract, time to kill its worker while it reads."""
    from tests.test_ocr import scan_page

    with Image.open(scan_page(path.with_name("one.png"))) as one:
        tall = Image.new("L", (one.width, one.height * 4), 250)
        for index in range(4):
            tall.paste(one, (0, index * one.height))
    tall.save(path, dpi=(300, 300))
    return path


@pytest.mark.parametrize("kills", [1, 2])
def test_a_tesseract_worker_killed_from_outside_never_quarantines_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kills: int
) -> None:
    """QA: `kill -9` of a tess_worker (as the OOM killer does) while it read a page quarantined the good scan
    ("Tesseract could not read this page image … (exit code -9)"). Killed once, the page is read again by a fresh
    worker and the scan archived; killed again, the scan is `failed`, for the rerun — never quarantined."""
    from flows.pipeline import process_document
    from ocr import tesseract_library
    from tests.test_tesseract_library import kill_workers_while_reading

    scan = tall_scan_png(tmp_path / "thông báo.png")
    settings = make_settings(tmp_path / "var", ocr_bands=1, ocr_workers=1)
    tesseract_library.stop_idle_workers()
    killed = kill_workers_while_reading(monkeypatch, signal.SIGKILL, kills)
    result = process_document(scan, settings)
    assert len(killed) == kills  # real workers, really killed while reading
    if kills == 1:
        assert result.outcome == Outcome.ARCHIVED, result.reason_en
    else:
        assert result.outcome == Outcome.FAILED, result.reason_en
        assert "SIGKILL" in (result.reason_en or "") and "not because of the scan" in (result.reason_en or "")
        assert scan.exists()
    assert not settings.quarantine_path.exists() or not any(settings.quarantine_path.iterdir())


def test_a_rerun_that_archives_a_quarantined_scan_takes_it_out_of_the_quarantine(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """QA: a scan quarantined for a fault outside it and archived by the rerun stayed in the quarantine, copy and
    reason — an officer would look into a scan already archived. The quarantine lists what still needs attention:
    the entry goes once the same content is archived; the record, the log and the result say so."""
    from flows.pipeline import process_document

    scan = small_scan_png(tmp_path / "công văn.png", "CÔNG VĂN Số: 118/UBND-VP")
    settings = make_settings(tmp_path / "var")
    other = small_scan_png(tmp_path / "khác.png", "THÔNG BÁO Số: 9/TB")
    for parked in (scan, other):  # as an earlier run left them
        quarantine_file(parked, settings.quarantine_path, reason_vi="Lỗi", reason_en="processing failed (exit code -9)")
    caplog.set_level(logging.INFO, logger="sohoa")
    result = process_document(scan, settings)
    assert result.outcome == Outcome.ARCHIVED, result.reason_en
    left = sorted(p.name for p in settings.quarantine_path.iterdir())
    assert left == ["khác.png", "khác.png.reason.txt"]  # another scan's entry stays
    assert sorted(p.name for p in result.released) == ["công văn.png", "công văn.png.reason.txt"]
    assert result.summary()["released_from_quarantine"] == [str(p) for p in result.released]
    assert "removed from the quarantine" in caplog.text
    assert result.record is not None
    event = next(e for e in result.record.events if e.action == "released from quarantine")
    assert "processing failed (exit code -9)" in event.detail
    # an already archived copy of a scan parked meanwhile is taken out too
    quarantine_file(scan, settings.quarantine_path, reason_vi="Lỗi", reason_en="processing failed")
    again = process_document(scan, settings)
    assert again.outcome == Outcome.ALREADY_ARCHIVED
    assert sorted(p.name for p in again.released) == ["công văn.png", "công văn.png.reason.txt"]


def test_the_page_count_of_an_all_blank_file_is_said_inside_its_sentence() -> None:
    """QA82 L4: a blank file of two pages read "… nothing to archive. (2 pages) Perhaps …": the count between two
    sentences. It is said where it belongs, and not at all for one page."""
    two = BadInputError("hai trang.pdf", Problem.ALL_BLANK, "2 pages", "2 trang")
    assert two.english().startswith("hai trang.pdf: Every page of the file (2 pages) is blank (no ink at all):")
    assert two.vietnamese().startswith("hai trang.pdf: Mọi trang của tệp (2 trang) đều trắng")
    assert (
        "(2 pages) Perhaps" not in two.english()
        and "{detail}" not in BadInputError("a.pdf", Problem.ALL_BLANK).english()
    )
