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
widths it is drawn with for the codes it shows — the file's, or for a standard font that gives none Adobe's —
agree with the twin's (to a unit in 1000: the file's are rounded), and every one of those codes names, in the
Adobe Glyph List, a letter the twin has. The codes shown are found by following everything a page draws: its
forms, patterns, soft masks, Type 3 glyphs and annotations' appearances, and the fonts set by `Tf` and by a
graphics state's /Font (where some content cannot be read, a twin gets every letter its font has a width for).
The fonts of one twin share one copy of it, cut down to all their letters. ZapfDingbats, a form's check marks, gets
URW's D050000L, of its glyphs and widths (``DINGBATS_FILE``). Any other font (another symbolic one, Tahoma, a
Vietnamese font of before Unicode such as VNI-Times) stays as it is, and the PDF/A check says so.
"""

from __future__ import annotations

import functools
import hashlib
import io
import re
from collections.abc import Iterable
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
# ZapfDingbats — a form's check marks, crosses and bullets; a standard font, so never embedded: 105 font dicts of the
# corpora's signed forms, and OCRmyPDF's acroform.pdf, whose copies could not be PDF/A — has a twin too: URW's
# D050000L (Debian's fonts-urw-base35, which the Makefile installs), of its glyphs, their names and widths, and its
# built-in encoding. Embedded as a symbolic Type 1 font (its CFF program) cut down to the glyphs shown and those of
# the six check box styles, which a viewer drawing a field's appearance anew shows (~1 KB; whole, 23.3 KB compressed,
# it made OCRmyPDF's acroform.pdf three times OCRmyPDF's copy), each code named in the font's differences.
DINGBATS_FILE = Path("/usr/share/fonts/opentype/urw-base35/D050000L.otf")
_DINGBATS_NAMES = ("zapfdingbats", "zapfdingbatsitc")
# a check box's styles (PDF 1.7, 12.7.4.2.3, /MK /CA): check 4, circle l, cross 8, diamond u, square n, star H
_CHECK_STYLES = "4l8unH"

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
# the operators that set or show a font, or draw what may: the others are not made objects of
_OPERATORS = "q Q Tf gs Tj TJ ' \" Do"
# a standard font with no widths in the file is drawn with Adobe's (its AFM's): its twin's must be those
_STANDARD_FONTS = {
    "Serif-Regular": "Times-Roman",
    "Serif-Bold": "Times-Bold",
    "Serif-Italic": "Times-Italic",
    "Serif-BoldItalic": "Times-BoldItalic",
    "Sans-Regular": "Helvetica",
    "Sans-Bold": "Helvetica-Bold",
    "Sans-Italic": "Helvetica-Oblique",
    "Sans-BoldItalic": "Helvetica-BoldOblique",
    "Mono-Regular": "Courier",
    "Mono-Bold": "Courier-Bold",
    "Mono-Italic": "Courier-Oblique",
    "Mono-BoldItalic": "Courier-BoldOblique",
}


@dataclass(frozen=True)
class FontTwin:
    """A font the input named without embedding it, and the twin embedded in its place."""

    original: str  # its /BaseFont, e.g. "Times New Roman,Bold"
    twin: str  # the twin's family and style, e.g. "Liberation Serif Bold"


def _named(base_font: str) -> str:
    """A /BaseFont without its slash and subset tag: ``Times New Roman,Bold`` for ``/ABCDEF+Times New Roman,Bold``."""
    return _SUBSET_TAG.sub("", base_font.lstrip("/"))


def _name_key(base_font: str) -> str:
    """A /BaseFont's letters alone, in lower case: ``timesnewromanbold``."""
    return re.sub(r"[^a-z]", "", _named(base_font).lower())


def twin_font_file(base_font: str) -> Path | None:
    """The Liberation font of ``base_font``'s widths (``/Times New Roman,Bold``, ``TimesNewRomanPS-BoldMT``,
    ``Helvetica-Oblique``, ``ArialMT``…), or None for a font without a twin."""
    key = _name_key(base_font)
    for prefix, family in _FAMILIES:
        if key.startswith(prefix):
            style = _STYLES.get(key[len(prefix) :].removeprefix("ps").removesuffix("mt"))
            return None if style is None else TWIN_FONT_DIR / f"Liberation{family}-{style}.ttf"
    return None


def embed_font_twins(pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]] = frozenset()) -> list[FontTwin]:
    """Embed in ``pdf`` the twin of each simple font its pages (their forms, patterns, soft masks, Type 3 glyphs
    and annotations' appearances) draw with but do not embed, where it has one whose widths agree; what was
    embedded, in the order met. Fonts of one twin share one copy of it, cut down to all their letters. ``skip``:
    forms known to draw with embedded fonts alone (the OCR stage's text layers), not parsed."""
    if not any(_wants_twin(obj) for obj in pdf.objects if isinstance(obj, pikepdf.Dictionary)):
        return []  # (a scan's copy: nothing to parse)
    uses = _FontUses(pdf, skip)
    for page in pdf.pages:
        uses.walk(page.obj, inherited_attribute(page.obj, "/Resources"), None)
        for annot in page.obj.get("/Annots", []):
            appearance = annot.get("/AP") if isinstance(annot, pikepdf.Dictionary) else None
            normal = appearance.get("/N") if isinstance(appearance, pikepdf.Dictionary) else None
            states = [normal] if isinstance(normal, pikepdf.Stream) else []
            if isinstance(normal, pikepdf.Dictionary):
                states = [state for _, state in normal.items() if isinstance(state, pikepdf.Stream)]
            for state in states:
                uses.walk(state, state.get("/Resources"), None)
    plans: list[_Plan] = []
    for key, font in uses.fonts.items():
        try:
            planner = _dingbats_plan if _dingbats(font) else _plan
            plan = planner(font, uses.shown.get(key, set()), every_code=uses.unsure)
        except (TypeError, ValueError, AttributeError, KeyError, pikepdf.PdfError):
            # a malformed font (flags or widths that are no numbers, a descriptor that is no dictionary): left as
            # it is, for the PDF/A check to name (not the whole copy's checks lost to it)
            continue
        if plan is not None:
            plans.append(plan)
    for path in dict.fromkeys(plan.path for plan in plans):
        embed = _embed_dingbats if path == DINGBATS_FILE else _embed
        embed(pdf, path, [plan for plan in plans if plan.path == path])
    return [FontTwin(original=plan.original, twin=_family_and_style(plan.path)) for plan in plans]


def twins_notice(twins: list[FontTwin]) -> str:
    """What a reader of the copy is told of ``twins``, Vietnamese / English."""
    # "Times New Roman,Bold" read as two fonts in a list of them
    originals = ", ".join(dict.fromkeys(t.original.replace(",", " ") for t in twins))
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
        and (twin_font_file(str(obj.get("/BaseFont", ""))) is not None or _dingbats(obj))
    )


def _dingbats(font: pikepdf.Dictionary) -> bool:
    """Whether ``font`` is ZapfDingbats, as a Type 1 font."""
    return font.get("/Subtype") == pikepdf.Name.Type1 and _name_key(str(font.get("/BaseFont", ""))) in _DINGBATS_NAMES


def _key(font: pikepdf.Object | None) -> tuple[int, int] | None:
    return font.objgen if isinstance(font, pikepdf.Dictionary) else None


class _FontUses:
    """The codes each font of a PDF shows, found by following what its pages draw."""

    def __init__(self, pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]]) -> None:
        self.pdf = pdf
        self.skip = skip
        self.shown: dict[tuple[int, int], set[int]] = {}  # font → the codes it shows
        self.fonts: dict[tuple[int, int], pikepdf.Dictionary] = {}  # the fonts that want a twin
        self.walked: set[tuple[object, ...]] = set()
        # some content could not be read: what it shows is not known, so a twin gets every letter of its font
        self.unsure = False

    def walk(self, drawing: pikepdf.Object, resources: pikepdf.Object | None, font: pikepdf.Object | None) -> None:
        """Note the codes each font shows in ``drawing`` (a page, a form, a pattern, a glyph, drawn with
        ``resources``; its forms followed, each starting with the font of where it is drawn: ``font``) and the
        fonts in its resources that want a twin."""
        if drawing.objgen in self.skip:
            return
        if not isinstance(resources, pikepdf.Dictionary):
            resources = pikepdf.Dictionary()
        visit = (drawing.objgen, resources.objgen, _key(font))
        if drawing.objgen != (0, 0):
            if visit in self.walked:
                return
            self.walked.add(visit)
        named = resources.get("/Font")
        for name, entry in resource_entries(resources, "/Font"):
            if isinstance(entry, pikepdf.Dictionary) and _wants_twin(entry):
                if not entry.is_indirect and isinstance(named, pikepdf.Dictionary):
                    entry = named[name] = self.pdf.make_indirect(entry)  # (noted by its object number)
                self.fonts.setdefault(entry.objgen, entry)
            elif isinstance(entry, pikepdf.Dictionary) and entry.get("/Subtype") == pikepdf.Name.Type3:
                # a Type 3 font's glyphs are drawings of their own, which may show text in other fonts
                glyphs = entry.get("/CharProcs")
                for glyph in glyphs.values() if isinstance(glyphs, pikepdf.Dictionary) else []:
                    if isinstance(glyph, pikepdf.Stream):
                        self.walk(glyph, entry.get("/Resources", resources), None)
        try:
            instructions = pikepdf.parse_content_stream(drawing, _OPERATORS)
        except pikepdf.PdfError:
            self.unsure = True
            return
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
            elif operator == "gs" and operands:
                font = self._graphics_state(resources, str(operands[0]), font)
            elif operator in ("Tj", "'", '"') and operands:
                self._note(font, [operands[-1]])
            elif operator == "TJ" and operands and isinstance(operands[0], pikepdf.Array):
                self._note(font, list(operands[0]))
            elif operator == "Do" and operands:
                xobjects = resources.get("/XObject")
                form = xobjects.get(str(operands[0])) if isinstance(xobjects, pikepdf.Dictionary) else None
                if isinstance(form, pikepdf.Stream) and form.get("/Subtype") == pikepdf.Name.Form:
                    self.walk(form, form.get("/Resources", resources), font)
        for _, pattern in resource_entries(resources, "/Pattern"):
            if isinstance(pattern, pikepdf.Stream):  # a tiling pattern draws with its own content
                self.walk(pattern, pattern.get("/Resources"), None)

    def _graphics_state(
        self, resources: pikepdf.Dictionary, name: str, font: pikepdf.Object | None
    ) -> pikepdf.Object | None:
        """The font after ``gs`` sets the graphics state ``name``: its /Font's, or as it was; its soft mask's
        drawing followed."""
        states = resources.get("/ExtGState")
        state = states.get(name) if isinstance(states, pikepdf.Dictionary) else None
        if not isinstance(state, pikepdf.Dictionary):
            return font
        mask = state.get("/SMask")
        group = mask.get("/G") if isinstance(mask, pikepdf.Dictionary) else None
        if isinstance(group, pikepdf.Stream):
            self.walk(group, group.get("/Resources", resources), None)
        chosen = state.get("/Font")
        if isinstance(chosen, pikepdf.Array) and len(chosen) and isinstance(chosen[0], pikepdf.Dictionary):
            font = chosen[0]
            if _wants_twin(font) and font.is_indirect:
                self.fonts.setdefault(font.objgen, font)
        return font

    def _note(self, font: pikepdf.Object | None, items: list[pikepdf.Object]) -> None:
        if not isinstance(font, pikepdf.Dictionary):
            return
        if font.objgen == (0, 0):
            # (a direct font chosen by a graphics state: not one noted by its number)
            self.unsure = self.unsure or _wants_twin(font)
            return
        codes = self.shown.setdefault(font.objgen, set())
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
    return _with_differences(_encodings()[str(base)], differences)


def _with_differences(names: dict[int, str], differences: Iterable[pikepdf.Object]) -> dict[int, str] | None:
    """Code → glyph name: ``names`` with an encoding's /Differences over them (a code, then the names from it on);
    None for differences that are neither."""
    names = dict(names)
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


@dataclass
class _Twin:
    """What the checks read of a twin: its letters' glyphs and their widths in 1/1000 em."""

    cmap: dict[int, str]
    advance: dict[str, float]


@functools.cache
def _twin(path: Path) -> _Twin:
    from fontTools.ttLib import TTFont

    font = TTFont(io.BytesIO(_twin_bytes(path)), lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    metrics = font["hmtx"].metrics
    return _Twin(cmap=dict(font.getBestCmap()), advance={glyph: width * scale for glyph, (width, _) in metrics.items()})


@dataclass
class _Plan:
    """A font to get a twin, and how."""

    font: pikepdf.Dictionary
    original: str  # its /BaseFont, without a subset tag
    path: Path  # the twin
    letters: dict[int, int]  # code shown → the twin's code point
    names: dict[int, str]  # code → glyph name, by the font's encoding
    widths: list[float] | None  # widths to write from FirstChar, for a standard font that gave none


def _plan(font: pikepdf.Dictionary, codes: set[int], *, every_code: bool) -> _Plan | None:
    """How ``font`` gets its twin, for the ``codes`` it shows (``every_code``: or any it may show), or None where
    it cannot: a symbolic font, an encoding of its own, a code whose letter the twin lacks or whose width is not
    the twin's, a glyph name PDF/A does not accept."""
    from fontTools.agl import LEGACY_AGL2UV, toUnicode

    original = _named(str(font.get("/BaseFont", "")))
    path = twin_font_file(original)
    descriptor = font.get("/FontDescriptor")
    flags = int(descriptor.get("/Flags", _NONSYMBOLIC)) if isinstance(descriptor, pikepdf.Dictionary) else _NONSYMBOLIC
    names = _glyph_names(font)
    if path is None or not path.is_file() or names is None or (flags & _SYMBOLIC and not flags & _NONSYMBOLIC):
        return None  # a symbolic font's codes are glyphs of its own
    codes = set(codes)
    widths = font.get("/Widths")
    first = int(font.get("/FirstChar", 0)) if isinstance(widths, pikepdf.Array) else 0
    given = {first + i: float(w) for i, w in enumerate(widths)} if isinstance(widths, pikepdf.Array) else None
    if every_code or not codes:  # (a font named and never seen shown: every code it has a width for)
        codes |= {code for code, width in (given or {}).items() if width > 0 and code in names}
    twin = _twin(path)
    standard = None
    if given is None:  # a standard font: drawn with Adobe's widths
        from pdfminer.fontmetrics import FONT_METRICS

        standard = FONT_METRICS[_STANDARD_FONTS[path.stem.removeprefix("Liberation")]][1]
        if every_code:
            codes |= {code for code, name in names.items() if 32 <= code <= 255 and toUnicode(name) in standard}
        elif not codes:
            # named and never seen shown (reportlab opens each page with `BT /F1 12 Tf 14.4 TL ET`): its space alone,
            # for the copy to embed every font its pages name — sohoa's PDF/A check names such a font, and the copy
            # was "not PDF/A" for it (QA159 F3) — at the cost of a font of one glyph
            codes = {code for code, name in names.items() if name == "space"}
    winansi = _encodings()["/WinAnsiEncoding"]
    letters: dict[int, int] = {}
    for code in sorted(codes):
        name = names.get(code, "")
        text = toUnicode(name)
        if len(text) != 1 or ord(text) not in twin.cmap or (name != winansi.get(code) and name not in LEGACY_AGL2UV):
            # a letter the twin lacks; a name not in the Adobe Glyph List (its full, legacy list: fi, fl), which
            # PDF/A's differences may not hold (6.2.11.6)
            return None
        width = twin.advance[twin.cmap[ord(text)]]
        drawn = given.get(code) if given is not None else standard.get(text) if standard is not None else None
        if drawn is None or abs(drawn - width) > WIDTH_TOLERANCE:
            return None  # another font than its name says, or widths of its own: its letters would move
        letters[code] = ord(text)
    if not letters:
        return None
    written = None
    if given is None and standard is not None:
        written = [float(standard.get(toUnicode(names.get(c, "")), 0)) for c in range(min(letters), max(letters) + 1)]
    return _Plan(font=font, original=original, path=path, letters=letters, names=names, widths=written)


def _embed(pdf: pikepdf.Pdf, path: Path, plans: list[_Plan]) -> None:
    """Embed the twin at ``path``, once, cut down to the letters of every font of ``plans``, in their place."""
    from fontTools.ttLib import TTFont

    twin = TTFont(io.BytesIO(_twin_bytes(path)))
    scale = 1000 / twin["head"].unitsPerEm
    head = twin["head"]
    bbox = pikepdf.Array([round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)])
    created = _descriptor(twin)  # (for a standard font that had none; read before the cut)
    data = _subset(twin, {point for plan in plans for point in plan.letters.values()})
    name = _subset_name(data, twin["name"].getDebugName(6))
    program = pikepdf.Stream(pdf, data)
    program.Length1 = len(data)
    program = pdf.make_indirect(program)
    winansi = _encodings()["/WinAnsiEncoding"]
    for plan in plans:
        font, descriptor = plan.font, plan.font.get("/FontDescriptor")
        own = descriptor if isinstance(descriptor, pikepdf.Dictionary) else created
        new = pikepdf.Dictionary(dict(own.items()))
        for key in ("/FontFile", "/FontFile3", "/CharSet"):
            if key in new:
                del new[key]
        new.Type = pikepdf.Name.FontDescriptor
        new.FontName = name
        new.Flags = (int(new.get("/Flags", _NONSYMBOLIC)) & ~_SYMBOLIC) | _NONSYMBOLIC
        new.FontBBox = bbox
        new.FontFile2 = program
        if plan.widths is not None:  # a standard font: Adobe's widths, which its twin's were checked against
            font.FirstChar, font.LastChar = min(plan.letters), max(plan.letters)
            font.Widths = pikepdf.Array([round(width) for width in plan.widths])
        if not (isinstance(font.get("/Encoding"), pikepdf.Name) and str(font.Encoding) != "/StandardEncoding"):
            # PDF/A: a non-symbolic TrueType font's encoding is WinAnsi or Mac Roman, AGL names its differences
            differences = [
                item
                for code in plan.letters
                if plan.names[code] != winansi.get(code)
                for item in (code, pikepdf.Name(f"/{plan.names[code]}"))
            ]
            font.Encoding = pikepdf.Name.WinAnsiEncoding
            if differences:
                font.Encoding = pikepdf.Dictionary(
                    Type=pikepdf.Name.Encoding, BaseEncoding=pikepdf.Name.WinAnsiEncoding, Differences=differences
                )
        font.Subtype = pikepdf.Name.TrueType
        font.BaseFont = name
        font.FontDescriptor = pdf.make_indirect(new)


def _dingbats_plan(font: pikepdf.Dictionary, codes: set[int], *, every_code: bool) -> _Plan | None:
    """How ZapfDingbats ``font`` gets its twin (D050000L), for the ``codes`` it shows (``every_code``: or any it may
    show), or None where it cannot: a code of no glyph of the twin, a width that is not the twin's, an encoding of
    another font's."""
    if not DINGBATS_FILE.is_file():
        return None
    encoding = font.get("/Encoding")
    if encoding is not None and not isinstance(encoding, pikepdf.Dictionary):
        return None  # a named encoding (WinAnsi): not the font's own glyphs
    twin = _dingbats_twin()
    differences = list(encoding.get("/Differences", [])) if isinstance(encoding, pikepdf.Dictionary) else []
    names = _with_differences(twin.names, differences)  # (over its built-in encoding)
    if names is None:
        return None
    widths = font.get("/Widths")
    first = int(font.get("/FirstChar", 0)) if isinstance(widths, pikepdf.Array) else 0
    given = {first + i: float(w) for i, w in enumerate(widths)} if isinstance(widths, pikepdf.Array) else None
    codes = set(codes)
    if every_code:  # every code it may show: each its font gives a width for, or has a glyph for
        codes |= set(given) if given is not None else {code for code in names if 32 <= code <= 255}
    # (a font in a check box's resources whose appearance draws its mark with lines shows none: it gets the check
    # box styles alone, not every glyph, 24 KB, as a Times or Arial that shows none gets every letter)
    letters: dict[int, int] = {}
    for code in sorted(codes | {ord(style) for style in _CHECK_STYLES}):
        name = names.get(code)
        if name is None or name not in twin.advance:
            if code not in codes or (every_code and given is None):
                continue  # (a code of no glyph it might show: none is shown)
            return None
        # a file without widths draws with Adobe's, which D050000L's are
        if given is not None and code in codes and abs(given.get(code, -1.0) - twin.advance[name]) > WIDTH_TOLERANCE:
            return None
        letters[code] = code
    if not letters:
        return None
    written = None
    if given is None:  # every code's width, Adobe's (a viewer drawing a check box anew may show one not shown yet)
        written = [twin.advance.get(names.get(code, ""), 0.0) for code in range(min(names), max(names) + 1)]
    original = _named(str(font.get("/BaseFont", "")))
    return _Plan(font=font, original=original, path=DINGBATS_FILE, letters=letters, names=names, widths=written)


@dataclass
class _Dingbats:
    """D050000L: its built-in encoding (code → glyph name), its glyphs' widths in 1/1000 em, its box."""

    names: dict[int, str]
    advance: dict[str, float]
    bbox: list[int]  # (its hhea's ascent, 1057, lies far above any glyph: the descriptor's heights are the box's)


@functools.cache
def _dingbats_twin() -> _Dingbats:
    from fontTools.ttLib import TTFont

    font = TTFont(DINGBATS_FILE)
    scale = 1000 / font["head"].unitsPerEm
    top = font["CFF "].cff.topDictIndex[0]
    names = {code: name for code, name in enumerate(top.Encoding) if name != ".notdef"}
    return _Dingbats(
        names=names,
        advance={glyph: width * scale for glyph, (width, _) in font["hmtx"].metrics.items()},
        bbox=[round(v * scale) for v in top.FontBBox],
    )


def _embed_dingbats(pdf: pikepdf.Pdf, path: Path, plans: list[_Plan]) -> None:
    """Embed D050000L (``path``), once, cut down to the glyphs of every ZapfDingbats of ``plans``, in their place."""
    from fontTools import subset
    from fontTools.ttLib import TTFont

    twin = _dingbats_twin()
    program_file = TTFont(DINGBATS_FILE)
    options = subset.Options()
    options.notdef_outline = True  # PDF/A: a .notdef glyph shown draws as the font says
    options.hinting = False
    cut = subset.Subsetter(options)
    cut.populate(glyphs=sorted({plan.names[code] for plan in plans for code in plan.letters}))
    cut.subset(program_file)
    data = program_file.getTableData("CFF ")  # (its own encoding is then Adobe's standard: the differences name all)
    name = _subset_name(data, path.stem)
    program = pdf.make_stream(data)
    program.Subtype = pikepdf.Name("/Type1C")
    descriptor = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.FontDescriptor,
            FontName=name,
            Flags=_SYMBOLIC,
            FontBBox=pikepdf.Array(twin.bbox),
            ItalicAngle=0,
            Ascent=twin.bbox[3],
            Descent=twin.bbox[1],
            CapHeight=twin.bbox[3],  # (required; a font of no capitals)
            StemV=80,
            FontFile3=program,
        )
    )
    for plan in plans:
        font = plan.font
        if plan.widths is not None:  # Adobe's widths, which a standard font is drawn with: D050000L's
            font.FirstChar, font.LastChar = min(plan.names), max(plan.names)
            font.Widths = pikepdf.Array([round(width) for width in plan.widths])
        differences = [item for code in sorted(plan.letters) for item in (code, pikepdf.Name(f"/{plan.names[code]}"))]
        font.Encoding = pikepdf.Dictionary(Type=pikepdf.Name.Encoding, Differences=differences)
        font.BaseFont = name
        font.FontDescriptor = descriptor


def _subset_name(program: bytes, font_name: str) -> pikepdf.Name:
    """The /BaseFont of a subset ``program`` of ``font_name``: a tag of six capitals from its bytes, then the name."""
    tag = "".join(chr(ord("A") + byte % 26) for byte in hashlib.sha256(program).digest()[:6])
    return pikepdf.Name(f"/{tag}+{font_name}")


def _family_and_style(path: Path) -> str:
    """ "Liberation Serif Bold Italic" for LiberationSerif-BoldItalic.ttf."""
    if path == DINGBATS_FILE:
        return "URW D050000L"
    family, style = path.stem.removeprefix("Liberation").split("-")
    shown_style = "" if style == "Regular" else " " + re.sub(r"(?<=[a-z])(?=[A-Z])", " ", style)
    return f"Liberation {family}{shown_style}"


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
