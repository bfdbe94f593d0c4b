"""NTF-1, NTF-3: every message template another service asks notify_svc for exists among notify's defaults.

ticket_svc and billing_svc name the template in their NotificationRequest events; a name notify does
not know would be skipped at delivery. This reads the names from their code, so a new alert without
its template fails here, not in production.
"""
import re
from pathlib import Path

from notify_svc.domain.defaults import default_templates

ROOT = Path(__file__).resolve().parents[2]
ASKED = {
    "ticket_svc": (ROOT / "services/ticket_svc/ticket_svc",
                   re.compile(r'Alert\(\s*"[a-z_]+",\s*\([^)]*\),\s*"(ticket\.[a-z_]+)"')),
    "billing_svc": (ROOT / "services/billing_svc/billing_svc", re.compile(r'"(billing [a-z ]+)"')),
}


def test_NTF1_every_template_ticket_and_billing_ask_for_is_seeded_by_notify():
    known = {t.name for t in default_templates()}
    missing = {}
    for service, (folder, pattern) in ASKED.items():
        asked = {m for path in folder.rglob("*.py") for m in pattern.findall(path.read_text())}
        assert asked, f"found no template names in {service}: the pattern is out of date"
        missing[service] = sorted(asked - known)
    assert missing == {"ticket_svc": [], "billing_svc": []}
