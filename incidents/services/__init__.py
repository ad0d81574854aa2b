"""Every write to reports, events and notifications goes through the functions of this package."""
