// Writes adapters/_sql/schema.sql: the schema the migrations produce, for review in diffs.
// Run: npm run schema:dump. test/adapters/libsql-schema.test.ts fails when it is out of date.
import { writeFileSync } from "node:fs";
import { dumpSchema } from "../test/adapters/_schema-dump.js";

writeFileSync(new URL("../adapters/_sql/schema.sql", import.meta.url), await dumpSchema());
