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


# --- request.user and cookies ----------------------------------------------------------

from django.contrib.auth import get_user_model  # noqa: E402

from django_bolt import JSON, StreamingResponse  # noqa: E402
from django_bolt.responses import FileResponse, Redirect  # noqa: E402

jwt = JWTAuthentication(secret=SECRET)


@api.post("/setup/user")
async def create_user(name: str):
    user, _ = await get_user_model().objects.aget_or_create(username=name)
    return {"id": user.pk}


@api.get("/me", auth=[jwt], guards=[IsAuthenticated()])
async def me(request):
    auser = await request.auser()
    return {"username": request.user.username, "auser": auser.username}


@api.get("/me/sync", auth=[jwt], guards=[IsAuthenticated()])
def me_sync(request):
    return {"username": request.user.username}


@api.post("/cookies/login")
async def login():
    return JSON({"ok": True}).set_cookie("sid", "abc", max_age=3600, httponly=True).delete_cookie("old")


@api.get("/cookies/redirect")
async def cookie_redirect():
    return Redirect("/strip/items", status_code=302).set_cookie("flash", "moved")


@api.get("/cookies/stream")
async def cookie_stream():
    async def chunks():
        yield b"one,"
        yield b"two"

    return StreamingResponse(chunks(), media_type="text/plain").set_cookie("s", "1").set_cookie("t", "2")


@api.get("/cookies/file")
async def cookie_file():
    return FileResponse(__file__).set_cookie("f", "1")


@api.get("/cookies/error")
async def cookie_error():
    return JSON({"detail": "nope"}, status_code=403).set_cookie("why", "denied")


# --- class-based views and pagination ------------------------------------------------------

from django_bolt.pagination import CursorPagination, PageNumberPagination, paginate  # noqa: E402
from django_bolt.views import ModelViewSet, action  # noqa: E402

from .models import Book  # noqa: E402


class BookOut(msgspec.Struct):
    id: int
    title: str
    isbn: str
    pages: int


class BookIn(msgspec.Struct):
    title: str
    isbn: str
    pages: int = 0


class Three(PageNumberPagination):
    page_size = 3


class Newest(CursorPagination):
    page_size = 3


@api.viewset("/books")
class Books(ModelViewSet):
    queryset = Book.objects.order_by("id")
    serializer_class = BookOut
    create_serializer_class = BookIn
    pagination_class = Three

    @action(methods=["POST"], detail=True, guards=[IsAuthenticated()], auth=[jwt])
    async def stamp(self, request, pk: int):
        book = await self.get_object(pk)
        return {"stamped": book.isbn, "by": request.context["user_id"]}


@api.get("/books-by-cursor")
@paginate(Newest)
async def books_by_cursor(request) -> list[BookOut]:
    return Book.objects.all()
