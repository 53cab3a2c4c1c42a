"""The main security API: JWT and API-key backends, guards, revocation, CORS, rate
limits, Python middleware and compression, each on routes of its own.

Most handlers answer with ``describe(request)``, the authentication context the
core produced, so the tests can check it field by field.
"""

import os
from pathlib import Path

import msgspec

from django_bolt import BoltAPI
from django_bolt.auth import (
    AllowAny,
    APIKeyAuthentication,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    InMemoryRevocation,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    JWTAuthentication,
)
from django_bolt.exceptions import HTTPException
from django_bolt.middleware import Middleware, cors, middleware, no_compress, rate_limit
from django_bolt.responses import JSON, FileResponse, PlainText, StreamingResponse

from .material import (
    ALIAS_SECRET,
    EC256_PUBLIC,
    EC384_PUBLIC,
    EC521_PUBLIC,
    ED25519_PUBLIC,
    HS_SECRET,
    RSA_PUBLIC,
)

api = BoltAPI()

PAYLOAD = Path(__file__).resolve().parent / "payload.txt"

# Per-process counters, read back through /counters.
CALLS = {"header_flag": 0, "gate_handler": 0, "owner": 0}


def describe(request) -> dict:
    context = request["context"]
    return {
        "context": dict(context) if context else None,
        "auth_matches_context": request.get("auth") == context if context else None,
        "pid": os.getpid(),
    }


@api.get("/counters", auth=[], guards=[AllowAny()])
async def counters():
    return dict(CALLS)


# --- JWT: one route per key / algorithm family -------------------------------------

HS = JWTAuthentication(secret=HS_SECRET, algorithms=["HS256", "HS384", "HS512"])

JWT_ROUTES = {
    "/jwt/hs": HS,
    "/jwt/hs256": JWTAuthentication(secret=HS_SECRET, algorithms=["HS256"]),
    "/jwt/rsa": JWTAuthentication(secret=RSA_PUBLIC, algorithms=["RS256", "RS384", "RS512", "PS256"]),
    "/jwt/rs256": JWTAuthentication(secret=RSA_PUBLIC, algorithms=["RS256"]),
    "/jwt/es256": JWTAuthentication(secret=EC256_PUBLIC, algorithms=["ES256"]),
    "/jwt/es384": JWTAuthentication(secret=EC384_PUBLIC, algorithms=["ES384"]),
    "/jwt/es512": JWTAuthentication(secret=EC521_PUBLIC, algorithms=["ES512"]),
    "/jwt/eddsa": JWTAuthentication(secret=ED25519_PUBLIC, algorithms=["EdDSA"]),
    "/jwt/claims": JWTAuthentication(
        secret=HS_SECRET, algorithms=["HS256"], audience="bolt-api", issuer="https://issuer.example"
    ),
    # The spelling of the original project's README.
    "/jwt/alias": JWTAuthentication(secret_key=ALIAS_SECRET, algorithm="HS512"),
    "/jwt/custom-header": JWTAuthentication(secret=HS_SECRET, header="X-Access-Token"),
}


def _register_jwt_route(path: str, backend: JWTAuthentication) -> None:
    async def handler(request):
        return describe(request)

    handler.__name__ = handler.__qualname__ = "jwt_" + path.rsplit("/", 1)[-1].replace("-", "_")
    api.get(path, auth=[backend], guards=[IsAuthenticated()])(handler)


for _path, _backend in JWT_ROUTES.items():
    _register_jwt_route(_path, _backend)


@api.get("/jwt/optional", auth=[HS], guards=[])
async def jwt_optional(request):
    """No guard: a bad token makes the request anonymous, never rejected."""
    return describe(request)


# --- API keys --------------------------------------------------------------------

KEYS = APIKeyAuthentication(
    api_keys=["key-read", "key-write", "key-plain"],
    key_permissions={"key-read": ["items.read"], "key-write": ["items.read", "items.write"]},
)


@api.get("/apikey/context", auth=[KEYS], guards=[IsAuthenticated()])
async def apikey_context(request):
    return describe(request)


@api.get("/apikey/write", auth=[KEYS], guards=[HasPermission("items.write")])
async def apikey_write(request):
    return describe(request)


@api.get("/apikey/any", auth=[KEYS], guards=[HasAnyPermission("items.write", "items.delete")])
async def apikey_any(request):
    return describe(request)


@api.get("/apikey/all", auth=[KEYS], guards=[HasAllPermissions("items.read", "items.write")])
async def apikey_all(request):
    return describe(request)


@api.get(
    "/apikey/custom-header",
    auth=[APIKeyAuthentication(api_keys=["svc-1"], header="X-Service-Key")],
    guards=[IsAuthenticated()],
)
async def apikey_custom_header(request):
    return describe(request)


@api.get("/multi", auth=[HS, KEYS], guards=[IsAuthenticated()])
async def multi_backend(request):
    return describe(request)


# --- Guards ------------------------------------------------------------------------


class HeaderFlag(BasePermission):
    """Allows the request when it carries ``x-allow: yes``."""

    guard_name = "header_flag"

    def has_permission(self, request):
        CALLS["header_flag"] += 1
        return request.headers.get("x-allow") == "yes"


class IsOwner(BasePermission):
    """Async rule on the auth context and a path parameter."""

    guard_name = "is_owner"

    async def has_permission(self, request):
        CALLS["owner"] += 1
        return request.context["user_id"] == request.params.get("user_id")


@api.get("/guards/staff-perm", auth=[HS], guards=[IsStaff(), HasPermission("reports.view")])
async def guards_staff_perm(request):
    return describe(request)


@api.get("/guards/admin", auth=[HS], guards=[IsAdminUser()])
async def guards_admin(request):
    return describe(request)


@api.get("/guards/allow-first", auth=[HS], guards=[AllowAny(), IsAdminUser()])
async def guards_allow_first(request):
    return describe(request)


@api.get("/guards/allow-last", auth=[HS], guards=[IsAuthenticated(), AllowAny()])
async def guards_allow_last(request):
    return describe(request)


@api.get("/guards/custom", auth=[HS], guards=[IsAuthenticated(), HeaderFlag()])
async def guards_custom(request):
    return describe(request)


@api.get("/guards/custom-bare", auth=[], guards=[HeaderFlag()])
async def guards_custom_bare():
    """The custom guard reads a header although the handler itself takes nothing."""
    return {"ok": True}


@api.get("/guards/owner/{user_id}", auth=[HS], guards=[IsAuthenticated(), IsOwner()])
async def guards_owner(user_id: str):
    return {"owner": user_id}


# --- Revocation --------------------------------------------------------------------

MEMORY = InMemoryRevocation()


async def starts_with_revoked(jti: str) -> bool:
    return jti.startswith("revoked-")


class Revoke(msgspec.Struct):
    jti: str


@api.get(
    "/revocation/memory",
    auth=[JWTAuthentication(secret=HS_SECRET, revocation_store=MEMORY)],
    guards=[IsAuthenticated()],
)
async def revocation_memory(request):
    return describe(request)


@api.get("/revocation/optional", auth=[JWTAuthentication(secret=HS_SECRET, revocation_store=MEMORY)], guards=[])
async def revocation_optional(request):
    return describe(request)


@api.post("/revocation/memory/revoke", auth=[], guards=[AllowAny()])
async def revocation_memory_revoke(body: Revoke):
    await MEMORY.revoke(body.jti, ttl=600)
    return {"revoked": body.jti}


@api.get(
    "/revocation/handler",
    auth=[JWTAuthentication(secret=HS_SECRET, revoked_token_handler=starts_with_revoked)],
    guards=[IsAuthenticated()],
)
async def revocation_handler(request):
    return describe(request)


# --- CORS --------------------------------------------------------------------------

ROUTE_ORIGINS = ["http://example.com", "http://other.example"]


@api.get("/cors/route")
@cors(
    origins=ROUTE_ORIGINS,
    credentials=True,
    max_age=600,
    headers=["Content-Type", "X-Custom"],
    methods=["GET", "POST"],
    expose_headers=["X-Total"],
)
async def cors_route():
    return JSON({"cors": "route"}, headers={"X-Total": "3"})


@api.post("/cors/route")
@cors(origins=ROUTE_ORIGINS, credentials=True, max_age=600, headers=["Content-Type", "X-Custom"], methods=["GET", "POST"])
async def cors_route_post():
    return {"cors": "route", "method": "POST"}


@api.get("/cors/global")
@cors()
async def cors_global():
    return {"cors": "global"}


@api.get("/cors/wildcard")
@cors(origins="*")
async def cors_wildcard():
    return {"cors": "wildcard"}


@api.get("/cors/none")
async def cors_none():
    return {"cors": None}


@api.get("/cors/guarded", auth=[HS], guards=[IsAuthenticated(), HasPermission("cors.view")])
@cors(origins=["http://example.com"])
async def cors_guarded(request):
    return describe(request)


@api.get("/cors/missing")
@cors(origins=["http://example.com"])
async def cors_missing():
    raise HTTPException(status_code=404, detail="no such thing")


@api.get("/cors/validate")
@cors(origins=["http://example.com"])
async def cors_validate(n: int):
    return {"n": n}


@api.get("/cors/limited")
@rate_limit(rps=1, burst=1, key="x-client")
@cors(origins=["http://example.com"])
async def cors_limited():
    return {"limited": False}


@api.get("/cors/boom")
@cors(origins=["http://example.com"])
async def cors_boom():
    raise RuntimeError("handler exploded")


def _chunks():
    for i in range(20):
        yield f"chunk {i:02d} " + "z" * 100 + "\n"


@api.get("/cors/stream")
@cors(origins=["http://example.com"])
async def cors_stream():
    return StreamingResponse(_chunks, media_type="text/plain")


@api.get("/cors/file")
@cors(origins=["http://example.com"])
async def cors_file():
    return FileResponse(PAYLOAD, media_type="text/plain")


# --- Rate limiting -----------------------------------------------------------------


@api.get("/rl/header")
@rate_limit(rps=1, burst=5, key="x-client")
async def rl_header():
    return {"ok": True}


@api.get("/rl/default-burst")
@rate_limit(rps=2, key="x-client")
async def rl_default_burst():
    return {"ok": True}


@api.get("/rl/ip")
@rate_limit(rps=1, burst=3)
async def rl_ip():
    return {"ok": True}


@api.get("/rl/user", auth=[HS], guards=[IsAuthenticated()])
@rate_limit(rps=1, burst=2, key="user")
async def rl_user(request):
    return {"user": request["context"]["user_id"]}


# --- Python middleware -------------------------------------------------------------


class Tag(Middleware):
    """Adds ``x-tag-order: <name>`` to the handler's response on the way out."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def process_request(self, request, call_next):
        status, headers, body = await call_next(request)
        return status, [*headers, ("x-tag-order", self.name)], body


class Gate(Middleware):
    """Answers by itself, without calling the handler, when ``x-block: 1`` is sent."""

    async def process_request(self, request, call_next):
        if request.headers.get("x-block") == "1":
            return JSON({"blocked": True}, status_code=418)
        return await call_next(request)


class EchoHeader(Middleware):
    """Copies the request's ``x-echo`` header into the response."""

    async def process_request(self, request, call_next):
        status, headers, body = await call_next(request)
        return status, [*headers, ("x-echoed", request.headers.get("x-echo", "<missing>"))], body


@api.get("/mw/tagged")
@middleware(Tag("outer"), Tag("inner"))
async def mw_tagged(request):
    return {"tagged": True}


@api.get("/mw/gate")
@middleware(Gate())
async def mw_gate(request):
    CALLS["gate_handler"] += 1
    return {"handler": True}


@api.get("/mw/gate-guarded", auth=[HS], guards=[IsAuthenticated()])
@middleware(Gate())
async def mw_gate_guarded(request):
    CALLS["gate_handler"] += 1
    return {"handler": True}


@api.get("/mw/echo-bare")
@middleware(EchoHeader())
async def mw_echo_bare():
    return {"bare": True}


# --- Compression (default CompressionConfig: brotli, minimum_size 500) --------------

BIG = {"items": [{"id": i, "text": "compress me please " * 4} for i in range(60)]}


@api.get("/comp/big")
async def comp_big():
    return BIG


@api.get("/comp/text")
async def comp_text(n: int):
    return PlainText("x" * n)


@api.get("/comp/off")
@no_compress
async def comp_off():
    return BIG


@api.get("/comp/sse")
async def comp_sse():
    def events():
        for i in range(20):
            yield f"data: {'event payload ' * 10}{i}\n\n"

    return StreamingResponse(events, media_type="text/event-stream")


@api.get("/comp/stream")
async def comp_stream():
    return StreamingResponse(_chunks, media_type="text/plain")
