"""``python manage.py runbolt``: serve the project with the django-bolt Go server.

The command does no serving itself: it replaces its own process with the Go binary
(``exec``), handing over the interpreter it runs on, its ``sys.path`` and the directory
of its shared libpython (see ``django_bolt._libpython``), so the binary embeds the very
same Python environment (virtualenv included).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from django_bolt import __version__, server_binary
from django_bolt._libpython import LaunchError, library_environment
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
        sys.stdout.flush()
        sys.stderr.flush()
        os.execve(argv[0], argv, env)


def _project_dir() -> Path:
    base = getattr(settings, "BASE_DIR", None)
    return Path(base) if base else Path.cwd()
