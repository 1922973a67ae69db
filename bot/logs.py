"""Logging that never writes secrets or personal data.

A filter on the root handlers rewrites every record: Slack and API tokens, bearer headers,
e-mail addresses and phone numbers are replaced before anything is formatted to a sink.
"""

from __future__ import annotations

import logging
import re

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{6,}"), "[slack-token]"),
    (re.compile(r"\bxapp-[A-Za-z0-9-]{6,}"), "[slack-token]"),
    (re.compile(r"\bsk-[A-Za-z0-9_-]{12,}"), "[api-key]"),
    (re.compile(r"(?i)(?<![a-z0-9])(bearer|token|api[_-]?key|secret|password)\b(\s*[:=]\s*|\s+)"
                r"[\"']?[A-Za-z0-9._~+/=-]{6,}"), r"\1\2[redacted]"),
    (re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"), "[email]"),
    # phone numbers, but not ISO dates or IPv4 addresses (they keep logs useful)
    (re.compile(r"(?<![\w.:/-])(?!\d{4}-\d\d-\d\d)(?!\d{1,3}(\.\d{1,3}){3}(?![\d.]))"
                r"\+?\d[\d ()./-]{7,}\d(?![\w.])"), "[phone]"),
)


def redact(text: str) -> str:
    """``text`` with tokens, secrets, e-mails and phone numbers replaced."""
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


class RedactingFilter(logging.Filter):
    """Formats the message once, redacts it, and drops the arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is still logged, redacted
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            # format the traceback now: the handler would format it after this filter, unredacted
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def install_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the filter to every handler of ``logger`` (root by default), once."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
