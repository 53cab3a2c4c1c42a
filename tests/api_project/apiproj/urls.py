"""No Django views: everything is served from catalog/api.py."""
urlpatterns = []
