"""ORM-backed routes, discovered by runbolt alongside the project's api.py."""
from datetime import datetime

import msgspec

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException

from .models import User
from .seeding import seed_users

api = BoltAPI()


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


def to_full(user: User) -> UserFull:
    return msgspec.convert(user, UserFull, from_attributes=True)


@api.get("/users/")
async def list_users() -> list[UserMini]:
    # Only the two columns we serialize; the rest would be fetched for nothing.
    return [
        UserMini(id=u.id, username=u.username)
        async for u in User.objects.only("id", "username").order_by("id")
    ]


# The static routes below would win over /users/{user_id} in any order;
# they are declared first only to keep the file easy to follow.


@api.get("/users/seed")
async def seed():
    return {"count": await seed_users()}


@api.get("/users/full10")
async def users_full10() -> list[UserFull]:
    return [to_full(u) async for u in User.objects.order_by("id")[:10]]


@api.get("/users/mini10")
async def users_mini10() -> list[UserMini]:
    return [
        UserMini(id=u.id, username=u.username)
        async for u in User.objects.only("id", "username").order_by("id")[:10]
    ]


@api.get("/users/{user_id}")
async def get_user(user_id: int) -> UserFull:
    try:
        user = await User.objects.aget(pk=user_id)
    except User.DoesNotExist:
        raise HTTPException(status_code=404, detail=f"User {user_id} not found")
    return to_full(user)


# --- class-based views, pagination and routers ----------------------------------------------
# Added after the routes above, which keep their paths and answers.

from django_bolt import Router  # noqa: E402
from django_bolt.pagination import PageNumberPagination  # noqa: E402
from django_bolt.views import ReadOnlyModelViewSet  # noqa: E402


class TenPerPage(PageNumberPagination):
    page_size = 10


@api.viewset("/vs/users")
class UserViewSet(ReadOnlyModelViewSet):
    """The users, ten per page (GET /vs/users?page=2), and one by id (GET /vs/users/1)."""

    queryset = User.objects.only("id", "username").order_by("id")
    serializer_class = UserMini
    pagination_class = TenPerPage


router = Router(prefix="/router", tags=["router"])


@router.get("/hello")
async def router_hello():
    return {"Hello": "World"}


api.include_router(router)
