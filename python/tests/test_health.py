"""Health and readiness endpoints."""

from __future__ import annotations

import pytest
from django.test import override_settings

from django_bolt import BoltAPI, IsAuthenticated  # noqa: E402
from django_bolt import health  # noqa: E402
from django_bolt.health import (  # noqa: E402
    HealthCheck,
    add_health_check,
    check_database,
    health_handler,
    ready_handler,
    register_health_checks,
)
from django_bolt.testing import TestClient  # noqa: E402


@pytest.fixture(autouse=True)
def fresh_checks(monkeypatch):
    """Each test starts with no global checks."""
    monkeypatch.setattr(health, "_checks", HealthCheck())


def client(prefix: str = "") -> TestClient:
    api = BoltAPI(prefix=prefix)
    register_health_checks(api)
    return TestClient(api)


def test_health_answers_ok():
    with client() as c:
        response = c.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_ready_checks_the_database_when_nothing_else_was_added():
    with client() as c:
        response = c.get("/ready")
    assert response.status_code == 200
    assert response.json() == {
        "status": "healthy",
        "checks": {"check_database": {"healthy": True, "message": "Database connection OK"}},
    }


def test_ready_reports_a_database_error(monkeypatch):
    def broken():
        raise RuntimeError("connection refused")

    monkeypatch.setattr(health, "_ping_database", broken)
    with client() as c:
        response = c.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "checks": {"check_database": {"healthy": False, "message": "Database error: connection refused"}},
    }


def test_added_checks_replace_the_default_one():
    @add_health_check
    async def cache():
        return True, "cache up"

    @add_health_check
    async def queue():
        return False, "queue full"

    with client() as c:
        response = c.get("/ready")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unhealthy",
        "checks": {
            "cache": {"healthy": True, "message": "cache up"},
            "queue": {"healthy": False, "message": "queue full"},
        },
    }


def test_a_failing_check_is_unhealthy():
    @add_health_check
    async def flaky():
        raise ValueError("boom")

    @add_health_check
    async def sloppy():
        return "fine"

    with client() as c:
        response = c.get("/ready")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["flaky"] == {"healthy": False, "message": "Check failed: boom"}
    assert checks["sloppy"]["healthy"] is False
    assert "not (healthy, message)" in checks["sloppy"]["message"]


def test_checks_must_be_async():
    def sync_check():
        return True, "ok"

    with pytest.raises(TypeError, match="async def"):
        add_health_check(sync_check)


def test_paths_follow_the_api_prefix():
    with client(prefix="/api") as c:
        assert c.get("/api/health").json() == {"status": "ok"}
        assert c.get("/api/ready").status_code == 200
        assert c.get("/health").status_code == 404


def test_health_routes_are_public_whatever_the_default_guards():
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated()]):
        api = BoltAPI()

        @api.get("/private")
        async def private():
            return {}

        register_health_checks(api)
        with TestClient(api) as c:
            assert c.get("/private").status_code == 401
            assert c.get("/health").status_code == 200
            assert c.get("/ready").status_code == 200


async def test_health_check_class_runs_its_own_checks():
    checks = HealthCheck()

    async def one():
        return True, "one"

    assert checks.add_check(one) is one
    assert await checks.run_checks() == {"status": "healthy", "checks": {"one": {"healthy": True, "message": "one"}}}
    assert await HealthCheck().run_checks() == {"status": "healthy", "checks": {}}


async def test_handlers_can_be_called_directly():
    assert await health_handler() == {"status": "ok"}

    @add_health_check
    async def ok():
        return True, "fine"

    assert (await ready_handler())["status"] == "healthy"


async def test_check_database_directly():
    assert await check_database() == (True, "Database connection OK")
