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


def test_operator_builds_saves_and_exports_a_list(browser, platform, screenshots: Path):
    page = log_in(browser, platform, "operator")
    page.goto(f"{platform.url}/lists/")
    page.fill("input[name=state]", "TX")
    page.select_option("select[name=sort]", "-score")
    page.click("#criteria button[type=submit]")
    page.wait_for_selector("[data-testid=list-rows] tbody tr")
    count = page.locator("[data-testid=list-count]")
    count.filter(has_not_text="counting").wait_for()
    assert count.inner_text().replace(",", "").lstrip("≈ ").strip()[0].isdigit()
    states = page.locator("[data-testid=list-rows] tbody tr td:nth-child(3)").all_inner_texts()
    assert states and set(states) == {"TX"}
    page.screenshot(path=str(screenshots / "priority-list.png"), full_page=True)

    page.fill("[data-testid=save-filter] input[name=name]", "Texas by score")
    page.click("[data-testid=save-filter] button")
    page.wait_for_selector("ul.messages li.success")
    assert "Saved as" in page.inner_text("ul.messages")
    assert "state=TX" in page.url  # the saved filter's address opens the same list

    page.select_option("[data-testid=export-list] select[name=channel]", "call")
    page.click("[data-testid=export-list] button")
    page.wait_for_selector("[data-testid=export-state]:text('Complete')", timeout=60_000)
    report = page.locator("[data-testid=suppression-report]")
    assert report.locator("tbody tr").count() >= 1
    suppressed = int(page.inner_text("[data-testid=suppressed-total]"))
    reasons = report.locator("tbody tr td.num").all_inner_texts()
    assert suppressed == sum(int(n) for n in reasons)
    page.screenshot(path=str(screenshots / "export.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=download]")
    header = Path(download.value.path()).read_text().splitlines()[0]
    assert header == "person_id,first_name,last_name,state,zip5,contact_points"
    page.context.close()
