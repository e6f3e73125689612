import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.api.exception_handler import RETRY_AFTER_SECONDS
from core.health import broker_status, database_status


@require_GET
@never_cache
def healthz(request):
    checks = {"database": database_status(), "broker": broker_status()}
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "degraded", **checks}, status=200 if healthy else 503
    )


def landing(request):
    return render(request, "core/landing.html")


UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Plumbline is briefly unavailable</title></head>
<body><h1>Plumbline is briefly unavailable</h1>
<p>We lost the connection to our database for a moment. Nothing you submitted was half-saved:
please try again in a few seconds.</p></body></html>
"""


def server_error(request, *args, **kwargs):
    """handler500: a lost database connection (failover, restart) is a 503 the browser may
    retry, not a 500. Rendered without templates or context processors: they may need the
    database that just failed."""
    exc = sys.exc_info()[1]
    if isinstance(exc, OperationalError | InterfaceError):
        return HttpResponse(
            UNAVAILABLE_PAGE, status=503, headers={"Retry-After": str(RETRY_AFTER_SECONDS)}
        )
    return defaults.server_error(request, *args, **kwargs)
