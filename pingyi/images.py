"""Evidence photos: iPhone HEIC converted to JPEG and oversized photos shrunk on upload; thumbnails and a
larger view re-encoded by Pillow, so only plain pixels (nothing else the file carried) reach a browser."""
import io

import pillow_heif
from PIL import Image, ImageOps, UnidentifiedImageError

from pingyi.errors import DomainError

pillow_heif.register_heif_opener()
Image.MAX_IMAGE_PIXELS = 60_000_000  # a 50-megapixel phone photo passes; a decompression bomb does not
HEIC = ("heic", "heif")
PHOTO = ("jpg", "jpeg", "png")
MAX_SIDE = 2560  # a stored photo's longer side; larger ones are shrunk on upload
SIZES = {"thumb": 240, "view": 1280}


def _ext(filename):
    return filename.rsplit(".", 1)[-1].lower() if "." in filename else ""


def _open(data, name):
    try:
        image = Image.open(io.BytesIO(data))
        image.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise DomainError(f"“{name}”不是可以识别的照片，请重新拍摄或换一张")
    return ImageOps.exif_transpose(image)


def _jpeg(image, quality=85):
    out = io.BytesIO()
    image.convert("RGB").save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()


def prepare_upload(filename, data):
    """(filename, data) to store: HEIC/HEIF becomes JPEG, a photo larger than MAX_SIDE is shrunk; other files
    pass unchanged."""
    ext = _ext(filename)
    if ext in HEIC:
        image = _open(data, filename)
        image.thumbnail((MAX_SIDE, MAX_SIDE))
        return filename.rsplit(".", 1)[0] + ".jpg", _jpeg(image)
    if ext in PHOTO and data[:3] in (b"\xff\xd8\xff", b"\x89PN"):
        try:
            with Image.open(io.BytesIO(data)) as probe:
                width, height = probe.size
        except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
            return filename, data  # the upload check explains what is wrong with it
        if max(width, height) > MAX_SIDE:
            image = _open(data, filename)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            if ext == "png":
                out = io.BytesIO()
                image.save(out, "PNG", optimize=True)
                return filename, out.getvalue()
            return filename, _jpeg(image)
    return filename, data


def is_photo(stored):
    return stored.kind in ("jpg", "png")


def rendition(path, size):
    """A JPEG of the stored photo whose longer side is at most SIZES[size] pixels."""
    with open(path, "rb") as f:
        image = _open(f.read(), "照片")
    image.thumbnail((SIZES[size], SIZES[size]))
    return _jpeg(image, quality=80)
