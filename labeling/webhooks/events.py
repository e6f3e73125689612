"""Event types a company can subscribe an endpoint to. Emitters pass a JSON-serialisable
payload; every delivery wraps it in the same envelope (see signing.envelope)."""

ITEMS_IMPORTED = "items.imported"
ANNOTATION_SUBMITTED = "annotation.submitted"
ANNOTATION_ACCEPTED = "annotation.accepted"
ANNOTATION_REJECTED = "annotation.rejected"
PROJECT_PROGRESS = "project.progress"
PROJECT_COMPLETED = "project.completed"
EXPORT_READY = "export.ready"

EVENT_TYPES: dict[str, str] = {
    ITEMS_IMPORTED: "A batch of items was imported into a project",
    ANNOTATION_SUBMITTED: "An expert submitted an annotation",
    ANNOTATION_ACCEPTED: "Annotations were accepted (by a reviewer, automatically, or on appeal)",
    ANNOTATION_REJECTED: "Annotations were rejected by a reviewer",
    PROJECT_PROGRESS: "A project passed a progress milestone (25, 50, 75, 100 %)",
    PROJECT_COMPLETED: "A project was completed",
    EXPORT_READY: "A requested export file is ready to download",
}

EVENT_CHOICES = [(key, f"{key}: {label}") for key, label in EVENT_TYPES.items()]
