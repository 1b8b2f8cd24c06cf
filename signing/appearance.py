"""Visible signatures laid out per Decree 30/2020 (Phụ lục I), with an embedded Vietnamese-capable font.

- ``decree30``: the body's signature over the signer's — the seal image (red) overlapping the left third of the
  signer's signature image (blue), and beside it the signer, the body and the signing time in ISO 8601 with
  ``+07:00``. Placed at the bottom right of the last page.
- ``copy``: electronic copies and attachments — text only at the top right of page 1, Times-like 10 pt black:
  the copy form (``SAO Y``), the copying body and the signing time.

The text font (Liberation Serif 2 by default: Times metrics, full Vietnamese glyphs) is subset and embedded.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.stamp import TextStamp, TextStampStyle

from signing.errors import SigningConfigError
from signing.identity import SigningIdentity

# fontTools reports every table it cannot subset (e.g. FFTM) at WARNING; it is harmless for a stamp.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

VN_TZ = timezone(timedelta(hours=7), "ICT")
_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
APPEARANCES = ("none", "decree30", "copy")


def iso_vn(when: datetime) -> str:
    """``2025-04-08T09:15:32+07:00``: Vietnam time in ISO 8601, as Decree 30 asks."""
    return when.astimezone(VN_TZ).isoformat(timespec="seconds")


@dataclass(frozen=True)
class _VnTimeStampStyle(TextStampStyle):
    """A text stamp whose ``%(ts)s`` is the signing time itself, shown in ISO 8601 at +07:00."""

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> TextStamp:
        params = dict(text_params)
        ts = params.get("ts")
        if isinstance(ts, str):
            with contextlib.suppress(ValueError):
                params["ts"] = iso_vn(datetime.strptime(ts, _TS_FORMAT))
        return super().create_stamp(writer, box, params)


@functools.lru_cache(maxsize=4)
def font_for_pdf(font: Path) -> Path:
    """``font`` itself when its em is 1000 units, else a cached copy rescaled to 1000.

    pyHanko writes glyph widths and kerning in font units into the PDF, where they must be thousandths of an
    em: with a 2048-unit TrueType font such as Liberation Serif every glyph would be about twice too wide.
    """
    from fontTools.ttLib import TTFont
    from fontTools.ttLib.scaleUpem import scale_upem

    data = font.read_bytes()
    tt = TTFont(io.BytesIO(data))
    if tt["head"].unitsPerEm == 1000:
        return font
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "sohoa" / "fonts"
    target = cache / f"{font.stem}-{hashlib.sha256(data).hexdigest()[:16]}-upem1000.ttf"
    if target.is_file():
        return target
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        cache = Path(tempfile.gettempdir()) / "sohoa-fonts"
        cache.mkdir(parents=True, exist_ok=True)
        target = cache / target.name
    scale_upem(tt, 1000)
    fd, tmp = tempfile.mkstemp(dir=cache, suffix=".tmp")
    with os.fdopen(fd, "wb") as fh:
        tt.save(fh)
    os.replace(tmp, target)
    return target


def _cert_attr(cert: x509.Certificate, oid: x509.ObjectIdentifier) -> str:
    values = cert.subject.get_attributes_for_oid(oid)
    return str(values[0].value) if values else ""


def compose_seal_over_signature(signature: Image.Image, seal: Image.Image) -> Image.Image:
    """Seal (red) over the left third of the signature image (blue), both keeping their transparency."""
    sig = signature.convert("RGBA")
    stamp = seal.convert("RGBA")
    # The seal is shown at its size relative to the signature (Decree 30: actual size); the signature starts
    # so that the seal's right edge reaches one third into it.
    offset = max(0, stamp.width - sig.width // 3)
    width = max(offset + sig.width, stamp.width)
    height = max(sig.height, stamp.height)
    canvas = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    canvas.alpha_composite(sig, (offset, (height - sig.height) // 2))
    canvas.alpha_composite(stamp, (0, (height - stamp.height) // 2))
    return canvas


@dataclass(frozen=True)
class Appearance:
    """What a visible signature shows and where."""

    kind: Literal["decree30", "copy"]
    signer: str
    organisation: str
    font: Path
    seal_image: Path | None = None
    signature_image: Path | None = None
    copy_form: str = "SAO Y"

    def _font(self, size: int) -> GlyphAccumulatorFactory:
        if not self.font.is_file():
            raise SigningConfigError(f"{self.font}: appearance font not found (install fonts-liberation2)")
        return GlyphAccumulatorFactory(str(font_for_pdf(self.font)), font_size=size)

    def pyhanko_style(self, writer: Any, field_name: str) -> tuple[TextStampStyle, fields.SigFieldSpec]:
        count = int(writer.root["/Pages"]["/Count"])
        if self.kind == "copy":
            page = 0
            width, height = _page_size(writer, page)
            box = (width - 36 - 200, height - 30 - 42, width - 36, height - 30)
            text = f"{self.copy_form}\n{self.organisation}\n%(ts)s"
            style: TextStampStyle = _VnTimeStampStyle(
                stamp_text=text,
                timestamp_format=_TS_FORMAT,
                text_box_style=TextBoxStyle(font=self._font(10), text_color=(0, 0, 0)),
                border_width=0,
                inner_content_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MAX, y_align=layout.AxisAlignment.ALIGN_MAX
                ),
            )
        else:
            if self.seal_image is None or self.signature_image is None:
                raise SigningConfigError(
                    "the decree30 appearance needs seal_image and signature_image (PNG files) to be configured"
                )
            try:
                composite = compose_seal_over_signature(Image.open(self.signature_image), Image.open(self.seal_image))
            except OSError as exc:
                raise SigningConfigError(f"appearance image unreadable: {exc}") from None
            page = count - 1
            width, _height = _page_size(writer, page)
            box_w, box_h = 320, 96
            box = (width - 36 - box_w, 60, width - 36, 60 + box_h)
            text = f"Ký bởi: {self.signer}\nCơ quan: {self.organisation}\nThời gian ký: %(ts)s"
            style = _VnTimeStampStyle(
                stamp_text=text,
                timestamp_format=_TS_FORMAT,
                text_box_style=TextBoxStyle(font=self._font(8), text_color=(0, 0, 0)),
                border_width=0,
                background=PdfImage(composite.convert("RGBA"), writer=writer),
                background_opacity=1.0,
                background_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MIN,
                    y_align=layout.AxisAlignment.ALIGN_MID,
                    margins=layout.Margins(left=0, right=box_w // 2, top=2, bottom=2),
                ),
                inner_content_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MIN,
                    y_align=layout.AxisAlignment.ALIGN_MID,
                    margins=layout.Margins(left=box_w // 2 + 4, right=2, top=2, bottom=2),
                ),
            )
        spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=page, box=(int(box[0]), int(box[1]), int(box[2]), int(box[3]))
        )
        return style, spec


def _page_size(writer: Any, page: int) -> tuple[float, float]:
    try:
        obj, _ = writer.find_page_for_modification(page)
        box = [float(v) for v in obj["/MediaBox"]]
        return box[2] - box[0], box[3] - box[1]
    except Exception:  # an inherited or odd MediaBox: fall back to A4
        return 595.0, 842.0


def appearance_from_settings(settings: Any, identity: SigningIdentity, kind: str) -> Appearance | None:
    """The configured appearance for ``identity`` (``none`` gives None: an invisible signature)."""
    if kind not in APPEARANCES:
        raise SigningConfigError(f"unknown signature appearance {kind!r}; valid: {', '.join(APPEARANCES)}")
    if kind == "none":
        return None
    cert = x509.load_der_x509_certificate(identity.certificate.dump())
    return Appearance(
        kind="copy" if kind == "copy" else "decree30",
        signer=_cert_attr(cert, NameOID.COMMON_NAME),
        organisation=_cert_attr(cert, NameOID.ORGANIZATIONAL_UNIT_NAME) or _cert_attr(cert, NameOID.ORGANIZATION_NAME),
        font=Path(settings.appearance_font),
        seal_image=settings.seal_image,
        signature_image=settings.signature_image,
    )
