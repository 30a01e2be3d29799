"""The seed document's template examples (SPEC §4, seed 002), and ways to vary them."""

from __future__ import annotations

import copy
from typing import Any

SEED_WHATSAPP_VARIABLES: dict[str, Any] = {
    "messageMatcher": {
        "name": "new_matcher", "channelType": "WHATSAPP", "language": "RU",
        "content": {
            "header": {"text": "Ваша компания {{1}}", "headerExampleTextParam": "Солнышко"},
            "text": "Здравствуйте, {{1}}! Спасибо, что выбрали нас {{2}}",
            "textExampleParams": ["Николай", "Пример"],
            "keyboard": {"rows": [{"buttons": [
                {"text": "Сайт", "buttonType": "URL", "url": "https://edna.ru/{{1}}",
                 "urlTextExample": "https://edna.ru/test"},
                {"text": "Позвонить", "buttonType": "PHONE", "phone": "+7900000000"},
            ]}]},
            "footer": {"text": "Спасибо за интерес"},
        },
        "category": "MARKETING", "type": "OPERATOR",
    },
    "subjectIds": [20526],
}
SEED_WHATSAPP_BUTTONS: dict[str, Any] = {
    "messageMatcher": {
        "name": "new_matcher", "channelType": "WHATSAPP", "language": "RU",
        "content": {
            "header": {"text": "Ваш чат с edna"},
            "text": "Здравствуйте! Спасибо, что выбрали нас.",
            "keyboard": {"rows": [{"buttons": [
                {"text": "Да", "buttonType": "QUICK_REPLY", "payload": "1"},
                {"text": "Нет", "buttonType": "QUICK_REPLY", "payload": "2"},
                {"text": "Не знаю", "buttonType": "QUICK_REPLY", "payload": "3"},
            ]}]},
        },
        "category": "MARKETING", "type": "OPERATOR",
    },
    "subjectIds": [20526],
}
SEED_VIBER: dict[str, Any] = {
    "messageMatcher": {
        "name": "new_matcher", "channelType": "VIBER", "language": "RU",
        "content": {"text": r"Здравствуйте, [\s\w]+! Спасибо, что выбрали нас."},
        "category": "TRANSACTIONAL", "type": "OPERATOR",
    },
    "subjectIds": [2234],
}
SEED_SMS: dict[str, Any] = {
    "messageMatcher": {
        "name": "new_matcher", "channelType": "SMS", "language": "RU",
        "content": {"text": "Здравствуйте, %w{1,10}! Спасибо, что выбрали нас."},
        "category": "MARKETING", "type": "OPERATOR",
        "createdAt": "2022-05-05T11:34:34.844Z", "updatedAt": "2022-05-05T11:34:34.844Z",
    },
    "subjectIds": [2234], "smsProviderIds": [2],
}
#: the seed's Viber example with a documented category (strict mode accepts it)
VIBER_DOCUMENTED = {**SEED_VIBER, "messageMatcher": {**SEED_VIBER["messageMatcher"], "category": "ALERT_UPDATE"}}


def named(seed: dict[str, Any], name: str) -> dict[str, Any]:
    """A deep copy of ``seed`` with another template name."""
    out = copy.deepcopy(seed)
    out["messageMatcher"]["name"] = name
    return out


def edit(seed: dict[str, Any], path: str, value: Any = ...) -> dict[str, Any]:
    """A deep copy of ``seed`` with the dotted ``path`` set to ``value`` (``...``: removed)."""
    out = copy.deepcopy(seed)
    *parents, last = path.split(".")
    node: Any = out
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
    if isinstance(node, list):
        node[int(last)] = value
    elif value is ...:
        node.pop(last, None)
    else:
        node[last] = value
    return out
