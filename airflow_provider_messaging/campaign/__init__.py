"""The campaign engine: many recipients, one message template, sent once each.

Airflow-free: reading recipients as a stream (``recipients``), rendering and validating one
message per recipient (``render``), deterministic partner ids and shards (``keys``), results,
summary and HTML report (``results``, ``report``) and the send loop over the async client and the
send ledger (``engine``). ``operators.campaign.SendCampaignOperator`` is the Airflow face.
"""
