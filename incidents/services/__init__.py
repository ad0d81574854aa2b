"""Writes: every change to reports, events, notifications and policies goes through the functions of
this package (keyword-only arguments, compare-and-set or row locks, the event in the same transaction),
with the few helpers only those writes use (who a level reaches, receipt codes, the task queue).

Reads live below: a page's queries in `incidents.selectors`, what handlers take away (CSV, the
investigation record, statistics, charts) in `incidents.reporting`, the ladder in `incidents.ladder`."""
