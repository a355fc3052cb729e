"""One exported hybrid example next to the prompt the live turn sent at the same moment (issue 26).

The conversations of tests/test_training_hybrid.py go through the real core (Edge memory, SQLite, the stand-in
LLM recording every request, a set clock); then `aiki finetune export --hybrid` runs on that data folder. Printed:
each example's context beside the live request for its last message, whether they are the same, and how they
differ where they do not.

    python scripts/hybrid_vs_live.py
"""

from __future__ import annotations

import asyncio
import difflib
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.cli.main import main  # noqa: E402
from bot.memory.embedder import FastEmbedder  # noqa: E402
from scripts.test_model import TEST_MODEL, seed_cache  # noqa: E402
from tests.core_fixtures import Replies  # noqa: E402
from tests.llm_server import FakeLLMServer  # noqa: E402
from tests.test_training_hybrid import OWNER, live_through  # noqa: E402


def text(messages: list[tuple[str, str]]) -> list[str]:
    return [line for role, content in messages for line in [f"[{role}]", *content.splitlines()]]


def show(title: str, messages: list[tuple[str, str]]) -> None:
    print(f"== {title}")
    for role, content in messages:
        print(f"[{role}]")
        print(content)


def run() -> int:
    with tempfile.TemporaryDirectory() as tmp, FakeLLMServer() as server:
        data = Path(tmp)
        cache = seed_cache(data / "models")
        embedder = FastEmbedder.load(TEST_MODEL, cache)
        replies = Replies()
        server.responder = replies
        lived = asyncio.run(live_through(data / "aiki", embedder, server, replies))
        embedder.close()
        os.environ.update(
            {
                "AIKI_DATA_DIR": str(lived.data),
                "AIKI_OWNER_IDS": OWNER,
                "AIKI_EMBEDDING_MODEL": TEST_MODEL,
                "AIKI_MODEL_CACHE_DIR": str(cache),
                "AIKI_TIMEZONE": "Europe/Oslo",
            }
        )
        os.chdir(lived.data)
        main(["-q", "finetune", "models", "--aiki", "aiki-test-model"])
        train = lived.data / "train.jsonl"
        main(["-q", "finetune", "export", str(train), "--hybrid", "--weights", "--validation", "0"])
        for line in train.read_text(encoding="utf-8").splitlines():
            *context, target = json.loads(line)["messages"]
            exported = [(m["role"], m["content"]) for m in context]
            live = lived.prompts[exported[-1][1]]
            show("exported example (its context; the reply it learns follows)", exported)
            print(f"[assistant, weight {target.get('weight', 1)}]\n{target['content']}")
            show("live request for the same message", live)
            print(f"== the same: {exported == live}")
            for line in difflib.unified_diff(text(live), text(exported), "live", "exported", n=0, lineterm=""):
                print(line)
            print()
    return 0


if __name__ == "__main__":
    sys.exit(run())
