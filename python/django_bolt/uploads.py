"""Uploaded files of a ``multipart/form-data`` request.

The whole body is already in memory when the handler runs (the server
enforces the size limit before Python sees it), so an ``UploadFile`` wraps
bytes that are already there: ``read()`` is a plain synchronous call.

    async def upload(avatar: Annotated[UploadFile, File()]):
        data = avatar.read()
        return {"name": avatar.filename, "type": avatar.content_type, "size": avatar.size}

``file`` is a ``BytesIO`` over the content, for APIs that want a file object
(Django's ``File(upload.file, name=upload.filename)`` for storage backends).
"""

from __future__ import annotations

import io

__all__ = ["UploadFile"]


class UploadFile:
    """One file part: its name and type as the client sent them, and its bytes."""

    __slots__ = ("filename", "content_type", "headers", "file", "_size")

    def __init__(
        self,
        filename: str,
        content_type: str | None,
        content: bytes,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.filename = filename
        self.content_type = content_type
        #: The part's own headers, names lower-cased.
        self.headers = {} if headers is None else headers
        self.file = io.BytesIO(content)
        self._size = len(content)

    @property
    def size(self) -> int:
        return self._size

    def read(self, size: int = -1) -> bytes:
        """Read from the current position; everything by default."""
        return self.file.read(size)

    def seek(self, offset: int) -> int:
        return self.file.seek(offset)

    def as_dict(self) -> dict:
        """``{"filename", "content_type", "size", "content"}``, what a ``dict``
        file parameter receives."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self._size,
            "content": self.file.getvalue(),
        }

    def __repr__(self) -> str:
        return f"<UploadFile {self.filename!r} {self.content_type} {self._size} bytes>"
