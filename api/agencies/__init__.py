"""Partner agencies (food banks, schools, shelters) that post requests."""
