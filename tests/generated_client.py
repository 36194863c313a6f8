"""A typed Python client generated from the service's OpenAPI schema, as a user would make one.

openapi-python-client turns the schema into one module per operation (named by operation id,
filed under the operation's tag) and attrs models per schema. Each generation gets its own
package name, so two generations in one process never share cached modules.
"""

import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx

GENERATE_TIMEOUT_S = 120
REQUEST_TIMEOUT_S = 30


@dataclass(frozen=True)
class GeneratedClient:
    """The imported package, with look-ups by operation id and model name."""

    package: ModuleType
    directory: Path

    def operation(self, operation_id: str) -> ModuleType:
        """The module of one operation (``sync_detailed`` and friends), whatever its tag."""
        found = sorted((self.directory / "api").glob(f"*/{operation_id}.py"))
        assert len(found) == 1, f"expected one module for {operation_id}, found {found}"
        tag = found[0].parent.name
        return importlib.import_module(f"{self.package.__name__}.api.{tag}.{operation_id}")

    def model(self, name: str) -> Any:
        """A generated model class, by its schema name (``MemberManagerUpdate``)."""
        return getattr(importlib.import_module(f"{self.package.__name__}.models"), name)

    def authenticated(
        self, base_url: str, key: str, *, on_request: Callable[[httpx.Request], None] | None = None
    ) -> Any:
        """A client sending ``key`` as a bearer token; ``on_request`` sees each request sent."""
        hooks = {"request": [on_request]} if on_request else {}
        return self.package.AuthenticatedClient(
            base_url=base_url,
            token=key,
            timeout=httpx.Timeout(REQUEST_TIMEOUT_S),
            # A status the schema does not declare is a contract failure, not a None to skip.
            raise_on_unexpected_status=True,
            httpx_args={"event_hooks": hooks},
        )


@contextmanager
def generated_client(schema: dict[str, Any], workdir: Path) -> Iterator[GeneratedClient]:
    """Generate a client for ``schema`` under ``workdir``, import it, forget it afterwards."""
    name = f"servematch_client_{uuid.uuid4().hex[:12]}"
    schema_path = workdir / "openapi.json"
    schema_path.write_text(json.dumps(schema))
    config_path = workdir / "config.json"
    # No post hooks: they run ruff over the generated code, which nothing here reads.
    config = {"project_name_override": name, "package_name_override": name, "post_hooks": []}
    config_path.write_text(json.dumps(config))
    directory = workdir / name
    command = [sys.executable, "-m", "openapi_python_client", "generate", "--meta", "none"]
    command += ["--path", str(schema_path), "--output-path", str(directory)]
    # A schema construct the generator cannot express is a contract defect too.
    command += ["--config", str(config_path), "--fail-on-warning"]
    generation = subprocess.run(
        command,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=GENERATE_TIMEOUT_S,
        check=False,
    )
    assert generation.returncode == 0, generation.stdout + generation.stderr
    sys.path.insert(0, str(workdir))
    try:
        yield GeneratedClient(package=importlib.import_module(name), directory=directory)
    finally:
        sys.path.remove(str(workdir))
        for module in [module for module in sys.modules if module.partition(".")[0] == name]:
            del sys.modules[module]
