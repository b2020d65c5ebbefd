// Grafana's catalog queries (tests/clients/bi/grafana.sql) replayed through pgx, the Go
// driver Grafana's PostgreSQL datasource uses (v4 here, the one Debian packages; Grafana 11
// has v5, whose protocol use is the same): a query without parameters goes through
// pgconn's Exec (the simple protocol), and each result column's type oid must be one pgx
// knows, as Grafana fails a query with "unknown data type oid" otherwise; a query with `$n`
// goes through Query (extended protocol, described statement), its rows decoded.
// Run by tests/wire.rs:
//   GO111MODULE=off GOPATH=/usr/share/gocode go run tests/clients/grafana_replay.go PORT grafana=MIN
// Prints how many ran and what failed; OK when the floor is reached.
// With MEDIASQL_BI_ROWS set to a folder, the rows of each statement marked `-- compare` are
// written to <folder>/<tool>.rows as the text the server sent (format: bi_rows.py); Query
// then asks for text results.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgproto3/v2"
	"github.com/jackc/pgx/v4"
)

var value = regexp.MustCompile(`\$(\d+) = ('(?:[^']|'')*'|-?\d+)`)
var placeholder = regexp.MustCompile(`\$(\d+)`)

func main() {
	url := "postgres://tester@127.0.0.1:" + os.Args[1] + "/mediasql"
	below := []string{}
	for _, floor := range os.Args[2:] {
		parts := strings.SplitN(floor, "=", 2)
		tool := parts[0]
		min, _ := strconv.Atoi(parts[1])
		text, err := os.ReadFile("tests/clients/bi/" + tool + ".sql")
		if err != nil {
			fmt.Println("read:", err)
			os.Exit(1)
		}
		ok, failures := 0, []string{}
		var kept strings.Builder
		for i, chunk := range strings.Split(string(text), "\n-- next\n") {
			source, sql, comments := parse(chunk)
			if sql == "" {
				continue
			}
			compare := false
			for _, comment := range comments {
				if strings.TrimSpace(comment) == "-- compare" || strings.HasPrefix(comment, "-- compare:") {
					compare = true
				}
			}
			rows, err := run(url, sql, comments)
			if err != nil {
				message := strings.SplitN(err.Error(), "\n", 2)[0]
				if compare {
					fmt.Fprintf(&kept, "== %d error\n%s\n", i+1, escape(&message))
				}
				if len(message) > 160 {
					message = message[:160]
				}
				failures = append(failures, source+": "+message)
			} else {
				ok++
				if compare {
					fmt.Fprintf(&kept, "== %d rows\n%s", i+1, rows)
				}
			}
		}
		if folder := os.Getenv("MEDIASQL_BI_ROWS"); folder != "" {
			if err := os.WriteFile(filepath.Join(folder, tool+".rows"), []byte(kept.String()), 0o644); err != nil {
				fmt.Println("write rows:", err)
				os.Exit(1)
			}
		}
		fmt.Printf("%s: %d of %d queries ran (pgx)\n", tool, ok, ok+len(failures))
		for _, f := range failures {
			fmt.Println("    " + f)
		}
		if ok < min {
			below = append(below, fmt.Sprintf("%s (%d < %d)", tool, ok, min))
		}
	}
	if len(below) > 0 {
		fmt.Println("below the floor:", strings.Join(below, ", "))
		os.Exit(1)
	}
	fmt.Println("OK")
}

// parse splits a chunk into its source, its SQL and its comments (`-- ping` is SQL: the
// comment-only query pgx's Ping sends).
func parse(chunk string) (string, string, []string) {
	source, comments, body := "?", []string{}, []string{}
	for _, line := range strings.Split(strings.Trim(chunk, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "-- source: "):
			source = line[len("-- source: "):]
			if len(source) > 100 {
				source = source[:100]
			}
			comments = append(comments, line)
		case strings.HasPrefix(line, "-- ") && !strings.HasPrefix(line, "-- ping"):
			comments = append(comments, line)
		default:
			body = append(body, line)
		}
	}
	return source, strings.TrimSpace(strings.Join(body, "\n")), comments
}

// run runs sql; it returns its column names and rows as lines of a rows file.
func run(url, sql string, comments []string) (string, error) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if !placeholder.MatchString(sql) {
		// Each result read by hand: ReadAll keeps no field descriptions for a result without rows.
		reader := conn.PgConn().Exec(ctx, sql)
		first := ""
		for reader.NextResult() {
			result := reader.ResultReader()
			fields := append([]pgproto3.FieldDescription{}, result.FieldDescriptions()...)
			var rows [][][]byte
			for result.NextRow() {
				row := [][]byte{}
				for _, value := range result.Values() {
					if value != nil {
						value = append([]byte{}, value...)
					}
					row = append(row, value)
				}
				rows = append(rows, row)
			}
			if _, err := result.Close(); err != nil {
				reader.Close()
				return "", err
			}
			for _, field := range fields {
				if _, known := conn.ConnInfo().DataTypeForOID(field.DataTypeOID); !known {
					reader.Close()
					return "", fmt.Errorf("unknown data type oid: %d (column %s)", field.DataTypeOID, field.Name)
				}
			}
			if first == "" {
				first = lines(fields, rows)
			}
		}
		if err := reader.Close(); err != nil {
			return "", err
		}
		if first == "" {
			first = "\n"
		}
		return first, nil
	}
	args, err := arguments(sql, comments)
	if err != nil {
		return "", err
	}
	// Text results, so that the rows are the text the server sent.
	args = append([]interface{}{pgx.QueryResultFormats{pgx.TextFormatCode}}, args...)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	var values [][][]byte
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			return "", err
		}
		var row [][]byte
		for _, value := range rows.RawValues() {
			if value != nil {
				value = append([]byte{}, value...)
			}
			row = append(row, value)
		}
		values = append(values, row)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	return lines(rows.FieldDescriptions(), values), nil
}

// lines are a result's column names and rows as a rows file writes them.
func lines(fields []pgproto3.FieldDescription, rows [][][]byte) string {
	var out strings.Builder
	names := []string{}
	for _, field := range fields {
		name := string(field.Name)
		names = append(names, escape(&name))
	}
	out.WriteString(strings.Join(names, "\t") + "\n")
	for _, row := range rows {
		values := []string{}
		for _, value := range row {
			if value == nil {
				values = append(values, escape(nil))
			} else {
				text := string(value)
				values = append(values, escape(&text))
			}
		}
		out.WriteString(strings.Join(values, "\t") + "\n")
	}
	return out.String()
}

// escape writes a value as a rows file does: NULL is \N; backslash, tab, newline, CR escaped.
func escape(value *string) string {
	if value == nil {
		return "\\N"
	}
	return strings.NewReplacer("\\", "\\\\", "\t", "\\t", "\n", "\\n", "\r", "\\r").Replace(*value)
}

// arguments are the values the comments give each `$n`: Go strings and int64s.
func arguments(sql string, comments []string) ([]interface{}, error) {
	values := map[int]string{}
	for _, comment := range comments {
		for _, m := range value.FindAllStringSubmatch(comment, -1) {
			n, _ := strconv.Atoi(m[1])
			values[n] = m[2]
		}
	}
	count := 0
	for _, m := range placeholder.FindAllStringSubmatch(sql, -1) {
		if n, _ := strconv.Atoi(m[1]); n > count {
			count = n
		}
	}
	args := make([]interface{}, count)
	for n := 1; n <= count; n++ {
		v, given := values[n]
		if !given {
			return nil, fmt.Errorf("no value given for $%d", n)
		}
		if strings.HasPrefix(v, "'") {
			args[n-1] = strings.ReplaceAll(v[1:len(v)-1], "''", "'")
		} else {
			i, _ := strconv.ParseInt(v, 10, 64)
			args[n-1] = i
		}
	}
	return args, nil
}
