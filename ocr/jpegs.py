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
   ICC profile) are copied. Not recoded: a JPEG that jpegtran cannot read without a warning (it would fill
   what it cannot decode with gray), one with ``/DecodeParms`` (a colour transform stated outside the data), one
   under 8 KB, one whose frame header states more pixels than a page sohoa reads (jpegtran would hold them all in
   memory), and every JPEG where jpegtran is not installed.
2. **A lossless Deflate layer** over the JPEG where that saves bytes, as OCRmyPDF does (a baseline JPEG's
   standard Huffman tables leave 5–10 % that Deflate finds; a progressive copy's less).

Of the JPEG and its copy, each bare or under Deflate, the smallest is stored, and only when it is smaller than
the stream as it was: a JPEG already under Deflate (OCRmyPDF's outputs, sohoa's before) is recoded too.

The archived original keeps the scanner's file byte for byte; ``stored_image_bytes`` gives back an image's JPEG
as stored in the copy.

A TIFF's JPEG-coded page, which img2pdf can only decode, is given to it as one JPEG of the page's own strips
(``tiff_frame_jpeg``), so that it too is stored as DCT data.
"""

from __future__ import annotations

import base64
import io
import os
import re
import shutil
import subprocess
import zlib
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

import pikepdf
from PIL import Image

from ocr.inputs import MAX_PAGE_PIXELS

# A JPEG wrapped in Deflate costs this much more than bare: the longer /Filter and /DecodeParms entries.
DEFLATE_ENTRY_BYTES = 64
# A JPEG this small is left as it is: its progressive copy would save a few hundred bytes for a jpegtran process
# (~1 ms of work and ~1 ms to start; QA106: 400 tiny JPEGs took 0.45 s instead of 0.03 s)
MIN_RECODED_BYTES = 8192
# jpegtran holds the whole image's coefficients in memory, as many as the JPEG's header says (QA106: a 380-byte
# JPEG saying 40000×40000 held 3.1 GB): a JPEG whose frame is larger than a page sohoa reads is not recoded, and
# jpegtran may use at most this much (a 9-megapixel colour page needs ~30 MB; one that needs more is left as stored)
JPEGTRAN_MEMORY = "300M"
# A JPEG under Deflate that inflates to more than this is left as stored: no scan page's JPEG is that large
MAX_JPEG_BYTES = 128 * 1024 * 1024
# jpegtran recodes a 9-megapixel page in ~0.1 s; one that takes this long is stuck, and the page keeps its coding
JPEGTRAN_TIMEOUT = 60


def progressive_copy(jpeg: bytes) -> bytes | None:
    """``jpeg`` coded progressively — the same coefficients, so the same pixels — or None when jpegtran is not
    installed, warns or fails, the JPEG's frame is no page's (``jpeg_frame_pixels``), or the copy is not the same
    image (size, colours) by its header."""
    tool = shutil.which("jpegtran")
    pixels = jpeg_frame_pixels(jpeg)
    if tool is None or pixels is None or not 0 < pixels <= MAX_PAGE_PIXELS:
        return None
    try:
        done = subprocess.run(
            [tool, "-maxmemory", JPEGTRAN_MEMORY, "-copy", "all", "-progressive"],
            input=jpeg,
            capture_output=True,
            timeout=JPEGTRAN_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    # exit 2 is libjpeg's "warning": corrupt data it went past, which a viewer of the original shows otherwise
    if done.returncode != 0 or done.stderr.strip() or not done.stdout:
        return None
    header = _jpeg_header(done.stdout)
    if header is None or header != _jpeg_header(jpeg):
        return None
    return done.stdout


def jpeg_segments(jpeg: bytes) -> Iterator[tuple[int, int, int]]:
    """(marker, start, end) of each marker segment of a JPEG before its first scan, ``jpeg[start:end]`` the marker
    and its data; a fill byte before a marker (T.81 B.1.1.2: "FF FF E2") is a segment of its own, marker 0xFF, one
    byte long. The walk ends at the start of scan (0xDA, not yielded), at bytes that are no marker, or at the end
    of the data; nothing for data that does not start as a JPEG does."""
    if not jpeg.startswith(b"\xff\xd8"):
        return
    at = 2
    while at + 4 <= len(jpeg) and jpeg[at] == 0xFF:
        marker = jpeg[at + 1]
        if marker == 0xDA:
            return
        end = at + 1 if marker == 0xFF else at + 2 + int.from_bytes(jpeg[at + 2 : at + 4], "big")
        yield marker, at, end
        at = end


def jpeg_frame_pixels(jpeg: bytes) -> int | None:
    """Width × height as the JPEG's frame header (SOFn) says them, read from its bytes (Pillow refuses to open a
    frame past its bomb limit); None when there is no frame header before the first scan."""
    for marker, start, _end in jpeg_segments(jpeg):
        if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):  # a frame header: not DHT, JPG, DAC
            if start + 9 > len(jpeg):
                return None
            height = int.from_bytes(jpeg[start + 5 : start + 7], "big")
            width = int.from_bytes(jpeg[start + 7 : start + 9], "big")
            return width * height
    return None


def _jpeg_header(jpeg: bytes) -> tuple[object, ...] | None:
    """What a decoder makes of the data: size, colours, the Adobe colour transform (CMYK/YCCK), the layers."""
    try:
        with Image.open(io.BytesIO(jpeg)) as image:
            layers = getattr(image, "layers", None)
            return (image.format, image.size, image.mode, image.info.get("adobe_transform"), layers)
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


@dataclass(frozen=True)
class _StoredJpeg:
    """A JPEG image stream of the PDF: the JPEG, and whether it is stored under a Deflate layer."""

    image: pikepdf.Stream
    jpeg: bytes
    stored_bytes: int  # as the stream holds it now
    deflated: bool
    dct_parms: pikepdf.Dictionary | None


def _stored_jpeg(image: pikepdf.Stream) -> _StoredJpeg | None:
    """The JPEG an image stream holds: bare (``/DCTDecode``, possibly a one-element array) or under one Deflate
    layer without parameters (``[/FlateDecode /DCTDecode]``: what OCRmyPDF, and sohoa before, write); None for
    any other filter chain, or a Deflate layer that does not inflate."""
    filters = image.get("/Filter")
    names = (
        [filters] if isinstance(filters, pikepdf.Name) else list(filters) if isinstance(filters, pikepdf.Array) else []
    )
    parms = image.get("/DecodeParms")
    each = list(parms) if isinstance(parms, pikepdf.Array) else [parms] * len(names)
    if len(each) != len(names) or not names or names[-1] != pikepdf.Name.DCTDecode:
        return None
    dct_parms = each[-1] if isinstance(each[-1], pikepdf.Dictionary) else None
    raw = stored = image.read_raw_bytes()
    # an ASCII layer first (reportlab writes `[/ASCII85Decode /DCTDecode]`): a quarter more bytes than the JPEG for
    # nothing, kept as it was (QA159 F5); taken off — it only shrinks what it decodes
    while len(names) > 1 and names[0] in _ASCII_LAYERS:
        decoded = None if isinstance(each[0], pikepdf.Dictionary) else _ascii_decoded(names[0], raw)
        if decoded is None:
            return None
        raw, names, each = decoded, names[1:], each[1:]
    if len(names) == 1:
        return _StoredJpeg(image, raw, len(stored), False, dct_parms)
    if names != [pikepdf.Name.FlateDecode, pikepdf.Name.DCTDecode] or isinstance(each[0], pikepdf.Dictionary):
        return None
    # inflated at most to MAX_JPEG_BYTES: the input checks inflate only what the pages draw, and a Deflate bomb
    # behind an /SMask or an object nothing draws would otherwise be inflated here in full
    inflate = zlib.decompressobj()
    try:
        jpeg = inflate.decompress(raw, MAX_JPEG_BYTES)
    except zlib.error:
        return None
    if inflate.unconsumed_tail or not inflate.eof:
        return None
    return _StoredJpeg(image, jpeg, len(stored), True, dct_parms)


_ASCII_LAYERS = (pikepdf.Name.ASCII85Decode, pikepdf.Name.ASCIIHexDecode)
_PDF_WHITESPACE = b"\x00\t\n\x0c\r "


def _ascii_decoded(layer: pikepdf.Object, data: bytes) -> bytes | None:
    """``data`` with an ASCII85 or ASCIIHex layer taken off (up to its end-of-data mark), or None when it is not one
    (PDF 1.7, 7.4.2–7.4.3)."""
    if layer == pikepdf.Name.ASCIIHexDecode:
        digits = data.split(b">", 1)[0].translate(None, _PDF_WHITESPACE)
        try:
            return bytes.fromhex((digits + b"0" * (len(digits) % 2)).decode("ascii"))
        except (UnicodeDecodeError, ValueError):
            return None
    text = data.split(b"~>", 1)[0].translate(None, _PDF_WHITESPACE)
    if text.startswith(b"<~"):
        return None  # no PDF reader takes it (qpdf, poppler, pdfium: an image of nothing): left as it is (QA161 N7)
    try:
        return base64.a85decode(text)
    except ValueError:
        return None


def _smallest_coding(stored: _StoredJpeg) -> tuple[bytes, bool] | None:
    """(the data to store, whether they are the JPEG under Deflate) that take the fewest bytes — of the JPEG and
    its progressive copy, each bare or under Deflate —, or None when the stream as stored is already as small
    (QA106: a copy smaller than the JPEG but larger than the JPEG under Deflate, the old coding, had been taken)."""
    copy = None
    if stored.dct_parms is None and len(stored.jpeg) >= MIN_RECODED_BYTES:
        copy = progressive_copy(stored.jpeg)  # /DecodeParms may state a colour transform outside the data: kept
    as_stored = stored.stored_bytes + (DEFLATE_ENTRY_BYTES if stored.deflated else 0)
    best: tuple[int, bytes, bool] | None = None
    for jpeg in (stored.jpeg, copy):
        if jpeg is None:
            continue
        codings = [(len(jpeg), jpeg, False)]
        if jpeg is copy or not stored.deflated:
            # the JPEG as scanned, already under Deflate, is not deflated again: that would be the stream as
            # stored, give or take zlib's level (OCRmyPDF's outputs: ~0.1 s of zlib a page for a few bytes)
            packed = zlib.compress(jpeg, 9)
            codings.append((len(packed) + DEFLATE_ENTRY_BYTES, packed, True))
        for size, data, deflated in codings:
            if size < as_stored and (best is None or size < best[0]):
                best = (size, data, deflated)
    return None if best is None else (best[1], best[2])


def compact_jpegs(pdf: pikepdf.Pdf) -> int:
    """Store each JPEG image of ``pdf`` in the fewest bytes that decode to its pixels: its coding or its
    progressive copy (``progressive_copy``), bare or under Deflate; return the bytes saved. One image per core at
    once, each written back as soon as its coding is found: a few JPEGs are held at a time, not the document's
    (QA133 F1: every JPEG of a 300-page scan, and each one's copies, were held together, ~140 MB)."""
    cores = max(1, os.cpu_count() or 1)
    saved = 0

    def write_back(stored: _StoredJpeg, coding: tuple[bytes, bool] | None) -> None:
        nonlocal saved
        if coding is None:
            return
        data, deflated = coding
        if deflated:
            parms = pikepdf.Array([None, stored.dct_parms]) if stored.dct_parms is not None else None
            flate_dct = pikepdf.Array([pikepdf.Name.FlateDecode, pikepdf.Name.DCTDecode])
            stored.image.write(data, filter=flate_dct, decode_parms=parms)
        else:
            stored.image.write(data, filter=pikepdf.Name.DCTDecode, decode_parms=stored.dct_parms)
        saved += stored.stored_bytes - len(data)

    pending: deque[tuple[_StoredJpeg, Future[tuple[bytes, bool] | None]]] = deque()
    with ThreadPoolExecutor(cores) as pool:  # jpegtran runs apart; zlib lets go of the GIL
        for obj in pdf.objects:
            if not (isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == pikepdf.Name.Image):
                continue
            if (stored := _stored_jpeg(obj)) is None:
                continue
            pending.append((stored, pool.submit(_smallest_coding, stored)))
            if len(pending) > cores:  # pikepdf's objects are written from this thread alone, in order
                done, coding = pending.popleft()
                write_back(done, coding.result())
        while pending:
            done, coding = pending.popleft()
            write_back(done, coding.result())
    return saved


def stored_image_bytes(image: pikepdf.Object) -> bytes:
    """An image's data as stored in the copy, without the lossless Deflate layer ``compact_jpegs`` may have put
    around a JPEG (so: the JPEG, as ``pdfimages -j`` writes it)."""
    raw = image.read_raw_bytes()
    filters = image.get("/Filter")
    if isinstance(filters, pikepdf.Array) and [str(f) for f in filters] == ["/FlateDecode", "/DCTDecode"]:
        return zlib.decompress(raw)
    return raw


# ------------------------------------------------------------------------------------- JPEG pages of a TIFF

TIFF_JPEG = 7  # Compression: "new-style" JPEG (TIFF Technical Note 2); 6, the old style, is not taken
_TIFF_GREY, _TIFF_RGB, _TIFF_YCBCR = 1, 2, 6  # PhotometricInterpretation: BlackIsZero, RGB, YCbCr
_BASELINE_FRAMES = (0xC0, 0xC1)  # SOF0, SOF1: sequential, Huffman-coded (what libtiff writes)
_OTHER_CODINGS = frozenset(range(0xC2, 0xD0)) - {0xC4, 0xCC}  # SOF2…SOF15 (not DHT, DAC)
_RESTART = re.compile(rb"\xff[\xd0-\xd7]")
# The most a pixel at a seam between strips may change when joined (``_same_but_seams``): its colour takes a
# quarter of the next strip's row in place of its own strip's edge, a chroma change of at most 64, which YCbCr's
# largest factor (1.772, Cb to blue) makes 113.4 (seen: 7 on Pillow's test pages, 32 on a page libtiff wrote)
SEAM_TOLERANCE = 114
# An APP14 "Adobe" segment saying the three components are RGB, not YCbCr (transform 0): how a JPEG stream says
# what a TIFF's Photometric RGB says beside it, for Pillow and for a PDF's DCTDecode alike
_ADOBE_RGB = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00"


# TIFF Orientation values that turn the stored page without mirroring it, and how to turn it back to the rows as
# stored (the JPEG's) from the page as Pillow decodes it, upright
STORED_FROM_UPRIGHT = {
    3: Image.Transpose.ROTATE_180,
    6: Image.Transpose.ROTATE_90,
    8: Image.Transpose.ROTATE_270,
}


def tiff_frame_jpeg(image: Image.Image, tiff_file: BinaryIO, turned: bool = False) -> bytes | None:
    """The current frame of a TIFF whose pages are JPEG-coded, as one JPEG file with the scanner's coefficients —
    so a PDF can hold the page as DCT data, as a JPEG file's page is held, not decoded and stored under Deflate
    (QA127: a 2.8 MB JPEG TIFF became a 9.9 MB page, as in OCRmyPDF's output). ``tiff_file``: the TIFF, open.

    libtiff stores such a page as strips, each an abbreviated JPEG of some rows, with the tables once in the
    JPEGTables tag. The strips' entropy-coded data, joined with restart markers between them and a restart
    interval of one strip's MCUs, is the scan of one JPEG: a restart resets the DC predictions, as each strip
    began afresh. None — the page then stored as it was, losslessly — unless every part is as described: baseline
    Huffman coding, 8-bit grey, RGB or YCbCr samples interleaved, strips a whole number of MCU rows high and none
    with restarts of its own; and unless the JPEG decodes to the pixels Pillow decodes from the TIFF (exactly, but
    at the seams between strips of colours sampled over two rows: ``_same_but_seams``).

    ``turned``: a page whose Orientation tag turns it (3, 6, 8: ``STORED_FROM_UPRIGHT``) is given too, its JPEG as
    stored — for its PDF page's /Rotate to turn (QA132 F5: decoded and stored under Deflate, 3–4 times the size)."""
    tags = getattr(image, "tag_v2", None)
    if tags is None or tags.get(259) != TIFF_JPEG or tags.get(322) is not None or tags.get(284, 1) != 1:
        return None
    orientation = tags.get(0x0112, 1)
    if orientation != 1 and not (turned and orientation in STORED_FROM_UPRIGHT):
        return None  # an Orientation tag: the page is its pixels turned (or mirrored), new ones
    layout = (tags.get(262), tags.get(277, 1), image.mode)
    if layout not in ((_TIFF_GREY, 1, "L"), (_TIFF_RGB, 3, "RGB"), (_TIFF_YCBCR, 3, "RGB")):
        return None
    offsets, counts = tags.get(273), tags.get(279)
    if not offsets or not counts or len(offsets) != len(counts):
        return None
    # as stored: Pillow gives a turned page's size, and its pixels, upright
    width, height = (tags.get(256), tags.get(257)) if orientation != 1 else image.size
    if not isinstance(width, int) or not isinstance(height, int):
        return None
    rows = min(int(tags.get(278, height)), height)
    strips = []
    for offset, count in zip(offsets, counts, strict=True):
        tiff_file.seek(offset)
        strips.append(tiff_file.read(count))
    tables = bytes(tags.get(347, b""))
    if tables and not (tables.startswith(b"\xff\xd8") and tables.endswith(b"\xff\xd9")):
        return None
    joined = _joined_strips(strips, tables[2:-2], width, height, rows)
    if joined is None:
        return None
    jpeg, chroma_rows = joined
    if layout[0] == _TIFF_RGB:
        jpeg = jpeg[:2] + _ADOBE_RGB + jpeg[2:]
    try:
        with Image.open(io.BytesIO(jpeg)) as decoded:
            stored = image if orientation == 1 else image.transpose(STORED_FROM_UPRIGHT[orientation])
            same = decoded.mode == stored.mode and decoded.size == stored.size
            if not (same and _same_but_seams(decoded, stored, rows if chroma_rows else 0)):
                return None
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    # the page's ICC profile (its InterColorProfile tag) with it, as a JPEG file carries its own: img2pdf gives the
    # image an /ICCBased colour space from it. It was left behind (QA144 F1: a scanner's Adobe RGB page shown as
    # DeviceRGB, its colours shifted: an upright page since its JPEG data was kept; decoded, a turned one had kept it)
    return _with_icc_profile(jpeg, image.info.get("icc_profile"))


def _with_icc_profile(jpeg: bytes, profile: bytes | None) -> bytes:
    """``jpeg`` with ``profile`` in APP2 ICC_PROFILE segments after its SOI (ICC.1 Annex B.4: at most 65,519 bytes of
    it a segment, each numbered, and their count)."""
    if not profile:
        return jpeg
    chunk = 65519
    parts = [profile[start : start + chunk] for start in range(0, len(profile), chunk)]
    if len(parts) > 255:
        return jpeg  # no JPEG can say so much
    segments = b"".join(
        b"\xff\xe2"
        + (2 + 12 + 2 + len(part)).to_bytes(2, "big")
        + b"ICC_PROFILE\x00"
        + bytes([number, len(parts)])
        + part
        for number, part in enumerate(parts, start=1)
    )
    return jpeg[:2] + segments + jpeg[2:]


def _same_but_seams(joined: Image.Image, tiff: Image.Image, strip_rows: int) -> bool:
    """Whether the joined JPEG's pixels are the TIFF's — but, with colours sampled over two rows (``strip_rows``
    not 0), the rows at a seam between strips, by at most SEAM_TOLERANCE. Such colours are spread back over
    their rows from both rows' neighbours (libjpeg's "fancy" upsampling): joined, from the next strip's; from
    the strip's own edge where libtiff decodes a strip alone. Compared a few hundred rows at a time."""
    import numpy as np

    ours, theirs = np.asarray(joined), np.asarray(tiff)
    for top in range(0, ours.shape[0], 512):
        worst = (
            np.abs(ours[top : top + 512].astype(np.int16) - theirs[top : top + 512])
            .reshape(min(512, ours.shape[0] - top), -1)
            .max(axis=1)
        )
        for row in np.flatnonzero(worst).tolist():
            at_seam = strip_rows and (top + row) % strip_rows in (0, strip_rows - 1) and top + row > 0
            if not at_seam or worst[row] > SEAM_TOLERANCE:
                return False
    return True


def _joined_strips(strips: list[bytes], tables: bytes, width: int, height: int, rows: int) -> tuple[bytes, bool] | None:
    """The strips as one JPEG (``tiff_frame_jpeg``) and whether its colours are sampled over two rows or more;
    None where they are not what it takes."""
    # per strip: its segments before the scan, its height blanked, and its scan header
    headers: list[tuple[bytes, bytes]] = []
    scans: list[bytes] = []
    frame_at = 0
    for number, strip in enumerate(strips):
        segments = list(jpeg_segments(strip))
        markers = [marker for marker, _start, _end in segments]
        frames = [start for marker, start, _end in segments if marker in _BASELINE_FRAMES]
        if len(frames) != 1 or any(marker == 0xDD or marker in _OTHER_CODINGS for marker in markers):
            return None  # no frame, or restarts of its own, or a progressive, lossless or arithmetic-coded frame
        frame_at = frames[0]
        scan_at = segments[-1][2]
        if strip[scan_at : scan_at + 2] != b"\xff\xda":
            return None
        scan_start = scan_at + 2 + int.from_bytes(strip[scan_at + 2 : scan_at + 4], "big")
        end = strip.rfind(b"\xff\xd9")
        if end < scan_start or _RESTART.search(strip, scan_start, end):
            return None
        if number < len(strips) - 1 and int.from_bytes(strip[frame_at + 5 : frame_at + 7], "big") != rows:
            return None
        before_scan = strip[2 : frame_at + 5] + b"\x00\x00" + strip[frame_at + 7 : scan_at]
        headers.append((before_scan, strip[scan_at:scan_start]))
        scans.append(strip[scan_start:end])
    if not scans or any(header != headers[0] for header in headers):
        return None
    first = strips[0]
    components = first[frame_at + 9]
    if first[frame_at + 4] != 8 or int.from_bytes(first[frame_at + 7 : frame_at + 9], "big") != width:
        return None
    factors = [first[frame_at + 11 + 3 * i] for i in range(components)]
    # an MCU: the largest sampling factors' blocks of 8×8 pixels; one block where the scan has one component
    mcu_width = 8 * max(f >> 4 for f in factors) if components > 1 else 8
    mcu_height = 8 * max(f & 15 for f in factors) if components > 1 else 8
    restart = -(-width // mcu_width) * (rows // mcu_height)
    interval = b""
    if len(scans) > 1:
        if rows % mcu_height or not 0 < restart <= 0xFFFF:
            return None
        interval = b"\xff\xdd\x00\x04" + restart.to_bytes(2, "big")
    before_scan, scan_header = headers[0]
    height_at = frame_at + 5 - 2  # in before_scan, which starts after the SOI
    before_scan = before_scan[:height_at] + height.to_bytes(2, "big") + before_scan[height_at + 2 :]
    joined = bytearray(b"\xff\xd8" + tables + before_scan + interval + scan_header)
    for number, scan in enumerate(scans):
        if number:
            joined += bytes((0xFF, 0xD0 + (number - 1) % 8))
        joined += scan
    return bytes(joined + b"\xff\xd9"), mcu_height > 8
