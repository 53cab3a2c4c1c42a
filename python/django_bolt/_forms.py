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
  name, as browsers send for an empty file input; the name is reduced to what
  a storage may use, see ``_client_filename``), any other part is a field,
  decoded with the part's ``charset`` (UTF-8 by default, undecodable bytes
  replaced by U+FFFD). File content is written chunk by chunk into its
  ``UploadFile``, which moves to a temporary file past the spool threshold;
  a part past its field's ``max_size`` stops being stored (its size is still
  counted, for the error). The core hands a large multipart body over as a
  file (``body_file``), read here in chunks;
* any other media type (or none) yields an empty form, so required form
  parameters are reported missing.

A body that cannot be read raises ``FormError``; the binding layer reports
it as a 422 ``multipart_invalid`` error.
"""

from __future__ import annotations

import multipart

from .request import parse_query_string
from .datastructures import DEFAULT_SPOOL_THRESHOLD, UploadFile

__all__ = ["FormData", "FormError", "parse_form"]


class FormError(ValueError):
    """The form body is malformed; the message says how."""


_CHUNK = 64 * 1024


def spool_threshold() -> int:
    """``BOLT_MEMORY_SPOOL_THRESHOLD``: uploads larger than this go to disk."""
    from django.conf import settings

    return getattr(settings, "BOLT_MEMORY_SPOOL_THRESHOLD", DEFAULT_SPOOL_THRESHOLD)


class FormData:
    __slots__ = ("fields", "files", "oversized")

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.files: dict[str, list[UploadFile]] = {}
        #: id(upload) -> full size of file parts cut off at their max_size.
        self.oversized: dict[int, int] = {}

    def add_field(self, name: str, value: str) -> None:
        self.fields.setdefault(name, []).append(value)

    def add_file(self, name: str, upload: UploadFile) -> None:
        self.files.setdefault(name, []).append(upload)


def parse_form(
    content_type: str,
    body: bytes,
    *,
    body_file: str | None = None,
    spool_threshold: int = DEFAULT_SPOOL_THRESHOLD,
    max_sizes: dict[str, int] | None = None,
) -> FormData:
    """Parse the body (``body``, or the file ``body_file``) according to the
    request's ``Content-Type`` header value. ``max_sizes`` maps file field
    names to the most bytes stored per file."""
    media_type = content_type.lstrip().lower()
    if media_type.startswith("multipart/form-data"):
        return _parse_multipart(content_type, body, body_file, spool_threshold, max_sizes or {})
    if body_file is not None:
        with open(body_file, "rb") as f:
            body = f.read()
    if media_type.startswith("application/x-www-form-urlencoded"):
        form = FormData()
        for name, value in parse_query_string(body):
            if value:
                form.add_field(name, value)
        return form
    return FormData()


def _chunks(body: bytes, body_file: str | None):
    if body_file is None:
        yield body
    else:
        with open(body_file, "rb") as f:
            while chunk := f.read(_CHUNK):
                yield chunk
    # An empty chunk tells the parser the input has ended, so a truncated
    # body fails instead of yielding a partial form.
    yield b""


def _parse_multipart(
    content_type: str, body: bytes, body_file: str | None, threshold: int, max_sizes: dict[str, int]
) -> FormData:
    _, options = multipart.parse_options_header(content_type)
    boundary = options.get("boundary")
    if not boundary:
        raise FormError("multipart/form-data content type without a boundary")
    form = FormData()
    try:
        parser = multipart.PushMultipartParser(boundary)
        segment = upload = None
        chunks: list[bytes] = []
        limit = seen = 0
        for data in _chunks(body, body_file):
            for event in parser.parse(data):
                if isinstance(event, multipart.MultipartSegment):
                    segment, chunks = event, []
                    if segment.filename is not None:
                        headers = {name.lower(): value for name, value in segment.headerlist}
                        upload = UploadFile(_client_filename(segment.filename), segment.content_type, None, headers,
                                            spool_threshold=threshold)
                        form.add_file(segment.name, upload)
                        limit, seen = max_sizes.get(segment.name, -1), 0
                elif event is None:
                    if upload is not None:
                        if limit >= 0 and seen > limit:
                            form.oversized[id(upload)] = seen
                        upload.seek(0)
                        upload = None
                    else:
                        _add_field(form, segment, b"".join(chunks))
                elif upload is not None:
                    seen += len(event)
                    if limit < 0 or seen <= limit:
                        upload._append(event)
                else:
                    chunks.append(event)
    except BaseException as exc:
        # The form is dropped: the files of the parts read so far are closed here, or
        # their temporary files stay open (and on disk) until a garbage collection
        # happens to free the traceback that holds them.
        for uploads in form.files.values():
            for dropped in uploads:
                dropped.close()
        if isinstance(exc, multipart.MultipartError):
            raise FormError(f"Malformed multipart body: {_reason(exc)}") from None
        raise
    return form


def _client_filename(sent: str) -> str:
    """The name a client gave a file, reduced as Django reduces the names of its own
    uploads: its last path segment (``/`` or ``\\``), without control characters, at
    most 255 characters (the extension kept); ``.`` and ``..`` become empty. A handler
    may then pass it to a storage (``field.save(up.filename, up.file)``) without a
    client choosing a directory or making the save fail."""
    name = sent.rsplit("/", 1)[-1].rsplit("\\", 1)[-1]
    name = "".join(char for char in name if char.isprintable())
    if name in (".", ".."):
        return ""
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        ext = dot + ext if stem and len(ext) < 255 else ""
        name = name[: 255 - len(ext)] + ext if ext else name[:255]
    return name


def _reason(exc: multipart.MultipartError) -> str:
    """The parser's message, without the Python exception it may carry along."""
    return str(exc.args[0]) if exc.args else str(exc)


def _add_field(form: FormData, segment: multipart.MultipartSegment, content: bytes) -> None:
    charset = segment.charset or "utf-8"
    try:
        text = content.decode(charset, "replace")
    except LookupError:
        raise FormError(f"Unknown charset {charset!r} in part {segment.name!r}") from None
    form.add_field(segment.name, text)
