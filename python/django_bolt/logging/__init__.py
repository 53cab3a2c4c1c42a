"""Request logging and the server's log output.

* ``config`` - ``LoggingConfig`` (what is logged), ``get_default_logging_config``
  (from the environment), ``setup_django_logging`` (stderr output for
  projects without a ``LOGGING`` setting);
* ``middleware`` - ``LoggingMiddleware``, the opt-in access log of the routes
  it is given to.
"""

from .config import LoggingConfig
from .middleware import LoggingMiddleware, create_logging_middleware

__all__ = ["LoggingConfig", "LoggingMiddleware", "create_logging_middleware"]
