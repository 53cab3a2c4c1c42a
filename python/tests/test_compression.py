"""CompressionConfig validation and where the configuration comes from."""

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from django_bolt.compression import CompressionConfig, resolve_compression


@pytest.fixture
def no_setting():
    """Run without BOLT_COMPRESSION, whatever configured the settings."""
    with override_settings():
        if hasattr(settings, "BOLT_COMPRESSION"):
            del settings.BOLT_COMPRESSION
        yield


DEFAULT = {
    "backend": "brotli",
    "minimum_size": 500,
    "gzip_compress_level": 9,
    "brotli_quality": 5,
    "brotli_lgwin": 22,
    "zstd_level": 3,
    "gzip_fallback": True,
}


def test_defaults_and_both_names_of_the_export():
    config = CompressionConfig()
    assert config.to_config() == DEFAULT
    assert config.to_rust_config() == DEFAULT


def test_custom_values():
    config = CompressionConfig(backend="zstd", minimum_size=0, zstd_level=22, gzip_fallback=False)
    assert config.to_config() == {
        **DEFAULT,
        "backend": "zstd",
        "minimum_size": 0,
        "zstd_level": 22,
        "gzip_fallback": False,
    }


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "deflate"}, "backend must be one of gzip, brotli, zstd"),
        ({"minimum_size": -1}, "minimum_size must be a whole number >= 0"),
        ({"gzip_compress_level": 10}, "gzip_compress_level must be a whole number from 0 to 9"),
        ({"gzip_compress_level": -1}, "gzip_compress_level"),
        ({"brotli_quality": 12}, "brotli_quality must be a whole number from 0 to 11"),
        ({"brotli_lgwin": 9}, "brotli_lgwin must be a whole number from 10 to 24"),
        ({"brotli_lgwin": 25}, "brotli_lgwin"),
        ({"zstd_level": 0}, "zstd_level must be a whole number from 1 to 22"),
        ({"zstd_level": 23}, "zstd_level"),
        ({"minimum_size": "500"}, "minimum_size"),
        ({"gzip_compress_level": True}, "gzip_compress_level"),
        ({"gzip_fallback": "yes"}, "gzip_fallback must be True or False"),
    ],
)
def test_invalid_values(kwargs, message):
    with pytest.raises(ValueError, match=message):
        CompressionConfig(**kwargs)


def test_boundaries_are_accepted():
    CompressionConfig(gzip_compress_level=0, brotli_quality=11, brotli_lgwin=10, zstd_level=1)
    CompressionConfig(gzip_compress_level=9, brotli_quality=0, brotli_lgwin=24, zstd_level=22)


def test_api_value_without_setting(no_setting):
    assert resolve_compression(None) == DEFAULT
    assert resolve_compression(False) is None
    assert resolve_compression(CompressionConfig(backend="gzip"))["backend"] == "gzip"


def test_api_value_of_wrong_type(no_setting):
    with pytest.raises(TypeError, match=r"BoltAPI\(compression=\.\.\.\)"):
        resolve_compression(True)


@pytest.mark.parametrize("off", [None, False])
def test_setting_turns_compression_off(off):
    with override_settings(BOLT_COMPRESSION=off):
        assert resolve_compression(CompressionConfig()) is None


def test_setting_wins_over_api_value():
    with override_settings(BOLT_COMPRESSION=CompressionConfig(backend="zstd")):
        assert resolve_compression(False)["backend"] == "zstd"
        assert resolve_compression(CompressionConfig(backend="gzip"))["backend"] == "zstd"


def test_setting_of_wrong_type():
    with override_settings(BOLT_COMPRESSION={"backend": "gzip"}):
        with pytest.raises(ImproperlyConfigured, match="BOLT_COMPRESSION must be a CompressionConfig"):
            resolve_compression(None)
