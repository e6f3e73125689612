"""Serving private evidence files. Callers must have checked permission
(selectors.credential_for_evidence)."""

from django.http import FileResponse, Http404
from django.utils.cache import add_never_cache_headers

from qualifications.models import Credential


def evidence_response(credential: Credential, *, embeddable: bool = False) -> FileResponse:
    try:
        handle = credential.evidence.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    ext = {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}
    filename = credential.evidence_name or f"evidence{ext.get(credential.evidence_content_type)}"
    response = FileResponse(
        handle,
        content_type=credential.evidence_content_type,
        as_attachment=False,
        filename=filename,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    add_never_cache_headers(response)
    response["Cache-Control"] += ", private"
    if embeddable:
        # Only this response may be framed, and only by our own pages (the staff queue).
        response["X-Frame-Options"] = "SAMEORIGIN"
    return response
