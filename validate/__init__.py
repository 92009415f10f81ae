"""Validate stage: the manual's rules, completeness and observer agreement.

Public API: ``validate_case``, ``validate_cases`` (-> ``ValidationReport``),
``accept_finding``, ``RULES`` (every rule id and its severity), and the JSON
contract types ``Finding``, ``AgreementBlock``, ``CaseValidation``.

The names are imported on first use: the statistics libraries behind them take
a second to load, which every `softa` command would otherwise pay.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from validate.engine import RULES, ValidationReport, accept_finding, validate_case, validate_cases
    from validate.model import AgreementBlock, CaseValidation, Finding

_SOURCES = {
    "RULES": "validate.engine", "ValidationReport": "validate.engine", "accept_finding": "validate.engine",
    "validate_case": "validate.engine", "validate_cases": "validate.engine",
    "AgreementBlock": "validate.model", "CaseValidation": "validate.model", "Finding": "validate.model",
}

__all__ = ["RULES", "AgreementBlock", "CaseValidation", "Finding", "ValidationReport", "accept_finding", "validate_case",
           "validate_cases"]


def __getattr__(name: str) -> Any:
    if name in _SOURCES:
        return getattr(import_module(_SOURCES[name]), name)
    raise AttributeError(f"module 'validate' has no attribute {name!r}")
