"""draftlint's lint core: a draft in, a report out. No Flask, no database, no network."""

from .core import lint
from .model import Draft, Finding, Fix, Report, Severity, Span
from .policy import Policy

__all__ = ["Draft", "Finding", "Fix", "Policy", "Report", "Severity", "Span", "lint"]
