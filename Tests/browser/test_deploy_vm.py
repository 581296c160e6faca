"""The one-VM reference deployment (deploy/vm), checked offline: nginx accepts its site (`nginx -t`, with a throwaway
certificate) and systemd its units (`systemd-analyze verify`, with a stand-in for the binary), where those tools
are installed; and the pieces agree with each other: nginx sends to the replicas' ports, with Koppel's body limit,
and the replicas trust nginx's address for X-Forwarded-For."""
import os
import re
import shutil
import subprocess

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
VM = os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy", "vm")
SITE = os.path.join(VM, "nginx", "koppel.conf")
UNITS = os.path.join(VM, "systemd")
CERTIFICATES = "/etc/letsencrypt/live/koppel.example.nl/"
BINARY = "/opt/koppel/bin/koppel"


def read(path):
    with open(path, encoding="utf-8") as file:
        return file.read()


def nginx_test(tmp_path, site):
    """`nginx -t` on `site`, inside a main configuration that keeps every path in tmp_path."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=koppel.example.nl",
                    "-keyout", str(tmp_path / "privkey.pem"), "-out", str(tmp_path / "fullchain.pem")],
                   check=True, capture_output=True, timeout=60)
    (tmp_path / "site.conf").write_text(site.replace(CERTIFICATES, f"{tmp_path}/"))
    temporary = " ".join(f"{kind}_temp_path {tmp_path}/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log stderr;\nevents {{}}\n"
        f"http {{ access_log off; {temporary} include {tmp_path}/site.conf; }}\n")
    return subprocess.run(["nginx", "-t", "-e", "stderr", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
                          capture_output=True, text=True, timeout=60)


needs_nginx = pytest.mark.skipif(not shutil.which("nginx") or not shutil.which("openssl"),
                                 reason="nginx or openssl is not installed (scripts/test installs both)")


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    result = nginx_test(tmp_path, read(SITE))
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


@needs_nginx
def test_nginx_refuses_a_broken_site(tmp_path):
    result = nginx_test(tmp_path, read(SITE).replace("client_max_body_size 64k;", "client_max_body_size 64 k;"))
    assert result.returncode != 0


def systemd_verify(tmp_path, unit, replace=("", "")):
    """`systemd-analyze verify` on `unit`, with Koppel's binary replaced by /bin/true (it is not installed here)."""
    for name in os.listdir(UNITS):
        (tmp_path / name).write_text(read(os.path.join(UNITS, name)).replace(BINARY, "/bin/true").replace(*replace))
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(tmp_path / unit)],
                            capture_output=True, text=True, timeout=60)
    # Unknown keys and bad values are only warned about: any line about these units counts as a failure.
    complaints = [line for line in (result.stdout + result.stderr).splitlines() if "koppel" in line]
    return result.returncode, complaints


def systemd_analyze_works(tmp_path_factory):
    if not shutil.which("systemd-analyze"):
        return "systemd-analyze is not installed"
    folder = tmp_path_factory.mktemp("probe")
    (folder / "probe.service").write_text("[Service]\nType=oneshot\nExecStart=/bin/true\n")
    result = subprocess.run(["systemd-analyze", "verify", "--man=no", str(folder / "probe.service")],
                            capture_output=True, text=True, timeout=60)
    return None if result.returncode == 0 else f"systemd-analyze verify does not work here: {result.stderr.strip()}"


@pytest.fixture
def systemd(tmp_path_factory):
    reason = systemd_analyze_works(tmp_path_factory)
    if reason:
        pytest.skip(reason)


@pytest.mark.parametrize("unit", ["koppel@8081.service", "koppel-migrate.service"])
def test_systemd_accepts_the_units(systemd, tmp_path, unit):
    returncode, complaints = systemd_verify(tmp_path, unit)
    assert returncode == 0 and not complaints, complaints


def test_systemd_verify_catches_a_misspelt_setting(systemd, tmp_path):
    returncode, complaints = systemd_verify(tmp_path, "koppel@8081.service", ("ProtectSystem=strict", "ProtectSytem=strict"))
    assert returncode != 0 or complaints


def setting(text, name):
    return re.findall(rf"^\s*{name}\s+([^;]+);", text, re.MULTILINE)


def test_the_pieces_agree():
    site = read(SITE)
    replica = read(os.path.join(UNITS, "koppel@.service"))
    upstreams = [line.split()[0] for line in setting(site, "server") if ":" in line.split()[0]]
    assert upstreams == ["127.0.0.1:8081", "127.0.0.1:8082"], "nginx does not send to two replicas"
    assert all("max_fails=" in line for line in setting(site, "server") if line.startswith("127.0.0.1")), \
        "no passive health checks"
    assert "KOPPEL_HTTP_PORT=%i" in replica and "KOPPEL_HTTP_HOST=127.0.0.1" in replica
    assert "KOPPEL_HTTP_TRUSTED_PROXIES=127.0.0.1/32" in replica, "the replicas do not trust nginx's X-Forwarded-For"
    assert setting(site, "proxy_set_header X-Forwarded-For") == ["$proxy_add_x_forwarded_for"], \
        "nginx replaces X-Forwarded-For instead of appending the client"
    assert setting(site, "client_max_body_size") == ["64k", "1m"], "the body limits differ from Koppel's own"
    assert re.search(r"location = /api/v1/directory/imports \{\s*client_max_body_size 1m;", site), \
        "the larger body limit is not for directory imports alone"
    assert re.search(r"return 301 https://", site), "plain HTTP is not redirected"
    assert not setting(site, "add_header"), "security headers are Koppel's to set"
    for directive in ("NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes"):
        assert directive in replica and directive in read(os.path.join(UNITS, "koppel-migrate.service")), directive
    assert "koppel-migrate.service" in re.search(r"^After=.*$", replica, re.MULTILINE).group(0), \
        "a replica may start before the migrations ran"
