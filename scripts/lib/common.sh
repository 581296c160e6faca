# Shared by scripts/run and scripts/test. Sourced, not executed.
set -euo pipefail

KOPPEL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
KOPPEL_STATE="$KOPPEL_ROOT/.koppel"   # git-ignored: clusters, secrets, the browser tests' Python
mkdir -p "$KOPPEL_STATE"
chmod 711 "$KOPPEL_STATE"   # others may pass through (the postgres user), not list

say() { printf '\033[1mkoppel:\033[0m %s\n' "$*" >&2; }
die() { printf 'koppel: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# Installs the Debian packages that are missing; as root directly, otherwise through sudo.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    say "installing Debian packages: ${missing[*]}"
    local sudo=""
    if ! is_root; then
        command -v sudo >/dev/null || die "missing packages ${missing[*]}; install them as root"
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

ensure_swift() {
    if ! command -v swift >/dev/null && [ -x /opt/swift/usr/bin/swift ]; then
        export PATH="/opt/swift/usr/bin:$PATH"
    fi
    command -v swift >/dev/null || die "Swift 6 is not on PATH (expected in /opt/swift/usr/bin)"
}

# A random password of URL-safe characters.
random_secret() { head -c 32 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 32; }

# A TCP port nothing listens on at 127.0.0.1.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Replaces user, password and database of a postgres:// URL: url_with URL USER PASSWORD DATABASE
url_with() {
    python3 - "$@" <<'PY'
import sys, urllib.parse as u
url, user, password, database = sys.argv[1:5]
p = u.urlsplit(url)
host = p.hostname or "127.0.0.1"
if ":" in host: host = f"[{host}]"
netloc = f"{u.quote(user, safe='')}:{u.quote(password, safe='')}@{host}:{p.port or 5432}"
print(u.urlunsplit((p.scheme, netloc, "/" + database, p.query, "")))
PY
}

# A postgres:// URL without its password, for messages.
url_redacted() { python3 -c 'import sys, urllib.parse as u; p=u.urlsplit(sys.argv[1]); print(f"postgres://{p.username}@{p.hostname}:{p.port or 5432}{p.path}")' "$1"; }

# The database named in a postgres:// URL.
url_database() { python3 -c 'import sys, urllib.parse as u; print(u.urlsplit(sys.argv[1]).path.lstrip("/") or "postgres")' "$1"; }

# Creates Koppel's roles and a database (idempotent): bootstrap_database ADMIN_URL DBNAME OWNER_PW APP_PW VAULT_PW
# The passwords reach psql on stdin, never on a command line, which `ps` shows to every user of the machine.
bootstrap_database() {
    {
        psql_set dbname "$2"
        psql_set owner_password "$3"
        psql_set app_password "$4"
        psql_set vault_password "$5"
        cat "$KOPPEL_ROOT/deploy/postgres/bootstrap.sql"
    } | psql "$1" -q -X -v ON_ERROR_STOP=1 >/dev/null
}

# A psql `\set` of NAME to VALUE, quoted as psql reads single-quoted text: '' for a quote, \\ for a backslash.
psql_set() {
    local value="${2//\\/\\\\}"
    value="${value//\'/\'\'}"
    printf "\\set %s '%s'\n" "$1" "$value"
}

build_koppel() {
    say "building Koppel (the first build takes several minutes)"
    (cd "$KOPPEL_ROOT" && swift build "$@" 2>&1 | grep -E "error:|warning: .*Sources/(Koppel|koppel)|Compiling|complete!" | grep -v "GeneratedSources" | tail -n 5)
    [ "${PIPESTATUS[0]:-0}" -eq 0 ] || die "the build failed"
}

# The Python of the browser, operations and fault tests (Tests/browser/requirements.txt), made again when the
# requirements change; sets VENV to its folder.
ensure_test_venv() {
    VENV="$KOPPEL_STATE/venv"
    local requirements="$KOPPEL_ROOT/Tests/browser/requirements.txt"
    if ! cmp -s "$requirements" "$VENV/installed-requirements.txt"; then
        rm -rf "$VENV"
        python3 -m venv "$VENV"
        "$VENV/bin/pip" install -q --disable-pip-version-check -r "$requirements"
        cp "$requirements" "$VENV/installed-requirements.txt"
    fi
}
