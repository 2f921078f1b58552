"""Registers a model version through MLflow's Unity Catalog registry and reads it back, as a training job would.

Run by test/conformance/mlflow-python.test.ts with the project's pinned clients (scripts/python-clients.ts), against
the emulator: DATABRICKS_HOST and DATABRICKS_TOKEN point at a workspace. Prints one JSON object on stdout.

    python mlflow_register.py register <catalog.schema.model> <behavior> <alias>
    python mlflow_register.py endpoint <serving endpoint name>
"""

import json
import os
import sys
import tempfile

import mlflow
from databricks.sdk import WorkspaceClient
from mlflow import MlflowClient

MODEL_FILE = "weights.txt"
MODEL_BYTES = b"churn model weights v-next\n"


def write_model(directory: str) -> None:
    """A minimal MLflow model directory: an MLmodel file with the signature Unity Catalog requires, and one file."""
    with open(os.path.join(directory, "MLmodel"), "w") as f:
        f.write(
            "artifact_path: model\n"
            "flavors:\n"
            "  python_function:\n"
            "    loader_module: churn_model\n"
            "    python_version: 3.11.7\n"
            "signature:\n"
            '  inputs: \'[{"type": "double", "name": "tenure", "required": true}]\'\n'
            '  outputs: \'[{"type": "double", "required": true}]\'\n'
        )
    with open(os.path.join(directory, MODEL_FILE), "wb") as f:
        f.write(MODEL_BYTES)


def register(name: str, behavior: str, alias: str) -> dict:
    out = {}
    mlflow.set_registry_uri("databricks-uc")
    client = MlflowClient(registry_uri="databricks-uc")

    with tempfile.TemporaryDirectory() as directory:
        write_model(directory)
        # (a) register: registered-models/get, model-versions/create, the upload, model-versions/finalize.
        registered = mlflow.register_model(
            model_uri=directory, name=name, tags={"emulator_behavior": behavior, "team": "churn"}
        )
    out["registered"] = {"version": registered.version, "status": registered.status}

    version = client.get_model_version(name, registered.version)
    out["get_model_version"] = {
        "version": version.version,
        "status": version.status,
        "tags": version.tags,
    }

    # (b) aliases: set, read back, move is the same call; tags on the version and the model.
    client.set_registered_model_alias(name, alias, registered.version)
    by_alias = client.get_model_version_by_alias(name, alias)
    out["alias"] = {"version": by_alias.version, "aliases": list(by_alias.aliases)}
    client.set_model_version_tag(name, registered.version, "validated", "true")
    client.set_registered_model_tag(name, "owner_team", "churn")
    model = client.get_registered_model(name)
    out["registered_model"] = {"aliases": model.aliases, "tags": model.tags}
    versions = client.search_model_versions(f"name = '{name}'")
    out["search_model_versions"] = sorted(int(v.version) for v in versions)
    out["search_registered_models"] = sorted(m.name for m in client.search_registered_models())

    # The files that were uploaded, downloaded again through MLflow.
    with tempfile.TemporaryDirectory() as target:
        local = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{registered.version}", dst_path=target
        )
        with open(os.path.join(local, MODEL_FILE), "rb") as f:
            out["downloaded"] = f.read().decode()
        out["downloaded_files"] = sorted(os.listdir(local))

    # An alias that names no version: MLflow raises with the registry's error code.
    try:
        client.get_model_version_by_alias(name, "no_such_alias")
        out["missing_alias"] = None
    except mlflow.exceptions.MlflowException as err:
        out["missing_alias"] = err.error_code

    # (c) the official Python SDK reads the same version through Unity Catalog's REST API.
    w = WorkspaceClient()
    sdk_version = w.model_versions.get(name, int(registered.version), include_aliases=True)
    out["sdk"] = {
        "version": sdk_version.version,
        "status": sdk_version.status.value if sdk_version.status else None,
        "aliases": [a.alias_name for a in sdk_version.aliases or []],
    }
    return out


def endpoint(name: str) -> dict:
    """What the official Python SDK reads of a serving endpoint: its state and the config it serves."""
    e = WorkspaceClient().serving_endpoints.get(name)
    return {
        "ready": e.state.ready.value if e.state and e.state.ready else None,
        "config_update": e.state.config_update.value if e.state and e.state.config_update else None,
        "served_entities": [
            {"name": s.name, "entity_name": s.entity_name, "entity_version": s.entity_version}
            for s in e.config.served_entities or []
        ],
        "routes": [
            {"served_entity_name": r.served_entity_name, "traffic_percentage": r.traffic_percentage}
            for r in (e.config.traffic_config.routes if e.config.traffic_config else None) or []
        ],
    }


def main() -> None:
    mode, args = sys.argv[1], sys.argv[2:]
    out = register(*args) if mode == "register" else endpoint(*args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
