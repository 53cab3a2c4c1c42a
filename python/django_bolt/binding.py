"""Binding: from a ``Request`` to the arguments of a handler call.

At start-up the runtime compiles each route once::

    plan = compile_binding(handler, "GET", "/items/{item_id}")

Every problem a handler signature can have (two body parameters, a body on
GET, ``*args``, an unknown ``Path()`` name, a type no request text can be read
into, a dependency cycle...) is a ``TypeError`` here, never a request-time
failure. Per request the runtime calls ``plan.bind(request)`` (or ``await
plan.abind(request)`` when ``plan.needs_await``) and gets ``(args, kwargs)``:
one precompiled extractor per parameter, run in declaration order, with no
signature inspection left to do.

Where a parameter comes from, first rule that applies:

1. a marker (``Query()``, ``Header()``, ``Body()``, ``Depends()``..., as
   ``Annotated`` metadata or as the default) says so;
2. its name appears in the route path as ``{name}`` or ``{name:type}``: path;
3. it is named ``request`` or ``req`` (or annotated ``Request``): the request;
4. its type, without ``Optional``, is a msgspec ``Struct`` or a dataclass:
   the JSON body;
5. otherwise: the query string (scalars, ``list[T]`` from repeated keys, and
   anything else decoded from JSON text).

Parameter models: a ``Struct`` (or serializer) marked ``Query()``,
``Header()``, ``Cookie()`` or ``Form()`` is read field by field from that
source, under each field's name (headers: lower-cased, ``_`` as ``-``), the
text converted as msgspec's lax mode does (``"5"`` -> 5, ``"true"`` -> True),
field defaults and ``Meta`` constraints applied; ``Form()`` models may hold
``UploadFile`` fields.

Lookup keys: the marker's name (alias) or the parameter name; headers
without a name are looked up as the parameter name lower-cased with ``_``
turned into ``-`` (``x_custom`` reads ``x-custom``). A parameter is optional
when it has a default or an ``Optional`` annotation (missing -> None).

Bad input is never a server error: every parameter is checked and all
problems are raised together as one ``RequestValidationError`` (422). Each
problem is ``{"loc": [source, key], "msg": ..., "type": ...}`` where source is
path/query/header/cookie/form/file/body and ``type`` is ``missing`` (absent
and required), a coercion error of ``django_bolt.typing`` (``int_parsing``,
``bool_parsing``...) or a constraint error of ``django_bolt.params``
(``greater_than``, ``string_too_short``...). Body problems have their own
shapes:

* ``{"type": "json_invalid", "loc": ["body"], "msg", "input"}`` for a body
  that is not JSON (or is empty while required, or nested past the
  interpreter's recursion limit); ``input`` is its first 100 characters;
* msgspec validation failures, see ``msgspec_validation_error_to_dict``;
* ``{"type": "multipart_invalid", "loc": ["body"], "msg"}`` for a malformed
  form body (reported once even when several parameters read the form).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import typing
from typing import Any, Callable, NamedTuple

import msgspec

from ._forms import FormData, FormError, parse_form, spool_threshold
from .dependencies import dependency_callable, make_dependency_extractor
from .exceptions import RequestValidationError
from .params import Body, Cookie, Depends, File, Form, Header, Param, Query, compile_constraints
from .params import Path as PathParam
from .request import Request
from .serialization import make_validator
from .typing import (
    JSON_TOO_DEEP,
    ConversionError,
    is_struct_like,
    json_decoder,
    make_coercer,
    sequence_parts,
    split_annotated,
    strip_optional,
)
from .datastructures import UploadFile
from .uploads import FileLimits

__all__ = [
    "BindingPlan",
    "coerce_to_response_type",
    "coerce_to_response_type_async",
    "compile_binding",
    "convert_primitive",
    "create_body_extractor",
    "create_extractor",
    "get_msgspec_decoder",
    "msgspec_validation_error_to_dict",
]

_REQUEST_NAMES = frozenset({"request", "req"})
_NO_BODY_METHODS = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_PATH_PARAM = re.compile(r"\{([^{}:]+)(?::[^{}]*)?\}")
_EVERYTHING = frozenset({"params", "query", "headers", "cookies", "body"})
_NEEDS = {
    "path": frozenset({"params"}),
    "query": frozenset({"query"}),
    "header": frozenset({"headers"}),
    "cookie": frozenset({"cookies"}),
    "body": frozenset({"body"}),
    # The content type (a header) says how to read the form; "form" lets the
    # core hand a large multipart body over as a file.
    "form": frozenset({"body", "headers", "form"}),
    "file": frozenset({"body", "headers", "form"}),
    "request": _EVERYTHING,
}
_BODY_SOURCES = frozenset({"body", "form", "file"})
_EMPTY = inspect.Parameter.empty


# -- public helpers -------------------------------------------------------------


def convert_primitive(value: str, annotation: Any) -> Any:
    """Convert one raw request string to ``annotation`` (``Optional`` and
    ``Annotated`` wrappers allowed). Raises ValueError (a ``ConversionError``
    with ``.type``) when the text does not fit, TypeError for annotations no
    text can be read into."""
    annotation, _ = split_annotated(annotation)
    annotation, _ = strip_optional(annotation)
    return make_coercer(annotation)(value)


_AT_PATH = re.compile(r" - at `(\$[^`]*)`")
_INDEX = re.compile(r"\[(\d+)\]")
_QUOTED = re.compile(r"`([^`]*)`")


def msgspec_validation_error_to_dict(exc: Exception) -> list[dict]:
    """Describe a ``msgspec.ValidationError`` of a request body as 422 errors.

    ``"Expected `int`, got `str` - at `$.items[0].qty`"`` becomes
    ``{"type": "validation_error", "loc": ["body", "items.0.qty"], "msg":
    "Expected `int`, got `str`"}``; a top-level ``"Object missing required
    field `name`"`` becomes ``loc ["body", "name"]`` with type
    ``missing_field``; anything else is ``loc ["body"]``, ``validation_error``.
    """
    text = str(exc)
    located = _AT_PATH.search(text)
    if located:
        path = _INDEX.sub(r".\1", located.group(1)[1:]).lstrip(".")
        loc = ["body", path] if path else ["body"]
        return [{"type": "validation_error", "loc": loc, "msg": text[: located.start()]}]
    if "missing required field" in text.lower():
        field = _QUOTED.search(text)
        loc = ["body", field.group(1)] if field else ["body"]
        return [{"type": "missing_field", "loc": loc, "msg": text}]
    return [{"type": "validation_error", "loc": ["body"], "msg": text}]


# -- request-time machinery ------------------------------------------------------


class _Invalid(Exception):
    """Raised by extractors; carries the 422 errors found so far (possibly none
    when the problem was already reported, as for a malformed form body)."""

    __slots__ = ("errors",)

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors


class BindScope:
    """State shared by the handler's and its dependencies' extractors for one
    request: the parsed form and the dependency results."""

    __slots__ = ("form", "form_failed", "dependency_cache", "max_sizes")

    def __init__(self, max_sizes: dict[str, int] | None = None) -> None:
        self.form: FormData | None = None
        self.form_failed = False
        self.dependency_cache: dict = {}
        # File fields with File(max_size=...): parts past it are not stored.
        self.max_sizes = max_sizes


def _form_of(request: Request, scope: BindScope) -> FormData:
    if scope.form is not None:
        return scope.form
    if scope.form_failed:
        raise _Invalid([])
    try:
        scope.form = parse_form(
            request._headers.get("content-type", ""),
            request.body,
            # A large multipart body arrives as a file the core wrote (server/spool.go).
            body_file=request._body_file,
            spool_threshold=spool_threshold(),
            max_sizes=scope.max_sizes,
        )
    except FormError as exc:
        scope.form_failed = True
        raise _Invalid([{"loc": ["body"], "msg": str(exc), "type": "multipart_invalid"}]) from None
    return scope.form


def _missing(source: str, key: str) -> _Invalid:
    return _Invalid([{"loc": [source, key], "msg": "Field required", "type": "missing"}])


def _conversion_failed(source: str, key: str, exc: ConversionError) -> _Invalid:
    return _Invalid([{"loc": [source, key], "msg": exc.msg, "type": exc.type}])


def _json_invalid(exc: Exception | str, body: bytes) -> _Invalid:
    # 100 characters take at most 400 bytes: no need to decode a large body whole.
    text = body[:400].decode("utf-8", "replace")[:100]
    return _Invalid([{"type": "json_invalid", "loc": ["body"], "msg": str(exc), "input": text}])


class _Step(NamedTuple):
    extract: Callable[[Request, BindScope | None], Any]
    name: str
    positional: bool
    is_async: bool


class BindingPlan:
    """The compiled binding of one handler (or dependency) for one route.

    ``needs``: what the runtime must put into the ``Request``;
    ``request_only``: the handler takes just the request (call ``fn(request)``);
    ``needs_await``: binding calls async dependencies, use ``abind``;
    ``takes_nothing``: the handler has no parameters (call ``fn()``, nothing to bind);
    ``meta``: the analysed signature, for documentation generators.
    """

    __slots__ = ("needs", "request_only", "needs_await", "takes_nothing", "meta", "_steps", "_uses_scope",
                 "_max_sizes")

    def __init__(
        self,
        steps: tuple[_Step, ...],
        needs: frozenset,
        request_only: bool,
        uses_scope: bool,
        meta: dict,
    ) -> None:
        self._steps = steps
        self.needs = needs
        self.request_only = request_only
        self.needs_await = any(step.is_async for step in steps)
        self.takes_nothing = not steps
        self._uses_scope = uses_scope
        self.meta = meta
        self._max_sizes = meta.get("file_max_sizes") or None

    def bind(self, request: Request) -> tuple[tuple, dict]:
        """Arguments for the handler; raises ``RequestValidationError``."""
        if self.needs_await:
            raise RuntimeError("this route awaits dependencies while binding: use abind()")
        try:
            return self.collect(request, BindScope(self._max_sizes) if self._uses_scope else None)
        except _Invalid as exc:
            raise RequestValidationError(exc.errors) from None

    async def abind(self, request: Request) -> tuple[tuple, dict]:
        """Like ``bind``, for every route."""
        try:
            return await self.acollect(request, BindScope(self._max_sizes) if self._uses_scope else None)
        except _Invalid as exc:
            raise RequestValidationError(exc.errors) from None

    # ``collect``/``acollect`` bind within a scope shared with the caller; the
    # dependency extractors use them for the dependency's own parameters.

    def collect(self, request: Request, scope: BindScope | None) -> tuple[tuple, dict]:
        args = []
        kwargs = {}
        errors = None
        for extract, name, positional, _ in self._steps:
            try:
                value = extract(request, scope)
            except _Invalid as exc:
                if errors is None:
                    errors = []
                errors.extend(exc.errors)
                continue
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        if errors is not None:
            raise _Invalid(errors)
        return tuple(args), kwargs

    async def acollect(self, request: Request, scope: BindScope | None) -> tuple[tuple, dict]:
        args = []
        kwargs = {}
        errors = None
        for extract, name, positional, is_async in self._steps:
            try:
                value = await extract(request, scope) if is_async else extract(request, scope)
            except _Invalid as exc:
                if errors is None:
                    errors = []
                errors.extend(exc.errors)
                continue
            if positional:
                args.append(value)
            else:
                kwargs[name] = value
        if errors is not None:
            raise _Invalid(errors)
        return tuple(args), kwargs


# -- extractors -------------------------------------------------------------------
#
# Each builder returns ``extract(request, scope) -> value`` for one parameter,
# raising ``_Invalid``. They read the request's uncopied views directly.


def _single_value_extractor(
    source: str,
    key: str,
    lookup: Callable[[Request, BindScope | None], str | None],
    convert: Callable[[str], Any],
    required: bool,
    default: Any,
) -> Callable:
    def extract(request: Request, scope: BindScope | None) -> Any:
        raw = lookup(request, scope)
        if raw is None:
            if required:
                raise _missing(source, key)
            return default
        try:
            return convert(raw)
        except ConversionError as exc:
            raise _conversion_failed(source, key, exc) from None

    return extract


def _lookup_for(source: str, key: str, many: bool) -> Callable[[Request, BindScope | None], Any]:
    """How to find the raw text (or, with ``many``, the list of texts) of a parameter."""
    if source == "query":
        if many:
            return lambda request, scope: request._query_multi().get(key)
        return lambda request, scope: request._query_map().get(key)
    if source == "form":
        if many:
            return lambda request, scope: _form_of(request, scope).fields.get(key)

        def last_form_value(request: Request, scope: BindScope) -> str | None:
            values = _form_of(request, scope).fields.get(key)
            return None if values is None else values[-1]

        return last_form_value
    # Path parameters, headers and cookies carry one value per name.
    if source == "path":
        single = lambda request, scope: request._params.get(key)  # noqa: E731
    elif source == "header":
        single = lambda request, scope: request._headers.get(key)  # noqa: E731
    else:
        single = lambda request, scope: request._cookie_map().get(key)  # noqa: E731
    if not many:
        return single

    def one_as_list(request: Request, scope: BindScope | None) -> list[str] | None:
        value = single(request, scope)
        return None if value is None else [value]

    return one_as_list


def _text_converter(item_type: Any, marker: Param | None, sequence: Any) -> Callable:
    """Coercion plus constraints for text-valued sources."""
    coerce = make_coercer(item_type)
    check_item = check_whole = None
    if marker is not None:
        # Without a declared type the value stays the raw text.
        constrained = str if item_type is Any else item_type
        check_item, check_whole = compile_constraints(marker, constrained, sequence is not None)
    if check_item is not None:
        plain = coerce

        def coerce(text: str) -> Any:
            value = plain(text)
            check_item(value)
            return value

    if sequence is None:
        return coerce
    build = sequence[0]

    def convert_all(texts: list[str]) -> Any:
        value = build([coerce(text) for text in texts])
        if check_whole is not None:
            check_whole(value)
        return value

    return convert_all


def _file_extractor(key: str, inner: Any, required: bool, default: Any, marker: Param | None) -> Callable:
    sequence = sequence_parts(inner)
    item = inner if sequence is None else sequence[1]
    if item is UploadFile:
        to_value = None
    elif item is bytes:
        to_value = UploadFile.getvalue
    elif item is dict or typing.get_origin(item) is dict:
        to_value = UploadFile.as_dict
    else:
        raise TypeError(
            f"File() parameters are annotated bytes, dict or UploadFile, or a list of one of these; got {inner!r}"
        )
    build = sequence[0] if sequence else None
    limits = None
    if marker is not None and any(
        v is not None for v in (marker.max_size, marker.min_size, marker.allowed_types, marker.max_files)
    ):
        limits = FileLimits(key, marker.max_size, marker.min_size, marker.allowed_types, marker.max_files)

    def extract(request: Request, scope: BindScope) -> Any:
        form = _form_of(request, scope)
        uploads = form.files.get(key)
        if uploads is None:
            if required:
                raise _missing("file", key)
            return default
        if limits is not None:
            errors = limits.check(uploads, form.oversized)
            if errors:
                raise _Invalid(errors)
        values = uploads if to_value is None else [to_value(u) for u in uploads]
        return values[-1] if build is None else build(values)

    return extract


def _model_key(source: str, encode_name: str) -> str:
    if source == "header":
        return encode_name.lower().replace("_", "-")
    return encode_name


def _upload_kind(tp: Any) -> tuple[bool, bool] | None:
    """``(True, many)`` for an ``UploadFile`` or ``list[UploadFile]`` field, else None."""
    inner, _ = strip_optional(split_annotated(tp)[0])
    sequence = sequence_parts(inner)
    item = inner if sequence is None else sequence[1]
    if item is UploadFile:
        return True, sequence is not None
    return None


def _model_extractor(source: str, cls: type, own_key: str, whole: Callable) -> Callable:
    """Read every field of the struct ``cls`` from one source (query, header,
    cookie or form), then build it. All problems are reported together, each
    at ``[source, key]``; a serializer's validators run on the built value.

    A value under the parameter's own ``key`` (when no field has that name) is
    JSON text of the whole struct, as in ``?filters={"q": "x"}`` (the seed's
    reading of a struct query parameter): ``whole``
    reads it that way."""
    if source not in ("query", "header", "cookie", "form"):
        raise TypeError(f"a struct parameter can be read from Query(), Header(), Cookie() or Form(), not {source}()")
    plan = []
    for f in msgspec.structs.fields(cls):
        field_key = _model_key(source, f.encode_name)
        upload = _upload_kind(f.type) if source == "form" else None
        if upload is None and source != "form" and _upload_kind(f.type) is not None:
            raise TypeError(f"{cls.__name__}.{f.name}: UploadFile fields belong in Form() models")
        inner, _ = strip_optional(split_annotated(f.type)[0])
        many = sequence_parts(inner) is not None
        plan.append((f.name, field_key, f.type, f.required, many, upload))

    def values_of(request: Request, scope: BindScope | None) -> Callable[[str, bool], Any]:
        if source == "query":
            single, several = request._query_map(), request._query_multi()
            return lambda key, many: several.get(key) if many else single.get(key)
        if source == "form":
            form = _form_of(request, scope)
            return lambda key, many: (form.fields.get(key) if many else (form.fields.get(key) or [None])[-1])
        table = request._headers if source == "header" else request._cookie_map()
        return lambda key, many: ([table[key]] if key in table else None) if many else table.get(key)

    if any(own_key == entry[1] for entry in plan):
        own_key = None

    def extract(request: Request, scope: BindScope | None) -> Any:
        read = values_of(request, scope)
        if own_key is not None and read(own_key, False) is not None:
            return whole(request, scope)
        values: dict[str, Any] = {}
        errors: list[dict] = []
        for name, key, tp, field_required, many, upload in plan:
            if upload is not None:
                files = _form_of(request, scope).files.get(key)
                if files:
                    values[name] = list(files) if upload[1] else files[-1]
                elif field_required:
                    errors.append({"loc": [source, key], "msg": "Field required", "type": "missing"})
                continue
            raw = read(key, many)
            if raw is None:
                if field_required:
                    errors.append({"loc": [source, key], "msg": "Field required", "type": "missing"})
                continue
            try:
                values[name] = msgspec.convert(raw, tp, strict=False)
            except msgspec.ValidationError as exc:
                errors.append({"loc": [source, key], "msg": str(exc), "type": "validation_error"})
        if errors:
            raise _Invalid(errors)
        try:
            return cls(**values)
        except RequestValidationError as exc:
            raise _Invalid([{**e, "loc": [source, *e["loc"][1:]]} for e in exc.errors()]) from None
        except (TypeError, ValueError) as exc:
            raise _Invalid([{"loc": [source], "msg": str(exc), "type": "value_error"}]) from None

    return extract


def _value_checker(marker: Param | None, item_type: Any, sequence: Any) -> Callable[[Any], None] | None:
    """Constraints of a decoded body value (each item of a sequence, and the sequence)."""
    if marker is None:
        return None
    check_item, check_whole = compile_constraints(marker, item_type, sequence is not None)
    if check_item is None or sequence is None:
        return check_item or check_whole

    def check(value: Any) -> None:
        if check_whole is not None:
            check_whole(value)
        for item in value:
            check_item(item)

    return check


def _body_extractor(key: str, declared: Any, marker: Param | None, required: bool, default: Any) -> Callable:
    """Decode the JSON body into ``declared`` (or, embedded, its ``key`` member)."""
    inner, _ = strip_optional(declared)
    sequence = sequence_parts(inner)
    check = _value_checker(marker, inner if sequence is None else sequence[1], sequence)
    embedded = marker is not None and bool(marker.embed)
    loc = ["body", key] if embedded else ["body"]

    if embedded:
        # A one-field struct renamed to the key: msgspec then reports a
        # missing key or a bad value with the right path.
        if required:
            field: tuple = ("value", declared)
        else:
            field = ("value", typing.Union[declared, msgspec.UnsetType], msgspec.UNSET)
        wrapper = msgspec.defstruct("EmbeddedBody", [field], rename={"value": key})
        decode_wrapper = json_decoder(wrapper).decode

        def decode(body: bytes) -> Any:
            return decode_wrapper(body).value

    elif _is_serializer(inner):
        _check_input_serializer(inner)
        # Serializers collect every problem of the body (types, constraints,
        # validators) into one RequestValidationError.
        decode = inner.model_validate_json
    else:
        decode = json_decoder(declared).decode

    def extract(request: Request, scope: BindScope | None) -> Any:
        body = request.body
        if not body and not required:
            return default
        try:
            value = decode(body)
        except RequestValidationError as exc:
            raise _Invalid(exc.errors()) from None
        except msgspec.ValidationError as exc:
            raise _Invalid(msgspec_validation_error_to_dict(exc)) from None
        except msgspec.DecodeError as exc:
            raise _json_invalid(exc, body) from None
        except RecursionError:
            # Arrays or objects nested past the interpreter's recursion limit, where the
            # type (Any, dict, list) lets msgspec follow them.
            raise _json_invalid(JSON_TOO_DEEP, body) from None
        if value is msgspec.UNSET:
            return default
        if check is not None and value is not None:
            try:
                check(value)
            except ConversionError as exc:
                raise _Invalid([{"loc": list(loc), "msg": exc.msg, "type": exc.type}]) from None
        return value

    return extract


def _is_serializer(tp: Any) -> bool:
    return isinstance(tp, type) and hasattr(tp, "__bolt__") and hasattr(tp, "model_validate_json")


def _check_input_serializer(cls: type) -> None:
    """Read-only fields are never read from input, so they need a default there."""
    info = cls.__bolt__
    required = [f.name for f in info.fields if f.name in info.read_only and f.required]
    if required:
        raise TypeError(
            f"{cls.__name__} is used as a request body, but its read-only fields {required} have no default "
            "(read-only fields are ignored in input); give them one, e.g. "
            f"{required[0]}: int = field(read_only=True, default=0), or use {cls.__name__}.subset(...) for input"
        )


def _request_extractor(request: Request, scope: BindScope | None) -> Request:
    return request


# -- compilation --------------------------------------------------------------------


class _Field(NamedTuple):
    name: str
    kind: Any
    declared: Any  # annotation without Annotated metadata; Any when absent
    inner: Any  # declared without Optional
    source: str
    marker: Param | Depends | None
    key: str | None
    required: bool
    default: Any  # value used when missing and not required


def _path_param_names(path: str) -> frozenset:
    return frozenset(name.strip() for name in _PATH_PARAM.findall(path))


def _describe(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or repr(fn)


def _signature(fn: Any, where: str) -> inspect.Signature:
    try:
        return inspect.signature(fn, eval_str=True)
    except (NameError, SyntaxError, TypeError, ValueError) as exc:
        raise TypeError(f"{where}: cannot read the signature: {exc}") from exc


def _analyse(param: inspect.Parameter, path_params: frozenset, where: str) -> _Field:
    name = param.name
    declared = Any if param.annotation is _EMPTY else param.annotation
    declared, metadata = split_annotated(declared)
    inner, optional = strip_optional(declared)
    # `Annotated[int, Query()] | None` keeps its marker inside the Optional.
    inner, inner_metadata = split_annotated(inner)
    marker = next((m for m in (*metadata, *inner_metadata) if isinstance(m, (Param, Depends))), None)
    default = param.default
    if isinstance(default, (Param, Depends)):
        if marker is not None:
            raise TypeError(f"{where}: parameter {name!r} has two markers ({marker!r} and {default!r})")
        marker, default = default, _EMPTY
    if isinstance(marker, Param) and marker.has_default:
        if default is not _EMPTY:
            raise TypeError(f"{where}: parameter {name!r} has a default in its marker and in the signature")
        default = marker.default

    if isinstance(marker, Depends):
        source = "dependency"
    elif isinstance(marker, Param):
        source = marker.source
    elif name in path_params:
        source = "path"
    elif name in _REQUEST_NAMES or inner is Request or typing.get_origin(inner) is Request:
        source = "request"
    elif is_struct_like(inner):
        source = "body"
    else:
        source = "query"

    alias = marker.alias if isinstance(marker, Param) else None
    if source == "header":
        key = alias.lower() if alias else name.lower().replace("_", "-")
    elif source in ("request", "dependency"):
        key = None
    else:
        key = alias or name
    if source == "path" and key not in path_params:
        raise TypeError(f"{where}: Path parameter {key!r} does not appear in the route path")

    if source in _TEXT_SOURCES:
        marker = _with_meta_constraints(marker, source, (*metadata, *inner_metadata))
    required = default is _EMPTY and not optional and source not in ("request", "dependency")
    return _Field(
        name,
        param.kind,
        declared,
        inner,
        source,
        marker,
        key,
        required,
        None if default is _EMPTY else default,
    )


_TEXT_SOURCES = frozenset(("path", "query", "header", "cookie", "form"))
_CONSTRAINTS = ("gt", "ge", "lt", "le", "multiple_of", "pattern", "min_length", "max_length")


def _with_meta_constraints(marker: Any, source: str, metadata: tuple) -> Any:
    """The marker of a parameter read from text, with the constraints of its
    ``msgspec.Meta`` metadata (``Annotated[int, Meta(ge=0)]``) where the marker sets
    none: msgspec only checks them when it decodes the value, which text values skip."""
    found = {}
    for meta in metadata:
        if isinstance(meta, msgspec.Meta):
            found.update({name: getattr(meta, name) for name in _CONSTRAINTS if getattr(meta, name) is not None})
    if not found:
        return marker
    if marker is None:
        return _MARKERS[source](**found)
    return dataclasses.replace(marker, **{k: v for k, v in found.items() if getattr(marker, k) is None})


def _check_variadics(sig: inspect.Signature, where: str) -> None:
    for param in sig.parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise TypeError(f"{where}: *args and **kwargs parameters cannot be bound from a request ({param})")


def _check_body_rules(fields: list[_Field], where: str, method: str, path: str) -> None:
    bodies = [f.name for f in fields if f.source == "body"]
    if len(bodies) > 1:
        raise TypeError(f"{where}: only one body parameter is allowed, found {', '.join(map(repr, bodies))}")
    forms = [f.name for f in fields if f.source in ("form", "file")]
    if bodies and forms:
        raise TypeError(
            f"{where}: the body is either JSON or a form; body parameter {bodies[0]!r} "
            f"cannot be combined with form/file parameters {forms!r}"
        )
    if method in _NO_BODY_METHODS:
        offending = [f.name for f in fields if f.source in _BODY_SOURCES]
        if offending:
            raise TypeError(
                f"Handler {where}: {method} {path} cannot have body parameters.\n"
                f"Found body parameters: {offending!r}\n"
                "Solutions:\n"
                "  1. Change HTTP method to POST/PUT/PATCH\n"
                "  2. Mark query parameters explicitly with Query(), e.g. "
                "filters: Annotated[Filters, Query()]\n"
                "  3. Use simple types (str, int, float, bool, ...) which are read from the query string"
            )


class _Compiled(NamedTuple):
    extract: Callable
    is_async: bool
    needs: frozenset
    uses_scope: bool
    parses_form: bool
    max_sizes: dict = {}  # File(max_size=) per field key
    # File() limits the server checks before Python runs (see _upload_limits).
    uploads: tuple = ()


def _compile_value_field(field: _Field) -> _Compiled:
    """Parameters read from the request itself (everything but dependencies)."""
    source = field.source
    if source == "request":
        return _Compiled(_request_extractor, False, _NEEDS["request"], False, False)
    marker = field.marker if isinstance(field.marker, Param) else None
    if source == "body":
        extract = _body_extractor(field.key, field.declared, marker, field.required, field.default)
        return _Compiled(extract, False, _NEEDS["body"], False, False)
    if source == "file":
        extract = _file_extractor(field.key, field.inner, field.required, field.default, marker)
        max_sizes = {field.key: marker.max_size} if marker is not None and marker.max_size is not None else {}
        return _Compiled(extract, False, _NEEDS["file"], True, True, max_sizes, _upload_limits(field.key, marker))
    sequence = sequence_parts(field.inner)
    item_type = field.inner if sequence is None else sequence[1]
    convert = _text_converter(item_type, marker, sequence)
    lookup = _lookup_for(source, field.key, sequence is not None)
    extract = _single_value_extractor(source, field.key, lookup, convert, field.required, field.default)
    is_form = source == "form"
    if isinstance(field.inner, type) and issubclass(field.inner, msgspec.Struct):
        extract = _model_extractor(source, field.inner, field.key, extract)
    return _Compiled(extract, False, _NEEDS[source], is_form, is_form)


def _compile_dependency_field(
    field: _Field, method: str, path: str, path_params: frozenset, stack: tuple, where: str
) -> _Compiled:
    fn = dependency_callable(field.marker, f"{where}, parameter {field.name!r}")
    plan = _compile(fn, method, path, path_params, stack)
    extract, is_async = make_dependency_extractor(fn, field.marker.use_cache, plan)
    return _Compiled(extract, is_async, plan.needs, True, plan.meta["needs_form_parsing"], plan.meta["file_max_sizes"],
                     tuple(plan.meta["file_limits"]))


def _upload_limits(key: str, marker: Param | None) -> tuple:
    """The limits of a File() parameter, for the Go core: it checks them on every
    multipart body before Python runs (server/uploads.go)."""
    if marker is None or all(
        v is None for v in (marker.max_size, marker.min_size, marker.allowed_types, marker.max_files)
    ):
        return ()
    return ({
        "field": key,
        "max_size": None if marker.max_size is None else int(marker.max_size),
        "min_size": None if marker.min_size is None else int(marker.min_size),
        "allowed_types": None if marker.allowed_types is None else [str(t) for t in marker.allowed_types],
        "max_files": None if marker.max_files is None else int(marker.max_files),
    },)


def _compile(fn: Any, method: str, path: str, path_params: frozenset, stack: tuple) -> BindingPlan:
    where = _describe(fn)
    if any(fn is seen for seen in stack):
        chain = " -> ".join(_describe(f) for f in (*stack, fn))
        raise TypeError(f"dependency cycle: {chain}")
    stack = (*stack, fn)
    sig = _signature(fn, where)
    _check_variadics(sig, where)
    fields = [_analyse(p, path_params, where) for p in sig.parameters.values()]
    _check_body_rules(fields, where, method, path)

    compiled = []
    for field in fields:
        if field.source == "dependency":
            compiled.append(_compile_dependency_field(field, method, path, path_params, stack, where))
            continue
        try:
            compiled.append(_compile_value_field(field))
        except TypeError as exc:
            # Types and constraints are checked by helpers that do not know
            # which handler they serve.
            raise TypeError(f"{where}, parameter {field.name!r}: {exc}") from exc

    steps = tuple(
        _Step(c.extract, f.name, f.kind is not inspect.Parameter.KEYWORD_ONLY, c.is_async)
        for f, c in zip(fields, compiled, strict=True)
    )
    needs = frozenset().union(*(c.needs for c in compiled))
    body = next((f for f in fields if f.source == "body"), None)
    request_only = len(fields) == 1 and fields[0].source == "request"
    meta = {
        "sig": sig,
        "fields": [_field_meta(f) for f in fields],
        "path_params": path_params,
        "http_method": method,
        "mode": "request_only" if request_only else "mixed",
        "body_struct_param": body.name if body else None,
        "body_struct_type": body.inner if body else None,
        "needs_form_parsing": any(c.parses_form for c in compiled),
        "file_max_sizes": {k: v for c in compiled for k, v in c.max_sizes.items()},
        "file_limits": [limits for c in compiled for limits in c.uploads],
    }
    return BindingPlan(steps, needs, request_only, any(c.uses_scope for c in compiled), meta)


def _field_meta(field: _Field) -> dict:
    marker = field.marker
    return {
        "name": field.name,
        "annotation": field.declared,
        "default": _EMPTY if field.required else field.default,
        "kind": field.kind,
        "source": field.source,
        "alias": marker.alias if isinstance(marker, Param) else None,
        "embed": marker.embed if isinstance(marker, Param) else None,
        "dependency": marker.dependency if isinstance(marker, Depends) else None,
        "key": field.key,
        "required": field.required,
        "marker": marker,
    }


def compile_binding(fn: Callable[..., Any], method: str, path: str) -> BindingPlan:
    """Compile how ``fn``, routed at ``method path``, gets its arguments.

    Raises TypeError for any signature that cannot be bound.
    """
    return _compile(fn, method.upper(), path, _path_param_names(path), ())


# -- the original's helper names -----------------------------------------------------
# Thin wrappers over the binder, for code and tests written against them.

# Decoders made by get_msgspec_decoder, by type.
_DECODER_CACHE: dict[Any, msgspec.json.Decoder] = {}

_MARKERS = {"query": Query, "path": PathParam, "header": Header, "cookie": Cookie, "form": Form, "file": File,
            "body": Body}


def get_msgspec_decoder(type_: Any) -> msgspec.json.Decoder:
    """The JSON decoder for ``type_``, made once and cached."""
    decoder = _DECODER_CACHE.get(type_)
    if decoder is None:
        decoder = _DECODER_CACHE[type_] = msgspec.json.Decoder(type_)
    return decoder


def create_body_extractor(name: str, annotation: Any) -> Callable[[bytes], Any]:
    """A function decoding a JSON request body into ``annotation``; a body that does not
    fit raises ``RequestValidationError`` (422: ``json_invalid`` for malformed JSON)."""
    extract = _body_extractor(name, annotation, None, True, None)

    def extract_body(body: bytes) -> Any:
        try:
            return extract(_BodyOnly(body), None)
        except _Invalid as exc:
            raise RequestValidationError(exc.errors, body=body) from None

    return extract_body


class _BodyOnly:
    __slots__ = ("body",)

    def __init__(self, body: bytes) -> None:
        self.body = body


def create_extractor(field: dict[str, Any]) -> Callable[[Request], Any]:
    """A function reading one parameter from a request, as a handler parameter would be.

    ``field`` describes the parameter like the entries of a binding plan's
    ``meta["fields"]``: ``name``, ``annotation``, and optionally ``default``, ``source``
    (``query``, ``path``, ``header``, ``cookie``, ``form``, ``file``, ``body``; inferred
    from the annotation when absent), ``alias`` or ``marker``. A missing or invalid
    value raises ``RequestValidationError`` (422).
    """
    name = field["name"]
    source = field.get("source")
    if source is not None and source not in _MARKERS:
        raise TypeError(f"create_extractor: unknown source {source!r}; use one of {', '.join(_MARKERS)}")
    marker = field.get("marker")
    default = field.get("default", _EMPTY)
    if marker is None and (source is not None or field.get("alias")):
        options = {} if default is _EMPTY else {"default": default}
        marker = _MARKERS[source or "query"](field.get("alias"), **options)
    # Without a marker the source is inferred from the annotation, as for a handler.
    param = inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY,
                              default=default if marker is None else marker, annotation=field["annotation"])

    def handler(**kwargs: Any) -> None:
        return None

    handler.__signature__ = inspect.Signature([param])  # type: ignore[attr-defined]
    handler.__annotations__ = {name: field["annotation"]}
    key = marker.alias if isinstance(marker, Param) and marker.alias else name
    plan = compile_binding(handler, "POST", f"/{{{key}}}" if source == "path" else "/")

    def extract(request: Request) -> Any:
        return plan.bind(request)[1][name]

    return extract


def coerce_to_response_type(value: Any, annotation: Any) -> Any:
    """``value`` checked and converted to the response type ``annotation`` (objects are
    read attribute by attribute); a mismatch raises ``ResponseTypeError``."""
    validate = make_validator(annotation)
    return value if validate is None else validate(value)


async def coerce_to_response_type_async(value: Any, annotation: Any) -> Any:
    """As ``coerce_to_response_type``, reading a Django QuerySet first."""
    if hasattr(value, "_iterable_class") and hasattr(value, "model"):
        value = [obj async for obj in value]
    return coerce_to_response_type(value, annotation)
