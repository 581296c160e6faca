"""A caseworker names where the client lives on the referral form: a text field with the browser's own list of every
Dutch and Belgian municipality, no script. What the server cannot place comes back as the next step of a plain form:
a typo names the closest municipality, a name several municipalities share lists them with their codes, a
municipality that merged names its successor; the rest of the form is kept each time. Every page passes axe."""
import uuid

from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from test_notice_journey import first_sign_in, new_person
from test_sign_in_journey import submit


def accessible(browser):
    """No violation of axe's rules, but one false alarm of the axe-core that axe-selenium-python bundles (3.1.1): it
    takes autocomplete="off" for wrong on any input but type=text (dequelabs/axe-core#1109, fixed in later versions),
    though "off" is valid on every input. The client's birth date, phone and e-mail on the form are the client's, not
    the caseworker's own: "off" is what they should say."""
    axe = Axe(browser)
    axe.inject()
    violations = []
    for violation in axe.run()["violations"]:
        nodes = [node for node in violation["nodes"]
                 if not (violation["id"] == "autocomplete-valid" and 'autocomplete="off"' in node["html"])]
        if nodes:
            violations.append((violation["id"], violation["help"], [node["target"] for node in nodes]))
    assert not violations, violations


def open_form(browser, url):
    browser.get(url + "/referrals/new")
    assert browser.find_element(By.ID, "new-referral-form")


def choose_programme(browser, name):
    choice = next(item for item in browser.find_elements(By.CSS_SELECTOR, ".programme-choice") if name in item.text)
    choice.find_element(By.CSS_SELECTOR, "input[type=radio]").click()


def fill(browser, programme, client, target_group, age_band, municipality):
    choose_programme(browser, programme)
    browser.find_element(By.ID, "client-name").send_keys(client)
    browser.execute_script("arguments[0].value = '2003-02-11'", browser.find_element(By.ID, "client-birth_date"))
    Select(browser.find_element(By.ID, "consent-evidence")).select_by_value("signed_document")
    Select(browser.find_element(By.ID, "target-group")).select_by_value(target_group)
    Select(browser.find_element(By.ID, "age-band")).select_by_value(age_band)
    type_municipality(browser, municipality)
    browser.find_element(By.CSS_SELECTOR, "input[name='needs[]'][value=social_contact]").click()
    browser.find_element(By.CSS_SELECTOR, "input[name=urgency][value=soon]").click()


def type_municipality(browser, text):
    field = browser.find_element(By.ID, "municipality")
    field.clear()
    field.send_keys(text)


def form_error(browser):
    return browser.find_element(By.ID, "form-error").text


def municipality_shown(browser):
    """The municipality on the referral's page, from the term list."""
    terms = browser.find_elements(By.CSS_SELECTOR, "dl.facts dt")
    term = next(term for term in terms if term.text == "Woonplaats")
    return term.find_element(By.XPATH, "following-sibling::dd[1]").text


def test_caseworker_names_municipalities_by_name_other_name_and_code(koppel, fresh_browser):
    browser = fresh_browser
    email, initial = new_person("vluchtelingenwerk", "caseworker")
    first_sign_in(browser, koppel.url, email, initial)
    suffix = uuid.uuid4().hex[:6]

    # The field: a labelled text input with a hint, offering every municipality of both countries, and no script.
    open_form(browser, koppel.url)
    field = browser.find_element(By.ID, "municipality")
    assert field.tag_name == "input" and field.get_attribute("type") == "text"
    assert field.get_attribute("list") == "municipality-list"
    assert browser.find_element(By.CSS_SELECTOR, "label[for=municipality]").text == "Woonplaats"
    assert field.get_attribute("aria-describedby") == "municipality-hint"
    assert browser.find_element(By.ID, "municipality-hint").text
    options = browser.execute_script(
        "return Array.from(document.querySelectorAll('#municipality-list option'), o => [o.value, o.textContent])")
    values = {value: label for value, label in options}
    assert len(options) > 700 and len(values) == len(options), len(options)
    assert "GM0518" in values["'s-Gravenhage"] and "Den Haag" in values["'s-Gravenhage"]
    assert "12025" in values["Mechelen"]
    assert "Weesp" not in values, "a municipality that has ended is not offered"
    assert browser.find_elements(By.TAG_NAME, "script") == []
    form = browser.find_element(By.ID, "new-referral-form")
    assert form.get_attribute("method") == "post" and form.get_attribute("action").endswith("/referrals")
    accessible(browser)

    # A typo: the form comes back naming the municipality meant, with everything else as it was.
    fill(browser, "Humanitas Tandem", f"Joris Veenstra {suffix}", "social_isolation", "66+", "Enschde")
    submit(browser, "#submit-referral")
    assert "Bedoelt u: Enschede" in form_error(browser), form_error(browser)
    assert browser.find_element(By.ID, "municipality").get_attribute("value") == "Enschde"
    tandem = next(item for item in browser.find_elements(By.CSS_SELECTOR, ".programme-choice") if "Humanitas Tandem" in item.text)
    assert tandem.find_element(By.CSS_SELECTOR, "input[type=radio]").is_selected()
    assert browser.find_element(By.ID, "client-name").get_attribute("value") == f"Joris Veenstra {suffix}"
    assert Select(browser.find_element(By.ID, "target-group")).first_selected_option.get_attribute("value") == "social_isolation"
    assert Select(browser.find_element(By.ID, "age-band")).first_selected_option.get_attribute("value") == "66+"
    assert browser.find_element(By.CSS_SELECTOR, "input[name='needs[]'][value=social_contact]").is_selected()
    assert browser.find_element(By.CSS_SELECTOR, "input[name=urgency][value=soon]").is_selected()
    accessible(browser)

    # A common other name is enough: Den Bosch is filed as 's-Hertogenbosch.
    type_municipality(browser, "Den Bosch")
    submit(browser, "#submit-referral")
    assert browser.find_element(By.ID, "referral-state").text == "Ingediend"
    assert municipality_shown(browser) == "'s-Hertogenbosch"
    assert not browser.find_elements(By.ID, "override-notice"), "'s-Hertogenbosch lies in Tandem's area"

    # A name three municipalities share: the candidates with their codes; the Belgian one by its code is filed.
    open_form(browser, koppel.url)
    fill(browser, "PIMENTA", f"Amina Diallo {suffix}", "human_trafficking", "18-25", "Bergen")
    submit(browser, "#submit-referral")
    error = form_error(browser)
    assert "Meerdere gemeenten heten zo" in error, error
    for candidate in ("GM0373", "GM0893", "Mons (53053)"):
        assert candidate in error, error
    accessible(browser)
    type_municipality(browser, "Bergen (53053)")
    submit(browser, "#submit-referral")
    # Mons lies outside PIMENTA's area (Mechelen): the form asks for a reason for the exception ...
    error = form_error(browser)
    assert "werkgebied" in error and "uitzondering" in error, error
    assert browser.find_element(By.ID, "municipality").get_attribute("value") == "Bergen (53053)"
    # ... and with one, the referral is filed for Mons, the exception on its page.
    Select(browser.find_element(By.ID, "override-reason")).select_by_value("agreed_with_programme")
    submit(browser, "#submit-referral")
    assert browser.find_element(By.ID, "referral-state").text == "Ingediend"
    assert municipality_shown(browser) == "Mons"
    assert "werkgebied" in browser.find_element(By.ID, "override-notice").text
    accessible(browser)

    # A municipality that merged names its successor; nothing is filed.
    open_form(browser, koppel.url)
    fill(browser, "Humanitas Tandem", f"Kees Brouwer {suffix}", "social_isolation", "51-65", "Weesp")
    submit(browser, "#submit-referral")
    error = form_error(browser)
    assert "Weesp" in error and "Amsterdam" in error and "2022-03-24" in error, error
    assert browser.current_url.endswith("/referrals")
    assert not browser.find_elements(By.ID, "referral-state")
