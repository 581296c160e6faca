"""Notices in the browser: a coordinator sees the count on the bell, opens the notice and reaches the referral with its
deadline; a caseworker turns decisions off on the settings page (keyboard only) and hears of none, while messages still
come. Both pages pass axe's accessibility rules and work without JavaScript."""
import os
import subprocess
import time
import uuid

from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select, WebDriverWait

from test_referral_journey import NEW_PASSWORD, enrol_second_factor, sign_out
from test_sign_in_journey import submit
from test_webhooks import API, CANARIES, file_referral, token_for


def new_person(organisation, role, *extra):
    email = f"{role}-{uuid.uuid4().hex[:8]}@{organisation}.example"
    initial = subprocess.run([os.environ["KOPPEL_TEST_BIN"], "user", "create", "--org", organisation, "--email", email, "--name", "Mira Melding",
                              "--role", role, *extra], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    return email, initial


def first_sign_in(browser, url, email, initial):
    browser.get(url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(initial)
    submit(browser)
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "repeat_password").send_keys(NEW_PASSWORD)
    submit(browser)
    enrol_second_factor(browser)


def arrive(browser, path):
    """Waits until a click or a sent form has brought the browser to `path`."""
    WebDriverWait(browser, 15).until(lambda b: b.current_url.split("?")[0].endswith(path))


def unread(browser):
    return int(browser.find_element(By.CSS_SELECTOR, "#notice-bell .count").text.rstrip("+"))


def accessible(browser):
    axe = Axe(browser)
    axe.inject()
    violations = axe.run()["violations"]
    assert not violations, [(v["id"], v["help"], [n["target"] for n in v["nodes"]]) for v in violations]


def wait_for_text(browser, url, text, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        browser.get(url)
        if text in browser.page_source:
            return
        time.sleep(0.5)
    raise AssertionError(f"{text} did not appear on {url}")


def test_coordinator_opens_a_notice_and_caseworker_turns_a_kind_off(koppel, fresh_browser):
    browser = fresh_browser
    caseworker_email, caseworker_initial = new_person("vluchtelingenwerk", "caseworker")
    coordinator_email, coordinator_initial = new_person("stek", "coordinator", "--programme", "2go")
    caseworker, coordinator = API(koppel, token_for(caseworker_email)), API(koppel, token_for(coordinator_email))
    two_go = next(p["id"] for p in caseworker.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))
    referral = file_referral(caseworker, two_go)
    reference = "K-" + referral[:8].upper()

    first_sign_in(browser, koppel.url, coordinator_email, coordinator_initial)
    wait_for_text(browser, koppel.url + "/notices", reference)
    assert unread(browser) >= 1
    before = unread(browser)
    browser.get(koppel.url + "/referrals")
    assert unread(browser) == before, "the bell is on every page"
    browser.find_element(By.ID, "notice-bell").click()
    arrive(browser, "/notices")
    accessible(browser)
    notice = next(item for item in browser.find_elements(By.CSS_SELECTOR, "#notice-list li") if reference in item.text)
    assert "Nieuwe verwijzing" in notice.text and CANARIES["name"] not in browser.page_source
    notice.find_element(By.CSS_SELECTOR, "form[action$='/open'] button").click()
    arrive(browser, f"/referrals/{referral}")
    assert "Reageren uiterlijk" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    assert browser.find_element(By.ID, "referral-reference").text == reference
    assert unread(browser) == before - 1, "opened, so read"
    sign_out(browser)

    first_sign_in(browser, koppel.url, caseworker_email, caseworker_initial)
    browser.get(koppel.url + "/notices")
    browser.find_element(By.LINK_TEXT, "Instellingen voor meldingen").click()
    arrive(browser, "/notices/settings")
    accessible(browser)
    # Keyboard only: focus the choice for decisions, pick "Uit", and send the form with Enter.
    choice = browser.find_element(By.ID, "kind-referral_update")
    choice.send_keys(Keys.END)
    assert Select(choice).first_selected_option.get_attribute("value") == "off"
    browser.find_element(By.ID, "digest-time").send_keys(Keys.ENTER)
    WebDriverWait(browser, 15).until(lambda b: b.find_elements(By.ID, "settings-saved"))
    assert "Uw keuzes zijn opgeslagen." in browser.find_element(By.ID, "settings-saved").text
    assert Select(browser.find_element(By.ID, "kind-referral_update")).first_selected_option.get_attribute("value") == "off"

    coordinator.ok("POST", f"/referrals/{referral}/transitions", {"action": "accept"})
    coordinator.ok("POST", f"/referrals/{referral}/messages", {"text": CANARIES["message"]})
    wait_for_text(browser, koppel.url + "/notices", f"Nieuw bericht bij verwijzing {reference}")
    assert "aangenomen" not in browser.find_element(By.ID, "notice-list").text, "decisions are turned off"
    assert CANARIES["message"] not in browser.page_source
    # What waits on the caseworker: the referral with unread news.
    browser.get(koppel.url + "/referrals")
    assert reference in browser.find_element(By.ID, "waiting-on-you").text
    sign_out(browser)
