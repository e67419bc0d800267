"""The message catalogue: every error a citizen or an official can read, in Indonesian and English.

One catalogue serves the API's 4xx answers (chosen by ``Accept-Language``) and the web pages, which
load it from ``GET /messages`` and validate their forms with the same words; nothing is kept twice.
A message names the field in words and says how to put it right. ``{field}`` in a template is the
field's name in the message's language; other placeholders are the parameters the raiser passes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal

Lang = Literal["id", "en"]
LANGUAGES: tuple[Lang, ...] = ("id", "en")
DEFAULT_LANGUAGE: Lang = "id"

# How each input field is named in messages. Keys are the API's field paths (as in ``errors[].field``).
FIELDS: dict[str, dict[Lang, str]] = {
    "body": {"id": "Isi permintaan", "en": "The request body"},
    "kind": {"id": "Jenis laporan", "en": "Type of report"},
    "title": {"id": "Judul laporan", "en": "Title"},
    "description": {"id": "Isi laporan", "en": "Description"},
    "category": {"id": "Kategori", "en": "Category"},
    "region": {"id": "Wilayah", "en": "Region"},
    "location": {"id": "Lokasi", "en": "Location"},
    "location.lat": {"id": "Garis lintang", "en": "Latitude"},
    "location.lon": {"id": "Garis bujur", "en": "Longitude"},
    "occurred_on": {"id": "Tanggal kejadian", "en": "Date it happened"},
    "anonymous": {"id": "Pilihan anonim", "en": "The anonymous choice"},
    "confidential": {"id": "Pilihan rahasia", "en": "The confidential choice"},
    "language": {"id": "Bahasa pemberitahuan", "en": "Language for updates"},
    "reporter": {"id": "Data pelapor", "en": "Your details"},
    "reporter.name": {"id": "Nama", "en": "Name"},
    "reporter.email": {"id": "Email", "en": "Email"},
    "reporter.phone": {"id": "Nomor ponsel", "en": "Mobile number"},
    "attachments": {"id": "Lampiran", "en": "Attachment"},
    "receipt": {"id": "Tanda terima", "en": "Receipt"},
    "action": {"id": "Tindakan", "en": "Action"},
    "rating": {"id": "Penilaian", "en": "Rating"},
    "comment": {"id": "Komentar", "en": "Comment"},
    "note": {"id": "Catatan", "en": "Note"},
    "to_agency": {"id": "Instansi tujuan", "en": "Receiving agency"},
    "status": {"id": "Status", "en": "Status"},
    "cursor": {"id": "Penanda halaman (cursor)", "en": "The page cursor"},
    "period": {"id": "Periode", "en": "Period"},
    "q": {"id": "Kata pencarian", "en": "The search text"},
    "parent": {"id": "Wilayah induk", "en": "The parent region"},
    "limit": {"id": "Jumlah hasil", "en": "The number of results"},
    "filename": {"id": "Nama berkas", "en": "File name"},
    "content_type": {"id": "Jenis berkas", "en": "File type"},
    "size": {"id": "Ukuran berkas", "en": "File size"},
    "report_id": {"id": "Kode pelacakan", "en": "Tracking code"},
    "code": {"id": "Kode pelacakan", "en": "Tracking code"},
    "Idempotency-Key": {"id": "Header Idempotency-Key", "en": "The Idempotency-Key header"},
    "Content-Type": {"id": "Header Content-Type", "en": "The Content-Type header"},
    "official_id": {"id": "ID petugas", "en": "Official id"},
    "to_official": {"id": "Petugas tujuan", "en": "Receiving official"},
    "agency": {"id": "Instansi", "en": "Agency"},
    "scope": {"id": "Kotak masuk", "en": "Inbox"},
    "sort": {"id": "Urutan", "en": "Sort order"},
    "overdue": {"id": "Pilihan terlambat", "en": "The overdue choice"},
    "track": {"id": "Jalur penanganan", "en": "Handling track"},
    "mfa": {"id": "Aplikasi autentikator", "en": "Authenticator app"},
    "Authorization": {"id": "Header Authorization", "en": "The Authorization header"},
    "token": {"id": "ID token", "en": "ID token"},
    # Open311 GeoReport v2 arguments (their names are the specification's)
    "api_key": {"id": "Kunci API (api_key)", "en": "The API key (api_key)"},
    "service_code": {"id": "Kode layanan (service_code)", "en": "The service code (service_code)"},
    "service_request_id": {
        "id": "Kode pelacakan (service_request_id)",
        "en": "Tracking code (service_request_id)",
    },
    "lat": {"id": "Garis lintang (lat)", "en": "Latitude (lat)"},
    "long": {"id": "Garis bujur (long)", "en": "Longitude (long)"},
    "address_string": {"id": "Alamat (address_string)", "en": "Address (address_string)"},
    "email": {"id": "Email", "en": "Email"},
    "phone": {"id": "Nomor ponsel", "en": "Mobile number"},
    "first_name": {"id": "Nama", "en": "Name"},
    "last_name": {"id": "Nama belakang", "en": "Last name"},
    "device_id": {"id": "ID perangkat", "en": "Device id"},
    "media_url": {"id": "Tautan media (media_url)", "en": "Media link (media_url)"},
    "start_date": {"id": "Tanggal mulai (start_date)", "en": "Start date (start_date)"},
    "end_date": {"id": "Tanggal akhir (end_date)", "en": "End date (end_date)"},
    "attribute[kind]": {"id": "Jenis laporan (attribute[kind])", "en": "Type of report (attribute[kind])"},
    "attribute[region]": {"id": "Wilayah (attribute[region])", "en": "Region (attribute[region])"},
    "attribute[anonymous]": {
        "id": "Pilihan anonim (attribute[anonymous])",
        "en": "The anonymous choice (attribute[anonymous])",
    },
    "attribute[confidential]": {
        "id": "Pilihan rahasia (attribute[confidential])",
        "en": "The confidential choice (attribute[confidential])",
    },
    "format": {"id": "Format jawaban", "en": "The answer format"},
}

# Every message, by id. Ids are what the API's ``errors[].code`` carries and what pages look up.
MESSAGES: dict[str, dict[Lang, str]] = {
    # --- answers as a whole
    "invalid_input": {"id": "Periksa isian yang ditandai.", "en": "Please check the marked fields."},
    "malformed": {
        "id": "Permintaan tidak dapat dibaca. Kirim ulang dari formulir.",
        "en": "The request could not be read. Send it again from the form.",
    },
    "route_not_found": {
        "id": "Alamat ini tidak ada di API Lapor.",
        "en": "There is no such address in the Lapor API.",
    },
    "not_configured": {
        "id": "Layanan belum siap dipakai. Silakan coba lagi nanti.",
        "en": "The service is not ready yet. Please try again later.",
    },
    "sign_in": {
        "id": "Masuk sebagai petugas yang aktif untuk melanjutkan.",
        "en": "Sign in as an active official to continue.",
    },
    "read_only": {
        "id": "Instansi Anda hanya dapat membaca laporan ini, tidak menindaklanjutinya.",
        "en": "Your agency may read this report but not act on it.",
    },
    "role_forbidden": {
        "id": "Peran Anda tidak boleh melakukan tindakan ini pada laporan ini.",
        "en": "Your role may not make this move on this report.",
    },
    "assign_forbidden": {
        "id": "Hanya admin dan atasan instansi, atau admin nasional, yang dapat mengalihkan laporan instansi ini.",
        "en": "Only the agency's admins and supervisor, or the national admin, assign this agency's reports.",
    },
    "mfa_required": {
        "id": "Peran Anda wajib masuk dengan aplikasi autentikator. Aktifkan dulu untuk melanjutkan.",
        "en": "Your role signs in with an authenticator app. Set one up to continue.",
    },
    "other_agency": {
        "id": "Laporan ini ditangani instansi lain; Anda tidak dapat membukanya.",
        "en": "This report is handled by another agency; you cannot open it.",
    },
    "report_not_found": {
        "id": "Tidak ada laporan dengan kode pelacakan {code}. Periksa kembali kode Anda.",
        "en": "There is no report with tracking code {code}. Please check the code.",
    },
    "transition": {
        "id": "Tindakan ini tidak dapat dilakukan karena laporan berstatus {status}.",
        "en": "This action is not possible because the report is {status}.",
    },
    "concurrent_update": {
        "id": "Laporan baru saja berubah. Muat ulang laporan, lalu coba lagi.",
        "en": "The report has just changed. Reload it and try again.",
    },
    "reopen_window": {
        "id": "Jawaban hanya dapat dibuka kembali dalam {days} hari kerja setelah laporan selesai.",
        "en": "The answer can be reopened only within {days} working days after the report was completed.",
    },
    "reopen_limit": {
        "id": "Jawaban laporan ini sudah dibuka kembali {max} kali, batas yang diizinkan. Bila Anda masih "
        "belum puas, sampaikan pengaduan kepada Ombudsman Republik Indonesia (ombudsman.go.id) dengan "
        "menyebut kode pelacakan laporan ini.",
        "en": "This report's answer has already been reopened {max} times, the most allowed. If you are "
        "still not satisfied, complain to the Ombudsman of the Republic of Indonesia (ombudsman.go.id), "
        "quoting this report's tracking code.",
    },
    "report_full": {
        "id": "Laporan ini tidak dapat menampung isian lagi. Hubungi instansi atau Ombudsman Republik "
        "Indonesia dengan menyebut kode pelacakannya.",
        "en": "This report cannot hold any more entries. Contact the agency or the Ombudsman of the "
        "Republic of Indonesia, quoting its tracking code.",
    },
    # --- timeline notes
    "messages_skipped": {
        "id": "Pemberitahuan laporan ini tidak dikirim ke kontak pelapor: kontak itu sudah menerima "
        "pemberitahuan untuk {max} laporan baru hari ini. Pantau laporan dengan kode pelacakannya.",
        "en": "No updates on this report are sent to the reporter's contact: it already had updates for "
        "{max} new reports today. Follow the report with its tracking code.",
    },
    "idempotency_in_progress": {
        "id": "Permintaan yang sama masih diproses. Tunggu sebentar, lalu coba lagi.",
        "en": "The same request is still being processed. Wait a moment and try again.",
    },
    "body_too_large": {
        "id": "{field} terlalu besar: paling banyak {max} bita.",
        "en": "{field} is too large: at most {max} bytes.",
    },
    "json_required": {
        "id": "Kirim isi permintaan sebagai JSON ({field}: application/json).",
        "en": "Send the request body as JSON ({field}: application/json).",
    },
    "json_invalid": {
        "id": "{field} tidak dapat dibaca sebagai JSON. Kirim ulang dari formulir.",
        "en": "{field} could not be read as JSON. Send it again from the form.",
    },
    # --- one field
    "required": {"id": "{field} wajib diisi.", "en": "{field} is required."},
    "too_short": {
        "id": "{field} terlalu pendek: tulis paling sedikit {min} karakter.",
        "en": "{field} is too short: write at least {min} characters.",
    },
    "too_long": {
        "id": "{field} terlalu panjang: paling banyak {max} karakter.",
        "en": "{field} is too long: at most {max} characters.",
    },
    "not_text": {"id": "{field} harus berupa teks.", "en": "{field} must be text."},
    "not_boolean": {"id": "{field} harus bernilai true atau false.", "en": "{field} must be true or false."},
    "not_integer": {"id": "{field} harus berupa bilangan bulat.", "en": "{field} must be a whole number."},
    "not_number": {"id": "{field} harus berupa angka.", "en": "{field} must be a number."},
    "number_min": {"id": "{field} paling kecil {min}.", "en": "{field} must be at least {min}."},
    "number_max": {"id": "{field} paling besar {max}.", "en": "{field} must be at most {max}."},
    "choice": {"id": "{field} harus salah satu dari: {choices}.", "en": "{field} must be one of: {choices}."},
    "not_object": {"id": "{field} harus berupa objek JSON.", "en": "{field} must be a JSON object."},
    "not_list": {"id": "{field} harus berupa daftar.", "en": "{field} must be a list."},
    "list_too_long": {
        "id": "{field} paling banyak {max} buah.",
        "en": "{field}: at most {max} are allowed.",
    },
    "unknown_field": {
        "id": "{field} tidak dikenal. Hapus isian ini.",
        "en": "{field} is not a known field. Remove it.",
    },
    "invalid": {
        "id": "{field} tidak valid. Periksa kembali isiannya.",
        "en": "{field} is not valid. Please check it.",
    },
    "date_format": {
        "id": "{field} harus berupa tanggal dengan format TTTT-BB-HH, misalnya 2026-01-31.",
        "en": "{field} must be a date written YYYY-MM-DD, for example 2026-01-31.",
    },
    "date_future": {
        "id": "{field} tidak boleh setelah hari ini.",
        "en": "{field} cannot be later than today.",
    },
    "date_too_old": {
        "id": "{field} paling awal 1 Januari 2000.",
        "en": "{field} cannot be earlier than 1 January 2000.",
    },
    "control_chars": {
        "id": "{field} memuat karakter kontrol atau karakter tak terlihat. Hapus lalu ketik ulang bagian itu.",
        "en": "{field} contains control or invisible characters. Delete and retype that part.",
    },
    "single_line": {
        "id": "{field} harus satu baris, tanpa karakter kontrol atau tak terlihat.",
        "en": "{field} must be a single line, without control or invisible characters.",
    },
    "mixed_scripts": {
        "id": "{field} mencampur huruf dari abjad berbeda dalam satu kata (misalnya huruf Sirilik yang mirip "
        "huruf Latin). Ketik ulang kata itu.",
        "en": "{field} mixes letters of different alphabets in one word (for example Cyrillic letters that "
        "look Latin). Retype that word.",
    },
    "lookalike_chars": {
        "id": "{field} memuat huruf atau angka tiruan (misalnya huruf lebar penuh, huruf matematika, atau "
        "angka dari aksara lain) yang tampak seperti huruf biasa. Ketik ulang dengan huruf dan angka biasa.",
        "en": "{field} contains look-alike letters or digits (for example fullwidth or mathematical letters, "
        "or digits of another script) that pass for ordinary ones. Retype it with ordinary letters and digits.",
    },
    "email_invalid": {
        "id": "{field} harus berupa alamat email lengkap, misalnya nama@contoh.id.",
        "en": "{field} must be a complete email address, for example name@example.id.",
    },
    "phone_invalid": {
        "id": "{field} bukan nomor ponsel Indonesia. Contoh: 0812-3456-7890 atau +62 812-3456-7890.",
        "en": "{field} is not an Indonesian mobile number. For example: 0812-3456-7890 or +62 812-3456-7890.",
    },
    "category_format": {
        "id": "{field} harus berupa kode kategori dari daftar, misalnya kesehatan.",
        "en": "{field} must be a category code from the list, for example kesehatan.",
    },
    "region_format": {
        "id": "{field} harus berupa kode wilayah Kemendagri, misalnya 35 atau 35.78 (boleh 3578). "
        "Pilih wilayah dari daftar.",
        "en": "{field} must be a Kemendagri region code, for example 35 or 35.78 (3578 also works). "
        "Choose the region from the list.",
    },
    "region_unknown": {
        "id": "{field} dengan kode {code} tidak terdaftar. Pilih provinsi, kabupaten/kota, atau kecamatan dari daftar.",
        "en": "{field} code {code} is not listed. Choose a province, regency/city or district from the list.",
    },
    "receipt_mismatch": {
        "id": "{field} tidak cocok dengan laporan ini. Periksa tanda terima yang Anda simpan saat mengirim "
        "laporan, atau buka tautan di email penyelesaian.",
        "en": "{field} does not match this report. Check the receipt you saved when you filed the report, "
        "or open the link in the completion email.",
    },
    "note_required": {
        "id": "{field} wajib diisi untuk tindakan ini; catatan dikirim kepada pelapor.",
        "en": "{field} is required for this action; the note is sent to the reporter.",
    },
    "agency_unknown": {
        "id": "{field} {code} tidak ada di direktori. Pilih kode instansi dari daftar.",
        "en": "{field} {code} is not in the directory. Choose an agency code from the list.",
    },
    "agency_same": {
        "id": "{field} sudah menjadi instansi laporan ini. Pilih instansi lain.",
        "en": "{field} already handles this report. Choose another agency.",
    },
    "agency_no_handler": {
        "id": "{field}: instansi ini tidak punya petugas penghubung atau admin yang aktif.",
        "en": "{field}: this agency has no active liaison or admin to take the report.",
    },
    "official_not_assignable": {
        "id": "{field} harus petugas penghubung atau admin yang aktif di instansi {agency}.",
        "en": "{field} must be an active liaison or admin of {agency}.",
    },
    "official_same": {
        "id": "{field} sudah menjadi petugas laporan ini.",
        "en": "{field} is already the report's assignee.",
    },
    "cursor_invalid": {
        "id": "{field} tidak berasal dari halaman sebelumnya. Muat ulang daftar dari awal.",
        "en": "{field} did not come from the previous page. Reload the list from the start.",
    },
    "period_format": {
        "id": "{field} harus berupa bulan (TTTT-BB, misalnya 2026-11) atau tahun (TTTT, misalnya 2026).",
        "en": "{field} must be a month (YYYY-MM, for example 2026-11) or a year (YYYY, for example 2026).",
    },
    "period_range": {
        "id": "{field} harus antara tahun 2000 dan 2100.",
        "en": "{field} must be between the years 2000 and 2100.",
    },
    "period_month": {
        "id": "{field} harus berupa bulan dengan format TTTT-BB, misalnya 2026-11.",
        "en": "{field} must be a month written YYYY-MM, for example 2026-11.",
    },
    "period_future": {
        "id": "{field} tidak boleh bulan yang belum tiba.",
        "en": "{field} must not be a month still to come.",
    },
    "idempotency_reused": {
        "id": "{field} sudah dipakai untuk permintaan lain. Gunakan kunci baru.",
        "en": "{field} was already used for another request. Use a new key.",
    },
    "header_repeated": {
        "id": "{field} dikirim lebih dari sekali dengan nilai berbeda. Kirim satu kali saja.",
        "en": "{field} was sent more than once with different values. Send it once.",
    },
    # --- attachments
    "file_type": {
        "id": "{field} harus berupa foto JPEG atau PNG, atau dokumen PDF.",
        "en": "{field} must be a JPEG or PNG photo, or a PDF document.",
    },
    "file_content": {
        "id": "{field} bukan foto JPEG/PNG atau dokumen PDF yang utuh. Pilih berkas lain.",
        "en": "{field} is not a complete JPEG/PNG photo or PDF document. Choose another file.",
    },
    "file_too_large": {
        "id": "{field} terlalu besar: paling besar {max_mb} MB. Perkecil foto atau pilih berkas lain.",
        "en": "{field} is too large: at most {max_mb} MB. Make the photo smaller or choose another file.",
    },
    "file_empty": {
        "id": "{field} kosong. Pilih berkas lain.",
        "en": "{field} is empty. Choose another file.",
    },
    "upload_unknown": {
        "id": "{field} belum terunggah atau sudah kedaluwarsa. Lampirkan berkas itu lagi.",
        "en": "{field} has not been uploaded or has expired. Attach the file again.",
    },
    "upload_duplicate": {
        "id": "{field} dilampirkan dua kali. Hapus salah satunya.",
        "en": "{field} is attached twice. Remove one of them.",
    },
    "upload_used": {
        "id": "{field} sudah dilampirkan pada laporan lain. Unggah berkas itu lagi.",
        "en": "{field} is already attached to another report. Upload the file again.",
    },
    # --- Open311 GeoReport v2 (/open311/v2/)
    "open311_api_key": {
        "id": "{field} tidak dikenal atau sudah dicabut. Minta kunci aplikasi mitra kepada pengelola Lapor.",
        "en": "{field} is unknown or has been revoked. Ask Lapor's operators for a partner application key.",
    },
    "open311_format": {
        "id": "Alamat ini tidak ada. Akhiri nama sumber dengan .json atau .xml.",
        "en": "There is no such address. End the resource's name with .json or .xml.",
    },
    "open311_service_unknown": {
        "id": "{field} {code} tidak ada. Pilih layanan dari services.json.",
        "en": "{field} {code} does not exist. Choose a service from services.json.",
    },
    "open311_request_unknown": {
        "id": "Tidak ada laporan dengan kode pelacakan {code}.",
        "en": "There is no report with tracking code {code}.",
    },
    "open311_token_unknown": {
        "id": "Token {code} tidak dikenal. Lapor menjawab setiap permintaan langsung dengan service_request_id.",
        "en": "Token {code} is unknown. Lapor answers every request at once with its service_request_id.",
    },
    "open311_form_required": {
        "id": "Kirim permintaan sebagai formulir ({field}: application/x-www-form-urlencoded).",
        "en": "Send the request as a form ({field}: application/x-www-form-urlencoded).",
    },
    "open311_datetime": {
        "id": "{field} harus berupa waktu W3C dengan zona waktu, misalnya 2026-12-01T00:00:00+07:00, atau tanggal 2026-12-01.",
        "en": "{field} must be a W3C date-time with its time zone, for example 2026-12-01T00:00:00+07:00, or a date 2026-12-01.",
    },
    "open311_date_order": {
        "id": "{field} harus sesudah start_date.",
        "en": "{field} must be later than start_date.",
    },
    "open311_span": {
        "id": "Rentang start_date sampai {field} paling lama {days} hari.",
        "en": "start_date to {field} may span at most {days} days.",
    },
    "open311_status": {
        "id": "{field} harus open, closed, atau keduanya dipisah koma.",
        "en": "{field} must be open, closed, or both separated by a comma.",
    },
    "open311_too_many_ids": {
        "id": "{field} paling banyak {max} kode sekaligus.",
        "en": "{field}: at most {max} codes at once.",
    },
    "open311_lat_long": {
        "id": "{field} wajib diisi bersama pasangannya: kirim lat dan long sekaligus.",
        "en": "{field} is required with its pair: send lat and long together.",
    },
    "open311_location": {
        "id": "Lokasi wajib diisi: kirim lat dan long, address_string, atau attribute[region].",
        "en": "A location is required: send lat and long, address_string, or attribute[region].",
    },
    "open311_location_far": {
        "id": "{field}: titik ini terlalu jauh dari permukiman yang dikenal untuk menentukan wilayahnya. "
        "Kirim attribute[region] atau address_string.",
        "en": "{field}: this point is too far from any known place to tell its region. "
        "Send attribute[region] or address_string.",
    },
    "open311_media_url": {
        "id": "{field} harus berupa tautan http:// atau https:// (paling banyak 2048 karakter).",
        "en": "{field} must be an http:// or https:// link (at most 2048 characters).",
    },
    "open311_contact": {
        "id": "Pertanyaan tentang API ini: hubungi pengelola Lapor melalui {url}.",
        "en": "Questions about this API: contact Lapor's operators through {url}.",
    },
    "open311_key_service": {
        "id": "Setiap aplikasi mitra mendapat kunci API (api_key) dari pengelola Lapor; ajukan melalui {url}. "
        "Membaca layanan dan laporan tidak memerlukan kunci.",
        "en": "Each partner application gets an API key (api_key) from Lapor's operators; ask through {url}. "
        "Reading services and requests needs no key.",
    },
    "open311_service": {
        "id": "Pengaduan, aspirasi, atau permintaan informasi tentang {name}, ditangani {agency}.",
        "en": "Complaints, aspirations or information requests about {name}, handled by {agency}.",
    },
    "open311_service_triage": {
        "id": "Pengaduan, aspirasi, atau permintaan informasi lainnya; admin nasional meneruskannya ke instansi yang berwenang.",
        "en": "Other complaints, aspirations or information requests; the national admin passes them to the competent agency.",
    },
    "open311_group_triage": {"id": "Lainnya", "en": "Other"},
    "open311_kind": {
        "id": "Jenis laporan: pengaduan (bawaan), aspirasi, atau permintaan informasi.",
        "en": "Type of report: complaint (the default), aspiration or information request.",
    },
    "open311_region": {
        "id": "Wilayah kejadian: kode provinsi atau kabupaten/kota Kemendagri (kode kecamatan juga diterima). "
        "Wajib bila tidak ada lat/long atau address_string; bila ada, menentukan wilayah.",
        "en": "Where it happened: a Kemendagri province or regency/city code (district codes are accepted too). "
        "Required without lat/long or address_string; when given, it decides the region.",
    },
    "open311_anonymous": {
        "id": "true: identitas pelapor disembunyikan dari petugas dan publik.",
        "en": "true: the reporter's identity is hidden from officials and the public.",
    },
    "open311_confidential": {
        "id": "true: judul dan isi laporan tidak ditampilkan kepada publik.",
        "en": "true: the report's title and description are not shown to the public.",
    },
    "open311_yes": {"id": "Ya", "en": "Yes"},
    "open311_no": {"id": "Tidak", "en": "No"},
    "open311_notice_created": {
        "id": "Laporan diteruskan ke instansi yang berwenang, yang wajib memverifikasinya paling lambat {deadline}.",
        "en": "The report goes to the competent agency, which must verify it by {deadline}.",
    },
    "open311_notice_received": {
        "id": "Laporan sedang diteruskan ke instansi yang berwenang.",
        "en": "The report is on its way to the competent agency.",
    },
    "open311_notice_verify": {
        "id": "{agency} wajib memverifikasi laporan paling lambat {deadline}.",
        "en": "{agency} must verify the report by {deadline}.",
    },
    "open311_notice_follow_up": {
        "id": "{agency} wajib menindaklanjuti laporan paling lambat {deadline}.",
        "en": "{agency} must follow the report up by {deadline}.",
    },
    "open311_notice_resolve": {
        "id": "{agency} wajib menyelesaikan laporan paling lambat {deadline}.",
        "en": "{agency} must resolve the report by {deadline}.",
    },
    "open311_notice_completed": {
        "id": "{agency} telah menjawab laporan; pelapor dapat menerima atau membukanya kembali sampai {deadline}.",
        "en": "{agency} has answered the report; the reporter may accept it or reopen it until {deadline}.",
    },
}

# Report kinds as Open311's attribute values name them.
KINDS: dict[str, dict[Lang, str]] = {
    "complaint": {"id": "Pengaduan", "en": "Complaint"},
    "aspiration": {"id": "Aspirasi", "en": "Aspiration"},
    "information_request": {"id": "Permintaan informasi", "en": "Information request"},
}

# Report statuses as messages name them ("... because the report is completed").
STATUSES: dict[str, dict[Lang, str]] = {
    "received": {"id": "diterima", "en": "received"},
    "dispatched": {"id": "diteruskan ke instansi", "en": "with the agency"},
    "verified": {"id": "terverifikasi", "en": "verified"},
    "in_progress": {"id": "dalam proses", "en": "in progress"},
    "completed": {"id": "selesai", "en": "completed"},
    "closed": {"id": "ditutup", "en": "closed"},
    "rejected": {"id": "ditolak", "en": "rejected"},
}

# The n-th element of a list field, e.g. ``attachments.0`` -> "Lampiran ke-1".
_ITEM = {"id": "{field} ke-{n}", "en": "{field} no. {n}"}
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def choose_language(accept_language: str | None) -> Lang:
    """The catalogue language an ``Accept-Language`` header prefers; Indonesian when it names neither."""
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        quality = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        candidate = (-quality, position, primary)
        if best is None or candidate < best:
            best = candidate  # type: ignore[assignment]
    return best[2] if best else DEFAULT_LANGUAGE


def field_name(path: str, language: Lang) -> str:
    """How a field path is named in ``language``: ``reporter.email`` -> "Email", ``attachments.1`` -> "Lampiran ke-2"."""
    if path in FIELDS:
        return FIELDS[path][language]
    head, _, tail = path.rpartition(".")
    if head and tail.isdigit():
        return _ITEM[language].format(field=field_name(head, language), n=int(tail) + 1)
    return f"“{path}”"


def status_name(status: str, language: Lang) -> str:
    """A report status in words (``in_progress`` -> "dalam proses")."""
    return STATUSES.get(status, {}).get(language, status)


def render(message_id: str, language: Lang, *, field: str | None = None, **params: object) -> str:
    """The message ``message_id`` in ``language``, with the field named and the parameters filled in."""
    template = MESSAGES[message_id][language]
    values = {name: str(value) for name, value in params.items()}
    if field is not None:
        values["field"] = field_name(field, language)
    # Only known placeholders are replaced, so a value that itself holds braces is never re-read.
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), template)


def bilingual(message_id: str) -> str:
    """A message in both languages, Indonesian first, for answers that cannot know the reader's
    language (API Gateway's own refusals, before any function runs)."""
    return f"{render(message_id, 'id')} / {render(message_id, 'en')}"


def document() -> dict[str, Mapping[str, object]]:
    """The whole catalogue as the pages load it (``GET /messages``)."""
    return {"fields": FIELDS, "messages": MESSAGES, "item": _ITEM}
