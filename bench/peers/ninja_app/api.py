"""The benchmark endpoints of python/examples/testproject, written with Django Ninja
the way its documentation shows: Schemas, Header/Cookie/Form/File parameters,
HttpError, Django responses, async views and the async ORM on the same models."""
from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime
from pathlib import Path

from django.http import FileResponse, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.shortcuts import aget_object_or_404
from django.utils.decorators import decorator_from_middleware
from ninja import Cookie, File, Form, Header, NinjaAPI, P, Router, Schema, UploadedFile
from ninja.decorators import decorate_view
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate
from users.models import User

api = NinjaAPI(title="bench", docs_url=None)

SAMPLE_FILE = Path(__file__).resolve().parents[3] / (
    "python/examples/testproject/testproject/static_files/sample.txt")
TEXT = "text/plain; charset=utf-8"


class Item(Schema):
    name: str
    price: float
    is_offer: bool | None = None


@api.get("/")
async def root(request):
    return {"Hello": "World"}


@api.get("/items/{item_id}")
async def read_item(request, item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@api.put("/items/{item_id}")
async def update_item(request, item_id: int, item: Item):
    return {"item_id": item_id, "item_name": item.name}


@api.get("/items100", response=list[Item])
async def items100(request):
    return [Item(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0) for i in range(100)]


class Author(Schema):
    id: int
    name: str
    email: str


class Entry(Schema):
    id: int
    title: str
    score: float
    published: bool
    author: Author
    tags: list[str] = []


class BenchPayload(Schema):
    title: str
    entries: list[Entry]
    tags: list[str] = []
    metadata: dict[str, str] = {}


@api.post("/bench/parse")
async def bench_parse(request, payload: BenchPayload):
    return {
        "title": payload.title,
        "entries": len(payload.entries),
        "published": sum(1 for e in payload.entries if e.published),
        "authors": len({e.author.id for e in payload.entries}),
        "tags": len(payload.tags),
        "metadata_keys": len(payload.metadata),
    }


@api.get("/header")
async def header(request, x_test: Header[str, P(alias="x-test")]):
    return HttpResponse(x_test, content_type=TEXT)


@api.get("/cookie")
async def cookie(request, session: Cookie[str]):
    return HttpResponse(session, content_type=TEXT)


@api.get("/exc")
async def exc(request):
    raise HttpError(404, "Not found")


@api.get("/html")
async def html(request):
    return HttpResponse("<h1>Hello</h1>", content_type="text/html; charset=utf-8")


@api.get("/redirect")
async def redirect(request):
    return HttpResponseRedirect("/")


@api.post("/form")
async def form(request, name: Form[str], age: Form[int], email: Form[str] = ""):
    return {"name": name, "age": age, "email": email}


@api.post("/upload")
async def upload(request, file: File[list[UploadedFile]]):
    return {
        "uploaded": len(file),
        "total_bytes": sum(f.size for f in file),
        "names": [f.name for f in file],
    }


@api.get("/file-static")
async def file_static(request):
    return FileResponse(open(SAMPLE_FILE, "rb"), content_type="text/plain")


# Django serves StreamingHttpResponse under ASGI from an async iterator; a sync one
# is first read whole in a thread (with a warning), so Django code uses async ones.


@api.get("/stream")
async def stream(request):
    async def lines():
        for i in range(100):
            yield f"line {i}\n"

    return StreamingHttpResponse(lines(), content_type="text/plain")


def _sse(events) -> StreamingHttpResponse:
    response = StreamingHttpResponse(events, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


@api.get("/sse")
async def sse(request):
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"

    return _sse(events())


@api.get("/sse-async")
async def sse_async(request):
    async def events():
        for i in range(3):
            yield f"data: event {i}\n\n"
            await asyncio.sleep(0)

    return _sse(events())


class UserMini(Schema):
    id: int
    username: str


class UserFull(Schema):
    id: int
    username: str
    email: str
    first_name: str
    last_name: str
    is_active: bool
    is_staff: bool
    date_joined: datetime
    bio: str


@api.get("/users/full10", response=list[UserFull])
async def users_full10(request):
    return [u async for u in User.objects.order_by("id")[:10]]


@api.get("/users/mini10", response=list[UserMini])
async def users_mini10(request):
    return [u async for u in User.objects.only("id", "username").order_by("id")[:10]]


# --- Middleware, sessions, serializers, routers, pagination -----------------------------
# The same features as the example project's rows, the Django way: a Django middleware
# turned into a view decorator for the one timed route (in MIDDLEWARE it would time every
# route), Django's SessionMiddleware (already in the project's stack), Schemas with a
# resolver for the computed field, a Router and Ninja's paginator. Static files are not
# served: Django leaves them to a web server or WhiteNoise in production.


class TimingMiddleware:
    """Gives each request an id and reports how long it took (X-Request-ID, X-Response-Time)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def process_request(self, request):
        request.request_id = str(uuid.uuid4())
        request.start_time = time.perf_counter()

    def process_response(self, request, response):
        response["X-Request-ID"] = request.request_id
        response["X-Response-Time"] = f"{time.perf_counter() - request.start_time:.4f}s"
        return response


@api.get("/mw/timed")
@decorate_view(decorator_from_middleware(TimingMiddleware))
async def mw_timed(request):
    return {"request_id": request.request_id}


@api.get("/mw/session-peek")
async def session_peek(request):
    """Reads the session without changing it."""
    return {"visits": await request.session.aget("visits", 0)}


class ItemOut(Schema):
    name: str
    price: float
    is_offer: bool = False
    label: str

    @staticmethod
    def resolve_label(obj) -> str:
        return f"{obj.name} ({obj.price:.2f})"


class ItemIn(Schema):
    name: str
    price: float
    is_offer: bool = False
    cost: float = 0.0  # write-only: ItemOut has no such field


@api.get("/serializer/items100", response=list[ItemOut])
async def serializer_items100(request):
    return [ItemIn(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0, cost=i) for i in range(100)]


router = Router(tags=["router"])


@router.get("/hello")
async def router_hello(request):
    return {"Hello": "World"}


api.add_router("/router", router)

USERS_MINI = User.objects.only("id", "username").order_by("id")


@api.get("/vs/users", response=list[UserMini])
@paginate(PageNumberPagination, page_size=10)
async def users_page(request):
    return USERS_MINI


@api.get("/vs/users/{user_id}", response=UserMini)
async def user_retrieve(request, user_id: int):
    return await aget_object_or_404(USERS_MINI, pk=user_id)
