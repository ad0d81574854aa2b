"""Forms, one module per area (report, handling, stop_work, anonymous, ...)."""
