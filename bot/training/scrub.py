"""Secrets and contact details out of training text, found by pattern and replaced with placeholders.

A model learns what it is shown, including an API key pasted into a chat two years ago. Patterns, in order
(secrets first, so a key's digits are never mistaken for a phone number): private key blocks, API keys and
tokens (OpenAI `sk-`, GitHub `ghp_`/`github_pat_`, Slack `xox?-`, AWS `AKIA`, Google `AIza`, Stripe, JWTs,
Discord bot tokens and webhooks, `Bearer ...`), URLs carrying credentials or tokens, e-mail addresses, IBANs,
card numbers (Luhn-checked), Norwegian national identity numbers (checksum-checked) and bank account numbers,
phone numbers (international `+47 ...` / `0047`, Norwegian 8-digit mobiles and grouped 8-digit numbers),
and Discord mentions. A pattern finds what looks like one; it cannot know every secret.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable

Check = Callable[[str], bool]


def _luhn(text: str) -> bool:
    digits = [int(d) for d in re.sub(r"\D", "", text)]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _norwegian_id(text: str) -> bool:
    """Fødselsnummer: DDMMYY + 3 + 2 control digits (mod 11)."""
    d = [int(c) for c in re.sub(r"\D", "", text)]
    if len(d) != 11 or not (1 <= d[0] * 10 + d[1] <= 71 and 1 <= (d[2] * 10 + d[3]) % 40 <= 12):
        return False
    k1 = 11 - sum(w * x for w, x in zip((3, 7, 6, 1, 8, 9, 4, 5, 2), d, strict=False)) % 11
    k2 = 11 - sum(w * x for w, x in zip((5, 4, 3, 2, 7, 6, 5, 4, 3, 2), d, strict=False)) % 11
    k1, k2 = (0 if k1 == 11 else k1), (0 if k2 == 11 else k2)
    return k1 == d[9] and k2 == d[10]


def _not_a_date(text: str) -> bool:
    return not re.fullmatch(r"(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])", re.sub(r"\D", "", text))


_DIGITS4 = re.compile(r"\d[ \-.]?\d[ \-.]?\d[ \-.]?\d")
_TWO_DOTS = re.compile(r"\.[A-Za-z0-9_\-]{6,7}\.")
_IBAN_START = re.compile(r"[A-Z]{2}\d{2}")
_PHONE_START = re.compile(r"\+\d|00\d")

# (placeholder, pattern, optional check on the match, gate): the pattern only runs on text the gate finds
# (a substring, or a cheap regex), so ordinary chat text costs a few substring searches instead of 22 scans.
PATTERNS: list[tuple[str, re.Pattern[str], Check | None, str | re.Pattern[str]]] = [
    ("[private-key]", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.S), None,
     "-----BEGIN"),
    ("[api-key]", re.compile(r"\bsk-(?:proj-|ant-|or-v1-)?[A-Za-z0-9_\-]{20,}"), None, "sk-"),
    ("[api-key]", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,})"), None, "_"),
    ("[api-key]", re.compile(r"\bxox[abposr]-[A-Za-z0-9\-]{10,}"), None, "xox"),
    ("[api-key]", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), None, "IA"),
    ("[api-key]", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"), None, "AIza"),
    ("[api-key]", re.compile(r"\b(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}"), None, "k_"),
    ("[token]", re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"), None, "eyJ"),
    ("[token]", re.compile(r"\b[A-Za-z0-9_\-]{23,28}\.[A-Za-z0-9_\-]{6,7}\.[A-Za-z0-9_\-]{27,40}\b"), None, _TWO_DOTS),
    ("[token]", re.compile(r"(?i)\bbearer\s+[A-Za-z0-9_\-.=+/]{16,}"), None, "earer"),
    ("[url]", re.compile(r"https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/\S+"), None, "webhooks"),
    ("[url]", re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s/:@]+:[^\s/@]+@\S+", re.I), None, "@"),
    (
        "[url]",
        re.compile(
            r"https?://\S*[?&#](?:[\w.\-]*(?:token|key|secret|sig|signature|password|passwd|auth|code|session)"
            r"[\w.\-]*)=[^\s&#]+\S*",
            re.I,
        ),
        None,
        "=",
    ),
    ("[email]", re.compile(r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}\b"), None, "@"),
    ("[iban]", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"), None, _IBAN_START),
    ("[card]", re.compile(r"(?<![\d\-])\d(?:[ \-]?\d){12,18}(?![\d\-])"), _luhn, _DIGITS4),
    ("[national-id]", re.compile(r"(?<!\d)\d{6} ?\d{5}(?!\d)"), _norwegian_id, _DIGITS4),
    ("[account]", re.compile(r"(?<![\d.])\d{4}\.\d{2}\.\d{5}(?![\d.])"), None, _DIGITS4),
    ("[phone]", re.compile(r"(?<![\w+])(?:\+|00)\d{1,3}[ \-.]?\(?\d{1,4}\)?(?:[ \-.]?\d{2,4}){2,4}(?!\d)"), None,
     _PHONE_START),
    ("[phone]", re.compile(r"(?<![\d.,:\-/])[49]\d{7}(?![\d.,:\-/])"), _not_a_date, _DIGITS4),
    ("[phone]", re.compile(r"(?<![\d.,:\-/])(?:\d{3} \d{2} \d{3}|\d{2} \d{2} \d{2} \d{2})(?![\d.,:\-/])"), None,
     _DIGITS4),
    ("[mention]", re.compile(r"<@!?\d{15,21}>"), None, "<@"),
]  # fmt: skip


def _opens(gate: str | re.Pattern[str], text: str) -> bool:
    return gate in text if isinstance(gate, str) else gate.search(text) is not None


class Scrubber:
    """Replaces what the patterns find and counts it per placeholder, for the export's report."""

    def __init__(self) -> None:
        self.found: Counter[str] = Counter()

    def __call__(self, text: str) -> str:
        opened: dict[int, bool] = {}  # one look per gate (replacing what a pattern found never opens a gate)
        for placeholder, pattern, check, gate in PATTERNS:
            if id(gate) not in opened:
                opened[id(gate)] = _opens(gate, text)
            if not opened[id(gate)]:
                continue
            if check is None:
                text, count = pattern.subn(placeholder, text)
                self.found[placeholder] += count
            else:

                def replace(match: re.Match[str], placeholder: str = placeholder, check: Check = check) -> str:
                    if check(match.group(0)):
                        self.found[placeholder] += 1
                        return placeholder
                    return match.group(0)

                text = pattern.sub(replace, text)
        return text
