"""Class-based views: ``APIView`` for one path, ``ViewSet``/``ModelViewSet`` for a resource.

    @api.view("/health")
    class Health(APIView):
        async def get(self, request):
            return {"ok": True}

    @api.viewset("/books")
    class Books(ModelViewSet):
        queryset = Book.objects.all()
        serializer_class = BookOut            # a Serializer or any msgspec Struct
        create_serializer_class = BookIn
        pagination_class = PageNumberPagination

        @action(methods=["POST"], detail=True)
        async def borrow(self, request, pk: int):
            book = await self.get_object(pk)
            ...

Each method becomes a route whose parameters bind like a function handler's (``self``
aside). **A new instance serves every request**: ``self.request`` and ``self.action``
are that request's, and attributes a method sets on ``self`` are never seen by another
request. Class attributes (``queryset``, ``guards``...) are shared; treat them as
configuration, not state.
"""

from __future__ import annotations

import functools
import inspect
import typing
from typing import Any, Callable

import msgspec

from .exceptions import HTTPException
from .pagination import as_rows, pages_rows

__all__ = [
    "APIView",
    "ViewSet",
    "ModelViewSet",
    "ReadOnlyModelViewSet",
    "ListMixin",
    "RetrieveMixin",
    "CreateMixin",
    "UpdateMixin",
    "PartialUpdateMixin",
    "DestroyMixin",
    "action",
    "ActionHandler",
]

HTTP_VERBS = ("get", "post", "put", "patch", "delete", "head", "options")
_REQUEST_PARAM = "_bolt_view_request"


class APIView:
    """A class whose verb-named methods (``get``, ``post``...) handle one path."""

    http_method_names: list[str] = list(HTTP_VERBS)
    guards: list[Any] | None = None
    auth: list[Any] | None = None
    status_code: int | None = None
    request: Any = None
    action: str | None = None

    def initialize(self, request: Any) -> None:
        """Called on the new instance with the request before the handler method (sets
        ``self.request``); override it for per-request set-up, calling ``super()``."""
        self.request = request


# -- serializers ------------------------------------------------------------------------------


def _to_output(serializer: Any, obj: Any) -> Any:
    """``obj`` (a model instance or dict) as ``serializer`` describes it."""
    if serializer is None:
        if isinstance(obj, dict) or not hasattr(obj, "__dict__"):
            return obj
        return {k: v for k, v in vars(obj).items() if not k.startswith("_")}
    if hasattr(serializer, "from_model") and not isinstance(obj, dict):
        # Dumped here: a page (a Struct) holding serializers would be encoded field by
        # field, write-only fields included and computed fields missing.
        return serializer.from_model(obj).dump()
    return msgspec.convert(obj, serializer, from_attributes=True)


def _fields_of(data: Any) -> dict[str, Any]:
    if isinstance(data, dict):
        return dict(data)
    if hasattr(data, "to_dict"):
        return data.to_dict()
    if isinstance(data, msgspec.Struct):
        return {name: getattr(data, name) for name in data.__struct_fields__}
    return msgspec.to_builtins(data)


class ViewSet(APIView):
    """Actions on a resource: ``list``/``create`` at the base path and
    ``retrieve``/``update``/``partial_update``/``destroy`` at ``{base}/{lookup}``, plus
    ``@action`` methods. Register with ``@api.viewset(path)``."""

    queryset: Any = None
    serializer_class: Any = None
    list_serializer_class: Any = None
    lookup_field: str = "pk"
    pagination_class: Any = None

    async def get_queryset(self) -> Any:
        """A fresh copy of the class's ``queryset`` (override to filter per request)."""
        if self.queryset is None:
            raise ValueError(
                f"{type(self).__name__} has no queryset: set `queryset = Model.objects.all()` "
                "or override `async def get_queryset(self)`"
            )
        queryset = self.queryset
        return queryset.all() if hasattr(queryset, "all") else list(queryset)

    async def filter_queryset(self, queryset: Any) -> Any:
        """Hook to filter the queryset of ``list`` (by default unchanged)."""
        return queryset

    async def get_object(self, pk: Any = None, **lookup: Any) -> Any:
        """The object whose ``lookup_field`` is ``pk`` (or matching ``lookup``); 404 otherwise."""
        queryset = await self.get_queryset()
        if pk is not None:
            lookup = {self.lookup_field: pk, **lookup}
        try:
            if hasattr(queryset, "aget"):
                return await queryset.aget(**lookup)
            return next(o for o in queryset if all(_value(o, k) == v for k, v in lookup.items()))
        except Exception:
            raise HTTPException(404, "Not found") from None

    async def paginate_queryset(self, queryset: Any) -> Any:
        """The requested page of ``queryset`` with ``pagination_class``, or ``queryset``
        unchanged without one."""
        if self.pagination_class is None:
            return queryset
        if self.request is None:
            raise ValueError(f"{type(self).__name__}.paginate_queryset() needs self.request")
        return await self.pagination_class().paginate_queryset(queryset, self.request)

    def get_serializer_class(self, action: str | None = None) -> Any:
        action = action or self.action
        if action == "list" and self.list_serializer_class is not None:
            return self.list_serializer_class
        if self.serializer_class is None:
            raise ValueError(f"{type(self).__name__} has no serializer_class: set one, e.g. serializer_class = BookOut")
        return self.serializer_class

    def get_serializer(self, instance: Any = None, data: Any = None, many: bool = False) -> Any:
        """``instance`` (or each of them, with ``many``) or ``data`` as the serializer class."""
        serializer = self.get_serializer_class()
        if data is not None:
            return msgspec.convert(data, serializer, from_attributes=True)
        if many:
            return [_to_output(serializer, obj) for obj in instance]
        return _to_output(serializer, instance)


def _value(obj: Any, name: str) -> Any:
    return obj[name] if isinstance(obj, dict) else getattr(obj, name)


class _ModelActions(ViewSet):
    """``list`` and ``retrieve`` over ``queryset`` with ``serializer_class``."""

    async def list(self, request: Any) -> Any:
        queryset = await self.filter_queryset(await self.get_queryset())
        serializer = self.get_serializer_class("list")
        if self.pagination_class is not None:
            if type(self).paginate_queryset is ViewSet.paginate_queryset and pages_rows(self.pagination_class):
                # An overridden paginate_queryset may read other attributes of the model.
                queryset = as_rows(queryset, serializer)
            page = await self.paginate_queryset(queryset)
            page.items = [_to_output(serializer, obj) for obj in page.items]
            return page
        queryset = as_rows(queryset, serializer)
        if hasattr(queryset, "aiterator"):
            return [_to_output(serializer, obj) async for obj in queryset]
        return [_to_output(serializer, obj) for obj in queryset]

    async def retrieve(self, request: Any, **lookup: Any) -> Any:
        obj = await self.get_object(_lookup_value(self, lookup))
        return _to_output(self.get_serializer_class("retrieve"), obj)


def _lookup_value(view: ViewSet, lookup: dict[str, Any]) -> Any:
    field = view.lookup_field
    if field not in lookup:
        raise HTTPException(400, f"Missing lookup field: {field}")
    return lookup[field]


class ReadOnlyModelViewSet(_ModelActions):
    """``list`` and ``retrieve`` of a model."""


class ModelViewSet(_ModelActions):
    """The five model actions: list, retrieve, create, update (PUT), partial_update (PATCH,
    ``None`` values skipped) and destroy. Request bodies are read as
    ``create_serializer_class`` / ``update_serializer_class`` (falling back to
    ``serializer_class``)."""

    create_serializer_class: Any = None
    update_serializer_class: Any = None

    def get_serializer_class(self, action: str | None = None) -> Any:
        action = action or self.action
        if action == "create" and self.create_serializer_class is not None:
            return self.create_serializer_class
        if action in ("update", "partial_update"):
            if self.update_serializer_class is not None:
                return self.update_serializer_class
            if self.create_serializer_class is not None:
                return self.create_serializer_class
        return super().get_serializer_class(action)

    def _model(self) -> Any:
        model = getattr(self.queryset, "model", None)
        if model is None:
            raise ValueError(f"{type(self).__name__}: create needs `queryset = Model.objects.all()`")
        return model

    async def create(self, request: Any, data: Any) -> Any:
        obj = await self._model().objects.acreate(**_fields_of(data))
        return _to_output(self.serializer_class, obj)

    async def update(self, request: Any, data: Any, **lookup: Any) -> Any:
        obj = await self.get_object(_lookup_value(self, lookup))
        for name, value in _fields_of(data).items():
            setattr(obj, name, value)
        await obj.asave()
        return _to_output(self.serializer_class, obj)

    async def partial_update(self, request: Any, data: Any, **lookup: Any) -> Any:
        obj = await self.get_object(_lookup_value(self, lookup))
        for name, value in _fields_of(data).items():
            if value is not None:
                setattr(obj, name, value)
        await obj.asave()
        return _to_output(self.serializer_class, obj)

    async def destroy(self, request: Any, **lookup: Any) -> Any:
        obj = await self.get_object(_lookup_value(self, lookup))
        await obj.adelete()
        return {"deleted": True}


# -- mixins for APIView -----------------------------------------------------------------------


class _MixinBase(ViewSet):
    def _output(self, obj: Any) -> Any:
        return _to_output(self.serializer_class, obj)


class ListMixin(_MixinBase):
    async def get(self, request: Any) -> Any:
        queryset = await self.get_queryset()
        return [self._output(obj) async for obj in queryset]


class RetrieveMixin(_MixinBase):
    async def get(self, request: Any, pk: int) -> Any:
        return self._output(await self.get_object(pk))


class CreateMixin(_MixinBase):
    async def post(self, request: Any, data: Any) -> Any:
        model = self.queryset.model
        return self._output(await model.objects.acreate(**_fields_of(data)))


class UpdateMixin(_MixinBase):
    async def put(self, request: Any, pk: int, data: Any) -> Any:
        obj = await self.get_object(pk)
        for name, value in _fields_of(data).items():
            setattr(obj, name, value)
        await obj.asave()
        return self._output(obj)


class PartialUpdateMixin(_MixinBase):
    async def patch(self, request: Any, pk: int, data: Any) -> Any:
        obj = await self.get_object(pk)
        for name, value in _fields_of(data).items():
            if value is not None:
                setattr(obj, name, value)
        await obj.asave()
        return self._output(obj)


class DestroyMixin(_MixinBase):
    async def delete(self, request: Any, pk: int) -> Any:
        obj = await self.get_object(pk)
        await obj.adelete()
        return {"detail": "Object deleted successfully"}


# -- @action ---------------------------------------------------------------------------------------


class ActionHandler:
    """A ViewSet method marked with ``@action``: an extra route of the viewset."""

    def __init__(self, fn: Callable[..., Any], methods: list[str], detail: bool, path: str | None,
                 options: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        self.fn = fn
        self.methods = methods
        self.detail = detail
        self.path = (path if path is not None else fn.__name__).strip("/")
        self.options = options

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        return self if instance is None else functools.partial(self.fn, instance)

    def __repr__(self) -> str:
        return f"<action {'/'.join(self.methods)} {self.path} of {self.fn.__qualname__}>"


def action(methods: list[str] | str, detail: bool, path: str | None = None, *, auth: list[Any] | None = None,
           guards: list[Any] | None = None, response_model: Any = None, status_code: int | None = None,
           tags: list[str] | None = None, summary: str | None = None, description: str | None = None,
           include_in_schema: bool = True, deprecated: bool = False) -> Callable[[Callable], ActionHandler]:
    """Make a ViewSet method an extra route: ``{base}/{path}`` (``detail=False``) or
    ``{base}/{lookup}/{path}`` (``detail=True``), one per method. ``path`` defaults to
    the method name."""
    from .api import check_route_options

    if isinstance(methods, str):
        methods = [methods]
    upper = [str(m).upper() for m in methods]
    bad = [m for m in upper if m.lower() not in HTTP_VERBS]
    if not upper or bad:
        raise ValueError(f"@action(methods={methods!r}): use HTTP methods such as ['GET'] or ['POST', 'PUT']")
    options = {"auth": auth, "guards": guards, "response_model": response_model, "status_code": status_code,
               "tags": tags, "summary": summary, "description": description,
               "include_in_schema": include_in_schema, "deprecated": deprecated}
    check_route_options(f"@action({upper!r})", options)

    def decorate(fn: Callable[..., Any]) -> ActionHandler:
        if not callable(fn):
            raise TypeError("@action must decorate a method")
        return ActionHandler(fn, upper, detail, path, options)

    return decorate


# -- turning methods into route handlers -----------------------------------------------------------


def _lookup_annotation(view_cls: type, field: str) -> Any:
    """``int`` for integer lookups of the viewset's model, else ``str``."""
    model = getattr(getattr(view_cls, "queryset", None), "model", None)
    if model is not None:
        try:
            model_field = model._meta.pk if field == "pk" else model._meta.get_field(field)
        except Exception:
            return str
        if model_field.get_internal_type() in (
            "AutoField", "BigAutoField", "SmallAutoField", "IntegerField", "BigIntegerField",
            "SmallIntegerField", "PositiveIntegerField", "PositiveBigIntegerField", "PositiveSmallIntegerField",
        ):
            return int
        return str
    return int if field in ("pk", "id") else str


def make_handler(view_cls: type, attr: str, action_name: str | None, *, lookup: str | None = None,
                 body_type: Any = None, where: str) -> Callable[..., Any]:
    """A handler function for ``view_cls.<attr>``: its parameters minus ``self`` (a
    ``**kwargs`` becomes the ``lookup`` path parameter, an unannotated ``data`` the
    ``body_type``), running the method on a new instance per request."""
    from ._runtime.route import run_sync
    from .request import Request

    raw = next(klass.__dict__[attr] for klass in view_cls.__mro__ if attr in klass.__dict__)
    method = raw.fn if isinstance(raw, ActionHandler) else raw
    try:
        sig = inspect.signature(method, eval_str=True)
    except (NameError, SyntaxError, TypeError, ValueError) as exc:
        raise TypeError(f"{where}: cannot read the signature of {view_cls.__name__}.{attr}: {exc}") from exc
    params = list(sig.parameters.values())[1:]  # self
    out: list[inspect.Parameter] = []
    takes_lookup_kwargs = False
    for param in params:
        if param.kind is param.VAR_KEYWORD and lookup is not None:
            takes_lookup_kwargs = True
            if not any(p.name == lookup for p in params):
                out.append(inspect.Parameter(lookup, inspect.Parameter.KEYWORD_ONLY,
                                             annotation=_lookup_annotation(view_cls, lookup)))
            continue
        untyped = param.annotation is inspect.Parameter.empty or param.annotation is Any
        if param.name == "data" and untyped and body_type is not None:
            param = param.replace(annotation=body_type)
        elif param.name == "data" and untyped:
            raise TypeError(
                f"{where}: {view_cls.__name__}.{attr} reads a body `data` but the class has no serializer "
                "class for it: set serializer_class (or create_serializer_class), or annotate `data`"
            )
        elif untyped and lookup is not None and param.name == lookup:
            param = param.replace(annotation=_lookup_annotation(view_cls, lookup))
        out.append(param)
    if lookup is not None and not takes_lookup_kwargs and not any(p.name == lookup for p in out):
        raise TypeError(
            f"{where}: {view_cls.__name__}.{attr} must take the lookup field as a parameter named {lookup!r}, "
            f"e.g. `async def {attr}(self, request, {lookup}: int)`"
        )
    out = [p for p in out if p.kind is not p.VAR_KEYWORD]
    out.append(inspect.Parameter(_REQUEST_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=Request))
    # Keyword-only parameters must follow the others.
    out.sort(key=lambda p: p.kind)
    is_async = inspect.iscoroutinefunction(method)

    async def handler(*args: Any, **kwargs: Any) -> Any:
        request = kwargs.pop(_REQUEST_PARAM)
        view = view_cls()
        view.action = action_name
        view.initialize(request)
        if is_async:
            return await method(view, *args, **kwargs)
        return await run_sync(method, (view, *args), kwargs)

    functools.update_wrapper(handler, method)
    del handler.__wrapped__  # the signature below is the one to bind, not the method's
    handler.__signature__ = sig.replace(parameters=out)  # type: ignore[attr-defined]
    handler.__annotations__ = {p.name: p.annotation for p in out if p.annotation is not inspect.Parameter.empty}
    if sig.return_annotation is not inspect.Signature.empty:
        handler.__annotations__["return"] = sig.return_annotation
    handler.__qualname__ = f"{view_cls.__qualname__}.{attr}"
    return handler


def implemented_verbs(view_cls: type) -> list[str]:
    return [verb for verb in view_cls.http_method_names if verb in HTTP_VERBS and callable(getattr(view_cls, verb, None))]


def find_actions(view_cls: type) -> list[tuple[str, ActionHandler]]:
    found: dict[str, ActionHandler] = {}
    for klass in reversed(view_cls.__mro__):
        for name, value in vars(klass).items():
            if isinstance(value, ActionHandler):
                found[name] = value
            elif name in found:
                del found[name]
    return list(found.items())


def return_type(fn: Callable[..., Any]) -> Any:
    try:
        return typing.get_type_hints(fn).get("return")
    except Exception:
        return None


# -- registration ------------------------------------------------------------------------------------

# action -> (HTTP method, detail route, default status)
VIEWSET_ACTIONS = {
    "list": ("GET", False, 200),
    "create": ("POST", False, 201),
    "retrieve": ("GET", True, 200),
    "update": ("PUT", True, 200),
    "partial_update": ("PATCH", True, 200),
    "destroy": ("DELETE", True, 204),
}


def register_view(api: Any, view_cls: Any, path: str, *, methods: list[str] | None, guards: Any, auth: Any,
                  status_code: int | None, tags: list[str] | None) -> None:
    """Add a route per verb of an ``APIView`` subclass (``@api.view``)."""
    where = f"@api.view({path!r}) on {getattr(view_cls, '__name__', view_cls)!r}"
    if not (isinstance(view_cls, type) and issubclass(view_cls, APIView)):
        raise TypeError(f"{where}: the class must subclass django_bolt.views.APIView")
    actions = find_actions(view_cls)
    if actions:
        raise ValueError(
            f"{where}: {view_cls.__name__}.{actions[0][0]} is an @action, which only ViewSets have; "
            "register the class with @api.viewset(path) (subclassing ViewSet)"
        )
    _check_instantiable(view_cls, where)
    available = implemented_verbs(view_cls)
    if methods is None:
        verbs = available
        if not verbs:
            raise ValueError(f"{where}: {view_cls.__name__} defines no handler method; add e.g. `async def get(self, request)`")
    else:
        verbs = [str(m).lower() for m in methods]
        missing = [v for v in verbs if v not in available]
        if missing:
            raise ValueError(
                f"{where}: methods={methods!r} asks for {', '.join(m.upper() for m in missing)} but "
                f"{view_cls.__name__} has no `{missing[0]}` method (it has: {', '.join(available) or 'none'})"
            )
    body_type = getattr(view_cls, "serializer_class", None)
    for verb in verbs:
        fn = make_handler(view_cls, verb, verb, body_type=body_type, where=where)
        api._register(verb.upper(), api.route_path(path), fn,
                      guards=guards if guards is not None else view_cls.guards,
                      auth=auth if auth is not None else view_cls.auth,
                      status_code=status_code if status_code is not None else view_cls.status_code,
                      tags=tags, response_model=getattr(getattr(view_cls, verb), "response_model", None))


def register_viewset(api: Any, view_cls: Any, path: str, *, guards: Any, auth: Any, status_code: int | None,
                     lookup_field: str, tags: list[str] | None) -> None:
    """Add the routes of a ``ViewSet`` subclass's actions (``@api.viewset``)."""
    where = f"@api.viewset({path!r}) on {getattr(view_cls, '__name__', view_cls)!r}"
    if not (isinstance(view_cls, type) and issubclass(view_cls, ViewSet)):
        hint = "; an APIView is registered with @api.view(path)" if isinstance(view_cls, type) and issubclass(
            view_cls, APIView) else ""
        raise TypeError(f"{where}: the class must subclass django_bolt.views.ViewSet{hint}")
    _check_instantiable(view_cls, where)
    lookup = view_cls.lookup_field if view_cls.lookup_field != ViewSet.lookup_field else lookup_field
    if lookup != view_cls.lookup_field:
        # The lookup named at registration is the one get_object() uses.
        view_cls = type(view_cls.__name__, (view_cls,), {"lookup_field": lookup, "__module__": view_cls.__module__,
                                                         "__qualname__": view_cls.__qualname__})
    base = path.rstrip("/")
    detail = f"{base}/{{{lookup}}}"
    registered = 0
    for name, (method, is_detail, default_status) in VIEWSET_ACTIONS.items():
        if not callable(getattr(view_cls, name, None)):
            continue
        body_type = view_cls().get_serializer_class(name) if name in ("create", "update", "partial_update") and \
            _has_serializer(view_cls, name) else None
        fn = make_handler(view_cls, name, name, lookup=lookup if is_detail else None, body_type=body_type, where=where)
        if is_detail:
            # Detail routes look their object up: documented as answering 404 too.
            fn.__bolt_error_statuses__ = frozenset({404})  # type: ignore[attr-defined]
        response_model = _first(getattr(getattr(view_cls, name), "response_model", None),
                                _default_response_model(view_cls, name))
        api._register(method, api.route_path(detail if is_detail else base or "/"), fn,
                      guards=guards if guards is not None else view_cls.guards,
                      auth=auth if auth is not None else view_cls.auth,
                      status_code=_first(status_code, view_cls.status_code, default_status),
                      tags=tags, response_model=response_model)
        registered += 1
    for name, handler in find_actions(view_cls):
        opts = handler.options
        route = f"{detail if handler.detail else base}/{handler.path}"
        fn = make_handler(view_cls, name, name, lookup=lookup if handler.detail else None, where=where)
        for method in handler.methods:
            api._register(method, api.route_path(route), fn,
                          guards=_first(opts["guards"], guards, view_cls.guards),
                          auth=_first(opts["auth"], auth, view_cls.auth),
                          status_code=_first(opts["status_code"], status_code, view_cls.status_code),
                          response_model=opts["response_model"], tags=opts["tags"] or tags,
                          summary=opts["summary"], description=opts["description"],
                          include_in_schema=opts["include_in_schema"], deprecated=opts["deprecated"])
            registered += 1
    if not registered:
        raise ValueError(
            f"{where}: {view_cls.__name__} defines no action; add e.g. `async def list(self, request)` "
            "or subclass ModelViewSet"
        )


def _default_response_model(view_cls: type, action_name: str) -> Any:
    """What the built-in model actions answer, for the OpenAPI document (None when the
    action is the class's own or has no serializer)."""
    if action_name == "destroy" or action_name not in vars(_ModelActions) | vars(ModelViewSet):
        return None
    builtin = vars(_ModelActions).get(action_name) or vars(ModelViewSet).get(action_name)
    if getattr(view_cls, action_name) is not builtin or view_cls.serializer_class is None:
        return None
    if action_name == "list":
        from .pagination import PaginatedResponse

        item = view_cls().get_serializer_class("list")
        return PaginatedResponse[item] if view_cls.pagination_class is not None else list[item]
    return view_cls.serializer_class


def _has_serializer(view_cls: type, action_name: str) -> bool:
    try:
        view_cls().get_serializer_class(action_name)
    except ValueError:
        return False
    return True


def _first(*values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _check_instantiable(view_cls: type, where: str) -> None:
    try:
        view_cls()
    except TypeError as exc:
        raise TypeError(f"{where}: {view_cls.__name__}() must be constructible without arguments: {exc}") from exc
