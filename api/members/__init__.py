"""Members: their gifts, their week, where they live and how far they go."""
