"""Items import: streaming readers, all-or-nothing validation and COPY, and the use cases."""

from labeling.imports.services import (
    check_can_import,
    import_job_create,
    import_job_create_from_path,
    import_job_run,
)

__all__ = [
    "check_can_import",
    "import_job_create",
    "import_job_create_from_path",
    "import_job_run",
]
