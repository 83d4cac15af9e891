"""The dashboard as operators use it, in a real browser against a real server."""

from __future__ import annotations

import json
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
    page.screenshot(path=str(screenshots / "priority-list.png"))

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
    assert header == "person_id,first_name,last_name,state,zip5,contact_points,score"
    page.context.close()


UPLOAD = (
    "Owner Name,Phone,E-mail,State,ZIP,Notes\n"
    "Ada Lovelace,432-555-0101,ada.lovelace@gmail.com,TX,79772,met at the county office\n"
    "Charles Babbage,not a phone,cbabbage@outlook.com,TX,79772,\n"
    ",,,,,blank row with a note only\n"
    "Grace Hopper,(405) 555-0199,grace.hopper@yahoo.com,OK,73018,\n"
)


def test_operator_uploads_maps_and_watches_an_import_complete_live(
    browser, platform, screenshots: Path, tmp_path: Path
):
    source = tmp_path / "new_leads_week_48.csv"
    source.write_text(UPLOAD)
    page = log_in(browser, platform, "operator")
    page.goto(f"{platform.url}/imports/upload/")
    page.set_input_files("[data-testid=upload-file]", str(source))
    page.click("[data-testid=upload-submit]")
    page.wait_for_selector("[data-testid=mapping-table]")
    assert page.locator("[data-testid=preview-problem]").count() >= 1  # "not a phone"
    page.select_option("[data-testid=mapping-select][data-column=Notes]", "")
    page.screenshot(path=str(screenshots / "import-mapping.png"), full_page=True)
    page.click("[data-testid=start-import]")

    page.wait_for_selector("[data-testid=import-status]")
    tracker_url = page.url
    status = page.locator("[data-testid=import-status]")
    status.filter(has_text="Complete").wait_for(timeout=120_000)
    assert page.url == tracker_url  # reached by live updates, no reload
    assert page.inner_text("[data-testid=count-errors]").strip() == "1"
    assert page.inner_text("[data-testid=count-inserted]").strip() == "3"
    page.reload()
    assert "Complete" in page.inner_text("[data-testid=import-status]")
    assert page.inner_text("[data-testid=total-rows-read]").strip() == "4"
    assert page.locator("[data-testid=reconciled]").count() == 1
    page.screenshot(path=str(screenshots / "import-tracker.png"), full_page=True)
    with page.expect_download() as download:
        page.click("[data-testid=report-errors]")
    errors = Path(download.value.path()).read_text().splitlines()
    assert errors[0] == "row_number,error_type,field_name,field_value,error_message"
    assert len(errors) == 2 and errors[1].startswith("3,")
    page.context.close()


def test_the_tracker_is_fed_over_the_websocket_while_an_import_runs(
    browser, platform, tmp_path: Path
):
    # Big enough to run for seconds, so the page opens its socket while the import runs; a
    # socket that opens after the last chunk is sent the last message first.
    rows = 40_000
    source = tmp_path / "county_clerk_export.csv"
    with source.open("w") as handle:
        handle.write("First Name,Last Name,E-mail,State,ZIP\n")
        for n in range(rows):
            # names of letters (match keys drop digits): every row another person
            last = "".join(chr(65 + n // 26**place % 26) for place in range(4)).title()
            handle.write(f"Ann,{last},owner{n}@example.com,TX,797{n % 90 + 10}\n")
    page = log_in(browser, platform, "operator")
    frames: list[str] = []
    page.on(
        "websocket",
        lambda socket: socket.on("framereceived", lambda frame: frames.append(str(frame))),
    )
    page.goto(f"{platform.url}/imports/upload/")
    page.set_input_files("[data-testid=upload-file]", str(source))
    page.click("[data-testid=upload-submit]")
    page.wait_for_selector("[data-testid=mapping-table]")
    page.click("[data-testid=start-import]")
    page.wait_for_selector("[data-testid=live-mode]:text-is('live')", timeout=30_000)
    page.locator("[data-testid=import-status]").filter(has_text="Complete").wait_for(
        timeout=180_000
    )
    assert page.inner_text("[data-testid=count-inserted]").strip() == str(rows)
    # this import's figures came over the socket, not only from polling
    topic = "import." + page.url.rstrip("/").rsplit("/", 1)[-1]
    assert any(json.loads(frame).get("topic") == topic for frame in frames), frames
    assert page.inner_text("[data-testid=live-mode]") == "finished"
    page.context.close()


def test_operator_reads_a_timeline_merges_unmerges_and_finds_both_in_the_audit_log(
    browser, platform, screenshots: Path
):
    page = log_in(browser, platform, "operator")
    page.goto(f"{platform.url}/lists/?sort=id")
    ids = page.locator("[data-testid=list-rows] tbody tr td:first-child a").all_inner_texts()
    golden, other = ids[0], ids[1]
    page.goto(f"{platform.url}/leads/{golden}/")
    page.wait_for_selector("[data-testid=timeline]")
    assert page.locator("[data-testid=timeline-item]").count() >= 1
    assert page.locator("[data-testid=contact-points]").count() == 1
    page.screenshot(path=str(screenshots / "lead-detail.png"), full_page=True)

    page.fill("[data-testid=merge-with-input]", other)
    page.click("[data-testid=merge-with-submit]")
    page.wait_for_selector("[data-testid=merge-form]")
    page.screenshot(path=str(screenshots / "merge.png"), full_page=True)
    page.check(f"[data-testid^=merge-radio-first_name-{other}]")
    page.click("[data-testid=merge-submit]")
    page.wait_for_selector(f"[data-testid=duplicate-row][data-person-id='{other}']")

    page.once("dialog", lambda dialog: dialog.accept())
    page.click(
        f"[data-testid=duplicate-row][data-person-id='{other}'] [data-testid=unmerge-button]"
    )
    page.wait_for_selector("ul.messages li")
    page.goto(f"{platform.url}/leads/{golden}/")
    assert page.locator(f"[data-testid=duplicate-row][data-person-id='{other}']").count() == 0

    page.goto(f"{platform.url}/audit/?user=operator")
    entries = page.locator("[data-testid=audit-entries]")
    entries.wait_for()
    actions = entries.locator("[data-testid=audit-action]").evaluate_all(
        "cells => cells.map(cell => cell.dataset.action)"
    )
    assert {"merge", "unmerge"} <= set(actions)
    page.screenshot(path=str(screenshots / "audit-log.png"), full_page=True)
    page.context.close()


def test_compliance_view_and_api_docs(browser, platform, screenshots: Path):
    page = log_in(browser, platform, "viewer")
    page.goto(f"{platform.url}/compliance/")
    page.wait_for_selector("[data-testid=registry-ages]")
    page.screenshot(path=str(screenshots / "compliance.png"), full_page=True)
    page.goto(f"{platform.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .opblock", timeout=30_000)
    page.context.close()
