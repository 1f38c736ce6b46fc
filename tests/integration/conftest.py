# SPDX-License-Identifier: Apache-2.0
#
# Shared fixtures: one cloud per test module (most tests only add
# resources with unique names), and a fresh one for tests that restart it.
import os
import sys
import uuid

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from gureum_cloud import Cloud  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "guest: boots real guests under libvirt (TCG, slow): the sanitizer pass of make check "
                   "deselects them (-m 'not guest'), the plain pass runs them")


@pytest.fixture(scope="module")
def cloud():
    c = Cloud()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def fresh_cloud():
    c = Cloud()
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def name():
    """A unique name with the test prefix, for resources a test creates."""
    return "gureum-test-" + uuid.uuid4().hex[:8]
