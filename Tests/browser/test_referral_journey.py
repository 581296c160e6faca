"""A caseworker of VluchtelingenWerk refers a client to 2GO; the coordinator of Stek accepts and starts it,
reveals who the client is for a stated purpose and asks a question in the referral's thread; the caseworker
follows every step on the timeline, answers, and later withdraws the client's consent, which withdraws the
referral."""
import os
import subprocess
import time

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_sign_in_journey import PASSWORD, sign_in_with_password, submit, totp

NEW_PASSWORD = "een eigen lange zin voor Koppel"


def create_caseworker(email: str) -> str:
    """Adds a caseworker with the operators' CLI, as an org-admin's first colleague would be; returns the
    initial password it prints."""
    result = subprocess.run(
        [os.environ["KOPPEL_TEST_BIN"], "user", "create", "--org", "vluchtelingenwerk", "--email", email,
         "--name", "Vera Verwijzer", "--role", "caseworker"],
        capture_output=True, text=True, check=True)
    return result.stdout.strip().splitlines()[-1]


def enrol_second_factor(browser) -> str:
    """Sets up the authenticator on the enrolment page and leaves the recovery codes page; returns the key."""
    key = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    browser.find_element(By.ID, "code").send_keys(totp(key, time.time()))
    submit(browser)
    assert len(browser.find_elements(By.CSS_SELECTOR, "#recovery-codes li")) == 10
    return key


def sign_out(browser):
    submit(browser, "nav.account button[type=submit]")


def test_referral_from_caseworker_to_coordinator_and_back(koppel, fresh_browser):
    browser = fresh_browser
    email = "vera@vluchtelingenwerk.example"
    initial = create_caseworker(email)

    # First sign-in: own password, second factor.
    browser.get(koppel.url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(initial)
    submit(browser)
    assert browser.current_url.endswith("/account/password")
    browser.find_element(By.ID, "new_password").send_keys(NEW_PASSWORD)
    browser.find_element(By.ID, "repeat_password").send_keys(NEW_PASSWORD)
    submit(browser)
    caseworker_key = enrol_second_factor(browser)

    # A new referral: 2GO shows who it is for and how many places are free.
    browser.get(koppel.url + "/account")
    browser.find_element(By.ID, "referrals-link").click()
    browser.find_element(By.ID, "new-referral").click()
    choice = next(item for item in browser.find_elements(By.CSS_SELECTOR, ".programme-choice") if "2GO" in item.text)
    assert "plaatsen vrij" in choice.text
    choice.find_element(By.CSS_SELECTOR, "input[type=radio]").click()
    # Who the client is goes to the vault; the consent covers 2GO processing the referral and seeing who they are.
    browser.find_element(By.ID, "client-name").send_keys("Selam Tesfaye")
    browser.execute_script("arguments[0].value = '1994-05-17'", browser.find_element(By.ID, "client-birth_date"))
    assert browser.find_element(By.ID, "consent-referral").is_selected()
    assert browser.find_element(By.ID, "consent-identity").is_selected()
    Select(browser.find_element(By.ID, "consent-evidence")).select_by_value("signed_document")
    Select(browser.find_element(By.ID, "target-group")).select_by_value("human_trafficking")
    Select(browser.find_element(By.ID, "age-band")).select_by_value("26-35")
    browser.find_element(By.ID, "municipality").send_keys("Den Haag")
    browser.find_element(By.CSS_SELECTOR, "input[name='needs[]'][value=social_contact]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=urgency][value=soon]").click()
    submit(browser, "#submit-referral")
    assert browser.find_element(By.ID, "referral-state").text == "Ingediend"
    # Den Haag, typed in the field, is filed as the municipality's official name.
    assert "'s-Gravenhage" in browser.find_element(By.CSS_SELECTOR, "dl.facts").text
    referral_url = browser.current_url
    sign_out(browser)

    # The coordinator of Stek finds it in the inbox, accepts it and records the start.
    sign_in_with_password(browser, koppel.url, "coordinator@stek.example")
    enrol_second_factor(browser)
    browser.get(koppel.url + "/referrals")
    queue = browser.find_element(By.ID, "queue")
    assert "VluchtelingenWerk" in queue.text
    queue.find_element(By.CSS_SELECTOR, f"a[href='{referral_url.removeprefix(koppel.url)}']").click()
    submit(browser, "#step-accept button")
    assert browser.find_element(By.ID, "referral-state").text == "Aangenomen"
    submit(browser, "#step-start button")
    assert browser.find_element(By.ID, "referral-state").text == "Gestart"

    # Who the client is shows only after a reveal with a stated purpose.
    assert "Selam Tesfaye" not in browser.page_source
    Select(browser.find_element(By.ID, "reveal-purpose")).select_by_value("share_identity")
    submit(browser, "#reveal-button")
    assert "Selam Tesfaye" in browser.find_element(By.ID, "revealed").text
    browser.find_element(By.ID, "message-text").send_keys("Wanneer kan de intake plaatsvinden?")
    submit(browser, "#message-send")
    assert "Wanneer kan de intake plaatsvinden?" in browser.find_element(By.ID, "thread").text
    sign_out(browser)

    # The caseworker signs in again and sees every step on the timeline.
    browser.get(koppel.url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(NEW_PASSWORD)
    submit(browser)
    browser.find_element(By.ID, "code").send_keys(totp(caseworker_key, time.time() + 30))
    submit(browser)
    browser.get(referral_url)
    steps = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#timeline li")]
    assert len(steps) == 3
    assert "Indienen" in steps[0] and "VluchtelingenWerk" in steps[0] and "Vera Verwijzer" in steps[0]
    assert "Aannemen" in steps[1] and "Stek" in steps[1]
    assert "Start vastleggen" in steps[2] and "Gestart" in steps[2]
    # The coordinator's name stays with Stek: the caseworker sees the organisation only.
    assert "Sanne Bakker" not in " ".join(steps)
    assert browser.find_element(By.ID, "referral-state").text == "Gestart"

    # The caseworker answers the coordinator in the thread.
    assert "Wanneer kan de intake plaatsvinden?" in browser.find_element(By.ID, "thread").text
    browser.find_element(By.ID, "message-text").send_keys("Dinsdagochtend, met een tolk Tigrinya.")
    submit(browser, "#message-send")
    messages = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#thread li")]
    assert len(messages) == 2 and "Stek" in messages[0] and "VluchtelingenWerk" in messages[1]

    # The client withdraws their consent: the caseworker records it on the client page, and the referral is withdrawn.
    browser.find_element(By.ID, "client-page").click()
    consent = browser.find_element(By.CSS_SELECTOR, "section.consent")
    assert consent.find_element(By.CSS_SELECTOR, ".consent-status").text == "Actief"
    submit(browser, "section.consent button[type=submit]")
    assert "1 verwijzing(en)" in browser.find_element(By.ID, "client-notice").text
    assert browser.find_element(By.CSS_SELECTOR, "section.consent .consent-status").text == "Ingetrokken"
    browser.find_element(By.CSS_SELECTOR, f"#client-referral-list a[href='{referral_url.removeprefix(koppel.url)}']").click()
    assert browser.find_element(By.ID, "referral-state").text == "Ingetrokken"
    assert "Toestemming ingetrokken" in browser.find_element(By.ID, "timeline").text
