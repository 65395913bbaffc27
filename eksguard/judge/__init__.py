"""Drives policy packs over resources and turns what they answer into one verdict per control."""
