"""A WebSocket client over a raw socket, for the tests of the WebSocket server.

It writes frames byte by byte as RFC 6455 describes them, so tests can also send what
a correct client never would: unmasked frames, bad opcodes, oversized control frames,
invalid UTF-8.
"""

from __future__ import annotations

import base64
import os
import socket
import struct
from dataclasses import dataclass

from .runtime_helpers import RawResponse, parse_raw_response

TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeRefused(Exception):
    def __init__(self, response: RawResponse) -> None:
        super().__init__(f"{response.status} {response.body!r}")
        self.response = response


@dataclass
class Frame:
    opcode: int
    payload: bytes
    fin: bool = True

    @property
    def close_code(self) -> int | None:
        return struct.unpack("!H", self.payload[:2])[0] if self.opcode == CLOSE and len(self.payload) >= 2 else None

    @property
    def close_reason(self) -> str:
        return self.payload[2:].decode() if self.opcode == CLOSE else ""


def frame_bytes(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True, rsv: int = 0) -> bytes:
    """One frame as a client sends it (masked unless mask=False)."""
    first = (0x80 if fin else 0) | (rsv << 4) | opcode
    n = len(payload)
    if n < 126:
        head = struct.pack("!BB", first, (0x80 if mask else 0) | n)
    elif n < 65536:
        head = struct.pack("!BBH", first, (0x80 if mask else 0) | 126, n)
    else:
        head = struct.pack("!BBQ", first, (0x80 if mask else 0) | 127, n)
    if mask:
        key = os.urandom(4)
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


class RawWebSocket:
    def __init__(self, sock: socket.socket, response: RawResponse, rest: bytes) -> None:
        self.sock = sock
        self.response = response
        self.buf = rest

    @classmethod
    def connect(cls, port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10.0,
                upgrade: bool = True, early: bytes = b"") -> "RawWebSocket":
        """Open a WebSocket; raises HandshakeRefused with the HTTP answer if refused. `early`
        is sent in the same write as the handshake, before the 101 (which a correct client
        waits for)."""
        sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}"]
        if upgrade:
            lines += ["Connection: Upgrade", "Upgrade: websocket", f"Sec-WebSocket-Key: {key}",
                      "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + early)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        response = parse_raw_response(head + b"\r\n\r\n")
        if response.status != 101:
            want = int(response.headers.get("content-length", "0"))
            while len(rest) < want:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                rest += chunk
            response.body = rest[:want]
            sock.close()
            raise HandshakeRefused(response)
        return cls(sock, response, rest)

    # -- sending ------------------------------------------------------------------

    def send_frame(self, opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bool = True,
                   rsv: int = 0) -> None:
        self.sock.sendall(frame_bytes(opcode, payload, fin=fin, mask=mask, rsv=rsv))

    def send_text(self, text: str) -> None:
        self.send_frame(TEXT, text.encode())

    def send_bytes(self, data: bytes) -> None:
        self.send_frame(BINARY, data)

    def send_close(self, code: int = 1000, reason: str = "") -> None:
        self.send_frame(CLOSE, struct.pack("!H", code) + reason.encode())

    # -- receiving ----------------------------------------------------------------

    def _read(self, n: int) -> bytes:
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self) -> Frame:
        b1, b2 = self._read(2)
        assert not b2 & 0x80, "the server masked a frame"
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read(8))[0]
        return Frame(b1 & 0x0F, self._read(n), bool(b1 & 0x80))

    def recv(self) -> Frame:
        """The next data or close frame; pings are answered, pongs skipped."""
        while True:
            frame = self.recv_frame()
            if frame.opcode == PING:
                self.send_frame(PONG, frame.payload)
                continue
            if frame.opcode == PONG:
                continue
            return frame

    def recv_text(self) -> str:
        frame = self.recv()
        assert frame.opcode == TEXT, f"expected text, got {frame}"
        return frame.payload.decode()

    def expect_close(self) -> Frame:
        """Read until the server's close frame, answer it, and return it."""
        while True:
            frame = self.recv()
            if frame.opcode == CLOSE:
                try:
                    self.send_frame(CLOSE, frame.payload[:2])
                except OSError:
                    pass
                return frame

    def closed_by_server(self) -> bool:
        """True once the server has closed the TCP connection."""
        try:
            while True:
                chunk = self.sock.recv(65536)
                if not chunk:
                    return True
        except (ConnectionResetError, BrokenPipeError):
            return True

    def close(self) -> None:
        self.sock.close()
