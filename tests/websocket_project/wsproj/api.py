"""WebSocket routes the tests drive over real sockets, and HTTP routes that report what
the handlers saw."""
import asyncio
from typing import Annotated

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect
from django_bolt.auth import IsAuthenticated, IsStaff, JWTAuthentication
from django_bolt.middleware import rate_limit
from django_bolt.params import Depends, Header

SECRET = "websocket-tests-secret-of-32-bytes-or-more"
JWT = JWTAuthentication(secret=SECRET, algorithms=["HS256"])

api = BoltAPI()

# What handlers saw, by the token the test passed in the query string.
seen: dict[str, dict] = {}


@api.get("/")
async def index():
    return {"ok": True}


@api.get("/seen")
async def get_seen(token: str):
    return seen.get(token, {})


@api.websocket("/ws/echo")
async def echo(ws: WebSocket):
    await ws.accept()
    while True:
        message = await ws.receive()
        if "text" in message:
            await ws.send_text(message["text"])
        else:
            await ws.send_bytes(message["bytes"])


@api.websocket("/ws/rooms/{room}")
async def room(ws: WebSocket, room: int, nick: str = "anon"):
    await ws.accept()
    async for text in ws.iter_text():
        await ws.send_json({"room": room, "from": nick, "text": text})


def caller(x_caller: Annotated[str, Header()] = "nobody") -> str:
    return x_caller.upper()


@api.websocket("/ws/bind/{n}")
async def bind(ws: WebSocket, n: int, flag: bool = False, who: str = Depends(caller)):
    await ws.accept()
    await ws.send_json({"n": n, "flag": flag, "who": who, "path": ws.path, "query": ws.query_params,
                        "client": list(ws.client) if ws.client else None})
    await ws.close()


@api.websocket("/ws/refuse")
async def refuse(ws: WebSocket):
    await ws.close(4403, "not today")


@api.websocket("/ws/record")
async def record(ws: WebSocket, token: str):
    await ws.accept()
    try:
        while True:
            await ws.receive_text()
    except WebSocketDisconnect as exc:
        seen[token] = {"code": exc.code, "reason": exc.reason}


@api.websocket("/ws/boom")
async def boom(ws: WebSocket):
    await ws.accept()
    await ws.receive_text()
    raise RuntimeError("handler failed on purpose")


@api.websocket("/ws/returns")
async def returns(ws: WebSocket):
    await ws.accept()
    await ws.send_text("bye")


@api.websocket("/ws/subprotocol")
async def subprotocol(ws: WebSocket):
    await ws.accept(subprotocol="chat.v2", headers={"x-room": "lobby"})
    await ws.send_text(ws.accepted_subprotocol or "")


@api.websocket("/ws/auth", auth=[JWT], guards=[IsAuthenticated()])
async def authenticated(ws: WebSocket):
    await ws.accept()
    await ws.send_json({"user_id": ws.context.get("user_id"), "backend": ws.context.get("auth_backend")})
    async for text in ws.iter_text():
        await ws.send_text(text)


@api.websocket("/ws/staff", auth=[JWT], guards=[IsStaff()])
async def staff(ws: WebSocket):
    await ws.accept()


@api.websocket("/ws/limited")
@rate_limit(rps=1, burst=1)
async def limited(ws: WebSocket):
    await ws.accept()
    await ws.close()


@api.websocket("/ws/sleepy")
async def sleepy(ws: WebSocket):
    """Accepts, then never reads: its inbound queue fills up."""
    await ws.accept()
    await asyncio.sleep(3600)


@api.websocket("/ws/firehose")
async def firehose(ws: WebSocket):
    """Sends without pause to a client that may not read."""
    await ws.accept()
    chunk = "x" * 65536
    while True:  # ends with WebSocketDisconnect once the server gives up on the client
        await ws.send_text(chunk)
        await asyncio.sleep(0)


@api.websocket("/ws/hold")
async def hold(ws: WebSocket, token: str):
    await ws.accept()
    seen[token] = {"open": True}
    try:
        while True:
            await ws.receive()
    except WebSocketDisconnect as exc:
        seen[token] = {"code": exc.code, "reason": exc.reason}


@api.websocket("/ws/never-reads")
async def never_reads(ws: WebSocket, token: str):
    """Accepts, then only waits on something else: it never learns of a disconnect from
    receive() or send(), so the server cancels it."""
    await ws.accept()
    seen[token] = {"open": True}
    try:
        await asyncio.sleep(3600)
    except asyncio.CancelledError:
        seen[token] = {"cancelled": True}
        raise
