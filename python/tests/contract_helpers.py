"""Shared setup for the handler-contract tests (``test_contract_*.py``).

Django is configured by ``conftest.py`` before any test module is imported.
"""

from __future__ import annotations

from conftest import SECRET_KEY  # noqa: F401  (tests sign their tokens with it)

_migrated = False


def migrate_once() -> None:
    """Create the auth tables in the in-memory database of this thread's connection."""
    global _migrated
    if _migrated:
        return
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _migrated = True


def client_for(api, **kwargs):
    """A ``TestClient`` for ``api`` (imported lazily so Django is ready first)."""
    from django_bolt.testing import TestClient

    return TestClient(api, **kwargs)


def multipart(fields: dict[str, str] | None = None, files: list[tuple[str, str, str, bytes]] | None = None,
              boundary: str = "contract-boundary-7MA4YWxk") -> tuple[bytes, str]:
    """A hand-built ``multipart/form-data`` body and its content-type.

    ``files`` items are ``(field name, filename, content type, content)``.
    """
    parts: list[bytes] = []
    for name, value in (fields or {}).items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
            + value.encode()
            + b"\r\n"
        )
    for name, filename, ctype, content in files or []:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            f"Content-Type: {ctype}\r\n\r\n".encode()
            + content
            + b"\r\n"
        )
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"
