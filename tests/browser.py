"""Headless Chromium through Selenium, for the report.html tests and the committed screenshot.

Selenium drives Debian's own ``chromium`` through Debian's ``chromium-driver``, which is built from the
same source package and version, so driver and browser always match; nothing is downloaded (the paths are
given, so Selenium Manager never runs).  ``PARITY_CHROMIUM`` and ``PARITY_CHROMEDRIVER`` override the paths.

    python -m tests.browser parity-report/report.html docs/report-first-screen.png   # the first screen, as PNG
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
import tempfile
from pathlib import Path

CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
)
FIRST_SCREEN = (1440, 900)


def _binary(env: str, *names: str) -> str | None:
    if os.environ.get(env):
        return os.environ[env]
    return next((path for path in map(shutil.which, names) if path), None)


def unavailable() -> str | None:
    """Why no browser can be driven here, or None when one can."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install -e '.[browser]')"
    if not _binary("PARITY_CHROMIUM", "chromium", "chromium-browser"):
        return "no chromium on PATH (Debian: apt-get install chromium chromium-driver)"
    if not _binary("PARITY_CHROMEDRIVER", "chromedriver"):
        return "no chromedriver on PATH (Debian: apt-get install chromium-driver)"
    return None


@contextlib.contextmanager
def chromium(size: tuple[int, int] = FIRST_SCREEN):
    """A headless Chromium WebDriver with an empty profile that records the console; quit and removed after."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _binary("PARITY_CHROMIUM", "chromium", "chromium-browser")
    with tempfile.TemporaryDirectory(prefix="parity-chromium-") as profile:
        for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}"):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(_binary("PARITY_CHROMEDRIVER", "chromedriver")))
        try:
            # the viewport itself (--window-size includes the window's frame)
            metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": False}
            driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
            yield driver
        finally:
            driver.quit()


def console_errors(driver) -> list[str]:
    """The console's errors and uncaught exceptions since the last call."""
    return [entry["message"] for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]


def screenshot(page: Path, png: Path, size: tuple[int, int] = FIRST_SCREEN) -> list[str]:
    """Save the first screen of ``page`` as ``png``; return the console errors seen while loading it."""
    with chromium(size) as driver:
        driver.get(page.resolve().as_uri())
        png.parent.mkdir(parents=True, exist_ok=True)
        driver.save_screenshot(str(png))
        return console_errors(driver)


if __name__ == "__main__":
    problem = unavailable()
    if problem:
        sys.exit(problem)
    errors = screenshot(Path(sys.argv[1]), Path(sys.argv[2]))
    print("\n".join(errors) or f"wrote {sys.argv[2]} (no console errors)")
    sys.exit(1 if errors else 0)
