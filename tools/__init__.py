"""Build-time tools: they turn maintained data packages into the compact files Lapor ships."""
