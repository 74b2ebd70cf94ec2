"""Sentinela: vehicle search by plate, colour and type, in reads and in recordings."""
