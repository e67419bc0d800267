"""The wording of every email and SMS, in Indonesian and English (texts only; render.py assembles them).

Reporters read their report's language; officials read Indonesian. ``{code}``, ``{agency}``,
``{category}``, ``{status}``, ``{stage}`` and, in the sentences about buttons, ``{button}``,
``{accept}`` and ``{reopen}`` are filled in by render.py; button labels are defined once here and
quoted by the sentences that mention them, so a button and the text that names it always agree.
"""

from __future__ import annotations

from msgspec import Struct

from lapor.domain.lifecycle import Status
from lapor.domain.messages import Event
from lapor.domain.models import Language, ReportKind


class Text(Struct, frozen=True):
    """One event's wording in one language; fields: code, agency, category, status, stage."""

    subject: str
    body: str
    sms: str


class Phrases(Struct, frozen=True):
    """Words shared by every event in one language."""

    greeting_official: str
    greeting_anyone: str
    greeting_reporter: str  # never by name: the name is reporter-typed text (no relay)
    labels: dict[str, str]
    kinds: dict[ReportKind, str]
    statuses: dict[Status, str]
    stages: dict[str, str]
    deadline_labels: dict[str, str]
    deadline: str
    deadline_missed: str
    sms_deadline: dict[str, str]
    sms_deadline_missed: str
    sms_note: str
    sms_reason: str
    note_official: str
    note_reason: str
    note: str
    completed_hint: str  # names the accept and reopen buttons
    receipt_hint: str  # in the acknowledgment: keep the receipt
    track_hint: str  # names the tracking button
    open_hint: str  # names the officials' button
    button_track: str
    button_open: str
    button_accept: str
    button_reopen: str
    anonymous: str
    no_name: str
    hidden: str
    uncategorised: str
    some_agency: str
    footer: str


PHRASES: dict[Language, Phrases] = {
    "id": Phrases(
        greeting_official="Yth. {name},",
        greeting_anyone="Yth. Bapak/Ibu,",
        greeting_reporter="Yth. Pelapor,",
        labels={
            "code": "Kode laporan",
            "kind": "Jenis",
            "category": "Kategori",
            "agency": "Instansi",
            "status": "Status",
            "assignee": "Petugas",
            "reporter": "Pelapor",
            "title": "Judul",
            "excerpt": "Ringkasan",
        },
        kinds={
            ReportKind.COMPLAINT: "Pengaduan",
            ReportKind.ASPIRATION: "Aspirasi",
            ReportKind.INFORMATION_REQUEST: "Permintaan informasi",
        },
        statuses={
            Status.RECEIVED: "diterima",
            Status.DISPATCHED: "diteruskan ke instansi berwenang",
            Status.VERIFIED: "terverifikasi",
            Status.IN_PROGRESS: "sedang ditindaklanjuti",
            Status.COMPLETED: "selesai ditanggapi",
            Status.CLOSED: "ditutup",
            Status.REJECTED: "ditolak",
        },
        stages={"verify": "verifikasi", "follow_up": "tindak lanjut", "resolve": "penyelesaian"},
        deadline_labels={
            "verify_by": "Batas waktu verifikasi",
            "follow_up_by": "Batas waktu tindak lanjut",
            "resolve_by": "Batas waktu penyelesaian",
            "close_after": "Batas waktu menerima atau membuka kembali jawaban",
        },
        deadline="{label}: {when}.",
        deadline_missed="{label} terlewati: {when}.",
        sms_deadline={
            "verify_by": "Verifikasi s.d. {when}.",
            "follow_up_by": "Tindak lanjut s.d. {when}.",
            "resolve_by": "Selesai s.d. {when}.",
            "close_after": "Tanggapi s.d. {when}.",
        },
        sms_deadline_missed="Batas waktu {when}.",
        sms_note="Catatan: ",
        sms_reason="Alasan: ",
        note_official="Catatan petugas",
        note_reason="Alasan pelapor membuka kembali",
        note="Catatan",
        completed_hint=(
            "Bila masalah Anda sudah selesai, pilih tombol “{accept}”; bila belum, pilih “{reopen}”. "
            "Kedua tombol membuka formulir tanggapan dengan tanda terima Anda sudah terisi, jadi Anda "
            "tidak perlu mengetiknya. Tanpa tanggapan, laporan ditutup otomatis."
        ),
        receipt_hint=(
            "Simpan tanda terima yang tampil setelah Anda mengirim laporan: tanda terima diperlukan "
            "untuk menerima atau membuka kembali jawaban instansi. Saat laporan selesai, email "
            "pemberitahuannya memuat tombol dengan tanda terima yang sudah terisi."
        ),
        track_hint="Pantau perkembangan laporan dengan tombol “{button}” di bawah.",
        open_hint="Buka laporan ini di ruang kerja petugas dengan tombol “{button}” di bawah.",
        button_track="Pantau laporan",
        button_open="Buka laporan",
        button_accept="Terima jawaban",
        button_reopen="Buka kembali",
        anonymous="Anonim (identitas dirahasiakan)",
        no_name="Tidak mencantumkan nama",
        hidden="[disembunyikan]",
        uncategorised="Tanpa kategori",
        some_agency="instansi berwenang",
        footer="Pesan ini dikirim otomatis oleh Lapor. Mohon tidak membalas email ini.",
    ),
    "en": Phrases(
        greeting_official="Dear {name},",
        greeting_anyone="Dear Sir or Madam,",
        greeting_reporter="Dear reporter,",
        labels={
            "code": "Tracking code",
            "kind": "Kind",
            "category": "Category",
            "agency": "Agency",
            "status": "Status",
            "assignee": "Assigned official",
            "reporter": "Reporter",
            "title": "Title",
            "excerpt": "Summary",
        },
        kinds={
            ReportKind.COMPLAINT: "Complaint",
            ReportKind.ASPIRATION: "Aspiration",
            ReportKind.INFORMATION_REQUEST: "Information request",
        },
        statuses={
            Status.RECEIVED: "received",
            Status.DISPATCHED: "sent to the competent agency",
            Status.VERIFIED: "verified",
            Status.IN_PROGRESS: "being followed up",
            Status.COMPLETED: "answered",
            Status.CLOSED: "closed",
            Status.REJECTED: "rejected",
        },
        stages={"verify": "verification", "follow_up": "follow-up", "resolve": "resolution"},
        deadline_labels={
            "verify_by": "Verification deadline",
            "follow_up_by": "Follow-up deadline",
            "resolve_by": "Resolution deadline",
            "close_after": "Deadline to accept or reopen the answer",
        },
        deadline="{label}: {when}.",
        deadline_missed="{label} missed: {when}.",
        sms_deadline={
            "verify_by": "Verify by {when}.",
            "follow_up_by": "Follow up by {when}.",
            "resolve_by": "Resolve by {when}.",
            "close_after": "Reply by {when}.",
        },
        sms_deadline_missed="Deadline was {when}.",
        sms_note="Note: ",
        sms_reason="Reason: ",
        note_official="Note from the official",
        note_reason="The reporter's reason for reopening",
        note="Note",
        completed_hint=(
            "If your problem is solved, choose “{accept}”; if it is not, choose “{reopen}”. Both "
            "buttons open the response form with your receipt already filled in, so you do not need "
            "to type it. Without a reply, the report closes automatically."
        ),
        receipt_hint=(
            "Keep the receipt shown after you filed the report: it is needed to accept or reopen the "
            "agency's answer. When the report is completed, that email has buttons with the receipt "
            "already filled in."
        ),
        track_hint="Follow the report's progress with the “{button}” button below.",
        open_hint="Open this report in the officials' workspace with the “{button}” button below.",
        button_track="Track your report",
        button_open="Open the report",
        button_accept="Accept the answer",
        button_reopen="Reopen",
        anonymous="Anonymous (identity withheld)",
        no_name="No name given",
        hidden="[hidden]",
        uncategorised="Uncategorised",
        some_agency="the competent agency",
        footer="This message was sent automatically by Lapor. Please do not reply to this email.",
    ),
}

TEXTS: dict[Language, dict[Event, Text]] = {
    "id": {
        Event.ASSIGNED: Text(
            subject="Laporan baru untuk diverifikasi",
            body=(
                "Laporan baru telah didisposisikan kepada Anda di {agency}. Mohon verifikasi laporan "
                "ini dan tetapkan tindak lanjutnya."
            ),
            sms="LAPOR! {code}: laporan baru ({category}) utk Anda verifikasi.",
        ),
        Event.CC: Text(
            subject="Tembusan laporan untuk koordinasi",
            body=(
                "Laporan ini telah didisposisikan kepada {agency} sebagai instansi berwenang. Tembusan "
                "ini dikirim kepada instansi Anda untuk koordinasi; tidak ada tindakan yang diwajibkan "
                "kecuali diperlukan koordinasi."
            ),
            sms="LAPOR! {code}: tembusan laporan ({category}) yg didisposisikan ke {agency}.",
        ),
        Event.TRIAGE: Text(
            subject="Laporan perlu triase manual",
            body=(
                "Laporan ini tidak cocok dengan kategori mana pun sehingga belum dapat diteruskan "
                "secara otomatis. Mohon tentukan kategori dan instansi berwenang, lalu teruskan laporan."
            ),
            sms="LAPOR! {code}: laporan tanpa kategori, perlu triase manual.",
        ),
        Event.RECEIVED: Text(
            subject="Laporan Anda telah diterima",
            body=(
                "Terima kasih. Laporan Anda telah kami terima dan diteruskan kepada {agency}. Simpan "
                "kode pelacakan {code} untuk memantau perkembangannya."
            ),
            sms="LAPOR! {code}: laporan Anda diterima & diteruskan ke {agency}.",
        ),
        Event.STATUS: Text(
            subject="Status laporan: {status}",
            body="Status laporan Anda kini: {status}.",
            sms="LAPOR! {code}: status laporan Anda kini {status}.",
        ),
        Event.REOPENED: Text(
            subject="Laporan dibuka kembali oleh pelapor",
            body=(
                "Pelapor belum puas dengan jawaban atas laporan ini dan membukanya kembali. Mohon "
                "tindak lanjuti kembali."
            ),
            sms="LAPOR! {code}: laporan dibuka kembali oleh pelapor, mohon ditindaklanjuti.",
        ),
        Event.FORWARDED: Text(
            subject="Laporan dialihkan ke instansi lain",
            body=(
                "Laporan ini telah diteruskan kepada {agency} dan tidak lagi ditangani oleh Anda. Tidak "
                "ada tindakan lebih lanjut yang diperlukan."
            ),
            sms="LAPOR! {code}: laporan diteruskan ke {agency}, tidak lagi ditangani Anda.",
        ),
        Event.ESCALATION_1: Text(
            subject="Eskalasi: batas waktu {stage} terlewati",
            body=(
                "Batas waktu {stage} laporan ini telah terlewati. Mohon segera ditindaklanjuti; bila "
                "masih terlambat dua hari kerja lagi, laporan dieskalasi kepada pimpinan instansi dan "
                "admin nasional."
            ),
            sms="LAPOR! {code}: ESKALASI - batas {stage} terlewati.",
        ),
        Event.ESCALATION_2: Text(
            subject="Eskalasi tingkat 2: {stage} terlambat",
            body=(
                "Tahap {stage} laporan ini masih terlambat dua hari kerja setelah batas waktunya. "
                "Mohon pastikan laporan segera ditangani."
            ),
            sms="LAPOR! {code}: ESKALASI 2 - {stage} terlambat 2 hari kerja.",
        ),
        Event.RESOLVE_MISSED: Text(
            subject="Batas waktu penyelesaian terlewati",
            body=(
                "Laporan ini belum selesai dalam batas waktu penyelesaian. Pemberitahuan ini dikirim "
                "kepada admin nasional dan Ombudsman Republik Indonesia untuk pengawasan."
            ),
            sms="LAPOR! {code}: batas penyelesaian terlewati.",
        ),
    },
    "en": {
        Event.ASSIGNED: Text(
            subject="New report to verify",
            body=(
                "A new report has been assigned to you at {agency}. Please verify it and decide how it "
                "will be followed up."
            ),
            sms="LAPOR! {code}: new report ({category}) for you to verify.",
        ),
        Event.CC: Text(
            subject="Copy of a report for coordination",
            body=(
                "This report has been assigned to {agency}, the competent agency. This copy is sent to "
                "your agency for coordination; no action is required unless coordination is needed."
            ),
            sms="LAPOR! {code}: copy of a report ({category}) assigned to {agency}.",
        ),
        Event.TRIAGE: Text(
            subject="Report needs manual triage",
            body=(
                "This report matched no category, so it could not be routed automatically. Please "
                "choose its category and the competent agency, then forward it."
            ),
            sms="LAPOR! {code}: uncategorised report needs manual triage.",
        ),
        Event.RECEIVED: Text(
            subject="Your report has been received",
            body=(
                "Thank you. We have received your report and sent it to {agency}. Keep the tracking "
                "code {code} to follow its progress."
            ),
            sms="LAPOR! {code}: your report was received and sent to {agency}.",
        ),
        Event.STATUS: Text(
            subject="Report status: {status}",
            body="Your report is now: {status}.",
            sms="LAPOR! {code}: your report is now {status}.",
        ),
        Event.REOPENED: Text(
            subject="Report reopened by the reporter",
            body=(
                "The reporter was not satisfied with the answer and reopened this report. Please follow "
                "it up again."
            ),
            sms="LAPOR! {code}: the reporter reopened this report; please follow it up.",
        ),
        Event.FORWARDED: Text(
            subject="Report moved to another agency",
            body=(
                "This report has been forwarded to {agency} and is no longer assigned to you. No further "
                "action is needed."
            ),
            sms="LAPOR! {code}: report forwarded to {agency}; no longer assigned to you.",
        ),
        Event.ESCALATION_1: Text(
            subject="Escalation: {stage} deadline missed",
            body=(
                "The {stage} deadline of this report has passed. Please act on it now; if it is still "
                "overdue two working days from now, it is escalated to the agency's supervisor and the "
                "national admin."
            ),
            sms="LAPOR! {code}: ESCALATION - {stage} deadline missed.",
        ),
        Event.ESCALATION_2: Text(
            subject="Level 2 escalation: {stage} overdue",
            body=(
                "The {stage} of this report is still overdue two working days after its deadline. "
                "Please make sure it is handled now."
            ),
            sms="LAPOR! {code}: ESCALATION 2 - {stage} overdue by 2 working days.",
        ),
        Event.RESOLVE_MISSED: Text(
            subject="Resolution deadline missed",
            body=(
                "This report was not resolved within its resolution deadline. This notice goes to the "
                "national admin and the Ombudsman of the Republic of Indonesia for oversight."
            ),
            sms="LAPOR! {code}: resolution deadline missed.",
        ),
    },
}
