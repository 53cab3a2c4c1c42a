"""Request bodies for the POST/PUT endpoints. Deterministic, so every run and every
server receives the same bytes."""
from __future__ import annotations

import json
import os
from urllib.parse import urlencode

JSON = "application/json"


def item() -> tuple[bytes, str]:
    return json.dumps({"name": "widget", "price": 9.99, "is_offer": True}).encode(), JSON


def bench_parse(entries: int = 90) -> tuple[bytes, str]:
    """A ~10 KB document of the BenchPayload shape (testproject/api.py): a header,
    `entries` records with a nested author, and some tags and metadata."""
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    doc = {
        "title": "Quarterly report",
        "entries": [
            {
                "id": i,
                "title": f"E{i}",
                "score": round(i * 0.37 % 10, 2),
                "published": i % 3 != 0,
                "author": {"id": i % 12, "name": f"A{i % 12}", "email": f"a{i % 12}@ex.io"},
                "tags": [words[i % 8]],
            }
            for i in range(entries)
        ],
        "tags": words,
        "metadata": {f"key{i}": f"value {i}" for i in range(8)},
    }
    return json.dumps(doc, separators=(",", ":")).encode(), JSON


def form() -> tuple[bytes, str]:
    body = urlencode({"name": "Alice", "age": "30", "email": "alice@example.com"})
    return body.encode(), "application/x-www-form-urlencoded"


BOUNDARY = "benchBoundary7MA4YWxkTrZu0gW"


def upload(size: int = 1024) -> tuple[bytes, str]:
    """multipart/form-data with one 1 KiB text file in the field "file"."""
    content = (b"0123456789abcdef" * (size // 16 + 1))[:size]
    body = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="file"; filename="report.txt"\r\n'
        "Content-Type: text/plain\r\n\r\n"
    ).encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()
    return body, f"multipart/form-data; boundary={BOUNDARY}"


def jwt_token() -> str:
    """A day-long HS256 token for user 1, signed like the example project signs them
    (its SECRET_KEY: DJANGO_SECRET_KEY or the project's development default)."""
    import time

    import jwt

    secret = os.environ.get("DJANGO_SECRET_KEY", "dev-insecure-testproject-key-do-not-use-in-production")
    now = int(time.time())
    return jwt.encode({"sub": "1", "iat": now, "exp": now + 86400, "username": "bench"}, secret, algorithm="HS256")


# The session the session rows read: a row in Django's session table (the example and
# neutral projects, made by bench/run.py before the run) whose key is this cookie, and
# the same key in Litestar's session store.
SESSION_KEY = "benchsession0000000000000000000"
SESSION_DATA = {"visits": 3}
# Starlette keeps the session in the cookie itself, signed with this key (the FastAPI
# peer's SessionMiddleware secret).
STARLETTE_SESSION_SECRET = "bench-starlette-session-secret"


def starlette_session_cookie() -> str:
    """The value of Starlette's signed "session" cookie holding SESSION_DATA, as
    itsdangerous' TimestampSigner makes it (HMAC-SHA1, key derived "django-concat"
    style, salt "itsdangerous.Signer"); valid for the middleware's max_age (14 days)."""
    import base64
    import hashlib
    import hmac
    import time

    def b64(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    value = base64.b64encode(json.dumps(SESSION_DATA).encode())
    now = int(time.time())
    stamped = value + b"." + b64(now.to_bytes((now.bit_length() + 7) // 8, "big"))
    key = hashlib.sha1(b"itsdangerous.Signer" + b"signer" + STARLETTE_SESSION_SECRET.encode()).digest()
    return (stamped + b"." + b64(hmac.new(key, stamped, hashlib.sha1).digest())).decode()


def session_cookies() -> str:
    """The Cookie header of the session rows: Django's and Litestar's session id, and
    Starlette's signed session (each server reads only its own)."""
    return f"sessionid={SESSION_KEY}; session={starlette_session_cookie()}"
