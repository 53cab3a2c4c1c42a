"""Misconfigurations that must stop the server at start-up; ``SECURITY_BAD_CASE``
picks one."""

import os

from django_bolt import BoltAPI
from django_bolt.auth import BasePermission, JWTAuthentication
from django_bolt.middleware import cors, middleware, rate_limit

api = BoltAPI()
CASE = os.environ["SECURITY_BAD_CASE"]


async def handler():
    return {"ok": True}


if CASE == "cors_wildcard_credentials":
    api.get("/bad")(cors(origins=["*"], credentials=True)(handler))
elif CASE == "global_wildcard_credentials":
    # No origins on the route: BOLT_CORS_ALLOWED_ORIGINS (["*"]) applies.
    api.get("/bad")(cors(credentials=True)(handler))
elif CASE == "unknown_middleware":
    api.get("/bad")(middleware({"type": "firewall", "level": 3})(handler))
elif CASE == "rate_limit_zero_rps":
    api.get("/bad")(rate_limit(rps=0)(handler))
elif CASE == "rate_limit_bad_key":
    api.get("/bad")(rate_limit(rps=5, key="not a header!")(handler))
elif CASE == "rate_limit_unknown_option":
    api.get("/bad")(middleware({"type": "rate_limit", "rps": 5, "per_minute": 10})(handler))
elif CASE == "unknown_guard":
    api.get("/bad", guards=["is_admin"])(handler)
elif CASE == "guard_without_rule":

    class NoRule(BasePermission):
        guard_name = "no_rule"

    api.get("/bad", guards=[NoRule()])(handler)
elif CASE == "unknown_auth":
    api.get("/bad", auth=[{"type": "jwt", "secret": "x"}])(handler)
elif CASE == "mixed_algorithms":
    api.get("/bad", auth=[JWTAuthentication(secret="s", algorithms=["HS256", "RS256"])])(handler)
else:
    raise RuntimeError(f"unknown SECURITY_BAD_CASE {CASE!r}")
