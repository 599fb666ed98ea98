"""``python -m noac``: the command line, where the ``noac`` script is not on the PATH."""

from noac.cli import app

if __name__ == "__main__":
    app(prog_name="noac")
