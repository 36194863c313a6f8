"""The 12-week simulated city (issue 17): policies for finding volunteers compared on the
same generated communities, agencies, needs and hidden member behaviour, seed by seed.

``make simulate`` / ``python -m scripts.simulate`` (see ``cli``); the model and the figures
are in docs/quality.md.
"""
