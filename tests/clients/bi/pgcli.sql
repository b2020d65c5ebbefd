-- pgcli (dbcli/pgcli @ 5900a081a862, 2026-05-12) + pgspecial (dbcli/pgspecial @ 8e1f5dbd4fe9, 2025-04-27)
-- Driver: psycopg 3. Queries executed WITHOUT params are sent with the SIMPLE query protocol; queries with params
-- use SERVER-SIDE binding via the extended protocol with %s rewritten to $1..$n (psycopg may auto-prepare a query
-- run 5+ times as a named statement _pg3_N). A Python list of str is sent as a text-format
-- array literal with parameter type oid 0 (unknown), e.g. '{r,p,f}' -- the server must infer char[]
-- for "relkind = ANY($1)". pgspecial's psycopg.sql.SQL(...).format(list) renders the list client-side
-- as a literal '{r,p,""}' (no cast, because str dumps as unknown).
-- Startup order (pgcli/main.py + pgexecute.PGExecute.connect): SELECT 1 (pgbouncer probe),
-- optionally pg_settings socket dir, SHOW TIME ZONE / SET TIME ZONE; then the completion refresher
-- (pgcli/completion_refresher.py) runs, on a SECOND connection, in this order: search_path, schemata,
-- tables, table_columns, foreignkeys, views, view_columns, datatypes, databases, [casing], functions.
-- Server version is read from the ParameterStatus 'server_version' (no query); queries below are the
-- branches chosen for server_version >= 110000 / 120000.

-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.is_protocol_error (called from connect via is_virtual_database)
SELECT 1
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.socket_directory_query / get_socket_directory (only when no host was given, i.e. unix socket)
SELECT setting
        FROM pg_settings
        WHERE name = 'unix_socket_directories'
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.get_timezone (called from main.cli when use_local_timezone, the default)
show time zone
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.set_timezone (only when local tz differs from server's; Identifier-quoted)
set time zone "Europe/Berlin"
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.search_path_query (refresher "schemata"); fallback on error: SELECT * FROM current_schemas(true)
-- compare
SELECT * FROM unnest(current_schemas(true))
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.schemata_query (refresher "schemata")
-- compare
-- mediasql differs: missing pg_toast: legitimately, mediasql has no TOAST storage and so no pg_toast schema
SELECT  nspname
        FROM    pg_catalog.pg_namespace
        ORDER BY 1
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.tables_query via _relations(kinds=["r","p","f"]) (refresher "tables"); views() sends the same with $1 = '{v,m}'
-- compare
-- mediasql differs: missing pg_catalog, information_schema: legitimately, PostgreSQL's own system tables and columns are not mediasql's
-- mediasql differs: extra pg_catalog: legitimately, mediasql's pg_catalog emulation has other tables and column types
-- $1 = '{r,p,f}'::unknown  (bound parameter, text format, type oid 0/unknown)
SELECT  n.nspname schema_name,
                c.relname table_name
        FROM    pg_catalog.pg_class c
                LEFT JOIN pg_catalog.pg_namespace n
                    ON n.oid = c.relnamespace
        WHERE   c.relkind = ANY($1)
        ORDER BY 1,2;
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute._columns (server_version >= 80400) via table_columns(); view_columns() sends the same with $1 = '{v,m}'
-- compare
-- mediasql differs: missing pg_catalog, information_schema: legitimately, PostgreSQL's own system tables and columns are not mediasql's
-- mediasql differs: extra pg_catalog: legitimately, mediasql's pg_catalog emulation has other tables and column types
-- $1 = '{r,p,f}'::unknown  (bound parameter, text format, type oid 0/unknown)
SELECT  nsp.nspname schema_name,
                        cls.relname table_name,
                        att.attname column_name,
                        att.atttypid::regtype::text type_name,
                        att.atthasdef AS has_default,
                        pg_catalog.pg_get_expr(def.adbin, def.adrelid, true) as default
                FROM    pg_catalog.pg_attribute att
                        INNER JOIN pg_catalog.pg_class cls
                            ON att.attrelid = cls.oid
                        INNER JOIN pg_catalog.pg_namespace nsp
                            ON cls.relnamespace = nsp.oid
                        LEFT OUTER JOIN pg_attrdef def
                            ON def.adrelid = att.attrelid
                            AND def.adnum = att.attnum
                WHERE   cls.relkind = ANY($1)
                        AND NOT att.attisdropped
                        AND att.attnum  > 0
                ORDER BY 1, 2, att.attnum
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.foreignkeys (server_version >= 90000) (refresher "tables")
-- compare
SELECT s_p.nspname AS parentschema,
                       t_p.relname AS parenttable,
                       unnest((
                        select
                            array_agg(attname ORDER BY i)
                        from
                            (select unnest(confkey) as attnum, generate_subscripts(confkey, 1) as i) x
                            JOIN pg_catalog.pg_attribute c USING(attnum)
                            WHERE c.attrelid = fk.confrelid
                        )) AS parentcolumn,
                       s_c.nspname AS childschema,
                       t_c.relname AS childtable,
                       unnest((
                        select
                            array_agg(attname ORDER BY i)
                        from
                            (select unnest(conkey) as attnum, generate_subscripts(conkey, 1) as i) x
                            JOIN pg_catalog.pg_attribute c USING(attnum)
                            WHERE c.attrelid = fk.conrelid
                        )) AS childcolumn
                FROM pg_catalog.pg_constraint fk
                JOIN pg_catalog.pg_class      t_p ON t_p.oid = fk.confrelid
                JOIN pg_catalog.pg_namespace  s_p ON s_p.oid = t_p.relnamespace
                JOIN pg_catalog.pg_class      t_c ON t_c.oid = fk.conrelid
                JOIN pg_catalog.pg_namespace  s_c ON s_c.oid = t_c.relnamespace
                WHERE fk.contype = 'f';
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.datatypes (server_version > 90000) (refresher "types")
-- compare
SELECT n.nspname schema_name,
                           t.typname type_name
                    FROM   pg_catalog.pg_type t
                           INNER JOIN pg_catalog.pg_namespace n
                              ON n.oid = t.typnamespace
                    WHERE ( t.typrelid = 0  -- non-composite types
                            OR (  -- composite type, but not a table
                                  SELECT c.relkind = 'c'
                                  FROM pg_catalog.pg_class c
                                  WHERE c.oid = t.typrelid
                                )
                          )
                          AND NOT EXISTS( -- ignore array types
                                SELECT  1
                                FROM    pg_catalog.pg_type el
                                WHERE   el.oid = t.typelem AND el.typarray = t.oid
                              )
                          AND n.nspname <> 'pg_catalog'
                          AND n.nspname <> 'information_schema'
                    ORDER BY 1, 2;
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.databases_query (refresher "databases")
-- compare
-- mediasql differs: missing template0, template1: legitimately, mediasql has no template databases
SELECT d.datname
        FROM pg_catalog.pg_database d
        ORDER BY 1
-- next
-- source: dbcli/pgcli pgcli/pgexecute.py PGExecute.functions (server_version >= 110000) (refresher "functions")
SELECT n.nspname schema_name,
                        p.proname func_name,
                        p.proargnames,
                        COALESCE(proallargtypes::regtype[], proargtypes::regtype[])::text[],
                        p.proargmodes,
                        prorettype::regtype::text return_type,
                        p.prokind = 'a' is_aggregate,
                        p.prokind = 'w' is_window,
                        p.proretset is_set_returning,
                        d.deptype = 'e' is_extension,
                        pg_get_expr(proargdefaults, 0) AS arg_defaults
                FROM pg_catalog.pg_proc p
                        INNER JOIN pg_catalog.pg_namespace n
                            ON n.oid = p.pronamespace
                LEFT JOIN pg_depend d ON d.objid = p.oid and d.deptype = 'e'
                WHERE p.prorettype::regtype != 'trigger'::regtype
                ORDER BY 1, 2
-- next
-- source: dbcli/pgspecial pgspecial/dbcommands.py list_objects via list_tables (\dt, no pattern) -- client-side formatted, no bound params
-- compare
SELECT n.nspname as schema,
                    c.relname as name,
                    CASE c.relkind
                      WHEN 'r' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'p' THEN 'partitioned table'
                      WHEN 'm' THEN 'materialized view' WHEN 'i' THEN 'index'
                      WHEN 'S' THEN 'sequence' WHEN 's' THEN 'special'
                      WHEN 'f' THEN 'foreign table' END
                    as type,
                    pg_catalog.pg_get_userbyid(c.relowner) as owner
                    
            FROM    pg_catalog.pg_class c
                    LEFT JOIN pg_catalog.pg_namespace n
                      ON n.oid = c.relnamespace
            WHERE   c.relkind = ANY('{r,p,""}')
                
            AND n.nspname <> 'pg_catalog'
            AND n.nspname <> 'information_schema'
            AND n.nspname !~ '^pg_toast'
            AND pg_catalog.pg_table_is_visible(c.oid) 
                
            ORDER BY 1, 2
-- next
-- source: dbcli/pgspecial pgspecial/dbcommands.py list_schemas (\dn, no pattern)
-- compare
SELECT n.nspname AS name, pg_catalog.pg_get_userbyid(n.nspowner) AS owner
                
              FROM pg_catalog.pg_namespace n WHERE n.nspname
                !~ '^pg_' AND n.nspname <> 'information_schema'
              ORDER BY 1
-- next
-- source: dbcli/pgspecial pgspecial/dbcommands.py describe_table_details (\d images) -- step 1: resolve the relation
-- compare: nspname, relname
-- $1 = '^(images)$'  (bound parameter from %(relname)s, text format, type oid 0/unknown)
SELECT c.oid, n.nspname, c.relname
             FROM pg_catalog.pg_class c
             LEFT JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
             WHERE pg_catalog.pg_table_is_visible(c.oid) AND c.relname OPERATOR(pg_catalog.~) $1
             ORDER BY 2,3
-- next
-- source: dbcli/pgspecial pgspecial/dbcommands.py describe_one_table_details (server_version >= 120000, non-verbose) -- step 2: table info; the oid is interpolated as a quoted literal, shown here as a subquery
-- compare
SELECT c.relchecks, c.relkind, c.relhasindex,
                    c.relhasrules, c.relhastriggers, false as relhasoids,
                    '',
                    c.reltablespace,
                    CASE WHEN c.reloftype = 0 THEN ''
                        ELSE c.reloftype::pg_catalog.regtype::pg_catalog.text
                    END,
                    c.relpersistence,
                    c.relispartition
                 FROM pg_catalog.pg_class c
                 LEFT JOIN pg_catalog.pg_class tc ON (c.reltoastrelid = tc.oid)
                 WHERE c.oid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
-- next
-- source: dbcli/pgspecial pgspecial/dbcommands.py describe_one_table_details (server_version >= 120000, relkind 'r', non-verbose) -- step 3: columns; real client sends WHERE a.attrelid = '<oid>' (quoted literal)
-- compare
SELECT a.attname,
    pg_catalog.format_type(a.atttypid, a.atttypmod)
    , (SELECT substring(pg_catalog.pg_get_expr(d.adbin, d.adrelid, true) for 128)
                     FROM pg_catalog.pg_attrdef d
                     WHERE d.adrelid = a.attrelid AND d.adnum = a.attnum AND a.atthasdef)
                    , a.attnotnull,
(SELECT c.collname FROM pg_catalog.pg_collation c, pg_catalog.pg_type t
                    WHERE c.oid = a.attcollation
                    AND t.oid = a.atttypid AND a.attcollation <> t.typcollation) AS attcollation,
  a.attidentity,
  a.attgenerated,
 NULL AS indexdef, NULL AS attfdwoptions FROM pg_catalog.pg_attribute a WHERE a.attrelid = (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images') AND
    a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum; 
