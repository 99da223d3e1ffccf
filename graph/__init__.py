"""The Neo4j side of flowatlas: driver, schema, loading and every query."""
