"""A funder of Gemeente Den Haag signs in, opens the statistics dashboard, breaks the year down by region (only the
regions of Haaglanden, the area its agreement covers), and downloads the same figures as a CSV file, which agrees with
the page. The Oranje Fonds, with two funding agreements, switches between them with the keyboard. Every dashboard
passes axe."""
import csv
import glob
import io
import os
import tempfile
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_notice_journey import accessible, new_person
from test_referral_journey import NEW_PASSWORD
from test_sign_in_journey import sign_in_with_password, submit

# The COROP regions of Haaglanden's nine municipalities.
HAAGLANDEN_REGIONS = {"Agglomeratie 's-Gravenhage", "Delft en Westland"}


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
    # Only the regions inside Haaglanden, the area of the agreement: no Twente, no Groningen.
    assert "Gebied: Haaglanden" in browser.find_element(By.ID, "statistics-summary").text
    regions = [cell.get_attribute("textContent").strip() for cell in browser.find_elements(By.CSS_SELECTOR, "#breakdown-table thead th")][1:-1]
    assert regions and set(regions) <= HAAGLANDEN_REGIONS, regions
    assert not any("Twente" in region or "Groningen" in region for region in regions)
    accessible(browser)

    # The CSV download holds the same total.
    with tempfile.TemporaryDirectory(prefix="koppel-csv-") as folder:
        browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": folder})
        browser.find_element(By.ID, "statistics-csv").click()
        with open(downloaded(folder), encoding="utf-8") as file:
            rows = list(csv.DictReader(io.StringIO(file.read())))
    total = next(row for row in rows if row["key"] == "total")
    assert total["breakdown"] == "region" and total["label"] == "Totaal"
    assert total["received"] == received
    assert {"received", "declined.not_eligible", "ended_early.lost_contact", "submitted_to_accepted_median_days"} <= set(rows[0])


def summary(browser):
    return browser.find_element(By.ID, "statistics-summary").text


def choose_by_keyboard(browser, label_start):
    """Moves the agreement chooser with the arrow keys to the option whose label starts so, and sends the form with
    the keyboard from its button."""
    chooser = browser.find_element(By.ID, "agreement")
    labels = [option.text for option in Select(chooser).options]
    target = next(index for index, label in enumerate(labels) if label.startswith(label_start))
    current = labels.index(Select(chooser).first_selected_option.text)
    key = Keys.ARROW_DOWN if target > current else Keys.ARROW_UP
    for _ in range(abs(target - current)):
        chooser.send_keys(key)
    assert Select(chooser).first_selected_option.text.startswith(label_start)
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, ".statistics-filter button[type=submit]").send_keys(Keys.ENTER)
    WebDriverWait(browser, 15).until(expected_conditions.staleness_of(page))


def test_funder_with_two_agreements_switches_between_them(koppel, fresh_browser):
    browser = fresh_browser
    email, initial = new_person("oranje-fonds", "funder")
    browser.get(koppel.url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(initial)
    submit(browser)
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "repeat_password").send_keys(NEW_PASSWORD)
    submit(browser)
    browser.get(koppel.url + "/account")
    browser.find_element(By.ID, "statistics-link").click()

    # The chooser, labelled, offers the fund's two agreements and nothing else; no programme checkboxes.
    assert browser.find_element(By.CSS_SELECTOR, "label[for=agreement]").text == "Financieringsafspraak"
    chooser = Select(browser.find_element(By.ID, "agreement"))
    labels = sorted(option.text for option in chooser.options)
    assert len(labels) == 2, labels
    assert labels[0].startswith("Aan de Slag in Aan de Slag-gemeenten, ") and labels[0].endswith(" (Oranje Fonds)"), labels
    assert labels[1].startswith("Humanitas Tandem in Nederland, ") and labels[1].endswith(" (Oranje Fonds)"), labels
    assert not browser.find_elements(By.CSS_SELECTOR, ".statistics-filter input[name=programme]")
    accessible(browser)

    first = chooser.first_selected_option.text
    other = next(label for label in labels if label != first)
    for label in (other, first):
        programme, area = label.split(",")[0].split(" in ", 1)
        choose_by_keyboard(browser, label.split(",")[0])
        assert "agreement=" in browser.current_url
        assert not browser.find_elements(By.ID, "statistics-error")
        assert Select(browser.find_element(By.ID, "agreement")).first_selected_option.text == label
        text = summary(browser)
        assert f"Programma's: {programme}." in text and f"Gebied: {area}." in text, text
        accessible(browser)


def test_funder_switching_to_an_agreement_that_ends_sooner_keeps_the_dashboard(koppel, fresh_browser):
    """The Oranje Fonds reads Humanitas Tandem (until next year) for this year, then chooses Aan de Slag, which ends
    in June: the dashboard stays, with the chooser, and either shows Aan de Slag's months or says which months it
    covers."""
    browser = fresh_browser
    email, initial = new_person("oranje-fonds", "funder")
    browser.get(koppel.url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(initial)
    submit(browser)
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "repeat_password").send_keys(NEW_PASSWORD)
    submit(browser)
    browser.get(koppel.url + "/statistics")
    chooser = Select(browser.find_element(By.ID, "agreement"))
    tandem = next(option.get_attribute("value") for option in chooser.options if option.text.startswith("Humanitas Tandem"))
    browser.get(koppel.url + f"/statistics?agreement={tandem}")
    year = browser.find_element(By.ID, "period").get_attribute("value")
    assert year.isdigit() and len(year) == 4 and "Humanitas Tandem" in summary(browser), (year, summary(browser))

    choose_by_keyboard(browser, "Aan de Slag")
    assert browser.find_elements(By.ID, "agreement"), browser.find_element(By.TAG_NAME, "h1").text
    label = Select(browser.find_element(By.ID, "agreement")).first_selected_option.text
    months = label.split(", ")[1].split(" (")[0].split(" t/m ")
    shown = summary(browser) if browser.find_elements(By.ID, "statistics-summary") else ""
    error = browser.find_element(By.ID, "statistics-error").text if browser.find_elements(By.ID, "statistics-error") else ""
    assert "Aan de Slag" in shown or all(month in error for month in months), (shown, error)
