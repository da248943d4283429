"""The course's tooling, apart from the lectures' library: what runs the course, not what it teaches.

=================  ===================================================================
module             what it holds
=================  ===================================================================
``cli``            the ``course`` command; discovers the subcommands in ``commands``
``commands``       one module per ``course`` subcommand (``NAME``, ``HELP``, ``add_arguments``, ``run``)
``grading``        the autograder behind ``course grade`` (its runner's docstring is the trust model)
``release``        ``course release``: the answer key in ``solutions/`` to the skeletons in ``assignments/``
``notebooks``      ``course execute``: run a notebook in place on a fresh kernel, timed
``syllabus``       the course map, the single source of the README's table
``paths``          where the repository and the cache are
``argcheck``       checks of command-line values, shared by the subcommands
=================  ===================================================================

Nothing here is imported by ``import course_lib``; the lectures' packages use only ``paths``.
"""
