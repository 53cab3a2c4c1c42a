"""What a ``Serializer`` looks like in the OpenAPI document, in each direction.

A serializer's own struct has every field, but the two sides of the wire differ:

* a **response** never carries write-only, excluded or ``include_in_schema=False``
  fields, and does carry the computed fields (required, typed by their return
  annotation);
* a **request** never carries read-only fields or computed fields.

``for_response(T)`` and ``for_request(T)`` rewrite an annotation, replacing every
serializer in it (nested, in lists, unions, ``Annotated`` and generic structs such as
the paginated page) by a schema-only struct of that shape. The response variant keeps
the serializer's name; the request variant is named ``<Name>Request`` when it differs,
so both can sit in one document. ``field()`` descriptions, titles, examples and
``deprecated`` become schema keywords.
"""

from __future__ import annotations

import typing
from typing import Any

import msgspec

from .base import SerializerInfo, _is_serializer, _serializer_of
from .fields import ComputedField, FieldConfig

__all__ = ["for_request", "for_response"]

_REQUEST, _RESPONSE = "request", "response"
# Variants by (serializer, direction), so a serializer is one component wherever it is used.
_variants: dict[tuple[type, str], type] = {}


def for_response(annotation: Any) -> Any:
    """``annotation`` with each serializer as the response sees it."""
    return _rewrite(annotation, _RESPONSE)


def for_request(annotation: Any) -> Any:
    """``annotation`` with each serializer as a request body may send it."""
    return _rewrite(annotation, _REQUEST)


def _rewrite(tp: Any, direction: str) -> Any:
    if _is_serializer(tp):
        return _variant(tp, direction)
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return typing.Annotated[(_rewrite(tp.__origin__, direction), *tp.__metadata__)]
    args = typing.get_args(tp)
    if origin is None or not args:
        return tp
    new = tuple(a if a is Ellipsis else _rewrite(a, direction) for a in args)
    if new == args:
        return tp
    if origin is typing.Union or type(tp).__name__ == "UnionType":
        return typing.Union[new]
    generic = getattr(tp, "__origin__", origin)
    try:
        return generic[new if len(new) > 1 else new[0]]
    except TypeError:  # not subscriptable again: documented as declared
        return tp


def _variant(cls: type, direction: str) -> type:
    """The schema struct of ``cls`` in one direction. Both are made together: when either
    differs from ``cls``, neither is ``cls`` itself, so no two components of one name
    describe different shapes."""
    key = (cls, direction)
    if key in _variants:
        return _variants[key]
    # A serializer met again while its own variants are made keeps its own struct there.
    _variants[(cls, _RESPONSE)] = _variants[(cls, _REQUEST)] = cls
    response = _Shape(cls, _RESPONSE)
    request = _Shape(cls, _REQUEST)
    if response.changed or request.changed:
        out = response.define(cls.__name__)
        _variants[(cls, _RESPONSE)] = out
        _variants[(cls, _REQUEST)] = out if request.same_as(response) else request.define(f"{cls.__name__}Request")
    return _variants[key]


class _Shape:
    """The fields of a serializer in one direction, as ``defstruct`` takes them."""

    def __init__(self, cls: type, direction: str) -> None:
        self.cls = cls
        info: SerializerInfo = cls.__bolt__
        self.specs: list[tuple] = []
        self.renames: dict[str, str] = {}
        # What each spec is made of, to compare the two directions.
        self.parts: list[tuple] = []
        self.changed = False
        for f in info.fields:
            config = info.configs.get(f.name)
            if _hidden(f.name, config, info, direction):
                self.changed = True
                continue
            annotation = _with_keywords(_field_type(info, f, direction), config)
            self.changed = self.changed or annotation is not info.hints[f.name]
            default = _default(f)
            self.specs.append((f.name, annotation) if default is msgspec.NODEFAULT else (f.name, annotation, default))
            self.renames[f.name] = f.encode_name
            self.parts.append((f.name, annotation))
        if direction == _RESPONSE:
            for name, computed in info.computed.items():
                if computed.include_in_schema:
                    # Always in the output: required, after the fields.
                    annotation = _computed_type(computed, direction)
                    self.specs.append((computed.alias or name, annotation))
                    self.parts.append((computed.alias or name, annotation))
                    self.changed = True

    def same_as(self, other: _Shape) -> bool:
        return self.parts == other.parts

    def define(self, name: str) -> type:
        cls = self.cls
        # Keyword-only: the fields keep their order whatever their defaults.
        variant = msgspec.defstruct(name, self.specs, rename=self.renames, module=cls.__module__, kw_only=True)
        variant.__doc__ = cls.__doc__
        variant.__qualname__ = cls.__qualname__[: -len(cls.__name__)] + name
        return variant


def _hidden(name: str, config: FieldConfig | None, info: SerializerInfo, direction: str) -> bool:
    if config is not None and not config.include_in_schema:
        return True
    if direction == _RESPONSE:
        return name in info.write_only or name in info.excluded
    return name in info.read_only


def _field_type(info: SerializerInfo, f: msgspec.structs.FieldInfo, direction: str) -> Any:
    hint = info.hints[f.name]
    nested, many = _serializer_of(hint)
    if nested is not None and direction == _RESPONSE and not any(t is nested for t in _mentioned(hint)):
        # Nested(...) on a field declared otherwise (an id, say): dumped as the serializer.
        inner = _variant(nested, direction)
        return list[inner] if many else inner
    return _rewrite(hint, direction)


def _mentioned(tp: Any) -> list:
    """The types an annotation is built of, itself included."""
    seen = [tp]
    for arg in typing.get_args(tp):
        seen += _mentioned(arg)
    if typing.get_origin(tp) is typing.Annotated:
        seen += _mentioned(tp.__origin__)
    return seen


def _default(f: msgspec.structs.FieldInfo) -> Any:
    if f.default_factory is not msgspec.NODEFAULT:
        return msgspec.field(default_factory=f.default_factory)
    return f.default


def _keywords(config: FieldConfig) -> dict[str, Any]:
    keywords: dict[str, Any] = {}
    if config.description:
        keywords["description"] = config.description
    if config.title:
        keywords["title"] = config.title
    if config.examples:
        keywords["examples"] = list(config.examples)
    if config.deprecated:
        keywords["extra_json_schema"] = {"deprecated": True}
    return keywords


def _with_keywords(annotation: Any, config: FieldConfig | None) -> Any:
    keywords = _keywords(config) if config is not None else {}
    return typing.Annotated[annotation, msgspec.Meta(**keywords)] if keywords else annotation


def _computed_type(computed: ComputedField, direction: str) -> Any:
    annotation = _rewrite(typing.get_type_hints(computed.fn, include_extras=True).get("return", Any), direction)
    keywords: dict[str, Any] = {}
    if computed.description:
        keywords["description"] = computed.description.strip()
    if computed.deprecated:
        keywords["extra_json_schema"] = {"deprecated": True}
    return typing.Annotated[annotation, msgspec.Meta(**keywords)] if keywords else annotation
