"""Benchmark and feature-coverage routes served by ``manage.py runbolt``."""
import asyncio
import time
import uuid
from pathlib import Path
from typing import Annotated

import msgspec

from django_bolt import BoltAPI, StreamingResponse
from django_bolt.exceptions import HTTPException
from django_bolt.params import Cookie, File, Form, Header
from django_bolt.responses import HTML, FileResponse, PlainText, Redirect
from django_bolt.serializers import Serializer, computed_field, field

api = BoltAPI()

SAMPLE_FILE = Path(__file__).resolve().parent / "static_files" / "sample.txt"


# --- JSON basics -----------------------------------------------------------


class Item(msgspec.Struct):
    name: str
    price: float
    is_offer: bool | None = None


@api.get("/")
async def root():
    return {"Hello": "World"}


@api.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@api.put("/items/{item_id}")
async def update_item(item_id: int, item: Item):
    return {"item_id": item_id, "item_name": item.name}


@api.get("/items100")
async def items100() -> list[Item]:
    # A larger response body, to measure serialization rather than routing.
    return [
        Item(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0)
        for i in range(100)
    ]


# --- Request body parsing --------------------------------------------------


class Author(msgspec.Struct):
    id: int
    name: str
    email: str


class Entry(msgspec.Struct):
    id: int
    title: str
    score: float
    published: bool
    author: Author
    tags: list[str] = msgspec.field(default_factory=list)


class BenchPayload(msgspec.Struct):
    """Shape of a typical ~10 KB document: a header plus a list of records."""

    title: str
    entries: list[Entry]
    tags: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


@api.post("/bench/parse")
async def bench_parse(payload: BenchPayload):
    return {
        "title": payload.title,
        "entries": len(payload.entries),
        "published": sum(1 for e in payload.entries if e.published),
        "authors": len({e.author.id for e in payload.entries}),
        "tags": len(payload.tags),
        "metadata_keys": len(payload.metadata),
    }


@api.get("/bench/slow")
async def bench_slow(ms: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 100):
    # Bounded so a client cannot hold a request open for as long as it likes.
    # Simulates awaiting I/O, to check that slow handlers don't block others.
    await asyncio.sleep(ms / 1000)
    return {"slept_ms": ms}


# --- Headers, cookies, errors, non-JSON responses --------------------------


@api.get("/header")
async def header(x_test: Annotated[str, Header("x-test")]):
    return PlainText(x_test)


@api.get("/cookie")
async def cookie(session: Annotated[str, Cookie("session")]):
    return PlainText(session)


@api.get("/exc")
async def exc():
    raise HTTPException(status_code=404, detail="Not found")


@api.get("/html")
async def html():
    return HTML("<h1>Hello</h1>")


@api.get("/redirect")
async def redirect():
    return Redirect("/", status_code=302)


# --- Forms and uploads -----------------------------------------------------


@api.post("/form")
async def form(
    name: Annotated[str, Form()],
    age: Annotated[int, Form()],
    email: Annotated[str, Form()] = "",
):
    return {"name": name, "age": age, "email": email}


@api.post("/upload")
async def upload(file: Annotated[list[dict], File("file")]):
    return {
        "uploaded": len(file),
        "total_bytes": sum(f["size"] for f in file),
        "names": [f["filename"] for f in file],
    }


@api.post("/mixed-form")
async def mixed_form(
    title: Annotated[str, Form()],
    description: Annotated[str, Form()] = "",
    attachment: Annotated[bytes | None, File("attachment")] = None,
):
    return {
        "title": title,
        "description": description,
        "has_attachment": attachment is not None,
        "attachment_size": len(attachment) if attachment is not None else 0,
    }


@api.get("/file-static")
async def file_static():
    return FileResponse(str(SAMPLE_FILE), media_type="text/plain")


# --- Streaming -------------------------------------------------------------


@api.get("/stream")
async def stream():
    def lines():
        for i in range(100):
            yield f"line {i}\n"

    return StreamingResponse(lines(), media_type="text/plain")


@api.get("/sse")
async def sse():
    def events():
        for i in range(3):
            yield f"data: event {i}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/sse-async")
async def sse_async():
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"
            # Yield control so the stream is really produced across loop turns.
            await asyncio.sleep(0)

    return StreamingResponse(events(), media_type="text/event-stream")


# --- Fake OpenAI-style chat completions ------------------------------------


class Message(msgspec.Struct):
    role: str
    content: str


class ChatCompletionRequest(msgspec.Struct):
    model: str
    messages: list[Message]
    stream: bool = False
    # Bounded so a single request can't pin the server for long.
    n_chunks: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 5
    delay_ms: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0


def _fake_tokens(n: int) -> list[str]:
    return [f"token{i} " for i in range(n)]


@api.post("/v1/chat/completions")
async def chat_completions(chat: ChatCompletionRequest):
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    tokens = _fake_tokens(chat.n_chunks)

    if not chat.stream:
        prompt_tokens = sum(len(m.content.split()) for m in chat.messages)
        return {
            "id": completion_id,
            "object": "chat.completion",
            "created": created,
            "model": chat.model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "".join(tokens)},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(tokens),
                "total_tokens": prompt_tokens + len(tokens),
            },
        }

    async def chunks():
        for i, token in enumerate(tokens):
            if i and chat.delay_ms:
                await asyncio.sleep(chat.delay_ms / 1000)
            chunk = {
                "id": completion_id,
                "object": "chat.completion.chunk",
                "created": created,
                "model": chat.model,
                "choices": [
                    {
                        "index": 0,
                        # The first chunk announces the role, as OpenAI does.
                        "delta": {"role": "assistant", "content": token}
                        if i == 0
                        else {"content": token},
                        "finish_reason": "stop" if i == len(tokens) - 1 else None,
                    }
                ],
            }
            yield b"data: " + msgspec.json.encode(chunk) + b"\n\n"
        yield b"data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")


# --- Serializers ----------------------------------------------------------------------


class ItemOut(Serializer):
    name: str
    price: float
    is_offer: bool = False
    cost: float = field(write_only=True, default=0.0)

    @computed_field
    def label(self) -> str:
        return f"{self.name} ({self.price:.2f})"


@api.get("/serializer/items100")
async def serializer_items100():
    # items100 through a serializer: write-only field dropped, computed field added.
    return ItemOut.dump_many(
        [ItemOut(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0, cost=i) for i in range(100)]
    )
