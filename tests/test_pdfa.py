"""sohoa.pdfa: the PDF/A-2 rules checked on a PDF's objects, and the mends that change nothing a page shows.

Each case breaks one rule in an otherwise conforming one-page PDF (built here with pikepdf, as inputs arrive
with these features) and expects the clause that names it."""

from __future__ import annotations

from collections.abc import Callable

import pikepdf
import pytest

from ocr.pipeline import add_pdfa_output_intent
from sohoa.pdfa import MAX_PROBLEMS, document_problems, mend, painted_device_spaces


def conforming() -> pikepdf.Pdf:
    """One page drawing a grey image, in DeviceRGB and DeviceGray, with an sRGB output intent and XMP."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(200, 200))
    image = pdf.make_stream(
        b"\x80" * 16, Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image, Width=4, Height=4,
        ColorSpace=pikepdf.Name.DeviceGray, BitsPerComponent=8,
    )  # fmt: skip
    page = pdf.pages[0]
    page.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=image))
    page.Contents = pdf.make_stream(b"q 1 0 0 rg 0.5 g 100 0 0 100 50 50 cm /Im0 Do Q")
    add_pdfa_output_intent(pdf)
    with pdf.open_metadata() as meta:
        meta["dc:title"] = "Giấy khai sinh"
    return pdf


def test_a_conforming_page_has_no_problems() -> None:
    assert document_problems(conforming()) == []


def _content(pdf: pikepdf.Pdf, data: bytes) -> None:
    pdf.pages[0].Contents = pdf.make_stream(data)


def _resource(pdf: pikepdf.Pdf, kind: str, value: pikepdf.Object) -> None:
    pdf.pages[0].Resources[kind] = pikepdf.Dictionary(X1=value)


def _image(pdf: pikepdf.Pdf) -> pikepdf.Object:
    return pdf.pages[0].Resources.XObject.Im0


def _nested_form(pdf: pikepdf.Pdf) -> None:
    inner = pdf.make_stream(b"0 0 0 1 k 0 0 10 10 re f", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form)
    inner.BBox = [0, 0, 10, 10]
    outer = pdf.make_stream(b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10])
    outer.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner))
    pdf.pages[0].Resources.XObject.Outer = outer


def _annotation(pdf: pikepdf.Pdf, **entries: object) -> None:
    annot = pikepdf.Dictionary(
        {"/Type": pikepdf.Name.Annot, "/Rect": [0, 0, 20, 20], "/F": 4}
        | {f"/{key}": value for key, value in entries.items()}
    )
    pdf.pages[0].Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(annot)]))


def _unembedded_font(pdf: pikepdf.Pdf) -> None:
    font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica)
    pdf.pages[0].Resources.Font = pikepdf.Dictionary(F1=font)
    _content(pdf, b"BT /F1 12 Tf 10 10 Td (Xin chao) Tj ET")


BREAKERS: list[tuple[str, Callable[[pikepdf.Pdf], None], str]] = [
    ("cmyk fill", lambda pdf: _content(pdf, b"0 0 0 1 k 0 0 10 10 re f"), "6.2.4.3: page 1 paints in DeviceCMYK"),
    ("cmyk image", lambda pdf: _image(pdf).__setattr__("ColorSpace", pikepdf.Name.DeviceCMYK), "DeviceCMYK"),
    (
        "indexed over cmyk",
        lambda pdf: _image(pdf).__setattr__(
            "ColorSpace", pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceCMYK, 0, b"\0\0\0\0"])
        ),
        "DeviceCMYK",
    ),
    (
        "separation with a cmyk alternate",
        lambda pdf: _resource(
            pdf,
            "/ColorSpace",
            pikepdf.Array(
                [pikepdf.Name.Separation, pikepdf.Name("/Đỏ"), pikepdf.Name.DeviceCMYK, pdf.make_stream(b"")]
            ),
        ),
        "DeviceCMYK",
    ),
    (
        "cmyk inline image",
        lambda pdf: _content(pdf, b"q 10 0 0 10 0 0 cm BI /W 1 /H 1 /CS /CMYK /BPC 8 ID \x00\x00\x00\xff EI Q"),
        "DeviceCMYK",
    ),
    ("cmyk inside a nested form", _nested_form, "DeviceCMYK"),
    ("font not embedded", _unembedded_font, "6.2.11.4.1: page 1 uses font /Helvetica"),
    (
        "transfer function",
        lambda pdf: _resource(pdf, "/ExtGState", pikepdf.Dictionary(TR=pikepdf.Name.Identity)),
        "6.2.5",
    ),
    ("lzw image", lambda pdf: _image(pdf).__setattr__("Filter", pikepdf.Name.LZWDecode), "6.1.7.2"),
    (
        "postscript xobject",
        lambda pdf: pdf.pages[0].Resources.XObject.__setitem__(
            "/PS0", pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.PS)
        ),
        "6.2.9",
    ),  # fmt: skip
    (
        "javascript on opening",
        lambda pdf: pdf.Root.__setattr__(
            "OpenAction", pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)")
        ),
        "6.5.1: the document's open action runs a JavaScript action",
    ),
    (
        "launch chained after a goto",
        lambda pdf: pdf.Root.__setattr__(
            "OpenAction",
            pikepdf.Dictionary(
                S=pikepdf.Name.GoTo, D=[0, pikepdf.Name.Fit], Next=pikepdf.Dictionary(S=pikepdf.Name.Launch)
            ),
        ),
        "runs a Launch action",
    ),
    ("catalogue additional actions", lambda pdf: pdf.Root.__setattr__("AA", pikepdf.Dictionary()), "6.5.2"),
    (
        "additional actions on one of two direct form fields",
        lambda pdf: pdf.Root.__setattr__(
            "AcroForm",
            pikepdf.Dictionary(Fields=[pikepdf.Dictionary(T="a", AA=pikepdf.Dictionary()), pikepdf.Dictionary(T="b")]),
        ),
        "6.5.2: form field a has additional actions",
    ),
    (
        "embedded file",
        lambda pdf: pdf.Root.__setattr__("Names", pikepdf.Dictionary(EmbeddedFiles=pikepdf.Dictionary(Names=[]))),
        "6.8",
    ),
    ("movie annotation", lambda pdf: _annotation(pdf, Subtype=pikepdf.Name.Movie), "6.3.1"),
    ("hidden annotation", lambda pdf: _annotation(pdf, Subtype=pikepdf.Name.Text, F=2), "6.3.2"),
    # QA68: a page drawing /Im9 and /F9, which it does not hold, then stray tokens, was claimed PDF/A; qpdf --check
    # failed on the output
    ("an image it does not hold", lambda pdf: _content(pdf, b"/Im9 Do"), "6.2.2: page 1 draws /Im9, which its"),
    ("a font it does not hold", lambda pdf: _content(pdf, b"BT /F9 12 Tf (x) Tj ET"), "page 1 draws /F9, which"),
    ("stray tokens", lambda pdf: _content(pdf, b"q Q ]]]] <<<< x"), "6.2.2: page 1's content has syntax errors"),
    (
        "an operator pdf does not define, even between BX and EX",
        lambda pdf: _content(pdf, b"BX 1 2 zz EX q \x9c\x01 Q"),
        "6.2.2: page 1's content holds operators PDF does not define (zz, \\x9c\\x01)",
    ),
    ("pdf 2.0", lambda pdf: pdf.Root.__setattr__("Version", pikepdf.Name("/2.0")), "6.1.2"),
    ("no output intent", lambda pdf: pdf.Root.__delattr__("OutputIntents"), "6.2.3: no GTS_PDFA1 output intent"),
    (
        "a pdf/x intent with another profile",
        lambda pdf: pdf.Root.OutputIntents.append(
            pikepdf.Dictionary(S=pikepdf.Name.GTS_PDFX, DestOutputProfile=pdf.make_stream(b"x", N=4))
        ),
        "6.2.3: output intents with different profiles",
    ),
    (
        "optional content with AS",
        lambda pdf: pdf.Root.__setattr__(
            "OCProperties", pikepdf.Dictionary(OCGs=[], D=pikepdf.Dictionary(Name="Mặc định", AS=[]))
        ),
        "6.9",
    ),
]


@pytest.mark.parametrize(("name", "breaker", "expected"), BREAKERS, ids=[case[0] for case in BREAKERS])
def test_each_broken_rule_is_named_by_its_clause(
    name: str, breaker: Callable[[pikepdf.Pdf], None], expected: str
) -> None:
    pdf = conforming()
    breaker(pdf)
    problems = document_problems(pdf)
    assert any(expected in problem for problem in problems), problems


def test_device_rgb_needs_an_rgb_intent() -> None:
    pdf = conforming()
    pdf.Root.OutputIntents[0].DestOutputProfile.N = 4  # a CMYK press profile
    assert any("paints in DeviceRGB" in problem for problem in document_problems(pdf))


def test_painted_device_spaces_finds_cmyk_however_it_is_painted() -> None:
    """What decides whether an input's PDF/X press profile is kept (``drop_unused_press_intents``): DeviceCMYK
    painted by an operator, a Separation's alternate, a soft mask's group or a page's blending space; gray is
    not counted (any intent describes it)."""
    pdf = conforming()
    assert painted_device_spaces(pdf) == {"DeviceRGB"}  # its "1 0 0 rg"
    pdf.pages[0].Contents = pdf.make_stream(b"0.5 g 0 0 10 10 re f")
    assert painted_device_spaces(pdf) == set()
    ways: list[Callable[[pikepdf.Pdf], None]] = [
        lambda pdf: pdf.pages[0].__setattr__("Contents", pdf.make_stream(b"0 0 0 1 k")),
        lambda pdf: pdf.pages[0].Resources.__setattr__(
            "ColorSpace",
            pikepdf.Dictionary(Spot=[pikepdf.Name.Separation, pikepdf.Name.Gold, pikepdf.Name.DeviceCMYK, 0]),
        ),
        lambda pdf: pdf.pages[0].obj.__setattr__(
            "Group", pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceCMYK)
        ),
        lambda pdf: pdf.pages[0].Resources.__setattr__(
            "ExtGState",
            pikepdf.Dictionary(
                GS=pikepdf.Dictionary(
                    SMask=pikepdf.Dictionary(
                        S=pikepdf.Name.Luminosity, G=pdf.make_stream(b"0 0 0 1 k", BBox=[0, 0, 1, 1])
                    )
                )
            ),
        ),
    ]
    for way in ways:
        pdf = conforming()
        way(pdf)
        assert "DeviceCMYK" in painted_device_spaces(pdf)


def test_a_long_document_lists_a_few_problems_not_one_per_page() -> None:
    pdf = conforming()
    for _ in range(58):
        pdf.add_blank_page(page_size=(200, 200))
        pdf.pages[-1].Contents = pdf.make_stream(b"0 0 0 1 k")
        pdf.pages[-1].AA = pikepdf.Dictionary()
    problems = document_problems(pdf)
    assert len(problems) == MAX_PROBLEMS + 1 and problems[-1].startswith("… and ")


def test_mend_fixes_what_changes_nothing_a_page_shows() -> None:
    pdf = conforming()
    _image(pdf).Interpolate = True
    link = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Link, Rect=[0, 0, 20, 20])
    appearance = pdf.make_stream(b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 20, 20])
    box = pikepdf.Dictionary(
        Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Square, Rect=[0, 0, 20, 20], F=4,
        AP=pikepdf.Dictionary(N=appearance, D=appearance, R=appearance),
    )  # fmt: skip
    pdf.pages[0].Annots = pikepdf.Array([pdf.make_indirect(link), pdf.make_indirect(box)])
    with pdf.open_metadata() as meta:
        meta["{http://ns.adobe.com/illustrator/1.0/}StartupProfile"] = "Print"
    pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=[], D=pikepdf.Dictionary(ON=[]))
    before = document_problems(pdf)
    assert {p.split(":")[0] for p in before} == {"6.2.8", "6.3.2", "6.3.3", "6.6.2.3.1", "6.9"}, before

    changed = mend(pdf)

    assert len(changed) == 6, changed
    assert document_problems(pdf) == []
    assert "/Interpolate" not in _image(pdf) and int(pdf.pages[0].Annots[0].F) == 4
    assert list(pdf.pages[0].Annots[1].AP.keys()) == ["/N"]
    assert pdf.open_metadata()["dc:title"] == "Giấy khai sinh"  # the declared schemas' properties stay
    assert mend(pdf) == []


def test_fields_of_xmp_value_types_written_as_nested_descriptions_are_predefined() -> None:
    """pyHanko rewrites an input's xmp:Thumbnails with its fields as attributes of a nested rdf:Description."""
    pdf = conforming()
    xmp = pdf.Root.Metadata.read_bytes().decode()
    thumbnail = (
        '<xmp:Thumbnails xmlns:xmp="http://ns.adobe.com/xap/1.0/"><rdf:Alt><rdf:li><rdf:Description '
        'xmlns:xmpGImg="http://ns.adobe.com/xap/1.0/g/img/" xmpGImg:format="JPEG" xmpGImg:width="256"/>'
        "</rdf:li></rdf:Alt></xmp:Thumbnails>"
    )
    description_end = xmp.index("</rdf:Description>")
    pdf.Root.Metadata.write((xmp[:description_end] + thumbnail + xmp[description_end:]).encode())
    assert "ns.adobe.com/xap/1.0/g/img" in pdf.Root.Metadata.read_bytes().decode()
    assert document_problems(pdf) == []
    private = (
        xmp[:description_end]
        + '<ai:StartupProfile xmlns:ai="http://ns.adobe.com/illustrator/1.0/">Print</ai:StartupProfile>'
    )
    pdf.Root.Metadata.write((private + xmp[description_end:]).encode())
    assert document_problems(pdf) == [
        "6.6.2.3.1: XMP properties in undeclared schema http://ns.adobe.com/illustrator/1.0/"
    ]


def _icc(version: int = 2, device_class: bytes = b"prtr", space: bytes = b"CMYK", size: int = 132) -> bytes:
    """An ICC profile's 128-byte header (ICC.1, 7.2) and an empty tag table: what the checks read."""
    header = size.to_bytes(4, "big") + b"lcms" + bytes([version, 0x10, 0, 0]) + device_class + space + b"Lab "
    header += bytes(12) + b"acsp"
    return header + bytes(132 - len(header))  # ``size``: the length the header gives, not always the data's


def _icc_image(pdf: pikepdf.Pdf, profile: bytes, components: int) -> None:
    """The page's image painted in an ICCBased colour space with ``profile`` (N ``components``)."""
    image = _image(pdf)
    image.write(b"\x80" * 16 * components)
    image.ColorSpace = pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(profile, N=components)])


def test_an_icc_based_cmyk_image_needs_no_cmyk_intent() -> None:
    """PDF/A-2 6.2.4.2: a CMYK image in an ICCBased colour space is device-independent, allowed beside the sRGB
    output intent (where DeviceCMYK is not); version 4 profiles are allowed, as are input and display ones."""
    for profile in (_icc(), _icc(version=4), _icc(device_class=b"scnr")):
        pdf = conforming()
        _icc_image(pdf, profile, 4)
        assert document_problems(pdf) == [], profile[:20]


@pytest.mark.parametrize(
    ("profile", "components", "expected"),
    [
        (_icc(space=b"RGB "), 4, "whose profile is for RGB (3 components) where the colour space has N 4"),
        (_icc(), 3, "whose profile is for CMYK (4 components) where the colour space has N 3"),
        (_icc(version=5), 4, "whose profile is ICC version 5.1 (PDF/A-2 allows up to version 4)"),
        (_icc(device_class=b"link"), 4, "whose profile is of device class 'link'"),
        (_icc(space=b"HSV "), 3, "whose profile is for colour space 'HSV'"),
        (b"\xff\xd8\xff\xe0 a JPEG, not a profile" * 8, 4, "whose profile is not an ICC profile"),
        (_icc(size=4000), 4, "whose profile is cut short (132 of the 4000 bytes its header gives)"),
    ],
    ids=["rgb for n 4", "cmyk for n 3", "version 5", "device link", "hsv", "not icc", "cut short"],
)
def test_an_icc_based_colour_space_whose_profile_pdfa_does_not_accept_is_named(
    profile: bytes, components: int, expected: str
) -> None:
    """QA: the checks took any ICCBased colour space as device-independent, whatever its profile: a CMYK JPEG
    carrying an RGB profile (its N 4) was claimed PDF/A-2B, and Ghostscript painted its page black."""
    pdf = conforming()
    _icc_image(pdf, profile, components)
    problems = document_problems(pdf)
    assert len(problems) == 1 and problems[0].startswith("6.2.4.2: page 1 has an ICCBased colour space"), problems
    assert expected in problems[0], problems


def test_one_profile_shared_by_many_pages_is_named_once() -> None:
    pdf = conforming()
    _icc_image(pdf, _icc(version=5), 4)
    for _ in range(3):
        pdf.pages.append(pdf.pages[0])
    assert len(document_problems(pdf)) == 1
