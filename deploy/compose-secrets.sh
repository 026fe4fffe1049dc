#!/bin/sh
# Makes the secret files the compose files read, once: ./secrets/ (mode 0700) beside the compose
# file. Files that exist are kept: a new master key would make every sealed name unreadable.
# Keep a copy of secrets/partia_master_key somewhere safe and apart from the database backups
# (docs/production.md, "Key custody").
set -eu
cd "$(dirname "$0")/.."
# The directory is closed to other users of this machine; the files in it are readable, because
# compose bind-mounts each one as it is and the containers read them as unprivileged users
# (uid 10001 in Partia's image, postgres in PostgreSQL's), not as the owner of the file here.
mkdir -p secrets
chmod 0700 secrets
umask 022

random() { head -c "$1" /dev/urandom | base64 | tr -d '\n'; }
token() { random 24 | tr '+/' '-_' | tr -d '='; }
make_secret() {  # name, value
    if [ -e "secrets/$1" ]; then echo "kept    secrets/$1"; else printf '%s\n' "$2" >"secrets/$1"; echo "created secrets/$1"; fi
}

make_secret postgres_password "$(token)"
make_secret partia_database_url "postgresql://partia:$(cat secrets/postgres_password)@postgres:5432/partia"
make_secret partia_master_key "$(random 32)"
make_secret partia_api_tokens "admin=$(token)"  # development mode only (docker-compose.override.yml)
# The notifications sender's token at the registry: the service account `notifications` (role
# service) issued by the party's identity provider; until it is put here the sender says so and
# waits to be restarted (docs/production.md, "Signing in").
make_secret partia_registry_token ""
# The finance API's token at the registry: the service account `finance` (role service), to ask
# whose record holds an IIN a bank line names; until it is put here such lines stay unmatched.
make_secret partia_finance_registry_token ""
