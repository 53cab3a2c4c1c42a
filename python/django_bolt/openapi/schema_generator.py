"""``SchemaGenerator``: the OpenAPI document of an API, read from its compiled routes.

Nothing is declared twice: every operation is derived from what the server
itself runs for the route.

* parameters, request body: the route's binding plan (the same analysis
  that reads requests), including the parameters of its dependencies; a
  parameter is documented under the name the request is read with (a
  header ``x_token`` is ``x-token``);
* responses: ``response_model=`` or the return annotation, with the
  route's ``status_code``; without either, the response class the handler's
  ``return`` statements build (``handler_source``), so ``HTML``, plain text,
  event streams, streams and files get their own media types; then the
  errors the route can answer, with their real bodies (``errors``);
* security: the route's authentication backends (JWT as an HTTP bearer
  scheme, API keys as ``apiKey`` header schemes); without a guard that needs
  authentication, anonymous requests are listed as allowed too (``{}``);
* summary and description: the route's ``summary=``/``description=``, else
  the handler's docstring (first line, rest); tags: the route's ``tags=``,
  else the handler's module (``shop.orders`` -> ``Orders``, ``shop.api`` ->
  ``Shop``), all listed at the top level after the configured ones; operationId: ``<method>_<function name>`` (``_2``,
  ``_3``... for a name already used, in route order, so ids are the same on
  every start); routes with ``include_in_schema=False`` are left out,
  ``deprecated=True`` is marked.

Python types become JSON Schema through msgspec, the library that also
encodes the responses, so the documented shape is the one sent. Structs,
dataclasses, TypedDicts, NamedTuples and Enums become named components
(``#/components/schemas/<Name>``); a type msgspec cannot describe (a Django
model, an arbitrary class) is documented as ``{"type": "object"}``.
"""

from __future__ import annotations

import inspect
import re
import typing
from collections.abc import Iterator
from typing import Any

import msgspec

from ..api import _UNSET, BoltAPI, Route
from ..binding import compile_binding
from ..pagination import PaginatedResponse, item_type
from ..params import Param
from ..responses import HTML, JSON, File, FileResponse, PlainText, Redirect, Response, StreamingResponse
from ..serializers.schema import for_request, for_response
from ..typing import sequence_parts, split_annotated, strip_optional
from .config import OpenAPIConfig
from .errors import ERROR_COMPONENTS, error_response
from .handler_source import HandlerSource, read_handler
from .websocket_schema import add_websocket_paths
from .spec import (
    Info,
    OpenAPI,
    OpenAPIFormat,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    RequestBody,
    Responses,
    Schema,
    SecurityRequirement,
    SecurityScheme,
    Tag,
)

__all__ = ["SchemaGenerator"]

REF_TEMPLATE = "#/components/schemas/{name}"
SUCCESS = "Successful response"
JSON_MEDIA_TYPE = "application/json"

_PARAMETER_SOURCES = ("path", "query", "header", "cookie")
_FORM_SOURCES = ("form", "file")
_TYPED_SEGMENT = re.compile(r"\{([^{}:]+):[^{}]*\}")
_SCHEME_NAME_UNSAFE = re.compile(r"[^A-Za-z0-9.\-_]")
_NO_ANNOTATION = object()

# Param constraint -> JSON Schema keyword, for a value (or each item of a list).
_VALUE_KEYWORDS = (
    ("gt", "exclusiveMinimum"),
    ("ge", "minimum"),
    ("lt", "exclusiveMaximum"),
    ("le", "maximum"),
    ("multiple_of", "multipleOf"),
    ("pattern", "pattern"),
)


def _binary() -> Schema:
    return Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)


def _string() -> Schema:
    return Schema(type=OpenAPIType.STRING)


# Response classes (as return annotations, or as what the handler returns):
# their default media type (None: a redirect, without a body).
_RESPONSE_CLASSES: tuple[tuple[type, str | None], ...] = (
    (HTML, "text/html"),
    (PlainText, "text/plain"),
    (Redirect, None),
    (File, "application/octet-stream"),
    (FileResponse, "application/octet-stream"),
    (StreamingResponse, "application/octet-stream"),
    (JSON, JSON_MEDIA_TYPE),
    (Response, JSON_MEDIA_TYPE),
)


_RESPONSE_TYPES = tuple(cls for cls, _ in _RESPONSE_CLASSES)


def _body_schema(media_type: str) -> Schema:
    """The schema of a non-JSON body: text, else bytes."""
    if media_type.startswith("text/"):
        return _string()
    if media_type == JSON_MEDIA_TYPE or media_type.endswith("+json"):
        return Schema()
    return _binary()


def _unknown_type_schema(cls: Any) -> dict[str, Any]:
    return {"type": "object"}


class _TypeSchemas:
    """JSON Schemas of Python types, all produced by one msgspec call.

    ``slot(T)`` hands out an empty dict that stands for T's schema in the
    document being built; ``fill()`` generates every schema at once and
    fills the slots in place. One call matters: msgspec then names each
    component once for the whole document (spelling out the module when two
    types share a name), so every ``$ref`` agrees with ``components``.
    """

    def __init__(self) -> None:
        self._pending: list[tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]] = []

    def slot(self, annotation: Any, keywords: dict[str, Any] | None = None,
             item_keywords: dict[str, Any] | None = None) -> dict[str, Any]:
        """A dict that will hold the schema of ``annotation`` plus ``keywords``
        (and ``item_keywords`` in its ``items`` schema, for sequences)."""
        slot: dict[str, Any] = {}
        self._pending.append((annotation, slot, keywords or {}, item_keywords or {}))
        return slot

    def fill(self) -> dict[str, Any]:
        """Fill every slot; returns the components (name -> schema)."""
        if not self._pending:
            return {}
        schemas, components = msgspec.json.schema_components(
            [annotation for annotation, *_ in self._pending],
            schema_hook=_unknown_type_schema,
            ref_template=REF_TEMPLATE,
        )
        for (_, slot, keywords, item_keywords), schema in zip(self._pending, schemas, strict=True):
            slot.update(schema)
            slot.update(keywords)
            if item_keywords:
                slot["items"] = {**slot.get("items", {}), **item_keywords}
        self._pending.clear()
        return components


def _text_annotation(annotation: Any) -> Any:
    """The type describing a value read from request text (query, header, form...).

    Untyped and ``bytes`` parameters receive the text itself: a string, not
    JSON's base64.
    """
    parts = sequence_parts(annotation)
    item = annotation if parts is None else parts[1]
    if item is Any or item is bytes:
        return str if parts is None else list[str]
    return annotation


def _constraint_keywords(marker: Param | None, annotation: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A marker's constraints as JSON Schema keywords: ``(for the value, for each item)``.

    For a sequence, bounds and patterns apply to each item and the lengths
    to the sequence, as the binding layer checks them.
    """
    if marker is None:
        return {}, {}
    bounds = {
        keyword: getattr(marker, name) for name, keyword in _VALUE_KEYWORDS if getattr(marker, name) is not None
    }
    is_sequence = sequence_parts(annotation) is not None
    low, high = ("minItems", "maxItems") if is_sequence else ("minLength", "maxLength")
    lengths = {}
    if marker.min_length is not None:
        lengths[low] = marker.min_length
    if marker.max_length is not None:
        lengths[high] = marker.max_length
    if is_sequence:
        return lengths, bounds
    return {**bounds, **lengths}, {}


def _value_type(field: dict[str, Any]) -> Any:
    """A bound parameter's type without ``Optional`` and marker metadata."""
    inner, _ = strip_optional(field["annotation"])
    inner, _ = split_annotated(inner)
    return inner


def _bound_fields(
    fields: list[dict[str, Any]], method: str, path: str, seen: set[Any]
) -> Iterator[dict[str, Any]]:
    """The parameters read from the request, those of dependencies included."""
    for field in fields:
        if field["source"] != "dependency":
            yield field
            continue
        dependency = field["dependency"]
        if dependency in seen:
            continue
        seen.add(dependency)
        plan = compile_binding(dependency, method, path)
        yield from _bound_fields(plan.meta["fields"], method, path, seen)


def _is_under(path: str, prefix: str) -> bool:
    prefix = prefix.rstrip("/")
    return path == prefix or path.startswith(prefix + "/")


def _openapi_path(path: str) -> str:
    """``/files/{name:path}`` -> ``/files/{name}``: OpenAPI templates carry no types."""
    return _TYPED_SEGMENT.sub(r"{\1}", path)


def _security_scheme(backend: dict[str, Any]) -> tuple[str, SecurityScheme]:
    """The named security scheme of one compiled authentication backend."""
    kind, header = backend["type"], backend["header"]
    suffix = "_" + _SCHEME_NAME_UNSAFE.sub("_", header)
    if kind == "jwt":
        if header == "authorization":
            return "BearerAuth", SecurityScheme(type="http", scheme="bearer", bearer_format="JWT")
        return "BearerAuth" + suffix, SecurityScheme(
            type="apiKey", security_scheme_in="header", name=header,
            description=f"A JSON Web Token in the {header} header (optionally after 'Bearer ').",
        )
    if kind == "api_key":
        name = "ApiKeyAuth" if header == "x-api-key" else "ApiKeyAuth" + suffix
        return name, SecurityScheme(type="apiKey", security_scheme_in="header", name=header)
    raise ValueError(f"no OpenAPI security scheme for authentication backend type {kind!r}")


class SchemaGenerator:
    """Builds the OpenAPI document of ``api``'s routes as ``config`` describes it.

    Routes at or below ``config.path`` (the docs themselves) and
    ``config.exclude_paths`` are left out. ``generate()`` reads the routes
    registered when it is called.
    """

    def __init__(self, api: BoltAPI, config: OpenAPIConfig) -> None:
        self.api = api
        self.config = config
        self._excluded = (config.path, *config.exclude_paths)

    def generate(self) -> OpenAPI:
        config = self.config
        types = _TypeSchemas()
        schemes: dict[str, SecurityScheme] = {}
        operation_ids: set[str] = set()
        errors: set[str] = set()
        paths: dict[str, PathItem] = {}
        for route in self.api.routes():
            if not route.include_in_schema or any(_is_under(route.path, prefix) for prefix in self._excluded):
                continue
            operation = self._operation(route, types, schemes, operation_ids, errors)
            item = paths.setdefault(_openapi_path(route.path), PathItem())
            setattr(item, route.method.lower(), operation)
        add_websocket_paths(self, paths, types, schemes, operation_ids)
        components = msgspec.structs.replace(
            config.components,
            # What the user declared wins over what was generated under the same name.
            schemas={
                **types.fill(),
                **{name: ERROR_COMPONENTS[name] for name in sorted(_with_references(errors))},
                **config.components.schemas,
            },
            security_schemes={**schemes, **config.components.security_schemes},
        )
        return OpenAPI(
            info=Info(
                title=config.title,
                version=config.version,
                summary=config.summary,
                description=config.description,
                terms_of_service=config.terms_of_service,
                contact=config.contact,
                license=config.license,
            ),
            servers=config.servers or None,
            paths=paths,
            webhooks=config.webhooks,
            components=components,
            security=config.security,
            tags=_top_level_tags(config.tags, paths),
            external_docs=config.external_docs,
        )

    # -- one operation ----------------------------------------------------------------

    def _operation(self, route: Route, types: _TypeSchemas, schemes: dict[str, SecurityScheme],
                   operation_ids: set[str], errors: set[str]) -> Operation:
        fields = list(_bound_fields(route.plan.meta["fields"], route.method, route.path, set()))
        summary, description = self._docstring(route.fn)
        parameters = [*_parameters(fields, types), *_pagination_parameters(route, types)]
        request_body = _request_body(fields, types)
        source = read_handler(route.fn, _RESPONSE_TYPES)
        responses = _responses(route, source, types)
        if self.config.include_error_responses:
            for status in _error_statuses(route, source, bool(parameters), request_body is not None):
                response, component = error_response(status)
                responses.setdefault(str(status), response)
                errors.add(component)
        return Operation(
            tags=route.tags or _tags(route.fn),
            summary=route.summary or summary,
            description=route.description or description,
            deprecated=route.deprecated,
            operation_id=_unique_operation_id(route, operation_ids),
            parameters=parameters or None,
            request_body=request_body,
            responses=responses,
            security=_security(route, schemes),
        )

    def _docstring(self, fn: Any) -> tuple[str | None, str | None]:
        doc = inspect.getdoc(fn) if self.config.use_handler_docstrings else None
        if not doc:
            return None, None
        summary, _, rest = doc.partition("\n")
        return summary.strip(), rest.strip() or None


def _tags(fn: Any) -> list[str] | None:
    parts = (fn.__module__ or "").split(".")
    if parts[-1] == "api":
        parts.pop()
    return [parts[-1].capitalize()] if parts and parts[-1] else None


def _top_level_tags(configured: list[Tag] | None, paths: dict[str, PathItem]) -> list[Tag] | None:
    """The configured tags, then every other tag the operations use, sorted."""
    tags = list(configured or ())
    known = {tag.name for tag in tags}
    used = {
        name
        for item in paths.values()
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace")
        if (operation := getattr(item, method)) is not None
        for name in operation.tags or ()
    }
    tags.extend(Tag(name=name) for name in sorted(used - known))
    return tags or None


def _unique_operation_id(route: Route, used: set[str]) -> str:
    # OpenAPI requires unique ids; two handlers may share a name across modules.
    base = f"{route.method.lower()}_{route.fn.__name__}"
    candidate, n = base, 1
    while candidate in used:
        n += 1
        candidate = f"{base}_{n}"
    used.add(candidate)
    return candidate


def _model_fields(field: dict[str, Any]) -> list[dict[str, Any]]:
    """A parameter model (a struct read from the query, headers or cookies)
    documented as one parameter per struct field; other fields unchanged."""
    model = _value_type(field)
    if field["source"] not in _PARAMETER_SOURCES or not (isinstance(model, type) and issubclass(model, msgspec.Struct)):
        return [field]
    out = []
    for info in msgspec.structs.fields(model):
        key = info.encode_name.lower().replace("_", "-") if field["source"] == "header" else info.encode_name
        out.append({**field, "annotation": info.type, "key": key, "required": info.required, "marker": None})
    return out


def _parameters(fields: list[dict[str, Any]], types: _TypeSchemas) -> list[Parameter]:
    parameters: list[Parameter] = []
    seen: set[tuple[str, str]] = set()
    for field in [one for f in fields for one in _model_fields(f)]:
        source = field["source"]
        if source not in _PARAMETER_SOURCES or (source, field["key"]) in seen:
            continue
        seen.add((source, field["key"]))
        marker = field["marker"] if isinstance(field["marker"], Param) else None
        annotation = _value_type(field)
        keywords, item_keywords = _constraint_keywords(marker, annotation)
        parameters.append(Parameter(
            name=field["key"],
            param_in=source,
            schema=types.slot(_text_annotation(annotation), keywords, item_keywords),
            description=(marker.description if marker and marker.description else f"Parameter {field['key']}"),
            required=source == "path" or field["required"],
            deprecated=bool(marker and marker.deprecated),
            example=msgspec.UNSET if marker is None or marker.example is None else marker.example,
        ))
    return parameters


def _request_body(fields: list[dict[str, Any]], types: _TypeSchemas) -> RequestBody | None:
    body = next((f for f in fields if f["source"] == "body"), None)
    if body is not None:
        return _json_body(body, types)
    form = [f for f in fields if f["source"] in _FORM_SOURCES]
    return _form_body(form, types) if form else None


def _json_body(body: dict[str, Any], types: _TypeSchemas) -> RequestBody:
    value: Any = types.slot(for_request(_value_type(body)))
    if body["embed"]:
        key = body["key"]
        value = Schema(type=OpenAPIType.OBJECT, properties={key: value}, required=[key] if body["required"] else None)
    return RequestBody(
        content={JSON_MEDIA_TYPE: OpenAPIMediaType(schema=value)},
        description=f"Request body for {body['name']}",
        required=body["required"],
    )


def _form_body(form: list[dict[str, Any]], types: _TypeSchemas) -> RequestBody:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for field in form:
        annotation = _value_type(field)
        if field["source"] == "file":
            many = sequence_parts(annotation) is not None
            properties[field["key"]] = Schema(type=OpenAPIType.ARRAY, items=_binary()) if many else _binary()
        else:
            marker = field["marker"] if isinstance(field["marker"], Param) else None
            keywords = _constraint_keywords(marker, annotation)
            properties[field["key"]] = types.slot(_text_annotation(annotation), *keywords)
        if field["required"]:
            required.append(field["key"])
    schema = Schema(type=OpenAPIType.OBJECT, properties=properties, required=required or None)
    # The server reads both encodings; one is documented, as a client must
    # pick one: multipart when files travel, else the simpler urlencoded form.
    has_files = any(f["source"] == "file" for f in form)
    media_types = ["multipart/form-data" if has_files else "application/x-www-form-urlencoded"]
    return RequestBody(
        content={media: OpenAPIMediaType(schema=schema) for media in media_types},
        description="Form data",
        required=bool(required),
    )


def _response_annotation(route: Route) -> Any:
    if getattr(route.fn, "__bolt_pagination__", None) is not None:
        # @paginate answers a page of the annotated item type.
        return PaginatedResponse[_page_item(route) or Any]
    if route.response_type is not _UNSET:
        return route.response_type
    return typing.get_type_hints(route.fn, include_extras=True).get("return", _NO_ANNOTATION)


def _page_item(route: Route) -> Any:
    pagination = route.fn.__bolt_pagination__
    if pagination.serializer_class is not None:
        return pagination.serializer_class
    if route.response_type is not _UNSET:
        return item_type(route.response_type)
    return item_type(typing.get_type_hints(route.fn).get("return"))


def _pagination_parameters(route: Route, types: _TypeSchemas) -> list[Parameter]:
    pagination = getattr(route.fn, "__bolt_pagination__", None)
    if pagination is None:
        return []
    return [
        Parameter(name=name, param_in="query", schema=types.slot(str if name == "cursor" else int, {}, {}),
                  description=description, required=False)
        for name, description in pagination.query_parameters()
    ]


def _success(media_type: str, schema: Any) -> OpenAPIResponse:
    return OpenAPIResponse(description=SUCCESS, content={media_type: OpenAPIMediaType(schema=schema)})


def _responses(route: Route, source: HandlerSource, types: _TypeSchemas) -> Responses:
    status = str(route.status_code)
    annotation = _response_annotation(route)
    if annotation is _NO_ANNOTATION:
        returned = source.returned
        if returned is None:
            # Any JSON value: a handler may return a dict, a list, a number, None...
            return {status: _success(JSON_MEDIA_TYPE, Schema())}
        return _class_response(returned.cls, returned.media_type, returned.status_code, status)
    bare, _ = split_annotated(annotation)
    if isinstance(bare, type) and issubclass(bare, _RESPONSE_TYPES):
        return _class_response(bare, None, None, status)
    # What serialization sends for plain values: text, raw bytes, else JSON.
    if bare is str:
        return {status: _success("text/plain", _string())}
    if bare is bytes:
        return {status: _success("application/octet-stream", _binary())}
    return {status: _success(JSON_MEDIA_TYPE, types.slot(for_response(annotation)))}


def _class_response(cls: type, media_type: str | None, status_code: int | None, route_status: str) -> Responses:
    """The success response of a handler returning ``cls(...)``."""
    default = next(default for base, default in _RESPONSE_CLASSES if issubclass(cls, base))
    if default is None:
        # Redirect answers 307 unless the handler passes another status.
        return {str(status_code or 307): OpenAPIResponse(description="Redirect")}
    media = media_type or default
    schema = _body_schema(media)
    return {str(status_code) if status_code else route_status: _success(media, schema)}


def _error_statuses(route: Route, source: HandlerSource, has_parameters: bool, has_body: bool) -> list[int]:
    """The error statuses ``route`` can answer (see ``errors``), in ascending order."""
    native = route.security.native or {}
    # Any handler can fail: 500 is always possible.
    statuses = {500} | set(source.raised_statuses) | set(getattr(route.fn, "__bolt_error_statuses__", ()))
    if native.get("guards") or route.security.python_guards:
        statuses |= {401, 403}
    if has_body:
        statuses.add(413)
    if has_parameters or has_body:
        statuses.add(422)
    if any(entry.get("type") == "rate_limit" for entry in native.get("middleware", ())):
        statuses.add(429)
    return sorted(status for status in statuses if status >= 400)


def _with_references(components: set[str]) -> set[str]:
    """``components`` and the error components they refer to."""
    refers = {"HTTPValidationError", "ServerError"}
    return components | ({"ValidationError"} if components & refers else set())


def _security(route: Route, schemes: dict[str, SecurityScheme]) -> list[SecurityRequirement] | None:
    native = route.security.native or {}
    backends = native.get("auth_backends")
    if not backends:
        return None
    requirements: list[SecurityRequirement] = []
    for backend in backends:
        name, scheme = _security_scheme(backend)
        schemes.setdefault(name, scheme)
        if {name: []} not in requirements:
            requirements.append({name: []})
    if not native.get("guards"):
        # Every server-side guard needs an authenticated caller; without one the
        # credentials are optional, which OpenAPI writes as an empty requirement.
        requirements.append({})
    return requirements
