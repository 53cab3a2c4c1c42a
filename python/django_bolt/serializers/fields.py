"""What a serializer field can say about itself, and the decorators of a serializer.

``field()`` is written as the field's default; ``Nested`` goes into ``Annotated``;
``field_validator``, ``model_validator`` and ``computed_field`` decorate methods.
The serializer's metaclass (``base.py``) reads all of them when the class is made.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import msgspec

__all__ = [
    "FieldConfig",
    "field",
    "Nested",
    "field_validator",
    "model_validator",
    "computed_field",
    "ComputedField",
]

_NOTHING: Any = msgspec.NODEFAULT


@dataclass(frozen=True)
class FieldConfig:
    """The options of one field, as given to ``field()``."""

    read_only: bool = False
    write_only: bool = False
    source: str | None = None
    alias: str | None = None
    default: Any = _NOTHING
    default_factory: Callable[[], Any] | None = None
    description: str | None = None
    title: str | None = None
    examples: list | None = None
    deprecated: bool = False
    exclude: bool = False
    include_in_schema: bool = True

    def msgspec_default(self) -> Any:
        """What msgspec gets as the field's default (NODEFAULT: required)."""
        if self.default_factory is not None:
            return msgspec.field(default_factory=self.default_factory)
        return self.default


def field(
    *,
    read_only: bool = False,
    write_only: bool = False,
    source: str | None = None,
    alias: str | None = None,
    default: Any = _NOTHING,
    default_factory: Callable[[], Any] | None = None,
    description: str | None = None,
    title: str | None = None,
    examples: list | None = None,
    deprecated: bool = False,
    exclude: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """Options of a serializer field, written as its default::

        password: str = field(write_only=True)
        author_name: str = field(source="author.name", default="")

    ``read_only``: output only (ignored in input); ``write_only``: input only
    (never dumped); ``source``: dotted attribute path read by ``from_model``;
    ``alias``: the key ``dump(by_alias=True)`` uses; ``exclude``: never dumped.
    Value constraints go in ``Annotated[T, Meta(...)]``.
    """
    if read_only and write_only:
        raise TypeError("field(): a field cannot be both read_only and write_only")
    if default is not _NOTHING and default_factory is not None:
        raise TypeError("field(): pass default or default_factory, not both")
    return FieldConfig(
        read_only,
        write_only,
        source,
        alias,
        default,
        default_factory,
        description,
        title,
        examples,
        deprecated,
        exclude,
        include_in_schema,
    )


@dataclass(frozen=True)
class Nested:
    """``Annotated`` metadata for a field holding another serializer::

        author: Annotated[AuthorSerializer, Nested(AuthorSerializer)]
        tags: Annotated[list[TagSerializer], Nested(TagSerializer, many=True, max_items=50)]

    A dict given at construction is validated into the serializer; with
    ``many`` the value must be a list of at most ``max_items`` items.
    ``from_model`` fills such a field from the related object (or, with
    ``many``, from every object of the related manager).
    """

    serializer: type
    many: bool = False
    max_items: int = 1000


_FIELD_VALIDATOR = "__bolt_field_validator__"
_MODEL_VALIDATOR = "__bolt_model_validator__"


def field_validator(name: str, mode: str = "after") -> Callable:
    """Check or transform one field after conversion: ``(cls, value)``.

    The return value replaces the field's value (``None`` keeps it); raise
    ``ValueError`` or ``TypeError`` to reject it.
    """
    if not isinstance(name, str):
        raise TypeError("field_validator() takes the field name: @field_validator('email')")

    def decorate(fn: Callable) -> Callable:
        func = fn.__func__ if isinstance(fn, (classmethod, staticmethod)) else fn
        setattr(func, _FIELD_VALIDATOR, (name, mode))
        return func

    return decorate


def model_validator(fn: Callable | None = None, *, mode: str = "after") -> Any:
    """Check the whole instance after the field validators: ``(self)``; raise
    ``ValueError`` or ``TypeError`` to reject it. The return value is ignored."""

    def decorate(func: Callable) -> Callable:
        setattr(func, _MODEL_VALIDATOR, mode)
        return func

    return decorate(fn) if fn is not None else decorate


class ComputedField:
    """A method whose value ``dump()`` adds to the output (output only)."""

    __slots__ = ("fn", "alias", "description", "deprecated", "include_in_schema", "name")

    def __init__(self, fn: Callable, alias: str | None, description: str | None, deprecated: bool, include: bool):
        self.fn = fn
        self.alias = alias
        self.description = description if description is not None else fn.__doc__
        self.deprecated = deprecated
        self.include_in_schema = include
        self.name = fn.__name__

    def __get__(self, instance: Any, owner: type) -> Any:
        if instance is None:
            return self
        return self.fn.__get__(instance, owner)

    @property
    def return_type(self) -> Any:
        return self.fn.__annotations__.get("return", Any)


def computed_field(
    fn: Callable | None = None,
    *,
    alias: str | None = None,
    description: str | None = None,
    deprecated: bool = False,
    include_in_schema: bool = True,
) -> Any:
    """Add a method's value to ``dump()`` under its name (or ``alias``)::

        @computed_field
        def full_name(self) -> str:
            return f"{self.first} {self.last}"
    """

    def decorate(func: Callable) -> ComputedField:
        return ComputedField(func, alias, description, deprecated, include_in_schema)

    return decorate(fn) if fn is not None else decorate
