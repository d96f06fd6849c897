"""Media: probing, decoding and sampling video files; shot boundaries; thumbnails."""
