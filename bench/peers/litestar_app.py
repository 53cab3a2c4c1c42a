"""The benchmark endpoints of python/examples/testproject, written with Litestar the
way its documentation shows: msgspec Structs (Litestar's native models), typed
Parameter/Body markers, HTTPException, Litestar responses. The ORM endpoints read the
example project's models and SQLite database through Django's async ORM.

    uvicorn litestar_app:app   (with bench/peers and the example project on PYTHONPATH)
"""
from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import django
import msgspec
from litestar import Litestar, MediaType, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException
from litestar.params import Body, Parameter
from litestar.response import File, Redirect, Stream

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
django.setup()

from users.models import User  # noqa: E402  (needs django.setup())

SAMPLE_FILE = Path(__file__).resolve().parents[2] / (
    "python/examples/testproject/testproject/static_files/sample.txt")


class Item(msgspec.Struct):
    name: str
    price: float
    is_offer: bool | None = None


@get("/")
async def root() -> dict[str, str]:
    return {"Hello": "World"}


@get("/items/{item_id:int}")
async def read_item(item_id: int, q: str | None = None) -> dict[str, Any]:
    return {"item_id": item_id, "q": q}


@put("/items/{item_id:int}")
async def update_item(item_id: int, data: Item) -> dict[str, Any]:
    return {"item_id": item_id, "item_name": data.name}


@get("/items100")
async def items100() -> list[Item]:
    return [Item(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0) for i in range(100)]


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
    title: str
    entries: list[Entry]
    tags: list[str] = msgspec.field(default_factory=list)
    metadata: dict[str, str] = msgspec.field(default_factory=dict)


@post("/bench/parse", status_code=200)
async def bench_parse(data: BenchPayload) -> dict[str, Any]:
    return {
        "title": data.title,
        "entries": len(data.entries),
        "published": sum(1 for e in data.entries if e.published),
        "authors": len({e.author.id for e in data.entries}),
        "tags": len(data.tags),
        "metadata_keys": len(data.metadata),
    }


@get("/header", media_type=MediaType.TEXT)
async def header(x_test: Annotated[str, Parameter(header="x-test")]) -> str:
    return x_test


@get("/cookie", media_type=MediaType.TEXT)
async def cookie(session: Annotated[str, Parameter(cookie="session")]) -> str:
    return session


@get("/exc")
async def exc() -> None:
    raise HTTPException(status_code=404, detail="Not found")


@get("/html", media_type=MediaType.HTML)
async def html() -> str:
    return "<h1>Hello</h1>"


@get("/redirect")
async def redirect() -> Redirect:
    return Redirect("/", status_code=302)


class FormData(msgspec.Struct):
    name: str
    age: int
    email: str = ""


@post("/form", status_code=200)
async def form(data: Annotated[FormData, Body(media_type=RequestEncodingType.URL_ENCODED)]) -> dict[str, Any]:
    return {"name": data.name, "age": data.age, "email": data.email}


@post("/upload", status_code=200)
async def upload(data: Annotated[dict[str, UploadFile], Body(media_type=RequestEncodingType.MULTI_PART)]
                 ) -> dict[str, Any]:
    files = list(data.values())
    sizes = [len(await f.read()) for f in files]
    return {"uploaded": len(files), "total_bytes": sum(sizes), "names": [f.filename for f in files]}


@get("/file-static")
async def file_static() -> File:
    return File(path=SAMPLE_FILE, media_type="text/plain", content_disposition_type="inline")


@get("/stream")
async def stream() -> Stream:
    async def lines():
        for i in range(100):
            yield f"line {i}\n"

    return Stream(lines(), media_type=MediaType.TEXT)


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@get("/sse")
async def sse() -> Stream:
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"

    return Stream(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@get("/sse-async")
async def sse_async() -> Stream:
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"
            await asyncio.sleep(0)

    return Stream(events(), media_type="text/event-stream", headers=SSE_HEADERS)


class UserMini(msgspec.Struct):
    id: int
    username: str


class UserFull(msgspec.Struct):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    date_joined: datetime
    bio: str


@get("/users/full10")
async def users_full10() -> list[UserFull]:
    return [msgspec.convert(u, UserFull, from_attributes=True) async for u in User.objects.order_by("id")[:10]]


@get("/users/mini10")
async def users_mini10() -> list[UserMini]:
    return [UserMini(id=u.id, username=u.username)
            async for u in User.objects.only("id", "username").order_by("id")[:10]]


app = Litestar(
    route_handlers=[root, read_item, update_item, items100, bench_parse, header, cookie, exc, html, redirect,
                    form, upload, file_static, stream, sse, sse_async, users_full10, users_mini10],
    openapi_config=None,
)
