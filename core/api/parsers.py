"""The API's JSON parser: DRF's, with the refusals it lacks (each was a 500 before)."""

import re

from django.conf import settings
from rest_framework import exceptions, parsers, status

#: Deepest nesting of arrays and objects accepted: far beyond any real payload, and well below
#: the depth at which encoding the value again (to store or render it) exhausts the stack.
MAX_JSON_DEPTH = 100
# PostgreSQL stores neither NUL (text and jsonb refuse \u0000) nor lone surrogates (not UTF-8).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def json_problem(value) -> str | None:
    """Why this parsed JSON cannot be accepted, or None. Iterative: a recursive walk would hit
    the very limit it guards."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if UNSTORABLE.search(item):
                return "JSON strings may not contain NUL characters or lone surrogates."
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


class JSONParser(parsers.JSONParser):
    """DRF reads JSON straight from the request stream, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    never applies to it: enforce it here (413). Deep nesting makes json.loads raise
    RecursionError (or, a little less deep, encoding the value again); NUL and lone surrogates
    make PostgreSQL refuse the row: answer 400 for all three."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        request = (parser_context or {}).get("request")
        length = int(request.META.get("CONTENT_LENGTH") or 0) if request is not None else 0
        if limit is not None and length > limit:
            raise RequestTooLarge()
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels."
            ) from exc
        problem = json_problem(data)
        if problem:
            raise exceptions.ParseError(problem)
        return data
