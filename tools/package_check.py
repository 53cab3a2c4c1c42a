"""Check what users install, as they would install it (`make package-check`; CI runs it).

1. The wheel built with one build of Python (pyenv's 3.11) is installed with pip into a
   fresh virtualenv of another build of the same minor version (Debian's python3.11), and
   `manage.py runbolt` serves a copy of the example project from there — with
   LD_LIBRARY_PATH unset, PATH without the build machine's tools, and the pyenv directory
   hidden behind an empty mount: `/`, `/items/1?q=x`, a JWT route and an SSE route.
2. The shipped wheel refuses to run on a broken set-up with one message: a directory
   without the library, and the wheel forced onto another minor version (pip itself
   refuses it first).
3. The sdist holds every file the Go build needs, fails without Go with a message naming
   Go and gcc, and with Go builds (printing its progress under `pip install -v`) and serves.

Run it as root (the mount namespace); it needs the network to the package index.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import wheels  # noqa: E402

ROOT = wheels.ROOT
EXAMPLE = ROOT / "python" / "examples" / "testproject"
PYENV = Path.home() / ".pyenv"
CLEAN_PATH = "/usr/bin:/bin"
PASSWORD = "package-check-password"


STARTED = time.monotonic()


def step(message: str) -> None:
    print(f"--- [{time.monotonic() - STARTED:.0f} s] {message}", flush=True)


def run(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kwargs)


def clean_env(**extra: str) -> dict[str, str]:
    """An environment that holds nothing of the build machine's Python or Go set-up."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYENV", "PYTHON", "LD_", "VIRTUAL_ENV", "GO", "CGO", "DJANGO", "BOLT_"))}
    env["PATH"] = CLEAN_PATH
    env.update(extra)
    return env


def venv(python: str, where: Path) -> Path:
    run([python, "-m", "venv", where])
    return where / "bin" / "python"


def project_copy(where: Path, python: Path) -> Path:
    shutil.copytree(EXAMPLE, where, ignore=shutil.ignore_patterns("__pycache__", "*.sqlite3", "*.pyc"))
    env = clean_env()
    run([python, "manage.py", "migrate", "--noinput", "-v0"], cwd=where, env=env)
    run([python, "manage.py", "createsuperuser", "--noinput", "--username", "shipper", "--email", "s@example.com"],
        cwd=where, env={**env, "DJANGO_SUPERUSER_PASSWORD": PASSWORD})
    return where


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`manage.py runbolt` of a project, optionally with the pyenv directory hidden."""

    def __init__(self, python: Path, project: Path, log: Path, hide_pyenv: bool, env: dict[str, str]):
        self.port = free_port()
        command = [str(python), "manage.py", "runbolt", "--host", "127.0.0.1", "--port", str(self.port)]
        if hide_pyenv:
            # A private mount namespace where the build machine's pyenv directory is empty.
            command = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                       'mount -t tmpfs none "$0" && exec "$@"', str(PYENV), *command]
        self.log = log
        with open(log, "wb") as out:
            self.proc = subprocess.Popen(command, cwd=project, env=env, stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        deadline = time.monotonic() + 60
        while not self.answers():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"runbolt did not serve:\n{log.read_text()}")
            time.sleep(0.2)

    def answers(self) -> bool:
        try:
            self.request("GET", "/")
            return True
        except OSError:
            return False

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def processes(self) -> list[int]:
        """The supervisor and its workers: every live process of the server's session."""
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == self.proc.pid and fields[0] not in "ZX":
                found.append(int(stat.parent.name))
        return found

    def mapped_files(self) -> set[str]:
        """Every file mapped by the server's processes."""
        files = set()
        for pid in self.processes():
            for line in Path(f"/proc/{pid}/maps").read_text().splitlines():
                parts = line.split(maxsplit=5)
                if len(parts) == 6 and parts[5].startswith("/"):
                    files.add(parts[5])
        return files

    def stop(self) -> None:
        """SIGTERM to the supervisor (it drains its workers), then SIGKILL whatever is left."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for pid in self.processes():
            os.kill(pid, signal.SIGKILL)
        self.proc.wait()


def expect(what: str, condition: bool, detail: object = "") -> None:
    if not condition:
        sys.exit(f"FAILED: {what}\n{detail}")
    print(f"ok [{time.monotonic() - STARTED:.0f} s]: {what}", flush=True)


def check_serving(server: Server, debian_library: Path) -> None:
    status, _, body = server.request("GET", "/")
    expect("GET / answers the example's JSON", status == 200 and json.loads(body) == {"Hello": "World"}, body)
    status, _, body = server.request("GET", "/items/1?q=x")
    expect("GET /items/1?q=x binds path and query", status == 200 and json.loads(body) == {"item_id": 1, "q": "x"},
           body)
    status, _, body = server.request("POST", "/auth/token", json.dumps({"username": "shipper", "password": PASSWORD}
                                                                       ).encode(), {"content-type": "application/json"})
    expect("POST /auth/token issues a JWT", status == 200, body)
    token = json.loads(body)["access_token"]
    status, _, body = server.request("GET", "/auth/me", headers={"authorization": f"Bearer {token}"})
    expect("GET /auth/me accepts the JWT", status == 200 and json.loads(body)["username"] == "shipper", body)
    status, _, body = server.request("GET", "/auth/me")
    expect("GET /auth/me without a token is 401", status == 401, body)
    status, headers, body = server.request("GET", "/sse")
    expect("GET /sse streams its events", status == 200 and headers.get("content-type", "").startswith(
        "text/event-stream") and body == b"".join(b"data: event %d\n\n" % i for i in range(3)), (headers, body))
    files = server.mapped_files()
    libraries = sorted(f for f in files if "libpython" in f)
    expect(f"the server embeds {debian_library}", libraries == [str(debian_library)], libraries)
    expect("nothing of pyenv is mapped", not [f for f in files if f.startswith(str(PYENV))], files)


def check_wheel(build_python: str, target_python: str, other_python: str, work: Path) -> None:
    built = wheels.build(wheels.Interpreter.find(build_python), work / "dist")
    target = wheels.Interpreter.find(target_python)
    expect(f"{target_python} is another build of Python {target.version}",
           Path(target.base_prefix).resolve() != Path(wheels.Interpreter.find(build_python).base_prefix).resolve())
    step(f"install {built.name} into a virtualenv of {target_python}")
    python = venv(target_python, work / "venv")
    started = time.monotonic()
    run([python, "-m", "pip", "install", "-q", built], env=clean_env())
    print(f"installed the wheel and its dependencies in {time.monotonic() - started:.1f} s", flush=True)
    started = time.monotonic()
    run([python, "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", built], env=clean_env())
    print(f"installed the wheel alone in {time.monotonic() - started:.1f} s", flush=True)
    project = project_copy(work / "project", python)
    library = shared_library(python, target.soname)

    step("runbolt on the example project, pyenv hidden, LD_LIBRARY_PATH unset")
    version = run([python, "manage.py", "runbolt", "--version"], cwd=project, env=clean_env(), capture_output=True,
                  text=True).stdout.strip()
    installed = run([python, "-c", "import importlib.metadata as m, django_bolt; "
                     "print(m.version('django-bolt-go'), django_bolt.__version__)"],
                    capture_output=True, text=True).stdout.split()
    cli = run([python.parent / "django-bolt", "version"], env=clean_env(), capture_output=True, text=True).stdout
    expect("runbolt --version, django-bolt version, django_bolt.__version__ and the wheel's metadata agree",
           installed == [version, version] and cli.split()[-1] == version
           and built.name.startswith(f"django_bolt_go-{version}-"), (version, installed, cli))
    server = Server(python, project, work / "server.log", hide_pyenv=True, env=clean_env())
    try:
        check_serving(server, library)
    finally:
        server.stop()

    step("the in-process test client (the _core extension) on that Python")
    script = ("from django_bolt.testing import TestClient\nfrom testproject.api import api\n"
              "with TestClient(api) as client:\n    print(client.get('/items/1?q=x').json())")
    done = run([python, "manage.py", "shell", "-c", script], cwd=project, env=clean_env(), capture_output=True,
               text=True, check=False)
    expect("TestClient answers through the extension", done.returncode == 0
           and "{'item_id': 1, 'q': 'x'}" in done.stdout.splitlines(), done.stdout + done.stderr)

    step("a directory without the library")
    empty = work / "empty"
    empty.mkdir()
    done = run([python, "manage.py", "runbolt", "--port", str(free_port())], cwd=project, check=False,
               env=clean_env(BOLT_LIBPYTHON=str(empty)), capture_output=True, text=True, timeout=60)
    expect("runbolt refuses with one message naming the library", done.returncode != 0
           and f"there is no {target.soname} there" in done.stderr and "error while loading" not in done.stderr
           and "Traceback" not in done.stderr, done.stderr)

    step(f"the cp{target.version.replace('.', '')} wheel on Python {other_python}")
    other = wheels.Interpreter.find(other_python)
    other_python_path = venv(other.path, work / "venv-other")
    done = run([other_python_path, "-m", "pip", "install", built], check=False, capture_output=True, text=True,
               env=clean_env())
    expect("pip refuses it", done.returncode != 0 and "is not a supported wheel on this platform" in done.stderr,
           done.stderr)
    forced = work / "forced"
    run([other_python_path, "-m", "pip", "install", "-q", "--no-deps", "--target", forced, "--only-binary=:all:",
         "--python-version", target.version, "--implementation", "cp", "--platform", built.name.split("-")[-1][:-4],
         built], env=clean_env())
    run([other_python_path, "-m", "pip", "install", "-q", *dependencies()], env=clean_env())
    done = run([other_python_path, "manage.py", "runbolt", "--port", str(free_port())], cwd=project, check=False,
               env=clean_env(PYTHONPATH=str(forced)), capture_output=True, text=True, timeout=60)
    expect("runbolt forced onto it names both versions", done.returncode != 0 and
           f"was built for Python {target.version} ({target.soname}), but runbolt runs on Python {other.version}"
           in done.stderr and "Traceback" not in done.stderr, done.stderr)


def shared_library(python: Path, soname: str) -> Path:
    """Where the interpreter's build keeps its libpython (LIBDIR, or Debian's LIBDIR/MULTIARCH)."""
    libdir, multiarch = run([python, "-c", "import sysconfig as s; print(s.get_config_var('LIBDIR'), "
                             "s.get_config_var('MULTIARCH'))"], capture_output=True, text=True).stdout.split()
    for path in (Path(libdir) / soname, Path(libdir) / multiarch / soname):
        if path.exists():
            return path.resolve()
    sys.exit(f"{python} has no {soname} in {libdir}")


def dependencies() -> list[str]:
    import tomllib

    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def go_build_files() -> set[str]:
    """The files of this module that `go build` reads for the two binaries."""
    listing = run(["go", "list", "-deps", "-f",
                   '{{if not .Standard}}{{.Dir}}|{{join .GoFiles ","}},{{join .CgoFiles ","}},{{join .CFiles ","}},'
                   '{{join .HFiles ","}}{{end}}', "./cmd/runbolt", "./cmd/core"],
                  cwd=ROOT, capture_output=True, text=True).stdout
    needed = {"go.mod", "go.sum", "tools/cgoflags.py", "setup.py", "pyproject.toml", "MANIFEST.in"}
    for line in listing.splitlines():
        directory, _, names = line.partition("|")
        if not directory.startswith(str(ROOT) + os.sep):
            continue  # a dependency from the module cache
        relative = Path(directory).relative_to(ROOT)
        needed |= {str(relative / n) for n in names.split(",") if n}
    return needed


def check_sdist(build_python: str, work: Path) -> None:
    step("the sdist")
    run([sys.executable, "-m", "build", "--sdist", "--outdir", work / "sdist", ROOT])
    sdist, = (work / "sdist").glob("*.tar.gz")
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/")[0]
        held = {n.removeprefix(top + "/") for n in tar.getnames()}
    missing = sorted(go_build_files() - held)
    expect(f"{sdist.name} holds every file of the Go build", not missing, missing)

    python = wheels.Interpreter.find(build_python)
    step("pip install of the sdist without Go")
    no_go = venv(python.path, work / "venv-no-go")
    done = run([no_go, "-m", "pip", "install", sdist], check=False, capture_output=True, text=True,
               env=clean_env(PATH=f"{no_go.parent}:{CLEAN_PATH}"))
    expect("without Go, pip install fails naming Go >= 1.26 and gcc", done.returncode != 0
           and "Go >= 1.26" in done.stdout + done.stderr and "gcc" in done.stdout + done.stderr,
           done.stdout + done.stderr)

    step("pip install -v of the sdist with Go")
    with_go = venv(python.path, work / "venv-sdist")
    started = time.monotonic()
    done = run([with_go, "-m", "pip", "install", "-v", sdist], capture_output=True, text=True,
               env={**os.environ, "PATH": f"{with_go.parent}:{os.environ['PATH']}"}, check=False)
    output = done.stdout + done.stderr
    expect("with Go, pip install -v builds it and shows the Go build's steps", done.returncode == 0
           and "django-bolt-go: building [1/2] the server binary" in output
           and "django-bolt-go: built [2/2] the extension" in output, output[-3000:])
    print(f"built and installed from the sdist in {time.monotonic() - started:.0f} s", flush=True)
    step("runbolt of the build from the sdist")
    project = project_copy(work / "project-sdist", with_go)
    server = Server(with_go, project, work / "sdist-server.log", hide_pyenv=False, env=clean_env())
    try:
        status, _, body = server.request("GET", "/items/1?q=x")
        expect("the build from the sdist serves", status == 200 and json.loads(body) == {"item_id": 1, "q": "x"}, body)
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build-python", default="3.11", help="builds the wheel (a path or a pyenv version)")
    parser.add_argument("--target-python", default="/usr/bin/python3.11", help="another build of the same minor")
    parser.add_argument("--other-python", default="3.13", help="a different minor, for the forced install")
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("package_check.py hides the pyenv directory in a mount namespace: run it as root")
    work = Path(tempfile.mkdtemp(prefix="package-check-"))
    started = time.monotonic()
    try:
        check_wheel(args.build_python, args.target_python, args.other_python, work)
        check_sdist(args.build_python, work)
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"package check passed in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
