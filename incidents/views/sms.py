"""The SMS provider's webhook: a text sent back to SafeTrack's number. Only a request signed by the
provider (X-Twilio-Signature, keyed with our auth token, over this URL and every parameter) for our
account is read; anything else gets 403 and changes nothing. The answer is TwiML: the text to send back."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidents.notifications import sms
from incidents.services.sms_replies import sms_reply_receive


def _twiml(text: str) -> HttpResponse:
    message = f"<Message>{escape(text)}</Message>" if text else ""
    body = f'<?xml version="1.0" encoding="UTF-8"?><Response>{message}</Response>'
    response = HttpResponse(body, content_type="text/xml; charset=utf-8")
    response["Cache-Control"] = "no-store"
    return response


@csrf_exempt  # the provider cannot hold a CSRF token: its signature stands for it
@require_POST
def sms_inbound(request: HttpRequest) -> HttpResponse:
    # The URL the provider signed: the one it was told to call (SITE_URL), not whatever Host arrived.
    url = settings.SITE_URL + request.get_full_path()
    params = [(name, value) for name, values in request.POST.lists() for value in values]
    if not sms.signature_valid(url=url, params=params, header=request.headers.get("X-Twilio-Signature", "")):
        return HttpResponse(status=403)
    if request.POST.get("AccountSid") != settings.SMS_ACCOUNT_SID:
        return HttpResponse(status=403)
    return _twiml(sms_reply_receive(from_number=request.POST.get("From", ""), body=request.POST.get("Body", "")))
