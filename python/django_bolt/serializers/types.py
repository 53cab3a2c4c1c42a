"""Constrained field types, checked by msgspec when input is decoded::

    class Contact(Serializer):
        email: Email
        age: PositiveInt
        site: URL | None = None

Constraints apply when data is decoded (a handler body, ``model_validate``),
not when an instance is constructed directly.
"""

from __future__ import annotations

from typing import Annotated

from msgspec import Meta

__all__ = [
    "Char50", "Char100", "Char150", "Char200", "Char255", "Char500", "Char1000",
    "Text", "NonEmptyStr", "Email", "URL", "HttpsURL", "Slug", "Slug100", "Slug200", "UUID",
    "SmallInt", "Int", "BigInt", "PositiveSmallInt", "PositiveInt", "PositiveBigInt", "NonNegativeInt",
    "Float", "PositiveFloat", "IPv4", "IPv6", "IP", "Port", "HttpStatus", "FilePath", "Username",
    "Password", "Phone", "HexColor", "CurrencyCode", "CountryCode", "LanguageCode", "Timezone",
    "Latitude", "Longitude", "Percentage", "Rating", "Rating10",
]  # fmt: skip

Char50 = Annotated[str, Meta(max_length=50)]
Char100 = Annotated[str, Meta(max_length=100)]
Char150 = Annotated[str, Meta(max_length=150)]
Char200 = Annotated[str, Meta(max_length=200)]
Char255 = Annotated[str, Meta(max_length=255)]
Char500 = Annotated[str, Meta(max_length=500)]
Char1000 = Annotated[str, Meta(max_length=1000)]
Text = Annotated[str, Meta(description="Text of any length")]
NonEmptyStr = Annotated[str, Meta(min_length=1)]

Email = Annotated[str, Meta(max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]
URL = Annotated[str, Meta(max_length=200, pattern=r"^https?://[^\s/$.?#][^\s]*$")]
HttpsURL = Annotated[str, Meta(max_length=200, pattern=r"^https://[^\s/$.?#][^\s]*$")]
Slug = Annotated[str, Meta(max_length=50, pattern=r"^[-A-Za-z0-9_]+$")]
Slug100 = Annotated[str, Meta(max_length=100, pattern=r"^[-A-Za-z0-9_]+$")]
Slug200 = Annotated[str, Meta(max_length=200, pattern=r"^[-A-Za-z0-9_]+$")]
UUID = Annotated[str, Meta(pattern=r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")]

SmallInt = Annotated[int, Meta(ge=-32768, le=32767)]
Int = Annotated[int, Meta(ge=-(2**31), le=2**31 - 1)]
BigInt = Annotated[int, Meta(ge=-(2**63), le=2**63 - 1)]
PositiveSmallInt = Annotated[int, Meta(ge=0, le=32767)]
PositiveInt = Annotated[int, Meta(gt=0)]
PositiveBigInt = Annotated[int, Meta(ge=0, le=2**63 - 1)]
NonNegativeInt = Annotated[int, Meta(ge=0)]
Float = float
PositiveFloat = Annotated[float, Meta(ge=0)]

_IPV4 = r"(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_H = r"[0-9a-fA-F]{1,4}"
_IPV6 = (
    rf"(?:(?:{_H}:){{7}}{_H}"
    rf"|(?:{_H}:){{1,7}}:"
    rf"|(?:{_H}:){{1,6}}:{_H}"
    rf"|(?:{_H}:){{1,5}}(?::{_H}){{1,2}}"
    rf"|(?:{_H}:){{1,4}}(?::{_H}){{1,3}}"
    rf"|(?:{_H}:){{1,3}}(?::{_H}){{1,4}}"
    rf"|(?:{_H}:){{1,2}}(?::{_H}){{1,5}}"
    rf"|{_H}:(?::{_H}){{1,6}}"
    rf"|:(?:(?::{_H}){{1,7}}|:))"
)
IPv4 = Annotated[str, Meta(pattern=rf"^{_IPV4}$")]
IPv6 = Annotated[str, Meta(pattern=rf"^{_IPV6}$")]
IP = Annotated[str, Meta(pattern=rf"^(?:{_IPV4}|{_IPV6})$")]
Port = Annotated[int, Meta(ge=1, le=65535)]
HttpStatus = Annotated[int, Meta(ge=100, le=599)]

FilePath = Annotated[str, Meta(max_length=100)]
Username = Annotated[str, Meta(max_length=150, pattern=r"^[\w.@+-]+$")]
Password = Annotated[str, Meta(min_length=8, max_length=128)]
Phone = Annotated[str, Meta(max_length=20, pattern=r"^\+?[1-9]\d{1,14}$")]
HexColor = Annotated[str, Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
CurrencyCode = Annotated[str, Meta(pattern=r"^[A-Z]{3}$")]
CountryCode = Annotated[str, Meta(pattern=r"^[A-Z]{2}$")]
LanguageCode = Annotated[str, Meta(pattern=r"^[a-z]{2}(?:-[A-Z]{2})?$")]
Timezone = Annotated[str, Meta(max_length=50, pattern=r"^(?:UTC|[A-Za-z_]+/[A-Za-z_+\-0-9]+(?:/[A-Za-z_+\-0-9]+)?)$")]
Latitude = Annotated[float, Meta(ge=-90, le=90)]
Longitude = Annotated[float, Meta(ge=-180, le=180)]
Percentage = Annotated[float, Meta(ge=0, le=100)]
Rating = Annotated[float, Meta(ge=0, le=5)]
Rating10 = Annotated[float, Meta(ge=0, le=10)]
