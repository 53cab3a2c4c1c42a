from django.http import HttpResponse
from django.urls import include, path, re_path


def view(request, **kwargs):
    return HttpResponse("ok")


blog = [
    path("", view),
    path("<slug:slug>/", view),
]

shop = [
    path("cart/", view),
    path("items/<int:pk>/", view),
]

urlpatterns = [
    path("", view),
    path("about/", view),
    path("blog/", include(blog)),
    path("shop/", include(shop)),
    path("users/<int:pk>/", view),
    re_path(r"^legal/terms\.html$", view),
    re_path(r"^archive/(?P<year>[0-9]{4})/$", view),
    re_path(r"^feeds/", include([path("rss/", view)])),
]
