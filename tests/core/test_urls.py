"""No URL pattern shadows another: config/urls.py orders the routes for speed (the task cycle's
first), which is only safe while every route resolves to itself whatever the order."""

import re
import uuid

from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.resolvers import RoutePattern

SAMPLES = {"int": "7", "str": "sample", "slug": "sample-slug", "uuid": str(uuid.uuid4())}
CONVERTER = re.compile(r"<(?:(\w+):)?\w+>")


def routes(resolver: URLResolver, prefix: str = ""):
    """(route, pattern) for every route-style (path()) pattern, includes flattened."""
    for entry in resolver.url_patterns:
        if not isinstance(entry.pattern, RoutePattern):
            continue  # regex patterns (admin internals) are not ours to order
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from routes(entry, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def sample_path(route: str) -> str | None:
    def fill(match: re.Match) -> str:
        return SAMPLES[match.group(1) or "str"]

    try:
        return "/" + CONVERTER.sub(fill, route)
    except KeyError:  # a converter without a sample (path:)
        return None


def test_every_route_resolves_to_itself():
    checked, shadowed = 0, []
    for route, pattern in routes(get_resolver()):
        path = sample_path(route)
        if path is None:
            continue
        match = resolve(path)
        checked += 1
        if match.route != route:
            shadowed.append(f"{path}: wanted {route!r}, got {match.route!r}")
    assert not shadowed, shadowed
    assert checked > 100


def test_the_task_cycle_routes_come_first():
    ordered = [route for route, _ in routes(get_resolver())]
    assert ordered[:2] == [
        "api/v1/projects/<int:project_id>/tasks/next/",
        "api/v1/tasks/<int:task_id>/submit/",
    ]
