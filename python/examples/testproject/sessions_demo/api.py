"""Python middleware examples: a timed route, and routes behind Django's own middleware.

``/mw/timed`` runs ``TimingMiddleware`` (an ``X-Response-Time`` header on the answer).
The ``/mw/session/*`` routes run Django's session, CSRF and authentication middleware,
so handlers get ``request.session``, ``await request.auser()`` and Django's ``alogin``;
unsafe methods need a CSRF token unless the handler is ``@csrf_exempt``.
"""
import msgspec
from django.contrib.auth import aauthenticate, alogin, alogout
from django.contrib.auth.decorators import login_required, permission_required
from django.middleware.csrf import get_token
from django.views.decorators.csrf import csrf_exempt

from django_bolt import BoltAPI
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import DjangoMiddleware, DjangoMiddlewareStack, TimingMiddleware, middleware

api = BoltAPI()


@api.get("/mw/timed")
@middleware(TimingMiddleware)
async def timed(request):
    return {"request_id": request.state["request_id"]}


@api.get("/mw/session-count")
@middleware(DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"))
async def session_count(request):
    """Counts this client's visits in its session (cookie ``sessionid``)."""
    visits = await request.session.aget("visits", 0) + 1
    await request.session.aset("visits", visits)
    return {"visits": visits}


@api.get("/mw/session-peek")
@middleware(DjangoMiddleware("django.contrib.sessions.middleware.SessionMiddleware"))
async def session_peek(request):
    """Reads the session without changing it (nothing is saved, no cookie is set)."""
    return {"visits": await request.session.aget("visits", 0)}


# Django's session, CSRF and authentication middleware, run as one stack on each route
# it decorates (BoltAPI(django_middleware=[...]) would apply it to every route of an API).
with_django_sessions = middleware(
    DjangoMiddlewareStack([
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ])
)


class SessionCredentials(msgspec.Struct):
    username: str
    password: str


@api.get("/mw/session/csrf")
@with_django_sessions
async def csrf(request):
    """A CSRF token for the ``X-CSRFToken`` header (its cookie is set too)."""
    return {"csrf_token": get_token(request)}


@api.post("/mw/session/login")
@with_django_sessions
@csrf_exempt
async def login(request, credentials: SessionCredentials):
    user = await aauthenticate(request, username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(status_code=401, detail="Invalid username or password")
    await alogin(request, user)
    return {"username": user.get_username()}


@api.get("/mw/session/me")
@with_django_sessions
async def me(request):
    user = await request.auser()
    return {"authenticated": user.is_authenticated, "username": user.get_username()}


@api.post("/mw/session/note")
@with_django_sessions
async def note(request):
    """Protected by CSRF: needs the token from /mw/session/csrf."""
    notes = await request.session.aget("notes", 0) + 1
    await request.session.aset("notes", notes)
    return {"notes": notes}


@api.post("/mw/session/logout")
@with_django_sessions
@csrf_exempt
async def logout(request):
    await alogout(request)
    return {"logged_out": True}


# Django's own view decorators on handlers: they read the session's user through the
# authentication middleware and answer with Django responses (a redirect to LOGIN_URL,
# or 403 with raise_exception=True).
@api.get("/mw/session/account")
@with_django_sessions
@login_required
async def account(request):
    user = await request.auser()
    return {"username": user.get_username(), "staff": user.is_staff}


@api.get("/mw/session/user-admin")
@with_django_sessions
@permission_required("auth.change_user", raise_exception=True)
async def user_admin(request):
    user = await request.auser()
    return {"username": user.get_username(), "can_change_users": True}


# RemoteUserMiddleware looks at the logged-in user on every request, a database query:
# like every sync hook that may do I/O it runs in a thread, off the event loop.
@api.get("/mw/session/remote-user")
@middleware(
    DjangoMiddlewareStack([
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "django.contrib.auth.middleware.RemoteUserMiddleware",
    ])
)
async def remote_user(request):
    user = await request.auser()
    return {"authenticated": user.is_authenticated, "username": user.get_username()}
