"""Shared machinery of the security integration tests (``test_security_*.py``).

* ``Material``: HMAC secrets and key pairs generated once per test session; public
  keys are written where the security project reads them, private keys stay here.
* ``SecurityServers``: real ``manage.py runbolt`` servers of ``security_project``,
  one per settings profile, started on first use and stopped at the end of the
  session (every process of their sessions killed, even when a test fails), by the
  shared machinery of ``servers.py``.
* ``mint`` / ``claims``: tokens made with PyJWT, independently of django_bolt.
* ``fetch``: one request on a fresh connection, returning the body bytes exactly as
  sent (no automatic decompression).

The fixtures (``material``, ``security_servers``, the ``*_server`` profiles,
``redis_url``) are registered once as a plugin by ``tests/conftest.py``; test modules
import only the helper functions they call.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from .servers import SSL_CONTEXT as _SSL
from .servers import (  # noqa: F401 (re-exported)
    PYTHON, REPO, STOP_TIMEOUT, TESTS_DIR, RunboltServer, ServerGroup, free_port, run_to_exit, server_env, spawn,
    stop_process,
)

TESTS = TESTS_DIR
SECURITY_PROJECT = TESTS / "security_project"
EXAMPLE_PROJECT = REPO / "python" / "examples" / "testproject"

REQUEST_TIMEOUT = 10.0


# --- processes -----------------------------------------------------------------------


class Server(RunboltServer):
    """One running ``manage.py runbolt`` of the security project (see
    ``servers.RunboltServer``): ready once ``/__ready__`` answers; failing to start
    raises ``RuntimeError``."""

    ready_path = "/__ready__"

    def fail(self, message: str) -> NoReturn:
        raise RuntimeError(message)


def project_env(profile: str, material: "Material", workdir: Path, **extra: str) -> dict[str, str]:
    return server_env(**{
        "SECURITY_PROFILE": profile,
        "SECURITY_MATERIAL_DIR": str(material.directory),
        "SECURITY_DB": str(workdir / f"{profile}.sqlite3"),
        "PYTHONDONTWRITEBYTECODE": "1",
        **extra,
    })


class SecurityServers:
    """Security-project servers keyed by profile, each started once and stopped at close()."""

    def __init__(self, workdir: Path, material: "Material") -> None:
        self.workdir = workdir
        self.material = material
        self._servers: dict[tuple, Server] = {}
        self._group = ServerGroup(workdir, Server, "server")

    def get(self, profile: str, *args: str, **extra_env: str) -> Server:
        key = (profile, args, tuple(sorted(extra_env.items())))
        server = self._servers.get(key)
        if server is None or server.proc.poll() is not None:
            env = project_env(profile, self.material, self.workdir, **extra_env)
            server = self._group.launch(SECURITY_PROJECT, args, env, label=profile)
            self._servers[key] = server
        return server

    def run_to_exit(self, profile: str, timeout: float = 60.0, **extra_env: str) -> tuple[int, str]:
        """Run runbolt in the foreground, expecting it to stop by itself; (exit code, output)."""
        log = self.workdir / f"startup-{profile}-{uuid.uuid4().hex[:6]}.log"
        env = project_env(profile, self.material, self.workdir, **extra_env)
        done = run_to_exit(SECURITY_PROJECT, (), env, log, timeout, term_timeout=STOP_TIMEOUT)
        if done.returncode is None:
            pytest.fail(f"runbolt kept running for {timeout:.0f}s instead of refusing to start:\n{done.output}")
        return done.returncode, done.output

    def close(self) -> None:
        self._group.stop_all()


# --- key material ---------------------------------------------------------------------


def _public_pem(key: Any) -> str:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()


@dataclass
class Material:
    directory: Path
    hs_secret: str
    alias_secret: str
    rsa: rsa.RSAPrivateKey
    ec256: ec.EllipticCurvePrivateKey
    ec384: ec.EllipticCurvePrivateKey
    ec521: ec.EllipticCurvePrivateKey
    ed25519: ed25519.Ed25519PrivateKey

    @property
    def rsa_public_pem(self) -> str:
        return _public_pem(self.rsa)

    @classmethod
    def generate(cls, directory: Path) -> "Material":
        directory.mkdir(parents=True, exist_ok=True)
        material = cls(
            directory=directory,
            hs_secret="hs-" + uuid.uuid4().hex + uuid.uuid4().hex,
            alias_secret="alias-" + uuid.uuid4().hex * 3,
            rsa=rsa.generate_private_key(public_exponent=65537, key_size=2048),
            ec256=ec.generate_private_key(ec.SECP256R1()),
            ec384=ec.generate_private_key(ec.SECP384R1()),
            ec521=ec.generate_private_key(ec.SECP521R1()),
            ed25519=ed25519.Ed25519PrivateKey.generate(),
        )
        (directory / "hs.secret").write_text(material.hs_secret)
        (directory / "alias.secret").write_text(material.alias_secret)
        for name, key in (
            ("rsa", material.rsa), ("ec256", material.ec256), ("ec384", material.ec384),
            ("ec521", material.ec521), ("ed25519", material.ed25519),
        ):
            (directory / f"{name}.pub.pem").write_text(_public_pem(key))
        return material


# --- tokens ---------------------------------------------------------------------------


def claims(sub: str | None = "user-1", lifetime: int = 600, **extra: Any) -> dict[str, Any]:
    """Claims with ``exp``/``iat`` relative to now; ``None`` values are left out."""
    now = int(time.time())
    out: dict[str, Any] = {"sub": sub, "iat": now, "exp": now + lifetime}
    out.update(extra)
    return {k: v for k, v in out.items() if v is not None}


def mint(payload: dict[str, Any], key: Any, algorithm: str = "HS256", headers: dict | None = None) -> str:
    return jwt.encode(payload, key, algorithm=algorithm, headers=headers)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def handmade_token(header: dict[str, Any], payload: dict[str, Any], signer: Callable[[bytes], bytes] | None) -> str:
    """A JWT assembled by hand, for tokens PyJWT refuses to make (``alg: none``, confused keys)."""
    signing_input = (
        b64url(json.dumps(header, separators=(",", ":")).encode())
        + "."
        + b64url(json.dumps(payload, separators=(",", ":")).encode())
    )
    signature = b"" if signer is None else signer(signing_input.encode())
    return signing_input + "." + b64url(signature)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def unique(prefix: str = "c") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


# --- HTTP -----------------------------------------------------------------------------


@dataclass
class Raw:
    status: int
    headers: httpx.Headers
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(url: str, method: str = "GET", headers: dict[str, str] | None = None,
          accept_encoding: str | None = "identity", local_address: str | None = None,
          **kwargs: Any) -> Raw:
    """One request on a new connection; the body is returned exactly as received.

    ``accept_encoding=None`` sends no Accept-Encoding header at all.
    """
    transport = httpx.HTTPTransport(local_address=local_address, verify=_SSL) if local_address else None
    with httpx.Client(timeout=REQUEST_TIMEOUT, transport=transport, verify=_SSL) as client:
        client.headers.pop("accept-encoding", None)
        sent = dict(headers or {})
        if accept_encoding is not None:
            sent.setdefault("Accept-Encoding", accept_encoding)
        with client.stream(method, url, headers=sent, **kwargs) as response:
            body = b"".join(response.iter_raw())
            return Raw(response.status_code, response.headers, body)


def count_until_limited(send: Callable[[], Raw], limit: int) -> tuple[int, Raw | None, float]:
    """Send until the first 429 (at most ``limit`` requests).

    Returns (successful requests before it, the 429 response or None, seconds taken).
    Any status other than 200/429 fails the test.
    """
    started = time.monotonic()
    ok = 0
    for _ in range(limit):
        response = send()
        if response.status == 429:
            return ok, response, time.monotonic() - started
        assert response.status == 200, (response.status, response.body[:300])
        ok += 1
    return ok, None, time.monotonic() - started


def assert_burst(ok: int, burst: int, rps: float, elapsed: float) -> None:
    """``ok`` requests passed before the first 429: the burst, plus whatever refilled meanwhile."""
    assert burst <= ok <= burst + int(elapsed * rps) + 1, (ok, burst, elapsed)


# --- fixtures ---------------------------------------------------------------------------

@pytest.fixture(scope="session")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    return Material.generate(tmp_path_factory.mktemp("security-material"))


@pytest.fixture(scope="session")
def security_servers(tmp_path_factory: pytest.TempPathFactory, material: Material) -> Iterator[SecurityServers]:
    servers = SecurityServers(tmp_path_factory.mktemp("security-servers"), material)
    try:
        yield servers
    finally:
        servers.close()


def _server_fixture(profile: str, *args: str) -> Callable[..., Server]:
    @pytest.fixture(scope="session")
    def fixture(security_servers: SecurityServers) -> Server:
        try:
            return security_servers.get(profile, *args)
        except RuntimeError as exc:
            pytest.fail(str(exc))

    return fixture


main_server = _server_fixture("main")
defaults_server = _server_fixture("defaults")
zstd_server = _server_fixture("zstd")
nocompress_server = _server_fixture("nocompress")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A private redis-server on a free loopback port, killed at the end of the session."""
    binary = shutil.which("redis-server")
    if binary is None:
        print("redis-server is not installed: skipping the tests that need Redis")
        pytest.skip("redis-server binary not found on PATH")
    port = free_port()
    workdir = tmp_path_factory.mktemp("redis")
    proc = spawn(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        workdir, os.environ.copy(), workdir / "redis.log",
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                pytest.fail(f"redis-server exited with {proc.returncode}:\n{(workdir / 'redis.log').read_text()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                    s.sendall(b"PING\r\n")
                    if s.recv(64).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not answer PING within 15s")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        stop_process(proc)


__all__ = [
    "Material", "SecurityServers", "Server", "Raw", "claims", "mint", "handmade_token", "b64url", "bearer",
    "unique", "fetch", "count_until_limited", "assert_burst", "free_port", "spawn", "stop_process",
    "SECURITY_PROJECT", "EXAMPLE_PROJECT", "PYTHON",
]
