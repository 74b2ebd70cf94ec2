"""Clips: requests, the worker that cuts them, legal holds, evidence, the reconciler."""
