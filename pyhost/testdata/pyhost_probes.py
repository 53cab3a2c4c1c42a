"""Functions the pyhost tests call through pyhost.Call to check conversions."""

import sys

import django_bolt


def identity(value):
    return value


def type_names(*args):
    """The Python type of each argument, nested containers included."""

    def name(v):
        if isinstance(v, list):
            return [name(x) for x in v]
        if isinstance(v, dict):
            return {k: name(x) for k, x in v.items()}
        return type(v).__name__

    return [name(a) for a in args]


def interpreter():
    return {
        "version": "%d.%d" % sys.version_info[:2],
        "prefix": sys.prefix,
        "base_prefix": sys.base_prefix,
        "django_bolt": django_bolt.__file__,
        "core_is_builtin": "django_bolt._core" in sys.builtin_module_names,
    }


def importable(*names):
    import importlib

    return [importlib.import_module(n).__name__ for n in names]


class _Opaque:
    pass


_VALUES = {
    "str": lambda: "héllo",
    "bytes": lambda: b"\x00\xffraw",
    "int": lambda: -(2**62),
    "float": lambda: 2.5,
    "true": lambda: True,
    "false": lambda: False,
    "none": lambda: None,
    "tuple": lambda: (1, "a"),
    "list": lambda: [1, [2, [3]]],
    "dict": lambda: {"a": {"b": [None, True, 1.5, b"x"]}},
    "empty": lambda: ([], {}, "", b""),
    "big int": lambda: 2**70,
    "set": lambda: {1, 2},
    "object": lambda: _Opaque(),
    "int key": lambda: {1: "one"},
    "nested set": lambda: [1, {"k": frozenset()}],
    "lone surrogate": lambda: "a\udc80b",
}


def value(name):
    return _VALUES[name]()


def fail(message):
    _deeper(message)


def _deeper(message):
    raise ValueError(message)


def exchange_without_server():
    from django_bolt import _core

    try:
        _core.exchange(None)
    except RuntimeError as exc:
        return str(exc)
    return "exchange did not raise"
