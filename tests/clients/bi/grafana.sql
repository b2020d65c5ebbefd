-- Grafana PostgreSQL datasource (grafana/grafana): frontend public/app/plugins/datasource/grafana-postgresql-datasource/
-- (postgresMetaQuery.ts @ 12f912ab, datasource.ts, sqlUtil.ts) and backend pkg/tsdb/grafana-postgresql-datasource/
-- (pgx v5 engine: sqleng/sql_engine_pgx.go, schema.go, pgx/handler_checkhealth.go).
-- PROTOCOL: every frontend meta query and every panel query is POSTed to /api/ds/query and executed by the backend
-- with pgconn.Exec(ctx, sql) = the SIMPLE query protocol (text results; several statements per string allowed).
-- The backend then maps each RowDescription type oid through pgtype.NewMap().TypeForOID(): an oid pgx does not know
-- (other than 1266 timetz and 790 money) fails the whole query with "unknown data type oid: N".
-- Only the newer schemads resource handlers in schema.go use pool.Query(sql, args...) with $n parameters (pgx
-- default exec mode = extended protocol, prepared + described statement, cached per connection).
-- Connecting sends no SQL (startup packet only).

-- source: jackc/pgx pgconn/pgconn.go PgConn.Ping, called via pgxpool.Pool.Ping from grafana/grafana pkg/tsdb/grafana-postgresql-datasource/sqleng/sql_engine_pgx.go PingPGX <- pgx/handler_checkhealth.go CheckHealth ("Save & test"). A comment-only simple query: the server must answer EmptyQueryResponse + ReadyForQuery
-- NOTE: the query string is exactly the 7 characters on the next line (it is itself an SQL comment)
-- ping
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getVersion (datasource.ts getVersion, run by configuration/useAutoDetectFeatures.ts when a new datasource is saved)
SELECT current_setting('server_version_num')::int/100 as version
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getTimescaleDBVersion (useAutoDetectFeatures.ts, only if version >= 906)
-- compare
SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showTables() without schema (datasource.ts fetchTables: query-builder "Table" dropdown and code-editor table completion; refId 'tables'). Uses current_setting('search_path'), string_to_array, generate_series, array_lower/array_upper, quote_ident, user
-- compare
-- mediasql differs: missing images: datafusion-pg-catalog's parser (src/sql/parser.rs, its blacklist of known queries) replaces this search_path subquery with '', so no schema is on the path
-- mediasql differs: extra public.images: the same: images is named with its schema
SELECT
    CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      THEN quote_ident(table_name)
      ELSE quote_ident(table_schema) || '.' || quote_ident(table_name)
    END AS "table"
    FROM information_schema.tables
    WHERE quote_ident(table_schema) NOT IN ('information_schema',
                             'pg_catalog',
                             '_timescaledb_cache',
                             '_timescaledb_catalog',
                             '_timescaledb_internal',
                             '_timescaledb_config',
                             'timescaledb_information',
                             'timescaledb_experimental')
    ORDER BY CASE WHEN 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          ) THEN 0 ELSE 1 END, 1
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts showTables(schema) (schema-qualified variant; table name inlined as an escaped literal)
-- compare
SELECT quote_ident(table_name) AS "table"
      FROM information_schema.tables
      WHERE quote_ident(table_schema) = 'public'
      ORDER BY 1
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/postgresMetaQuery.ts getSchema('images') (datasource.ts fetchFields: query-builder column pickers and code-editor column completion; refId 'columns-<uuid>'). Uses parse_ident() and array_length()
-- compare
-- mediasql differs: rows: no rows, as datafusion-pg-catalog's parser replaces the search_path subquery with '' (see statement 4)
SELECT quote_ident(column_name) AS "column", data_type AS "type"
    FROM information_schema.columns
    WHERE
      CASE WHEN array_length(parse_ident('images'),1) = 2
        THEN quote_ident(table_schema) = (parse_ident('images'))[1]
          AND quote_ident(table_name) = (parse_ident('images'))[2]
        ELSE quote_ident(table_name) = 'images'
          AND 
          quote_ident(table_schema) IN (
          SELECT
            CASE WHEN trim(s[i]) = '"$user"' THEN user ELSE trim(s[i]) END
          FROM
            generate_series(
              array_lower(string_to_array(current_setting('search_path'),','),1),
              array_upper(string_to_array(current_setting('search_path'),','),1)
            ) as i,
            string_to_array(current_setting('search_path'),',') s
          )
      END
-- next
-- source: grafana/grafana public/app/plugins/datasource/grafana-postgresql-datasource/sqlUtil.ts toRawSql (query builder with table 'images', columns size, path and the builder's default row limit 50; note the trailing space). Panel queries are sent exactly as written after macro interpolation ($__timeFilter etc.)
SELECT size, path FROM images LIMIT 50 
-- next
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go postgresSchema.querySchemas (schemads resource API: Schema / Tables / TableParameterValues; newer Grafana only)
-- compare
SELECT schema_name FROM information_schema.schemata
		 WHERE schema_name NOT LIKE 'pg_%' AND schema_name != 'information_schema'
		 ORDER BY schema_name
-- next
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go postgresSchema.queryTables (pgx pool.Query with one bound argument)
-- compare
-- $1 = 'public' (Go string; pgx encodes it per the parameter type the server reports in ParameterDescription)
SELECT table_name FROM information_schema.tables
		 WHERE table_schema = $1 AND table_type IN ('BASE TABLE', 'VIEW')
		 ORDER BY table_name
-- next
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go postgresSchema.queryColumns (scans numeric_precision/numeric_scale into *int)
-- compare
-- $1 = 'public', $2 = 'images'
SELECT column_name, data_type, udt_name, numeric_precision, numeric_scale
		 FROM information_schema.columns
		 WHERE table_schema = $1 AND table_name = $2
		 ORDER BY ordinal_position
-- next
-- source: grafana/grafana pkg/tsdb/grafana-postgresql-datasource/schema.go postgresSchema.ColumnValues (distinct values for filter pickers, limit 100, one UNION ALL branch per requested column; pool.Query without args). Shown for columns path and size
SELECT 'path' AS col_name, "path"::text AS val FROM (SELECT DISTINCT "path" FROM "public"."images" WHERE "path" IS NOT NULL ORDER BY "path" LIMIT 100) sub_0 UNION ALL SELECT 'size' AS col_name, "size"::text AS val FROM (SELECT DISTINCT "size" FROM "public"."images" WHERE "size" IS NOT NULL ORDER BY "size" LIMIT 100) sub_1
