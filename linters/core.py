"""`lint(draft, policy) -> Report`: the whole core behind one pure function."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Mapping

from .context import LintContext
from .model import Draft, Finding, PolicyRef, Report, Severity
from .policy import Policy, default_policy
from .schema import load_draft


def _matches_any(patterns, value: str) -> bool:
    return any(p.search(value) for p in patterns)


def _matchable(value: str) -> str:
    """`value` as RE2 can read it: a lone surrogate (possible in a Draft built in Python; the
    schema refuses them) becomes U+FFFD instead of an exception."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "replace").decode("utf-8")
    return value


def lint(draft: Draft | Mapping, policy: Policy | None = None) -> Report:
    """Lint one draft under a policy (the built-in defaults when None).

    A dict is validated as Draft JSON first (raising marshmallow.ValidationError naming the field).
    """
    started = time.perf_counter()
    if not isinstance(draft, Draft):
        draft = load_draft(draft)
    policy = policy or default_policy()
    ctx = LintContext(draft, unknown_group_size=policy.unknown_group_size)
    findings: list[Finding] = []
    failed: list[str] = []
    sender = _matchable(draft.sender.email) if draft.sender else ""
    subject = _matchable(draft.subject)
    exempt = _matches_any(policy.exempt_subjects, subject) or (
        bool(sender) and any(p.fullmatch(sender) for p in policy.exempt_senders)
    )
    if not exempt:
        for rule in policy.registry:
            settings = policy.rules[rule.id]
            if settings.severity is Severity.OFF:
                continue
            if settings.exempt_subjects and _matches_any(settings.exempt_subjects, subject):
                continue
            try:
                found = list(rule.check(ctx, settings.options))
            except Exception:  # any fault of one rule; the others still speak (fail open)
                failed.append(rule.id)
                continue
            for finding in found:
                if finding.severity is not settings.severity:
                    finding = dataclasses.replace(finding, severity=settings.severity)
                findings.append(finding)
    findings.sort(key=lambda f: -f.severity.rank)
    return Report(
        findings=tuple(findings),
        audience=ctx.audience,
        policy=PolicyRef(policy.org, policy.version),
        elapsed_ms=(time.perf_counter() - started) * 1000,
        failed_rules=tuple(failed),
    )
