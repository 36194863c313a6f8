"""Sign-ups: a member taking a place in a need's role, safely under concurrency."""
