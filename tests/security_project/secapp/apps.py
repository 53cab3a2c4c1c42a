from django.apps import AppConfig


class SecappConfig(AppConfig):
    name = "secapp"
    default_auto_field = "django.db.models.BigAutoField"
