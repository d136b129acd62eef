"""packstation core: plain Python, no Qt, no HTTP, no devices."""

__version__ = "0.1.0"
