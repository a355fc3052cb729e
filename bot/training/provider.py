"""Fine-tuning on any OpenAI-compatible API (files + fine_tuning.jobs) through `AsyncOpenAI`.

Every SDK error becomes an AikiError that carries the provider's own reason, so a refused upload or a failed
job says why ("invalid_training_file: ...") instead of showing a stack trace.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openai
from openai import AsyncOpenAI

from bot.errors import AikiError
from bot.llm import _provider_code, _provider_message

log = logging.getLogger(__name__)

# Uploads of a large training file take longer than a chat reply; retries stay bounded by AIKI_LLM_MAX_RETRIES.
TIMEOUT_S = 300.0
TERMINAL = ("succeeded", "failed", "cancelled")


class FineTuningError(AikiError):
    """The provider refused or failed; the message carries its reason."""


@dataclass(frozen=True)
class JobView:
    id: str
    status: str
    base_model: str
    fine_tuned_model: str | None
    error: str | None
    trained_tokens: int | None
    created_at: datetime

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


@dataclass(frozen=True)
class JobEvent:
    id: str
    created_at: datetime
    level: str
    message: str

    def line(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.level:<5} {self.message}"


class FineTuning:
    def __init__(self, base_url: str, api_key: str, max_retries: int) -> None:
        self.base_url = base_url
        self._client = AsyncOpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=TIMEOUT_S, max_retries=max_retries
        )

    async def close(self) -> None:
        await self._client.close()

    async def upload(self, path: Path) -> str:
        """Upload a training file (purpose fine-tune); returns the provider's file id."""
        try:
            with path.open("rb") as handle:
                uploaded = await self._client.files.create(file=(path.name, handle), purpose="fine-tune")
        except openai.OpenAIError as exc:
            raise self._failed(f"uploading {path.name}", exc) from None
        return uploaded.id

    async def start(
        self, training_file: str, validation_file: str | None, model: str, suffix: str | None, epochs: int | None
    ) -> JobView:
        request: dict[str, Any] = {"model": model, "training_file": training_file}
        if validation_file:
            request["validation_file"] = validation_file
        if suffix:
            request["suffix"] = suffix
        if epochs:
            request["method"] = {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": epochs}}}
        try:
            job = await self._client.fine_tuning.jobs.create(**request)
        except openai.OpenAIError as exc:
            raise self._failed("starting the fine-tuning job", exc) from None
        return _view(job)

    async def job(self, job_id: str) -> JobView:
        try:
            return _view(await self._client.fine_tuning.jobs.retrieve(job_id))
        except openai.OpenAIError as exc:
            raise self._failed(f"asking for job {job_id}", exc) from None

    async def events(self, job_id: str, limit: int = 50) -> list[JobEvent]:
        """The job's latest events, oldest first."""
        try:
            page = await self._client.fine_tuning.jobs.list_events(job_id, limit=limit)
        except openai.OpenAIError as exc:
            raise self._failed(f"reading the events of job {job_id}", exc) from None
        events = [JobEvent(e.id, datetime.fromtimestamp(e.created_at, UTC), str(e.level), e.message) for e in page.data]
        return sorted(events, key=lambda e: e.created_at)

    async def follow(
        self, job_id: str, poll_s: float, on_event: Callable[[JobEvent], None], on_status: Callable[[JobView], None]
    ) -> JobView:
        """Poll until the job succeeds, fails or is cancelled, reporting each new event once."""
        seen: set[str] = set()
        while True:
            job = await self.job(job_id)
            for event in await self.events(job_id):
                if event.id not in seen:
                    seen.add(event.id)
                    on_event(event)
            on_status(job)
            if job.finished:
                return job
            await asyncio.sleep(poll_s)

    def _failed(self, doing: str, exc: Exception) -> FineTuningError:
        # The screen gets the provider's words; the log only the status and the error's code: a provider's message
        # may quote the training file, which holds what people wrote.
        logged = type(exc).__name__
        if isinstance(exc, openai.APITimeoutError):
            reason = f"no answer from {self.base_url} within {TIMEOUT_S:.0f} s"
        elif isinstance(exc, openai.APIConnectionError):
            reason = f"cannot reach {self.base_url}"
        elif isinstance(exc, openai.APIStatusError):
            reason = f"the provider answered HTTP {exc.status_code}: {_provider_message(exc.body)}"
            logged = f"HTTP {exc.status_code} ({_provider_code(exc.body)})"
            if exc.status_code in (401, 403):
                reason += " (check AIKI_FINETUNE_API_KEY or AIKI_LLM_API_KEY)"
            elif exc.status_code == 404:
                reason += f" (does {self.base_url} offer fine-tuning?)"
        else:
            reason = str(exc)[:300]
        log.warning("fine-tuning call to %s failed while %s: %s", self.base_url, doing, logged)
        return FineTuningError(f"{doing[0].upper()}{doing[1:]} failed: {reason}")


def job_error(job: Any) -> str | None:
    error = getattr(job, "error", None)
    message, code = getattr(error, "message", None), getattr(error, "code", None)
    if not message and not code:
        return None  # some providers send an empty error object for jobs that did not fail
    return f"{message or 'no reason given'} ({code})" if code else str(message)


def _view(job: Any) -> JobView:
    return JobView(
        id=job.id,
        status=str(job.status),
        base_model=str(job.model),
        fine_tuned_model=job.fine_tuned_model,
        error=job_error(job),
        trained_tokens=job.trained_tokens,
        created_at=datetime.fromtimestamp(job.created_at, UTC),
    )


async def models_at(base_url: str, api_key: str, timeout_s: float) -> list[str] | None:
    """The models an endpoint lists, or None when it does not say (many local servers and proxies don't)."""
    client = AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=0)
    try:
        return [model.id async for model in client.models.list()]
    except openai.OpenAIError as exc:
        log.info("could not list the models at %s: %s", base_url, exc.__class__.__name__)
        return None
    finally:
        await client.close()
