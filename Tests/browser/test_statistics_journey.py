"""A funder of Gemeente Den Haag signs in, opens the statistics dashboard, breaks the year down by region, and
downloads the same figures as a CSV file, which agrees with the page."""
import csv
import glob
import io
import os
import tempfile
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_sign_in_journey import sign_in_with_password, submit


def row_value(browser, table_id: str, heading: str) -> str:
    row = next(row for row in browser.find_elements(By.CSS_SELECTOR, f"#{table_id} tbody tr")
               if row.find_element(By.TAG_NAME, "th").text == heading)
    return row.find_element(By.TAG_NAME, "td").text


def downloaded(folder: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        done = [path for path in glob.glob(os.path.join(folder, "*.csv"))]
        if done:
            return done[0]
        time.sleep(0.2)
    raise AssertionError("the CSV file was not downloaded")


def test_funder_reads_the_dashboard_and_downloads_the_csv(koppel, fresh_browser):
    browser = fresh_browser
    sign_in_with_password(browser, koppel.url, "funder@denhaag.example")
    assert browser.current_url.endswith("/account")
    browser.find_element(By.ID, "statistics-link").click()

    assert browser.find_element(By.TAG_NAME, "h1").text == "Cijfers"
    assert "2GO" in browser.find_element(By.ID, "statistics-summary").text
    # Each chart is an image with a title, and its figures are in the table beside it.
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart[role=img]")
    assert len(charts) >= 2
    for chart in charts:
        assert chart.find_element(By.TAG_NAME, "title").get_attribute("textContent")
    received = row_value(browser, "flows-table", "Ontvangen")
    assert received == "0" or received.startswith("<") or received.isdigit()

    # By region, chosen by keyboard in the form.
    Select(browser.find_element(By.ID, "breakdown")).select_by_value("region")
    submit(browser, ".statistics-filter button[type=submit]")
    assert "breakdown=region" in browser.current_url
    assert browser.find_element(By.ID, "breakdown-heading").text == "Per regio"
    assert browser.find_elements(By.CSS_SELECTOR, "#breakdown-table tbody tr")

    # The CSV download holds the same total.
    folder = tempfile.mkdtemp(prefix="koppel-csv-")
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
    browser.find_element(By.ID, "statistics-csv").click()
    with open(downloaded(folder), encoding="utf-8") as file:
        rows = list(csv.DictReader(io.StringIO(file.read())))
    total = next(row for row in rows if row["key"] == "total")
    assert total["breakdown"] == "region" and total["label"] == "Totaal"
    assert total["received"] == received
    assert {"received", "declined.not_eligible", "ended_early.lost_contact", "submitted_to_accepted_median_days"} <= set(rows[0])
