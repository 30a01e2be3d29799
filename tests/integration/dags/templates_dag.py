"""DAGs used by tests/test_templates_operator.py (run with dag.test()).

``messaging_templates``: a data team registers the WhatsApp template its campaign uses; a second
task creates the same template again with ``if_exists="skip"``, which is what a re-run or a
backfill does: it succeeds without creating anything. The WhatsApp variables ``{{1}}``/``{{2}}``
stay literal while ``{{ params.* }}`` is rendered by Jinja.

``messaging_templates_invalid``: a template that renders to an invalid name fails at once, before
any request and without retries.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG

from airflow_provider_messaging.operators.templates import CreateTemplateOperator

START = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

WELCOME = {
    "messageMatcher": {
        "name": "{{ params.template_name }}",
        "channelType": "WHATSAPP",
        "language": "RU",
        "content": {
            "header": {"text": "Ваша компания {{1}}", "headerExampleTextParam": "{{ params.company }}"},
            "text": "Здравствуйте, {{1}}! Спасибо, что выбрали нас {{2}}",
            "textExampleParams": ["Николай", "Пример"],
            "keyboard": {"rows": [{"buttons": [
                {"text": "Сайт", "buttonType": "URL", "url": "https://edna.ru/{{1}}",
                 "urlTextExample": "https://edna.ru/test"},
                {"text": "Позвонить", "buttonType": "PHONE", "phone": "+7900000000"},
            ]}]},
            "footer": {"text": "Спасибо за интерес"},
        },
        "category": "MARKETING",
        "type": "OPERATOR",
    },
    "subjectIds": ["{{ params.subject_id }}"],
}

with DAG(
    "messaging_templates",
    schedule=None,
    start_date=START,
    params={"template_name": "welcome_campaign", "company": "Солнышко", "subject_id": 20526},
) as messaging_templates:
    create = CreateTemplateOperator(task_id="create_template", template=WELCOME)
    create_again = CreateTemplateOperator(task_id="create_again", template=WELCOME, if_exists="skip")
    create >> create_again

with DAG("messaging_templates_invalid", schedule=None, start_date=START,
         params={"template_name": "welcome-campaign", "company": "Солнышко", "subject_id": 20526},
         ) as messaging_templates_invalid:
    CreateTemplateOperator(task_id="create_template", template=WELCOME, retries=2,
                           retry_delay=datetime.timedelta(seconds=0))
