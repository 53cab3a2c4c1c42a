"""Health endpoints for load balancers and orchestrators.

Nothing is added by itself; call ``register_health_checks(api)`` to get

* ``GET /health`` (liveness): ``{"status": "ok"}`` whenever the process serves;
* ``GET /ready`` (readiness): runs every check and answers
  ``{"status": "healthy" | "unhealthy", "checks": {<check name>: {"healthy": bool, "message": str}}}``,
  with status 200 when every check passed and 503 otherwise, so that a load balancer
  or an orchestrator's readiness probe takes the process out of rotation.

Both follow the API's ``prefix``, and both are public: they get no
authentication and no guards, whatever the API's defaults.

A check is an ``async def`` function returning ``(healthy, message)``::

    @add_health_check
    async def check_cache() -> tuple[bool, str]:
        return await cache_is_up(), "cache"

When no check was added by the time ``/ready`` is first called,
``check_database`` (a ``SELECT 1`` on Django's default database) is used. A
check that raises counts as unhealthy, with the exception as its message.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from .responses import JSON

__all__ = [
    "HealthCheck",
    "check_database",
    "health_handler",
    "ready_handler",
    "register_health_checks",
    "add_health_check",
]

Check = Callable[[], Awaitable[tuple[bool, str]]]


class HealthCheck:
    """A list of checks run together."""

    def __init__(self) -> None:
        self.checks: list[Check] = []

    def add_check(self, check: Check) -> Check:
        """Add ``check`` (an ``async def`` returning ``(bool, str)``); returns it, to serve as a decorator."""
        if not inspect.iscoroutinefunction(check):
            raise TypeError(
                f"health checks are 'async def' functions returning (healthy, message), not {check!r}"
            )
        self.checks.append(check)
        return check

    async def run_checks(self) -> dict[str, Any]:
        """Run every check, in order; ``status`` is ``"healthy"`` only when all are."""
        results = {}
        for check in self.checks:
            healthy, message = await _run(check)
            results[getattr(check, "__name__", type(check).__name__)] = {"healthy": healthy, "message": message}
        healthy = all(result["healthy"] for result in results.values())
        return {"status": "healthy" if healthy else "unhealthy", "checks": results}


async def _run(check: Check) -> tuple[bool, str]:
    try:
        outcome = await check()
    except Exception as exc:
        return False, f"Check failed: {exc}"
    if not (isinstance(outcome, tuple) and len(outcome) == 2 and isinstance(outcome[0], bool)):
        return False, f"Check failed: it returned {outcome!r}, not (healthy, message)"
    return outcome[0], str(outcome[1])


_checks = HealthCheck()


def add_health_check(check: Check) -> Check:
    """Add ``check`` to the checks ``/ready`` runs; usable as a decorator."""
    return _checks.add_check(check)


def _ping_database() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


async def check_database() -> tuple[bool, str]:
    """Whether Django's default database answers a query."""
    from asgiref.sync import sync_to_async

    try:
        # Django's database connections are used from synchronous code only.
        await sync_to_async(_ping_database)()
    except Exception as exc:
        return False, f"Database error: {exc}"
    return True, "Database connection OK"


async def health_handler() -> dict[str, str]:
    """Liveness: answering at all is the answer."""
    return {"status": "ok"}


async def ready_handler() -> dict[str, Any]:
    """Readiness: the outcome of every check (the database's when none was added)."""
    if not _checks.checks:
        _checks.add_check(check_database)
    return await _checks.run_checks()


async def ready_route():
    """``GET /ready``: the checks' outcome, 503 when any failed."""
    result = await ready_handler()
    return JSON(result, status_code=200 if result["status"] == "healthy" else 503)


def register_health_checks(api: Any) -> None:
    """Add ``GET <prefix>/health`` and ``GET <prefix>/ready`` to ``api``, without auth or guards."""
    api._register("GET", f"{api.prefix}/health", health_handler, guards=[], auth=[])
    api._register("GET", f"{api.prefix}/ready", ready_route, guards=[], auth=[])
