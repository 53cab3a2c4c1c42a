"""OpenAPI documentation for a ``BoltAPI``: the schema and the pages showing it.

* ``config`` - ``OpenAPIConfig``: title, version, where the docs are served;
* ``plugins`` - how: Swagger UI, Redoc, Scalar, RapiDoc, Stoplight Elements,
  JSON, YAML;
* ``spec`` - the OpenAPI 3.1 object model;
* ``schema_generator`` - ``SchemaGenerator``: the document, read from the
  compiled routes;
* ``routes`` - ``OpenAPIRouteRegistrar``: the docs routes ``runbolt`` adds.
"""

from .config import OpenAPIConfig
from .plugins import (
    JsonRenderPlugin,
    OpenAPIRenderPlugin,
    RapidocRenderPlugin,
    RedocRenderPlugin,
    ScalarRenderPlugin,
    StoplightRenderPlugin,
    SwaggerRenderPlugin,
    YamlRenderPlugin,
)

__all__ = [
    "OpenAPIConfig",
    "OpenAPIRenderPlugin",
    "SwaggerRenderPlugin",
    "RedocRenderPlugin",
    "ScalarRenderPlugin",
    "RapidocRenderPlugin",
    "StoplightRenderPlugin",
    "JsonRenderPlugin",
    "YamlRenderPlugin",
]
