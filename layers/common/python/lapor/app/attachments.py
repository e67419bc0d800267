"""Attachments: reporters upload straight to S3; a processing function cleans each file; officials
download the cleaned copy through short-lived URLs. The public sees only how many there are.

1. ``POST /uploads`` (``create_upload``): a presigned POST for one file of a declared type and size.
2. The browser posts the file to S3 (``incoming/<id>``); S3's event runs the processing function
   (``process_upload``): images are re-encoded without metadata, PDFs copied as they are, anything
   whose bytes are not what the reporter declared is dropped.
3. ``POST /reports`` with ``attachments`` (``check_uploads`` then ``attach``): each upload must exist,
   be of an allowed type by its bytes and within the size limit; the report keeps their names and sizes.
4. Officials (``official_attachments``) get a download URL valid for a few minutes per cleaned file.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from lapor.adapters.repository import ReportRepository
from lapor.adapters.uploads import UploadStore, expiry
from lapor.app.workflow import load_report
from lapor.domain.attachments import (
    ALLOWED_TYPES,
    IMAGE_TYPES,
    MAX_BYTES,
    SNIFF_BYTES,
    new_upload_id,
    safe_filename,
    sniff,
)
from lapor.domain.errors import Forbidden, InvalidInput
from lapor.domain.models import Attachment, AttachmentView, Report, UploadRequest, UploadTicket
from lapor.domain.roles import Caller, may_read
from lapor.observability import logger

UPLOAD_SECONDS = 15 * 60  # how long a presigned POST stays valid
DOWNLOAD_SECONDS = 5 * 60  # how long an official's download link works


def create_upload(request: UploadRequest, *, store: UploadStore, now: datetime) -> UploadTicket:
    """A presigned POST for one file: its key is new, its type and name fixed, its size at most as declared."""
    upload_id = new_upload_id()
    filename = safe_filename(request.filename, request.content_type)
    post = store.presigned_post(
        upload_id,
        content_type=request.content_type,
        size=request.size,
        filename=filename,
        expires_in=UPLOAD_SECONDS,
    )
    return UploadTicket(
        upload_id=upload_id, url=post["url"], fields=post["fields"], expires_at=expiry(now, UPLOAD_SECONDS)
    )


def check_uploads(upload_ids: Sequence[str], *, store: UploadStore) -> list[Attachment]:
    """The attachments a new report names, each checked by its bytes; InvalidInput naming ``attachments.N``."""
    attachments: list[Attachment] = []
    for index, upload_id in enumerate(upload_ids):
        field = f"attachments.{index}"
        stored = store.find(upload_id)
        head = store.first_bytes(stored.key, SNIFF_BYTES) if stored else None
        if stored is not None and head is None:
            # The processing function cleaned (or refused) the file between the two reads.
            stored = store.find(upload_id)
            head = store.first_bytes(stored.key, SNIFF_BYTES) if stored else None
        if stored is None or head is None:
            raise InvalidInput(field, "upload_unknown")
        if stored.size > MAX_BYTES:
            raise InvalidInput(field, "file_too_large", max_mb=MAX_BYTES // 2**20)
        found = sniff(head)
        if found is None or found != stored.content_type or found not in ALLOWED_TYPES:
            raise InvalidInput(field, "file_content")
        filename = stored.filename or safe_filename("lampiran", found)
        attachments.append(Attachment(id=upload_id, filename=filename, content_type=found, size=stored.size))
    return attachments


def attach(report_id: str, attachments: Sequence[Attachment], *, store: UploadStore) -> None:
    """Keep the report's files: mark each upload attached, then tag its cleaned copy if there is one.

    The processing function does the same two steps the other way round (write the copy, then look
    for the mark), so whichever finishes second tags the copy: it is never left to expire.
    """
    for attachment in attachments:
        store.mark_attached(attachment.id, report_id)
        store.keep_clean_copy(attachment.id)


def process_upload(key: str, *, store: UploadStore) -> str:
    """Clean one posted file (the S3 event's key, ``incoming/<id>``); what happened, for the log.

    Images are re-encoded without EXIF/GPS; PDFs are kept as posted; a file whose bytes are not the
    declared type, or an image Pillow cannot decode, is dropped. Safe to run twice for one file.
    """
    from lapor.adapters.images import UnreadableImage, strip_metadata
    from lapor.adapters.uploads import INCOMING

    if not key.startswith(INCOMING):
        return "ignored"
    upload_id = key.removeprefix(INCOMING)
    stored = store.find(upload_id)
    if stored is None or stored.clean:
        return "already-done" if stored else "missing"
    data, metadata = store.read(stored.key)
    declared = stored.content_type
    if len(data) > MAX_BYTES or sniff(data[:SNIFF_BYTES]) != declared or declared not in ALLOWED_TYPES:
        store.delete_incoming(upload_id)
        logger.warning("upload refused", upload_id=upload_id, declared=declared, size=len(data))
        return "refused"
    if declared in IMAGE_TYPES:
        try:
            data = strip_metadata(data, declared)
        except UnreadableImage:
            store.delete_incoming(upload_id)
            logger.warning("upload unreadable", upload_id=upload_id, declared=declared)
            return "refused"
    store.put_clean(upload_id, data, content_type=declared, metadata=metadata)
    store.delete_incoming(upload_id)
    if store.is_marked_attached(upload_id):
        store.keep_clean_copy(upload_id)
    return "cleaned"


def official_attachments(report: Report, *, store: UploadStore, now: datetime) -> list[AttachmentView]:
    """The report's files for an official: a short-lived download URL for each cleaned one.

    The official view of a report shows these as its ``attachments``.
    """
    views: list[AttachmentView] = []
    for attachment in report.attachments:
        stored = store.find(attachment.id)
        status = "ready" if stored and stored.clean else "processing" if stored else "unavailable"
        url = None
        if status == "ready":
            url = store.download_url(
                attachment.id,
                filename=attachment.filename,
                content_type=attachment.content_type,
                expires_in=DOWNLOAD_SECONDS,
            )
        views.append(
            AttachmentView(
                **attachment.model_dump(),
                status=status,
                url=url,
                expires_at=expiry(now, DOWNLOAD_SECONDS) if url else None,
            )
        )
    return views


def attachments_for_official(
    report_id: str, caller: Caller, *, reports: ReportRepository, store: UploadStore, now: datetime
) -> list[AttachmentView]:
    """``GET /reports/{id}/attachments``: a report's files for an official who may read it."""
    report = load_report(report_id, reports)
    if not may_read(caller, report):
        raise Forbidden("other_agency")
    return official_attachments(report, store=store, now=now)
