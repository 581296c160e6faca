"""Fixtures for journeys through Koppel in a real browser: a `koppel serve` started for the run,
against the seeded database scripts/test prepared, and headless Chromium from Debian's packages."""
import atexit
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service


def _binary_of_this_run():
    """Other work in the same checkout may rebuild koppel while the journeys run: exec then fails with "Text file
    busy", or a server starts from half a build. The run uses its own copy of the binary scripts/test built."""
    built = os.environ.get("KOPPEL_TEST_BIN")
    if not built or os.environ.get("KOPPEL_TEST_BIN_COPIED") == built:
        return
    folder = tempfile.mkdtemp(prefix="koppel-bin-")
    copy = os.path.join(folder, "koppel")
    shutil.copy2(built, copy)
    atexit.register(shutil.rmtree, folder, True)
    os.environ["KOPPEL_TEST_BIN"] = os.environ["KOPPEL_TEST_BIN_COPIED"] = copy


_binary_of_this_run()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class KoppelServer:
    """A `koppel serve` process on a free loopback port."""

    def __init__(self, database_url: str, extra_env=None, port=None):
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        env = dict(os.environ, KOPPEL_DATABASE_URL=database_url, KOPPEL_HTTP_PORT=str(self.port), KOPPEL_LOG_FORMAT="json",
                   **(extra_env or {}))
        # The server never sees the owner's credentials: it runs as the app role only.
        env.pop("KOPPEL_OWNER_DATABASE_URL", None)
        log_dir = os.environ.get("KOPPEL_TEST_LOG_DIR") or os.environ.get("TMPDIR", "/tmp")
        self.log = open(os.path.join(log_dir, f"koppel-e2e-{self.port}.log"), "w+")
        self.process = subprocess.Popen([os.environ["KOPPEL_TEST_BIN"], "serve"], env=env, stdout=self.log, stderr=self.log)
        self.wait_until(lambda: self.status("/healthz") == 200, "the server did not start")

    def status(self, path: str) -> int:
        try:
            with urllib.request.urlopen(self.url + path, timeout=20) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    @staticmethod
    def wait_until(condition, message: str, timeout: float = 30.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.2)
        raise AssertionError(message)

    def stop(self) -> int:
        """SIGTERM, and the exit status. A server past its own shutdown bound (15 s) is killed. Whenever a stop is not
        clean the end of the log is shown: the server names the background services its shutdown waited for."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                status = self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                print(f"koppel serve on port {self.port} did not stop within 30 s of SIGTERM", file=sys.stderr)
                status = self.process.wait(timeout=10)
            if status != 0:
                print(f"koppel serve on port {self.port} stopped with {status}; its last log lines:\n"
                      + "\n".join(self.logs().splitlines()[-40:]), file=sys.stderr)
            return status
        return self.process.returncode

    def logs(self) -> str:
        self.log.flush()
        self.log.seek(0)
        return self.log.read()


@pytest.fixture(scope="session")
def koppel():
    server = KoppelServer(os.environ["KOPPEL_E2E_DATABASE_URL"])
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1200,900"):
        options.add_argument(argument)
    # Chromium sends an English Accept-Language; Koppel's pages must still open in Dutch.
    options.add_argument("--lang=en-US")
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def fresh_browser(browser):
    browser.delete_all_cookies()
    return browser
