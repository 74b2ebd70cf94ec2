"""Encryption of secrets at rest (camera passwords, webhook secrets) with AES-256-GCM.

The key is GTV_DATA_KEY (base64 of 32 bytes), held by the deployment (a NoEcho parameter or a secret);
locally it is generated once into .local/secrets.json.
"""

from __future__ import annotations

import base64
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gtvision.settings import get_settings

_VERSION = b"\x01"


def _key() -> bytes:
    raw = get_settings().data_key
    if not raw:
        raise RuntimeError("GTV_DATA_KEY is not set")
    key = base64.b64decode(raw)
    if len(key) != 32:
        raise RuntimeError("GTV_DATA_KEY must be base64 of 32 bytes")
    return key


def new_key_b64() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def encrypt(plaintext: str, context: str) -> bytes:
    """Encrypt `plaintext`, binding it to `context` (e.g. the camera id) so ciphertexts can't be swapped."""
    nonce = os.urandom(12)
    return _VERSION + nonce + AESGCM(_key()).encrypt(nonce, plaintext.encode(), context.encode())


def decrypt(blob: bytes, context: str) -> str:
    blob = bytes(blob)
    if blob[:1] != _VERSION:
        raise ValueError("unknown ciphertext version")
    return AESGCM(_key()).decrypt(blob[1:13], blob[13:], context.encode()).decode()
