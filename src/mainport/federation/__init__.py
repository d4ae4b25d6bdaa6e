"""Federation between mainport instances: signed messages under per-partner, per-category agreements.

A small domain with a clear seam: `agreements.allowed(partner, category, direction)` is the one question
it asks; the sharing domain's agreements may answer it later."""
