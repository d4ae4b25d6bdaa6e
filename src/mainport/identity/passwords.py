"""Password hashing (argon2id) and the password policy (NIST SP 800-63B: length, not a known-bad choice)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mainport.errors import ValidationFailed

_hasher = PasswordHasher()

MIN_LENGTH = 12
# Long enough for any passphrase; bounded because hashing a megabyte per guess is a denial of service.
MAX_LENGTH = 256
# The most common choices that pass the length rule (breach corpora); refused whatever their length.
COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "12345678901234",
        "qwertyuiopas",
        "qwertyuiop123",
        "password1234",
        "password12345",
        "passwordpassword",
        "administrator",
        "administrator1",
        "changemechangeme",
        "letmeinletmein",
        "welcome12345",
        "iloveyou1234",
        "aaaaaaaaaaaa",
        "abcdefghijkl",
        "abc123abc123",
        "mainportmainport",
        "mainport1234",
    }
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    if len(password) > MAX_LENGTH:
        return False  # never hash an unbounded input
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def check_policy(password: str, *, username: str = "") -> None:
    """Refuse a password that breaks the policy, in one line that says what to do."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"password too short: at least {MIN_LENGTH} characters (got {len(password)}); use a few words"
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(f"password too long: at most {MAX_LENGTH} characters (got {len(password)})")
    if not password.strip():
        raise ValidationFailed("password must not be only spaces")
    lowered = password.lower()
    if username and username.lower() in lowered:
        raise ValidationFailed("password must not contain the user name")
    if lowered in COMMON or len(set(password)) < 4:
        raise ValidationFailed("password is too easy to guess: choose one that is not a common password")
