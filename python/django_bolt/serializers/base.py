"""``Serializer``: a msgspec ``Struct`` that validates like a form and dumps like an API.

Decoding (a handler body, ``model_validate``) is msgspec's; after it, and after
direct construction, ``__post_init__`` runs the ``Nested`` and ``Literal``
checks, the field validators and the model validators, collecting every
problem into one ``RequestValidationError`` (a 422 when it escapes a handler).
``dump()`` is the output side: write-only and excluded fields left out,
computed fields added, nested serializers dumped in turn.

What the metaclass reads once per class is kept in ``cls.__bolt__`` (a
``SerializerInfo``): the ``field()`` options, validators, computed fields and
``Config``; the per-field plans for dumping and for ``from_model`` are built on
first use, when forward references have been defined.
"""

from __future__ import annotations

import functools
import keyword
import typing
from typing import Any, Callable, ClassVar, Literal

import msgspec

from ..exceptions import RequestValidationError
from .fields import _FIELD_VALIDATOR, _MODEL_VALIDATOR, ComputedField, FieldConfig, Nested

__all__ = ["Serializer", "SerializerInfo"]

_NODEFAULT = msgspec.NODEFAULT
# Class options of msgspec that a derived class (subset, field set) keeps.
_KEPT_OPTIONS = ("rename", "omit_defaults", "forbid_unknown_fields", "frozen", "tag", "tag_field")


def _is_serializer(tp: Any) -> bool:
    return isinstance(tp, type) and isinstance(getattr(tp, "__bolt__", None), SerializerInfo)


def _unwrap(tp: Any) -> tuple[Any, tuple]:
    """``Annotated[Optional[T], m]`` -> ``(T, (m,))``."""
    metadata: tuple = ()
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            metadata += tp.__metadata__
            tp = tp.__origin__
            continue
        if origin is typing.Union or type(tp).__name__ == "UnionType":
            args = [a for a in typing.get_args(tp) if a is not type(None) and a is not msgspec.UnsetType]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp, metadata


def _serializer_of(tp: Any) -> tuple[type | None, bool]:
    """The serializer a field holds, and whether it holds a list of them."""
    inner, metadata = _unwrap(tp)
    nested = next((m for m in metadata if isinstance(m, Nested)), None)
    if nested is not None:
        return nested.serializer, nested.many
    if _is_serializer(inner):
        return inner, False
    if typing.get_origin(inner) in (list, tuple, set, frozenset):
        args = typing.get_args(inner)
        if args and _is_serializer(_unwrap(args[0])[0]):
            return _unwrap(args[0])[0], True
    return None, False


class _DumpField(typing.NamedTuple):
    attr: str
    key: str  # the encoded name (after rename)
    alias: str  # key under by_alias
    default: Any  # the default (a factory's value), NODEFAULT when required
    nested: type | None
    many: bool


class SerializerInfo:
    """Everything a serializer class says about its fields, beyond msgspec's view."""

    def __init__(self, cls: type, configs: dict, field_validators: dict, model_validators: list,
                 computed: dict, options: dict) -> None:
        self.cls = cls
        self.configs: dict[str, FieldConfig] = configs
        self.field_validators: dict[str, list[Callable]] = field_validators
        self.model_validators: list[Callable] = model_validators
        self.computed: dict[str, ComputedField] = computed
        self.options = options
        config = getattr(cls, "Config", None)
        self.model = getattr(config, "model", None)
        self.field_sets: dict[str, list[str]] = dict(getattr(config, "field_sets", None) or {})
        self.write_only = frozenset(getattr(config, "write_only", ()) or ()) | {
            n for n, c in configs.items() if c.write_only
        }
        self.read_only = frozenset(getattr(config, "read_only", ()) or ()) | {
            n for n, c in configs.items() if c.read_only
        }
        self.excluded = frozenset(n for n, c in configs.items() if c.exclude)
        self.fields = msgspec.structs.fields(cls)
        self.names = tuple(f.name for f in self.fields)
        self._hints: dict | None = None
        self._dump_plan: tuple | None = None
        self._fast: tuple | None = None
        self._dumper: tuple | None = None
        self._checks: tuple | None = None
        self._post_init: bool | None = None
        self._check_names(cls.__name__)

    def _check_names(self, where: str) -> None:
        known = set(self.names)
        for label, names in (("Config.write_only", self.write_only), ("Config.read_only", self.read_only)):
            unknown = sorted(set(names) - known)
            if unknown:
                raise TypeError(f"{where}.{label} names unknown fields {unknown}; fields are {sorted(known)}")
        for set_name, names in self.field_sets.items():
            unknown = sorted(set(names) - known - set(self.computed))
            if unknown:
                raise TypeError(f"{where}.Config.field_sets[{set_name!r}] names unknown fields {unknown}")
        for name in self.field_validators:
            if name not in known:
                raise TypeError(f"{where}: @field_validator({name!r}) names no field; fields are {sorted(known)}")

    # -- lazily compiled -------------------------------------------------------

    @property
    def hints(self) -> dict:
        if self._hints is None:
            self._hints = typing.get_type_hints(self.cls, include_extras=True)
        return self._hints

    def dump_plan(self) -> tuple[_DumpField, ...]:
        if self._dump_plan is None:
            hidden = self.write_only | self.excluded
            plan = []
            for f in self.fields:
                if f.name in hidden:
                    continue
                nested, many = _serializer_of(self.hints[f.name])
                config = self.configs.get(f.name)
                alias = config.alias if config is not None and config.alias else f.encode_name
                default = f.default
                if default is _NODEFAULT and f.default_factory is not _NODEFAULT:
                    # Compared only, never handed out: one value serves every dump.
                    default = f.default_factory()
                plan.append(_DumpField(f.name, f.encode_name, alias, default, nested, many))
            self._dump_plan = tuple(plan)
        return self._dump_plan

    def fast_plan(self) -> tuple | None:
        """``(pairs, computed)`` when a plain dump is a dict comprehension (no
        nested serializers, no field that may be UNSET); None otherwise."""
        if self._fast is None:
            plan = self.dump_plan()
            unset = any(
                f.default is msgspec.UNSET or msgspec.UnsetType in typing.get_args(_unwrap_annotated(self.hints[f.attr]))
                for f in plan
            )
            if unset or any(f.nested is not None for f in plan):
                self._fast = (None,)
            else:
                computed = tuple((c.alias or name, c.fn) for name, c in self.computed.items())
                self._fast = (tuple((f.attr, f.key) for f in plan), computed)
        return None if self._fast[0] is None else self._fast

    def plain_dumper(self) -> Callable[[Any], dict[str, Any]] | None:
        """``dump()`` without options as one function made for this class, or None
        when it needs ``_dump`` (see ``fast_plan``)."""
        if self._dumper is None:
            fast = self.fast_plan()
            self._dumper = (None if fast is None else _compile_dumper(*fast),)
        return self._dumper[0]

    def needs_post_init(self) -> bool:
        if self._post_init is None:
            nested, literals = self.checks()
            self._post_init = bool(nested or literals or self.field_validators or self.model_validators)
        return self._post_init

    def checks(self) -> tuple:
        """``(nested, literals)`` checked at construction: ``[(name, key, Nested)]``
        and ``[(name, key, allowed values)]``."""
        if self._checks is None:
            nested, literals = [], []
            for f in self.fields:
                inner, metadata = _unwrap(self.hints[f.name])
                marker = next((m for m in metadata if isinstance(m, Nested)), None)
                if marker is not None:
                    nested.append((f.name, f.encode_name, marker))
                if typing.get_origin(inner) is Literal:
                    literals.append((f.name, f.encode_name, frozenset(typing.get_args(inner))))
            self._checks = (tuple(nested), tuple(literals))
        return self._checks


def _unwrap_annotated(tp: Any) -> Any:
    while typing.get_origin(tp) is typing.Annotated:
        tp = tp.__origin__
    return tp


def _value_error(loc: list, exc: Exception) -> dict:
    return {"loc": loc, "msg": str(exc), "type": "value_error"}


def _prefixed(errors: list, prefix: list) -> list:
    out = []
    for err in errors:
        loc = list(err.get("loc", ()))
        rest = loc[1:] if loc[:1] == ["body"] else loc
        out.append({**err, "loc": ["body", *prefix, *rest]})
    return out


class SerializerMeta(msgspec.StructMeta):
    """Reads ``field()`` defaults, validators and computed fields; makes every
    serializer keyword-only."""

    def __new__(mcls, name: str, bases: tuple, namespace: dict, **options: Any) -> type:
        options.setdefault("kw_only", True)
        configs: dict[str, FieldConfig] = {}
        own_validators: dict[str, list[Callable]] = {}
        own_model_validators: list[Callable] = []
        own_computed: dict[str, ComputedField] = {}
        for key, value in list(namespace.items()):
            if isinstance(value, FieldConfig):
                configs[key] = value
                default = value.msgspec_default()
                if default is _NODEFAULT:
                    del namespace[key]
                else:
                    namespace[key] = default
            elif isinstance(value, ComputedField):
                own_computed[key] = value
            elif callable(value) and hasattr(value, _FIELD_VALIDATOR):
                field_name, _mode = getattr(value, _FIELD_VALIDATOR)
                own_validators.setdefault(field_name, []).append(value)
                namespace[key] = classmethod(value)
            elif callable(value) and hasattr(value, _MODEL_VALIDATOR):
                own_model_validators.append(value)
        cls = super().__new__(mcls, name, bases, namespace, **options)

        inherited = [b.__bolt__ for b in reversed(cls.__mro__[1:]) if isinstance(b.__dict__.get("__bolt__"), SerializerInfo)]
        all_configs: dict = {}
        validators: dict[str, list[Callable]] = {}
        model_validators: list[Callable] = []
        computed: dict[str, ComputedField] = {}
        kept: dict[str, Any] = {}
        for info in inherited:
            all_configs.update(info.configs)
            for field_name, fns in info.field_validators.items():
                validators.setdefault(field_name, []).extend(f for f in fns if f not in validators.get(field_name, []))
            model_validators.extend(f for f in info.model_validators if f not in model_validators)
            computed.update(info.computed)
            kept.update(info.options)
        all_configs.update(configs)
        for field_name, fns in own_validators.items():
            validators.setdefault(field_name, []).extend(fns)
        model_validators.extend(own_model_validators)
        computed.update(own_computed)
        kept.update({k: v for k, v in options.items() if k in _KEPT_OPTIONS})
        if bases and any(isinstance(b, SerializerMeta) for b in bases):
            cls.__bolt__ = SerializerInfo(cls, all_configs, validators, model_validators, computed, kept)
        return cls


class Serializer(msgspec.Struct, metaclass=SerializerMeta, kw_only=True):
    """Base class of serializers. See the package documentation."""

    __bolt__: ClassVar[SerializerInfo]

    def __post_init__(self) -> None:
        info = self.__bolt__
        # Read as an attribute first: this runs for every instance built.
        if info._post_init is False or not info.needs_post_init():
            return
        nested, literals = info.checks()
        errors: list[dict] = []
        failed: set[str] = set()
        for name, key, marker in nested:
            try:
                setattr(self, name, _check_nested(getattr(self, name), marker))
            except RequestValidationError as exc:
                errors.extend(_prefixed(exc.errors(), [key]))
                failed.add(name)
            except (ValueError, TypeError) as exc:
                errors.append(_value_error(["body", key], exc))
                failed.add(name)
        for name, key, allowed in literals:
            value = getattr(self, name)
            if value not in allowed and value is not None:
                errors.append(_value_error(["body", key], ValueError(f"Expected one of {sorted(map(repr, allowed))}, got {value!r}")))
                failed.add(name)
        cls = type(self)
        for f in info.fields:
            fns = info.field_validators.get(f.name)
            if not fns or f.name in failed:
                continue
            value = getattr(self, f.name)
            for fn in fns:
                try:
                    result = fn(cls, value)
                except (ValueError, TypeError) as exc:
                    errors.append(_value_error(["body", f.encode_name], exc))
                    break
                if result is not None:
                    value = result
            setattr(self, f.name, value)
        if not errors:
            for fn in info.model_validators:
                try:
                    fn(self)
                except (ValueError, TypeError) as exc:
                    errors.append(_value_error(["body"], exc))
        if errors:
            raise RequestValidationError(errors)

    # -- input ------------------------------------------------------------------

    @classmethod
    def model_validate(cls, data: Any) -> Any:
        """Convert ``data`` (a dict with the encoded keys, or any object read
        attribute by attribute); every problem is reported at once."""
        if isinstance(data, cls):
            return data
        if isinstance(data, dict):
            data = _drop_read_only(cls, data)
        try:
            return msgspec.convert(data, cls, from_attributes=not isinstance(data, dict))
        except msgspec.ValidationError as exc:
            raise _request_error(cls, exc, data) from None

    @classmethod
    def model_validate_json(cls, raw: bytes | str) -> Any:
        """Decode JSON text into the serializer; a malformed document raises
        msgspec's ``DecodeError``."""
        if cls.__bolt__.read_only:
            return cls.model_validate(msgspec.json.decode(raw))
        try:
            return _json_decoder(cls).decode(raw)
        except msgspec.ValidationError as exc:
            raise _request_error(cls, exc, msgspec.json.decode(raw)) from None

    def validate(self) -> Any:
        """Run the whole conversion again (``Meta`` constraints included); a new instance."""
        return type(self).model_validate(msgspec.to_builtins(self))

    # -- output -----------------------------------------------------------------

    def dump(
        self,
        *,
        exclude_none: bool = False,
        exclude_unset: bool = False,
        exclude_defaults: bool = False,
        by_alias: bool = False,
    ) -> dict[str, Any]:
        """The output dict: no write-only or excluded fields, computed fields added."""
        if not (exclude_none or exclude_unset or exclude_defaults or by_alias):
            return _plain_dump(self)
        return _dump(self, None, exclude_none, exclude_unset, exclude_defaults, by_alias)

    def __bolt_dump__(self) -> dict[str, Any]:
        # What the response encoder sends for a returned serializer.
        return _plain_dump(self)

    def dump_json(self, **options: Any) -> bytes:
        return _encode(self.dump(**options))

    @classmethod
    def dump_many(cls, items: Any, **options: Any) -> list[dict[str, Any]]:
        """Dump every item; model instances and QuerySets go through ``from_model``."""
        if not options and type(items) is list:
            dump = cls.__bolt__.plain_dumper()
            if dump is not None and all(type(item) is cls for item in items):
                return [dump(item) for item in items]
        items = _instances(cls, items)
        if options:
            return [item.dump(**options) for item in items]
        return [_plain_dump(item) for item in items]

    @classmethod
    def dump_many_json(cls, items: Any, **options: Any) -> bytes:
        return _encode(cls.dump_many(items, **options))

    def to_dict(self) -> dict[str, Any]:
        """Every field by attribute name, write-only ones included."""
        return {name: getattr(self, name) for name in self.__struct_fields__}

    # -- models -----------------------------------------------------------------

    @classmethod
    def from_model(cls, obj: Any, *, max_depth: int = 10) -> Any:
        """Build from a Django model instance (or every row of a QuerySet, read
        with the joins and prefetches the fields need). See ``models.py``."""
        from .models import from_model

        return from_model(cls, obj, max_depth)

    def to_model(self, model: type) -> Any:
        """An unsaved ``model(**fields)``."""
        return model(**self.to_dict())

    def update_instance(self, obj: Any) -> Any:
        """Set every field on ``obj`` (skipping fields at their default under
        ``omit_defaults``); returns ``obj`` unsaved."""
        skip_defaults = bool(self.__struct_config__.omit_defaults)
        for f in self.__bolt__.fields:
            value = getattr(self, f.name)
            if skip_defaults and f.default is not _NODEFAULT and value == f.default:
                continue
            setattr(obj, f.name, value)
        return obj

    # -- variants ---------------------------------------------------------------

    @classmethod
    def subset(cls, *names: str, name: str | None = None) -> type:
        """A new serializer class with only these fields (and named computed fields)."""
        from .variants import subset

        return subset(cls, names, name)

    @classmethod
    def fields(cls, set_name: str, *, name: str | None = None) -> type:
        """``subset`` of the fields listed in ``Config.field_sets[set_name]``."""
        from .variants import field_set

        return field_set(cls, set_name, name)

    @classmethod
    def only(cls, *names: str) -> Any:
        from .variants import SerializerView

        return SerializerView(cls).only(*names)

    @classmethod
    def exclude(cls, *names: str) -> Any:
        from .variants import SerializerView

        return SerializerView(cls).exclude(*names)

    @classmethod
    def use(cls, set_name: str) -> Any:
        from .variants import SerializerView, field_set_names

        return SerializerView(cls).only(*field_set_names(cls, set_name))


_encode = msgspec.json.Encoder().encode
_decoders: dict[type, msgspec.json.Decoder] = {}


def _json_decoder(cls: type) -> msgspec.json.Decoder:
    decoder = _decoders.get(cls)
    if decoder is None:
        decoder = _decoders[cls] = msgspec.json.Decoder(cls)
    return decoder


def _check_nested(value: Any, marker: Nested) -> Any:
    target = marker.serializer
    if value is None:
        return None
    if marker.many:
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"Expected a list of {target.__name__}")
        if len(value) > marker.max_items:
            raise ValueError(f"Too many items: {len(value)} > {marker.max_items}")
        return [item if isinstance(item, target) else target.model_validate(item) for item in value]
    if isinstance(value, target):
        return value
    if isinstance(value, dict):
        return target.model_validate(value)
    raise ValueError(f"Expected {target.__name__} or a dict, got {type(value).__name__}")


def _drop_read_only(cls: type, data: dict) -> dict:
    info = cls.__bolt__
    if not info.read_only:
        return data
    keys = {f.encode_name for f in info.fields if f.name in info.read_only}
    return {k: v for k, v in data.items() if k not in keys}


_AT_PATH_PREFIX = " - at `$"


def _path_error(loc_prefix: list, exc: msgspec.ValidationError) -> dict:
    text = str(exc)
    at = text.find(_AT_PATH_PREFIX)
    loc = list(loc_prefix)
    if at >= 0:
        path = text[at + len(_AT_PATH_PREFIX) : -1]
        for part in path.replace("[", ".").replace("]", "").split("."):
            if part:
                loc.append(int(part) if part.isdigit() else part)
        text = text[:at]
    return {"loc": loc, "msg": text, "type": "validation_error"}


def _field_errors(cls: type, data: dict, prefix: list) -> list[dict]:
    """Check each field of ``data`` on its own, so every bad field is reported."""
    info = cls.__bolt__
    errors: list[dict] = []
    for f in info.fields:
        key = f.encode_name
        loc = ["body", *prefix, key]
        if key not in data:
            if f.required:
                errors.append({"loc": loc, "msg": f"Object missing required field `{key}`", "type": "missing_field"})
            continue
        value = data[key]
        nested, many = _serializer_of(info.hints[f.name])
        if nested is not None and not many and isinstance(value, dict):
            errors.extend(_field_errors(nested, value, [*prefix, key]))
            continue
        try:
            value = msgspec.convert(value, info.hints[f.name])
        except msgspec.ValidationError as exc:
            cause = exc.__cause__
            if isinstance(cause, RequestValidationError):
                errors.extend(_prefixed(cause.errors(), [*prefix, key]))
            else:
                errors.append(_path_error(loc, exc))
            continue
        for fn in info.field_validators.get(f.name, ()):
            try:
                result = fn(cls, value)
            except (ValueError, TypeError) as exc:
                errors.append(_value_error(loc, exc))
                break
            if result is not None:
                value = result
    if info.__class__ is SerializerInfo and info.options.get("forbid_unknown_fields"):
        known = {f.encode_name for f in info.fields}
        for key in data:
            if key not in known:
                errors.append({"loc": ["body", *prefix, key], "msg": f"Object contains unknown field `{key}`", "type": "validation_error"})
    return errors


def _request_error(cls: type, exc: msgspec.ValidationError, data: Any) -> RequestValidationError:
    cause = exc.__cause__
    if isinstance(cause, RequestValidationError):
        return cause
    if isinstance(data, dict):
        errors = _field_errors(cls, data, [])
        if errors:
            return RequestValidationError(errors)
    return RequestValidationError([_path_error(["body"], exc)])


def _dump_value(value: Any, nested: type | None, many: bool, flags: tuple) -> Any:
    if value is None or nested is None:
        return value
    if many:
        return [_dump(v, None, *flags) if isinstance(v, Serializer) else v for v in value]
    return _dump(value, None, *flags) if isinstance(value, Serializer) else value


def _plain_dump(obj: Serializer) -> dict[str, Any]:
    """``dump()`` without options; the common case."""
    dump = obj.__bolt__.plain_dumper()
    if dump is None:
        return _dump(obj, None, False, False, False, False)
    return dump(obj)


def _compile_dumper(pairs: tuple, computed: tuple) -> Callable[[Any], dict[str, Any]]:
    """The plain dump of a class as the source of one function, compiled once: a dict
    display reading each field as an attribute, then each computed field. A list of
    a hundred items is dumped several times faster than by a loop over the plan. Keys
    go in as ``repr`` literals; a class with a field name that is not an identifier
    (made with ``type()``) is dumped by that loop."""
    if not all(attr.isidentifier() and not keyword.iskeyword(attr) for attr, _ in pairs):
        return functools.partial(_dump_by_plan, pairs, computed)
    names: dict[str, Any] = {"_Serializer": Serializer, "_plain_dump": _plain_dump}
    lines = ["def dump(obj):", "    out = {" + ", ".join(f"{key!r}: obj.{attr}" for attr, key in pairs) + "}"]
    for index, (key, fn) in enumerate(computed):
        names[f"_computed{index}"] = fn
        lines.append(f"    value = _computed{index}(obj)")
        lines.append(f"    out[{key!r}] = _plain_dump(value) if isinstance(value, _Serializer) else value")
    lines.append("    return out")
    exec("\n".join(lines), names)
    return names["dump"]


def _dump_by_plan(pairs: tuple, computed: tuple, obj: Serializer) -> dict[str, Any]:
    out = {key: getattr(obj, attr) for attr, key in pairs}
    for key, fn in computed:
        value = fn(obj)
        out[key] = _plain_dump(value) if isinstance(value, Serializer) else value
    return out


def _dump(
    obj: Serializer,
    keep: frozenset | None,
    exclude_none: bool,
    exclude_unset: bool,
    exclude_defaults: bool,
    by_alias: bool,
) -> dict[str, Any]:
    info = obj.__bolt__
    plan = info.dump_plan()
    flags = (exclude_none, exclude_unset, exclude_defaults, by_alias)
    out: dict[str, Any] = {}
    for attr, key, alias, default, nested, many in plan:
        if keep is not None and attr not in keep:
            continue
        value = getattr(obj, attr)
        if exclude_none and value is None:
            continue
        if exclude_unset and value is msgspec.UNSET:
            continue
        if exclude_defaults and default is not _NODEFAULT and value == default:
            continue
        if value is msgspec.UNSET:
            continue
        out[alias if by_alias else key] = value if nested is None else _dump_value(value, nested, many, flags)
    for name, computed in info.computed.items():
        if keep is not None and name not in keep:
            continue
        value = computed.fn(obj)
        if exclude_none and value is None:
            continue
        if isinstance(value, Serializer):
            value = _dump(value, None, *flags)
        out[computed.alias or name] = value
    return out


def _instances(cls: type, items: Any) -> list:
    from .models import is_model, is_queryset, prefetch_relations

    if is_queryset(items):
        return cls.from_model(items)
    items = list(items)
    if all(isinstance(item, Serializer) for item in items):
        return items
    rows = [item for item in items if not isinstance(item, Serializer) and is_model(item)]
    if rows:
        # Model instances already fetched (a page of results, say): their relations
        # are fetched once for all of them, not once per row.
        prefetch_relations(cls, rows)
    out = []
    for item in items:
        if isinstance(item, Serializer):
            out.append(item)
        elif is_model(item):
            out.append(cls.from_model(item))
        elif isinstance(item, dict):
            out.append(cls.model_validate(item))
        else:
            raise TypeError(f"{cls.__name__}.dump_many(): cannot dump a {type(item).__name__}")
    return out
