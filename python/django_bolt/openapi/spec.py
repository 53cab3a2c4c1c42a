"""The OpenAPI 3.1 object model, as msgspec Structs.

Each class is one object of the OpenAPI specification, with its fields in
snake_case; encoding writes the specification's names (``operation_id`` ->
``operationId``, ``param_in`` -> ``in``, ``ref`` -> ``$ref``) and leaves out
every field still at its default, so only what was set appears::

    op = Operation(operation_id="get_item", responses={"200": OpenAPIResponse(description="OK")})
    op.to_schema()  # {"operationId": "get_item", "responses": {"200": {"description": "OK"}}}

Schema positions accept a ``Schema``, a ``Reference``, or a JSON Schema
written as a plain dict: in OpenAPI 3.1 a schema *is* a JSON Schema (draft
2020-12), and the generator embeds the JSON Schema msgspec produces for
Structs as it is, so no keyword (constraints, ``extra_json_schema``...) is
lost in translation. Fields that may legitimately hold ``None`` (``default``,
``const``, ``example``, ``value``) are unset by default instead.
"""

from __future__ import annotations

import enum
from typing import Any, Dict, List, Union

import msgspec

__all__ = [
    "OpenAPI",
    "Info",
    "Contact",
    "License",
    "Server",
    "ServerVariable",
    "Tag",
    "ExternalDocumentation",
    "Components",
    "PathItem",
    "Operation",
    "Parameter",
    "RequestBody",
    "OpenAPIResponse",
    "OpenAPIMediaType",
    "OpenAPIHeader",
    "Schema",
    "Reference",
    "SecurityRequirement",
    "SecurityScheme",
    "OAuthFlow",
    "OAuthFlows",
    "Callback",
    "Discriminator",
    "Encoding",
    "Example",
    "Link",
    "Responses",
    "Paths",
    "XML",
    "BaseSchemaObject",
    "OpenAPIFormat",
    "OpenAPIType",
]

# Python names that cannot be the specification's names.
_SPECIAL_NAMES = {
    "ref": "$ref",
    "schema_dialect": "$schema",
    "param_in": "in",
    "security_scheme_in": "in",
    "not_": "not",
    "if_": "if",
    "else_": "else",
    "x_websocket": "x-websocket",
}


def _spec_name(field: str) -> str:
    special = _SPECIAL_NAMES.get(field)
    if special is not None:
        return special
    first, *rest = field.split("_")
    return first + "".join(part.capitalize() for part in rest)


class BaseSchemaObject(msgspec.Struct, omit_defaults=True, rename=_spec_name):
    """Base of every object: the specification's names, unset fields left out."""

    def to_schema(self) -> dict[str, Any]:
        """This object as JSON-ready builtins (dicts, lists, strings, numbers)."""
        return msgspec.to_builtins(self)


class OpenAPIType(str, enum.Enum):
    """The JSON Schema ``type`` keyword's values."""

    ARRAY = "array"
    BOOLEAN = "boolean"
    INTEGER = "integer"
    NULL = "null"
    NUMBER = "number"
    OBJECT = "object"
    STRING = "string"


class OpenAPIFormat(str, enum.Enum):
    """Common values of the ``format`` keyword (JSON Schema and OpenAPI's own)."""

    DATE = "date"
    DATE_TIME = "date-time"
    TIME = "time"
    DURATION = "duration"
    EMAIL = "email"
    IDN_EMAIL = "idn-email"
    HOSTNAME = "hostname"
    IDN_HOSTNAME = "idn-hostname"
    IPV4 = "ipv4"
    IPV6 = "ipv6"
    URI = "uri"
    URI_REFERENCE = "uri-reference"
    URI_TEMPLATE = "uri-template"
    IRI = "iri"
    IRI_REFERENCE = "iri-reference"
    UUID = "uuid"
    JSON_POINTER = "json-pointer"
    RELATIVE_JSON_POINTER = "relative-json-pointer"
    REGEX = "regex"
    BINARY = "binary"
    BYTE = "byte"
    PASSWORD = "password"
    INT32 = "int32"
    INT64 = "int64"
    FLOAT = "float"
    DOUBLE = "double"
    DECIMAL = "decimal"


class Contact(BaseSchemaObject):
    name: str | None = None
    url: str | None = None
    email: str | None = None


class License(BaseSchemaObject):
    """``identifier`` is an SPDX expression; give it or ``url``, not both."""

    name: str
    identifier: str | None = None
    url: str | None = None


class ExternalDocumentation(BaseSchemaObject):
    url: str
    description: str | None = None


class Info(BaseSchemaObject):
    title: str
    version: str
    summary: str | None = None
    description: str | None = None
    terms_of_service: str | None = None
    contact: Contact | None = None
    license: License | None = None


class ServerVariable(BaseSchemaObject):
    default: str
    enum: List[str] | None = None
    description: str | None = None


class Server(BaseSchemaObject):
    """Where the API is served; ``url`` may be relative (``"/"``) and use ``{variables}``."""

    url: str
    description: str | None = None
    variables: Dict[str, ServerVariable] | None = None


class Tag(BaseSchemaObject):
    name: str
    description: str | None = None
    external_docs: ExternalDocumentation | None = None


class Reference(BaseSchemaObject):
    """A ``$ref`` to an object elsewhere, e.g. ``#/components/schemas/Item``."""

    ref: str
    summary: str | None = None
    description: str | None = None


class XML(BaseSchemaObject):
    name: str | None = None
    namespace: str | None = None
    prefix: str | None = None
    attribute: bool = False
    wrapped: bool = False


class Discriminator(BaseSchemaObject):
    property_name: str
    mapping: Dict[str, str] | None = None


# A schema position: an object of this model, or a JSON Schema as a dict.
SchemaOrReference = Union["Schema", Reference, Dict[str, Any]]


class Schema(BaseSchemaObject):
    """A JSON Schema (draft 2020-12) with OpenAPI's extra keywords."""

    # Metadata
    schema_dialect: str | None = None
    title: str | None = None
    description: str | None = None
    default: Any = msgspec.UNSET
    deprecated: bool | None = None
    read_only: bool | None = None
    write_only: bool | None = None
    examples: List[Any] | None = None
    # Validation
    type: OpenAPIType | List[OpenAPIType] | None = None
    enum: List[Any] | None = None
    const: Any = msgspec.UNSET
    multiple_of: float | None = None
    maximum: float | None = None
    exclusive_maximum: float | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    max_items: int | None = None
    min_items: int | None = None
    unique_items: bool | None = None
    max_contains: int | None = None
    min_contains: int | None = None
    max_properties: int | None = None
    min_properties: int | None = None
    required: List[str] | None = None
    dependent_required: Dict[str, List[str]] | None = None
    # Format and content
    format: OpenAPIFormat | str | None = None
    content_encoding: str | None = None
    content_media_type: str | None = None
    content_schema: SchemaOrReference | None = None
    # Applicators
    all_of: List[SchemaOrReference] | None = None
    any_of: List[SchemaOrReference] | None = None
    one_of: List[SchemaOrReference] | None = None
    not_: SchemaOrReference | None = None
    if_: SchemaOrReference | None = None
    then: SchemaOrReference | None = None
    else_: SchemaOrReference | None = None
    dependent_schemas: Dict[str, SchemaOrReference] | None = None
    prefix_items: List[SchemaOrReference] | None = None
    items: SchemaOrReference | None = None
    contains: SchemaOrReference | None = None
    properties: Dict[str, SchemaOrReference] | None = None
    pattern_properties: Dict[str, SchemaOrReference] | None = None
    additional_properties: SchemaOrReference | bool | None = None
    property_names: SchemaOrReference | None = None
    unevaluated_items: SchemaOrReference | None = None
    unevaluated_properties: SchemaOrReference | None = None
    # OpenAPI additions
    discriminator: Discriminator | None = None
    xml: XML | None = None
    external_docs: ExternalDocumentation | None = None
    example: Any = msgspec.UNSET


class Example(BaseSchemaObject):
    summary: str | None = None
    description: str | None = None
    value: Any = msgspec.UNSET
    external_value: str | None = None


class OpenAPIHeader(BaseSchemaObject):
    """A response header (a parameter without ``name`` and ``in``)."""

    schema: SchemaOrReference | None = None
    description: str | None = None
    required: bool = False
    deprecated: bool = False
    style: str | None = None
    explode: bool | None = None
    example: Any = msgspec.UNSET
    examples: Dict[str, Union[Example, Reference]] | None = None
    content: Dict[str, "OpenAPIMediaType"] | None = None


class Encoding(BaseSchemaObject):
    """How one property of a form body is encoded."""

    content_type: str | None = None
    headers: Dict[str, Union[OpenAPIHeader, Reference]] | None = None
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False


class OpenAPIMediaType(BaseSchemaObject):
    schema: SchemaOrReference | None = None
    example: Any = msgspec.UNSET
    examples: Dict[str, Union[Example, Reference]] | None = None
    encoding: Dict[str, Encoding] | None = None


class Parameter(BaseSchemaObject):
    """One path, query, header or cookie parameter; ``param_in`` is its location."""

    name: str
    param_in: str
    schema: SchemaOrReference | None = None
    description: str | None = None
    required: bool = False
    deprecated: bool = False
    allow_empty_value: bool = False
    style: str | None = None
    explode: bool | None = None
    allow_reserved: bool = False
    example: Any = msgspec.UNSET
    examples: Dict[str, Union[Example, Reference]] | None = None
    content: Dict[str, OpenAPIMediaType] | None = None


class RequestBody(BaseSchemaObject):
    content: Dict[str, OpenAPIMediaType]
    description: str | None = None
    required: bool = False


class Link(BaseSchemaObject):
    operation_ref: str | None = None
    operation_id: str | None = None
    parameters: Dict[str, Any] | None = None
    request_body: Any = msgspec.UNSET
    description: str | None = None
    server: Server | None = None


class OpenAPIResponse(BaseSchemaObject):
    description: str
    headers: Dict[str, Union[OpenAPIHeader, Reference]] | None = None
    content: Dict[str, OpenAPIMediaType] | None = None
    links: Dict[str, Union[Link, Reference]] | None = None


class OAuthFlow(BaseSchemaObject):
    scopes: Dict[str, str]
    authorization_url: str | None = None
    token_url: str | None = None
    refresh_url: str | None = None


class OAuthFlows(BaseSchemaObject):
    implicit: OAuthFlow | None = None
    password: OAuthFlow | None = None
    client_credentials: OAuthFlow | None = None
    authorization_code: OAuthFlow | None = None


class SecurityScheme(BaseSchemaObject):
    """How a client authenticates: ``type`` is ``apiKey``, ``http``,
    ``mutualTLS``, ``oauth2`` or ``openIdConnect``; ``security_scheme_in``
    (``header``/``query``/``cookie``) and ``name`` locate an API key."""

    type: str
    description: str | None = None
    name: str | None = None
    security_scheme_in: str | None = None
    scheme: str | None = None
    bearer_format: str | None = None
    flows: OAuthFlows | None = None
    open_id_connect_url: str | None = None


# {scheme name: required scopes}; an operation lists alternatives of these.
SecurityRequirement = Dict[str, List[str]]
Responses = Dict[str, Union[OpenAPIResponse, Reference]]


class Operation(BaseSchemaObject):
    tags: List[str] | None = None
    summary: str | None = None
    description: str | None = None
    external_docs: ExternalDocumentation | None = None
    operation_id: str | None = None
    parameters: List[Union[Parameter, Reference]] | None = None
    request_body: RequestBody | Reference | None = None
    responses: Responses | None = None
    callbacks: Dict[str, Union[Dict[str, "PathItem"], Reference]] | None = None
    deprecated: bool = False
    security: List[SecurityRequirement] | None = None
    servers: List[Server] | None = None


class PathItem(BaseSchemaObject):
    ref: str | None = None
    summary: str | None = None
    description: str | None = None
    get: Operation | None = None
    put: Operation | None = None
    post: Operation | None = None
    delete: Operation | None = None
    options: Operation | None = None
    head: Operation | None = None
    patch: Operation | None = None
    trace: Operation | None = None
    servers: List[Server] | None = None
    parameters: List[Union[Parameter, Reference]] | None = None
    # A WebSocket route's path item (django_bolt.openapi.websocket_schema).
    x_websocket: bool = False


# {expression: path item}: the requests the API may send back to the client.
Callback = Dict[str, PathItem]
Paths = Dict[str, PathItem]


class Components(BaseSchemaObject):
    """Reusable objects, referenced as ``#/components/<kind>/<name>``."""

    schemas: Dict[str, SchemaOrReference] = {}
    responses: Dict[str, Union[OpenAPIResponse, Reference]] | None = None
    parameters: Dict[str, Union[Parameter, Reference]] | None = None
    examples: Dict[str, Union[Example, Reference]] | None = None
    request_bodies: Dict[str, Union[RequestBody, Reference]] | None = None
    headers: Dict[str, Union[OpenAPIHeader, Reference]] | None = None
    security_schemes: Dict[str, Union[SecurityScheme, Reference]] = {}
    links: Dict[str, Union[Link, Reference]] | None = None
    callbacks: Dict[str, Union[Callback, Reference]] | None = None
    path_items: Dict[str, Union[PathItem, Reference]] | None = None


class OpenAPI(BaseSchemaObject, kw_only=True):
    """The document root."""

    openapi: str = "3.1.0"
    info: Info
    json_schema_dialect: str | None = None
    servers: List[Server] | None = None
    paths: Paths | None = None
    webhooks: Dict[str, Union[PathItem, Reference]] | None = None
    components: Components | None = None
    security: List[SecurityRequirement] | None = None
    tags: List[Tag] | None = None
    external_docs: ExternalDocumentation | None = None

    def to_schema(self) -> dict[str, Any]:
        # The version is required even at its default value, and comes first.
        return {"openapi": self.openapi, **super().to_schema()}
