"""The "nocompress" profile: ``BoltAPI(compression=False)``, plus API-wide middleware
given as objects: a ``RateLimitMiddleware`` and a Python ``Middleware``."""

from django_bolt import BoltAPI
from django_bolt.middleware import Middleware, RateLimitMiddleware, skip_middleware
from django_bolt.responses import PlainText


class Stamp(Middleware):
    async def process_request(self, request, call_next):
        status, headers, body = await call_next(request)
        return status, [*headers, ("x-stamp", "api-wide")], body


api = BoltAPI(
    compression=False,
    middleware=[RateLimitMiddleware(rps=1, burst=3, key="x-client"), Stamp()],
)


@api.get("/nc/text")
async def text(n: int):
    return PlainText("w" * n)


@api.get("/nc/free")
@skip_middleware("rate_limit", "Stamp")
async def free():
    return {"free": True}
