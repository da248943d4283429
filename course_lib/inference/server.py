"""An OpenAI-compatible completions server over the continuous-batching engine (FastAPI + uvicorn).

Endpoints: ``POST /v1/completions`` (``prompt``, ``max_tokens``, ``temperature``, ``top_p``, ``stop``,
``stream``, ``seed``, and vLLM's ``ignore_eos``), ``GET /v1/models``, ``GET /health``. One background task owns the
:class:`~course_lib.inference.engine.Engine`: it applies queued additions and cancellations between
steps and runs each step in a worker thread, so the event loop keeps accepting requests while the
model computes, and every request that arrives joins the running batch at the next step.

A prompt is encoded after an ``<|endoftext|>`` (a document starts there, as in training); generation
stops at the next one (``finish_reason`` "stop"), at a ``stop`` string, or after ``max_tokens``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

from course_lib.corpora import EOT
from course_lib.inference.engine import Engine, RequestOutput
from course_lib.inference.sampling import SamplingParams
from course_lib.tokenization import Tokenizer

__all__ = ["CompletionRequest", "AsyncEngine", "create_app"]


class CompletionRequest(BaseModel):
    """The body of ``POST /v1/completions`` (the fields this server honours; others are rejected)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    model: str
    prompt: str | list[str]
    max_tokens: int = Field(16, ge=1)
    temperature: float = Field(1.0, ge=0, le=2)
    top_p: float = Field(1.0, gt=0, le=1)
    stop: str | list[str] | None = None
    stream: bool = False
    seed: int | None = None
    n: int = Field(1, ge=1, le=1)
    user: str | None = None
    ignore_eos: bool = False  # vLLM's extension: run to max_tokens through <|endoftext|>


def _error(status: int, message: str, param: str | None = None) -> JSONResponse:
    kind = "not_found_error" if status == 404 else "invalid_request_error"
    return JSONResponse({"error": {"message": message, "type": kind, "param": param, "code": None}}, status_code=status)


class AsyncEngine:
    """The engine behind an asyncio front: ``submit`` / ``abort`` from any coroutine; one loop steps."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._pending: deque[tuple[str, Any]] = deque()
        self._queues: dict[Hashable, asyncio.Queue] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self.num_aborted = 0  # requests dropped before they finished (disconnects, stop strings)

    def start(self) -> None:
        self._task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def submit(self, request_id: Hashable, queue: asyncio.Queue, **kwargs: Any) -> None:
        """Queue ``engine.add_request(request_id=request_id, **kwargs)``; outputs arrive on ``queue``."""
        self._queues[request_id] = queue
        self._pending.append(("add", dict(kwargs, request_id=request_id)))
        self._wake.set()

    def abort(self, request_id: Hashable) -> None:
        """Cancel a request (its blocks are freed before the next step)."""
        if self._queues.pop(request_id, None) is not None:
            self._pending.append(("abort", request_id))
            self._wake.set()

    def _apply_pending(self) -> None:
        while self._pending:
            op, arg = self._pending.popleft()
            if op == "abort":
                self.num_aborted += self.engine.abort(arg)
                continue
            try:
                self.engine.add_request(**arg)
            except ValueError as exc:
                queue = self._queues.pop(arg["request_id"], None)
                if queue is not None:
                    queue.put_nowait(exc)

    async def _loop(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            self._apply_pending()
            while self.engine.has_unfinished():
                try:
                    outputs = await asyncio.to_thread(self.engine.step)
                except Exception as exc:  # keep serving: fail the requests in flight, not the server
                    for request_id, queue in list(self._queues.items()):
                        queue.put_nowait(RuntimeError(f"engine step failed: {exc}"))
                        self.engine.abort(request_id)
                    self._queues.clear()
                    break
                for out in outputs:
                    queue = self._queues.get(out.request_id)
                    if queue is not None:
                        queue.put_nowait(out)
                        if out.finished:
                            del self._queues[out.request_id]
                self._apply_pending()


class _Choice:
    """Incremental detokenization of one choice, with stop strings and EOT removed."""

    def __init__(self, tokenizer: Tokenizer, stops: list[str]):
        self.tokenizer, self.stops = tokenizer, stops
        self.ids: list[int] = []
        self.sent = 0
        self.text = ""
        self.finish_reason: str | None = None

    def add(self, out: RequestOutput, eot_id: int) -> None:
        if out.token != eot_id:
            self.ids.append(out.token)
        self.text = self.tokenizer.decode(self.ids)
        for stop in self.stops:
            at = self.text.find(stop)
            if at >= 0:
                self.text, self.finish_reason = self.text[:at], "stop"
        if out.finished and self.finish_reason is None:
            self.finish_reason = out.finish_reason

    def delta(self) -> str:
        """New text safe to send: not a partial UTF-8 character, not a possible start of a stop string."""
        end = len(self.text)
        if self.finish_reason is None:
            if self.text.endswith("\ufffd"):
                end -= 1
            end -= max((len(s) - 1 for s in self.stops), default=0)
        if end <= self.sent:
            return ""
        piece, self.sent = self.text[self.sent : end], end
        return piece


class _BadRequest(ValueError):
    """A request this server cannot run; ``param`` names the field at fault."""

    def __init__(self, message: str, param: str):
        super().__init__(message)
        self.param = param


def _encode_request(
    body: CompletionRequest, tokenizer: Tokenizer, eot_id: int, context: int
) -> tuple[list[list[int]], list[str]]:
    """The prompts' token ids (each after ``<|endoftext|>``) and the stop strings of ``body``; a
    :class:`_BadRequest` for no prompt, a prompt plus ``max_tokens`` longer than ``context``, or an
    empty stop string."""
    prompts = [body.prompt] if isinstance(body.prompt, str) else body.prompt
    if not prompts:
        raise _BadRequest("prompt must not be an empty list", "prompt")
    encoded = [[eot_id] + tokenizer.encode(p) for p in prompts]
    for ids in encoded:
        if len(ids) >= context:
            raise _BadRequest(f"this model's context is {context} tokens; the prompt has {len(ids)}", "prompt")
        if len(ids) + body.max_tokens > context:
            raise _BadRequest(
                f"this model's context is {context} tokens; the prompt has {len(ids)} "
                f"and max_tokens is {body.max_tokens}",
                "max_tokens",
            )
    stops = [body.stop] if isinstance(body.stop, str) else list(body.stop or [])
    if any(not s for s in stops):
        raise _BadRequest("stop strings must not be empty", "stop")
    return encoded, stops


def _completion(completion_id: str, created: int, model_name: str, choices: list[_Choice], n_prompt: int) -> dict:
    """The body of a non-streamed response: every choice's text and finish reason, and the token usage."""
    n_completion = sum(len(c.ids) for c in choices)
    return {
        "id": completion_id,
        "object": "text_completion",
        "created": created,
        "model": model_name,
        "choices": [
            {"index": i, "text": c.text, "logprobs": None, "finish_reason": c.finish_reason}
            for i, c in enumerate(choices)
        ],
        "usage": {
            "prompt_tokens": n_prompt,
            "completion_tokens": n_completion,
            "total_tokens": n_prompt + n_completion,
        },
    }


def create_app(
    model: nn.Module,
    tokenizer: Tokenizer,
    model_name: str,
    *,
    num_blocks: int = 512,
    block_size: int = 16,
    max_batch_size: int = 16,
) -> FastAPI:
    """The FastAPI app serving ``model`` under the id ``model_name`` (run it with ``uvicorn``)."""
    if EOT not in tokenizer.special_ids:
        raise ValueError(f"the tokenizer needs the special token {EOT!r}")
    eot_id = tokenizer.special_ids[EOT]
    context = model.config.context_length
    engine = AsyncEngine(Engine(model, num_blocks=num_blocks, block_size=block_size, max_batch_size=max_batch_size))

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine.start()
        yield
        await engine.stop()

    app = FastAPI(title="course inference server", lifespan=lifespan)
    app.state.engine = engine

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}" for e in exc.errors())
        return _error(400, f"invalid request: {problems}")

    @app.get("/health")
    async def health() -> dict:
        """Liveness plus the engine's load: requests running and waiting, free KV cache blocks."""
        core = engine.engine
        return {
            "status": "ok",
            "running": len(core.running),
            "waiting": len(core.waiting),
            "free_blocks": core.cache.allocator.num_free,
            "total_blocks": core.cache.allocator.num_blocks,
            "aborted": engine.num_aborted,
        }

    @app.get("/v1/models")
    async def models() -> dict:
        return {"object": "list", "data": [{"id": model_name, "object": "model", "created": 0, "owned_by": "course"}]}

    @app.post("/v1/completions", response_model=None)
    async def completions(body: CompletionRequest, request: Request) -> JSONResponse | StreamingResponse:
        if body.model != model_name:
            return _error(404, f"model {body.model!r} not found; this server serves {model_name!r}", "model")
        try:
            encoded, stops = _encode_request(body, tokenizer, eot_id, context)
        except _BadRequest as exc:
            return _error(400, str(exc), exc.param)
        sampling = SamplingParams(temperature=body.temperature, top_p=body.top_p)
        completion_id, created = f"cmpl-{uuid.uuid4().hex}", int(time.time())
        queue: asyncio.Queue = asyncio.Queue()
        request_ids = [f"{completion_id}-{i}" for i in range(len(encoded))]
        choices = {rid: _Choice(tokenizer, stops) for rid in request_ids}
        for i, (rid, ids) in enumerate(zip(request_ids, encoded)):
            seed = None if body.seed is None else body.seed + i
            engine.submit(
                rid,
                queue,
                prompt=ids,
                max_tokens=body.max_tokens,
                sampling=sampling,
                eos_id=None if body.ignore_eos else eot_id,
                seed=seed,
            )

        async def next_event() -> RequestOutput | None:
            """The next output, applied to its choice; None for one that arrives after its choice ended."""
            item = await queue.get()
            if isinstance(item, Exception):
                raise item
            choice = choices[item.request_id]
            if choice.finish_reason is not None:
                return None
            choice.add(item, eot_id)
            if choice.finish_reason is not None and not item.finished:
                engine.abort(item.request_id)  # a stop string ended it: free its blocks now
            return item

        def done() -> bool:
            return all(c.finish_reason is not None for c in choices.values())

        def cleanup() -> None:
            for rid in request_ids:
                engine.abort(rid)

        def chunk(index: int, text: str, finish_reason: str | None) -> dict:
            return {
                "id": completion_id,
                "object": "text_completion",
                "created": created,
                "model": model_name,
                "choices": [{"index": index, "text": text, "logprobs": None, "finish_reason": finish_reason}],
            }

        if body.stream:

            async def events() -> AsyncIterator[str]:
                try:
                    while not done():
                        item = await next_event()
                        if item is None:
                            continue
                        index = request_ids.index(item.request_id)
                        choice = choices[item.request_id]
                        text = choice.delta()
                        if text or choice.finish_reason is not None:
                            yield f"data: {json.dumps(chunk(index, text, choice.finish_reason))}\n\n"
                    yield "data: [DONE]\n\n"
                except Exception as exc:
                    yield f"data: {json.dumps({'error': {'message': str(exc), 'type': 'server_error'}})}\n\n"
                finally:  # also on a client disconnect: the response task is cancelled here
                    cleanup()

            return StreamingResponse(events(), media_type="text/event-stream")

        try:
            while not done():
                getter = asyncio.ensure_future(next_event())
                while not getter.done():
                    await asyncio.wait({getter}, timeout=0.25)
                    if not getter.done() and await request.is_disconnected():
                        getter.cancel()
                        return _error(499, "client disconnected")
                getter.result()
        except (RuntimeError, ValueError) as exc:
            return _error(400 if isinstance(exc, ValueError) else 500, str(exc))
        finally:
            cleanup()
        n_prompt = sum(len(ids) for ids in encoded)
        completed = [choices[rid] for rid in request_ids]
        return JSONResponse(_completion(completion_id, created, model_name, completed, n_prompt))

    return app
