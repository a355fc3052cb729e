"""Real picture bytes for the tests, made with Pillow: photos, screenshots, GIFs, and the hostile files people (or
attackers) send: a decompression bomb, a cut-off file, a file named .png that is not one, an SVG, a 50 MB file."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

from PIL import Image

EXIF_ORIENTATION = 0x0112
ROTATED_90 = 6  # EXIF: the camera was turned; a viewer rotates the picture 90° clockwise
GPS_IFD = 0x8825


def photo(
    width: int, height: int, colour: tuple[int, int, int] = (200, 40, 40), exif: Image.Exif | None = None
) -> bytes:
    """A JPEG of one colour with a little noise (a photo compresses like this, not like a flat colour)."""
    # Noise made at a quarter of the size and scaled up: grain like a photo's, at a fraction of the time to make.
    small = Image.effect_noise((max(1, width // 4), max(1, height // 4)), 24).convert("L")
    noise = small.resize((width, height), Image.Resampling.BILINEAR)
    image = Image.merge("RGB", [noise.point(lambda v, c=c: max(0, min(255, c + v - 128))) for c in colour])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90, exif=exif or Image.Exif())
    return out.getvalue()


def noisy_photo(width: int, height: int) -> bytes:
    """A JPEG that compresses badly (pure noise): what fills a byte budget fastest."""
    out = io.BytesIO()
    Image.merge("RGB", [Image.effect_noise((width, height), 100).convert("L") for _ in range(3)]).save(
        out, "JPEG", quality=95
    )
    return out.getvalue()


def turned_photo_with_gps() -> bytes:
    """A 300 x 200 JPEG whose EXIF says it must be turned (so it is 200 x 300 upright) and where it was taken."""
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90
    exif[GPS_IFD] = {1: "N", 2: (59.0, 54.0, 49.0), 3: "E", 4: (10.0, 45.0, 6.0)}
    return photo(300, 200, exif=exif)


def screenshot_with_transparency() -> bytes:
    """A PNG whose left half is transparent and right half blue."""
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((40, 70, 200, 255), (200, 0, 400, 300))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def animated_gif(first: str = "green", then: str = "red") -> bytes:
    frames = [Image.new("RGB", (120, 80), colour) for colour in (first, then, then)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return out.getvalue()


def webp(colour: str = "yellow") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (160, 120), colour).save(out, "WEBP")
    return out.getvalue()


def bomb(side: int = 30_000) -> bytes:
    """A valid PNG header declaring side x side grey pixels, with a few rows of zeros: a few hundred bytes that
    would take side² bytes of memory to decode."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = zlib.compress(b"\x00" * (side + 1) * 4, 9)
    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


NOT_A_PNG = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n" * 20
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>'
FIFTY_MB = 50 * 1024 * 1024


def sparse_file(path: Path, size: int = FIFTY_MB) -> Path:
    """A file of `size` bytes that takes no disk space (and whose bytes a test can prove were never read)."""
    with path.open("wb") as file:
        file.truncate(size)
    return path
