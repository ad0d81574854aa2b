"""The report form's fields, rendered in Python (incidents.forms.render): `{% report_field form.title required=True %}`
for a whole field (label, input, help, errors) and `{% report_widget form.attachments %}` for the input alone."""

from django import forms, template
from django.utils.safestring import SafeString

from incidents.forms.render import field_html, widget_html

register = template.Library()


@register.simple_tag
def report_field(field: forms.BoundField, required: bool = False) -> SafeString:
    return field_html(field, required=required)


@register.simple_tag
def report_widget(field: forms.BoundField) -> SafeString:
    return widget_html(field)
