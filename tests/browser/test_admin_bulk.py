"""Dashboard bulk issuance in Chromium: a file with a bad row, its errors, the corrected file,
then issuing it and watching the job, run by the job workers `plaudit serve` embeds, finish."""

from __future__ import annotations

from playwright.sync_api import FilePayload, expect

from plaudit import jobs
from tests.browser.conftest import AdminBrowser
from tests.fixtures.templates import published

HEADER = "email,first_name,last_name,template,issue_date"
ROWS = [
    "ada@example.org,Ada,Lovelace,Safety Champion,2024-03-01",
    "grace.example.org,Grace,Hopper,Safety Champion,2024-03-02",  # line 3: no @
    "alan@example.org,Alan,Turing,Safety Champion,2024-03-03",
]


def csv_file(rows: list[str]) -> FilePayload:
    data = "\n".join([HEADER, *rows]) + "\n"
    return {"name": "spring-awards.csv", "mimeType": "text/csv", "buffer": data.encode()}


def test_upload_correct_and_issue_a_file_then_watch_it_finish(admin: AdminBrowser) -> None:
    published(admin.live.client, admin.tenant, name="Safety Champion")
    page = admin.page
    admin.go("/admin/bulk")
    expect(page.get_by_role("heading", level=1)).to_have_text("Bulk issuance")
    expect(page.get_by_text("No file was uploaded yet.")).to_be_visible()
    admin.shot("bulk-upload")

    # A file with a bad email: the preview names its line and column, and issues nothing.
    page.get_by_label("CSV file", exact=True).set_input_files(csv_file(ROWS))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Preview of spring-awards.csv")
    bad = page.locator("table.errors tbody tr")
    expect(bad).to_have_count(1)
    expect(bad.locator("td").nth(0)).to_have_text("3")
    expect(bad.locator("td").nth(1)).to_have_text("email")
    expect(bad.locator("td").nth(2)).to_contain_text("'grace.example.org' is not a valid email")
    expect(page.get_by_text("Correct these rows in your spreadsheet")).to_be_visible()
    admin.shot("bulk-preview-errors")
    page.set_viewport_size({"width": 375, "height": 740})
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    admin.shot("bulk-preview-errors-phone")
    page.set_viewport_size({"width": 1280, "height": 800})

    # The corrected file, uploaded from the same page: no error, three to issue.
    fixed = [row.replace("grace.example.org", "grace@example.org") for row in ROWS]
    page.get_by_label("Corrected CSV file", exact=True).set_input_files(csv_file(fixed))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("table.errors")).to_have_count(0)
    issue = page.get_by_role("button", name="Issue 3 credentials")
    expect(issue).to_be_visible()
    admin.shot("bulk-preview-ok")
    # Old awards: the learners are not emailed again.
    page.get_by_label("Email each learner and tell the webhooks").uncheck()
    issue.click()

    # No worker runs yet: the job waits, and its page says so.
    expect(page.get_by_role("heading", level=1)).to_have_text("spring-awards.csv")
    expect(page.locator("[data-bulk=status] .badge")).to_have_text("pending")
    expect(page.locator("progress#bulk-bar")).to_have_attribute("max", "3")
    admin.shot("bulk-progress-pending")

    # The job workers that `plaudit serve` runs in its process: the page follows the job
    # (its script polls the progress, then reloads) until it completes.
    consumer = jobs.start_embedded_consumer(workers=2)
    try:
        expect(page.locator("[data-bulk=status] .badge")).to_have_text("completed", timeout=30_000)
        expect(page.locator("[data-bulk=issued]")).to_have_text("3")
        expect(page.locator("[data-bulk=processed_rows]")).to_have_text("3")
        expect(page.locator("progress#bulk-bar")).to_have_attribute("value", "3")
        admin.shot("bulk-progress-completed")

        page.get_by_role("link", name="See the 3 credentials issued").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Credentials issued from spring-awards.csv"
        )
        expect(page.locator("tbody tr")).to_have_count(3)
        expect(page.get_by_role("link", name="grace@example.org")).to_be_visible()
        admin.shot("bulk-credentials")
    finally:
        consumer.stop(graceful=True)

    # The history: the file, who sent it, its rows and status.
    admin.go("/admin/bulk")
    row = page.locator("table.history tbody tr")
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="spring-awards.csv")).to_be_visible()
    expect(row).to_contain_text(admin.email)
    expect(row.locator(".badge")).to_have_text("completed")
    admin.shot("bulk-history")


def test_the_issue_button_follows_the_choices_and_says_why_it_is_disabled(
    admin: AdminBrowser,
) -> None:
    # Valid a year from its issue date: every row of 2024 would arrive already expired.
    published(
        admin.live.client,
        admin.tenant,
        name="Safety Champion",
        expiry={"type": "duration", "duration": "P1Y"},
    )
    page = admin.page
    admin.go("/admin/bulk")
    page.get_by_label("CSV file", exact=True).set_input_files(csv_file(ROWS))
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator("#late-summary")).to_contain_text("2 rows would arrive already expired")
    issue = page.locator("[data-bulk-issue]")
    why = page.locator("[data-bulk-why]")
    # A file with an error is refused unless its bad row is skipped: the button says so.
    expect(issue).to_be_disabled()
    expect(why).to_contain_text("Skip the 1 row with errors")
    page.get_by_label("Skip the 1 row with errors and issue the valid ones").check()
    expect(issue).to_be_enabled()
    expect(issue).to_have_text("Issue 2 credentials")
    expect(why).to_have_text("")
    # Each flagged row has its choice; skipping both leaves nothing to issue.
    page.get_by_role("group", name="Line 2, ada@example.org").get_by_label("Skip").check()
    expect(issue).to_have_text("Issue 1 credential")
    page.get_by_role("group", name="Line 4, alan@example.org").get_by_label("Skip").check()
    expect(issue).to_have_text("Issue 0 credentials")
    expect(issue).to_be_disabled()
    expect(why).to_have_text("Every row left is set to be skipped: issuing would issue nothing.")
    admin.shot("bulk-preview-late-rows")
