"""The benchmark routes, written in the API that django-bolt and the original
Django-Bolt both accept, so that both serve this file unchanged.

BENCH_ROUTES=N adds N parametrised filler routes (the routing-cost rows of the
growth table); the measured routes are the same in every variant.
"""
import asyncio
import os

import msgspec
from django.contrib.auth.models import User

from django_bolt import BoltAPI, Router, StreamingResponse
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.middleware import DjangoMiddleware, TimingMiddleware, cors, middleware, rate_limit
from django_bolt.pagination import PageNumberPagination
from django_bolt.serializers import Serializer, computed_field, field
from django_bolt.views import ReadOnlyModelViewSet

from .models import Row

api = BoltAPI()


class Item(msgspec.Struct):
    name: str
    price: float
    is_offer: bool | None = None


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


class RowOut(msgspec.Struct):
    id: int
    name: str
    email: str
    score: float
    active: bool


@api.get("/")
async def root():
    return {"Hello": "World"}


@api.get("/items/{item_id}")
async def read_item(item_id: int, q: str | None = None):
    return {"item_id": item_id, "q": q}


@api.put("/items/{item_id}")
async def update_item(item_id: int, item: Item):
    return {"item_id": item_id, "item_name": item.name}


@api.post("/bench/parse")
async def bench_parse(payload: BenchPayload):
    return {"title": payload.title, "entries": len(payload.entries)}


_ITEMS100 = [Item(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0) for i in range(100)]


@api.get("/items100")
async def items100() -> list[Item]:
    return [Item(name=i.name, price=i.price, is_offer=i.is_offer) for i in _ITEMS100]


# JSON responses of about 1, 10 and 100 KB (the growth table).
_PAYLOADS = {kb: [{"id": i, "name": f"row-{i:06d}", "value": i * 0.5} for i in range(kb * 1024 // 44)]
             for kb in (1, 10, 100)}


@api.get("/json/{kb}")
async def json_kb(kb: int):
    return _PAYLOADS[kb]


def _lines(n: int):
    for i in range(n):
        yield f"chunk {i:04d} of the stream\n"


@api.get("/stream")
async def stream():
    return StreamingResponse(_lines(100), media_type="text/plain")


@api.get("/chunks/{n}")
async def chunks(n: int):
    return StreamingResponse(_lines(n), media_type="text/plain")


@api.get("/sse-async")
async def sse_async():
    async def events():
        for i in range(10):
            await asyncio.sleep(0)
            yield f"data: {i}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream")


@api.get("/rows10")
async def rows10() -> list[RowOut]:
    return [
        RowOut(id=r.id, name=r.name, email=r.email, score=r.score, active=r.active)
        async for r in Row.objects.order_by("id")[:10]
    ]


@api.get("/seed")
async def seed():
    if not await Row.objects.aexists():
        await Row.objects.abulk_create(
            [Row(name=f"row {i}", email=f"row{i}@example.com", score=i * 1.5) for i in range(100)]
        )
    if not await User.objects.aexists():
        # The example project's demo users (1,000), without passwords.
        await User.objects.abulk_create([User(username=f"demo{i:04d}") for i in range(1000)], batch_size=500)
    return {"rows": await Row.objects.acount()}


@api.get("/auth/me", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def me(request):
    return {"user_id": request["context"]["user_id"]}


@api.get("/limited")
@rate_limit(rps=1, burst=5)  # low, so that a slow machine still spends it
async def limited():
    return {"ok": True}


@api.get("/cors")
@cors(origins=["http://example.com"])
async def cors_route():
    return {"ok": True}


# --- Middleware, sessions, serializers, routers, class-based views, pagination ----------
# The example project's rows of the same names, in the API both versions accept; the
# ViewSet pages Django's own User table, seeded with the example project's usernames.


@api.get("/mw/timed")
@middleware(TimingMiddleware)
async def timed(request):
    return {"request_id": request.state["request_id"]}


@api.get("/mw/session-peek")
@middleware(DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"))
async def session_peek(request):
    """Reads the session without changing it."""
    return {"visits": await request.session.aget("visits", 0)}


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
    return ItemOut.dump_many(
        [ItemOut(name=f"item{i}", price=round(i * 1.25, 2), is_offer=i % 2 == 0, cost=i) for i in range(100)]
    )


class UserMini(msgspec.Struct):
    id: int
    username: str


class TenPerPage(PageNumberPagination):
    page_size = 10


@api.viewset("/vs/users")
class UserViewSet(ReadOnlyModelViewSet):
    queryset = User.objects.only("id", "username").order_by("id")
    serializer_class = UserMini
    pagination_class = TenPerPage


router = Router(prefix="/router", tags=["router"])


@router.get("/hello")
async def router_hello():
    return {"Hello": "World"}


api.include_router(router)


for _i in range(int(os.environ.get("BENCH_ROUTES", "0"))):
    # Parametrised, so that the router's tree (not its static map) holds them.
    async def _filler(x: int, _i: int = _i):
        return {"route": _i, "x": x}

    api.get(f"/filler{_i}/{{x}}")(_filler)
