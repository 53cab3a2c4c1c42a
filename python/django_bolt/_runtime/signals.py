"""Django's ``request_started`` / ``request_finished`` around each request.

Only routes of an API built with ``BOLT_EMIT_SIGNALS = True`` are wrapped, so without
the setting no request pays for it. Django connects ``close_old_connections`` to both
signals: that is what closes database connections older than ``CONN_MAX_AGE`` (and
broken ones) between requests, as under Django's own handlers. Receivers run as
Django's ASGI handler runs them (``asend``: sync receivers in the thread where async
code's ORM calls run). Sync handlers run in the worker pool, whose threads have
connections of their own: while a request runs with signals, each of them recycles its
connections around the sync code it runs (``route.run_sync``), and so does each worker
thread that runs a stretch of a sync generator streamed by the response
(``streams.Streams``). For a streamed response ``request_finished`` is sent when the
stream has ended (its last chunk written, its generator failed or closed because the
client went away), as Django sends it when it closes a streamed response.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from django.core.signals import request_finished, request_started

from ..responses import StreamingResponse
from .route import recycle_connections
from .streams import FINISHED, RECYCLES

__all__ = ["with_signals"]


def _scope(request: Any) -> dict[str, Any]:
    return {
        "type": "http",
        "method": request.method,
        "path": request.path,
        "query_string": request._raw_query or b"",
        "headers": [(k.encode("latin-1"), v.encode("latin-1", "replace")) for k, v in request._headers.items()],
    }


def with_signals(run: Callable[[Any], Any], sender: type) -> Callable[[Any], Any]:
    async def run_with_signals(request: Any) -> Any:
        await request_started.asend(sender=sender, scope=_scope(request))
        recycling = recycle_connections.set(True)
        streamed = False
        try:
            result = await run(request)
            if isinstance(result, StreamingResponse):
                setattr(result, RECYCLES, True)
                setattr(result, FINISHED, partial(request_finished.asend, sender=sender))
                streamed = True
            return result
        finally:
            recycle_connections.reset(recycling)
            if not streamed:
                await request_finished.asend(sender=sender)

    return run_with_signals
