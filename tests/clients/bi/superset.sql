-- Apache Superset -> PostgreSQL via SQLAlchemy's postgresql+psycopg2 dialect.
-- Superset pins sqlalchemy>=1.4,<2 (pyproject.toml; requirements/base.txt: sqlalchemy==1.4.54, psycopg2-binary==2.9.6),
-- so these are the SQLAlchemy 1.4.54 reflection queries (text() strings in lib/sqlalchemy/dialects/postgresql/base.py).
-- They were rendered by driving SQLAlchemy 1.4.54's Inspector against a stub psycopg2 module that records the
-- statements after psycopg2-style client-side %(name)s interpolation -> the server receives plain literal SQL over
-- the SIMPLE query protocol (psycopg2 never uses bound parameters / extended protocol).
-- psycopg2 is not autocommit: it sends BEGIN before the first statement of each transaction and SQLAlchemy sends
-- ROLLBACK when the connection is returned to the pool (also right after first-connect initialize).
-- For the SQLAlchemy 2.0 (Core-construct) versions of the same reflection queries see sqlalchemy2.sql.
-- Superset flow: test connection -> SELECT 1; database/schema dropdowns -> get_catalog_names, get_schema_names;
-- table dropdown -> get_table_names + get_foreign_table_names + get_view_names; dataset/table metadata ->
-- get_columns, get_pk_constraint, get_foreign_keys, get_indexes, get_table_comment; preview -> select_star.

-- source: psycopg/psycopg2 lib/extras.py HstoreAdapter.get_oids, called by sqlalchemy lib/sqlalchemy/dialects/postgresql/psycopg2.py PGDialect_psycopg2.on_connect -> _hstore_oids (use_native_hstore=True default; runs first, on every new DBAPI connection's first use)
-- compare
SELECT t.oid, typarray
FROM pg_type t JOIN pg_namespace ns
    ON typnamespace = ns.oid
WHERE typname = 'hstore';
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect._get_server_version_info (from DefaultDialect.initialize, first connect only)
select pg_catalog.version()
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect._get_default_schema_name (from DefaultDialect.initialize)
-- compare
select current_schema()
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_isolation_level (from DefaultDialect.initialize -> get_default_isolation_level; raw DBAPI cursor)
show transaction isolation level
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.initialize (server_version >= 8.2)
show standard_conforming_strings
-- next
-- source: sqlalchemy lib/sqlalchemy/dialects/postgresql/psycopg2.py PGDialect_psycopg2.do_ping (_dialect_specific_select_one); used by Superset's 'Test connection' (apache/superset superset/commands/database/test_connection.py -> superset/commands/database/utils.py ping -> dialect.do_ping)
SELECT 1
-- next
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_catalog_names (catalog = database dropdown; the sent string also has a leading newline and trailing spaces)
-- compare
SELECT datname FROM pg_database
WHERE datistemplate = false;
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_schema_names
-- compare
SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' ORDER BY nspname
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_table_names
-- compare
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind in ('r', 'p')
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect._get_foreign_table_names (Inspector.get_foreign_table_names)
-- compare
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'f'
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_view_names (include=('plain','materialized'))
-- compare
SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('v', 'm')
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.has_table (schema given)
-- compare
select relname from pg_class c join pg_namespace n on n.oid=c.relnamespace where n.nspname='public' and relname='images'
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_table_oid (cached; first call of get_columns/get_pk_constraint/... for a table)
SELECT c.oid
FROM pg_catalog.pg_class c
LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE (n.nspname = 'public')
AND c.relname = 'images' AND c.relkind in
('r', 'v', 'm', 'f', 'p')
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_columns (server_version >= 12: attgenerated; >= 10: identity via pg_sequence)
-- compare: attname, format_type, default, attnotnull, comment, generated, identity_options
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT a.attname,
  pg_catalog.format_type(a.atttypid, a.atttypmod),
  (
    SELECT pg_catalog.pg_get_expr(d.adbin, d.adrelid)
    FROM pg_catalog.pg_attrdef d
    WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum
    AND a.atthasdef
  ) AS DEFAULT,
  a.attnotnull,
  a.attrelid as table_oid,
  pgd.description as comment,
  a.attgenerated as generated,
                  (SELECT json_build_object(
        'always', a.attidentity = 'a',
        'start', s.seqstart,
        'increment', s.seqincrement,
        'minvalue', s.seqmin,
        'maxvalue', s.seqmax,
        'cache', s.seqcache,
        'cycle', s.seqcycle)
    FROM pg_catalog.pg_sequence s
    JOIN pg_catalog.pg_class c on s.seqrelid = c."oid"
    WHERE c.relkind = 'S'
    AND a.attidentity != ''
    AND s.seqrelid = pg_catalog.pg_get_serial_sequence(
        a.attrelid::regclass::text, a.attname
    )::regclass::oid
    ) as identity_options                
FROM pg_catalog.pg_attribute a
LEFT JOIN pg_catalog.pg_description pgd ON (
    pgd.objoid = a.attrelid AND pgd.objsubid = a.attnum)
WHERE a.attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect._load_domains (called by get_columns)
SELECT t.typname as "name",
   pg_catalog.format_type(t.typbasetype, t.typtypmod) as "attype",
   not t.typnotnull as "nullable",
   t.typdefault as "default",
   pg_catalog.pg_type_is_visible(t.oid) as "visible",
   n.nspname as "schema"
FROM pg_catalog.pg_type t
   LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
WHERE t.typtype = 'd'
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect._load_enums(schema='*') (called by get_columns)
-- compare
    SELECT t.typname as "name",
       -- no enum defaults in 8.4 at least
       -- t.typdefault as "default",
       pg_catalog.pg_type_is_visible(t.oid) as "visible",
       n.nspname as "schema",
       e.enumlabel as "label"
    FROM pg_catalog.pg_type t
         LEFT JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         LEFT JOIN pg_catalog.pg_enum e ON t.oid = e.enumtypid
    WHERE t.typtype = 'e'
ORDER BY "schema", "name", e.oid
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_pk_constraint (PK_SQL, server_version >= 8.4)
-- compare
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT a.attname
FROM pg_attribute a JOIN (
    SELECT unnest(ix.indkey) attnum,
           generate_subscripts(ix.indkey, 1) ord
    FROM pg_index ix
    WHERE ix.indrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images') AND ix.indisprimary
    ) k ON a.attnum=k.attnum
WHERE a.attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
ORDER BY k.ord
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_pk_constraint (PK_CONS_SQL)
-- compare
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT conname
   FROM  pg_catalog.pg_constraint r
   WHERE r.conrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images') AND r.contype = 'p'
   ORDER BY 1
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_foreign_keys
-- compare
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT r.conname,
      pg_catalog.pg_get_constraintdef(r.oid, true) as condef,
      n.nspname as conschema
FROM  pg_catalog.pg_constraint r,
      pg_namespace n,
      pg_class c

WHERE r.conrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images') AND
      r.contype = 'f' AND
      c.oid = confrelid AND
      n.oid = c.relnamespace
ORDER BY 1
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_indexes (server_version >= 8.5 branch, indnkeyatts for >= 11)
-- compare
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT
    i.relname as relname,
    ix.indisunique, ix.indexprs,
    a.attname, a.attnum, c.conrelid, ix.indkey::varchar,
    ix.indoption::varchar, i.reloptions, am.amname,
    pg_get_expr(ix.indpred, ix.indrelid),
    ix.indnkeyatts as indnkeyatts
FROM
    pg_class t
          join pg_index ix on t.oid = ix.indrelid
          join pg_class i on i.oid = ix.indexrelid
          left outer join
              pg_attribute a
              on t.oid = a.attrelid and a.attnum = ANY(ix.indkey)
          left outer join
              pg_constraint c
              on (ix.indrelid = c.conrelid and
                  ix.indexrelid = c.conindid and
                  c.contype in ('p', 'u', 'x'))
          left outer join
              pg_am am
              on i.relam = am.oid
WHERE
    t.relkind IN ('r', 'v', 'f', 'm', 'p')
    and t.oid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
    and ix.indisprimary = 'f'
ORDER BY
    t.relname,
    i.relname
-- next
-- source: sqlalchemy/sqlalchemy lib/sqlalchemy/dialects/postgresql/base.py @ rel_1_4_54 PGDialect.get_table_comment
-- compare
-- psycopg2 interpolates the integer oid client-side (e.g. 16384); shown here as a subquery
SELECT
    pgd.description as table_comment
FROM
    pg_catalog.pg_description pgd
WHERE
    pgd.objsubid = 0 AND
    pgd.objoid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
-- next
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_prequeries (SQL Lab, when a schema is selected; sent before the user's query on the same connection)
set search_path = "public"
-- next
-- source: apache/superset superset/db_engine_specs/postgres.py PostgresEngineSpec.get_cancel_query_id (SQL Lab, on the query's cursor before executing each query)
SELECT pg_backend_pid()
-- next
-- source: apache/superset superset/db_engine_specs/base.py BaseEngineSpec.select_star (table preview / 'SELECT * ...' in SQL Lab; compiled with literal binds, then reformatted by sqlglot/sqlparse; limit 100). With show_cols=True the column list from get_columns replaces '*'
-- exact whitespace depends on Superset's SQL formatter; semantically SELECT * FROM public.images LIMIT 100
SELECT
  *
FROM public.images
LIMIT 100
