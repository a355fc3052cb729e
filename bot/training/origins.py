"""Where a conversation turn came from, as the training export names it (kept light: `aiki --help` reads it)."""

AIKI = "aiki"  # the origin of AIKI's own turns
ORIGINS = ("aiki", "session-log", "chatgpt")
