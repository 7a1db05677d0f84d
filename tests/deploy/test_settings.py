"""Every setting the server reads is in .env.example, and the ones a deployment must set are in
deploy/compose.yaml and in the Kubernetes ConfigMap or Secret, under names the server knows.

server/config.py `SETTINGS` is the list (each `$DRAFTLINT_<NAME>`), plus `DATABASE_URL`: a setting
added there fails here until .env.example names it.
"""

from __future__ import annotations

import re
from pathlib import Path

from server.config import PREFIX, SETTINGS

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"

# What a production server cannot do without: the database, the cookie key that every replica
# shares, the public URL (redirects, CORS, Google's token audience) and the API keys (`{}` when
# only the add-ins' tokens are used).
REQUIRED = (
    "DATABASE_URL",
    "DRAFTLINT_SECRET_KEY",
    "DRAFTLINT_API_KEYS",
    "DRAFTLINT_PUBLIC_BASE_URL",
)
# Not the server's: deploy/compose.yaml's database password.
COMPOSE_ONLY = {"POSTGRES_PASSWORD"}
# A value that must not sit in a ConfigMap (readable by anyone who may read the namespace's config).
SECRET = re.compile(r"(SECRET|_KEYS?$|PASSWORD|^DATABASE_URL$)")

ASSIGNMENT = re.compile(r"^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$")


def known() -> set[str]:
    return {PREFIX + name for name in SETTINGS} | {"DATABASE_URL"}


def env_example() -> dict[str, tuple[bool, str]]:
    """name -> (commented out, value) for every assignment line of .env.example."""
    found: dict[str, tuple[bool, str]] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ASSIGNMENT.match(line)
        if match:
            name = match[2]
            assert name not in found, f".env.example names {name} twice"
            found[name] = (bool(match[1]), match[3])
    return found


def test_env_example_lists_every_setting():
    listed = env_example()
    missing = sorted(known() - set(listed))
    assert not missing, f"add to .env.example (from server/config.py SETTINGS): {missing}"
    unknown = sorted(set(listed) - known() - COMPOSE_ONLY)
    assert not unknown, f".env.example names settings the server does not read: {unknown}"


def test_env_example_sets_the_required_ones_and_no_secret_value():
    listed = env_example()
    for name in REQUIRED:
        commented, _ = listed[name]
        assert not commented, f"{name} is required: leave it uncommented in .env.example"
    for name, (_, value) in listed.items():
        if SECRET.search(name) and name != "DRAFTLINT_API_KEYS":
            assert value in ("", "{}") or "CHANGE-ME" in value, f"{name} holds a value"
    assert listed["DRAFTLINT_API_KEYS"][1] == "{}"
    # `podman run --env-file` and `docker run --env-file` keep quotes as part of the value.
    quoted = sorted(name for name, (_, value) in listed.items() if value[:1] in ("'", '"'))
    assert not quoted, quoted


def test_compose_gives_the_replicas_the_required_settings(compose):
    for name, service in compose["services"].items():
        if service.get("image", "").startswith("localhost/draftlint"):
            environment = service["environment"]
            assert service["env_file"] == ".env", name  # deploy/.env, from .env.example
            for setting in REQUIRED:
                assert setting in environment, f"{name}: {setting}"
                # Interpolated from deploy/.env, and Compose refuses to start without it.
                assert ":?" in environment[setting], f"{name}: {setting} is not required"
            assert set(environment) <= known(), name


def test_kubernetes_config_and_secret_hold_known_settings(rendered_base, secret_template):
    config = rendered_base["ConfigMap", "draftlint"]["data"]
    secret = secret_template["stringData"]
    assert set(config) <= known(), sorted(set(config) - known())
    assert set(secret) <= known(), sorted(set(secret) - known())
    for name in REQUIRED:
        assert name in config or name in secret, name
    leaked = sorted(name for name in config if SECRET.search(name))
    assert not leaked, f"secrets belong in the Secret, not the ConfigMap: {leaked}"
    assert not set(config) & set(secret)
    # The Deployment and the Job read them under those names.
    deployment = rendered_base["Deployment", "draftlint"]["spec"]["template"]["spec"]
    sources = deployment["containers"][0]["envFrom"]
    assert {"configMapRef": {"name": "draftlint"}} in sources
    assert {"secretRef": {"name": secret_template["metadata"]["name"]}} in sources


def test_the_gmail_directory_key_path_is_where_the_deployment_mounts_it(rendered_base):
    config = rendered_base["ConfigMap", "draftlint"]
    comment_path = "/var/run/secrets/draftlint/gmail-directory/credentials.json"
    text = (ROOT / "deploy" / "kubernetes" / "base" / "configmap.yaml").read_text(encoding="utf-8")
    assert comment_path in text and "DRAFTLINT_GMAIL_DIRECTORY_CREDENTIALS" in config["data"]
    pod = rendered_base["Deployment", "draftlint"]["spec"]["template"]["spec"]
    (mount,) = [m for m in pod["containers"][0]["volumeMounts"] if m["name"] == "gmail-directory"]
    assert comment_path.startswith(mount["mountPath"] + "/")
    (volume,) = [v for v in pod["volumes"] if v["name"] == "gmail-directory"]
    assert volume["secret"]["optional"] is True
