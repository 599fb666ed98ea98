"""NOAC: Next Operation As Customer, the internal-customer quality system."""
