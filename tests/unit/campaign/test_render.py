"""Per-recipient rendering: compiled once, validated by the wire models, rejections name field and rule."""

from __future__ import annotations

import jinja2
import pytest

from airflow_provider_messaging.campaign.render import MessageTemplate, Rejected
from airflow_provider_messaging.models.base import InvalidMessageError


def env() -> jinja2.Environment:
    return jinja2.Environment()


def test_fields_render_per_recipient_with_the_context():
    t = MessageTemplate(env(), channel="viber", context={"ds": "2026-01-01"}, fields={
        "service_number": "SHOP", "text": "Hi {{ recipient.first_name }}, sale on {{ ds }}",
        "extra_params": {"who": "{{ recipient.first_name | lower }}", "fixed": "a,b"}, "ttl": 60})
    assert set(t.per_recipient) == {"text", "extra_params"} and t.fixed["service_number"] == "SHOP"
    request = t.render({"dest_addr": "+7 900 000-00-01", "first_name": "Ann"}, "79000000001", "pid-1")
    wire = request.to_wire()
    assert wire["destAddr"] == "79000000001" and wire["id"] == "pid-1"
    assert wire["message"]["data"]["instantContent"]["data"]["text"] == "Hi Ann, sale on 2026-01-01"
    assert wire["extraParam"] == "who=ann,fixed=a,,b"


def test_a_missing_recipient_field_rejects_the_row_naming_the_field_and_default_still_works():
    t = MessageTemplate(env(), channel="viber", fields={
        "service_number": "S", "text": "Hi {{ recipient.first_name }}{{ recipient.title | default('') }}"})
    with pytest.raises(Rejected) as info:
        t.render({"dest_addr": "79000000001"}, "79000000001", "p")
    assert info.value.field == "text"
    assert info.value.rule == "the template needs the recipient field 'first_name', which this row does not have"


def test_a_rendered_message_that_breaks_a_platform_rule_is_rejected_with_the_models_rule():
    t = MessageTemplate(env(), channel="viber", fields={"service_number": "S", "text": "{{ recipient.note }}"})
    with pytest.raises(Rejected) as info:
        t.render({"note": "x" * 1001}, "79000000001", "p")
    assert info.value.field == "message.data.instantContent.data.text"
    assert info.value.rule == "Viber text is at most 1000 characters, got 1001"


def test_without_recipient_fields_the_message_is_validated_once_and_numbers_per_row():
    t = MessageTemplate(env(), channel="whatsapp", fields={"service_number": "S", "text": "Sale {{ ds }}"},
                        context={"ds": "2026-01-01"})
    assert not t.per_recipient
    a = t.render({}, "+7 (900) 000-00-01", "p1")
    assert a.dest_addr == "79000000001" and a.id == "p1"
    assert a.message.data.instant_content.data.text == "Sale 2026-01-01"
    with pytest.raises(Rejected) as info:
        t.render({}, "12", "p2")
    assert info.value.field == "destAddr" and "10 to 15 digits" in info.value.rule


def test_an_invalid_fixed_message_or_template_fails_before_any_row():
    with pytest.raises(InvalidMessageError, match="Viber text is at most 1000 characters"):
        MessageTemplate(env(), channel="viber", fields={"service_number": "S", "text": "x" * 1001})
    with pytest.raises(InvalidMessageError, match="text: template syntax"):
        MessageTemplate(env(), channel="viber", fields={"service_number": "S", "text": "{{ recipient.a "})
    with pytest.raises(InvalidMessageError, match="text: template: 'nope' is undefined"):
        MessageTemplate(env(), channel="viber", fields={"service_number": "S", "text": "{{ nope }}"})


def test_templates_are_compiled_once(monkeypatch):
    compiled = []
    e = env()
    original = e.from_string
    def counting(self, source, *args, **kwargs):
        compiled.append(source)
        return original.__func__(self, source, *args, **kwargs)

    monkeypatch.setattr(jinja2.Environment, "from_string", counting)
    t = MessageTemplate(e, channel="viber", fields={"service_number": "S", "text": "Hi {{ recipient.n }}"})
    for i in range(50):
        t.render({"n": str(i)}, "79000000001", "p")
    assert compiled == ["Hi {{ recipient.n }}"]
