"""Decree 30 visible signatures: rendered with poppler and checked pixel by pixel, text read back."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pikepdf
import pytest
from PIL import Image
from signing_images import decree30_look, make_seal, make_signature
from signing_pki import TestPKI
from test_signing import make_pdf

from signing import SigningConfigError, SigningIdentity, sign_pdf, verify_pdf
from signing.appearance import VN_TZ, Appearance, font_for_pdf

FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf")
ISO_VN = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+07:00")

pytestmark = [
    pytest.mark.skipif(not FONT.is_file(), reason="fonts-liberation2 not installed"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed"),
]


def _render(pdf: Path, page: int, out: Path) -> Image.Image:
    subprocess.run(
        ["pdftoppm", "-r", "72", "-png", "-singlefile", "-f", str(page), "-l", str(page), str(pdf), str(out)],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return Image.open(f"{out}.png").convert("RGB")


def _bbox(img: Image.Image, box: tuple[int, int, int, int], test) -> tuple[int, int, int, int] | None:  # type: ignore[no-untyped-def]
    xs, ys = [], []
    px = img.load()
    for x in range(box[0], box[2]):
        for y in range(box[1], box[3]):
            if test(px[x, y]):
                xs.append(x)
                ys.append(y)
    return (min(xs), min(ys), max(xs), max(ys)) if xs else None


def _red(p: tuple[int, int, int]) -> bool:
    return p[0] > 150 and p[1] < 110 and p[2] < 110


def _blue(p: tuple[int, int, int]) -> bool:
    return p[2] > 120 and p[0] < 100 and p[1] < 120


def _dark(p: tuple[int, int, int]) -> bool:
    return max(p) < 90


def _appearance_text(pdf: Path, page: int) -> str:
    """The /ActualText of the text drawn in the signature widgets' appearance streams, widget after widget."""
    texts: list[str] = []
    with pikepdf.open(pdf) as doc:
        for annot in doc.pages[page].get("/Annots", []):
            if annot.get("/FT") == "/Sig" and "/AP" in annot:
                for operands, op in pikepdf.parse_content_stream(annot.AP.N):
                    if str(op) == "BDC" and len(operands) == 2 and "/ActualText" in operands[1]:
                        texts.append(str(operands[1].ActualText))
    return "\n".join(texts)


def test_decree30_seal_over_left_third_of_signature(tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity) -> None:
    look = decree30_look(tmp_path, FONT)
    out = tmp_path / "signed.pdf"
    facts = sign_pdf(
        make_pdf(tmp_path / "in.pdf", pages=2), out, signer, appearance=look, level="B-T", tsa_url=test_pki.tsa_url
    )
    result = verify_pdf(out, [test_pki.root_cert], online=True)  # B-B: revocation asked of the test PKI
    assert result.passed, result.model_dump_json(indent=2)

    # The last page, bottom right: seal (red) and signature (blue); the seal covers the signature's left third.
    img = _render(out, 2, tmp_path / "page2")
    w, h = img.size
    region = (w // 2 - 40, h - 170, w, h - 40)
    red, blue = _bbox(img, region, _red), _bbox(img, region, _blue)
    assert red and blue, "seal or signature not drawn"
    assert red[0] < blue[0] < red[2], (red, blue)
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 < overlap < 0.45, overlap
    assert _bbox(img, (0, 0, w, h // 2), _red) is None  # nothing on the upper half
    assert _bbox(_render(out, 1, tmp_path / "page1"), (0, 0, w, h), _red) is None  # nor on page 1

    text = _appearance_text(out, 1)
    assert "Ký bởi: Nguyễn Văn An" in text and "Cơ quan: UBND xã Tân Thịnh" in text
    (shown,) = ISO_VN.findall(text)
    assert shown == facts.signed_at.astimezone(VN_TZ).isoformat(timespec="seconds")
    assert facts.signed_at.astimezone(VN_TZ).utcoffset() == timedelta(hours=7)

    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, timeout=60).stdout
    assert "LiberationSerif" in fonts and " yes yes " in fonts  # embedded, subset


def test_signer_then_body_seal_two_signatures_decree30(
    tmp_path: Path, test_pki: TestPKI, signer: SigningIdentity
) -> None:
    """Decree 30's two signatures: the signer's (blue signature image), then the body's with its own key (red
    seal over the left third of the signer's image). The second revision leaves the first signature intact."""
    seal, signature = make_seal(tmp_path / "seal.png"), make_signature(tmp_path / "sig.png")
    person = Appearance(kind="signer", signer="Nguyễn Văn An", organisation="", font=FONT, signature_image=signature)
    first = tmp_path / "signed-by-person.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf", pages=2), first, signer, appearance=person)
    img = _render(first, 2, tmp_path / "person")
    w, h = img.size
    region = (w // 2 - 140, h - 200, w, h - 20)  # the seal reaches left of the signer's block
    assert _bbox(img, region, _blue) is not None and _bbox(img, region, _red) is None

    body = Appearance(
        kind="seal", signer="", organisation="UBND xã Tân Thịnh", font=FONT, seal_image=seal, signature_image=signature
    )
    both = tmp_path / "sealed.pdf"
    sign_pdf(first, both, signer, appearance=body, field_name="Signature2")
    result = verify_pdf(both, [test_pki.root_cert], online=True)
    assert [s.indication for s in result.signatures] == ["TOTAL_PASSED", "TOTAL_PASSED"], result.model_dump_json()

    img = _render(both, 2, tmp_path / "both")
    red, blue = _bbox(img, region, _red), _bbox(img, region, _blue)
    assert red and blue, "seal or signature not drawn"
    assert red[0] < blue[0] < red[2], (red, blue)
    overlap = (red[2] - blue[0]) / (blue[2] - blue[0])
    assert 0.2 < overlap < 0.45, overlap
    text = _appearance_text(both, 1)
    assert "Ký bởi: Nguyễn Văn An" in text and "UBND xã Tân Thịnh" in text
    assert len(ISO_VN.findall(text)) == 2  # each signature shows its own time at +07:00


def test_seal_without_a_signer_signature_is_a_config_error(tmp_path: Path, signer: SigningIdentity) -> None:
    body = Appearance(kind="seal", signer="", organisation="UBND", font=FONT, seal_image=make_seal(tmp_path / "s.png"))
    with pytest.raises(SigningConfigError, match="--appearance signer first"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "out.pdf", signer, appearance=body)


def test_copy_mark_top_right_of_first_page_text_only(tmp_path: Path, signer: SigningIdentity) -> None:
    look = Appearance(kind="copy", signer="", organisation="UBND xã Tân Thịnh", font=FONT)
    out = tmp_path / "copy.pdf"
    sign_pdf(make_pdf(tmp_path / "in.pdf", pages=2), out, signer, appearance=look)
    img = _render(out, 1, tmp_path / "p1")
    w, h = img.size
    mark = _bbox(img, (0, 0, w, h // 4), _dark)
    assert mark is not None and mark[0] > w // 2, mark  # top right
    assert _bbox(img, (0, 0, w, h), _red) is None and _bbox(img, (0, 0, w, h), _blue) is None  # no image
    text = _appearance_text(out, 0)
    assert text.splitlines()[0] == "SAO Y" and "UBND xã Tân Thịnh" in text and ISO_VN.search(text)
    # 10 pt: three lines of text take about 30 pt at 72 dpi
    assert 20 <= mark[3] - mark[1] <= 40, mark


def test_font_rescaled_to_1000_units_once(tmp_path: Path) -> None:
    scaled = font_for_pdf(FONT)
    assert scaled != FONT and scaled.is_file()
    assert font_for_pdf(FONT) == scaled


def test_decree30_without_images_is_a_config_error(tmp_path: Path, signer: SigningIdentity) -> None:
    look = Appearance(kind="decree30", signer="A", organisation="B", font=FONT)
    with pytest.raises(SigningConfigError, match="seal_image"):
        sign_pdf(make_pdf(tmp_path / "in.pdf"), tmp_path / "o.pdf", signer, appearance=look)
