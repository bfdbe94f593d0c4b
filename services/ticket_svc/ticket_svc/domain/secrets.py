"""Secrets that customers paste are masked before they are stored or shown (TKT-9). Pure Python.

Seed 001 section 6: when a password is needed the customer must be reminded to change it
afterwards; the platform goes further and never keeps the secret itself.
"""
from __future__ import annotations

import re

MASK = "******"

_LABELLED = re.compile(
    r"(?P<label>(?:密码|口令|密钥|秘钥|password|passwd|pwd|pass|secret|token|api[ _-]?key|access[ _-]?key"
    r"(?:[ _-]?(?:id|secret))?|private[ _-]?key)\s*(?:is|是|为|:|：|=)\s*)(?P<value>[^\s,，;；。]+)",
    re.IGNORECASE,
)
_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),            # AWS access key id
    re.compile(r"\bLTAI[0-9A-Za-z]{12,24}\b"),      # Alibaba Cloud AccessKey id
    re.compile(r"\bsk-[A-Za-z0-9]{20,}\b"),          # common API secret shape
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),   # GitHub tokens
)


def mask_secrets(text: str) -> tuple[str, bool]:
    """The text with secrets replaced by ``******``, and whether anything was masked."""
    masked = _LABELLED.sub(lambda m: m.group("label") + MASK, text)
    for pattern in _PATTERNS:
        masked = pattern.sub(MASK, masked)
    return masked, masked != text
