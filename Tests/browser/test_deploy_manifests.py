"""The Kubernetes deployment (deploy/kubernetes), checked offline, without a cluster, Koppel or a database. Base and
production overlay are rendered (kubectl kustomize where it exists, else kustomize_lite, held equal to it); every
built-in object validates strictly against the Kubernetes API's schemas, CloudNativePG's against schemas/; and what
matters for Koppel holds, each shown to fail on a manifest broken on purpose in memory. The one-VM reference
(deploy/vm) is checked in test_deploy_vm.py."""
import copy
import glob
import ipaddress
import json
import os
import re
import shutil
import subprocess
import urllib.parse

import kubernetes_validate
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

import kustomize_lite

HERE = os.path.dirname(os.path.abspath(__file__))
KUBERNETES = os.path.join(os.path.dirname(os.path.dirname(HERE)), "deploy", "kubernetes")
FOLDERS = {"base": os.path.join(KUBERNETES, "base"), "production": os.path.join(KUBERNETES, "overlays", "production")}
# The oldest Kubernetes the manifests are for (preStop's sleep action is on by default from 1.30) and the newest the
# pinned kubernetes-validate bundles.
VERSIONS = ("1.30", kubernetes_validate.latest_version())
CNPG = "postgresql.cnpg.io/v1"
MONITORING_NAMESPACE = "monitoring"
INGRESS_NAMESPACE = "ingress-nginx"
PRIVATE = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "169.254.0.0/16")
# The server's drain on SIGTERM: the request timeout (10 s) and at most 5 s of cancelling (Sources/koppel/Serve.swift).
DRAIN_SECONDS = 15


def sort_key(document):
    return document["kind"], document["metadata"].get("namespace", ""), document["metadata"]["name"]


def kubectl_kustomize(folder):
    output = subprocess.run(["kubectl", "kustomize", folder], capture_output=True, text=True, check=True, timeout=60).stdout
    return sorted((document for document in yaml.safe_load_all(output) if document), key=sort_key)


def render(folder):
    if shutil.which("kubectl"):
        return kubectl_kustomize(folder)
    return sorted(kustomize_lite.render(folder), key=sort_key)


RENDERED = {name: render(folder) for name, folder in FOLDERS.items()}


def secrets():
    """The secrets make-secrets.sh would create (printed, not applied)."""
    output = subprocess.run(["bash", os.path.join(KUBERNETES, "make-secrets.sh"), "--print", "koppel"],
                            capture_output=True, text=True, check=True, timeout=30).stdout
    return list(yaml.safe_load_all(output))


SECRETS = secrets()


@pytest.fixture(params=sorted(RENDERED))
def documents(request):
    return copy.deepcopy(RENDERED[request.param])


def production():
    return copy.deepcopy(RENDERED["production"])


# What the checks look at.

def all_of(documents, kind):
    return [d for d in documents if d["kind"] == kind]


def one(documents, kind, name=None):
    found = [d for d in documents if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def deployment(documents):
    return one(documents, "Deployment", "koppel")


def server(documents):
    return next(c for c in deployment(documents)["spec"]["template"]["spec"]["containers"] if c["name"] == "koppel")


def pod_templates(documents):
    return [(d["metadata"]["name"], d["spec"]["template"]) for d in documents if d["kind"] in ("Deployment", "Job")]


def all_containers(pod):
    return pod["spec"].get("initContainers", []) + pod["spec"]["containers"]


def matches(selector, labels):
    return bool(selector) and all(labels.get(key) == value for key, value in selector.items())


def container_port(documents, reference):
    ports = server(documents)["ports"]
    found = [p["containerPort"] for p in ports if reference in (p["containerPort"], p.get("name"))]
    assert found, f"port {reference!r} is none of the container's ports {ports}"
    return found[0]


def volume_named(documents, name):
    return next(v for v in deployment(documents)["spec"]["template"]["spec"]["volumes"] if v["name"] == name)


def env(container):
    return {variable["name"]: variable for variable in container.get("env", [])}


def cluster(documents):
    return one(documents, "Cluster")


# The checks. Each raises AssertionError naming what is wrong.

def check_replicas(documents):
    assert deployment(documents)["spec"]["replicas"] >= 3, "fewer than 3 replicas"
    autoscaler = one(documents, "HorizontalPodAutoscaler")
    assert autoscaler["spec"]["scaleTargetRef"]["name"] == deployment(documents)["metadata"]["name"]
    assert 3 <= autoscaler["spec"]["minReplicas"] <= autoscaler["spec"]["maxReplicas"], "the autoscaler may go below 3"


def check_probes(documents):
    container = server(documents)
    for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz"), ("startupProbe", "/healthz")):
        get = container.get(probe, {}).get("httpGet", {})
        assert get.get("path") == path, f"no {probe} on {path}"
        # On the app's port: the metrics listener answers 404 there, and says nothing of the app.
        assert container_port(documents, get["port"]) == container_port(documents, "http"), f"{probe} on {get['port']}"


def check_hardened(documents):
    for name, pod in pod_templates(documents):
        spec = pod["spec"]
        assert spec.get("automountServiceAccountToken") is False, f"{name}: a service account token is mounted"
        context = spec.get("securityContext", {})
        assert context.get("runAsNonRoot") is True and context.get("runAsUser", 0) > 0, f"{name}: may run as root"
        assert context.get("seccompProfile", {}).get("type") == "RuntimeDefault", f"{name}: no RuntimeDefault seccomp"
        for container in all_containers(pod):
            security = container.get("securityContext", {})
            where = f"{name}/{container['name']}"
            assert security.get("readOnlyRootFilesystem") is True, f"{where}: writable root filesystem"
            assert security.get("allowPrivilegeEscalation") is False, f"{where}: may escalate privileges"
            assert security.get("capabilities", {}).get("drop") == ["ALL"], f"{where}: keeps capabilities"
            assert "limits" in container.get("resources", {}), f"{where}: no resource limits"


def check_graceful_stop(documents):
    spec = deployment(documents)["spec"]["template"]["spec"]
    pause = server(documents)["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert pause > 0, "no preStop pause before SIGTERM"
    assert spec["terminationGracePeriodSeconds"] > pause + DRAIN_SECONDS, "SIGKILL may come before the drain ends"
    mounts = {m["mountPath"]: m["name"] for m in server(documents)["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert "emptyDir" in volumes[mounts["/tmp"]], "/tmp is not an emptyDir"


SECRET_NAME = re.compile(r"(_URL|PASSWORD)$")
PUBLIC = {"KOPPEL_HTTP_PUBLIC_URL"}


def check_secrets_by_reference(documents):
    for name, pod in pod_templates(documents):
        for container in all_containers(pod):
            for variable in container.get("env", []):
                where = f"{name}/{container['name']} {variable['name']}"
                assert not re.search(r"://[^/@\s]+:[^/@\s]+@", str(variable.get("value", ""))), f"{where}: credentials"
                if SECRET_NAME.search(variable["name"]) and variable["name"] not in PUBLIC:
                    assert "value" not in variable, f"{where}: a value instead of a secret reference"
                    assert "secretKeyRef" in variable.get("valueFrom", {}), f"{where}: not from a Secret"


def check_vault_key(documents):
    path = env(server(documents))["KOPPEL_VAULT_KEY_FILE"]["value"]
    mounts = [m for m in server(documents)["volumeMounts"] if path.startswith(m["mountPath"].rstrip("/") + "/")]
    assert mounts, f"{path} is on no mounted volume"
    mount = mounts[0]
    assert mount.get("readOnly") is True, "the vault key is mounted writable"
    assert "subPath" not in mount, "a subPath mount would never see a rotated key"
    volume = volume_named(documents, mount["name"])
    assert "secretName" in volume.get("secret", {}), "the vault key does not come from a Secret"
    assert volume["secret"].get("defaultMode") == 0o400, "the vault key file is not 0400"


def check_disruption_budget(documents):
    budget = one(documents, "PodDisruptionBudget")
    labels = deployment(documents)["spec"]["template"]["metadata"]["labels"]
    assert matches(budget["spec"]["selector"]["matchLabels"], labels), "the budget selects none of Koppel's pods"
    assert 2 <= budget["spec"]["minAvailable"] < deployment(documents)["spec"]["replicas"], "the budget blocks drains or keeps < 2"


def check_koppel_network_policy(documents):
    policy = one(documents, "NetworkPolicy", "koppel")
    labels = deployment(documents)["spec"]["template"]["metadata"]["labels"]
    assert matches(policy["spec"]["podSelector"]["matchLabels"], labels), "the policy does not select Koppel's pods"
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    # Each port in, and the only peer it admits: the ingress controller to the app, Prometheus to the metrics.
    admitted = {
        container_port(documents, "http"): {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": INGRESS_NAMESPACE}}},
        container_port(documents, "metrics"): {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": MONITORING_NAMESPACE}},
                                               "podSelector": {"matchLabels": {"app.kubernetes.io/name": "prometheus"}}},
    }
    assert sorted(p["port"] for rule in policy["spec"]["ingress"] for p in rule["ports"]) == sorted(admitted)
    for rule in policy["spec"]["ingress"]:
        assert len(rule["ports"]) == 1, f"ingress on {rule['ports']}"
        for peer in rule["from"]:
            assert peer == admitted[rule["ports"][0]["port"]], f"ingress from {peer} on {rule['ports']}"
    egress = policy["spec"]["egress"]
    database = {"cnpg.io/cluster": cluster(documents)["metadata"]["name"]}
    assert any(peer.get("podSelector", {}).get("matchLabels") == database and [p["port"] for p in rule["ports"]] == [5432]
               for rule in egress for peer in rule["to"]), "no egress to the PostgreSQL cluster on 5432"
    for rule in egress:
        for peer in rule["to"]:
            if "ipBlock" in peer and ipaddress.ip_network(peer["ipBlock"]["cidr"]).version == 4:
                excluded = set(peer["ipBlock"].get("except", []))
                assert excluded >= set(PRIVATE), f"egress to private ranges: {sorted(set(PRIVATE) - excluded)}"


def check_database_network_policy(documents):
    name = cluster(documents)["metadata"]["name"]
    policy = one(documents, "NetworkPolicy", name)
    assert policy["spec"]["podSelector"]["matchLabels"] == {"cnpg.io/cluster": name}
    koppel_pods = [pod["metadata"]["labels"] for _, pod in pod_templates(documents)]
    allowed = []
    for rule in policy["spec"]["ingress"]:
        if 5432 in [p["port"] for p in rule["ports"]]:
            allowed += rule["from"]
    for labels in koppel_pods:
        assert any(set(p) == {"podSelector"} and matches(p["podSelector"]["matchLabels"], labels) for p in allowed), \
            f"pods labelled {labels} cannot reach PostgreSQL"
    for peer in allowed:
        selector = peer.get("podSelector", {}).get("matchLabels", {})
        own = selector == {"cnpg.io/cluster": name} and "namespaceSelector" not in peer
        operator = peer.get("namespaceSelector", {}).get("matchLabels") == {"kubernetes.io/metadata.name": "cnpg-system"}
        koppel = selector.get("app.kubernetes.io/name") == "koppel" and "namespaceSelector" not in peer
        assert own or operator or koppel, f"PostgreSQL is open to {peer}"


def check_ports_line_up(documents):
    port = container_port(documents, "http")
    assert env(server(documents))["KOPPEL_HTTP_PORT"]["value"] == str(port), "Koppel listens elsewhere than its port"
    service = one(documents, "Service", "koppel")
    labels = deployment(documents)["spec"]["template"]["metadata"]["labels"]
    assert matches(service["spec"]["selector"], labels), "the Service selects none of Koppel's pods"
    for service_port in service["spec"]["ports"]:
        assert container_port(documents, service_port["targetPort"]) == port
    for rule in [rule for ingress in all_of(documents, "Ingress") for rule in ingress["spec"]["rules"]]:
        for path in rule["http"]["paths"]:
            backend = path["backend"]["service"]
            assert backend["name"] == service["metadata"]["name"], "the Ingress leads to another Service"
            assert [p for p in service["spec"]["ports"] if backend["port"].get("name", backend["port"].get("number"))
                    in (p.get("name"), p["port"])], f"the Service has no port {backend['port']}"


def check_ingress(documents):
    """Koppel's own body limits: 64 KiB everywhere, 1 MiB for directory imports alone (an Ingress of its own)."""
    limits = {"koppel": ("64k", None), "koppel-directory-imports": ("1m", ["/api/v1/directory/imports"])}
    assert {i["metadata"]["name"] for i in all_of(documents, "Ingress")} == set(limits)
    for name, (limit, only) in limits.items():
        ingress = one(documents, "Ingress", name)
        assert ingress["spec"]["ingressClassName"] == "nginx"
        assert ingress["metadata"].get("annotations", {}).get("nginx.ingress.kubernetes.io/proxy-body-size") == limit, \
            f"{name}: the body limit differs from Koppel's own ({limit})"
        if only:
            paths = [(p["path"], p["pathType"]) for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
            assert paths == [(path, "Exact") for path in only], f"{name} lets a larger body through to {paths}"
        hosts = {rule["host"] for rule in ingress["spec"]["rules"]}
        covered = {host for tls in ingress["spec"]["tls"] if tls.get("secretName") for host in tls["hosts"]}
        assert hosts <= covered, f"served without TLS: {sorted(hosts - covered)}"


def check_database_connection(documents):
    """Every secret the pods read exists in make-secrets.sh's output, and its URLs lead to the Cluster's -rw service."""
    name = cluster(documents)["metadata"]["name"]
    made = {s["metadata"]["name"]: s["stringData"] for s in SECRETS}
    by_operator = {f"{name}-superuser": ("username", "password"), f"{name}-ca": ("ca.crt",)}
    for pod_name, pod in pod_templates(documents):
        for container in all_containers(pod):
            for variable in container.get("env", []):
                reference = variable.get("valueFrom", {}).get("secretKeyRef")
                if not reference or reference.get("optional"):
                    continue
                secret, key = reference["name"], reference["key"]
                assert key in made.get(secret, {}) or key in by_operator.get(secret, ()), \
                    f"{pod_name}/{container['name']} reads {secret}/{key}, which nothing creates"
        for volume in pod["spec"].get("volumes", []):
            if volume["name"] == "db-ca":
                assert volume["secret"]["secretName"] == f"{name}-ca", "not the Cluster's CA"
    assert cluster(documents)["spec"].get("enableSuperuserAccess") is True, "the bootstrap job has no superuser"
    passwords = made["koppel-db-roles"]
    for key, role in (("app-url", "app"), ("vault-url", "vault"), ("owner-url", "owner")):
        url = urllib.parse.urlsplit(made["koppel-database"][key])
        assert url.hostname == f"{name}-rw", f"{key} leads to {url.hostname}, not the Cluster's primary"
        assert url.username == f"koppel_{role}" and url.password == passwords[f"{role}-password"], key
        assert "sslmode=require" in url.query, f"{key} without TLS"
    bootstrap = one(documents, "Job", "koppel-db-bootstrap")["spec"]["template"]["spec"]["containers"][0]
    assert env(bootstrap)["PGHOST"]["value"] == f"{name}-rw", "the bootstrap job connects elsewhere"


def check_cluster(documents):
    spec = cluster(documents)["spec"]
    assert spec["instances"] >= 3, "fewer than 3 PostgreSQL instances"
    synchronous = spec.get("postgresql", {}).get("synchronous", {})
    assert synchronous.get("number", 0) >= 1 and synchronous.get("dataDurability") == "required", \
        "no synchronous standby required"
    store = spec.get("backup", {}).get("barmanObjectStore", {})
    assert store.get("destinationPath") and store.get("s3Credentials"), "no backup destination"
    assert spec["backup"].get("retentionPolicy"), "backups are never pruned"
    backup = one(documents, "ScheduledBackup")
    assert backup["spec"]["cluster"]["name"] == cluster(documents)["metadata"]["name"], "the schedule backs up another cluster"


def check_migration_job(documents):
    job = one(documents, "Job", "koppel-migrate")["spec"]["template"]["spec"]
    steps = [c.get("args") for c in all_containers({"spec": job}) if c["image"] == server(documents)["image"]]
    assert ["migrate"] in steps, "the migration job does not run `koppel migrate` from the release's image"
    assert steps.index(["migrate"]) < steps.index(["reference", "import", "/opt/koppel/data/reference"]), \
        "the reference data is imported before the migrations"
    for container in job["containers"] + job["initContainers"]:
        if container.get("args") and container["args"][0] in ("migrate", "reference"):
            assert env(container)["KOPPEL_OWNER_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "owner-url"


CHECKS = {check.__name__.removeprefix("check_"): check for check in (
    check_replicas, check_probes, check_hardened, check_graceful_stop, check_secrets_by_reference, check_vault_key,
    check_disruption_budget, check_koppel_network_policy, check_database_network_policy, check_ports_line_up,
    check_ingress, check_database_connection, check_cluster, check_migration_job)}


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_the_manifests_hold(check, documents):
    CHECKS[check](documents)


def container(documents, job, name):
    spec = one(documents, *job)["spec"]["template"]["spec"]
    return next(c for c in all_containers({"spec": spec}) if c["name"] == name)


def set_env(name, value):
    def mutate(documents):
        variable = env(server(documents))[name]
        variable.pop("valueFrom", None)
        variable["value"] = value
    return mutate


# Manifests broken on purpose: each check must catch what it is there for.
BROKEN = {
    "one replica": ("replicas", lambda d: deployment(d)["spec"].update(replicas=1)),
    "autoscaler down to 1": ("replicas", lambda d: one(d, "HorizontalPodAutoscaler")["spec"].update(minReplicas=1)),
    "readiness on /healthz": ("probes", lambda d: server(d)["readinessProbe"]["httpGet"].update(path="/healthz")),
    "no startup probe": ("probes", lambda d: server(d).pop("startupProbe")),
    "probe on another port": ("probes", lambda d: server(d)["livenessProbe"]["httpGet"].update(port=9090)),
    "may run as root": ("hardened", lambda d: deployment(d)["spec"]["template"]["spec"]["securityContext"].pop("runAsNonRoot")),
    "writable root filesystem": ("hardened", lambda d: server(d)["securityContext"].update(readOnlyRootFilesystem=False)),
    "init container escalates": ("hardened", lambda d: container(d, ("Job", "koppel-migrate"), "trust")["securityContext"]
                                 .update(allowPrivilegeEscalation=True)),
    "service account token": ("hardened", lambda d: one(d, "Job", "koppel-db-bootstrap")["spec"]["template"]["spec"]
                              .pop("automountServiceAccountToken")),
    "grace shorter than drain": ("graceful_stop", lambda d: deployment(d)["spec"]["template"]["spec"]
                                 .update(terminationGracePeriodSeconds=20)),
    "database URL as a value": ("secrets_by_reference", set_env("KOPPEL_DATABASE_URL", "postgres://koppel_app:x@db/koppel")),
    "credentials in a public URL": ("secrets_by_reference", set_env("KOPPEL_HTTP_PUBLIC_URL", "https://a:b@koppel.example.nl")),
    "PGPASSWORD as a value": ("secrets_by_reference", lambda d: env(container(d, ("Job", "koppel-db-bootstrap"), "psql"))
                              ["PGPASSWORD"].update(value="secret")),
    "vault key writable": ("vault_key", lambda d: next(m for m in server(d)["volumeMounts"] if m["name"] == "vault-key")
                           .update(readOnly=False)),
    "vault key world-readable": ("vault_key", lambda d: volume_named(d, "vault-key")["secret"].update(defaultMode=0o644)),
    "vault key in an emptyDir": ("vault_key", lambda d: volume_named(d, "vault-key").pop("secret")),
    "budget selects other pods": ("disruption_budget", lambda d: one(d, "PodDisruptionBudget")["spec"]["selector"]
                                  ["matchLabels"].update({"app.kubernetes.io/component": "web"})),
    "budget blocks every drain": ("disruption_budget", lambda d: one(d, "PodDisruptionBudget")["spec"].update(minAvailable=3)),
    "policy selects other pods": ("koppel_network_policy", lambda d: one(d, "NetworkPolicy", "koppel")["spec"]["podSelector"]
                                  ["matchLabels"].update({"app.kubernetes.io/name": "other"})),
    "ingress from every namespace": ("koppel_network_policy", lambda d: one(d, "NetworkPolicy", "koppel")["spec"]["ingress"][0]
                                     ["from"].append({"namespaceSelector": {}})),
    "webhooks to 10/8": ("koppel_network_policy", lambda d: one(d, "NetworkPolicy", "koppel")["spec"]["egress"][-1]["to"][0]
                         ["ipBlock"]["except"].remove("10.0.0.0/8")),
    "database open to all pods": ("database_network_policy", lambda d: one(d, "NetworkPolicy", "koppel-db")["spec"]["ingress"][0]
                                  ["from"].append({"podSelector": {}})),
    "migration job shut out": ("database_network_policy", lambda d: one(d, "Job", "koppel-migrate")["spec"]["template"]
                               ["metadata"]["labels"].update({"app.kubernetes.io/name": "koppel-migrate"})),
    "container port moved": ("ports_line_up", lambda d: server(d)["ports"][0].update(containerPort=8081)),
    "ingress to a missing port": ("ports_line_up", lambda d: one(d, "Ingress", "koppel")["spec"]["rules"][0]["http"]["paths"][0]
                                  ["backend"]["service"]["port"].update(name="web")),
    "service selects nothing": ("ports_line_up", lambda d: one(d, "Service", "koppel")["spec"]["selector"]
                                .update({"app.kubernetes.io/component": "web"})),
    "no body limit": ("ingress", lambda d: one(d, "Ingress", "koppel")["metadata"]["annotations"]
                      .pop("nginx.ingress.kubernetes.io/proxy-body-size")),
    "imports limit everywhere": ("ingress", lambda d: one(d, "Ingress", "koppel-directory-imports")["spec"]["rules"][0]["http"]
                                ["paths"][0].update(path="/", pathType="Prefix")),
    "host without TLS": ("ingress", lambda d: one(d, "Ingress", "koppel")["spec"]["rules"][0].update(host="other.example.nl")),
    "cluster renamed": ("database_connection", lambda d: cluster(d)["metadata"].update(name="postgres")),
    "secret nobody makes": ("database_connection", lambda d: env(server(d))["KOPPEL_DATABASE_URL"]["valueFrom"]
                            ["secretKeyRef"].update(key="url")),
    "one instance": ("cluster", lambda d: cluster(d)["spec"].update(instances=1)),
    "asynchronous": ("cluster", lambda d: cluster(d)["spec"]["postgresql"].pop("synchronous")),
    "no backup": ("cluster", lambda d: cluster(d)["spec"].pop("backup")),
    "migration from another image": ("migration_job", lambda d: container(d, ("Job", "koppel-migrate"), "migrate")
                                     .update(image="koppel:old")),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_broken_manifest_is_caught(case):
    check, mutate = BROKEN[case]
    documents = production()
    CHECKS[check](copy.deepcopy(documents))
    mutate(documents)
    with pytest.raises(AssertionError):
        CHECKS[check](documents)


# Validation against the schemas.

def built_in(documents):
    return [d for d in documents if d["apiVersion"] != CNPG]


@pytest.mark.parametrize("version", VERSIONS)
def test_every_built_in_object_validates_strictly(documents, version):
    objects = built_in(documents)
    assert {"Deployment", "Service", "Ingress", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "Job"} \
        <= {d["kind"] for d in objects}
    for document in objects:
        kubernetes_validate.validate(document, version, strict=True)


def test_the_secrets_made_validate():
    assert [s["metadata"]["name"] for s in SECRETS] == ["koppel-db-roles", "koppel-database"]
    for secret in SECRETS:
        kubernetes_validate.validate(secret, VERSIONS[0], strict=True)


def test_strict_validation_refuses_a_misspelt_field():
    documents = production()
    server(documents)["securityContext"]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError, match="readOnlyRootFileSystem"):
        kubernetes_validate.validate(deployment(documents), VERSIONS[0], strict=True)


def cnpg_validators():
    resources = []
    for path in glob.glob(os.path.join(KUBERNETES, "schemas", "*.schema.json")):
        with open(path, encoding="utf-8") as file:
            resources.append(Resource.from_contents(json.load(file)))
    registry = Registry().with_resources((r.id(), r) for r in resources)
    return {r.contents["properties"]["kind"]["const"]: Draft202012Validator(r.contents, registry=registry)
            for r in resources if "kind" in r.contents.get("properties", {})}


CNPG_VALIDATORS = cnpg_validators()


def test_cloudnativepg_objects_validate(documents):
    objects = [d for d in documents if d["apiVersion"] == CNPG]
    assert sorted(d["kind"] for d in objects) == ["Cluster", "ScheduledBackup"]
    for document in objects:
        Draft202012Validator.check_schema(CNPG_VALIDATORS[document["kind"]].schema)
        CNPG_VALIDATORS[document["kind"]].validate(document)


MISWRITTEN = {
    "misspelt field": lambda d: cluster(d)["spec"].update(instance=3),
    "misspelt nested field": lambda d: cluster(d)["spec"]["backup"]["barmanObjectStore"]["wal"].update(compresion="gzip"),
    "unknown compression": lambda d: cluster(d)["spec"]["backup"]["barmanObjectStore"]["wal"].update(compression="zip"),
    "instances as text": lambda d: cluster(d)["spec"].update(instances="3"),
    "synchronous without a number": lambda d: cluster(d)["spec"]["postgresql"]["synchronous"].pop("number"),
    "bad retention": lambda d: cluster(d)["spec"]["backup"].update(retentionPolicy="30 days"),
    "credentials without a key": lambda d: cluster(d)["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
    ["accessKeyId"].pop("key"),
    "five-field schedule": lambda d: one(d, "ScheduledBackup")["spec"].update(schedule="0 2 * * *"),
    "backup of no cluster": lambda d: one(d, "ScheduledBackup")["spec"].pop("cluster"),
}


@pytest.mark.parametrize("case", sorted(MISWRITTEN))
def test_a_miswritten_cloudnativepg_object_fails_its_schema(case):
    documents = production()
    MISWRITTEN[case](documents)
    failures = [error for d in documents if d["apiVersion"] == CNPG for error in CNPG_VALIDATORS[d["kind"]].iter_errors(d)]
    assert failures, f"{case} passed the schema"


# Rendering.

@pytest.mark.parametrize("name", sorted(FOLDERS))
def test_the_fallback_renders_as_kustomize_does(name):
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed: the manifests were rendered by kustomize_lite alone")
    assert sorted(kustomize_lite.render(FOLDERS[name]), key=sort_key) == kubectl_kustomize(FOLDERS[name])


def test_the_fallback_refuses_what_it_does_not_render(tmp_path):
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {team: koppel}\n")
    with pytest.raises(ValueError, match="commonLabels"):
        kustomize_lite.render(str(tmp_path))


def test_production_pins_its_images():
    for _, pod in pod_templates(RENDERED["production"]):
        for image in (c["image"] for c in all_containers(pod)):
            name, tag, digest = kustomize_lite.split_image(image)
            assert digest or (tag and tag != "latest" and not re.fullmatch(r"\d+", tag)), f"{image} is not pinned"
    assert {d["metadata"].get("namespace") for d in RENDERED["production"] if d["kind"] != "Namespace"} == {"koppel"}
