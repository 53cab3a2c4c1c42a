"""Response cookies: ``Cookie`` and the ``set_cookie``/``delete_cookie`` methods every
response class has.

    return JSON({"ok": True}).set_cookie("sid", "abc", max_age=3600, httponly=True).delete_cookie("old")

Each cookie becomes one ``Set-Cookie`` header, written by the server with the response
(plain, file, streaming or redirect) and kept through middleware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, Literal, Union

__all__ = ["Cookie", "CookieMixin"]

SameSite = Union[Literal["Strict", "Lax", "None"], Literal[False], None]

# Characters a cookie name may not contain (RFC 6265 token), and a value may not contain
# unquoted: a header built from them would be split or misread by the client.
_NAME_FORBIDDEN = frozenset('()<>@,;:\\"/[]?={} \t\r\n')
_VALUE_FORBIDDEN = frozenset(';,\\" \t\r\n\x7f')
_EPOCH = "Thu, 01 Jan 1970 00:00:00 GMT"


def _http_date(value: datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return format_datetime(value.astimezone(timezone.utc), usegmt=True)


@dataclass
class Cookie:
    """One response cookie, as ``Set-Cookie`` sends it."""

    name: str
    value: str = ""
    max_age: int | None = None
    expires: datetime | str | None = None
    path: str | None = "/"
    domain: str | None = None
    secure: bool = False
    httponly: bool = False
    samesite: SameSite = "Lax"

    def __post_init__(self) -> None:
        if not self.name or any(c in _NAME_FORBIDDEN or ord(c) < 32 for c in self.name):
            raise ValueError(f"Cookie name {self.name!r} is empty or contains a separator or space")
        self.value = str(self.value)
        if any(c in _VALUE_FORBIDDEN or ord(c) < 32 for c in self.value):
            raise ValueError(
                f"Cookie {self.name!r}: the value contains a space, quote, comma, semicolon or control "
                "character; encode it first (e.g. urllib.parse.quote or base64)"
            )
        if self.samesite not in ("Strict", "Lax", "None", False, None):
            raise ValueError(f"Cookie {self.name!r}: samesite must be 'Strict', 'Lax', 'None' or False")
        for attr in ("path", "domain", "expires"):
            text = getattr(self, attr)
            if isinstance(text, str) and any(c in ";\r\n" or ord(c) < 32 for c in text):
                raise ValueError(f"Cookie {self.name!r}: {attr} must not contain ';' or line breaks")

    def to_header_value(self) -> str:
        """The ``Set-Cookie`` header value."""
        parts = [f"{self.name}={self.value}"]
        if self.max_age is not None:
            parts.append(f"Max-Age={int(self.max_age)}")
        if self.expires is not None:
            expires = _http_date(self.expires) if isinstance(self.expires, datetime) else str(self.expires)
            parts.append(f"expires={expires}")
        if self.path:
            parts.append(f"Path={self.path}")
        if self.domain:
            parts.append(f"Domain={self.domain}")
        if self.secure:
            parts.append("Secure")
        if self.httponly:
            parts.append("HttpOnly")
        if self.samesite:
            parts.append(f"SameSite={self.samesite}")
        return "; ".join(parts)

    def to_raw_tuple(self) -> tuple[str, str]:
        """``("set-cookie", <header value>)``, as the response headers carry it."""
        return ("set-cookie", self.to_header_value())


class SetCookieLine:
    """A ``Set-Cookie`` value already formatted (by Django, or by middleware), sent as it is."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def to_raw_tuple(self) -> tuple[str, str]:
        return ("set-cookie", self.value)


class CookieMixin:
    """``set_cookie``/``delete_cookie`` for response classes; both return the response."""

    # Set on the instance by the first set_cookie; a class default keeps responses
    # without cookies free of an extra list.
    _cookies: tuple[Cookie, ...] | list[Cookie] = ()

    @property
    def cookies(self) -> list[Cookie]:
        return list(self._cookies)

    def set_cookie(
        self,
        name: str,
        value: Any = "",
        max_age: int | None = None,
        expires: datetime | str | None = None,
        path: str | None = "/",
        domain: str | None = None,
        secure: bool = False,
        httponly: bool = False,
        samesite: SameSite = "Lax",
    ) -> Any:
        cookie = Cookie(name, value, max_age, expires, path, domain, secure, httponly, samesite)
        if not isinstance(self._cookies, list):
            self._cookies = []
        self._cookies.append(cookie)
        return self

    def delete_cookie(self, name: str, path: str | None = "/", domain: str | None = None) -> Any:
        """Tell the client to drop the cookie: empty value, ``Max-Age=0``, expired."""
        return self.set_cookie(name, "", max_age=0, expires=_EPOCH, path=path, domain=domain)

    def cookie_headers(self) -> list[tuple[str, str]]:
        return [cookie.to_raw_tuple() for cookie in self._cookies]
