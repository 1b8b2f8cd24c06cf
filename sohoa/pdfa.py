"""The PDF/A-2 (ISO 19005-2) rules sohoa checks on a PDF's objects, each named by its clause as veraPDF's PDF/A-2B
profile numbers them. Not a full validator (veraPDF is not installable here: it is neither in Debian nor on PyPI),
but what lets the OCR stage and the signing check refuse to claim — or to keep — PDF/A-2B for a file that breaks a
rule a scan, a born-digital input or a signature commonly brings:

- 6.1.2 a PDF version up to 1.7; 6.1.7.1 no stream kept in an external file; 6.1.7.2 no LZW compression;
- 6.2.3 a GTS_PDFA1 output intent; 6.2.4.3 device colours match it (DeviceRGB needs an RGB profile, DeviceCMYK a
  CMYK one) — in content streams, images (inline too), named colour spaces, shadings and patterns, as the base
  of an Indexed space or the alternate of a Separation or DeviceN; 6.2.4.2 the profile of an ICCBased colour
  space (allowed whatever the output intent) is an ICC profile up to version 4 (ISO 15076-1), of a device class
  and colour space PDF allows, with as many components as the colour space's N says;
- 6.2.5 no transfer functions or halftone phases in graphics states; 6.2.8 no interpolated images, no
  alternate images, no OPI; 6.2.9 no reference XObjects or PostScript XObjects;
- 6.2.11.4.1 every font a page or appearance uses is embedded (Type 3 fonts draw their glyphs themselves);
- 6.3.1 no 3D, Sound, Screen or Movie annotations, nor annotation types ISO 32000-1 does not define;
  6.3.2 / 6.3.3 every annotation has ``F`` with Print set and Hidden/Invisible/NoView/ToggleNoView clear, and an
  appearance dictionary with only ``N`` (links and zero-size widgets need none);
- 6.4.1 / 6.4.2 no ``NeedAppearances`` true, no XFA;
- 6.5.1 no JavaScript, Launch, Sound, Movie, ResetForm, ImportData, Hide, SetOCGState, Rendition, Trans or
  GoTo3DView actions (document, outline, annotations, form fields); 6.5.2 no additional actions (``AA``) on the
  catalogue, pages, widgets or fields;
- 6.6.2.3.1 every XMP property is in a predefined schema or one the file declares (pdfaExtension);
- 6.8 embedded files: whether an attached file is itself PDF/A cannot be told here, so any makes the check fail;
- 6.9 each optional content configuration has a ``Name`` and no ``AS``.
"""

from __future__ import annotations

import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pikepdf

# annotation flag bits (ISO 32000-1, 12.5.3)
_INVISIBLE, _HIDDEN, _PRINT, _NO_VIEW, _TOGGLE_NO_VIEW = 1, 2, 4, 32, 256

# namespaces of the schemas XMP and ISO 19005 predefine (6.6.2.3.1); anything else needs a pdfaExtension entry
PREDEFINED_XMP_NAMESPACES = frozenset(
    {
        "http://purl.org/dc/elements/1.1/",
        "http://ns.adobe.com/xap/1.0/",
        "http://ns.adobe.com/xap/1.0/rights/",
        "http://ns.adobe.com/xap/1.0/mm/",
        "http://ns.adobe.com/xap/1.0/bj/",
        "http://ns.adobe.com/xap/1.0/t/pg/",
        "http://ns.adobe.com/xap/1.0/t/",
        "http://ns.adobe.com/xmp/1.0/DynamicMedia/",
        "http://ns.adobe.com/pdf/1.3/",
        "http://ns.adobe.com/photoshop/1.0/",
        "http://ns.adobe.com/camera-raw-settings/1.0/",
        "http://ns.adobe.com/exif/1.0/",
        "http://ns.adobe.com/exif/1.0/aux/",
        "http://ns.adobe.com/tiff/1.0/",
        "http://ns.adobe.com/xap/1.0/sType/ResourceRef#",
        "http://ns.adobe.com/xap/1.0/sType/ResourceEvent#",
        "http://ns.adobe.com/xap/1.0/sType/Version#",
        # the fields of XMP's predefined value types (a thumbnail, a colorant, a page size, a font, a job, a
        # manifest item, an identifier qualifier): a serializer may write them as nested rdf:Description attributes
        "http://ns.adobe.com/xap/1.0/g/img/",
        "http://ns.adobe.com/xap/1.0/g/",
        "http://ns.adobe.com/xap/1.0/sType/Dimensions#",
        "http://ns.adobe.com/xap/1.0/sType/Font#",
        "http://ns.adobe.com/xap/1.0/sType/Job#",
        "http://ns.adobe.com/xap/1.0/sType/ManifestItem#",
        "http://ns.adobe.com/xmp/Identifier/qual/1.0/",
        "http://www.aiim.org/pdfa/ns/id/",
        "http://www.aiim.org/pdfa/ns/extension/",
        "http://www.aiim.org/pdfa/ns/schema#",
        "http://www.aiim.org/pdfa/ns/property#",
        "http://www.aiim.org/pdfa/ns/type#",
        "http://www.aiim.org/pdfa/ns/field#",
        "http://www.aiim.org/pdfua/ns/id/",
    }
)
_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
_XML_NAMESPACES = frozenset({_RDF, "adobe:ns:meta/", "http://www.w3.org/XML/1998/namespace"})

# ISO 32000-1 Table 169, less the four 6.3.1 forbids
_ALLOWED_ANNOTATIONS = frozenset(
    "/" + name
    for name in [
        "Text",
        "Link",
        "FreeText",
        "Line",
        "Square",
        "Circle",
        "Polygon",
        "PolyLine",
        "Highlight",
        "Underline",
        "Squiggly",
        "StrikeOut",
        "Stamp",
        "Caret",
        "Ink",
        "Popup",
        "FileAttachment",
        "Widget",
        "PrinterMark",
        "TrapNet",
        "Watermark",
        "Redact",
    ]
)
_FORBIDDEN_ACTIONS = frozenset(
    "/" + name
    for name in [
        "Launch",
        "Sound",
        "Movie",
        "ResetForm",
        "ImportData",
        "Hide",
        "SetOCGState",
        "Rendition",
        "Trans",
        "GoTo3DView",
        "JavaScript",
    ]
)
# Every operator ISO 32000-1 defines (its Table A.1): a content stream may hold no other, even between BX and EX
# (6.2.2; veraPDF 6.2.2-2)
# fmt: off
_PDF_OPERATORS = frozenset({
    "b", "B", "b*", "B*", "BDC", "BI", "BMC", "BT", "BX", "c", "cm", "CS", "cs", "d", "d0", "d1", "Do", "DP", "EI",
    "EMC", "ET", "EX", "f", "F", "f*", "G", "g", "gs", "h", "i", "ID", "j", "J", "K", "k", "l", "m", "M", "MP", "n",
    "q", "Q", "re", "RG", "rg", "ri", "s", "S", "SC", "sc", "SCN", "scn", "sh", "T*", "Tc", "Td", "TD", "Tf", "Tj",
    "TJ", "TL", "Tm", "Tr", "Ts", "Tw", "Tz", "v", "w", "W", "W*", "y", "'", '"',
})
# fmt: on
# The operators that name a resource, and the resource dictionary the name must be in (6.2.2: a content stream's
# resources are given explicitly; a name missing from them leaves what is drawn undefined)
_NAMED_RESOURCES = {"Do": "/XObject", "Tf": "/Font", "gs": "/ExtGState", "sh": "/Shading"}
_OPERATOR_SPACES = {"rg": "DeviceRGB", "RG": "DeviceRGB", "k": "DeviceCMYK", "K": "DeviceCMYK"}
_INLINE_SPACES = {"/RGB": "DeviceRGB", "/DeviceRGB": "DeviceRGB", "/CMYK": "DeviceCMYK", "/DeviceCMYK": "DeviceCMYK"}
_INTENT_SPACE = {3: "DeviceRGB", 4: "DeviceCMYK"}
# ICC colour space signatures an ICCBased colour space may have, with their number of components, and the device
# classes (input, display, output, colour space conversion) its profile may be (ISO 32000-1, 8.6.5.5)
_ICC_COMPONENTS = {b"GRAY": 1, b"RGB ": 3, b"CMYK": 4, b"Lab ": 3}
_ICC_CLASSES = frozenset({b"scnr", b"mntr", b"prtr", b"spac"})
MAX_PROBLEMS = 20  # a 500-page file painted in CMYK says so a few times, not 500

# What each PDF/A-2 clause a problem names is about, in Vietnamese: the problem lines themselves are English (a
# technician's words, with object numbers), and until QA101/QA103 an officer reading `sohoa ocr` got nothing else
RULE_TOPICS_VI: dict[str, str] = {
    "6.1.2": "phiên bản PDF",
    "6.1.3": "cấu trúc tệp",
    "6.1.7.1": "luồng dữ liệu nằm ngoài tệp",
    "6.1.7.2": "nén LZW",
    "6.1.12": "giới hạn kỹ thuật",
    "6.2.2": "nội dung trang",
    "6.2.3": "ý định đầu ra (hồ sơ màu)",
    "6.2.4.2": "hồ sơ màu ICC",
    "6.2.4.3": "không gian màu phụ thuộc thiết bị",
    "6.2.5": "trạng thái đồ họa",
    "6.2.8": "ảnh",
    "6.2.9": "đối tượng XObject",
    "6.2.11.4.1": "phông chữ không được nhúng",
    "6.2.11.5": "phông chữ",
    "6.3.1": "loại chú thích",
    "6.3.2": "cờ của chú thích",
    "6.3.3": "hình hiển thị của chú thích",
    "6.4.1": "biểu mẫu",
    "6.4.2": "biểu mẫu XFA",
    "6.4.3": "chữ ký số",
    "6.5.1": "hành động, JavaScript",
    "6.5.2": "hành động bổ sung",
    "6.6.2.1": "siêu dữ liệu XMP",
    "6.6.2.3.1": "siêu dữ liệu XMP",
    "6.6.4": "nhận dạng PDF/A",
    "6.8": "tệp đính kèm",
    "6.9": "nội dung tùy chọn",
    "pikepdf": "kiểm tra của pikepdf",
}


def problem_topic_vi(problem: str) -> str | None:
    """What the PDF/A clause a problem line starts with ("6.2.11.4.1: …", "pikepdf:schema-Page: …") is about, in
    Vietnamese; None for a line that names no known clause."""
    clause = problem.split(":", 1)[0].strip()
    return RULE_TOPICS_VI.get(clause)


def document_problems(pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]] = frozenset()) -> list[str]:
    """Every rule above that ``pdf`` (open, as it would be saved: unencrypted) breaks; [] when none. ``skip``:
    form XObjects known to conform (the OCR stage's own text layers), not parsed again."""
    problems: list[str] = []
    version = max(pdf.pdf_version, str(pdf.Root.get("/Version", "/1.0")).lstrip("/"))  # the catalogue's overrides
    if version > "1.7":
        problems.append(f"6.1.2: PDF {version} (PDF/A-2 is PDF 1.7 at most)")
    intent = output_intent_components(pdf)
    if intent is None:
        problems.append("6.2.3: no GTS_PDFA1 output intent")
    profiles = {i.DestOutputProfile.objgen for i in pdf.Root.get("/OutputIntents", []) if "/DestOutputProfile" in i}
    if len(profiles) > 1:
        problems.append("6.2.3: output intents with different profiles (a PDF/X intent beside the PDF/A one?)")
    problems.extend(xmp_schema_problems(pdf))
    problems.extend(interactive_form_problems(pdf))
    problems.extend(annotation_problems(pdf, intent))
    problems.extend(action_problems(pdf))
    seen = set(skip)
    for number, page in enumerate(pdf.pages, start=1):
        resources = inherited_attribute(page.obj, "/Resources")
        problems.extend(drawing_problems(page.obj, resources, f"page {number}", intent, seen, owner=pdf))
    return _first(problems)


def painted_device_spaces(pdf: pikepdf.Pdf, skip: frozenset[tuple[int, int]] = frozenset()) -> set[str]:
    """The device colour spaces (DeviceRGB, DeviceCMYK) ``pdf``'s pages and annotation appearances paint in or name
    (content streams, images, inline images, colour spaces, shadings, patterns, forms, soft masks, transparency
    groups; an Indexed base, a Separation or DeviceN alternate), as ``document_problems`` finds them: what an
    output intent has to describe. A resource that is named but never painted counts too (the safe side).
    DeviceGray is left out: any output intent describes it (6.2.4.3). ``skip``: forms known to paint in none."""
    painted: set[str] = set()
    seen = set(skip)
    for number, page in enumerate(pdf.pages, start=1):
        resources = inherited_attribute(page.obj, "/Resources")
        drawing_problems(page.obj, resources, f"page {number}", None, seen, painted, pdf)
    annotation_problems(pdf, None, painted)
    return painted


def mend(pdf: pikepdf.Pdf) -> list[str]:
    """Mend what PDF/A forbids but inputs commonly carry, where that changes nothing a page shows or prints:
    image interpolation hints (6.2.8: a viewer's smoothing, not pixels), link annotations without flags (6.3.2:
    Print set, as a link prints nothing), annotation appearances besides the normal one (6.3.3: the rollover
    and pressed-down looks shown under a pointer), XMP properties of schemas the file does not declare (6.6.2.3.1:
    an authoring tool's private notes, e.g. Illustrator's or PDF/X's) and optional content configurations
    without a name (6.9). What was changed, a line each."""
    changed: list[str] = []
    stream = pdf.Root.get("/Metadata")
    try:
        undeclared = _undeclared_schemas(ET.fromstring(stream.read_bytes())) if stream is not None else set()
    except ET.ParseError:
        undeclared = set()  # left for the check to report
    if undeclared:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in list(meta):
                if key.startswith("{") and key[1 : key.index("}")] in undeclared:
                    del meta[key]
                    changed.append(f"XMP property {key} removed (its schema is not declared)")
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image and "/Interpolate" in obj:
            del obj.Interpolate
            changed.append(f"image {obj.objgen[0]}: Interpolate removed")
        filters = _filter_names(obj.get("/Filter"))
        if "/LZWDecode" in filters and filters <= _GENERAL_FILTERS:
            # 6.1.7.2 forbids LZW; its bytes decoded, the stream is Flate-compressed when the copy is written (the
            # same pixels: QA116 F4, an LZW scan's copy had no LZW left, yet was refused the claim for it)
            try:
                obj.write(obj.read_bytes())
            except pikepdf.PikepdfError:  # (qpdf says "bad code" as a runtime error)
                continue  # undecodable: the check says LZW
            changed.append(f"stream {obj.objgen[0]}: LZW decoded (Flate-compressed when written)")
        elif "/LZWDecode" in filters and _lzw_unwrapped(obj):
            changed.append(f"stream {obj.objgen[0]}: LZW taken off its {obj.Filter} data (the same bytes under it)")
        if obj.get("/Subtype") == pikepdf.Name.Image and filters == {"/JPXDecode"}:
            jpx = obj.read_raw_bytes()  # (read once: a scan's image is megabytes)
            if (boxed := _jp2_of_codestream(jpx)) is not None:
                obj.write(boxed, filter=pikepdf.Name.JPXDecode)
                changed.append(f"image {obj.objgen[0]}: its bare JPEG 2000 codestream put in a JP2 file, unchanged")
                jpx = boxed
            space = None if "/ColorSpace" in obj else _jpx_device_space(jpx)
            if space is not None:  # (pikepdf.pdfa asks for /ColorSpace on every image; the rules do not, 6.2.8.3)
                obj.ColorSpace = pikepdf.Name(space)
                changed.append(f"image {obj.objgen[0]}: its JPEG 2000 colour, {space}, written as its /ColorSpace")
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            if annot.get("/Subtype") == pikepdf.Name.Link and "/F" not in annot:
                annot.F = _PRINT
                changed.append(f"page {number} link: flags set to Print")
            appearance = annot.get("/AP")
            if isinstance(appearance, pikepdf.Dictionary) and "/N" in appearance:
                for key in ("/D", "/R"):
                    if key in appearance:
                        del appearance[key]
                        changed.append(f"page {number} {str(annot.get('/Subtype', '')).lstrip('/')}: {key} removed")
    for number, config in enumerate(_optional_content_configs(pdf)):
        if isinstance(config, pikepdf.Dictionary) and "/Name" not in config:
            config.Name = "Default" if number == 0 else f"Configuration {number}"
            changed.append(f"optional content configuration {number}: named")
    return changed


def _first(problems: list[str]) -> list[str]:
    unique = list(dict.fromkeys(problems))
    if len(unique) <= MAX_PROBLEMS:
        return unique
    return [*unique[:MAX_PROBLEMS], f"… and {len(unique) - MAX_PROBLEMS} more"]


def output_intent_components(pdf: pikepdf.Pdf) -> int | None:
    """Colour components of the GTS_PDFA1 output intent's profile (3 for RGB), or None when there is none."""
    for intent in pdf.Root.get("/OutputIntents", []):
        if intent.get("/S") == pikepdf.Name.GTS_PDFA1:
            profile = intent.get("/DestOutputProfile")
            return int(profile.get("/N", 0)) if profile is not None else 0
    return None


def xmp_schema_problems(pdf: pikepdf.Pdf) -> list[str]:
    stream = pdf.Root.get("/Metadata")
    if stream is None:
        return ["6.6.2.1: no XMP metadata stream"]
    try:
        root = ET.fromstring(stream.read_bytes())
    except ET.ParseError as exc:
        return [f"6.6.2.1: the XMP metadata is not well-formed XML ({exc})"]
    return [f"6.6.2.3.1: XMP properties in undeclared schema {ns}" for ns in sorted(_undeclared_schemas(root))]


def _undeclared_schemas(root: ET.Element) -> set[str]:
    """Namespaces of XMP properties that neither XMP nor ISO 19005 predefines and no pdfaExtension declares."""
    declared = {el.text.strip() for el in root.iter() if el.tag.endswith("}namespaceURI") and el.text}
    used: set[str] = set()
    for description in root.iter(f"{{{_RDF}}}Description"):
        for name in [*description.attrib, *(child.tag for child in description)]:
            if name.startswith("{"):
                used.add(name[1 : name.index("}")])
    return {ns for ns in used - PREDEFINED_XMP_NAMESPACES - _XML_NAMESPACES if ns not in declared}


def interactive_form_problems(pdf: pikepdf.Pdf) -> list[str]:
    form = pdf.Root.get("/AcroForm")
    if form is None:
        return []
    problems: list[str] = []
    if bool(form.get("/NeedAppearances", False)):
        problems.append("6.4.1: the AcroForm sets NeedAppearances true")
    if "/XFA" in form:
        problems.append("6.4.2: the AcroForm has XFA")
    return problems


def annotation_problems(pdf: pikepdf.Pdf, intent_components: int | None, painted: set[str] | None = None) -> list[str]:
    """6.3.1–6.3.3 and 6.8 for each page's annotations, and ``drawing_problems`` for their normal appearances
    (``painted``: see there)."""
    problems: list[str] = []
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        for annot in page.obj.get("/Annots", []):
            if not isinstance(annot, pikepdf.Dictionary):
                continue
            subtype = str(annot.get("/Subtype", ""))
            where = f"page {number} {subtype.lstrip('/') or 'annotation'} {annot.get('/T', '')}".rstrip()
            if subtype not in _ALLOWED_ANNOTATIONS:
                problems.append(f"6.3.1: {where}: annotation type not allowed")
            if subtype == "/FileAttachment":
                problems.append(f"6.8: {where} attaches a file (whether it is PDF/A cannot be checked here)")
            if subtype == "/Popup":
                continue
            flags = int(annot.get("/F", -1))
            if flags < 0:
                problems.append(f"6.3.2: {where} has no F (flags) entry")
            elif not flags & _PRINT or flags & (_INVISIBLE | _HIDDEN | _NO_VIEW | _TOGGLE_NO_VIEW):
                problems.append(f"6.3.2: {where} flags {flags}: Print must be set, Hidden/Invisible/NoView clear")
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            zero_size = rect[2] - rect[0] == 0 and rect[3] - rect[1] == 0
            appearance = annot.get("/AP")
            if appearance is None:
                if not zero_size and subtype != "/Link":
                    problems.append(f"6.3.3: {where} has no appearance (AP)")
                continue
            keys = sorted(str(k) for k in appearance)
            if keys != ["/N"]:
                problems.append(f"6.3.3: {where} appearance holds {', '.join(keys)} (only N is allowed)")
            normal = appearance.get("/N")
            # a check box or radio button has one appearance stream per state under N
            states = [normal] if isinstance(normal, pikepdf.Stream) else list(normal.values()) if normal else []
            for state in states:
                if isinstance(state, pikepdf.Stream):
                    resources = state.get("/Resources", pikepdf.Dictionary())
                    problems.extend(drawing_problems(state, resources, where, intent_components, seen, painted, pdf))
    return problems


def action_problems(pdf: pikepdf.Pdf) -> list[str]:
    """6.5.1 forbidden actions wherever an action can sit; 6.5.2 additional actions; 6.8 embedded files; 6.9."""
    problems: list[str] = []
    root = pdf.Root
    if "/AA" in root:
        problems.append("6.5.2: the document catalogue has additional actions (AA)")
    problems.extend(_actions(root.get("/OpenAction"), "the document's open action"))
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            problems.append("6.5.1: the document holds JavaScript (Names/JavaScript)")
        if "/EmbeddedFiles" in names:
            problems.append("6.8: the document embeds files (whether they are PDF/A cannot be checked here)")
    for number, page in enumerate(pdf.pages, start=1):
        if "/AA" in page.obj:
            problems.append(f"6.5.2: page {number} has additional actions (AA)")
        for annot in page.obj.get("/Annots", []):
            if isinstance(annot, pikepdf.Dictionary):
                where = f"page {number} {str(annot.get('/Subtype', '')).lstrip('/')}".rstrip()
                problems.extend(_actions(annot.get("/A"), where))
                if "/AA" in annot:
                    problems.append(f"6.5.2: {where} has additional actions (AA)")
    for field in form_fields(pdf):
        if "/AA" in field:
            problems.append(f"6.5.2: form field {field.get('/T', '')} has additional actions (AA)")
    outlines = root.get("/Outlines")
    items = [outlines.get("/First")] if isinstance(outlines, pikepdf.Dictionary) else []
    visited: set[tuple[int, int]] = set()
    while items:
        item = items.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in visited:
            continue
        visited.add(item.objgen)
        problems.extend(_actions(item.get("/A"), f"bookmark {item.get('/Title', '')}"))
        items.extend(item.get(key) for key in ("/First", "/Next") if key in item)
    for config in _optional_content_configs(pdf):
        if isinstance(config, pikepdf.Dictionary) and ("/Name" not in config or "/AS" in config):
            problems.append("6.9: an optional content configuration lacks a Name or has AS")
    return problems


def form_fields(pdf: pikepdf.Pdf) -> Iterator[pikepdf.Dictionary]:
    """Every node of the AcroForm's field tree (fields, their kids, widgets), each once: a tree that loops back on
    itself (malformed, or hostile) is walked once."""
    form = pdf.Root.get("/AcroForm")
    stack = list(form.get("/Fields", [])) if isinstance(form, pikepdf.Dictionary) else []
    visited: set[tuple[int, int]] = set()
    while stack:
        node = stack.pop()
        if not isinstance(node, pikepdf.Dictionary) or node.objgen in visited:
            continue
        if node.objgen != (0, 0):  # a direct dictionary cannot be reached twice
            visited.add(node.objgen)
        yield node
        stack.extend(node.get("/Kids", []))


def _optional_content_configs(pdf: pikepdf.Pdf) -> list[pikepdf.Object]:
    """The default optional content configuration (D) and the others (Configs), as they are."""
    properties = pdf.Root.get("/OCProperties")
    if not isinstance(properties, pikepdf.Dictionary):
        return []
    return [properties.get("/D"), *properties.get("/Configs", [])]


def _actions(action: pikepdf.Object | None, where: str) -> list[str]:
    """An action and the ones it chains (``Next``: one action or an array of them)."""
    problems: list[str] = []
    pending = [action]
    seen: set[tuple[int, int]] = set()
    while pending:
        current = pending.pop()
        if isinstance(current, pikepdf.Array):
            pending.extend(current)
            continue
        if not isinstance(current, pikepdf.Dictionary) or (current.is_indirect and current.objgen in seen):
            continue
        if current.is_indirect:
            seen.add(current.objgen)
        kind = current.get("/S")
        if kind is not None and str(kind) in _FORBIDDEN_ACTIONS:
            problems.append(f"6.5.1: {where} runs a {str(kind).lstrip('/')} action")
        pending.append(current.get("/Next"))
    return problems


def drawing_problems(
    drawing: pikepdf.Object,
    resources: pikepdf.Object | None,
    where: str,
    intent_components: int | None,
    seen: set[tuple[int, int]],
    painted: set[str] | None = None,
    owner: pikepdf.Pdf | None = None,
) -> list[str]:
    """A content stream (a page's, an appearance, a form XObject, a tiling pattern) and what it draws: fonts
    embedded, device colours matching the output intent, images and graphics states PDF/A allows. ``seen``: form
    XObjects and patterns already checked (shared by every page). ``painted``, when given, gathers the device
    colour spaces (DeviceRGB, DeviceCMYK) it and what it draws paint in, a transparency group's blending space
    included. ``owner``, the file it is in, tells what qpdf read past in the content (its warnings)."""
    problems: list[str] = []
    spaces: set[str] = set()
    profiles: list[pikepdf.Object] = []  # the ICC profile streams of the ICCBased colour spaces it uses

    def uses(space: pikepdf.Object | None) -> None:
        """A colour space it names: the device spaces it falls back to and the ICC profiles it is built on."""
        spaces.update(_device_spaces(space))
        profiles.extend(_icc_profiles(space))

    if owner is not None:
        owner.get_warnings()  # what qpdf warned of before, taken (and cleared: qpdf's list is read once)
    try:
        instructions = pikepdf.parse_content_stream(drawing)
    except pikepdf.PdfError as exc:
        instructions = []
        problems.append(f"6.2.2: {where}'s content cannot be read ({str(exc).splitlines()[0][:120]})")
    # what qpdf read past (a stray "]", a token that is no object): QA68's garbage.pdf was claimed PDF/A though
    # `qpdf --check` failed on the output; no viewer is bound to read such content as PDFium did
    errors = owner.get_warnings() if owner is not None else []
    if errors:
        problems.append(f"6.2.2: {where}'s content has syntax errors ({errors[0].rsplit(': ', 1)[-1][:80]})")
    unknown: set[str] = set()
    named: set[tuple[str, str]] = set()
    for instruction in instructions:
        if isinstance(instruction, pikepdf.ContentStreamInlineImage):
            problems.extend(_inline_image_problems(instruction.iimage.obj, where, spaces))
            continue
        # unparse, not str: an operator of stray binary bytes is no UTF-8 (str raised UnicodeDecodeError)
        operator = instruction.operator.unparse().decode("latin-1")
        if operator in _OPERATOR_SPACES:
            spaces.add(_OPERATOR_SPACES[operator])
        elif operator in ("cs", "CS") and instruction.operands:
            spaces |= _device_spaces(instruction.operands[0])
        elif operator in _NAMED_RESOURCES and instruction.operands:
            if isinstance(instruction.operands[0], pikepdf.Name):
                named.add((_NAMED_RESOURCES[operator], str(instruction.operands[0])))
        elif operator not in _PDF_OPERATORS:
            unknown.add(operator)
    if unknown:
        shown = [op if op.isprintable() else ascii(op)[1:-1] for op in sorted(unknown)[:5]]  # stray bytes as \xNN
        problems.append(f"6.2.2: {where}'s content holds operators PDF does not define ({', '.join(shown)})")
    if not isinstance(resources, pikepdf.Dictionary):
        resources = pikepdf.Dictionary()

    def holds(kind: str, name: str) -> bool:
        entries = resources.get(kind) if isinstance(resources, pikepdf.Dictionary) else None
        return isinstance(entries, pikepdf.Dictionary) and name in entries

    missing = sorted(name for kind, name in named if not holds(kind, name))
    if missing:
        problems.append(f"6.2.2: {where} draws {', '.join(missing)}, which its resources do not hold")
    for name, font in resource_entries(resources, "/Font"):
        if isinstance(font, pikepdf.Dictionary) and not font_embedded(font):
            problems.append(f"6.2.11.4.1: {where} uses font {font.get('/BaseFont', name)} without embedding it")
    for _, space in resource_entries(resources, "/ColorSpace"):
        uses(space)
    for _, shading in resource_entries(resources, "/Shading"):
        if isinstance(shading, pikepdf.Dictionary):
            uses(shading.get("/ColorSpace"))
    drawn: list[tuple[pikepdf.Object, pikepdf.Object | None]] = []
    for _, state in resource_entries(resources, "/ExtGState"):
        if not isinstance(state, pikepdf.Dictionary):
            continue
        soft_mask = state.get("/SMask")
        if painted is not None and isinstance(soft_mask, pikepdf.Dictionary):
            group = soft_mask.get("/G")  # a soft mask paints its own form (a luminosity mask in colour)
            if isinstance(group, pikepdf.Stream):
                drawn.append((group, group.get("/Resources", resources)))
        if "/TR" in state or state.get("/TR2", pikepdf.Name.Default) != pikepdf.Name.Default:
            problems.append(f"6.2.5: {where} sets a transfer function")
        if "/HTP" in state:
            problems.append(f"6.2.5: {where} sets a halftone phase (HTP)")
    for _, pattern in resource_entries(resources, "/Pattern"):
        if isinstance(pattern, pikepdf.Stream):  # a tiling pattern paints with its own content stream
            drawn.append((pattern, pattern.get("/Resources")))
        elif isinstance(pattern, pikepdf.Dictionary) and isinstance(pattern.get("/Shading"), pikepdf.Dictionary):
            uses(pattern.Shading.get("/ColorSpace"))
    for _, xobject in resource_entries(resources, "/XObject"):
        if not isinstance(xobject, pikepdf.Stream):
            continue
        subtype = xobject.get("/Subtype")
        problems.extend(_stream_problems(xobject, where))
        if subtype == pikepdf.Name.Image:
            uses(xobject.get("/ColorSpace"))
            if bool(xobject.get("/Interpolate", False)):
                problems.append(f"6.2.8: {where} has an image with Interpolate true")
            if "/Alternates" in xobject or "/OPI" in xobject:
                problems.append(f"6.2.8: {where} has an image with Alternates or OPI")
        elif subtype == pikepdf.Name.Form:
            if "/Ref" in xobject or "/OPI" in xobject or xobject.get("/Subtype2") == pikepdf.Name.PS:
                problems.append(f"6.2.9: {where} has a reference, OPI or PostScript form XObject")
            # a form without resources of its own draws with those of the page (allowed before PDF 1.2)
            drawn.append((xobject, xobject.get("/Resources", resources)))
        elif subtype == pikepdf.Name.PS:
            problems.append(f"6.2.9: {where} has a PostScript XObject")
    for profile in profiles:
        if profile.objgen in seen:  # one profile stream, shared by every page that uses it, is checked once
            continue
        if profile.objgen != (0, 0):
            seen.add(profile.objgen)
        problems.extend(_icc_problems(profile, where))
    for stream, own_resources in drawn:
        if stream.objgen in seen:
            continue
        seen.add(stream.objgen)
        problems.extend(drawing_problems(stream, own_resources, where, intent_components, seen, painted, owner))
    if painted is not None:
        group = drawing.get("/Group")
        if isinstance(group, pikepdf.Dictionary):
            spaces |= _device_spaces(group.get("/CS"))
        painted |= spaces
    for device in sorted(spaces):
        if _INTENT_SPACE.get(intent_components or 0) != device:
            problems.append(f"6.2.4.3: {where} paints in {device} without a matching output intent")
    return problems


def _inline_image_problems(image: pikepdf.Object, where: str, spaces: set[str]) -> list[str]:
    problems: list[str] = []
    space = image.get("/CS", image.get("/ColorSpace"))
    if isinstance(space, pikepdf.Name) and str(space) in _INLINE_SPACES:
        spaces.add(_INLINE_SPACES[str(space)])
    if bool(image.get("/I", image.get("/Interpolate", False))):
        problems.append(f"6.2.8: {where} has an inline image with Interpolate true")
    if {"/LZW", "/LZWDecode"} & _filter_names(image.get("/F", image.get("/Filter"))):
        problems.append(f"6.1.7.2: {where} has an LZW-compressed inline image")
    return problems


def _stream_problems(stream: pikepdf.Stream, where: str) -> list[str]:
    problems: list[str] = []
    if "/LZWDecode" in _filter_names(stream.get("/Filter")):
        problems.append(f"6.1.7.2: {where} has an LZW-compressed stream")
    if "/F" in stream or "/FFilter" in stream:
        problems.append(f"6.1.7.1: {where} has a stream kept in an external file")
    return problems


# the filters qpdf decodes (and so can write anew with Flate): none of them loses a bit
_GENERAL_FILTERS = frozenset({"/LZWDecode", "/FlateDecode", "/ASCIIHexDecode", "/ASCII85Decode", "/RunLengthDecode"})
# a JPEG 2000 file's enumerated colour spaces (ISO 15444-1 I.5.3.3, the colr box's EnumCS) a device space is
_JPX_ENUMERATED = {16: "/DeviceRGB", 17: "/DeviceGray"}  # sRGB, greyscale


def _jpx_device_space(data: bytes) -> str | None:
    """The device colour space of a JPEG 2000 file (``data``, a JP2) whose header holds one colour specification,
    an enumerated sRGB or greyscale of as many components; None for anything else (a bare codestream, an ICC
    profile, sYCC, several specifications). PDF/A-2 (6.2.8.3) takes the JPEG 2000 data's own colour where the
    image has no /ColorSpace; written as the device space, sRGB under the output intent, it shows the same."""
    header = _jp2_box(data, b"jp2h")
    if header is None:
        return None
    image_header, colours = _jp2_box(header, b"ihdr"), _jp2_boxes(header, b"colr")
    if image_header is None or len(image_header) < 10 or len(colours) != 1 or len(colours[0]) < 7:
        return None
    components = int.from_bytes(image_header[8:10], "big")
    method, enumerated = colours[0][0], int.from_bytes(colours[0][3:7], "big")
    space = _JPX_ENUMERATED.get(enumerated) if method == 1 else None
    return space if space is not None and components == (3 if space == "/DeviceRGB" else 1) else None


_J2K_START = b"\xff\x4f\xff\x51"  # a JPEG 2000 codestream's SOC and SIZ markers (ISO 15444-1 A.4.1, A.5.1)
_JP2_SIGNATURE = b"\x00\x00\x00\x0cjP  \r\n\x87\n"


def _jp2_of_codestream(data: bytes) -> bytes | None:
    """A bare JPEG 2000 codestream (QA117: no JP2 boxes, so no colour, and a reader warns "first box must be JPEG
    2000 signature box" before it reads it) put, byte for byte, in the smallest JP2 file (ISO 15444-1 I.5): the
    signature, its file type, a header giving its size, components and depth and an enumerated colour — grey for
    one component, sRGB for three, as a reader shows a bare codestream's — and the codestream. None for anything
    else: a JP2 already, or components of unequal depth, signed, or neither one nor three."""
    if not data.startswith(_J2K_START) or len(data) < 42:
        return None
    size = [int.from_bytes(data[at : at + 4], "big") for at in range(8, 24, 4)]  # Xsiz, Ysiz, XOsiz, YOsiz
    components = int.from_bytes(data[40:42], "big")
    depths = set(data[42 : 42 + 3 * components : 3])  # each component's Ssiz: depth - 1, and 0x80 when signed
    if components not in (1, 3) or len(data) < 42 + 3 * components or len(depths) != 1 or max(depths) & 0x80:
        return None
    width, height = size[0] - size[2], size[1] - size[3]
    colour = 17 if components == 1 else 16  # greyscale, sRGB (I.5.3.3)
    dimensions = height.to_bytes(4, "big") + width.to_bytes(4, "big") + components.to_bytes(2, "big")
    image_header = _box(b"ihdr", dimensions + bytes([*depths, 7, 0, 0]))  # depth, compression 7, colour known
    header = _box(b"jp2h", image_header + _box(b"colr", bytes([1, 0, 0]) + colour.to_bytes(4, "big")))
    return _JP2_SIGNATURE + _box(b"ftyp", b"jp2 \x00\x00\x00\x00jp2 ") + header + _box(b"jp2c", data)


def _box(kind: bytes, contents: bytes) -> bytes:
    """One JP2 box: its length, its type, its contents."""
    return (8 + len(contents)).to_bytes(4, "big") + kind + contents


def _jp2_box(data: bytes, kind: bytes) -> bytes | None:
    """The contents of the first box of ``kind`` among ``data``'s boxes (ISO 15444-1 I.4), or None."""
    found = _jp2_boxes(data, kind)
    return found[0] if found else None


def _jp2_boxes(data: bytes, kind: bytes) -> list[bytes]:
    """The contents of each box of ``kind`` among ``data``'s boxes (ISO 15444-1 I.4: length, type, contents)."""
    found, at = [], 0
    while at + 8 <= len(data):
        length, box = int.from_bytes(data[at : at + 4], "big"), data[at + 4 : at + 8]
        start = at + 8
        if length == 1:  # a 64-bit length follows
            if at + 16 > len(data):
                break
            length, start = int.from_bytes(data[at + 8 : at + 16], "big"), at + 16
        end = len(data) if length == 0 else at + length
        if end < start or end > len(data):
            break
        if box == kind:
            found.append(data[start:end])
        at = end
    return found


def _lzw_unwrapped(stream: pikepdf.Stream) -> bool:
    """Take the LZW layer (and any other general filter) off a stream whose last filter is an image codec —
    ``[/LZWDecode /DCTDecode]``, a JPEG inside LZW (QA117) —, leaving that codec's data byte for byte: qpdf decodes
    a stream only when it can decode every filter, so the general ones are decoded from a copy that lists them
    alone. False (left for the check to report) when the filters are not general ones then one codec, or do not
    decode."""
    filters, parms = stream.get("/Filter"), stream.get("/DecodeParms")
    if not isinstance(filters, pikepdf.Array) or len(filters) < 2:
        return False
    names = [str(name) for name in filters]
    if not set(names[:-1]) <= _GENERAL_FILTERS or names[-1] in _GENERAL_FILTERS:
        return False
    parms_list: list[pikepdf.Dictionary | None] = [
        p if isinstance(p, pikepdf.Dictionary) else None
        for p in (parms if isinstance(parms, pikepdf.Array) else [None] * len(names))
    ]
    if len(parms_list) != len(names):
        return False
    with pikepdf.new() as scratch:
        outer = pikepdf.Stream(scratch, stream.read_raw_bytes())
        outer.Filter = pikepdf.Array([pikepdf.Name(name) for name in names[:-1]])
        if any(p is not None for p in parms_list[:-1]):
            # (each a plain dictionary of numbers: Predictor, Colors, Columns, EarlyChange…)
            outer.DecodeParms = pikepdf.Array(
                [pikepdf.Dictionary({} if p is None else dict(p.items())) for p in parms_list[:-1]]
            )
        try:
            inner = outer.read_bytes()
        except pikepdf.PikepdfError:
            return False
    stream.write(inner, filter=pikepdf.Name(names[-1]), decode_parms=parms_list[-1])
    return True


def _filter_names(filters: pikepdf.Object | None) -> set[str]:
    """A stream's or inline image's filters (one name or an array of them)."""
    if isinstance(filters, pikepdf.Array):
        return {str(f) for f in filters}
    return {str(filters)} if filters is not None else set()


def _device_spaces(space: pikepdf.Object | None) -> set[str]:
    """The device colour spaces (DeviceRGB, DeviceCMYK) a colour space is or falls back to."""
    if isinstance(space, pikepdf.Name):
        name = str(space).lstrip("/")
        return {name} if name in ("DeviceRGB", "DeviceCMYK") else set()
    if isinstance(space, pikepdf.Array) and len(space) > 1:
        family = str(space[0])
        if family in ("/Indexed", "/Pattern"):
            return _device_spaces(space[1])
        if family in ("/Separation", "/DeviceN") and len(space) > 2:
            return _device_spaces(space[2])
    return set()


def _icc_profiles(space: pikepdf.Object | None) -> list[pikepdf.Object]:
    """The profile streams of the ICCBased colour spaces a colour space is or is built on."""
    if not isinstance(space, pikepdf.Array) or len(space) < 2:
        return []
    family = str(space[0])
    if family == "/ICCBased":
        return [space[1]]
    if family in ("/Indexed", "/Pattern"):
        return _icc_profiles(space[1])
    if family in ("/Separation", "/DeviceN") and len(space) > 2:
        return _icc_profiles(space[2])
    return []


def _icc_problems(profile: pikepdf.Object, where: str) -> list[str]:
    if not isinstance(profile, pikepdf.Stream):
        return [f"6.2.4.2: {where} has an ICCBased colour space without a profile stream"]
    components = profile.get("/N")
    if not isinstance(components, int):
        return [f"6.2.4.2: {where} has an ICCBased colour space whose profile stream has no N"]
    try:
        data = profile.read_bytes()
    except pikepdf.PdfError as exc:
        return [f"6.2.4.2: {where} has an ICCBased colour space whose profile cannot be read ({exc})"[:300]]
    why = icc_profile_problem(data, int(components))
    return [f"6.2.4.2: {where} has an ICCBased colour space whose profile {why}"] if why else []


def icc_profile_problem(data: bytes, components: int | None = None) -> str | None:
    """What makes ``data`` unfit to be the profile of an ICCBased colour space in a PDF/A-2 file, or None: it must
    be an ICC profile (ISO 19005-2, 6.2.4.2: up to ISO 15076-1, i.e. ICC version 4), of an input, display, output
    or colour space conversion class, for a gray, RGB, CMYK or Lab colour space (ISO 32000-1, 8.6.5.5) with
    ``components`` (the colour space's N) components. Read from the profile's 128-byte header."""
    if len(data) < 128 or data[36:40] != b"acsp":
        return "is not an ICC profile"
    if int.from_bytes(data[:4], "big") > len(data):
        return f"is cut short ({len(data)} of the {int.from_bytes(data[:4], 'big')} bytes its header gives)"
    if data[8] > 4:
        return f"is ICC version {data[8]}.{data[9] >> 4} (PDF/A-2 allows up to version 4)"
    device_class, space = (data[at : at + 4].decode("latin-1").strip() for at in (12, 16))
    if data[12:16] not in _ICC_CLASSES:
        return f"is of device class {device_class!r} (not input, display, output or colour space)"
    if data[16:20] not in _ICC_COMPONENTS:
        return f"is for colour space {space!r} (not gray, RGB, CMYK or Lab)"
    if components is not None and _ICC_COMPONENTS[data[16:20]] != components:
        return f"is for {space} ({_ICC_COMPONENTS[data[16:20]]} components) where the colour space has N {components}"
    return None


def resource_entries(resources: pikepdf.Dictionary, kind: str) -> Iterator[tuple[str, pikepdf.Object]]:
    group = resources.get(kind)
    if isinstance(group, pikepdf.Dictionary):
        for name, value in group.items():
            yield str(name), value


def inherited_attribute(page: pikepdf.Dictionary, key: str) -> pikepdf.Object | None:
    """A page attribute, from the page or the nearest ancestor in the page tree that has it."""
    node: pikepdf.Object | None = page
    for _ in range(64):
        if not isinstance(node, pikepdf.Dictionary):
            return None
        if key in node:
            return node.get(key)
        node = node.get("/Parent")
    return None


def font_embedded(font: pikepdf.Object) -> bool:
    if font.get("/Subtype") == pikepdf.Name.Type3:
        return True
    if font.get("/Subtype") == pikepdf.Name.Type0:
        descendants: list[pikepdf.Object] = list(font.get("/DescendantFonts", []))
        return bool(descendants) and all(font_embedded(d) for d in descendants)
    descriptor = font.get("/FontDescriptor")
    return descriptor is not None and any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


# ------------------------------------------------------------------------------------------ a second validator
# pikepdf's own PDF/A validator (pikepdf.pdfa, pikepdf ≥ 10.18): an allowlist that approves a file only when every
# construct it meets is one it knows to conform, and checks what the rules above do not — font programs (widths,
# .notdef, cmaps) and each XMP property against the predefined schemas. Its "violation" findings withhold the
# claim; its "unsupported" ones (a construct it does not know: a shading, a pattern, an interactive form) say
# nothing either way and are left to the rules above.
PDFA_SAVE_SETTINGS: dict[str, object] = {
    "object_stream_mode": pikepdf.ObjectStreamMode.generate,
    "min_version": "1.7",
    # False: qpdf rewriting the XMP's pdf:PDFVersion after the check would write an XMP the check never saw
    "fix_metadata_version": False,
}
_NAMESPACE_NOT_PERMITTED = re.compile(r"^XMP namespace (\S+?)=(\S+) is not permitted$")
_PROPERTY_NOT_PERMITTED = re.compile(r"^XMP property (\S+?):(\S+) is not permitted$")
_RULE_CLAUSE = re.compile(r"^ISO_19005_2:([\d.]+)-\d+$")


def second_opinion(pdf: pikepdf.Pdf) -> list[str]:
    """pikepdf.pdfa's violations of PDF/A-2b in ``pdf`` (open, marked PDF/A-2b, as it will be saved with
    ``PDFA_SAVE_SETTINGS``), each as ``"6.2.11.5: glyph widths disagree … (pikepdf.pdfa)"``; [] when it finds none.
    The XMP properties it does not permit — an authoring tool's (Photoshop's colour mode, pdf:Trapped, PDF/X's
    identification), and namespaces declared for none — are taken out first, as ``mend`` takes out undeclared
    schemas: they change nothing a page shows, and the original keeps them."""
    import pikepdf.pdfa as validator

    # fontTools, which the check reads embedded fonts with, logs a WARNING for a font's zero timestamps (sohoa's
    # own GlyphLessFont has them): two English lines on every run's stderr that say nothing to an officer (QA101)
    fonts_log = logging.getLogger("fontTools")
    level = fonts_log.level
    fonts_log.setLevel(logging.ERROR)
    try:
        findings = _violations(validator.check(pdf, "2b", **PDFA_SAVE_SETTINGS))
        if _remove_xmp_not_permitted(pdf, findings):
            findings = _violations(validator.check(pdf, "2b", **PDFA_SAVE_SETTINGS))
    finally:
        fonts_log.setLevel(level)
    said = []
    for finding in findings:
        clause = found.group(1) if (found := _RULE_CLAUSE.match(finding.rule)) else finding.rule
        message = finding.message if len(finding.message) <= 200 else f"{finding.message[:200]}…"
        said.append(f"{clause}: {message} ({finding.where}; pikepdf.pdfa)")
    return _first(said)


def _violations(report: Any) -> list[Any]:
    return [f for f in getattr(report, "findings", []) if getattr(f, "kind", None) == "violation"]


def _remove_xmp_not_permitted(pdf: pikepdf.Pdf, findings: list[Any]) -> bool:
    """Take out of ``pdf``'s XMP each property, and each namespace's declaration, a 6.6.2.3.1 finding names; whether
    anything was taken out."""
    from lxml import etree

    namespaces: set[str] = set()
    properties: set[tuple[str, str]] = set()  # (prefix, local name)
    for finding in findings:
        message = str(getattr(finding, "message", ""))
        if found := _NAMESPACE_NOT_PERMITTED.match(message):
            namespaces.add(found.group(2))
        elif found := _PROPERTY_NOT_PERMITTED.match(message):
            properties.add((found.group(1), found.group(2)))
    stream = pdf.Root.get("/Metadata")
    if not (namespaces or properties) or not isinstance(stream, pikepdf.Stream):
        return False
    try:
        root = etree.fromstring(stream.read_bytes(), etree.XMLParser(remove_blank_text=False))
    except etree.XMLSyntaxError:
        return False
    removed = False
    for description in root.iter(f"{{{_RDF}}}Description"):
        for name in list(description.attrib):
            if _names_one_of(name, description, namespaces, properties):
                del description.attrib[name]
                removed = True
        for child in list(description):
            if isinstance(child.tag, str) and _names_one_of(child.tag, child, namespaces, properties):
                description.remove(child)
                removed = True
    # a namespace declared for no property left: what the finding named of it
    etree.cleanup_namespaces(root)
    packet = etree.tostring(root, encoding="utf-8")
    stream.write(
        b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>\n' + packet + b'\n<?xpacket end="w"?>'
    )
    return removed or bool(namespaces)


def _names_one_of(name: str, element: object, namespaces: set[str], properties: set[tuple[str, str]]) -> bool:
    if not name.startswith("{"):
        return False
    uri, _, local = name[1:].partition("}")
    if uri in namespaces:
        return True
    prefixes = getattr(element, "nsmap", {}) or {}
    return any(prefixes.get(prefix) == uri and local == wanted for prefix, wanted in properties)
