"""Password hashing with scrypt (standard library), stored as a self-describing string::

    scrypt$n=16384,r=8,p=1$<salt, base64>$<hash, base64>

The parameters travel with each hash, so raising them later leaves old hashes verifiable
(``needs_rehash`` tells when to replace one at the next login).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

N, R, P = 2**14, 8, 1
SALT_BYTES = 16
HASH_BYTES = 32
_MAXMEM = 64 * 1024 * 1024


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(SALT_BYTES)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=N, r=R, p=P, dklen=HASH_BYTES, maxmem=_MAXMEM
    )
    return f"scrypt$n={N},r={R},p={P}${_b64(salt)}${_b64(digest)}"


def _parse(stored: str) -> tuple[int, int, int, bytes, bytes] | None:
    try:
        scheme, params, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return None
        values = dict(part.split("=", 1) for part in params.split(","))
        n, r, p = int(values["n"]), int(values["r"]), int(values["p"])
        if n < 2 or n > 2**20 or r < 1 or r > 32 or p < 1 or p > 16:
            return None
        return n, r, p, _unb64(salt), _unb64(digest)
    except (ValueError, KeyError):
        return None


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches ``stored``; False for a malformed stored hash."""
    parsed = _parse(stored)
    if parsed is None:
        return False
    n, r, p, salt, digest = parsed
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=len(digest), maxmem=_MAXMEM
    )
    return hmac.compare_digest(candidate, digest)


def needs_rehash(stored: str) -> bool:
    parsed = _parse(stored)
    return parsed is None or parsed[:3] != (N, R, P)


# A hash of a random password, checked against when the user name is unknown, so that a
# wrong name costs as much time as a wrong password and does not reveal which names exist.
DUMMY_HASH = hash_password(secrets.token_urlsafe(16))


def generate_password() -> str:
    """A random password of 20 URL-safe characters (about 120 bits)."""
    return secrets.token_urlsafe(15)
