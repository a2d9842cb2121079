"""duizhao (对照): offline Chinese→English parallel-text reader and translation pipeline."""

__version__ = "0.1.0"
