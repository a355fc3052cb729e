"""Pictures people send, made ready for a vision model: checked, opened safely, upright, small, JPEG.

A picture is opened by Pillow with only the four formats people send (PNG, JPEG, WebP, GIF), so no other decoder
ever runs on outside bytes. Its size is read from the header before a pixel is decoded: a decompression bomb is
refused, not opened. A JPEG is decoded at the smallest scale that still covers the target (Pillow's draft mode),
so a 12 MP photo is never decoded whole. Then the picture is turned upright (EXIF orientation), its first frame
taken (GIF, animated WebP), scaled so its longest side is at most 1,024 px and re-encoded: a PNG or GIF (a
screenshot, a drawing) as PNG when that stays small, so its text stays sharp, anything else as JPEG. Every
OpenAI-compatible vision endpoint reads both (llama.cpp's stb_image reads no WebP), and re-encoding drops EXIF, so a
phone photo's GPS position never reaches the provider.

The bytes live in memory for one reply and its description (bot/mind/seeing.py); they are never written to disk.
Pillow is CPU-bound and synchronous: `look_at` runs it in a worker thread, one message's pictures one after another.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from PIL import Image, ImageOps, UnidentifiedImageError

from bot.errors import AikiError

log = logging.getLogger(__name__)

# The formats people send; Pillow tries no other decoder on outside bytes.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
KINDS = "PNG, JPEG, WebP or GIF"
MAX_SIDE = 1_024  # the longest side sent to the model (OpenAI scales larger ones down to tiles of this size anyway)
# Larger files are refused before they are downloaded (OpenAI's limit per image is 20 MB too).
MAX_FILE_BYTES = 20 * 1024 * 1024
# Pixels decoded at most (after a JPEG's draft scaling): 40 MP is 160 MB as RGBA, and a bomb declares billions.
MAX_PIXELS = 40_000_000
MAX_PICTURES = 4  # per message (Discord allows 10 attachments); each costs ~1,100 prompt tokens (bot/tokens.py)
# What one message's pictures may weigh once re-encoded, before base64 (x 4/3 in the request).
MESSAGE_PICTURE_BYTES = 1_500_000
JPEG_QUALITIES = (85, 70, 55)  # tried in turn until a picture fits its share of the budget; then it is scaled down
# A screenshot stays PNG (sharp text) up to this size; a photo saved as PNG would be ~1.5 MB, and goes as JPEG.
PNG_AT_MOST = 400_000
MEDIA_TYPE = "image/jpeg"
_NAME_CHARS = 60
_NOT_PICTURES = ("application/", "audio/", "video/", "text/", "font/", "model/")
_SVG_TYPES = ("image/svg+xml",)


class VisionMode(str, Enum):
    """AIKI_LLM_VISION: show the model pictures always, never, or after finding out once per model (auto)."""

    AUTO = "auto"
    ON = "on"
    OFF = "off"


@dataclass(frozen=True)
class Picture:
    """A picture ready for the model: JPEG (or PNG) bytes, longest side at most MAX_SIDE. Never stored."""

    name: str  # the file name as sent (outside text: shown to its sender only, never in a prompt)
    data: bytes = field(repr=False)  # never in a log line, a repr or an assertion message
    width: int
    height: int
    media_type: str = MEDIA_TYPE

    def data_url(self) -> str:
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"


class PictureRefusedError(AikiError):
    """One picture AIKI did not look at; `str()` is the line its sender sees."""


@dataclass(frozen=True)
class PictureFile:
    """An attachment or a file as a surface knows it before reading: name, size, declared type, how to read it.
    `read` raises PictureRefusedError (with the line to show) when the bytes cannot be fetched."""

    name: str
    size: int | None
    content_type: str | None
    read: Callable[[], Awaitable[bytes]]


@dataclass(frozen=True)
class Looked:
    """What came of a message's files: the pictures to show the model, and one line for each file not looked at."""

    pictures: tuple[Picture, ...] = ()
    unread: tuple[str, ...] = ()


def short_name(name: str) -> str:
    name = " ".join(name.split()) or "the file"
    return name if len(name) <= _NAME_CHARS else name[: _NAME_CHARS - 1] + "…"


def _refused(name: str, why: str) -> PictureRefusedError:
    return PictureRefusedError(f"I couldn't look at {short_name(name)}: {why}")


def _is_svg(name: str, content_type: str | None, head: bytes = b"") -> bool:
    if (content_type or "").split(";")[0].strip().lower() in _SVG_TYPES or name.lower().endswith((".svg", ".svgz")):
        return True
    start = head[:512].lstrip().lower()
    return start.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in head[:4096].lower()


def refusal_before_reading(file: PictureFile) -> PictureRefusedError | None:
    """Why a file is not even downloaded: an SVG (code in XML, never opened), a kind that is no picture, too big."""
    if _is_svg(file.name, file.content_type):
        return _svg_refusal(file.name)
    kind = (file.content_type or "").lower()
    if kind.startswith(_NOT_PICTURES):
        return _refused(file.name, f"I can only look at pictures ({KINDS}).")
    if file.size is not None and file.size > MAX_FILE_BYTES:
        return _too_big(file.name, file.size)
    return None


def _svg_refusal(name: str) -> PictureRefusedError:
    return _refused(name, f"SVG drawings can carry code, so I don't open them; send a {KINDS} instead.")


def _too_big(name: str, size: int) -> PictureRefusedError:
    return _refused(name, f"it is {size / 1024 / 1024:.0f} MB, and I open pictures up to {MAX_FILE_BYTES >> 20} MB.")


def prepare_picture(data: bytes, name: str, budget: int = MESSAGE_PICTURE_BYTES) -> Picture:
    """Bytes as sent → a picture for the model within `budget` bytes; PictureRefusedError with the reason if not.
    Synchronous and CPU-bound: call it in a worker thread."""
    if len(data) > MAX_FILE_BYTES:
        raise _too_big(name, len(data))
    if _is_svg(name, None, data):
        raise _svg_refusal(name)
    try:
        with warnings.catch_warnings():
            # Pillow warns above 89 MP and refuses above 179 MP; our own, lower limit is checked below.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=FORMATS) as opened:
                image, graphic = _decoded(opened, name), opened.format in ("PNG", "GIF")
        image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
        return (_as_png(image, name, budget) if graphic else None) or _as_jpeg(image, name, budget)
    except PictureRefusedError:
        raise
    except UnidentifiedImageError:
        raise _refused(name, f"it is not a {KINDS} picture, whatever its name says.") from None
    except Image.DecompressionBombError:
        raise _refused(name, "it has too many pixels to open safely.") from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError):
        # Pillow's words for a cut-off or broken file vary by format (OSError "truncated", SyntaxError "broken PNG").
        raise _refused(name, "the file is damaged or incomplete.") from None
    except Exception as exc:  # a decoder fed hostile bytes may fail in ways no list foresees: still one line
        log.warning("Pillow failed on a picture with %s", type(exc).__name__)
        raise _refused(name, "the file is damaged or incomplete.") from None


def _decoded(opened: Image.Image, name: str) -> Image.Image:
    """The first frame, decoded at most at MAX_PIXELS, upright, as RGB (transparency on white)."""
    width, height = opened.size
    if opened.format == "JPEG" and max(width, height) > MAX_SIDE:
        scale = MAX_SIDE / max(width, height)
        opened.draft("RGB", (max(1, round(width * scale)), max(1, round(height * scale))))
    width, height = opened.size
    if width * height > MAX_PIXELS:
        raise _refused(name, f"it is {width:,} × {height:,} pixels, too many to open safely.")
    opened.seek(0)  # the first frame of a GIF or an animated WebP
    opened.load()
    upright = ImageOps.exif_transpose(opened) or opened
    return _flattened(upright)


def _flattened(image: Image.Image) -> Image.Image:
    """RGB for JPEG: a transparent picture is laid on white (a screenshot's transparent parts would turn black)."""
    transparent = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    if not transparent:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    background = Image.new("RGB", rgba.size, (255, 255, 255))
    background.paste(rgba, mask=rgba.getchannel("A"))
    return background


def _as_png(image: Image.Image, name: str, budget: int) -> Picture | None:
    """A screenshot or drawing as PNG, if it stays small; None: send it as JPEG."""
    out = io.BytesIO()
    image.save(out, "PNG")
    if out.tell() > min(budget, PNG_AT_MOST):
        return None
    return Picture(name, out.getvalue(), image.width, image.height, "image/png")


def _as_jpeg(image: Image.Image, name: str, budget: int) -> Picture:
    """JPEG at the best quality that fits `budget`; scaled down by a quarter at a time if none does."""
    while True:
        for quality in JPEG_QUALITIES:
            out = io.BytesIO()
            image.save(out, "JPEG", quality=quality)
            if out.tell() <= budget:
                return Picture(name, out.getvalue(), image.width, image.height)
        if max(image.size) <= 64:
            raise _refused(name, "it does not fit in what I can send my language model.")
        image = image.resize((max(1, image.width * 3 // 4), max(1, image.height * 3 // 4)), Image.Resampling.LANCZOS)


def _prepare_all(files: Sequence[tuple[str, bytes]], budget: int) -> list[Picture | PictureRefusedError]:
    """One message's pictures in turn, each within its share of what is left of the budget."""
    results: list[Picture | PictureRefusedError] = []
    left = budget
    for index, (name, data) in enumerate(files):
        share = left // (len(files) - index)
        try:
            picture = prepare_picture(data, name, share)
        except PictureRefusedError as exc:
            results.append(exc)
            continue
        left -= len(picture.data)
        results.append(picture)
    return results


async def look_at(files: Sequence[PictureFile], budget: int = MESSAGE_PICTURE_BYTES) -> Looked:
    """A message's files → its pictures (at most MAX_PICTURES, within `budget` bytes together) and one line for
    each file not looked at, in the order they were sent. Nothing is written to disk."""
    outcome: list[Picture | PictureRefusedError | None] = []
    fetched: list[tuple[int, str, bytes]] = []
    for file in files:
        refusal = refusal_before_reading(file)
        if refusal is None and len(fetched) >= MAX_PICTURES:
            refusal = PictureRefusedError(
                f"I didn't look at {short_name(file.name)}: I look at {MAX_PICTURES} pictures per message at most."
            )
        if refusal is None:
            try:
                fetched.append((len(outcome), file.name, await file.read()))
            except PictureRefusedError as exc:
                refusal = exc
        outcome.append(refusal)
    if fetched:
        prepared = await asyncio.to_thread(_prepare_all, [(name, data) for _, name, data in fetched], budget)
        for (index, _, _), result in zip(fetched, prepared, strict=True):
            outcome[index] = result
    pictures = tuple(item for item in outcome if isinstance(item, Picture))
    unread = tuple(str(item) for item in outcome if isinstance(item, PictureRefusedError))
    return Looked(pictures, unread)
