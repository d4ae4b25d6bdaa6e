"""HTTP layer: the FastAPI app factory, typed dependencies and the one error shape."""
