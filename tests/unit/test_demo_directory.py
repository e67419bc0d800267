"""The demo directory's keywords route the reports people actually write to the right place."""

from __future__ import annotations

from pathlib import Path

import pytest

from lapor.domain.directory import Directory, parse_directory
from lapor.domain.routing import route

ROOT = Path(__file__).resolve().parents[2]


def _load(path: Path) -> Directory:
    import yaml

    return parse_directory(yaml.safe_load(path.read_text()))


DIRECTORIES = {
    "demo": _load(ROOT / "local" / "directory.demo.yaml"),
    "test": _load(ROOT / "tests" / "data" / "directory.test.yaml"),
}


def _route(text: str, directory: Directory):
    return route(
        title=text,
        description="",
        requested_category=None,
        region=None,
        directory=directory,
        loads_of=lambda agency: {},
    )


@pytest.mark.parametrize("name", sorted(DIRECTORIES))
@pytest.mark.parametrize(
    "text",
    ["Vaksinasi covid19 di puskesmas ditunda", "Antrean vaksin COVID-19 tidak tertib", "Pasien covid19"],
)
def test_covid19_with_or_without_hyphen_takes_the_covid_track(name: str, text: str) -> None:
    # Given the demo (or test) directory
    # When a report names COVID-19 either way it is written (covid19.go.id writes it without hyphen)
    # Then the COVID-19 SOP applies
    assert _route(text, DIRECTORIES[name]).track == "covid19"


@pytest.mark.parametrize("name", sorted(DIRECTORIES))
def test_covid_inside_a_link_does_not_take_the_covid_track(name: str) -> None:
    # Given a report about a health clinic that quotes a link whose path says "covid"
    # When it is routed
    # Then the link's words are ignored: the standard track
    assert _route("Puskesmas tutup, lihat https://x.id/covid", DIRECTORIES[name]).track == "standard"


def test_a_blocked_sim_card_goes_to_telecommunications_not_the_police() -> None:
    # Given the demo directory
    # When a citizen reports a blocked SIM card
    assignment = _route("Kartu SIM diblokir tanpa pemberitahuan", DIRECTORIES["demo"])
    # Then it is a telecommunications matter, not a driving-licence (SIM) one
    assert (assignment.category, assignment.agency) == ("telekomunikasi", "KOMDIGI")


@pytest.mark.parametrize(
    "text",
    ["Perpanjangan SIM A dipersulit", "Ujian SIM C tidak transparan", "Pembuatan surat izin mengemudi"],
)
def test_a_driving_licence_still_goes_to_the_police(text: str) -> None:
    # Given the demo directory
    # When a citizen reports a driving-licence (SIM) service problem
    # Then it still reaches the police's service category
    assert _route(text, DIRECTORIES["demo"]).category == "pelayanan-kepolisian"
