"""No Django views: everything is served from probe/api.py."""
urlpatterns = []
