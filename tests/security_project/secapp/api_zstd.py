"""The "zstd" profile: ``BOLT_COMPRESSION`` (zstd, 200 bytes, no gzip fallback)
overrides the API's own gzip configuration."""

from django_bolt import BoltAPI
from django_bolt.compression import CompressionConfig
from django_bolt.responses import PlainText

api = BoltAPI(compression=CompressionConfig(backend="gzip", minimum_size=10))


@api.get("/z/text")
async def text(n: int):
    return PlainText("y" * n)
