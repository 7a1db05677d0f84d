"""Human-readable renderings for the terminal; the JSON forms come straight from the schemas."""

from __future__ import annotations

from linters import Report

INDENT = "    "


def field_messages(messages: object, path: str = "") -> list[str]:
    """Flatten marshmallow's nested messages into "to.0.email: Missing data ..." lines."""
    if isinstance(messages, dict):
        lines = []
        for key, value in messages.items():
            name = "(whole document)" if key == "_schema" else str(key)
            lines += field_messages(value, f"{path}.{name}" if path else name)
        return lines
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [f"{path or '(whole document)'}: {message}" for message in messages]
    return [f"{path or '(whole document)'}: {messages}"]


def _indented(text: str) -> str:
    return "\n".join(INDENT + line for line in text.splitlines())


def render_report(report: Report) -> str:
    lines = []
    for finding in report.findings:
        lines.append(f"{finding.severity.value}  {finding.rule}  {finding.message}")
        if finding.excerpt:
            lines.append(f"{INDENT}> {finding.excerpt}")
        if finding.explanation:
            lines.append(_indented(finding.explanation))
        lines += [f"{INDENT}fix: {fix.title}" for fix in finding.fixes]
    if not report.findings:
        lines.append("No findings.")
    lines.append(f"Audience: {report.audience}")
    return "\n".join(lines)


SEGMENT_LABELS = (
    ("new_text", "New text"),
    ("greeting", "Greeting"),
    ("body", "Body"),
    ("signoff", "Sign-off"),
    ("signature", "Signature"),
    ("quote", "Quote"),
)


def render_segmentation(parts: dict) -> str:
    sections = []
    for key, label in SEGMENT_LABELS:
        text = parts[key]
        sections.append(f"{label}:\n{_indented(text)}" if text else f"{label}: (none)")
    return "\n\n".join(sections)


def render_catalog(catalog: dict) -> str:
    rules = catalog["rules"]
    width = max((len(rule["id"]) for rule in rules), default=0)
    lines = []
    for rule in rules:
        severity = rule["default_severity"] + (" (preview)" if rule["preview"] else "")
        lines.append(f"{rule['id']:<{width}}  {severity:<18}  {rule['summary']}")
        if rule["docs"]:
            lines.append(f"{'':<{width}}  docs: {rule['docs']}")
    if not rules:
        lines.append("No rules are installed.")
    if catalog["errors"]:
        lines.append("")
        lines.append("Rule plugins that failed to load (skipped):")
        lines += [f"{INDENT}{error['source']}: {error['error']}" for error in catalog["errors"]]
    return "\n".join(lines)
