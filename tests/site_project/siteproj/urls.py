from django.urls import path

from . import views

urlpatterns = [
    path("hello/", views.hello),
    path("items/<int:pk>/", views.Items.as_view()),
    path("about/", views.About.as_view()),
    path("page/", views.form),
    path("form/", views.form),
    path("numbers/", views.numbers),
]
