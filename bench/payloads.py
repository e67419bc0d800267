"""Realistic ``POST /reports`` bodies: a mix of categories, regions, tracks and contact choices."""

from __future__ import annotations

from typing import Any

# (title, description, region): routed by keywords, some by region, one on the COVID-19 track.
SAMPLES = (
    (
        "Jalan berlubang di depan sekolah",
        "Jalan rusak dan berlubang sepanjang 200 meter di depan SD Negeri, sudah tiga bulan belum diperbaiki.",
        "35.78",
    ),
    (
        "Antrean puskesmas terlalu lama",
        "Pasien menunggu lebih dari empat jam di puskesmas kecamatan, dokter jaga hanya satu orang.",
        "31.71",
    ),
    (
        "Bantuan sosial PKH tidak cair",
        "Kami terdaftar sebagai penerima bantuan PKH tetapi bansos tidak cair sejak dua bulan lalu.",
        "32.73",
    ),
    (
        "Air PDAM mati dua hari",
        "Air bersih dari PDAM mati total selama dua hari tanpa pemberitahuan, warga kesulitan air.",
        "31",
    ),
    (
        "Jadwal vaksin covid booster",
        "Saya ingin tahu jadwal vaksinasi covid booster untuk lansia di kelurahan kami.",
        "35",
    ),
    (
        "Pungutan liar pembuatan KTP",
        "Petugas meminta uang tambahan untuk mempercepat pembuatan KTP elektronik di kantor kecamatan.",
        "32",
    ),
)


def report_body(n: int, *, reporter_email: str | None = None) -> dict[str, Any]:
    """The n-th body of the mix; with ``reporter_email`` the reporter hears back by email."""
    title, description, region = SAMPLES[n % len(SAMPLES)]
    body: dict[str, Any] = {
        "kind": "complaint" if n % 5 else "aspiration",
        "title": f"{title} ({n})",
        "description": description,
        "region": region,
        "language": "id",
    }
    if reporter_email:
        body["reporter"] = {"name": "Warga Uji", "email": reporter_email}
    return body
