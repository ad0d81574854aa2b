import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import validate_webhook_url

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/join/%00/", "/reports/?q=%00", "/admin/incidents/report/?status=%00"])
def test_a_nul_byte_in_the_address_is_refused_with_400_not_a_server_error(client, superuser, path):
    client.force_login(superuser)
    assert client.get(path).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.example/services/T0/B0/x",
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.20:8443/hook",
        "https://[::1]/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://printer.local/hook",
    ],
)
def test_a_webhook_cannot_point_at_plain_http_or_the_local_network(url):
    with pytest.raises(ValidationError):
        validate_webhook_url(url)


def test_a_public_https_webhook_is_accepted():
    validate_webhook_url("https://hooks.slack.com/services/T000/B000/XXXX")


def test_the_admin_refuses_a_webhook_on_the_local_network_with_a_message(client, superuser, production):
    client.force_login(superuser)
    url = reverse("admin:accounts_production_change", args=[production.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name, "") for name in form.fields}
    data["webhook_url"] = "https://127.0.0.1:8080/hook"
    # Only the field's own validation is the point here: the production form refuses it with its message.
    assert "webhook_url" in type(form)(data=data, instance=production).errors
