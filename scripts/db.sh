#!/usr/bin/env bash
# Brings up a private PostgreSQL 15 + PostGIS 3 cluster for gridmap and prints
# its DATABASE_URL on stdout (everything else goes to stderr).
#
#   scripts/db.sh start DIR PORT   start (initdb if needed) the cluster in DIR
#   scripts/db.sh stop DIR         stop it
#   scripts/db.sh standby DIR PORT PRIMARY_PORT
#                                  a streaming standby of the cluster on
#                                  PRIMARY_PORT (pg_basebackup -R) in DIR,
#                                  started on PORT (tests/replicas_test.go)
#
# initdb and pg_ctl refuse to run as root: as root they run as the postgres
# user (the folder is given to it); as anyone else, as that user, who owns
# the folder. Installing the packages needs root (or install them first).
# The cluster listens on 127.0.0.1 and its own socket dir only.
set -euo pipefail

PGVER=15
PGBIN=/usr/lib/postgresql/$PGVER/bin
PKGS="postgresql-$PGVER postgresql-$PGVER-postgis-3"

log() { echo "db.sh: $*" >&2; }

have_packages() {
  [ -x "$PGBIN/initdb" ] && [ -f "/usr/share/postgresql/$PGVER/extension/postgis.control" ]
}

install_packages() {
  have_packages && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    log "PostgreSQL $PGVER with PostGIS 3 is missing and apt-get cannot be used here."
    log "Install the Debian packages: $PKGS"
    log "or run everything in containers: docker compose up"
    log "or point gridmap at an existing PostGIS: DATABASE_URL=postgres://... make run"
    exit 1
  fi
  log "installing $PKGS with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # The Debian postgresql package would create and start a system cluster on
  # 5432; we do not need it, so keep it from starting.
  apt-get install -y -qq --no-install-recommends $PKGS >&2
  have_packages || { log "installing $PKGS did not provide $PGBIN/initdb and postgis"; exit 1; }
}

as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

cmd=${1:-}
dir=${2:-}
[ -n "$dir" ] || { log "usage: db.sh start|stop DIR [PORT]"; exit 2; }

case "$cmd" in
start)
  port=${3:?port}
  install_packages
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
    # postgres must be able to reach the folder through its parents.
    p=$(dirname "$dir")
    while [ "$p" != / ]; do
      if ! runuser -u postgres -- test -x "$p"; then chmod o+x "$p"; fi
      p=$(dirname "$p")
    done
  fi
  if [ ! -f "$dir/PG_VERSION" ]; then
    log "initdb in $dir"
    as_pg "$PGBIN/initdb" -D "$dir" -U postgres --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if ! as_pg "$PGBIN/pg_ctl" -D "$dir" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${GRIDMAP_PG_FSYNC:-on} -c max_connections=200" \
      start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  fi
  if ! as_pg "$PGBIN/psql" -h "$dir" -p "$port" -U postgres -Atqc "select 1 from pg_database where datname='gridmap'" postgres | grep -q 1; then
    as_pg "$PGBIN/createdb" -h "$dir" -p "$port" -U postgres gridmap
  fi
  echo "postgres://postgres@127.0.0.1:$port/gridmap?sslmode=disable"
  ;;
standby)
  port=${3:?port}
  primary=${4:?primary port}
  install_packages
  [ ! -e "$dir" ] || { log "$dir exists: a standby is made in a new folder"; exit 1; }
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    chmod 700 "$dir"
    p=$(dirname "$dir")
    while [ "$p" != / ]; do
      if ! runuser -u postgres -- test -x "$p"; then chmod o+x "$p"; fi
      p=$(dirname "$p")
    done
  fi
  # -R writes primary_conninfo and standby.signal; -X stream brings the WAL
  # written meanwhile. The default pg_hba lets local replication in (trust).
  as_pg "$PGBIN/pg_basebackup" -h 127.0.0.1 -p "$primary" -U postgres -D "$dir" -R -X stream -c fast >&2
  as_pg "$PGBIN/pg_ctl" -D "$dir" -w -t 60 -l "$dir/server.log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=${GRIDMAP_PG_FSYNC:-on} -c max_connections=200 -c hot_standby=on" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgres://postgres@127.0.0.1:$port/gridmap?sslmode=disable"
  ;;
stop)
  if [ -f "$dir/PG_VERSION" ]; then
    as_pg "$PGBIN/pg_ctl" -D "$dir" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  log "unknown command $cmd"; exit 2 ;;
esac
