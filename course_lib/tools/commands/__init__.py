"""Subcommands of `course`, one module each (see course_lib/cli.py for the contract)."""
