"""The tenant and officer flows through a client generated from mobile-api-spec/openapi.json
by a third-party generator (openapi-python-client), against a running server: every answer is
parsed into the generator's typed models, so a field sent as null but not declared nullable, a
wrong type or an undeclared status fails here as it would in an app.

    python clients/python_flows.py BASE_URL TENANT_REFERENCE DATE_OF_BIRTH SERVER_LOG

The tenant's code is read where it appears in dev: the outbox log (SERVER_LOG).
"""

import datetime
import re
import sys
import time
import uuid

from rentdesk_api_client import AuthenticatedClient, Client
from rentdesk_api_client.api.officer import (
    get_officer_v1_accounts_id,
    get_officer_v1_caseload,
    get_officer_v1_routes_date,
    get_officer_v1_sync,
    post_officer_v1_actions,
    post_officer_v1_sign_in,
)
from rentdesk_api_client.api.tenant import (
    get_tenant_v1_account,
    get_tenant_v1_messages,
    get_tenant_v1_next_steps,
    get_tenant_v1_preferences,
    get_tenant_v1_statement,
    post_tenant_v1_plans,
    post_tenant_v1_plans_quote,
    post_tenant_v1_sign_in,
    post_tenant_v1_sign_in_verify,
)
from rentdesk_api_client.models import (
    ActionIn,
    ActionKind,
    ActionOutcome,
    Frequency,
    HouseholdIn,
    PlanRequestIn,
    Problem,
    QuoteRequest,
    SignInStart,
    SignInVerify,
    StaffSignIn,
    StatementIn,
    StatementInFixedCosts,
    StatementInFlexibleCosts,
    StatementInIncome,
)


def ok(answer, what):
    """A typed answer, not a Problem or nothing."""
    if answer is None or isinstance(answer, Problem):
        raise SystemExit(f"{what}: {answer!r}")
    print(f"  ok  {what}: {type(answer).__name__}")
    return answer


def statement():
    return StatementIn(
        household=HouseholdIn(adults=1, children=1),
        income=StatementInIncome.from_dict({"earnings": 150000}),
        fixed_costs=StatementInFixedCosts.from_dict(
            {"rent": 43334, "council_tax": 9000, "gas": 5000, "electricity": 5000}
        ),
        flexible_costs=StatementInFlexibleCosts.from_dict(
            {"food_and_housekeeping": 40000, "communications_and_leisure": 5000}
        ),
    )


def tenant_flow(base, reference, dob, log):
    print("tenant: sign in → account → statement → quote → plan → next steps → messages → preferences")
    anon = Client(base_url=base, raise_on_unexpected_status=True)
    before = len(re.findall(r"sign-in code is (\d{6})", open(log).read()))
    challenge = ok(
        post_tenant_v1_sign_in.sync(
            client=anon,
            body=SignInStart(reference=reference, date_of_birth=datetime.date.fromisoformat(dob)),
        ),
        "sign-in",
    ).challenge
    code = None
    for _ in range(80):
        codes = re.findall(r"sign-in code is (\d{6})", open(log).read())
        if len(codes) > before:
            code = codes[-1]
            break
        time.sleep(0.5)
    tokens = ok(
        post_tenant_v1_sign_in_verify.sync(client=anon, body=SignInVerify(challenge=challenge, code=code)),
        "sign-in/verify",
    )
    me = AuthenticatedClient(base_url=base, token=tokens.access_token, raise_on_unexpected_status=True)
    account = ok(get_tenant_v1_account.sync(client=me), "account")
    assert account.reference == reference
    ok(get_tenant_v1_statement.sync(client=me), "statement")
    arrears = max(account.real_arrears_pence, 0)
    quote = post_tenant_v1_plans_quote.sync(
        client=me, body=QuoteRequest.from_dict({"statement": statement().to_dict(), "frequency": "weekly"})
    )
    if arrears > 0:
        quote = ok(quote, "plans/quote")
        plan = post_tenant_v1_plans.sync(
            client=me,
            body=PlanRequestIn(
                statement=statement(),
                frequency=Frequency.WEEKLY,
                instalment_pence=max(quote.suggested_instalment_pence, 100),
                accept_agreement=True,
            ),
        )
        ok(plan, "plans")
    else:
        # Nothing owed: the quote is refused as documented (409), still a typed Problem.
        assert isinstance(quote, Problem), quote
        print(f"  ok  plans/quote: {quote.status} (nothing owed)")
    ok(get_tenant_v1_next_steps.sync(client=me), "next-steps")
    ok(get_tenant_v1_messages.sync(client=me), "messages")
    ok(get_tenant_v1_preferences.sync(client=me), "preferences")


def officer_flow(base):
    print("officer: sign in → caseload → account → record an action → sync → route")
    anon = Client(base_url=base, raise_on_unexpected_status=True)
    tokens = ok(
        post_officer_v1_sign_in.sync(
            client=anon, body=StaffSignIn(email="officer1@rentdesk.example", password="rentdesk-demo")
        ),
        "sign-in",
    )
    me = AuthenticatedClient(base_url=base, token=tokens.access_token, raise_on_unexpected_status=True)
    caseload = ok(get_officer_v1_caseload.sync(client=me), "caseload")
    assert caseload.accounts, "the demo officer has a caseload"
    first = caseload.accounts[0]
    ok(get_officer_v1_accounts_id.sync(first.tenancy_id, client=me), "account")
    action = post_officer_v1_actions.sync(
        client=me,
        body=ActionIn(
            client_id=str(uuid.uuid4()),
            tenancy_id=first.tenancy_id,
            kind=ActionKind.CALL,
            outcome=ActionOutcome.PROMISE_TO_PAY,
            body="Called from the generated client; tenant will pay Friday.",
            occurred_at=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(minutes=5),
        ),
    )
    ok(action, "actions")
    ok(get_officer_v1_sync.sync(client=me), "sync")
    ok(get_officer_v1_routes_date.sync(datetime.date.today(), client=me), "routes/{date}")


if __name__ == "__main__":
    base, reference, dob, log = sys.argv[1:5]
    tenant_flow(base, reference, dob, log)
    officer_flow(base)
    print("generated Python client: both flows passed")
