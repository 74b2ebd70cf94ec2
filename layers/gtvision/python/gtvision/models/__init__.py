"""Request models (pydantic), one module per area; ``common`` holds ``Strict``, ``UuidStr`` and ``parse``."""
