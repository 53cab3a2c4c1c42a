"""Reading form bodies: ``application/x-www-form-urlencoded`` and ``multipart/form-data``.

Only routes with a ``Form()`` or ``File()`` parameter parse their body, once
per request, into a ``FormData``:

* ``fields``: field name -> every text value, in order (``list[T]`` form
  parameters take them all, scalar ones take the last);
* ``files``: field name -> every ``UploadFile`` sent under that name.

The media type is matched by prefix and case-insensitively:

* urlencoded bodies are read like a query string, except that a blank value
  (``a=``) counts as absent, as an empty text input of an HTML form means "no
  value"; they carry no files;
* multipart bodies need a ``boundary`` parameter and go through the
  ``multipart`` package's push parser, which is linear in the body size and
  rejects malformed input with an exception rather than guessing. A part with
  a ``filename`` in its ``Content-Disposition`` is a file (even an empty file
  name, as browsers send for an empty file input), any other part is a field,
  decoded with the part's ``charset`` (UTF-8 by default, undecodable bytes
  replaced by U+FFFD);
* any other media type (or none) yields an empty form, so required form
  parameters are reported missing.

A body that cannot be read raises ``FormError``; the binding layer reports
it as a 422 ``multipart_invalid`` error.
"""

from __future__ import annotations

import multipart

from .request import parse_query_string
from .uploads import UploadFile

__all__ = ["FormData", "FormError", "parse_form"]


class FormError(ValueError):
    """The form body is malformed; the message says how."""


class FormData:
    __slots__ = ("fields", "files")

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.files: dict[str, list[UploadFile]] = {}

    def add_field(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def add_file(self, name: str, upload: UploadFile) -> None:
        self.files.setdefault(name, []).append(upload)


def parse_form(content_type: str, body: bytes) -> FormData:
    """Parse ``body`` according to the request's ``Content-Type`` header value."""
    media_type = content_type.lstrip().lower()
    if media_type.startswith("application/x-www-form-urlencoded"):
        form = FormData()
        for name, value in parse_query_string(body):
            if value:
                form.add_field(name, value)
        return form
    if media_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body)
    return FormData()


def _parse_multipart(content_type: str, body: bytes) -> FormData:
    _, options = multipart.parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary:
        raise FormError("multipart/form-data content type without a boundary")
    form = FormData()
    try:
        parser = multipart.PushMultipartParser(boundary)
        segment = None
        chunks: list[bytes] = []
        # An empty chunk tells the parser the input has ended, so a truncated
        # body fails instead of yielding a partial form.
        for data in (body, b""):
            for event in parser.parse(data):
                if isinstance(event, multipart.MultipartSegment):
                    segment, chunks = event, []
                elif event is None:
                    _add_part(form, segment, b"".join(chunks))
                else:
                    chunks.append(event)
    except multipart.MultipartError as exc:
        raise FormError(f"Malformed multipart body: {exc}") from None
    return form


def _add_part(form: FormData, segment: multipart.MultipartSegment, content: bytes) -> None:
    if segment.filename is not None:
        headers = {name.lower(): value for name, value in segment.headerlist}
        form.add_file(segment.name, UploadFile(segment.filename, segment.content_type, content, headers))
        return
    charset = segment.charset or "utf-8"
    try:
        text = content.decode(charset, "replace")
    except LookupError:
        raise FormError(f"Unknown charset {charset!r} in part {segment.name!r}") from None
    form.add_field(segment.name, text)
