"""Visible signatures laid out per Decree 30/2020 (Phụ lục I), with an embedded Vietnamese-capable font.

- ``signer`` then ``seal``: Decree 30's two signatures, each with its own key. The competent person signs first
  (``signer``: their handwritten signature image, blue, bottom right of the last page — or, where the page shows
  something there, blank paper in its lower half, shrunk if need be: see _signer_box — with their name and the
  signing time in ISO 8601 with ``+07:00``); the body's clerk (Văn thư) then counter-signs with the body's key
  (``seal``: the seal image, red, laid over the left third of the signer's signature image, with the body and
  its signing time). The second revision never changes the first signature.
- ``decree30``: both images in one signature (one key for both, e.g. a commune without separate keys): the seal
  over the left third of the signature image, and beside it the signer, the body and the signing time.
- ``copy``: electronic copies and attachments — text only at the top right of page 1, Times-like 10 pt black:
  the copy form (``SAO Y``), the copying body and the signing time; in the top margin, where the page shows
  nothing (the national motto starts at the top margin, 20–25 mm down: see _copy_box).

The text font (Liberation Serif 2 by default: Times metrics, full Vietnamese glyphs) is subset and embedded.

Places are meant as the page is displayed: on a page turned by /Rotate (a scan `sohoa ocr` turned upright, or an
input that came so) "bottom right" is the displayed page's, and the stamp stands upright there. pyHanko draws a
stamp in the page's own, unturned space and does nothing about /Rotate (it only offers the NoRotate flag, which
viewers honour differently: pyHanko issue #265), so the field's box is placed in that space from where it is to
be seen (``_PageFrame``), and the stamp is laid out at its displayed size and turned back by its form's /Matrix.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import logging
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
from cryptography import x509
from cryptography.x509.oid import NameOID
from PIL import Image
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.text import TextBoxStyle
from pyhanko.sign import fields
from pyhanko.stamp import TextStamp, TextStampStyle

from signing.errors import AppearanceOrderError, SigningConfigError
from signing.identity import SigningIdentity
from sohoa.context import shown_as
from sohoa.signing_names import APPEARANCES
from sohoa.vietnamese import iso_vn

# fontTools reports every table it cannot subset (e.g. FFTM) at WARNING; it is harmless for a stamp.
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)

_TS_FORMAT = "%Y-%m-%dT%H:%M:%S%z"
# the signer's block, bottom right of the last page: signature image in the left half, text in the right half
_BLOCK_W, _BLOCK_H, _BLOCK_RIGHT, _BLOCK_BOTTOM, _MARGIN = 320, 96, 36, 60, 2
# The block's text: 8 pt in its right half, inside these margins (pyHanko shrinks lines too long for that room).
_BLOCK_TEXT_PT = 8
_BLOCK_TEXT_MARGINS = layout.Margins(left=_BLOCK_W // 2 + 4, right=2, top=2, bottom=2)
# The smallest its text may be shown at when the block is shrunk to find blank paper on a crowded last page (it
# is laid out at full size and drawn smaller, so its 8 pt scale with it). 6 pt, as measured: the decree30 block
# (8 pt set, 7.65 pt as pyHanko fits its widest line) drawn at 1, 7/8, 3/4, 11/16 and 5/8 of its size, printed
# at 200 dpi (Decree 30 / TT 02/2019's least resolution for a paper copy scanned or printed) and read back by
# Tesseract (vie): every tone mark of "Ký bởi: Nguyễn Thị Ngọc Ánh" and "ỦY BAN NHÂN DÂN XÃ TÂN HÒA" read right
# down to 6 pt; at 5 pt "BAN" read "BẠN", at 4.5 pt "Ánh" read "Ảnh". At 150 dpi marks already slip at 6.5 pt
# ("BẠN"), so 6 pt is a floor, not a comfortable size — a shrunk block is the fallback before covering ink.
_LEAST_SHOWN_PT = 6.0
_BLOCK_STEPS = 32  # _BLOCK_W × _BLOCK_H is 32 × (10 × 3) pt: shrunk in 1/32 steps, the block keeps whole points
_SEAL_CAPTION_H = 24  # two lines of 5 pt (with leading and margins) under the seal
# Line pitch, as a multiple of the font size: room for Vietnamese stacked marks (Ủ, Ẫ above the cap height; ọ, ậ
# and the descenders of g, y below the baseline) so one line's marks never meet the next line's. Raised by
# _LINE_GAP where a font's own marks reach further (see _vn_extent).
_LEADING = 1.3
_LINE_GAP = 0.15
# Every letter Vietnamese writes (all tone marks, both cases) and ASCII: what a stamp's lines are measured for.
_VN_LETTERS = (
    "AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬĐEÈÉẺẼẸÊỀẾỂỄỆIÌÍỈĨỊOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢUÙÚỦŨỤƯỪỨỬỮỰYỲÝỶỸỴ"
    "aàáảãạăằắẳẵặâầấẩẫậđeèéẻẽẹêềếểễệiìíỉĩịoòóỏõọôồốổỗộơờớởỡợuùúủũụưừứửữựyỳýỷỹỵ"
)
_MEASURED = _VN_LETTERS + "".join(chr(c) for c in range(0x21, 0x7F))


# The copy mark (ô 14): its right edge on the right margin (at least 15 mm), as high as the page's edge allows,
# inside Decree 30's top margin (at most 25 mm) when it can be, a few points of blank paper around it.
_COPY_RIGHT, _COPY_EDGE, _TOP_MARGIN, _CLEARANCE = 42, 8, 71, 3
_INK = 160  # a rendered pixel darker than this is content (a scan's paper renders about 235)
_SAMPLE_TIME = "2000-01-01T00:00:00+07:00"  # as wide as any signing time (the font's digits are one width)
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class _PageFrame:
    """A page as displayed: its crop box (``left``, ``bottom``, ``right``, ``top``, in the page's own space) turned
    clockwise by its /Rotate (``rotate``: 0, 90, 180 or 270). A box "as shown" is in points from the displayed
    page's bottom left corner, x to the right and y up, as a reader sees them. ``unit``: the page's /UserUnit, the
    points one unit of its own space is (a scan's page may say 10: an A4 page's boxes are then 59.5 × 84.2);
    a box as shown is in points all the same, so that a stamp is its size as printed (QA132 F4: at /UserUnit 2 the
    signer's block and the copy mark were drawn twice their size, the mark in the middle of the page)."""

    left: float
    bottom: float
    right: float
    top: float
    rotate: int = 0
    unit: float = 1.0

    @property
    def shown_size(self) -> tuple[float, float]:
        """The displayed page's width and height, in points."""
        width, height = (self.right - self.left) * self.unit, (self.top - self.bottom) * self.unit
        return (height, width) if self.rotate in (90, 270) else (width, height)

    def to_user(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box as shown, in the page's own space (where pyHanko places a field)."""
        width, height = self.shown_size if self.rotate in (0, 180) else self.shown_size[::-1]
        x0, y0, x1, y1 = box
        # each corner of the shown box turned back counter-clockwise by /Rotate: (x, y) shown is (u, v) own, from
        # the crop box's bottom left; /Rotate 90 shows the page's top edge on the right: x = v, y = width - u
        corners = [
            {0: (x, y), 90: (width - y, x), 180: (width - x, height - y), 270: (y, height - x)}[self.rotate]
            for x, y in ((x0, y0), (x1, y1))
        ]
        us, vs = [u / self.unit for u, _ in corners], [v / self.unit for _, v in corners]
        return (self.left + min(us), self.bottom + min(vs), self.left + max(us), self.bottom + max(vs))

    def to_shown(self, box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
        """A box in the page's own space, as shown (the inverse of ``to_user``)."""
        width, height = self.shown_size if self.rotate in (0, 180) else self.shown_size[::-1]
        x0, y0, x1, y1 = box
        unit = self.unit
        corners = [
            {0: (u, v), 90: (v, width - u), 180: (width - u, height - v), 270: (height - v, u)}[self.rotate]
            for u, v in (
                ((x0 - self.left) * unit, (y0 - self.bottom) * unit),
                ((x1 - self.left) * unit, (y1 - self.bottom) * unit),
            )
        ]
        xs, ys = [x for x, _ in corners], [y for _, y in corners]
        return (min(xs), min(ys), max(xs), max(ys))


class _UprightTextStamp(TextStamp):
    """A text stamp that stands upright on a page turned clockwise by ``rotate``: laid out in the field's box as
    shown, its form turned counter-clockwise by the same angle (/Matrix). A viewer maps the form's turned
    bounding box onto the field's /Rect (ISO 32000-1, 12.5.5), which is that box in the page's own space."""

    def __init__(self, *args: Any, rotate: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rotate = rotate

    def as_form_xobject(self) -> Any:
        form = super().as_form_xobject()
        if self.rotate:
            cos, sin = {90: (0, 1), 180: (-1, 0), 270: (0, -1)}[self.rotate]
            form["/Matrix"] = generic.ArrayObject(generic.NumberObject(v) for v in (cos, sin, -sin, cos, 0, 0))
        return form


@dataclass(frozen=True)
class _VnTimeStampStyle(TextStampStyle):
    """A text stamp whose ``%(ts)s`` is the signing time itself, shown in ISO 8601 at +07:00, upright on a page
    turned by /Rotate ``page_rotation`` (see ``_UprightTextStamp``). With ``layout_size`` (width, height as shown)
    the stamp is laid out at that size whatever its field's box: a viewer fits its form to the field's /Rect
    (ISO 32000-1, 12.5.5), so a block shrunk to fit a small page is drawn shrunk, in its proportions."""

    page_rotation: int = 0
    layout_size: tuple[float, float] | None = None

    def create_stamp(self, writer: Any, box: Any, text_params: dict[str, Any]) -> TextStamp:
        params = dict(text_params)
        ts = params.get("ts")
        if isinstance(ts, str):
            with contextlib.suppress(ValueError):
                params["ts"] = iso_vn(datetime.strptime(ts, _TS_FORMAT))
        if self.layout_size is not None:
            box = layout.BoxConstraints(width=self.layout_size[0], height=self.layout_size[1])
        elif self.page_rotation in (90, 270) and box.width_defined and box.height_defined:
            box = layout.BoxConstraints(width=box.height, height=box.width)  # the field's box as shown
        return _UprightTextStamp(writer=writer, style=self, box=box, text_params=params, rotate=self.page_rotation)


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


@functools.lru_cache(maxsize=4)
def _vn_extent(font: Path) -> tuple[float, float]:
    """How far ``font``'s Vietnamese letters reach above and below the baseline, in ems: (ascent, descent)."""
    from fontTools.pens.boundsPen import BoundsPen
    from fontTools.ttLib import TTFont

    tt = TTFont(str(font))
    cmap, glyphs, upem = tt.getBestCmap(), tt.getGlyphSet(), tt["head"].unitsPerEm
    top = bottom = 0.0
    for char in _MEASURED:
        name = cmap.get(ord(char))
        if name is None:
            continue
        pen = BoundsPen(glyphs)
        glyphs[name].draw(pen)
        if pen.bounds is not None:
            bottom, top = min(bottom, pen.bounds[1]), max(top, pen.bounds[3])
    return top / upem, -bottom / upem


def _text_geometry(font: Path, size: int) -> tuple[int, layout.Margins]:
    """The leading of ``size`` pt lines of ``font`` and the margins around them.

    pyHanko puts the first baseline one leading below the top of the text and the last baseline on its bottom:
    the top margin takes what the tallest marks reach above one leading, the bottom margin the descenders."""
    ascent, descent = _vn_extent(font)
    leading = math.ceil(max(_LEADING, ascent + descent + _LINE_GAP) * size)  # pyHanko writes whole points
    top = max(0, math.ceil(ascent * size - leading)) + 1
    return leading, layout.Margins(left=1, right=1, top=top, bottom=math.ceil(descent * size) + 1)


@functools.lru_cache(maxsize=4)
def _shaper(font: Path) -> Any:
    import uharfbuzz as hb

    return hb.Font(hb.Face(font.read_bytes()))


def _advance(font: Path, text: str) -> float:
    """The width of ``text`` in ems as pyHanko sets it (shaped by HarfBuzz, ``font`` at 1000 units/em)."""
    import uharfbuzz as hb

    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    hb.shape(_shaper(font), buf, {})
    return sum(pos.x_advance for pos in buf.glyph_positions) / 1000


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

    kind: Literal["signer", "seal", "decree30", "copy"]
    signer: str
    organisation: str
    font: Path
    seal_image: Path | None = None
    signature_image: Path | None = None
    copy_form: str = "SAO Y"

    def _font_file(self) -> Path:
        if not self.font.is_file():
            raise SigningConfigError(f"{self.font}: appearance font not found (install fonts-liberation2)")
        return font_for_pdf(self.font)

    def _text_box_style(self, size: int) -> TextBoxStyle:
        """Black ``size`` pt text, its lines one leading apart (see _text_geometry), in a box that holds the marks
        of its first line and the descenders of its last (so the stamp's edges clip nothing)."""
        font = self._font_file()
        leading, margins = _text_geometry(font, size)
        return TextBoxStyle(
            font=GlyphAccumulatorFactory(str(font), font_size=size),
            font_size=size,  # pyHanko's default (10) otherwise: every stamp was 10 pt, then shrunk to fit
            leading=leading,
            text_color=(0, 0, 0),
            box_layout_rule=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MAX, margins=margins
            ),
        )

    def _text_size(self, lines: list[str], size: int) -> tuple[int, int]:
        """The width and height of the text box of ``lines`` at ``size`` pt (as _text_box_style lays it out)."""
        font = self._font_file()
        leading, margins = _text_geometry(font, size)
        width = max(_advance(font, line) for line in lines) * size
        return (
            math.ceil(width) + margins.left + margins.right + 1,  # +1: pyHanko rounds each line's width
            leading * len(lines) + margins.top + margins.bottom,
        )

    def _optional_image(self, path: Path | None) -> Image.Image | None:
        try:
            return Image.open(path) if path is not None else None
        except OSError:
            return None

    def _image(self, path: Path | None, setting: str) -> Image.Image:
        # the setting named as an operator sets it: "appearance image unreadable: … '/nope2.png'" did not say which
        named = f"SOHOA_{setting.upper()} / {setting}"
        if path is None:
            raise SigningConfigError(f"the {self.kind} appearance needs {named} (a PNG file) to be configured")
        try:
            image = Image.open(path)
            image.load()
        except OSError as exc:
            raise SigningConfigError(f"{named}: {path}: appearance image unreadable ({exc})") from None
        return image

    def _stamp(
        self,
        text: str,
        size: int,
        text_layout: layout.SimpleBoxLayoutRule,
        *,
        writer: Any = None,
        image: Image.Image | None = None,
        image_layout: layout.SimpleBoxLayoutRule | None = None,
        page_rotation: int = 0,
        layout_size: tuple[float, float] | None = None,
    ) -> TextStampStyle:
        """Every appearance's style: ``text`` (``%(ts)s`` = the signing time) in black at ``size`` pt, no border,
        and ``image``, opaque, behind it when given; upright on a page shown turned by ``page_rotation``; laid out
        at ``layout_size`` (points, as shown) when given, else at its field's size. On a page of units other than
        a point (/UserUnit) it is always given: the field's box is in the page's units (QA135 F8: at /UserUnit 10,
        laid out in the box pyHanko takes from the field, the copy mark came out 9 % small)."""
        behind: dict[str, Any] = {}
        if image is not None:
            behind = dict(
                background=PdfImage(image.convert("RGBA"), writer=writer),
                background_opacity=1.0,
                background_layout=image_layout,
            )
        return _VnTimeStampStyle(
            stamp_text=text,
            timestamp_format=_TS_FORMAT,
            text_box_style=self._text_box_style(size),
            border_width=0,
            inner_content_layout=text_layout,
            page_rotation=page_rotation,
            layout_size=layout_size,
            **behind,
        )

    def _image_and_text(
        self, writer: Any, image: Image.Image, text: str, frame: _PageFrame, shown: tuple[float, float]
    ) -> TextStampStyle:
        """The signer's block (``signer``, ``decree30``): ``image`` in the left half (shrunk to fit), ``text`` in
        the right half; laid out at its full size, drawn at ``shown`` (its box's size as shown: smaller on a page
        too small for it)."""
        return self._stamp(
            text,
            _BLOCK_TEXT_PT,
            layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=_BLOCK_TEXT_MARGINS,
            ),
            writer=writer,
            image=image,
            image_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN,
                y_align=layout.AxisAlignment.ALIGN_MID,
                margins=layout.Margins(left=0, right=_BLOCK_W // 2, top=_MARGIN, bottom=_MARGIN),
            ),
            page_rotation=frame.rotate,
            layout_size=None if shown[0] >= _BLOCK_W and frame.unit == 1.0 else (_BLOCK_W, _BLOCK_H),
        )

    def _least_block_scale(self, lines: list[str]) -> float:
        """The smallest scale the signer's block (its text ``lines``) may be drawn at to find blank paper: its text
        shown no smaller than _LEAST_SHOWN_PT. Lines too wide for the block's right half are already set smaller
        by pyHanko (shrunk to fit: a long body name), which leaves less room to shrink, or none (a scale over 1)."""
        width, height = self._text_size(lines, _BLOCK_TEXT_PT)
        room_w = _BLOCK_W - _BLOCK_TEXT_MARGINS.left - _BLOCK_TEXT_MARGINS.right
        room_h = _BLOCK_H - _BLOCK_TEXT_MARGINS.top - _BLOCK_TEXT_MARGINS.bottom
        shown = _BLOCK_TEXT_PT * min(1.0, room_w / width, room_h / height)
        return _LEAST_SHOWN_PT / shown

    def pyhanko_style(
        self, writer: Any, field_name: str, source: Path | None = None
    ) -> tuple[TextStampStyle, fields.SigFieldSpec]:
        """The stamp and the field for ``writer``'s document; ``source``, the file being signed, is looked at by
        ``copy`` to find where its mark hides nothing (without it the mark goes to the top right corner). Places
        are the displayed page's (``_PageFrame``): the field's box is given in the page's own space. ``signer`` and
        ``decree30`` look at it too: their block goes where the last page is blank (see ``_signer_box``)."""
        count = int(writer.root["/Pages"]["/Count"])
        page = 0 if self.kind == "copy" else count - 1
        frame = _page_frame(writer, page)
        if self.kind == "copy":
            lines = [self.copy_form, self.organisation, _SAMPLE_TIME]
            mark = self._text_size(lines, 10)
            box = _copy_box(frame, source, page, mark)
            text = f"{self.copy_form}\n{self.organisation}\n%(ts)s"
            style = self._stamp(
                text,
                10,
                layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MAX, y_align=layout.AxisAlignment.ALIGN_MAX
                ),
                page_rotation=frame.rotate,
                layout_size=None if frame.unit == 1.0 else (float(mark[0]), float(mark[1])),
            )
        elif self.kind == "signer":
            signature = self._image(self.signature_image, "signature_image")
            lines = [f"Ký bởi: {self.signer}", f"Thời gian ký: {_SAMPLE_TIME}"]
            box = _signer_box(frame, source, page, least_scale=self._least_block_scale(lines))
            text = f"Ký bởi: {self.signer}\nThời gian ký: %(ts)s"
            style = self._image_and_text(writer, signature, text, frame, _size(frame.to_shown(box)))
        elif self.kind == "seal":
            seal = self._image(self.seal_image, "seal_image")
            signer_rect = _last_visible_signature(writer, page)
            if signer_rect is None:
                vietnamese = (
                    "dấu của cơ quan đóng lên chữ ký của người ký (Nghị định 30): trang cuối chưa có chữ ký của người "
                    "ký; hãy ký trước với --appearance signer, rồi ký đóng dấu tệp đã ký với --appearance seal (hoặc "
                    "--appearance decree30: cả hai trong một chữ ký)"
                )
                english = (
                    "the seal goes over the signer's signature (Decree 30): the last page has no signer's signature "
                    "yet; sign with --appearance signer first, then sign that signed file with --appearance seal (or "
                    "--appearance decree30: both in one signature)"
                )
                raise AppearanceOrderError(f"{vietnamese} / {english}", english, vietnamese)
            shown, full = _seal_box(
                frame.to_shown(signer_rect), seal, self._optional_image(self.signature_image), frame.shown_size
            )
            box = frame.to_user(shown)
            # laid out in its field's box unless shrunk with the signer's block (then at its full size)
            laid_out = None if shown[2] - shown[0] >= full[0] and frame.unit == 1.0 else full
            caption_top = int(shown[3]) - int(shown[1]) if laid_out is None else int(full[1])
            style = self._stamp(
                f"{self.organisation}\n%(ts)s",
                5,
                # the body and its signing time in small type under the seal, not over it: kept to the caption's
                # strip (shrunk to fit it if need be)
                layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MID,
                    y_align=layout.AxisAlignment.ALIGN_MIN,
                    margins=layout.Margins(top=max(0, caption_top - _SEAL_CAPTION_H)),
                ),
                writer=writer,
                image=seal,
                image_layout=layout.SimpleBoxLayoutRule(
                    x_align=layout.AxisAlignment.ALIGN_MID,
                    y_align=layout.AxisAlignment.ALIGN_MAX,
                    margins=layout.Margins(left=0, right=0, top=0, bottom=_SEAL_CAPTION_H),
                    inner_content_scaling=layout.InnerScaling.STRETCH_TO_FIT,
                ),
                page_rotation=frame.rotate,
                layout_size=laid_out,
            )
        else:
            if self.seal_image is None or self.signature_image is None:
                raise SigningConfigError(
                    "the decree30 appearance needs SOHOA_SEAL_IMAGE / seal_image and SOHOA_SIGNATURE_IMAGE / "
                    "signature_image (PNG files) to be configured"
                )
            composite = compose_seal_over_signature(
                self._image(self.signature_image, "signature_image"), self._image(self.seal_image, "seal_image")
            )
            lines = [f"Ký bởi: {self.signer}", f"Cơ quan: {self.organisation}", f"Thời gian ký: {_SAMPLE_TIME}"]
            box = _signer_box(frame, source, page, least_scale=self._least_block_scale(lines))
            text = f"Ký bởi: {self.signer}\nCơ quan: {self.organisation}\nThời gian ký: %(ts)s"
            style = self._image_and_text(writer, composite, text, frame, _size(frame.to_shown(box)))
        # whole points (as placed), in the page's own units: a fraction of a unit where a unit is many points
        whole = (lambda v: int(v)) if frame.unit == 1.0 else (lambda v: round(v, 3))
        spec = fields.SigFieldSpec(
            sig_field_name=field_name, on_page=page, box=(whole(box[0]), whole(box[1]), whole(box[2]), whole(box[3]))
        )
        return style, spec


def _copy_box(
    frame: _PageFrame, source: Path | None, page: int, size: tuple[int, int]
) -> tuple[float, float, float, float]:
    """Where the copy mark (``size``: width, height in points, as shown) hides nothing of ``source``'s ``page``
    (``frame``: that page as displayed), in the page's own space.

    Decree 30 puts it at the top right of the first page (ô 14), where the national motto also is, from the top
    margin (20–25 mm) down: the mark goes into the top margin, its right edge on the right margin, over paper that
    is blank as drawn (a scan's ink, text, earlier signatures) and carries no text (an OCR layer's invisible words
    too). When the top margin has no such place (a header drawn into it), it goes to the nearest blank place of
    the page, nearest to that top right corner; a page with no blank place at all gets it where it covers the
    least ink in the top margin (a warning says so). The same page always gives the same place. All of it as
    the page is displayed: on a page turned by /Rotate, the displayed page's top right."""
    width, height = size
    grid = _shown_grid(frame, source, page, "the copy mark") if source is not None else None
    if grid is None:  # nothing to look at (or unreadable by PDFium): the top right corner of the page
        page_w, page_h = frame.shown_size
        right, top = page_w - _COPY_RIGHT, page_h - _COPY_EDGE
        x0, y0, x1, y1 = frame.to_user((right - width, top - height, right, top))
        unit = frame.unit  # whole points, in the page's units
        return (
            math.floor(x0 * unit) / unit,
            math.floor(y0 * unit) / unit,
            math.floor(x1 * unit) / unit,
            math.floor(y1 * unit) / unit,
        )
    shown, occupied = grid
    ideal = (occupied.shape[1] - _COPY_RIGHT - width, _COPY_EDGE)
    x, y = _free_spot(occupied, width, height, ideal=ideal, source=source)
    return _spot_in_page(shown, x, y, width, height)


def _shown_grid(frame: _PageFrame, source: Path | None, page: int, what: str) -> tuple[_PageFrame, np.ndarray] | None:
    """``source``'s ``page`` as displayed (``frame`` gives its /Rotate): the frame PDFium drew it in and the grid of
    1 pt cells that show something (see ``_occupied``), rows from the top of the page as shown; None without a
    ``source`` or when PDFium cannot read it (``what`` is named in the warning)."""
    grid = _occupied(source, page, what, frame.unit) if source is not None else None
    if grid is None:
        return None
    crop_box, occupied = grid
    shown = _PageFrame(*crop_box, rotate=frame.rotate, unit=frame.unit)  # the box PDFium drew, turned as shown
    return shown, np.rot90(occupied, k=-frame.rotate // 90)  # the grid as shown (rot90 turns counter-clockwise)


def _spot_in_page(shown: _PageFrame, x: int, y: int, width: float, height: float) -> tuple[float, float, float, float]:
    """The box whose top left cell is (``x``, ``y``) on ``shown``'s grid, in the page's own space, in whole points."""
    shown_height = shown.shown_size[1]
    x0, y0, x1, y1 = shown.to_user((x, shown_height - y - height, x + width, shown_height - y))
    # whole points, as on an upright page: less than a point from the spot found, within its clearance (in a page
    # of larger units, whole points of it: whole units were up to 10 pt off at /UserUnit 10, QA135 F8)
    unit = shown.unit
    left, top = math.ceil(x0 * unit) / unit, math.floor(y1 * unit) / unit
    return (left, top - (y1 - y0), left + (x1 - x0), top)


def _occupied(
    source: Path, page: int, what: str, unit: float = 1.0
) -> tuple[tuple[float, float, float, float], np.ndarray] | None:
    """``source``'s ``page`` as a grid of 1 pt cells from its top left (rows down), True where something is
    drawn or there is text; with the page's crop box (left, bottom, right, top, in its own units: ``unit``, its
    /UserUnit, points each — PDFium draws a page in its units). None when PDFium cannot tell (a warning names the
    file and ``what`` was to be placed)."""
    from sohoa.pdfium import open_pdf

    scale = 2  # 144 dpi: a thin stroke of a 10 pt letter still darkens a pixel
    try:
        with open_pdf(source) as pdf:
            drawn = pdf.drawn(page, scale * unit)
    except Exception as exc:  # an encrypted or odd file: pyHanko may still sign it
        logger.warning(
            "%s: page %d not readable to place %s (%s); its usual place", shown_as(source), page + 1, what, exc
        )
        return None
    left, bottom, right, top = drawn.crop_box
    rows, cols = math.ceil((top - bottom) * unit - 1e-6), math.ceil((right - left) * unit - 1e-6)
    dark = np.zeros((rows * scale, cols * scale), dtype=bool)
    ink = np.asarray(drawn.image.convert("L")) < _INK
    h, w = min(ink.shape[0], dark.shape[0]), min(ink.shape[1], dark.shape[1])
    dark[:h, :w] = ink[:h, :w]
    occupied = np.asarray(dark.reshape(rows, scale, cols, scale).any(axis=(1, 3)), dtype=bool)
    for x0, y0, x1, y1 in drawn.text_boxes:
        c0, c1 = max(0, math.floor((x0 - left) * unit)), min(cols, math.ceil((x1 - left) * unit))
        r0, r1 = max(0, math.floor((top - y1) * unit)), min(rows, math.ceil((top - y0) * unit))
        occupied[r0:r1, c0:c1] = True
    return drawn.crop_box, occupied


def _free_spot(
    occupied: np.ndarray, width: int, height: int, ideal: tuple[int, int], source: Path | None = None
) -> tuple[int, int]:
    """The copy mark's top left cell (column, row): in the top margin if it can be, else anywhere, the blank
    place nearest ``ideal``; with no blank place, the top-margin place with the fewest occupied cells (see
    ``_blank_spot``)."""

    def in_margin(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.asarray(y + height <= max(_TOP_MARGIN, _COPY_EDGE + height))

    return _blank_spot(
        occupied,
        (width, height),
        ideal,
        prefer=in_margin,
        fallback=in_margin,
        what="the copy mark",
        fallback_where="in the top margin",
        source=source,
    )


def _places(occupied: np.ndarray, size: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Every place a ``size`` (width × height) box may take on ``occupied``, at least _COPY_EDGE from the page's
    edges: the columns and rows of their top left cells and how many occupied cells lie within _CLEARANCE of
    each (0: a blank place). None on a page smaller than the box (with that edge around it)."""
    width, height = size
    rows, cols = occupied.shape
    if rows < height + 2 * _COPY_EDGE or cols < width + 2 * _COPY_EDGE:
        return None
    pad = _CLEARANCE
    padded = np.pad(occupied, pad)  # beyond the page's edge is blank: the edge rule keeps the box on the page
    integral = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), dtype=np.int64)
    integral[1:, 1:] = padded.cumsum(axis=0).cumsum(axis=1)
    ys = np.arange(_COPY_EDGE, rows - _COPY_EDGE - height + 1)
    xs = np.arange(_COPY_EDGE, cols - _COPY_EDGE - width + 1)
    y, x = np.meshgrid(ys, xs, indexing="ij")
    # cells of padded rows [y, y + height + 2 pad) = page rows [y - pad, y + height + pad), columns alike
    y1, x1 = y + height + 2 * pad, x + width + 2 * pad
    ink = integral[y1, x1] - integral[y, x1] - integral[y1, x] + integral[y, x]
    return x, y, ink


def _nearest(x: np.ndarray, y: np.ndarray, allowed: np.ndarray, ideal: tuple[int, int]) -> tuple[int, int] | None:
    """Of the places ``allowed`` (top left cells ``x``, ``y``), the one nearest ``ideal`` — ties: the higher, then
    the more left (the first in row order), so the same page always gives the same place; None if none is."""
    if not allowed.any():
        return None
    distance = (x - ideal[0]) ** 2 + (y - ideal[1]) ** 2
    best = np.argmin(np.where(allowed, distance, np.iinfo(np.int64).max))
    return int(x.flat[best]), int(y.flat[best])


def _least_ink(
    x: np.ndarray,
    y: np.ndarray,
    ink: np.ndarray,
    region: np.ndarray,
    ideal: tuple[int, int],
    *,
    what: str,
    where: str,
    source: Path | None,
) -> tuple[int, int]:
    """The place in ``region`` (every place when it holds none) with the fewest occupied cells, nearest ``ideal``
    among equals; with a warning naming ``source`` and ``what`` the box is for: no blank place held it."""
    region = region if region.any() else np.ones_like(region)
    distance = (x - ideal[0]) ** 2 + (y - ideal[1]) ** 2
    least = np.lexsort((distance[region], ink[region]))[0]
    named = shown_as(source)
    logger.warning(
        "%sno blank place on the page for %s: it covers the least ink %s",
        f"{named}: " if named is not None else "",
        what,
        where,
    )
    return int(x[region][least]), int(y[region][least])


def _blank_spot(
    occupied: np.ndarray,
    size: tuple[int, int],
    ideal: tuple[int, int],
    *,
    prefer: Any = None,
    fallback: Any = None,
    what: str,
    fallback_where: str,
    source: Path | None = None,
) -> tuple[int, int]:
    """The top left cell (column, row) of a ``size`` (width × height) box on ``occupied`` with nothing within
    _CLEARANCE of it, at least _COPY_EDGE from the page's edges: the one nearest ``ideal`` (ties: the higher, then
    the more left), among the places ``prefer`` allows if any is blank, else among all. ``prefer`` and
    ``fallback`` take the candidate cells' columns and rows (arrays) and say which are allowed. With no blank
    place at all, the place ``fallback`` allows (every place when it allows none) with the fewest occupied cells,
    nearest ``ideal`` among equals, and a warning naming ``source`` and ``what`` the box is for."""
    places = _places(occupied, size)
    if places is None:  # a page smaller than the box
        return max(0, ideal[0]), max(0, ideal[1])
    x, y, ink = places
    preferred = prefer(x, y) if prefer is not None else np.zeros_like(ink, dtype=bool)
    for allowed in (preferred & (ink == 0), ink == 0):
        spot = _nearest(x, y, allowed, ideal)
        if spot is not None:
            return spot
    region = fallback(x, y) if fallback is not None else np.ones_like(ink, dtype=bool)
    return _least_ink(x, y, ink, region, ideal, what=what, where=fallback_where, source=source)


def _block_size(page_size: tuple[float, float]) -> tuple[float, float]:
    """The signer's block as drawn on a page of ``page_size`` (as shown): _BLOCK_W × _BLOCK_H, shrunk to fit a
    page too small for it (with _COPY_EDGE around it), keeping its proportions (10 : 3 — in whole points when
    it can be)."""
    page_w, page_h = page_size
    fit = min(1.0, (page_w - 2 * _COPY_EDGE) / _BLOCK_W, (page_h - 2 * _COPY_EDGE) / _BLOCK_H)
    if fit >= 1.0:
        return float(_BLOCK_W), float(_BLOCK_H)
    step = math.floor(fit * _BLOCK_STEPS)
    if step >= 1:
        return float(step * _BLOCK_W // _BLOCK_STEPS), float(step * _BLOCK_H // _BLOCK_STEPS)
    fit = min(page_w / _BLOCK_W, page_h / _BLOCK_H)  # a page under about 26 × 19 pt: no room for an edge
    return _BLOCK_W * fit, _BLOCK_H * fit


def _shrunk_sizes(full: tuple[float, float], least_scale: float) -> list[tuple[float, float]]:
    """The sizes the signer's block may be shrunk to, to find blank paper, largest first: smaller than ``full``
    (its size on this page), in steps of 1/32 of _BLOCK_W × _BLOCK_H (10 × 3 pt: whole points, its proportions
    kept), down to ``least_scale`` of it (where its text is shown at _LEAST_SHOWN_PT)."""
    least_step = math.ceil(least_scale * _BLOCK_STEPS - 1e-9)  # 0.75 × 32 is 24, not 24.000000000000004
    return [
        (float(step * _BLOCK_W // _BLOCK_STEPS), float(step * _BLOCK_H // _BLOCK_STEPS))
        for step in range(_BLOCK_STEPS - 1, max(least_step, 1) - 1, -1)
        if step * _BLOCK_W // _BLOCK_STEPS < full[0]
    ]


def _decree30_place(page_size: tuple[float, float], size: tuple[float, float]) -> tuple[float, float, float, float]:
    """The Decree 30 place (ô 7) of a ``size`` block on a page of ``page_size`` (as shown): _BLOCK_RIGHT from the
    right edge, _BLOCK_BOTTOM from the bottom; moved in (keeping _COPY_EDGE from the edges) on a page too small to
    keep those distances."""
    (page_w, page_h), (width, height) = page_size, size
    right = max(min(max(page_w - _BLOCK_RIGHT, width + _COPY_EDGE), page_w - _COPY_EDGE), width)
    bottom = max(0.0, min(float(_BLOCK_BOTTOM), page_h - _COPY_EDGE - height), min(float(_COPY_EDGE), page_h - height))
    return (right - width, bottom, right, bottom + height)


@dataclass(frozen=True)
class _BlockPlaces:
    """Where a signer's block of ``size`` (points, as shown; ``cells``: whole cells of the grid) may go: the top
    left cells ``x``, ``y`` of its places and the occupied cells ``ink`` near each (see ``_places``), and its
    Decree 30 place's top left cell, ``ideal``."""

    size: tuple[float, float]
    cells: tuple[int, int]
    ideal: tuple[int, int]
    x: np.ndarray
    y: np.ndarray
    ink: np.ndarray


def _search(occupied: np.ndarray, page_size: tuple[float, float], size: tuple[float, float]) -> _BlockPlaces | None:
    """The places of a ``size`` signer's block on ``occupied`` (a page of ``page_size``, as shown); None on a page
    too small for it."""
    cells = (math.ceil(size[0]), math.ceil(size[1]))
    places = _places(occupied, cells)
    if places is None:
        return None
    left, _, _, top = _decree30_place(page_size, size)
    return _BlockPlaces(size, cells, (math.floor(left), math.floor(page_size[1] - top)), *places)


def _signer_box(
    frame: _PageFrame, source: Path | None = None, page: int = 0, *, least_scale: float = 1.0
) -> tuple[float, float, float, float]:
    """The signer's block on ``source``'s ``page`` as displayed (``frame``), in the page's own space.

    Decree 30 puts the signer's signature at the bottom right, after the text (ô 7: title, signature, name; ô 9b,
    "Nơi nhận", at the bottom left), so blank paper is looked for there first, and the block keeps its size
    before it keeps its place. A place is blank when it shows no ink and no text within _CLEARANCE (see
    ``_occupied``); "the lower half" is a place whose centre is in the lower half of the page. In this order:

    1. its Decree 30 place, at full size (_BLOCK_RIGHT from the right edge, _BLOCK_BOTTOM from the bottom);
    2. at full size, the blank place of the lower half nearest that place;
    3. shrunk (``_shrunk_sizes``: in 1/32 steps, down to ``least_scale``, where its text is shown at
       _LEAST_SHOWN_PT), at the largest size that finds one, the blank place of the lower half nearest its Decree
       30 place (that place itself first);
    4. at full size, the nearest blank place of the upper half (a top-of-page place: far from where a
       signature belongs, so only when the lower half has no room even for the shrunk block);
    5. shrunk, the same way, in the upper half;
    6. no blank place anywhere: at full size over the least ink with its centre in the bottom right quarter of the
       page, with a warning.

    Without a ``source`` to look at (or one PDFium cannot read) it stays at its Decree 30 place. On a page too
    small for it the block is shrunk to fit (``_block_size``) and that is its full size. The same page always
    gives the same place; it is never off the page (nor closer than _COPY_EDGE to its edges, but on a page
    smaller than the block with that edge)."""
    page_size = frame.shown_size
    full = _block_size(page_size)
    place = _decree30_place(page_size, full)
    grid = _shown_grid(frame, source, page, "the signer's signature") if source is not None else None
    if grid is None:
        return frame.to_user(place)
    shown, occupied = grid
    rows, cols = occupied.shape

    at_full = _search(occupied, page_size, full)
    if at_full is None:  # a page smaller than the block with an edge around it: its place, moved in
        return frame.to_user(place)
    if ((at_full.x == at_full.ideal[0]) & (at_full.y == at_full.ideal[1]) & (at_full.ink == 0)).any():
        return frame.to_user(place)  # its Decree 30 place, exactly as on a page nobody looked at
    # each shrunk size is searched (about 50 ms on an A4 page) only when the larger ones found no blank place in
    # the lower half: a page with room at full size pays for one search
    searched, unsearched = [at_full], iter(_shrunk_sizes(full, least_scale))

    def largest_first() -> Iterator[_BlockPlaces]:
        yield from list(searched)
        for size in unsearched:
            found = _search(occupied, page_size, size)
            if found is not None:
                searched.append(found)
                yield found

    for lower_half in (True, False):
        for found in largest_first():
            in_lower_half = 2 * found.y + found.cells[1] >= rows
            spot = _nearest(found.x, found.y, (found.ink == 0) & (in_lower_half == lower_half), found.ideal)
            if spot is not None:
                return _spot_in_page(shown, *spot, *found.size)
    bottom_right = (2 * at_full.x + at_full.cells[0] >= cols) & (2 * at_full.y + at_full.cells[1] >= rows)
    spot = _least_ink(
        at_full.x,
        at_full.y,
        at_full.ink,
        bottom_right,
        at_full.ideal,
        what="the signer's signature",
        where="at the bottom right",
        source=source,
    )
    if spot == at_full.ideal:
        return frame.to_user(place)
    return _spot_in_page(shown, *spot, *full)


def _size(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return box[2] - box[0], box[3] - box[1]


def _drawn_scale(signature: Image.Image | None) -> float:
    """Points per image pixel of the signature in the signer's block (shrunk to fit, never enlarged)."""
    if signature is None:
        return 1.0
    return min(1.0, (_BLOCK_W / 2) / signature.width, (_BLOCK_H - 2 * _MARGIN) / signature.height)


def _seal_box(
    signer_rect: tuple[float, float, float, float],
    seal: Image.Image,
    signature: Image.Image | None,
    page_size: tuple[float, float],
) -> tuple[tuple[float, float, float, float], tuple[float, float]]:
    """Where the seal goes: over the left third of the signer's signature image, centred on it vertically; and
    the size it is laid out at (width, height: the seal and its caption under it).

    Both images are drawn at one scale (as they were scanned), taken from the signer's image when it is
    configured; without it the signature is taken to fill the left half of the signer's block and the seal is
    as tall as the block. A signer's block narrower than _BLOCK_W (shrunk to fit a small page, or into blank
    paper on a crowded one) shrinks the seal and its caption with it. The seal is moved onto the page
    (``page_size``, as shown) where it would reach past an edge."""
    x0, y0, x1, y1 = signer_rect
    fit = min(1.0, (x1 - x0) / _BLOCK_W)
    if signature is not None:
        scale = _drawn_scale(signature)
        signature_width = signature.width * scale
        seal_w, seal_h = seal.width * scale, seal.height * scale
    else:
        signature_width = _BLOCK_W / 2
        seal_h = (y1 - y0) / fit
        seal_w = seal_h * seal.width / seal.height
    full = (seal_w, seal_h + _SEAL_CAPTION_H)
    width, height = fit * full[0], fit * full[1]
    right = x0 + fit * signature_width / 3
    middle = (y0 + y1) / 2
    left = max(0.0, min(right - width, page_size[0] - width))
    top = min(page_size[1], max(middle + fit * seal_h / 2, height))
    return (left, top - height, left + width, top), full


def _last_visible_signature(writer: Any, page: int) -> tuple[float, float, float, float] | None:
    """The rectangle of the last visible signature widget on ``page`` (the signer's), if any."""
    try:
        page_ref, _ = writer.find_page_for_modification(page)
        annotations = page_ref.get_object().get("/Annots", [])
        annotations = annotations.get_object() if hasattr(annotations, "get_object") else annotations
        found = None
        for ref in annotations:
            annot = ref.get_object()
            field_type = annot.get("/FT") or (annot.get("/Parent") or {}).get("/FT")
            rect = [float(v) for v in annot.get("/Rect", [0, 0, 0, 0])]
            if annot.get("/Subtype") == "/Widget" and field_type == "/Sig" and rect[2] > rect[0] and rect[3] > rect[1]:
                found = (min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3]))
        return found
    except Exception:  # odd page or annotation structures: no signer block to go over
        return None


def _page_frame(writer: Any, page: int) -> _PageFrame:
    """``writer``'s ``page`` as displayed: its crop box (else its media box) and its /Rotate, each inherited from
    the page tree when the page has none of its own."""
    try:
        ref, _ = writer.find_page_for_modification(page)
        node, found = ref.get_object(), {}
        for _depth in range(64):  # a page tree deeper than that is broken (or a loop)
            for key in ("/CropBox", "/MediaBox", "/Rotate"):
                if key not in found and key in node:
                    found[key] = node[key]
            if "/Parent" not in node:
                break
            node = node["/Parent"]
        x0, y0, x1, y1 = (float(v) for v in found.get("/CropBox", found["/MediaBox"]))
        rotate = int(found.get("/Rotate", 0)) % 360
        # /UserUnit is the page's own (ISO 32000-1, table 30: not inherited), as ocr.inputs reads it
        try:
            unit = float(ref.get_object().get("/UserUnit", 1.0))
        except (TypeError, ValueError):  # a /UserUnit that is no number: readers take 1, as ocr.inputs does
            unit = 1.0
        unit = unit if math.isfinite(unit) and unit > 0 else 1.0
        return _PageFrame(min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1), rotate if rotate % 90 == 0 else 0, unit)
    except Exception:  # an odd page (no MediaBox, a box of names): an upright A4 page
        return _PageFrame(0.0, 0.0, 595.0, 842.0)


def appearance_from_settings(settings: Any, identity: SigningIdentity, kind: str) -> Appearance | None:
    """The configured appearance for ``identity`` (``none`` gives None: an invisible signature)."""
    if kind not in APPEARANCES:
        raise SigningConfigError(f"unknown signature appearance {kind!r}; valid: {', '.join(APPEARANCES)}")
    if kind == "none":
        return None
    cert = x509.load_der_x509_certificate(identity.certificate.dump())
    return Appearance(
        kind=kind,  # type: ignore[arg-type]  # checked against APPEARANCES above
        signer=_cert_attr(cert, NameOID.COMMON_NAME),
        organisation=_cert_attr(cert, NameOID.ORGANIZATIONAL_UNIT_NAME) or _cert_attr(cert, NameOID.ORGANIZATION_NAME),
        font=Path(settings.appearance_font),
        seal_image=settings.seal_image,
        signature_image=settings.signature_image,
    )
