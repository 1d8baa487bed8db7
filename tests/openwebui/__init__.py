"""Opt-in Open WebUI browser test (make openwebui-test)."""
