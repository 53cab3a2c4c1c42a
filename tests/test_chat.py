"""The example project's OpenAI-style ``POST /v1/chat/completions``."""

from __future__ import annotations

import json

import httpx

MESSAGES = [{"role": "system", "content": "be brief"}, {"role": "user", "content": "hello big world"}]


def test_completion_without_streaming(example_server):
    r = example_server.post("/v1/chat/completions", json={"model": "fake-1", "messages": MESSAGES, "n_chunks": 4})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["object"] == "chat.completion"
    assert body["model"] == "fake-1"
    assert body["id"].startswith("chatcmpl-")
    choice = body["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": "token0 token1 token2 token3 "}
    assert choice["finish_reason"] == "stop"
    assert body["usage"] == {"prompt_tokens": 5, "completion_tokens": 4, "total_tokens": 9}


def test_completion_with_streaming(example_server):
    payload = {"model": "fake-1", "messages": MESSAGES, "stream": True, "n_chunks": 3, "delay_ms": 10}
    with httpx.stream("POST", example_server.url("/v1/chat/completions"), json=payload, timeout=15.0) as r:
        assert r.status_code == 200
        assert r.headers["content-type"] == "text/event-stream"
        raw = r.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    assert all(e.startswith("data: ") for e in events)
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e[len("data: "):]) for e in events[:-1]]
    assert len(chunks) == 3
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    deltas = [c["choices"][0]["delta"] for c in chunks]
    assert deltas[0] == {"role": "assistant", "content": "token0 "}
    assert deltas[1:] == [{"content": "token1 "}, {"content": "token2 "}]
    assert [c["choices"][0]["finish_reason"] for c in chunks] == [None, None, "stop"]


def test_out_of_range_request_is_422(example_server):
    r = example_server.post("/v1/chat/completions",
                            json={"model": "fake-1", "messages": MESSAGES, "n_chunks": 10_001})
    assert r.status_code == 422
