"""Open311 GeoReport v2 against the running local stack, with a client no one here wrote.

The PyPI client ``georeport`` (0.3.1) lists services and service definitions and reads requests, in
JSON and in XML (it parses XML with xmltodict). It has no call for the discovery document and none
for filing a request, so those two steps are made with ``requests`` (the HTTP library georeport
itself uses) exactly as the specification puts them on the wire: ``GET discovery.json`` and a
form-encoded ``POST requests.{json,xml}``. Officials act through the officials' API with tokens from
``POST /_local/token``, and the client follows each request until it is closed.

A second part files and lists reports carrying privacy canaries (tests/e2e/test_canary.py) and
searches every Open311 answer, both formats, errors included, for them.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
from defusedxml import ElementTree
from georeport import GeoReport

from local.stack import LOCAL_OPEN311_KEY
from tests.e2e.conftest import Http
from tests.e2e.test_canary import leaks_in, make_canary

FORM = "application/x-www-form-urlencoded"
# Kota Bandung (32.73): health reports go to KEMENKES there (the test directory overrides only 31).
BANDUNG = {"lat": "-6.9175", "long": "107.6191"}


def discover(stack: Http) -> str:
    """The GeoReport v2 endpoint, as a client finds it: from the discovery document."""
    answer = requests.get(f"{stack.base}/open311/v2/discovery.json", timeout=30)
    assert answer.status_code == 200, answer.text
    (endpoint,) = [e for e in answer.json()["endpoints"] if e["specification"].endswith("GeoReport_v2")]
    assert {"application/json", "text/xml"} <= set(endpoint["formats"])
    return endpoint["url"]


def file_request(endpoint: str, fmt: str, **fields: str) -> requests.Response:
    """POST requests.{fmt} as the specification sends it: a form, with the partner's api_key."""
    form = {"api_key": LOCAL_OPEN311_KEY, "service_code": "kesehatan", **BANDUNG} | fields
    return requests.post(f"{endpoint}/requests.{fmt}", data=form, timeout=30)


def created_id(answer: requests.Response, fmt: str) -> tuple[str, str]:
    """The service_request_id and service_notice of a POST answer, in either format."""
    assert answer.status_code == 200, answer.text
    if fmt == "json":
        (created,) = answer.json()
        assert "token" not in created
        return created["service_request_id"], created["service_notice"]
    root = ElementTree.fromstring(answer.content)
    assert root.tag == "service_requests" and root.find("request/token") is None
    return root.findtext("request/service_request_id") or "", root.findtext("request/service_notice") or ""


def act(stack: Http, report_id: str, action: str, note: str) -> None:
    status, body = stack.call(
        "POST",
        f"/reports/{report_id}/actions",
        {"action": action, "note": note},
        stack.token("kemenkes-admin"),
    )
    assert status == 200, (action, status, body)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_georeport_client_discovers_lists_files_and_follows_a_request_to_closure(stack: Http, fmt: str):
    # Given the endpoint found through discovery and the georeport client in one format
    endpoint = discover(stack)
    client = GeoReport(endpoint, output_format=fmt)
    # When it lists the services and reads one's definition
    services = client.get_service_list()
    assert "kesehatan" in [service["service_code"] for service in services]
    definition = client.get_service_definition("kesehatan")
    attributes = definition["attributes"]["attribute"] if fmt == "xml" else definition["attributes"]
    assert [a["code"] for a in attributes] == ["kind", "region", "anonymous", "confidential"]
    regions = attributes[1]["values"]["value"] if fmt == "xml" else attributes[1]["values"]
    assert {"key": "32.73", "name": "Kota Bandung, Jawa Barat"} in regions
    # And files a request with the partner key (a form, as the specification sends it)
    media = "https://example.com/foto/puskesmas.jpg"
    report_id, notice = created_id(
        file_request(
            endpoint,
            fmt,
            description="Puskesmas Sukajadi tutup pada jam layanan hari Senin.",
            media_url=media,
            address_string="Jl. Sukajadi 5, Sukajadi, Kota Bandung",
        ),
        fmt,
    )
    assert "WIB" in notice
    # Then the client finds it, routed to the agency, with the verify deadline as expected_datetime
    routed = stack.wait_for(
        lambda: (found := client.get_service_request(report_id))["agency_responsible"] and found, timeout=30
    )
    assert routed["status"] == "open" and routed["agency_responsible"] == "Kementerian Kesehatan"
    view = stack.call("GET", f"/reports/{report_id}")[1]
    assert routed["expected_datetime"] == view["deadlines"]["verify_by"].replace(".999999", "")
    assert routed["media_url"] == media
    # And the officials read the link and the address in their view of the report
    official = stack.call("GET", f"/reports/{report_id}", headers=stack.token("kemenkes-admin"))[1]
    assert (official["media_url"], official["address"]) == (media, "Jl. Sukajadi 5, Sukajadi, Kota Bandung")
    # And follows it as officials act: each public note becomes the status notes
    act(stack, report_id, "verify", "Laporan diverifikasi, petugas dijadwalkan ke lokasi.")
    verified = client.get_service_request(report_id)
    assert verified["status"] == "open"
    assert verified["status_notes"] == "Laporan diverifikasi, petugas dijadwalkan ke lokasi."
    act(stack, report_id, "respond", "Kepala puskesmas sudah dipanggil.")
    act(stack, report_id, "complete", "Puskesmas kembali buka sesuai jadwal.")
    closed = client.get_service_request(report_id)
    assert closed["status"] == "closed"
    assert closed["status_notes"] == "Puskesmas kembali buka sesuai jadwal."
    # And the list of requests shows it closed, by id and by the status filter
    by_id = client.get_service_requests(service_request_id=report_id)
    listed = [by_id] if isinstance(by_id, dict) else by_id
    assert [r["status"] for r in listed] == ["closed"]
    recent = client.get_service_requests(status="closed", service_code="kesehatan")
    recent = [recent] if isinstance(recent, dict) else recent
    assert report_id in [r["service_request_id"] for r in recent]


def test_errors_reach_the_client_in_the_specifications_shape(stack: Http):
    endpoint = discover(stack)
    # A bad key: 403 in the requested format
    refused = file_request(
        endpoint, "xml", api_key="not-a-partner", description="Puskesmas tutup lagi hari ini."
    )
    assert refused.status_code == 403
    error = ElementTree.fromstring(refused.content).find("error")
    assert (
        error is not None
        and error.findtext("code") == "403"
        and "api_key" in (error.findtext("description") or "")
    )
    # An unknown request: georeport raises the HTTP error
    with pytest.raises(requests.HTTPError) as missing:
        GeoReport(endpoint).get_service_request("2222-2222-22222")
    assert missing.value.response.status_code == 404
    assert missing.value.response.json()[0]["code"] == 404


def _open311_answers(stack: Http, endpoint: str, ids: list[str]) -> dict[str, str]:
    answers = {}
    for fmt in ("json", "xml"):
        paths = [f"requests.{fmt}", *(f"requests/{i}.{fmt}" for i in ids), f"tokens/{ids[0]}.{fmt}"]
        paths.append(f"requests.{fmt}?service_request_id={','.join(ids)}")
        for path in paths:
            answer = requests.get(f"{endpoint}/{path}", timeout=30)
            assert answer.status_code == 200, (path, answer.text)
            answers[path] = answer.text
    return answers


def test_privacy_canaries_never_appear_in_an_open311_answer(stack: Http):
    # Given reports filed through Open311 by reporters whose contact details are canaries, typed
    # into the description too, and an official's note that quotes them
    canary = make_canary()
    endpoint = discover(stack)
    contact = {
        "email": canary.email,
        "phone": canary.phone_input,
        "first_name": "Ratna",
        "last_name": canary.surname,
    }
    named, _ = created_id(
        file_request(
            endpoint,
            "json",
            description=f"Puskesmas tutup. Saya {canary.name}, hubungi {canary.email} atau {canary.phone_input}.",
            **contact,
        ),
        "json",
    )
    anonymous, _ = created_id(
        file_request(
            endpoint,
            "json",
            description=f"Saya {canary.name}, puskesmas desa tutup sejak pagi.",
            **{"attribute[anonymous]": "true"},
            **contact,
        ),
        "json",
    )
    for report_id in (named, anonymous):
        stack.wait_for(
            lambda rid=report_id: stack.call("GET", f"/reports/{rid}")[1]["status"] != "received", timeout=30
        )
    act(stack, named, "verify", f"Sudah kami hubungi di {canary.phone_input}.")
    # And refusals that carry the canaries in their requests
    errors: dict[str, Any] = {
        "bad email": file_request(
            endpoint, "json", description="Puskesmas tutup lagi.", email=canary.email + "@"
        ),
        "bad phone": file_request(
            endpoint, "xml", description="Puskesmas tutup lagi.", phone=canary.phone_input + "999"
        ),
        "bad key": file_request(endpoint, "json", api_key=canary.email, description="Puskesmas tutup lagi."),
    }
    # When every Open311 answer about them is read, in both formats
    answers = _open311_answers(stack, endpoint, [named, anonymous])
    answers |= {f"error: {label}": answer.text for label, answer in errors.items()}
    assert all(answer.status_code in (400, 403) for answer in errors.values())
    # Then none carries the reporter's name, email or phone, in any written form
    assert (
        canary.email not in answers["requests/" + named + ".json"]
        and "[…]" in answers["requests/" + named + ".json"]
    )
    needles = canary.identity_needles()
    leaks = {
        path: found
        for path, text in answers.items()
        if (found := leaks_in(text, needles, digit_needles={"phone": "812" + canary.phone_digits}))
    }
    assert not leaks, leaks
