"""``python -m tracker``: the command line, ended the usual way (a profiler or coverage run
this way writes its report at exit); the ``tracker`` script ends faster (tracker.cli.main)."""

from tracker.cli import cli

cli(prog_name="tracker")
