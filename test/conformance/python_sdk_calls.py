"""The official Python SDK's calls a new user makes first, against one emulator workspace.

Run by test/conformance/python-sdk.test.ts with the project's pinned clients (scripts/python-clients.ts):
DATABRICKS_HOST and DATABRICKS_TOKEN point at a workspace. Prints one JSON object on stdout.

    python python_sdk_calls.py <catalog> <schema> <endpoint>
"""

import json
import sys

from databricks.sdk import WorkspaceClient
from databricks.sdk.errors import DatabricksError
from databricks.sdk.service.serving import (
    AiGatewayRateLimit,
    AiGatewayRateLimitKey,
    AiGatewayRateLimitRenewalPeriod,
    AiGatewayUsageTrackingConfig,
    FallbackConfig,
)


def error_of(call):
    try:
        call()
    except DatabricksError as err:
        return {"class": type(err).__name__, "error_code": err.error_code, "message": str(err)}
    return None


def main() -> None:
    catalog, schema, endpoint = sys.argv[1:4]
    w = WorkspaceClient()
    me = w.current_user.me()
    schemas = [s.full_name for s in w.schemas.list(catalog_name=catalog)]
    one = w.schemas.get(f"{catalog}.{schema}")
    put = w.serving_endpoints.put_ai_gateway(
        endpoint,
        fallback_config=FallbackConfig(enabled=True),
        rate_limits=[
            AiGatewayRateLimit(calls=100, renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE),
            AiGatewayRateLimit(
                calls=10,
                key=AiGatewayRateLimitKey.USER,
                principal="ana@example.com",
                renewal_period=AiGatewayRateLimitRenewalPeriod.MINUTE,
            ),
        ],
        usage_tracking_config=AiGatewayUsageTrackingConfig(enabled=True),
    )
    gateway = w.serving_endpoints.get(endpoint).ai_gateway
    print(
        json.dumps(
            {
                "me": {"user_name": me.user_name, "display_name": me.display_name, "active": me.active},
                "schemas": schemas,
                "schema": {"full_name": one.full_name, "catalog_name": one.catalog_name, "name": one.name},
                "put_ai_gateway": put.as_dict(),
                "get_ai_gateway": gateway.as_dict() if gateway else None,
                "unknown_path": error_of(lambda: w.api_client.do("GET", "/api/2.0/no-such-api")),
                "bad_gateway": error_of(
                    lambda: w.api_client.do(
                        "PUT",
                        f"/api/2.0/serving-endpoints/{endpoint}/ai-gateway",
                        body={"rate_limits": [{"calls": 5}]},
                    )
                ),
                "too_large": error_of(
                    lambda: w.api_client.do(
                        "POST", "/api/2.0/serving-endpoints", body={"name": "x", "description": "y" * (17 << 20)}
                    )
                ),
            }
        )
    )


if __name__ == "__main__":
    main()
