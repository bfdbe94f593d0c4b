"""GW-1: the checked-in API document is the one the gateway serves, and describes every route."""
import json
from pathlib import Path

from gateway.openapi import routes_of
from gateway.service import GatewayService

DOC = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"


def test_GW1_docs_openapi_json_is_what_the_gateway_serves():
    assert json.loads(DOC.read_text()) == json.loads(json.dumps(GatewayService.openapi_document())), (
        "docs/openapi.json is stale: run `.venv/bin/python -m gateway.openapi > docs/openapi.json`")


def test_GW1_every_route_is_documented_with_a_summary_and_its_error_answers():
    spec = GatewayService.openapi_document()
    assert len(routes_of(GatewayService)) >= 25
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation["summary"], f"{method} {path} has no summary"
            if "security" in operation:
                assert {"401", "403"} <= set(operation["responses"]), f"{method} {path}"
            if "requestBody" in operation:
                assert "400" in operation["responses"], f"{method} {path}"
