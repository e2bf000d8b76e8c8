// The tenant and officer flows through a TypeScript client generated from
// mobile-api-spec/openapi.json by third-party generators (openapi-typescript for the types,
// openapi-fetch for the calls), against a running server. `tsc --strict` checks every request
// body, parameter and response field used here against the document; at run time each answer's
// status must be one the operation documents and the fields used must have their declared types,
// so a renamed field, a wrong type or an undocumented status fails here as it would in an app.
//
//     node build/flows.js BASE_URL TENANT_REFERENCE DATE_OF_BIRTH SERVER_LOG
//
// The tenant's code is read where it appears in dev: the outbox log (SERVER_LOG).
import { readFileSync } from "node:fs";
import { randomUUID } from "node:crypto";
import createClient from "openapi-fetch";
import type { components, paths } from "./generated/api.js";

type Schemas = components["schemas"];

const [base, reference, dob, log] = process.argv.slice(2);
if (!base || !reference || !dob || !log) {
  throw new Error("usage: flows.js BASE_URL TENANT_REFERENCE DATE_OF_BIRTH SERVER_LOG");
}

/** The typed answer of a call that must succeed, or a failure naming the step and the problem. */
function ok<T>(what: string, answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined || !answer.response.ok) {
    throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  }
  console.log(`  ok  ${what}: ${answer.response.status}`);
  return answer.data;
}

function expectType(what: string, value: unknown, type: "string" | "number" | "boolean" | "object") {
  if (typeof value !== type) {
    throw new Error(`${what}: expected ${type}, got ${JSON.stringify(value)}`);
  }
}

function nullableType(what: string, value: unknown, type: "string" | "number" | "object") {
  if (value !== null && value !== undefined) expectType(what, value, type);
}

const codes = (): string[] => [...readFileSync(log, "utf8").matchAll(/sign-in code is (\d{6})/g)].map((m) => m[1] ?? "");

async function newCode(before: number): Promise<string> {
  for (let i = 0; i < 80; i++) {
    const all = codes();
    if (all.length > before) return all[all.length - 1] ?? "";
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error("no sign-in code appeared in the dev outbox");
}

function statement(): Schemas["StatementIn"] {
  return {
    household: { adults: 1, children: 1 },
    income: { earnings: 150000 },
    fixed_costs: { rent: 43334, council_tax: 9000, gas: 5000, electricity: 5000 },
    flexible_costs: { food_and_housekeeping: 40000, communications_and_leisure: 5000 },
  };
}

async function tenantFlow(baseUrl: string, ref: string, dateOfBirth: string) {
  console.log("tenant: sign in → account → statement → quote → plan → next steps → messages → preferences");
  const anon = createClient<paths>({ baseUrl });
  const before = codes().length;
  const started = ok("sign-in", await anon.POST("/tenant/v1/sign-in", { body: { reference: ref, date_of_birth: dateOfBirth } }));
  expectType("sign-in.challenge", started.challenge, "string");
  const code = await newCode(before);
  const tokens = ok(
    "sign-in/verify",
    await anon.POST("/tenant/v1/sign-in/verify", { body: { challenge: started.challenge, code } }),
  );
  const me = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${tokens.access_token}` } });

  const account = ok("account", await me.GET("/tenant/v1/account"));
  if (account.reference !== ref) throw new Error(`account: reference ${account.reference}, expected ${ref}`);
  expectType("account.real_arrears_pence", account.real_arrears_pence, "number");
  nullableType("account.plan", account.plan, "object");
  nullableType("account.technical_reason", account.technical_reason, "string");

  const lines = ok("statement", await me.GET("/tenant/v1/statement"));
  expectType("statement.lines", lines.lines, "object");
  nullableType("statement.next_cursor", lines.next_cursor, "string");

  const quote = await me.POST("/tenant/v1/plans/quote", { body: { statement: statement(), frequency: "weekly" } });
  if (account.real_arrears_pence > 0) {
    const offer = ok("plans/quote", quote);
    nullableType("quote.suggested_instalment_pence", offer.suggested_instalment_pence, "number");
    const plan = ok(
      "plans",
      await me.POST("/tenant/v1/plans", {
        body: {
          statement: statement(),
          frequency: "weekly",
          instalment_pence: Math.max(offer.suggested_instalment_pence ?? 0, 100),
          accept_agreement: true,
        },
      }),
    );
    expectType("plan.id", plan.id, "number");
  } else {
    // Nothing owed: the quote is refused as documented (409) with a problem body.
    if (quote.response.status !== 409 || quote.error === undefined) {
      throw new Error(`plans/quote with nothing owed: ${quote.response.status}`);
    }
    console.log("  ok  plans/quote: 409 (nothing owed)");
  }

  const steps = ok("next-steps", await me.GET("/tenant/v1/next-steps"));
  expectType("next-steps", steps, "object");
  const inbox = ok("messages", await me.GET("/tenant/v1/messages"));
  nullableType("messages.next_cursor", inbox.next_cursor, "string");
  const preferences = ok("preferences", await me.GET("/tenant/v1/preferences"));
  expectType("preferences", preferences, "object");
}

async function officerFlow(baseUrl: string) {
  console.log("officer: sign in → caseload → account → record an action → sync → route");
  const anon = createClient<paths>({ baseUrl });
  const tokens = ok(
    "sign-in",
    await anon.POST("/officer/v1/sign-in", { body: { email: "officer1@rentdesk.example", password: "rentdesk-demo" } }),
  );
  const me = createClient<paths>({ baseUrl, headers: { authorization: `Bearer ${tokens.access_token}` } });

  const caseload = ok("caseload", await me.GET("/officer/v1/caseload", { params: { query: { limit: 20 } } }));
  const first = caseload.accounts[0];
  if (!first) throw new Error("the demo officer has an empty caseload");
  expectType("caseload.accounts[0].tenancy_id", first.tenancy_id, "number");
  nullableType("caseload.next_cursor", caseload.next_cursor, "string");

  const account = ok(
    "account",
    await me.GET("/officer/v1/accounts/{id}", { params: { path: { id: first.tenancy_id } } }),
  );
  if (account.id !== first.tenancy_id) throw new Error(`account: id ${account.id}, expected ${first.tenancy_id}`);
  expectType("account.summary.reference", account.summary.reference, "string");

  const action = ok(
    "actions",
    await me.POST("/officer/v1/actions", {
      body: {
        client_id: randomUUID(),
        tenancy_id: first.tenancy_id,
        kind: "call",
        outcome: "promise_to_pay",
        body: "Called from the generated TypeScript client; tenant will pay Friday.",
        occurred_at: new Date(Date.now() - 5 * 60_000).toISOString(),
      },
    }),
  );
  expectType("action.id", action.id, "number");

  const sync = ok("sync", await me.GET("/officer/v1/sync"));
  expectType("sync", sync, "object");
  const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Europe/London" }).format(new Date());
  const route = ok("routes/{date}", await me.GET("/officer/v1/routes/{date}", { params: { path: { date: today } } }));
  expectType("route", route, "object");
}

await tenantFlow(base, reference, dob);
await officerFlow(base);
console.log("generated TypeScript client: both flows passed");
