"""Attachments through the real intake and attachments handlers on moto: presigned POST, S3 event,
EXIF/GPS stripped before officials can download, limits checked by content, lifecycle tags."""

from __future__ import annotations

import io
from typing import Any

import boto3
import pytest
import requests
from PIL import Image

from lapor.adapters.uploads import CLEAN, INCOMING, STATE_TAG
from local.pollers import S3EventPoller
from tests.helpers import api_event, context, response_json

VALID = {
    "title": "Jalan rusak di depan sekolah",
    "description": "Jalan berlubang besar di depan SD negeri, membahayakan murid.",
    "region": "3578",
}
# Not routed in these tests: the national admin (who may read every report) stands in for the agency.
OFFICIAL = {"custom:official_id": "panrb-admin"}


def call(method: str, path: str, body: Any = None, **kwargs: Any) -> dict[str, Any]:
    import intake_app

    return intake_app.lambda_handler(api_event(method, path, body, **kwargs), context("lapor-intake"))


def jpeg_with_gps(size: tuple[int, int] = (80, 60)) -> bytes:
    """A photo as phones take them: EXIF with a camera, an orientation and a GPS position."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # rotated: the cleaned copy must come out upright
    exif[0x8825] = {1: "S", 2: (6.0, 10.0, 30.0), 3: "E", 4: (106.0, 49.0, 12.0)}
    out = io.BytesIO()
    Image.new("RGB", size, (120, 90, 60)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def upload(data: bytes, *, filename: str = "foto jalan.jpg", content_type: str = "image/jpeg") -> str:
    """POST /uploads, then the browser's POST of the file to S3; the upload id."""
    ticket = call("POST", "/uploads", {"filename": filename, "content_type": content_type, "size": len(data)})
    assert ticket["statusCode"] == 201, ticket["body"]
    body = response_json(ticket)
    posted = requests.post(body["url"], data=body["fields"], files={"file": (filename, data)}, timeout=10)
    assert posted.status_code in (200, 201, 204), posted.text
    return body["upload_id"]


@pytest.fixture
def processor(aws) -> S3EventPoller:
    """The attachments function, invoked with the bucket's S3 events as S3 would."""
    import attachments_app

    attachments_app.store.cache_clear()
    return S3EventPoller(
        session=boto3.session.Session(),
        queue_url=aws.upload_events_url,
        queue_arn="",
        handler=attachments_app.lambda_handler,
        function_name="lapor-attachments",
    )


def process_all(processor: S3EventPoller) -> None:
    while processor.poll_once():
        pass


def test_a_photo_reaches_officials_without_its_gps(aws, processor):
    s3 = boto3.client("s3")
    bucket = aws.names.uploads_bucket
    # Given a phone photo with GPS EXIF, uploaded and cleaned on its S3 event
    upload_id = upload(jpeg_with_gps())
    process_all(processor)
    # When a report is filed with it
    created = call("POST", "/reports", VALID | {"attachments": [upload_id]})
    assert created["statusCode"] == 201, created["body"]
    report_id = response_json(created)["id"]
    # Then the public sees only how many files there are
    public = response_json(call("GET", f"/reports/{report_id}"))
    assert public["attachments_count"] == 1 and "attachments" not in public
    # ... the official gets a short-lived link to the cleaned copy, under the reporter's file name
    answer = call("GET", f"/reports/{report_id}/attachments", claims=OFFICIAL)
    assert answer["statusCode"] == 200, answer["body"]
    [view] = response_json(answer)
    assert view["status"] == "ready" and view["filename"] == "foto jalan.jpg"
    assert "X-Amz-Expires=300" in view["url"] or "Expires=" in view["url"]
    downloaded = requests.get(view["url"], timeout=10).content
    # ... which has no EXIF at all (no GPS, no camera) and is upright
    image = Image.open(io.BytesIO(downloaded))
    assert image.format == "JPEG" and dict(image.getexif()) == {} and b"Exif" not in downloaded
    assert image.size == (60, 80)
    # ... the file as posted is gone, and the cleaned copy is kept (tagged attached)
    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])}
    assert f"{INCOMING}{upload_id}" not in keys and f"{CLEAN}{upload_id}" in keys
    tags = s3.get_object_tagging(Bucket=bucket, Key=f"{CLEAN}{upload_id}")["TagSet"]
    assert {"Key": STATE_TAG, "Value": "attached"} in tags


def test_a_report_filed_before_the_photo_is_cleaned_keeps_it(aws, processor):
    # Given an upload whose S3 event has not been processed yet
    upload_id = upload(jpeg_with_gps())
    created = response_json(call("POST", "/reports", VALID | {"attachments": [upload_id]}))
    # Then officials see it as processing, with no link to the raw file
    [view] = response_json(call("GET", f"/reports/{created['id']}/attachments", claims=OFFICIAL))
    assert view["status"] == "processing" and view["url"] is None
    # When the processing function runs afterwards, the cleaned copy is still kept for the report
    process_all(processor)
    tags = boto3.client("s3").get_object_tagging(Bucket=aws.names.uploads_bucket, Key=f"{CLEAN}{upload_id}")
    assert {"Key": STATE_TAG, "Value": "attached"} in tags["TagSet"]
    [view] = response_json(call("GET", f"/reports/{created['id']}/attachments", claims=OFFICIAL))
    assert view["status"] == "ready"


def clean_once_before(method: str, processor: S3EventPoller, monkeypatch, *, on_key: str = "") -> None:
    """The processing function runs just before the first call of UploadStore.<method> (on a key
    starting with ``on_key``): the interleaving a browser gets when it files right after uploading."""
    from lapor.adapters.uploads import UploadStore

    real = getattr(UploadStore, method)
    pending = [True]

    def interleaved(store: UploadStore, key: str, *args: Any) -> Any:
        if pending and key.startswith(on_key):
            pending.clear()
            process_all(processor)
        return real(store, key, *args)

    monkeypatch.setattr(UploadStore, method, interleaved)


@pytest.mark.parametrize(
    ("method", "on_key"),
    [
        pytest.param("first_bytes", "", id="cleaned-between-find-and-read"),
        pytest.param("_head", INCOMING, id="cleaned-between-the-two-looks"),
    ],
)
def test_a_photo_cleaned_while_its_report_is_checked_is_attached(aws, processor, monkeypatch, method, on_key):
    # Given an upload the processing function cleans (and deletes as posted) while intake checks it
    upload_id = upload(jpeg_with_gps())
    clean_once_before(method, processor, monkeypatch, on_key=on_key)
    # When the report naming it is filed
    created = call("POST", "/reports", VALID | {"attachments": [upload_id]})
    # Then it is filed with the cleaned copy (not a 5xx, nor "unknown upload")
    assert created["statusCode"] == 201, created["body"]
    [view] = response_json(
        call("GET", f"/reports/{response_json(created)['id']}/attachments", claims=OFFICIAL)
    )
    assert view["status"] == "ready"


def test_a_file_refused_while_its_report_is_checked_is_unknown(aws, processor, monkeypatch):
    # Given an upload whose bytes are not the declared image, refused while intake checks it
    upload_id = upload(b"%PDF-1.7 not a photo at all", filename="foto.jpg")
    clean_once_before("first_bytes", processor, monkeypatch)
    # When the report naming it is filed, then the refusal names the attachment
    created = call("POST", "/reports", VALID | {"attachments": [upload_id]})
    assert created["statusCode"] == 422, created["body"]
    assert "attachments.0" in created["body"]


def test_an_upload_no_report_names_stays_tagged_to_expire(aws, processor):
    upload_id = upload(jpeg_with_gps())
    process_all(processor)
    tags = boto3.client("s3").get_object_tagging(Bucket=aws.names.uploads_bucket, Key=f"{CLEAN}{upload_id}")
    assert {"Key": STATE_TAG, "Value": "unattached"} in tags["TagSet"]
    rules = boto3.client("s3").get_bucket_lifecycle_configuration(Bucket=aws.names.uploads_bucket)["Rules"]
    assert any(r["ID"] == "unattached" and r["Expiration"]["Days"] == 2 for r in rules)


def test_a_pdf_is_kept_as_it_is(aws, processor):
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    upload_id = upload(pdf, filename="surat.pdf", content_type="application/pdf")
    process_all(processor)
    created = response_json(call("POST", "/reports", VALID | {"attachments": [upload_id]}))
    [view] = response_json(call("GET", f"/reports/{created['id']}/attachments", claims=OFFICIAL))
    assert requests.get(view["url"], timeout=10).content == pdf


@pytest.mark.parametrize(
    ("data", "declared", "filename"),
    [
        (b"MZ\x90\x00 this is a program", "image/jpeg", "foto.jpg"),  # a program named .jpg
        (b"%PDF-1.4 a document", "image/png", "gambar.png"),  # a PDF declared as a PNG
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "image/jpeg", "foto.jpg"),  # a PNG declared as a JPEG
    ],
)
def test_type_is_checked_by_content_not_by_name(aws, processor, data, declared, filename):
    upload_id = upload(data, filename=filename, content_type=declared)
    response = call("POST", "/reports", VALID | {"attachments": [upload_id]}, headers={
        "Content-Type": "application/json", "Accept-Language": "en"})  # fmt: skip
    assert response["statusCode"] == 422
    [error] = response_json(response)["errors"]
    assert error["field"] == "attachments.0" and error["code"] == "file_content"
    assert error["message"].startswith("Attachment no. 1 is not a complete JPEG/PNG photo or PDF")
    # ... and the processing function drops it rather than offering it to anyone
    process_all(processor)
    keys = {
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=aws.names.uploads_bucket).get("Contents", [])
    }
    assert not any(upload_id in key for key in keys if not key.startswith("attached/"))


def test_a_truncated_image_is_dropped_by_the_processor(aws, processor):
    broken = jpeg_with_gps()[:200]
    upload_id = upload(broken)
    process_all(processor)
    keys = {
        o["Key"]
        for o in boto3.client("s3").list_objects_v2(Bucket=aws.names.uploads_bucket).get("Contents", [])
    }
    assert f"{CLEAN}{upload_id}" not in keys and f"{INCOMING}{upload_id}" not in keys
    # ... so a report that names it is told the upload is gone, and asked to attach it again
    refused = response_json(call("POST", "/reports", VALID | {"attachments": [upload_id]}))
    assert refused["errors"][0]["code"] == "upload_unknown"


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        (
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10 * 1024 * 1024 + 1},
            "size",
            "file_too_large",
        ),
        ({"filename": "a.gif", "content_type": "image/gif", "size": 10}, "content_type", "file_type"),
        (
            {"filename": "a.exe", "content_type": "application/octet-stream", "size": 10},
            "content_type",
            "file_type",
        ),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": 0}, "size", "number_min"),
        ({"filename": "", "content_type": "image/jpeg", "size": 10}, "filename", "required"),
        ({"filename": "a.jpg", "content_type": "image/jpeg", "size": "10"}, "size", "not_integer"),
    ],
)
def test_upload_limits_are_refused_naming_the_field(aws, body, field, code):
    response = call("POST", "/uploads", body)
    assert response["statusCode"] == 422
    [error] = response_json(response)["errors"]
    assert (error["field"], error["code"]) == (field, code)
    if code == "file_too_large":
        assert (
            error["message"]
            == "Ukuran berkas terlalu besar: paling besar 10 MB. Perkecil foto atau pilih berkas lain."
        )


def test_at_most_five_attachments_each_once(aws):
    ids = [f"{i:032x}" for i in range(6)]
    too_many = call("POST", "/reports", VALID | {"attachments": ids})
    assert too_many["statusCode"] == 422
    assert response_json(too_many)["errors"][0]["field"] == "attachments"
    twice = call("POST", "/reports", VALID | {"attachments": [ids[0], ids[0]]})
    assert response_json(twice)["errors"][0]["code"] == "upload_duplicate"
    unknown = call("POST", "/reports", VALID | {"attachments": [ids[0]]})
    assert response_json(unknown)["errors"][0] == {
        "field": "attachments.0",
        "code": "upload_unknown",
        "message": "Lampiran ke-1 belum terunggah atau sudah kedaluwarsa. Lampirkan berkas itu lagi.",
    }


def test_officials_of_another_agency_cannot_list_attachments(aws, processor):
    upload_id = upload(jpeg_with_gps())
    created = response_json(call("POST", "/reports", VALID | {"attachments": [upload_id]}))
    other = call(
        "GET", f"/reports/{created['id']}/attachments", claims={"custom:official_id": "kemenkes-lo1"}
    )
    assert other["statusCode"] == 403
    nobody = call("GET", f"/reports/{created['id']}/attachments")
    assert nobody["statusCode"] == 401
