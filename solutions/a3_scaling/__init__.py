"""Assignment 3: scaling laws."""
