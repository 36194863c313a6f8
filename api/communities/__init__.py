"""Communities and their coordinators."""
