from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views import View
from django.views.generic import TemplateView


def hello(request):
    return HttpResponse(f"hello from Django, {request.method} {request.path}")


class Items(View):
    def get(self, request, pk):
        return JsonResponse({"pk": pk, "view": "class-based"})

    def delete(self, request, pk):
        return JsonResponse({"deleted": pk})  # reached only with a CSRF token


class About(TemplateView):
    template_name = "about.html"


def form(request):
    if request.method == "POST":
        return HttpResponse(f"posted {request.POST.get('name', '')}")
    return render(request, "form.html")


def numbers(request):
    def chunks():
        for i in range(5):
            yield f"line {i}\n"
    return StreamingHttpResponse(chunks(), content_type="text/plain")
