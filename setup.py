"""For `scrapyd-deploy`, which builds the project's egg by running setup.py: the metadata, the
packages and the Scrapy settings entry point all come from pyproject.toml."""

from setuptools import setup

setup()
