"""The fault scenarios run on a PostgreSQL cluster of their own (so restarting, copying and failing it over touches no
other test), with a Koppel database holding the demo data."""
import os

import pytest

from faults.harness import Cluster, KoppelDatabase


@pytest.fixture(scope="session")
def faults_cluster():
    cluster = Cluster("primary")
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        cluster.remove()


@pytest.fixture(scope="session")
def faults_db(faults_cluster):
    if "KOPPEL_DEMO_PASSWORD" not in os.environ:
        pytest.skip("needs the environment scripts/test or scripts/faults sets up")
    database = KoppelDatabase(faults_cluster)
    database.create()
    return database
