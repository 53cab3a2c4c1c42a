"""WebSocket routes in the OpenAPI document: a GET operation marked ``x-websocket``."""

from __future__ import annotations

from typing import Annotated

from openapi_spec_validator import validate

from django_bolt import BoltAPI, WebSocket
from django_bolt.auth import IsAuthenticated, JWTAuthentication
from django_bolt.openapi import OpenAPIConfig
from django_bolt.openapi.schema_generator import SchemaGenerator
from django_bolt.params import Header

api = BoltAPI()


@api.get("/items")
async def items():
    return []


@api.websocket("/ws/rooms/{room}", auth=[JWTAuthentication(secret="s" * 32)], guards=[IsAuthenticated()])
async def room(ws: WebSocket, room: int, nick: str = "anon", x_trace: Annotated[str | None, Header()] = None):
    """Join a chat room.

    Every message is broadcast to the room."""


@api.websocket("/ws/plain")
async def plain(ws: WebSocket):
    pass


def test_websocket_operations():
    doc = SchemaGenerator(api, OpenAPIConfig(title="t", version="1")).generate().to_schema()
    validate(doc)
    item = doc["paths"]["/ws/rooms/{room}"]
    assert item["x-websocket"] is True
    op = item["get"]
    assert op["operationId"] == "websocket_room"
    assert op["summary"] == "WebSocket: Join a chat room."
    assert op["description"] == "Every message is broadcast to the room."
    assert "WebSocket" in op["tags"]
    params = {(p["in"], p["name"]): p for p in op["parameters"]}
    assert params[("header", "Upgrade")]["required"] and params[("header", "Connection")]["required"]
    assert params[("path", "room")]["schema"]["type"] == "integer"
    assert ("query", "nick") in params and ("header", "x-trace") in params
    assert {"101", "400", "401", "403"} <= set(op["responses"])
    assert op["security"] == [{"BearerAuth": []}]
    plain_op = doc["paths"]["/ws/plain"]["get"]
    assert plain_op["summary"] == "WebSocket Connection"
    assert "x-websocket" not in doc["paths"]["/items"]
