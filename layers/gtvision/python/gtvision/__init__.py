"""GT-Vision domain package: settings, data access, logic and API blueprints shared by every function."""

#: The software version evidence packages state (kept equal to pyproject.toml's by a test).
__version__ = "0.1.0"
