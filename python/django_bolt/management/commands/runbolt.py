"""``python manage.py runbolt``: serve the project with the django-bolt Go server.

The command does no serving itself: it replaces its own process with the Go binary
(``exec``), handing over the interpreter it runs on, its ``sys.path`` and the directory
of its shared libpython (see ``django_bolt._libpython``), so the binary embeds the very
same Python environment (virtualenv included).
"""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from django_bolt import __version__, server_binary
from django_bolt._libpython import LaunchError, library_environment
from django_bolt._runtime.boot import CHECKED_ENV, Prepared, prepare
from django_bolt.conf import check_unknown_settings, server_settings


class Command(BaseCommand):
    help = "Serve the project's BoltAPI routes with the django-bolt server."
    requires_system_checks: list[str] = []

    def get_version(self):
        return __version__

    def add_arguments(self, parser):
        parser.add_argument("--host", default="0.0.0.0", help="Address to bind (default 0.0.0.0).")
        parser.add_argument("--port", type=int, default=8000, help="Port to bind (default 8000).")
        parser.add_argument("--processes", type=int, default=1,
                            help="Worker processes sharing the port (SO_REUSEPORT), one interpreter each.")
        parser.add_argument("--workers", type=int, default=2,
                            help="Threads per process for sync (def) handlers and blocking work.")
        parser.add_argument("--no-admin", action="store_true", help="Do not serve the Django admin.")
        parser.add_argument("--dev", action="store_true",
                            help="Development mode: one process, reloaded when a project file changes.")
        parser.add_argument("--backlog", type=int, help="Listen backlog (default: BOLT_BACKLOG, 1024).")
        parser.add_argument("--keep-alive", type=float,
                            help="Seconds an idle keep-alive connection stays open; 0 disables keep-alive "
                                 "(default: BOLT_KEEP_ALIVE, 75).")
        parser.add_argument("--shutdown-timeout", type=float,
                            help="Seconds in-flight requests get to finish on SIGTERM (default: BOLT_SHUTDOWN_TIMEOUT, 30).")
        parser.add_argument("--max-pending", type=int,
                            help="Requests waiting for Python per process before new ones get 503; 0 is unbounded "
                                 "(default: BOLT_MAX_PENDING, 0).")

    def handle(self, *args, **opts):
        if not 1 <= opts["port"] <= 65535:
            raise CommandError(f"--port {opts['port']}: a port is a number from 1 to 65535")
        if opts["processes"] < 1:
            raise CommandError(f"--processes {opts['processes']}: run at least one process")
        if opts["workers"] < 1:
            raise CommandError(f"--workers {opts['workers']}: use at least one worker thread")
        overrides = {
            name: opts[option]
            for option, name in (("backlog", "BOLT_BACKLOG"), ("keep_alive", "BOLT_KEEP_ALIVE"),
                                 ("shutdown_timeout", "BOLT_SHUTDOWN_TIMEOUT"), ("max_pending", "BOLT_MAX_PENDING"))
            if opts[option] is not None
        }
        try:
            resolved = server_settings(settings, overrides)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        for warning in check_unknown_settings(settings):
            self.stderr.write(f"WARNING: {warning}")
        if not settings.DEBUG and not settings.ALLOWED_HOSTS:
            raise CommandError("You must set settings.ALLOWED_HOSTS if DEBUG is False.")
        checked = self._check_project(opts, overrides)
        self._check_rate_limit_backend()
        binary = server_binary()
        if not binary.is_file():
            raise CommandError(
                f"The django-bolt server binary is missing ({binary}). Reinstall the package "
                f"(`{sys.executable} -m pip install --force-reinstall django-bolt-go`), or in a checkout "
                "of django-bolt build it with `make build`."
            )
        if opts["dev"] and opts["processes"] > 1:
            self.stderr.write("--dev runs a single process; ignoring --processes.")
            opts["processes"] = 1
        argv = [
            str(binary),
            "--host", opts["host"],
            "--port", str(opts["port"]),
            "--processes", str(opts["processes"]),
            "--workers", str(opts["workers"]),
            "--backlog", str(resolved["backlog"]),
            "--shutdown-timeout", repr(resolved["shutdown_timeout"]),
        ]
        if "BOLT_KEEP_ALIVE" in overrides:
            argv += ["--keep-alive", repr(resolved["keep_alive"])]
        if "BOLT_MAX_PENDING" in overrides:
            argv += ["--max-pending", str(resolved["max_pending"])]
        if opts["no_admin"]:
            argv.append("--no-admin")
        if opts["dev"]:
            argv += ["--dev", "--watch", str(_project_dir())]
        env = dict(os.environ)
        try:
            env.update(library_environment(binary, env))
        except LaunchError as exc:
            raise CommandError(str(exc)) from exc
        env["BOLT_PYTHON"] = sys.executable
        env["BOLT_PYTHON_VERSION"] = f"{sys.version_info[0]}.{sys.version_info[1]}"
        env["BOLT_SYS_PATH"] = os.pathsep.join(sys.path)
        env.setdefault("DJANGO_SETTINGS_MODULE", settings.SETTINGS_MODULE)
        if checked is not None:
            env[CHECKED_ENV] = "1"
            self.stdout.write(_banner(checked, opts))
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(argv[0], argv, env)


    def _check_project(self, opts: dict[str, Any], overrides: dict[str, Any]) -> Prepared | None:
        """Import and compile the project once here, so that a mistake is reported once
        (one line for a configuration error), not by every worker the server starts.
        With ``--dev`` a broken project is reported and the server starts anyway: it
        reloads when the file is fixed. Returns what was prepared, or None when broken."""
        try:
            return prepare({"no_admin": opts["no_admin"], "settings": overrides})
        except ImproperlyConfigured as exc:
            message = str(exc)
        except Exception:
            message = "Importing the project's APIs failed:\n" + traceback.format_exc().rstrip()
        if not opts["dev"]:
            raise CommandError(message)
        self.stderr.write(message)
        self.stderr.write("--dev: starting anyway; the server reloads when a project file changes.")
        return None


    def _check_rate_limit_backend(self) -> None:
        """An unreachable shared rate-limit store is said at start-up, not at the first
        limited request; BOLT_RATE_LIMIT_BACKEND_REQUIRED makes it fatal."""
        url = getattr(settings, "BOLT_RATE_LIMIT_BACKEND", None)
        if not url:
            return
        problem = _redis_problem(url)
        if problem is None:
            return
        message = (f"BOLT_RATE_LIMIT_BACKEND {_redacted(url)} does not answer ({problem}); until it does, "
                   "each process limits on its own")
        if getattr(settings, "BOLT_RATE_LIMIT_BACKEND_REQUIRED", False):
            raise CommandError(message + ". Start the store, or unset BOLT_RATE_LIMIT_BACKEND_REQUIRED.")
        self.stderr.write(f"WARNING: {message}.")


def _redis_problem(url: str, timeout: float = 2.0) -> str | None:
    """Why the Redis server at ``url`` does not answer a PING, or None when it does."""
    import socket
    import ssl
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        if parts.scheme == "unix":
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.settimeout(timeout)
            sock.connect(parts.path)
        else:
            sock = socket.create_connection((parts.hostname or "localhost", parts.port or 6379), timeout)
            if parts.scheme == "rediss":
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname)
        with sock:
            sock.sendall(b"PING\r\n")
            reply = sock.recv(64)
    except OSError as exc:
        return str(exc) or type(exc).__name__
    # +PONG, or an error such as -NOAUTH: either way a Redis server answered.
    return None if reply[:1] in (b"+", b"-") else f"unexpected reply {reply[:20]!r}"


def _redacted(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password:
        return url.replace(f":{parts.password}@", ":***@", 1)
    return url


def _banner(prepared: Prepared, opts: dict[str, Any]) -> str:
    """What is being served, on one screen."""
    import django

    routes = prepared.routes
    ours = sum(1 for r in routes if not r.fn.__module__.startswith("django_bolt."))
    url = f"http://{opts['host']}:{opts['port']}"
    processes = opts["processes"]
    lines = [
        f"django-bolt {__version__} (Django {django.get_version()}, Python {sys.version.split()[0]})",
        f"  Serving    {url}" + (" (all interfaces)" if opts["host"] in ("0.0.0.0", "::") else ""),
        f"  Processes  {processes} × {opts['workers']} threads" + (", reloading on change (--dev)" if opts["dev"] else ""),
        f"  Routes     {len(routes)} ({ours} from the project's APIs, {len(routes) - ours} built in)",
        f"  Docs       {url}{prepared.docs_path}" if prepared.docs_path else "  Docs       off",
        "  Django     the rest of the URLconf (" + _site_summary(prepared.site[1]) + ")" if prepared.site
        else "  Django     admin only" if any(r.fn.__module__ == "django_bolt.admin" for r in routes) else "  Django     off",
        f"  Settings   {settings.SETTINGS_MODULE} (DEBUG {'on' if settings.DEBUG else 'off'})",
    ]
    return "\n".join(lines)


def _site_summary(space: Any) -> str:
    parts = [f"{len(space.exact)} path{'s' if len(space.exact) != 1 else ''}"]
    if space.prefixes:
        parts.append("under " + ", ".join(space.prefixes[:3]) + (" …" if len(space.prefixes) > 3 else ""))
    return "; ".join(parts)


def _project_dir() -> Path:
    base = getattr(settings, "BASE_DIR", None)
    return Path(base) if base else Path.cwd()
