"""A visitor opens the programme directory, switches to English, and opens a programme."""
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys


def test_directory_in_dutch_then_english_then_a_programme(koppel, fresh_browser):
    browser = fresh_browser
    browser.get(koppel.url + "/")

    # Dutch by default, even though the browser asks for English.
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "nl"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Programma's"
    names = [link.text for link in browser.find_elements(By.CSS_SELECTOR, ".programmes h2 a")]
    assert sorted(names) == sorted(["2GO maatjesprojecten", "Humanitas Tandem", "Aan de Slag", "Perspectief+", "PIMENTA"])

    # Switch language with the link in the header; the choice holds on the next page.
    switch = browser.find_element(By.ID, "language-switch")
    assert switch.text == "English"
    switch.click()
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
    assert browser.find_element(By.TAG_NAME, "h1").text == "Programmes"

    browser.find_element(By.LINK_TEXT, "PIMENTA").click()
    assert browser.find_element(By.TAG_NAME, "h1").text == "PIMENTA"
    facts = dict(zip(
        [term.text for term in browser.find_elements(By.CSS_SELECTOR, ".facts dt")],
        [value.text for value in browser.find_elements(By.CSS_SELECTOR, ".facts dd")],
    ))
    assert facts["Run by"] == "De Aanzet"
    assert facts["Age"] == "16 to 25 years"
    assert facts["Area"] == "Mechelen"
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"

    # And back to Dutch.
    browser.find_element(By.ID, "language-switch").click()
    facts = [term.text for term in browser.find_elements(By.CSS_SELECTOR, ".facts dt")]
    assert "Uitgevoerd door" in facts and "Leeftijd" in facts


def test_pages_work_by_keyboard_alone(koppel, fresh_browser):
    browser = fresh_browser
    browser.get(koppel.url + "/")
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    skip = browser.switch_to.active_element
    assert skip.get_attribute("href").endswith("#main")
    assert skip.text == "Naar de inhoud"
    # Tab on to the first programme and follow it with Enter.
    for _ in range(10):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        if "/programmes/" in (browser.switch_to.active_element.get_attribute("href") or ""):
            break
    target = browser.switch_to.active_element.text
    browser.switch_to.active_element.send_keys(Keys.ENTER)
    assert browser.find_element(By.TAG_NAME, "h1").text == target


def test_an_unknown_programme_is_a_dutch_not_found_page(koppel, fresh_browser):
    browser = fresh_browser
    browser.get(koppel.url + "/programmes/00000000-0000-0000-0000-000000000000")
    assert browser.find_element(By.TAG_NAME, "h1").text == "Pagina niet gevonden"
    assert browser.find_element(By.LINK_TEXT, "Terug naar alle programma's")


def test_pages_carry_no_script(koppel, fresh_browser):
    browser = fresh_browser
    for path in ("/", "/?lang=en"):
        browser.get(koppel.url + path)
        assert browser.find_elements(By.TAG_NAME, "script") == []
