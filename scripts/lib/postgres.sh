# A private PostgreSQL cluster in a folder of the checkout. Sourced, not executed.
# PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.

pg_bin() {
    local dir
    for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/initdb" ] && echo "$dir"; done | sort -V | tail -n 1
}

as_cluster_user() {
    if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

# The folder for a cluster; as root it must be reachable by `postgres`, and the socket path short enough.
# When the checkout is not (a home folder of mode 0700, say), the data lives in /var/tmp and
# the checkout keeps a link to it.
cluster_dir() {
    local wanted="$1"
    mkdir -p "$wanted"
    if is_root; then
        chown postgres:postgres "$wanted"
        if ! runuser -u postgres -- test -w "$wanted" || [ ${#wanted} -gt 80 ]; then
            local elsewhere
            elsewhere="/var/tmp/koppel-$(printf '%s' "$wanted" | sha256sum | head -c 12)"
            mkdir -p "$elsewhere" && chown postgres:postgres "$elsewhere" && chmod 700 "$elsewhere"
            rmdir "$wanted" 2>/dev/null || true
            ln -sfn "$elsewhere" "$wanted"
            echo "$elsewhere"
            return
        fi
    fi
    echo "$wanted"
}

# cluster_init DIR ADMIN_PASSWORD — once; the superuser is `postgres`, reachable over TCP with a password
# and over the folder's unix socket by peer authentication.
cluster_init() {
    local dir="$1" password="$2" bin pwfile
    bin="$(pg_bin)"
    [ -n "$bin" ] || die "PostgreSQL server binaries not found"
    [ -f "$dir/data/PG_VERSION" ] && return 0
    pwfile="$(mktemp -p "$dir")"
    printf '%s\n' "$password" >"$pwfile"
    if is_root; then chown postgres:postgres "$pwfile" "$dir"; fi
    chmod 600 "$pwfile"
    as_cluster_user "$bin/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" --auth-local=peer \
        --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; rm -f "$pwfile"; die "initdb failed"; }
    rm -f "$pwfile"
    # Where the cluster listens is kept in a file of its own, so a plain `pg_ctl start` (tests that stop and
    # start PostgreSQL) listens where the first start did.
    echo "include_if_exists = 'koppel.conf'" >>"$dir/data/postgresql.conf"
}

# cluster_start DIR PORT — listens on 127.0.0.1:PORT and on a unix socket in DIR.
cluster_start() {
    local dir="$1" port="$2" bin
    bin="$(pg_bin)"
    if as_cluster_user "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then return 0; fi
    as_cluster_user tee "$dir/data/koppel.conf" >/dev/null <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = ${KOPPEL_PG_FSYNC:-on}
max_connections = ${KOPPEL_PG_MAX_CONNECTIONS:-100}
CONF
    as_cluster_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 start >/dev/null ||
        { tail -n 20 "$dir/postgres.log" >&2; die "PostgreSQL did not start (log: $dir/postgres.log)"; }
}

cluster_stop() {
    local dir="$1" bin
    bin="$(pg_bin)"
    [ -f "$dir/data/postmaster.pid" ] || return 0
    as_cluster_user "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}
