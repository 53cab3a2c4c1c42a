"""Markers that say where a handler parameter comes from.

A marker is either ``Annotated`` metadata or the parameter's default::

    async def get_item(
        item_id: int,                                   # path, by name
        q: Annotated[str | None, Query("search")] = None,
        api_key: str = Header("x-api-key"),             # required header
        page: int = Query(default=1, ge=1),
    ): ...

A positional string is the name the value is looked up under (query key,
header name, cookie name, form field...); the default comes from the Python
default (``= value``) or ``default=``. A marker used as the Python default
leaves the parameter required unless the marker itself has ``default=``.

The numeric (``gt``, ``ge``, ``lt``, ``le``, ``multiple_of``), length
(``min_length``, ``max_length``) and ``pattern`` constraints are checked after
coercion; a violation is a 422 with one of these error types:

    greater_than, greater_than_equal, less_than, less_than_equal,
    multiple_of, string_too_short, string_too_long, bytes_too_short,
    bytes_too_long, too_short, too_long (collections),
    string_pattern_mismatch

``pattern`` matches anywhere in the string (``re.search``); anchor it with
``^...$`` to match the whole value. For ``list[T]`` parameters the length
constraints apply to the list and the others to each item. ``multiple_of`` on
floats tolerates rounding error (``0.3`` is a multiple of ``0.1``).

``Depends(callable)`` marks a parameter filled by calling ``callable``; see
``django_bolt.dependencies``.
"""

from __future__ import annotations

import decimal
import math
import re
from dataclasses import dataclass
from typing import Any, Callable, Literal

from .typing import NUMERIC_TYPES, ConversionError

__all__ = [
    "Param",
    "Depends",
    "Query",
    "Path",
    "Body",
    "Header",
    "Cookie",
    "Form",
    "File",
    "compile_constraints",
]

Source = Literal["path", "query", "body", "header", "cookie", "form", "file"]


@dataclass(frozen=True)
class Param:
    """Where a parameter is read from, under which name, and what it must satisfy.

    ``default`` is ``...`` when the marker sets none.
    """

    source: Source
    default: Any = ...
    alias: str | None = None
    embed: bool | None = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    multiple_of: float | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    description: str | None = None
    example: Any = None
    deprecated: bool = False
    # File() limits, checked while the multipart body is read.
    max_size: int | None = None
    min_size: int | None = None
    allowed_types: tuple[str, ...] | None = None
    max_files: int | None = None

    @property
    def has_default(self) -> bool:
        return self.default is not ...


@dataclass(frozen=True)
class Depends:
    """Fill the parameter with the result of ``dependency`` (called once per
    request when ``use_cache``)."""

    dependency: Callable[..., Any] | None = None
    use_cache: bool = True


_NUMERIC = ("gt", "ge", "lt", "le", "multiple_of")


def _marker(source: Source, factory: str, name: Any, options: dict[str, Any]) -> Param:
    # The factories pass ``locals()`` minus ``name``: exactly their keyword
    # options, which are Param fields by construction.
    if name is not None:
        if not isinstance(name, str):
            raise TypeError(
                f"{factory}() takes the parameter's name as its positional argument, "
                f"got {name!r}; pass default=... for a default value"
            )
        alias = options.get("alias")
        if alias is not None and alias != name:
            raise TypeError(f"{factory}() got two names: {name!r} and alias={alias!r}")
        options["alias"] = name
    return Param(source, **options)


def Query(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """A query-string parameter, looked up as ``name`` (default: the parameter name)."""
    options = dict(locals())
    del options["name"]
    return _marker("query", "Query", name, options)


def Path(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """A path parameter; it must appear as ``{name}`` in the route path."""
    if default is not ...:
        raise ValueError("Path parameters cannot have default values")
    options = dict(locals())
    del options["name"]
    return _marker("path", "Path", name, options)


def Body(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    embed: bool | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """The JSON body decoded into the annotation; with ``embed=True`` the value
    under key ``name`` of a JSON object body."""
    options = dict(locals())
    del options["name"]
    return _marker("body", "Body", name, options)


def Header(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """A request header. Without a name, ``x_api_key`` reads header ``x-api-key``."""
    options = dict(locals())
    del options["name"]
    return _marker("header", "Header", name, options)


def Cookie(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """A cookie from the ``cookie`` header."""
    options = dict(locals())
    del options["name"]
    return _marker("cookie", "Cookie", name, options)


def Form(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    multiple_of: float | None = None,
    min_length: int | None = None,
    max_length: int | None = None,
    pattern: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
) -> Param:
    """A field of a urlencoded or multipart form body."""
    options = dict(locals())
    del options["name"]
    return _marker("form", "Form", name, options)


def File(
    name: str | None = None,
    /,
    *,
    default: Any = ...,
    alias: str | None = None,
    description: str | None = None,
    example: Any = None,
    deprecated: bool = False,
    max_size: int | None = None,
    min_size: int | None = None,
    allowed_types: list[str] | tuple[str, ...] | None = None,
    max_files: int | None = None,
) -> Param:
    """An uploaded file of a multipart body; annotate it ``bytes``, ``dict``,
    ``UploadFile`` or a list of one of these.

    ``max_size``/``min_size`` bound each file in bytes, ``allowed_types`` lists
    the accepted content types (exact, ``image/*``, or ``*``/``*/*``),
    ``max_files`` bounds how many files a list parameter takes. A violation is
    a 422 before the handler runs (see ``django_bolt.uploads``).
    """
    for label, value in (("max_size", max_size), ("min_size", min_size), ("max_files", max_files)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
            raise TypeError(f"File({label}=...) takes a number of {'files' if label == 'max_files' else 'bytes'} >= 0, got {value!r}")
    if allowed_types is not None:
        if isinstance(allowed_types, str) or not all(isinstance(t, str) and t for t in allowed_types):
            raise TypeError(f"File(allowed_types=...) takes a list of content types such as ['image/*'], got {allowed_types!r}")
        allowed_types = tuple(t.lower() for t in allowed_types)
    options = dict(locals())
    del options["name"], options["label"], options["value"]
    return _marker("file", "File", name, options)


# -- constraint checking ------------------------------------------------------


def _number_check(param: Param) -> Callable[[Any], None]:
    gt, ge, lt, le, step = param.gt, param.ge, param.lt, param.le, param.multiple_of

    def check(value: Any) -> None:
        if gt is not None and not value > gt:
            raise ConversionError("greater_than", f"Input should be greater than {gt}")
        if ge is not None and not value >= ge:
            raise ConversionError("greater_than_equal", f"Input should be greater than or equal to {ge}")
        if lt is not None and not value < lt:
            raise ConversionError("less_than", f"Input should be less than {lt}")
        if le is not None and not value <= le:
            raise ConversionError("less_than_equal", f"Input should be less than or equal to {le}")
        if step is not None and not _is_multiple(value, step):
            raise ConversionError("multiple_of", f"Input should be a multiple of {step}")

    return check


def _is_multiple(value: Any, step: Any) -> bool:
    if isinstance(value, float) or isinstance(step, float):
        if not math.isfinite(value):
            return False
        # Binary floats make 0.3 % 0.1 == 0.09999999999999998; compare the
        # remainder with the step's own precision instead of with zero.
        return math.isclose(math.remainder(value, step), 0.0, abs_tol=abs(step) * 1e-9)
    if isinstance(value, decimal.Decimal) and not value.is_finite():
        return False
    return value % step == 0


def _length_check(param: Param, unit: tuple[str, str]) -> Callable[[Any], None]:
    low, high = param.min_length, param.max_length
    prefix, noun = unit

    def check(value: Any) -> None:
        size = len(value)
        if low is not None and size < low:
            raise ConversionError(f"{prefix}too_short", f"{_LENGTH_SUBJECT[prefix]} should have at least {low} {noun}")
        if high is not None and size > high:
            raise ConversionError(f"{prefix}too_long", f"{_LENGTH_SUBJECT[prefix]} should have at most {high} {noun}")

    return check


_LENGTH_SUBJECT = {"string_": "String", "bytes_": "Data", "": "List"}


def _pattern_check(pattern: str) -> Callable[[Any], None]:
    compiled = re.compile(pattern)

    def check(value: str) -> None:
        if compiled.search(value) is None:
            raise ConversionError("string_pattern_mismatch", f"String should match pattern '{pattern}'")

    return check


def _combine(checks: list[Callable[[Any], None]]) -> Callable[[Any], None] | None:
    if not checks:
        return None
    if len(checks) == 1:
        return checks[0]

    def check(value: Any) -> None:
        for one in checks:
            one(value)

    return check


def compile_constraints(
    param: Param, item_type: Any, is_sequence: bool
) -> tuple[Callable[[Any], None] | None, Callable[[Any], None] | None]:
    """Turn the marker's constraints into ``(check_item, check_whole)``.

    ``item_type`` is the type of each value (the annotation itself for a
    scalar, the element type for ``list[T]``). Each checker raises
    ``ConversionError``; either may be None. Raises TypeError when a
    constraint cannot apply to the type, so a typo shows up at start-up.
    """
    item_checks: list[Callable[[Any], None]] = []
    whole_checks: list[Callable[[Any], None]] = []
    numeric = [name for name in _NUMERIC if getattr(param, name) is not None]
    if numeric:
        if item_type not in NUMERIC_TYPES:
            raise TypeError(f"{', '.join(numeric)} apply to int, float and Decimal values, not {item_type!r}")
        item_checks.append(_number_check(param))
    if param.pattern is not None:
        if item_type is not str:
            raise TypeError(f"pattern applies to str values, not {item_type!r}")
        item_checks.append(_pattern_check(param.pattern))
    if param.min_length is not None or param.max_length is not None:
        if is_sequence:
            whole_checks.append(_length_check(param, ("", "items")))
        elif item_type is str:
            item_checks.append(_length_check(param, ("string_", "characters")))
        elif item_type is bytes:
            item_checks.append(_length_check(param, ("bytes_", "bytes")))
        else:
            raise TypeError(f"min_length/max_length apply to str, bytes and sequences, not {item_type!r}")
    return _combine(item_checks), _combine(whole_checks)
