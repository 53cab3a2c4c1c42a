"""``UploadFile``: one uploaded file, in memory while small, on disk when large.

    @api.post("/avatar")
    async def avatar(img: Annotated[UploadFile, File(max_size=FileSize.MB_2, allowed_types=["image/*"])]):
        data = await img.read()          # or, in a def handler, img.read()
        return {"name": img.filename, "type": img.content_type, "size": img.size}

The content lives in a ``SpooledTemporaryFile``: in memory up to
``BOLT_MEMORY_SPOOL_THRESHOLD`` bytes (1 MiB by default), in a temporary file
beyond, written as the multipart body is read, so a large upload is never
held whole in memory. Every upload of a request is closed (its temporary
file removed) after the handler returns.

``read``, ``seek``, ``write`` and ``close`` work both ways: called plainly
they act at once and return their result; the result may also be awaited
(``await upload.read()``), as the async API of other frameworks expects. The
file is local, so there is nothing to wait for in either case.
"""

from __future__ import annotations

import tempfile
from typing import Any

__all__ = ["UploadFile"]

DEFAULT_SPOOL_THRESHOLD = 1024 * 1024


def _ready(value: Any) -> Any:
    return value
    yield  # a generator: awaiting it returns value at once


class _AwaitableBytes(bytes):
    """Bytes that may also be awaited (giving themselves)."""

    __slots__ = ()

    def __await__(self):
        return _ready(bytes(self))


class _AwaitableInt(int):
    __slots__ = ()

    def __await__(self):
        return _ready(int(self))


class _Done:
    """The result of ``close()``: nothing, but awaitable."""

    __slots__ = ()

    def __await__(self):
        return _ready(None)

    def __bool__(self) -> bool:
        return False

    def __repr__(self) -> str:
        return "None"


_DONE = _Done()


class UploadFile:
    """One file part: the name and type the client sent, its headers and content."""

    __slots__ = ("filename", "content_type", "headers", "size", "_file", "_django_file")

    def __init__(
        self,
        filename: str,
        content_type: str | None = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        *,
        spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
    ) -> None:
        self.filename = filename
        self.content_type = content_type or "application/octet-stream"
        #: The part's own headers, names lower-cased.
        self.headers = {} if headers is None else headers
        self.size = 0
        self._file = tempfile.SpooledTemporaryFile(max_size=spool_threshold, prefix="bolt-upload-")
        self._django_file = None
        if content:
            self._append(content)
            self._file.seek(0)

    def _append(self, chunk: bytes) -> None:
        """Add content while the body is read (the position is left at the end)."""
        self._file.write(chunk)
        self.size += len(chunk)

    # -- file operations (sync, or awaited) ---------------------------------------

    def read(self, size: int = -1) -> bytes:
        """Read from the current position; everything by default."""
        return _AwaitableBytes(self._file.read(size))

    def seek(self, offset: int, whence: int = 0) -> int:
        return _AwaitableInt(self._file.seek(offset, whence))

    def write(self, data: bytes) -> int:
        written = self._file.write(data)
        self.size = max(self.size, self._file.tell())
        return _AwaitableInt(written)

    def close(self) -> Any:
        self._file.close()
        return _DONE

    def close_sync(self) -> None:
        self._file.close()

    # -- views ---------------------------------------------------------------------

    @property
    def raw_file(self) -> Any:
        """The underlying ``SpooledTemporaryFile``."""
        return self._file

    @property
    def file(self) -> Any:
        """A Django ``File`` over the content (``model.avatar.save(up.filename, up.file)``)."""
        if self._django_file is None:
            from django.core.files import File as DjangoFile

            self._django_file = DjangoFile(self._file, name=self.filename)
        return self._django_file

    @property
    def rolled_to_disk(self) -> bool:
        """True once the content went to a temporary file."""
        return bool(getattr(self._file, "_rolled", False))

    @property
    def closed(self) -> bool:
        return self._file.closed

    def as_dict(self) -> dict:
        """``{"filename", "content_type", "size", "content"}``, what a ``dict``
        file parameter receives."""
        return {
            "filename": self.filename,
            "content_type": self.content_type,
            "size": self.size,
            "content": self.getvalue(),
        }

    def getvalue(self) -> bytes:
        """The whole content, whatever the current position."""
        position = self._file.tell()
        self._file.seek(0)
        data = self._file.read()
        self._file.seek(position)
        return data

    def __repr__(self) -> str:
        return f"<UploadFile {self.filename!r} {self.content_type} {self.size} bytes>"
