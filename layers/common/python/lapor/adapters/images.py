"""Image cleaning with Pillow: re-encode a photo from its pixels alone, so no metadata survives.

Used only by the attachments processing function (Pillow is in that function's own layer, never on
the API's cold path). EXIF (with GPS position, camera serial numbers, the owner's name), XMP, IPTC,
ICC comments and PNG text chunks are all dropped; the EXIF orientation is applied to the pixels
first, so the photo still shows the right way up.
"""

from __future__ import annotations

import io

# A decompression bomb (a tiny file that expands to gigapixels) is refused, not decoded.
MAX_PIXELS = 60_000_000


class UnreadableImage(ValueError):
    """The bytes are not an image Pillow can decode within the limits."""


def strip_metadata(data: bytes, content_type: str) -> bytes:
    """The image re-encoded without any metadata, in the same format (JPEG or PNG)."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    fmt = {"image/jpeg": "JPEG", "image/png": "PNG"}[content_type]
    try:
        with Image.open(io.BytesIO(data)) as probe:
            probe.verify()  # structure check before decoding pixels
        with Image.open(io.BytesIO(data)) as image:
            if image.format != fmt:
                raise UnreadableImage(f"declared {fmt}, found {image.format}")
            upright = ImageOps.exif_transpose(image)
            pixels = upright.convert("RGB") if fmt == "JPEG" and upright.mode not in ("RGB", "L") else upright
            # A new image from the pixel data alone: nothing of .info (exif, xmp, icc, text) comes along.
            clean = Image.new(pixels.mode, pixels.size)
            clean.paste(pixels)
            if pixels.mode == "P" and pixels.getpalette():
                clean.putpalette(pixels.getpalette())
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise UnreadableImage(str(error)) from error
    out = io.BytesIO()
    if fmt == "JPEG":
        clean.save(out, "JPEG", quality=90, optimize=True)
    else:
        clean.save(out, "PNG", optimize=True)
    return out.getvalue()
