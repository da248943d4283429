"""Masking personally identifiable information: e-mail addresses, phone numbers, IP addresses.

    masked, counts = mask_pii("Write to ann@example.com or call (555) 123-4567.")
    # "Write to |||EMAIL_ADDRESS||| or call |||PHONE_NUMBER|||.", {"email": 1, "phone": 1, "ip": 0}

Regular expressions, as Dolma and CS336's assignment use; IPv6 candidates are validated with the
standard library's ``ipaddress``. Their misses are part of the lesson: ``ann at example dot com``
and numbers spelled out in words pass through.
"""

from __future__ import annotations

import ipaddress
import re

__all__ = ["MASKS", "mask_emails", "mask_phone_numbers", "mask_ips", "mask_pii"]

MASKS = {"email": "|||EMAIL_ADDRESS|||", "phone": "|||PHONE_NUMBER|||", "ip": "|||IP_ADDRESS|||"}

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# North American numbers (optional +1, area code maybe in parentheses, 3 + 4 digits), and
# international ones written with a leading "+" and the country code
_PHONE = re.compile(
    r"(?<![\w.+])(?:\+1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?!\w|[.-]\d)"
    r"|(?<![\w.+])\+\d{1,3}[\s.-]?\d{1,4}(?:[\s.-]?\d{2,8}){1,3}(?!\w|[.-]\d)"
)
_OCTET = r"(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)"
_IPV4 = re.compile(rf"(?<![\w.]){_OCTET}(?:\.{_OCTET}){{3}}(?!\w|\.\d)")
_IPV6_CANDIDATE = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")


def _check(text: str) -> None:
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")


def mask_emails(text: str) -> tuple[str, int]:
    """``text`` with every e-mail address replaced by ``|||EMAIL_ADDRESS|||``, and how many."""
    _check(text)
    return _EMAIL.subn(MASKS["email"], text)


def mask_phone_numbers(text: str) -> tuple[str, int]:
    """``text`` with phone numbers (``(555) 123-4567``, ``555-123-4567``, ``555.123.4567``,
    ``+1 555 123 4567``, ``+49 30 1234567``, ``+4930123456``) replaced by ``|||PHONE_NUMBER|||``."""
    _check(text)
    return _PHONE.subn(MASKS["phone"], text)


def _valid_ipv6(s: str) -> bool:
    try:
        ipaddress.IPv6Address(s)
    except ValueError:
        return False
    return True


def mask_ips(text: str) -> tuple[str, int]:
    """``text`` with IPv4 and IPv6 addresses replaced by ``|||IP_ADDRESS|||``, and how many."""
    _check(text)
    text, n4 = _IPV4.subn(MASKS["ip"], text)
    n6 = 0

    def repl(m: re.Match[str]) -> str:
        nonlocal n6
        if _valid_ipv6(m.group(0)):
            n6 += 1
            return MASKS["ip"]
        return m.group(0)

    text = _IPV6_CANDIDATE.sub(repl, text)
    return text, n4 + n6


def mask_pii(text: str) -> tuple[str, dict[str, int]]:
    """All three maskers (IP addresses first, so phone numbers cannot eat their digits); returns the
    masked text and the count of each kind (``email``, ``phone``, ``ip``)."""
    text, n_email = mask_emails(text)
    text, n_ip = mask_ips(text)
    text, n_phone = mask_phone_numbers(text)
    return text, {"email": n_email, "phone": n_phone, "ip": n_ip}
