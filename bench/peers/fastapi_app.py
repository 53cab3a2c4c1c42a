"""The benchmark endpoints of python/examples/testproject, written with FastAPI the
way its documentation shows: Pydantic models, Header/Cookie/Form/File parameters,
HTTPException, Starlette responses. The ORM endpoints read the example project's
models and SQLite database through Django's async ORM.

    uvicorn fastapi_app:app   (with bench/peers and the example project on PYTHONPATH)
"""
from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import django
from fastapi import APIRouter, Cookie, FastAPI, File, Form, Header, HTTPException, Request, Response, UploadFile
from fastapi.responses import (FileResponse, HTMLResponse, PlainTextResponse, RedirectResponse,
                               StreamingResponse)
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, ConfigDict, Field, computed_field
from starlette.middleware.sessions import SessionMiddleware

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


# --- Middleware, sessions, serializers, static files, routers, pagination ------------
# The same features as the example project's rows, each as FastAPI's documentation
# writes it. FastAPI has no per-route middleware: a timing route class on one router
# (the documentation's "custom APIRoute class" timing example), and Starlette's
# SessionMiddleware on a sub-application mounted at /mw, so that neither costs the
# other routes anything, as on the other servers.


class TimedRoute(APIRoute):
    """Gives each request an id and reports how long it took (X-Request-ID, X-Response-Time)."""

    def get_route_handler(self) -> Callable:
        handler = super().get_route_handler()

        async def timed_handler(request: Request) -> Response:
            request_id = str(uuid.uuid4())
            start = time.perf_counter()
            request.state.request_id = request_id
            response = await handler(request)
            response.headers["X-Request-ID"] = request_id
            response.headers["X-Response-Time"] = f"{time.perf_counter() - start:.4f}s"
            return response

        return timed_handler


timed = APIRouter(route_class=TimedRoute)


@timed.get("/mw/timed")
async def mw_timed(request: Request):
    return {"request_id": request.state.request_id}


app.include_router(timed)

# Starlette keeps the session in a signed cookie: no database, unlike Django's sessions.
sessions = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
# bench/lib/payloads.py signs the benchmark's session cookie with the same key.
sessions.add_middleware(SessionMiddleware, secret_key="bench-starlette-session-secret")


@sessions.get("/session-peek")
async def session_peek(request: Request):
    """Reads the session without changing it."""
    return {"visits": request.session.get("visits", 0)}


class ItemOut(BaseModel):
    name: str
    price: float
    is_offer: bool = False
    cost: float = Field(default=0.0, exclude=True)  # write-only: never in the answer

    @computed_field
    @property
    def label(self) -> str:
        return f"{self.name} ({self.price:.2f})"


@app.get("/serializer/items100", response_model=list[ItemOut])
async def serializer_items100():
    return [ItemOut(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0, cost=i) for i in range(100)]


router = APIRouter(prefix="/router", tags=["router"])


@router.get("/hello")
async def router_hello():
    return {"Hello": "World"}


app.include_router(router)


class UserPage(BaseModel):
    """One page, in the keys of django-bolt's PageNumberPagination."""

    items: list[UserMini]
    total: int
    has_next: bool
    has_previous: bool
    page: int
    page_size: int
    total_pages: int
    next_page: int | None = None
    previous_page: int | None = None


PAGE_SIZE = 10
USERS_MINI = User.objects.only("id", "username").order_by("id")


@app.get("/vs/users", response_model=UserPage, response_model_exclude_none=True)
async def users_page(page: int = 1):
    total = await USERS_MINI.acount()
    pages = max(1, -(-total // PAGE_SIZE))
    page = max(1, min(page, pages))
    items = [u async for u in USERS_MINI[(page - 1) * PAGE_SIZE:page * PAGE_SIZE]]
    return UserPage(items=items, total=total, has_next=page < pages, has_previous=page > 1, page=page,
                    page_size=PAGE_SIZE, total_pages=pages, next_page=page + 1 if page < pages else None,
                    previous_page=page - 1 if page > 1 else None)


@app.get("/vs/users/{user_id}", response_model=UserMini)
async def user_retrieve(user_id: int):
    try:
        return await USERS_MINI.aget(pk=user_id)
    except User.DoesNotExist:
        raise HTTPException(status_code=404, detail=f"User {user_id} not found")


# Mounted last: a mount catches every path under its prefix, and /mw/timed above must
# stay the timed route's.
app.mount("/mw", sessions)
# Django's admin stylesheet, the file the other servers serve at the same URL.
app.mount("/static", StaticFiles(directory=Path(django.__file__).parent / "contrib" / "admin" / "static"),
          name="static")
