"""Fine-tuning jobs end to end: start one from checked files, remember it, and switch AIKI's chat model to the result.

Switching (`aiki finetune use`) changes only `AIKI_LLM_MODEL`: memory retrieval does not depend on the model,
so every turn still searches Qdrant and hands the memories to the fine-tuned model. That is the hybrid mode.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bot.errors import AikiError
from bot.settings import Settings
from bot.state.training import FinetuneJobRecord, TrainingStore
from bot.training import envfile
from bot.training.provider import FineTuning, JobView

MODEL_KEY = "AIKI_LLM_MODEL"
BASE_URL_KEY = "AIKI_LLM_BASE_URL"
API_KEY_KEY = "AIKI_LLM_API_KEY"
NOTE = "aiki finetune use"  # the comment line written above the changed setting starts with this


async def submit(
    fine_tuning: FineTuning,
    store: TrainingStore,
    train: Path,
    validation: Path | None,
    model: str,
    suffix: str | None,
    epochs: int | None,
) -> JobView:
    """Upload the (already validated) files, start the job, and remember it for `status` and `use`."""
    training_file = await fine_tuning.upload(train)
    validation_file = await fine_tuning.upload(validation) if validation else None
    job = await fine_tuning.start(training_file, validation_file, model, suffix, epochs)
    await remember(store, fine_tuning.base_url, job, str(train))
    return job


async def remember(store: TrainingStore, base_url: str, job: JobView, training_file: str | None = None) -> None:
    known = await store.finetune_job(job.id)
    now = datetime.now(UTC)
    await store.save_finetune_job(
        FinetuneJobRecord(
            id=job.id,
            base_url=base_url,
            base_model=job.base_model,
            training_file=training_file or (known.training_file if known else ""),
            status=job.status,
            fine_tuned_model=job.fine_tuned_model,
            error=job.error,
            created_at=known.created_at if known else job.created_at,
            updated_at=now,
        )
    )


def looks_like_job(target: str) -> bool:
    return target.startswith("ftjob-")


async def model_of(fine_tuning: FineTuning, store: TrainingStore, job_id: str) -> str:
    """The fine-tuned model a finished job made; a clear message while it is not there yet."""
    job = await fine_tuning.job(job_id)
    await remember(store, fine_tuning.base_url, job)
    if job.status == "succeeded" and job.fine_tuned_model:
        return job.fine_tuned_model
    if job.status == "failed":
        raise AikiError(f"Job {job_id} failed ({job.error or 'no reason given'}): there is no model to use.")
    if job.status == "cancelled":
        raise AikiError(f"Job {job_id} was cancelled: there is no model to use.")
    raise AikiError(f"Job {job_id} is still {job.status}: follow it with `aiki finetune status {job_id} --follow`.")


@dataclass(frozen=True)
class EndpointInFile:
    """The chat endpoint a settings file points AIKI at; what the file leaves out comes from the running settings."""

    model: str
    base_url: str
    api_key: str

    @classmethod
    def read(cls, env_file: Path, settings: Settings) -> EndpointInFile:
        return cls(
            envfile.read_value(env_file, MODEL_KEY) or settings.llm_model,
            envfile.read_value(env_file, BASE_URL_KEY) or settings.llm_base_url,
            envfile.read_value(env_file, API_KEY_KEY) or settings.llm_api_key.get_secret_value(),
        )


@dataclass(frozen=True)
class Switch:
    env_file: Path
    before: str
    after: str


def switch_model(env_file: Path, current: EndpointInFile, model: str, base_url: str | None = None) -> Switch:
    """Persist the new chat model (and endpoint) in the .env file AIKI reads; other lines stay as they were."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    before = current.model
    if base_url and base_url != current.base_url:
        envfile.set_value(env_file, BASE_URL_KEY, base_url, f"{NOTE} (endpoint): was {current.base_url} until {when}")
    envfile.set_value(
        env_file, MODEL_KEY, model, f"{NOTE}: was {before} until {when}; back: aiki finetune use {before}"
    )
    return Switch(env_file, before, model)


async def known_as_fine_tuned(store: TrainingStore, switch: Switch, at: datetime) -> bool:
    """Remember the model switched to as a fine-tuned AIKI, unless it wrote replies before (going back to the model
    AIKI ran on); True when its replies are left out of exports (the owner has not marked them as AIKI's)."""
    if switch.after != switch.before and not await store.has_replies_by(switch.after):
        await store.add_fine_tuned_model(switch.after, NOTE, at)
    if (await store.model_marks()).get(switch.after):
        return False
    return switch.after in await store.fine_tuned_models()
