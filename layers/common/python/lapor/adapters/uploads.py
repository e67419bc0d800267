"""The uploads bucket: presigned POSTs for reporters, cleaned copies for officials, nothing public.

Key layout (lifecycle rules in the CDK stack and the local stack follow it):

- ``incoming/<id>``: the file exactly as the reporter's browser posted it; the processing function
  reads it on its S3 event and deletes it; expires after a day whatever happens.
- ``clean/<id>``: the copy officials download: images re-encoded without EXIF/GPS, PDFs as they were.
  Tagged ``lapor-state=unattached`` when written and ``attached`` once a report names it; the
  unattached ones expire (a reporter who uploaded and never sent the report).
- ``attached/<id>``: a marker written when a report names the upload, so the processing function,
  which may finish after the report was filed, tags its clean copy ``attached`` too.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote, unquote

from msgspec import Struct

from lapor.adapters.aws import client as aws_client

INCOMING = "incoming/"
CLEAN = "clean/"
ATTACHED = "attached/"
STATE_TAG = "lapor-state"
NAME_METADATA = "name"  # x-amz-meta-name: the file's name as the reporter chose it, URL-quoted
# Lifecycle, in days: raw posts never outlive a day; files no report named go after two.
INCOMING_EXPIRY_DAYS = 1
UNATTACHED_EXPIRY_DAYS = 2
MARKER_EXPIRY_DAYS = 2


def lifecycle_rules() -> list[dict[str, Any]]:
    """The bucket's lifecycle (S3 API shape), shared by the CDK stack and the local stack."""
    return [
        {"ID": "incoming", "Status": "Enabled", "Filter": {"Prefix": INCOMING},
         "Expiration": {"Days": INCOMING_EXPIRY_DAYS}},
        {"ID": "unattached", "Status": "Enabled",
         "Filter": {"And": {"Prefix": CLEAN, "Tags": [{"Key": STATE_TAG, "Value": "unattached"}]}},
         "Expiration": {"Days": UNATTACHED_EXPIRY_DAYS}},
        {"ID": "markers", "Status": "Enabled", "Filter": {"Prefix": ATTACHED},
         "Expiration": {"Days": MARKER_EXPIRY_DAYS}},
        {"ID": "abort-multipart", "Status": "Enabled", "Filter": {"Prefix": ""},
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}},
    ]  # fmt: skip


class StoredUpload(Struct, frozen=True):
    """What the bucket knows about one upload."""

    key: str
    content_type: str
    size: int
    filename: str
    clean: bool  # True: the cleaned copy; False: still as uploaded


class UploadStore:
    """One uploads bucket."""

    def __init__(self, bucket: str, *, client: Any = None) -> None:
        self.bucket = bucket
        self._client = client

    @property
    def client(self) -> Any:
        """The S3 client, created on first use."""
        if self._client is None:
            self._client = aws_client("s3")
        return self._client

    def presigned_post(
        self, upload_id: str, *, content_type: str, size: int, filename: str, expires_in: int
    ) -> dict[str, Any]:
        """A presigned POST for exactly this file: its key, type, name and at most its declared size."""
        name = quote(filename, safe="")
        fields = {"Content-Type": content_type, f"x-amz-meta-{NAME_METADATA}": name}
        conditions: list[Any] = [
            {"Content-Type": content_type},
            {f"x-amz-meta-{NAME_METADATA}": name},
            ["content-length-range", 1, size],
        ]
        return self.client.generate_presigned_post(
            self.bucket, INCOMING + upload_id, Fields=fields, Conditions=conditions, ExpiresIn=expires_in
        )

    def find(self, upload_id: str) -> StoredUpload | None:
        """The cleaned copy if there is one, else the upload as posted; None when neither exists."""
        # The processing function writes clean/ before it deletes incoming/, so a file cleaned
        # between the first two looks is in clean/ by the time incoming/ is found gone.
        for prefix, clean in ((CLEAN, True), (INCOMING, False), (CLEAN, True)):
            head = self._head(prefix + upload_id)
            if head is not None:
                return StoredUpload(
                    key=prefix + upload_id,
                    content_type=head.get("ContentType", ""),
                    size=int(head.get("ContentLength", 0)),
                    filename=unquote((head.get("Metadata") or {}).get(NAME_METADATA, "")),
                    clean=clean,
                )
        return None

    def first_bytes(self, key: str, count: int) -> bytes | None:
        """The first ``count`` bytes of an object (a ranged GET); None when it no longer exists."""
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key, Range=f"bytes=0-{count - 1}")
        except self.client.exceptions.NoSuchKey:
            return None
        return response["Body"].read()

    def read(self, key: str) -> tuple[bytes, dict[str, str]]:
        """An object's bytes and its user metadata."""
        response = self.client.get_object(Bucket=self.bucket, Key=key)
        return response["Body"].read(), response.get("Metadata") or {}

    def put_clean(self, upload_id: str, data: bytes, *, content_type: str, metadata: dict[str, str]) -> None:
        """Store the copy officials may download, tagged unattached until a report names it."""
        self.client.put_object(
            Bucket=self.bucket,
            Key=CLEAN + upload_id,
            Body=data,
            ContentType=content_type,
            Metadata=metadata,
            Tagging=f"{STATE_TAG}=unattached",
        )

    def delete_incoming(self, upload_id: str) -> None:
        """Remove the file as posted (with its metadata) once it has been cleaned or refused."""
        self.client.delete_object(Bucket=self.bucket, Key=INCOMING + upload_id)

    def delete_attachment(self, upload_id: str) -> int:
        """Delete every copy of an attachment (as posted, cleaned, and its marker); how many existed."""
        deleted = 0
        for key in (INCOMING + upload_id, CLEAN + upload_id, ATTACHED + upload_id):
            if self._head(key) is not None:
                self.client.delete_object(Bucket=self.bucket, Key=key)
                deleted += 1
        return deleted

    def mark_attached(self, upload_id: str, report_id: str) -> None:
        """Record that a report names this upload (read by the processing function)."""
        self.client.put_object(Bucket=self.bucket, Key=ATTACHED + upload_id, Body=report_id.encode())

    def is_marked_attached(self, upload_id: str) -> bool:
        """Whether a report has named this upload."""
        return self._head(ATTACHED + upload_id) is not None

    def keep_clean_copy(self, upload_id: str) -> bool:
        """Tag the cleaned copy ``attached`` so the lifecycle keeps it; False when it does not exist yet."""
        from botocore.exceptions import ClientError

        try:
            self.client.put_object_tagging(
                Bucket=self.bucket,
                Key=CLEAN + upload_id,
                Tagging={"TagSet": [{"Key": STATE_TAG, "Value": "attached"}]},
            )
        except ClientError as error:
            if _status(error) == 404:
                return False
            raise
        return True

    def download_url(self, upload_id: str, *, filename: str, content_type: str, expires_in: int) -> str:
        """A short-lived GET URL of the cleaned copy, saved under its name."""
        disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
        return self.client.generate_presigned_url(
            "get_object",
            Params={
                "Bucket": self.bucket,
                "Key": CLEAN + upload_id,
                "ResponseContentDisposition": disposition,
                "ResponseContentType": content_type,
            },
            ExpiresIn=expires_in,
        )

    def _head(self, key: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        try:
            return self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError as error:  # a HEAD's 404 carries no error code, only the status
            if _status(error) == 404:
                return None
            raise


def _status(error: Exception) -> int | None:
    response = getattr(error, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode")


def expiry(now: datetime, seconds: int) -> datetime:
    """When a presigned URL made at ``now`` for ``seconds`` stops working."""
    return now + timedelta(seconds=seconds)
