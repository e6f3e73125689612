"""Writes for labeling: one transaction per use case."""

from labeling.exports.services import (
    export_job_create,
    export_job_run,
    export_stream,
)
from labeling.imports.services import (
    import_job_create,
    import_job_create_from_path,
    import_job_run,
)
from labeling.services.appeals import appeal_decide, appeal_open
from labeling.services.review import (
    annotation_accept,
    annotation_reject,
    annotations_auto_accept,
    annotations_bulk_accept,
)
from labeling.services.work import (
    annotation_submit,
    assignment_draft_save,
    assignment_release,
    leases_expire,
    task_claim,
    task_claim_live,
)

__all__ = [
    "annotation_accept",
    "annotation_reject",
    "annotations_auto_accept",
    "annotations_bulk_accept",
    "appeal_decide",
    "appeal_open",
    "annotation_submit",
    "export_job_create",
    "export_job_run",
    "export_stream",
    "import_job_create",
    "import_job_create_from_path",
    "import_job_run",
    "assignment_draft_save",
    "assignment_release",
    "leases_expire",
    "task_claim",
    "task_claim_live",
]
