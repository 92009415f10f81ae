"""Review: the local web app where a person resolves every flagged uncertainty.

Public API: ``review.app.create_app(db_path, *, secret=None)`` (the Flask app),
``review.cli.review_command`` (``softa review``), ``review.queue.build_queue``
(the open items, worst first) and the decisions in ``review.decisions`` (each
version-checked, stored and audited in one transaction).
"""
