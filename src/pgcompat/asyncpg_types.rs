//! asyncpg's type lookup, answered by a query DataFusion can run.
//!
//! asyncpg knows the codecs of scalar built-in types; for any other type a statement
//! describes (arrays such as `float8[]` included) it first runs its introspection query
//! (`WITH RECURSIVE typeinfo_tree ...` in asyncpg's `introspection.py`): recursive CTEs,
//! correlated subqueries inside CASE, and `oid[]` result columns. DataFusion cannot plan
//! it, and its `int4[]` columns would need a lookup of their own (asyncpg recursed until
//! Python's stack ran out). mediasql has no domains, ranges or composite types, so the
//! answer is each type asked for and the element type of each array, with the same
//! columns, in the same order (element types first).

/// The query answering asyncpg's, when `sql` is asyncpg's type lookup.
pub fn replacement(sql: &str) -> Option<&'static str> {
    (sql.contains("typeinfo_tree") && sql.contains("attrtypoids")).then_some(TYPES_ASKED_FOR)
}

const TYPES_ASKED_FOR: &str = "\
SELECT * FROM (
  SELECT t.oid, ns.nspname AS ns, t.typname AS name, t.typtype AS kind,
    CAST(NULL AS INT) AS basetype, t.typelem AS elemtype, elem_t.typdelim AS elemdelim,
    CAST(NULL AS INT) AS range_subtype, CAST(NULL AS TEXT[]) AS attrtypoids,
    CAST(NULL AS TEXT[]) AS attrnames, 0 AS depth, CAST(NULL AS TEXT) AS basetype_name,
    elem_t.typname AS elemtype_name, CAST(NULL AS TEXT) AS range_subtype_name
  FROM pg_catalog.pg_type t
    JOIN pg_catalog.pg_namespace ns ON ns.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_type elem_t ON t.typelem <> 0 AND elem_t.oid = t.typelem
  WHERE t.oid = any($1::oid[])
  UNION ALL
  SELECT e.oid, ns.nspname, e.typname, e.typtype, NULL, e.typelem, NULL, NULL, NULL, NULL, 1,
    NULL, NULL, NULL
  FROM pg_catalog.pg_type t
    JOIN pg_catalog.pg_type e ON t.typelem <> 0 AND e.oid = t.typelem
    JOIN pg_catalog.pg_namespace ns ON ns.oid = e.typnamespace
  WHERE t.oid = any($1::oid[])
) AS typeinfo ORDER BY depth DESC";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_asyncpgs_lookup_is_replaced() {
        assert!(replacement("WITH RECURSIVE typeinfo_tree(oid, attrtypoids) AS (..)").is_some());
        assert!(replacement("SELECT * FROM pg_type").is_none());
    }
}
