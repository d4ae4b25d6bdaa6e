"""Operations: the recurring jobs each domain declares (`<domain>/jobs.py`), run by a scheduler with one
leader at a time, each run recorded, audited, retried with backoff and shown on the operations page."""
