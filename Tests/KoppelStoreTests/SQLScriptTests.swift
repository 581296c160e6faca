import KoppelStore
import Testing

@Suite("Splitting SQL files into statements")
struct SQLScriptTests {
    @Test("statements are split at semicolons and trimmed")
    func plainStatements() {
        #expect(SQLScript.statements(in: "CREATE TABLE a (x int);\n\nINSERT INTO a VALUES (1);  ") == [
            "CREATE TABLE a (x int)", "INSERT INTO a VALUES (1)",
        ])
    }

    @Test("a semicolon inside quotes, identifiers or dollar quotes does not end a statement")
    func quotedSemicolons() {
        let script = """
            INSERT INTO t VALUES ('a;b', 'it''s; fine');
            CREATE TABLE "odd;name" (x int);
            CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $body$ BEGIN PERFORM 1; RETURN 2; END $body$;
            SELECT $$;$$
            """
        let statements = SQLScript.statements(in: script)
        #expect(statements.count == 4)
        #expect(statements[0] == "INSERT INTO t VALUES ('a;b', 'it''s; fine')")
        #expect(statements[1] == #"CREATE TABLE "odd;name" (x int)"#)
        #expect(statements[2].hasSuffix("RETURN 2; END $body$"))
        #expect(statements[3] == "SELECT $$;$$")
    }

    @Test("comments are dropped, including nested block comments with semicolons")
    func comments() {
        let script = """
            -- a comment; with a semicolon
            SELECT 1; /* outer /* inner; */ still; comment */ SELECT 2;
            -- only a comment at the end;
            """
        #expect(SQLScript.statements(in: script) == ["SELECT 1", "SELECT 2"])
    }

    @Test("positional parameters are not dollar quotes")
    func parameters() {
        #expect(SQLScript.statements(in: "SELECT $1, $2; SELECT 3") == ["SELECT $1, $2", "SELECT 3"])
    }

    @Test("a script of only whitespace and comments has no statements")
    func empty() {
        #expect(SQLScript.statements(in: "  \n-- nothing\n/* at all */ ;  ").isEmpty)
    }
}
