"""`aiki model ...`: get the embedding model onto a machine without internet, and see what AIKI loads."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from bot.cli.common import lazy
from bot.memory.embedding_models import MANIFEST, read_manifest, supported_models, write_model_dir
from bot.settings import Settings


async def model_download(settings: Settings, args: argparse.Namespace) -> int:
    name = args.model or settings.embedding_model
    target = Path(args.to)
    written = write_model_dir(name, settings.model_cache_dir, target)
    print(f"wrote {name} to {target} ({', '.join(written)})")
    print(f"Next: copy {target} to the bot's machine and set AIKI_EMBEDDING_MODEL_PATH to where it lies there.")
    return 0


async def model_check(settings: Settings, args: argparse.Namespace) -> int:
    import numpy as np

    from bot.memory.embedder import FastEmbedder

    path = settings.embedding_model_path
    embedder = FastEmbedder.load(settings.embedding_model, settings.model_cache_dir, path)
    try:
        same, other = await embedder.embed_passages(["my cat is ill", "the stock market fell"])
        query = np.asarray(await embedder.embed_query("the kitten has a fever"))
        closer = float(query @ np.asarray(same[0])) > float(query @ np.asarray(other[0]))
    finally:
        embedder.close()
    source = f"{path} ({MANIFEST}: {read_manifest(path) or 'none'})" if path else f"cache {settings.model_cache_dir}"
    print(f"model     : {embedder.model_name} ({embedder.dim} dimensions)")
    print(f"loaded from: {source}")
    print(f"meaning   : {'ok' if closer else 'WRONG'} (a sentence about a sick kitten is closer to a sick cat)")
    return 0 if closer else 1


async def model_list(settings: Settings, args: argparse.Namespace) -> int:
    for model in supported_models():
        mark = "*" if model.name == settings.embedding_model else " "
        print(f"{mark} {model.name:<60} {model.dim:>5} dims {model.size_gb:>6.2f} GB")
    return 0


def add_parser(commands: Any) -> None:
    model = commands.add_parser("model", help="the embedding model: download it for offline use, check it, list them")
    actions = model.add_subparsers(dest="model_command", required=True, metavar="ACTION")
    download = actions.add_parser(
        "download", help="on a machine with internet: write the model to a directory you can copy to the bot's"
    )
    download.add_argument(
        "--to", required=True, metavar="DIR", help="directory to write (model files + aiki-model.json)"
    )
    download.add_argument("--model", help="model name (default: AIKI_EMBEDDING_MODEL)")
    download.set_defaults(run=lazy("bot.cli.model:model_download"))
    check = actions.add_parser("check", help="load the configured model and say what it is and where it came from")
    check.set_defaults(run=lazy("bot.cli.model:model_check"))
    listing = actions.add_parser("list", help="the models fastembed can use (* = AIKI_EMBEDDING_MODEL)")
    listing.set_defaults(run=lazy("bot.cli.model:model_list"))
