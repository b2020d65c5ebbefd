-- DBeaver (dbeaver/dbeaver @ 2428359b748778a5, 2024-10-24, ~24.2), PostgreSQL driver = PgJDBC (pgjdbc/pgjdbc @ 3a699d57d957).
-- Module: plugins/org.jkiss.dbeaver.ext.postgresql/src/org/jkiss/dbeaver/ext/postgresql/model/...
-- PROTOCOL: PgJDBC sends every PreparedStatement via the EXTENDED protocol (Parse/Bind/Describe/Execute/Sync), even
-- without parameters; '?' is rewritten to $1..$n. setLong() binds int8 (oid 20) and setString() binds varchar
-- (oid 1043) by default, so e.g. "c.relnamespace=$1" compares oid with int8 and "datname=$1" name with varchar.
-- After 5 executions (prepareThreshold) PgJDBC switches to named server-side prepared statements (S_1, S_2, ...).
-- DBeaver opens 2 connections per database by default: "Main" and "Metadata" (the meta context runs catalog reads).
-- Defaults assumed: "Show all databases" off (only the connection's database is read), "read all data types" off.
-- Schema oid of public / table oid of images are passed as bound int8 values; shown in comments as subqueries.

-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/core/v3/ConnectionFactoryImpl.java runInitialQueries (after startup; simple protocol; ApplicationName set by DBeaver DBUtils.getClientApplicationName, e.g. 'DBeaver 24.2.3 - Main <mediasql>'; if the server reports server_version < 12 the string is prefixed with 'SET extra_float_digits = 3;')
SET application_name = 'DBeaver 24.2.3 - Main <mediasql>'
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreExecutionContext.java refreshDefaults (each new Main/Metadata context)
-- compare: current_schema
SELECT current_schema(),session_user
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDatabase.java SchemaCache.prepareLookupStatement (called from refreshDefaults to pre-cache schemas; also Navigator > Schemas). No filter -> no WHERE clause. Reads n.* columns by name (nspname, nspowner, nspacl...)
-- compare: nspname
-- mediasql differs: missing pg_toast: legitimately, mediasql has no TOAST storage and so no pg_toast schema
SELECT n.oid,n.*,d.description FROM pg_catalog.pg_namespace n
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=n.oid AND d.objsubid=0 AND d.classoid='pg_namespace'::regclass
 ORDER BY nspname
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreExecutionContext.java refreshDefaults
SHOW search_path
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDatabase.java readDatabaseInfo (PostgreDatabase(monitor, dataSource, databaseName) constructor)
-- compare: datname, encoding, datistemplate, datallowconn, datconnlimit
-- $1 = 'mediasql' (varchar)
SELECT db.oid,db.* FROM pg_catalog.pg_database db WHERE datname=$1
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDataSource.java initialize ("Read server information"; JDBCUtils.queryString)
SELECT version()
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDataSource.java initialize -> PostgreUtils.isMetaObjectExists("pg_enum", "*") (server >= 12) / ("pg_class", "reltype"); a failure just disables the feature
-- compare
SELECT * FROM pg_catalog.pg_enum WHERE 1<>1 LIMIT 1
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDataSource.java initialize -> PostgreUtils.isMetaObjectExists("pg_class", "reltype") (PostgreUtils.getQueryForSystemColumnChecking)
-- compare
SELECT reltype FROM pg_catalog.pg_class WHERE 1<>1 LIMIT 1
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDatabase.java cacheDataTypes (server >= 10 -> supportsSysTypCategoryColumn without probe; readAllTypes=false); base_type_name from PostgreDataTypeCache.getBaseTypeNameClause. Reads t.* by name (typname, typnamespace, typtype, typcategory, typlen, typelem, typarray, typrelid, typbasetype, typtypmod, typndims, typcollation, typdefault, typinput, typoutput, typreceive, typsend, typalign, typstorage, typnotnull, typdelim, typowner ...)
SELECT t.oid,t.*,c.relkind,format_type(nullif(t.typbasetype, 0), t.typtypmod) as base_type_name, d.description
FROM pg_catalog.pg_type t
LEFT OUTER JOIN pg_catalog.pg_type et ON et.oid=t.typelem 
LEFT OUTER JOIN pg_catalog.pg_class c ON c.oid=t.typrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON t.oid=d.objoid
WHERE t.typname IS NOT NULL
AND (c.relkind IS NULL OR c.relkind = 'c') AND (et.typcategory IS NULL OR et.typcategory <> 'C')
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDatabase.java EnumValueCache.prepareObjectsStatement (initEnumTypesCache, if the pg_enum probe succeeded; else it sends SELECT 1)
-- compare
SELECT * FROM pg_catalog.pg_enum
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreDataSource.java SettingCache.prepareLookupStatement (initializeRemoteInstance preloads standard_conforming_strings)
-- $1 = 'standard_conforming_strings' (varchar)
select * from pg_catalog.pg_settings where name=$1
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreSchema.java TableCache.prepareLookupStatement (Navigator: expand public > Tables; server >= 10 adds partition columns). Reads c.* by name (relname, relkind, relowner, reltablespace, relpersistence, relispartition, relhasoids?, reloptions, relacl, reltuples, relhassubclass, relrowsecurity ...)
-- compare: relname, relkind, relnatts, relpersistence, relisshared, relhasindex, relchecks, relhasrules, relhastriggers, relhassubclass, relrowsecurity, relforcerowsecurity, relispopulated, relreplident, relispartition, reloftype, relrewrite, reltablespace, relacl, reloptions, relpartbound, description, partition_expr, partition_key
-- $1 = oid of schema public (int8), i.e. (SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = 'public')
SELECT c.oid,c.*,d.description,pg_catalog.pg_get_expr(c.relpartbound, c.oid) as partition_expr,  pg_catalog.pg_get_partkeydef(c.oid) as partition_key 
FROM pg_catalog.pg_class c
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_class'::regclass
WHERE c.relnamespace=$1 AND c.relkind not in ('i','I','c')
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreSchema.java TableCache.prepareChildrenStatement (expand images > Columns, or open the table editor; supportsSequences()=true). With forTable == null (whole schema) the last condition is "c.relnamespace=$1" instead. Reads a.* by name (attname, atttypid, attnum, attnotnull, atttypmod, attlen, attndims, atthasdef, attidentity, attgenerated, attcollation, attacl, attoptions, attstattarget, attstorage ...)
-- compare: relname, attname, atttypid, attlen, attnum, attndims, atttypmod, attbyval, attalign, attstorage, attcompression, attnotnull, atthasdef, atthasmissing, attidentity, attgenerated, attisdropped, attislocal, attinhcount, attcollation, attacl, attoptions, attfdwoptions, attmissingval, def_value, description, objid
-- mediasql differs: missing tableoid, cmax, xmax, cmin, xmin, ctid: legitimately, media tables have no system columns
-- $1 = oid of table images (int8), i.e. (SELECT oid FROM pg_catalog.pg_class WHERE relname = 'images')
SELECT c.relname,a.*,pg_catalog.pg_get_expr(ad.adbin, ad.adrelid, true) as def_value,dsc.description,dep.objid
FROM pg_catalog.pg_attribute a
INNER JOIN pg_catalog.pg_class c ON (a.attrelid=c.oid)
LEFT OUTER JOIN pg_catalog.pg_attrdef ad ON (a.attrelid=ad.adrelid AND a.attnum = ad.adnum)
LEFT OUTER JOIN pg_catalog.pg_description dsc ON (c.oid=dsc.objoid AND a.attnum = dsc.objsubid)
LEFT OUTER JOIN pg_depend dep on dep.refobjid = a.attrelid AND dep.deptype = 'i' and dep.refobjsubid = a.attnum and dep.classid = dep.refclassid
WHERE NOT a.attisdropped AND c.relkind not in ('i','I','c') AND c.oid=$1
ORDER BY a.attnum
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreSchema.java ConstraintCache.prepareObjectsStatement (table editor: Constraints/Foreign keys tabs, also used to find the unique key for the data editor)
-- compare: conname, contype, conkey, confkey, tabrelname, consrc_copy
-- $1 = oid of table images (int8)
SELECT c.oid,c.*,t.relname as tabrelname,rt.relnamespace as refnamespace,d.description, case when c.contype='c' then "substring"(pg_get_constraintdef(c.oid), 7) else null end consrc_copy
FROM pg_catalog.pg_constraint c
INNER JOIN pg_catalog.pg_class t ON t.oid=c.conrelid
LEFT OUTER JOIN pg_catalog.pg_class rt ON rt.oid=c.confrelid
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=c.oid AND d.objsubid=0 AND d.classoid='pg_constraint'::regclass
WHERE c.conrelid=$1
ORDER BY c.oid
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreSchema.java IndexCache.prepareObjectsStatement (table editor: Indexes; also unique-key detection for the data editor)
-- compare: relname, indisunique, indisprimary, indkey, tabrelname, pred_expr, expr
-- $1 = oid of table images (int8)
SELECT i.*,i.indkey as keys,c.relname,c.relnamespace,c.relam,c.reltablespace,tc.relname as tabrelname,dsc.description,pg_catalog.pg_get_expr(i.indpred, i.indrelid) as pred_expr,pg_catalog.pg_get_expr(i.indexprs, i.indrelid, true) as expr,pg_catalog.pg_relation_size(i.indexrelid) as index_rel_size,pg_catalog.pg_stat_get_numscans(i.indexrelid) as index_num_scans
FROM pg_catalog.pg_index i
INNER JOIN pg_catalog.pg_class c ON c.oid=i.indexrelid
INNER JOIN pg_catalog.pg_class tc ON tc.oid=i.indrelid
LEFT OUTER JOIN pg_catalog.pg_description dsc ON i.indexrelid=dsc.objoid
WHERE  i.indrelid=$1 ORDER BY c.relname
-- next
-- source: dbeaver/dbeaver .../postgresql/model/PostgreSchema.java ProceduresCache.prepareLookupStatement (Navigator: expand public > Functions). Reads p.* by name (proname, prokind, prorettype, proargtypes, proallargtypes, proargmodes, proargnames, prolang, proretset, provolatile, prosrc ...)
-- $1 = oid of schema public (int8)
SELECT p.oid as poid,p.*,pg_catalog.pg_get_expr(p.proargdefaults, 0) as arg_defaults,d.description
FROM pg_catalog.pg_proc p
LEFT OUTER JOIN pg_catalog.pg_description d ON d.objoid=p.oid and d.classoid='pg_proc'::regclass  AND d.objsubid = 0
WHERE p.pronamespace=$1
ORDER BY p.proname
-- next
-- source: dbeaver/dbeaver plugins/org.jkiss.dbeaver.model.jdbc/src/org/jkiss/dbeaver/model/impl/jdbc/struct/JDBCTable.java readData (Data tab of images). Alias "x" is used because the results viewer passes a data filter (needAliasInSelect); without filter it is "SELECT * FROM public.images". The 200-row page is applied via JDBC Statement.setMaxRows/fetch size (PgJDBC Execute row limit), NOT a SQL LIMIT, unless the "use SQL to limit fetch size" preference is on (then "\nLIMIT 200" is appended by QueryTransformerLimit)
SELECT x.* FROM public.images x
-- next
-- source: pgjdbc/pgjdbc pgjdbc/src/main/java/org/postgresql/jdbc/TypeInfoCache.java getSQLType/getPGType type-info query (typoidParam=true), sent lazily when DBeaver asks ResultSetMetaData about a column type oid PgJDBC doesn't know (non-builtin types, e.g. arrays of custom types, enums)
-- compare
-- $1 = 1007 (the type oid, here int4[]'s; bound with setLong -> int8)
SELECT typinput='pg_catalog.array_in'::regproc as is_array, typtype, typname, pg_type.oid   FROM pg_catalog.pg_type   LEFT JOIN (select ns.oid as nspoid, ns.nspname, r.r           from pg_namespace as ns           join ( select s.r, (current_schemas(false))[s.r] as nspname                    from generate_series(1, array_upper(current_schemas(false), 1)) as s(r) ) as r          using ( nspname )        ) as sp     ON sp.nspoid = typnamespace  WHERE pg_type.oid = $1  ORDER BY sp.r, pg_type.oid DESC;
