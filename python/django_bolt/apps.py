from django.apps import AppConfig


class DjangoBoltConfig(AppConfig):
    name = "django_bolt"
    verbose_name = "Django Bolt"
    default_auto_field = "django.db.models.BigAutoField"
