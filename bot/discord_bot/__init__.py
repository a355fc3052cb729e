"""The Discord surface: the bot, its composition (build_bot), delivery, and what the cogs share."""
