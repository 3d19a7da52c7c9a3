"""What the site's browser tests share: the system Chromium."""

from __future__ import annotations

import os

import pytest

from tools import browser


@pytest.fixture(scope="module")
def chromium() -> str:
    """Debian's chromium. Under CI=true its absence fails the test (.ci/run installs it); locally it skips."""
    found = browser.find_chromium()
    if found is None:
        if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes"):
            pytest.fail("chromium is not installed; CI must have it (.ci/run installs the Debian package chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium); the browser tests need it")
    return found
