"""The evaluation emails, in Indonesian then English: figures per official, the agency's sum, and
where service can improve. Kept apart from ``render`` (the per-report notices) on purpose."""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from lapor.app.evaluation import FIGURES, AgencyEvaluation, Evaluation, Improvement
from lapor.domain.messages import RenderedEmail

_MONTH_NAMES = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
           "Oktober", "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"),
}  # fmt: skip

TEXT = {
    "id": {
        "subject": "Evaluasi admin dan penghubung {month}",
        "intro": "Evaluasi bulanan admin dan petugas penghubung {agency} untuk {month}. "
        "Grafik dan tabel (CSV) terlampir.",
        "national_intro": "Evaluasi bulanan seluruh instansi untuk {month}. Grafik dan tabel (CSV) terlampir.",
        "officials": "Per petugas",
        "agencies": "Per instansi",
        "total": "Jumlah instansi",
        "improve": "Yang perlu diperbaiki",
        "none": "Belum ada data.",
        "categories_most_reports": "Kategori dengan laporan terbanyak",
        "categories_slowest_follow_up": "Kategori dengan tindak lanjut terlama (rata-rata jam)",
        "regions_most_reports": "Provinsi dengan laporan terbanyak",
        "regions_slowest_follow_up": "Provinsi dengan tindak lanjut terlama (rata-rata jam)",
        "change": "bulan lalu {previous}, perubahan {change}",
        "new": "tidak ada pada bulan lalu",
        "columns": ("Nama", "Ditugaskan", "Diverifikasi", "Verifikasi tepat waktu", "Tindak lanjut tepat waktu",
                    "Median jam verifikasi", "Median jam tindak lanjut", "Eskalasi 1", "Eskalasi 2",
                    "Dibuka kembali", "Rata-rata penilaian", "Terbuka di akhir bulan"),
    },
    "en": {
        "subject": "Evaluation of admins and liaison officers, {month}",
        "intro": "Monthly evaluation of the admins and liaison officers of {agency} for {month}. "
        "The chart and the table (CSV) are attached.",
        "national_intro": "Monthly evaluation of every agency for {month}. The chart and the table (CSV) are attached.",
        "officials": "Per official",
        "agencies": "Per agency",
        "total": "Agency total",
        "improve": "What to improve",
        "none": "No data yet.",
        "categories_most_reports": "Categories with the most reports",
        "categories_slowest_follow_up": "Categories with the slowest follow-up (mean hours)",
        "regions_most_reports": "Provinces with the most reports",
        "regions_slowest_follow_up": "Provinces with the slowest follow-up (mean hours)",
        "change": "last month {previous}, change {change}",
        "new": "none last month",
        "columns": ("Name", "Assigned", "Verified", "Verified on time", "Followed up on time",
                    "Median hours to verify", "Median hours to follow up", "Escalations 1", "Escalations 2",
                    "Reopened", "Average rating", "Open at month end"),
    },
}  # fmt: skip


def month_label(month: str, language: str) -> str:
    """``2026-11`` as ``November 2026``."""
    return f"{_MONTH_NAMES[language][int(month[5:]) - 1]} {month[:4]}"


def _value(name: str, value: Any) -> str:
    if value is None:
        return "-"
    if name.endswith("_pct"):
        return f"{value:g}%"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _rows(entries: Sequence[tuple[str, dict[str, Any]]]) -> list[list[str]]:
    return [[label, *(_value(n, figures[n]) for n in FIGURES)] for label, figures in entries]


def _improve_lines(improve: dict[str, list[Improvement]], language: str) -> list[tuple[str, list[str]]]:
    words = TEXT[language]
    sections = []
    for key, items in improve.items():
        lines = []
        for item in items:
            if item.previous is None:
                trend = words["new"]
            else:
                trend = words["change"].format(previous=f"{item.previous:g}", change=f"{item.change:+g}")
            lines.append(f"{item.name}: {item.value:g} ({trend})")
        sections.append((words[key], lines or [words["none"]]))
    return sections


def _compose(
    subject: str,
    intros: dict[str, str],
    tables: dict[str, list[tuple[str, list[list[str]]]]],
    improve: dict[str, list[Improvement]] | None,
) -> RenderedEmail:
    text_parts: list[str] = []
    html_parts: list[str] = []
    for language in ("id", "en"):
        words = TEXT[language]
        text_parts.append(intros[language])
        html_parts.append(f'<div lang="{language}"><p>{html.escape(intros[language])}</p>')
        header = words["columns"]
        for heading, rows in tables[language]:
            text_parts.append(f"\n{heading}")
            text_parts += [
                "  " + "; ".join(f"{h}: {v}" for h, v in zip(header, row, strict=True)) for row in rows
            ]
            html_parts.append(f"<h2>{html.escape(heading)}</h2><table border='1' cellpadding='4'>")
            html_parts.append(
                "<tr>" + "".join(f"<th scope='col'>{html.escape(h)}</th>" for h in header) + "</tr>"
            )
            for row in rows:
                cells = f"<th scope='row'>{html.escape(row[0])}</th>" + "".join(
                    f"<td>{html.escape(cell)}</td>" for cell in row[1:]
                )
                html_parts.append(f"<tr>{cells}</tr>")
            html_parts.append("</table>")
        if improve is not None:
            text_parts.append(f"\n{words['improve']}")
            html_parts.append(f"<h2>{html.escape(words['improve'])}</h2>")
            for heading, lines in _improve_lines(improve, language):
                text_parts.append(f"  {heading}:")
                text_parts += [f"    - {line}" for line in lines]
                html_parts.append(f"<h3>{html.escape(heading)}</h3><ul>")
                html_parts += [f"<li>{html.escape(line)}</li>" for line in lines]
                html_parts.append("</ul>")
        text_parts.append("\n" + "-" * 40 + "\n")
        html_parts.append("</div><hr>")
    return RenderedEmail(subject=subject, text="\n".join(text_parts), html="\n".join(html_parts))


def agency_email(agency: AgencyEvaluation, month: str) -> RenderedEmail:
    """The email to an agency's admins and supervisor."""
    intros, tables = {}, {}
    for language in ("id", "en"):
        words = TEXT[language]
        intros[language] = words["intro"].format(agency=agency.name, month=month_label(month, language))
        entries = [(o.name, o.figures) for o in agency.officials] + [(words["total"], agency.totals)]
        tables[language] = [(words["officials"], _rows(entries))]
    subject = (
        f"{TEXT['id']['subject'].format(month=month_label(month, 'id'))} — {agency.name} / "
        f"{TEXT['en']['subject'].format(month=month_label(month, 'en'))}"
    )
    return _compose(subject, intros, tables, agency.improve)


def national_email(evaluation: Evaluation) -> RenderedEmail:
    """The email to the national admin: every agency's sum."""
    month = evaluation.period
    intros, tables = {}, {}
    for language in ("id", "en"):
        words = TEXT[language]
        intros[language] = words["national_intro"].format(month=month_label(month, language))
        entries = [(f"{a.name} ({a.code})", a.totals) for a in evaluation.agencies]
        tables[language] = [(words["agencies"], _rows(entries))]
    subject = (
        f"{TEXT['id']['subject'].format(month=month_label(month, 'id'))} — nasional / "
        f"{TEXT['en']['subject'].format(month=month_label(month, 'en'))} — national"
    )
    return _compose(subject, intros, tables, None)
