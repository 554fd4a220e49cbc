"""``python -m crawler``: the newscrawl command line."""

from crawler.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
