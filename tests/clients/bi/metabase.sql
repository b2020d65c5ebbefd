-- Metabase (metabase/metabase src/metabase/driver/postgres.clj @ 008fd667 as stored in the code index, a 2025 version;
-- src/metabase/driver/sql_jdbc/...), JDBC driver PgJDBC 42.7.x (texts below from pgjdbc tag REL42.7.8).
-- PROTOCOL: every statement goes through PgJDBC's EXTENDED protocol ('?' -> $n). HoneySQL 2 is used with
-- :dialect :ansi, which double-quotes every identifier and turns every non-:inline literal -- strings AND numbers --
-- into a bound parameter. Strings are bound via setObject(String) -> varchar (oid 1043), Clojure longs -> int8 (oid 20).
-- Result column aliases contain hyphens/question marks ("database-type", "pk?") and Metabase reads them by name.
-- Rendering of the HoneySQL forms was done by hand from the source and cross-checked against a public capture of
-- Metabase v0.62 syncing PostgreSQL 16; newer versions differ slightly (noted per query).
-- Typical order: connection test (SELECT 1), then sync: describe-database (schemas, privileges, tables), then per
-- schema describe-fields / describe-fks, then fingerprinting (table samples), then user questions.

-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/core/v3/ConnectionFactoryImpl.java runInitialQueries (server_version >= 12, so no extra_float_digits; application name comes from Metabase's connection spec, "Metabase v<version> [<instance uuid>]")
SET application_name = 'Metabase v0.62.1 [d4fe74c4-0000-0000-0000-000000000000]'
-- next
-- source: metabase/metabase src/metabase/driver/sql_jdbc/connection.clj can-connect? / connection-pool test (simple SELECT 1 on a fresh connection)
SELECT 1
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgConnection.java getTransactionIsolation (called by the c3p0 pool / Metabase when configuring a connection)
SHOW TRANSACTION ISOLATION LEVEL
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgConnection.java getCatalog (PgJDBC >= 42.7.7 issues this once per connection; createStatement -> still extended protocol)
-- compare
select current_catalog
-- next
-- source: metabase/metabase src/metabase/driver/sql_jdbc/execute.clj set-best-transaction-level! -> pgjdbc PgConnection.setTransactionIsolation(TRANSACTION_READ_UNCOMMITTED) (the pool later resets it with ... READ COMMITTED)
SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL READ UNCOMMITTED
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java getSchemas(null, null), called by metabase/metabase src/metabase/driver/sql_jdbc/sync/describe_database.clj all-schemas (syncable schemas; Metabase then drops information_schema/pg_catalog client-side)
-- compare
SELECT nspname AS "TABLE_SCHEM", current_database() AS "TABLE_CATALOG" FROM pg_catalog.pg_namespace  WHERE nspname <> 'pg_toast' AND (nspname !~ '^pg_temp_'  OR nspname = (pg_catalog.current_schemas(true))[1]) AND (nspname !~ '^pg_toast_temp_'  OR nspname = replace((pg_catalog.current_schemas(true))[1], 'pg_temp_', 'pg_toast_temp_'))  ORDER BY "TABLE_SCHEM"
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/current-user-table-privileges :postgres (lines joined with "\n"; used by describe-database have-privilege-fn because :table-privileges is supported)
-- compare: schema, table
with table_privileges as (
 select
   NULL as role,
   t.schemaname as schema,
   t.objectname as table,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'update') as update,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'select') as select,
   pg_catalog.has_any_column_privilege(current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'insert') as insert,
   pg_catalog.has_table_privilege(     current_user, '"' || replace(t.schemaname, '"', '""') || '"' || '.' || '"' || replace(t.objectname, '"', '""') || '"',  'delete') as delete
 from (
   select schemaname, tablename as objectname from pg_catalog.pg_tables
   union
   select schemaname, viewname as objectname from pg_catalog.pg_views
   union
   select schemaname, matviewname as objectname from pg_catalog.pg_matviews
 ) t
 where t.schemaname !~ '^pg_'
   and t.schemaname <> 'information_schema'
   and pg_catalog.has_schema_privilege(current_user, t.schemaname, 'usage')
)
select t.*
from table_privileges t
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj get-tables-sql (describe-syncable-tables / driver/describe-database* :postgres), HoneySQL {:dialect :ansi}; schemas = ["public"], table-names = nil
-- compare: schema, name, type, description
-- $1 = 0 (int8), $2 = '^pg_', $3 = 'information_schema', $4 = 'public' (varchar)
-- newer Metabase (v0.62) selects NULLIF("stat"."n_live_tup", $1) AS "estimated_row_count" (params shift by one)
SELECT "n"."nspname" AS "schema", "c"."relname" AS "name", CASE "c"."relkind" WHEN 'r' THEN 'TABLE' WHEN 'p' THEN 'PARTITIONED TABLE' WHEN 'v' THEN 'VIEW' WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE NULL END AS "type", "d"."description" AS "description", "stat"."n_live_tup" AS "estimated_row_count" FROM "pg_catalog"."pg_class" AS "c" INNER JOIN "pg_catalog"."pg_namespace" AS "n" ON "c"."relnamespace" = "n"."oid" LEFT JOIN "pg_catalog"."pg_description" AS "d" ON ("c"."oid" = "d"."objoid") AND ("d"."objsubid" = $1) AND ("d"."classoid" = 'pg_class'::regclass) LEFT JOIN "pg_stat_user_tables" AS "stat" ON ("n"."nspname" = "stat"."schemaname") AND ("c"."relname" = "stat"."relname") WHERE ("c"."relnamespace" = "n"."oid") AND ("n"."nspname" !~ $2) AND ("n"."nspname" <> $3) AND c.relkind in ('r', 'p', 'v', 'f', 'm') AND ("n"."nspname" IN ($4)) ORDER BY "type" ASC, "schema" ASC, "name" ASC
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj driver/db-default-timezone :postgres (prepareStatement "show timezone;")
show timezone;
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj enum-types (describe-fields-pre-process-xf :postgres, once per describe-fields)
-- compare
SELECT nspname, typname FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE t.oid IN (SELECT DISTINCT enumtypid FROM pg_enum e)
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/describe-fields-sql :postgres (HoneySQL :union-all, :dialect :ansi); schema-names = ["public"], table-names = nil (with table-names an extra AND ("c"."table_name" IN ($n)) / ("pc"."relname" IN ($n)) is added)
-- compare
-- $1 = 'public', $2 = 'public' (varchar)
-- newer Metabase (v0.62) adds "column_default" AS "database-default", "is_generated" = $1 AS "database-is-generated", "is_nullable" = 'YES' AS "database-is-nullable" (and NULL/FALSE counterparts in the matview branch)
SELECT "c"."column_name" AS "name", CASE WHEN "c"."udt_schema" IN ('public', 'pg_catalog') THEN FORMAT('%s', "c"."udt_name") ELSE FORMAT('"%s"."%s"', "c"."udt_schema", "c"."udt_name") END AS "database-type", "c"."ordinal_position" - 1 AS "database-position", "c"."table_schema" AS "table-schema", "c"."table_name" AS "table-name", "pk"."column_name" IS NOT NULL AS "pk?", COL_DESCRIPTION(CAST(CAST(FORMAT('%I.%I', CAST("c"."table_schema" AS TEXT), CAST("c"."table_name" AS TEXT)) AS REGCLASS) AS OID), "c"."ordinal_position") AS "field-comment", (("column_default" IS NULL) OR (LOWER("column_default") = 'null')) AND ("is_nullable" = 'NO') AND NOT ((("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO')) AS "database-required", (("column_default" IS NOT NULL) AND ("column_default" LIKE '%nextval(%')) OR ("is_identity" <> 'NO') AS "database-is-auto-increment" FROM "information_schema"."columns" AS "c" LEFT JOIN (SELECT "tc"."table_schema", "tc"."table_name", "kc"."column_name" FROM "information_schema"."table_constraints" AS "tc" INNER JOIN "information_schema"."key_column_usage" AS "kc" ON ("tc"."constraint_name" = "kc"."constraint_name") AND ("tc"."table_schema" = "kc"."table_schema") AND ("tc"."table_name" = "kc"."table_name") WHERE "tc"."constraint_type" = 'PRIMARY KEY') AS "pk" ON ("c"."table_schema" = "pk"."table_schema") AND ("c"."table_name" = "pk"."table_name") AND ("c"."column_name" = "pk"."column_name") WHERE c.table_schema !~ '^information_schema|catalog_history|pg_' AND ("c"."table_schema" IN ($1)) UNION ALL SELECT "pa"."attname" AS "name", CASE WHEN "ptn"."nspname" IN ('public', 'pg_catalog') THEN FORMAT('%s', "pt"."typname") ELSE FORMAT('"%s"."%s"', "ptn"."nspname", "pt"."typname") END AS "database-type", "pa"."attnum" - 1 AS "database-position", "pn"."nspname" AS "table-schema", "pc"."relname" AS "table-name", FALSE AS "pk?", NULL AS "field-comment", FALSE AS "database-required", FALSE AS "database-is-auto-increment" FROM "pg_catalog"."pg_class" AS "pc" INNER JOIN "pg_catalog"."pg_namespace" AS "pn" ON "pn"."oid" = "pc"."relnamespace" INNER JOIN "pg_catalog"."pg_attribute" AS "pa" ON "pa"."attrelid" = "pc"."oid" INNER JOIN "pg_catalog"."pg_type" AS "pt" ON "pt"."oid" = "pa"."atttypid" INNER JOIN "pg_catalog"."pg_namespace" AS "ptn" ON "ptn"."oid" = "pt"."typnamespace" WHERE ("pc"."relkind" = 'm') AND ("pa"."attnum" >= 1) AND ("pn"."nspname" IN ($2)) ORDER BY "table-schema" ASC, "table-name" ASC, "database-position" ASC
-- next
-- source: metabase/metabase src/metabase/driver/postgres.clj sql-jdbc.sync/describe-fks-sql :postgres (HoneySQL, :dialect :ansi); schema-names = ["public"]
-- compare
-- $1 = 'public' (varchar)
SELECT "fk_ns"."nspname" AS "fk-table-schema", "fk_table"."relname" AS "fk-table-name", "fk_column"."attname" AS "fk-column-name", "pk_ns"."nspname" AS "pk-table-schema", "pk_table"."relname" AS "pk-table-name", "pk_column"."attname" AS "pk-column-name" FROM "pg_constraint" AS "c" INNER JOIN "pg_class" AS "fk_table" ON "c"."conrelid" = "fk_table"."oid" INNER JOIN "pg_namespace" AS "fk_ns" ON "c"."connamespace" = "fk_ns"."oid" INNER JOIN "pg_attribute" AS "fk_column" ON "c"."conrelid" = "fk_column"."attrelid" INNER JOIN "pg_class" AS "pk_table" ON "c"."confrelid" = "pk_table"."oid" INNER JOIN "pg_namespace" AS "pk_ns" ON "pk_table"."relnamespace" = "pk_ns"."oid" INNER JOIN "pg_attribute" AS "pk_column" ON "c"."confrelid" = "pk_column"."attrelid" WHERE fk_ns.nspname !~ '^information_schema|catalog_history|pg_' AND ("c"."contype" = 'f'::char) AND ("fk_column"."attnum" = ANY(c.conkey)) AND ("pk_column"."attnum" = ANY(c.confkey)) AND ("fk_ns"."nspname" IN ($1)) ORDER BY "fk-table-schema" ASC, "fk-table-name" ASC
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java getColumns (server >= 12 branch), called by metabase/metabase src/metabase/driver/sql_jdbc/sync/describe_table.clj jdbc-fields-metadata (describe-table-fields: single-table sync / nested-field-columns)
-- compare
-- $1 = 'public', $2 = 'images' (varchar; LIKE patterns, '\' escaped by escape-entity-name-for-metadata)
SELECT * FROM (SELECT current_database() AS current_database, n.nspname,c.relname,a.attname,a.atttypid,a.attnotnull  OR (t.typtype = 'd' AND t.typnotnull) AS attnotnull,a.atttypmod,a.attlen,t.typtypmod,row_number() OVER (PARTITION BY a.attrelid ORDER BY a.attnum) AS attnum, nullif(a.attidentity, '') as attidentity,nullif(a.attgenerated, '') as attgenerated,pg_catalog.pg_get_expr(def.adbin, def.adrelid) AS adsrc,dsc.description,t.typbasetype,t.typtype  FROM pg_catalog.pg_namespace n  JOIN pg_catalog.pg_class c ON (c.relnamespace = n.oid)  JOIN pg_catalog.pg_attribute a ON (a.attrelid=c.oid)  JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid)  LEFT JOIN pg_catalog.pg_attrdef def ON (a.attrelid=def.adrelid AND a.attnum = def.adnum)  LEFT JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)  LEFT JOIN pg_catalog.pg_class dc ON (dc.oid=dsc.classoid AND dc.relname='pg_class')  LEFT JOIN pg_catalog.pg_namespace dn ON (dc.relnamespace=dn.oid AND dn.nspname='pg_catalog')  WHERE c.relkind in ('r','p','v','f','m') and a.attnum > 0 AND NOT a.attisdropped  AND n.nspname LIKE $1 AND c.relname LIKE $2) c WHERE true  ORDER BY nspname,c.relname,attnum 
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgDatabaseMetaData.java getPrimaryKeys (42.7.5-42.7.12 text; server >= 11 -> i.indnkeyatts), called by metabase/metabase src/metabase/driver/sql_jdbc/sync/describe_table.clj get-table-pks. (pgjdbc 42.7.13+ uses pg_constraint.conkey instead of pg_index)
-- compare
-- $1 = 'public', $2 = 'images' (varchar)
SELECT        result.TABLE_CAT AS "TABLE_CAT",        result.TABLE_SCHEM AS "TABLE_SCHEM",        result.TABLE_NAME AS "TABLE_NAME",        result.COLUMN_NAME AS "COLUMN_NAME",        result.KEY_SEQ AS "KEY_SEQ",        result.PK_NAME AS "PK_NAME"FROM      (SELECT current_database() AS TABLE_CAT, n.nspname AS TABLE_SCHEM,   ct.relname AS TABLE_NAME, a.attname AS COLUMN_NAME,   (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME,   information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM, i.indnkeyatts as KEY_COUNT FROM pg_catalog.pg_class ct   JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid)   JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid)   JOIN pg_catalog.pg_index i ON ( a.attrelid = i.indrelid)   JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE true  AND n.nspname = $1 AND ct.relname = $2 AND i.indisprimary  ) result where  result.A_ATTNUM = (result.KEYS).x AND result.KEY_SEQ <= KEY_COUNT  ORDER BY result.table_name, result.pk_name, result.key_seq
-- next
-- source: metabase/metabase src/metabase/driver/common/table_rows_sample.clj table-rows-sample-query (sync fingerprinting: max-sample-rows 10000, :type/Text columns wrapped in substring(col, 1, 1234) under a gensym alias); compiled by the SQL QP with a "-- Metabase" remark. Columns here are illustrative (size, path text column)
-- Metabase
SELECT "public"."images"."size" AS "size", SUBSTRING("public"."images"."path", 1, 1234) AS "substring4476" FROM "public"."images" LIMIT 10000
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/PgResultSetMetaData.java fetchFieldMetaData (triggered when Metabase asks ResultSetMetaData isNullable/isAutoIncrement/getColumnName; built from the RowDescription's table oid + attnum of each column; numbers are literals)
-- compare: attnum, attname, relname, nspname, ?column?, ?column?#2
SELECT c.oid, a.attnum, a.attname, c.relname, n.nspname, a.attnotnull OR (t.typtype = 'd' AND t.typnotnull), a.attidentity != '' OR pg_catalog.pg_get_expr(d.adbin, d.adrelid) LIKE '%nextval(%' FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON (c.relnamespace = n.oid) JOIN pg_catalog.pg_attribute a ON (c.oid = a.attrelid) JOIN pg_catalog.pg_type t ON (a.atttypid = t.oid) LEFT JOIN pg_catalog.pg_attrdef d ON (d.adrelid = a.attrelid AND d.adnum = a.attnum) JOIN (SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images') AS oid , 1 AS attnum UNION ALL SELECT (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images'), 2) vals ON (c.oid = vals.oid AND a.attnum = vals.attnum) where c.oid in ((SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images'))
-- next
-- source: metabase/metabase query processor (MBQL "view table" / data browser question on images; default UI row limit 2000; remark "-- Metabase:: userID: <id> queryType: MBQL queryHash: <sha256>" prepended). Columns illustrative
-- Metabase:: userID: 1 queryType: MBQL queryHash: 0000000000000000000000000000000000000000000000000000000000000000
SELECT "public"."images"."size" AS "size", "public"."images"."path" AS "path" FROM "public"."images" LIMIT 2000
