"""What a parameter annotation means for the binding layer.

Everything here runs once per route at start-up; the coercers it returns run
per request.

Introspection
    ``split_annotated`` separates ``Annotated[T, ...]`` metadata,
    ``strip_optional`` turns ``Optional[T]`` / ``T | None`` into ``T`` plus a
    flag, ``is_struct_like`` recognises msgspec structs and dataclasses (the
    types a JSON body decodes into) and ``sequence_parts`` recognises
    homogeneous sequences (``list[T]``, ``tuple[T, ...]``, ``set[T]``,
    ``frozenset[T]``, ``Sequence[T]``, bare ``list``...) whose values come from
    repeated query keys or form fields.

Coercion
    ``make_coercer(T)`` returns a function from the raw request text to a
    value of type ``T``. Failures raise ``ConversionError`` carrying a
    pydantic-style error ``type``:

    =================  ============================================
    type               raised when
    =================  ============================================
    int_parsing        ``int(text)`` fails
    float_parsing      ``float(text)`` fails
    bool_parsing       text is not one of 1/true/t/yes/y/on or
                       0/false/f/no/n/off (any case)
    decimal_parsing    ``Decimal(text)`` fails
    uuid_parsing       ``UUID(text)`` fails
    date_parsing       ``date.fromisoformat`` fails (also
    datetime_parsing   ``datetime`` / ``time``)
    time_parsing
    literal_error      text is not the text of a ``Literal[...]`` value
    enum               text is not the text of an ``Enum`` member value
    value_error        any other type: text is not JSON that msgspec can
                       decode into it
    =================  ============================================

    ``str``, ``Any`` and a missing annotation keep the text unchanged;
    ``bytes`` is the UTF-8 encoding of the text.

    ``json_decoder(T)`` is the msgspec decoder used for JSON bodies (and for
    the ``value_error`` case above); it refuses, at start-up, types msgspec
    could never produce.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime
import decimal
import enum
import types
import typing
import uuid
from typing import Any, Callable

import msgspec
import msgspec.inspect

__all__ = [
    "ConversionError",
    "NUMERIC_TYPES",
    "split_annotated",
    "strip_optional",
    "is_struct_like",
    "sequence_parts",
    "make_coercer",
    "json_decoder",
    "type_name",
]

Coercer = Callable[[str], Any]


class ConversionError(ValueError):
    """Raw text did not fit the annotation; ``type`` and ``msg`` describe why."""

    def __init__(self, type: str, msg: str) -> None:  # noqa: A002 - pydantic's key name
        super().__init__(msg)
        self.type = type
        self.msg = msg


NUMERIC_TYPES = (int, float, decimal.Decimal)

_SEQUENCE_BUILDERS: dict[Any, Callable[[list], Any]] = {
    list: list,
    tuple: tuple,
    set: set,
    frozenset: frozenset,
    collections.abc.Sequence: list,
}


def split_annotated(annotation: Any) -> tuple[Any, tuple]:
    """``Annotated[T, a, b]`` -> ``(T, (a, b))``; anything else -> ``(annotation, ())``."""
    if typing.get_origin(annotation) is typing.Annotated:
        return annotation.__origin__, annotation.__metadata__
    return annotation, ()


def strip_optional(annotation: Any) -> tuple[Any, bool]:
    """``Optional[T]`` -> ``(T, True)``; ``Union[A, B, None]`` -> ``(Union[A, B], True)``."""
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        args = typing.get_args(annotation)
        rest = tuple(a for a in args if a is not type(None))
        if len(rest) != len(args):
            if len(rest) == 1:
                return rest[0], True
            return typing.Union[rest], True
    return annotation, False


def is_struct_like(annotation: Any) -> bool:
    """True for msgspec ``Struct`` subclasses and dataclass types."""
    if not isinstance(annotation, type):
        return False
    return issubclass(annotation, msgspec.Struct) or dataclasses.is_dataclass(annotation)


def sequence_parts(annotation: Any) -> tuple[Callable[[list], Any], Any] | None:
    """For a homogeneous sequence annotation return ``(builder, item_type)``.

    ``builder`` turns the list of coerced items into the annotated container.
    Fixed-shape tuples (``tuple[int, str]``) are not homogeneous and give None.
    """
    if annotation in _SEQUENCE_BUILDERS:
        return _SEQUENCE_BUILDERS[annotation], Any
    origin = typing.get_origin(annotation)
    if origin not in _SEQUENCE_BUILDERS:
        return None
    args = typing.get_args(annotation)
    if not args:
        return _SEQUENCE_BUILDERS[origin], Any
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple, args[0]
        return None
    return _SEQUENCE_BUILDERS[origin], args[0]


def type_name(annotation: Any) -> str:
    return getattr(annotation, "__name__", None) or repr(annotation)


# -- coercers ---------------------------------------------------------------

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def _to_int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ConversionError(
            "int_parsing", "Input should be a valid integer, unable to parse string as an integer"
        ) from None


def _to_float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise ConversionError(
            "float_parsing", "Input should be a valid number, unable to parse string as a number"
        ) from None


def _to_bool(text: str) -> bool:
    lowered = text.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ConversionError("bool_parsing", "Input should be a valid boolean, unable to interpret input")


def _to_bytes(text: str) -> bytes:
    # Request text is already decoded (undecodable bytes became U+FFFD), so
    # encoding cannot fail.
    return text.encode("utf-8")


def _to_decimal(text: str) -> decimal.Decimal:
    try:
        return decimal.Decimal(text)
    except decimal.InvalidOperation:
        raise ConversionError("decimal_parsing", "Input should be a valid decimal") from None


def _to_uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        raise ConversionError("uuid_parsing", "Input should be a valid UUID") from None


def _iso_parser(parse: Callable[[str], Any], what: str) -> Coercer:
    def coerce(text: str) -> Any:
        try:
            return parse(text)
        except ValueError:
            raise ConversionError(f"{what}_parsing", f"Input should be a valid {what} in ISO 8601 format") from None

    return coerce


_SCALAR_COERCERS: dict[Any, Coercer] = {
    int: _to_int,
    float: _to_float,
    bool: _to_bool,
    bytes: _to_bytes,
    decimal.Decimal: _to_decimal,
    uuid.UUID: _to_uuid,
    datetime.date: _iso_parser(datetime.date.fromisoformat, "date"),
    datetime.datetime: _iso_parser(datetime.datetime.fromisoformat, "datetime"),
    datetime.time: _iso_parser(datetime.time.fromisoformat, "time"),
}


def _identity(text: str) -> str:
    return text


def _choice_coercer(choices: dict[str, Any], error_type: str) -> Coercer:
    expected = " or ".join(repr(text) for text in choices)
    message = f"Input should be {expected}"

    def coerce(text: str) -> Any:
        try:
            return choices[text]
        except KeyError:
            raise ConversionError(error_type, message) from None

    return coerce


def _literal_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise TypeError(f"Literal values read from request text must be str, int or bool, not {value!r}")


# msgspec raises RecursionError for JSON nested past the interpreter's recursion limit
# (where the type lets it follow the nesting); request input that deep is malformed.
JSON_TOO_DEEP = "JSON is malformed: nested too deeply"


def json_decoder(annotation: Any) -> msgspec.json.Decoder:
    """A JSON decoder for ``annotation``, refused (TypeError) at start-up when
    msgspec could never produce the type: unsupported types raise in the
    Decoder itself, and arbitrary classes come back as "custom types" that
    only a decoding hook could build."""
    decoder = msgspec.json.Decoder(annotation)
    if isinstance(msgspec.inspect.type_info(annotation), msgspec.inspect.CustomType):
        raise TypeError(f"{type_name(annotation)} cannot be decoded from JSON")
    return decoder


def _json_coercer(annotation: Any) -> Coercer:
    decode = json_decoder(annotation).decode
    name = type_name(annotation)

    def coerce(text: str) -> Any:
        try:
            return decode(text)
        except msgspec.MsgspecError as exc:
            raise ConversionError("value_error", f"Input should be JSON for {name}: {exc}") from None
        except RecursionError:
            raise ConversionError("value_error", f"Input should be JSON for {name}: {JSON_TOO_DEEP}") from None

    return coerce


def make_coercer(annotation: Any) -> Coercer:
    """Return the function that turns one raw string into ``annotation``.

    ``annotation`` must already be free of ``Annotated`` and ``Optional``.
    Raises TypeError for annotations no request text can be read into.
    """
    if annotation is str or annotation is Any:
        return _identity
    coercer = _SCALAR_COERCERS.get(annotation)
    if coercer is not None:
        return coercer
    if typing.get_origin(annotation) is typing.Literal:
        choices = {_literal_text(v): v for v in typing.get_args(annotation)}
        return _choice_coercer(choices, "literal_error")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        choices = {str(member.value): member for member in annotation}
        return _choice_coercer(choices, "enum")
    return _json_coercer(annotation)
