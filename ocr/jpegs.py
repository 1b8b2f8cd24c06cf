"""JPEG scan images in the searchable copy: the same pixels in fewer bytes.

A JPEG page image is stored as the scanner's DCT coefficients, never decoded and encoded again (that would lose
detail). Two lossless steps make it smaller:

1. **Progressive coding** (``progressive_copy``): ``jpegtran -progressive`` (libjpeg-turbo, Debian's
   libjpeg-turbo-progs) writes the same coefficients in a progressive JPEG, whose spectral-selection scans and
   optimised Huffman tables need 8–13 % fewer bytes than the baseline coding scanners write (measured 2026-12-04:
   a 300 dpi gray decree page 795,015 → 690,571 bytes; OCRmyPDF's ``poster.pdf`` 693,722 → 631,085, a JPEG whose
   Huffman tables were already optimised). A decoder rebuilds the same pixels, bit for bit — the coefficients
   are the same numbers —, which the tests check by decoding both. PDF's DCTDecode filter reads progressive JPEGs
   (PDF 1.3 and later; ISO 32000-1, 7.4.8), and PDF/A-2 sets no limit on them. Markers (JFIF density, EXIF, an
   ICC profile) are copied. Left as it is: a JPEG that jpegtran cannot read without a warning (it would fill
   what it cannot decode with gray), one with ``/DecodeParms`` (a colour transform stated outside the data),
   one that comes out no smaller, and every JPEG where jpegtran is not installed.
2. **A lossless Deflate layer** over the JPEG where that saves bytes, as OCRmyPDF does (a baseline JPEG's
   standard Huffman tables leave 5–10 % that Deflate finds; a progressive copy's little or nothing).

The archived original keeps the scanner's file byte for byte; ``stored_image_bytes`` gives back an image's JPEG
as stored in the copy.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import zlib
from concurrent.futures import ThreadPoolExecutor

import pikepdf
from PIL import Image

# A JPEG wrapped in Deflate must save more than the longer /Filter and /DecodeParms entries cost.
MIN_DEFLATE_GAIN = 64
# A progressive copy is taken when it is at least this much smaller: a JPEG already progressive comes out the same
MIN_PROGRESSIVE_GAIN = 64
# jpegtran recodes a 9-megapixel page in ~0.1 s; one that takes this long is stuck, and the page keeps its coding
JPEGTRAN_TIMEOUT = 60


def progressive_copy(jpeg: bytes) -> bytes | None:
    """``jpeg`` coded progressively — the same coefficients, so the same pixels — or None when jpegtran is not
    installed, warns or fails, or the copy is not smaller, or not the same image (size, colours) by its header."""
    tool = shutil.which("jpegtran")
    if tool is None or not jpeg.startswith(b"\xff\xd8"):
        return None
    try:
        done = subprocess.run(
            [tool, "-copy", "all", "-progressive"],
            input=jpeg,
            capture_output=True,
            timeout=JPEGTRAN_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # exit 2 is libjpeg's "warning": corrupt data it went past, which a viewer of the original shows otherwise
    if done.returncode != 0 or done.stderr.strip() or len(done.stdout) + MIN_PROGRESSIVE_GAIN > len(jpeg):
        return None
    if _jpeg_header(done.stdout) != _jpeg_header(jpeg):
        return None
    return done.stdout


def _jpeg_header(jpeg: bytes) -> tuple[object, ...] | None:
    """What a decoder makes of the data: size, colours, the Adobe colour transform (CMYK/YCCK), the layers."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            return (
                image.format,
                image.size,
                image.mode,
                image.info.get("adobe_transform"),
                getattr(image, "layers", None),
            )
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _bare_jpeg(image: pikepdf.Stream) -> bool:
    """A JPEG stored as it came (the DCT filter alone, possibly as a one-element array)."""
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array) and len(filters) == 1:
        filters = filters[0]
    return filters == pikepdf.Name.DCTDecode


def _decode_parms(image: pikepdf.Stream) -> pikepdf.Dictionary | None:
    parms = image.get("/DecodeParms")
    if isinstance(parms, pikepdf.Array) and len(parms) == 1:
        parms = parms[0]
    return parms if isinstance(parms, pikepdf.Dictionary) else None


def compact_jpegs(pdf: pikepdf.Pdf) -> int:
    """Store each JPEG image of ``pdf`` progressively coded (``progressive_copy``) and
    wrapped in Deflate where either makes it smaller; return the bytes saved. The copies are made at once, one
    jpegtran per core."""
    images = [
        obj
        for obj in pdf.objects
        if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image and _bare_jpeg(obj)
    ]
    stored = [image.read_raw_bytes() for image in images]
    recodable = [_decode_parms(image) is None for image in images]
    with ThreadPoolExecutor(max(1, min(len(images), os.cpu_count() or 1))) as pool:
        copies = list(pool.map(lambda jpeg, recode: progressive_copy(jpeg) if recode else None, stored, recodable))
    saved = 0
    for image, jpeg, copy in zip(images, stored, copies, strict=True):
        smaller = copy if copy is not None else jpeg
        packed = zlib.compress(smaller, 9)
        dct_parms = _decode_parms(image)
        if len(packed) + MIN_DEFLATE_GAIN <= len(smaller):
            image.write(
                packed,
                filter=pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.DCTDecode]),
                decode_parms=pikepdf.Array([None, dct_parms]) if dct_parms is not None else None,
            )
            saved += len(jpeg) - len(packed)
        elif copy is not None:
            image.write(copy, filter=pikepdf.Name.DCTDecode, decode_parms=dct_parms)
            saved += len(jpeg) - len(copy)
    return saved


def stored_image_bytes(image: pikepdf.Object) -> bytes:
    """An image's data as stored in the copy, without the lossless Deflate layer ``compact_jpegs`` may have put
    around a JPEG (so: the JPEG, as ``pdfimages -j`` writes it)."""
    raw = image.read_raw_bytes()
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array) and [str(f) for f in filters] == ["/FlateDecode", "/DCTDecode"]:
        return zlib.decompress(raw)
    return raw
