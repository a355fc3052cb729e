"""The LLM port and its one adapter: any OpenAI-compatible chat endpoint through `AsyncOpenAI`.

The LLM is only a language tool: text in, text out. Everything that makes real endpoints awkward is
handled here, so the core sees either text or an `LLMError` with a message fit for the person:
HTTP 200 with an `error` body (OpenRouter), an error event mid-stream, `choices` missing, reasoning
tags in the output, a prompt longer than the context, timeouts, 429/5xx (retried, bounded) and 401/402
(never retried).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import openai
from openai import AsyncOpenAI, AsyncStream

from bot.errors import AikiError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChatMessage:
    role: str  # system | user | assistant
    content: str

    def as_dict(self) -> dict[str, str]:
        return {"role": self.role, "content": self.content}


SAME_ROLE_JOIN = "\n\n"  # messages in a row from one side become one message (the export joins them the same way)


def merge_same_role(messages: Sequence[ChatMessage]) -> list[ChatMessage]:
    """One message per side in turn: history holds user messages in a row after failed turns, and many chat
    templates (Mistral, Gemma, ...) refuse roles that do not alternate. Fine-tuning examples are joined alike."""
    merged: list[ChatMessage] = []
    for message in messages:
        if merged and merged[-1].role == message.role and message.role != "system":
            merged[-1] = ChatMessage(message.role, merged[-1].content + SAME_ROLE_JOIN + message.content)
        else:
            merged.append(message)
    return merged


class LLMError(AikiError):
    """The endpoint failed; `str()` is the short message the person sees."""


class LLMUnavailableError(LLMError):
    """Timeout, connection refused, rate limit or a server error: worth trying again later."""


class LLMRejectedError(LLMError):
    """The endpoint refused us (bad key, no credits, bad request): retrying will not help."""


class ContextTooLongError(LLMError):
    """The prompt is longer than the model's context window."""


class EmptyAnswerError(ContextTooLongError, LLMUnavailableError):
    """HTTP 200 with no text at all. llama.cpp's server answers a prompt over its window this way, so it is
    treated as too long (the core trims and asks once more); an empty answer to the trimmed prompt is shown."""


class ReplyCutOffError(LLMUnavailableError):
    """The reply stopped before its end: `finish_reason: length`, or the stream closed without finishing."""


class LLM(Protocol):
    @property
    def model(self) -> str: ...

    def stream(self, messages: Sequence[ChatMessage], temperature: float) -> AsyncIterator[str]:
        """The reply as it is generated, reasoning stripped; raises LLMError."""
        ...

    async def complete(self, messages: Sequence[ChatMessage], temperature: float, json_mode: bool = False) -> str: ...

    async def close(self) -> None:
        """Let go of the connection pool (at shutdown)."""
        ...


class ReasoningStripper:
    """Drops `<think>...</think>` (and `<thinking>`, `<reasoning>`) from a stream, even when tags are split."""

    _OPEN = re.compile(r"<(think|thinking|reasoning)>", re.IGNORECASE)

    def __init__(self) -> None:
        self._buffer = ""
        self._closing: str | None = None

    def feed(self, chunk: str) -> str:
        self._buffer += chunk
        out: list[str] = []
        while self._buffer:
            if self._closing:
                end = self._buffer.lower().find(self._closing)
                if end < 0:
                    # keep only a tail that could be the start of the closing tag
                    self._buffer = self._buffer[-len(self._closing) :]
                    break
                self._buffer = self._buffer[end + len(self._closing) :].lstrip()
                self._closing = None
                continue
            match = self._OPEN.search(self._buffer)
            if match:
                out.append(self._buffer[: match.start()])
                self._closing = f"</{match.group(1).lower()}>"
                self._buffer = self._buffer[match.end() :]
                continue
            cut = self._buffer.rfind("<")
            if cut >= 0 and len(self._buffer) - cut < len("<reasoning>") and ">" not in self._buffer[cut:]:
                out.append(self._buffer[:cut])  # a tag may be arriving in pieces: hold it back
                self._buffer = self._buffer[cut:]
                break
            out.append(self._buffer)
            self._buffer = ""
        return "".join(out)

    def finish(self) -> str:
        rest, self._buffer = ("" if self._closing else self._buffer), ""
        return rest


def strip_reasoning(text: str) -> str:
    stripper = ReasoningStripper()
    return (stripper.feed(text) + stripper.finish()).strip()


def _provider_message(body: Any) -> str:
    if isinstance(body, dict):
        error = body.get("error", body)
        if isinstance(error, dict):
            return str(error.get("message") or error.get("code") or "unknown error")[:300]
        return str(error)[:300]
    return str(body)[:300] if body else "no details"


_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def _provider_code(body: Any) -> str:
    """The error's code or type when it is a short identifier (`model_not_found`, `invalid_request_error`, 400):
    what a log line may say about a provider's error. Its message may echo the prompt, so it is never logged."""
    error = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "no code"
    for value in (error.get("code"), error.get("type")):
        if value is not None and _CODE.match(str(value)):
            return str(value)
    return "no code"


def _is_context_error(code: object, message: str) -> bool:
    text = f"{code} {message}".lower()
    return "context_length" in text or "maximum context" in text or "too many tokens" in text


class OpenAICompatibleLLM:
    """`AsyncOpenAI` with our timeout and bounded retries (the SDK's 600 s / 2 retries are wrong for chat)."""

    def __init__(
        self, base_url: str, api_key: str, model: str, timeout_s: float, max_retries: int, max_reply_tokens: int
    ) -> None:
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=max_retries
        )
        self._base_url = base_url
        self._model = model
        self._timeout_s = timeout_s
        self._max_reply_tokens = max_reply_tokens

    @property
    def model(self) -> str:
        return self._model

    async def close(self) -> None:
        await self._client.close()

    def _fail(self, reason: str, error: LLMError) -> LLMError:
        log.warning("LLM call to %s (model %s) failed: %s", self._base_url, self._model, reason)
        return error

    def _translate(self, exc: Exception) -> LLMError:
        """One place that turns SDK exceptions into errors for the person plus a log line for the owner."""
        if isinstance(exc, openai.APITimeoutError):
            return self._fail(
                "timed out", LLMUnavailableError("My language model took too long to answer. Try again in a moment.")
            )
        if isinstance(exc, openai.APIConnectionError):
            return self._fail(
                f"connection failed ({exc.__cause__.__class__.__name__ if exc.__cause__ else 'no answer'})",
                LLMUnavailableError("I can't reach my language model right now. Try again in a moment."),
            )
        if isinstance(exc, openai.APIStatusError):
            detail = _provider_message(exc.body)
            status = exc.status_code
            if status == 400 and _is_context_error(getattr(exc, "code", None), detail):
                return ContextTooLongError("The conversation is too long for my language model.")
            # The provider's message may quote the prompt: the log gets the status and the error's code only.
            said = f"HTTP {status} ({_provider_code(exc.body)})"
            if status == 429:
                return self._fail(
                    said,
                    LLMUnavailableError("My language model is busy (rate limited). Try again in a minute."),
                )
            if status in (401, 403):
                return self._fail(
                    f"{said}: check AIKI_LLM_API_KEY",
                    LLMRejectedError("My language model refused my credentials; my owner needs to check the API key."),
                )
            if status == 402:
                return self._fail(
                    said,
                    LLMRejectedError("My language model account is out of credits; my owner needs to top it up."),
                )
            if status >= 500:
                return self._fail(
                    said,
                    LLMUnavailableError("My language model had an error. Try again in a moment."),
                )
            return self._fail(said, LLMRejectedError("My language model refused the request."))
        if isinstance(exc, openai.APIError):  # e.g. an error event in the middle of a stream
            body = getattr(exc, "body", None)
            detail = _provider_message(body or exc.message)
            if _is_context_error(getattr(exc, "code", None), detail):
                return ContextTooLongError("The conversation is too long for my language model.")
            return self._fail(
                f"error from the provider ({_provider_code(body)})",
                LLMUnavailableError("My language model stopped with an error. Try again in a moment."),
            )
        raise exc

    def _request(self, messages: Sequence[ChatMessage], temperature: float) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": [m.as_dict() for m in merge_same_role(messages)],
            "temperature": temperature,
            "max_tokens": self._max_reply_tokens,  # a runaway reply costs the person money and time
        }

    def _empty(self) -> LLMError:
        return self._fail(
            "the answer held no text (over the model's window?)",
            EmptyAnswerError("My language model sent an empty answer. Try again in a moment."),
        )

    def _cut_off(self, finish: str | None) -> LLMError:
        if finish == "length":
            return self._fail(
                f"the reply reached max_tokens={self._max_reply_tokens}",
                ReplyCutOffError("my reply hit its length limit (AIKI_LLM_MAX_REPLY_TOKENS)"),
            )
        return self._fail(
            "the stream closed before the reply finished",
            ReplyCutOffError("my language model stopped before the end of the reply"),
        )

    def _too_slow(self) -> LLMError:
        return self._fail(
            f"no answer within {self._timeout_s:g} s (retries included)",
            LLMUnavailableError("My language model took too long to answer. Try again in a moment."),
        )

    def _chunk_text(self, chunk: Any) -> tuple[str | None, str | None]:
        """The chunk's text and its finish reason, if it carries one."""
        error = (chunk.model_extra or {}).get("error")
        if error:  # OpenRouter: an error event in the middle of the stream
            raise self._fail(
                f"error event mid-stream ({_provider_code({'error': error})})",
                LLMUnavailableError("My language model stopped with an error. Try again in a moment."),
            )
        if not chunk.choices:
            return None, None
        choice = chunk.choices[0]
        return (choice.delta.content if choice.delta else None), choice.finish_reason

    async def stream(self, messages: Sequence[ChatMessage], temperature: float) -> AsyncIterator[str]:
        stripper = ReasoningStripper()
        produced = False
        finish: str | None = None
        response: AsyncStream[Any] | None = None
        try:
            # The person waits for the first words: those, retries included, must come within the timeout.
            # After that the SDK's read timeout guards each gap between chunks.
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.chat.completions.create(
                    **self._request(messages, temperature), stream=True
                )
                chunks = aiter(response)
                first = await anext(chunks, None)
            pending = [] if first is None else [first]
            while True:
                chunk = pending.pop() if pending else await anext(chunks, None)
                if chunk is None:
                    break
                delta, finished = self._chunk_text(chunk)
                finish = finished or finish
                text = stripper.feed(delta) if delta else ""
                if text:
                    produced = True
                    yield text
        except LLMError:
            raise
        except TimeoutError:
            raise self._too_slow() from None
        except Exception as exc:
            raise self._translate(exc) from None
        finally:
            if response is not None:  # a reply stopped early (Ctrl-C, Discord gone) frees its connection now
                await response.close()
        tail = stripper.finish()
        if tail:
            produced = True
            yield tail
        if not produced:
            raise self._empty()
        if finish is None or finish == "length":  # a stream that just stopped, or the max_tokens limit
            raise self._cut_off(finish)

    async def complete(self, messages: Sequence[ChatMessage], temperature: float, json_mode: bool = False) -> str:
        request = self._request(messages, temperature)
        if json_mode:
            request["response_format"] = {"type": "json_object"}
        try:
            async with asyncio.timeout(self._timeout_s):
                response = await self._client.chat.completions.create(**request)
        except TimeoutError:
            raise self._too_slow() from None
        except Exception as exc:
            raise self._translate(exc) from None
        error = (response.model_extra or {}).get("error")
        if error:  # HTTP 200 with an error body
            raise self._fail(
                f"HTTP 200 with an error body ({_provider_code({'error': error})})",
                LLMUnavailableError("My language model answered with an error. Try again in a moment."),
            )
        if not response.choices or response.choices[0].message is None:
            raise self._fail(
                "answer without choices",
                LLMUnavailableError("My language model sent an empty answer. Try again in a moment."),
            )
        text = strip_reasoning(response.choices[0].message.content or "")
        if not text:
            raise self._empty()
        if response.choices[0].finish_reason == "length":
            raise self._cut_off("length")
        return text
