"""Uploaded images checked by their content and re-encoded before anything stores them.

A file's name and its declared type say nothing about its bytes: an .exe named .png, an SVG with a script
or a PNG whose header declares 144 megapixels all arrive as "image.png". Every upload path (the profile's
headshot, photo ID and signature, drawn signatures, visit photos) passes its bytes through
`image_normalise`, which reads only the header before deciding, refuses what is not a PNG or JPEG, and
stores a fresh encoding: no metadata (EXIF, GPS, text chunks) survives, and signatures are downscaled so a
PDF embeds a small picture."""

import warnings
from dataclasses import dataclass
from io import BytesIO
from pathlib import PurePath

from django.core.files.uploadedfile import SimpleUploadedFile, UploadedFile
from PIL import Image, ImageOps

from medspa.errors import DomainError

NOT_AN_IMAGE = "This file is not a PNG or JPEG image."
NOT_AN_IMAGE_OR_PDF = "This file is not a PNG or JPEG image or a PDF."

# What Pillow may open here: the formats the product takes, never SVG, GIF, TIFF, ICO or the rest.
ACCEPTED_FORMATS = frozenset({"PNG", "JPEG"})
# A phone's JPEG with a second picture inside (MPO) is opened by Pillow's JPEG reader and stored as a JPEG.
JPEG_FORMATS = frozenset({"JPEG", "MPO"})


class ImageRefused(DomainError):
    """An upload that is not an image we store: its message is for the person who uploaded it."""


@dataclass(frozen=True)
class ImageRule:
    """The limits of one kind of upload: its size on disk, its pixels as declared by its header, the
    longest side it is stored with (larger images are downscaled) and the format it is stored in (None
    keeps PNG as PNG and JPEG as JPEG)."""

    max_bytes: int
    max_pixels: int
    max_width: int
    max_height: int
    store_as: str | None = None


MB = 1024 * 1024

# A signature is a line drawing: 1200x400 is sharp at 60 mm in a PDF and costs a few hundred kilobytes
# of memory to embed, where a full-page drawing cost hundreds of megabytes at each exam PDF.
SIGNATURE = ImageRule(max_bytes=5 * MB, max_pixels=16_000_000, max_width=1200, max_height=400, store_as="PNG")
HEADSHOT = ImageRule(max_bytes=5 * MB, max_pixels=40_000_000, max_width=1200, max_height=1200)
PHOTO_ID = ImageRule(max_bytes=5 * MB, max_pixels=40_000_000, max_width=3000, max_height=3000)
# Before/after photos keep their detail (a phone's 12-48 MP camera), within a bound a server can decode.
VISIT_PHOTO = ImageRule(max_bytes=15 * MB, max_pixels=50_000_000, max_width=4096, max_height=4096)


def _megabytes(count: int) -> str:
    return f"{count / MB:g} MB"


def image_normalise(data: bytes, *, rule: ImageRule) -> tuple[bytes, str]:
    """The image in `data` re-encoded under `rule`, with its format ("PNG" or "JPEG"). Raises ImageRefused
    for anything larger than the rule allows or not a PNG or JPEG by its content, deciding from the size
    and the header before a single pixel is decoded."""
    if len(data) > rule.max_bytes:
        raise ImageRefused(f"The file is larger than {_megabytes(rule.max_bytes)}.")
    with warnings.catch_warnings():
        # Pillow only warns between its own limit and twice that; here any bomb is a refusal.
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(BytesIO(data), formats=sorted(ACCEPTED_FORMATS))
        except (Image.DecompressionBombError, Image.DecompressionBombWarning):
            raise ImageRefused(_too_many_pixels(rule)) from None
        except Exception:  # Pillow raises many kinds for bytes that are not an image it may open.
            raise ImageRefused(NOT_AN_IMAGE) from None
        with image:
            if image.format not in ACCEPTED_FORMATS | JPEG_FORMATS:
                raise ImageRefused(NOT_AN_IMAGE)
            width, height = image.size
            if width < 1 or height < 1:
                raise ImageRefused(NOT_AN_IMAGE)
            if width * height > rule.max_pixels:
                raise ImageRefused(_too_many_pixels(rule))
            source_format = "JPEG" if image.format in JPEG_FORMATS else "PNG"
            if source_format == "JPEG":
                # A JPEG decodes straight at a fraction of its size when it is to be downscaled anyway.
                image.draft("RGB", (rule.max_width, rule.max_height))
            try:
                image.load()
                # The camera's orientation is applied to the pixels, since the EXIF that carried it goes.
                upright = ImageOps.exif_transpose(image)
            except Exception:
                raise ImageRefused(NOT_AN_IMAGE) from None
    target = rule.store_as or source_format
    upright = _for_format(upright, target)
    upright.thumbnail((rule.max_width, rule.max_height), Image.Resampling.LANCZOS)
    buffer = BytesIO()
    if target == "PNG":
        upright.save(buffer, format="PNG", optimize=True)
    else:
        upright.save(buffer, format="JPEG", quality=88, optimize=True)
    return buffer.getvalue(), target


def _too_many_pixels(rule: ImageRule) -> str:
    return f"This image is too large: at most {rule.max_pixels / 1_000_000:g} megapixels."


def _for_format(image: Image.Image, target: str) -> Image.Image:
    """The image in a mode its target format stores (palette and 16-bit images included)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if target == "JPEG":
        if has_alpha:
            rgba = image.convert("RGBA")
            flat = Image.new("RGB", rgba.size, "white")
            flat.paste(rgba, mask=rgba.getchannel("A"))
            return flat
        return image.convert("L") if image.mode in ("1", "L", "I;16", "I") else image.convert("RGB")
    if image.mode in ("1", "L", "RGB", "RGBA", "LA"):
        return image.copy()
    return image.convert("RGBA" if has_alpha else "RGB")


def upload_normalise(upload: UploadedFile | None, *, rule: ImageRule, pdf: bool = False):
    """An uploaded file replaced by its re-encoded image (named after what it now is), for a form's
    clean method. With `pdf`, a PDF (by its content) is kept as it is, since photo IDs may be scans."""
    if not upload or not isinstance(upload, UploadedFile):
        return upload  # nothing uploaded, or the file already stored
    if upload.size is not None and upload.size > rule.max_bytes:
        raise ImageRefused(f"The file is larger than {_megabytes(rule.max_bytes)}.")
    upload.seek(0)
    data = upload.read(rule.max_bytes + 1)
    stem = PurePath(upload.name or "").stem[:80] or "upload"
    if pdf and data.startswith(b"%PDF-"):
        if len(data) > rule.max_bytes:
            raise ImageRefused(f"The file is larger than {_megabytes(rule.max_bytes)}.")
        return SimpleUploadedFile(f"{stem}.pdf", data, content_type="application/pdf")
    try:
        stored, image_format = image_normalise(data, rule=rule)
    except ImageRefused as refused:
        if pdf and str(refused) == NOT_AN_IMAGE:
            raise ImageRefused(NOT_AN_IMAGE_OR_PDF) from None
        raise
    suffix, content_type = {"PNG": (".png", "image/png"), "JPEG": (".jpg", "image/jpeg")}[image_format]
    return SimpleUploadedFile(f"{stem}{suffix}", stored, content_type=content_type)


def signature_normalise(png: bytes) -> bytes:
    """A signature's bytes (drawn or uploaded) as the small PNG that exams and consents are signed with."""
    stored, _ = image_normalise(png, rule=SIGNATURE)
    return stored
