"""Icons, desktop files and demo scripts, shipped as package data."""
