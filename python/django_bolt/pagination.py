"""Pagination: page numbers, limit/offset and cursors over QuerySets and lists.

    class NotePages(PageNumberPagination):
        page_size = 20

    @api.get("/notes")
    @paginate(NotePages)
    async def notes(request) -> list[NoteOut]:
        return Note.objects.order_by("id")

``GET /notes?page=2&page_size=5`` answers::

    {"items": [...], "total": 42, "has_next": true, "has_previous": true,
     "page": 2, "page_size": 5, "total_pages": 9, "next_page": 3, "previous_page": 1}

Query parameters never cause an error: a missing, unreadable or out-of-range value is
clamped (page < 1 ⇒ 1, past the end ⇒ the last page, size > ``max_page_size`` ⇒ the
maximum, size < 1 ⇒ ``page_size``, negative offset ⇒ 0), and an unreadable cursor reads
as the first page. Keys whose value is ``None`` are left out of the response.
"""

from __future__ import annotations

import base64
import functools
import inspect
import math
import typing
from abc import ABC, abstractmethod
from typing import Any, Callable, Generic, TypeVar

import msgspec
from asgiref.sync import sync_to_async

__all__ = [
    "PaginatedResponse",
    "PaginationBase",
    "PageNumberPagination",
    "LimitOffsetPagination",
    "CursorPagination",
    "paginate",
]

T = TypeVar("T")


class PaginatedResponse(msgspec.Struct, Generic[T], omit_defaults=True):
    """One page of ``items``; which optional keys appear depends on the paginator."""

    items: list[T]
    total: int
    has_next: bool
    has_previous: bool
    page: int | None = None
    page_size: int | None = None
    total_pages: int | None = None
    next_page: int | None = None
    previous_page: int | None = None
    limit: int | None = None
    offset: int | None = None
    next_cursor: str | None = None
    previous_cursor: str | None = None


def _is_queryset(value: Any) -> bool:
    return hasattr(value, "_iterable_class") and hasattr(value, "model")


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _count_and_slice(items: Any, bounds: Callable[[int], tuple[int, int]],
                     first: int = 0) -> tuple[int, list[Any], int]:
    """The number of items, the page ``bounds(total)`` gives as ``(start, stop)``, and start.

    ``first`` is the size of a page that starts at the first item whatever the total
    (page 1, offset 0): a QuerySet's page is then fetched before it is counted, and a
    page that comes back short holds every row, so its length is the total and the
    ``COUNT`` query is left out."""
    if first and _is_queryset(items):
        rows = list(items[:first])
        return (len(rows) if len(rows) < first else items.count()), rows, 0
    total = items.count() if _is_queryset(items) else len(items)
    start, stop = bounds(total)
    return total, list(items[start:stop]), start


async def _page(items: Any, bounds: Callable[[int], tuple[int, int]], first: int = 0) -> tuple[int, list[Any], int]:
    """``_count_and_slice`` for a list, or for a QuerySet in one thread-sensitive call
    (what ``acount()`` and ``async for`` would do in two), so the count and the page
    cost a single hand-off to the ORM's thread."""
    if _is_queryset(items):
        return await sync_to_async(_count_and_slice)(items, bounds, first)
    return _count_and_slice(items, bounds)


# -- reading rows as dicts --------------------------------------------------------------------

# (model, item type) -> the field names to read, or None when instances are needed.
_row_fields: dict[tuple[type, type], tuple[str, ...] | None] = {}


def _columns_only(model: type, item: type) -> tuple[str, ...] | None:
    """The fields of ``item`` when each is a plain column of ``model`` whose value an
    instance shows unchanged, else None: a property or method, a relation, a field with
    its own descriptor (a file), a renamed or array-like Struct, or a model that builds
    its instances its own way (``__init__``, ``from_db``, ``post_init`` receivers)."""
    from django.core.exceptions import FieldDoesNotExist
    from django.db.models import Model
    from django.db.models.query_utils import DeferredAttribute
    from django.db.models.signals import post_init

    if hasattr(item, "from_model") or not (isinstance(item, type) and issubclass(item, msgspec.Struct)):
        return None
    config = item.__struct_config__
    names = item.__struct_fields__
    if config.tag is not None or config.array_like or item.__struct_encode_fields__ != names:
        return None
    if (model.__init__ is not Model.__init__ or model.from_db.__func__ is not Model.from_db.__func__
            or post_init.has_listeners(model)):
        return None
    for name in names:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            return None
        if (not getattr(field, "concrete", False) or field.is_relation or field.attname != name
                or type(inspect.getattr_static(model, name, None)) is not DeferredAttribute):
            return None
    return names


def as_rows(queryset: Any, item: Any) -> Any:
    """``queryset.values(...)`` with the fields of ``item`` (a plain Struct) when the rows
    convert to it exactly as model instances would, else ``queryset`` unchanged.

    A dict per row costs a fraction of a model instance, and the columns ``item`` reads
    are fetched in the one query (a field left out by ``only()`` would otherwise cost a
    query per row). QuerySets whose rows a narrower SELECT could change are left alone:
    ``distinct()``, ``union()``, annotations, grouping, ``extra()``, prefetching, an
    already sliced, evaluated or ``values()`` QuerySet, and a QuerySet class that
    fetches its rows its own way."""
    if not _is_queryset(queryset) or item is None:
        return queryset
    from django.db.models.query import ModelIterable, QuerySet

    query = queryset.query
    kind = type(queryset)
    if (queryset._iterable_class is not ModelIterable or queryset._result_cache is not None
            # A QuerySet class that reads its rows its own way may expect instances.
            or kind._fetch_all is not QuerySet._fetch_all or kind.__iter__ is not QuerySet.__iter__
            or queryset._prefetch_related_lookups or query.distinct or query.combinator
            or query.group_by is not None or query.annotations or query.extra or query.is_sliced):
        return queryset
    key = (queryset.model, item)
    try:
        names = _row_fields[key]
    except KeyError:
        names = _row_fields[key] = _columns_only(queryset.model, item)
    except TypeError:  # an unhashable item type
        return queryset
    return queryset if names is None else queryset.values(*names)


def _query(request: Any) -> dict[str, str]:
    return request.query if request is not None else {}


class PaginationBase(ABC):
    """A way of cutting a QuerySet or list into pages. Subclass a paginator below to
    change its sizes: ``class Small(PageNumberPagination): page_size = 10``."""

    page_size: int = 100
    max_page_size: int = 1000
    page_size_query_param: str | None = None
    # A Serializer or Struct the items are converted with (else the route's item type).
    serializer_class: Any = None

    def get_page_size(self, request: Any, param: str | None = None) -> int:
        """The requested size, clamped to 1..max_page_size (``page_size`` when absent)."""
        param = param or self.page_size_query_param
        size = _int(_query(request).get(param)) if param else None
        if size is None or size < 1:
            size = self.page_size
        return min(size, self.max_page_size)

    @abstractmethod
    async def get_page_params(self, request: Any) -> dict[str, Any]:
        """The page the request asks for, after clamping."""

    @abstractmethod
    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> PaginatedResponse:
        """The page of ``queryset`` (a QuerySet or a list) the request asks for."""

    @classmethod
    def query_parameters(cls) -> list[tuple[str, str]]:
        """``(name, description)`` of the query parameters read, for the OpenAPI document."""
        return []


class PageNumberPagination(PaginationBase):
    """``?page=<n>&page_size=<n>``; pages count from 1."""

    page_size_query_param = "page_size"

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        page = _int(_query(request).get("page"))
        return {"page": page if page is not None and page >= 1 else 1, "page_size": self.get_page_size(request)}

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> PaginatedResponse:
        params = params or await self.get_page_params(request)
        size = params["page_size"]

        def bounds(total: int) -> tuple[int, int]:
            page = max(1, min(params["page"], math.ceil(total / size)))
            return (page - 1) * size, page * size

        total, items, start = await _page(queryset, bounds, size if params["page"] == 1 else 0)
        total_pages = math.ceil(total / size)
        page = start // size + 1
        has_next, has_previous = page < total_pages, page > 1
        return PaginatedResponse(
            items=items, total=total, has_next=has_next, has_previous=has_previous, page=page, page_size=size,
            total_pages=total_pages, next_page=page + 1 if has_next else None,
            previous_page=page - 1 if has_previous else None,
        )

    @classmethod
    def query_parameters(cls) -> list[tuple[str, str]]:
        return [("page", "Page number, from 1"),
                (cls.page_size_query_param or "page_size", f"Items per page (max {cls.max_page_size})")]


class LimitOffsetPagination(PaginationBase):
    """``?limit=<n>&offset=<n>``; ``limit`` defaults to ``page_size``."""

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        offset = _int(_query(request).get("offset"))
        return {"limit": self.get_page_size(request, "limit"), "offset": offset if offset and offset > 0 else 0}

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> PaginatedResponse:
        params = params or await self.get_page_params(request)
        limit = params["limit"]

        def bounds(total: int) -> tuple[int, int]:
            # Past the end there is nothing to fetch; a huge offset must not reach the
            # database (SQLite and others refuse an OFFSET beyond 64 bits).
            offset = min(params["offset"], total)
            return offset, offset + limit

        total, items, offset = await _page(queryset, bounds, limit if params["offset"] == 0 else 0)
        return PaginatedResponse(items=items, total=total, has_next=offset + limit < total, has_previous=offset > 0,
                                 limit=limit, offset=offset)

    @classmethod
    def query_parameters(cls) -> list[tuple[str, str]]:
        return [("limit", f"Items per page (max {cls.max_page_size})"), ("offset", "Items to skip")]


def _encode_cursor(value: Any) -> str:
    return base64.b64encode(msgspec.json.encode({"v": value})).decode()


def _decode_cursor(cursor: str | None) -> tuple[bool, Any]:
    if not cursor:
        return False, None
    try:
        data = msgspec.json.decode(base64.b64decode(cursor, validate=True))
    except (ValueError, msgspec.DecodeError, RecursionError):  # RecursionError: nested too deeply
        return False, None
    if not isinstance(data, dict) or "v" not in data:
        return False, None
    return True, data["v"]


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, dict) else getattr(item, name)


class CursorPagination(PaginationBase):
    """``?cursor=<opaque>&page_size=<n>``: stable pages over a growing table. Items are
    ordered by ``ordering`` (``"-id"``: newest first); ``total`` is not counted (0)."""

    page_size_query_param = "page_size"
    ordering = "-id"

    async def get_page_params(self, request: Any) -> dict[str, Any]:
        given, value = _decode_cursor(_query(request).get("cursor"))
        return {"page_size": self.get_page_size(request), "cursor_given": given, "cursor_value": value}

    async def paginate_queryset(self, queryset: Any, request: Any, **params: Any) -> PaginatedResponse:
        params = params or await self.get_page_params(request)
        size = params["page_size"]
        field = self.ordering.lstrip("-")
        descending = self.ordering.startswith("-")
        given, value = params["cursor_given"], params["cursor_value"]
        if _is_queryset(queryset):
            queryset = queryset.order_by(self.ordering)
            if given:
                try:
                    queryset = queryset.filter(**{f"{field}__{'lt' if descending else 'gt'}": value})
                except (TypeError, ValueError):
                    given, queryset = False, queryset.order_by(self.ordering)
            rows = [obj async for obj in queryset[: size + 1]]
        else:
            rows = sorted(queryset, key=lambda item: _field(item, field), reverse=descending)
            if given:
                try:
                    rows = [r for r in rows if (_field(r, field) < value if descending else _field(r, field) > value)]
                except TypeError:
                    given = False
            rows = rows[: size + 1]
        has_next = len(rows) > size
        items = rows[:size]
        return PaginatedResponse(
            items=items, total=0, has_next=has_next, has_previous=given, page_size=size,
            next_cursor=_encode_cursor(_field(items[-1], field)) if has_next else None,
        )

    @classmethod
    def query_parameters(cls) -> list[tuple[str, str]]:
        return [("cursor", "Opaque cursor from next_cursor; omit for the first page"),
                (cls.page_size_query_param or "page_size", f"Items per page (max {cls.max_page_size})")]


def pages_rows(pagination_class: Any) -> bool:
    """Whether ``pagination_class`` cuts its pages with a built-in ``paginate_queryset``
    (page numbers or limit/offset), which reads rows as dicts as well as instances; one of
    your own may read other attributes of the model."""
    return getattr(pagination_class, "paginate_queryset", None) in (
        PageNumberPagination.paginate_queryset, LimitOffsetPagination.paginate_queryset)


# -- @paginate ------------------------------------------------------------------------------

_REQUEST_NAMES = ("request", "req")


def item_type(annotation: Any) -> Any:
    """``T`` of ``list[T]`` / ``PaginatedResponse[T]`` (and similar), else None."""
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if args and (origin in (list, tuple, set, frozenset) or origin is PaginatedResponse
                 or (isinstance(origin, type) and issubclass(origin, (list, PaginatedResponse)))):
        return args[0]
    return None


def items_to_builtins(items: list[Any], item: Any) -> list[Any]:
    """Convert a page's items with the item type: a Serializer (``dump_many``), another
    Struct (its fields read from each object or dict), or nothing (a model's fields)."""
    if item is not None and hasattr(item, "dump_many") and hasattr(item, "from_model"):
        return item.dump_many(items)
    if isinstance(item, type) and issubclass(item, msgspec.Struct):
        names = item.__struct_fields__
        return [
            {n: obj[n] for n in names if n in obj} if isinstance(obj, dict)
            else {n: getattr(obj, n) for n in names}
            for obj in items
        ]
    if item is not None:
        return msgspec.convert(items, list[item], from_attributes=True)
    return [
        obj if isinstance(obj, dict) or not hasattr(obj, "__dict__")
        else {k: v for k, v in vars(obj).items() if not k.startswith("_")}
        for obj in items
    ]


def _find_request(fn: Callable[..., Any]) -> Callable[[tuple, dict], Any]:
    params = list(inspect.signature(fn).parameters.values())
    for index, param in enumerate(params):
        if param.name in _REQUEST_NAMES:
            def find(args: tuple, kwargs: dict, name: str = param.name, index: int = index) -> Any:
                return kwargs[name] if name in kwargs else args[index]
            return find
    raise TypeError(
        f"@paginate on {fn.__qualname__}: the handler must take the request to read the page from, "
        f"e.g. `async def {fn.__name__}(request, ...)`"
    )


_encode = msgspec.json.Encoder().encode


def paginate(pagination_class: type[PaginationBase] | Callable[..., Any] = None) -> Callable:  # type: ignore[assignment]
    """Paginate what an ``async def`` handler returns (a QuerySet or a list).

    Put it below the route decorator. The items are converted with the item type of the
    return annotation or ``response_model`` (``list[T]`` or ``PaginatedResponse[T]``), or
    the paginator's ``serializer_class``. The OpenAPI document shows the page shape and the
    paginator's query parameters.
    """
    if inspect.isfunction(pagination_class):
        # Bare @paginate: the default paginator.
        return paginate(PageNumberPagination)(pagination_class)
    pagination_class = pagination_class or PageNumberPagination
    if not (isinstance(pagination_class, type) and issubclass(pagination_class, PaginationBase)):
        raise TypeError(
            f"@paginate({pagination_class!r}): pass a PaginationBase subclass, e.g. @paginate(PageNumberPagination)"
        )

    def decorate(fn: Callable[..., Any]) -> Callable[..., Any]:
        if not inspect.iscoroutinefunction(fn):
            raise TypeError(f"@paginate on {fn.__qualname__}: the handler must be `async def`")
        find_request = _find_request(fn)
        paginator = pagination_class()
        reads_rows = pages_rows(pagination_class)

        resolved: list[Any] = []

        @functools.wraps(fn)
        async def paginated(*args: Any, **kwargs: Any) -> Any:
            request = find_request(args, kwargs)
            result = await fn(*args, **kwargs)
            if not resolved:
                resolved.append(paginator.serializer_class or page_item_type(paginated))
            if reads_rows:
                result = as_rows(result, resolved[0])
            page = await paginator.paginate_queryset(result, request)
            page.items = items_to_builtins(page.items, resolved[0])
            # Already in its final shape: sent as it is, without response validation.
            return 200, [("content-type", "application/json")], _encode(page)

        paginated.__bolt_pagination__ = pagination_class  # type: ignore[attr-defined]
        return paginated

    return decorate


def page_item_type(fn: Callable[..., Any]) -> Any:
    """The item type of a ``@paginate`` handler: from ``response_model=`` (recorded on the
    function when the route is registered) or the return annotation."""
    annotation = getattr(fn, "__bolt_response_model__", None)
    if annotation is None:
        annotation = typing.get_type_hints(fn).get("return")
    return item_type(annotation)
