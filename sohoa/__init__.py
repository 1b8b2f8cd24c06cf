"""sohoa: shared record model, settings, errors and file utilities used by every stage."""

__version__ = "0.1.0"
