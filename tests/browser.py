"""A real headless Chromium for the tests that look at a page as a reader does (`chromium` fixture).

It needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them) and selenium (the `test` extra);
without them a browser test skips, saying why, or fails where REPRO_REQUIRE_BROWSER=1 (`.ci/run` sets it, so CI
cannot pass without having looked at the page)."""

import shutil

import pytest

from tests.conftest import skip_or_fail_without

REQUIRED = "REPRO_REQUIRE_BROWSER"


def why_not_available() -> str | None:
    missing = [name for name in ("chromium", "chromedriver") if not shutil.which(name)]
    if missing:
        return (f"{' and '.join(missing)} not on PATH - install Debian's chromium and chromium-driver (apt-get "
                f"install chromium chromium-driver, as .ci/run does)")
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "no selenium (pip install -e '.[test]')"
    return None


@pytest.fixture
def chromium():
    """A headless Chromium at 1400 × 1000 driven through chromedriver, closed after the test."""
    skip_or_fail_without(why_not_available(), REQUIRED, "browser")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium")
    # --no-sandbox: CI runs as root; --disable-dev-shm-usage: a container's small /dev/shm and a 60 MB report
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                     "--window-size=1400,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver")))
    try:
        yield driver
    finally:
        driver.quit()
