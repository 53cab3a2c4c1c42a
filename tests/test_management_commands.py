"""``manage.py bolt_routes`` and ``manage.py bolt_openapi`` on the example project."""

from __future__ import annotations

import json

import httpx
import yaml
from openapi_spec_validator import validate

from .conftest import EXAMPLE_PROJECT, example_env, run_manage


def test_bolt_routes_lists_every_route_with_its_security(example_db):
    result = run_manage(EXAMPLE_PROJECT, "bolt_routes", env=example_env(example_db))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["METHOD", "PATH", "HANDLER", "AUTH", "GUARDS", "RATE", "LIMIT"]
    assert lines[-2] == ""
    rows = {tuple(line.split()[:2]): line for line in lines[1:-2]}
    assert rows[("GET", "/auth/me")].split()[2:] == ["accounts.api.me", "jwt", "is_authenticated", "-"]
    assert "has_permission(users.view_user)" in rows[("GET", "/auth/perm")]
    assert rows[("GET", "/limited")].endswith("5/s, burst 10, by ip")
    assert "api_key" in rows[("GET", "/apikey")]
    assert ("GET", "/docs/openapi.json") in rows
    assert lines[-1].startswith(f"{len(rows)} routes from testproject.api:api, users.api:api, accounts.api:api")
    assert any(method == "WS" for method, _ in rows)
    # No secret is printed: the JWT key is the project's SECRET_KEY, the API key a constant.
    assert "demo-key-123" not in result.stdout


def test_bolt_routes_json(example_db):
    result = run_manage(EXAMPLE_PROJECT, "bolt_routes", "--format", "json", "--no-admin", "--no-docs",
                        env=example_env(example_db))
    assert result.returncode == 0, result.stderr
    routes = json.loads(result.stdout)
    token = next(r for r in routes if r["path"] == "/auth/token")
    assert token == {"method": "POST", "path": "/auth/token", "handler": "accounts.api.token",
                     "auth": [], "guards": [], "rate_limit": None}
    assert not any(r["path"].startswith("/docs") for r in routes)


def test_bolt_openapi_matches_the_served_document(example_server, example_db, tmp_path):
    served = httpx.get(example_server.base_url + "/docs/openapi.json", timeout=30).json()
    as_json = run_manage(EXAMPLE_PROJECT, "bolt_openapi", env=example_env(example_db))
    assert as_json.returncode == 0, as_json.stderr
    assert json.loads(as_json.stdout) == served

    target = tmp_path / "openapi.yaml"
    as_yaml = run_manage(EXAMPLE_PROJECT, "bolt_openapi", "--format", "yaml", "-o", str(target),
                         env=example_env(example_db))
    assert as_yaml.returncode == 0, as_yaml.stderr
    assert f"Wrote the OpenAPI document to {target}" in as_yaml.stderr
    document = yaml.safe_load(target.read_text())
    assert document == served
    validate(document)


def test_bolt_openapi_reports_an_unwritable_file(example_db, tmp_path):
    result = run_manage(EXAMPLE_PROJECT, "bolt_openapi", "-o", str(tmp_path / "missing" / "x.json"),
                        env=example_env(example_db))
    assert result.returncode == 1
    assert "cannot write it" in result.stderr
    assert "Traceback" not in result.stderr
