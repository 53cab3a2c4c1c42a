"""Uploaded files: ``UploadFile`` lives in ``django_bolt.datastructures``;
this module checks the limits of ``File(...)`` parameters.

Where each check happens:

* the whole body over ``BOLT_MAX_UPLOAD_SIZE``: 413 from the Go core, before
  any Python runs;
* ``max_size``, ``min_size``, ``allowed_types`` (the part's own
  ``Content-Type``) and ``max_files``: by the Go core on every multipart body
  (``server/uploads.go``), before any Python runs, with the 422 below. A body
  spooled to disk is refused at its first file over ``max_size``,
  ``allowed_types`` or ``max_files``, before the rest is read (that answer
  lists only that problem); otherwise every problem is listed, as here.
* here, ``FileLimits.check`` applies the same rules to what Python parsed, for
  the bodies the Go core could not read as multipart (a part whose headers its
  parser rejects; a malformed body is reported as such anyway); the parser
  stops storing a part past ``max_size``;
* a missing file: here, before the handler.

Each failure is a 422 ``{"detail": [{"type", "loc": ["body", <field>], "msg",
"ctx"}]}`` with the types ``file_too_large``, ``file_too_small``,
``file_invalid_content_type`` and ``file_too_many``; a missing required
file is ``{"loc": ["file", <field>], "type": "missing"}`` like every other
missing parameter.

The uploads a handler receives are closed when it returns.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from .datastructures import UploadFile

__all__ = ["UploadFile", "FileLimits", "type_allowed", "closing_uploads"]


def type_allowed(content_type: str, allowed: tuple[str, ...]) -> bool:
    """``allowed`` entries match exactly, as ``type/*``, or as ``*``/``*/*``."""
    media = content_type.split(";", 1)[0].strip().lower()
    major = media.split("/", 1)[0]
    for entry in allowed:
        if entry in ("*", "*/*") or entry == media:
            return True
        if entry.endswith("/*") and entry[:-2] == major:
            return True
    return False


class FileLimits:
    """The limits of one ``File()`` parameter, as the form reader applies them."""

    __slots__ = ("key", "max_size", "min_size", "allowed_types", "max_files")

    def __init__(self, key: str, max_size: int | None, min_size: int | None,
                 allowed_types: tuple[str, ...] | None, max_files: int | None) -> None:
        self.key = key
        self.max_size = max_size
        self.min_size = min_size
        self.allowed_types = allowed_types
        self.max_files = max_files

    def _error(self, kind: str, msg: str, ctx: dict[str, Any]) -> dict:
        return {"type": kind, "loc": ["body", self.key], "msg": msg, "ctx": ctx}

    def too_large(self, size: int) -> dict:
        return self._error(
            "file_too_large",
            f"File exceeds maximum size of {self.max_size} bytes",
            {"max_size": self.max_size, "actual_size": size},
        )

    def check(self, uploads: list[UploadFile], oversized: dict[int, int]) -> list[dict]:
        """Problems of the files sent under this field; ``oversized`` maps
        ``id(upload)`` to the size of parts cut off at ``max_size``."""
        errors = []
        if self.max_files is not None and len(uploads) > self.max_files:
            errors.append(self._error(
                "file_too_many",
                "Too many files uploaded",
                {"max_files": self.max_files, "actual_count": len(uploads)},
            ))
        for upload in uploads:
            if id(upload) in oversized:
                errors.append(self.too_large(oversized[id(upload)]))
            elif self.min_size is not None and upload.size < self.min_size:
                errors.append(self._error(
                    "file_too_small",
                    f"File is below minimum size of {self.min_size} bytes",
                    {"min_size": self.min_size, "actual_size": upload.size},
                ))
            if self.allowed_types is not None and not type_allowed(upload.content_type, self.allowed_types):
                errors.append(self._error(
                    "file_invalid_content_type",
                    f"Invalid content type '{upload.content_type}'",
                    {"allowed_types": list(self.allowed_types), "actual_type": upload.content_type},
                ))
        return errors



def _close_all(values: Any) -> None:
    for value in values:
        if isinstance(value, UploadFile):
            value.close_sync()
        elif isinstance(value, (list, tuple)):
            _close_all(value)
        elif hasattr(value, "__struct_fields__"):
            # A Form() model holding files.
            _close_all([getattr(value, name, None) for name in value.__struct_fields__])


def closing_uploads(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` closing the uploads it was given once it returns (their
    temporary files are then removed)."""
    if inspect.iscoroutinefunction(fn):

        async def run_async(*args: Any, **kwargs: Any) -> Any:
            try:
                return await fn(*args, **kwargs)
            finally:
                _close_all(args)
                _close_all(kwargs.values())

        return functools.wraps(fn)(run_async)

    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        finally:
            _close_all(args)
            _close_all(kwargs.values())

    return functools.wraps(fn)(run)
