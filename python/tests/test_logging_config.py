"""Logging configuration and the server's log output."""

from __future__ import annotations

import logging
import logging.handlers

import pytest
from django.test import override_settings

from django_bolt.logging import config as logging_config  # noqa: E402
from django_bolt.logging.config import (  # noqa: E402
    LoggingConfig,
    get_default_logging_config,
    setup_django_logging,
)

LOGGER_NAMES = ("", "django", "django.server", "django_bolt")


# -- LoggingConfig ---------------------------------------------------------------------------


def test_defaults():
    config = LoggingConfig()
    assert config.logger_name == "django.server"
    assert config.request_log_fields == {"method", "path", "status_code"}
    assert config.response_log_fields == {"status_code"}
    assert config.obfuscate_headers == {"authorization", "cookie", "x-api-key", "x-auth-token"}
    assert config.obfuscate_cookies == {"sessionid", "csrftoken"}
    assert (config.log_request_body, config.log_response_body, config.max_body_log_size) == (False, False, 1024)
    assert (config.log_level, config.error_log_level) == ("INFO", "ERROR")
    assert config.exception_logging_handler is None
    assert config.skip_paths == {"/health", "/ready", "/metrics"}
    assert config.skip_status_codes == set()
    assert (config.sample_rate, config.min_duration_ms) == (None, None)
    assert config.get_logger() is logging.getLogger("django.server")


def test_should_log_request():
    config = LoggingConfig(skip_status_codes={204})
    assert config.should_log_request("/items")
    assert config.should_log_request("/items", 200)
    assert not config.should_log_request("/items", 204)
    assert not config.should_log_request("/health")
    assert not config.should_log_request("/ready", 500)


def test_levels_are_level_names_in_any_case():
    config = LoggingConfig(log_level="debug", error_log_level="critical")
    assert (config.log_level, config.error_log_level) == ("DEBUG", "CRITICAL")


def test_obfuscated_header_names_are_lower_case():
    assert LoggingConfig(obfuscate_headers={"X-Secret"}).obfuscate_headers == {"x-secret"}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"log_level": "LOUD"},
        {"error_log_level": "NOPE"},
        {"request_log_fields": {"method", "password"}},
        {"response_log_fields": {"latency"}},
        {"sample_rate": 1.5},
        {"min_duration_ms": -1},
        {"exception_logging_handler": "print"},
    ],
)
def test_mistakes_are_refused(kwargs):
    with pytest.raises((ValueError, TypeError)):
        LoggingConfig(**kwargs)


# -- defaults from the environment -----------------------------------------------------------


@pytest.fixture
def clean_env(monkeypatch):
    for name in ("DJANGO_BOLT_LOG_LEVEL", "DJANGO_BOLT_LOG_SAMPLE", "DJANGO_BOLT_LOG_SLOW_MS"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_default_config_logs_only_slow_successes_in_production(clean_env):
    with override_settings(DEBUG=False):
        config = get_default_logging_config()
    assert (config.log_level, config.sample_rate, config.min_duration_ms) == ("INFO", None, 250)


def test_default_config_logs_everything_in_debug(clean_env):
    with override_settings(DEBUG=True):
        assert get_default_logging_config().min_duration_ms is None


def test_default_config_reads_the_environment(clean_env):
    clean_env.setenv("DJANGO_BOLT_LOG_LEVEL", "warning")
    clean_env.setenv("DJANGO_BOLT_LOG_SAMPLE", "0.25")
    clean_env.setenv("DJANGO_BOLT_LOG_SLOW_MS", "40")
    with override_settings(DEBUG=False):
        config = get_default_logging_config()
    assert (config.log_level, config.sample_rate, config.min_duration_ms) == ("WARNING", 0.25, 40)


@pytest.mark.parametrize(("name", "value"), [("DJANGO_BOLT_LOG_SAMPLE", "often"), ("DJANGO_BOLT_LOG_SAMPLE", "2"),
                                             ("DJANGO_BOLT_LOG_SLOW_MS", "-5"), ("DJANGO_BOLT_LOG_LEVEL", "LOUD")])
def test_bad_environment_values_are_refused(clean_env, name, value):
    clean_env.setenv(name, value)
    with pytest.raises(ValueError, match=name if name != "DJANGO_BOLT_LOG_LEVEL" else "log_level"):
        get_default_logging_config()


# -- setup_django_logging ---------------------------------------------------------------------


@pytest.fixture
def restore_logging():
    """Put the four loggers back as they were, and forget the installation."""
    saved = {
        name: (list(logging.getLogger(name).handlers), logging.getLogger(name).level, logging.getLogger(name).propagate)
        for name in LOGGER_NAMES
    }
    yield
    installed = logging_config._installed
    if installed is not None:
        logging_config._uninstall(*installed)
        logging_config._installed = None
    for name, (handlers, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers, logger.level, logger.propagate = handlers, level, propagate


def _queue_handlers(name: str) -> list[logging.Handler]:
    return [h for h in logging.getLogger(name).handlers if isinstance(h, logging.handlers.QueueHandler)]


def test_setup_installs_one_queue_handler(restore_logging, capsys):
    with override_settings(DEBUG=False):
        setup_django_logging()
    handler = logging_config._installed[0]
    assert _queue_handlers("") == [handler]
    for name in ("django.server", "django_bolt"):
        logger = logging.getLogger(name)
        assert logger.handlers == [handler]
        assert logger.propagate is False
        assert logger.level == logging.WARNING
    django_logger = logging.getLogger("django")
    assert django_logger.propagate is True
    assert not _queue_handlers("django")

    logging.getLogger("django_bolt").warning("disk %s", "full")
    handler, listener = logging_config._installed
    listener.stop()  # writes what is queued
    listener.start()
    err = capsys.readouterr().err
    assert "WARNING - " in err and " - django_bolt - disk full" in err


def test_setup_level_follows_debug(restore_logging):
    with override_settings(DEBUG=True):
        setup_django_logging()
    # Other libraries' DEBUG lines (asyncio's selector at start-up) stay out.
    assert logging.getLogger().level == logging.INFO
    assert logging.getLogger("asyncio").getEffectiveLevel() == logging.INFO
    assert logging.getLogger("django_bolt").level == logging.DEBUG
    assert logging.getLogger("django").level == logging.INFO


def test_setup_happens_once_unless_forced(restore_logging):
    setup_django_logging()
    first = logging_config._installed
    setup_django_logging()
    assert logging_config._installed is first
    setup_django_logging(force=True)
    assert logging_config._installed is not first
    assert _queue_handlers("") == [logging_config._installed[0]]


def test_setup_leaves_projects_with_logging_settings_alone(restore_logging):
    before = list(logging.getLogger("django_bolt").handlers)
    with override_settings(LOGGING={"version": 1}):
        setup_django_logging()
    assert logging_config._installed is None
    assert logging.getLogger("django_bolt").handlers == before
