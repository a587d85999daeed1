"""Grading a class: submissions, a session, batches, typed records and the files derived from them."""
