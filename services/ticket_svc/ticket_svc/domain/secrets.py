"""Secrets that customers paste are masked before they are stored or shown (TKT-9). Pure Python.

Seed 001 section 6: when a password is needed the customer must be reminded to change it
afterwards; the platform goes further and never keeps the secret itself.

Customers paste secrets in prose (``密码Abc@123456``, ``登录密码 Abc12345``, ``root/Passw0rd!2026``),
in shell commands (``mysql -uroot -pS3cret``, ``sshpass -p 'x'``, ``PGPASSWORD=x psql``), in
connection URIs (``postgresql://app:secret@db``) and in configuration (``DB_PASSWORD=x``,
``"password": "x"``, ``password: x``). A label alone is not enough: ``bypass = enabled``,
``密码学``, ``密码错误``, ``password is wrong`` name no secret. What is masked is the value, so the
message still reads (``密码 ******``). The labelled corpus in the unit tests measures it.
"""
from __future__ import annotations

import re

MASK = "******"

# the labels a secret follows; English ones only as whole words (``bypass`` is no ``pass``), but
# as the end of a config key (``DB_PASSWORD``, ``mysql_root_password``)
_EN_LABEL = (r"(?<![A-Za-z])(?:[A-Za-z0-9]+[_.-])*(?:password|passwd|pwd|pass|passphrase|secret|token|"
             r"api[ _-]?key|apikey|app[ _-]?secret|app[ _-]?key|secret[ _-]?id|"
             r"access[ _-]?key(?:[ _-]?(?:id|secret))?|accesskeysecret|secret[ _-]?key|"
             r"private[ _-]?key|auth[ _-]?token|client[ _-]?secret)(?![A-Za-z])")
_ZH_LABEL = r"(?:密码|口令|密钥|秘钥|暗码|登录密码|root密码)"
# what a value may be made of: ASCII without spaces or quotes (a Chinese word is never the value)
_VALUE = r"[!#-&(-~]+"

# label, explicit separator (quotes of JSON/YAML allowed), value
_SEPARATED = re.compile(
    rf"(?P<label>(?:{_EN_LABEL}|{_ZH_LABEL})[\"']?\s*(?:is|是|为|:|：|=|=>)\s*[\"']?)(?P<value>{_VALUE})",
    re.IGNORECASE)
# a Chinese label followed directly or after spaces by the value: 密码Abc@123456, 登录密码 Abc12345
_ADJACENT = re.compile(rf"(?P<label>{_ZH_LABEL}\s*(?:[:：]\s*)?)(?P<value>{_VALUE})")
# a Chinese label, a few words, then the value: 密码，我输的是 Abc_12345
_LATER = re.compile(rf"(?P<label>{_ZH_LABEL}[^\x00-\x7f。\n]{{0,12}}?(?:是|为|[:：])\s*)(?P<value>{_VALUE})")
# user/password: root/Passw0rd!2026, admin / Admin@2026
_USER_SLASH = re.compile(
    r"(?P<label>(?<![A-Za-z0-9/])(?:root|admin|administrator|ubuntu|centos|ec2-user|sa|postgres|mysql|oracle|"
    r"user|test|guest|ftpuser|www)\s*/\s*)(?P<value>[!#-&(-.0-~]+)", re.IGNORECASE)
_SHELL = (
    # mysql -uroot -pSecret (mysql's password sticks to -p; -P is the port)
    re.compile(r"(?P<label>\bmysql(?:dump|admin|sh)?\b[^\n]*?\s-p)(?P<value>[^\s'\"]+|'[^']*'|\"[^\"]*\")"),
    # sshpass -p 'secret', sshpass -p secret
    re.compile(r"(?P<label>\bsshpass\s+-p\s*)(?P<value>'[^']*'|\"[^\"]*\"|\S+)"),
    # PGPASSWORD=x, MYSQL_PWD=x, REDISCLI_AUTH=x in front of a command
    re.compile(r"(?P<label>\b(?:PGPASSWORD|MYSQL_PWD|REDISCLI_AUTH)=)(?P<value>'[^']*'|\"[^\"]*\"|\S+)"),
    # redis-cli -a secret
    re.compile(r"(?P<label>\bredis-cli\b[^\n]*?\s-a\s+)(?P<value>'[^']*'|\"[^\"]*\"|\S+)"),
    # curl -u user:secret, define('DB_PASSWORD', 'secret'), requirepass secret (redis.conf)
    re.compile(r"(?P<label>\bcurl\b[^\n]*?\s(?:-u|--user)\s+[^\s:]+:)(?P<value>'[^']*'|\"[^\"]*\"|\S+)"),
    re.compile(r"(?P<label>define\(\s*['\"][A-Z_]*(?:PASSWORD|SECRET|KEY)['\"]\s*,\s*['\"])(?P<value>[^'\"]+)"),
    re.compile(r"(?P<label>^\s*(?:requirepass|masterauth)\s+)(?P<value>\S+)", re.MULTILINE),
    # docker login -p secret / --password secret
    re.compile(r"(?P<label>\bdocker\s+login\b[^\n]*?\s(?:-p|--password)\s+)(?P<value>'[^']*'|\"[^\"]*\"|\S+)"),
    # Authorization: Bearer xxx / Basic xxx
    re.compile(r"(?P<label>\b(?:Bearer|Basic)\s+)(?P<value>[A-Za-z0-9._~+/=-]{12,})"),
)
# scheme://user:secret@host
_URI = re.compile(r"(?P<label>\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s/:@]*:)(?P<value>[^\s@/]+)(?=@)")
_PATTERNS = (
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),            # AWS access key id
    re.compile(r"\bLTAI[0-9A-Za-z]{12,24}\b"),      # Alibaba Cloud AccessKey id
    re.compile(r"\bsk-[A-Za-z0-9]{20,}\b"),          # common API secret shape
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),   # GitHub tokens
    re.compile(r"\beyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),   # a JWT
)

# values after a label that state something about it rather than being it
_NOT_A_VALUE = frozenset({
    "enabled", "disabled", "enable", "disable", "true", "false", "yes", "no", "on", "off", "none", "null", "nil",
    "empty", "wrong", "incorrect", "invalid", "expired", "required", "reset", "changed", "correct", "not", "too",
    "the", "set", "unset", "ok", "missing", "forgotten", "locked", "blank", "same", "different", "weak",
    "strong", "short", "long", "ignored", "hidden", "masked", "redacted", "xxx", "xxxx", "xxxxxx", "***",
    "******", "<password>", "your_password", "yourpassword", "changeme?", "login", "policy", "field", "reset.",
})


def _looks_secret(value: str, strict: bool) -> bool:
    """``strict`` (no explicit separator): it must look like a password: 6+ characters of at
    least two kinds (letters, digits, symbols)."""
    bare = value.strip("'\"")
    word = bare.rstrip("!?:").lower()
    if len(bare) < (6 if strict else 3) or word in _NOT_A_VALUE or set(bare) <= {"*", "x", "X"}:
        return False
    if bare.startswith(("http://", "https://")):
        return False
    if not strict:
        return True
    kinds = sum((any(c.isalpha() for c in bare), any(c.isdigit() for c in bare),
                 any(not c.isalnum() for c in bare)))
    return kinds >= 2


def _masker(strict: bool):
    def replace(match: re.Match) -> str:
        value = match.group("value")
        trail = ""
        while len(value) > 1 and value[-1] in ".,;)":     # the sentence's punctuation, not the secret's
            trail, value = value[-1] + trail, value[:-1]
        if not _looks_secret(value, strict):
            return match.group(0)
        return match.group("label") + MASK + trail
    return replace


def mask_secrets(text: str) -> tuple[str, bool]:
    """The text with secrets replaced by ``******``, and whether anything was masked."""
    masked = _URI.sub(_masker(False), text)
    for pattern in _SHELL:
        masked = pattern.sub(_masker(False), masked)
    masked = _SEPARATED.sub(_masker(False), masked)
    masked = _ADJACENT.sub(_masker(True), masked)
    masked = _LATER.sub(_masker(True), masked)
    masked = _USER_SLASH.sub(_masker(True), masked)
    for pattern in _PATTERNS:
        masked = pattern.sub(MASK, masked)
    return masked, masked != text
