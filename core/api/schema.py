"""OpenAPI schema post-processing (drf-spectacular hook)."""

ERROR_SCHEMA = {
    "type": "object",
    "description": "Every API error has this shape (core.api.exception_handler).",
    "properties": {
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": True},
            },
            "required": ["code", "message"],
        }
    },
    "required": ["error"],
}


def document_error_responses(result, generator, request, public):
    """Document the error envelope as every operation's 4XX answer, so clients (and the schema
    fuzz test) know what a refusal looks like. Codes an operation documents itself win."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    error = {
        "description": "Refused: invalid input, not signed in, not allowed, not found, conflict "
        "or rate limited. The `error.code` says which.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }
    for path in result.get("paths", {}).values():
        for operation in path.values():
            if isinstance(operation, dict) and "responses" in operation:
                operation["responses"].setdefault("4XX", error)
    return result
