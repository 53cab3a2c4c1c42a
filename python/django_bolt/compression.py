"""Response compression settings; the compressing itself is done by the Go core.

The server picks an encoding the client accepts (``Accept-Encoding``):
``backend`` when it can, gzip otherwise (unless ``gzip_fallback=False``).
Bodies smaller than ``minimum_size`` bytes are sent as they are, since
compressing them costs more than it saves.

Where the configuration comes from, first match wins:

1. ``settings.BOLT_COMPRESSION``, when the setting exists: a
   ``CompressionConfig``, or None/False to turn compression off;
2. ``BoltAPI(compression=...)``: a ``CompressionConfig``, False for off, or
   None (the default) for ``CompressionConfig()``.

A route opts out with ``@no_compress``. A compressed response's strong ``ETag``
becomes weak (``W/"…"``), as Django's ``GZipMiddleware`` makes it: the bytes sent are
not the ones it names.

Files sent from disk (``FileResponse``, the admin's static files) follow the same
rules when they are sent whole: a text-like file (by ``Content-Type``) of at least
``minimum_size`` and at most 1 MiB is compressed. A range request, a larger file or another type is sent as it is. Streams
(``StreamingResponse``) are never compressed. Static files kept in memory are
compressed once per encoding and the result kept with them until the file changes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["CompressionConfig", "resolve_compression"]

BACKENDS = ("gzip", "brotli", "zstd")

# field -> (lowest, highest) accepted value; None: no upper bound.
_RANGES = {
    "minimum_size": (0, None),
    "gzip_compress_level": (0, 9),
    "brotli_quality": (0, 11),
    "brotli_lgwin": (10, 24),
    "zstd_level": (1, 22),
}


@dataclass
class CompressionConfig:
    """How responses are compressed; every value is checked on creation."""

    backend: str = "brotli"
    minimum_size: int = 500
    gzip_compress_level: int = 9
    brotli_quality: int = 5
    brotli_lgwin: int = 22
    zstd_level: int = 3
    gzip_fallback: bool = True

    def __post_init__(self) -> None:
        if self.backend not in BACKENDS:
            raise ValueError(f"CompressionConfig: backend must be one of {', '.join(BACKENDS)}, not {self.backend!r}")
        for name, (low, high) in _RANGES.items():
            value = getattr(self, name)
            in_range = (
                isinstance(value, int)
                and not isinstance(value, bool)
                and value >= low
                and (high is None or value <= high)
            )
            if not in_range:
                expected = f"a whole number >= {low}" if high is None else f"a whole number from {low} to {high}"
                raise ValueError(f"CompressionConfig: {name} must be {expected}, not {value!r}")
        if not isinstance(self.gzip_fallback, bool):
            raise ValueError(f"CompressionConfig: gzip_fallback must be True or False, not {self.gzip_fallback!r}")

    def to_config(self) -> dict[str, Any]:
        """The settings as the plain dict the server receives."""
        return asdict(self)

    # The name used by code written for the original Django-Bolt (whose core was Rust).
    to_rust_config = to_config


def resolve_compression(api_compression: Any) -> dict[str, Any] | None:
    """The compression dict for the server, or None when compression is off.

    ``api_compression`` is the value given to ``BoltAPI(compression=...)``;
    ``settings.BOLT_COMPRESSION`` overrides it when the setting exists.
    """
    if hasattr(settings, "BOLT_COMPRESSION"):
        value = settings.BOLT_COMPRESSION
        if value is None or value is False:
            return None
        if isinstance(value, CompressionConfig):
            return value.to_config()
        raise ImproperlyConfigured(
            f"BOLT_COMPRESSION must be a CompressionConfig(...) or None/False to turn compression off, not {value!r}"
        )
    if api_compression is None:
        return CompressionConfig().to_config()
    if api_compression is False:
        return None
    if isinstance(api_compression, CompressionConfig):
        return api_compression.to_config()
    raise TypeError(
        "BoltAPI(compression=...) takes a CompressionConfig(...), None for the "
        f"default settings or False to turn compression off, not {api_compression!r}"
    )
