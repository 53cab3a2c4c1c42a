"""Serializers and Django models: ``from_model`` and ``create_serializer``.

``from_model(obj)`` reads each field from the instance, under its name or the
dotted ``field(source="author.name")`` path:

* a related object with a nested serializer field becomes that serializer;
  without one it becomes its primary key, read from the foreign-key column
  (``author_id``), so no query is made;
* a related manager (reverse foreign key, many-to-many) becomes a list of
  nested serializers, or a list of primary keys;
* an attribute the object does not have leaves the field at its default.

Over a QuerySet the relations the fields walk are fetched up front: forward
foreign keys and one-to-ones with ``select_related``, anything that crosses a
many-relation with ``prefetch_related``, so the number of queries does not
grow with the number of rows.
"""

from __future__ import annotations

import datetime
import decimal
import types
import typing
import uuid
from typing import Annotated, Any

import msgspec

from .base import Serializer, _serializer_of

__all__ = ["from_model", "create_serializer", "create_serializer_set", "is_model", "is_queryset"]

_MISSING = object()


def is_queryset(value: Any) -> bool:
    return hasattr(value, "_iterable_class") and hasattr(value, "model")


def is_model(value: Any) -> bool:
    return hasattr(value, "_meta") and hasattr(value, "pk") and not is_queryset(value)


def _is_manager(value: Any) -> bool:
    return hasattr(value, "all") and hasattr(value, "model") and not is_model(value) and not is_queryset(value)


def _path(cls: type, name: str) -> list[str]:
    config = cls.__bolt__.configs.get(name)
    source = config.source if config is not None and config.source else name
    return source.split(".")


def from_model(cls: type, obj: Any, max_depth: int, _depth: int = 0) -> Any:
    if is_queryset(obj):
        return [from_model(cls, row, max_depth, _depth) for row in with_relations(cls, obj)]
    if _depth > max_depth:
        raise ValueError(f"{cls.__name__}.from_model(): nesting deeper than max_depth={max_depth}")
    info = cls.__bolt__
    values: dict[str, Any] = {}
    for f in info.fields:
        nested, many = _serializer_of(info.hints[f.name])
        value = _read(obj, _path(cls, f.name), nested is None)
        if value is _MISSING:
            continue
        if _is_manager(value):
            rows = value.all()
            if nested is not None:
                value = [from_model(nested, row, max_depth, _depth + 1) for row in rows]
            else:
                value = [row.pk for row in rows]
        elif nested is not None and value is not None and not isinstance(value, nested):
            if is_model(value):
                value = from_model(nested, value, max_depth, _depth + 1)
        elif is_model(value):
            value = value.pk
        values[f.name] = value
    return cls(**values)


def _read(obj: Any, parts: list[str], pk_only: bool) -> Any:
    *walk, last = parts
    for part in walk:
        obj = getattr(obj, part, _MISSING)
        if obj is None or obj is _MISSING:
            return obj
    if pk_only:
        # A foreign key read as its column: no query for the related row.
        meta = getattr(obj, "_meta", None)
        if meta is not None:
            column = _fk_column(meta, last)
            if column is not None:
                return getattr(obj, column)
    return getattr(obj, last, _MISSING)


_fk_columns: dict[tuple, str | None] = {}


def _fk_column(meta: Any, name: str) -> str | None:
    key = (meta.label, name)
    if key not in _fk_columns:
        column = None
        try:
            field = meta.get_field(name)
        except Exception:
            field = None
        forward = getattr(field, "many_to_one", False) or getattr(field, "one_to_one", False)
        if forward and getattr(field, "concrete", False):
            column = field.attname
        _fk_columns[key] = column
    return _fk_columns[key]


# -- query planning ---------------------------------------------------------------

_plans: dict[tuple, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def relation_lookups(cls: type, model: type) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(select_related, prefetch_related)`` lookups that ``from_model`` needs."""
    key = (cls, model)
    if key not in _plans:
        select: list[str] = []
        prefetch: list[str] = []
        _collect(cls, model, "", False, select, prefetch, set())
        _plans[key] = (tuple(dict.fromkeys(select)), tuple(dict.fromkeys(prefetch)))
    return _plans[key]


def _collect(cls: type, model: type, prefix: str, in_many: bool, select: list, prefetch: list, seen: set) -> None:
    if (cls, model) in seen:
        return
    seen = seen | {(cls, model)}
    info = cls.__bolt__
    for f in info.fields:
        nested, _ = _serializer_of(info.hints[f.name])
        current, joined, many = model, [], in_many
        parts = _path(cls, f.name)
        last_relation = None
        for index, part in enumerate(parts):
            try:
                field = current._meta.get_field(part)
            except Exception:
                break
            if not field.is_relation or field.related_model is None:
                break
            is_last = index == len(parts) - 1
            forward_fk = (field.many_to_one or field.one_to_one) and field.concrete
            if is_last and forward_fk and nested is None:
                break  # read from the column
            joined.append(part)
            many = many or field.many_to_many or field.one_to_many
            current = field.related_model
            last_relation = field if is_last else None
        if not joined:
            continue
        lookup = prefix + "__".join(joined)
        (prefetch if many else select).append(lookup)
        if nested is not None and last_relation is not None:
            _collect(nested, current, lookup + "__", many, select, prefetch, seen)


def with_relations(cls: type, queryset: Any) -> Any:
    select, prefetch = relation_lookups(cls, queryset.model)
    if select:
        queryset = queryset.select_related(*select)
    if prefetch:
        done = {p for p in queryset._prefetch_related_lookups if isinstance(p, str)}
        todo = [p for p in prefetch if p not in done]
        if todo:
            queryset = queryset.prefetch_related(*todo)
    return queryset


def prefetch_relations(cls: type, rows: list) -> None:
    """Fetch the relations ``from_model`` walks for a list of instances of one model."""
    model = type(rows[0])
    if any(type(row) is not model for row in rows):
        return
    select, prefetch = relation_lookups(cls, model)
    if select or prefetch:
        from django.db.models import prefetch_related_objects

        prefetch_related_objects(rows, *select, *prefetch)


# -- serializers from models ------------------------------------------------------


def _python_type(field: Any) -> Any:
    from django.db import models

    if isinstance(field, (models.ForeignKey, models.OneToOneField)):
        return _python_type(field.target_field)
    if isinstance(field, models.BooleanField):
        return bool
    if isinstance(field, (models.AutoField, models.BigAutoField, models.SmallAutoField, models.IntegerField)):
        return int
    if isinstance(field, models.FloatField):
        return float
    if isinstance(field, models.DecimalField):
        return decimal.Decimal
    if isinstance(field, models.DateTimeField):
        return datetime.datetime
    if isinstance(field, models.DateField):
        return datetime.date
    if isinstance(field, models.TimeField):
        return datetime.time
    if isinstance(field, models.DurationField):
        return datetime.timedelta
    if isinstance(field, models.UUIDField):
        return uuid.UUID
    if isinstance(field, models.JSONField):
        return Any
    if isinstance(field, models.BinaryField):
        return bytes
    if isinstance(field, (models.CharField, models.TextField)) and field.max_length:
        return Annotated[str, msgspec.Meta(max_length=field.max_length)]
    return str


def _model_fields(model: type, names: Any, exclude: Any) -> list:
    concrete = [f for f in model._meta.get_fields() if getattr(f, "concrete", False) and not f.many_to_many]
    by_name = {f.name: f for f in concrete}
    if names is not None:
        unknown = [n for n in names if n not in by_name]
        if unknown:
            raise ValueError(f"{model.__name__} has no concrete fields {unknown}; it has {sorted(by_name)}")
        chosen = [by_name[n] for n in names]
    else:
        chosen = concrete
    skip = set(exclude or ())
    return [f for f in chosen if f.name not in skip]


def _optional(field: Any) -> bool:
    return field.null or field.has_default() or field.primary_key or getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)


def _build(model: type, name: str, fields: list, write_only: Any, read_only: Any, all_optional: bool) -> type:
    from django.db.models import NOT_PROVIDED

    annotations: dict[str, Any] = {}
    defaults: dict[str, Any] = {}
    for f in fields:
        tp = _python_type(f)
        if all_optional:
            annotations[f.name] = typing.Union[tp, msgspec.UnsetType]
            defaults[f.name] = msgspec.UNSET
        elif _optional(f):
            annotations[f.name] = typing.Optional[tp]
            default = f.default if f.default is not NOT_PROVIDED and not callable(f.default) else None
            defaults[f.name] = default
        else:
            annotations[f.name] = tp
    config = type("Config", (), {"model": model, "write_only": set(write_only or ()), "read_only": set(read_only or ())})

    def body(ns: dict) -> None:
        ns["__annotations__"] = annotations
        ns.update(defaults)
        ns["Config"] = config
        ns["__module__"] = model.__module__

    return types.new_class(name, (Serializer,), {}, body)


def create_serializer(
    model: type,
    *,
    fields: list[str] | None = None,
    exclude: list[str] | None = None,
    write_only: set[str] | None = None,
    read_only: set[str] | None = None,
    serializer_name: str | None = None,
) -> type:
    """A ``<Model>Serializer`` with a field per concrete model field (many-to-many
    skipped; foreign keys as their primary key). Nullable fields, fields with a
    default and the primary key are optional."""
    chosen = _model_fields(model, fields, exclude)
    return _build(model, serializer_name or f"{model.__name__}Serializer", chosen, write_only, read_only, False)


def create_serializer_set(
    model: type,
    *,
    create_fields: list[str] | None = None,
    update_fields: list[str] | None = None,
    public_fields: list[str] | None = None,
    write_only: set[str] | None = None,
    read_only: set[str] | None = None,
) -> tuple[type, type, type]:
    """``(<Model>Create, <Model>Update, <Model>Public)``: every field of Update is
    optional (absent fields stay ``UNSET`` and are not dumped)."""
    name = model.__name__
    create = _build(model, f"{name}Create", _model_fields(model, create_fields, None), write_only, read_only, False)
    update = _build(model, f"{name}Update", _model_fields(model, update_fields, None), write_only, read_only, True)
    public = _build(model, f"{name}Public", _model_fields(model, public_fields, None), write_only, read_only, False)
    return create, update, public
