"""Django URL routes. The API itself is served by runbolt from the api.py modules."""
from django.contrib import admin
from django.urls import path

urlpatterns = [
    path("admin/", admin.site.urls),
]
