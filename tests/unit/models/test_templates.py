"""Template wire models (SPEC §4, seed 002): the seed's four examples serialise exactly, and every
documented rule is refused before any request with a message naming the field and the rule."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from airflow_provider_messaging.exceptions import InvalidMessageError
from airflow_provider_messaging.models.templates import (
    VIBER_CATEGORIES,
    WHATSAPP_CONTENT_TYPES,
    SmsMatcher,
    TemplateRequest,
    ViberMatcher,
    WhatsAppMatcher,
    whatsapp_variables,
)
from tests.helpers.templates import (
    SEED_SMS,
    SEED_VIBER,
    SEED_WHATSAPP_BUTTONS,
    SEED_WHATSAPP_VARIABLES,
    VIBER_DOCUMENTED,
    edit,
    named,
)


def refused(data: Any, **options: Any) -> InvalidMessageError:
    with pytest.raises(InvalidMessageError) as err:
        TemplateRequest.parse(data, **options)
    return err.value


def problem(err: InvalidMessageError, field: str) -> str:
    """The rule reported for ``field``; fails listing every problem if the field is not named."""
    rules = [rule for f, rule in err.problems if f == field]
    assert rules, f"{field} not named in {err.problems}"
    return rules[0]


# --- the seed's examples --------------------------------------------------------------------------
@pytest.mark.parametrize("seed", [SEED_WHATSAPP_VARIABLES, SEED_WHATSAPP_BUTTONS, SEED_SMS],
                         ids=["whatsapp-variables", "whatsapp-quick-replies", "sms"])
def test_seed_examples_serialise_exactly(seed):
    request = TemplateRequest.parse(seed)
    assert request.to_wire() == seed
    assert request.name == "new_matcher"


def test_seed_models_have_the_channel_model_and_channel():
    assert isinstance(TemplateRequest.parse(SEED_WHATSAPP_BUTTONS).message_matcher, WhatsAppMatcher)
    assert isinstance(TemplateRequest.parse(SEED_SMS).message_matcher, SmsMatcher)
    viber = TemplateRequest.parse(SEED_VIBER, strict_enums=False)
    assert isinstance(viber.message_matcher, ViberMatcher)
    assert [r.channel.value for r in (viber, TemplateRequest.parse(SEED_SMS))] == ["VIBER", "SMS"]


def test_seed_viber_example_transactional_is_refused_by_default_saying_how_to_opt_out():
    rule = problem(refused(SEED_VIBER), "messageMatcher.category")
    assert "'TRANSACTIONAL' is not one of ACCOUNT_UPDATE" in rule
    assert "strict_enums=False" in rule and "extra_categories=('TRANSACTIONAL',)" in rule


@pytest.mark.parametrize("options", [{"strict_enums": False}, {"extra_categories": ("TRANSACTIONAL",)},
                                     {"extra_categories": "TRANSACTIONAL"}])
def test_seed_viber_example_is_accepted_with_an_opt_out_and_serialises_exactly(options):
    assert TemplateRequest.parse(SEED_VIBER, **options).to_wire() == SEED_VIBER


def test_extra_categories_relaxes_categories_only():
    data = edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.contentType", "CAROUSEL")
    rule = problem(refused(data, extra_categories=("CAROUSEL",)), "messageMatcher.contentType")
    assert "'CAROUSEL' is not one of TEXT" in rule and "strict_enums=False" in rule
    assert "extra_categories" not in rule
    assert TemplateRequest.parse(data, strict_enums=False).to_wire()["messageMatcher"]["contentType"] == "CAROUSEL"


def test_models_built_in_python_serialise_to_the_wire_shape():
    request = TemplateRequest(
        message_matcher=ViberMatcher(name="promo_1", language="ru", category="ALERT_UPDATE",
                                     content={"text": "Hi", "action": "https://x.example", "caption": "Open"}),
        subject_ids=[7],
    )
    assert request.to_wire() == {
        "messageMatcher": {"name": "promo_1", "channelType": "VIBER", "language": "ru", "type": "OPERATOR",
                           "category": "ALERT_UPDATE",
                           "content": {"text": "Hi", "action": "https://x.example", "caption": "Open"}},
        "subjectIds": [7],
    }


def test_a_matcher_alone_is_refused_saying_how_to_wrap_it():
    matcher = ViberMatcher(name="promo_1", language="ru", category="ALERT_UPDATE", content={"text": "Hi"})
    rule = problem(refused(matcher), "subjectIds")
    assert rule.startswith("required, a ViberMatcher alone is not a request: pass "
                           "TemplateRequest(message_matcher=<it>, subject_ids=[...])")


def test_type_defaults_to_operator_and_absent_fields_stay_absent():
    data = edit(VIBER_DOCUMENTED, "messageMatcher.type")
    wire = TemplateRequest.parse(data).to_wire()
    assert wire["messageMatcher"]["type"] == "OPERATOR"
    assert "contentType" not in wire["messageMatcher"] and "smsProviderIds" not in wire


def test_parse_accepts_a_model_instance():
    request = TemplateRequest.parse(SEED_WHATSAPP_VARIABLES)
    assert TemplateRequest.parse(request).to_wire() == SEED_WHATSAPP_VARIABLES


def test_whatsapp_variables_are_distinct_numbers():
    assert whatsapp_variables("{{2}} a {{1}} b {{1}} {{ 3 }}") == [1, 2, 3]
    assert whatsapp_variables("no variables {1} {{x}}") == []


# --- common rules -------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["new-matcher", "new matcher", "шаблон", "a.b", "x!"])
def test_name_only_latin_letters_digits_and_underscore(name):
    rule = problem(refused(named(SEED_WHATSAPP_BUTTONS, name)), "messageMatcher.name")
    assert rule == f"only Latin letters, digits and _ are allowed, got {name!r}"


@pytest.mark.parametrize("name", ["new_matcher\n", "new_matcher\r\n", "new_matcher ", "\nnew_matcher"])
def test_name_with_a_trailing_or_leading_newline_or_space_is_refused(name):
    rule = problem(refused(named(SEED_WHATSAPP_BUTTONS, name)), "messageMatcher.name")
    assert rule == f"only Latin letters, digits and _ are allowed, got {name!r}"


def test_name_at_most_60_characters():
    assert TemplateRequest.parse(named(SEED_WHATSAPP_BUTTONS, "a" * 60)).name == "a" * 60
    rule = problem(refused(named(SEED_WHATSAPP_BUTTONS, "a" * 61)), "messageMatcher.name")
    assert rule == "at most 60 characters, got 61"


@pytest.mark.parametrize("value", [..., "", 12])
def test_name_is_required(value):
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.name", value)), "messageMatcher.name")
    assert "required" in rule or "must be a string" in rule


@pytest.mark.parametrize("value, expected", [
    (..., "channelType: required, one of WHATSAPP, VIBER, SMS"),
    ("TELEGRAM", "must be one of WHATSAPP, VIBER, SMS, got 'TELEGRAM'"),
    ("whatsapp", "must be one of WHATSAPP, VIBER, SMS, got 'whatsapp'"),
])
def test_channel_type_is_required_and_one_of_three(value, expected):
    err = refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.channelType", value))
    assert expected.split(": ", 1)[-1] in problem(err, "messageMatcher.channelType")


@pytest.mark.parametrize("value, expected", [
    (..., "required, a non-empty list of sender signature ids"),
    ([], "required, a non-empty list of sender signature ids"),
    ([True], "item 0 must be a whole number"),
    (["abc"], "item 0 must be a whole number"),
    (20526, "required, a non-empty list"),
])
def test_subject_ids_are_required_integers(value, expected):
    assert expected in problem(refused(edit(SEED_WHATSAPP_BUTTONS, "subjectIds", value)), "subjectIds")


@pytest.mark.parametrize("digits", ["²", "١٢", "１２", "12.0", "-3"])
def test_subject_ids_refuse_anything_but_ascii_digit_strings(digits):
    """"²" and "١٢" pass str.isdigit(); the first made int() fail with its own text, the second
    was read as 12."""
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "subjectIds", [digits])), "subjectIds")
    assert rule.startswith(f"item 0 must be a whole number (sender signature ids (subjects) the template is for), "
                           f"got {digits!r}")


def test_subject_ids_digit_strings_become_integers():
    """A Jinja-rendered id (a string of digits) is sent as the integer the platform expects."""
    assert TemplateRequest.parse(edit(SEED_WHATSAPP_BUTTONS, "subjectIds", ["20526"])).to_wire()["subjectIds"] == [20526]


@pytest.mark.parametrize("seed, value, expected", [
    (SEED_WHATSAPP_BUTTONS, "USER", "USER templates are documented, but the platform supports OPERATOR only"),
    (SEED_WHATSAPP_BUTTONS, "CUSTOM", "CUSTOM templates do not exist for WhatsApp, and the platform supports OPERATOR only"),
    (VIBER_DOCUMENTED, "USER", "USER templates are documented, but the platform supports OPERATOR only"),
    (VIBER_DOCUMENTED, "CUSTOM", "CUSTOM templates are documented, but the platform supports OPERATOR only"),
    (SEED_SMS, "CUSTOM", "CUSTOM templates are documented, but the platform supports OPERATOR only"),
    (SEED_SMS, "operator", "must be OPERATOR (the platform supports OPERATOR only), got 'operator'"),
])
def test_type_operator_only(seed, value, expected):
    assert problem(refused(edit(seed, "messageMatcher.type", value)), "messageMatcher.type") == expected


def test_unknown_fields_are_refused_naming_them():
    err = refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.createdAt", "2022-05-05T11:34:34.844Z"))
    assert "Extra inputs are not permitted" in problem(err, "messageMatcher.createdAt")
    err = refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.content.caption", "Open"))
    assert problem(err, "messageMatcher.content.caption")


def test_the_unwrapped_request_format_block_is_refused_pointing_at_the_examples_shape():
    unwrapped = {**SEED_WHATSAPP_BUTTONS["messageMatcher"], "subjectIds": [1]}
    rule = problem(refused(unwrapped), "messageMatcher")
    assert "the template goes inside" in rule and "subjectIds" in rule


def test_several_problems_are_reported_together():
    data = edit(named(SEED_WHATSAPP_VARIABLES, "bad-name"), "subjectIds")
    data = edit(data, "messageMatcher.category", "PROMO")
    err = refused(data)
    fields = {f for f, _ in err.problems}
    assert {"messageMatcher.name", "messageMatcher.category", "subjectIds"} <= fields
    assert str(err).startswith("invalid template: ")


# --- WhatsApp -------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["RU", "ru", "en_US", "en_us", "pt_BR", "fil", "zh_CN"])
def test_whatsapp_language_either_case_is_accepted_as_given(language):
    request = TemplateRequest.parse(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.language", language))
    assert request.to_wire()["messageMatcher"]["language"] == language


@pytest.mark.parametrize("language", [..., "", "russian", "ru-RU", "r", "ru\n", "en_US\n"])
def test_whatsapp_language_is_required_and_a_language_code(language):
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.language", language)), "messageMatcher.language")
    assert "WhatsApp Business Platform language code" in rule


@pytest.mark.parametrize("path", ["messageMatcher.content", "messageMatcher.content.text"])
def test_whatsapp_content_and_text_are_required(path):
    err = refused(edit(SEED_WHATSAPP_BUTTONS, path))
    assert problem(err, path) in ("Field required", "required, the template's message text must not be empty")


def test_whatsapp_text_must_not_be_blank():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.content.text", "  ")),
                   "messageMatcher.content.text")
    assert rule == "required, the template's message text must not be empty"


def test_whatsapp_category_is_required_like_the_platforms_must_not_be_null():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category")), "messageMatcher.category")
    assert rule == ("required, one of MARKETING, AUTHENTICATION, UTILITY "
                    "(without it the platform answers 'must not be null')")


@pytest.mark.parametrize("category", ["MARKETING", "AUTHENTICATION", "UTILITY"])
def test_whatsapp_documented_categories_are_accepted(category):
    TemplateRequest.parse(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category", category))


@pytest.mark.parametrize("category", ["ALERT_UPDATE", "marketing", "TRANSACTIONAL"])
def test_whatsapp_other_categories_are_refused_strictly(category):
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.category", category)), "messageMatcher.category")
    assert rule.startswith(f"{category!r} is not one of MARKETING, AUTHENTICATION, UTILITY (WhatsApp category)")


@pytest.mark.parametrize("content_type", WHATSAPP_CONTENT_TYPES)
def test_whatsapp_content_types_are_accepted(content_type):
    TemplateRequest.parse(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.contentType", content_type))


def test_whatsapp_unknown_content_type_is_refused():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.contentType", "STICKER")),
                   "messageMatcher.contentType")
    assert rule.startswith("'STICKER' is not one of TEXT, IMAGE, BUTTON, DOCUMENT, LOCATION, AUDIO, VIDEO, AUTHENTICATION")


HEADER = "messageMatcher.content.header"


def test_whatsapp_text_header_needs_a_text_example():
    data = edit(SEED_WHATSAPP_BUTTONS, f"{HEADER}.headerType", "TEXT")
    rule = problem(refused(data), f"{HEADER}.headerExampleTextParam")
    assert rule == "required when headerType is TEXT (an example of the header text)"
    TemplateRequest.parse(edit(data, f"{HEADER}.headerExampleTextParam", "edna"))


@pytest.mark.parametrize("header_type", ["IMAGE", "VIDEO", "DOCUMENT"])
def test_whatsapp_media_header_needs_a_media_url_example(header_type):
    data = edit(SEED_WHATSAPP_BUTTONS, HEADER, {"headerType": header_type,
                                                "attachment": {"fileUrl": "https://x.example/f", "originalFileName": "f"}})
    rule = problem(refused(data), f"{HEADER}.headerExampleMediaUrl")
    assert rule == f"required when headerType is {header_type} (the URL of an example file)"
    TemplateRequest.parse(edit(data, f"{HEADER}.headerExampleMediaUrl", "https://x.example/example"))


def test_whatsapp_header_type_is_one_of_four():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, f"{HEADER}.headerType", "AUDIO")), f"{HEADER}.headerType")
    assert rule.startswith("'AUDIO' is not one of TEXT, IMAGE, VIDEO, DOCUMENT (WhatsApp header type)")
    TemplateRequest.parse(edit(SEED_WHATSAPP_BUTTONS, f"{HEADER}.headerType", "AUDIO"), strict_enums=False)


BUTTONS = "messageMatcher.content.keyboard.rows.0.buttons"


@pytest.mark.parametrize("remove, expected", [
    ("url", "required for a URL button (the address the button opens)"),
    ("urlTextExample", "required for a URL button, an example of the full link "
                       "(without it the platform answers message-matcher.saving.bad-request)"),
])
def test_whatsapp_url_button_needs_url_and_url_text_example(remove, expected):
    err = refused(edit(SEED_WHATSAPP_VARIABLES, f"{BUTTONS}.0.{remove}"))
    assert problem(err, f"{BUTTONS}.0.{remove}") == expected


def test_whatsapp_url_button_example_must_start_with_the_urls_fixed_part():
    err = refused(edit(SEED_WHATSAPP_VARIABLES, f"{BUTTONS}.0.urlTextExample", "https://other.example/test"))
    assert problem(err, f"{BUTTONS}.0.urlTextExample") == (
        "the example link must start with the url's fixed part 'https://edna.ru/', got 'https://other.example/test'")


def test_whatsapp_phone_button_needs_phone():
    err = refused(edit(SEED_WHATSAPP_VARIABLES, f"{BUTTONS}.1.phone"))
    assert problem(err, f"{BUTTONS}.1.phone") == "required for a PHONE button (the number the button dials)"


def test_whatsapp_quick_reply_button_needs_payload():
    err = refused(edit(SEED_WHATSAPP_BUTTONS, f"{BUTTONS}.2.payload", ""))
    assert problem(err, f"{BUTTONS}.2.payload") == "required for a QUICK_REPLY button (the quick-reply text)"


def test_whatsapp_button_type_is_required_and_one_of_three():
    assert problem(refused(edit(SEED_WHATSAPP_BUTTONS, f"{BUTTONS}.0.buttonType")), f"{BUTTONS}.0.buttonType") \
        == "Field required"
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, f"{BUTTONS}.0.buttonType", "COPY_CODE")), f"{BUTTONS}.0.buttonType")
    assert rule.startswith("'COPY_CODE' is not one of PHONE, URL, QUICK_REPLY (WhatsApp button type)")


TEXT_PARAMS = "messageMatcher.content.textExampleParams"


def test_whatsapp_text_example_params_required_when_text_has_variables():
    rule = problem(refused(edit(SEED_WHATSAPP_VARIABLES, TEXT_PARAMS)), TEXT_PARAMS)
    assert rule == "required because text has 2 variable(s) {{1}}, {{2}}: give one example for each"


@pytest.mark.parametrize("params", [["one"], ["one", "two", "three"]])
def test_whatsapp_text_example_params_one_per_variable(params):
    rule = problem(refused(edit(SEED_WHATSAPP_VARIABLES, TEXT_PARAMS, params)), TEXT_PARAMS)
    assert rule == f"text has 2 variable(s) {{{{1}}}}, {{{{2}}}}, so exactly 2 example(s) are needed, got {len(params)}"


def test_whatsapp_repeated_variable_counts_once():
    data = edit(SEED_WHATSAPP_VARIABLES, "messageMatcher.content.text", "{{1}} and {{1}} again, {{2}}")
    TemplateRequest.parse(data)


def test_whatsapp_text_example_params_not_expected_without_variables():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, TEXT_PARAMS, ["x"])), TEXT_PARAMS)
    assert rule == "text has no variables {{n}}, so no examples are expected, got 1"


def test_whatsapp_text_example_must_not_be_empty():
    err = refused(edit(SEED_WHATSAPP_VARIABLES, TEXT_PARAMS, ["Николай", " "]))
    assert problem(err, f"{TEXT_PARAMS}.1") == "an example must not be empty"


def test_whatsapp_attachment_and_footer_pass_through():
    data = edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.content.attachment",
                {"fileUrl": "https://x.example/a.pdf", "originalFileName": "a.pdf"})
    data = edit(data, "messageMatcher.content.footer", {"text": "bye"})
    assert TemplateRequest.parse(data).to_wire() == data


# --- Viber ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("category", VIBER_CATEGORIES)
def test_viber_twelve_categories_are_accepted(category):
    assert len(VIBER_CATEGORIES) == 12
    TemplateRequest.parse(edit(VIBER_DOCUMENTED, "messageMatcher.category", category))


def test_viber_category_is_required():
    rule = problem(refused(edit(VIBER_DOCUMENTED, "messageMatcher.category")), "messageMatcher.category")
    assert rule.startswith("required, one of ACCOUNT_UPDATE, PAYMENT_UPDATE")


@pytest.mark.parametrize("category", ["MARKETING", "alert_update"])
def test_viber_whatsapp_or_lowercase_categories_are_refused(category):
    rule = problem(refused(edit(VIBER_DOCUMENTED, "messageMatcher.category", category)), "messageMatcher.category")
    assert rule.startswith(f"{category!r} is not one of ACCOUNT_UPDATE") and "(Viber category)" in rule


@pytest.mark.parametrize("language", ["RU", "ru", "En"])
def test_viber_language_iso_639_1_either_case(language):
    TemplateRequest.parse(edit(VIBER_DOCUMENTED, "messageMatcher.language", language))


@pytest.mark.parametrize("language", [..., "rus", "en_US", "1a", "ru\n"])
def test_viber_language_is_required_and_two_letters(language):
    rule = problem(refused(edit(VIBER_DOCUMENTED, "messageMatcher.language", language)), "messageMatcher.language")
    assert "ISO 639-1 language code of two letters" in rule


def test_viber_text_is_required_and_button_fields_are_optional():
    rule = problem(refused(edit(VIBER_DOCUMENTED, "messageMatcher.content.text")), "messageMatcher.content.text")
    assert rule == "required, the template's message text must not be empty"
    data = edit(VIBER_DOCUMENTED, "messageMatcher.content.action", "https://x.example")
    data = edit(data, "messageMatcher.content.caption", "Open")
    assert TemplateRequest.parse(data).to_wire() == data


def test_viber_content_type_is_text_only():
    TemplateRequest.parse(edit(VIBER_DOCUMENTED, "messageMatcher.contentType", "TEXT"))
    rule = problem(refused(edit(VIBER_DOCUMENTED, "messageMatcher.contentType", "IMAGE")), "messageMatcher.contentType")
    assert rule.startswith("'IMAGE' is not one of TEXT (Viber content type)")


def test_viber_refuses_whatsapp_only_fields():
    err = refused(edit(VIBER_DOCUMENTED, "messageMatcher.content.keyboard", {"rows": []}))
    assert problem(err, "messageMatcher.content.keyboard") == "Extra inputs are not permitted"


# --- SMS ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [
    (..., "required for an SMS template, the SMS operators to register it with (0 MTS, 1 Beeline, 2 MegaFon, 3 Tele2)"),
    ([], "required, a non-empty list of SMS operator ids: 0 MTS, 1 Beeline, 2 MegaFon, 3 Tele2"),
    ([4], "item 0 must be one of 0 MTS, 1 Beeline, 2 MegaFon, 3 Tele2, got 4"),
    ([1, -1], "item 1 must be a whole number"),
    ([2, 2], "each SMS operator may be listed once, got [2, 2]"),
])
def test_sms_provider_ids_required_in_0_to_3(value, expected):
    assert expected in problem(refused(edit(SEED_SMS, "smsProviderIds", value)), "smsProviderIds")


@pytest.mark.parametrize("value", ["٣", "³"])
def test_sms_provider_ids_refuse_non_ascii_digits(value):
    rule = problem(refused(edit(SEED_SMS, "smsProviderIds", [value])), "smsProviderIds")
    assert rule.startswith("item 0 must be a whole number (SMS operator ids: 0 MTS, 1 Beeline, 2 MegaFon, 3 Tele2)")


def test_sms_all_four_providers_are_accepted():
    assert TemplateRequest.parse(edit(SEED_SMS, "smsProviderIds", [0, 1, 2, 3])).to_wire()["smsProviderIds"] == [0, 1, 2, 3]


def test_sms_provider_ids_only_for_sms():
    rule = problem(refused(edit(SEED_WHATSAPP_BUTTONS, "smsProviderIds", [0])), "smsProviderIds")
    assert rule == "only for SMS templates, not WHATSAPP"


def test_sms_text_is_required():
    rule = problem(refused(edit(SEED_SMS, "messageMatcher.content.text", "")), "messageMatcher.content.text")
    assert rule == "required, the template's message text must not be empty"


def test_sms_language_and_category_are_optional():
    data = edit(edit(SEED_SMS, "messageMatcher.language"), "messageMatcher.category")
    assert TemplateRequest.parse(data).to_wire() == data
    rule = problem(refused(edit(SEED_SMS, "messageMatcher.language", "russian")), "messageMatcher.language")
    assert "language code" in rule


# --- properties -----------------------------------------------------------------------------------
_NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=_NAME_CHARS, min_size=1, max_size=60))
def test_property_every_name_of_allowed_characters_up_to_60_is_accepted(name):
    assert TemplateRequest.parse(named(SEED_SMS, name)).name == name


@settings(max_examples=60, deadline=None)
@given(st.text(alphabet=_NAME_CHARS, max_size=20), st.characters(blacklist_characters=_NAME_CHARS),
       st.text(alphabet=_NAME_CHARS, max_size=20))
def test_property_a_name_with_any_other_character_is_refused(before, bad, after):
    err = refused(named(SEED_SMS, before + bad + after))
    assert problem(err, "messageMatcher.name").startswith("only Latin letters, digits and _ are allowed")


@settings(max_examples=40, deadline=None)
@given(st.sets(st.integers(min_value=1, max_value=9), min_size=1, max_size=5), st.integers(min_value=-1, max_value=1))
def test_property_one_example_per_distinct_variable(variables, delta):
    text = " ".join("{{%d}} {{%d}}" % (n, n) for n in sorted(variables))  # each used twice
    data = edit(edit(SEED_WHATSAPP_BUTTONS, "messageMatcher.content.text", text), TEXT_PARAMS,
                [f"example {i}" for i in range(len(variables) + delta)])
    if delta == 0:
        TemplateRequest.parse(data)
    else:
        assert f"so exactly {len(variables)} example(s) are needed" in problem(refused(data), TEXT_PARAMS)
