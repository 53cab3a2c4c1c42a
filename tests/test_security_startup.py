"""Misconfigured security is a start-up error (Decision 11), never silently ignored:
runbolt must exit non-zero and say what is wrong.

Each case is ``secapp/api_bad.py`` with ``SECURITY_BAD_CASE`` set; they run side by
side, once per module, since each costs a few seconds (the supervisor retries).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest


# case -> fragments the output must contain (compared case-insensitively)
CASES = {
    # '*' with credentials on the route itself.
    "cors_wildcard_credentials": ["'*'", "credentials", "/bad"],
    # '*' coming from BOLT_CORS_ALLOWED_ORIGINS, only known once settings are applied.
    "global_wildcard_credentials": ["'*'", "credentials", "/bad"],
    "unknown_middleware": ["unknown middleware type", "firewall", "/bad"],
    "rate_limit_zero_rps": ["rate_limit", "rps", "/bad"],
    "rate_limit_bad_key": ["not a header!", "key", "/bad"],
    "unknown_guard": ["guards", "is_admin", "/bad"],
    "mixed_algorithms": ["HS256", "RS256"],
}


@pytest.fixture(scope="module")
def outcomes(security_servers) -> dict[str, tuple[int, str]]:
    with ThreadPoolExecutor(max_workers=len(CASES)) as pool:
        futures = {
            case: pool.submit(security_servers.run_to_exit, "bad", 90.0, SECURITY_BAD_CASE=case) for case in CASES
        }
        return {case: future.result() for case, future in futures.items()}


@pytest.mark.parametrize("case", list(CASES))
def test_misconfiguration_stops_the_server(outcomes, case):
    code, output = outcomes[case]
    assert code != 0, f"runbolt exited 0 for {case}:\n{output[-3000:]}"
    lowered = output.lower()
    for fragment in CASES[case]:
        assert fragment.lower() in lowered, f"{fragment!r} not in the output for {case}:\n{output[-3000:]}"
