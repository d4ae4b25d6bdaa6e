"""Partner organisations, users, roles, API tokens and the authenticated principal."""
