"""Task types: each turns a small configuration into the JSON Schema its responses must match.

kind = task_type("rubric")
kind.validate_config(config)          # ValidationFailed with "task_config/..." fields
schema = kind.response_schema(config)  # JSON Schema (draft 2020-12)
"""

from marketplace.task_types.base import TaskKind, default_config, task_type
from marketplace.task_types.validation import validate_against_schema

__all__ = ["TaskKind", "default_config", "task_type", "validate_against_schema"]
