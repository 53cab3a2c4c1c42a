"""Authentication backends: metadata sent to the server, aliases and validation."""

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt.auth import (
    APIKeyAuthentication,
    AuthContext,
    BaseAuthentication,
    InMemoryRevocation,
    JWTAuthentication,
    SessionAuthentication,
    get_default_authentication_classes,
)


def public_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def test_jwt_metadata_shape():
    backend = JWTAuthentication(secret="s3cret", header="X-Token", audience="api", issuer="me")
    assert backend.scheme_name == "jwt"
    assert backend.to_metadata() == {
        "type": "jwt",
        "secret": "s3cret",
        "algorithms": ["HS256"],
        "header": "x-token",
        "audience": "api",
        "issuer": "me",
        "require_jti": False,
        "has_revocation": False,
    }


def test_jwt_secret_defaults_to_django_secret_key():
    with override_settings(SECRET_KEY="from-settings"):
        assert JWTAuthentication().to_metadata()["secret"] == "from-settings"


def test_jwt_empty_secret_key_is_improperly_configured():
    with override_settings(SECRET_KEY=""):
        with pytest.raises(ImproperlyConfigured, match="SECRET_KEY"):
            JWTAuthentication()


def test_jwt_readme_aliases():
    backend = JWTAuthentication(secret_key="k", algorithm="HS512")
    assert backend.secret == "k"
    assert backend.algorithms == ["HS512"]


def test_jwt_alias_and_name_together_is_an_error():
    with pytest.raises(TypeError, match="secret= or secret_key="):
        JWTAuthentication(secret="a", secret_key="b")
    with pytest.raises(TypeError, match="algorithms= or algorithm="):
        JWTAuthentication(secret="a", algorithms=["HS256"], algorithm="HS256")


def test_jwt_unknown_algorithm_names_it_and_the_allowed_list():
    with pytest.raises(ValueError) as info:
        JWTAuthentication(secret="k", algorithms=["none"])
    message = str(info.value)
    assert "'none'" in message
    assert "HS256" in message and "EdDSA" in message


def test_jwt_algorithms_as_string_says_what_to_write():
    with pytest.raises(TypeError, match=r"algorithms=\['HS256'\]"):
        JWTAuthentication(secret="k", algorithms="HS256")


def test_jwt_mixing_hmac_and_public_key_algorithms_is_refused():
    with pytest.raises(ValueError, match="mix HMAC"):
        JWTAuthentication(secret=public_pem(), algorithms=["HS256", "RS256"])


def test_jwt_asymmetric_takes_a_pem_public_key():
    pem = public_pem()
    backend = JWTAuthentication(secret=pem, algorithms=["ES256"])
    assert backend.to_metadata()["secret"] == pem
    with pytest.raises(ValueError, match="PEM public key"):
        JWTAuthentication(secret="not-a-key", algorithms=["RS256"])
    with pytest.raises(ValueError, match="PEM public key"):
        JWTAuthentication(algorithms=["RS256"])


def test_jwt_revocation_store_creates_handler_and_requires_jti():
    backend = JWTAuthentication(secret="k", revocation_store=InMemoryRevocation())
    assert backend.revoked_token_handler is not None
    meta = backend.to_metadata()
    assert meta["has_revocation"] is True
    assert meta["require_jti"] is True


def test_jwt_custom_revocation_handler_is_kept():
    async def handler(jti):
        return jti == "bad"

    backend = JWTAuthentication(secret="k", revoked_token_handler=handler)
    assert backend.revoked_token_handler is handler
    assert backend.require_jti is True


def test_jwt_require_jti_without_revocation():
    meta = JWTAuthentication(secret="k", require_jti=True).to_metadata()
    assert meta["require_jti"] is True
    assert meta["has_revocation"] is False


def test_jwt_rejects_a_store_that_is_not_a_revocation_store():
    with pytest.raises(TypeError, match="RevocationStore"):
        JWTAuthentication(secret="k", revocation_store=object())


def test_api_key_metadata_shape():
    backend = APIKeyAuthentication(api_keys={"k2", "k1"}, header="X-My-Key", key_permissions={"k1": ["read", "write"]})
    assert backend.scheme_name == "api_key"
    assert backend.to_metadata() == {
        "type": "api_key",
        "api_keys": ["k1", "k2"],
        "header": "x-my-key",
        "key_permissions": {"k1": ["read", "write"]},
    }


def test_api_key_defaults():
    assert APIKeyAuthentication().to_metadata() == {
        "type": "api_key",
        "api_keys": [],
        "header": "x-api-key",
        "key_permissions": {},
    }


def test_api_key_validation():
    with pytest.raises(TypeError, match=r"\['abc'\]"):
        APIKeyAuthentication(api_keys="abc")
    with pytest.raises(ValueError, match="not in api_keys"):
        APIKeyAuthentication(api_keys=["a"], key_permissions={"b": ["x"]})
    with pytest.raises(ValueError, match="non-empty string"):
        APIKeyAuthentication(api_keys=[""])


def test_api_key_repr_hides_keys():
    assert "secret-key" not in repr(APIKeyAuthentication(api_keys=["secret-key"]))


def test_session_authentication_is_refused_with_alternatives():
    with pytest.raises(ImproperlyConfigured) as info:
        SessionAuthentication()
    assert "JWTAuthentication" in str(info.value)
    assert "APIKeyAuthentication" in str(info.value)


def test_base_authentication_is_abstract():
    with pytest.raises(TypeError):
        BaseAuthentication()


def test_auth_context_defaults_and_from_context():
    assert AuthContext() == AuthContext(None, False, False, "none", None, None)
    assert AuthContext.from_context(None) == AuthContext()
    ctx = AuthContext.from_context(
        {
            "user_id": "7",
            "is_staff": True,
            "is_admin": False,
            "auth_backend": "jwt",
            "permissions": ("a",),
            "auth_claims": {"sub": "7"},
        }
    )
    assert ctx == AuthContext("7", True, False, "jwt", {"sub": "7"}, ["a"])


def test_default_authentication_classes():
    assert get_default_authentication_classes() == []
    backend = APIKeyAuthentication(api_keys=["k"])
    with override_settings(BOLT_AUTHENTICATION_CLASSES=[backend]):
        assert get_default_authentication_classes() == [backend]


def test_default_authentication_classes_must_be_instances():
    with override_settings(BOLT_AUTHENTICATION_CLASSES=["django_bolt.auth.JWTAuthentication"]):
        with pytest.raises(ImproperlyConfigured, match="BOLT_AUTHENTICATION_CLASSES"):
            get_default_authentication_classes()
