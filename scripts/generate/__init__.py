"""Realistic synthetic networks, built on real places and loaded fast, for benchmarks and demos.

``synthesis`` draws a whole network as numpy columns from a seed (``places``, ``members`` and
``needs`` do the drawing; ``vocabulary`` holds the words and weekly rhythms, ``sampling`` the
shared helpers). ``rows`` renders slices of it as database rows; ``load`` streams them into
PostgreSQL (``load_postgres``: COPY) or SQLite (``load_sqlite``: batched executemany), both
refusing a database that already holds a network (``guard``) and reporting progress
(``report``; ``progress`` is the CLI's rich bar). ``api_keys`` issues benchmark keys and writes
the keys file, whose shape it documents. ``pipeline.generate`` runs it all, as
``python -m scripts generate`` does.
"""
