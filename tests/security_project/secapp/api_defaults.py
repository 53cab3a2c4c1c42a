"""Routes relying on the global settings of the "defaults" profile.

Settings give every route ``JWTAuthentication`` and ``IsAuthenticated`` unless it
says otherwise, trust 127.0.0.1 as a proxy, and turn compression off although the
API asks for gzip. The API adds a global CORS middleware that routes may override.
"""

from django_bolt import BoltAPI
from django_bolt.auth import AllowAny, IsAdminUser, IsAuthenticated
from django_bolt.compression import CompressionConfig
from django_bolt.middleware import CORSMiddleware, cors, rate_limit
from django_bolt.responses import PlainText

api = BoltAPI(
    middleware=[CORSMiddleware(origins=["http://wide.example"])],
    compression=CompressionConfig(backend="gzip", minimum_size=10),
)


def describe(request) -> dict:
    context = request["context"]
    return {"context": dict(context) if context else None}


@api.get("/d/protected")
async def protected(request):
    return describe(request)


@api.get("/d/open", guards=[AllowAny()])
async def open_route(request):
    return describe(request)


@api.get("/d/no-auth", auth=[], guards=[IsAuthenticated()])
async def no_auth(request):
    return describe(request)


@api.get("/d/admin", guards=[IsAdminUser()])
async def admin(request):
    return describe(request)


@api.get("/d/cors-wide", guards=[AllowAny()])
async def cors_wide():
    return {"cors": "wide"}


@api.get("/d/cors-route", guards=[AllowAny()])
@cors(origins=["http://route.example"])
async def cors_route():
    return {"cors": "route"}


@api.get("/d/ip", guards=[AllowAny()])
@rate_limit(rps=1, burst=2)
async def ip_limited():
    return {"ok": True}


@api.get("/d/text", guards=[AllowAny()])
async def text(n: int):
    return PlainText("x" * n)
