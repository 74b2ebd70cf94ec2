"""The routes, one module a feature."""
