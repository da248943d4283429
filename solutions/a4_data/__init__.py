"""Assignment 4: data, from a raw web crawl to a training set. See README.md for the handout."""
