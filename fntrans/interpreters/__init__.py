"""Transforms as interpreters: one module each."""
