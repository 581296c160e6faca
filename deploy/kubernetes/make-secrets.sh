#!/usr/bin/env bash
# Creates the two secrets whose contents must agree, from new random passwords: koppel-db-roles (the passwords
# the bootstrap job gives Koppel's three login roles) and koppel-database (the URLs Koppel connects with).
# Never overwrites: `kubectl create` refuses a secret that exists, so running it twice cannot lock Koppel out.
#
#   make-secrets.sh NAMESPACE            create them in NAMESPACE with kubectl
#   make-secrets.sh --print NAMESPACE    print the manifests instead (Tests/browser/test_deploy_manifests.py reads them)
set -euo pipefail

print=""
if [ "${1:-}" = "--print" ]; then
    print=1
    shift
fi
namespace="${1:?usage: make-secrets.sh [--print] NAMESPACE}"
cluster=koppel-db   # base/postgres-cluster.yaml; Koppel connects to its -rw service, which follows the primary
database=koppel

# Hex: nothing to escape in a URL, and quoted below, nothing YAML reads as a number.
password() { od -An -tx1 -N24 /dev/urandom | tr -d ' \n'; }
owner="$(password)"
app="$(password)"
vault="$(password)"
# sslmode=require: TLS, with the server's certificate checked against the trust bundle the pods build (deployment.yaml).
url() { printf 'postgres://%s:%s@%s-rw:5432/%s?sslmode=require' "$1" "$2" "$cluster" "$database"; }

manifests() {
    cat <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: koppel-db-roles
  namespace: $namespace
  labels: {app.kubernetes.io/part-of: koppel}
type: Opaque
stringData:
  owner-password: "$owner"
  app-password: "$app"
  vault-password: "$vault"
---
apiVersion: v1
kind: Secret
metadata:
  name: koppel-database
  namespace: $namespace
  labels: {app.kubernetes.io/part-of: koppel}
type: Opaque
stringData:
  app-url: "$(url koppel_app "$app")"
  vault-url: "$(url koppel_vault "$vault")"
  owner-url: "$(url koppel_owner "$owner")"
YAML
}

if [ -n "$print" ]; then
    manifests
else
    manifests | kubectl create -f -
fi
