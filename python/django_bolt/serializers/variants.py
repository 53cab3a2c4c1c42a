"""Derived serializers: ``subset``/``fields`` make new classes, ``only``/
``exclude``/``use`` make views that filter the output of the class they view."""

from __future__ import annotations

import types
from dataclasses import replace
from typing import Any

import msgspec

from .base import Serializer, _dump, _encode, _instances

__all__ = ["subset", "field_set", "field_set_names", "SerializerView"]

_subsets: dict[tuple, type] = {}


def field_set_names(cls: type, set_name: Any) -> list[str]:
    if not isinstance(set_name, str) or not set_name:
        raise TypeError(f"{cls.__name__}.fields() takes the name of a set in Config.field_sets, got {set_name!r}")
    sets = cls.__bolt__.field_sets
    if set_name not in sets:
        raise ValueError(f"{cls.__name__} has no field set {set_name!r}; Config.field_sets has {sorted(sets)}")
    return list(sets[set_name])


def field_set(cls: type, set_name: str, name: str | None) -> type:
    names = field_set_names(cls, set_name)
    return subset(cls, tuple(names), name or f"{cls.__name__}{set_name[:1].upper()}{set_name[1:]}")


def subset(cls: type, names: tuple, name: str | None) -> type:
    info = cls.__bolt__
    unknown = [n for n in names if n not in info.names and n not in info.computed]
    if unknown:
        raise ValueError(f"{cls.__name__}.subset(): unknown fields {unknown}; fields are {list(info.names)}")
    key = (cls, tuple(names), name)
    if key in _subsets:
        return _subsets[key]
    chosen = [f for f in info.fields if f.name in names]
    base_config = getattr(cls, "Config", None)
    kept = {f.name for f in chosen}
    config_attrs = {
        "model": info.model,
        "write_only": set(info.write_only) & kept,
        "read_only": set(info.read_only) & kept,
        "field_sets": {},
    }
    if base_config is not None:
        for attr, value in vars(base_config).items():
            if not attr.startswith("_") and attr not in config_attrs:
                config_attrs[attr] = value

    def body(ns: dict) -> None:
        ns["__annotations__"] = {f.name: info.hints[f.name] for f in chosen}
        for f in chosen:
            factory = None if f.default_factory is msgspec.NODEFAULT else f.default_factory
            config = info.configs.get(f.name)
            if config is not None:
                ns[f.name] = replace(config, default=f.default, default_factory=factory)
            elif factory is not None:
                ns[f.name] = msgspec.field(default_factory=factory)
            elif f.default is not msgspec.NODEFAULT:
                ns[f.name] = f.default
        for field_name, fns in info.field_validators.items():
            if field_name in kept:
                for fn in fns:
                    ns[f"_validate_{field_name}_{fn.__name__}"] = fn
        for computed_name, computed in info.computed.items():
            if computed_name in names:
                ns[computed_name] = computed
        ns["Config"] = type("Config", (), config_attrs)
        ns["__module__"] = cls.__module__
        ns["from_parent"] = classmethod(_from_parent)

    derived = types.new_class(name or f"{cls.__name__}Subset", (Serializer,), dict(info.options), body)
    _subsets[key] = derived
    return derived


def _from_parent(cls: type, instance: Any) -> Any:
    """Build from an instance of the class this one was derived from."""
    return cls(**{n: getattr(instance, n) for n in cls.__struct_fields__})


class SerializerView:
    """Dump a serializer's instances with some fields left out; chainable."""

    __slots__ = ("cls", "keep")

    def __init__(self, cls: type, keep: frozenset | None = None) -> None:
        self.cls = cls
        info = cls.__bolt__
        self.keep = keep if keep is not None else frozenset(info.names) | frozenset(info.computed)

    def _check(self, names: tuple) -> None:
        info = self.cls.__bolt__
        unknown = [n for n in names if n not in info.names and n not in info.computed]
        if unknown:
            raise ValueError(f"{self.cls.__name__}: unknown fields {unknown}; fields are {list(info.names)}")

    def only(self, *names: str) -> SerializerView:
        self._check(names)
        return SerializerView(self.cls, self.keep & frozenset(names))

    def exclude(self, *names: str) -> SerializerView:
        self._check(names)
        return SerializerView(self.cls, self.keep - frozenset(names))

    def dump(self, instance: Any, **options: Any) -> dict[str, Any]:
        if not isinstance(instance, Serializer):
            instance = _instances(self.cls, [instance])[0]
        return _dump(
            instance,
            self.keep,
            options.get("exclude_none", False),
            options.get("exclude_unset", False),
            options.get("exclude_defaults", False),
            options.get("by_alias", False),
        )

    def dump_many(self, items: Any, **options: Any) -> list[dict[str, Any]]:
        return [self.dump(item, **options) for item in _instances(self.cls, items)]

    def dump_json(self, instance: Any, **options: Any) -> bytes:
        return _encode(self.dump(instance, **options))

    def dump_many_json(self, items: Any, **options: Any) -> bytes:
        return _encode(self.dump_many(items, **options))

    def from_model(self, obj: Any, *, max_depth: int = 10) -> Any:
        """The viewed class's ``from_model``; dump the result with this view."""
        return self.cls.from_model(obj, max_depth=max_depth)

    def __repr__(self) -> str:
        return f"<SerializerView {self.cls.__name__} {sorted(self.keep)}>"
