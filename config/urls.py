from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core import views as core_views

# Django tries the patterns in order, so the task cycle's routes (labeling, claim and submit
# first) come first: every claim and submit resolves in a few matches instead of ~60. No two
# routes overlap (tests/core/test_urls.py), so the order changes nothing else.
api_v1 = [
    path("", include("labeling.api.urls")),
    path("", include("accounts.api.urls")),
    path("", include("qualifications.api.urls")),
    path("", include("marketplace.api.urls")),
    path("", include("payments.api.urls")),
]

urlpatterns = [
    path("api/v1/", include(api_v1)),
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("accounts.urls")),
    path("", include("qualifications.urls")),
    path("", include("marketplace.urls")),
    path("", include("labeling.urls")),
    path("", include("payments.urls")),
]

# A lost database connection answers 503 with Retry-After on pages too (the API's exception
# handler does the same for API views).
handler500 = "core.views.server_error"
