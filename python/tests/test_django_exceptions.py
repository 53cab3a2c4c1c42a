"""Django's client-error exceptions raised in a handler answer as Django answers them:
PermissionDenied 403, Http404 404, BadRequest and SuspiciousOperation 400, without their
messages."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousFileOperation
from django.http import Http404
from django.shortcuts import aget_object_or_404

from django_bolt import BoltAPI
from django_bolt.testing import TestClient

from contract_helpers import migrate_once


def make_api() -> BoltAPI:
    api = BoltAPI()

    @api.get("/denied")
    async def denied():
        raise PermissionDenied("internal rule 7 failed")

    @api.get("/missing")
    async def missing():
        raise Http404("no row 42 in table secret_things")

    @api.get("/bad")
    async def bad():
        raise BadRequest("checksum 0xdead mismatch")

    @api.get("/suspicious")
    async def suspicious():
        raise SuspiciousFileOperation("Detected path traversal attempt in '/srv/media/../x'")

    @api.get("/users/{user_id}")
    async def user(user_id: int):
        found = await aget_object_or_404(User, pk=user_id)
        return {"username": found.username}

    return api


def test_permission_denied_is_a_403_without_its_message():
    with TestClient(make_api()) as client:
        r = client.get("/denied")
        assert r.status_code == 403
        assert r.json() == {"detail": "Permission denied"}


def test_http404_is_a_404_without_its_message():
    migrate_once()
    User.objects.filter(username="found-user").delete()
    with TestClient(make_api()) as client:
        r = client.get("/missing")
        assert r.status_code == 404
        assert r.json() == {"detail": "Not Found"}
        assert client.get("/users/999999").status_code == 404
        User.objects.create_user("found-user")
        pk = User.objects.get(username="found-user").pk
        assert client.get(f"/users/{pk}").json() == {"username": "found-user"}


def test_bad_request_and_suspicious_operation_are_400s_without_their_message(caplog):
    with TestClient(make_api()) as client:
        r = client.get("/bad")
        assert r.status_code == 400
        assert r.json() == {"detail": "Bad Request"}
        r = client.get("/suspicious")
        assert r.status_code == 400
        assert r.json() == {"detail": "Bad Request"}
    # Logged where Django logs it, for the server's operators.
    assert any(rec.name == "django.security.SuspiciousFileOperation" and "/srv/media" in rec.getMessage()
               for rec in caplog.records)
