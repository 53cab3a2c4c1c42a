"""``Router``: a group of routes declared apart from the ``BoltAPI`` that serves them.

    users = Router(prefix="/users", tags=["users"], auth=[JWTAuthentication()], guards=[IsAuthenticated()])

    @users.get("/{user_id}")
    async def get_user(user_id: int): ...

    @users.get("/ping", guards=[AllowAny()])     # the route's own value replaces the router's
    async def ping(): return "pong"

    api.include_router(users, prefix="/v1")      # GET /v1/users/{user_id}, GET /v1/users/ping

A router's ``tags``, ``auth`` and ``guards`` are the defaults of its routes; a route that
sets one replaces it. Routers nest with ``include_router``: a child's routes live under
the parent's prefix, take the parent's defaults where neither they nor the child set
their own, and run the middleware of every router above them, outermost first, after the
API's middleware. Routes are read when the router is included into the API, so include
it once its routes are declared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from .api import check_route_options

__all__ = ["Router", "APIRouter", "RouterRoute"]


@dataclass
class RouterRoute:
    """A route as a router holds it, before any API prefix or default applies."""

    method: str
    path: str
    fn: Callable[..., Any]
    options: dict[str, Any] = field(default_factory=dict)


class Router:
    """Routes with a shared prefix, tags, authentication, guards and middleware."""

    def __init__(
        self,
        prefix: str = "",
        tags: list[str] | None = None,
        dependencies: list[Any] | None = None,
        middleware: list[Any] | None = None,
        auth: list[Any] | None = None,
        guards: list[Any] | None = None,
        parent: Router | None = None,
    ) -> None:
        if not isinstance(prefix, str) or (prefix and not prefix.startswith("/")):
            raise ValueError(f"Router(prefix={prefix!r}): a prefix is a path starting with '/', e.g. prefix=\"/users\"")
        if tags is not None and (isinstance(tags, str) or not all(isinstance(t, str) for t in tags)):
            raise TypeError(f"Router(tags={tags!r}): tags must be a list of strings, e.g. tags=[\"users\"]")
        self.prefix = prefix.rstrip("/")
        self.tags = list(tags or [])
        # Kept for code written against the original, which stores them without using them.
        self.dependencies = list(dependencies or [])
        self.middleware = list(middleware or [])
        self.auth = auth
        self.guards = guards
        self.parent = parent
        self.routes: list[RouterRoute] = []
        self._children: list[tuple[Router, str]] = []
        # Set once an API collected this router's routes (api.include_router).
        self._included = False

    # -- decorators ---------------------------------------------------------------

    def get(self, path: str, **options: Any) -> Callable:
        return self._decorator("GET", path, options)

    def post(self, path: str, **options: Any) -> Callable:
        return self._decorator("POST", path, options)

    def put(self, path: str, **options: Any) -> Callable:
        return self._decorator("PUT", path, options)

    def patch(self, path: str, **options: Any) -> Callable:
        return self._decorator("PATCH", path, options)

    def delete(self, path: str, **options: Any) -> Callable:
        return self._decorator("DELETE", path, options)

    def head(self, path: str, **options: Any) -> Callable:
        return self._decorator("HEAD", path, options)

    def options(self, path: str, **options: Any) -> Callable:
        return self._decorator("OPTIONS", path, options)

    def _decorator(self, method: str, path: str, options: dict[str, Any]) -> Callable:
        where = f"@router.{method.lower()}({path!r})"
        if not isinstance(path, str) or not (self.prefix + path).startswith("/"):
            raise ValueError(f"{where}: a route path is a string starting with '/'")
        check_route_options(where, options)

        def register(fn: Callable[..., Any]) -> Callable[..., Any]:
            if not callable(fn):
                raise TypeError(f"{where} must decorate a function")
            self._check_open(f"{where} on {getattr(fn, '__qualname__', fn)}")
            self.routes.append(RouterRoute(method, path, fn, dict(options)))
            return fn

        return register

    # -- nesting ------------------------------------------------------------------

    def include_router(self, router: Router, prefix: str = "") -> None:
        """Serve ``router``'s routes under this router, below ``prefix``."""
        if not isinstance(router, Router):
            raise TypeError(
                f"Router.include_router() takes a Router, not {type(router).__name__}; "
                "a BoltAPI is added with api.mount(path, sub_api)"
            )
        if prefix and not prefix.startswith("/"):
            raise ValueError(f"include_router(prefix={prefix!r}): a prefix starts with '/', e.g. prefix=\"/v1\"")
        ancestor: Router | None = self
        while ancestor is not None:
            if ancestor is router:
                raise ValueError("Router.include_router(): a router cannot include itself or one of its ancestors")
            ancestor = ancestor.parent
        self._check_open("Router.include_router()")
        router.parent = self
        self._children.append((router, prefix.rstrip("/")))

    def mark_included(self) -> None:
        """An API has collected this router's routes, and its children's."""
        self._included = True
        for child, _ in self._children:
            child.mark_included()

    def _check_open(self, what: str) -> None:
        if self._included:
            raise RuntimeError(
                f"{what}: this router was already included with api.include_router(), which copies its "
                "routes then; one added now would never be served. Declare every route (and nested router) "
                "before including the router."
            )

    def collect(self, middleware: tuple[Any, ...] = (), defaults: dict[str, Any] | None = None,
                ) -> Iterator[tuple[RouterRoute, tuple[Any, ...]]]:
        """Every route of this router and its children, with full router paths, the
        options after defaults, and the router middleware to run (outermost first)."""
        middleware = (*middleware, *self.middleware)
        own = dict(defaults or {})
        if self.tags:
            own["tags"] = self.tags
        if self.auth is not None:
            own["auth"] = self.auth
        if self.guards is not None:
            own["guards"] = self.guards
        for route in self.routes:
            options = {**own, **{k: v for k, v in route.options.items() if v is not None}}
            yield RouterRoute(route.method, self.prefix + route.path, route.fn, options), middleware
        for child, prefix in self._children:
            for route, child_middleware in child.collect(middleware, own):
                route.path = self.prefix + prefix + route.path
                yield route, child_middleware


# The seed-era name.
APIRouter = Router
