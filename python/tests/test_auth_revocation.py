"""Revocation stores and their wiring into JWTAuthentication."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.core.cache import InvalidCacheBackendError, caches
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.utils import timezone

from django_bolt.auth import (
    DjangoCacheRevocation,
    DjangoORMRevocation,
    InMemoryRevocation,
    JWTAuthentication,
    RevocationStore,
    create_revocation_handler,
)
from django_bolt.auth.revocation import DEFAULT_TTL_SECONDS


@pytest.fixture(scope="module")
def revoked_token_model():
    # Models need an installed app; django.contrib.auth is always installed here.
    class RevokedTokenForTests(models.Model):
        jti = models.CharField(max_length=255, unique=True)
        expires_at = models.DateTimeField()

        class Meta:
            app_label = "auth"

    return RevokedTokenForTests


@pytest.mark.asyncio
async def test_in_memory_store():
    store = InMemoryRevocation()
    assert not await store.is_revoked("a")
    await store.revoke("a")
    assert await store.is_revoked("a")
    assert not await store.is_revoked("b")
    store.clear()
    assert not await store.is_revoked("a")


@pytest.mark.asyncio
async def test_in_memory_entries_expire(monkeypatch):
    import django_bolt.auth.revocation as revocation

    now = [1000.0]
    monkeypatch.setattr(revocation.time, "monotonic", lambda: now[0])
    store = InMemoryRevocation()
    await store.revoke("a", ttl=10)
    now[0] += 9
    assert await store.is_revoked("a")
    now[0] += 2
    assert not await store.is_revoked("a")


@pytest.mark.asyncio
async def test_ttl_must_be_positive_seconds():
    with pytest.raises(ValueError, match="ttl"):
        await InMemoryRevocation().revoke("a", ttl=0)
    with pytest.raises(ValueError, match="ttl"):
        await InMemoryRevocation().revoke("a", ttl="60")


@pytest.mark.asyncio
async def test_revoke_all_is_not_implemented_by_built_in_stores():
    with pytest.raises(NotImplementedError, match="jti"):
        await InMemoryRevocation().revoke_all("42")


def test_store_is_abstract():
    with pytest.raises(TypeError):
        RevocationStore()


@pytest.mark.asyncio
async def test_cache_store_keys_values_and_timeouts(monkeypatch):
    store = DjangoCacheRevocation(key_prefix="test-revoked:")
    cache = caches["default"]
    await store.revoke("j1")
    assert await store.is_revoked("j1")
    assert not await store.is_revoked("j2")
    assert cache.get("test-revoked:j1") == "1"

    calls = []

    async def record_aset(key, value, timeout):
        calls.append((key, value, timeout))

    monkeypatch.setattr(type(cache), "aset", lambda self, key, value, timeout: record_aset(key, value, timeout))
    await store.revoke("j3", ttl=60)
    await store.revoke("j4")
    assert calls == [("test-revoked:j3", "1", 60), ("test-revoked:j4", "1", DEFAULT_TTL_SECONDS)]


def test_cache_store_unknown_alias_fails_at_construction():
    with pytest.raises(InvalidCacheBackendError, match="nope"):
        DjangoCacheRevocation(cache_alias="nope")


def test_orm_store_model_must_exist_and_have_fields():
    with pytest.raises(ImproperlyConfigured, match="app_label.ModelName"):
        DjangoORMRevocation(model="auth.DoesNotExist")
    with pytest.raises(ImproperlyConfigured, match="app_label.ModelName"):
        DjangoORMRevocation(model="no-dot")
    with pytest.raises(ImproperlyConfigured, match="'jti'"):
        DjangoORMRevocation(model="auth.Group")


@pytest.mark.asyncio
async def test_orm_store(revoked_token_model):
    def create_table():
        with connection.schema_editor() as editor:
            editor.create_model(revoked_token_model)

    # The ORM's async API runs queries on one worker thread; the in-memory
    # database table must be created on that same thread.
    await sync_to_async(create_table)()
    store = DjangoORMRevocation(model="auth.RevokedTokenForTests")
    assert not await store.is_revoked("t1")
    await store.revoke("t1", ttl=60)
    assert await store.is_revoked("t1")
    row = await revoked_token_model.objects.aget(jti="t1")
    assert 55 <= (row.expires_at - timezone.now()).total_seconds() <= 60

    # Revoking again updates the row instead of failing on the unique jti.
    await store.revoke("t1")
    row = await revoked_token_model.objects.aget(jti="t1")
    assert (row.expires_at - timezone.now()).total_seconds() > DEFAULT_TTL_SECONDS - 5
    assert await revoked_token_model.objects.acount() == 1

    await revoked_token_model.objects.acreate(jti="old", expires_at=timezone.now() - timedelta(seconds=1))
    assert not await store.is_revoked("old")


@pytest.mark.asyncio
async def test_handler_asks_the_store():
    store = InMemoryRevocation()
    handler = create_revocation_handler(store)
    assert await handler("x") is False
    await store.revoke("x")
    assert await handler("x") is True


def test_handler_needs_a_store():
    with pytest.raises(TypeError, match="RevocationStore"):
        create_revocation_handler(set())


@pytest.mark.asyncio
async def test_backend_handler_uses_its_store():
    store = InMemoryRevocation()
    backend = JWTAuthentication(secret="k", revocation_store=store)
    await store.revoke("gone")
    assert await backend.revoked_token_handler("gone") is True
    assert await backend.revoked_token_handler("fine") is False
