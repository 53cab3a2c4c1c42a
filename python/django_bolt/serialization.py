"""Turning a handler's return value into ``(status, headers, body)``.

The Go core sends the tuple as it is. Two cases leave the body to Go: a
``StreamingResponse`` is returned unchanged (the loop pulls its chunks) and a
``FileResponse``'s body is a ``SendFile`` naming the file Go sends from disk. Every file
read or sent is checked against ``BOLT_ALLOWED_FILE_PATHS`` here, when it is answered.
Cookies set on a response become one ``set-cookie`` header each. A Django
``HttpResponse`` is sent as it is (status, headers, cookies, content).
"""

from __future__ import annotations

import mimetypes
from typing import Any, Callable

import msgspec

from ._runtime.protocol import SendFile
from .cookies import CookieMixin, SetCookieLine
from .responses import HTML, JSON, File, FileResponse, PlainText, Redirect, Response, StreamingResponse
from .responses import checked_file_path

__all__ = ["serialize", "make_validator", "ResponseTypeError"]

Headers = list[tuple[str, str]]
Result = tuple[int, Headers, bytes]

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"

_encode = msgspec.json.Encoder().encode


def _user_headers(headers: dict[str, str]) -> Headers:
    return [(str(k).lower(), str(v)) for k, v in headers.items()]


def _with_type(headers: dict[str, str], media_type: str) -> Headers:
    out = _user_headers(headers)
    if not any(k == "content-type" for k, _ in out):
        out.insert(0, ("content-type", media_type))
    return out


def _guess_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _file_headers(obj: File | FileResponse) -> Headers:
    name = obj.filename or obj.path or ""
    out = [("content-type", obj.media_type or _guess_type(name))]
    if obj.filename:
        out.append(("content-disposition", f'attachment; filename="{obj.filename}"'))
    out.extend(_user_headers(obj.headers))
    return out


Validator = Callable[[Any], Any]


class ResponseTypeError(Exception):
    """The handler's result does not fit its declared response type (answered 500)."""


def make_validator(response_type: Any) -> Validator | None:
    """A function checking and converting a result to the declared response type.

    Objects are read attribute by attribute (so Django model instances convert to
    Structs); a failure raises ``ResponseTypeError``.
    """
    if response_type is None or response_type is type(None):
        return None
    from .serializers.output import response_validator

    serializer_validator = response_validator(response_type, ResponseTypeError)
    if serializer_validator is not None:
        return serializer_validator

    def validate(value: Any) -> Any:
        try:
            return msgspec.convert(value, response_type, from_attributes=True)
        except msgspec.ValidationError as exc:
            raise ResponseTypeError(str(exc)) from exc

    return validate


def serialize(result: Any, status_code: int, validate: Validator | None) -> Result | StreamingResponse:
    """Encode ``result``; ``status_code`` applies to plain values only. A plain value
    (``None``, a dict...) under status 204 is sent without a body, as HTTP requires."""
    if result.__class__ is dict and validate is None and status_code != 204:
        # What the branches below do with a plain dict, checked first: most handlers return one.
        return status_code, [("content-type", JSON_TYPE)], _encode(result)
    if status_code == 204 and (result is None or isinstance(result, (dict, list))):
        return 204, [], b""
    if isinstance(result, (dict, list)):
        if validate is not None:
            result = validate(result)
        elif type(result) is list and result and hasattr(result[0], "__bolt_dump__"):
            result = [item.__bolt_dump__() for item in result]
        return status_code, [("content-type", JSON_TYPE)], _encode(result)
    if isinstance(result, str):
        return status_code, [("content-type", TEXT_TYPE)], result.encode()
    if isinstance(result, (bytes, bytearray)):
        return status_code, [("content-type", "application/octet-stream")], bytes(result)
    if isinstance(result, tuple) and len(result) == 3 and isinstance(result[0], int):
        # A raw (status, headers, body) tuple, as produced by the admin bridge.
        status, headers, body = result
        return status, [(str(k), str(v)) for k, v in headers], bytes(body)
    if isinstance(result, CookieMixin):
        out = _serialize_response(result, validate)
        if result._cookies and isinstance(out, tuple):
            out[1].extend(result.cookie_headers())
        return out
    if isinstance(result, _django_response_base()):
        return _django_response(result)
    if validate is not None:
        result = validate(result)
    elif hasattr(result, "__bolt_dump__"):
        # A serializer is sent as its dump(): write-only fields never leave.
        result = result.__bolt_dump__()
    return status_code, [("content-type", JSON_TYPE)], _encode(result)


def _serialize_response(result: Any, validate: Validator | None) -> Result | StreamingResponse:
    """Encode one of the response classes (cookies are added by the caller)."""
    if isinstance(result, JSON):
        data = validate(result.data) if validate is not None else result.data
        return result.status_code, _with_type(result.headers, JSON_TYPE), _encode(data)
    if isinstance(result, StreamingResponse):
        return result
    if isinstance(result, PlainText):
        return result.status_code, _with_type(result.headers, TEXT_TYPE), result.text.encode()
    if isinstance(result, HTML):
        return result.status_code, _with_type(result.headers, HTML_TYPE), result.html.encode()
    if isinstance(result, Redirect):
        return result.status_code, [("location", result.url), *_user_headers(result.headers)], b""
    if isinstance(result, FileResponse):
        return result.status_code, _file_headers(result), SendFile(checked_file_path(result.path))
    if isinstance(result, File):
        if result.content is not None:
            return result.status_code, _file_headers(result), result.content
        with open(checked_file_path(result.path), "rb") as f:
            body = f.read()
        return result.status_code, _file_headers(result), body
    if isinstance(result, Response):
        content = result.content
        if result.media_type == JSON_TYPE:
            if validate is not None:
                content = validate(content)
            body = _encode(content)
        elif isinstance(content, str):
            body = content.encode()
        elif isinstance(content, (bytes, bytearray)):
            body = bytes(content)
        else:
            body = str(content).encode()
        return result.status_code, _with_type(result.headers, result.media_type), body
    raise TypeError(f"Cannot encode a {type(result).__name__} response")


_DJANGO_RESPONSE_BASE: Any = None


def _django_response_base() -> Any:
    global _DJANGO_RESPONSE_BASE
    if _DJANGO_RESPONSE_BASE is None:
        from django.http import HttpResponseBase

        _DJANGO_RESPONSE_BASE = HttpResponseBase
    return _DJANGO_RESPONSE_BASE


def _django_response(result: Any) -> Result | StreamingResponse:
    """A Django ``HttpResponse`` (from a Django view decorator, ``redirect()``...) as it is:
    status, headers (lower-cased), cookies and content."""
    headers = [(name.lower(), str(value)) for name, value in result.items()]
    cookies = [SetCookieLine(morsel.OutputString()) for morsel in result.cookies.values()]
    if getattr(result, "streaming", False):
        stream = StreamingResponse(result.streaming_content, status_code=result.status_code,
                                   media_type=result.get("Content-Type"), headers=dict(headers))
        stream._cookies = cookies
        return stream
    return result.status_code, headers + [c.to_raw_tuple() for c in cookies], bytes(result.content)
