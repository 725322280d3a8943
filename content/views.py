"""Content routes shared by every device: media files (图解 images, videos, attachments)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, send_from_directory
from sqlalchemy import select
from werkzeug.wrappers import Response

from content.models import Attachment, Policy, PubStatus
from hall.extensions import db

bp = Blueprint("content", __name__)

DEMO_MEDIA = Path(__file__).parent / "data" / "media"


def media_dirs() -> list[Path]:
    """Where media files live: the instance's uploads first, then the bundled demo media."""
    return [Path(current_app.instance_path) / "media", DEMO_MEDIA]


def _unpublished_attachment(filename: str) -> bool:
    """An attachment of a policy citizens cannot see yet (or any more) is not served either."""
    return db.session.scalar(
        select(Attachment.id).join(Policy)
        .where(Attachment.filename == filename, Policy.status != PubStatus.PUBLISHED).limit(1)
    ) is not None


@bp.get("/media/<path:filename>")
def media(filename: str) -> Response:
    if _unpublished_attachment(filename):
        abort(404)
    for folder in media_dirs():
        if os.path.isfile(folder / filename):  # False (not an error) for a name too long
            return send_from_directory(folder, filename, max_age=86400)
    return send_from_directory(DEMO_MEDIA, filename)  # raises a clean 404


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
