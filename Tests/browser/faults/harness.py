"""The pieces the fault scenarios are made of: PostgreSQL clusters of their own (started, restarted, copied, streamed
to and promoted), a Koppel database on them with the demo data, nginx and HAProxy from Debian on loopback, clients
that file referrals and retry with the same Idempotency-Key, and the figures each scenario reports.

Everything listens on 127.0.0.1 only and is stopped by the scenario that started it. Nothing here prints a password:
URLs are kept in the environment of the processes that need them."""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
FULL = os.environ.get("KOPPEL_FAULTS") == "full"
PG_BIN = os.path.dirname(os.environ.get("KOPPEL_E2E_PG_CTL", "/usr/lib/postgresql/15/bin/pg_ctl"))


def scale(short, full):
    """The short version runs in every `scripts/test`; the full one in `scripts/faults`."""
    return full if FULL else short


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def report(scenario: str, **figures):
    """Prints a scenario's figures and, under scripts/faults, keeps them for docs/reliability.md."""
    print(f"\n{scenario}: " + ", ".join(f"{key}={value}" for key, value in figures.items()))
    path = os.environ.get("KOPPEL_FAULTS_FIGURES")
    if path:
        with open(path, "a") as out:
            out.write(json.dumps({"scenario": scenario, "full": FULL, **figures}) + "\n")


def _as_postgres(command):
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


class Cluster:
    """A PostgreSQL cluster in a folder of its own under /var/tmp, on a free loopback port."""

    def __init__(self, name: str):
        self.dir = tempfile.mkdtemp(prefix=f"koppel-faults-{name}-", dir="/var/tmp")
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        os.chmod(self.dir, 0o700)
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "postgres.log")
        self.port = free_port()
        self.password = secrets.token_urlsafe(24)

    def run(self, *command, check=True, quiet=True):
        out = subprocess.DEVNULL if quiet else None
        return subprocess.run(_as_postgres(command), check=check, stdout=out, stderr=out).returncode

    def init(self):
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password + "\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        os.chmod(pwfile, 0o600)
        try:
            self.run(f"{PG_BIN}/initdb", "-D", self.data, "-U", "postgres", f"--pwfile={pwfile}", "--auth-local=peer",
                     "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
        finally:
            os.remove(pwfile)
        with open(os.path.join(self.data, "postgresql.conf"), "a") as conf:
            conf.write("include_if_exists = 'faults.conf'\n")
        self.configure()

    def configure(self, **extra):
        """Where it listens (always loopback), and settings of the scenario."""
        settings = {"listen_addresses": "'127.0.0.1'", "port": self.port, "unix_socket_directories": f"'{self.dir}'",
                    "max_connections": 200, "wal_level": "replica", "max_wal_senders": 5, "hot_standby": "on",
                    # Nothing here survives the machine: no scenario crashes the operating system, so fsync buys nothing.
                    "fsync": "off", **extra}
        text = "".join(f"{key} = {value}\n" for key, value in settings.items())
        subprocess.run(_as_postgres(["tee", os.path.join(self.data, "faults.conf")]), input=text.encode(), check=True,
                       stdout=subprocess.DEVNULL)

    def pg_ctl(self, *arguments, check=True):
        return self.run(f"{PG_BIN}/pg_ctl", "-D", self.data, *arguments, check=check)

    def start(self):
        self.pg_ctl("start", "-w", "-t", "60", "-l", self.log)

    def restart(self):
        self.pg_ctl("restart", "-w", "-t", "60", "-m", "fast", "-l", self.log)

    def stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.pg_ctl("stop", "-w", "-t", "60", "-m", mode, check=False)

    def promote(self):
        self.pg_ctl("promote", "-w", "-t", "60")

    def remove(self):
        self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

    def copy_of(self, source: "Cluster", standby: bool):
        """A base backup of `source` (pg_basebackup over its socket); with `standby`, one that streams from it
        (`-R`). Its settings are its own: the copied faults.conf is rewritten for this port and folder."""
        self.password = source.password
        self.run(f"{PG_BIN}/pg_basebackup", "-h", source.dir, "-p", str(source.port), "-U", "postgres", "-D", self.data,
                 "-X", "stream", "-c", "fast", *(["-R"] if standby else []))
        self.configure()

    def sql(self, query: str, database="postgres") -> str:
        """Runs SQL as the superuser over the unix socket; the rows as text."""
        result = subprocess.run(_as_postgres([f"{PG_BIN}/psql", "-h", self.dir, "-p", str(self.port), "-U", "postgres",
                                              "-d", database, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", query]),
                                capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise AssertionError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def in_recovery(self) -> bool:
        return self.sql("SELECT pg_is_in_recovery()") == "t"


class KoppelDatabase:
    """Koppel's roles and database on a cluster, migrated and with the demo data and accounts."""
    NAME = "koppel_faults"

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.passwords = {role: secrets.token_urlsafe(24) for role in ("owner", "app", "vault")}

    def url(self, role: str, host="127.0.0.1", port=None) -> str:
        return (f"postgres://koppel_{role}:{self.passwords[role]}@{host}:{port or self.cluster.port}/{self.NAME}"
                "?sslmode=disable")

    def create(self):
        # On stdin: the postgres user may not read a checkout under root's private folders (a fresh clone).
        subprocess.run(_as_postgres([f"{PG_BIN}/psql", "-h", self.cluster.dir, "-p", str(self.cluster.port), "-U", "postgres",
                                     "-d", "postgres", "-X", "-q", "-v", "ON_ERROR_STOP=1"]),
                       input=bootstrap_script(self.NAME, self.passwords).encode(), check=True, stdout=subprocess.DEVNULL)
        self.cli("migrate")
        self.cli("reference", "import", os.path.join(ROOT, "data", "reference"))
        self.cli("seed-demo")

    def cli(self, *arguments) -> str:
        env = dict(os.environ, KOPPEL_OWNER_DATABASE_URL=self.url("owner"))
        result = subprocess.run([os.environ["KOPPEL_TEST_BIN"], *arguments], env=env, capture_output=True, text=True)
        if result.returncode != 0:
            message = result.stderr.strip()[-500:]
            for password in self.passwords.values():  # never in a failure's message
                message = message.replace(password, "***")
            raise AssertionError(f"koppel {arguments[0]} failed: {message}")
        return result.stdout.strip()

    def user(self, organisation: str, role: str, programme=None) -> str:
        """A new user of `organisation` with `role`, and an API token for them."""
        email = f"faults-{role}-{uuid.uuid4().hex[:8]}@{organisation}.example"
        self.cli("user", "create", "--org", organisation, "--email", email, "--name", "Storingstest", "--role", role,
                 *(["--programme", programme] if programme else []))
        return self.cli("token", "create", "--user", email, "--name", "faults", "--expires-in", "1").splitlines()[-1]

    def server_env(self, host="127.0.0.1", port=None, **extra) -> dict:
        """What `koppel serve` needs to run on this database (through `port`, a proxy, when given)."""
        return {"KOPPEL_VAULT_DATABASE_URL": self.url("vault", host, port), "KOPPEL_HTTP_RATE_LIMIT": "0", **extra}

    def owner_sql(self, query: str) -> str:
        return self.cluster.sql(query, database=self.NAME)


class Nginx:
    """nginx from Debian in front of replicas: one port that balances over all of them, and one port per replica
    that always reaches that one (as a sticky route would). Answers say which replica served them."""

    def __init__(self, replica_ports):
        self.dir = tempfile.mkdtemp(prefix="koppel-faults-nginx-")
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        self.pinned = [free_port() for _ in replica_ports]
        upstream = "".join(f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=2s;\n" for port in replica_ports)
        proxy = """
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_read_timeout 30s;
            add_header X-Koppel-Replica $upstream_addr always;
"""
        pinned = "".join(f"""
    server {{
        listen 127.0.0.1:{listen};
        location / {{ proxy_pass http://127.0.0.1:{port}; {proxy} }}
    }}""" for listen, port in zip(self.pinned, replica_ports))
        config = f"""
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    upstream koppel {{
{upstream}        keepalive 16;
    }}
    server {{
        listen 127.0.0.1:{self.port};
        location / {{ proxy_pass http://koppel; {proxy} }}
    }}{pinned}
}}
"""
        self.config = os.path.join(self.dir, "nginx.conf")
        with open(self.config, "w") as f:
            f.write(config)
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        self.process = subprocess.Popen([nginx, "-p", self.dir, "-c", self.config, "-g", "daemon off;"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until(lambda: port_open(self.port), "nginx did not start", 10)
        self.url = f"http://127.0.0.1:{self.port}"
        self.pinned_urls = [f"http://127.0.0.1:{port}" for port in self.pinned]

    def stop(self):
        end_process(self.process, signal.SIGQUIT)  # nginx's graceful stop
        shutil.rmtree(self.dir, ignore_errors=True)


class HAProxy:
    """HAProxy from Debian as the stable address of "the primary" (CloudNativePG's `-rw` service): TCP to one server,
    switched to another by rewriting its configuration and reloading it (master-worker mode, SIGUSR2)."""

    def __init__(self, backend_port: int):
        self.dir = tempfile.mkdtemp(prefix="koppel-faults-haproxy-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "haproxy.cfg")
        self.write(backend_port)
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.process = subprocess.Popen([haproxy, "-W", "-db", "-f", self.config], stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(self.dir, "haproxy.log"), "w"))
        wait_until(lambda: port_open(self.port), "haproxy did not start", 10)

    def write(self, backend_port: int):
        with open(self.config + ".new", "w") as f:
            f.write(f"""
global
    maxconn 1000
defaults
    mode tcp
    timeout connect 2s
    timeout client 1h
    timeout server 1h
frontend rw
    bind 127.0.0.1:{self.port}
    default_backend primary
backend primary
    server primary 127.0.0.1:{backend_port} check inter 500ms fall 2 rise 1 on-marked-down shutdown-sessions
""")
        os.replace(self.config + ".new", self.config)

    def switch_to(self, backend_port: int):
        self.write(backend_port)
        self.process.send_signal(signal.SIGUSR2)

    def stop(self):
        end_process(self.process, signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)


class ReadinessBalancer:
    """HAProxy from Debian as an HTTP load balancer that follows `/readyz`, as a Kubernetes Service follows readiness:
    a replica that answers 503 twice (checks every 100 ms) is sent nothing new, and one back is used again after two
    good checks. A check may take a second: on a busy small machine a slow answer is not a replica gone."""

    def __init__(self, replica_ports):
        self.dir = tempfile.mkdtemp(prefix="koppel-faults-balancer-")
        self.port = free_port()
        self.config = os.path.join(self.dir, "haproxy.cfg")
        servers = "".join(f"    server replica{n} 127.0.0.1:{port} check inter 100ms fall 2 rise 2\n"
                          for n, port in enumerate(replica_ports))
        with open(self.config, "w") as f:
            f.write(f"""
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout check 1s
    option http-server-close
frontend api
    bind 127.0.0.1:{self.port}
    default_backend koppel
backend koppel
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
{servers}""")
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.process = subprocess.Popen([haproxy, "-W", "-db", "-f", self.config], stdout=subprocess.DEVNULL,
                                        stderr=open(os.path.join(self.dir, "haproxy.log"), "w"))
        wait_until(lambda: port_open(self.port), "haproxy did not start", 10)
        self.url = f"http://127.0.0.1:{self.port}"

    def stop(self):
        end_process(self.process, signal.SIGTERM)
        shutil.rmtree(self.dir, ignore_errors=True)


def bootstrap_script(dbname: str, passwords: dict) -> str:
    """`deploy/postgres/bootstrap.sql` for psql's stdin, its variables set first: the passwords never on a command line,
    which `ps` shows (and the error of a failed call). `passwords` by role: owner, app, vault."""
    settings = {"dbname": dbname, **{f"{role}_password": passwords[role] for role in ("owner", "app", "vault")}}
    quoted = lambda value: value.replace("\\", "\\\\").replace("'", "''")  # as psql reads single-quoted text
    return ("".join(f"\\set {name} '{quoted(value)}'\n" for name, value in settings.items())
            + open(os.path.join(ROOT, "deploy", "postgres", "bootstrap.sql")).read())


def end_process(process, stop_signal):
    """Sends `stop_signal` to a process the harness started, and SIGKILL if it is still there 10 s later."""
    if process.poll() is None:
        process.send_signal(stop_signal)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def wait_until(condition, message: str, timeout: float = 30.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(message)


def call(method, url, token=None, body=None, headers=None, timeout=15):
    """One request on a connection of its own: (status, headers, parsed body). Failures to get an answer raise."""
    all_headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {}), **(headers or {})}
    request = urllib.request.Request(url, method=method, headers=all_headers,
                                     data=json.dumps(body).encode() if body is not None else None)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
            return response.status, response.headers, json.loads(text) if text else None
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            parsed = json.loads(text) if text else None
        except ValueError:
            parsed = text.decode(errors="replace")
        return error.code, error.headers, parsed


class Referrals:
    """A caseworker's side: clients with consent for 2GO, and referrals filed for them with an Idempotency-Key,
    retried with the same key (and body) until they are acknowledged."""

    def __init__(self, database: KoppelDatabase, url: str, clients=4):
        self.token = database.user("vluchtelingenwerk", "caseworker")
        self.url = url
        status, _, programmes = call("GET", url + "/api/v1/programmes", self.token)
        assert status == 200, status
        self.programme = next(p["id"] for p in programmes["contents"] if p["name"].startswith("2GO"))
        self.clients = [self.new_client(n) for n in range(clients)]
        self.acknowledged = {}   # key -> referral id
        self.unacknowledged = []  # keys given up on
        self.outcomes = []       # (started, ended, status or exception name, replayed)
        self.lock = threading.Lock()

    def new_client(self, number):
        status, _, client = call("POST", self.url + "/api/v1/clients", self.token,
                                 {"name": f"Storing Test {number}", "birth_date": "1994-03-0%d" % (number % 9 + 1)})
        assert status == 201, (status, client)
        status, _, me = call("GET", self.url + "/api/v1/me", self.token)
        own = me["organization"]["id"]
        provisions = [{"kind": "permit", "actor_type": kind, "actor_id": actor, "purposes": ["referral", "share_identity"],
                       "data_classes": ["identity"]} for kind, actor in (("organisation", own), ("programme", self.programme))]
        status, _, answer = call("POST", f"{self.url}/api/v1/clients/{client['id']}/consents", self.token, {
            "grantor": "client", "obtained_on": "2026-01-05", "evidence": "signed_document", "legal_basis": "explicit_consent",
            "valid_from": "2026-01-05", "provisions": provisions})
        assert status == 201, (status, answer)
        return client["id"]

    def body(self, number):
        return {"client_id": self.clients[number % len(self.clients)], "programme_id": self.programme,
                "target_group": "human_trafficking", "age_band": "26-35", "municipality": "Den Haag",
                "needs": ["social_contact"], "urgency": "soon"}

    def file(self, number, url=None, give_up_after=60.0, pause=0.1):
        """Files one referral and retries it with the same key until a 201: its id, or None when it gave up."""
        key, body = str(uuid.uuid4()), self.body(number)
        deadline = time.monotonic() + give_up_after
        while time.monotonic() < deadline:
            started = time.monotonic()
            try:
                status, headers, answer = call("POST", (url or self.url) + "/api/v1/referrals", self.token, body,
                                               {"Idempotency-Key": key})
                outcome = status
            except Exception as error:  # no answer: the connection was refused, reset or timed out
                status, headers, answer, outcome = None, None, None, type(error).__name__
            with self.lock:
                self.outcomes.append((started, time.monotonic(), outcome, headers.get("Retry-After") if headers else None))
            if status == 201:
                with self.lock:
                    self.acknowledged[key] = answer["id"]
                return answer["id"]
            if status is not None and status not in (502, 503, 504):
                raise AssertionError(f"filing a referral was answered {status}: {answer}")
            time.sleep(pause)
        with self.lock:
            self.unacknowledged.append(key)
        return None

    def load(self, threads: int, url=None):
        """Clients filing referrals one after another until `stop` is set; each finishes the referral it began."""
        stop = threading.Event()

        def client(number):
            while not stop.is_set():
                self.file(number, url)

        workers = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(threads)]
        for worker in workers:
            worker.start()
        return stop, workers

    def statuses(self):
        counts = {}
        for _, _, outcome, _ in self.outcomes:
            counts[outcome] = counts.get(outcome, 0) + 1
        return counts

    def check_in_sql(self, database: KoppelDatabase):
        """Every acknowledged referral is there once, and nothing else was filed by this caseworker; each has its one
        `submit` event and its one `referral.submitted` outbox row, and its key's stored answer names it."""
        ids = list(self.acknowledged.values())
        assert len(ids) == len(set(ids)), "two keys were answered with the same referral"
        if not ids:
            return 0, 0, 0
        # The caseworker is this object's own user: found from an acknowledged referral. One pass over each table.
        rows = database.owner_sql(f"""
            WITH mine AS (SELECT id, state, version, referring_user_id FROM referrals
                          WHERE referring_user_id = (SELECT referring_user_id FROM referrals WHERE id = '{ids[0]}')),
            events AS (SELECT referral_id, count(*) AS n, count(*) FILTER (WHERE action = 'submit' AND from_state IS NULL
                           AND to_state = 'submitted') AS submits
                       FROM referral_events WHERE referral_id IN (SELECT id FROM mine) GROUP BY referral_id),
            notes AS (SELECT subject_id, count(*) AS n, count(*) FILTER (WHERE event_type = 'referral.submitted') AS submitted
                      FROM outbox WHERE subject_id IN (SELECT id FROM mine) GROUP BY subject_id),
            answers AS (SELECT response_body::jsonb ->> 'id' AS id, count(*) AS n FROM idempotency_keys
                        WHERE user_id = (SELECT referring_user_id FROM mine LIMIT 1) GROUP BY 1)
            SELECT m.id, m.state, m.version, coalesce(e.n, 0), coalesce(e.submits, 0), coalesce(o.n, 0),
                   coalesce(o.submitted, 0), coalesce(a.n, 0)
            FROM mine m LEFT JOIN events e ON e.referral_id = m.id LEFT JOIN notes o ON o.subject_id = m.id
                 LEFT JOIN answers a ON a.id = m.id::text""")
        found = {}
        for line in filter(None, rows.splitlines()):
            rid, state, version, events, submits, outbox, submitted, keys_naming = line.split("|")
            found[rid] = (state, int(version), int(events), int(submits), int(outbox), int(submitted), int(keys_naming))
        lost = set(ids) - set(found)
        extra = set(found) - set(ids)
        inconsistent = {rid: facts for rid, facts in found.items() if facts != ("submitted", 1, 1, 1, 1, 1, 1)}
        assert not lost, f"{len(lost)} acknowledged referrals are not in the database: {sorted(lost)[:3]}"
        # A referral filed but never acknowledged belongs to a key the client gave up on; none may be there twice.
        assert len(extra) <= len(self.unacknowledged), f"{len(extra)} referrals more than the keys acknowledged"
        assert not inconsistent, f"referrals whose history or outbox rows are off: {list(inconsistent.items())[:3]}"
        return len(found), len(lost), len(extra)


def percentile(values, fraction):
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
