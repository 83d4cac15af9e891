"""The dashboard as operators use it, in a real browser against a real server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.conftest import PASSWORD, Platform


def log_in(browser, platform: Platform, role: str):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{platform.url}/")
    assert "/login/" in page.url
    page.fill("input[name=username]", role)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("[data-testid=whoami]")
    return page


@pytest.mark.parametrize("role", ["viewer", "operator", "admin"])
def test_each_role_logs_in_and_sees_what_it_may_do(browser, platform, screenshots: Path, role):
    page = log_in(browser, platform, role)
    assert page.inner_text("[data-testid=whoami]") == f"{role} · {role}"
    if role == "admin":
        page.screenshot(path=str(screenshots / "home.png"), full_page=True)
    page.goto(f"{platform.url}/lists/?state=TX")
    page.wait_for_selector("[data-testid=list-rows]")
    assert page.locator("[data-testid=export-list]").count() == (0 if role == "viewer" else 1)
    page.context.close()
