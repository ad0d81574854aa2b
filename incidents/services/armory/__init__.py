"""The armory (DESIGN.md flow 6): inventory, custody, shooting days and safety meetings, the armorer's
time requests, and the reports their gaps file. Each module writes; reads live in the selectors."""
