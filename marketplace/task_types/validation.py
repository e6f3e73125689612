"""JSON Schema validation with field-level messages keyed by JSON pointer ("/scores/clarity")."""

import json
from functools import lru_cache

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError as SchemaError

ROOT = "/"


def _pointer(parts) -> str:
    escaped = [str(p).replace("~", "~0").replace("/", "~1") for p in parts]
    return "/" + "/".join(escaped) if escaped else ROOT


def _join(base: str, key: str) -> str:
    return (base.rstrip("/") if base != ROOT else "") + "/" + key


def _entries(n: int) -> str:
    return f"{n} entr{'y' if n == 1 else 'ies'}"


def _friendly(error: SchemaError) -> list[tuple[str, str]]:
    """(pointer, message) pairs for one error, worded for people rather than schema authors."""
    path = _pointer(error.absolute_path)
    v, value, schema = error.validator, error.instance, error.schema
    if v == "required":
        missing = [
            k for k in error.validator_value if not isinstance(value, dict) or k not in value
        ]
        return [(_join(path, k), "This field is required.") for k in missing]
    if v == "additionalProperties":
        allowed = set(schema.get("properties", {}))
        extra = sorted(k for k in value if k not in allowed) if isinstance(value, dict) else []
        return [(_join(path, k), "This field is not allowed here.") for k in extra]
    return [(path, _message(error))]


def _message(error: SchemaError) -> str:
    v, schema = error.validator, error.schema
    if v == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"Must be of type {expected}."
    if v == "enum":
        options = ", ".join(json.dumps(o) for o in error.validator_value)
        return f"Must be one of {options}."
    if v == "const":
        return f"Must be {json.dumps(error.validator_value)}."
    if v == "minimum":
        return f"Must be at least {error.validator_value}."
    if v == "maximum":
        return f"Must be at most {error.validator_value}."
    if v == "minLength":
        return f"Must be at least {error.validator_value} characters long."
    if v == "maxLength":
        return f"Must be at most {error.validator_value} characters long."
    if v == "minItems":
        return f"Must have at least {_entries(error.validator_value)}."
    if v == "maxItems":
        return f"Must have at most {_entries(error.validator_value)}."
    if v == "uniqueItems":
        return "Entries must not repeat."
    if v == "minProperties":
        return "Must not be empty."
    if v in ("anyOf", "oneOf"):
        return schema.get("errorMessage") or "Does not match any allowed form."
    if v == "not":
        return schema.get("errorMessage") or "This value is not allowed."
    return error.message


@lru_cache(maxsize=256)
def _validator(schema_json: str) -> Draft202012Validator:
    schema = json.loads(schema_json)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def validate_against_schema(schema: dict, instance, *, prefix: str = "") -> dict[str, list[str]]:
    """All errors of `instance` against `schema` as {pointer: [messages]}; empty when valid.

    `prefix` is prepended to each pointer (e.g. "task_config")."""
    validator = _validator(json.dumps(schema, sort_keys=True))
    fields: dict[str, list[str]] = {}
    for error in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        for pointer, message in _friendly(error):
            if prefix:
                pointer = prefix + (pointer if pointer != ROOT else "")
            bucket = fields.setdefault(pointer, [])
            if message not in bucket:
                bucket.append(message)
    return fields
