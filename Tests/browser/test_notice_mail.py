"""Notices by e-mail through a real SMTP server (aiosmtpd, STARTTLS and AUTH): each kind reaches exactly its people, in
their language, with a link to Koppel and nothing that says who the client is; a digest gathers a day's notices into one
mail at the person's time; a mail server that is down makes the mail wait, and when it is back each notice arrives once."""
import os
import shutil
import subprocess
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from conftest import KoppelServer, free_port
from mail_server import MailServer, certificate_directory, make_certificate
from test_webhooks import API, CANARIES, cli, file_referral, token_for

PUBLIC_URL = "https://koppel.example.nl"


def sql(statement):
    """Runs SQL on the journeys' database as the cluster's superuser (test set-up only: moving a deadline into the past)."""
    admin = urllib.parse.urlsplit(os.environ["KOPPEL_TEST_ADMIN_URL"])
    database = urllib.parse.urlsplit(os.environ["KOPPEL_E2E_DATABASE_URL"]).path
    url = urllib.parse.urlunsplit(admin._replace(path=database))
    return subprocess.run(["psql", url, "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement],
                          capture_output=True, text=True, check=True).stdout.strip()


def person(organisation, role, *extra):
    email = f"{role}-{uuid.uuid4().hex[:8]}@{organisation}.example"
    cli("user", "create", "--org", organisation, "--email", email, "--name", "Meldingen", "--role", role, *extra)
    return email, API(SERVER["koppel"], token_for(email))


class Mailbox:
    """The SMTP server Koppel sends to, which a test may stop and start again on the same port."""

    def __init__(self, certificate):
        self.certificate, self.port = certificate, free_port()
        self.server = MailServer(certificate, port=self.port)

    def restart(self):
        self.server = MailServer(self.certificate, port=self.port)

    def about(self, address, text):
        return [m for m in self.server.to(address) if text in m.subject or text in m.text]

    def wait(self, address, text, timeout=30):
        self.server.wait_for(lambda: any(text in m.subject or text in m.text for m in self.server.messages if address in m.recipients),
                             f"no mail to {address} about {text}", timeout=timeout)
        return self.about(address, text)


SERVER = {}


@pytest.fixture(scope="module")
def mailbox():
    directory = certificate_directory()
    box = Mailbox(make_certificate(directory))
    yield box
    box.server.stop()
    shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture(scope="module")
def koppel_with_mail(mailbox):
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"], extra_env={
        "KOPPEL_HTTP_RATE_LIMIT": "0", "KOPPEL_SMTP_URL": mailbox.server.url(), "KOPPEL_SMTP_CA_FILE": mailbox.certificate[0],
        "KOPPEL_MAIL_FROM": "Koppel <meldingen@koppel.example.nl>", "KOPPEL_HTTP_PUBLIC_URL": PUBLIC_URL})
    SERVER["koppel"] = server
    yield server
    assert server.stop() == 0
    assert "s3cret" not in server.logs() and "%40ss" not in server.logs(), "the mail password is never logged"


def two_go(api):
    return next(p["id"] for p in api.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))


def reference(referral_id):
    return "K-" + referral_id[:8].upper()


def assert_clean(messages):
    for message in messages:
        assert message.tls and message.authenticated
        for field, value in CANARIES.items():
            assert value.encode() not in message.raw and value not in message.text and value not in message.html, f"a mail carries the {field}"


def test_each_notice_reaches_its_people_in_their_language_with_a_link_and_nothing_identifying(koppel_with_mail, mailbox):
    caseworker_email, caseworker = person("vluchtelingenwerk", "caseworker")
    coordinator_email, coordinator = person("stek", "coordinator", "--programme", "2go")
    english_email, _ = person("stek", "coordinator", "--programme", "2go")
    sql(f"UPDATE users SET language = 'en' WHERE email = '{english_email}'")
    admin_email, admin = person("stek", "org-admin")

    referral = file_referral(caseworker, two_go(caseworker))
    ref = reference(referral)
    [dutch] = mailbox.wait(coordinator_email, f"Nieuwe verwijzing {ref} voor 2GO maatjesprojecten.")
    assert dutch.subject == f"Koppel: Nieuwe verwijzing {ref} voor 2GO maatjesprojecten."
    assert dutch.parsed["content-language"] == "nl"
    assert f"{PUBLIC_URL}/referrals/{referral}" in dutch.text and f'href="{PUBLIC_URL}/referrals/{referral}"' in dutch.html
    [english] = mailbox.wait(english_email, f"New referral {ref} for 2GO maatjesprojecten.")
    assert english.parsed["content-language"] == "en" and "See it in Koppel" in english.text

    caseworker.ok("POST", f"/referrals/{referral}/messages", {"text": CANARIES["message"]})
    mailbox.wait(coordinator_email, f"Nieuw bericht bij verwijzing {ref}")
    coordinator.ok("POST", f"/referrals/{referral}/transitions", {"action": "accept"})
    mailbox.wait(caseworker_email, f"Verwijzing {ref} voor 2GO maatjesprojecten: aangenomen.")
    coordinator.ok("POST", f"/referrals/{referral}/messages", {"text": CANARIES["message"]})
    mailbox.wait(caseworker_email, f"Nieuw bericht bij verwijzing {ref}")

    # Late: the deadline moved into the past, as if five working days had gone by, and twice that.
    late = file_referral(caseworker, two_go(caseworker))
    sql(f"UPDATE referrals SET due_on = current_date - 2, escalate_on = current_date - 1 WHERE id = '{late}'")
    mailbox.wait(coordinator_email, f"Verwijzing {reference(late)} voor 2GO maatjesprojecten is over tijd")
    mailbox.wait(admin_email, f"Escalatie: verwijzing {reference(late)} voor 2GO maatjesprojecten")

    # The client withdraws their consent: the coordinators hear it.
    client = caseworker.ok("GET", f"/referrals/{referral}")["client_id"]
    consent = caseworker.ok("GET", f"/clients/{client}/consents")[0]["id"]
    caseworker.ok("POST", f"/clients/{client}/consents/{consent}/withdraw")
    mailbox.wait(coordinator_email, f"De toestemming waarop verwijzing {ref} voor 2GO maatjesprojecten rust, is ingetrokken.")

    # A webhook subscription that has failed for days is disabled: the organisation's admins hear it.
    organisation = admin.ok("GET", "/me")["organization"]["id"]
    subscription = admin.ok("POST", f"/organisations/{organisation}/webhooks", {"url": f"http://127.0.0.1:{free_port()}/gone"})
    sql(f"UPDATE webhook_subscriptions SET failing_since = now() - interval '6 days' WHERE id = '{subscription['subscription']['id']}'")
    admin.ok("POST", f"/organisations/{organisation}/webhooks/{subscription['subscription']['id']}/ping")
    [disabled] = mailbox.wait(admin_email, "webhook-abonnement van uw organisatie uitgeschakeld")
    assert f"{PUBLIC_URL}/admin/webhooks/{subscription['subscription']['id']}" in disabled.text

    time.sleep(2)
    assert not mailbox.about(caseworker_email, "Nieuwe verwijzing"), "the caseworker filed it"
    assert not mailbox.about(coordinator_email, "aangenomen"), "the coordinator accepted it"
    assert not mailbox.about(admin_email, "Nieuwe verwijzing"), "org-admins hear of escalations, not of every referral"
    assert len(mailbox.about(coordinator_email, f"Nieuwe verwijzing {ref}")) == 1, "each notice once"
    everything = [m for m in mailbox.server.messages if set(m.recipients) & {caseworker_email, coordinator_email, english_email, admin_email}]
    assert len(everything) >= 9
    assert_clean(everything)


def test_a_digest_gathers_the_days_notices_into_one_mail_at_the_persons_time(koppel_with_mail, mailbox):
    caseworker_email, caseworker = person("vluchtelingenwerk", "caseworker")
    _, coordinator = person("stek", "coordinator", "--programme", "2go")
    user = sql(f"SELECT id FROM users WHERE email = '{caseworker_email}'")
    sql(f"INSERT INTO notice_preferences (user_id, organisation_id, kind, delivery) SELECT id, organisation_id, 'referral_update', 'digest' "
        f"FROM users WHERE id = '{user}'; UPDATE users SET digest_time = '07:30' WHERE id = '{user}'")
    first, second = file_referral(caseworker, two_go(caseworker)), file_referral(caseworker, two_go(caseworker))
    coordinator.ok("POST", f"/referrals/{first}/transitions", {"action": "accept"})
    coordinator.ok("POST", f"/referrals/{second}/transitions", {"action": "decline", "reason": "needs_not_matched"})
    deadline = time.monotonic() + 20
    while sql(f"SELECT count(*) FROM notices WHERE user_id = '{user}' AND email_state = 'digest'") != "2":
        assert time.monotonic() < deadline, "the two notices were not made"
        time.sleep(0.2)
    due = sql(f"SELECT DISTINCT extract(epoch FROM email_due_at)::bigint FROM notices WHERE user_id = '{user}'")
    now = datetime.now(ZoneInfo("Europe/Amsterdam"))
    expected = now.replace(hour=7, minute=30, second=0, microsecond=0)
    if expected <= now:
        expected = (now + timedelta(days=1)).replace(hour=7, minute=30, second=0, microsecond=0)
    assert int(due) == int(expected.timestamp()), "waiting for the next 07:30 in Amsterdam"
    time.sleep(1)
    assert not mailbox.server.to(caseworker_email), "nothing before the digest's time"

    sql(f"UPDATE notices SET email_due_at = now() WHERE user_id = '{user}' AND email_state = 'digest'")  # 07:30 has come
    [digest] = mailbox.wait(caseworker_email, "uw overzicht van 2 meldingen")
    assert reference(first) in digest.text and reference(second) in digest.text
    assert "aangenomen" in digest.text and "afgewezen" in digest.text
    time.sleep(1.5)
    assert len(mailbox.server.to(caseworker_email)) == 1, "one mail for the day"
    assert_clean([digest])


def test_when_the_mail_server_is_down_notices_wait_and_arrive_once_it_is_back(koppel_with_mail, mailbox):
    caseworker_email, caseworker = person("vluchtelingenwerk", "caseworker")
    coordinator_email, _ = person("stek", "coordinator", "--programme", "2go")
    mailbox.server.stop()
    referral = file_referral(caseworker, two_go(caseworker))
    deadline = time.monotonic() + 20
    while sql(f"SELECT coalesce(max(email_attempts), 0) FROM notices WHERE referral_id = '{referral}' AND kind = 'new_referral'") in ("", "0"):
        assert time.monotonic() < deadline, "Koppel did not try to send"
        time.sleep(0.2)
    assert sql(f"SELECT email_state FROM notices n JOIN users u ON u.id = n.user_id WHERE n.referral_id = '{referral}' "
               f"AND u.email = '{coordinator_email}'") == "pending", "waiting, not given up"
    mailbox.restart()
    [mail] = mailbox.wait(coordinator_email, f"Nieuwe verwijzing {reference(referral)}", timeout=40)
    time.sleep(3)
    assert len(mailbox.about(coordinator_email, reference(referral))) == 1, "sent once"
    assert sql(f"SELECT email_state FROM notices n JOIN users u ON u.id = n.user_id WHERE n.referral_id = '{referral}' "
               f"AND u.email = '{coordinator_email}'") == "sent"
    assert_clean([mail])
