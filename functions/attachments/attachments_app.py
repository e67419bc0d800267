"""Lambda entry for the attachments processor: S3 ObjectCreated events of ``incoming/`` uploads.

Runs outside the API (its own function with Pillow in its own layer), so photos are cleaned of their
EXIF and GPS metadata without the API's cold start paying for an imaging library.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import unquote_plus

from lapor.adapters.uploads import UploadStore
from lapor.app.attachments import process_upload
from lapor.observability import logger
from lapor.settings import AttachmentSettings


@lru_cache(maxsize=1)
def store() -> UploadStore:
    """The uploads bucket, from the settings of the first event of a cold start."""
    return UploadStore(AttachmentSettings.from_env().uploads_bucket)


@logger.inject_lambda_context
def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Clean every posted file the event names; an error fails the invocation, which S3's async
    invocation retries (processing is safe to repeat)."""
    outcomes: dict[str, int] = {}
    for record in event.get("Records", []):
        # S3 URL-encodes keys in event notifications (a space arrives as "+").
        key = unquote_plus(record["s3"]["object"]["key"])
        outcome = process_upload(key, store=store())
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    logger.info("uploads processed", **outcomes)
    return outcomes
