"""A fake OpenAI-compatible LLM endpoint for the test suite.

Why this exists: the openai SDK 3.x talks HTTP through ``httpx2``, which ``respx``
cannot intercept, so tests need a real socket. ``FakeLLMServer`` is a tiny
``ThreadingHTTPServer`` on 127.0.0.1 that speaks just enough of the OpenAI API
(chat completions with and without SSE streaming, models, files, fine-tuning jobs)
and can be scripted to misbehave the way real providers (OpenAI, OpenRouter) do.

It runs in its own daemon threads, so it is independent of whatever asyncio event
loop a test happens to use, and a slow or hanging request never blocks another.

Usage::

    with FakeLLMServer() as llm:
        llm.script("hello", rate_limited(), Chunked(["a", "b"]))
        client = AsyncOpenAI(base_url=llm.base_url, api_key="test", max_retries=0)
        ...
        assert "user text" in llm.last_prompt_text()

A reply is either a plain string (the assistant's content) or one of the fault
objects below. Replies come from, in order of precedence: the sticky fault set with
``fail_with()``, the ``script()`` queue, ``describer(images, request_json)`` for a
request with pictures, ``responder(request_json)``, ``default_reply``.
Faults only apply to ``POST /v1/chat/completions``; files and fine-tuning have their
own knobs (``file_validator``, ``job_failure``).

Pictures: image content parts (``{"type": "image_url", "image_url": {"url": "data:image/...;base64,..."}}``)
are checked as OpenAI checks them (a base64 data URL, a PNG, JPEG, GIF or WebP whose bytes are what the
media type says, at most ``max_image_bytes``), answered 400 ``invalid_image_format`` otherwise, recorded in
``images_received`` (media type, size, pixels, main colour) and described by default (``describe_images``), so a
test sees the whole path. ``RejectsImages`` (and ``openai_text_only()`` ...) answers like a text-only model.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import socket
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeAlias
from urllib.parse import parse_qsl, urlsplit

from PIL import Image, ImageStat, UnidentifiedImageError

# --------------------------------------------------------------------------- faults


@dataclass(frozen=True)
class HttpError:
    """Answer with ``status`` and an OpenAI-style ``{"error": {...}}`` body."""

    status: int
    message: str = "error"
    code: str | None = None
    type: str = "invalid_request_error"
    retry_after: float | None = None  # sent as a ``retry-after`` header when set


def unauthorized(message: str = "Incorrect API key provided.") -> HttpError:
    return HttpError(401, message, "invalid_api_key")


def payment_required(message: str = "Insufficient credits.") -> HttpError:
    # OpenRouter answers 402 when the account has run out of credits.
    return HttpError(402, message, "insufficient_credits")


def rate_limited(retry_after: float = 1, message: str = "Rate limit reached.") -> HttpError:
    return HttpError(429, message, "rate_limit_exceeded", "requests", retry_after)


def server_error(message: str = "The server had an error processing your request.") -> HttpError:
    return HttpError(500, message, None, "server_error")


def service_unavailable(message: str = "The engine is currently overloaded.") -> HttpError:
    return HttpError(503, message, "service_unavailable", "server_error")


@dataclass(frozen=True)
class Http200Error:
    """HTTP 200 whose JSON body is only ``{"error": {...}}`` (OpenRouter does this).

    Sent as plain JSON even for ``stream=True`` requests, as the provider does."""

    message: str = "Provider returned error"
    code: int | str = 502


@dataclass(frozen=True)
class MidStreamError:
    """Stream ``parts`` as content chunks, then an SSE ``data: {"error": ...}`` event.

    OpenRouter reports upstream failures this way once the 200 is already sent.
    A non-streaming request gets the same error as an ``Http200Error``."""

    parts: tuple[str, ...] = ("partial ",)
    message: str = "Upstream provider error"
    code: int | str = 502


@dataclass(frozen=True)
class MissingChoices:
    """200 with a completion (or one stream chunk) that has no ``choices`` key."""


@dataclass(frozen=True)
class Delay:
    """Wait ``seconds`` (without blocking other requests), then answer ``then``.

    ``then=None`` means the normal answer (see module docstring)."""

    seconds: float
    then: Reply | None = None


@dataclass(frozen=True)
class Hang:
    """Accept the request and never answer, until the server stops."""


@dataclass(frozen=True)
class DropConnection:
    """Close the socket without sending any HTTP response."""


@dataclass(frozen=True)
class ContextTooLong:
    """400 ``context_length_exceeded`` if the messages total more than
    ``max_prompt_chars`` characters, else answer ``then`` (or normally if None)."""

    max_prompt_chars: int
    then: Reply | None = None


@dataclass(frozen=True)
class SilentOverflow:
    """llama.cpp's server over its window: HTTP 200 and an empty stream (or empty content) when the messages
    total more than ``max_prompt_chars`` characters, else answer ``then`` (or normally if None)."""

    max_prompt_chars: int
    then: Reply | None = None


@dataclass(frozen=True)
class StreamEndsEarly:
    """Stream ``parts``, then close the connection cleanly without a finish reason or ``[DONE]``
    (a proxy or server that gave up). Non-streaming requests get the parts joined, finish_reason null."""

    parts: tuple[str, ...] = ("I was saying that ",)


@dataclass(frozen=True)
class LengthCut:
    """Stream ``parts`` and finish with ``finish_reason: "length"``: the reply hit ``max_tokens``."""

    parts: tuple[str, ...] = ("This is a long answer that ",)


@dataclass(frozen=True)
class Chunked:
    """Stream exactly these content parts, one chunk each (joined when not streaming).

    ``pause``: seconds to wait before each part after the first, a slow model (a client that hangs up ends it)."""

    parts: tuple[str, ...] | list[str]
    pause: float = 0.0


@dataclass(frozen=True)
class RejectsImages:
    """A text-only model: a request with image parts gets ``status`` with ``message``; one without them is
    answered ``then`` (or normally if None). The defaults are OpenAI's answer for a model that takes no images."""

    status: int = 400
    message: str = "Invalid content type. image_url is only supported by certain models."
    code: str | None = None
    type: str = "invalid_request_error"
    then: Reply | None = None


def openai_text_only() -> RejectsImages:
    return RejectsImages()


def openrouter_text_only() -> RejectsImages:
    return RejectsImages(404, "No endpoints found that support image input", "404", "")


def llama_cpp_text_only() -> RejectsImages:
    # llama.cpp's server started without --mmproj; it answers 500, which the SDK retries.
    message = "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj"
    return RejectsImages(500, message, None, "server_error")


def openai_invalid_image() -> RejectsImages:
    """A vision model that refuses one picture (it sees, but not this file)."""
    message = (
        "You uploaded an unsupported image. Please make sure your image is below 20 MB in size and is of one "
        "the following formats: ['png', 'jpeg', 'gif', 'webp']."
    )
    return RejectsImages(400, message, "invalid_image_format")


Fault: TypeAlias = (
    HttpError
    | Http200Error
    | MidStreamError
    | MissingChoices
    | Delay
    | Hang
    | DropConnection
    | ContextTooLong
    | SilentOverflow
    | StreamEndsEarly
    | LengthCut
    | Chunked
    | RejectsImages
)
Reply: TypeAlias = str | Fault


@dataclass(frozen=True)
class JobFailure:
    """How fine-tuning jobs created while ``FakeLLMServer.job_failure`` is set end."""

    message: str = "The job failed due to an invalid training file."
    code: str = "invalid_training_file"
    param: str | None = "training_file"


@dataclass(frozen=True)
class SeenImage:
    """A picture a chat request carried, as the server decoded it."""

    media_type: str
    size: int  # bytes, decoded from base64
    width: int
    height: int
    colour: str  # the plain colour name nearest to its average


_COLOURS = {
    "red": (210, 40, 40),
    "green": (40, 160, 60),
    "blue": (40, 70, 200),
    "yellow": (230, 210, 50),
    "white": (245, 245, 245),
    "black": (15, 15, 15),
    "grey": (128, 128, 128),
}
_MEDIA_MAGIC = {
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "image/webp": (b"RIFF",),
}
_DATA_URL = re.compile(r"data:(image/[a-z]+);base64,(.*)", re.DOTALL)


class ImageProblem(Exception):
    """What is wrong with an image part; the server answers 400 ``invalid_image_format`` with it."""


def _seen_image(url: str, max_bytes: int) -> SeenImage:
    match = _DATA_URL.fullmatch(url)
    if match is None:
        raise ImageProblem("Invalid image URL: expected a base64 data URL (data:image/...;base64,...).")
    media_type, encoded = match.groups()
    if media_type not in _MEDIA_MAGIC:
        raise ImageProblem(f"Invalid MIME type {media_type}: png, jpeg, gif and webp are supported.")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ImageProblem("Invalid base64 image data.") from None
    if len(data) > max_bytes:
        raise ImageProblem(f"Image is {len(data)} bytes; the limit is {max_bytes}.")
    if not data.startswith(_MEDIA_MAGIC[media_type]):
        raise ImageProblem(f"The image data is not {media_type}.")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            mean = ImageStat.Stat(image.convert("RGB")).mean
            width, height = image.size
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise ImageProblem("You uploaded an unsupported image. Please make sure your image is valid.") from None
    colour = min(_COLOURS, key=lambda name: sum((a - b) ** 2 for a, b in zip(_COLOURS[name], mean, strict=True)))
    return SeenImage(media_type, len(data), width, height, colour)


def image_urls(body: dict[str, Any]) -> list[str]:
    """The URLs of a chat request's image parts, in order."""
    urls = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, list):
            for part in content:
                if isinstance(part, dict) and part.get("type") == "image_url":
                    urls.append(str((part.get("image_url") or {}).get("url", "")))
    return urls


def describe_images(images: list[SeenImage], body: dict[str, Any]) -> str:
    """The server's default answer to a request with pictures: what a vision model would say, from the pixels."""
    said = [f"a {i.width}x{i.height} {i.media_type.split('/')[1].upper()} picture, mostly {i.colour}" for i in images]
    if len(said) == 1:
        return f"I see {said[0]}."
    return f"I see {len(said)} pictures: " + "; ".join(said) + "."


@dataclass
class RecordedRequest:
    method: str
    path: str  # without the query string
    query: dict[str, str]
    headers: dict[str, str]  # lower-case keys
    body: Any  # parsed JSON, or raw bytes (multipart uploads, empty bodies)


# --------------------------------------------------------------------------- server


_DEFAULT_HYPERPARAMETERS = {"n_epochs": "auto", "batch_size": "auto", "learning_rate_multiplier": "auto"}


class _Abort(Exception):
    """Raised in a handler to close the connection without answering."""


class FakeLLMServer:
    """OpenAI-compatible stand-in. See the module docstring."""

    def __init__(self, model: str = "aiki-test-model", default_reply: str = "OK") -> None:
        self.model = model
        self._initial_default = default_reply
        # Reentrant: job helpers that take the lock call other helpers that take it.
        self._lock = threading.RLock()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self.in_flight = 0
        self.max_in_flight = 0
        self.reset()

    # ---- lifecycle

    def start(self) -> FakeLLMServer:
        if self._httpd is not None:
            return self
        self._stopping = threading.Event()
        self._httpd = _HTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.fake = self
        # A short poll interval keeps stop() fast; the default 0.5 s adds up across tests.
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="FakeLLMServer",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop promptly, even with ``Hang`` or ``Delay`` requests in progress."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        self._stopping.set()  # wakes Hang / Delay handlers
        httpd.shutdown()
        with self._lock:
            connections = list(self._connections)
        # Idle keep-alive handler threads block in recv(); shutting the socket wakes them.
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # ---- scripting

    def reset(self) -> None:
        """Back to a freshly constructed state (script, faults, records, jobs, files)."""
        with self._lock:
            self._script: deque[Reply] = deque()
            self._sticky: Fault | None = None
            self._requests: list[RecordedRequest] = []
            self.files: dict[str, dict[str, Any]] = {}
            self.file_bytes: dict[str, bytes] = {}
            self.jobs: dict[str, dict[str, Any]] = {}
            self._job_events: dict[str, list[dict[str, Any]]] = {}
            self.max_in_flight = self.in_flight
            self.images_received: list[SeenImage] = []
        self.default_reply: str = self._initial_default
        # What a request with pictures is answered (before ``responder``); None: as any other request.
        self.describer: Callable[[list[SeenImage], dict[str, Any]], str] | None = describe_images
        self.max_image_bytes = 20 * 1024 * 1024  # OpenAI's limit per image
        self.responder: Callable[[dict[str, Any]], str] | None = None
        # Return an error message to reject an upload with 400, or None to accept it.
        self.file_validator: Callable[[str, bytes], str | None] | None = None
        self.job_failure: JobFailure | None = None

    def script(self, *replies: Reply) -> None:
        """Queue replies for the next chat completions, in order."""
        with self._lock:
            self._script.extend(replies)

    def fail_with(self, fault: Fault) -> None:
        """Apply ``fault`` to every chat completion until ``clear_faults()``."""
        with self._lock:
            self._sticky = fault

    def clear_faults(self) -> None:
        with self._lock:
            self._sticky = None

    @property
    def pending_script(self) -> int:
        with self._lock:
            return len(self._script)

    # ---- recording

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[dict[str, Any]]:
        return [r.body for r in self.requests if r.path == "/v1/chat/completions"]

    def last_prompt_text(self) -> str:
        chats = self.chat_requests
        assert chats, "no chat completion request received"
        return "\n".join(_message_texts(chats[-1]))

    # ---- internals used by the handler

    def _next_reply(self, body: dict[str, Any]) -> tuple[Reply, Callable[[], Reply]]:
        """The reply for this request, plus what "answer normally" means for a
        wrapping fault (Delay/ContextTooLong) whose ``then`` is None."""
        with self._lock:
            if self._sticky is not None:
                # A sticky wrapper falls through to the usual script/default chain.
                return self._sticky, lambda: self._scripted_or_default(body)
            if self._script:
                return self._script.popleft(), lambda: self._default(body)
        return self._default(body), lambda: self._default(body)

    def _scripted_or_default(self, body: dict[str, Any]) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        return self._default(body)

    def _default(self, body: dict[str, Any]) -> Reply:
        describer, urls = self.describer, image_urls(body)
        if describer is not None and urls:
            return describer([_seen_image(url, self.max_image_bytes) for url in urls], body)
        responder = self.responder
        return responder(body) if responder is not None else self.default_reply

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _enter_chat(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave_chat(self) -> None:
        with self._lock:
            self.in_flight -= 1


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # Hang/Delay threads must never keep the process alive
    block_on_close = False
    fake: FakeLLMServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hanging up (timeouts, stop()) are expected; real bugs still print.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _message_texts(body: dict[str, Any]) -> list[str]:
    texts = []
    for message in body.get("messages") or []:
        content = message.get("content")
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):  # multi-part content: keep the text parts
            texts.extend(p.get("text", "") for p in content if isinstance(p, dict))
    return texts


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


def _error_body(
    message: str, code: Any = None, type_: str = "invalid_request_error", param: str | None = None
) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def _split_words(text: str) -> list[str]:
    # Word-sized pieces that join back to exactly ``text``, like a real token stream.
    return [p for p in re.findall(r"\S*\s*", text) if p]


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keep-alive like a real endpoint; streams use chunked transfer encoding.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; with Nagle on, the client's delayed
    # ACK stalls every response by ~40 ms.
    disable_nagle_algorithm = True
    server: _HTTPServer
    _completion_id: str

    @property
    def fake(self) -> FakeLLMServer:
        return self.server.fake

    def setup(self) -> None:
        super().setup()
        with self.fake._lock:
            self.fake._connections.add(self.connection)

    def finish(self) -> None:
        with self.fake._lock:
            self.fake._connections.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_DELETE = do_GET

    # ---- plumbing

    def _dispatch(self) -> None:
        url = urlsplit(self.path)
        raw = self._read_body()
        body: Any = raw
        if raw and "json" in self.headers.get("content-type", ""):
            body = json.loads(raw)
        self.fake._record(
            RecordedRequest(
                self.command,
                url.path,
                dict(parse_qsl(url.query)),
                {k.lower(): v for k, v in self.headers.items()},
                body,
            )
        )
        try:
            self._route(url.path, dict(parse_qsl(url.query)), body)
        except (_Abort, OSError):
            # Drop the connection: either on purpose or because the client went away.
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def _read_body(self) -> bytes:
        if self.headers.get("transfer-encoding", "").lower() == "chunked":
            data = b""
            while size := int(self.rfile.readline().split(b";")[0], 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            return data
        return self.rfile.read(int(self.headers.get("content-length") or 0))

    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(self, status: int, message: str, code: Any = None, param: str | None = None) -> None:
        self._send_json(status, _error_body(message, code, param=param))

    def _send_sse(self, events: Iterator[Any]) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.end_headers()
        for event in events:
            payload = event if isinstance(event, str) else json.dumps(event)
            data = f"data: {payload}\n\n".encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()  # one network write per event, so clients see real chunks
        self.wfile.write(b"0\r\n\r\n")

    def _route(self, path: str, query: dict[str, str], body: Any) -> None:
        method = self.command
        if method == "POST" and path == "/v1/chat/completions":
            self.fake._enter_chat()
            try:
                self._chat(body)
            finally:
                self.fake._leave_chat()
        elif method == "GET" and path == "/v1/models":
            self._models()
        elif method == "POST" and path == "/v1/files":
            self._upload(body)
        elif method == "GET" and path == "/v1/files":
            self._send_json(200, {"object": "list", "data": list(self.fake.files.values())})
        elif method == "GET" and (m := re.fullmatch(r"/v1/files/([^/]+)(/content)?", path)):
            self._file(m.group(1), bool(m.group(2)))
        elif method == "POST" and path == "/v1/fine_tuning/jobs":
            self._create_job(body)
        elif method == "GET" and path == "/v1/fine_tuning/jobs":
            jobs = list(reversed(self.fake.jobs.values()))  # newest first, like the API
            self._send_json(200, {"object": "list", "data": jobs, "has_more": False})
        elif m := re.fullmatch(r"/v1/fine_tuning/jobs/([^/]+)(/events|/cancel)?", path):
            self._job(method, m.group(1), m.group(2), query)
        else:
            self._send_error(404, f"Unknown request URL: {method} {path}", "unknown_url")

    # ---- chat completions

    def _chat(self, body: dict[str, Any]) -> None:
        try:
            seen = [_seen_image(url, self.fake.max_image_bytes) for url in image_urls(body)]
        except ImageProblem as problem:
            return self._send_error(400, str(problem), "invalid_image_format", "messages")
        with self.fake._lock:
            self.fake.images_received.extend(seen)
        # One id per completion, shared by all its stream chunks.
        self._completion_id = _new_id("chatcmpl-")
        reply, normal = self.fake._next_reply(body)
        stream = bool(body.get("stream"))
        # Unwrap the "wait/check, then answer" faults.
        while isinstance(reply, (Delay, ContextTooLong, SilentOverflow, RejectsImages)):
            if isinstance(reply, RejectsImages):
                if image_urls(body):
                    return self._send_json(reply.status, _error_body(reply.message, reply.code, reply.type))
            elif isinstance(reply, Delay):
                if self.fake._stopping.wait(reply.seconds):
                    raise _Abort
            elif isinstance(reply, SilentOverflow):
                if sum(len(t) for t in _message_texts(body)) > reply.max_prompt_chars:
                    reply = Chunked([])
                    break
            else:
                size = sum(len(t) for t in _message_texts(body))
                if size > reply.max_prompt_chars:
                    return self._send_error(
                        400,
                        f"This model's maximum context length is {reply.max_prompt_chars} "
                        f"characters. However, your messages resulted in {size} characters.",
                        "context_length_exceeded",
                        "messages",
                    )
            reply = reply.then if reply.then is not None else normal()

        if isinstance(reply, HttpError):
            headers = {"retry-after": f"{reply.retry_after:g}"} if reply.retry_after is not None else {}
            self._send_json(reply.status, _error_body(reply.message, reply.code, reply.type), headers)
        elif isinstance(reply, Hang):
            self.fake._stopping.wait()
            raise _Abort
        elif isinstance(reply, DropConnection):
            raise _Abort
        elif isinstance(reply, Http200Error) or (isinstance(reply, MidStreamError) and not stream):
            self._send_json(200, {"error": {"message": reply.message, "code": reply.code}})
        elif isinstance(reply, MissingChoices):
            obj = self._completion_base(body, "chat.completion.chunk" if stream else "chat.completion")
            if stream:
                self._send_sse(iter([obj, "[DONE]"]))
            else:
                self._send_json(200, obj)
        else:
            scripted = isinstance(reply, (MidStreamError, Chunked, StreamEndsEarly, LengthCut))
            parts = list(reply.parts) if scripted else _split_words(str(reply))
            finish = {StreamEndsEarly: None, LengthCut: "length"}.get(type(reply), "stop")
            if stream:
                error = reply if isinstance(reply, MidStreamError) else None
                pause = reply.pause if isinstance(reply, Chunked) else 0.0
                self._send_sse(self._stream_events(body, parts, error, finish, pause))
            else:
                self._send_json(200, self._completion(body, "".join(parts), finish))

    def _completion_base(self, body: dict[str, Any], obj: str) -> dict[str, Any]:
        return {
            "id": self._completion_id,
            "object": obj,
            "created": int(time.time()),
            "model": body.get("model") or self.fake.model,
            "system_fingerprint": None,
        }

    def _usage(self, body: dict[str, Any], content: str) -> dict[str, int]:
        # Rough 4-characters-per-token estimate; tests only need plausible numbers.
        prompt = sum(len(t) for t in _message_texts(body)) // 4 + 1
        completion = len(content) // 4 + 1
        return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}

    def _completion(self, body: dict[str, Any], content: str, finish: str | None = "stop") -> dict[str, Any]:
        return self._completion_base(body, "chat.completion") | {
            "choices": [
                {
                    "index": 0,
                    "finish_reason": finish,
                    "logprobs": None,
                    "message": {"role": "assistant", "content": content, "refusal": None},
                }
            ],
            "usage": self._usage(body, content),
        }

    def _stream_events(
        self,
        body: dict[str, Any],
        parts: list[str],
        error: MidStreamError | None,
        finish: str | None = "stop",
        pause: float = 0.0,
    ) -> Iterator[Any]:
        def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return self._completion_base(body, "chat.completion.chunk") | {
                "choices": [{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}]
            }

        yield chunk({"role": "assistant", "content": ""})
        for index, part in enumerate(parts):
            if index and pause and self.fake._stopping.wait(pause):
                raise _Abort
            yield chunk({"content": part})
        if error is not None:
            # OpenRouter's mid-stream failure: an error payload, then the stream just ends.
            yield {"error": {"message": error.message, "code": error.code}}
            return
        if finish is None:
            return  # the stream stops: no finish reason, no [DONE]
        yield chunk({}, finish)
        if (body.get("stream_options") or {}).get("include_usage"):
            yield self._completion_base(body, "chat.completion.chunk") | {
                "choices": [],
                "usage": self._usage(body, "".join(parts)),
            }
        yield "[DONE]"

    # ---- models

    def _models(self) -> None:
        fake = self.fake
        ids = [fake.model] + [j["fine_tuned_model"] for j in fake.jobs.values() if j["fine_tuned_model"]]
        self._send_json(
            200,
            {"object": "list", "data": [{"id": i, "object": "model", "created": 0, "owned_by": "aiki"} for i in ids]},
        )

    # ---- files

    def _upload(self, raw: bytes) -> None:
        fields = _parse_multipart(raw, self.headers.get("content-type", ""))
        filename, data = fields.get("file", (None, b""))
        purpose = fields.get("purpose", (None, b""))[1].decode()
        if filename is None:
            return self._send_error(400, "Missing file", param="file")
        validator = self.fake.file_validator
        if validator is not None and (problem := validator(filename, data)):
            return self._send_error(400, problem, "invalid_file", "file")
        file_id = _new_id("file-")
        obj = {
            "id": file_id,
            "object": "file",
            "bytes": len(data),
            "created_at": int(time.time()),
            "filename": filename,
            "purpose": purpose,
            "status": "processed",
            "status_details": None,
        }
        with self.fake._lock:
            self.fake.files[file_id] = obj
            self.fake.file_bytes[file_id] = data
        self._send_json(200, obj)

    def _file(self, file_id: str, content: bool) -> None:
        if file_id not in self.fake.files:
            return self._send_error(404, f"No such File object: {file_id}", param="id")
        if not content:
            return self._send_json(200, self.fake.files[file_id])
        data = self.fake.file_bytes[file_id]
        self.send_response(200)
        self.send_header("content-type", "application/octet-stream")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # ---- fine-tuning

    def _create_job(self, body: dict[str, Any]) -> None:
        fake = self.fake
        for param in ("training_file", "validation_file"):
            file_id = body.get(param)
            if (file_id or param == "training_file") and file_id not in fake.files:
                return self._send_error(400, f"invalid {param}: {file_id}", None, param)
        job_id = _new_id("ftjob-")
        now = int(time.time())
        job = {
            "id": job_id,
            "object": "fine_tuning.job",
            "created_at": now,
            "model": body["model"],
            "training_file": body["training_file"],
            "validation_file": body.get("validation_file"),
            "hyperparameters": _DEFAULT_HYPERPARAMETERS | (body.get("hyperparameters") or {}),
            "status": "validating_files",
            "fine_tuned_model": None,
            "finished_at": None,
            "error": None,
            "result_files": [],
            "trained_tokens": None,
            "organization_id": "org-aiki",
            "seed": body.get("seed") or 42,
            "estimated_finish": None,
            "integrations": [],
            "user_provided_suffix": body.get("suffix"),
            "metadata": body.get("metadata"),
        }
        if "method" in body:
            job["method"] = body["method"]
        with fake._lock:
            fake.jobs[job_id] = job
            # Decided at creation so a test can set job_failure only for the job it makes.
            job["_failure"] = fake.job_failure
            fake._job_events[job_id] = []
        self._job_event(job_id, f"Created fine-tuning job: {job_id}")
        self._send_json(200, self._public(job))

    @staticmethod
    def _public(job: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in job.items() if not k.startswith("_")}

    def _job_event(self, job_id: str, message: str, level: str = "info") -> None:
        with self.fake._lock:
            self.fake._job_events[job_id].append(
                {
                    "id": _new_id("ftevent-"),
                    "object": "fine_tuning.job.event",
                    "created_at": int(time.time()),
                    "level": level,
                    "message": message,
                    "data": {},
                    "type": "message",
                }
            )

    def _advance(self, job: dict[str, Any]) -> None:
        """One deterministic step per retrieve: validating_files -> running -> end."""
        if job["status"] == "validating_files":
            job["status"] = "running"
            self._job_event(job["id"], "Fine-tuning job started")
        elif job["status"] == "running":
            job["finished_at"] = int(time.time())
            failure: JobFailure | None = job["_failure"]
            if failure is not None:
                job["status"] = "failed"
                job["error"] = {"code": failure.code, "message": failure.message, "param": failure.param}
                self._job_event(job["id"], f"Job failed: {failure.message}", "error")
            else:
                short = job["id"].removeprefix("ftjob-")[:8]
                job["status"] = "succeeded"
                suffix = job["user_provided_suffix"] or ""
                job["fine_tuned_model"] = f"ft:{job['model']}:aiki:{suffix}:{short}"
                job["trained_tokens"] = len(self.fake.file_bytes.get(job["training_file"], b"")) // 4
                self._job_event(job["id"], f"New fine-tuned model created: {job['fine_tuned_model']}")
                self._job_event(job["id"], "The job has successfully completed")

    def _job(self, method: str, job_id: str, action: str | None, query: dict[str, str]) -> None:
        job = self.fake.jobs.get(job_id)
        if job is None:
            return self._send_error(404, f"Could not find fine tune job: {job_id}", param="id")
        if method == "GET" and action is None:
            with self.fake._lock:
                self._advance(job)
                public = self._public(job)
            self._send_json(200, public)
        elif method == "GET" and action == "/events":
            events = list(reversed(self.fake._job_events[job_id]))  # newest first
            limit = int(query.get("limit", 20))
            self._send_json(200, {"object": "list", "data": events[:limit], "has_more": len(events) > limit})
        elif method == "POST" and action == "/cancel":
            if job["status"] in ("succeeded", "failed", "cancelled"):
                return self._send_error(400, f"Job {job_id} has already finished.")
            job["status"] = "cancelled"
            job["finished_at"] = int(time.time())
            self._job_event(job_id, "Fine-tuning job cancelled")
            self._send_json(200, self._public(job))
        else:
            self._send_error(404, f"Unknown request URL: {method} {self.path}", "unknown_url")


def _parse_multipart(body: bytes, content_type: str) -> dict[str, tuple[str | None, bytes]]:
    """Minimal multipart/form-data parser: ``{field: (filename, bytes)}``.

    Hand-rolled because ``cgi`` is deprecated and ``email`` may rewrite line endings,
    while uploaded training files must round-trip byte for byte."""
    match = re.search(r'boundary="?([^";]+)"?', content_type)
    if match is None:
        return {}
    delimiter = b"\r\n--" + match.group(1).encode()
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in (b"\r\n" + body).split(delimiter)[1:]:
        if part.startswith(b"--"):
            break  # closing delimiter
        head, _, data = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        name = re.search(rb'\bname="([^"]*)"', head)
        filename = re.search(rb'\bfilename="([^"]*)"', head)
        if name is not None:
            fields[name.group(1).decode()] = (filename.group(1).decode() if filename else None, data)
    return fields
