"""Import benchmark: parsing a large ChatGPT export, throughput and peak memory (issue 6).

What it does:

1. Generates a ChatGPT-style `conversations.json` of the requested size (default 100 MB) from a seeded RNG,
   written as a stream. Conversations are shaped like real ones: a root placeholder, hidden system messages,
   custom instructions, memory snapshots and `bio` saves, edited questions and regenerated answers (branches
   not kept), tool calls with their output, reasoning, image parts, Norwegian and English text with emoji,
   code blocks and quotes to escape. Lengths are lognormal; one long conversation of ~8 MB is put in the
   middle, because the largest conversation is what bounds memory when parsing one at a time.
2. Runs each measurement in a fresh child process, so its peak RSS (`ru_maxrss`) is its own:
   - parse     : what `aiki data chatgpt` does before SQLite: ijson's C backend (yajl2_c) streaming the
                 array, plus following each conversation's `current_node` to its kept branch;
   - import    : the whole `import_chatgpt` into a fresh SQLite database (WAL), batches of 2,000 turns,
                 written while the next batch is parsed;
   - command   : the real `aiki -q data chatgpt --no-memories FILE`, its start-up (imports of the whole
                 bot, ~150 MB of them) included;
   - json.load : the naive way, the whole file into memory at once, for comparison;
   - python    : ijson's pure-Python backend on the first 10 MB, to show why the C backend is required.
3. Prints MB/s (file bytes / wall time) and peak RSS per step against the targets: >= 20 MB/s parsing,
   peak RSS under 300 MB.

Run from the repo root:

    python bench/import.py                 # 100 MB
    python bench/import.py --size-mb 200   # the issue's "200 MB export" case
    python bench/import.py --keep export.json  # keep the generated file
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/import.py`: import `bot` from the repo root, not from bench/.
if sys.path and Path(sys.path[0]).resolve() == ROOT / "bench":
    sys.path[0] = str(ROOT)
elif str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_MB_S = 20.0
TARGET_RSS_MB = 300.0
PYTHON_BACKEND_BYTES = 10 * 1024 * 1024
WORDS = (
    "jeg du hei takk god morgen kveld prosjektet proxyen AIKI-HOME fungerer ikke helt ennå men nesten "
    "the build failed again because the tests are flaky and the certificate expired yesterday "
    "hvordan går det med deg i dag søster Bergen brunost kaffe tur Fløyen helg sliten glad "
    "mitmproxy blocklist port 443 DNS PAC file config reload restart timeout 🙂 🚀 ✅ æøå ÆØÅ"
).split()
CODE = (
    "```python\nfrom mitmproxy import http\n\ndef request(flow: http.HTTPFlow) -> None:\n"
    '    if "tiktok" in flow.request.host:\n'
    '        flow.response = http.Response.make(403, b"blocked \\"focus\\" mode")\n```'
)


# -- the generated export -------------------------------------------------------


class Maker:
    """Builds conversations like ChatGPT's export, from one seeded RNG."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.clock = 1_690_000_000.0

    def text(self, mean_words: float) -> str:
        count = max(1, int(self.rng.lognormvariate(0, 0.9) * mean_words))
        words = " ".join(self.rng.choice(WORDS) for _ in range(count))
        if self.rng.random() < 0.12:
            words += "\n\n" + CODE + '\n\nSay "done" when it works.'
        return words

    def node(self, mapping: dict[str, Any], parent: str | None, message: dict[str, Any] | None) -> str:
        node_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        if message is not None:
            message["id"] = node_id
        mapping[node_id] = {"id": node_id, "message": message, "parent": parent, "children": []}
        if parent is not None:
            mapping[parent]["children"].append(node_id)
        return node_id

    def message(self, role: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
        self.clock += self.rng.uniform(5, 600)
        assistant = role == "assistant"
        return {
            "author": {"role": role, "name": extra.pop("name", None), "metadata": {}},
            "create_time": self.clock,
            "update_time": None,
            "content": content,
            "status": "finished_successfully",
            "end_turn": assistant,
            "weight": 1.0,
            "metadata": {"model_slug": "gpt-4o", "finish_details": {"type": "stop", "stop_tokens": [200002]}}
            if assistant
            else {},
            "recipient": extra.pop("recipient", "all"),
            "channel": None,
        }

    def conversation(self, exchanges: int) -> dict[str, Any]:
        rng = self.rng
        mapping: dict[str, Any] = {}
        start = self.clock
        node = self.node(mapping, None, None)
        node = self.node(mapping, node, self.message("system", {"content_type": "text", "parts": [""]}))
        if rng.random() < 0.3:
            profile = {"content_type": "user_editable_context", "user_profile": self.text(30), "user_instructions": ""}
            node = self.node(mapping, node, self.message("user", profile))
        if rng.random() < 0.3:
            listed = "\n".join(f"{i}. [2024-0{1 + i % 9}-1{i % 9}]. {self.text(8)}" for i in range(1, 12))
            snapshot = {"content_type": "model_editable_context", "model_set_context": listed}
            node = self.node(mapping, node, self.message("assistant", snapshot))
        for _ in range(exchanges):
            if rng.random() < 0.08:  # an edited question: the first wording stays on a branch
                self.node(mapping, node, self.message("user", {"content_type": "text", "parts": [self.text(25)]}))
            if rng.random() < 0.1:
                parts: list[Any] = [
                    {"content_type": "image_asset_pointer", "asset_pointer": f"file-service://file-{rng.getrandbits(40):x}",
                     "size_bytes": rng.randint(10_000, 900_000), "width": 1024, "height": 768},
                    self.text(20),
                ]  # fmt: skip
                question = {"content_type": "multimodal_text", "parts": parts}
            else:
                question = {"content_type": "text", "parts": [self.text(25)]}
            node = self.node(mapping, node, self.message("user", question))
            if rng.random() < 0.1:  # a regenerated answer
                self.node(mapping, node, self.message("assistant", {"content_type": "text", "parts": [self.text(80)]}))
            if rng.random() < 0.08:
                code = {"content_type": "code", "language": "python", "text": CODE}
                node = self.node(mapping, node, self.message("assistant", code, recipient="python"))
                output = {"content_type": "execution_output", "text": self.text(15)}
                node = self.node(mapping, node, self.message("tool", output, name="python"))
            if rng.random() < 0.05:
                thoughts = {"content_type": "thoughts", "thoughts": [{"summary": "Plan", "content": self.text(40)}]}
                node = self.node(mapping, node, self.message("assistant", thoughts))
            if rng.random() < 0.03:
                save = {"content_type": "text", "parts": [self.text(10)]}
                node = self.node(mapping, node, self.message("assistant", save, recipient="bio"))
                done = {"content_type": "text", "parts": ["Model set context updated."]}
                node = self.node(mapping, node, self.message("tool", done, name="bio"))
            answer = {"content_type": "text", "parts": [self.text(90)]}
            node = self.node(mapping, node, self.message("assistant", answer))
        conversation_id = str(uuid.UUID(int=rng.getrandbits(128)))
        return {
            "title": self.text(4)[:60],
            "create_time": start,
            "update_time": self.clock,
            "mapping": mapping,
            "moderation_results": [],
            "current_node": node,
            "plugin_ids": None,
            "conversation_id": conversation_id,
            "conversation_template_id": None,
            "gizmo_id": None,
            "is_archived": False,
            "safe_urls": [],
            "default_model_slug": "gpt-4o",
            "id": conversation_id,
        }


def generate(path: Path, size_mb: float, seed: int = 6) -> tuple[int, int]:
    """Write the export as a stream; returns (conversations, bytes)."""
    maker = Maker(seed)
    target = int(size_mb * 1024 * 1024)
    written, count, long_done = 1, 0, False
    with path.open("w", encoding="utf-8") as out:
        out.write("[")
        while written < target:
            long_one = not long_done and written > target // 2
            exchanges = 2_000 if long_one else max(1, int(maker.rng.lognormvariate(2.3, 0.9)))
            long_done = long_done or long_one
            text = json.dumps(maker.conversation(exchanges), ensure_ascii=False)
            out.write(("," if count else "") + "\n" + text)
            written += len(text.encode("utf-8")) + 2
            count += 1
        out.write("\n]")
    return count, path.stat().st_size


# -- the measurements (each in its own process) ------------------------------------


def child_parse(path: Path) -> dict[str, Any]:
    from bot.training import chatgpt

    conversations = messages = 0
    with path.open("rb") as handle:
        for data in chatgpt.read_export(handle):
            messages += len(chatgpt.parse_conversation(data).messages)
            conversations += 1
    return {"conversations": conversations, "messages": messages}


def child_import(path: Path) -> dict[str, Any]:
    from bot.state.store import StateStore
    from bot.training import importer

    async def run(db: Path) -> dict[str, Any]:
        state = StateStore(db)
        await state.open()
        try:
            report, saved = await importer.import_chatgpt(state, importer.chatgpt_sources([path]), "1", False)
        finally:
            await state.close()
        return {"messages": report.imported, "saved_memories": len(saved), "db_mb": db.stat().st_size / 1e6}

    with tempfile.TemporaryDirectory() as folder:
        return asyncio.run(run(Path(folder) / "aiki.db"))


def child_cli(path: Path) -> dict[str, Any]:
    """The real command, start-up and all: `aiki -q data chatgpt --no-memories FILE` into a fresh data dir."""
    import contextlib
    import io

    with tempfile.TemporaryDirectory() as folder:
        os.environ["AIKI_DATA_DIR"] = folder
        from bot.cli.main import main

        with contextlib.redirect_stdout(io.StringIO()) as out:
            code = main(["-q", "data", "chatgpt", "--no-memories", "--scope", "1", str(path)])
        imported = next(line for line in out.getvalue().splitlines() if line.startswith("imported"))
        return {"exit": code, "messages": int(imported.split()[2].replace(",", ""))}


def child_json_load(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return {"conversations": len(json.load(handle))}


def child_python_backend(path: Path) -> dict[str, Any]:
    import ijson.backends.python as slow

    count = 0
    with path.open("rb") as handle:
        for _ in slow.items(handle, "item", use_float=True):
            count += 1
            if handle.tell() >= PYTHON_BACKEND_BYTES:
                break
        return {"conversations": count, "bytes": handle.tell()}


CHILDREN = {
    "parse": child_parse,
    "import": child_import,
    "cli": child_cli,
    "json.load": child_json_load,
    "python": child_python_backend,
}


def run_child(name: str, path: Path) -> dict[str, Any]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, __file__, "--child", name, str(path)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_s"] = time.perf_counter() - started
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mb", type=float, default=100)
    parser.add_argument("--keep", help="write the generated export here and keep it")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        name, path = args.child
        started = time.perf_counter()
        result = CHILDREN[name](Path(path))
        result["seconds"] = time.perf_counter() - started
        result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return

    import ijson

    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"ijson {ijson.__version__} (backend {ijson.backend})")  # fmt: skip
    with tempfile.TemporaryDirectory() as folder:
        path = Path(args.keep) if args.keep else Path(folder) / "conversations.json"
        started = time.perf_counter()
        count, size = generate(path, args.size_mb)
        mb = size / 1e6
        print(f"generated {path.name}: {mb:,.1f} MB, {count:,} conversations in {time.perf_counter() - started:.1f} s")
        print()
        print(f"{'step':<50} {'seconds':>8} {'MB/s':>8} {'peak RSS':>10}  result")
        rows = [
            ("parse (ijson yajl2_c + kept branch)", "parse", size),
            ("import into SQLite (import_chatgpt)", "import", size),
            ("the command: aiki -q data chatgpt, start-up incl.", "cli", size),
            ("json.load of the whole file (comparison)", "json.load", size),
            ("ijson pure-Python backend, first 10 MB", "python", None),
        ]
        results = {}
        for label, name, nbytes in rows:
            result = run_child(name, path)
            results[name] = result
            nbytes = nbytes or result["bytes"]
            extra = ", ".join(f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}" for k, v in result.items()
                              if k not in ("seconds", "peak_rss_mb", "wall_s", "bytes"))  # fmt: skip
            print(f"{label:<50} {result['seconds']:>8.2f} {nbytes / 1e6 / result['seconds']:>8.1f} "
                  f"{result['peak_rss_mb']:>7.0f} MB  {extra}")  # fmt: skip
        print()
        parse_rate = mb / results["parse"]["seconds"]
        peak = max(results[name]["peak_rss_mb"] for name in ("parse", "import", "cli"))
        print(f"target parsing >= {TARGET_MB_S:.0f} MB/s: {parse_rate:.1f} MB/s "
              f"({'met' if parse_rate >= TARGET_MB_S else 'MISSED'})")  # fmt: skip
        print(f"target peak RSS < {TARGET_RSS_MB:.0f} MB (parse, import, command): {peak:.0f} MB "
              f"({'met' if peak < TARGET_RSS_MB else 'MISSED'})")  # fmt: skip


if __name__ == "__main__":
    main()
