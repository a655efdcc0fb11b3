"""Team sharing: publish run records to an MLflow tracking server and pull them back (docs/team.md).

`server.py` (which server, the client with bounded waits, failures as kinds),
`mapping.py` (a record as an MLflow run: params, metrics, tags), `publish.py`
(idempotent publish, failures queued), `pending.py` (the queue in the history
folder), `pull.py` (list the server's runs, pull validated records). MLflow is
an optional extra, imported late; nothing here imports Qt.
"""
