"""`course serve` end to end: a real server process on a free local port, concurrent clients (httpx and
the official `openai` client), outputs equal to offline generation, 4xx on bad input, disconnects."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import torch

httpx = pytest.importorskip("httpx")
openai = pytest.importorskip("openai")
pytest.importorskip("fastapi")

from course_lib.inference import generate  # noqa: E402
from course_lib.pretrained import load_pretrained  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
PROMPTS = [
    "Once upon a time",
    "The little dog",
    "Tom and Lily went to the park.",
    "She was sad because",
    "One day, a bird",
    "The sun was",
    "Mom said",
    "They played",
]
MAX_TOKENS = 24
NUM_BLOCKS = 64


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    cmd = [
        sys.executable,
        "-m",
        "course_lib.tools.cli",
        "serve",
        "--model",
        "draft",
        "--port",
        str(port),
        "--threads",
        "1",
        "--num-blocks",
        str(NUM_BLOCKS),
        "--max-batch-size",
        "8",
    ]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {proc.stdout.read().decode(errors='replace')[-2000:]}")
        time.sleep(0.2)
    yield base
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


@pytest.fixture(scope="module")
def offline():
    """Greedy completions computed without the server (the contiguous-cache ``generate``)."""
    pm = load_pretrained("draft")
    torch.set_num_threads(1)
    eot = pm.eot_id

    def complete(prompt: str, max_tokens: int = MAX_TOKENS) -> tuple[str, str]:
        ids = [eot] + pm.tokenizer.encode(prompt)
        new = generate(pm.model, [ids], max_tokens, temperature=0.0, eos_id=eot)[0][len(ids) :]
        finish = "stop" if new and new[-1] == eot else "length"
        return pm.tokenizer.decode([t for t in new if t != eot]), finish

    return complete


def _post(base: str, **body) -> httpx.Response:
    return httpx.post(f"{base}/v1/completions", json=body, timeout=120)


def test_health_and_models(server):
    health = httpx.get(f"{server}/health").json()
    assert health["status"] == "ok" and health["total_blocks"] == NUM_BLOCKS
    assert [m["id"] for m in httpx.get(f"{server}/v1/models").json()["data"]] == ["draft"]


def test_concurrent_requests_equal_offline_generation(server, offline):
    def ask(prompt: str) -> dict:
        return _post(server, model="draft", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0).json()

    with ThreadPoolExecutor(len(PROMPTS)) as pool:
        replies = list(pool.map(ask, PROMPTS))
    for prompt, reply in zip(PROMPTS, replies):
        choice = reply["choices"][0]
        assert (choice["text"], choice["finish_reason"]) == offline(prompt)
        assert reply["usage"]["completion_tokens"] <= MAX_TOKENS
    batched = _post(server, model="draft", prompt=PROMPTS[:3], max_tokens=8, temperature=0).json()
    assert [c["text"] for c in batched["choices"]] == [offline(p, 8)[0] for p in PROMPTS[:3]]


def test_openai_client_plain_and_streaming(server, offline):
    client = openai.OpenAI(base_url=f"{server}/v1", api_key="unused")

    def ask(prompt: str) -> str:
        return (
            client.completions.create(model="draft", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0)
            .choices[0]
            .text
        )

    def ask_streaming(prompt: str) -> str:
        chunks = client.completions.create(
            model="draft", prompt=prompt, max_tokens=MAX_TOKENS, temperature=0, stream=True
        )
        return "".join(c.choices[0].text for c in chunks)

    with ThreadPoolExecutor(8) as pool:
        plain = list(pool.map(ask, PROMPTS[:4]))
        streamed = list(pool.map(ask_streaming, PROMPTS[:4]))
    expected = [offline(p)[0] for p in PROMPTS[:4]]
    assert plain == expected and streamed == expected
    assert [m.id for m in client.models.list()] == ["draft"]


def test_stop_strings_cut_the_text(server, offline):
    full, _ = offline(PROMPTS[0])
    stop = full.split()[3]  # a word the completion contains
    reply = _post(
        server, model="draft", prompt=PROMPTS[0], max_tokens=MAX_TOKENS, temperature=0, stop=[stop, "zzzz"]
    ).json()
    assert reply["choices"][0] == {
        "index": 0,
        "text": full[: full.index(stop)],
        "logprobs": None,
        "finish_reason": "stop",
    }


@pytest.mark.parametrize(
    "body, status, message",
    [
        (b"{not json", 400, "JSON"),
        ({"model": "gpt-4", "prompt": "hi"}, 404, "not found"),
        ({"model": "draft", "prompt": "hi", "max_tokens": -5}, 400, "max_tokens"),
        ({"model": "draft", "prompt": "hi", "max_tokens": 10**9}, 400, "context"),
        ({"model": "draft", "prompt": "hi " * 600}, 400, "context"),
        ({"model": "draft", "prompt": "hi", "max_tokens": "5"}, 400, "max_tokens"),
        ({"model": "draft", "prompt": 42}, 400, "prompt"),
        ({"model": "draft", "prompt": "hi", "temperature": -1}, 400, "temperature"),
        ({"model": "draft", "prompt": "hi", "stream": "yes"}, 400, "stream"),
        ({"model": "draft", "prompt": "hi", "n": 3}, 400, "n"),
        ({"model": "draft"}, 400, "prompt"),
    ],
)
def test_bad_requests_get_4xx_with_a_message(server, body, status, message):
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    reply = httpx.post(f"{server}/v1/completions", content=content, headers={"content-type": "application/json"})
    assert reply.status_code == status
    assert message in reply.json()["error"]["message"]


def test_a_client_that_disconnects_frees_its_blocks(server, offline):
    aborted = httpx.get(f"{server}/health").json()["aborted"]
    body = {"model": "draft", "prompt": PROMPTS[1], "max_tokens": 480, "stream": True, "ignore_eos": True}
    with httpx.stream("POST", f"{server}/v1/completions", json=body, timeout=60) as reply:
        lines = reply.iter_lines()
        assert next(lines).startswith("data: ")  # generation is under way (480 tokens take a while)...
    # ...and the client has gone: the engine drops the request and gives its blocks back.
    deadline = time.monotonic() + 60
    while True:
        health = httpx.get(f"{server}/health").json()
        if health["running"] == 0 and health["waiting"] == 0 and health["free_blocks"] == NUM_BLOCKS:
            assert health["aborted"] == aborted + 1  # dropped, not run to the end
            break
        assert time.monotonic() < deadline, f"blocks not freed after the disconnect: {health}"
        time.sleep(0.2)
    reply = _post(server, model="draft", prompt=PROMPTS[0], max_tokens=8, temperature=0).json()
    assert reply["choices"][0]["text"] == offline(PROMPTS[0], 8)[0]  # still serving
