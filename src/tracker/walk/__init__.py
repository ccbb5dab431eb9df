"""The walk, in pipeline order: git history (``git``: the only module that reaches git) → the
facts in force at each commit (``snapshots``, with ``symlinks`` for linked files and
``checkpoint`` for the facts kept in ``facts.jsonl``) → the fields that changed (``diff``) → the
events (``classify``). Nothing here renders or writes the ledger."""
