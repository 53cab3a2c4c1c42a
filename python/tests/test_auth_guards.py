"""Guards: metadata for the server and the same rules evaluated in Python."""

import json
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt.auth import (
    AllowAny,
    AuthContext,
    BasePermission,
    HasAllPermissions,
    HasAnyPermission,
    HasPermission,
    IsAdminUser,
    IsAuthenticated,
    IsStaff,
    get_default_permission_classes,
)
from django_bolt.auth.guards import is_native_guard
from django_bolt.request import Request


ANONYMOUS = AuthContext()
USER = AuthContext(user_id="1", backend="jwt", permissions=["blog.view", "blog.add"])
STAFF = AuthContext(user_id="2", is_staff=True, backend="jwt")
ADMIN = AuthContext(user_id="3", is_admin=True, backend="jwt")


class IsOwner(BasePermission):
    guard_name = "is_owner"

    def has_permission(self, request):
        return True


@pytest.mark.parametrize(
    "guard, expected",
    [
        (AllowAny(), {"type": "allow_any"}),
        (IsAuthenticated(), {"type": "is_authenticated"}),
        (IsAdminUser(), {"type": "is_admin"}),
        (IsStaff(), {"type": "is_staff"}),
        (HasPermission("blog.add"), {"type": "has_permission", "permission": "blog.add"}),
        (HasAnyPermission("a", "b"), {"type": "has_any_permission", "permissions": ["a", "b"]}),
        (HasAllPermissions("a", "b"), {"type": "has_all_permissions", "permissions": ["a", "b"]}),
    ],
)
def test_metadata_shapes(guard, expected):
    assert guard.to_metadata() == expected
    assert guard.guard_name == expected["type"]


@pytest.mark.parametrize(
    "guard, allowed",
    [
        (AllowAny(), {"anonymous", "user", "staff", "admin"}),
        (IsAuthenticated(), {"user", "staff", "admin"}),
        (IsStaff(), {"staff"}),
        (IsAdminUser(), {"admin"}),
        (HasPermission("blog.add"), {"user"}),
        (HasAnyPermission("blog.delete", "blog.view"), {"user"}),
        (HasAllPermissions("blog.view", "blog.add"), {"user"}),
        (HasAllPermissions("blog.view", "blog.delete"), set()),
    ],
)
def test_python_rules(guard, allowed):
    callers = {"anonymous": ANONYMOUS, "user": USER, "staff": STAFF, "admin": ADMIN}
    assert {name for name, ctx in callers.items() if guard.has_permission(ctx)} == allowed


def test_rules_read_a_request_and_a_context_dict():
    context = {"user_id": "9", "is_staff": True, "auth_backend": "jwt", "permissions": ["p"]}
    request = Request("GET", "/", None, None, None, None, context)
    assert IsStaff().has_permission(request)
    assert HasPermission("p").has_permission(request)
    assert IsStaff().has_permission(context)
    assert IsStaff().has_permission({"context": context})
    anonymous = Request("GET", "/", None, None, None, None, None)
    assert not IsAuthenticated().has_permission(anonymous)
    assert AllowAny().has_permission(anonymous)


def test_staff_is_not_admin():
    assert not IsAdminUser().has_permission(STAFF)


def test_permission_guards_need_names():
    with pytest.raises(ValueError, match="at least one permission"):
        HasAnyPermission()
    with pytest.raises(ValueError, match="non-empty strings"):
        HasPermission("")
    with pytest.raises(ValueError, match="non-empty strings"):
        HasAllPermissions(["a", "b"])


def test_base_permission_is_abstract_but_has_a_default_rule():
    with pytest.raises(TypeError):
        BasePermission()
    guard = IsOwner()
    assert guard.to_metadata() == {"type": "is_owner"}


def test_native_and_custom_guards_are_told_apart():
    assert all(
        is_native_guard(g) for g in (AllowAny(), IsAuthenticated(), IsAdminUser(), IsStaff(), HasPermission("x"))
    )
    assert not is_native_guard(IsOwner())

    class PlainSubclass(IsAuthenticated):
        pass

    class ChangedRule(IsAuthenticated):
        def has_permission(self, request):
            return False

    assert is_native_guard(PlainSubclass())
    assert not is_native_guard(ChangedRule())


def test_default_permission_classes():
    [guard] = get_default_permission_classes()
    assert isinstance(guard, AllowAny)
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=[IsAuthenticated, HasPermission("x")]):
        first, second = get_default_permission_classes()
        assert isinstance(first, IsAuthenticated)
        assert second.permission == "x"


def test_default_permission_classes_validation():
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=["IsAuthenticated"]):
        with pytest.raises(ImproperlyConfigured, match="BOLT_DEFAULT_PERMISSION_CLASSES"):
            get_default_permission_classes()
    with override_settings(BOLT_DEFAULT_PERMISSION_CLASSES=IsAuthenticated()):
        with pytest.raises(ImproperlyConfigured, match="list of guards"):
            get_default_permission_classes()


# --- one table with Go ----------------------------------------------------------------------

_GUARD_TABLE = Path(__file__).resolve().parents[2] / "middleware" / "testdata" / "guard_cases.json"
_BY_TYPE = {
    "allow_any": lambda g: AllowAny(),
    "is_authenticated": lambda g: IsAuthenticated(),
    "is_admin": lambda g: IsAdminUser(),
    "is_staff": lambda g: IsStaff(),
    "has_permission": lambda g: HasPermission(g["permission"]),
    "has_any_permission": lambda g: HasAnyPermission(*g["permissions"]),
    "has_all_permissions": lambda g: HasAllPermissions(*g["permissions"]),
}


def _guard_cases():
    cases = json.loads(_GUARD_TABLE.read_text())["cases"]
    assert cases
    return [pytest.param(c, id=f"{c['context_name']}: {c['guard']}") for c in cases]


@pytest.mark.parametrize("case", _guard_cases())
def test_python_guards_answer_the_table_go_answers(case):
    """middleware/guards_test.go runs the same table through the Go guards."""
    guard = _BY_TYPE[case["guard"]["type"]](case["guard"])
    assert guard.to_metadata() == case["guard"]
    request = Request("GET", "/", None, None, None, None, case["context"])
    assert bool(guard.has_permission(request)) == (case["status"] == 0)
    assert bool(guard.has_permission(case["context"] or {})) == (case["status"] == 0)


@pytest.mark.parametrize("guard", [
    IsAuthenticated(), IsAdminUser(), IsStaff(), HasPermission("a"), HasAnyPermission("a"), HasAllPermissions("a"),
])
def test_no_context_is_nobody(guard):
    assert guard.has_permission(None) is False


def test_allow_any_allows_no_context():
    assert AllowAny().has_permission(None) is True
