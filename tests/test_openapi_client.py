"""A real client generated from the example project's OpenAPI document.

openapi-python-client (from the package index) writes a typed Python client from
``/docs/openapi.json``; the test imports every module it wrote (a document a generator
misreads gives modules that do not even import) and calls the example project's routes
through it: successes are parsed into the generated models, and the documented errors (401,
422...) into the generated error models instead of ``UnexpectedStatus``.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import shutil
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

PACKAGE = "bolt_example_client"


@pytest.fixture(scope="module")
def client_package(example_server, tmp_path_factory):
    generator = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent))
    assert generator, "openapi-python-client is part of the test extras"
    root = tmp_path_factory.mktemp("generated")
    schema = root / "openapi.json"
    schema.write_bytes(httpx.get(example_server.base_url + "/docs/openapi.json", timeout=30).content)
    config = root / "config.yaml"
    # No post hooks: they format the code with ruff, which the test does not need.
    config.write_text(f"package_name_override: {PACKAGE}\nproject_name_override: {PACKAGE}\npost_hooks: []\n")
    result = subprocess.run(
        [generator, "generate", "--path", str(schema), "--config", str(config), "--meta", "none",
         "--output-path", str(root / PACKAGE)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The generator reports what it could not read as warnings: there must be none.
    assert "Warning" not in result.stdout + result.stderr, result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        package = importlib.import_module(PACKAGE)
        yield package
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


@pytest.fixture
def client(client_package, example_server):
    return client_package.Client(base_url=example_server.base_url, raise_on_unexpected_status=True, timeout=30)


def _api(name: str):
    """The generated module of operation ``name`` (modules are grouped by tag)."""
    api = importlib.import_module(f"{PACKAGE}.api")
    for module in pkgutil.walk_packages(api.__path__, prefix=f"{PACKAGE}.api."):
        if module.name.endswith("." + name):
            return importlib.import_module(module.name)
    raise LookupError(f"no generated module for operation {name}")


def test_every_generated_module_imports(client_package):
    modules = list(pkgutil.walk_packages(client_package.__path__, prefix=PACKAGE + "."))
    assert len(modules) > 30
    for module in modules:
        importlib.import_module(module.name)


def test_success_is_parsed_into_the_generated_models(client, client_package):
    items = _api("get_items100").sync(client=client)
    assert len(items) == 100
    assert type(items[0]).__name__ == "Item" and items[0].name == "item0"
    token = _api("post_token").sync(
        client=client, body=client_package.models.Credentials(username="demo", password="demo"))
    assert token["token_type"] == "bearer"


def test_documented_401_reaches_the_caller_as_a_model(client, client_package):
    response = _api("get_me").sync_detailed(client=client)
    assert response.status_code == 401
    assert isinstance(response.parsed, client_package.models.HTTPError)
    assert response.parsed.detail == "Authentication required"
    wrong = _api("post_token").sync_detailed(
        client=client, body=client_package.models.Credentials(username="demo", password="wrong"))
    assert wrong.status_code == 401
    assert wrong.parsed.detail == "Invalid username or password"


def test_documented_422_reaches_the_caller_as_a_model(client, client_package):
    response = _api("get_read_item").sync_detailed(item_id="abc", client=client)  # not an int
    assert response.status_code == 422
    error = response.parsed
    assert isinstance(error, client_package.models.HTTPValidationError)
    assert error.detail[0].loc == ["path", "item_id"]
    assert error.detail[0].type_  # "type" is a Python builtin: the generator adds "_"


def test_form_and_upload_bodies(client, client_package):
    form = _api("post_form").sync_detailed(client=client, body=client_package.models.PostFormBody(name="n", age=3))
    assert form.status_code == 200
    assert form.parsed == {"name": "n", "age": 3, "email": ""}
    upload = client_package.models.PostUploadBody(
        file=[client_package.types.File(payload=io.BytesIO(b"abc"), file_name="a.txt", mime_type="text/plain")])
    uploaded = _api("post_upload").sync_detailed(client=client, body=upload)
    assert uploaded.status_code == 200
    assert uploaded.parsed == {"uploaded": 1, "total_bytes": 3, "names": ["a.txt"]}
