"""Response classes a handler may return.

Plain values need no class: a ``dict``/``list``/Struct becomes JSON, ``str`` becomes
text and ``bytes`` an octet stream (see ``serialization``). These classes set a status,
headers or media type explicitly, or describe a body the Go core produces itself:
``FileResponse`` is sent from disk by Go and ``StreamingResponse`` is pulled chunk by
chunk while the client reads. Every class has ``set_cookie`` and ``delete_cookie``
(see ``cookies``).
"""

from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Any

from .cookies import CookieMixin
from .uploads import UploadFile

__all__ = [
    "Response",
    "JSON",
    "PlainText",
    "HTML",
    "Redirect",
    "File",
    "UploadFile",
    "FileResponse",
    "StreamingResponse",
    "initialize_file_response_settings",
]


class Response(CookieMixin):
    """A body with an explicit status, headers and media type.

    ``content`` is JSON-encoded when ``media_type`` is ``application/json``; otherwise a
    ``str`` is sent as UTF-8, ``bytes`` as they are, anything else as ``str(content)``.
    """

    def __init__(
        self,
        content: Any = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
        media_type: str = "application/json",
    ) -> None:
        self.content = {} if content is None else content
        self.status_code = status_code
        self.headers = headers or {}
        self.media_type = media_type


class JSON(CookieMixin):
    """``data`` encoded as JSON with msgspec."""

    def __init__(self, data: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.data = data
        self.status_code = status_code
        self.headers = headers or {}


class PlainText(CookieMixin):
    def __init__(self, text: str, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.text = text
        self.status_code = status_code
        self.headers = headers or {}


class HTML(CookieMixin):
    def __init__(self, html: str, status_code: int = 200, headers: dict[str, str] | None = None) -> None:
        self.html = html
        self.status_code = status_code
        self.headers = headers or {}


class Redirect(CookieMixin):
    def __init__(self, url: str, status_code: int = 307, headers: dict[str, str] | None = None) -> None:
        self.url = url
        self.status_code = status_code
        self.headers = headers or {}


class File(CookieMixin):
    """A download built in memory: ``path`` names a file read when the response is
    built, or is the content itself when it is ``bytes`` (``File(content,
    filename="report.pdf")``). For large files prefer ``FileResponse``."""

    def __init__(
        self,
        path: str | os.PathLike | bytes,
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        if isinstance(path, (bytes, bytearray, memoryview)):
            self.path, self.content = None, bytes(path)
        else:
            self.path, self.content = os.fspath(path), None
        self.media_type = media_type
        self.filename = filename
        self.status_code = status_code
        self.headers = headers or {}


# Directories FileResponse may serve from; None means unrestricted. Read from the
# BOLT_ALLOWED_FILE_PATHS setting by initialize_file_response_settings().
_allowed_file_roots: tuple[Path, ...] | None = None


def initialize_file_response_settings() -> None:
    """Read ``BOLT_ALLOWED_FILE_PATHS`` once; the server calls this at start-up."""
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    global _allowed_file_roots
    value = getattr(settings, "BOLT_ALLOWED_FILE_PATHS", None)
    if value is None:
        _allowed_file_roots = None
        return
    if isinstance(value, (str, os.PathLike)) or not all(isinstance(v, (str, os.PathLike)) for v in value):
        raise ImproperlyConfigured(
            "BOLT_ALLOWED_FILE_PATHS must be a list of directories, e.g. [BASE_DIR / 'media']"
        )
    _allowed_file_roots = tuple(Path(v).resolve() for v in value)


def checked_file_path(path: str | os.PathLike) -> str:
    """The resolved path of a file a response may read or send.

    A missing path or one that is not a regular file raises ``FileNotFoundError`` (404),
    a path outside ``BOLT_ALLOWED_FILE_PATHS`` ``PermissionError`` (403); their messages
    name the path, so clients see them only with ``DEBUG``. The constructors and the
    serializer both call it, so a path changed after construction is checked too.
    """
    resolved = _regular_file(path)
    roots = _allowed_file_roots
    if roots is not None and not any(resolved.is_relative_to(root) for root in roots):
        raise PermissionError(
            errno.EACCES,
            "File path is not within allowed directories; configure BOLT_ALLOWED_FILE_PATHS in Django settings",
            str(resolved),
        )
    return str(resolved)


class FileResponse(CookieMixin):
    """A file the Go core sends from disk (with Range, ETag and conditional requests).

    The path is checked here, when the handler builds the response: a missing file or
    one that is not a regular file raises ``FileNotFoundError`` (404), a path outside
    ``BOLT_ALLOWED_FILE_PATHS`` raises ``PermissionError`` (403). Their messages name
    the path, so clients see them only with ``DEBUG``.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        media_type: str | None = None,
        filename: str | None = None,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> None:
        self._set(Path(checked_file_path(path)), media_type, filename, status_code, headers)

    def _set(self, resolved: Path, media_type: str | None, filename: str | None, status_code: int,
             headers: dict[str, str] | None) -> None:
        self.path = str(resolved)
        self.media_type = media_type
        self.filename = filename
        self.status_code = status_code
        self.headers = headers or {}


def _regular_file(path: str | os.PathLike) -> Path:
    """``path`` resolved; a missing path, a directory, a FIFO or a device is not found
    (404). The error carries the path, shown to clients only with ``DEBUG``."""
    resolved = Path(path).resolve()
    if not resolved.exists():
        raise FileNotFoundError(errno.ENOENT, "File not found", str(path))
    if not resolved.is_file():
        raise FileNotFoundError(errno.ENOENT, "Not a regular file", str(path))
    return resolved


class StreamingResponse(CookieMixin):
    """A body produced while the client reads it.

    ``content`` is a sync or async iterator/generator, any iterable, or a zero-argument
    callable returning one (e.g. a generator function). Chunks may be ``bytes``,
    ``bytearray``, ``memoryview`` or ``str``. ``media_type="text/event-stream"`` adds
    the headers that keep proxies from buffering server-sent events.
    """

    def __init__(
        self,
        content: Any,
        *,
        status_code: int = 200,
        media_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.content = content
        self.status_code = status_code
        self.media_type = media_type or "application/octet-stream"
        self.headers = headers or {}
