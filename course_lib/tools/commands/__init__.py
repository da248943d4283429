"""Subcommands of `course`, one module each (see course_lib/tools/cli.py for the contract)."""
