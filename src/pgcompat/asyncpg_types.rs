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

use datafusion::sql::parser::Statement as SqlStatement;
use datafusion::sql::sqlparser::ast::Statement;
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// asyncpg's type lookup, and the statement that answers it.
pub struct TypeLookup {
    answer: Option<SqlStatement>,
}

impl TypeLookup {
    /// Parses the answer (once per engine).
    pub fn new() -> Self {
        let dialect = PostgreSqlDialect {};
        let answer = Parser::parse_sql(&dialect, TYPES_ASKED_FOR)
            .ok()
            .and_then(|mut statements| statements.pop())
            .map(|s| SqlStatement::Statement(Box::new(s)));
        Self { answer }
    }

    /// `statement` answered by the lookup's substitute when it is asyncpg's type lookup.
    pub fn rewrite(&self, statement: &mut SqlStatement) {
        if is_lookup(statement)
            && let Some(answer) = &self.answer
        {
            answer.clone_into(statement);
        }
    }
}

impl Default for TypeLookup {
    fn default() -> Self {
        Self::new()
    }
}

/// Whether `statement` is asyncpg's lookup: a query over the recursive CTE `typeinfo_tree`.
fn is_lookup(statement: &SqlStatement) -> bool {
    let SqlStatement::Statement(s) = statement else {
        return false;
    };
    let Statement::Query(query) = s.as_ref() else {
        return false;
    };
    query.with.as_ref().is_some_and(|with| {
        with.cte_tables
            .iter()
            .any(|cte| cte.alias.name.value.eq_ignore_ascii_case("typeinfo_tree"))
    })
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
    use crate::pgcompat::ast::parsed;

    #[test]
    fn only_asyncpgs_lookup_is_replaced() {
        let lookup = TypeLookup::new();
        let mut asyncpg = parsed(
            "WITH RECURSIVE typeinfo_tree(oid, attrtypoids) AS (SELECT 1, 2) \
             SELECT * FROM typeinfo_tree",
        );
        lookup.rewrite(&mut asyncpg);
        assert!(
            asyncpg
                .to_string()
                .contains("AS typeinfo ORDER BY depth DESC"),
            "{asyncpg}"
        );
        let mut other = parsed("SELECT * FROM pg_type");
        lookup.rewrite(&mut other);
        assert_eq!(other.to_string(), "SELECT * FROM pg_type");
    }
}
