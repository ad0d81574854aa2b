"""Post/redirect/get everywhere a form posts: every POST of the authorisation matrix that changes
something answers with a redirect, so reloading the page after it sends nothing twice. (The matrix test
checks that the answers are really these; this holds its table to the rule.)"""

from tests.security.matrix_admin import admin_cases
from tests.security.matrix_app import app_cases

REDIRECTS = {302, 303}


def test_every_post_that_changes_something_answers_with_a_redirect():
    offenders = []
    for case in app_cases() + admin_cases():
        if case.method != "POST" or not case.takes_effect:
            continue
        answers = {case.expect[role] for role in case.takes_effect}
        if not answers <= REDIRECTS:
            offenders.append(f"{case.label}: answers {sorted(map(str, answers))} when it takes effect")
    assert not offenders, "POSTs that change something without redirecting:\n" + "\n".join(offenders)


def test_the_rule_is_checked_on_the_forms_that_matter():
    labels = {case.label for case in app_cases() if case.method == "POST" and case.takes_effect}
    for form in ("POST anonymous_new", "POST report_new for THE production", "POST report_comment", "POST join"):
        assert form in labels
