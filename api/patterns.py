"""The text patterns the API accepts, each with the words a person is told when it fails.

Patterns stay in the published schema (clients validate with them); people get the words
(``api.errors`` swaps them in), never a regular expression.
"""

EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
SLUG = r"^[a-z][a-z0-9_]{0,39}$"
ID = r"^[A-Za-z0-9-]+$"
CLOCK_TIME = r"^(([01]\d|2[0-3]):[0-5]\d|24:00)$"
LAT_LON = r"^\s*-?\d+(\.\d+)?\s*,\s*-?\d+(\.\d+)?\s*$"
PRINTABLE_ASCII = r"^[\x21-\x7e]+$"
CURSOR = r"^[A-Za-z0-9_-]+$"

IN_WORDS = {
    EMAIL: "must be an email address like name@example.org",
    SLUG: "must be a short lowercase name like 'cooking' or 'first_aid': a letter, then "
    "letters, digits or _ (at most 40)",
    ID: "must be an id as the API gave it, like 0b7e4f9c-5d1e-4c8a-9a51-2f0c7d3e8b11",
    CLOCK_TIME: "must be a time like 09:30 (from 00:00 to 24:00)",
    LAT_LON: "must be a point as latitude,longitude like 51.5072,-0.1276",
    PRINTABLE_ASCII: "must be printable ASCII without spaces, like a UUID",
    CURSOR: "must be the next_cursor of a previous page, as it was given",
}
"""What each pattern means, said as a person would."""
