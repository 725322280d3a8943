"""A consultation's stored document as a download, for the staff and the kiosk pages alike."""

from __future__ import annotations

import io

from flask import send_file
from werkzeug.wrappers import Response

from feedback.models import ConsultationDocument


def document_response(doc: ConsultationDocument) -> Response:
    """The file with its checked type, as an attachment, never sniffed as a page."""
    response = send_file(io.BytesIO(doc.data), mimetype=doc.content_type, as_attachment=True,
                         download_name=doc.filename, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
