// The catalog queries of the JDBC tools (DBeaver, Metabase: tests/clients/bi/<tool>.sql),
// replayed through pgjdbc as those tools send them: each a PreparedStatement on a fresh
// connection, numbers bound with setLong and strings with setString as the `-- $n = ...`
// comments say (pgjdbc types them int8 and varchar). Run by tests/wire.rs:
//   java -cp /usr/share/java/postgresql.jar tests/clients/BiReplay.java PORT TOOL=MIN...
// Prints per tool how many ran and what failed; OK when every tool reached its floor.
// With MEDIASQL_BI_ROWS set to a folder, the rows of each statement marked `-- compare` are
// written to <folder>/<tool>.rows as the text pgjdbc's getString gives (format: bi_rows.py).
import java.nio.file.*;
import java.sql.*;
import java.util.*;
import java.util.regex.*;

public class BiReplay {
    static final Pattern VALUE = Pattern.compile(
        "\\$(\\d+) = ('(?:[^']|'')*'|-?\\d+|oid of (schema|table) (\\w+))");

    public static void main(String[] args) throws Exception {
        String url = "jdbc:postgresql://127.0.0.1:" + args[0] + "/mediasql?user=tester";
        List<String> below = new ArrayList<>();
        String rowsFolder = System.getenv("MEDIASQL_BI_ROWS");
        for (String floor : Arrays.copyOfRange(args, 1, args.length)) {
            String tool = floor.split("=")[0];
            int min = Integer.parseInt(floor.split("=")[1]);
            String text = Files.readString(Path.of("tests/clients/bi", tool + ".sql"));
            int ok = 0;
            List<String> failures = new ArrayList<>();
            StringBuilder kept = new StringBuilder();
            int index = 0;
            for (String chunk : text.split("\n-- next\n")) {
                index++;
                List<String> comments = new ArrayList<>();
                StringBuilder sql = new StringBuilder();
                String source = "?";
                boolean compare = false;
                for (String line : chunk.strip().split("\n")) {
                    if (line.startsWith("-- source: ")) source = line.substring(11, Math.min(line.length(), 111));
                    if (line.strip().equals("-- compare") || line.startsWith("-- compare:")) compare = true;
                    if (line.startsWith("-- ")) comments.add(line); else sql.append(line).append('\n');
                }
                if (sql.toString().isBlank()) continue;
                try (Connection c = DriverManager.getConnection(url)) {
                    String rows = run(c, sql.toString().strip(), comments);
                    ok++;
                    if (compare) kept.append("== ").append(index).append(" rows\n").append(rows);
                } catch (Exception e) {
                    String message = String.valueOf(e.getMessage()).split("\n")[0];
                    failures.add(source + ": " + message.substring(0, Math.min(160, message.length())));
                    if (compare) kept.append("== ").append(index).append(" error\n").append(escape(message)).append('\n');
                }
            }
            if (rowsFolder != null) Files.writeString(Path.of(rowsFolder, tool + ".rows"), kept.toString());
            System.out.println(tool + ": " + ok + " of " + (ok + failures.size()) + " queries ran (pgjdbc)");
            failures.forEach(f -> System.out.println("    " + f));
            if (ok < min) below.add(tool + " (" + ok + " < " + min + ")");
        }
        System.out.println(below.isEmpty() ? "OK" : "below the floor: " + below);
        System.exit(below.isEmpty() ? 0 : 1);
    }

    /** Runs `sql`, its `$n` bound to the values the comments name, `$n` written as `?`;
     *  returns its column names and rows as lines of a rows file. */
    static String run(Connection c, String sql, List<String> comments) throws SQLException {
        Map<Integer, String> values = new HashMap<>();
        for (String comment : comments) {
            Matcher m = VALUE.matcher(comment);
            while (m.find()) values.put(Integer.parseInt(m.group(1)), m.group(2));
        }
        List<Integer> order = new ArrayList<>();
        Matcher placeholders = Pattern.compile("\\$(\\d+)").matcher(sql);
        StringBuilder jdbc = new StringBuilder();
        while (placeholders.find()) {
            order.add(Integer.parseInt(placeholders.group(1)));
            placeholders.appendReplacement(jdbc, "?");
        }
        placeholders.appendTail(jdbc);
        try (PreparedStatement ps = c.prepareStatement(jdbc.toString())) {
            for (int i = 0; i < order.size(); i++) {
                String value = values.get(order.get(i));
                if (value == null) throw new SQLException("no value given for $" + order.get(i));
                bind(c, ps, i + 1, value);
            }
            StringBuilder out = new StringBuilder();
            if (ps.execute()) {
                try (ResultSet rs = ps.getResultSet()) {
                    ResultSetMetaData meta = rs.getMetaData();
                    List<String> names = new ArrayList<>();
                    for (int i = 1; i <= meta.getColumnCount(); i++) names.add(escape(meta.getColumnLabel(i)));
                    out.append(String.join("\t", names)).append('\n');
                    while (rs.next()) {
                        List<String> row = new ArrayList<>();
                        for (int i = 1; i <= meta.getColumnCount(); i++) row.add(escape(rs.getString(i)));
                        out.append(String.join("\t", row)).append('\n');
                    }
                }
            } else {
                out.append('\n');
            }
            return out.toString();
        }
    }

    /** A value as a rows file writes it: NULL is \N; backslash, tab, newline, CR escaped. */
    static String escape(String value) {
        if (value == null) return "\\N";
        return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r");
    }

    static void bind(Connection c, PreparedStatement ps, int index, String value) throws SQLException {
        if (value.startsWith("'")) {
            ps.setString(index, value.substring(1, value.length() - 1).replace("''", "'"));
        } else if (value.startsWith("oid of")) {
            String[] words = value.split(" ");
            String lookup = words[2].equals("schema")
                ? "SELECT oid FROM pg_catalog.pg_namespace WHERE nspname = ?"
                : "SELECT oid FROM pg_catalog.pg_class WHERE relname = ?";
            try (PreparedStatement q = c.prepareStatement(lookup)) {
                q.setString(1, words[3]);
                try (ResultSet rs = q.executeQuery()) { ps.setLong(index, rs.next() ? rs.getLong(1) : 0); }
            }
        } else {
            ps.setLong(index, Long.parseLong(value));
        }
    }
}
