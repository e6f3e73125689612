from django.urls import path  # noqa: F401

# Each labeling API module appends its routes here.
urlpatterns: list = []
