"""Issuing tokens for Django users and finding the user of a request."""

from datetime import datetime, timezone

import jwt
import pytest
from asgiref.sync import sync_to_async
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.test import override_settings

from django_bolt.auth import (
    create_jwt_for_user,
    extract_user_id_from_context,
    get_auth_context,
    get_current_user,
)
from django_bolt.request import Request


def make_user(**fields):
    from django.contrib.auth.models import User

    defaults = {"pk": 7, "username": "ann", "is_staff": False, "is_superuser": False}
    return User(**{**defaults, **fields})


def claims_of(token, secret="s"):
    return jwt.decode(token, secret, algorithms=["HS256"])


def request_with(context):
    return Request("GET", "/", None, None, None, None, context)


def test_claims_of_a_user():
    user = make_user(email="ann@example.com", first_name="Ann", is_staff=True)
    claims = claims_of(create_jwt_for_user(user, secret="s"))
    assert claims["sub"] == "7"
    assert claims["username"] == "ann"
    assert claims["email"] == "ann@example.com"
    assert claims["first_name"] == "Ann"
    assert "last_name" not in claims
    assert claims["is_staff"] is True
    assert claims["is_superuser"] is False
    assert "is_admin" not in claims
    assert claims["exp"] - claims["iat"] == 3600
    assert abs(claims["iat"] - datetime.now(timezone.utc).timestamp()) < 5


def lifetime(token):
    claims = claims_of(token)
    return claims["exp"] - claims["iat"]


def test_lifetime_options():
    user = make_user()
    assert lifetime(create_jwt_for_user(user, secret="s", expires_in=60)) == 60
    assert lifetime(create_jwt_for_user(user, secret="s", exp_hours=24)) == 86400
    # exp_hours wins over expires_in.
    assert lifetime(create_jwt_for_user(user, secret="s", expires_in=60, exp_hours=2)) == 7200


def test_extra_claims_come_last():
    token = create_jwt_for_user(make_user(), secret="s", extra_claims={"role": "editor", "username": "x"})
    claims = claims_of(token)
    assert claims["role"] == "editor"
    assert claims["username"] == "x"


def test_secret_defaults_to_secret_key_and_algorithm_is_used():
    with override_settings(SECRET_KEY="settings-secret"):
        token = create_jwt_for_user(make_user(), algorithm="HS384")
    assert jwt.decode(token, "settings-secret", algorithms=["HS384"])["sub"] == "7"


def test_empty_secret_key_is_improperly_configured():
    with override_settings(SECRET_KEY=""):
        with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
            create_jwt_for_user(make_user())


def test_context_helpers():
    context = {"user_id": "7", "auth_backend": "jwt"}
    assert get_auth_context(request_with(context)) is context
    assert extract_user_id_from_context(request_with(context)) == "7"
    assert get_auth_context(request_with(None)) == {}
    assert extract_user_id_from_context(request_with(None)) is None
    assert extract_user_id_from_context({"context": {"user_id": "3"}}) == "3"


def migrate():
    call_command("migrate", verbosity=0, interactive=False)


@pytest.mark.asyncio
async def test_get_current_user():
    from django.contrib.auth.models import User

    # The ORM's async API runs queries on one worker thread; the in-memory
    # database must be created on that same thread.
    await sync_to_async(migrate)()
    user = await User.objects.acreate(username="current-user")
    found = await get_current_user(request_with({"user_id": str(user.pk)}))
    assert found == user
    assert await get_current_user(request_with(None)) is None
    assert await get_current_user(request_with({"user_id": "999999"})) is None
    assert await get_current_user(request_with({"user_id": "apikey:abc"})) is None
