"""Rate limiting done by the Go core, per process.

Every test uses a bucket key of its own (a fresh header value, user or forwarded
address), so tests do not share buckets. Limits are low (1 request per second
refill) and the assertions allow for tokens refilled while a test runs.
"""

from __future__ import annotations

import pytest

from .security_helpers import assert_burst, bearer, claims, count_until_limited, fetch, mint, unique


def test_burst_then_429_with_headers_and_json_body(main_server):
    client = unique()
    ok, limited, elapsed = count_until_limited(
        lambda: fetch(main_server.url("/rl/header"), headers={"x-client": client}), 20)
    assert limited is not None, "never limited"
    assert_burst(ok, burst=5, rps=1, elapsed=elapsed)

    assert limited.headers["content-type"].startswith("application/json")
    retry = limited.headers["retry-after"]
    assert retry.isdigit() and int(retry) >= 1
    assert limited.headers["x-ratelimit-limit"] == "1"
    assert limited.headers["x-ratelimit-burst"] == "5"
    body = limited.json()
    assert body["retry_after"] == int(retry)
    assert body["detail"] == f"Rate limit exceeded. Try again in {retry} seconds."


def test_header_key_gives_each_value_its_own_bucket(main_server):
    first, second = unique(), unique()
    ok, limited, elapsed = count_until_limited(
        lambda: fetch(main_server.url("/rl/header"), headers={"x-client": first}), 20)
    assert limited is not None
    assert_burst(ok, burst=5, rps=1, elapsed=elapsed)
    # The other client is untouched.
    assert fetch(main_server.url("/rl/header"), headers={"x-client": second}).status == 200


def test_burst_defaults_to_twice_rps(main_server):
    client = unique()
    ok, limited, elapsed = count_until_limited(
        lambda: fetch(main_server.url("/rl/default-burst"), headers={"x-client": client}), 20)
    assert limited is not None
    assert_burst(ok, burst=4, rps=2, elapsed=elapsed)
    assert limited.headers["x-ratelimit-limit"] == "2"


def test_too_long_key_is_refused(main_server):
    response = fetch(main_server.url("/rl/header"), headers={"x-client": "k" * 300})
    assert response.status == 400
    assert response.json() == {"detail": "Rate limit key too long"}


def test_user_key_gives_each_user_a_bucket(main_server, material):
    alice = bearer(mint(claims(sub=unique("alice")), material.hs_secret))
    bob = bearer(mint(claims(sub=unique("bob")), material.hs_secret))
    ok, limited, elapsed = count_until_limited(lambda: fetch(main_server.url("/rl/user"), headers=alice), 10)
    assert limited is not None
    assert_burst(ok, burst=2, rps=1, elapsed=elapsed)
    # Bob has a full bucket of his own, and still gets his burst.
    ok, limited, elapsed = count_until_limited(lambda: fetch(main_server.url("/rl/user"), headers=bob), 10)
    assert limited is not None
    assert_burst(ok, burst=2, rps=1, elapsed=elapsed)


def test_user_key_counts_tokens_of_the_same_user_together(main_server, material):
    sub = unique("carol")
    tokens = [bearer(mint(claims(sub=sub, jti=unique()), material.hs_secret)) for _ in range(10)]
    ok, limited, elapsed = count_until_limited(
        lambda: fetch(main_server.url("/rl/user"), headers=tokens.pop()), 10)
    assert limited is not None
    assert_burst(ok, burst=2, rps=1, elapsed=elapsed)


def test_ip_key_ignores_forwarded_headers_from_an_untrusted_peer(main_server):
    """No BOLT_TRUSTED_PROXIES here: a client cannot pick its bucket with X-Forwarded-For."""
    addresses = iter(f"198.51.100.{i}" for i in range(1, 40))

    def send():
        ip = next(addresses)
        return fetch(main_server.url("/rl/ip"), headers={"X-Forwarded-For": ip, "X-Real-IP": ip})

    ok, limited, elapsed = count_until_limited(send, 20)
    assert limited is not None, "forwarded addresses from an untrusted peer were believed"
    assert_burst(ok, burst=3, rps=1, elapsed=elapsed)


def test_ip_key_honours_forwarded_headers_from_a_trusted_proxy(defaults_server):
    """127.0.0.1 is in BOLT_TRUSTED_PROXIES: X-Forwarded-For names the client."""
    clients = [f"203.0.113.{i}" for i in (10, 11, 12)]
    for client in clients:
        ok, limited, elapsed = count_until_limited(
            lambda: fetch(defaults_server.url("/d/ip"), headers={"X-Forwarded-For": client}), 10)
        assert limited is not None
        assert_burst(ok, burst=2, rps=1, elapsed=elapsed)


def test_ip_key_ignores_what_the_client_wrote_into_forwarded_for(defaults_server):
    """A proxy appends the address it was connected from to X-Forwarded-For: entries left
    of it are the client's own writing, and a new one per request is no new bucket. The
    next untrusted hop (10.0.0.1 here: only 127.0.0.1 is trusted) is the client."""
    for client, chain in (("203.0.113.13", "{}"), ("10.0.0.1", "203.0.113.14, {}")):
        ok, limited, elapsed = count_until_limited(
            lambda: fetch(defaults_server.url("/d/ip"),
                          headers={"X-Forwarded-For": f"{unique()}, {chain.format(client)}"}), 10)
        assert limited is not None, "a made-up X-Forwarded-For entry per request escaped the limit"
        assert_burst(ok, burst=2, rps=1, elapsed=elapsed)


def test_ip_key_uses_x_real_ip_from_a_trusted_proxy(defaults_server):
    for client in ("203.0.113.50", "203.0.113.51"):
        ok, limited, elapsed = count_until_limited(
            lambda: fetch(defaults_server.url("/d/ip"), headers={"X-Real-IP": client}), 10)
        assert limited is not None
        assert_burst(ok, burst=2, rps=1, elapsed=elapsed)


def test_ip_key_trust_is_per_peer(defaults_server):
    """A peer other than the trusted 127.0.0.1 is keyed by its own address."""
    addresses = iter(f"192.0.2.{i}" for i in range(1, 40))
    try:
        fetch(defaults_server.url("/d/ip"), headers={"X-Forwarded-For": "192.0.2.200"}, local_address="127.0.0.2")
    except Exception as exc:  # pragma: no cover - depends on the host's loopback setup
        pytest.skip(f"cannot connect from 127.0.0.2 on this host: {exc}")

    def send():
        return fetch(defaults_server.url("/d/ip"), headers={"X-Forwarded-For": next(addresses)},
                     local_address="127.0.0.2")

    ok, limited, elapsed = count_until_limited(send, 20)
    assert limited is not None, "forwarded addresses from an untrusted peer were believed"
    # The probe above already took one token from 127.0.0.2's bucket.
    assert 1 <= ok <= 2 + int(elapsed) + 1


def test_rate_limit_middleware_object_applies_to_every_route(nocompress_server):
    """``BoltAPI(middleware=[RateLimitMiddleware(...)])`` (Decision 11)."""
    client = unique()
    ok, limited, elapsed = count_until_limited(
        lambda: fetch(nocompress_server.url("/nc/text?n=5"), headers={"x-client": client}), 20)
    assert limited is not None
    assert_burst(ok, burst=3, rps=1, elapsed=elapsed)
    # A route may opt out of the global limit.
    for _ in range(8):
        assert fetch(nocompress_server.url("/nc/free"), headers={"x-client": client}).status == 200
