"""The deployment's data key and everything made from it.

The key is GTV_DATA_KEY (base64 of 32 bytes); in AWS it comes from the data-key secret (Secrets Manager,
read by ARN, ADR 0014); locally it is generated once into .local/secrets.json. :func:`data_key` is the one
place that reads and decodes it; from it come AES-256-GCM encryption of secrets at rest (camera passwords, webhook
secrets), HKDF-derived keys (the evidence signing seed) and the keyed plate pseudonym of retention.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from gtvision.core.settings import get_settings

# `cryptography` is imported by the functions that use it: most invocations of most functions never encrypt,
# and its import is ~20 ms of every cold start otherwise (ADR 0020).

_VERSION = b"\x01"


def data_key(data_key_b64: str | None = None, *, purpose: str = "") -> bytes:
    """The 32-byte data key: ``data_key_b64`` when given (another deployment's, for verification), else
    GTV_DATA_KEY. ``purpose`` says what cannot be done without it, in the error raised when it is unset."""
    raw = data_key_b64 if data_key_b64 is not None else get_settings().data_key
    if not raw:
        raise RuntimeError("GTV_DATA_KEY is not set" + (f": {purpose}" if purpose else ""))
    try:
        key = base64.b64decode(raw)
    except (binascii.Error, ValueError):
        raise RuntimeError("GTV_DATA_KEY must be base64 of 32 bytes") from None
    if len(key) != 32:
        raise RuntimeError("GTV_DATA_KEY must be base64 of 32 bytes")
    return key


def derived_key(info: bytes, data_key_b64: str | None = None, *, purpose: str = "") -> bytes:
    """32 bytes of HKDF-SHA256 over the data key for one use (``info``), so no extra secret is needed."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = data_key(data_key_b64, purpose=purpose)
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(key)


def plate_pseudonym(plate: str) -> str:
    """A keyed hash of a plate: stable (a data-subject request can still count old reads), not reversible
    without GTV_DATA_KEY, and never a valid plate."""
    key = data_key(purpose="plate reads cannot be anonymised")
    digest = hmac.new(key, b"gtvision/lpr-anonymise/" + plate.encode(), hashlib.sha256)
    return "anon:" + digest.hexdigest()[:32]


def encrypt(plaintext: str, context: str) -> bytes:
    """Encrypt `plaintext`, binding it to `context` (e.g. the camera id) so ciphertexts can't be swapped."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(data_key()).encrypt(nonce, plaintext.encode(), context.encode())


def decrypt(blob: bytes, context: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(data_key()).decrypt(blob[1:13], blob[13:], context.encode()).decode()
