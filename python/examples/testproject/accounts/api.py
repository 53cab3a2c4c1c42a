"""Authentication examples: JWT, API keys, guards, rate limiting and CORS.

Everything these routes declare is enforced by the Go core before Python runs:
an unauthenticated or unauthorised request, a client over its rate limit and a
CORS preflight are all answered without taking the GIL.
"""
import msgspec
from asgiref.sync import sync_to_async
from django.contrib.auth import aauthenticate

from django_bolt import BoltAPI
from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    JWTAuthentication,
    create_jwt_for_user,
)
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import cors, rate_limit

api = BoltAPI()

# Demo credentials; a real project reads keys from its settings or a secret store.
DEMO_API_KEY = "demo-key-123"

jwt_auth = JWTAuthentication()  # signs with settings.SECRET_KEY, HS256


class Credentials(msgspec.Struct):
    username: str
    password: str


@api.post("/auth/token", auth=[], guards=[AllowAny()])
async def token(credentials: Credentials):
    """Exchange a username and password for a JWT.

    The token is valid for 24 hours and carries the user's permissions.
    """
    user = await aauthenticate(username=credentials.username, password=credentials.password)
    if user is None:
        raise HTTPException(status_code=401, detail="Invalid username or password")
    permissions = sorted(await sync_to_async(user.get_all_permissions)())
    access = create_jwt_for_user(user, exp_hours=24, extra_claims={"permissions": permissions})
    return {"access_token": access, "token_type": "bearer"}


@api.get("/auth/me", auth=[jwt_auth], guards=[IsAuthenticated()])
async def me(request):
    auth = request.get("auth", {})
    claims = auth.get("auth_claims", {})
    return {"user_id": auth.get("user_id"), "username": claims.get("username"), "is_staff": auth.get("is_staff")}


@api.get("/auth/admin", auth=[jwt_auth], guards=[IsAdminUser()])
async def admin_only(request):
    return {"admin": True, "user_id": request["context"]["user_id"]}


@api.get("/auth/perm", auth=[jwt_auth], guards=[HasPermission("users.view_user")])
async def needs_permission(request):
    return {"permission": "users.view_user", "user_id": request["context"]["user_id"]}


@api.get("/apikey", auth=[APIKeyAuthentication(api_keys={DEMO_API_KEY})], guards=[IsAuthenticated()])
async def with_api_key(request):
    return {"user_id": request["context"]["user_id"], "backend": request["context"]["auth_backend"]}


@api.get("/limited")
@rate_limit(rps=5, burst=10)
async def limited():
    return {"ok": True}


@api.get("/cors")
@cors(origins=["http://example.com"])
async def cors_enabled():
    return {"cors": True}
