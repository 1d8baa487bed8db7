"""Reliability and security suite: faults, hostile input, auth and secrets, through the real proxy."""
