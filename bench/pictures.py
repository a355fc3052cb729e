"""Pictures benchmark (issue 24): what getting a picture ready for the model costs, through the product's own code
(bot/pictures.py `prepare_picture`, and `look_at` for a message of four in its worker thread).

Pictures are made here with Pillow, in memory: a 12 MP phone photo (JPEG, noise over gradients so it compresses
like a photo), a 12 MP screenshot (PNG, flat areas and thin lines), a 48 MP photo, an animated GIF, and a
decompression bomb (refused from its header). For each: bytes in, what is sent (bytes, format, size) and milliseconds
(median of the runs).

    .venv/bin/python bench/pictures.py             # 5 runs each
    .venv/bin/python bench/pictures.py --runs 1
"""

from __future__ import annotations

import argparse
import asyncio
import io
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import machine_line, say  # noqa: E402
from bot.pictures import Picture, PictureFile, PictureRefusedError, look_at, prepare_picture  # noqa: E402
from tests.picture_files import animated_gif, bomb  # noqa: E402


def phone_photo(width: int, height: int) -> bytes:
    gradient = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width // 2, height // 2), 30).convert("L").resize((width, height))
    image = Image.merge("RGB", [gradient, grain, Image.blend(gradient, grain, 0.5)])
    out = io.BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def screenshot(width: int, height: int) -> bytes:
    image = Image.new("RGB", (width, height), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    for y in range(40, height, 28):
        draw.line((60, y, width - 60 - (y * 7) % 900, y), fill=(30, 30, 30), width=3)
    draw.rectangle((0, 0, width, 36), fill=(40, 70, 200))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def timed(make: Callable[[], object], runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        began = time.perf_counter()
        try:
            result = make()
        except PictureRefusedError as exc:
            result = exc
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times), result


async def four_in_a_message(data: bytes, runs: int) -> float:
    async def read() -> bytes:
        return data

    times = []
    for _ in range(runs):
        began = time.perf_counter()
        looked = await look_at([PictureFile(f"IMG_{n}.jpg", len(data), "image/jpeg", read) for n in range(4)])
        times.append((time.perf_counter() - began) * 1000)
        assert len(looked.pictures) == 4
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    say(machine_line())
    cases = {
        "12 MP photo (JPEG 4000x3000)": phone_photo(4_000, 3_000),
        "12 MP screenshot (PNG 4000x3000)": screenshot(4_000, 3_000),
        "48 MP photo (JPEG 8000x6000)": phone_photo(8_000, 6_000),
        "animated GIF (3 frames)": animated_gif(),
        "decompression bomb (PNG 10000x10000)": bomb(10_000),
    }
    say(f"{'case':40} {'bytes in':>11} {'bytes out':>10} {'sent as':>15} {'ms':>7}")
    for name, data in cases.items():
        ms, result = timed(lambda data=data: prepare_picture(data, "bench"), args.runs)
        if isinstance(result, PictureRefusedError):
            out, size = "refused", "-"
        else:
            picture = result
            assert isinstance(picture, Picture)
            out, size = f"{len(picture.data):,}", f"{picture.media_type[6:]} {picture.width}x{picture.height}"
        say(f"{name:40} {len(data):>11,} {out:>10} {size:>15} {ms:>7.0f}")
    ms = asyncio.run(four_in_a_message(cases["12 MP photo (JPEG 4000x3000)"], args.runs))
    say(f"{'look_at: four 12 MP photos in one message':40} {'':>11} {'':>10} {'':>15} {ms:>7.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
