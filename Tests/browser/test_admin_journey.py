"""An org-admin signs in, adds a colleague, makes an API token for a partner system, revokes it, and subscribes the
partner system to webhooks: a test event reaches it, signed."""
import json
import time
import urllib.request

from selenium.webdriver.common.by import By

from test_sign_in_journey import sign_in_with_password, submit, totp
from webhook_receiver import Receiver


def me_status(koppel, token):
    request = urllib.request.Request(koppel.url + "/api/v1/me", headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, None


def test_org_admin_adds_a_user_and_an_api_token(koppel, fresh_browser):
    browser = fresh_browser
    sign_in_with_password(browser, koppel.url, "admin@vluchtelingenwerk.example")
    key = browser.find_element(By.ID, "totp-secret").text.replace(" ", "")
    browser.find_element(By.ID, "code").send_keys(totp(key, time.time()))
    submit(browser)
    browser.get(koppel.url + "/account")
    browser.find_element(By.LINK_TEXT, "Gebruikers").click()

    # Add a caseworker: the page shows the one-time password once.
    browser.find_element(By.ID, "new-email").send_keys("nieuwe.collega@vluchtelingenwerk.example")
    browser.find_element(By.ID, "new-name").send_keys("Nieuwe Collega")
    browser.find_element(By.CSS_SELECTOR, "input[name='role[]'][value=caseworker]").click()
    submit(browser, "#new-user button[type=submit]")
    assert "nieuwe.collega@vluchtelingenwerk.example" in browser.find_element(By.ID, "created-user").text
    assert len(browser.find_element(By.ID, "initial-password").text) == 19
    rows = [row.text for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr")]
    assert any("Nieuwe Collega" in row and "hulpverlener" in row for row in rows)

    # A token for the partner system, acting as the caseworker of the demo data.
    browser.find_element(By.LINK_TEXT, "API-sleutels").click()
    select = browser.find_element(By.ID, "token-user")
    for option in select.find_elements(By.TAG_NAME, "option"):
        if "caseworker@vluchtelingenwerk.example" in option.text:
            option.click()
    browser.find_element(By.ID, "token-name").send_keys("Registratiesysteem")
    browser.find_element(By.ID, "token-days").send_keys("30")
    submit(browser, "#new-token-form button[type=submit]")
    token = browser.find_element(By.ID, "new-token").text
    status, me = me_status(koppel, token)
    assert status == 200 and me["email"] == "caseworker@vluchtelingenwerk.example"

    # Revoked from the list, it stops working at once; the list never shows the token again.
    assert token not in browser.find_element(By.TAG_NAME, "table").text
    submit(browser, "button[aria-label='Intrekken Registratiesysteem']")
    assert me_status(koppel, token)[0] == 401
    assert "ingetrokken" in browser.find_element(By.TAG_NAME, "table").text

    # The organisation's case system subscribes to webhooks; a test event reaches it, signed.
    receiver = Receiver()
    try:
        browser.find_element(By.LINK_TEXT, "Webhooks").click()
        browser.find_element(By.ID, "webhook-url").send_keys(receiver.url + "/zaaksysteem")
        browser.find_element(By.ID, "webhook-description").send_keys("Zaaksysteem")
        submit(browser, "#new-webhook-form button[type=submit]")
        secret = browser.find_element(By.ID, "new-secret").text
        assert secret.startswith("whsec_")
        receiver.secrets["/zaaksysteem"] = [secret]
        submit(browser, f"button[aria-label='Testmelding sturen {receiver.url}/zaaksysteem']")
        receiver.wait_for(lambda: receiver.received("/zaaksysteem"), "the test event did not come")
        ping = receiver.received("/zaaksysteem")[0]
        assert ping.verified and ping.event["type"] == "ping"
        browser.refresh()
        receiver.wait_for(lambda: "afgeleverd" in (browser.refresh() or browser.find_element(By.TAG_NAME, "main").text),
                          "the page does not show the event delivered")
        assert secret not in browser.page_source
    finally:
        receiver.stop()
