"""A scanner's page — one image over the whole page — is read from its image's own pixels, not rendered: rendering
drew the same pixels resampled a pixel wider, ~50–70 ms an A4 page. Any other page is rendered as before."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from ocr.inputs import inspect_input, plain_page_image
from ocr.pipeline import plan_pages
from sohoa.pdfium import open_pdf


def noise(mode: str, size: tuple[int, int], seed: int = 1) -> Image.Image:
    """An image every pixel of which tells whether it was resampled or moved."""
    channels = {"L": 1, "RGB": 3}[mode]
    shape = (size[1], size[0], channels) if channels > 1 else (size[1], size[0])
    return Image.fromarray(np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8), mode)


def scan_pdf(
    path: Path,
    image: Image.Image,
    dpi: float,
    *,
    jpeg: bool = False,
    image_keys: dict[str, object] | None = None,
    content: bytes | None = None,
    crop: list[float] | None = None,
    rotate: int = 0,
    annotated: str = "",
) -> Path:
    """A one-page PDF drawing ``image`` over the whole page at ``dpi``, as a scanner writes it; the keyword
    arguments make it otherwise."""
    width, height = image.width * 72 / dpi, image.height * 72 / dpi
    with pikepdf.new() as pdf:
        if jpeg:
            data = io.BytesIO()
            image.save(data, "JPEG", quality=90)
            stream = pdf.make_stream(data.getvalue())
            stream.Filter = pikepdf.Name.DCTDecode
        else:
            stream = pdf.make_stream(image.tobytes())  # pikepdf compresses it with Deflate when it saves
        stream.Type, stream.Subtype = pikepdf.Name.XObject, pikepdf.Name.Image
        stream.Width, stream.Height, stream.BitsPerComponent = image.width, image.height, 8
        stream.ColorSpace = pikepdf.Name.DeviceGray if image.mode == "L" else pikepdf.Name.DeviceRGB
        for key, value in (image_keys or {}).items():
            stream[key] = value
        drawn = content if content is not None else f"q {width:.4f} 0 0 {height:.4f} 0 0 cm /Im0 Do Q".encode()
        page = pikepdf.Dictionary(
            Type=pikepdf.Name.Page,
            MediaBox=[0, 0, width, height],
            Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Im0=stream)),
            Contents=pdf.make_stream(drawn),
        )
        if crop is not None:
            page.CropBox = crop
        if rotate:
            page.Rotate = rotate
        if annotated:  # (its subtype)
            note = pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=pikepdf.Name(annotated), Rect=[10, 10, 40, 40])
            page.Annots = pdf.make_indirect(pikepdf.Array([pdf.make_indirect(note)]))
        pdf.pages.append(pikepdf.Page(page))
        pdf.save(path)
    return path


def test_a_scanners_page_is_its_images_own_pixels(tmp_path: Path) -> None:
    for mode, size, dpi in (("L", (1654, 2339), 200), ("RGB", (301, 412), 150)):
        image = noise(mode, size)
        source = scan_pdf(tmp_path / f"{mode}.pdf", image, dpi)
        with pikepdf.open(source) as pdf:
            assert plain_page_image(pdf.pages[0])
        with open_pdf(source) as pdf:
            taken = pdf.page_image(0, dpi)
            rendered = pdf.render(0, scale=dpi / 72).convert(mode)
        assert taken is not None and taken.mode == mode
        assert taken.tobytes() == image.tobytes()
        # what rendering drew: the page resampled, an A4 page at 200 dpi a pixel wider (595.44 pt × 200 / 72,
        # rounded up), the other at its size but not its pixels (its width in points is not exact)
        assert rendered.tobytes() != image.tobytes()
        assert rendered.size == ((1655, 2339) if mode == "L" else size)


def test_a_jpeg_scan_is_decoded_as_rendering_decodes_it(tmp_path: Path) -> None:
    image = noise("L", (300, 400)).resize((150, 200)).resize((300, 400))  # smooth enough for JPEG to keep
    source = scan_pdf(tmp_path / "scan.pdf", image, 100, jpeg=True)
    with open_pdf(source) as pdf:
        taken = pdf.page_image(0, 100)
        rendered = pdf.render(0, scale=100 / 72).convert("L")
    assert taken is not None and taken.size == rendered.size == (300, 400)
    assert taken.tobytes() == rendered.tobytes()  # at a whole number of pixels PDFium draws them as they are


def test_a_page_turned_by_rotate_is_its_image_turned_as_displayed(tmp_path: Path) -> None:
    image = noise("L", (300, 400)).resize((30, 40)).resize((300, 400), Image.Resampling.NEAREST)
    source = scan_pdf(tmp_path / "turned.pdf", image, 100, rotate=90)
    with open_pdf(source) as pdf:
        taken = pdf.page_image(0, 100)
        rendered = pdf.render(0, scale=100 / 72).convert("L")
    assert taken is not None and taken.size == rendered.size == (400, 300)
    # turned clockwise, as displayed: the blocks of 10 pixels match the rendering but at their edges
    difference = np.abs(np.asarray(taken, dtype=np.int16) - np.asarray(rendered, dtype=np.int16))
    assert np.median(difference) == 0
    assert taken.tobytes() == image.rotate(-90, expand=True).tobytes()


@pytest.mark.parametrize(
    ("keys", "why"),
    [
        ({"/Decode": [1, 0]}, "its values inverted by /Decode"),
        ({"/SMask": "mask"}, "a soft mask over it"),
        ({"/Interpolate": True, "/ColorSpace": pikepdf.Array([pikepdf.Name.ICCBased, "icc"])}, "an ICC colour space"),
    ],
)
def test_an_image_whose_pixels_are_not_what_it_shows_is_rendered(tmp_path: Path, keys: dict, why: str) -> None:
    source = scan_pdf(tmp_path / "scan.pdf", noise("L", (200, 200)), 100)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        image = pdf.pages[0].Resources.XObject.Im0
        for key, value in keys.items():
            if value == "mask":
                value = pdf.make_stream(bytes(200 * 200), Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Image)
                value.Width, value.Height, value.BitsPerComponent = 200, 200, 8
                value.ColorSpace = pikepdf.Name.DeviceGray
            elif isinstance(value, pikepdf.Array) and "icc" in [str(v) for v in value]:
                value = pikepdf.Array([pikepdf.Name.ICCBased, pdf.make_stream(b"", N=1)])
            image[key] = value
        pdf.save(source)
        assert not plain_page_image(pdf.pages[0]), why
    assert 1 not in inspect_input(source).plain_image_pages


def test_a_page_that_shows_its_image_otherwise_is_rendered(tmp_path: Path) -> None:
    """QA113: a graphics state with /ca 0 or a soft mask, an image in a hidden layer, a document with layers, a
    transparency group: the page does not show the image's pixels as they are."""
    image = noise("L", (200, 300))
    side, high = 200 * 72 / 100, 300 * 72 / 100
    drawn = f"q /GS0 gs {side} 0 0 {high} 0 0 cm /Im0 Do Q".encode()
    invisible = scan_pdf(tmp_path / "invisible.pdf", image, 100, content=drawn)
    hidden = scan_pdf(tmp_path / "hidden.pdf", image, 100)
    layered = scan_pdf(tmp_path / "layered.pdf", image, 100)
    grouped = scan_pdf(tmp_path / "grouped.pdf", image, 100)
    with pikepdf.open(invisible, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Resources.ExtGState = pikepdf.Dictionary(GS0=pikepdf.Dictionary(ca=0))
        pdf.save(invisible)
    for path in (hidden, layered):
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            layer = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name="scan"))
            pdf.Root.OCProperties = pikepdf.Dictionary(
                OCGs=[layer], D=pikepdf.Dictionary(OFF=[layer] if path == hidden else [])
            )
            if path == hidden:
                pdf.pages[0].Resources.XObject.Im0.OC = layer
            pdf.save(path)
    with pikepdf.open(grouped, allow_overwriting_input=True) as pdf:
        pdf.pages[0].obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency)
        pdf.save(grouped)
    for path in (invisible, hidden, layered, grouped):
        assert 1 not in inspect_input(path).plain_image_pages, path.name
    with pikepdf.open(invisible) as pdf:
        assert not plain_page_image(pdf.pages[0])


def test_an_image_pdfium_cannot_decode_as_described_is_rendered(tmp_path: Path) -> None:
    """QA113: a grey JPEG whose dictionary says RGB stopped the whole file, "internal error"."""
    source = scan_pdf(tmp_path / "grey-said-rgb.pdf", noise("L", (200, 300)), 100, jpeg=True)
    with pikepdf.open(source, allow_overwriting_input=True) as pdf:
        pdf.pages[0].Resources.XObject.Im0.ColorSpace = pikepdf.Name.DeviceRGB
        pdf.save(source)
        assert plain_page_image(pdf.pages[0])
    with open_pdf(source) as pdf:
        assert pdf.page_image(0, 100) is None
        assert pdf.render(0, scale=100 / 72).size == (200, 300)


def test_a_page_drawn_otherwise_than_its_image_is_rendered(tmp_path: Path) -> None:
    image = noise("L", (200, 300))
    side, high = 200 * 72 / 100, 300 * 72 / 100
    drawn_otherwise = {
        "turned": f"q 0 {high} {-side} 0 {side} 0 cm /Im0 Do Q".encode(),
        "mirrored": f"q {-side} 0 0 {high} {side} 0 cm /Im0 Do Q".encode(),
        "smaller than the page": f"q {side / 2} 0 0 {high / 2} 0 0 cm /Im0 Do Q".encode(),
        "clipped": f"q 10 10 50 50 re W n {side} 0 0 {high} 0 0 cm /Im0 Do Q".encode(),
        # a clip whose points all lie on the image's edges, yet cuts it (QA113)
        "clipped to a triangle": f"q 0 0 m {side} 0 l 0 {high} l h W n {side} 0 0 {high} 0 0 cm /Im0 Do Q".encode(),
        "clipped to an arch": (
            f"q 0 0 m {side} 0 l {side} {high} 0 {high} 0 {high} c 0 0 l h W n {side} 0 0 {high} 0 0 cm /Im0 Do Q"
        ).encode(),
        "drawn under a rectangle": f"q {side} 0 0 {high} 0 0 cm /Im0 Do Q 0 0 20 20 re f".encode(),
    }
    for name, content in drawn_otherwise.items():
        source = scan_pdf(tmp_path / f"{name}.pdf", image, 100, content=content)
        with open_pdf(source) as pdf:
            assert pdf.page_image(0, 100) is None, name
    cropped = scan_pdf(tmp_path / "cropped.pdf", image, 100, crop=[0, 0, side / 2, high])
    with open_pdf(cropped) as pdf:
        assert pdf.page_image(0, 100) is None  # the crop box shows part of the image
    whole = scan_pdf(
        tmp_path / "whole.pdf",
        image,
        100,
        content=f"q 0 0 {side} {high} re W n {side} 0 0 {high} 0 0 cm /Im0 Do Q".encode(),
    )
    with open_pdf(whole) as pdf:
        taken = pdf.page_image(0, 100)  # a clip around the whole image cuts nothing
        assert taken is not None and taken.tobytes() == image.tobytes()
        assert pdf.page_image(0, 150) is None  # at another resolution it is rendered, scaled
    # an annotation is drawn over the page by a viewer, not read with it (QA168 F3): the page is its image still —
    # but for one that covers what the page shows, with which it is read, rendered (QA172 F1)
    annotated = scan_pdf(tmp_path / "annotated.pdf", image, 100, annotated="/Text")
    with pikepdf.open(annotated) as pdf:
        assert plain_page_image(pdf.pages[0])
    assert inspect_input(annotated).plain_image_pages == {1}
    with open_pdf(annotated) as pdf:
        taken = pdf.page_image(0, 100)
        assert taken is not None and taken.tobytes() == image.tobytes()
    covered = scan_pdf(tmp_path / "covered.pdf", image, 100, annotated="/Square")
    assert inspect_input(covered).plain_image_pages == frozenset()
    assert inspect_input(covered).covered_pages == {1}


def test_a_scan_is_read_at_its_own_width_not_a_pixel_wider(tmp_path: Path) -> None:
    """The page image Tesseract reads is the scan's own pixels: 1654 px across at 200 dpi, where rendering drew
    1655 (595.44 pt × 200 / 72, rounded up)."""
    image = Image.new("L", (1654, 2339), 255)
    image.paste(0, (200, 300, 1400, 340))  # a line of "print", so the page is not blank
    source = scan_pdf(tmp_path / "scan.pdf", image, 200)
    info = inspect_input(source)
    assert info.plain_image_pages == {1}
    (plan,) = plan_pages(info, source, tmp_path, default_dpi=300, bands=1)
    assert plan.dpi == 200 and plan.image_path is not None
    with Image.open(plan.image_path) as read:
        assert read.size == (1654, 2339)
