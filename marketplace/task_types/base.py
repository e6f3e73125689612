"""The task-type registry and what every task type provides."""

from __future__ import annotations

import copy
from typing import ClassVar

from core.exceptions import ValidationFailed
from marketplace.task_types.validation import validate_against_schema

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"
KEY_SCHEMA = {"type": "string", "pattern": KEY_PATTERN}
LABEL_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 200}
TEXT_MODE = {"enum": ["none", "optional", "required"]}


class TaskKind:
    """One task type. Subclasses set `key`, `label` and implement the schema methods."""

    key: ClassVar[str]
    label: ClassVar[str]
    summary: ClassVar[str]
    DEFAULT: ClassVar[dict]

    def config_schema(self) -> dict:
        raise NotImplementedError

    def check_config(self, config: dict) -> dict[str, list[str]]:
        """Rules a schema cannot say (min below max, unique keys), on a schema-valid config."""
        return {}

    def response_schema(self, config: dict) -> dict:
        raise NotImplementedError

    def check_response(self, config: dict, response) -> dict[str, list[str]]:
        """Rules a schema cannot say, on a schema-valid response."""
        return {}

    def example_response(self, config: dict) -> dict:
        raise NotImplementedError

    def describe(self, config: dict) -> list[str]:
        return []

    # --- shared behaviour ---------------------------------------------------------------------

    def default_config(self) -> dict:
        return copy.deepcopy(self.DEFAULT)

    def validate_config(self, config) -> dict:
        """The config with defaults filled in; ValidationFailed with task_config/... fields."""
        if not isinstance(config, dict):
            raise ValidationFailed(
                "The task configuration is invalid.", fields={"task_config": ["Must be an object."]}
            )
        merged = {**self.default_config(), **config}
        fields = validate_against_schema(self.config_schema(), merged, prefix="task_config")
        if not fields:
            fields = {f"task_config{k}": v for k, v in self.check_config(merged).items()}
        if fields:
            raise ValidationFailed("The task configuration is invalid.", fields=fields)
        return merged

    def response_errors(self, config: dict, response, schema: dict | None = None) -> dict:
        fields = validate_against_schema(schema or self.response_schema(config), response)
        if not fields:
            fields = self.check_response(config, response)
        return fields


def text_property(mode: str, max_length: int, min_length: int = 0) -> dict | None:
    if mode == "none":
        return None
    return {
        "type": "string",
        "minLength": min_length if mode == "required" else 0,
        "maxLength": max_length,
    }


def unique_keys(items: list[dict], path: str, key: str = "key") -> dict[str, list[str]]:
    seen: set = set()
    errors: dict[str, list[str]] = {}
    for i, item in enumerate(items):
        if item[key] in seen:
            errors[f"/{path}/{i}/{key}"] = [f"Duplicate key {item[key]!r}."]
        seen.add(item[key])
    return errors


_REGISTRY: dict[str, TaskKind] = {}


def register(cls: type[TaskKind]) -> type[TaskKind]:
    _REGISTRY[cls.key] = cls()
    return cls


def task_type(key: str) -> TaskKind:
    from marketplace.task_types import kinds  # noqa: F401  (registers the built-in types)

    try:
        return _REGISTRY[key]
    except KeyError:
        raise ValidationFailed(
            "Unknown task type.", fields={"task_type": [f"Unknown task type {key!r}."]}
        ) from None


def default_config(key: str) -> dict:
    return task_type(key).default_config()
