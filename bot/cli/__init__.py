"""The `aiki` command line: the parser, and what each command does (loaded only when it runs)."""
