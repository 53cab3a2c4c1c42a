"""JWT authentication done by the Go core, checked with tokens PyJWT made.

Routes live in security_project/secapp/api_main.py; each answers with the auth
context the core produced (``{"context": {...}}``), and is guarded by
``IsAuthenticated`` so that a token the core refuses gives 401.
"""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest

from .security_helpers import b64url, bearer, claims, fetch, handmade_token, mint

UNAUTHENTICATED = {"detail": "Authentication required"}


def get(server, path: str, token: str | None = None, **headers: str):
    sent = dict(headers)
    if token is not None:
        sent.update(bearer(token))
    return fetch(server.url(path), headers=sent)


def assert_accepted(response, sub: str = "user-1") -> dict:
    assert response.status == 200, (response.status, response.body[:300])
    context = response.json()["context"]
    assert context["user_id"] == sub
    assert context["auth_backend"] == "jwt"
    return context


def assert_refused(response) -> None:
    assert response.status == 401, (response.status, response.body[:300])
    assert response.json() == UNAUTHENTICATED
    assert response.headers["content-type"].startswith("application/json")
    assert "www-authenticate" not in response.headers


# --- every algorithm, with a key of its own family ------------------------------------


def signing_key(material, algorithm: str):
    return {
        "HS256": material.hs_secret, "HS384": material.hs_secret, "HS512": material.hs_secret,
        "RS256": material.rsa, "RS384": material.rsa, "RS512": material.rsa, "PS256": material.rsa,
        "ES256": material.ec256, "ES384": material.ec384, "ES512": material.ec521,
        "EdDSA": material.ed25519,
    }[algorithm]


@pytest.mark.parametrize(
    ("algorithm", "path"),
    [
        ("HS256", "/jwt/hs"), ("HS384", "/jwt/hs"), ("HS512", "/jwt/hs"),
        ("RS256", "/jwt/rsa"), ("RS384", "/jwt/rsa"), ("RS512", "/jwt/rsa"), ("PS256", "/jwt/rsa"),
        ("ES256", "/jwt/es256"), ("ES384", "/jwt/es384"), ("ES512", "/jwt/es512"),
        ("EdDSA", "/jwt/eddsa"),
    ],
)
def test_each_algorithm_is_accepted_with_its_key(main_server, material, algorithm, path):
    token = mint(claims(sub=f"sub-{algorithm}"), signing_key(material, algorithm), algorithm)
    assert_accepted(get(main_server, path, token), sub=f"sub-{algorithm}")


@pytest.fixture(scope="module")
def strangers() -> dict:
    """Keys of the right families that the server does not know."""
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

    keys = {
        "HS256": "not-the-server-secret-" * 3,
        "RS256": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "ES384": ec.generate_private_key(ec.SECP384R1()),
        "ES512": ec.generate_private_key(ec.SECP521R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
    }
    keys["PS256"] = keys["RS256"]
    return keys


@pytest.mark.parametrize(
    ("algorithm", "path"),
    [
        ("HS256", "/jwt/hs"), ("RS256", "/jwt/rsa"), ("PS256", "/jwt/rsa"), ("ES256", "/jwt/es256"),
        ("ES384", "/jwt/es384"), ("ES512", "/jwt/es512"), ("EdDSA", "/jwt/eddsa"),
    ],
)
def test_a_token_signed_with_another_key_is_refused(main_server, strangers, algorithm, path):
    assert_refused(get(main_server, path, mint(claims(), strangers[algorithm], algorithm)))


@pytest.mark.parametrize(
    ("algorithm", "path"),
    [
        ("HS512", "/jwt/hs256"),   # HS256 only: other HMAC sizes are not configured
        ("RS384", "/jwt/rs256"),   # RS256 only
        ("PS256", "/jwt/rs256"),
        ("RS256", "/jwt/hs"),      # an RSA token where HMAC is configured
        ("ES256", "/jwt/rsa"),
    ],
)
def test_only_configured_algorithms_are_accepted(main_server, material, algorithm, path):
    assert_refused(get(main_server, path, mint(claims(), signing_key(material, algorithm), algorithm)))


def test_single_algorithm_route_accepts_its_algorithm(main_server, material):
    assert_accepted(get(main_server, "/jwt/hs256", mint(claims(), material.hs_secret, "HS256")))
    assert_accepted(get(main_server, "/jwt/rs256", mint(claims(), material.rsa, "RS256")))


def test_secret_key_and_algorithm_spelling(main_server, material):
    """``JWTAuthentication(secret_key=..., algorithm="HS512")`` as in the original README."""
    assert_accepted(get(main_server, "/jwt/alias", mint(claims(), material.alias_secret, "HS512")))
    assert_refused(get(main_server, "/jwt/alias", mint(claims(), material.alias_secret, "HS256")))
    assert_refused(get(main_server, "/jwt/alias", mint(claims(), material.hs_secret, "HS512")))


# --- critical header parameters (RFC 7515 §4.1.11) ---------------------------------------


def _hs256(material):
    return lambda data: hmac.new(material.hs_secret.encode(), data, hashlib.sha256).digest()


@pytest.mark.parametrize("crit", [["x-unknown"], ["b64"], [], "x-unknown"])
def test_a_signed_token_with_a_crit_header_is_refused(main_server, material, crit):
    """The core understands no JWS extension, so every ``crit`` must be refused."""
    header = {"alg": "HS256", "typ": "JWT", "crit": crit}
    if crit and isinstance(crit, list):
        header.update({name: True for name in crit})
    token = handmade_token(header, claims(sub="user-1"), _hs256(material))
    assert_refused(get(main_server, "/jwt/hs", token))


def test_the_same_token_without_crit_is_accepted(main_server, material):
    token = handmade_token({"alg": "HS256", "typ": "JWT", "x-unknown": True}, claims(sub="user-1"), _hs256(material))
    assert_accepted(get(main_server, "/jwt/hs", token))


# --- attacks on the signature -----------------------------------------------------------


def test_algorithm_confusion_hs256_signed_with_the_rsa_public_key(main_server, material):
    """The classic attack: HMAC-sign with the public key text the server verifies RS256 with."""
    public_pem = material.rsa_public_pem
    token = handmade_token(
        {"alg": "HS256", "typ": "JWT"}, claims(sub="attacker"),
        lambda data: hmac.new(public_pem.encode(), data, hashlib.sha256).digest(),
    )
    assert_refused(get(main_server, "/jwt/rs256", token))
    assert_refused(get(main_server, "/jwt/rsa", token))


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
@pytest.mark.parametrize("path", ["/jwt/hs", "/jwt/rs256", "/jwt/eddsa"])
def test_alg_none_is_refused(main_server, material, alg, path):
    unsigned = handmade_token({"alg": alg, "typ": "JWT"}, claims(sub="attacker"), None)
    assert_refused(get(main_server, path, unsigned))


def test_alg_none_with_a_copied_signature_is_refused(main_server, material):
    genuine = mint(claims(sub="attacker"), material.hs_secret, "HS256")
    header, payload, signature = genuine.split(".")
    forged = b64url(b'{"alg":"none","typ":"JWT"}') + "." + payload + "." + signature
    assert_refused(get(main_server, "/jwt/hs", forged))


def test_tampered_signature_is_refused(main_server, material):
    for algorithm, key, path in (
        ("HS256", material.hs_secret, "/jwt/hs"),
        ("RS256", material.rsa, "/jwt/rsa"),
        ("ES256", material.ec256, "/jwt/es256"),
        ("EdDSA", material.ed25519, "/jwt/eddsa"),
    ):
        token = mint(claims(), key, algorithm)
        header, payload, signature = token.split(".")
        flipped = signature[:5] + ("A" if signature[5] != "A" else "B") + signature[6:]
        assert_refused(get(main_server, path, f"{header}.{payload}.{flipped}"))
        assert_refused(get(main_server, path, f"{header}.{payload}."))
        assert_accepted(get(main_server, path, token))


def test_tampered_payload_is_refused(main_server, material):
    token = mint(claims(sub="user-1"), material.hs_secret, "HS256")
    header, _, signature = token.split(".")
    other_payload = mint(claims(sub="admin", is_superuser=True), material.hs_secret, "HS256").split(".")[1]
    assert_refused(get(main_server, "/jwt/hs", f"{header}.{other_payload}.{signature}"))


@pytest.mark.parametrize("garbage", ["abc", "a.b.c", "Bearer", "....", "eyJ.eyJ.sig"])
def test_malformed_tokens_are_refused(main_server, garbage):
    assert_refused(fetch(main_server.url("/jwt/hs"), headers={"Authorization": f"Bearer {garbage}"}))


def test_missing_token_is_refused(main_server):
    assert_refused(get(main_server, "/jwt/hs"))


# --- time claims ------------------------------------------------------------------------


def test_expired_token_is_refused(main_server, material):
    now = int(time.time())
    token = mint({"sub": "user-1", "iat": now - 3600, "exp": now - 600}, material.hs_secret)
    assert_refused(get(main_server, "/jwt/hs", token))


def test_exp_within_the_leeway_is_accepted(main_server, material):
    now = int(time.time())
    token = mint({"sub": "user-1", "iat": now - 600, "exp": now - 30}, material.hs_secret)
    assert_accepted(get(main_server, "/jwt/hs", token))


def test_token_without_exp_is_refused(main_server, material):
    token = mint({"sub": "user-1", "iat": int(time.time())}, material.hs_secret)
    assert_refused(get(main_server, "/jwt/hs", token))


def test_not_yet_valid_token_is_refused(main_server, material):
    token = mint(claims(nbf=int(time.time()) + 600), material.hs_secret)
    assert_refused(get(main_server, "/jwt/hs", token))


def test_nbf_within_the_leeway_is_accepted(main_server, material):
    token = mint(claims(nbf=int(time.time()) + 20), material.hs_secret)
    assert_accepted(get(main_server, "/jwt/hs", token))


# --- audience and issuer ----------------------------------------------------------------

AUD, ISS = "bolt-api", "https://issuer.example"


def test_matching_audience_and_issuer_are_accepted(main_server, material):
    assert_accepted(get(main_server, "/jwt/claims", mint(claims(aud=AUD, iss=ISS), material.hs_secret)))


def test_wrong_audience_is_refused(main_server, material):
    assert_refused(get(main_server, "/jwt/claims", mint(claims(aud="other-api", iss=ISS), material.hs_secret)))


def test_wrong_issuer_is_refused(main_server, material):
    token = mint(claims(aud=AUD, iss="https://evil.example"), material.hs_secret)
    assert_refused(get(main_server, "/jwt/claims", token))


def test_audience_is_ignored_where_none_is_configured(main_server, material):
    """Decision 12: a token with ``aud`` is refused only when a configured audience differs."""
    token = mint(claims(aud="whatever-api", iss="https://anyone.example"), material.hs_secret)
    assert_accepted(get(main_server, "/jwt/hs", token))


# --- header handling ---------------------------------------------------------------------


def test_token_without_bearer_prefix_is_read_whole(main_server, material):
    token = mint(claims(), material.hs_secret)
    assert_accepted(fetch(main_server.url("/jwt/hs"), headers={"Authorization": token}))


def test_configured_header_is_read(main_server, material):
    token = mint(claims(), material.hs_secret)
    assert_accepted(fetch(main_server.url("/jwt/custom-header"), headers={"X-Access-Token": f"Bearer {token}"}))
    assert_refused(get(main_server, "/jwt/custom-header", token))


def test_failed_authentication_alone_does_not_reject(main_server, material):
    """Without a guard, a bad token leaves the request anonymous instead of refusing it."""
    response = get(main_server, "/jwt/optional", "not-a-token")
    assert response.status == 200
    assert response.json()["context"] in (None, {})
    response = get(main_server, "/jwt/optional", mint(claims(sub="u-opt"), material.hs_secret))
    assert response.status == 200
    assert response.json()["context"]["user_id"] == "u-opt"


# --- the context handed to Python ---------------------------------------------------------


def test_context_contents(main_server, material):
    now = int(time.time())
    payload = {
        "sub": "user-7", "iat": now, "exp": now + 900, "nbf": now - 5,
        "jti": "jti-context-1", "aud": AUD, "iss": ISS,
        "is_staff": True, "is_superuser": False,
        "permissions": ["reports.view", "items.read"],
        "tenant": "acme", "level": 3, "ratio": 0.5,
    }
    response = get(main_server, "/jwt/claims", mint(payload, material.hs_secret))
    body = response.json()
    context = assert_accepted(response, sub="user-7")
    assert context["is_staff"] is True
    assert context["is_admin"] is False
    assert sorted(context["permissions"]) == ["items.read", "reports.view"]
    auth_claims = context["auth_claims"]
    for name in ("sub", "exp", "iat", "nbf", "jti", "aud", "iss", "is_staff", "is_superuser", "tenant", "level", "ratio"):
        assert auth_claims[name] == payload[name], name
    assert isinstance(auth_claims["level"], int) and isinstance(auth_claims["exp"], int)
    # request.get("auth") is the same context (the README's spelling).
    assert body["auth_matches_context"] is True


@pytest.mark.parametrize(
    ("extra", "admin"),
    [({"is_superuser": True}, True), ({"is_admin": True}, True), ({"is_staff": True}, False), ({}, False)],
)
def test_is_admin_comes_from_is_superuser_or_is_admin(main_server, material, extra, admin):
    context = assert_accepted(get(main_server, "/jwt/hs", mint(claims(**extra), material.hs_secret)))
    assert context["is_admin"] is admin
    assert context["is_superuser"] is admin  # both names, as the original's versions use them
    assert context["is_staff"] is bool(extra.get("is_staff", False))


def test_permissions_are_omitted_when_empty(main_server, material):
    context = assert_accepted(get(main_server, "/jwt/hs", mint(claims(), material.hs_secret)))
    assert "permissions" not in context
