"""The restore drill (README "Operations", decision 0010): a cluster of its own archives its WAL through
`scripts/backup setup`; demo data and clients; a base backup; more referrals and a client erased after it. Then two
restores into new clusters with `scripts/backup restore`: to a moment before the erasure, and to the end of the
archive. In each, `koppel audit verify` passes, the counts are those committed before the target, and the client
erased after the backup stays unreadable: the vault refuses the restored key (the erasure ledger), and
`koppel erasures reapply` erases it again. Loopback only; bounded (about half a minute, at most 5 minutes); stops by itself."""
import glob
import os
import shutil
import subprocess
import tempfile
import time
import urllib.request

from conftest import KoppelServer, free_port
from faults.harness import bootstrap_script
from test_webhooks import API, CANARIES, file_referral

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BACKUP = os.path.join(ROOT, "scripts", "backup")
PG_BIN = os.path.dirname(os.environ.get("KOPPEL_E2E_PG_CTL", "")) or sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1]
ROOT_USER = os.geteuid() == 0
PASSWORD = "drill-" + os.urandom(8).hex()
ROLE_PASSWORD = "drill-" + os.urandom(8).hex()
COMMAND_TIMEOUT = 120


def run(command, env=None, timeout=COMMAND_TIMEOUT, as_postgres=False, stdin=None):
    if as_postgres and ROOT_USER:
        command = ["runuser", "-u", "postgres", "--"] + command
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=timeout, input=stdin)
    assert result.returncode == 0, f"{' '.join(command[:4])}… failed ({result.returncode}):\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout.strip()


class Drill:
    """The drill's folder (reachable by the postgres user) and the URLs of the clusters in it."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="koppel-drill-", dir="/var/tmp")
        self.backups = os.path.join(self.dir, "backups")
        self.keys = os.path.join(self.dir, "keys", "vault-keys.json")
        os.makedirs(os.path.dirname(self.keys))
        if ROOT_USER:
            shutil.chown(self.dir, "postgres", "postgres")
        self.clusters = []
        self.servers = []

    def url(self, port, user="postgres", password=PASSWORD, database="postgres"):
        return f"postgres://{user}:{password}@127.0.0.1:{port}/{database}?sslmode=disable"

    def env(self, port):
        """What the koppel commands need for the database on this port: Koppel's roles, the drill's key file and ledger."""
        return dict(os.environ,
                    KOPPEL_OWNER_DATABASE_URL=self.url(port, "koppel_owner", ROLE_PASSWORD, "koppel"),
                    KOPPEL_DATABASE_URL=self.url(port, "koppel_app", ROLE_PASSWORD, "koppel"),
                    KOPPEL_VAULT_DATABASE_URL=self.url(port, "koppel_vault", ROLE_PASSWORD, "koppel"),
                    KOPPEL_VAULT_KEY_FILE=self.keys, KOPPEL_BACKUP_DATABASE_URL=self.url(port))

    def koppel(self, port, *arguments):
        return run([os.environ["KOPPEL_TEST_BIN"], *arguments], env=self.env(port))

    def psql(self, port, sql, database="koppel"):
        return run(["psql", self.url(port, database=database), "-tAX", "-v", "ON_ERROR_STOP=1", "-c", sql])

    def source_cluster(self):
        """A new cluster archiving its WAL as `scripts/backup setup` says, with Koppel's roles, schema and demo data."""
        data, port = os.path.join(self.dir, "source"), free_port()
        password_file = os.path.join(self.dir, "password")
        with open(password_file, "w") as out:
            out.write(PASSWORD + "\n")
        if ROOT_USER:
            shutil.chown(password_file, "postgres", "postgres")
        run([f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", f"--pwfile={password_file}", "--auth-local=peer",
             "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C.UTF-8"], as_postgres=True)
        os.remove(password_file)
        archiving = run([BACKUP, "setup", "--to", self.backups])
        with open(os.path.join(data, "postgresql.conf"), "a") as conf:
            conf.write(f"listen_addresses = '127.0.0.1'\nport = {port}\nunix_socket_directories = '{self.dir}'\nfsync = off\n")
            conf.write(archiving + "\n")
        self.start(data)
        run(["psql", self.url(port), "-q", "-X", "-v", "ON_ERROR_STOP=1"],
            stdin=bootstrap_script("koppel", dict.fromkeys(("owner", "app", "vault"), ROLE_PASSWORD)))
        self.koppel(port, "keys", "init")
        self.koppel(port, "migrate")
        self.koppel(port, "reference", "import", os.path.join(ROOT, "data", "reference"))
        self.koppel(port, "seed-demo")
        return data, port

    def start(self, data):
        self.clusters.append(data)
        run([f"{PG_BIN}/pg_ctl", "-D", data, "-l", data + ".log", "-w", "-t", "60", "start"], as_postgres=True)

    def restore(self, *arguments):
        data, port = os.path.join(self.dir, f"restored-{len(self.clusters)}"), free_port()
        self.clusters.append(data)
        started = time.monotonic()
        run([BACKUP, "restore", "--from", self.backups, "--into", data, "--start", "--port", str(port), *arguments])
        return port, time.monotonic() - started

    def server(self, port):
        env = self.env(port)
        server = KoppelServer(env["KOPPEL_DATABASE_URL"], extra_env={
            "KOPPEL_VAULT_DATABASE_URL": env["KOPPEL_VAULT_DATABASE_URL"], "KOPPEL_VAULT_KEY_FILE": self.keys,
            "KOPPEL_HTTP_RATE_LIMIT": "0", "KOPPEL_RETENTION_INTERVAL_HOURS": "0"})
        self.servers.append(server)
        return server

    def stop_server(self, server):
        assert server.stop() == 0
        self.servers.remove(server)

    def counts(self, port):
        """What the drill compares: referrals, clients, erased clients, data keys held, audit entries."""
        return tuple(int(n) for n in self.psql(port, """
            SELECT concat_ws(' ', (SELECT count(*) FROM referrals), (SELECT count(*) FROM clients),
                   (SELECT count(*) FROM clients WHERE erased_at IS NOT NULL), (SELECT count(*) FROM vault.data_keys),
                   (SELECT count(*) FROM audit.entries))""").split())

    def holds_key(self, port, client):
        return self.psql(port, f"SELECT count(*) FROM vault.data_keys WHERE client_id = '{client}'") == "1"

    def archive_all(self, port):
        """Closes the current WAL segment and waits until it is archived: what `archive_timeout` does within a minute."""
        segment = self.psql(port, "SELECT pg_walfile_name(pg_switch_wal())")
        deadline = time.monotonic() + 60
        while self.psql(port, "SELECT coalesce(last_archived_wal, '') FROM pg_stat_archiver") < segment:
            assert time.monotonic() < deadline, f"WAL segment {segment} was not archived within 60 s"
            time.sleep(0.5)

    def clean_up(self):
        for server in self.servers:
            server.stop()
        for data in self.clusters:
            if os.path.exists(os.path.join(data, "postmaster.pid")):
                subprocess.run((["runuser", "-u", "postgres", "--"] if ROOT_USER else []) +
                               [f"{PG_BIN}/pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


def reveal(server, token, client):
    """The status of a reveal of the client's name, and whether the canary name came back."""
    status, answer = API(server, token)("POST", f"/clients/{client}/reveal", {"purpose": "share_identity"})
    return status, (answer or {}).get("fields", {}).get("name") == CANARIES["name"]


def clients_of(caseworker, referrals):
    return [caseworker.ok("GET", f"/referrals/{referral}")["client_id"] for referral in referrals]


def check_restored(drill, port, expected_counts, erased, kept, caseworker_email):
    """In a restored cluster: the audit chain holds, the counts are as committed, and the erased client stays erased."""
    assert "audit log intact" in drill.koppel(port, "audit", "verify")
    assert drill.counts(port) == expected_counts
    server = drill.server(port)
    try:
        caseworker = drill.koppel(port, "token", "create", "--user", caseworker_email, "--name", "drill", "--expires-in", "1").splitlines()[-1]
        assert reveal(server, caseworker, erased) == (410, False), "the restored key of an erased client is refused"
        assert reveal(server, caseworker, kept) == (200, True), "everyone else opens"
        reapplied = drill.koppel(port, "erasures", "reapply")
        assert not drill.holds_key(port, erased)
        assert "audit log intact" in drill.koppel(port, "audit", "verify")
        assert reveal(server, caseworker, erased) == (410, False)
        status, export = API(server, caseworker)("GET", f"/clients/{erased}/export")
        assert status == 200 and CANARIES["name"] not in str(export)
        return reapplied
    finally:
        drill.stop_server(server)


def test_restore_drill_keeps_counts_audit_and_erasures():
    began = time.monotonic()
    drill = Drill()
    try:
        source_data, source = drill.source_cluster()
        caseworker_email, admin_email = "caseworker@vluchtelingenwerk.example", "drill-admin@vluchtelingenwerk.example"
        drill.koppel(source, "user", "create", "--org", "vluchtelingenwerk", "--email", admin_email, "--name", "Drill", "--role", "org-admin")
        server = drill.server(source)
        caseworker = API(server, drill.koppel(source, "token", "create", "--user", caseworker_email, "--name", "drill").splitlines()[-1])
        admin = API(server, drill.koppel(source, "token", "create", "--user", admin_email, "--name", "drill").splitlines()[-1])
        programme = next(p["id"] for p in caseworker.ok("GET", "/programmes")["contents"] if p["name"].startswith("2GO"))

        before = clients_of(caseworker, [file_referral(caseworker, programme) for _ in range(3)])
        erased, kept = before[0], before[1]
        run([BACKUP, "base", "--to", drill.backups], env=drill.env(source))
        file_referral(caseworker, programme)
        file_referral(caseworker, programme)
        time.sleep(1.1)  # commits before and after the target are apart in time
        target = drill.psql(source, "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US+00')")
        at_target = drill.counts(source)
        time.sleep(1.1)
        assert admin("DELETE", f"/clients/{erased}")[0] == 204
        file_referral(caseworker, programme)
        at_end = drill.counts(source)
        assert not drill.holds_key(source, erased) and at_end[0] == at_target[0] + 1 and at_end[2] == at_target[2] + 1
        drill.stop_server(server)
        drill.archive_all(source)
        # The disaster: the source cluster is gone.
        run([f"{PG_BIN}/pg_ctl", "-D", source_data, "-m", "immediate", "-w", "stop"], as_postgres=True)

        # To a moment before the erasure: the restored database holds the erased client's key again.
        port, replay = drill.restore("--until", target)
        assert drill.holds_key(port, erased), "the point in time is before the erasure"
        reapplied = check_restored(drill, port, at_target, erased, kept, caseworker_email)
        assert "1 erased again in the vault, 1 marked erased" in reapplied, reapplied

        # To the end of the archive: everything committed is back, the erasure with it.
        port, replay_end = drill.restore()
        reapplied = check_restored(drill, port, at_end, erased, kept, caseworker_email)
        assert "0 erased again in the vault, 0 marked erased" in reapplied, reapplied
        print(f"\nrestore drill: {time.monotonic() - began:.0f} s in all; restores took {replay:.1f} s (to {target}) "
              f"and {replay_end:.1f} s (to the end)")
        assert time.monotonic() - began < 300, "the drill is meant to take a minute or two"
    finally:
        drill.clean_up()
