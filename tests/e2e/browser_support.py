"""Shared set-up of the browser tests: Chromium flags, pages, login (fixtures are in conftest.py)."""

from __future__ import annotations

from typing import Any

from accounts.models import User

# Debian's chromium, as root, on a machine whose network is closed (see README).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "pw-Test-12345"  # the conftest personas' password


def new_page(browser: Any, *, mobile: bool = False) -> Any:
    viewport = {"width": 390, "height": 844} if mobile else {"width": 1366, "height": 900}
    context = browser.new_context(viewport=viewport, locale="zh-CN", device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def login(browser: Any, base: str, user: User) -> Any:
    page = new_page(browser)
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")
    return page
