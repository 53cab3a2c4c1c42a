"""WebSocket examples: a chat room and an authenticated echo.

The Go core checks every upgrade before Python runs (upgrade headers, connection
cap, Origin against the CORS settings, the JWT, the guards); frames are read and
written in Go and whole messages reach these handlers on the event loop.

Rooms live in this process's memory: with ``runbolt --processes N`` each process has
its own rooms (share them through Redis pub/sub or similar to span processes).
"""
from collections import defaultdict

from django_bolt import BoltAPI, WebSocket, WebSocketDisconnect
from django_bolt.auth import IsAuthenticated, JWTAuthentication

api = BoltAPI()

# Open sockets by room number.
rooms: dict[int, set[WebSocket]] = defaultdict(set)


async def broadcast(room: int, message: dict) -> None:
    for member in list(rooms[room]):
        try:
            await member.send_json(message)
        except (WebSocketDisconnect, RuntimeError):
            rooms[room].discard(member)


@api.websocket("/ws/rooms/{room}")
async def chat_room(websocket: WebSocket, room: int, nick: str = "anon"):
    """Everyone in room ``room`` receives every message as ``{"room", "from", "text"}``."""
    await websocket.accept()
    rooms[room].add(websocket)
    try:
        async for text in websocket.iter_text():
            await broadcast(room, {"room": room, "from": nick, "text": text})
    finally:
        rooms[room].discard(websocket)
        if not rooms[room]:
            del rooms[room]


@api.websocket("/ws/echo", auth=[JWTAuthentication()], guards=[IsAuthenticated()])
async def authenticated_echo(websocket: WebSocket):
    """Echoes text back to the user the JWT (``Authorization: Bearer``) names."""
    await websocket.accept()
    user_id = websocket.context.get("user_id")
    async for text in websocket.iter_text():
        await websocket.send_json({"user_id": user_id, "echo": text})
