"""The password policy: at least 12 characters, not a common password (NIST SP 800-63B: length and a
blocklist, no composition rules). Existing accounts keep their password until they set a new one.

The list (`common_passwords.txt`, ~6,800 entries) ships with the package; `infra/passwords/` rebuilds it.
A password is refused when its lower-case form, or its core without leading/trailing digits and symbols
("Flamengo2025!" → "flamengo"), is in the list, or when it contains the user name.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

from gtvision.core.errors import Invalid

MIN_LENGTH = 12
_EDGES = string.digits + string.punctuation + string.whitespace
_LIST = Path(__file__).with_name("common_passwords.txt")


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list, lower case (read once per process)."""
    lines = _LIST.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and not line.startswith("#"))


def check(password: str, username: str | None = None) -> None:
    """422 `weak_password` (the reason in pt-BR) unless the password meets the policy."""
    if len(password) < MIN_LENGTH:
        raise Invalid("weak_password", f"a senha deve ter ao menos {MIN_LENGTH} caracteres")
    low = password.lower()
    core = low.strip(_EDGES)
    common = common_passwords()
    if low in common or (len(core) >= 4 and core in common):
        raise Invalid("weak_password", "senha comum demais: escolha uma frase ou combinação menos previsível")
    if username and len(username) >= 4 and username.lower() in low:
        raise Invalid("weak_password", "a senha não pode conter o nome de usuário")
