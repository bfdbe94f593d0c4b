"""GW-1, GW-3: the gateway answers JSON, names wrong fields, documents itself, never leaks a trace."""
import pytest

pytestmark = pytest.mark.e2e


CUSTOMER = "customer.admin"


def test_GW3_unknown_route_and_wrong_method_answer_json(e2e, http):
    missing = http.get(e2e.url("/api/v1/nothing-here"))
    assert missing.status_code == 404
    assert missing.json() == {"error": "not_found", "message": "There is no route GET /api/v1/nothing-here."}
    wrong = http.delete(e2e.url("/api/v1/purchases"))
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


def test_GW3_malformed_json_and_missing_fields_are_named(e2e, http):
    http.headers.update(e2e.auth(CUSTOMER))
    broken = http.post(e2e.url("/api/v1/purchases"), data='{"order_id": ', headers={"Content-Type": "application/json"})
    assert broken.status_code == 400
    assert broken.json()["error"] == "validation_failed" and "_body" in broken.json()["fields"]
    missing = http.post(e2e.url("/api/v1/purchases"), json={"product_id": 5, "surprise": 1})
    fields = missing.json()["fields"]
    assert missing.status_code == 400
    assert set(fields) == {"order_id", "product_id", "surprise"}  # customer_id: only the marketplace names it
    not_json = http.post(e2e.url("/api/v1/purchases"), data="order_id=1")
    assert not_json.status_code == 400 and "application/json" in not_json.json()["message"]


def test_GW3_unknown_objects_and_bad_query_parameters(e2e, http):
    http.headers.update(e2e.auth(CUSTOMER))
    assert http.get(e2e.url("/api/v1/projects/does-not-exist")).json()["error"] == "not_found"
    bad = http.get(e2e.url("/api/v1/projects"), params={"status": "sleeping", "limit": "many"})
    assert bad.status_code == 400 and set(bad.json()["fields"]) == {"status", "limit"}


def test_GW3_a_purchase_of_an_unknown_product_is_refused_clearly(e2e, http):
    http.headers.update(e2e.auth(CUSTOMER))
    answer = http.post(e2e.url("/api/v1/purchases"),
                       json={"order_id": "ORD-X", "product_id": "no-such-product", "customer_id": "c"})
    assert answer.status_code == 404 and "no-such-product" in answer.json()["message"]


def test_GW1_the_openapi_document_lists_every_route_with_its_schemas(e2e, http):
    spec = http.get(e2e.url("/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    post = spec["paths"]["/api/v1/purchases"]["post"]
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schema = spec["components"]["schemas"][body_ref.rsplit("/", 1)[1]]
    assert set(schema["required"]) == {"order_id", "product_id"}
    assert {"201", "400"} <= set(post["responses"])
    assert "/api/v1/projects/{project_id}" in spec["paths"]


def test_GW1_browsable_docs_are_served_without_a_cdn(e2e, http):
    page = http.get(e2e.url("/docs"))
    assert page.status_code == 200 and "/openapi.json" in page.text and "cdn" not in page.text.lower()
    script = http.get(e2e.url("/docs/static/swagger-ui-bundle.js"))
    assert script.status_code == 200 and len(script.content) > 100_000
    assert http.get(e2e.url("/docs/static/../../etc/passwd")).status_code == 404


def test_OPS3_health_readiness_and_metrics(e2e, http):
    assert http.get(e2e.url("/health")).json()["status"] == "ok"
    ready = http.get(e2e.url("/ready")).json()
    assert ready["ready"] is True and set(ready["checks"]) >= {"broker", "project", "dispatch", "notify"}
    dispatch = e2e.stack.specs["dispatch"]
    assert http.get(f"http://127.0.0.1:{dispatch.port}/ready").json()["checks"] == {"database": "ok", "broker": "ok",
                                                                                    "redis": "ok"}
    metrics = http.get(f"http://127.0.0.1:{dispatch.port}/metrics").text
    assert "platform_worker_seconds" in metrics
