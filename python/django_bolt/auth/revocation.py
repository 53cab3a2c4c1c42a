"""Where revoked JWT ids (``jti`` claims) are remembered.

A JWT stays valid until it expires; to end one early (logout, a stolen token)
its ``jti`` is put in a revocation store, and every request carrying that token
is refused from then on. A store answers two questions, both async because a
store may live in a cache server or a database::

    await store.revoke(jti, ttl=3600)   # remember it (ttl: seconds to keep it)
    await store.is_revoked(jti)         # -> bool

Give the store to the backend; it then insists that every token has a ``jti``::

    JWTAuthentication(revocation_store=DjangoCacheRevocation())

Choose the store after how many processes serve the API:

* ``InMemoryRevocation`` - one process only (tests, a single worker);
* ``DjangoCacheRevocation`` - any Django cache shared by all workers (Redis,
  Memcached, the database cache);
* ``DjangoORMRevocation`` - a model of yours with ``jti`` and ``expires_at``
  fields, for revocations that must survive a cache flush.

``ttl`` should be the token's remaining lifetime: after that the token is
refused as expired anyway, so the entry may go. Without it entries are kept for
30 days.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from datetime import timedelta

from django.apps import apps
from django.core.cache import caches
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.utils import timezone

__all__ = [
    "RevocationStore",
    "InMemoryRevocation",
    "DjangoCacheRevocation",
    "DjangoORMRevocation",
    "create_revocation_handler",
    "DEFAULT_TTL_SECONDS",
]

# Long enough to outlive any reasonably configured access token.
DEFAULT_TTL_SECONDS = 30 * 24 * 3600


class RevocationStore(ABC):
    """What every store provides: remember a ``jti`` and answer whether it is."""

    @abstractmethod
    async def is_revoked(self, jti: str) -> bool:
        """True when ``jti`` was revoked and the entry has not expired."""

    @abstractmethod
    async def revoke(self, jti: str, ttl: int | None = None) -> None:
        """Revoke ``jti`` for ``ttl`` seconds (30 days when None)."""

    async def revoke_all(self, user_id: str) -> None:
        """Revoke every token of one user.

        Stores keep token ids, not users, so none of the built-in ones can do
        this; a subclass that also records which user owns which ``jti`` can.
        """
        raise NotImplementedError(
            f"{type(self).__name__} cannot revoke all tokens of a user: it only "
            "knows token ids. Revoke each token's jti, or subclass the store and "
            "record the owner of each jti."
        )


class InMemoryRevocation(RevocationStore):
    """Revocations held in this process's memory; lost on restart."""

    def __init__(self) -> None:
        # jti -> time.monotonic() deadline; monotonic so clock changes don't matter.
        self._deadlines: dict[str, float] = {}

    async def is_revoked(self, jti: str) -> bool:
        deadline = self._deadlines.get(jti)
        if deadline is None:
            return False
        if deadline <= time.monotonic():
            del self._deadlines[jti]
            return False
        return True

    async def revoke(self, jti: str, ttl: int | None = None) -> None:
        self._deadlines[jti] = time.monotonic() + _ttl_seconds(ttl)

    def clear(self) -> None:
        """Forget every revocation."""
        self._deadlines.clear()


class DjangoCacheRevocation(RevocationStore):
    """Revocations kept in a Django cache as ``<key_prefix><jti>`` -> ``"1"``."""

    def __init__(self, cache_alias: str = "default", key_prefix: str = "revoked:") -> None:
        # Looking the cache up now turns a wrong alias into a start-up error
        # (django.core.cache.InvalidCacheBackendError names it). The cache
        # object itself is fetched per call: Django keeps one per thread.
        caches[cache_alias]
        self.cache_alias = cache_alias
        self.key_prefix = key_prefix

    async def is_revoked(self, jti: str) -> bool:
        return await caches[self.cache_alias].aget(self.key_prefix + jti) is not None

    async def revoke(self, jti: str, ttl: int | None = None) -> None:
        await caches[self.cache_alias].aset(self.key_prefix + jti, "1", timeout=_ttl_seconds(ttl))


class DjangoORMRevocation(RevocationStore):
    """Revocations kept as rows of your model, given as ``"app_label.ModelName"``.

    The model needs a unique ``jti`` field (CharField) and an ``expires_at``
    DateTimeField; rows past ``expires_at`` no longer count and may be deleted
    by any periodic job.
    """

    def __init__(self, model: str) -> None:
        self.model = _resolve_model(model)

    async def is_revoked(self, jti: str) -> bool:
        return await self.model.objects.filter(jti=jti, expires_at__gt=timezone.now()).aexists()

    async def revoke(self, jti: str, ttl: int | None = None) -> None:
        expires_at = timezone.now() + timedelta(seconds=_ttl_seconds(ttl))
        await self.model.objects.aupdate_or_create(jti=jti, defaults={"expires_at": expires_at})


def create_revocation_handler(store: RevocationStore) -> Callable[[str], Awaitable[bool]]:
    """Wrap ``store`` as the ``async handler(jti) -> bool`` JWT backends call."""
    if not isinstance(store, RevocationStore):
        raise TypeError(
            f"create_revocation_handler() takes a RevocationStore such as "
            f"InMemoryRevocation() or DjangoCacheRevocation(), not {store!r}"
        )

    async def is_token_revoked(jti: str) -> bool:
        return await store.is_revoked(jti)

    return is_token_revoked


def _ttl_seconds(ttl: int | None) -> int:
    if ttl is None:
        return DEFAULT_TTL_SECONDS
    if isinstance(ttl, bool) or not isinstance(ttl, int) or ttl <= 0:
        raise ValueError(f"ttl must be a positive number of seconds or None, not {ttl!r}")
    return ttl


def _resolve_model(label: str):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError) as exc:
        raise ImproperlyConfigured(
            f"DjangoORMRevocation(model={label!r}): no such model ({exc}). Write "
            "'app_label.ModelName' for an installed model with 'jti' and "
            "'expires_at' fields."
        ) from exc
    for field in ("jti", "expires_at"):
        try:
            model._meta.get_field(field)
        except FieldDoesNotExist as exc:
            raise ImproperlyConfigured(
                f"DjangoORMRevocation(model={label!r}): the model has no {field!r} "
                "field; it needs 'jti' (unique CharField) and 'expires_at' (DateTimeField)."
            ) from exc
    return model
