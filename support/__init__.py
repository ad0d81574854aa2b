"""Real processes and checks shared by the tests and the benchmarks (so bench/ never imports tests/):
a private redis-server, gunicorn/Celery processes with their logs, a browser-like HTTP client that files
through the real form, an SMTP server process, and the fault suite's invariants. Tests may import this
package; nothing in the app does."""
