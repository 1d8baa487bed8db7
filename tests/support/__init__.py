"""Test support: real processes and local servers that speak real wire protocols."""
