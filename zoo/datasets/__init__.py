"""Small datasets zoo generates itself, offline and reproducibly (the sequence models' dates task)."""
