# SPDX-License-Identifier: Apache-2.0
#
# Fixtures of the security suite: the same real clouds as the integration
# tests (tests/integration/gureum_cloud.py), plus a canary file outside the
# state directory that no request may ever touch.
import os
import sys
import tempfile
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "integration"))
from gureum_cloud import Cloud  # noqa: E402


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


@pytest.fixture
def canary():
    """A file beside the state directories (in the parent of every cloud's
    state dir), named so a traversal from an image id reaches it."""
    fd, path = tempfile.mkstemp(prefix="gureum-test-canary-", dir=tempfile.gettempdir())
    os.write(fd, b"canary\n")
    os.close(fd)
    try:
        yield path
    finally:
        if os.path.exists(path):
            os.unlink(path)
