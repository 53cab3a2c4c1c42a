"""The "redis" profile, served by several processes sharing one Redis: the default
cache (revocations) and the rate-limit backend both live there."""

import os

from django_bolt import BoltAPI
from django_bolt.auth import DjangoCacheRevocation, IsAuthenticated, JWTAuthentication
from django_bolt.middleware import rate_limit

from .material import HS_SECRET

api = BoltAPI()

STORE = DjangoCacheRevocation()
JWT = JWTAuthentication(secret=HS_SECRET, revocation_store=STORE)


@api.get("/r/pid")
async def pid():
    return {"pid": os.getpid()}


@api.get("/r/me", auth=[JWT], guards=[IsAuthenticated()])
async def me(request):
    return {"pid": os.getpid(), "user_id": request["context"]["user_id"]}


@api.post("/r/logout", auth=[JWT], guards=[IsAuthenticated()])
async def logout(request):
    jti = request["context"]["auth_claims"]["jti"]
    await STORE.revoke(jti, ttl=600)
    return {"pid": os.getpid(), "revoked": jti}


@api.get("/r/limited")
@rate_limit(rps=1, burst=10, key="x-client")
async def limited():
    return {"pid": os.getpid()}
