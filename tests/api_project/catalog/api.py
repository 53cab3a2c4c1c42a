"""Routers, mounts and trailing-slash modes over a real server (tests/test_api_features.py)."""
import msgspec

from django_bolt import BoltAPI, IsAuthenticated, JWTAuthentication, Router
from django_bolt.middleware import Middleware

SECRET = "api-project-jwt-secret-of-32-bytes!!"

api = BoltAPI(trailing_slash="strip")


@api.get("/strip/items/")
async def strip_items(q: str = ""):
    return {"route": "strip", "q": q}


class Order(msgspec.Struct):
    n: int


@api.post("/strip/orders")
async def strip_orders(order: Order):
    return {"created": order}


class Stamp(Middleware):
    """Adds the names of the routers a request went through, outermost first."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def process_request(self, request, call_next):
        request.state.setdefault("stamps", []).append(self.name)
        return await call_next(request)


shop = Router(prefix="/shop", tags=["shop"], middleware=[Stamp("shop")])
books = Router(prefix="/books", middleware=[Stamp("books")])


@books.get("/stamps")
async def stamps(request):
    return {"stamps": request.state["stamps"]}


@shop.get("/private", auth=[JWTAuthentication(secret=SECRET)], guards=[IsAuthenticated()])
async def private():
    return {"private": True}


shop.include_router(books)
api.include_router(shop, prefix="/v2")

v1 = BoltAPI(trailing_slash="append")


@v1.get("/things")
async def things():
    return {"route": "v1 things"}


api.mount("/v1", v1)
