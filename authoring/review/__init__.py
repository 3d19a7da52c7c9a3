"""`digest review DATE`: the author's desk, a full-screen app (Textual) to read each summary against its source,
mark it reviewed, regenerate it with a hint, edit it, and undo; every change goes through the day store."""
