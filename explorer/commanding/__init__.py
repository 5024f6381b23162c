"""Sending commands by hand: requests and their outcomes (`sending`), and demo scripts that send
them one after another (`scripts`)."""
