"""The matrix's cases for investigations (issue 20), on the stop-work call of tests/security/world.py (a
critical report filed by the reporter, whose investigation the safety coordinator opened with a witness
statement). The production's handlers read it (the reporter 403, its admins 403: the investigation record's
rule); every handler may write it here, since a stop-work call reaches every level at once."""

from typing import Any

from django.urls import reverse

from tests.security.matrix import LOGIN, Case, on_report, roles
from tests.security.world import GROUPS, World, photo

READ = roles(404, anonymous=LOGIN, reporter=403, handlers=200, staff=403, superuser=200)
WRITE = roles(404, anonymous=LOGIN, reporter=403, handlers=302, staff=403, superuser=302)
POST_ONLY = roles(405, anonymous=LOGIN)
WRITERS = [*GROUPS["handlers"], "superuser"]


def _investigation(world: World, role: str) -> dict[str, Any]:
    return {
        "what_happened": f"Checked by {role}: a live round was in the prop cart.",
        "why_1": "The cart was not checked after the armory delivery.",
        "factors": ["supervision"],
    }


def investigation_cases() -> list[Case]:
    cases = on_report(
        "investigation",
        lambda o: reverse("investigation", args=[o.stop_work.pk]),
        get=READ,
        post=WRITE,
        data=_investigation,
        takes_effect=WRITERS,
    )
    cases += on_report(
        "investigation_statement_new",
        lambda o: reverse("investigation_statement_new", args=[o.stop_work.pk]),
        get=POST_ONLY,
        post=WRITE,
        data=lambda w, r: {"witness": "Second Witness", "file": photo("statement.jpg")},
        takes_effect=WRITERS,
    )
    cases += on_report(
        "investigation_statement",
        lambda o: reverse("investigation_statement", args=[o.stop_work.pk, o.statement.pk]),
        get=READ,
    )
    return cases
