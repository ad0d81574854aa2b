"""The report form's fields as HTML, built in Python.

Django renders a widget through templates (one per widget, and one more per `<option>` and attribute
list), and crispy added its own layers: that was most of the form page's CPU time. The report form's
widgets are plain inputs, text areas, selects and checkboxes, so they are written here directly with
`format_html` (every value escaped); any other widget falls back to Django's own rendering. The markup
is the same as Django's (names, ids, `required`, `aria-invalid`, `aria-describedby` pointing at the help
and the errors), so labels, scripts and tests do not see a difference.
"""

from collections.abc import Iterable

from django import forms
from django.forms.utils import flatatt
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe


def widget_html(field: forms.BoundField, **extra: object) -> SafeString:
    widget = field.field.widget
    if type(widget) not in _FAST and not isinstance(widget, forms.FileInput | forms.HiddenInput):
        return field.as_widget(attrs=extra or None)
    attrs = field.build_widget_attrs({**widget.attrs, **extra})
    attrs.setdefault("id", field.auto_id)
    attrs = {key: value for key, value in attrs.items() if value is not None and value is not False}
    name = field.html_name
    if isinstance(widget, forms.Textarea):
        value = widget.format_value(field.value())
        return format_html('<textarea name="{}"{}>\n{}</textarea>', name, flatatt(attrs), value or "")
    if isinstance(widget, forms.CheckboxInput):
        if widget.check_test(field.value()):
            attrs["checked"] = True
        return format_html('<input type="checkbox" name="{}"{}>', name, flatatt(attrs))
    if isinstance(widget, forms.Select):
        formatted = widget.format_value(field.value())  # a list, or one string (NullBooleanSelect)
        chosen = {str(v) for v in formatted} if isinstance(formatted, list | tuple) else {str(formatted)}
        options = _options(widget.choices, chosen)
        multiple = mark_safe(" multiple") if widget.allow_multiple_selected else ""
        return format_html('<select name="{}"{}{}>{}</select>', name, flatatt(attrs), multiple, options)
    if isinstance(widget, forms.FileInput):
        if getattr(widget, "allow_multiple_selected", False):
            attrs["multiple"] = True
        return format_html('<input type="file" name="{}"{}>', name, flatatt(attrs))
    value = widget.format_value(field.value())
    value_attr = format_html(' value="{}"', value) if value not in (None, "") else ""
    return format_html('<input type="{}" name="{}"{}{}>', widget.input_type, name, value_attr, flatatt(attrs))


_FAST = {
    forms.TextInput,
    forms.EmailInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
    forms.NumberInput,
    forms.Textarea,
    forms.CheckboxInput,
    forms.Select,
    forms.NullBooleanSelect,
}


def field_html(field: forms.BoundField, *, required: bool = False, wrapper_class: str = "mb-3") -> SafeString:
    """One field of the report form: label (marked when required), input, help, errors, in a div whose
    id (`div_id_<name>`) the error summary links to."""
    if field.field.widget.is_hidden:
        return widget_html(field)
    errors = field.errors
    help_html = (
        format_html('<div class="form-text" id="{}_helptext">{}</div>', field.auto_id, field.help_text)
        if field.help_text
        else ""
    )
    errors_html = (
        format_html(
            '<div class="invalid-feedback d-block fw-bold" id="{}_error">{}</div>',
            field.auto_id,
            format_html_join("", "<div>{}</div>", ((error,) for error in errors)),
        )
        if errors
        else ""
    )
    if isinstance(field.field.widget, forms.CheckboxInput):
        control = format_html(
            '<div class="form-check">{} <label class="form-check-label" for="{}">{}</label></div>',
            widget_html(field),
            field.auto_id,
            field.label,
        )
    else:
        mark = mark_safe('<span class="required-mark" aria-hidden="true"> *</span>') if required else ""
        control = format_html(
            '<label class="form-label fw-semibold" for="{}">{}{}</label>{}',
            field.auto_id,
            field.label,
            mark,
            widget_html(field),
        )
    css = wrapper_class + (" has-error" if errors else "")
    return format_html('<div class="{}" id="div_{}">{}{}{}</div>', css, field.auto_id, control, help_html, errors_html)


def _options(choices: Iterable[tuple[object, object]], chosen: set[str]) -> SafeString:
    """`<option>`s, and an `<optgroup>` for each group of choices (a label with a list of its own).
    Every value and label goes through `conditional_escape`, as `format_html` would do, but joined as
    plain strings: `format_html` per option for a production's 200 members was a third of the page's CPU."""
    parts = []
    for value, label in choices:
        if isinstance(label, list | tuple):
            parts.append(f'<optgroup label="{conditional_escape(value)}">{_options(label, chosen)}</optgroup>')
        else:
            selected = " selected" if str(value) in chosen else ""
            parts.append(f'<option value="{conditional_escape(value)}"{selected}>{conditional_escape(label)}</option>')
    return mark_safe("".join(parts))  # noqa: S308 - every part is escaped above
