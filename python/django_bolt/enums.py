"""Named sizes and media types for parameters and responses::

    File(max_size=FileSize.MB_5, allowed_types=["image/*"])
    Response(data, media_type=MediaType.TEXT)
"""

from __future__ import annotations

import enum

__all__ = ["FileSize", "MediaType"]

_MiB = 1024 * 1024


class FileSize(enum.IntEnum):
    """Sizes in bytes: ``MB_1`` … ``MB_10`` in steps of 1 MiB, ``MB_20`` … ``MB_100`` in steps of 10 MiB."""

    MB_1 = 1 * _MiB
    MB_2 = 2 * _MiB
    MB_3 = 3 * _MiB
    MB_4 = 4 * _MiB
    MB_5 = 5 * _MiB
    MB_6 = 6 * _MiB
    MB_7 = 7 * _MiB
    MB_8 = 8 * _MiB
    MB_9 = 9 * _MiB
    MB_10 = 10 * _MiB
    MB_20 = 20 * _MiB
    MB_30 = 30 * _MiB
    MB_40 = 40 * _MiB
    MB_50 = 50 * _MiB
    MB_60 = 60 * _MiB
    MB_70 = 70 * _MiB
    MB_80 = 80 * _MiB
    MB_90 = 90 * _MiB
    MB_100 = 100 * _MiB


class MediaType(enum.StrEnum):
    """Common response media types; members are their strings."""

    JSON = "application/json"
    HTML = "text/html"
    TEXT = "text/plain"
    CSS = "text/css"
    XML = "application/xml"
    MESSAGEPACK = "application/vnd.msgpack"
