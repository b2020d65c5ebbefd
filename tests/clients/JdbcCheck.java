// pgjdbc as Java tools use it: connect, the DatabaseMetaData calls BI tools (DBeaver, Metabase,
// Tableau's JDBC path) make to browse, then a prepared query. Run by tests/wire.rs:
//   java -cp /usr/share/java/postgresql.jar tests/clients/JdbcCheck.java PORT
// Prints one line per check and OK when all passed.
import java.sql.*;
import java.util.*;

public class JdbcCheck {
    interface Check { void run(Connection c) throws Exception; }

    static void expect(boolean ok, String what) {
        if (!ok) throw new AssertionError(what);
    }

    static List<String> column(ResultSet rs, String name) throws SQLException {
        List<String> values = new ArrayList<>();
        while (rs.next()) values.add(rs.getString(name));
        return values;
    }

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/mediasql?user=tester";
        Map<String, Check> checks = new LinkedHashMap<>();
        checks.put("product and version", c -> {
            DatabaseMetaData md = c.getMetaData();
            expect(md.getDatabaseProductName().equals("PostgreSQL"), md.getDatabaseProductName());
            expect(md.getDatabaseMajorVersion() == 16, md.getDatabaseProductVersion());
        });
        checks.put("getSchemas", c -> {
            List<String> schemas = column(c.getMetaData().getSchemas(), "TABLE_SCHEM");
            expect(schemas.contains("public"), schemas.toString());
        });
        checks.put("getTables", c -> {
            ResultSet rs = c.getMetaData().getTables(null, "public", "%", new String[] {"TABLE"});
            List<String> tables = column(rs, "TABLE_NAME");
            expect(tables.contains("images"), tables.toString());
        });
        checks.put("getColumns", c -> {
            List<String> columns = column(c.getMetaData().getColumns(null, "public", "images", "%"), "COLUMN_NAME");
            expect(columns.contains("path") && columns.contains("width"), columns.toString());
        });
        checks.put("getPrimaryKeys", c -> {
            List<String> keys = column(c.getMetaData().getPrimaryKeys(null, "public", "images"), "COLUMN_NAME");
            expect(keys.isEmpty(), keys.toString());
        });
        checks.put("getFunctions", c -> {
            List<String> functions = column(c.getMetaData().getFunctions(null, "public", "classify"), "FUNCTION_NAME");
            expect(functions.contains("classify"), functions.toString());
        });
        checks.put("getFunctionColumns and getProcedureColumns", c -> {
            DatabaseMetaData md = c.getMetaData();
            List<String> arguments = column(md.getFunctionColumns(null, "public", "classify", "%"), "COLUMN_NAME");
            expect(arguments.contains("image") && arguments.contains("top_k"), arguments.toString());
            arguments = column(md.getProcedureColumns(null, "public", "cosine_similarity", "%"), "COLUMN_NAME");
            expect(arguments.contains("a") && arguments.contains("b"), arguments.toString());
        });
        checks.put("getIndexInfo, getImportedKeys, getExportedKeys", c -> {
            DatabaseMetaData md = c.getMetaData();
            expect(!md.getIndexInfo(null, "public", "images", false, true).next(), "an index");
            expect(!md.getImportedKeys(null, "public", "images").next(), "an imported key");
            expect(!md.getExportedKeys(null, "public", "images").next(), "an exported key");
        });
        checks.put("getTypeInfo", c -> {
            List<String> types = column(c.getMetaData().getTypeInfo(), "TYPE_NAME");
            expect(types.contains("int8") && types.contains("timestamptz"), types.toString());
        });
        checks.put("prepared query", c -> {
            PreparedStatement ps = c.prepareStatement("SELECT path, width FROM images WHERE width > ? ORDER BY path");
            ps.setInt(1, 500);
            List<String> paths = column(ps.executeQuery(), "path");
            expect(paths.size() == 3 && paths.get(0).endsWith("astronaut.jpg"), paths.toString());
        });
        checks.put("fetch size (portal suspension)", c -> {
            c.setAutoCommit(false);
            Statement st = c.createStatement();
            st.setFetchSize(2);
            List<String> paths = column(st.executeQuery("SELECT path FROM images ORDER BY path"), "path");
            expect(paths.size() == 6, paths.toString());
            c.commit();
            c.setAutoCommit(true);
        });
        int passed = 0;
        for (Map.Entry<String, Check> check : checks.entrySet()) {
            try (Connection c = DriverManager.getConnection(url)) {
                check.getValue().run(c);
                passed++;
                System.out.println("pass: " + check.getKey());
            } catch (Throwable e) {
                System.out.println("FAIL: " + check.getKey() + ": " + e);
            }
        }
        System.out.println(passed + " of " + checks.size() + " JDBC checks passed");
        if (passed == checks.size()) System.out.println("OK");
        System.exit(passed == checks.size() ? 0 : 1);
    }
}
