"""Factories kept for code written against the original API."""

from __future__ import annotations

from typing import Any

from .client import AsyncTestClient, TestClient

__all__ = ["create_test_client", "create_async_test_client"]


def _bootstrap() -> None:
    from ..bootstrap import ensure_django_ready

    ensure_django_ready()


def create_test_client(api: Any, base_url: str = "http://testserver.local", raise_server_exceptions: bool = True,
                       bootstrap_django: bool = True, **kwargs: Any) -> TestClient:
    if bootstrap_django:
        _bootstrap()
    return TestClient(api, base_url=base_url, raise_server_exceptions=raise_server_exceptions, **kwargs)


def create_async_test_client(api: Any, base_url: str = "http://testserver.local",
                             raise_server_exceptions: bool = True, bootstrap_django: bool = True,
                             **kwargs: Any) -> AsyncTestClient:
    if bootstrap_django:
        _bootstrap()
    return AsyncTestClient(api, base_url=base_url, raise_server_exceptions=raise_server_exceptions, **kwargs)
