"""The `aiki data ...` and `aiki finetune ...` arguments; the commands themselves load when they run."""

from __future__ import annotations

from typing import Any

from bot.cli_common import lazy
from bot.training.export import ORIGINS
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
    gpt.set_defaults(run=lazy("bot.training.cli:data_chatgpt"))
    ses = data_commands.add_parser("sessions", help="import session logs of an earlier AIKI (JSONL or Markdown)")
    ses.add_argument("paths", nargs="+", help="files or folders (.jsonl, .md, .markdown, .txt); see README for shapes")
    ses.add_argument("--scope", help=scope_help)
    ses.add_argument("--user-name", action="append", default=[], help="a speaker name that is you (repeatable)")
    ses.add_argument("--assistant-name", action="append", default=[], help="a speaker name that is AIKI (repeatable)")
    ses.set_defaults(run=lazy("bot.training.cli:data_sessions"))
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
    mem.set_defaults(run=lazy("bot.training.cli:data_memories"))
    dst = data_commands.add_parser("stats", help="how much conversation history there is, by origin")
    dst.set_defaults(run=lazy("bot.training.cli:data_stats"))

    tune = commands.add_parser("finetune", help="training data export, validation and fine-tuning jobs")
    tune_commands = tune.add_subparsers(dest="finetune_command", required=True, metavar="ACTION")
    exp = tune_commands.add_parser("export", help="write the conversation history as chat-format JSONL")
    exp.add_argument("file", help="training file to write; the validation file goes beside it (NAME.validation.jsonl)")
    exp.add_argument(
        "--validation", type=float, default=0.1, help="share of conversations held out (default 0.1; 0: none)"
    )
    exp.add_argument("--min-words", type=int, default=2, help="replies shorter than this are not learned (default 2)")
    exp.add_argument("--weights", action="store_true", help="keep replies not learned as context with weight 0")
    exp.add_argument(
        "--learn-from",
        type=lambda v: [p.strip() for p in v.split(",") if p.strip()],
        default=list(ORIGINS),
        help="whose replies to learn: aiki,session-log,chatgpt (default all)",
    )
    exp.add_argument("--max-tokens", type=int, default=4_096, help="token budget of one example (default 4096)")
    exp.add_argument("--no-dedupe", action="store_true", help="keep duplicate examples")
    exp.add_argument("--no-scrub", action="store_true", help="keep secrets and contact details (not recommended)")
    exp.add_argument("--scope", action="append", help="whose conversations (repeatable; default: AIKI_OWNER_IDS)")
    exp.set_defaults(run=lazy("bot.training.cli:finetune_export"))
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
        command.set_defaults(run=lazy(f"bot.training.cli:{handler}"))
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
    sts.set_defaults(run=lazy("bot.training.cli:finetune_status"))
    use = tune_commands.add_parser("use", help="switch AIKI's chat model to a fine-tuned one (retrieval stays on)")
    use.add_argument("target", metavar="MODEL_OR_JOB_ID", help="a model name, or the id of a finished job")
    use.add_argument("--env-file", default=".env", help="the settings file to change (default .env)")
    use.add_argument("--no-check", action="store_true", help="switch even if the chat endpoint does not list the model")
    use.set_defaults(run=lazy("bot.training.cli:finetune_use"))
    rep = tune_commands.add_parser("replies", help="find replies by their text, with the ids mark-bad takes")
    rep.add_argument("text", help="text the reply contains")
    rep.add_argument("--limit", type=int, default=20)
    rep.add_argument("--scope", action="append", help="whose conversations (default: AIKI_OWNER_IDS)")
    rep.set_defaults(run=lazy("bot.training.cli:finetune_replies"))
    bad = tune_commands.add_parser("mark-bad", help="never learn these replies (ids from `aiki finetune replies`)")
    bad.add_argument("turn_ids", nargs="+", type=int, metavar="TURN_ID")
    bad.add_argument("--undo", action="store_true", help="learn them again")
    bad.set_defaults(run=lazy("bot.training.cli:finetune_mark_bad"))
