"""Shortcuts for handlers that render Django templates.

    from django_bolt.shortcuts import render

    @api.get("/hello")
    async def hello(request):
        return render(request, "hello.html", {"name": "Ada"})
"""

from __future__ import annotations

from typing import Any

from .responses import Response

__all__ = ["render"]

HTML_TYPE = "text/html; charset=utf-8"


def render(
    request: Any,
    template_name: str | list[str],
    context: dict[str, Any] | None = None,
    content_type: str = HTML_TYPE,
    status: int = 200,
    using: str | None = None,
) -> Response:
    """``template_name`` rendered with ``context`` by Django's template engine (``using``
    selects one of ``TEMPLATES``), as a ``Response``. The template and its context
    processors see ``request`` (its ``user``, ``META``, ``path``...)."""
    from django.template import loader

    text = loader.render_to_string(template_name, context, request=request, using=using)
    return Response(text, status_code=status, media_type=content_type)
