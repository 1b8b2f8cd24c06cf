"""sohoa.font_twins: a born-digital page's fonts that are not in the file get their twins of the same widths, so
its searchable copy is PDF/A; a font without a twin, or whose widths are not the twin's, is left as it is."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path

import fontTools.ttLib
import numpy as np
import pikepdf
import pikepdf.pdfa
import pytest
from PIL import Image

from ocr import ocr_document
from sohoa.font_twins import TWIN_FONT_DIR, FontTwin, embed_font_twins, twin_font_file
from sohoa.pdfa import font_embedded
from tests.conftest import FIXTURES

WORD_EXPORT = FIXTURES / "an-le-43-2021-p1.pdf"  # Word's: Times New Roman's Latin-1 part not embedded (4 styles)


@pytest.mark.parametrize(
    ("name", "twin"),
    [
        ("/Times New Roman", "LiberationSerif-Regular"),
        ("/Times New Roman,BoldItalic", "LiberationSerif-BoldItalic"),
        ("/TimesNewRomanPS-BoldMT", "LiberationSerif-Bold"),
        ("/TimesNewRomanPSMT", "LiberationSerif-Regular"),
        ("/Times-Roman", "LiberationSerif-Regular"),
        ("/ABCDEF+Arial,Italic", "LiberationSans-Italic"),
        ("/Arial-BoldItalicMT", "LiberationSans-BoldItalic"),
        ("/Helvetica-Oblique", "LiberationSans-Italic"),
        ("/Courier New", "LiberationMono-Regular"),
        ("/Courier-BoldOblique", "LiberationMono-BoldItalic"),
        ("/Arial Narrow", None),  # narrower letters: no twin
        ("/HelveticaNeue", None),
        ("/Arial Unicode MS", None),
        ("/Tahoma", None),
        ("/VNI-Times", None),  # a Vietnamese font of before Unicode: its codes are its own
        ("/Symbol", None),
    ],
)
def test_a_font_has_a_twin_only_where_one_has_its_widths(name: str, twin: str | None) -> None:
    found = twin_font_file(name)
    assert (found.stem if found else None) == twin
    assert found is None or found.parent == TWIN_FONT_DIR


def _pdftotext(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _drawn(path: Path, tmp_path: Path) -> np.ndarray:
    stem = tmp_path / f"drawn-{path.stem}"
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-f", "1", "-l", "1", str(path), str(stem)], check=True)
    return np.asarray(Image.open(next(tmp_path.glob(f"{stem.name}*.pgm"))), dtype=np.int16)


def _embedded(path: Path) -> list[tuple[str, str]]:
    """(font, "yes"/"no") for each font pdffonts lists."""
    lines = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    return [(line[:36].strip(), line.split()[-5]) for line in lines[2:]]


def test_a_word_export_without_its_fonts_gets_their_twins_and_is_pdfa(tmp_path: Path) -> None:
    """A court precedent saved from Word: its searchable copy was not PDF/A (four Times New Roman fonts not
    embedded: `sohoa ocr` exited 1, `sohoa process` sent it to review). Now the twins are in it: the same text,
    the page drawn the same, PDF/A-2b by both validators, and the copy says what it put in."""
    assert ("Times New Roman", "no") in _embedded(WORD_EXPORT)
    out = tmp_path / "án lệ.pdf"
    result = ocr_document(WORD_EXPORT, out, workers=1)
    assert (result.pdfa, result.pdfa_problems) == ("2B", [])
    assert [p.ocr for p in result.pages] == [False]  # its own text kept
    written = pikepdf.pdfa.validate_written(out, "2b")
    assert [f for f in written.findings if f.kind == "violation"] == [], written.findings
    fonts = _embedded(out)
    assert all(embedded == "yes" for _, embedded in fonts), fonts
    assert {name.split("+")[-1] for name, _ in fonts if "Liberation" in name} == {
        "LiberationSerif",
        "LiberationSerif-Bold",
        "LiberationSerif-BoldItalic",
    }
    assert _pdftotext(out) == _pdftotext(WORD_EXPORT)
    # every letter the same glyph in the same place: a code mapped to another letter would differ by whole glyphs
    difference = np.abs(_drawn(out, tmp_path) - _drawn(WORD_EXPORT, tmp_path))
    assert np.mean(difference > 64) < 0.02, np.mean(difference > 64)
    (notice,) = result.notices
    assert "tệp gốc không nhúng phông chữ Times New Roman, Times New Roman Bold, Times New Roman BoldItalic:" in notice
    assert "this copy embeds Liberation Serif in their place, of the same letter widths" in notice
    with pikepdf.open(out) as pdf:
        program = next(f.FontDescriptor.FontFile2 for f in pdf.pages[0].Resources.Font.values() if "/Widths" in f)
        assert len(program.read_bytes()) < 40_000  # cut down to the letters shown (the whole font: 394 KB)


def _made(path: Path, content: bytes, fonts: dict[str, pikepdf.Dictionary]) -> None:
    """A one-page PDF drawing ``content`` with ``fonts``."""
    with pikepdf.new() as pdf:
        page = pdf.add_blank_page(page_size=(595, 842))
        own = {name: pdf.make_indirect(font) for name, font in fonts.items()}
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(own))
        page.obj.Contents = pdf.make_stream(content)
        pdf.save(path)


def _standard(base: str, encoding: pikepdf.Object | None = pikepdf.Name.WinAnsiEncoding) -> pikepdf.Dictionary:
    """A standard Type 1 font, not embedded and without widths (``encoding`` None: none, the font's own)."""
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name(base))
    if encoding is not None:
        font.Encoding = encoding
    return font


def _standard_fonts_page(path: Path) -> None:
    """A page in Helvetica (no encoding: the standard one, where 0x27 is quoteright), Times-Bold in WinAnsi and
    Courier, none of them embedded and none with widths, as report tools write them."""
    _made(
        path,
        b"BT /F1 14 Tf 72 760 Td (Hello, it's HAVANA) Tj 0 -24 Td /F2 14 Tf (Caf\xe9 \x93XYZ\x94) Tj "
        b"0 -24 Td /F3 12 Tf [(So )-200(1234)] TJ ET",
        {"/F1": _standard("/Helvetica", None), "/F2": _standard("/Times-Bold"), "/F3": _standard("/Courier", None)},
    )


def test_standard_fonts_get_twins_with_their_widths_and_encodings(tmp_path: Path) -> None:
    source = tmp_path / "báo cáo.pdf"
    _standard_fonts_page(source)
    out = tmp_path / "out.pdf"
    result = ocr_document(source, out, workers=1)
    assert (result.pdfa, result.pdfa_problems) == ("2B", [])
    assert _pdftotext(out) == _pdftotext(source)
    assert "it’s" in _pdftotext(out)  # the standard encoding's quoteright, kept as such (WinAnsi's 0x27 is ')
    with pikepdf.open(out) as pdf:
        fonts = pdf.pages[0].Resources.Font
        helvetica, times, courier = fonts.F1, fonts.F2, fonts.F3
        assert helvetica.Subtype == pikepdf.Name.TrueType and str(helvetica.BaseFont).endswith("+LiberationSans")
        assert helvetica.Encoding.BaseEncoding == pikepdf.Name.WinAnsiEncoding
        assert list(helvetica.Encoding.Differences) == [0x27, pikepdf.Name.quoteright]
        assert times.Encoding == pikepdf.Name.WinAnsiEncoding
        # the standard fonts' own widths (Adobe's metrics): H 722 in Helvetica, X 722 in Times-Bold, 600 in Courier
        assert int(helvetica.Widths[ord("H") - int(helvetica.FirstChar)]) == 722
        assert int(times.Widths[ord("X") - int(times.FirstChar)]) == 722
        assert {int(w) for w in courier.Widths} <= {0, 600}
        assert int(courier.FontDescriptor.Flags) & 1  # fixed pitch
    assert "Helvetica, Times-Bold, Courier" in result.notices[0]
    assert "Liberation Sans, Liberation Serif, Liberation Mono" in result.notices[0]


def test_a_font_without_a_twin_or_with_other_widths_stays_and_the_copy_says_why(tmp_path: Path) -> None:
    """Tahoma has no twin here; a font named Arial whose widths are Times New Roman's is not Arial: neither is
    replaced (their letters would move), and the copy is not PDF/A, saying which; the others get their twins."""
    source = tmp_path / "tahoma.pdf"
    with pikepdf.open(WORD_EXPORT) as pdf:
        fonts = pdf.pages[0].Resources.Font
        fonts.F1.BaseFont = fonts.F1.FontDescriptor.FontName = pikepdf.Name("/Tahoma")
        fonts.F2.BaseFont = fonts.F2.FontDescriptor.FontName = pikepdf.Name("/Arial,Bold")
        pdf.save(source)
    result = ocr_document(source, tmp_path / "out.pdf", workers=1)
    assert result.pdfa is None
    assert result.pdfa_problems == [
        "6.2.11.4.1: page 1 uses font /Tahoma without embedding it",
        "6.2.11.4.1: page 1 uses font /Arial,Bold without embedding it",
    ]
    (notice,) = result.notices
    assert "phông chữ Times New Roman BoldItalic:" in notice  # the third still got its twin
    assert _pdftotext(tmp_path / "out.pdf") == _pdftotext(source)


def test_a_symbolic_font_keeps_its_own_codes(tmp_path: Path) -> None:
    """A font flagged symbolic draws its codes as glyphs of its own, not letters: no twin can stand in."""
    source = tmp_path / "symbolic.pdf"
    with pikepdf.open(WORD_EXPORT) as pdf:
        fonts = pdf.pages[0].Resources.Font
        fonts.F7.FontDescriptor.Flags = 4
        pdf.save(source)
    result = ocr_document(source, tmp_path / "out.pdf", workers=1)
    assert result.pdfa_problems == ["6.2.11.4.1: page 1 uses font /Times New Roman,BoldItalic without embedding it"]


def test_a_malformed_font_is_left_as_it_is_and_the_others_get_their_twins(tmp_path: Path) -> None:
    """Flags that are no number (a string): that font alone stays without a twin, named by the PDF/A check; the
    copy's other checks and the other fonts' twins are not lost to it."""
    source = tmp_path / "hỏng.pdf"
    with pikepdf.open(WORD_EXPORT) as pdf:
        pdf.pages[0].Resources.Font.F7.FontDescriptor.Flags = pikepdf.String("ba mươi hai")
        pdf.save(source)
    result = ocr_document(source, tmp_path / "out.pdf", workers=1)
    assert result.pdfa_problems == ["6.2.11.4.1: page 1 uses font /Times New Roman,BoldItalic without embedding it"]
    (notice,) = result.notices
    assert notice.startswith("tệp gốc không nhúng phông chữ Times New Roman, Times New Roman Bold:")


def _twin_letters(font: pikepdf.Object) -> set[str]:
    """The letters the embedded program of ``font`` has (its cmap)."""
    from fontTools.ttLib import TTFont

    program = TTFont(io.BytesIO(font.FontDescriptor.FontFile2.read_bytes()))
    return {chr(point) for point in program.getBestCmap()}


def test_letters_shown_by_type3_glyphs_and_by_a_graphics_states_font_are_in_the_twin() -> None:
    """QA126 F1/F2: text drawn inside a Type 3 font's glyph, or in the font a graphics state sets (`gs`), was not
    seen: the twin was cut down without those letters, which came out as empty boxes in a copy claiming PDF/A."""
    with pikepdf.new() as pdf:
        helvetica = pdf.make_indirect(_standard("/Helvetica"))
        times = pdf.make_indirect(_standard("/Times-Roman"))
        glyph = pdf.make_stream(b"1000 0 0 0 750 750 d1 BT /H 12 Tf 0 0 Td (QW) Tj ET")
        type3 = pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, FontBBox=[0, 0, 750, 750],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0], CharProcs=pikepdf.Dictionary(q=glyph),
            Encoding=pikepdf.Dictionary(Differences=[113, pikepdf.Name.q]), FirstChar=113, LastChar=113,
            Widths=[1000], Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(H=helvetica)),
        )  # fmt: skip
        state = pikepdf.Dictionary(Type=pikepdf.Name.ExtGState, Font=pikepdf.Array([times, 24]))
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = pikepdf.Dictionary(
            Font=pikepdf.Dictionary(H=helvetica, T=times, Q=pdf.make_indirect(type3)),
            ExtGState=pikepdf.Dictionary(G1=state),
        )
        page.obj.Contents = pdf.make_stream(
            b"BT /H 24 Tf 72 700 Td (abc) Tj ET BT /Q 24 Tf 72 650 Td (q) Tj ET "
            b"BT /H 24 Tf /G1 gs 72 600 Td (XYZ) Tj ET"
        )
        embed_font_twins(pdf)
        fonts = pdf.pages[0].Resources.Font
        assert {"a", "b", "c", "Q", "W"} <= _twin_letters(fonts.H)
        assert {"X", "Y", "Z"} <= _twin_letters(fonts.T)


def test_a_standard_font_without_widths_gets_a_twin_only_where_adobes_widths_are_its(tmp_path: Path) -> None:
    """QA126 F3: a standard font without widths is drawn with Adobe's; the twin's were written instead, and for
    five Latin-1 signs (± · µ ÷ ¯) they differ: the rest of a line moved by up to 3.3 mm. Such a font keeps no
    twin (its letters would move); one showing only letters both agree on gets Adobe's widths."""
    source = tmp_path / "dot.pdf"
    _made(source, b"BT /H 24 Tf 72 700 Td (a\xb7b) Tj ET BT /T 24 Tf 72 650 Td (Xin chao) Tj ET",
          {"/H": _standard("/Helvetica"), "/T": _standard("/Times-Roman")})  # fmt: skip
    with pikepdf.open(source) as pdf:
        (twin,) = embed_font_twins(pdf)
        assert twin == FontTwin(original="Times-Roman", twin="Liberation Serif")
        fonts = pdf.pages[0].Resources.Font
        assert not font_embedded(fonts.H)
        times = fonts.T
        assert [int(w) for w in times.Widths][: ord("i") - int(times.FirstChar) + 1][-1] == 278  # Adobe's "i"
        assert int(times.Widths[ord("X") - int(times.FirstChar)]) == 722


def test_a_standard_font_named_but_never_shown_gets_a_twin_of_its_space_and_the_copy_is_pdfa(tmp_path: Path) -> None:
    """QA159 F3: reportlab opens every page with `BT /F1 12 Tf 14.4 TL ET`, Helvetica named and never shown: it got
    no twin (it shows no letter) and the PDF/A check named it, so every reportlab PDF's copy was "not PDF/A", exit 1.
    Now it gets a twin of one glyph, its space."""
    source = tmp_path / "báo cáo.pdf"
    _made(source, b"BT /F1 12 Tf 14.4 TL ET BT /F2 14 Tf 72 760 Td (Bao cao tong ket cong tac nam 2025) Tj "
          b"0 -24 Td (Uy ban nhan dan xa Tan Hoa) Tj ET",
          {"/F1": _standard("/Helvetica"), "/F2": _standard("/Times-Roman")})  # fmt: skip
    out = tmp_path / "out.pdf"
    result = ocr_document(source, out, workers=1)
    assert (result.pdfa, result.pdfa_problems) == ("2B", [])
    assert _pdftotext(out) == _pdftotext(source)
    with pikepdf.open(out) as pdf:
        helvetica = pdf.pages[0].Resources.Font.F1
        assert font_embedded(helvetica) and str(helvetica.BaseFont).endswith("+LiberationSans")
        program = fontTools.ttLib.TTFont(io.BytesIO(helvetica.FontDescriptor.FontFile2.read_bytes()))
        assert set(program.getGlyphOrder()) <= {".notdef", "space"}  # a font of one glyph (and .notdef)


def test_differences_of_names_outside_the_adobe_glyph_list_keep_the_font_as_it_is(tmp_path: Path) -> None:
    """QA126 F4: `uni1EA1` in /Differences got a twin, and the copy then broke 6.2.11.6 (a non-symbolic TrueType
    font's differences: Adobe Glyph List names only); `fi` (the list's ligature) is accepted."""
    for name, twinned in (("/uni1EA1", False), ("/fi", True)):
        source = tmp_path / f"{name[1:]}.pdf"
        encoding = pikepdf.Dictionary(BaseEncoding=pikepdf.Name.WinAnsiEncoding, Differences=[1, pikepdf.Name(name)])
        _made(source, b"BT /T 24 Tf 72 700 Td (a\x01b) Tj ET", {"/T": _standard("/Times-Roman", encoding)})
        with pikepdf.open(source) as pdf:
            assert bool(embed_font_twins(pdf)) == twinned, name


def test_fonts_of_one_twin_share_one_copy_of_it() -> None:
    """QA126 F5: each font dictionary got its own copy of the twin: 40 pages each with its own Helvetica made a
    20 KB file 205 KB. Now one copy, cut down to all their letters."""
    with pikepdf.new() as pdf:
        for number in range(5):
            page = pdf.add_blank_page(page_size=(595, 842))
            page.obj.Resources = pikepdf.Dictionary(
                Font=pikepdf.Dictionary(H=pdf.make_indirect(_standard("/Helvetica")))
            )
            page.obj.Contents = pdf.make_stream(b"BT /H 24 Tf 72 700 Td (%d) Tj ET" % number)
        assert len(embed_font_twins(pdf)) == 5
        programs = {page.Resources.Font.H.FontDescriptor.FontFile2.objgen for page in pdf.pages}
        assert len(programs) == 1
        assert set("01234") <= _twin_letters(pdf.pages[0].Resources.Font.H)


def test_cutting_a_twin_down_says_nothing_in_the_log_even_with_v(monkeypatch: pytest.MonkeyPatch) -> None:
    """fontTools says each table it cuts at INFO: `sohoa process -v` on a Word export showed 14 lines a font
    ("maxp pruned", "glyf pruned", …) among the document's own."""
    from flows import cli

    stderr = io.StringIO()
    monkeypatch.setattr(cli.sys, "stderr", stderr)
    cli._configure_logging(True)
    try:
        with pikepdf.open(WORD_EXPORT) as pdf:
            assert embed_font_twins(pdf)
    finally:
        monkeypatch.undo()
        cli._configure_logging(False)
    assert "pruned" not in stderr.getvalue() and "dropped" not in stderr.getvalue(), stderr.getvalue()


def test_zapf_dingbats_check_marks_get_urws_twin_whole_and_the_copy_is_pdfa(tmp_path: Path) -> None:
    """ZapfDingbats — a form's check marks, never embedded (105 font dicts of the corpora's signed forms;
    OCRmyPDF's acroform.pdf) — kept its copies from PDF/A (QA127 F2). URW's D050000L, of its glyphs, names and
    widths, is embedded whole in its place: drawn the same, PDF/A-2b; a ZapfDingbats given other widths is not
    ZapfDingbats and stays."""
    source = tmp_path / "phiếu.pdf"
    check_marks = b"BT /F1 24 Tf 72 760 Td (4 3 l n u) Tj ET BT /F2 12 Tf 72 700 Td (Da nhan) Tj ET"
    _made(source, check_marks, {"/F1": _standard("/ZapfDingbats", None), "/F2": _standard("/Helvetica")})
    out = tmp_path / "out.pdf"
    result = ocr_document(source, out, workers=1)
    assert (result.pdfa, result.pdfa_problems) == ("2B", []), result.pdfa_problems
    assert "ZapfDingbats, Helvetica" in result.notices[0] and "URW D050000L" in result.notices[0]
    written = pikepdf.pdfa.validate_written(out, "2b")
    assert [f for f in written.findings if f.kind == "violation"] == [], written.findings
    with pikepdf.open(out) as pdf:
        dingbats = pdf.pages[0].Resources.Font.F1
        assert dingbats.Subtype == pikepdf.Name.Type1 and str(dingbats.BaseFont).endswith("+D050000L")
        assert dingbats.FontDescriptor.FontFile3.Subtype == pikepdf.Name("/Type1C")
        assert int(dingbats.FontDescriptor.Flags) == 4  # symbolic: its codes are its own glyphs
        assert int(dingbats.Widths[ord("4") - int(dingbats.FirstChar)]) == 846  # Adobe's a20 (✔)
        # cut down to the glyphs shown and a check box's six styles, each code named (its own encoding is gone)
        named = dict(zip(dingbats.Encoding.Differences[::2], dingbats.Encoding.Differences[1::2], strict=True))
        assert {chr(int(code)) for code in named} == set(" 43lnu8H"), named  # (the content shows spaces too)
        assert named[ord("4")] == pikepdf.Name("/a20")
        assert len(dingbats.FontDescriptor.FontFile3.read_raw_bytes()) < 3_000
    difference = np.abs(_drawn(out, tmp_path) - _drawn(source, tmp_path))
    assert np.mean(difference > 64) < 0.002, np.mean(difference > 64)
    wider = tmp_path / "khác.pdf"
    other = _standard("/ZapfDingbats", None)
    other.FirstChar, other.LastChar, other.Widths = 52, 52, pikepdf.Array([500])
    _made(wider, b"BT /F1 24 Tf 72 760 Td (4) Tj ET", {"/F1": other})
    kept = ocr_document(wider, tmp_path / "khác-out.pdf", workers=1)
    assert kept.pdfa_problems == ["6.2.11.4.1: page 1 uses font /ZapfDingbats without embedding it"]
