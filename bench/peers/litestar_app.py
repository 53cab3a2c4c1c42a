"""The benchmark endpoints of python/examples/testproject, written with Litestar the
way its documentation shows: msgspec Structs (Litestar's native models), typed
Parameter/Body markers, HTTPException, Litestar responses. The ORM endpoints read the
example project's models and SQLite database through Django's async ORM.

    uvicorn litestar_app:app   (with bench/peers and the example project on PYTHONPATH)
"""
from __future__ import annotations

import asyncio
import os
import time
import uuid
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import django
import msgspec
from litestar import Controller, Litestar, MediaType, Request, Response, Router, get, post, put
from litestar.datastructures import MutableScopeHeaders, UploadFile
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, NotFoundException
from litestar.middleware import ASGIMiddleware
from litestar.middleware.session.server_side import ServerSideSessionConfig
from litestar.pagination import AbstractAsyncClassicPaginator, ClassicPagination
from litestar.params import Body, Parameter
from litestar.response import File, Redirect, Stream
from litestar.static_files import create_static_files_router
from litestar.types import ASGIApp, Message, Receive, Scope, Send

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


# --- Middleware, sessions, serializers, static files, routers, pagination ------------
# The same features as the example project's rows, as Litestar's documentation writes
# them: middleware and sessions on the route that uses them, a Controller, a Router, a
# classic (page-number) paginator and its static files router.


class TimingMiddleware(ASGIMiddleware):
    """Gives each request an id and reports how long it took (X-Request-ID, X-Response-Time)."""

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request_id = str(uuid.uuid4())
        start = time.perf_counter()
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_timed(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                headers["X-Request-ID"] = request_id
                headers["X-Response-Time"] = f"{time.perf_counter() - start:.4f}s"
            await send(message)

        await next_app(scope, receive, send_timed)


@get("/mw/timed", middleware=[TimingMiddleware()])
async def mw_timed(request: Request) -> dict[str, str]:
    return {"request_id": request.state.request_id}


# Server-side sessions in the default in-memory store, under Django's cookie name; the
# benchmark's session is put there at start-up.
SESSIONS = ServerSideSessionConfig(key="sessionid")
BENCH_SESSION_KEY = "benchsession0000000000000000000"


async def add_bench_session(app: Litestar) -> None:
    await app.stores.get(SESSIONS.store).set(BENCH_SESSION_KEY, msgspec.json.encode({"visits": 3}))


@get("/mw/session-peek", middleware=[SESSIONS.middleware])
async def session_peek(request: Request) -> dict[str, int]:
    """Reads the session without changing it."""
    return {"visits": request.session.get("visits", 0)}


class ItemIn(msgspec.Struct):
    name: str
    price: float
    is_offer: bool = False
    cost: float = 0.0  # write-only: never in the answer


class ItemOut(msgspec.Struct):
    name: str
    price: float
    is_offer: bool
    label: str  # computed from name and price


@get("/serializer/items100")
async def serializer_items100() -> list[ItemOut]:
    # msgspec Structs have no computed or write-only fields: the output Struct is built.
    items = [ItemIn(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0, cost=i) for i in range(100)]
    return [ItemOut(name=i.name, price=i.price, is_offer=i.is_offer, label=f"{i.name} ({i.price:.2f})")
            for i in items]


@get("/hello")
async def router_hello() -> dict[str, str]:
    return {"Hello": "World"}


USERS_MINI = User.objects.only("id", "username").order_by("id")


class UserPaginator(AbstractAsyncClassicPaginator[UserMini]):
    async def get_total(self, page_size: int) -> int:
        return -(-await USERS_MINI.acount() // page_size)

    async def get_items(self, page_size: int, current_page: int) -> list[UserMini]:
        start = (current_page - 1) * page_size
        return [UserMini(id=u.id, username=u.username) async for u in USERS_MINI[start:start + page_size]]


class UserController(Controller):
    path = "/vs/users"

    @get()
    async def list_users(self, page: int = 1) -> ClassicPagination[UserMini]:
        return await UserPaginator()(page_size=10, current_page=max(1, page))

    @get("/{user_id:int}")
    async def retrieve_user(self, user_id: int) -> UserMini:
        try:
            u = await USERS_MINI.aget(pk=user_id)
        except User.DoesNotExist:
            raise NotFoundException(f"User {user_id} not found")
        return UserMini(id=u.id, username=u.username)


app = Litestar(
    route_handlers=[root, read_item, update_item, items100, bench_parse, header, cookie, exc, html, redirect,
                    form, upload, file_static, stream, sse, sse_async, users_full10, users_mini10,
                    mw_timed, session_peek, serializer_items100, Router("/router", route_handlers=[router_hello]),
                    UserController,
                    # Django's admin stylesheet, the file the other servers serve at the same URL.
                    create_static_files_router(path="/static", directories=[
                        Path(django.__file__).parent / "contrib" / "admin" / "static"])],
    on_startup=[add_bench_session],
    openapi_config=None,
)
