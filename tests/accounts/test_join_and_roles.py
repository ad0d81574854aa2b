import pytest
from django.urls import reverse

from accounts.models import ROLE_RANKS, Membership, Role, rank_of
from tests.factories import ProductionFactory, UserFactory


def test_role_ranks_follow_the_production_hierarchy():
    assert rank_of(Role.CREW) < rank_of(Role.DEPARTMENT_HEAD) < rank_of(Role.ARMORER)
    assert rank_of(Role.ARMORER) == rank_of(Role.SAFETY)
    assert rank_of(Role.SAFETY) < rank_of(Role.UPM) < rank_of(Role.PRODUCER) < rank_of(Role.EXECUTIVE)
    assert set(ROLE_RANKS) == set(Role.values)


@pytest.mark.django_db
def test_a_signed_in_user_joins_a_production_with_its_code_as_crew(client):
    production = ProductionFactory()
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("join", args=[production.join_code]), {"department": "camera"})
    assert response.status_code == 302
    membership = Membership.objects.get(user=user, production=production)
    assert membership.role == Role.CREW
    assert membership.department == "camera"


@pytest.mark.django_db
def test_joining_with_a_lowercase_code_still_finds_the_production(client):
    production = ProductionFactory()
    client.force_login(UserFactory())
    response = client.get(reverse("join", args=[production.join_code.lower()]))
    assert response.status_code == 200
    assert production.name in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_join_code_says_so_and_joins_nothing(client):
    user = UserFactory()
    client.force_login(user)
    response = client.post(reverse("join", args=["NOSUCHCODE99"]), {"department": "grip"})
    assert response.status_code == 404
    assert "No production has the code" in response.content.decode()
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.django_db
def test_joining_again_keeps_the_existing_role(client):
    production = ProductionFactory()
    user = UserFactory()
    Membership.objects.create(user=user, production=production, role=Role.PRODUCER, department="production")
    client.force_login(user)
    response = client.post(reverse("join", args=[production.join_code]), {"department": "grip"}, follow=True)
    assert "already a member" in response.content.decode()
    membership = Membership.objects.get(user=user, production=production)
    assert membership.role == Role.PRODUCER


@pytest.mark.django_db
def test_a_user_can_belong_to_several_productions(client):
    user = UserFactory()
    client.force_login(user)
    for production in ProductionFactory.create_batch(2):
        client.post(reverse("join", args=[production.join_code]), {"department": "grip"})
    assert Membership.objects.filter(user=user).count() == 2


@pytest.mark.django_db
def test_joining_needs_a_login(client):
    production = ProductionFactory()
    response = client.get(reverse("join", args=[production.join_code]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


@pytest.mark.django_db
def test_join_codes_are_long_and_unique():
    codes = {ProductionFactory().join_code for _ in range(20)}
    assert len(codes) == 20
    assert all(len(code) >= 12 for code in codes)


@pytest.mark.django_db
@pytest.mark.parametrize("department", ["", "wardrobe-ish", "\x00"])
def test_joining_asks_the_department_with_no_default_and_says_why(client, department):
    production = ProductionFactory()
    user = UserFactory()
    client.force_login(user)
    page = client.get(reverse("join", args=[production.join_code])).content.decode()
    assert '<option value="" selected>Choose your department</option>' in page
    assert "selected" not in page.split("Choose your department</option>", 1)[1].split("</select>", 1)[0]
    assert "a report goes first to its department" in page
    response = client.post(reverse("join", args=[production.join_code]), {"department": department})
    assert response.status_code == 200
    assert not Membership.objects.filter(user=user).exists()
    html = response.content.decode()
    assert "your reports go first to its head." in html and "Select a valid choice" not in html
