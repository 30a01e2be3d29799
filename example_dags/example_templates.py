"""Register the operator templates a campaign uses: WhatsApp, Viber and SMS.

Runs against any ``messaging`` connection named ``messaging_default`` whose extra ``api_key`` is
the templates method's X-API-KEY (the bundled sandbox's connection has one). Each template is
checked against the platform's rules before any request, so a wrong one fails its task at once.
``if_exists="skip"`` makes a re-run or a backfill harmless: a template that already exists counts
as done.
"""

from __future__ import annotations

import datetime

from airflow.sdk import DAG, task

from airflow_provider_messaging.operators.templates import CreateTemplateOperator

with DAG(
    dag_id="example_messaging_templates",
    schedule=None,
    start_date=datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    catchup=False,
    params={"campaign": "spring_sale", "subject_id": 20526, "sms_subject_id": 2234},
    doc_md=__doc__,
    tags=["example", "messaging"],
) as dag:
    # [START whatsapp_template]
    whatsapp = CreateTemplateOperator(
        task_id="whatsapp_template",
        if_exists="skip",
        template={
            "messageMatcher": {
                "name": "{{ params.campaign }}_whatsapp",
                "channelType": "WHATSAPP",
                "language": "ru",
                "content": {
                    "header": {"headerType": "TEXT", "text": "Скидки {{1}}", "headerExampleTextParam": "весны"},
                    # {{1}} and {{2}} are WhatsApp variables: they stay as written, Jinja leaves them alone
                    "text": "Здравствуйте, {{1}}! Ваша скидка {{2}}% ждёт вас.",
                    "textExampleParams": ["Анна", "15"],
                    "keyboard": {"rows": [{"buttons": [
                        {"text": "В магазин", "buttonType": "URL", "url": "https://shop.example/{{1}}",
                         "urlTextExample": "https://shop.example/spring"},
                        {"text": "Не интересно", "buttonType": "QUICK_REPLY", "payload": "stop"},
                    ]}]},
                    "footer": {"text": "Магазин"},
                },
                "category": "MARKETING",
                "type": "OPERATOR",
            },
            "subjectIds": ["{{ params.subject_id }}"],
        },
    )
    # [END whatsapp_template]
    viber = CreateTemplateOperator(
        task_id="viber_template",
        if_exists="skip",
        template={
            "messageMatcher": {
                "name": "{{ params.campaign }}_viber",
                "channelType": "VIBER",
                "language": "ru",
                "content": {
                    "text": r"Здравствуйте, [\s\w]+! Ваша скидка ждёт вас.",
                    "action": "https://shop.example/spring",
                    "caption": "В магазин",
                },
                "category": "ALERT_UPDATE",
                "type": "OPERATOR",
            },
            "subjectIds": ["{{ params.subject_id }}"],
        },
    )
    sms = CreateTemplateOperator(
        task_id="sms_template",
        if_exists="skip",
        template={
            "messageMatcher": {
                "name": "{{ params.campaign }}_sms",
                "channelType": "SMS",
                "content": {"text": "Здравствуйте, %w{1,10}! Ваша скидка ждёт вас."},
                "type": "OPERATOR",
            },
            "subjectIds": ["{{ params.sms_subject_id }}"],
            "smsProviderIds": [0, 1, 2, 3],  # MTS, Beeline, MegaFon, Tele2
        },
    )

    @task
    def summary(whatsapp_result: dict, viber_result: dict, sms_result: dict) -> list[dict]:
        results = [whatsapp_result, viber_result, sms_result]
        for r in results:
            state = "created" if r["created"] else "already there"
            print(f"{r['channel']:<9} {r['name']}: {state} ({r['code']})")
        return [{k: r[k] for k in ("name", "channel", "code", "created")} for r in results]

    summary(whatsapp.output, viber.output, sms.output)
