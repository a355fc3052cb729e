"""Hostile-input benchmark (issue 14): peak RSS and seconds of real `aiki` commands on files made to hurt.

Each case generates its file in a temporary folder (streamed to disk, never held in memory here), then runs
the real command (`python -m bot -q ...`) in a fresh child process with its own data folder, and reads that
child's own peak RSS from `os.wait4`. Target: peak RSS under 300 MB and time proportional to the bytes read,
whatever the file holds. The issue's cases went to 1 GB; the default size here is 200 MB so the whole run
takes a few minutes on two cores (`--mb 1000` for the full size, given the disk space).

    .venv/bin/python bench/hostile.py            # 200 MB cases
    .venv/bin/python bench/hostile.py --mb 50    # quicker
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402

CHUNK = 1024 * 1024
TARGET_RSS_MB = 300.0


def repeated(path: Path, head: bytes, body: bytes, size: int, tail: bytes = b"") -> Path:
    """head + body repeated to `size` bytes + tail, written a megabyte at a time."""
    block = body * max(1, CHUNK // len(body))
    with path.open("wb") as out:
        out.write(head)
        written = len(head)
        while written < size:
            piece = block[: size - written]
            out.write(piece)
            written += len(piece)
        out.write(tail)
    return path


def zipped(path: Path, member: str, head: bytes, body: bytes, size: int, tail: bytes) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open(member, "w", force_zip64=True) as out:
            out.write(head)
            block = body * (CHUNK // len(body))
            for _ in range(size // len(block)):
                out.write(block)
            out.write(tail)
    return path


def conversation(index: int) -> bytes:
    node = (
        '"n{i}":{{"id":"n{i}","message":{{"id":"m{i}","author":{{"role":"user"}},"create_time":1700000000,'
        '"content":{{"content_type":"text","parts":["hei {i} ' + "ord " * 60 + '"]}}}},"parent":null,"children":[]}}'
    )
    body = node.format(i=index)
    return f'{{"id":"c{index}","title":"t{index}","current_node":"n{index}","mapping":{{{body}}}}}'.encode()


def conversations(path: Path, size: int) -> Path:
    with path.open("wb") as out:
        out.write(b"[")
        written, index = 1, 0
        while written < size:
            item = (b"," if index else b"") + conversation(index)
            out.write(item)
            written += len(item)
            index += 1
        out.write(b"]")
    return path


Case = tuple[str, Callable[[Path, int], Path], list[str]]


def cases(mb: int) -> list[Case]:
    size = mb * CHUNK
    return [
        (
            "memory import: 1 good line (the floor: model)",
            lambda d: repeated(d / "one.jsonl", b'{"scope": "1", "text": "Jovnna likes brunost"}\n', b" ", 1),
            ["memory", "import"],
        ),
        (
            f"memory import: one {mb} MB line, no newline",
            lambda d, s=size: repeated(d / "long.jsonl", b'{"scope": "1", "text": "', b"x", s),
            ["memory", "import"],
        ),
        (
            f"memory import: {mb} MB of nested [",
            lambda d, s=size: repeated(d / "deep.jsonl", b"", b"[", s),
            ["memory", "import"],
        ),
        (
            f"memory import: {mb} MB of broken 100-byte lines",
            lambda d, s=size: repeated(d / "garbage.jsonl", b"", b'{"text": "' + b"z" * 89 + b"\n", s),
            ["memory", "import"],
        ),
        (
            "data chatgpt: 400 KB of nested [ (was 22 GB)",
            lambda d: repeated(d / "nested.json", b"", b"[", 400 * 1024),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data chatgpt: {mb} MB of nested [",
            lambda d, s=size: repeated(d / "nested.json", b"", b"[", s),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data chatgpt: {mb} MB of one string",
            lambda d, s=size: repeated(d / "string.json", b'[{"title": "', b"a", s, b'"}]'),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data chatgpt: {mb // 4} MB of [1,1,1...] items",
            lambda d, s=size // 4: repeated(d / "items.json", b"[", b"1,", s, b"1]"),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data chatgpt: zip declaring {mb} MB (bomb)",
            lambda d, s=size: zipped(d / "bomb.zip", "conversations.json", b"[", b" ", s, b"]"),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data chatgpt: {mb // 4} MB of real-shaped conversations",
            lambda d, s=size // 4: conversations(d / "conversations.json", s),
            ["data", "chatgpt", "--no-memories"],
        ),
        (
            f"data sessions: one {mb} MB line",
            lambda d, s=size: repeated(d / "log.jsonl", b'{"role": "user", "content": "', b"y", s),
            ["data", "sessions"],
        ),
        (
            f"data memories: {mb} MB of nested [",
            lambda d, s=size: repeated(d / "dump.jsonl", b"", b"[", s),
            ["data", "memories", "--jsonl"],
        ),
        (
            f"finetune validate: one {mb} MB line",
            lambda d, s=size: repeated(d / "train.jsonl", b'{"messages": [', b"{}", s),
            ["finetune", "validate"],
        ),
    ]


def run(command: list[str], env: dict[str, str]) -> tuple[int, float, float, str]:
    """(exit code, seconds, the child's own peak RSS in MB, its last stderr line)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        last = (err.read().decode("utf-8", "replace").strip().splitlines() or [""])[-1]
    return child.returncode, seconds, usage.ru_maxrss / 1024, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--mb", type=int, default=200, help="size of the large cases (default 200)")
    parser.add_argument("--only", default="", help="run only the cases whose name contains this")
    args = parser.parse_args()
    print(f"{'case':<48} {'exit':>4} {'seconds':>8} {'peak RSS':>9}  last line on stderr")
    print(f"{'(the size of the large cases: ' + str(args.mb) + ' MB)':<48}")
    with tempfile.TemporaryDirectory(prefix="aiki-hostile-") as tmp:
        folder = Path(tmp)
        cache = seed_cache(folder / "model-cache")
        for number, (name, make, command) in enumerate(cases(args.mb)):
            if args.only not in name:
                continue
            path = make(folder)
            env = {
                **os.environ,
                "PYTHONPATH": str(ROOT),
                "AIKI_DATA_DIR": str(folder / f"data-{number}"),  # each case starts from nothing
                "AIKI_EMBEDDING_MODEL": TEST_MODEL,
                "AIKI_MODEL_CACHE_DIR": str(cache),
                "AIKI_OWNER_IDS": "4242",
                "AIKI_LOG_LEVEL": "WARNING",
            }
            code, seconds, rss, last = run([sys.executable, "-m", "bot", "-q", *command, str(path)], env)
            flag = "" if rss < TARGET_RSS_MB else "  (over target)"
            print(f"{name:<48} {code:>4} {seconds:>8.1f} {rss:>6.0f} MB  {last[:90]}{flag}", flush=True)
            path.unlink()


if __name__ == "__main__":
    main()
