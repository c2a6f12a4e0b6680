"""Supplier-name resolution around the dbt models: measuring the rules against labelled names."""
