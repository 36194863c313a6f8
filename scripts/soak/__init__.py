"""``make soak``: bounded mixed read/write load on a live server, then invariants in SQL.

``workload`` drives the API from a thread pool and keeps a ledger of what the server
confirmed; ``invariants`` checks the database against the ledger; ``cli`` prepares the
throwaway database, runs the server and writes ``bench/soak.json`` and ``docs/soak.md``.
"""
