"""Every file under output/: atomic writes, the day (lock, journal, hand-edit guard), its history and edits."""
