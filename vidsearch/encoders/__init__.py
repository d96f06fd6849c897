"""Encoders that turn text, images and faces into L2-normalised vectors, one protocol per modality."""
