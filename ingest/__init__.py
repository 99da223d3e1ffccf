"""Turns source files into plain records; knows nothing of Neo4j."""
