"""No Django views: every route lives in rtproj/api.py."""
urlpatterns = []
