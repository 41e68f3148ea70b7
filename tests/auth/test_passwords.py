"""Password hashes: scrypt, self-describing, salted, verified in constant time."""

from __future__ import annotations

from embargo.auth import passwords


def test_hash_verifies_the_password_and_nothing_else() -> None:
    stored = passwords.hash_password("correct horse battery")
    assert passwords.verify_password("correct horse battery", stored)
    assert not passwords.verify_password("correct horse batterY", stored)
    assert not passwords.verify_password("", stored)


def test_hash_string_names_its_algorithm_and_parameters() -> None:
    stored = passwords.hash_password("correct horse battery")
    scheme, params, salt, digest = stored.split("$")
    assert scheme == "scrypt"
    assert params == "n=16384,r=8,p=1"
    assert len(passwords._unb64(salt)) == 16 and len(passwords._unb64(digest)) == 32
    assert "correct horse battery" not in stored
    assert not passwords.needs_rehash(stored)


def test_same_password_twice_gives_different_hashes() -> None:
    assert passwords.hash_password("same password!") != passwords.hash_password("same password!")


def test_other_parameters_still_verify_and_ask_for_a_rehash() -> None:
    import base64
    import hashlib

    salt = b"0123456789abcdef"
    digest = hashlib.scrypt(b"older password", salt=salt, n=2**12, r=8, p=1, dklen=32)
    b64 = lambda b: base64.b64encode(b).decode().rstrip("=")  # noqa: E731
    stored = f"scrypt$n=4096,r=8,p=1${b64(salt)}${b64(digest)}"
    assert passwords.verify_password("older password", stored)
    assert passwords.needs_rehash(stored)


def test_malformed_or_foreign_hashes_never_verify() -> None:
    for stored in ("", "plain", "bcrypt$x$y$z", "scrypt$n=abc$x$y", "scrypt$n=2,r=1$x$y"):
        assert not passwords.verify_password("anything", stored)
        assert passwords.needs_rehash(stored)


def test_generated_passwords_are_long_and_distinct() -> None:
    made = {passwords.generate_password() for _ in range(50)}
    assert len(made) == 50 and all(len(p) >= 20 for p in made)
