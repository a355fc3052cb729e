"""bot/pictures.py on real picture bytes made with Pillow: what the model is sent (small, upright, JPEG, no EXIF,
within the byte budget), and one clear line for each file it is not sent."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable

import pytest
from PIL import Image

from bot.pictures import (
    MAX_FILE_BYTES,
    MAX_PICTURES,
    MAX_SIDE,
    MESSAGE_PICTURE_BYTES,
    Looked,
    PictureFile,
    PictureRefusedError,
    look_at,
    prepare_picture,
)
from tests.picture_files import (
    FIFTY_MB,
    GPS_IFD,
    NOT_A_PNG,
    SVG,
    animated_gif,
    bomb,
    noisy_photo,
    photo,
    screenshot_with_transparency,
    truncated,
    turned_photo_with_gps,
    webp,
)


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def centre(data: bytes) -> tuple[int, ...]:
    image = opened(data).convert("RGB")
    return tuple(image.getpixel((image.width * 3 // 4, image.height // 2)))  # type: ignore[arg-type]


def near(colour: tuple[int, ...], expected: tuple[int, int, int], by: int = 40) -> bool:
    return all(abs(a - b) <= by for a, b in zip(colour, expected, strict=True))


def a_file(name: str, data: bytes, content_type: str | None = None, size: int | None = None) -> PictureFile:
    async def read() -> bytes:
        return data

    return PictureFile(name, len(data) if size is None else size, content_type, read)


def never_read(name: str, size: int | None, content_type: str | None) -> PictureFile:
    async def read() -> bytes:
        raise AssertionError(f"{name} was downloaded")

    return PictureFile(name, size, content_type, read)


# -- what the model is sent ------------------------------------------------------------------------------------


def test_a_big_photo_is_sent_at_most_1024_px_as_jpeg_and_much_smaller() -> None:
    original = photo(2_000, 1_500)
    picture = prepare_picture(original, "flat.jpg")
    image = opened(picture.data)
    assert (image.format, image.size) == ("JPEG", (MAX_SIDE, 768))
    assert (picture.width, picture.height, picture.media_type) == (MAX_SIDE, 768, "image/jpeg")
    assert len(picture.data) < len(original) / 3
    assert picture.data_url().startswith("data:image/jpeg;base64,/9j/")
    assert "data" not in repr(picture) and "/9j/" not in repr(picture)  # bytes never reach a log line or a repr


def test_a_turned_phone_photo_is_sent_upright_without_its_gps_position() -> None:
    picture = prepare_picture(turned_photo_with_gps(), "IMG_0001.jpg")
    image = opened(picture.data)
    assert image.size == (200, 300)
    assert GPS_IFD not in image.getexif() and not image.info.get("exif")


def test_a_screenshot_stays_png_for_sharp_text_and_a_photo_saved_as_png_goes_as_jpeg() -> None:
    assert prepare_picture(screenshot_with_transparency(), "shot.png").media_type == "image/png"
    out = io.BytesIO()
    opened(noisy_photo(1_100, 800)).save(out, "PNG")
    big_png = prepare_picture(out.getvalue(), "holiday.png")
    assert (big_png.media_type, opened(big_png.data).format) == ("image/jpeg", "JPEG")


def test_transparency_is_laid_on_white_and_a_gif_or_webp_gives_its_first_frame() -> None:
    shot = prepare_picture(screenshot_with_transparency(), "shot.png")
    left = opened(shot.data).convert("RGB").getpixel((50, 150))
    assert near(left, (255, 255, 255), 10)  # type: ignore[arg-type]
    assert near(centre(shot.data), (40, 70, 200))
    assert near(centre(prepare_picture(animated_gif("green", "red"), "dance.gif").data), (0, 128, 0))
    assert near(centre(prepare_picture(webp("yellow"), "sun.webp").data), (255, 255, 0))


async def test_several_pictures_share_the_byte_budget_and_the_fifth_is_named() -> None:
    noisy = noisy_photo(1_100, 800)
    files = [a_file(f"noise{n}.jpg", noisy) for n in range(1, 6)]
    looked = await look_at(files)
    assert len(looked.pictures) == MAX_PICTURES
    assert sum(len(p.data) for p in looked.pictures) <= MESSAGE_PICTURE_BYTES
    assert all(max(p.width, p.height) <= MAX_SIDE for p in looked.pictures)
    assert looked.unread == (f"I didn't look at noise5.jpg: I look at {MAX_PICTURES} pictures per message at most.",)


# -- hostile files: one clear line each --------------------------------------------------------------------------


HOSTILE: list[tuple[str, Callable[[], PictureFile], str]] = [
    (
        "a decompression bomb",
        lambda: a_file("bomb.png", bomb(10_000), "image/png"),
        "I couldn't look at bomb.png: it is 10,000 × 10,000 pixels, too many to open safely.",
    ),
    (
        "a bomb past Pillow's own limit",
        lambda: a_file("bigger.png", bomb(60_000), "image/png"),
        "I couldn't look at bigger.png: it has too many pixels to open safely.",
    ),
    (
        "a cut-off JPEG",
        lambda: a_file("half.jpg", truncated(photo(800, 600)), "image/jpeg"),
        "I couldn't look at half.jpg: the file is damaged or incomplete.",
    ),
    (
        "a cut-off PNG",
        lambda: a_file("half.png", truncated(screenshot_with_transparency()), "image/png"),
        "I couldn't look at half.png: the file is damaged or incomplete.",
    ),
    (
        "a file that says png but is not",
        lambda: a_file("cat.png", NOT_A_PNG, "image/png"),
        "I couldn't look at cat.png: it is not a PNG, JPEG, WebP or GIF picture, whatever its name says.",
    ),
    (
        "a 50 MB attachment, never downloaded",
        lambda: never_read("huge.png", FIFTY_MB, "image/png"),
        f"I couldn't look at huge.png: it is 50 MB, and I open pictures up to {MAX_FILE_BYTES >> 20} MB.",
    ),
    (
        "an SVG, never downloaded",
        lambda: never_read("logo.svg", len(SVG), "image/svg+xml"),
        "I couldn't look at logo.svg: SVG drawings can carry code, so I don't open them; send a PNG, JPEG, WebP or "
        "GIF instead.",
    ),
    (
        "an SVG named .png, opened never",
        lambda: a_file("drawing.png", SVG, None),
        "I couldn't look at drawing.png: SVG drawings can carry code, so I don't open them; send a PNG, JPEG, WebP "
        "or GIF instead.",
    ),
    (
        "a PDF",
        lambda: never_read("notes.pdf", 1_000, "application/pdf"),
        "I couldn't look at notes.pdf: I can only look at pictures (PNG, JPEG, WebP or GIF).",
    ),
]


@pytest.mark.parametrize(("case", "make", "line"), HOSTILE, ids=[case for case, _, _ in HOSTILE])
async def test_a_hostile_file_gets_one_clear_line(case: str, make: Callable[[], PictureFile], line: str) -> None:
    assert await look_at([make()]) == Looked((), (line,))


async def test_good_pictures_go_through_beside_bad_ones_and_lines_keep_their_order() -> None:
    looked = await look_at(
        [
            a_file("one.jpg", photo(640, 480)),
            a_file("bad.png", NOT_A_PNG),
            never_read("big.jpg", MAX_FILE_BYTES + 1, "image/jpeg"),
            a_file("two.gif", animated_gif()),
        ]
    )
    assert [p.name for p in looked.pictures] == ["one.jpg", "two.gif"]
    assert [line.split(":")[0] for line in looked.unread] == [
        "I couldn't look at bad.png",
        "I couldn't look at big.jpg",
    ]


async def test_a_size_that_lied_is_checked_on_the_bytes_too() -> None:
    looked = await look_at([a_file("small.png", b"\0" * (MAX_FILE_BYTES + 1), "image/png", size=100)])
    assert looked.unread == ("I couldn't look at small.png: it is 20 MB, and I open pictures up to 20 MB.",)


async def test_a_file_that_cannot_be_fetched_says_so() -> None:
    async def gone() -> bytes:
        raise PictureRefusedError("I couldn't download cat.jpg from Discord.")

    read: Callable[[], Awaitable[bytes]] = gone
    assert (await look_at([PictureFile("cat.jpg", 10, "image/jpeg", read)])).unread == (
        "I couldn't download cat.jpg from Discord.",
    )
