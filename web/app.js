// Lapor — shared by every page: i18n dictionary, API fetch helper, WIB dates, DOM helpers,
// the header/footer, form error display and the report view (track and officials pages).

const STRINGS = {
  id: {
    'brand.tagline': 'Layanan Aspirasi dan Pengaduan Online Rakyat',
    'nav.label': 'Menu utama', 'nav.skip': 'Langsung ke konten utama',
    'nav.submit': 'Buat laporan', 'nav.track': 'Lacak laporan', 'nav.stats': 'Statistik', 'nav.officials': 'Petugas',
    'lang.switch': 'English',
    'footer.note': 'Lapor — layanan pengaduan publik. Data pribadi disimpan di Indonesia (UU 27/2022).',
    'common.optional': '(opsional)', 'common.loading': 'Memuat…', 'common.copy': 'Salin', 'common.copied': 'Tersalin',
    'err.network': 'Tidak dapat terhubung ke server. Periksa koneksi Anda lalu coba lagi.',
    'err.server': 'Terjadi gangguan di server (kode {status}). Silakan coba lagi nanti.',
    'err.http': 'Permintaan gagal (kode {status}).',
    'err.401': 'Token tidak valid atau kedaluwarsa. Silakan masuk lagi.',
    'err.403': 'Laporan ini bukan milik instansi Anda.',
    'err.409': 'Tindakan ini tidak sesuai dengan status laporan saat ini.',
    'status.received': 'Diterima', 'status.dispatched': 'Diteruskan ke instansi', 'status.verified': 'Diverifikasi',
    'status.in_progress': 'Dalam proses', 'status.completed': 'Selesai', 'status.closed': 'Ditutup', 'status.rejected': 'Ditolak',
    'kind.complaint': 'Pengaduan', 'kind.aspiration': 'Aspirasi', 'kind.information_request': 'Permintaan Informasi',
    'track.standard': 'Standar', 'track.covid19': 'COVID-19 (tenggat dipercepat)',

    // report progress, next step, timeline events
    'r.region': 'Wilayah', 'r.attachments': 'Lampiran', 'r.attachments.n': '{n} berkas (hanya dapat dibuka petugas)',
    'step.label': 'Tahapan laporan', 'step.done': '(selesai)', 'step.received': 'Diterima', 'step.dispatched': 'Diteruskan',
    'step.verified': 'Diverifikasi', 'step.in_progress': 'Ditindaklanjuti', 'step.completed': 'Dijawab', 'step.closed': 'Ditutup',
    'step.rejected': 'Ditolak',
    'next.heading': 'Apa selanjutnya',
    'next.received': 'Laporan sedang diteruskan ke instansi yang berwenang; biasanya hanya beberapa detik.',
    'next.dispatched': '{agency} akan memverifikasi laporan paling lambat {date}.',
    'next.verified': '{agency} akan menindaklanjuti laporan paling lambat {date}.',
    'next.in_progress': '{agency} sedang menindaklanjuti laporan; laporan harus selesai paling lambat {date}.',
    'next.completed': 'Instansi sudah menjawab. Terima jawaban atau buka kembali laporan paling lambat {date}; setelah itu laporan ditutup otomatis.',
    'next.closed': 'Laporan sudah ditutup. Tidak ada langkah lagi.',
    'next.rejected': 'Laporan ditolak instansi. Bila Anda tidak setuju, Anda dapat mengadu ke Ombudsman Republik Indonesia.',
    'next.overdue': 'Batas waktu ini sudah lewat; laporan dieskalasi otomatis ke pimpinan instansi.',
    'next.agency': 'instansi yang berwenang',
    'ev.submit': 'Laporan dikirim', 'ev.route': 'Diteruskan ke instansi', 'ev.forward': 'Dialihkan ke instansi lain',
    'ev.verify': 'Diverifikasi instansi', 'ev.respond': 'Ditindaklanjuti instansi', 'ev.complete': 'Dijawab instansi',
    'ev.reject': 'Ditolak instansi', 'ev.accept': 'Jawaban diterima pelapor', 'ev.reopen': 'Dibuka kembali oleh pelapor',
    'ev.auto_close': 'Ditutup otomatis', 'ev.escalate': 'Batas waktu {stage} terlewati — dieskalasi (tingkat {level})',
    'ev.escalate.resolve': 'Batas waktu penyelesaian terlewati — dilaporkan ke admin nasional dan Ombudsman',
    'stage.verify': 'verifikasi', 'stage.follow_up': 'tindak lanjut', 'stage.resolve': 'penyelesaian',
    // submit page
    'title.submit': 'Sampaikan laporan',
    'submit.intro': 'Sampaikan pengaduan, aspirasi, atau permintaan informasi. Laporan diteruskan langsung ke instansi yang berwenang dan setiap tenggat dipantau.',
    'f.kind': 'Jenis laporan', 'f.title': 'Judul laporan', 'f.title.hint': 'Ringkas, 5–200 karakter.',
    'f.description': 'Isi laporan', 'f.description.hint': 'Ceritakan apa yang terjadi, di mana, kapan, dan siapa yang terlibat (10–5000 karakter).',
    'f.category': 'Kategori', 'f.category.unknown': 'Tidak tahu — biar sistem yang menentukan',
    'f.category.hint': 'Jika ragu, pilih “Tidak tahu”: laporan diarahkan berdasarkan isinya.',
    'f.category.failed': 'Daftar kategori tidak dapat dimuat; laporan tetap dapat dikirim.',
    'f.region': 'Lokasi kejadian', 'f.region.search': 'Cari wilayah',
    'f.region.hint': 'Ketik nama kota, kabupaten, atau kecamatan (mis. Surabaya), lalu pilih dari hasil; atau pilih provinsi, kabupaten/kota, dan kecamatan di bawah.',
    'f.region.province': 'Provinsi', 'f.region.regency': 'Kabupaten/kota', 'f.region.district': 'Kecamatan',
    'f.region.any': '— Pilih —', 'f.region.results': '{n} wilayah cocok. Pilih dengan panah bawah atau klik.',
    'f.region.none': 'Tidak ada wilayah bernama “{q}”.', 'f.region.chosen': 'Wilayah dipilih: {name}.',
    'f.attachments': 'Lampiran (foto atau dokumen)',
    'f.attachments.hint': 'Foto JPEG atau PNG, atau dokumen PDF: paling banyak 5 berkas, masing-masing paling besar 10 MB. Data lokasi (GPS) dan data kamera di foto dihapus sebelum petugas membukanya.',
    'f.attachments.remove': 'Hapus lampiran {name}', 'f.attachments.removeShort': 'Hapus',
    'f.attachments.choose': 'Pilih foto atau dokumen…', 'f.attachments.none': 'Belum ada berkas yang dipilih.',
    'submit.uploading': 'Mengunggah lampiran {i} dari {n}…',
    'f.occurred_on': 'Tanggal kejadian', 'f.privacy': 'Privasi',
    'f.anonymous': 'Anonim', 'f.anonymous.hint': 'Identitas Anda disembunyikan dari petugas dan siapa pun.',
    'f.confidential': 'Rahasia', 'f.confidential.hint': 'Judul dan isi laporan tidak ditampilkan di halaman pelacakan publik.',
    'f.language': 'Bahasa pemberitahuan', 'f.reporter': 'Data pelapor',
    'f.reporter.hint': 'Opsional. Hanya dipakai untuk mengirim kabar perkembangan laporan; tidak pernah ditampilkan ke publik.',
    'f.name': 'Nama', 'f.email': 'Email', 'f.phone': 'Nomor ponsel', 'f.phone.hint': 'Contoh: 0812-3456-7890 atau +62812…',
    'submit.button': 'Kirim laporan', 'submit.sending': 'Mengirim…',
    'submit.retry': 'Laporan belum terkirim. Tekan “Kirim laporan” lagi — laporan tidak akan tercatat dua kali.',
    'ok.title': 'Laporan Anda telah diterima', 'ok.code': 'Kode pelacakan', 'ok.receipt': 'Tanda terima (rahasia)',
    'ok.warning': 'Simpan kode pelacakan dan tanda terima ini sekarang: tanda terima hanya ditampilkan sekali. Simpan ke berkas, cetak, atau kirim ke email Anda sendiri. Jangan bagikan tanda terima kepada siapa pun.',
    'ok.receipt.hint': 'Tanda terima diperlukan untuk menerima atau membuka kembali jawaban instansi.',
    'ok.copy.code': 'Salin kode pelacakan', 'ok.copy.receipt': 'Salin tanda terima',
    'ok.save': 'Simpan ke berkas', 'ok.print': 'Cetak', 'ok.email': 'Kirim ke email saya',
    'ok.file.title': 'Lapor — tanda terima laporan', 'ok.mail.subject': 'Tanda terima laporan Lapor {code}',
    'ok.next': 'Selanjutnya', 'ok.routing': 'Laporan sedang diteruskan ke instansi yang berwenang…',
    'ok.agency': 'Laporan diteruskan ke {agency}, yang akan memverifikasinya paling lambat {date}.',
    'ok.agency.pending': 'Instansi tujuan dan batas waktunya tampil di halaman pelacakan dalam beberapa saat.',
    'ok.where': 'Kabar perkembangan dikirim ke {to}.',
    'ok.where.none': 'Anda tidak mencantumkan kontak: pantau perkembangan dengan kode pelacakan di halaman Lacak laporan.',
    'ok.created': 'Diterima pada {date}.', 'ok.track': 'Lacak laporan ini', 'ok.another': 'Buat laporan lain',
    // track page
    'title.track': 'Lacak laporan', 'track.intro': 'Masukkan kode pelacakan yang Anda terima saat mengirim laporan.',
    'track.code': 'Kode pelacakan', 'track.code.hint': 'Contoh: 7KQ2-MX9R-TH4PW', 'track.button': 'Lacak',
    'track.notfound': 'Kode {code} tidak ditemukan. Periksa kembali kode Anda.',
    'r.heading': 'Laporan {id}', 'r.kind': 'Jenis', 'r.category': 'Kategori', 'r.agency': 'Instansi',
    'r.track': 'Jalur penanganan', 'r.created': 'Dibuat', 'r.updated': 'Diperbarui', 'r.unknown': 'Belum ditentukan',
    'r.title': 'Judul', 'r.description': 'Isi laporan', 'r.confidential': 'Laporan ini rahasia: judul dan isinya tidak ditampilkan.',
    'r.deadlines': 'Tenggat', 'r.timeline': 'Riwayat', 'r.timeline.empty': 'Belum ada riwayat.',
    'r.timeline.partial': 'Menampilkan {shown} entri terakhir dari {total}.', 'r.timeline.earlier': 'Tampilkan entri sebelumnya',
    'd.verify_by': 'Batas verifikasi', 'd.follow_up_by': 'Batas tindak lanjut', 'd.resolve_by': 'Batas penyelesaian',
    'd.close_after': 'Ditutup otomatis setelah', 'd.none': 'Tidak ada tenggat yang sedang berjalan.', 'd.overdue': 'terlewat',
    'fb.heading': 'Tanggapi jawaban instansi',
    'fb.intro': 'Laporan ini telah diselesaikan. Terima jawabannya, atau buka kembali jika masalah belum tuntas.',
    'fb.receipt': 'Tanda terima', 'fb.receipt.hint': 'Rahasia yang Anda terima saat mengirim laporan.',
    'fb.action': 'Tanggapan Anda', 'fb.accept': 'Terima jawaban — laporan ditutup', 'fb.reopen': 'Buka kembali — masalah belum selesai',
    'fb.rating': 'Penilaian', 'fb.rating.none': '— Tanpa penilaian —', 'fb.rating.n': '{n} dari 5',
    'fb.comment': 'Komentar', 'fb.send': 'Kirim tanggapan',
    'fb.ok.accept': 'Terima kasih. Laporan telah ditutup.', 'fb.ok.reopen': 'Laporan dibuka kembali dan dikembalikan ke instansi.',
    'fb.409': 'Tanggapan tidak dapat diterima: batas waktu sudah lewat atau laporan tidak lagi menunggu tanggapan.',
    'fb.window': 'Anda dapat menanggapi hingga {date}. Setelah itu laporan ditutup otomatis.',
    'fb.comment.public': 'Komentar tampil di riwayat publik laporan ini. Jangan tulis nama, nomor telepon, alamat, atau data pribadi lain.',
    'fb.prefilled': 'Tanda terima sudah terisi dari tautan di email Anda. Periksa pilihan Anda, lalu tekan “Kirim tanggapan”.',
    // stats page
    'title.stats': 'Statistik penanganan',
    'stats.intro': 'Laporan yang dibuat pada bulan atau tahun terpilih (WIB): seluruh Indonesia, per jenis instansi, dan per instansi. Persentase dihitung dari empat kelompok; laporan ditolak dihitung terpisah.',
    'stats.scope': 'Periode', 'stats.scope.month': 'Per bulan', 'stats.scope.year': 'Per tahun',
    'stats.month': 'Bulan', 'stats.month.hint': 'Pilih bulan dari daftar.',
    'stats.year': 'Tahun', 'stats.year.hint': 'Pilih tahun dari bulan tersebut.', 'stats.year.hint.year': 'Pilih tahun dari daftar.',
    'stats.show': 'Tampilkan',
    'stats.summary': 'Seluruh Indonesia, {period}', 'stats.total': 'Jumlah laporan',
    'stats.legend': 'Keterangan warna', 'stats.none': 'belum ada laporan',
    'stats.chart.kind': 'Empat kelompok penanganan per jenis instansi, {period} (persen)',
    'stats.chart.trend': 'Laporan per bulan menurut kelompok, {from} – {to}',
    'stats.chart.data': 'Lihat angka grafik ini', 'stats.kind': 'Jenis instansi', 'stats.agency_count': 'Instansi',
    'stats.agencies': 'Per instansi', 'stats.sort.hint': 'Tekan judul kolom untuk mengurutkan; tekan lagi untuk membalik urutan.',
    'stats.invalid': 'Periode tidak valid.', 'stats.invalid.format': '“{value}” bukan bulan (TTTT-BB) atau tahun (TTTT) antara 2000 dan 2100.',
    'kind.agency.kementerian': 'Kementerian', 'kind.agency.lembaga': 'Lembaga', 'kind.agency.pemda': 'Pemerintah daerah', 'kind.agency.bumn': 'BUMN',
    'stats.caption': 'Penanganan laporan per instansi, {period}', 'stats.empty': 'Belum ada laporan pada {period}.',
    'stats.hours': '{n} jam',
    'col.agency': 'Instansi', 'col.total': 'Jumlah', 'col.completed': 'Selesai', 'col.in_process': 'Dalam proses',
    'col.not_followed_up': 'Belum ditindaklanjuti', 'col.unverified': 'Belum terverifikasi', 'col.rejected': 'Ditolak',
    'col.verified_on_time': 'Verifikasi tepat waktu', 'col.followed_up_on_time': 'Tindak lanjut tepat waktu',
    'col.median_verify': 'Median waktu verifikasi', 'col.median_follow': 'Median waktu tindak lanjut',
  },
  en: {
    'brand.tagline': 'Public complaints and aspirations service',
    'nav.label': 'Main menu', 'nav.skip': 'Skip to main content',
    'nav.submit': 'File a report', 'nav.track': 'Track a report', 'nav.stats': 'Statistics', 'nav.officials': 'Officials',
    'lang.switch': 'Bahasa Indonesia',
    'footer.note': 'Lapor — public complaint service. Personal data is stored in Indonesia (Law 27/2022).',
    'common.optional': '(optional)', 'common.loading': 'Loading…', 'common.copy': 'Copy', 'common.copied': 'Copied',
    'err.network': 'Could not reach the server. Check your connection and try again.',
    'err.server': 'The server had a problem (code {status}). Please try again later.',
    'err.http': 'The request failed (code {status}).',
    'err.401': 'The token is invalid or expired. Please sign in again.',
    'err.403': 'This report belongs to another agency.',
    'err.409': 'This action is not allowed in the report’s current status.',
    'status.received': 'Received', 'status.dispatched': 'Forwarded to agency', 'status.verified': 'Verified',
    'status.in_progress': 'In progress', 'status.completed': 'Completed', 'status.closed': 'Closed', 'status.rejected': 'Rejected',
    'kind.complaint': 'Complaint', 'kind.aspiration': 'Aspiration', 'kind.information_request': 'Information request',
    'track.standard': 'Standard', 'track.covid19': 'COVID-19 (shorter deadlines)',
    'r.region': 'Region', 'r.attachments': 'Attachments', 'r.attachments.n': '{n} file(s) (only officials can open them)',
    'step.label': 'Progress of the report', 'step.done': '(done)', 'step.received': 'Received', 'step.dispatched': 'Forwarded',
    'step.verified': 'Verified', 'step.in_progress': 'Followed up', 'step.completed': 'Answered', 'step.closed': 'Closed',
    'step.rejected': 'Rejected',
    'next.heading': 'What happens next',
    'next.received': 'The report is being forwarded to the competent agency; this usually takes a few seconds.',
    'next.dispatched': '{agency} will verify the report by {date}.',
    'next.verified': '{agency} will follow the report up by {date}.',
    'next.in_progress': '{agency} is following the report up; it must be resolved by {date}.',
    'next.completed': 'The agency has answered. Accept the answer or reopen the report by {date}; after that it closes automatically.',
    'next.closed': 'The report is closed. There are no further steps.',
    'next.rejected': 'The agency rejected the report. If you disagree, you can complain to the Ombudsman of the Republic of Indonesia.',
    'next.overdue': 'This deadline has passed; the report is escalated automatically to the agency’s leadership.',
    'next.agency': 'The competent agency',
    'ev.submit': 'Report filed', 'ev.route': 'Forwarded to the agency', 'ev.forward': 'Moved to another agency',
    'ev.verify': 'Verified by the agency', 'ev.respond': 'Followed up by the agency', 'ev.complete': 'Answered by the agency',
    'ev.reject': 'Rejected by the agency', 'ev.accept': 'Answer accepted by the reporter', 'ev.reopen': 'Reopened by the reporter',
    'ev.auto_close': 'Closed automatically', 'ev.escalate': '{stage} deadline missed — escalated (level {level})',
    'ev.escalate.resolve': 'Resolution deadline missed — reported to the national admin and the Ombudsman',
    'stage.verify': 'Verification', 'stage.follow_up': 'Follow-up', 'stage.resolve': 'Resolution',
    'title.submit': 'File a report',
    'submit.intro': 'File a complaint, an aspiration or an information request. It goes straight to the competent agency and every deadline is tracked.',
    'f.kind': 'Type of report', 'f.title': 'Title', 'f.title.hint': 'Short, 5–200 characters.',
    'f.description': 'Description', 'f.description.hint': 'Say what happened, where, when and who was involved (10–5000 characters).',
    'f.category': 'Category', 'f.category.unknown': 'I don’t know — let the system decide',
    'f.category.hint': 'If unsure, choose “I don’t know”: the report is routed by its content.',
    'f.category.failed': 'The category list could not be loaded; you can still send the report.',
    'f.region': 'Where it happened', 'f.region.search': 'Search for a place',
    'f.region.hint': 'Type the name of a city, regency or district (e.g. Surabaya), then choose it from the results; or choose the province, regency/city and district below.',
    'f.region.province': 'Province', 'f.region.regency': 'Regency/city', 'f.region.district': 'District',
    'f.region.any': '— Choose —', 'f.region.results': '{n} places match. Choose one with the down arrow or a click.',
    'f.region.none': 'No place is called “{q}”.', 'f.region.chosen': 'Place chosen: {name}.',
    'f.attachments': 'Attachments (photos or documents)',
    'f.attachments.hint': 'JPEG or PNG photos, or PDF documents: at most 5 files of at most 10 MB each. Location (GPS) and camera data are removed from photos before officials open them.',
    'f.attachments.remove': 'Remove attachment {name}', 'f.attachments.removeShort': 'Remove',
    'f.attachments.choose': 'Choose photos or documents…', 'f.attachments.none': 'No file chosen yet.',
    'submit.uploading': 'Uploading attachment {i} of {n}…',
    'f.occurred_on': 'Date it happened', 'f.privacy': 'Privacy',
    'f.anonymous': 'Anonymous', 'f.anonymous.hint': 'Your identity is hidden from officials and everyone else.',
    'f.confidential': 'Confidential', 'f.confidential.hint': 'The title and description are hidden from the public tracking page.',
    'f.language': 'Language for updates', 'f.reporter': 'Your details',
    'f.reporter.hint': 'Optional. Only used to send you updates on the report; never shown publicly.',
    'f.name': 'Name', 'f.email': 'Email', 'f.phone': 'Mobile number', 'f.phone.hint': 'For example 0812-3456-7890 or +62812…',
    'submit.button': 'Send report', 'submit.sending': 'Sending…',
    'submit.retry': 'The report was not sent. Press “Send report” again — it will never be filed twice.',
    'ok.title': 'Your report has been received', 'ok.code': 'Tracking code', 'ok.receipt': 'Receipt (secret)',
    'ok.warning': 'Save the tracking code and this receipt now: the receipt is shown only once. Save it to a file, print it or email it to yourself. Do not share the receipt with anyone.',
    'ok.receipt.hint': 'The receipt is needed to accept or reopen the agency’s answer.',
    'ok.copy.code': 'Copy the tracking code', 'ok.copy.receipt': 'Copy the receipt',
    'ok.save': 'Save to a file', 'ok.print': 'Print', 'ok.email': 'Email it to me',
    'ok.file.title': 'Lapor — report receipt', 'ok.mail.subject': 'Receipt of Lapor report {code}',
    'ok.next': 'What happens next', 'ok.routing': 'The report is being forwarded to the competent agency…',
    'ok.agency': 'The report went to {agency}, which will verify it by {date}.',
    'ok.agency.pending': 'The agency and its deadline appear on the tracking page in a moment.',
    'ok.where': 'Updates will be sent to {to}.',
    'ok.where.none': 'You gave no contact: follow the report with its tracking code on the Track page.',
    'ok.created': 'Received on {date}.', 'ok.track': 'Track this report', 'ok.another': 'File another report',
    'title.track': 'Track a report', 'track.intro': 'Enter the tracking code you received when you filed the report.',
    'track.code': 'Tracking code', 'track.code.hint': 'For example 7KQ2-MX9R-TH4PW', 'track.button': 'Track',
    'track.notfound': 'Code {code} was not found. Please check it.',
    'r.heading': 'Report {id}', 'r.kind': 'Type', 'r.category': 'Category', 'r.agency': 'Agency',
    'r.track': 'Handling track', 'r.created': 'Created', 'r.updated': 'Updated', 'r.unknown': 'Not yet determined',
    'r.title': 'Title', 'r.description': 'Description', 'r.confidential': 'This report is confidential: its title and description are not shown.',
    'r.deadlines': 'Deadlines', 'r.timeline': 'History', 'r.timeline.empty': 'No history yet.',
    'r.timeline.partial': 'Showing the latest {shown} of {total} entries.', 'r.timeline.earlier': 'Show earlier entries',
    'd.verify_by': 'Verify by', 'd.follow_up_by': 'Follow up by', 'd.resolve_by': 'Resolve by',
    'd.close_after': 'Closes automatically after', 'd.none': 'No deadline is running.', 'd.overdue': 'overdue',
    'fb.heading': 'Respond to the agency’s answer',
    'fb.intro': 'This report has been completed. Accept the answer, or reopen it if the problem is not solved.',
    'fb.receipt': 'Receipt', 'fb.receipt.hint': 'The secret you received when you filed the report.',
    'fb.action': 'Your response', 'fb.accept': 'Accept the answer — close the report', 'fb.reopen': 'Reopen — the problem is not solved',
    'fb.rating': 'Rating', 'fb.rating.none': '— No rating —', 'fb.rating.n': '{n} of 5',
    'fb.comment': 'Comment', 'fb.send': 'Send response',
    'fb.ok.accept': 'Thank you. The report is closed.', 'fb.ok.reopen': 'The report was reopened and returned to the agency.',
    'fb.409': 'Response not accepted: the time limit has passed or the report is no longer awaiting a response.',
    'fb.window': 'You can respond until {date}. After that the report closes automatically.',
    'fb.comment.public': 'Comments appear in this report’s public history. Do not write names, phone numbers, addresses or other personal details.',
    'fb.prefilled': 'The receipt was filled in from the link in your email. Check your choice, then press “Send response”.',
    'title.stats': 'Handling statistics',
    'stats.intro': 'Reports created in the chosen month or year (WIB): all of Indonesia, per kind of agency and per agency. Percentages are over the four groups; rejected reports are counted apart.',
    'stats.scope': 'Period', 'stats.scope.month': 'By month', 'stats.scope.year': 'By year',
    'stats.month': 'Month', 'stats.month.hint': 'Choose a month from the list.',
    'stats.year': 'Year', 'stats.year.hint': 'Choose the year of that month.', 'stats.year.hint.year': 'Choose a year from the list.',
    'stats.show': 'Show',
    'stats.summary': 'All of Indonesia, {period}', 'stats.total': 'Reports',
    'stats.legend': 'Colour key', 'stats.none': 'no reports yet',
    'stats.chart.kind': 'The four handling groups per kind of agency, {period} (percent)',
    'stats.chart.trend': 'Reports per month by group, {from} – {to}',
    'stats.chart.data': 'Show the figures of this chart', 'stats.kind': 'Kind of agency', 'stats.agency_count': 'Agencies',
    'stats.agencies': 'Per agency', 'stats.sort.hint': 'Press a column heading to sort by it; press it again to reverse the order.',
    'stats.invalid': 'Invalid period.', 'stats.invalid.format': '“{value}” is not a month (YYYY-MM) or a year (YYYY) between 2000 and 2100.',
    'kind.agency.kementerian': 'Ministries', 'kind.agency.lembaga': 'Institutions', 'kind.agency.pemda': 'Regional governments', 'kind.agency.bumn': 'State-owned enterprises',
    'stats.caption': 'Report handling per agency, {period}', 'stats.empty': 'No reports in {period} yet.',
    'stats.hours': '{n} h',
    'col.agency': 'Agency', 'col.total': 'Total', 'col.completed': 'Completed', 'col.in_process': 'In process',
    'col.not_followed_up': 'Not followed up', 'col.unverified': 'Not verified', 'col.rejected': 'Rejected',
    'col.verified_on_time': 'Verified on time', 'col.followed_up_on_time': 'Followed up on time',
    'col.median_verify': 'Median time to verify', 'col.median_follow': 'Median time to follow up',
  },
};

// ---- i18n -------------------------------------------------------------------------------------

const LANG_KEY = 'lapor.lang';
let lang = 'id';
try { if (localStorage.getItem(LANG_KEY) === 'en') lang = 'en'; } catch { /* storage blocked */ }
const listeners = [];

export const getLang = () => lang;
export const onLangChange = (fn) => listeners.push(fn);

/** Add a page's own strings ({id: {...}, en: {...}}) to the shared dictionary. */
export function addStrings(strings) {
  for (const code of Object.keys(STRINGS)) Object.assign(STRINGS[code], strings[code] || {});
}

export function t(key, vars = {}) {
  const text = STRINGS[lang][key] ?? STRINGS.id[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? String(vars[k]) : m));
}

export function setLang(next) {
  lang = next === 'en' ? 'en' : 'id';
  try { localStorage.setItem(LANG_KEY, lang); } catch { /* ignore */ }
  applyI18n();
  listeners.forEach((fn) => fn(lang));
}

/** Fill [data-i18n] text and [data-i18n-attr="attr:key;attr:key"] attributes under root. */
export function applyI18n(root = document) {
  document.documentElement.lang = lang;
  for (const el of root.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll('[data-i18n-attr]')) {
    for (const pair of el.dataset.i18nAttr.split(';')) {
      const [attr, key] = pair.split(':').map((s) => s.trim());
      if (attr && key) el.setAttribute(attr, t(key));
    }
  }
  const toggle = document.getElementById('lang-toggle');
  if (toggle) toggle.lang = lang === 'id' ? 'en' : 'id';
  if (document.body.dataset.title) document.title = `${t(document.body.dataset.title)} — Lapor`;
}

// ---- DOM --------------------------------------------------------------------------------------

/** Build an element; never uses innerHTML, so API text is always inert. on* functions become listeners. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  el.append(...children.flat(Infinity).filter((c) => c != null && c !== false));
  return el;
}

export const $ = (sel, root = document) => root.querySelector(sel);

// ---- API --------------------------------------------------------------------------------------

const API_BASE = document.querySelector('meta[name="lapor-api-base"]')?.content?.replace(/\/$/, '') ?? '';

export class ApiError extends Error {
  constructor(status, message, errors = [], body = null) {
    super(message);
    Object.assign(this, { status, errors, body });
  }
}

/** JSON request to the API; resolves to the parsed body, rejects with ApiError (status 0 = network). */
export async function api(path, { method = 'GET', body, token, headers = {} } = {}) {
  // The API answers errors in the page's language (Indonesian by default), from the same catalogue.
  const init = { method, headers: { Accept: 'application/json', 'Accept-Language': lang, ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  let res;
  try { res = await fetch(API_BASE + path, init); } catch { throw new ApiError(0, t('err.network')); }
  let data = null;
  try { const text = await res.text(); data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (res.ok) return data;
  const fallback = t(res.status >= 500 ? 'err.server' : 'err.http', { status: res.status });
  const message = typeof data?.message === 'string' && data.message ? data.message : fallback;
  const errors = Array.isArray(data?.errors) ? data.errors.filter((e) => e && typeof e.field === 'string') : [];
  throw new ApiError(res.status, message, errors, data);
}

let categoriesPromise = null;
/** GET /categories once per page. */
export function getCategories() {
  categoriesPromise ??= api('/categories').then((list) => (Array.isArray(list) ? list : []))
    .catch((e) => { categoriesPromise = null; throw e; });
  return categoriesPromise;
}

// ---- the message catalogue (GET /messages): the API's own words for every error -----------------

let catalogue = null;
let cataloguePromise = null;
/** Load the catalogue once; pages validate with it, so their messages are the API's. */
export function loadCatalogue() {
  cataloguePromise ??= api('/messages').then((doc) => { catalogue = doc; return doc; })
    .catch((e) => { cataloguePromise = null; throw e; });
  return cataloguePromise;
}

/** A field's name in the page's language, as the API's messages name it. */
export function fieldName(path) {
  const named = catalogue?.fields?.[path]?.[lang];
  if (named) return named;
  const m = /^(.*)\.(\d+)$/.exec(path);
  if (m && catalogue?.item) return catalogue.item[lang].replace('{field}', fieldName(m[1])).replace('{n}', String(+m[2] + 1));
  return path;
}

/** Catalogue message ``id`` in the page's language; ``field`` is named, other values filled in. */
export function msg(id, params = {}) {
  const template = catalogue?.messages?.[id]?.[lang] ?? catalogue?.messages?.invalid?.[lang] ?? id;
  const values = { ...params };
  if (params.field) values.field = fieldName(params.field);
  return template.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
}

// ---- dates and numbers -------------------------------------------------------------------------

const TZ = 'Asia/Jakarta';
const locale = () => (lang === 'en' ? 'en-GB' : 'id-ID');

/** Parse ISO-8601 (microseconds trimmed for older engines). */
export function parseIso(iso) {
  const d = new Date(String(iso).replace(/(\.\d{3})\d+/, '$1'));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** "Rabu, 2 Desember 2026 23.59 WIB" / "Wednesday, 2 December 2026 23:59 WIB"; null → "–". */
export function fmtWIB(iso) {
  if (!iso) return '–';
  const d = parseIso(iso);
  if (!d) return String(iso);
  const p = Object.fromEntries(new Intl.DateTimeFormat(locale(), {
    timeZone: TZ, weekday: 'long', day: 'numeric', month: 'long', year: 'numeric',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).formatToParts(d).map((x) => [x.type, x.value]));
  return `${p.weekday}, ${p.day} ${p.month} ${p.year} ${p.hour}${lang === 'en' ? ':' : '.'}${p.minute} WIB`;
}

/** "Desember 2026" for "2026-12". */
export function fmtMonth(period) {
  const m = /^(\d{4})-(\d{2})$/.exec(period || '');
  if (!m) return period || '';
  return new Intl.DateTimeFormat(locale(), { month: 'long', year: 'numeric', timeZone: 'UTC' })
    .format(new Date(Date.UTC(+m[1], +m[2] - 1, 15)));
}

/** The current month in WIB as YYYY-MM. */
export function currentWibMonth() {
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-CA', { timeZone: TZ, year: 'numeric', month: '2-digit' })
    .formatToParts(new Date()).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}`;
}

export const fmtNum = (n, digits = 1) => (n == null || Number.isNaN(+n) ? '–'
  : new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(n));
export const fmtPct = (n) => (n == null ? '–' : `${fmtNum(n)}%`);

export const statusLabel = (s) => (s ? t(`status.${s}`) : '–');
export const kindLabel = (k) => (k ? t(`kind.${k}`) : '–');
export const trackLabel = (k) => (k ? t(`track.${k}`) : '–');
export const badge = (s) => h('span', { class: `badge badge-${s}` }, statusLabel(s));

// ---- form errors -------------------------------------------------------------------------------

function controlFor(form, field) {
  for (const name of [field, field.replace(/^body\./, '')]) {
    const el = form.querySelector(`[data-field="${CSS.escape(name)}"]`) || form.querySelector(`[name="${CSS.escape(name)}"]`);
    if (el) return el;
  }
  return null;
}

export function clearErrors(form, box) {
  if (box) box.replaceChildren();
  if (!form) return;
  form.querySelectorAll('.field-error').forEach((p) => p.remove());
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    if (el.dataset.describedby !== undefined) {
      if (el.dataset.describedby) el.setAttribute('aria-describedby', el.dataset.describedby);
      else el.removeAttribute('aria-describedby');
      delete el.dataset.describedby;
    }
  }
}

/** Show an error summary in box (role=alert, focused) and each field's message next to the field.
 *  Messages come from the catalogue and already name their field, so each is shown once as is. */
export function showErrors(box, err, form = null, message = null) {
  clearErrors(form, box);
  const items = [];
  for (const fe of err.errors || []) {
    const el = form && controlFor(form, fe.field);
    if (el) {
      const wrap = el.closest('.field') || el.parentElement;
      const id = `err-${fe.field.replace(/[^\w-]/g, '_')}`;
      let p = document.getElementById(id);
      if (!p) wrap.append(p = h('p', { class: 'field-error', id }));
      p.textContent = p.textContent ? `${p.textContent} ${fe.message}` : fe.message;
      const group = el.name ? form.querySelectorAll(`[name="${CSS.escape(el.name)}"]`) : [el];
      for (const c of group) {
        if (c.dataset.describedby === undefined) c.dataset.describedby = c.getAttribute('aria-describedby') || '';
        c.setAttribute('aria-invalid', 'true');
        c.setAttribute('aria-describedby', `${c.dataset.describedby} ${id}`.trim());
      }
    }
    items.push(el
      ? h('a', { href: `#${el.id}`, onclick: (e) => { e.preventDefault(); el.focus(); } }, fe.message)
      : fe.message);
  }
  const top = message || err.message;
  // One message for one problem: a lone field error that says it all is not repeated in a list.
  const single = items.length === 1 && !message && (err.errors[0].message === top || err.status === 403);
  const alert = h('div', { class: 'alert alert-error', role: 'alert', tabindex: '-1' },
    h('p', {}, h('strong', {}, single ? items[0] : top)),
    !single && items.length ? h('ul', {}, items.map((item) => h('li', {}, item))) : null);
  box.replaceChildren(alert);
  alert.focus();
}

const EMAIL = /^[^@\s]+@[^@\s]+\.[^@\s.]{2,}$/;
// Indonesian mobile numbers as people type them: 0812-3456-7890, +62 812 3456 7890, 62812...
const PHONE = /^(?:\+?62|0)8\d{7,12}$/;

/** The page's own checks (the form has novalidate: the browser's English bubbles never show),
 *  worded by the catalogue; an ApiError-like value, or null when the form is fine. */
export function localErrors(form) {
  const errors = [];
  const seen = new Set();
  for (const el of form.elements) {
    const field = el.dataset.field || el.name;
    if (!field || seen.has(field) || el.disabled || el.type === 'hidden' || el.closest('[hidden]')) continue;
    const problem = checkControl(form, el, field);
    if (problem) { seen.add(field); errors.push({ field, code: problem.id, message: msg(problem.id, { field, ...problem.params }) }); }
  }
  return errors.length ? new ApiError(400, msg('invalid_input'), errors) : null;
}

function checkControl(form, el, field) {
  if (el.type === 'radio') {
    const group = form.querySelectorAll(`[name="${CSS.escape(el.name)}"]`);
    const required = [...group].some((r) => r.required);
    return required && ![...group].some((r) => r.checked) ? { id: 'required' } : null;
  }
  if (el.type === 'checkbox' || el.type === 'file' || el.tagName === 'BUTTON' || el.tagName === 'FIELDSET') return null;
  const value = (el.value || '').trim();
  if (!value) return el.required ? { id: 'required' } : null;
  if (el.minLength > 0 && value.length < el.minLength) return { id: 'too_short', params: { min: el.minLength } };
  if (el.maxLength > 0 && value.length > el.maxLength) return { id: 'too_long', params: { max: el.maxLength } };
  if (el.type === 'email' && !EMAIL.test(value)) return { id: 'email_invalid' };
  if (el.type === 'tel' && !PHONE.test(value.replace(/[\s().-]/g, ''))) return { id: 'phone_invalid' };
  if (el.type === 'date') {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return { id: 'date_format' };
    if (el.max && value > el.max) return { id: 'date_future' };
    if (el.min && value < el.min) return { id: 'date_too_old' };
  }
  if (el.type === 'month' && !/^\d{4}-\d{2}$/.test(value)) return { id: 'period_format' };
  return null;
}

/** Message for an ApiError with the usual 401/403/409 wording for officials. */
export function officialMessage(err) {
  return [401, 403, 409].includes(err.status) ? t(`err.${err.status}`) : null;
}

// ---- report view (track page and officials' panel) ---------------------------------------------

const DEADLINES = ['verify_by', 'follow_up_by', 'resolve_by', 'close_after'];

/** Earliest pending deadline of a report-like object, or null. */
export function nextDeadline(deadlines) {
  const list = DEADLINES.map((k) => deadlines?.[k]).filter(Boolean).map(parseIso).filter(Boolean);
  return list.length ? new Date(Math.min(...list)).toISOString() : null;
}

const STEPS = ['received', 'dispatched', 'verified', 'in_progress', 'completed', 'closed'];
const NEXT_DEADLINE = { dispatched: 'verify_by', verified: 'follow_up_by', in_progress: 'resolve_by', completed: 'close_after' };

/** The progress steps of a report, the current one marked (a rejected report stops where it was). */
function stepper(r) {
  const steps = r.status === 'rejected' ? ['received', 'dispatched', 'rejected'] : STEPS;
  const current = steps.indexOf(r.status);
  return h('ol', { class: 'stepper', 'aria-label': t('step.label') }, steps.map((step, i) => h('li', {
    class: i < current ? 'done' : i === current ? 'current' : 'todo',
    'aria-current': i === current ? 'step' : null,
  }, h('span', { class: 'step-dot', 'aria-hidden': 'true' }, i < current ? '✓' : String(i + 1)),
  h('span', { class: 'step-name' }, t(`step.${step}`)),
  i < current ? h('span', { class: 'visually-hidden' }, ` ${t('step.done')}`) : null)));
}

/** What happens next and by when, from the status and its deadline. */
function nextStep(r) {
  const field = NEXT_DEADLINE[r.status];
  const due = field ? r.deadlines?.[field] : null;
  const agency = r.agency?.name || t('next.agency');
  const key = `next.${r.status}`;
  const text = t(key, { agency, date: due ? fmtWIB(due) : '–' });
  const late = due && field !== 'close_after' && parseIso(due)?.getTime() < Date.now();
  return h('div', { class: 'next-step' }, h('h3', {}, t('next.heading')), h('p', {}, text),
    late ? h('p', { class: 'overdue' }, t('next.overdue')) : null);
}

function eventLabel(e) {
  if (e.event === 'escalate') {
    if (e.stage === 'resolve') return t('ev.escalate.resolve');
    return t('ev.escalate', { stage: t(`stage.${e.stage}`), level: e.level ?? 1 });
  }
  return e.event && STRINGS.id[`ev.${e.event}`] ? t(`ev.${e.event}`) : statusLabel(e.status);
}

/** Where a long history starts: how much of it is shown, and a button for the entries before (when
 *  the page offers to load them). */
function timelineStart(r, onEarlier) {
  if (!r.timeline_cursor || !r.timeline_total) return null;
  return h('div', { class: 'timeline-start' },
    h('p', {}, t('r.timeline.partial', { shown: (r.timeline || []).length, total: r.timeline_total })),
    onEarlier ? h('button', { type: 'button', class: 'secondary', onclick: onEarlier }, t('r.timeline.earlier')) : null);
}

/** A report's public view; ``onEarlier`` (optional) loads the timeline entries before those shown. */
export function reportView(r, categories = [], { onEarlier } = {}) {
  const cat = categories.find((c) => c.code === r.category);
  const facts = [
    [t('r.kind'), kindLabel(r.kind)],
    [t('r.category'), cat ? cat.name : r.category || t('r.unknown')],
    [t('r.agency'), r.agency ? `${r.agency.name} (${r.agency.code})` : t('r.unknown')],
    r.region ? [t('r.region'), r.region.full_name || r.region.name || r.region.code] : null,
    [t('r.track'), r.track ? trackLabel(r.track) : t('r.unknown')],
    [t('r.created'), h('time', { datetime: r.created_at }, fmtWIB(r.created_at))],
    [t('r.updated'), h('time', { datetime: r.updated_at }, fmtWIB(r.updated_at))],
    r.attachments_count ? [t('r.attachments'), t('r.attachments.n', { n: r.attachments_count })] : null,
  ].filter(Boolean);
  const now = Date.now();
  const deadlines = DEADLINES.filter((k) => r.deadlines?.[k]).map((k) => {
    const d = parseIso(r.deadlines[k]);
    const late = k !== 'close_after' && d && d.getTime() < now;
    return [t(`d.${k}`), [h('time', { datetime: r.deadlines[k] }, fmtWIB(r.deadlines[k])),
      late ? h('span', { class: 'overdue' }, ` (${t('d.overdue')})`) : null]];
  });
  const dl = (pairs) => h('dl', { class: 'facts' }, pairs.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  const timeline = r.timeline || [];
  return h('div', { class: 'report' },
    h('p', { class: 'report-status' }, badge(r.status)),
    stepper(r),
    nextStep(r),
    dl(facts),
    r.title != null || r.description != null
      ? [h('h3', {}, t('r.title')), h('p', { class: 'report-title' }, r.title ?? '–'),
        h('h3', {}, t('r.description')), h('p', { class: 'report-text' }, r.description ?? '–')]
      : h('p', { class: 'note' }, t('r.confidential')),
    h('h3', {}, t('r.deadlines')),
    deadlines.length ? dl(deadlines) : h('p', {}, t('d.none')),
    h('h3', {}, t('r.timeline')),
    timelineStart(r, onEarlier),
    timeline.length
      ? h('ol', { class: 'timeline' }, timeline.map((e) => h('li', { class: e.event === 'escalate' ? 'escalated' : null },
        h('time', { datetime: e.at }, fmtWIB(e.at)), ' — ', h('strong', {}, eventLabel(e)),
        e.note ? h('p', {}, e.note) : null)))
      : h('p', {}, t('r.timeline.empty')));
}

/** Uppercase, trim and re-dash a typed tracking code (XXXX-XXXX-XXXXX). */
export function normalizeCode(text) {
  const compact = String(text || '').replace(/[\s-]/g, '').toUpperCase();
  return compact.length === 13 ? `${compact.slice(0, 4)}-${compact.slice(4, 8)}-${compact.slice(8)}` : String(text || '').trim().toUpperCase();
}

// ---- page chrome -------------------------------------------------------------------------------

function renderChrome() {
  const here = location.pathname.split('/').pop() || 'index.html';
  const wrap = document.getElementById('main')?.classList.contains('wide') ? 'wrap wide' : 'wrap';
  const pages = [['index.html', 'nav.submit'], ['track.html', 'nav.track'], ['stats.html', 'nav.stats'], ['officials.html', 'nav.officials']];
  document.body.prepend(
    h('a', { class: 'skip-link', href: '#main', 'data-i18n': 'nav.skip', onclick: (e) => {
      // Pages route on location.hash, so focus <main> without touching the hash.
      e.preventDefault();
      const main = document.getElementById('main');
      main.setAttribute('tabindex', '-1');
      main.focus();
    } }),
    h('header', { class: 'site-header' }, h('div', { class: `${wrap} header-inner` },
      h('a', { class: 'brand', href: 'index.html' }, h('span', { class: 'brand-name' }, 'LAPOR'),
        h('span', { class: 'brand-tag', 'data-i18n': 'brand.tagline' })),
      h('nav', { 'data-i18n-attr': 'aria-label:nav.label' }, h('ul', {}, pages.map(([href, key]) =>
        h('li', {}, h('a', { href, 'aria-current': href === here ? 'page' : null, 'data-i18n': key }))))),
      h('button', { type: 'button', id: 'lang-toggle', class: 'lang-toggle', 'data-i18n': 'lang.switch',
        onclick: () => setLang(lang === 'id' ? 'en' : 'id') }))));
  document.body.append(h('footer', { class: 'site-footer' }, h('div', { class: wrap }, h('p', { 'data-i18n': 'footer.note' }))));
}

renderChrome();
applyI18n();
