"""Server-rendered web UI: Jinja2 pages behind a login, CSRF on every form."""
