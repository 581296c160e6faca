"""A caseworker signs in for the first time: password, then sets up the second factor with the key an
authenticator app would be given, keeps the recovery codes, signs out, and signs in again with one."""
import base64
import hashlib
import hmac
import os
import struct
import subprocess
import tempfile
import time

from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = os.environ["KOPPEL_DEMO_PASSWORD"]


def totp(key_base32: str, at: float) -> str:
    """RFC 6238, as authenticator apps compute it."""
    key = base64.b32decode(key_base32 + "=" * (-len(key_base32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def submit(browser, selector="form.stacked button[type=submit]"):
    """Submits a form and waits until the next page has replaced this one."""
    page = browser.find_element(By.TAG_NAME, "html")
    browser.find_element(By.CSS_SELECTOR, selector).click()

    def replaced(_):
        # Mid-navigation, chromedriver may report the old node as "not in the document" rather than stale.
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(browser, 15).until(replaced)


def sign_in_with_password(browser, url, email):
    browser.get(url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys(email)
    browser.find_element(By.ID, "password").send_keys(PASSWORD)
    submit(browser)


def test_caseworker_enrols_a_second_factor_and_signs_in_with_it(koppel, fresh_browser):
    browser = fresh_browser
    email = "caseworker@vluchtelingenwerk.example"
    sign_in_with_password(browser, koppel.url, email)

    # A caseworker may see identifying data: a second factor is set up before anything else.
    assert browser.current_url.endswith("/account/second-factor")
    key = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    uri = browser.find_element(By.ID, "totp-uri").get_attribute("href")
    assert uri.startswith("otpauth://totp/Koppel:")
    # The QR code on the page, scanned as a phone would (zbarimg), holds exactly that URI.
    with tempfile.NamedTemporaryFile(suffix=".png") as picture:
        browser.find_element(By.CSS_SELECTOR, "#totp-qr svg").screenshot(picture.name)
        scanned = subprocess.run(["zbarimg", "--quiet", "--raw", picture.name], capture_output=True, text=True)
    assert scanned.stdout.strip() == uri
    enrolment_code = totp(key, time.time())
    browser.find_element(By.ID, "code").send_keys(enrolment_code)
    submit(browser)

    codes = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#recovery-codes li")]
    assert len(codes) == 10 and len(set(codes)) == 10
    browser.find_element(By.PARTIAL_LINK_TEXT, "account").click()
    WebDriverWait(browser, 15).until(expected_conditions.presence_of_element_located((By.ID, "account-name")))
    assert browser.find_element(By.ID, "account-name").text == "Carla de Wit"
    assert browser.find_element(By.ID, "account-roles").text == "hulpverlener"

    # Sign out with the button in the header: the account page is closed again.
    submit(browser, "nav.account button[type=submit]")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Programma's"
    browser.get(koppel.url + "/account")
    assert browser.current_url.endswith("/sign-in")

    # Again: password, then the authenticator's code. The code used at enrolment is refused (a code
    # works once); the next one, which the server accepts as clock drift, works.
    sign_in_with_password(browser, koppel.url, email)
    assert browser.current_url.endswith("/sign-in/code")
    browser.find_element(By.ID, "code").send_keys(enrolment_code)
    submit(browser)
    assert browser.current_url.endswith("/sign-in/code")
    browser.find_element(By.ID, "code").send_keys(totp(key, time.time() + 30))
    submit(browser)
    assert browser.current_url.endswith("/account")
    assert browser.find_element(By.ID, "account-organisation").text == "VluchtelingenWerk"

    # And once more with a recovery code, as when the phone is not at hand.
    submit(browser, "nav.account button[type=submit]")
    sign_in_with_password(browser, koppel.url, email)
    browser.find_element(By.ID, "code").send_keys(codes[0])
    submit(browser)
    assert browser.current_url.endswith("/account")


def test_a_wrong_password_is_refused_without_saying_why(koppel, fresh_browser):
    browser = fresh_browser
    browser.get(koppel.url + "/sign-in")
    browser.find_element(By.ID, "email").send_keys("funder@denhaag.example")
    browser.find_element(By.ID, "password").send_keys("not the password at all")
    submit(browser)
    alert = browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert alert == "Aanmelden is niet gelukt. Controleer uw e-mailadres en wachtwoord."
    assert browser.current_url.endswith("/sign-in")
