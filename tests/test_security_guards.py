"""API keys, guards (Go and Python), global defaults and JWT revocation, over HTTP."""

from __future__ import annotations

import time

import pytest

from .security_helpers import bearer, claims, fetch, mint, unique

UNAUTHENTICATED = {"detail": "Authentication required"}
FORBIDDEN = {"detail": "Permission denied"}


def get(server, path: str, headers: dict[str, str] | None = None):
    return fetch(server.url(path), headers=headers)


def assert_status(response, status: int, body: dict | None = None) -> None:
    assert response.status == status, (response.status, response.body[:300])
    if body is not None:
        assert response.json() == body
        assert response.headers["content-type"].startswith("application/json")


def counters(server) -> dict:
    return fetch(server.url("/counters")).json()


# --- API keys ----------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["key-write", "Bearer key-write", "ApiKey key-write"])
def test_api_key_with_and_without_prefix(main_server, value):
    response = get(main_server, "/apikey/write", {"X-API-Key": value})
    assert_status(response, 200)
    context = response.json()["context"]
    assert context["user_id"] == "apikey:key-write"
    assert context["auth_backend"] == "api_key"
    assert sorted(context["permissions"]) == ["items.read", "items.write"]
    assert context["is_staff"] is False and context["is_admin"] is False
    assert "auth_claims" not in context


@pytest.mark.parametrize(
    ("headers", "status", "body"),
    [
        ({}, 401, UNAUTHENTICATED),
        ({"X-API-Key": "key-unknown"}, 401, UNAUTHENTICATED),
        ({"X-API-Key": "key-writ"}, 401, UNAUTHENTICATED),
        ({"X-API-Key": "KEY-WRITE"}, 401, UNAUTHENTICATED),
        ({"Authorization": "Bearer key-write"}, 401, UNAUTHENTICATED),  # wrong header
        ({"X-API-Key": "key-read"}, 403, FORBIDDEN),   # known key, lacks items.write
        ({"X-API-Key": "key-plain"}, 403, FORBIDDEN),  # known key, no permissions at all
    ],
)
def test_api_key_refusals(main_server, headers, status, body):
    assert_status(get(main_server, "/apikey/write", headers), status, body)


def test_api_key_without_permissions_has_no_permissions_entry(main_server):
    response = get(main_server, "/apikey/context", {"X-API-Key": "key-plain"})
    assert_status(response, 200)
    context = response.json()["context"]
    assert context["user_id"] == "apikey:key-plain"
    assert "permissions" not in context


@pytest.mark.parametrize(
    ("key", "any_status", "all_status"),
    [("key-write", 200, 200), ("key-read", 403, 403), ("key-plain", 403, 403)],
)
def test_any_and_all_permission_guards(main_server, key, any_status, all_status):
    assert_status(get(main_server, "/apikey/any", {"X-API-Key": key}), any_status)
    assert_status(get(main_server, "/apikey/all", {"X-API-Key": key}), all_status)


def test_api_key_in_a_configured_header(main_server):
    assert_status(get(main_server, "/apikey/custom-header", {"X-Service-Key": "svc-1"}), 200)
    assert_status(get(main_server, "/apikey/custom-header", {"X-API-Key": "svc-1"}), 401, UNAUTHENTICATED)


def test_backends_are_tried_in_order(main_server, material):
    token = mint(claims(sub="jwt-user"), material.hs_secret)
    both = {**bearer(token), "X-API-Key": "key-read"}
    assert get(main_server, "/multi", both).json()["context"]["auth_backend"] == "jwt"
    # A failing first backend does not stop the second one.
    bad_jwt = {**bearer("garbage"), "X-API-Key": "key-read"}
    context = get(main_server, "/multi", bad_jwt).json()["context"]
    assert context["auth_backend"] == "api_key" and context["user_id"] == "apikey:key-read"
    assert_status(get(main_server, "/multi", bearer("garbage")), 401, UNAUTHENTICATED)


# --- built-in guards: order, 401 versus 403 ------------------------------------------------


def token_for(material, **extra) -> dict[str, str]:
    return bearer(mint(claims(sub=extra.pop("sub", "guard-user"), **extra), material.hs_secret))


@pytest.mark.parametrize(
    ("extra", "status", "body"),
    [
        (None, 401, UNAUTHENTICATED),
        ({}, 403, FORBIDDEN),
        ({"permissions": ["reports.view"]}, 403, FORBIDDEN),  # not staff: the first guard decides
        ({"is_staff": True}, 403, FORBIDDEN),                  # staff without the permission
        ({"is_staff": True, "permissions": ["reports.view"]}, 200, None),
    ],
)
def test_guards_run_in_order(main_server, material, extra, status, body):
    headers = {} if extra is None else token_for(material, **extra)
    assert_status(get(main_server, "/guards/staff-perm", headers), status, body)


@pytest.mark.parametrize(
    ("extra", "status"),
    [(None, 401), ({}, 403), ({"is_staff": True}, 403), ({"is_superuser": True}, 200), ({"is_admin": True}, 200)],
)
def test_is_admin_user(main_server, material, extra, status):
    headers = {} if extra is None else token_for(material, **extra)
    assert_status(get(main_server, "/guards/admin", headers), status)


def test_token_create_with_is_staff_is_not_admin(main_server, material):
    """Decision 12: ``Token.create(is_staff=True)`` makes a staff token, not an admin one."""
    from datetime import timedelta

    from django_bolt.auth import Token

    staff = Token.create("staff-7", expires_delta=timedelta(minutes=5), is_staff=True).encode(material.hs_secret)
    assert_status(get(main_server, "/guards/admin", bearer(staff)), 403, FORBIDDEN)
    admin = Token.create("admin-7", expires_delta=timedelta(minutes=5), is_admin=True).encode(material.hs_secret)
    assert_status(get(main_server, "/guards/admin", bearer(admin)), 200)


def test_allow_any_first_allows_everyone(main_server):
    assert_status(get(main_server, "/guards/allow-first"), 200)


def test_allow_any_after_a_failing_guard_does_not_help(main_server):
    assert_status(get(main_server, "/guards/allow-last"), 401, UNAUTHENTICATED)


# --- custom guards run in Python, after the Go guards ---------------------------------------


def test_custom_guard_allows_and_denies(main_server, material):
    headers = token_for(material)
    assert_status(get(main_server, "/guards/custom", {**headers, "x-allow": "yes"}), 200)
    assert_status(get(main_server, "/guards/custom", {**headers, "x-allow": "no"}), 403, FORBIDDEN)
    assert_status(get(main_server, "/guards/custom", headers), 403, FORBIDDEN)


def test_custom_guard_runs_only_after_go_guards_passed(main_server):
    before = counters(main_server)["header_flag"]
    assert_status(get(main_server, "/guards/custom", {"x-allow": "yes"}), 401, UNAUTHENTICATED)
    assert_status(get(main_server, "/guards/custom", {**bearer("bad"), "x-allow": "yes"}), 401, UNAUTHENTICATED)
    assert counters(main_server)["header_flag"] == before


def test_async_custom_guard_sees_context_and_path_params(main_server, material):
    mine = token_for(material, sub="owner-5")
    assert_status(get(main_server, "/guards/owner/owner-5", mine), 200)
    assert_status(get(main_server, "/guards/owner/owner-6", mine), 403, FORBIDDEN)
    assert_status(get(main_server, "/guards/owner/owner-5"), 401, UNAUTHENTICATED)


def test_custom_guard_sees_headers_when_the_handler_takes_no_request(main_server):
    """The guard reads a header the handler's signature does not mention."""
    assert_status(get(main_server, "/guards/custom-bare", {"x-allow": "yes"}), 200)
    assert_status(get(main_server, "/guards/custom-bare", {"x-allow": "no"}), 403, FORBIDDEN)


# --- global defaults from settings (the "defaults" profile) ---------------------------------


def test_default_authentication_and_permission_classes(defaults_server, material):
    assert_status(get(defaults_server, "/d/protected"), 401, UNAUTHENTICATED)
    response = get(defaults_server, "/d/protected", token_for(material, sub="dflt-1"))
    assert_status(response, 200)
    assert response.json()["context"]["user_id"] == "dflt-1"
    assert response.json()["context"]["auth_backend"] == "jwt"


def test_explicit_guards_replace_the_default_ones(defaults_server, material):
    assert_status(get(defaults_server, "/d/open"), 200)
    # The default backend still authenticates on a route that only changes guards.
    response = get(defaults_server, "/d/open", token_for(material, sub="dflt-2"))
    assert response.json()["context"]["user_id"] == "dflt-2"
    assert_status(get(defaults_server, "/d/admin", token_for(material)), 403, FORBIDDEN)
    assert_status(get(defaults_server, "/d/admin", token_for(material, is_superuser=True)), 200)


def test_explicit_empty_auth_replaces_the_default_backends(defaults_server, material):
    assert_status(get(defaults_server, "/d/no-auth", token_for(material)), 401, UNAUTHENTICATED)


# --- revocation ---------------------------------------------------------------------------------


def revocable(material, jti: str | None, sub: str = "rev-user") -> dict[str, str]:
    return bearer(mint(claims(sub=sub, jti=jti), material.hs_secret))


def test_in_memory_revocation(main_server, material):
    jti, other = unique("jti"), unique("jti")
    headers = revocable(material, jti)
    response = get(main_server, "/revocation/memory", headers)
    assert_status(response, 200)
    assert response.json()["context"]["auth_claims"]["jti"] == jti

    revoked = fetch(main_server.url("/revocation/memory/revoke"), method="POST", json={"jti": jti})
    assert_status(revoked, 200)
    for _ in range(3):
        assert_status(get(main_server, "/revocation/memory", headers), 401, UNAUTHENTICATED)
    # Other tokens of the same user are unaffected.
    assert_status(get(main_server, "/revocation/memory", revocable(material, other)), 200)


def test_revocation_requires_a_jti(main_server, material):
    assert_status(get(main_server, "/revocation/memory", revocable(material, None)), 401, UNAUTHENTICATED)


def test_revoked_token_is_anonymous_on_a_route_without_guards(main_server, material):
    jti = unique("jti")
    headers = revocable(material, jti, sub="rev-optional")
    assert get(main_server, "/revocation/optional", headers).json()["context"]["user_id"] == "rev-optional"
    assert_status(fetch(main_server.url("/revocation/memory/revoke"), method="POST", json={"jti": jti}), 200)
    response = get(main_server, "/revocation/optional", headers)
    assert_status(response, 200)
    assert response.json()["context"] in (None, {})


def test_custom_revoked_token_handler(main_server, material):
    assert_status(get(main_server, "/revocation/handler", revocable(material, "ok-1")), 200)
    assert_status(get(main_server, "/revocation/handler", revocable(material, "revoked-1")), 401, UNAUTHENTICATED)
    assert_status(get(main_server, "/revocation/handler", revocable(material, None)), 401, UNAUTHENTICATED)


def test_revocation_does_not_outlive_expiry_checks(main_server, material):
    """An expired token is refused whether or not its jti was revoked."""
    now = int(time.time())
    expired = bearer(mint({"sub": "x", "jti": unique("jti"), "iat": now - 900, "exp": now - 300}, material.hs_secret))
    assert_status(get(main_server, "/revocation/memory", expired), 401, UNAUTHENTICATED)
