"""Archivists' corrections as a layer over machine output.

A correction is an edit record (target, id, field, old, new, machine value, who, when, why, version) in the store's
own edit log (``IndexBackend.edit_log``). What is searched is the machine value with the newest edit applied: the
layer writes the edited document at once (BM25 fields and the text vector recomputed) and ``overlay`` applies the
edits again to every re-analysis of the video before it is committed, so a rerun, a new model or a rebuild never
loses one — and where the machine value under an edit changed, the edit still wins and is flagged for review.
"""
