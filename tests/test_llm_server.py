"""Tests for the fake LLM endpoint, driven through the real openai SDK.

They pin down which SDK exception each fault produces, so tests elsewhere can rely
on ``FakeLLMServer`` to reproduce provider failures faithfully.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import openai
import pytest
from openai import AsyncOpenAI

from tests.llm_server import (
    Chunked,
    ContextTooLong,
    Delay,
    DropConnection,
    FakeLLMServer,
    Hang,
    Http200Error,
    HttpError,
    JobFailure,
    MidStreamError,
    MissingChoices,
    payment_required,
    rate_limited,
    server_error,
    service_unavailable,
    unauthorized,
)

MESSAGES = [{"role": "system", "content": "You are AIKI."}, {"role": "user", "content": "hi"}]


@pytest.fixture
def llm() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


@pytest.fixture
async def client(llm: FakeLLMServer) -> AsyncIterator[AsyncOpenAI]:
    client = AsyncOpenAI(base_url=llm.base_url, api_key="test", max_retries=0, timeout=5)
    yield client
    await client.close()


async def ask(client: AsyncOpenAI, **kwargs: object) -> str | None:
    response = await client.chat.completions.create(model="m", messages=MESSAGES, **kwargs)
    return response.choices[0].message.content


async def ask_streamed(client: AsyncOpenAI) -> list[str]:
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    return [c.choices[0].delta.content async for c in stream if c.choices[0].delta.content]


# --------------------------------------------------------------------------- answers


async def test_non_streaming_completion(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.default_reply = "Hello!"
    response = await client.chat.completions.create(model="some-model", messages=MESSAGES)
    assert response.object == "chat.completion"
    assert response.model == "some-model"
    assert response.choices[0].message.content == "Hello!"
    assert response.choices[0].finish_reason == "stop"
    assert response.usage is not None and response.usage.total_tokens > 0


async def test_streamed_completion_reassembles(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    text = "<think>user says hi</think> Hey there,  friend!\nHow are you?"
    llm.script(text)
    parts = await ask_streamed(client)
    assert len(parts) > 1
    assert "".join(parts) == text


async def test_stream_usage_chunk_when_requested(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    stream = await client.chat.completions.create(
        model="m", messages=MESSAGES, stream=True, stream_options={"include_usage": True}
    )
    chunks = [c async for c in stream]
    assert chunks[-1].choices == [] and chunks[-1].usage is not None


async def test_chunked_streams_exact_parts(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(Chunked(["Hel", "lo", " wo", "rld"]), Chunked(["a", "b"]))
    assert await ask_streamed(client) == ["Hel", "lo", " wo", "rld"]
    assert await ask(client) == "ab"  # joined when not streaming


async def test_script_then_responder_then_default(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script("one", "two")
    assert [await ask(client), await ask(client)] == ["one", "two"]
    assert await ask(client) == "OK"
    llm.responder = lambda body: f"you said {body['messages'][-1]['content']}"
    assert await ask(client) == "you said hi"


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("fault", "error", "status"),
    [
        (unauthorized(), openai.AuthenticationError, 401),
        (payment_required(), openai.APIStatusError, 402),
        (rate_limited(retry_after=2), openai.RateLimitError, 429),
        (server_error(), openai.InternalServerError, 500),
        (service_unavailable(), openai.InternalServerError, 503),
    ],
)
async def test_http_status_faults(
    llm: FakeLLMServer, client: AsyncOpenAI, fault: HttpError, error: type, status: int
) -> None:
    llm.script(fault)
    with pytest.raises(openai.APIStatusError) as info:
        await ask(client)
    assert type(info.value) is error
    assert info.value.status_code == status
    assert info.value.message.startswith(f"Error code: {status}")
    assert info.value.code == fault.code
    if status == 429:
        assert info.value.response.headers["retry-after"] == "2"


async def test_http_200_error(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    # The SDK does not validate: it returns a completion whose choices are None.
    llm.script(Http200Error("No endpoints found", 404))
    response = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert response.choices is None
    assert response.model_extra == {"error": {"message": "No endpoints found", "code": 404}}
    # Streaming the same JSON body yields no chunks at all, and no exception.
    llm.script(Http200Error())
    assert await ask_streamed(client) == []


async def test_mid_stream_error(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(MidStreamError(("Hello ", "wor"), "Provider disconnected", 502))
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    received: list[str] = []
    with pytest.raises(openai.APIError) as info:
        async for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert type(info.value) is openai.APIError  # plain APIError, not a status error
    assert info.value.message == "Provider disconnected"
    assert info.value.code == "502"
    assert "".join(received) == "Hello wor"


async def test_missing_choices(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(MissingChoices(), MissingChoices())
    response = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert response.choices is None
    stream = await client.chat.completions.create(model="m", messages=MESSAGES, stream=True)
    assert [chunk.choices async for chunk in stream] == [None]


async def test_delay_beyond_timeout(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(Delay(2))
    with pytest.raises(openai.APITimeoutError):
        await ask(client.with_options(timeout=0.2))


async def test_delay_does_not_block_other_requests(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(Delay(0.4, then="slow"), "fast")
    finished: list[str | None] = []

    async def record(delay_start: float) -> None:
        await asyncio.sleep(delay_start)  # make sure the Delay is dequeued first
        finished.append(await ask(client))

    await asyncio.gather(record(0), record(0.1))
    assert finished == ["fast", "slow"]
    # The handler thread counts itself out just after the client has its answer: give it a moment.
    for _ in range(100):
        if llm.in_flight == 0:
            break
        await asyncio.sleep(0.01)
    assert llm.max_in_flight == 2 and llm.in_flight == 0


async def test_hang_then_prompt_stop(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.fail_with(Hang())
    with pytest.raises(openai.APITimeoutError):
        await ask(client.with_options(timeout=0.2))
    # A request still hanging when the server stops sees the connection close.
    pending = asyncio.create_task(ask(client))
    while llm.in_flight == 0:
        await asyncio.sleep(0.01)
    await asyncio.to_thread(llm.stop)
    with pytest.raises(openai.APIConnectionError) as info:
        await pending
    assert type(info.value) is openai.APIConnectionError


async def test_drop_connection(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script(DropConnection(), "after")
    with pytest.raises(openai.APIConnectionError) as info:
        await ask(client)
    assert type(info.value) is openai.APIConnectionError  # not a timeout
    assert await ask(client) == "after"  # the server itself is fine


async def test_context_too_long(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.fail_with(ContextTooLong(max_prompt_chars=40))
    llm.script("short is fine")
    assert await ask(client) == "short is fine"  # 15 chars of messages
    with pytest.raises(openai.BadRequestError) as info:
        await client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x" * 41}])
    assert info.value.code == "context_length_exceeded"
    assert "maximum context length" in info.value.message


async def test_sticky_fault_until_cleared(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script("queued")
    llm.fail_with(service_unavailable())
    for _ in range(2):
        with pytest.raises(openai.InternalServerError):
            await ask(client)
    llm.clear_faults()
    assert await ask(client) == "queued"  # the sticky fault did not consume the script


# --------------------------------------------------------------------------- files and fine-tuning


async def upload(client: AsyncOpenAI, name: str = "train.jsonl", data: bytes = b'{"messages": []}\n'):
    return await client.files.create(file=(name, data), purpose="fine-tune")


async def test_fine_tuning_job_succeeds(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    data = b'{"messages": [{"role": "user", "content": "hi"}]}\r\n{"messages": []}\n'
    file = await upload(client, data=data)
    assert file.id.startswith("file-")
    assert (file.filename, file.purpose, file.bytes) == ("train.jsonl", "fine-tune", len(data))
    assert (await client.files.retrieve(file.id)).id == file.id
    assert (await client.files.content(file.id)).content == data  # byte-exact round trip

    job = await client.fine_tuning.jobs.create(
        training_file=file.id, model="gpt-4.1-mini", suffix="persona", hyperparameters={"n_epochs": 3}
    )
    assert job.status == "validating_files"
    assert job.hyperparameters.n_epochs == 3
    statuses = [(await client.fine_tuning.jobs.retrieve(job.id)).status for _ in range(3)]
    assert statuses == ["running", "succeeded", "succeeded"]

    done = await client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model == f"ft:gpt-4.1-mini:aiki:persona:{job.id[6:14]}"
    events = await client.fine_tuning.jobs.list_events(job.id)
    assert events.data[0].message == "The job has successfully completed"  # newest first
    assert [j.id async for j in client.fine_tuning.jobs.list()] == [job.id]
    assert done.fine_tuned_model in [m.id async for m in client.models.list()]


async def test_fine_tuning_job_fails(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    file = await upload(client)
    llm.job_failure = JobFailure("Training file has too few examples.", "invalid_n_examples")
    job = await client.fine_tuning.jobs.create(training_file=file.id, model="gpt-4.1-mini")
    for _ in range(2):
        job = await client.fine_tuning.jobs.retrieve(job.id)
    assert job.status == "failed" and job.fine_tuned_model is None
    assert job.error is not None
    assert (job.error.code, job.error.param) == ("invalid_n_examples", "training_file")
    assert job.error.message == "Training file has too few examples."


async def test_fine_tuning_job_cancel(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    file = await upload(client)
    job = await client.fine_tuning.jobs.create(training_file=file.id, model="gpt-4.1-mini")
    assert (await client.fine_tuning.jobs.cancel(job.id)).status == "cancelled"
    assert (await client.fine_tuning.jobs.retrieve(job.id)).status == "cancelled"
    with pytest.raises(openai.BadRequestError):
        await client.fine_tuning.jobs.cancel(job.id)


async def test_invalid_upload_and_unknown_file(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.file_validator = lambda name, data: "Invalid file format" if b"bad" in data else None
    with pytest.raises(openai.BadRequestError) as info:
        await upload(client, data=b"bad line\n")
    assert (info.value.code, info.value.param) == ("invalid_file", "file")
    with pytest.raises(openai.BadRequestError):
        await client.fine_tuning.jobs.create(training_file="file-missing", model="gpt-4.1-mini")
    with pytest.raises(openai.NotFoundError):
        await client.files.retrieve("file-missing")


# --------------------------------------------------------------------------- recording


async def test_requests_are_recorded(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    await ask(client)
    await client.chat.completions.create(
        model="m",
        messages=[
            {"role": "system", "content": "persona"},
            {"role": "user", "content": [{"type": "text", "text": "look"}, {"type": "text", "text": "here"}]},
        ],
    )
    await client.models.list()

    first = llm.requests[0]
    assert (first.method, first.path) == ("POST", "/v1/chat/completions")
    assert first.headers["authorization"] == "Bearer test"
    assert first.body["messages"] == MESSAGES
    assert [r.path for r in llm.requests] == ["/v1/chat/completions"] * 2 + ["/v1/models"]
    assert len(llm.chat_requests) == 2
    assert llm.last_prompt_text() == "persona\nlook\nhere"


async def test_reset(llm: FakeLLMServer, client: AsyncOpenAI) -> None:
    llm.script("left over")
    llm.fail_with(server_error())
    llm.default_reply = "changed"
    await upload(client)
    llm.reset()
    assert llm.requests == [] and llm.files == {} and llm.pending_script == 0
    assert await ask(client) == "OK"
