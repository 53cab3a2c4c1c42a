"""Token: claim validation, serialisation and PyJWT round trips."""

from datetime import datetime, timedelta, timezone

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from django_bolt.auth import JWTToken, Token

SECRET = "token-test-secret"


def future(**delta):
    return datetime.now(timezone.utc) + timedelta(**(delta or {"hours": 1}))


def test_alias():
    assert JWTToken is Token


def test_empty_sub_is_refused():
    with pytest.raises(ValueError, match=r"^sub \(subject\) must be a non-empty string$"):
        Token(exp=future(), sub="")


def test_exp_must_be_in_the_future():
    with pytest.raises(ValueError, match=r"^exp \(expiration\) must be in the future$"):
        Token(exp=datetime.now(timezone.utc) - timedelta(seconds=5), sub="1")
    with pytest.raises(ValueError, match="exp must be a datetime"):
        Token(exp=1234567890, sub="1")


def test_iat_must_not_be_in_the_future():
    with pytest.raises(ValueError, match=r"^iat \(issued at\) must be current or past time$"):
        Token(exp=future(hours=2), sub="1", iat=future(minutes=5))


def test_times_are_utc_whole_seconds():
    naive = datetime.now() + timedelta(hours=1, microseconds=123)
    token = Token(exp=naive.replace(microsecond=999), sub="1")
    assert token.exp.tzinfo == timezone.utc
    assert token.exp.microsecond == 0
    assert token.exp.replace(tzinfo=None) == naive.replace(microsecond=0)
    assert token.iat.microsecond == 0
    other_zone = timezone(timedelta(hours=5))
    token = Token(exp=datetime.now(other_zone) + timedelta(hours=1), sub="1")
    assert token.exp.utcoffset() == timedelta(0)


def test_to_dict_omits_unset_and_merges_extras_last():
    exp = future()
    token = Token(exp=exp, sub="42", is_staff=False, permissions=["a"], extras={"role": "x", "sub": "override"})
    claims = token.to_dict()
    assert claims == {
        "exp": int(exp.replace(microsecond=0).timestamp()),
        "sub": "override",
        "iat": int(token.iat.timestamp()),
        "is_staff": False,
        "permissions": ["a"],
        "role": "x",
    }


def test_encode_decode_round_trip():
    token = Token(
        exp=future(),
        sub="42",
        iss="issuer",
        aud="api",
        jti="id-1",
        nbf=datetime.now(timezone.utc) - timedelta(seconds=1),
        is_staff=True,
        is_superuser=False,
        is_admin=False,
        permissions=["blog.add"],
        extras={"tenant": "t1"},
    )
    encoded = token.encode(SECRET)
    assert jwt.decode(encoded, SECRET, algorithms=["HS256"], audience="api")["tenant"] == "t1"
    decoded = Token.decode(encoded, SECRET, audience="api", issuer="issuer")
    assert decoded == token


def test_encode_with_headers_and_other_algorithm():
    encoded = Token(exp=future(), sub="1").encode(SECRET, algorithm="HS512", headers={"kid": "k1"})
    assert jwt.get_unverified_header(encoded) == {"alg": "HS512", "kid": "k1", "typ": "JWT"}
    assert Token.decode(encoded, SECRET, algorithm="HS512").sub == "1"


def test_rs256_round_trip():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    encoded = Token(exp=future(), sub="rsa").encode(private_pem, algorithm="RS256")
    assert Token.decode(encoded, public_pem, algorithm="RS256").sub == "rsa"


def test_encode_failure_is_a_value_error():
    with pytest.raises(ValueError, match="^Failed to encode token: "):
        Token(exp=future(), sub="1").encode("not a pem key", algorithm="RS256")
    with pytest.raises(ValueError, match="^Failed to encode token: "):
        Token(exp=future(), sub="1").encode(SECRET, algorithm="nope")


@pytest.mark.parametrize(
    "kwargs",
    [
        {"secret": "wrong"},
        {"secret": SECRET, "algorithm": "HS512"},
        {"secret": SECRET, "issuer": "someone-else"},
    ],
)
def test_decode_failure_is_a_value_error(kwargs):
    encoded = Token(exp=future(), sub="1", iss="me").encode(SECRET)
    with pytest.raises(ValueError, match="^Failed to decode token: "):
        Token.decode(encoded, **kwargs)


def test_decode_checks_audience():
    encoded = Token(exp=future(), sub="1", aud="api").encode(SECRET)
    with pytest.raises(ValueError, match="Failed to decode token"):
        Token.decode(encoded, SECRET, audience="other")
    assert Token.decode(encoded, SECRET, audience="api").aud == "api"


def test_decode_expired_token_only_without_exp_check():
    now = int(datetime.now(timezone.utc).timestamp())
    encoded = jwt.encode({"sub": "1", "exp": now - 10, "iat": now - 100}, SECRET)
    with pytest.raises(ValueError, match="Failed to decode token"):
        Token.decode(encoded, SECRET)
    token = Token.decode(encoded, SECRET, verify_exp=False)
    assert token.exp == datetime.fromtimestamp(now - 10, timezone.utc)


def test_decode_not_yet_valid_token_only_without_nbf_check():
    now = int(datetime.now(timezone.utc).timestamp())
    encoded = jwt.encode({"sub": "1", "exp": now + 3600, "nbf": now + 600}, SECRET)
    with pytest.raises(ValueError, match="Failed to decode token"):
        Token.decode(encoded, SECRET)
    assert Token.decode(encoded, SECRET, verify_nbf=False).nbf == datetime.fromtimestamp(now + 600, timezone.utc)


def test_decode_without_iat_assumes_one_hour_life():
    exp = int(future().timestamp())
    token = Token.decode(jwt.encode({"sub": "1", "exp": exp}, SECRET), SECRET)
    assert token.iat == datetime.fromtimestamp(exp - 3600, timezone.utc)


def test_decode_requires_sub_and_exp():
    exp = int(future().timestamp())
    with pytest.raises(ValueError, match="sub"):
        Token.decode(jwt.encode({"exp": exp}, SECRET), SECRET)
    with pytest.raises(ValueError, match="exp"):
        Token.decode(jwt.encode({"sub": "1"}, SECRET), SECRET)


def test_decode_puts_unknown_claims_in_extras():
    exp = int(future().timestamp())
    token = Token.decode(jwt.encode({"sub": "1", "exp": exp, "username": "ann"}, SECRET), SECRET)
    assert token.extras == {"username": "ann"}


def test_create_defaults():
    before = datetime.now(timezone.utc).replace(microsecond=0)
    token = Token.create("5")
    assert token.sub == "5"
    assert token.exp - token.iat == timedelta(hours=1)
    assert token.iat >= before
    assert token.is_staff is False
    assert token.is_admin is False


def test_create_staff_is_not_admin():
    token = Token.create("5", is_staff=True)
    assert token.is_staff is True
    assert token.is_admin is False
    assert token.to_dict()["is_admin"] is False


def test_create_with_claims():
    token = Token.create(
        "5",
        expires_delta=timedelta(minutes=5),
        issuer="me",
        audience="api",
        is_admin=True,
        permissions=["x"],
        jti="abc",
        is_superuser=True,
        tenant="t",
    )
    assert (token.iss, token.aud, token.jti, token.is_superuser) == ("me", "api", "abc", True)
    assert token.is_admin is True
    assert token.permissions == ["x"]
    assert token.extras == {"tenant": "t"}
    assert token.exp - token.iat == timedelta(minutes=5)
