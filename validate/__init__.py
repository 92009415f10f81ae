"""Validate stage: the manual's rules, completeness and observer agreement.

Public API: ``validate_case``, ``validate_cases`` (-> ``ValidationReport``),
``accept_finding``, ``RULES`` (every rule id and its severity), and the JSON contract types ``Finding``, ``AgreementBlock``,
``CaseValidation``.
"""

from validate.engine import RULES, ValidationReport, accept_finding, validate_case, validate_cases
from validate.model import AgreementBlock, CaseValidation, Finding

__all__ = ["RULES", "AgreementBlock", "CaseValidation", "Finding", "ValidationReport", "accept_finding", "validate_case",
           "validate_cases"]
