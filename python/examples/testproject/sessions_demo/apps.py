from django.apps import AppConfig


class SessionsDemoConfig(AppConfig):
    name = "sessions_demo"
    verbose_name = "Python middleware and Django sessions examples"
