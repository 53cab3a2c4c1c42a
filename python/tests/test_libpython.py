"""Finding the running interpreter's shared libpython (what runbolt hands the server)."""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

import pytest

from django_bolt import _libpython
from django_bolt._libpython import LaunchError, find, needed, soname


def _pretend(monkeypatch, tmp_path: Path, **config) -> None:
    """This interpreter, as if built with ``config`` and installed under ``tmp_path``."""
    real = sysconfig.get_config_var
    monkeypatch.setattr(_libpython.sysconfig, "get_config_var", lambda name: config.get(name, real(name)))
    monkeypatch.setattr(_libpython.sys, "base_prefix", str(tmp_path))


def test_a_python_without_its_shared_library_gets_one_message_saying_what_to_install(monkeypatch, tmp_path):
    # A build made without --enable-shared: no libpython3.X.so anywhere it could be.
    _pretend(monkeypatch, tmp_path, LIBDIR=str(tmp_path / "lib"), Py_ENABLE_SHARED=0,
             INSTSONAME=f"libpython{sysconfig.get_config_var('LDVERSION')}.a")
    with pytest.raises(LaunchError) as error:
        find({})
    message = str(error.value)
    version = sysconfig.get_config_var("LDVERSION")
    assert f"has no shared library libpython{version}.so.1.0" in message
    assert str(tmp_path / "lib") in message
    assert f"apt-get install libpython{version}" in message
    assert "--enable-shared" in message
    assert "BOLT_LIBPYTHON" in message


def test_the_library_beside_a_multiarch_libdir_is_found(monkeypatch, tmp_path):
    # Debian puts libpython in LIBDIR/MULTIARCH (/usr/lib/x86_64-linux-gnu).
    (tmp_path / "lib" / "x86_64-linux-gnu").mkdir(parents=True)
    (tmp_path / "lib" / "x86_64-linux-gnu" / soname()).write_bytes(b"")
    _pretend(monkeypatch, tmp_path / "elsewhere", LIBDIR=str(tmp_path / "lib"), MULTIARCH="x86_64-linux-gnu")
    assert find({}) == tmp_path / "lib" / "x86_64-linux-gnu"


def test_a_relocated_install_is_found_under_its_prefix(monkeypatch, tmp_path):
    # Copied after it was built: LIBDIR names the build machine's directory.
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / soname()).write_bytes(b"")
    _pretend(monkeypatch, tmp_path, LIBDIR="/install/lib", MULTIARCH="")
    assert find({}) == tmp_path / "lib"


def test_an_override_naming_another_library_is_refused(tmp_path):
    other = tmp_path / "libpython3.99.so.1.0"
    other.write_bytes(b"")
    with pytest.raises(LaunchError, match=r"is not libpython"):
        find({"BOLT_LIBPYTHON": str(other)})


def test_needed_reads_the_loaders_list_from_an_elf_file():
    # This interpreter's own executable links libc at least.
    assert any(name.startswith("libc.so") for name in needed(Path(sys.executable).resolve()))


def test_needed_refuses_a_file_that_is_not_elf(tmp_path):
    script = tmp_path / "bolt-server"
    script.write_text("#!/bin/sh\n")
    with pytest.raises(LaunchError, match="not a 64-bit little-endian ELF"):
        needed(script)
