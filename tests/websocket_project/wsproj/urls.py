"""No Django views: every route lives in wsproj/api.py."""
urlpatterns = []
