"""FastAPI peer of the WebSocket benchmark: the example project's chat room."""
from collections import defaultdict

from fastapi import FastAPI, WebSocket, WebSocketDisconnect

app = FastAPI()
rooms: dict[int, set[WebSocket]] = defaultdict(set)


@app.get("/")
async def index():
    return {"ok": True}


@app.websocket("/ws/rooms/{room}")
async def chat_room(websocket: WebSocket, room: int, nick: str = "anon"):
    await websocket.accept()
    rooms[room].add(websocket)
    try:
        while True:
            text = await websocket.receive_text()
            for member in list(rooms[room]):
                await member.send_json({"room": room, "from": nick, "text": text})
    except WebSocketDisconnect:
        pass
    finally:
        rooms[room].discard(websocket)
