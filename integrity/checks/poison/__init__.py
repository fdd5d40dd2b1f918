"""Poisoning indicators for data that feeds AI agents: expectation types in the suite format."""
