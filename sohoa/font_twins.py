"""Fonts a PDF draws with but does not embed, embedded as their free twins of the same letter widths.

PDF/A-2 wants every font a page draws with in the file (6.2.11.4.1). Word's "Save as PDF" leaves out the Latin-1
part of Times New Roman or Arial — a simple TrueType font in WinAnsiEncoding; the Vietnamese letters outside
Latin-1 come in an embedded CID font beside it — and printer drivers and report tools leave out the standard
fonts (Helvetica, Times, Courier). Every court precedent of the corpus is such a file, and the searchable copy of
one could not be PDF/A: `sohoa ocr` exited 1 and `sohoa process` sent it to review, asking for a new export.

Liberation Serif, Sans and Mono were drawn to the advance widths of Times New Roman, Arial and Courier New, glyph
for glyph (Times, Helvetica and Courier share those widths). Embedded in their place, every letter keeps its
place and every line its breaks; the letters' shapes differ slightly, as they do where a viewer puts a font of its
own in place of the missing one, which is what a viewer of the original does. A font is replaced only where the
widths the file gives for the codes it shows agree with the twin's (to a unit in 1000: the file's are rounded) and
every one of those codes names a letter the twin has; the twin is cut down to those letters. Any other font (a
symbolic one, Tahoma, a Vietnamese font of before Unicode such as VNI-Times) stays as it is, and the PDF/A check
says so.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pikepdf

from sohoa.pdfa import font_embedded, inherited_attribute, resource_entries

if TYPE_CHECKING:
    from fontTools.ttLib import TTFont

TWIN_FONT_DIR = Path("/usr/share/fonts/truetype/liberation2")  # Debian's fonts-liberation2 (the Makefile installs it)
# the file's widths are the original font's rounded to whole units of 1/1000 em; the twin's, unrounded, lie within
WIDTH_TOLERANCE = 1.0

# a font's name (letters only, lower case) begins with one of these: the twin family
_FAMILIES = (
    ("timesnewroman", "Serif"),
    ("times", "Serif"),
    ("arial", "Sans"),
    ("helvetica", "Sans"),
    ("couriernew", "Mono"),
    ("courier", "Mono"),
)
# ... and the rest of it (an Adobe "PS"/"MT" taken off) names its style; anything else (Arial Narrow, Helvetica
# Neue, Arial Black: other widths) has no twin
_STYLES = {
    "": "Regular",
    "roman": "Regular",
    "regular": "Regular",
    "normal": "Regular",
    "bold": "Bold",
    "italic": "Italic",
    "oblique": "Italic",
    "bolditalic": "BoldItalic",
    "boldoblique": "BoldItalic",
}
_SUBSET_TAG = re.compile(r"^[A-Z]{6}\+")
_SYMBOLIC, _NONSYMBOLIC, _FIXED_PITCH, _SERIF, _ITALIC = 4, 32, 1, 2, 64
_SIMPLE_ENCODINGS = ("/StandardEncoding", "/MacRomanEncoding", "/WinAnsiEncoding")
_OPERATORS = "q Q Tf Tj TJ ' \" Do"  # (the ones that set or show a font: the rest are not made objects of)


@dataclass(frozen=True)
class FontTwin:
    """A font the input named without embedding it, and the twin embedded in its place."""

    original: str  # its /BaseFont, e.g. "Times New Roman,Bold"
    twin: str  # the twin's family and style, e.g. "Liberation Serif Bold"


def twin_font_file(base_font: str) -> Path | None:
    """The Liberation font of ``base_font``'s widths (``/Times New Roman,Bold``, ``TimesNewRomanPS-BoldMT``,
    ``Helvetica-Oblique``, ``ArialMT``…), or None for a font without a twin."""
    key = re.sub(r"[^a-z]", "", _SUBSET_TAG.sub("", base_font.lstrip("/")).lower())
    for prefix, family in _FAMILIES:
        if key.startswith(prefix):
            style = _STYLES.get(key[len(prefix) :].removeprefix("ps").removesuffix("mt"))
            return None if style is None else TWIN_FONT_DIR / f"Liberation{family}-{style}.ttf"
    return None


def embed_font_twins(pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]] = frozenset()) -> list[FontTwin]:
    """Embed in ``pdf`` the twin of each simple font its pages (their forms, patterns and annotations' appearances)
    draw with but do not embed, where it has one whose widths agree; what was embedded, in the order met. ``skip``:
    forms known to draw with embedded fonts alone (the OCR stage's text layers), not parsed."""
    if not any(_wants_twin(obj) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)):
        return []  # (a scan's copy: nothing to parse)
    shown: dict[tuple[int, int], set[int]] = {}
    fonts: dict[tuple[int, int], pikepdf.Dictionary] = {}
    walked: set[tuple[object, ...]] = set()
    for page in pdf.pages:
        resources = inherited_attribute(page.obj, "/Resources")
        _walk(pdf, page.obj, resources, None, shown, fonts, walked, skip)
        for annot in page.obj.get("/Annots", []):
            appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            normal = appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
            states = [normal] if isinstance(normal, pikepdf.Stream) else []
            if isinstance(normal, pikepdf.Dictionary):
                states = [state for _, state in normal.items() if isinstance(state, pikepdf.Stream)]
            for state in states:
                _walk(pdf, state, state.get("/Resources"), None, shown, fonts, walked, skip)
    twins: list[FontTwin] = []
    for key, font in fonts.items():
        try:
            twin = _embed_twin(pdf, font, shown.get(key, set()))
        except (TypeError, ValueError, AttributeError, pikepdf.PdfError):
            # a malformed font (flags or widths that are no numbers, a descriptor that is no dictionary): left as
            # it is, for the PDF/A check to name (not the whole copy's checks lost to it)
            continue
        if twin is not None:
            twins.append(twin)
    return twins


def twins_notice(twins: list[FontTwin]) -> str:
    """What a reader of the copy is told of ``twins``, Vietnamese / English."""
    originals = ", ".join(dict.fromkeys(t.original for t in twins))
    embedded = ", ".join(dict.fromkeys(" ".join(t.twin.split()[:2]) for t in twins))  # the families
    return (
        f"tệp gốc không nhúng phông chữ {originals}: bản này nhúng thay vào đó phông {embedded}, cùng độ rộng từng "
        f"chữ (chữ và chỗ xuống dòng giữ nguyên, nét chữ hơi khác) / the input does not embed the fonts {originals}: "
        f"this copy embeds {embedded} in their place, of the same letter widths (the same text and line breaks; the "
        "letters' shapes differ slightly)"
    )


def _wants_twin(obj: pikepdf.Dictionary) -> bool:
    return (
        obj.get("/Type") == pikepdf.Name.Font
        and obj.get("/Subtype") in (pikepdf.Name.TrueType, pikepdf.Name.Type1)
        and not font_embedded(obj)
        and twin_font_file(str(obj.get("/BaseFont", ""))) is not None
    )


def _walk(
    pdf: pikepdf.Pdf,
    drawing: pikepdf.Object,
    resources: pikepdf.Object | None,
    font: pikepdf.Object | None,
    shown: dict[tuple[int, int], set[int]],
    fonts: dict[tuple[int, int], pikepdf.Dictionary],
    walked: set[tuple[object, ...]],
    skip: frozenset[tuple[int, int]],
) -> None:
    """Note in ``shown`` the codes each font shows in ``drawing`` (a page or a form, drawn with ``resources``; its
    forms followed, each starting with the font of where it is drawn: ``font``), and in ``fonts`` the fonts in
    its resources that want a twin."""
    if drawing.objgen in skip:
        return
    if not isinstance(resources, pikepdf.Dictionary):
        resources = pikepdf.Dictionary()
    visit = (drawing.objgen, resources.objgen, _key(font))
    if drawing.objgen != (0, 0):
        if visit in walked:
            return
        walked.add(visit)
    named = resources.get("/Font")
    for name, entry in resource_entries(resources, "/Font"):
        if isinstance(entry, pikepdf.Dictionary) and _wants_twin(entry):
            if not entry.is_indirect and isinstance(named, pikepdf.Dictionary):
                entry = named[name] = pdf.make_indirect(entry)  # (noted by its object number)
            fonts.setdefault(entry.objgen, entry)
    try:
        instructions = pikepdf.parse_content_stream(drawing, _OPERATORS)
    except pikepdf.PdfError:
        return  # unreadable content: its fonts get all their codes' letters (_embed_twin), or none
    saved: list[pikepdf.Object | None] = []
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            continue
        operator, operands = str(instruction.operator), instruction.operands
        if operator == "q":
            saved.append(font)
        elif operator == "Q":
            font = saved.pop() if saved else font
        elif operator == "Tf" and operands:
            font = named.get(str(operands[0])) if isinstance(named, pikepdf.Dictionary) else None
        elif operator in ("Tj", "'", '"') and operands:
            _note(font, [operands[-1]], shown)
        elif operator == "TJ" and operands and isinstance(operands[0], pikepdf.Array):
            _note(font, list(operands[0]), shown)
        elif operator == "Do" and operands:
            xobjects = resources.get("/XObject")
            form = xobjects.get(str(operands[0])) if isinstance(xobjects, pikepdf.Dictionary) else None
            if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == pikepdf.Name.Form:
                _walk(pdf, form, form.get("/Resources", resources), font, shown, fonts, walked, skip)
    for _, pattern in resource_entries(resources, "/Pattern"):
        if isinstance(pattern, pikepdf.Stream):  # a tiling pattern draws with its own content
            _walk(pdf, pattern, pattern.get("/Resources"), None, shown, fonts, walked, skip)


def _key(font: pikepdf.Object | None) -> tuple[int, int] | None:
    return font.objgen if isinstance(font, pikepdf.Dictionary) else None


def _note(font: pikepdf.Object | None, items: list[pikepdf.Object], shown: dict[tuple[int, int], set[int]]) -> None:
    if not isinstance(font, pikepdf.Dictionary) or font.objgen == (0, 0):
        return
    codes = shown.setdefault(font.objgen, set())
    for item in items:
        if isinstance(item, pikepdf.String):
            codes.update(bytes(item))


@functools.cache
def _encodings() -> dict[str, dict[int, str]]:
    """Code → glyph name in the standard, Mac Roman and WinAnsi encodings (PDF 1.7, annex D)."""
    from pdfminer.latin_enc import ENCODING

    tables: dict[str, dict[int, str]] = {name: {} for name in _SIMPLE_ENCODINGS}
    for name, standard, mac, win, _pdf in ENCODING:
        for table, code in zip(_SIMPLE_ENCODINGS, (standard, mac, win), strict=True):
            if code is not None:
                tables[table][code] = name
    return tables


def _glyph_names(font: pikepdf.Dictionary) -> dict[int, str] | None:
    """Code → glyph name of a simple, non-symbolic ``font``, or None where its encoding is not one of the standard
    ones (with differences): a TrueType font without one means codes of its own cmap."""
    encoding = font.get("/Encoding")
    base: object = encoding
    differences: list[pikepdf.Object] = []
    if isinstance(encoding, pikepdf.Dictionary):
        base = encoding.get("/BaseEncoding", pikepdf.Name.StandardEncoding)
        differences = list(encoding.get("/Differences", []))
    elif encoding is None:
        if font.get("/Subtype") != pikepdf.Name.Type1:
            return None
        base = pikepdf.Name.StandardEncoding  # a standard Type 1 font's own
    if not isinstance(base, pikepdf.Name) or str(base) not in _SIMPLE_ENCODINGS:
        return None
    names = dict(_encodings()[str(base)])
    code = 0
    for item in differences:
        if isinstance(item, int | pikepdf.Object) and not isinstance(item, pikepdf.Name):
            try:
                code = int(item)
            except (TypeError, ValueError):
                return None
        else:
            names[code] = str(item).lstrip("/")
            code += 1
    return names


@functools.cache
def _twin_bytes(path: Path) -> bytes:
    return path.read_bytes()


def _embed_twin(pdf: pikepdf.Pdf, font: pikepdf.Dictionary, codes: set[int]) -> FontTwin | None:
    """Embed ``font``'s twin, cut down to the letters of ``codes`` (none seen: of every code it gives a width); the
    twin, or None (``font`` unchanged) where it has none, or the widths or letters disagree."""
    from fontTools.agl import toUnicode
    from fontTools.ttLib import TTFont

    original = _SUBSET_TAG.sub("", str(font.get("/BaseFont", "")).lstrip("/"))
    path = twin_font_file(original)
    descriptor = font.get("/FontDescriptor")
    flags = int(descriptor.get("/Flags", _NONSYMBOLIC)) if isinstance(descriptor, pikepdf.Dictionary) else _NONSYMBOLIC
    names = _glyph_names(font)
    if path is None or not path.is_file() or names is None or (flags & _SYMBOLIC and not flags & _NONSYMBOLIC):
        return None  # a symbolic font's codes are glyphs of its own
    widths = font.get("/Widths")
    first = int(font.get("/FirstChar", 0)) if isinstance(widths, pikepdf.Array) else 0
    if not codes:
        if not isinstance(widths, pikepdf.Array):
            return None  # a standard font named and never shown
        codes = set(range(first, first + len(widths)))
        codes = {code for code in codes if code in names and float(widths[code - first]) > 0}
    twin = TTFont(io.BytesIO(_twin_bytes(path)))
    cmap = twin.getBestCmap()
    scale = 1000 / twin["head"].unitsPerEm
    letters: dict[int, int] = {}  # code → the twin's code point
    for code in sorted(codes):
        text = toUnicode(names.get(code, ""))
        if len(text) != 1 or ord(text) not in cmap:
            return None  # a code the twin cannot show as the original did
        letters[code] = ord(text)
    if not letters:
        return None
    advance = {code: twin["hmtx"][cmap[point]][0] * scale for code, point in letters.items()}
    if isinstance(widths, pikepdf.Array):
        for code, width in advance.items():
            if not 0 <= code - first < len(widths) or abs(float(widths[code - first]) - width) > WIDTH_TOLERANCE:
                return None  # another font than its name says, or widths of its own
    else:  # a standard font: its widths are the twin's
        first, last = min(letters), max(letters)
        font.FirstChar, font.LastChar = first, last
        font.Widths = pikepdf.Array([round(advance.get(code, 0)) for code in range(first, last + 1)])
    data = _subset(twin, set(letters.values()))
    tag = "".join(chr(ord("A") + byte % 26) for byte in hashlib.sha256(data).digest()[:6])
    name = pikepdf.Name(f"/{tag}+{twin['name'].getDebugName(6)}")
    program = pikepdf.Stream(pdf, data)
    program.Length1 = len(data)
    new = (
        pikepdf.Dictionary(dict(descriptor.items()))
        if isinstance(descriptor, pikepdf.Dictionary)
        else _descriptor(twin)
    )
    for key in ("/FontFile", "/FontFile3", "/CharSet"):
        if key in new:
            del new[key]
    new.Type = pikepdf.Name.FontDescriptor
    new.FontName = name
    new.Flags = (int(new.get("/Flags", _NONSYMBOLIC)) & ~_SYMBOLIC) | _NONSYMBOLIC
    head = twin["head"]
    new.FontBBox = pikepdf.Array([round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)])
    new.FontFile2 = pdf.make_indirect(program)
    winansi = _encodings()["/WinAnsiEncoding"]
    if not (isinstance(font.get("/Encoding"), pikepdf.Name) and str(font.Encoding) != "/StandardEncoding"):
        # PDF/A: a non-symbolic TrueType font's encoding is WinAnsi or Mac Roman, with AGL names as its differences
        changed = [
            item
            for code in letters
            if names[code] != winansi.get(code)
            for item in (code, pikepdf.Name(f"/{names[code]}"))
        ]
        font.Encoding = (
            pikepdf.Dictionary(
                Type=pikepdf.Name.Encoding, BaseEncoding=pikepdf.Name.WinAnsiEncoding, Differences=changed
            )
            if changed
            else pikepdf.Name.WinAnsiEncoding
        )
    font.Subtype = pikepdf.Name.TrueType
    font.BaseFont = name
    font.FontDescriptor = pdf.make_indirect(new)
    family, style = path.stem.removeprefix("Liberation").split("-")
    shown_style = "" if style == "Regular" else " " + re.sub(r"(?<=[a-z])(?=[A-Z])", " ", style)
    return FontTwin(original=original, twin=f"Liberation {family}{shown_style}")


def _descriptor(twin: TTFont) -> pikepdf.Dictionary:
    """A font descriptor for a standard font that had none, from its twin's own figures."""
    scale = 1000 / twin["head"].unitsPerEm
    os2, post = twin["OS/2"], twin["post"]
    family = twin["name"].getDebugName(1) or ""
    flags = _NONSYMBOLIC | (_ITALIC if post.italicAngle else 0)
    flags |= _FIXED_PITCH if "Mono" in family else _SERIF if "Serif" in family else 0
    return pikepdf.Dictionary(
        Type=pikepdf.Name.FontDescriptor,
        Flags=flags,
        ItalicAngle=float(post.italicAngle),
        Ascent=round(twin["hhea"].ascent * scale),
        Descent=round(twin["hhea"].descent * scale),
        CapHeight=round(os2.sCapHeight * scale),
        StemV=80,  # (required; no viewer draws an embedded font by it)
    )


def _subset(twin: TTFont, points: set[int]) -> bytes:
    """``twin`` cut down to the letters of ``points`` (its own table of them, cmap 3,1, kept), as a TrueType file."""
    from fontTools import subset

    options = subset.Options()
    options.notdef_outline = True  # PDF/A: a .notdef glyph shown draws as the font says
    options.hinting = False  # (22 KB less on a court precedent; pdftoppm draws the page the same)
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6]  # its copyright and licence names stay with it
    options.drop_tables += ["FFTM"]  # (FontForge's timestamps, which fontTools warned it cannot cut down)
    for table in ("GSUB", "GPOS", "GDEF", "kern"):
        # no substitutions, positioning or kerning: a PDF places every glyph itself (taken out before the cut,
        # not read: ~0.1 s a font)
        if table in twin:
            del twin[table]
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=points)
    subsetter.subset(twin)
    out = io.BytesIO()
    twin.save(out)
    return out.getvalue()
