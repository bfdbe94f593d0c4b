"""The queues the platform declares work on a broker whose default queue type is quorum (the
Kubernetes cluster of deploy/k8s/rabbitmq.yaml): an argument only classic queues take must come
with an explicit classic type, or the broker refuses the declaration (RabbitMQ: "invalid arg
'x-queue-mode' ... of queue type rabbit_quorum_queue")."""
from platform_kit.topology import audit_queue

CLASSIC_ONLY = {"x-queue-mode", "x-queue-version", "x-max-priority"}


def test_OPS1_the_audit_queue_names_its_classic_type_so_a_quorum_default_broker_accepts_it():
    arguments = audit_queue("sample").queue_arguments
    if CLASSIC_ONLY & set(arguments):
        assert arguments.get("x-queue-type") == "classic", arguments
