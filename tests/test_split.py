"""Replies longer than Discord's 2,000 characters are split without losing words or breaking code blocks."""

from __future__ import annotations

import re

from cogs.common import DISCORD_LIMIT, split_message


def words_of(parts: list[str]) -> list[str]:
    """Every word across the parts, minus the fence lines the splitter added to close and reopen blocks."""
    return " ".join(parts).split()


def fences_balanced(part: str) -> bool:
    return len(re.findall(r"^\s*```", part, re.MULTILINE)) % 2 == 0


def test_short_text_is_one_part() -> None:
    assert split_message("Hei Jovnna!") == ["Hei Jovnna!"]


def test_5000_chars_with_a_code_fence_and_a_2500_char_line() -> None:
    prose = " ".join(f"word{i}" for i in range(250))  # ~1,900 characters
    code = "\n".join(f"    print('line {i} of the example')" for i in range(60))  # ~2,100 characters
    long_line = " ".join(f"w{i:04d}" for i in range(420))  # 2,519 characters, one line
    text = f"{prose}\n\n```python\n{code}\n```\n{long_line}"
    assert len(text) > 5000 and len(long_line) > 2500

    parts = split_message(text)

    assert all(len(p) <= DISCORD_LIMIT for p in parts)
    assert all(fences_balanced(p) for p in parts)
    added_fences = sum(p.count("```") for p in parts) - text.count("```")
    kept = [w for w in words_of(parts) if not w.startswith("```")]
    original = [w for w in text.split() if not w.startswith("```")]
    assert kept == original  # nothing lost, nothing duplicated, in order
    assert added_fences > 0  # the block was cut, closed, and reopened
    reopened = [p for p in parts[1:] if p.startswith("```python")]
    assert reopened  # the reopened block keeps its language
    for part in parts:  # no word was cut in half
        for word in part.split():
            assert (
                word.startswith(("word", "w", "print", "```", "'line", "of", "the", "example')", "line"))
                or word.isdigit()
            )


def test_a_line_without_spaces_is_cut_hard_but_completely() -> None:
    blob = "x" * 4500
    parts = split_message(blob)
    assert all(len(p) <= DISCORD_LIMIT for p in parts)
    assert "".join(parts) == blob


def test_an_unclosed_fence_at_the_end_is_closed() -> None:
    parts = split_message("Here:\n```\nprint(1)")
    assert parts == ["Here:\n```\nprint(1)\n```"]
