"""mainport: software for the Dutch plan of approach against drug smuggling via mainports."""

__version__ = "0.1.0"
