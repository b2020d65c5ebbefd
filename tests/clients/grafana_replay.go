// Grafana's catalog queries (tests/clients/bi/grafana.sql) replayed through pgx, the Go
// driver Grafana's PostgreSQL datasource uses (v4 here, the one Debian packages; Grafana 11
// has v5, whose protocol use is the same): a query without parameters goes through
// pgconn's Exec (the simple protocol), and each result column's type oid must be one pgx
// knows, as Grafana fails a query with "unknown data type oid" otherwise; a query with `$n`
// goes through Query (extended protocol, described statement), its rows decoded.
// Run by tests/wire.rs:
//   GO111MODULE=off GOPATH=/usr/share/gocode go run tests/clients/grafana_replay.go PORT grafana=MIN
// Prints how many ran and what failed; OK when the floor is reached.
package main

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

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
		for _, chunk := range strings.Split(string(text), "\n-- next\n") {
			source, sql, comments := parse(chunk)
			if sql == "" {
				continue
			}
			if err := run(url, sql, comments); err != nil {
				message := strings.SplitN(err.Error(), "\n", 2)[0]
				if len(message) > 160 {
					message = message[:160]
				}
				failures = append(failures, source+": "+message)
			} else {
				ok++
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

func run(url, sql string, comments []string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if !placeholder.MatchString(sql) {
		results, err := conn.PgConn().Exec(ctx, sql).ReadAll()
		if err != nil {
			return err
		}
		for _, result := range results {
			if result.Err != nil {
				return result.Err
			}
			for _, field := range result.FieldDescriptions {
				if _, known := conn.ConnInfo().DataTypeForOID(field.DataTypeOID); !known {
					return fmt.Errorf("unknown data type oid: %d (column %s)", field.DataTypeOID, field.Name)
				}
			}
		}
		return nil
	}
	args, err := arguments(sql, comments)
	if err != nil {
		return err
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			return err
		}
	}
	return rows.Err()
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
