"""What the handlers take away: the queue as CSV, the investigation record (page and PDF), trend
statistics and their charts. Reporting reads and never writes; like the selectors, it imports no service."""
