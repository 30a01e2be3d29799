"""``python -m airflow_provider_messaging.store``: see :mod:`airflow_provider_messaging.store.cli`."""

import sys

from airflow_provider_messaging.store.cli import main

sys.exit(main())
