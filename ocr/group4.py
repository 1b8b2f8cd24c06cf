"""Black-and-white scan images in the searchable copy: the same pixels in fewer bytes.

A 1-bit page image stored with Flate (a scanner's PDF, a 1-bit PNG that img2pdf embeds so) is coded again as
CCITT Group 4 — the fax coding made for black-and-white pages, lossless — where that is smaller: a 300 dpi A4 page
of text 107,739 bytes under Flate, 62,913 as G4 (QA116: on a PDF 2.0 input OCRmyPDF sends through Ghostscript,
which codes it so, sohoa's copy was 1.47× the size of OCRmyPDF's). The pixels are decoded from the new stream and
compared with the old before it is kept, bit for bit; PDF/A-2 allows CCITTFaxDecode. The archived original keeps
the scanner's file byte for byte.
"""

from __future__ import annotations

import io
import logging

import numpy as np
import pikepdf
from PIL import Image, TiffImagePlugin

log = logging.getLogger(__name__)

# An image this small is left as it is: a logo's or a rule's bytes, not a page's
MIN_RECODED_BYTES = 8192


def compact_bilevel(pdf: pikepdf.Pdf) -> int:
    """Code each plain 1-bit Flate image of ``pdf`` (DeviceGray, no /Decode, mask or soft mask)
    as CCITT Group 4 where that is smaller and decodes to the same pixels; how many were."""
    recoded = 0
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream) or not _plain_bilevel(obj):
            continue
        try:
            pixels = pikepdf.PdfImage(obj).as_pil_image()
            coded = _group4(pixels)
        except (pikepdf.PdfError, OSError, ValueError, NotImplementedError) as exc:
            log.debug("image %s left as stored: %s", obj.objgen, exc)
            continue
        if coded is None or len(coded) >= len(obj.read_raw_bytes()):
            continue
        parms = pikepdf.Dictionary(K=-1, Columns=pixels.width, Rows=pixels.height, BlackIs1=True)
        trial = pdf.make_stream(
            coded,
            Type=pikepdf.Name.XObject,
            Subtype=pikepdf.Name.Image,
            Width=pixels.width,
            Height=pixels.height,
            BitsPerComponent=1,
            ColorSpace=pikepdf.Name.DeviceGray,
            Filter=pikepdf.Name.CCITTFaxDecode,
            DecodeParms=parms,
        )
        same = np.array_equal(np.asarray(pikepdf.PdfImage(trial).as_pil_image()), np.asarray(pixels))
        if not same:  # never a different page
            continue
        obj.write(coded, filter=pikepdf.Name.CCITTFaxDecode, decode_parms=parms)
        recoded += 1
    return recoded


def _plain_bilevel(obj: pikepdf.Stream) -> bool:
    """Whether ``obj`` is a 1-bit DeviceGray image stored under Flate alone (with a PNG predictor or not: img2pdf
    embeds a 1-bit PNG so), with nothing that changes how its bits are read (/Decode) or shown through (a mask),
    and worth coding again."""
    if obj.get("/Subtype") != pikepdf.Name.Image:
        return False
    if obj.get("/BitsPerComponent") != 1 or obj.get("/ImageMask", False) or obj.get("/ColorSpace") != "/DeviceGray":
        return False
    if obj.get("/Filter") != pikepdf.Name.FlateDecode or any(key in obj for key in ("/Decode", "/SMask", "/Mask")):
        return False
    return len(obj.read_raw_bytes()) >= MIN_RECODED_BYTES


def _group4(image: Image.Image) -> bytes | None:
    """``image`` (1-bit) coded as CCITT Group 4, the bare data of a one-strip TIFF; None when it is no 1-bit
    image or the TIFF came out in several strips."""
    if image.mode != "1":
        return None
    buffer = io.BytesIO()
    image.save(buffer, "TIFF", compression="group4", strip_size=2**31 - 1)
    tiff = Image.open(io.BytesIO(buffer.getvalue()))
    if not isinstance(tiff, TiffImagePlugin.TiffImageFile):
        return None
    offsets, counts = tiff.tag_v2.get(273, ()), tiff.tag_v2.get(279, ())
    if len(offsets) != 1 or len(counts) != 1:
        return None
    return buffer.getvalue()[offsets[0] : offsets[0] + counts[0]]
