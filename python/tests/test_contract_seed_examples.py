"""The Python examples of the original project's description, run as written.

Each ``example_*`` function holds one example's code unchanged (only indented), and the
tests call its routes through the in-process client.
"""

import asyncio
from typing import Annotated

import jwt
import msgspec
import pytest

import contract_helpers
from contract_helpers import SECRET_KEY
from django_bolt.testing import TestClient

# The examples use short HMAC secrets ("...", the test SECRET_KEY).
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


# ---------------------------------------------------------------------------------
# "Route Definition"

def example_route_definition():
    from django_bolt import BoltAPI
    import msgspec

    api = BoltAPI()

    # Path parameters
    @api.get("/items/{item_id}")
    async def get_item(item_id: int):
        return {"item_id": item_id}

    # Request body with validation
    class Item(msgspec.Struct):
        name: str
        price: float

    @api.post("/items", response_model=Item)
    async def create_item(item: Item) -> Item:
        # item is already validated
        return item

    # HEAD and OPTIONS methods
    @api.head("/items/{item_id}")
    async def head_item(item_id: int):
        # Returns headers only (same as GET but no body)
        return {"item_id": item_id}

    @api.options("/items")
    async def options_items():
        # Custom OPTIONS handler
        return {"methods": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]}

    return api


@pytest.fixture(scope="module")
def route_client():
    with TestClient(example_route_definition()) as c:
        yield c


def test_route_definition_path_param(route_client):
    r = route_client.get("/items/5")
    assert r.status_code == 200
    assert r.json() == {"item_id": 5}


def test_route_definition_body(route_client):
    r = route_client.post("/items", json={"name": "Widget", "price": 9.99})
    assert r.status_code == 200
    assert r.json() == {"name": "Widget", "price": 9.99}


def test_route_definition_body_validation(route_client):
    r = route_client.post("/items", json={"name": "Widget", "price": "free"})
    assert r.status_code == 422
    assert r.json()["detail"][0]["loc"] == ["body", "price"]


def test_route_definition_head(route_client):
    r = route_client.head("/items/5")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["content-type"] == "application/json"


def test_route_definition_options(route_client):
    r = route_client.options("/items")
    assert r.status_code == 200
    assert r.json() == {"methods": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]}


def test_route_definition_head_and_options_reject_body_params():
    # "HEAD and OPTIONS methods cannot have body parameters (like GET/DELETE)."
    from django_bolt import BoltAPI

    class Item(msgspec.Struct):
        name: str

    api = BoltAPI()
    for method in ("head", "options", "get", "delete"):
        with pytest.raises(TypeError):
            @getattr(api, method)("/with-body")
            async def handler(item: Item):
                return {}


# ---------------------------------------------------------------------------------
# "Authentication & Guards"

def example_auth_guards():
    from django_bolt import BoltAPI

    api = BoltAPI()

    from django_bolt.auth import JWTAuthentication, IsAuthenticated, HasPermission

    @api.get("/protected", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def protected_route(request):
        auth = request.get("auth", {})
        user_id = auth.get("user_id")
        return {"user_id": user_id}

    @api.get("/can-edit", auth=[JWTAuthentication()], guards=[HasPermission("blog.change_post")])
    async def can_edit(request):
        return {"ok": True}

    return api


def bearer(claims: dict, secret: str = SECRET_KEY) -> dict:
    payload = {"exp": 4102444800, **claims}  # 2100-01-01
    return {"Authorization": f"Bearer {jwt.encode(payload, secret, algorithm='HS256')}"}


@pytest.fixture(scope="module")
def auth_client():
    with TestClient(example_auth_guards()) as c:
        yield c


def test_auth_protected_with_token(auth_client):
    r = auth_client.get("/protected", headers=bearer({"sub": "42"}))
    assert r.status_code == 200
    assert r.json() == {"user_id": "42"}


def test_auth_protected_without_token(auth_client):
    r = auth_client.get("/protected")
    assert r.status_code == 401
    assert r.json() == {"detail": "Authentication required"}


def test_auth_protected_bad_signature(auth_client):
    assert auth_client.get("/protected", headers=bearer({"sub": "1"}, secret="wrong-secret")).status_code == 401


def test_auth_has_permission(auth_client):
    allowed = auth_client.get("/can-edit", headers=bearer({"sub": "1", "permissions": ["blog.change_post"]}))
    assert allowed.status_code == 200
    denied = auth_client.get("/can-edit", headers=bearer({"sub": "1", "permissions": ["blog.view_post"]}))
    assert denied.status_code == 403
    assert denied.json() == {"detail": "Permission denied"}


# ---------------------------------------------------------------------------------
# "Adding Authentication"

def example_adding_authentication():
    from django_bolt import BoltAPI
    from django_bolt.auth import JWTAuthentication, IsAuthenticated

    api = BoltAPI()

    # 1. Configure auth backend: JWTAuthentication(secret_key="...", algorithm="HS256")
    backend = JWTAuthentication(secret_key="...", algorithm="HS256")

    # 2. Add to route: @api.get("/path", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    @api.get("/path", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
    async def path_route(request):
        # 3. Auth context available in handler via request.get("auth", {})
        return {"user_id": request.get("auth", {}).get("user_id")}

    @api.get("/custom-secret", auth=[backend], guards=[IsAuthenticated()])
    async def custom_secret(request):
        return {"user_id": request.get("auth", {}).get("user_id")}

    return api


def test_adding_authentication_steps():
    with TestClient(example_adding_authentication()) as c:
        assert c.get("/path").status_code == 401
        assert c.get("/path", headers=bearer({"sub": "7"})).json() == {"user_id": "7"}
        assert c.get("/custom-secret", headers=bearer({"sub": "8"}, secret="...")).json() == {"user_id": "8"}
        assert c.get("/custom-secret", headers=bearer({"sub": "8"})).status_code == 401


def test_create_jwt_for_user_with_exp_hours():
    contract_helpers.migrate_once()
    from django.contrib.auth.models import User

    from django_bolt.auth import create_jwt_for_user

    user, _ = User.objects.get_or_create(username="example-jwt-user")
    token = create_jwt_for_user(user, exp_hours=24)
    with TestClient(example_adding_authentication()) as c:
        r = c.get("/path", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert r.json() == {"user_id": str(user.pk)}


# ---------------------------------------------------------------------------------
# "Parameter Extraction & Validation" (the request-flow list)

def example_parameter_extraction():
    from django_bolt import BoltAPI
    from django_bolt.auth import JWTAuthentication, get_current_user
    from django_bolt.params import Cookie, Depends, File, Form, Header

    api = BoltAPI()

    class Order(msgspec.Struct):
        sku: str
        quantity: int

    # Path params: {user_id} → function arg; Query params: ?page=1 → optional function arg
    @api.get("/users/{user_id}")
    async def get_user(user_id: int, page: int = 1):
        return {"user_id": user_id, "page": page}

    # Headers: Annotated[str, Header("x-api-key")]
    @api.get("/key")
    async def key(api_key: Annotated[str, Header("x-api-key")]):
        return {"api_key": api_key}

    # Cookies: Annotated[str, Cookie("session")]
    @api.get("/session")
    async def session(session: Annotated[str, Cookie("session")]):
        return {"session": session}

    # Form: Annotated[str, Form("username")]
    @api.post("/login")
    async def login(username: Annotated[str, Form("username")]):
        return {"username": username}

    # Files: Annotated[bytes, File("upload")]
    @api.post("/upload")
    async def upload(upload: Annotated[bytes, File("upload")]):
        return {"size": len(upload), "content": upload.decode()}

    # Body: msgspec.Struct → validation
    @api.post("/orders")
    async def order(order: Order):
        return {"sku": order.sku, "quantity": order.quantity}

    # Dependencies: Depends(get_current_user)
    @api.get("/me", auth=[JWTAuthentication()])
    async def me(user=Depends(get_current_user)):
        return {"username": None if user is None else user.username}

    return api


@pytest.fixture(scope="module")
def extraction_client():
    with TestClient(example_parameter_extraction()) as c:
        yield c


def test_extraction_path_and_query(extraction_client):
    assert extraction_client.get("/users/3").json() == {"user_id": 3, "page": 1}
    assert extraction_client.get("/users/3?page=2").json() == {"user_id": 3, "page": 2}


def test_extraction_header(extraction_client):
    assert extraction_client.get("/key", headers={"x-api-key": "abc"}).json() == {"api_key": "abc"}
    assert extraction_client.get("/key").status_code == 422


def test_extraction_cookie(extraction_client):
    assert extraction_client.get("/session", headers={"Cookie": "session=s1"}).json() == {"session": "s1"}


def test_extraction_form(extraction_client):
    assert extraction_client.post("/login", data={"username": "ann"}).json() == {"username": "ann"}


def test_extraction_file_bytes(extraction_client):
    r = extraction_client.post("/upload", files={"upload": ("u.txt", b"uploaded!", "text/plain")})
    assert r.json() == {"size": 9, "content": "uploaded!"}


def test_extraction_struct_body(extraction_client):
    assert extraction_client.post("/orders", json={"sku": "A1", "quantity": 2}).json() == {"sku": "A1",
                                                                                         "quantity": 2}
    assert extraction_client.post("/orders", json={"sku": "A1"}).status_code == 422


def test_extraction_depends_get_current_user(extraction_client):
    contract_helpers.migrate_once()
    from django.contrib.auth.models import User

    user, _ = User.objects.get_or_create(username="example-current-user")
    r = extraction_client.get("/me", headers=bearer({"sub": str(user.pk)}))
    assert r.json() == {"username": "example-current-user"}
    assert extraction_client.get("/me").json() == {"username": None}


# ---------------------------------------------------------------------------------
# "Response Types"

def example_response_types(path, content):
    from django_bolt import BoltAPI, StreamingResponse
    from django_bolt.responses import HTML, File, FileResponse, PlainText, Redirect

    api = BoltAPI()

    async def async_generator():
        for i in range(3):
            await asyncio.sleep(0)
            yield f"data: {i}\n\n"

    @api.get("/json")
    async def json_default():
        # JSON (default): Return dict/list, serialized with msgspec
        return {"items": [1, 2, 3]}

    @api.get("/plaintext")
    async def plaintext():
        return PlainText("Hello")

    @api.get("/html")
    async def html():
        return HTML("<h1>Hello</h1>")

    @api.get("/redirect")
    async def redirect():
        return Redirect("/new-location")

    @api.get("/file")
    async def file():
        return File(content, filename="download.pdf")

    @api.get("/fileresponse")
    async def fileresponse():
        return FileResponse(path, filename="doc.pdf")

    @api.get("/stream")
    async def stream():
        return StreamingResponse(async_generator(), media_type="text/event-stream")

    return api


PDF = b"%PDF-1.4\n% contract test\n"


@pytest.fixture(scope="module")
def response_client(tmp_path_factory):
    pdf = tmp_path_factory.mktemp("examples") / "doc.pdf"
    pdf.write_bytes(PDF)
    # The seed writes File(content, ...): the bytes themselves.
    with TestClient(example_response_types(str(pdf), PDF)) as c:
        yield c


def test_response_json_default(response_client):
    r = response_client.get("/json")
    assert r.headers["content-type"] == "application/json"
    assert r.json() == {"items": [1, 2, 3]}


def test_response_plaintext(response_client):
    r = response_client.get("/plaintext")
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert r.text == "Hello"


def test_response_html(response_client):
    r = response_client.get("/html")
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.text == "<h1>Hello</h1>"


def test_response_redirect(response_client):
    r = response_client.get("/redirect", follow_redirects=False)
    assert r.status_code == 307
    assert r.headers["location"] == "/new-location"


def test_response_file(response_client):
    r = response_client.get("/file")
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="download.pdf"'


def test_response_fileresponse(response_client):
    r = response_client.get("/fileresponse")
    assert r.status_code == 200
    assert r.content == PDF
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == 'attachment; filename="doc.pdf"'


def test_response_streaming_sse(response_client):
    r = response_client.get("/stream")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/event-stream")
    assert r.headers["x-accel-buffering"] == "no"
    assert r.text == "data: 0\n\ndata: 1\n\ndata: 2\n\n"


# ---------------------------------------------------------------------------------
# "Middleware"

def example_middleware():
    from django_bolt import BoltAPI, cors, rate_limit, skip_middleware

    # Global middleware: Applied via BoltAPI(middleware_config={...})
    api = BoltAPI(middleware_config={
        "cors": {"origins": ["https://global.example.com"]},
    })

    @api.get("/global")
    async def global_cors():
        return {"scope": "global"}

    # Per-route middleware: Applied via decorators (@cors, @rate_limit)
    @api.get("/route")
    @cors(origins=["https://route.example.com"])
    @rate_limit(rps=1, burst=2)
    async def route_level():
        return {"scope": "route"}

    # Skip middleware: Use @skip_middleware("cors", "rate_limit") to selectively disable
    @api.get("/skipped")
    @skip_middleware("cors", "rate_limit")
    async def skipped():
        return {"scope": "none"}

    return api


def test_middleware_from_auth_module_import():
    from django_bolt import cors as top_cors, rate_limit as top_rate_limit
    from django_bolt.auth import cors, rate_limit

    assert callable(cors) and callable(rate_limit)
    assert cors is top_cors and rate_limit is top_rate_limit


def test_middleware_global_cors():
    with TestClient(example_middleware(), use_http_layer=True) as c:
        r = c.get("/global", headers={"Origin": "https://global.example.com"})
        assert r.headers["access-control-allow-origin"] == "https://global.example.com"


def test_middleware_route_overrides_global():
    with TestClient(example_middleware(), use_http_layer=True) as c:
        r = c.options("/route", headers={"Origin": "https://route.example.com",
                                         "Access-Control-Request-Method": "GET"})
        assert r.status_code == 204
        assert r.headers["access-control-allow-origin"] == "https://route.example.com"
        statuses = [c.get("/route").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]


def test_middleware_skip():
    with TestClient(example_middleware(), use_http_layer=True) as c:
        r = c.get("/skipped", headers={"Origin": "https://global.example.com"})
        assert r.status_code == 200
        assert "access-control-allow-origin" not in r.headers
