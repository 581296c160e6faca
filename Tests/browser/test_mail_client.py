"""Koppel's own SMTP client (KoppelMail, on SwiftNIO) against a real SMTP server: `koppel mail test` sends one message
through STARTTLS with AUTH PLAIN, STARTTLS with AUTH LOGIN only, and implicit TLS, and the message arrives whole; a server
that offers no STARTTLS gets no password; a wrong password, an untrusted certificate and a server that is down fail with a
message saying so, and nothing is sent."""
import os
import shutil
import subprocess

import pytest

from mail_server import MailServer, certificate_directory, make_certificate


@pytest.fixture(scope="module")
def certificate():
    directory = certificate_directory()
    yield make_certificate(directory)
    shutil.rmtree(directory, ignore_errors=True)


def send_test(server_url, ca_file, to="beheer@koppel.example"):
    env = dict(os.environ, KOPPEL_SMTP_URL=server_url, KOPPEL_MAIL_FROM="Koppel Meldingen <noreply@koppel.example>")
    if ca_file:
        env["KOPPEL_SMTP_CA_FILE"] = ca_file
    return subprocess.run([os.environ["KOPPEL_TEST_BIN"], "mail", "test", "--to", to], env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("mode,mechanisms", [("starttls", ("PLAIN", "LOGIN")), ("starttls", ("LOGIN",)), ("smtps", ("PLAIN", "LOGIN"))])
def test_a_message_arrives_whole_over_tls_with_auth(certificate, mode, mechanisms):
    server = MailServer(certificate, mode=mode, mechanisms=mechanisms)
    try:
        done = send_test(server.url(), certificate[0])
        assert done.returncode == 0, done.stderr
        server.wait_for(lambda: server.messages, "nothing arrived")
        message = server.messages[0]
        assert message.tls and message.authenticated
        assert [mechanism for mechanism, ok in server.auth_log if ok] == [mechanisms[0]]
        assert message.recipients == ["beheer@koppel.example"] and message.mail_from == "noreply@koppel.example"
        assert message.subject == "Koppel: testbericht / test message"
        assert str(message.parsed["from"]) == "Koppel Meldingen <noreply@koppel.example>"
        assert message.parsed["message-id"].endswith("@koppel.example>") and message.parsed["date"]
        assert message.parsed["auto-submitted"] == "auto-generated"
        assert "Dit is een testbericht van Koppel." in message.text and "<p>Dit is een testbericht van Koppel.</p>" in message.html
        assert b"\r\n" in message.raw and b"\n" not in message.raw.replace(b"\r\n", b"")
        assert "s3cret" not in done.stdout + done.stderr
    finally:
        server.stop()


def test_no_password_goes_to_a_server_without_starttls(certificate):
    server = MailServer(certificate, mode="plain")
    try:
        done = send_test(server.url(), certificate[0])
        assert done.returncode != 0 and "STARTTLS" in done.stderr
        assert server.auth_log == [] and server.commands == [] and server.messages == []
    finally:
        server.stop()


def test_a_wrong_password_an_untrusted_certificate_and_a_server_down_are_told_apart(certificate):
    server = MailServer(certificate)
    try:
        wrong = send_test(server.url(password="Xq9wrongZz"), certificate[0])
        assert wrong.returncode != 0 and "refused" in wrong.stderr and "535" in wrong.stderr, wrong.stderr
        assert "Xq9wrongZz" not in wrong.stderr, "the password is never repeated"
        untrusted = send_test(server.url(), None)
        assert untrusted.returncode != 0 and "try again later" in untrusted.stderr and "CERTIFICATE" in untrusted.stderr.upper()
        assert server.messages == [] and server.commands == []
    finally:
        server.stop()
    down = send_test(server.url(), certificate[0])
    assert down.returncode != 0 and "try again later" in down.stderr and "refused" in down.stderr.lower()
