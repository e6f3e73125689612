#!/usr/bin/env bash
# Make sure the PostgreSQL and Redis named by DATABASE_URL / REDIS_URL answer.
#
#   scripts/ensure_services.sh [--env-file FILE]   ensure; write `export DATABASE_URL=... REDIS_URL=...`
#                                                  to FILE (default var/services.env)
#   scripts/ensure_services.sh --stop FILE         stop throw-away instances recorded in FILE
#
# If a service answers, it is used as is. If not, and its server programs are installed
# (initdb/pg_ctl under /usr/lib/postgresql/*/bin, redis-server), a throw-away instance is started
# in a fresh `mktemp -d` folder on 127.0.0.1 (the URL's port if free, else a free one), with trust
# auth and nothing kept after it stops. The URLs to use are printed as `export ...` lines and
# written to FILE, together with PLUMBLINE_SERVICES_DIR, whose stop.sh stops what was started.
#
# With CI set (CI=true), nothing is started: CI must use the machine's real services, so an
# unreachable service is an error.
set -euo pipefail

DEFAULT_DATABASE_URL=postgres://postgres@127.0.0.1:5432/plumbline
DEFAULT_REDIS_URL=redis://127.0.0.1:6379/15

log() { echo "ensure_services: $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

join_by() { local sep=$1 out=$2; shift 2; for x in "$@"; do out+="$sep$x"; done; echo "$out"; }

is_ci() { [[ -n "${CI:-}" && "${CI}" != "false" && "${CI}" != "0" ]]; }

stop_from_file() {
    local file=$1
    [[ -f "$file" ]] || { log "nothing to stop ($file does not exist)"; return 0; }
    local dir
    dir=$(sed -n "s/^PLUMBLINE_SERVICES_DIR='\(.*\)'$/\1/p" "$file")
    if [[ -n "$dir" && -x "$dir/stop.sh" ]]; then
        "$dir/stop.sh" || log "stop.sh in $dir reported an error"
    fi
    rm -f "$file"
}

env_file=var/services.env
case "${1:-}" in
    --stop)
        [[ $# -eq 2 ]] || die "usage: $0 --stop FILE"
        stop_from_file "$2"
        exit 0
        ;;
    --env-file)
        [[ $# -eq 2 ]] || die "usage: $0 [--env-file FILE]"
        env_file=$2
        ;;
    "") ;;
    *) die "usage: $0 [--env-file FILE] | --stop FILE" ;;
esac

DATABASE_URL=${DATABASE_URL:-$DEFAULT_DATABASE_URL}
REDIS_URL=${REDIS_URL:-$DEFAULT_REDIS_URL}

# --- URL helpers (python3 is always there: the project needs it) -----------------------------

# url_part URL FIELD -> host | port | user | path
url_part() {
    python3 - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit
u = urlsplit(sys.argv[1])
defaults = {"postgres": 5432, "postgresql": 5432, "pgsql": 5432, "redis": 6379, "rediss": 6379}
field = sys.argv[2]
if field == "host":
    print(u.hostname or "127.0.0.1")
elif field == "port":
    print(u.port or defaults.get(u.scheme, 0))
elif field == "user":
    print(u.username or "postgres")
elif field == "path":
    print(u.path.lstrip("/"))
PY
}

# with_host_port URL PORT -> the same URL on 127.0.0.1:PORT (user, path and query kept)
with_host_port() {
    python3 - "$1" "$2" <<'PY'
import sys
from urllib.parse import urlsplit, urlunsplit
u = urlsplit(sys.argv[1])
auth = ""
if u.username:
    auth = u.username + (f":{u.password}" if u.password else "") + "@"
print(urlunsplit((u.scheme, f"{auth}127.0.0.1:{sys.argv[2]}", u.path, u.query, u.fragment)))
PY
}

port_is_free() {
    python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as servers do: TIME_WAIT is no obstacle
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pick_port() {  # the wanted port if free, else any free one
    if port_is_free "$1"; then echo "$1"; else free_port; fi
}

# --- reachability ----------------------------------------------------------------------------

pg_reachable() {  # URL
    local host port
    host=$(url_part "$1" host)
    port=$(url_part "$1" port)
    if command -v pg_isready >/dev/null 2>&1; then
        pg_isready -q -h "$host" -p "$port" -t 3
    else
        python3 -c 'import socket, sys; socket.create_connection((sys.argv[1], int(sys.argv[2])), 3).close()' \
            "$host" "$port" 2>/dev/null
    fi
}

redis_reachable() {  # URL
    if command -v redis-cli >/dev/null 2>&1; then
        [[ "$(timeout 5 redis-cli -u "$1" ping 2>/dev/null)" == PONG ]]
    else
        python3 - "$(url_part "$1" host)" "$(url_part "$1" port)" <<'PY' 2>/dev/null
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), 3)
s.sendall(b"PING\r\n")
sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
PY
    fi
}

wait_for() {  # SECONDS CMD...
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.3
    done
}

# Create the database named in the URL if the server has no such database yet (Django's checks
# and `makemigrations --check` connect to it; the test runner creates test_<name> itself).
ensure_database() {  # URL
    command -v psql >/dev/null 2>&1 || return 0
    local host port user db
    host=$(url_part "$1" host)
    port=$(url_part "$1" port)
    user=$(url_part "$1" user)
    db=$(url_part "$1" path)
    [[ -n "$db" ]] || return 0
    local exists
    exists=$(PGCONNECT_TIMEOUT=5 psql -h "$host" -p "$port" -U "$user" -d postgres -Atc \
        "SELECT 1 FROM pg_database WHERE datname = '${db//\'/\'\'}'" 2>/dev/null) || {
        log "could not list databases on $host:$port as $user (continuing)"
        return 0
    }
    if [[ "$exists" != 1 ]]; then
        log "creating database $db on $host:$port"
        PGCONNECT_TIMEOUT=5 psql -q -h "$host" -p "$port" -U "$user" -d postgres \
            -c "CREATE DATABASE \"${db//\"/\"\"}\"" >/dev/null ||
            log "could not create database $db (continuing; the test runner creates its own)"
    fi
}

# --- throw-away instances --------------------------------------------------------------------

tmpdir=""
make_tmpdir() {
    if [[ -z "$tmpdir" ]]; then
        tmpdir=$(mktemp -d "${TMPDIR:-/tmp}/plumbline-services.XXXXXX")
        chmod 755 "$tmpdir"
        printf '#!/usr/bin/env bash\n# Stops the throw-away services started by ensure_services.sh, then removes this folder.\n' \
            >"$tmpdir/stop.sh"
        chmod +x "$tmpdir/stop.sh"
    fi
}

finish_stop_script() {
    [[ -n "$tmpdir" ]] || return 0
    printf 'rm -rf %q\n' "$tmpdir" >>"$tmpdir/stop.sh"
}

pg_bindir() {
    local d
    # PG_BINDIR_GLOB: where to look for initdb/pg_ctl (newest version first).
    # shellcheck disable=SC2012,SC2086  # the glob is meant to expand
    for d in $(ls -d ${PG_BINDIR_GLOB:-/usr/lib/postgresql/*/bin} 2>/dev/null | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
            echo "$d"
            return 0
        fi
    done
    local initdb
    if initdb=$(command -v initdb 2>/dev/null) && [[ -x "$(dirname "$initdb")/pg_ctl" ]]; then
        dirname "$initdb"
        return 0
    fi
    return 1
}

# start_postgres URL / start_redis URL: start an instance and set NEW_URL. They run in this
# shell, not in $(...), so that tmpdir and its stop script are shared.
NEW_URL=""

start_postgres() {
    local bindir port user datadir runas=()
    bindir=$(pg_bindir)
    port=$(pick_port "$(url_part "$1" port)")
    user=$(url_part "$1" user)
    make_tmpdir
    datadir="$tmpdir/pg"
    if [[ "$(id -u)" == 0 ]]; then
        # initdb refuses to run as root: run the server as the postgres account (or nobody).
        local account=postgres
        id -u postgres >/dev/null 2>&1 || account=nobody
        chown "$account" "$tmpdir"
        runas=(runuser -u "$account" --)
    fi
    log "starting throw-away PostgreSQL ($bindir) on 127.0.0.1:$port in $tmpdir"
    if ! "${runas[@]}" "$bindir/initdb" -D "$datadir" -U "$user" --auth=trust -E UTF8 \
        --locale=C --no-sync >"$tmpdir/initdb.log" 2>&1; then
        cat "$tmpdir/initdb.log" >&2
        die "initdb failed"
    fi
    {
        printf '%q ' "${runas[@]}" "$bindir/pg_ctl" -D "$datadir" -m immediate -w stop
        printf '>/dev/null 2>&1 || true\n'
    } >>"$tmpdir/stop.sh"
    if ! "${runas[@]}" "$bindir/pg_ctl" -D "$datadir" -l "$tmpdir/postgres.log" -w -t 30 \
        -o "-p $port -k $tmpdir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >/dev/null; then
        cat "$tmpdir/postgres.log" >&2
        die "PostgreSQL did not start"
    fi
    NEW_URL=$(with_host_port "$1" "$port")
    wait_for 15 pg_reachable "$NEW_URL" || die "PostgreSQL started but does not answer on $port"
}

start_redis() {
    local port
    port=$(pick_port "$(url_part "$1" port)")
    make_tmpdir
    log "starting throw-away Redis on 127.0.0.1:$port in $tmpdir"
    {
        printf 'redis-cli -h 127.0.0.1 -p %s shutdown nosave >/dev/null 2>&1 ||\n' "$port"
        # shellcheck disable=SC2016  # $(cat ...) runs when stop.sh runs
        printf '    { [ -f %q ] && kill "$(cat %q)" 2>/dev/null; } || true\n' \
            "$tmpdir/redis.pid" "$tmpdir/redis.pid"
    } >>"$tmpdir/stop.sh"
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmpdir" \
        --daemonize yes --pidfile "$tmpdir/redis.pid" --logfile "$tmpdir/redis.log" >/dev/null
    NEW_URL=$(with_host_port "$1" "$port")
    if ! wait_for 15 redis_reachable "$NEW_URL"; then
        cat "$tmpdir/redis.log" >&2 || true
        die "Redis did not start"
    fi
}

# If something fails after an instance started, do not leave it running.
cleanup_on_error() {
    local rc=$?
    if [[ $rc -ne 0 && -n "$tmpdir" && -x "$tmpdir/stop.sh" ]]; then
        finish_stop_script
        "$tmpdir/stop.sh" || true
    fi
    exit $rc
}
trap cleanup_on_error EXIT

# --- main ------------------------------------------------------------------------------------

# Throw-away services recorded by an earlier run with the same FILE (e.g. `make services`) are
# reused while they answer, instead of starting a second set and losing track of the first.
if [[ -f "$env_file" ]] && grep -q '^PLUMBLINE_SERVICES_DIR=' "$env_file" && ! is_ci; then
    # shellcheck disable=SC1090
    old_db=$(source "$env_file" && echo "$DATABASE_URL")
    # shellcheck disable=SC1090
    old_redis=$(source "$env_file" && echo "$REDIS_URL")
    if pg_reachable "$old_db" && redis_reachable "$old_redis"; then
        log "reusing the throw-away services recorded in $env_file"
        grep '^export ' "$env_file"
        trap - EXIT
        exit 0
    fi
    log "the throw-away services recorded in $env_file are gone; cleaning up"
    stop_from_file "$env_file"
fi

need_pg=0
need_redis=0
pg_reachable "$DATABASE_URL" || need_pg=1
redis_reachable "$REDIS_URL" || need_redis=1

if ((need_pg || need_redis)); then
    missing=()
    ((need_pg)) && missing+=("PostgreSQL at $(url_part "$DATABASE_URL" host):$(url_part "$DATABASE_URL" port)")
    ((need_redis)) && missing+=("Redis at $(url_part "$REDIS_URL" host):$(url_part "$REDIS_URL" port)")
    if is_ci; then
        die "unreachable in CI: $(join_by ", " "${missing[@]}"). CI uses the machine's real services and starts no" \
            "throw-away ones; start them (see .ci/run) or fix DATABASE_URL/REDIS_URL."
    fi
    not_installed=()
    ((need_pg)) && ! pg_bindir >/dev/null && not_installed+=(postgresql)
    ((need_redis)) && ! command -v redis-server >/dev/null 2>&1 && not_installed+=(redis-server)
    if ((${#not_installed[@]})); then
        die "unreachable: $(join_by ", " "${missing[@]}"); no server programs to start one (${not_installed[*]})." \
            "Install them with: sudo apt-get install -y ${not_installed[*]}" \
            "(or point DATABASE_URL/REDIS_URL at running servers)."
    fi
    if ((need_pg)); then
        start_postgres "$DATABASE_URL"
        DATABASE_URL=$NEW_URL
    fi
    if ((need_redis)); then
        start_redis "$REDIS_URL"
        REDIS_URL=$NEW_URL
    fi
    finish_stop_script
fi

ensure_database "$DATABASE_URL"

mkdir -p "$(dirname "$env_file")"
{
    printf 'export DATABASE_URL=%q\n' "$DATABASE_URL"
    printf 'export REDIS_URL=%q\n' "$REDIS_URL"
    if [[ -n "$tmpdir" ]]; then
        printf "# Throw-away services; stop them with: scripts/ensure_services.sh --stop %s\n" "$env_file"
        printf "PLUMBLINE_SERVICES_DIR='%s'\n" "$tmpdir"
    fi
} >"$env_file"

if [[ -n "$tmpdir" ]]; then
    log "started throw-away services; stop them with: scripts/ensure_services.sh --stop $env_file"
else
    log "PostgreSQL and Redis are reachable"
fi
grep '^export ' "$env_file"
trap - EXIT
