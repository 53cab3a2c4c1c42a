"""Serializers as response types: a handler declared to return a serializer
(or a list of them) sends ``dump()`` of what it returns."""

from __future__ import annotations

import typing
from typing import Any, Callable

import msgspec

from ..exceptions import RequestValidationError
from .base import Serializer, _is_serializer, _unwrap
from .models import is_model, is_queryset

__all__ = ["response_validator"]


def _one(cls: type, value: Any) -> dict:
    if isinstance(value, cls):
        return value.dump()
    if isinstance(value, Serializer):
        # Another serializer (a subset's parent, say): read its fields.
        return cls.model_validate(msgspec.to_builtins(value)).dump()
    if is_model(value):
        return cls.from_model(value).dump()
    return cls.model_validate(value).dump()


def response_validator(response_type: Any, error: type[Exception]) -> Callable[[Any], Any] | None:
    """A validator dumping results through the serializer ``response_type``
    names (``Ser``, ``list[Ser]``, ``Optional`` of either); None otherwise.
    A result that does not fit raises ``error``."""
    inner, _ = _unwrap(response_type)
    many = False
    if typing.get_origin(inner) in (list, tuple):
        args = typing.get_args(inner)
        if not args:
            return None
        inner, many = _unwrap(args[0])[0], True
    if not _is_serializer(inner):
        return None
    cls = inner

    def validate(value: Any) -> Any:
        if value is None:
            return None
        try:
            if many:
                items = cls.from_model(value) if is_queryset(value) else value
                return [_one(cls, item) for item in items]
            return _one(cls, value)
        except (RequestValidationError, msgspec.ValidationError, TypeError, ValueError) as exc:
            detail = exc.errors() if isinstance(exc, RequestValidationError) else str(exc)
            raise error(f"the result does not fit {cls.__name__}: {detail}") from exc

    return validate
