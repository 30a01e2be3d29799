"""Where ``MessagingRetryPolicy`` can be used, checked on every supported Airflow.

On Airflow 3.3+ it is Airflow's own ``RetryPolicy``. Airflow 3.1 and 3.2 have no task retry policies:
importing it there raises an ImportError that says what to do, and nothing else in the provider
depends on it. ``make test-oldest`` runs this on the real Airflow 3.1; ``make test`` runs the same
script with the SDK's retry-policy module hidden, which is what those versions lack.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

from airflow_provider_messaging.compat import HAS_RETRY_POLICY
from tests.helpers.airflow import ROOT

#: Airflow 3.1/3.2 stand-in on a newer Airflow: the SDK without its retry-policy module
HIDE_RETRY_POLICIES = textwrap.dedent("""
    import importlib.abc, sys

    class NoRetryPolicies(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "airflow.sdk.definitions.retry_policy":
                raise ImportError("No module named 'airflow.sdk.definitions.retry_policy'")
            return None

    sys.meta_path.insert(0, NoRetryPolicies())
""")

#: a DAG file's imports: everything else in the provider imports, the policy says what it needs
DAG_FILE_IMPORTS = textwrap.dedent("""
    import airflow_provider_messaging.operators.send, airflow_provider_messaging.sensors.delivery
    import airflow_provider_messaging.notifications.messaging, airflow_provider_messaging.hooks.messaging
    print("others ok")
    try:
        import airflow_provider_messaging.retry_policy
    except ImportError as exc:
        print("ImportError:", exc)
""")


def test_on_an_airflow_without_retry_policies_importing_it_says_so_and_nothing_else_breaks():
    script = (HIDE_RETRY_POLICIES if HAS_RETRY_POLICY else "") + DAG_FILE_IMPORTS
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "others ok" in result.stdout
    assert "ImportError: airflow_provider_messaging.retry_policy.MessagingRetryPolicy needs Airflow 3.3 or later" \
        in result.stdout
    assert "Remove retry_policy=MessagingRetryPolicy() from the DAG, or upgrade Airflow" in result.stdout


def test_where_airflow_has_retry_policies_it_is_one():
    import airflow.sdk

    # the version line compat.HAS_RETRY_POLICY draws is where Airflow's SDK gains retry policies
    assert hasattr(airflow.sdk, "RetryPolicy") is HAS_RETRY_POLICY
    if not HAS_RETRY_POLICY:  # below it, importing the policy refuses (the test above)
        return
    from airflow.sdk import RetryPolicy

    from airflow_provider_messaging.retry_policy import MessagingRetryPolicy

    assert isinstance(MessagingRetryPolicy(), RetryPolicy)
