import sys

from vmi_converter.server.cli import main

if __name__ == "__main__":
    sys.exit(main())
