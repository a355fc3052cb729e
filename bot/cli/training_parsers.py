"""The `aiki data ...` and `aiki finetune ...` arguments; the commands themselves load when they run."""

from __future__ import annotations

from typing import Any

from bot.cli.common import lazy
from bot.training import recipe
from bot.training.origins import ORIGINS
from bot.training.validate import MAX_TOKENS_PER_EXAMPLE


def add_parsers(commands: Any) -> None:
    scope_help = "whose history this is (default: the first of AIKI_OWNER_IDS)"
    data = commands.add_parser("data", help="import old conversations and memories (ChatGPT, session logs, Qdrant)")
    data_commands = data.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    gpt = data_commands.add_parser(
        "chatgpt",
        help="import a ChatGPT data export: the kept branch of each conversation; saved memories become facts",
    )
    gpt.add_argument("paths", nargs="+", help="conversations.json, its split parts, their folder, or the export .zip")
    gpt.add_argument("--scope", help=scope_help)
    gpt.add_argument("--no-memories", action="store_true", help="leave ChatGPT's saved memories out of AIKI's memory")
    gpt.set_defaults(run=lazy("bot.cli.training:data_chatgpt"))
    ses = data_commands.add_parser("sessions", help="import session logs of an earlier AIKI (JSONL or Markdown)")
    ses.add_argument(
        "paths", nargs="+", help="files or folders (.jsonl, .md, .markdown, .txt); see docs/training.md for shapes"
    )
    ses.add_argument("--scope", help=scope_help)
    ses.add_argument("--user-name", action="append", default=[], help="a speaker name that is you (repeatable)")
    ses.add_argument("--assistant-name", action="append", default=[], help="a speaker name that is AIKI (repeatable)")
    ses.set_defaults(run=lazy("bot.cli.training:data_sessions"))
    mem = data_commands.add_parser("memories", help="import memories from another Qdrant collection (dump or server)")
    source = mem.add_mutually_exclusive_group(required=True)
    source.add_argument("--jsonl", help="a JSONL dump: {id, payload: {...}} or flat objects, one a line")
    source.add_argument("--url", help="a Qdrant server URL (API key: AIKI_QDRANT_API_KEY)")
    source.add_argument("--path", help="a qdrant-client local-mode folder (for debugging and tests)")
    mem.add_argument("--collection", help="collection to read (with --url/--path); names a dump's source otherwise")
    mem.add_argument("--text-field", help="payload field with the text (default: text, content, memory, ...)")
    mem.add_argument("--kind-field", help="payload field with the kind (default: kind, type, category)")
    mem.add_argument("--time-field", help="payload field with the time (default: created_at, timestamp, ...)")
    mem.add_argument("--importance-field", help="payload field with the importance (0-1, 1-10 or 1-100)")
    mem.add_argument(
        "--kind-map", action="append", default=[], metavar="OLD=NEW", help="map an old kind to an AIKI kind"
    )
    mem.add_argument("--scope", help=scope_help)
    mem.set_defaults(run=lazy("bot.cli.training:data_memories"))
    dst = data_commands.add_parser("stats", help="how much conversation history there is, by origin")
    dst.set_defaults(run=lazy("bot.cli.training:data_stats"))

    tune = commands.add_parser("finetune", help="training data export, validation and fine-tuning jobs")
    tune_commands = tune.add_subparsers(dest="finetune_command", required=True, metavar="ACTION")
    exp = tune_commands.add_parser("export", help="write the conversation history as chat-format JSONL")
    exp.add_argument("file", help="training file to write; the validation file goes beside it (NAME.validation.jsonl)")
    _export_flags(exp, weights_default=False)
    exp.set_defaults(run=lazy("bot.cli.training:finetune_export"))
    for name, help_text, handler in (
        (
            "validate",
            "check a chat-format JSONL file (made here or elsewhere) and estimate its tokens",
            "finetune_validate",
        ),
        ("submit", "validate, upload and start a fine-tuning job on AIKI_FINETUNE_BASE_URL", "finetune_submit"),
    ):
        command = tune_commands.add_parser(name, help=help_text)
        command.add_argument("file", help="chat-format JSONL training file")
        command.add_argument(
            "--max-tokens",
            type=int,
            default=MAX_TOKENS_PER_EXAMPLE,
            help=f"token limit of one example (default {MAX_TOKENS_PER_EXAMPLE})",
        )
        command.add_argument("--epochs", type=int, help="epochs (default: the provider's 'auto')")
        command.set_defaults(run=lazy(f"bot.cli.training:{handler}"))
        if name == "submit":
            command.add_argument("--validation-file", help="a validation file (also checked first)")
            command.add_argument("--model", help="base model (default: AIKI_FINETUNE_BASE_MODEL)")
            command.add_argument("--suffix", default="aiki", help="added to the fine-tuned model's name (default aiki)")
            command.add_argument("--follow", action="store_true", help="wait and show progress until the job ends")
            command.add_argument("--poll", type=float, help="seconds between checks (default: AIKI_FINETUNE_POLL_S)")
    sts = tune_commands.add_parser("status", help="a fine-tuning job's state and events (default: the last job)")
    sts.add_argument("job", nargs="?", help="job id (default: the last one submitted from here)")
    sts.add_argument("--follow", action="store_true", help="wait and show progress until the job ends")
    sts.add_argument("--poll", type=float, help="seconds between checks (default: AIKI_FINETUNE_POLL_S)")
    sts.set_defaults(run=lazy("bot.cli.training:finetune_status"))
    use = tune_commands.add_parser("use", help="switch AIKI's chat model to a fine-tuned one (retrieval stays on)")
    use.add_argument("target", metavar="MODEL_OR_JOB_ID", help="a model name, or the id of a finished job")
    use.add_argument("--env-file", default=".env", help="the settings file to read and change (default .env)")
    use.add_argument("--base-url", help="also point AIKI_LLM_BASE_URL here (e.g. a local llama.cpp server)")
    use.add_argument("--no-check", action="store_true", help="switch even if the chat endpoint does not list the model")
    use.set_defaults(run=lazy("bot.cli.training:finetune_use"))
    _train_parser(tune_commands)
    mod = tune_commands.add_parser(
        "models", help="which models wrote AIKI's replies, and whether the export learns from each"
    )
    mod.add_argument("--not-aiki", action="append", default=[], metavar="MODEL", help="never learn its replies")
    mod.add_argument("--aiki", action="append", default=[], metavar="MODEL", help="learn its replies after all")
    mod.add_argument("--forget", action="append", default=[], metavar="MODEL", help="drop the mark (default applies)")
    mod.add_argument("--scope", action="append", help="whose conversations (default: AIKI_OWNER_IDS)")
    mod.set_defaults(run=lazy("bot.cli.finetune:finetune_models"))
    rep = tune_commands.add_parser("replies", help="find replies by their text, with the ids mark-bad takes")
    rep.add_argument("text", help="text the reply contains")
    rep.add_argument("--limit", type=int, default=20)
    rep.add_argument("--scope", action="append", help="whose conversations (default: AIKI_OWNER_IDS)")
    rep.set_defaults(run=lazy("bot.cli.training:finetune_replies"))
    bad = tune_commands.add_parser("mark-bad", help="never learn these replies (ids from `aiki finetune replies`)")
    bad.add_argument("turn_ids", nargs="+", type=int, metavar="TURN_ID")
    bad.add_argument("--undo", action="store_true", help="learn them again")
    bad.set_defaults(run=lazy("bot.cli.training:finetune_mark_bad"))


def _export_flags(parser: Any, weights_default: bool) -> None:
    parser.add_argument(
        "--validation", type=float, default=0.1, help="share of conversations held out (default 0.1; 0: none)"
    )
    parser.add_argument(
        "--min-words", type=int, default=2, help="replies shorter than this are not learned (default 2)"
    )
    if not weights_default:
        parser.add_argument("--weights", action="store_true", help="keep replies not learned as context with weight 0")
        parser.add_argument(
            "--hybrid",
            action="store_true",
            help="system messages like the live prompt's, with the memories AIKI would have retrieved then",
        )
    else:
        parser.set_defaults(weights=True)
        parser.add_argument(
            "--no-hybrid",
            dest="hybrid",
            action="store_false",
            help="bare persona as the system message, instead of the live prompt's layout with retrieved memories",
        )
    parser.add_argument(
        "--learn-from",
        type=lambda v: [p.strip() for p in v.split(",") if p.strip()],
        default=list(ORIGINS),
        help="whose replies to learn: aiki,session-log,chatgpt (default all)",
    )
    parser.add_argument("--max-tokens", type=int, default=4_096, help="token budget of one example (default 4096)")
    parser.add_argument("--no-dedupe", action="store_true", help="keep duplicate examples")
    parser.add_argument("--no-scrub", action="store_true", help="keep secrets and contact details (not recommended)")
    parser.add_argument(
        "--exclude-model",
        action="append",
        default=[],
        metavar="MODEL",
        help="do not learn replies this model wrote (repeatable; see also `aiki finetune models`)",
    )
    parser.add_argument("--scope", action="append", help="whose conversations (repeatable; default: AIKI_OWNER_IDS)")


def _train_parser(tune_commands: Any) -> None:
    train = tune_commands.add_parser(
        "train",
        help="train AIKI's own model here (LoRA), merge it, convert it to GGUF; needs pip install 'aiki[train]'",
        description=(
            "Export the history (replies not learned stay as weight-0 context), check it, tokenise it with the "
            "model's own chat template and a loss mask that learns only AIKI's replies, train a LoRA adapter "
            "(QLoRA on CUDA for 3B+ models), then write OUT/adapter, OUT/merged, OUT/aiki-Q4_K_M.gguf and "
            "OUT/aiki-lora.gguf. Ctrl-C stops at the next step with a checkpoint; the same command again resumes it "
            "when the data and the settings are the same (otherwise it starts fresh and says why)."
        ),
    )
    train.add_argument("base_model", help="a Hugging Face model id, a model folder, or a .gguf file (dequantised)")
    train.add_argument("--out", default="finetune", help="folder for everything it writes (default ./finetune)")
    train.add_argument("--data", help="train on this chat-format JSONL instead of exporting the history")
    train.add_argument("--validation-data", help="with --data: a validation file")
    train.add_argument("--rank", type=int, default=recipe.RANK, help=f"LoRA rank r (default {recipe.RANK})")
    train.add_argument("--alpha", type=int, default=recipe.ALPHA, help=f"LoRA alpha (default {recipe.ALPHA})")
    train.add_argument(
        "--lr",
        type=float,
        default=recipe.LEARNING_RATE,
        help=f"learning rate (default {recipe.LEARNING_RATE:g}; 1e-4 suits 7-8B models)",
    )
    train.add_argument("--epochs", type=float, default=recipe.EPOCHS, help=f"epochs (default {recipe.EPOCHS}; 2-3)")
    train.add_argument(
        "--batch",
        type=int,
        default=recipe.BATCH,
        help=f"effective batch, through accumulation (default {recipe.BATCH})",
    )
    train.add_argument(
        "--micro-batch", type=int, default=recipe.MICRO_BATCH, help="examples a forward pass (default 1)"
    )
    train.add_argument(
        "--max-length", type=int, default=recipe.MAX_LENGTH, help=f"tokens an example (default {recipe.MAX_LENGTH})"
    )
    train.add_argument("--max-steps", type=int, help="stop after this many optimizer steps (a trial run)")
    train.add_argument(
        "--save-every",
        type=int,
        default=recipe.SAVE_EVERY,
        help=f"steps between checkpoints (default {recipe.SAVE_EVERY})",
    )
    train.add_argument("--no-gradient-checkpointing", action="store_true", help="faster, more memory")
    train.add_argument("--no-gguf", action="store_true", help="stop after the adapter and the merged model")
    train.add_argument("--llama-cpp", help="a llama.cpp source folder with convert_hf_to_gguf.py (default: found)")
    train.add_argument("--name", default="aiki", help="the served model's name (default aiki)")
    _export_flags(train, weights_default=True)
    train.set_defaults(run=lazy("bot.cli.finetune:finetune_train"))
