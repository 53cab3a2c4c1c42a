"""The benchmark endpoints of python/examples/testproject, written with FastAPI the
way its documentation shows: Pydantic models, Header/Cookie/Form/File parameters,
HTTPException, Starlette responses. The ORM endpoints read the example project's
models and SQLite database through Django's async ORM.

    uvicorn fastapi_app:app   (with bench/peers and the example project on PYTHONPATH)
"""
from __future__ import annotations

import asyncio
import os
from datetime import datetime
from pathlib import Path
from typing import Annotated

import django
from fastapi import Cookie, FastAPI, File, Form, Header, HTTPException, UploadFile
from fastapi.responses import (FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse,
                               StreamingResponse)
from pydantic import BaseModel, ConfigDict

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peer_settings")
django.setup()

from users.models import User  # noqa: E402  (needs django.setup())

app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)

SAMPLE_FILE = Path(__file__).resolve().parents[2] / (
    "python/examples/testproject/testproject/static_files/sample.txt")


class Item(BaseModel):
    name: str
    price: float
    is_offer: bool | None = None


@app.get("/")
async def root():
    return {"Hello": "World"}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@app.put("/items/{item_id}")
async def update_item(item_id: int, item: Item):
    return {"item_id": item_id, "item_name": item.name}


@app.get("/items100", response_model=list[Item])
async def items100():
    return [Item(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0) for i in range(100)]


class Author(BaseModel):
    id: int
    name: str
    email: str


class Entry(BaseModel):
    id: int
    title: str
    score: float
    published: bool
    author: Author
    tags: list[str] = []


class BenchPayload(BaseModel):
    title: str
    entries: list[Entry]
    tags: list[str] = []
    metadata: dict[str, str] = {}


@app.post("/bench/parse")
async def bench_parse(payload: BenchPayload):
    return {
        "title": payload.title,
        "entries": len(payload.entries),
        "published": sum(1 for e in payload.entries if e.published),
        "authors": len({e.author.id for e in payload.entries}),
        "tags": len(payload.tags),
        "metadata_keys": len(payload.metadata),
    }


@app.get("/header")
async def header(x_test: Annotated[str, Header()]):
    return PlainTextResponse(x_test)


@app.get("/cookie")
async def cookie(session: Annotated[str, Cookie()]):
    return PlainTextResponse(session)


@app.get("/exc")
async def exc():
    raise HTTPException(status_code=404, detail="Not found")


@app.get("/html", response_class=HTMLResponse)
async def html():
    return "<h1>Hello</h1>"


@app.get("/redirect")
async def redirect():
    return RedirectResponse("/", status_code=302)


@app.post("/form")
async def form(name: Annotated[str, Form()], age: Annotated[int, Form()],
               email: Annotated[str, Form()] = ""):
    return {"name": name, "age": age, "email": email}


@app.post("/upload")
async def upload(file: Annotated[list[UploadFile], File()]):
    return {
        "uploaded": len(file),
        "total_bytes": sum(f.size or 0 for f in file),
        "names": [f.filename for f in file],
    }


@app.get("/file-static")
async def file_static():
    return FileResponse(SAMPLE_FILE, media_type="text/plain")


# Async generators, as FastAPI's documentation writes streams: Starlette runs each
# step of a sync generator in its thread pool, a thread hop per chunk, which no one
# would choose for a generator that does not block.


@app.get("/stream")
async def stream():
    async def lines():
        for i in range(100):
            yield f"line {i}\n"

    return StreamingResponse(lines(), media_type="text/plain")


SSE_HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


@app.get("/sse")
async def sse():
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


@app.get("/sse-async")
async def sse_async():
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"
            await asyncio.sleep(0)

    return StreamingResponse(events(), media_type="text/event-stream", headers=SSE_HEADERS)


class UserMini(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str


class UserFull(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    date_joined: datetime
    bio: str


@app.get("/users/full10", response_model=list[UserFull])
async def users_full10():
    return [u async for u in User.objects.order_by("id")[:10]]


@app.get("/users/mini10", response_model=list[UserMini])
async def users_mini10():
    return [u async for u in User.objects.only("id", "username").order_by("id")[:10]]
