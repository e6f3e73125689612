"""Every URL of the project's own apps, read from the URL configuration, with its methods; and
every operation of the OpenAPI schema. Shared by the permission matrix and the gold-secrecy walk.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

# Whole URL groups not in the matrix, each with the reason.
EXCLUDED_PREFIXES = {
    "admin/": "Django admin: is_staff-only by Django itself, staff need TOTP (middleware tests)",
    "accounts/": "allauth sign-in/sign-up/MFA flows: tested in tests/accounts",
}
HTTP_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@dataclass(frozen=True)
class Route:
    name: str
    route: str  # Django route, e.g. api/v1/tasks/<int:task_id>/
    callback: object
    kwargs: tuple[str, ...]
    methods: tuple[str, ...]

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    @property
    def openapi_path(self) -> str:
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", self.route)


def _walk(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + str(pattern.pattern), pattern


def _declared_methods(callback) -> tuple[str, ...] | None:
    """The methods a function view's @require_http_methods/@require_POST allows, found in the
    decorator's closure along the __wrapped__ chain; None when the view does not restrict them."""
    func = callback
    while func is not None:
        for cell in getattr(func, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(isinstance(v, str) and v in HTTP_METHODS + ("HEAD",) for v in value)
            ):
                return tuple(m for m in HTTP_METHODS if m in value)
        func = getattr(func, "__wrapped__", None)
    return None


def _methods(callback) -> tuple[str, ...]:
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None:
        return tuple(m for m in HTTP_METHODS if hasattr(view_class, m.lower()))
    declared = _declared_methods(callback)
    # A page without a method restriction answers any method: GET and POST are both checked.
    return declared if declared is not None else ("GET", "POST")


def project_routes() -> list[Route]:
    routes = []
    for route, pattern in _walk(get_resolver()):
        if route.startswith(tuple(EXCLUDED_PREFIXES)):
            continue
        assert pattern.name, f"URL {route!r} has no name; name it so the matrix can list it"
        routes.append(
            Route(
                name=pattern.name,
                route=route,
                callback=pattern.callback,
                kwargs=tuple(re.findall(r"<(?:\w+:)?(\w+)>", route)),
                methods=_methods(pattern.callback),
            )
        )
    return routes


def schema_operations() -> set[tuple[str, str]]:
    """(path, METHOD) of every operation in drf-spectacular's generated schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        (path, method.upper())
        for path, item in schema["paths"].items()
        for method in item
        if method.upper() in HTTP_METHODS
    }
