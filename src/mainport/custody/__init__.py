"""Chain of custody for containers under control, secure release rights, seals and smart-seal telemetry."""
