"""OPS-1: the Kubernetes manifests are valid objects of the Kubernetes API, checked offline against
its JSON schemas (kubernetes-validate bundles them; strict: an unknown or misspelt field fails), and
the cluster they describe runs the broker as a quorum-queue RabbitMQ cluster and every service on
its own managed PostgreSQL named by a Secret."""
from __future__ import annotations

from urllib.parse import urlsplit

import kubernetes_validate
import pytest

from platform_kit import manifest
from tests.deploy.test_compose_file import K8S_DIR, k8s_documents, k8s_objects, load_yaml_all, pod_spec

# the oldest Kubernetes release still supported by its project when this was written; the fields
# used here exist in every later one (the test also runs against the newest bundled)
VERSIONS = ("1.31.0", kubernetes_validate.latest_version())
DOCUMENTS = [(path, doc) for path, doc in k8s_documents() if doc.get("kind") != "Kustomization"]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("document", DOCUMENTS,
                         ids=[f"{p.relative_to(K8S_DIR)}:{d['kind']}/{d['metadata']['name']}" for p, d in DOCUMENTS])
def test_OPS1_every_manifest_is_a_valid_kubernetes_object(document, version):
    _path, doc = document
    kubernetes_validate.validate(doc, version, strict=True)


def test_OPS1_the_validator_refuses_a_misspelt_field():
    broken = load_yaml_all((K8S_DIR / "services" / "billing.yaml").read_text())[0]
    kubernetes_validate.validate(broken, VERSIONS[0], strict=True)
    broken["spec"]["template"]["spec"]["containers"][0]["imagePullPolcy"] = "Always"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, VERSIONS[0], strict=True)


def _config(name: str) -> dict:
    [found] = [c for c in k8s_objects("ConfigMap") if c["metadata"]["name"] == name]
    return found["data"]


def test_OPS1_rabbitmq_runs_as_a_three_node_cluster_whose_queues_are_quorum_queues():
    [broker] = [s for s in k8s_objects("StatefulSet") if s["metadata"]["name"] == "rabbitmq"]
    assert broker["spec"]["replicas"] >= 3 and broker["spec"]["replicas"] % 2 == 1, "a majority must survive a loss"
    conf = dict(line.split(" = ", 1) for line in _config("rabbitmq-config")["rabbitmq.conf"].splitlines()
                if " = " in line and not line.startswith("#"))
    assert conf["default_queue_type"] == "quorum"
    assert conf["cluster_formation.peer_discovery_backend"] == "rabbit_peer_discovery_k8s"
    assert conf["cluster_partition_handling"] == "pause_minority"
    assert "rabbitmq_peer_discovery_k8s" in _config("rabbitmq-config")["enabled_plugins"]
    [budget] = [b for b in k8s_objects("PodDisruptionBudget") if b["metadata"]["name"] == "rabbitmq"]
    assert budget["spec"]["maxUnavailable"] == 1
    anti = pod_spec(broker)["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert anti[0]["topologyKey"] == "kubernetes.io/hostname", "one node per machine"
    assert urlsplit(_config("platform-config")["AMQP_URI"]).hostname == "rabbitmq"
    assert "rabbitmq" in {s["metadata"]["name"] for s in k8s_objects("Service")}


def test_OPS1_each_service_has_its_own_managed_postgresql_named_by_a_secret():
    [secret] = [s for s in k8s_objects("Secret") if s["metadata"]["name"] == "platform-secrets"]
    hosts = {}
    for service in manifest.load().services:
        url = urlsplit(secret["stringData"][service.database_url_key])
        assert url.path == f"/{service.database}"
        hosts[service.name] = url.hostname
    assert len(set(hosts.values())) == len(hosts), f"one database server per service: {hosts}"
    assert not any(h in ("postgres", "localhost", "127.0.0.1") for h in hosts.values()), "managed, outside the cluster"
    for deployment in k8s_objects("Deployment"):
        for item in pod_spec(deployment)["containers"][0].get("env") or []:
            if item["name"].endswith("_DATABASE_URL"):
                assert item["valueFrom"]["secretKeyRef"]["name"] == "platform-secrets", deployment["metadata"]["name"]
