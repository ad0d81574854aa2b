"""What people file, for the benchmarks: a realistic mix of reports, as the form's POST bodies.

At least a third are firearm categories (misfires, live rounds, unsafe handling: ammunition and weapon
filled in, the repeat-incident check runs), some are raised to critical (no ETA horizon slack: their
first deadline is minutes away, so the filing queues a timer), some ignored warnings, the rest the
everyday categories. Deterministic for a given seed; no stop-work calls (they reach every member and
put a banner on every page, which is another benchmark).
"""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

FIREARM = ("misfire", "live_ammunition", "unsafe_handling")
EVERYDAY = ("stunts", "pyrotechnics", "vehicles", "rigging", "fatigue", "environment", "other")
AMMUNITION = ("blank", "dummy", "live", "unknown")
# (share, kind): 40 % firearm, 5 % ignored warnings, 55 % everyday; 15 % of all raised to critical.
FIREARM_SHARE = 0.40
WARNING_SHARE = 0.05
CRITICAL_SHARE = 0.15


def report_body(rng: random.Random, *, title: str, tz: str, csrf: str = "") -> dict[str, str]:
    """One report as the form posts it (without files)."""
    roll = rng.random()
    if roll < FIREARM_SHARE:
        category = rng.choice(FIREARM)
    elif roll < FIREARM_SHARE + WARNING_SHARE:
        category = "ignored_warning"
    else:
        category = rng.choice(EVERYDAY)
    occurred = datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%dT%H:%M")
    body = {
        "csrfmiddlewaretoken": csrf,
        "category": category,
        "title": title,
        "description": "Filed by the benchmark: what happened, in two sentences. Nobody was hurt this time.",
        "occurred_at": occurred,
        "location": rng.choice(["Stage 2", "Stage 4, saloon", "Base camp", "Exterior, ranch"]),
        # Anonymous filings are left out: their receipt is a deliberately slow hash (PBKDF2, 120,000
        # rounds, ~100 ms of CPU), which would measure the hash, not the filing path.
        "identity": rng.choice(["named"] * 4 + ["confidential"]),
    }
    if category in FIREARM:
        body["ammunition"] = rng.choice(AMMUNITION)
        body["weapon"] = rng.choice(["Prop revolver #7", "Shotgun #2", "Rifle #4"])
        body["armorer_present"] = rng.choice(["true", "false", "unknown"])
    if category == "ignored_warning":
        body["warned_whom"] = "The key grip"
        body["warned_how"] = "Said so at the safety meeting on Monday."
    if rng.random() < CRITICAL_SHARE:
        body["severity"] = "critical"
    return body


def bodies(count: int, *, seed: int, tz: str, csrf: str = "", prefix: str = "Filed under load") -> list[dict]:
    rng = random.Random(seed)
    return [report_body(rng, title=f"{prefix} {seed}-{n}", tz=tz, csrf=csrf) for n in range(count)]


def describe(items: list[dict]) -> str:
    """ "40% firearm, 15% critical, ..." for the printed header."""
    if not items:
        return "no reports"
    firearm = sum(item["category"] in FIREARM for item in items) / len(items)
    critical = sum(item.get("severity") == "critical" for item in items) / len(items)
    live = sum(item["category"] == "live_ammunition" for item in items) / len(items)
    return (
        f"{len(items)} bodies: {firearm:.0%} firearm categories ({live:.0%} live ammunition, critical by default), "
        f"{critical:.0%} raised to critical by the reporter"
    )
