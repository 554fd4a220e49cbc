"""``python -m crawler`` and the ``newscrawl`` command.

The command line is imported only when run: multiprocessing runs the parent's main script again
in every page worker it spawns, and a script importing the command line at its top loads Scrapy,
SQLAlchemy and the rest (about 55 MB) into each worker for nothing.
"""


def main() -> int:
    from crawler.cli import main as run

    return run()


if __name__ == "__main__":
    raise SystemExit(main())
